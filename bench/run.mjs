// migc's benchmarks, side by side in one run so the ratios hold on a noisy machine:
//   1. `migc check` on one plan against a bare `node -e 0` (target: within 2x; bench/startup.mjs has the start-up figures in detail);
//   2. `migc build` on 1,000 generated plans of about ten steps (target: under 3 s, under 300 MB peak);
//   3. `migc lint` over 2,000 generated SQL files beside squawk (target: within 2x of its time), with
//      both tools' findings per hazard;
//   4. `migc verify`: rehearsal time per example plan on PGlite, on a local cluster of the plans' major if installed, and on a server if MIGC_TEST_DATABASE_URL is set;
//   4b. the app-version matrix per example plan with apps: static and rehearsed (bench/compat.mjs);
//   5. scaling: build and lint time and peak memory as the input doubles (bench/scaling.mjs, also runnable alone;
//      target: at most 2.2x the time per doubling).
// Usage: npm run bench [-- --runs 15 --plans 1000 --no-scaling]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generatePlans } from './generate.mjs';
import { benchLint } from './lint-vs-squawk.mjs';
import { benchRehearsal } from './rehearsal.mjs';
import { benchCompat } from './compat.mjs';
import { benchScaling } from './scaling.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, plans: { type: 'string', default: '1000' }, 'no-scaling': { type: 'boolean' } } });
const runs = Number(values.runs);
const planCount = Number(values.plans);
const bin = join(root, 'bin/migc.js');

function timed(args, cwd = root) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = /migc-bench-maxrss-kb (\d+)/.exec(r.stderr)?.[1];
  return { ms, rssMb: rss ? Number(rss) / 1024 : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

console.log(`node ${process.version}, ${runs} runs each, interleaved; medians.\n`);

// 1. Start-up: check one plan vs bare node, interleaved so machine noise hits both alike.
const bare = [];
const check = [];
timed([bin, 'check', 'plans/email-verified.yaml']); // warm the file cache
for (let i = 0; i < runs; i++) {
  bare.push(timed(['-e', '0']).ms);
  check.push(timed([bin, 'check', 'plans/email-verified.yaml']).ms);
}
const ratio = median(check) / median(bare);
console.log('| measure | median | target |');
console.log('|---|---|---|');
console.log(`| node -e 0 | ${fmt(median(bare))} | |`);
console.log(`| migc check plans/email-verified.yaml | ${fmt(median(check))} | |`);
console.log(`| ratio check / bare node | ${ratio.toFixed(2)}x | within 2x |`);

// 2. Throughput: build 1,000 plans, fresh output folder each run.
const work = mkdtempSync(join(tmpdir(), 'migc-bench-'));
try {
  generatePlans(join(work, 'plans'), planCount);
  // Each build starts from a quiet disk (sync first): otherwise it pays for the previous run's
  // write-back, which on this machine's disk costs seconds and measures the disk, not migc.
  const build = (out) => {
    spawnSync('sync');
    return timed(['--require', join(root, 'bench/rss.cjs'), bin, 'build', 'plans', '--out', out], work);
  };
  const buildRuns = Math.max(3, Math.floor(runs / 5));
  // As in CI on a clean clone: each run writes a folder that never existed.
  const fresh = Array.from({ length: buildRuns }, (_, i) => build(`out-${i}`));
  const rebuild = build('out-0');
  // After deleting a previous output: on a disk mounted with discard, the deletion stalls the writes.
  rmSync(join(work, 'out-0'), { recursive: true, force: true });
  const afterDelete = timed(['--require', join(root, 'bench/rss.cjs'), bin, 'build', 'plans', '--out', 'out-0'], work);
  const checkAll = timed(['--require', join(root, 'bench/rss.cjs'), bin, 'check', 'plans'], work);
  console.log(`| migc build, ${planCount} plans, into a new folder (${buildRuns} runs) | ${fmt(median(fresh.map((b) => b.ms)))} | under 3000 ms |`);
  console.log(`| peak memory of that build | ${median(fresh.map((b) => b.rssMb)).toFixed(0)} MB | under 300 MB |`);
  console.log(`| migc build again, nothing changed | ${fmt(rebuild.ms)}, ${rebuild.rssMb.toFixed(0)} MB | |`);
  console.log(`| migc build right after rm -rf of its output | ${fmt(afterDelete.ms)}, ${afterDelete.rssMb.toFixed(0)} MB | disk-bound |`);
  console.log(`| migc check, ${planCount} plans | ${fmt(checkAll.ms)}, ${checkAll.rssMb.toFixed(0)} MB | |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// 3. migc lint beside squawk on the same 2,000 generated files: time, and findings per hazard.
console.log('\n| lint | time |');
console.log('|---|---|');
for (const row of await benchLint(2000)) console.log(row);

// 4. migc verify: rehearsal time per example plan (baseline, fixtures, up, down, up again).
console.log('\n| rehearsal (migc verify) | time |');
console.log('|---|---|');
for (const row of await benchRehearsal()) console.log(row);
console.log('\n### App-version matrix\n');
for (const row of await benchCompat()) console.log(row);

// 5. Scaling: each row doubles the input; linear work takes 2x the time of the row above.
if (!values['no-scaling']) {
  console.log('\nScaling (one run per row; target: at most 2.2x the time when the input doubles):\n');
  for (const row of benchScaling()) console.log(row);
}
