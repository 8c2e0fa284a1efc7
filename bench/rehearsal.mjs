// Rehearsal time per example plan on each engine: PGlite always, a real server when
// MIGC_TEST_DATABASE_URL is set. Engine start-up is timed once, apart from the plans.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { compile } = await import(`${root}dist/compile.js`);
const { nodeHost } = await import(`${root}dist/host.js`);
const { templateNames, templateFileName } = await import(`${root}dist/emit/template-names.js`);
const { pgliteEngine, serverEngine } = await import(`${root}dist/verify/engine.js`);
const { rehearsePlan } = await import(`${root}dist/verify/rehearse.js`);

export async function benchRehearsal() {
  const templates = Object.fromEntries(templateNames.map((n) => [n, { file: n, text: readFileSync(`${root}templates/${templateFileName(n)}`, 'utf8') }]));
  const files = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
  const compiled = await compile({ files, templates }, nodeHost(root));
  const engines = [['PGlite', () => pgliteEngine()]];
  if (process.env.MIGC_TEST_DATABASE_URL) {
    engines.push(['PostgreSQL server', async () => {
      const outcome = await serverEngine({ databaseUrl: process.env.MIGC_TEST_DATABASE_URL });
      if (!outcome.ok) throw new Error(outcome.problem);
      return outcome.engine;
    }]);
  }
  const rows = [];
  for (const [name, make] of engines) {
    let t = performance.now();
    const engine = await make();
    rows.push(`| ${name}: engine start (${engine.label}) | ${(performance.now() - t).toFixed(0)} ms |`);
    for (const p of compiled.plans) {
      if (!p.plan.phases.some((phase) => phase.steps.some((s) => s.action?.kind === 'sql'))) {
        rows.push(`| ${name}: ${p.plan.id} | (no SQL) |`);
        continue;
      }
      const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan.id.length + 1), o.contents]));
      t = performance.now();
      const r = await rehearsePlan(p.plan, scripts, engine, { crashPoints: false }); // crash points: bench/crash-points.mjs
      rows.push(`| ${name}: ${p.plan.id} | ${(performance.now() - t).toFixed(0)} ms ${r.skipped ? '(no SQL)' : r.ok ? '' : '(FAILED)'} |`);
    }
    await engine.dispose();
  }
  return rows;
}
