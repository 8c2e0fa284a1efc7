// migc watch over 200 generated plans (bench/generate.mjs: about ten steps each), in this process:
//   1. save to rebuilt outputs: one plan's title is changed and saved (in place), and the time until
//      its report.md on disk holds the new title is measured; median and p90 over --saves saves
//      (target: median under 50 ms);
//   2. memory: RSS and heap used after a full GC, after the first few edits and after --edits edits
//      (target: no growth beyond 10%).
// The watch runs in this process (startWatch, as `migc watch` does), so GC can be forced.
// Usage: npm run build && node --expose-gc bench/watch.mjs [--saves 200 --edits 1000 --plans 200]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generatePlans } from './generate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { startWatch } = await import(join(root, 'dist/cli/watch.js'));
const { values } = parseArgs({ options: { saves: { type: 'string', default: '200' }, edits: { type: 'string', default: '1000' }, plans: { type: 'string', default: '200' } } });
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/watch.mjs');
  process.exit(2);
}

const project = mkdtempSync(join(tmpdir(), 'migc-bench-watch-'));
const plans = Number(values.plans);
generatePlans(join(project, 'plans'), plans);
const io = { cwd: project, color: false, stdout: () => {}, stderr: () => {} };
let waiting;
const running = await startWatch(['plans'], { out: 'out' }, io, {
  onRebuild: (r) => waiting?.(r),
});
const startedAt = performance.now();
const first = await running.ready;
console.log(`first build of ${plans} plans: ${first.ms} ms (${first.line})`);

const file = 'plans/plan-0042.yaml';
const original = readFileSync(join(project, file), 'utf8');
const report = join(project, 'out/bench-42/report.md');

const work = []; // only the numbers are kept: the bench must not grow the heap it measures

/** One save; resolves with the ms from the write to the new report on disk. */
async function save(n) {
  const title = `Benchmark plan 42, edit ${n}`;
  const text = original.replace('title: Benchmark plan 42', `title: ${title}`);
  const rebuilt = new Promise((resolve) => (waiting = resolve));
  const t0 = performance.now();
  writeFileSync(join(project, file), text);
  const r = await rebuilt;
  const ms = performance.now() - t0;
  if (!r.files.includes(file) || r.files.length !== 1) throw new Error(`rebuilt ${r.files.join(', ')} for one save`);
  if (!readFileSync(report, 'utf8').startsWith(`# ${title}\n`)) throw new Error('the report on disk is not the new one');
  work.push({ ms: r.ms, buildMs: r.buildMs, writeMs: r.writeMs });
  // Let the second look (after the watcher's throttle window) pass, as a person's next save would.
  await running.session.settled();
  return ms;
}

function memory() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const saves = Number(values.saves);
const edits = Number(values.edits);

for (let n = 0; n < 5; n++) await save(n);
const early = memory();
const times = [];
const trend = [];
for (let n = 5; n < edits; n++) {
  const ms = await save(n);
  if (n - 5 < saves) times.push(ms);
  if ((n + 1) % 250 === 0) trend.push(`${n + 1}: ${memory().heap.toFixed(1)} MB`);
}
const late = memory();
const rebuildWork = work.slice(5, 5 + saves).map((r) => r.ms);
const buildWork = work.slice(5, 5 + saves).map((r) => r.buildMs);
const writeWork = work.slice(5, 5 + saves).map((r) => r.writeMs);
await running.close();
rmSync(project, { recursive: true, force: true });

const f = (x) => x.toFixed(1);
console.log(`save to rebuilt outputs, one plan of ${plans}, ${times.length} saves: median ${f(quantile(times, 0.5))} ms, p90 ${f(quantile(times, 0.9))} ms, min ${f(Math.min(...times))} ms, max ${f(Math.max(...times))} ms (target: median under 50 ms)`);
console.log(`  of which the rebuild itself (from the quiet period's end to the outputs written): median ${f(quantile(rebuildWork, 0.5))} ms, p90 ${f(quantile(rebuildWork, 0.9))} ms (building: median ${f(quantile(buildWork, 0.5))} ms; writing: median ${f(quantile(writeWork, 0.5))} ms); the rest is the watcher's latency and the 15 ms quiet period that makes a save one rebuild`);
const growth = (a, b) => `${f(((b - a) / a) * 100)}%`;
console.log(`memory after GC, after 5 edits: RSS ${f(early.rss)} MB, heap ${f(early.heap)} MB; after ${edits} edits: RSS ${f(late.rss)} MB (${growth(early.rss, late.rss)}), heap ${f(late.heap)} MB (${growth(early.heap, late.heap)}) (target: no growth beyond 10%)`);
console.log(`heap after GC along the way: ${trend.join(', ')}`);
console.log(`total ${f((performance.now() - startedAt) / 1000)} s`);
