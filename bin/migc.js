#!/usr/bin/env node
// Entry point: the only place that sets the exit code. It runs the bundle of the CLI
// (scripts/bundle.mjs, built by npm run build): one file to load, not a hundred modules.

// The commands that read SQL start loading PostgreSQL's parser first: its WebAssembly compiles on
// a background thread while the rest of the CLI loads, instead of after it (the bundle shares the
// module with the CLI, so the CLI finds it loaded). A failure here is the CLI's to report.
if (['build', 'check', 'lint', 'verify', 'watch'].includes(process.argv[2] ?? '')) {
  import('../dist/bundle/sql-parser.js').then((m) => m.loadSqlParser()).catch(() => undefined);
}
const { colorWanted, main } = await import('../dist/bundle/main.js');

const color = colorWanted(process.env, Boolean(process.stdout.isTTY));
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color,
});
