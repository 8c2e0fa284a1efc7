// Start-up and lint speed against their floors, in one run, interleaved so machine noise hits all
// alike (issue 12's targets):
//   - `migc check` on one plan within 2x a bare `node -e 0`;
//   - `migc lint` on a 40-file folder within 2x a bare `node -e 0`;
//   - `migc lint` on 2,000 files within 2x squawk's wall time on the same files;
// and `migc build` on one plan (the README's main job; no target) beside them.
// --before <package root> runs an older build beside this one (its bin/migc.js) in the same rounds,
// for before/after figures measured together. Wall time is what users wait for; CPU time (user +
// system, from /usr/bin/time when it is there) is shown too, as it is steadier on a busy machine.
//
// Two floors are measured beside them, to show what is left to migc's own code: the parser alone
// (a Node process that loads libpg-query as migc does and parses one statement, or every statement
// of the 2,000 files and nothing else).
//
// Usage: node bench/startup.mjs [--runs 15] [--lint-runs 3] [--before /path/to/older/migc]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from './lint-vs-squawk.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const squawkVersion = '2.66.0';
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, 'lint-runs': { type: 'string', default: '3' }, before: { type: 'string' } } });
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command and times it; an exit status outside `statuses` stops the bench (lint exits 1 on findings). */
function timed(cmd, args, cwd, statuses = [0, 1]) {
  const work = timeBin ? mkdtempSync(join(tmpdir(), 'migc-time-')) : undefined;
  const start = process.hrtime.bigint();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', '%U %S', '-o', join(work, 't'), cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 })
    : spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  let cpu;
  if (work) {
    const [user, sys] = readFileSync(join(work, 't'), 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = (user + sys) * 1000;
    rmSync(work, { recursive: true, force: true });
  }
  if (!statuses.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
  return { ms, cpu };
}

/**
 * The parser alone: libpg-query loaded as migc's bundle loads it (require(), its CommonJS build:
 * import() of its ES module build costs ~40 ms more, in Node's CommonJS-to-ESM translation) with
 * the baseline compiler tier (src/sql/parser.ts), then every .sql file of a folder parsed, or
 * one statement when no folder is given.
 */
const parserOnly = `
  import { createRequire } from 'node:module';
  import { setFlagsFromString } from 'node:v8';
  import { readdirSync, readFileSync } from 'node:fs';
  setFlagsFromString('--liftoff-only');
  const { loadModule, parseSync } = createRequire(${JSON.stringify(`${root}package.json`)})('libpg-query');
  await loadModule();
  const dir = process.argv[1];
  if (!dir) parseSync('SELECT 1');
  else for (const f of readdirSync(dir)) if (f.endsWith('.sql')) parseSync(readFileSync(dir + '/' + f, 'utf8'));
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchStartup({ runs = 15, lintRuns = 3, before } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'migc-startup-'));
  try {
    generate(join(work, 'l40'), 40);
    generate(join(work, 'l2000'), 2000);
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', join(work, 'squawk'), `squawk-cli@${squawkVersion}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`could not install squawk-cli@${squawkVersion}: ${r.stderr}`);
    const squawk = join(work, 'squawk/node_modules/.bin/squawk');
    const builds = [['migc', join(root, 'bin/migc.js')], ...(before ? [['before', join(before, 'bin/migc.js')]] : [])];
    // The plan in the folder the commands run in, as a user has it: its baseline and app files
    // outside that folder would be refused (MG036), and a check stopped there measures little
    // (the first four rounds did; see bench/startup-results.md).
    cpSync(join(root, 'plans'), join(work, 'plans'), { recursive: true });
    const plan = 'plans/email-verified.yaml';
    const rows = new Map();
    const add = (name, t) => {
      const row = rows.get(name) ?? { ms: [], cpu: [] };
      row.ms.push(t.ms);
      if (t.cpu !== undefined) row.cpu.push(t.cpu);
      rows.set(name, row);
    };
    for (const [, bin] of builds) timed(process.execPath, [bin, 'check', plan], work, [0]); // warm the file cache
    for (let i = 0; i < runs; i++) {
      add('node -e 0', timed(process.execPath, ['-e', '0'], work));
      add('parser only: load, parse one statement', timed(process.execPath, ['--input-type=module', '-e', parserOnly], root));
      for (const [name, bin] of builds) {
        add(`${name} check one plan`, timed(process.execPath, [bin, 'check', plan], work, [0]));
        add(`${name} lint 40 files`, timed(process.execPath, [bin, 'lint', 'l40', '--format', 'json'], work));
        add(`${name} build one plan`, timed(process.execPath, [bin, 'build', plan, '--out', `out-${name}`], work, [0]));
      }
    }
    for (let i = 0; i < lintRuns; i++) {
      add('squawk, 2,000 files', timed(squawk, ['--reporter', 'json', '--pg-version', '14', 'l2000/*.sql'], work));
      add('parser only: parse 2,000 files', timed(process.execPath, ['--input-type=module', '-e', parserOnly, join(work, 'l2000')], root));
      for (const [name, bin] of builds) add(`${name} lint 2,000 files`, timed(process.execPath, [bin, 'lint', 'l2000', '--format', 'json'], work));
    }
    const m = (name) => median(rows.get(name).ms);
    const c = (name) => (rows.get(name).cpu.length ? median(rows.get(name).cpu) : undefined);
    const ratio = (a, b) => `${(m(a) / m(b)).toFixed(2)}x${c(a) !== undefined ? ` (CPU ${(c(a) / c(b)).toFixed(2)}x)` : ''}`;
    const lines = [
      `| measure (${runs} runs each; lint on 2,000 files ${lintRuns}) | wall median | CPU median | ratio | target |`,
      '|---|---|---|---|---|',
    ];
    const row = (name, vs, target) => lines.push(`| ${name} | ${m(name).toFixed(0)} ms | ${c(name) === undefined ? '' : `${c(name).toFixed(0)} ms`} | ${vs ? `${ratio(name, vs)} of ${vs}` : ''} | ${target ?? ''} |`);
    row('node -e 0');
    row('parser only: load, parse one statement', 'node -e 0');
    for (const [name] of builds) {
      row(`${name} check one plan`, 'node -e 0', name === 'migc' ? 'within 2x' : undefined);
      row(`${name} lint 40 files`, 'node -e 0', name === 'migc' ? 'within 2x' : undefined);
      row(`${name} build one plan`, 'node -e 0');
    }
    row('squawk, 2,000 files');
    row('parser only: parse 2,000 files', 'squawk, 2,000 files');
    for (const [name] of builds) row(`${name} lint 2,000 files`, 'squawk, 2,000 files', name === 'migc' ? 'within 2x' : undefined);
    return lines;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of benchStartup({ runs: Number(values.runs), lintRuns: Number(values['lint-runs']), before: values.before })) console.log(line);
}
