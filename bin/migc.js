#!/usr/bin/env node
// Entry point: the only place that sets the exit code. It runs the bundle of the CLI
// (scripts/bundle.mjs, built by npm run build): one file to load, not a hundred modules, compiled
// from V8's code cache (bin/load-cli.js). CommonJS (bin/package.json): see bin/load-cli.js.
'use strict';
const { loadCli } = require('./load-cli.js');

let cli;
try {
  cli = loadCli();
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
  // A clone where npm install has not run (it builds dist/ through the prepare script).
  process.stderr.write(`migc: the CLI is not built (${error.path} is missing): run npm install in ${require('node:path').join(__dirname, '..')}/, or npm run build\n`);
  process.exit(2);
}
const { colorWanted, main, startSqlParser } = cli.exports;

// The commands that read SQL start loading PostgreSQL's parser first: its WebAssembly compiles on
// a background thread while the command reads its files, instead of after. A failure here is the
// command's to report, when it loads the parser itself.
if (['build', 'check', 'lint', 'verify', 'watch'].includes(process.argv[2] ?? '')) {
  startSqlParser().catch(() => undefined);
}

// The reader of our output went away (migc lint | head): stop at once and print nothing more,
// as git and grep do when SIGPIPE ends them, and with the status the shell shows for them
// (141 = 128 + SIGPIPE). Without this, Node reports the failed write as an unhandled 'error'
// with a stack trace. 'exit' handlers still run: a throwaway cluster is stopped, a write lock
// released.
const readerGone = 141;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(readerGone);
    throw error;
  });
}

const color = colorWanted(process.env, Boolean(process.stdout.isTTY));
main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color,
}).then((code) => {
  process.exitCode = code;
});
