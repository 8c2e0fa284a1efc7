#!/usr/bin/env node
// Entry point: the only place that sets the exit code. It runs the bundle of the CLI
// (scripts/bundle.mjs, built by npm run build): one file to load, not a hundred modules.
import { main } from '../dist/bundle/main.js';

const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color,
});
