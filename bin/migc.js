#!/usr/bin/env node
// Entry point: the only place that sets the exit code.
import { main } from '../dist/cli/main.js';
import { colorWanted } from '../dist/cli/format.js';

const color = colorWanted(process.env, Boolean(process.stdout.isTTY));
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color,
});
