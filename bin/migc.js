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
// What was already written to the other stream still reaches its reader first: with stderr's
// reader gone, lint's findings on stdout (queued when its pipe was full) before its summary line.
const readerGone = 141;
let gone = false;
const leave = () => process.exit(readerGone);
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (gone) return; // the writes after the first failure fail too: said once
    if (error.code !== 'EPIPE') throw error;
    gone = true;
    const other = stream === process.stdout ? process.stderr : process.stdout;
    if (other.writableLength === 0 || other.destroyed) leave();
    else {
      other.once('drain', leave);
      other.once('error', leave);
    }
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
