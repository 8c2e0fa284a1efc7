#!/usr/bin/env node
// Entry point: the only place that sets the exit code. It runs the bundle of the CLI
// (scripts/bundle.mjs, built by npm run build): one file to load, not a hundred modules.
import { colorWanted, main } from '../dist/bundle/main.js';

const color = colorWanted(process.env, Boolean(process.stdout.isTTY));
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color,
});
