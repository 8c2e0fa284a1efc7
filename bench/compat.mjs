// The cost of the app-version matrix per example plan that lists apps: the static check (every
// query of every version at every schema state, from a compiled plan) and the rehearsed one
// (the live versions' queries run on the database after each step and rollback), on PGlite and,
// when MIGC_TEST_DATABASE_URL is set, on a server. Runnable alone: node bench/compat.mjs
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { compile } = await import(`${root}dist/compile.js`);
const { nodeHost } = await import(`${root}dist/host.js`);
const { appCompatibility } = await import(`${root}dist/analyze/compat/check.js`);
const { pgliteEngine, serverEngine } = await import(`${root}dist/verify/engine.js`);
const { rehearsePlan } = await import(`${root}dist/verify/rehearse.js`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchCompat({ runs = 21 } = {}) {
  const files = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
  const plans = (await compile({ files }, nodeHost(root))).plans.map((p) => p.plan).filter((p) => p?.apps.length);
  const rows = ['| plan | versions x queries | schema states | static matrix (min / median) | rehearsed on | rehearsed walk | query runs |', '|---|---|---|---|---|---|---|'];
  const engines = [['PGlite', () => pgliteEngine()]];
  if (process.env.MIGC_TEST_DATABASE_URL) {
    engines.push(['PostgreSQL server', async () => {
      const outcome = await serverEngine({ databaseUrl: process.env.MIGC_TEST_DATABASE_URL });
      if (!outcome.ok) throw new Error(outcome.problem);
      return outcome.engine;
    }]);
  }
  const rehearsed = new Map();
  for (const [name, make] of engines) {
    const engine = await make();
    try {
      for (const plan of plans) {
        // No scripts: the rehearsal's own passes do nothing, only the compatibility walk runs SQL.
        const compat = (await rehearsePlan(plan, new Map(), engine)).compat;
        rehearsed.set(`${plan.id}\t${name}`, compat);
      }
    } finally {
      await engine.dispose();
    }
  }
  for (const plan of plans) {
    const times = [];
    let matrix;
    for (let i = 0; i < runs; i++) {
      const copy = { ...plan }; // a new object: the result is cached per plan
      const t = performance.now();
      matrix = appCompatibility(copy).matrix;
      times.push(performance.now() - t);
    }
    const queries = plan.apps.map((a) => a.queries.length);
    for (const [name] of engines) {
      const c = rehearsed.get(`${plan.id}\t${name}`);
      rows.push(`| ${plan.id} | ${plan.apps.length} x ${queries.join('+')} | ${matrix.states.length} | ${Math.min(...times).toFixed(2)} / ${median(times).toFixed(2)} ms | ${name} | ${c ? `${c.ms.toFixed(0)} ms` : '-'} | ${c?.queries ?? '-'} |`);
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const row of await benchCompat()) console.log(row);
}
