// Rehearsal time per example plan on each engine: PGlite always; a throwaway local cluster of
// the plans' PostgreSQL major when it is installed (the engine `migc verify` picks by default);
// a real server when MIGC_TEST_DATABASE_URL is set. Engine start-up (and, for the local
// cluster, initdb and the server start apart) is timed once, apart from the plans; so is
// stopping it (server shut down, folder removed).
// Run alone: node bench/rehearsal.mjs (after npm run build).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { compile } = await import(`${root}dist/compile.js`);
const { nodeHost } = await import(`${root}dist/host.js`);
const { templateNames, templateFileName } = await import(`${root}dist/emit/template-names.js`);
const { pgliteEngine, serverEngine } = await import(`${root}dist/verify/engine.js`);
const { clusterEngine, clusterUser, findInstallation } = await import(`${root}dist/verify/cluster.js`);
const { rehearsePlan } = await import(`${root}dist/verify/rehearse.js`);

export async function benchRehearsal() {
  const templates = Object.fromEntries(templateNames.map((n) => [n, { file: n, text: readFileSync(`${root}templates/${templateFileName(n)}`, 'utf8') }]));
  const files = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
  const compiled = await compile({ files, templates }, nodeHost(root));
  const withSql = compiled.plans.filter((p) => p.plan?.phases.some((phase) => phase.steps.some((s) => s.action?.kind === 'sql')));
  const majors = [...new Set(withSql.map((p) => p.settings?.postgres.major).filter((m) => m !== undefined))];
  const engines = [['PGlite', () => pgliteEngine()]];
  const rows = [];
  for (const major of majors) {
    const search = await findInstallation(major);
    const user = await clusterUser();
    if (!search.found || !user.ok) {
      rows.push(`| local cluster of PostgreSQL ${major}: not measured (${search.found ? user.problem : 'not installed'}) | - |`);
      continue;
    }
    engines.push([`local PostgreSQL ${major} cluster`, async () => {
      const outcome = await clusterEngine(search.found, user.user);
      if (!outcome.ok) throw new Error(outcome.problem);
      const t = outcome.engine.cluster.timings;
      rows.push(`| local PostgreSQL ${major} cluster: of which initdb / server start | ${t.initdb.toFixed(0)} ms / ${t.start.toFixed(0)} ms |`);
      return outcome.engine;
    }]);
  }
  if (process.env.MIGC_TEST_DATABASE_URL) {
    engines.push(['PostgreSQL server (--database-url)', async () => {
      const outcome = await serverEngine({ databaseUrl: process.env.MIGC_TEST_DATABASE_URL });
      if (!outcome.ok) throw new Error(outcome.problem);
      return outcome.engine;
    }]);
  }
  for (const [name, make] of engines) {
    let t = performance.now();
    const at = rows.length;
    const engine = await make();
    rows.splice(at, 0, `| ${name}: engine start (${engine.label}) | ${(performance.now() - t).toFixed(0)} ms |`);
    let total = 0;
    for (const p of compiled.plans) {
      if (!p.plan.phases.some((phase) => phase.steps.some((s) => s.action?.kind === 'sql'))) {
        rows.push(`| ${name}: ${p.plan.id} | (no SQL) |`);
        continue;
      }
      const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan.id.length + 1), o.contents]));
      t = performance.now();
      const r = await rehearsePlan(p.plan, scripts, engine, { crashPoints: false }); // crash points: bench/crash-points.mjs;
      const ms = performance.now() - t;
      total += ms;
      rows.push(`| ${name}: ${p.plan.id} | ${ms.toFixed(0)} ms ${r.skipped ? '(no SQL)' : r.ok ? '' : '(FAILED)'} |`);
    }
    rows.push(`| ${name}: all plans | ${total.toFixed(0)} ms |`);
    t = performance.now();
    await engine.dispose();
    rows.push(`| ${name}: stop | ${(performance.now() - t).toFixed(0)} ms |`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| rehearsal (migc verify) | time |\n|---|---|');
  for (const row of await benchRehearsal()) console.log(row);
}
