// Crash-point rehearsal time per example plan (and the failure-points fixture) on each engine:
// PGlite always, a real server when MIGC_TEST_DATABASE_URL is set. For each plan: the crash
// points tried and passed, the time of the crash-point pass alone, and the whole rehearsal's time
// with and without it. CPU time of this process is shown beside wall time: on a shared machine
// the wall time mostly measures the load (the server's own CPU time is not in it).
//   npm run build && node bench/crash-points.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { compile } = await import(`${root}dist/compile.js`);
const { nodeHost } = await import(`${root}dist/host.js`);
const { templateNames, templateFileName } = await import(`${root}dist/emit/template-names.js`);
const { pgliteEngine, serverEngine } = await import(`${root}dist/verify/engine.js`);
const { rehearsePlan } = await import(`${root}dist/verify/rehearse.js`);

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

export async function benchCrashPoints() {
  const templates = Object.fromEntries(templateNames.map((n) => [n, { file: n, text: readFileSync(`${root}templates/${templateFileName(n)}`, 'utf8') }]));
  const files = [...readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`), 'test/fixtures/crash/failure-points.yaml'];
  const compiled = await compile({ files, templates }, nodeHost(root));
  const engines = [['PGlite', () => pgliteEngine()]];
  if (process.env.MIGC_TEST_DATABASE_URL) {
    engines.push(['PostgreSQL server', async () => {
      const outcome = await serverEngine({ databaseUrl: process.env.MIGC_TEST_DATABASE_URL });
      if (!outcome.ok) throw new Error(outcome.problem);
      return outcome.engine;
    }]);
  }
  const rows = ['| engine: plan | crash points passed / tried | crash points: wall (CPU here) | whole rehearsal with them | without them |', '|---|---|---|---|---|'];
  for (const [name, make] of engines) {
    const engine = await make();
    for (const p of compiled.plans) {
      if (!p.plan.phases.some((phase) => phase.steps.some((s) => s.action?.kind === 'sql'))) {
        rows.push(`| ${name}: ${p.plan.id} | (no SQL) | | | |`);
        continue;
      }
      const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan.id.length + 1), o.contents]));
      let t = performance.now();
      await rehearsePlan(p.plan, scripts, engine, { crashPoints: false });
      const without = performance.now() - t;
      t = performance.now();
      const c = cpu();
      const r = await rehearsePlan(p.plan, scripts, engine);
      const whole = performance.now() - t;
      const crashCpu = cpu() - c;
      const k = r.crash;
      rows.push(`| ${name}: ${p.plan.id} | ${k ? `${k.passed} / ${k.tried}` : '-'}${r.ok ? '' : ' (FAILED)'} | ${k ? `${(k.ms / 1000).toFixed(1)} s` : '-'} (${(crashCpu / 1000).toFixed(1)} s CPU, whole rehearsal) | ${(whole / 1000).toFixed(1)} s | ${(without / 1000).toFixed(1)} s |`);
    }
    await engine.dispose();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await benchCrashPoints()) console.log(row);
}
