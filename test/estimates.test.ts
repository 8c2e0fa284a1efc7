import { describe, expect, it } from 'vitest';
import { buildInvoices, invoicePlan } from './invoice-region.js';

/**
 * migc's duration estimates count the pauses of batched steps (batches × pause), wherever
 * durations are shown: a backfill of 30,000,000 rows in batches of 5,000 with a 2 s pause sleeps
 * 6,000 × 2 s = 3 h 20 min, whatever the hardware.
 */
describe('batch pauses in the estimates', () => {
  it('a 2 s pause on 6,000 batches: the step, phase and plan estimates include 3h 20min of pauses', async () => {
    const { report } = await buildInvoices(invoicePlan.replace('pause: 100ms', 'pause: 2s'));
    const step = report.split('#### Step `backfill-region`')[1]!.split('####')[0]!;
    expect(step).toContain('Estimated time: 30min by the plan; ~3h 25min by migc from the size hints (3h 20min of pauses: 6,000 batches × 2s) (**the estimates differ**');
    expect(step).toContain('| ~3h 25min (3h 20min of pauses: 6,000 batches × 2s) |');
    expect(report).toMatch(/\| Estimated time \| 40min by the plan \(3 of 7 steps\); ~3h 2\dmin by migc/); // the plan estimates 3 of its 7 steps
    expect(report).toContain("- migc's estimates: rows from the table sizes below");
    expect(report).toContain('a batched step adds its pauses, one after each batch (rows ÷ batch size batches)');
  });

  it('at 100 ms the pauses alone are 10 minutes', async () => {
    const { report } = await buildInvoices(invoicePlan);
    expect(report).toContain('~15min by migc from the size hints (10min of pauses: 6,000 batches × 100ms)');
  });

  it('the timeline draws the step at least as long as its pauses, and the checklist gives each phase\'s estimate', async () => {
    const { timeline, checklist } = await buildInvoices(invoicePlan.replace('pause: 100ms', 'pause: 2s'));
    const bar = /backfill-region \(30min by the plan, but 3h 20min of pauses\) :step_2_1, (\d+), (\d+)/.exec(timeline);
    expect(bar).not.toBeNull();
    expect(Number(bar![2]) - Number(bar![1])).toBe(12_000_000);
    expect(checklist).toMatch(/### Phase 2: backfill \(migrate\)\n\nEstimated time: 30min by the plan \(1 of 3 steps\); ~3h 2\dmin by migc from the size hints \(3h 20min of pauses: 6,000 batches × 2s\)/);
  });

  it('a batched step without a pause, and a pause on a table with no size, add nothing and guess nothing', async () => {
    const { report } = await buildInvoices(invoicePlan.replace(', pause: 100ms', ''));
    expect(report).toContain('30min by the plan; ~5min by migc from the size hints (**the estimates differ**');
    const unsized = await buildInvoices(invoicePlan.replace('  invoices: { rows: 30000000, size: 5 GB }\n', ''));
    expect(unsized.report).toContain('Estimated time: 30min by the plan; migc cannot tell, a table has no size hint.');
  });
});

describe('how long rolling back takes', () => {
  const section = (report: string, heading: string) => report.split(heading)[1]!.split('####')[0]!;

  it('a rollback that changes rows says how long it runs, at the step, its phase and the checklist\'s way back; a catalog-only one says nothing', async () => {
    const { report, checklist } = await buildInvoices(invoicePlan);
    // UPDATE invoices SET region = NULL over 30,000,000 rows at 100,000 rows/s, in one statement.
    expect(section(report, '#### Step `backfill-region`')).toContain('Rolling back this step: ~5min by migc from the size hints.');
    expect(report).toContain('Rolling back (`02-backfill.down.sql`): ~5min by migc from the size hints.');
    expect(section(report, '#### Step `region-not-null-check`')).not.toContain('Rolling back this step');
    expect(report).not.toContain('Rolling back (`01-expand.down.sql`)');
    expect(checklist).toMatch(/- \[ \] If this fails: [^\n]*`psql -v ON_ERROR_STOP=1 -f 02-backfill\.down\.sql "\$DATABASE_URL"` \(~5min by migc from the size hints\)/);
  });

  it('a batched rollback counts its pauses; a table with no size cannot be estimated, and says so', async () => {
    const batched = await buildInvoices(invoicePlan.replace('          sql: UPDATE invoices SET region = NULL WHERE region IS NOT NULL\n', '          sql: UPDATE invoices SET region = NULL WHERE region IS NOT NULL\n          batch: { size: 5000, pause: 2s }\n'));
    expect(batched.report).toContain('Rolling back this step: ~3h 25min by migc from the size hints (3h 20min of pauses: 6,000 batches × 2s).');
    expect(batched.checklist).toContain('02-backfill.down.sql "$DATABASE_URL"` (~3h 25min by migc from the size hints)');
    const unsized = await buildInvoices(invoicePlan.replace('  invoices: { rows: 30000000, size: 5 GB }\n', ''));
    expect(unsized.report).toContain('Rolling back this step: migc cannot tell how long, a table has no size hint.');
  });
});

describe('the flagship example', () => {
  it('plans/email-verified.yaml estimates what migc estimates: its report shows no disagreement', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { compileFiles, root } = await import('./helpers.js');
    const files: Record<string, string> = {};
    for (const f of readdirSync(`${root}plans`, { recursive: true }) as string[]) {
      if (f === 'email-verified.yaml' || /\.(sql|csv)$/.test(f)) files[`plans/${f}`] = readFileSync(`${root}plans/${f}`, 'utf8');
    }
    const r = await compileFiles(files, { emit: true });
    const report = r.plans[0]!.outputs.find((o) => o.path === 'add-email-verified/report.md')!.contents;
    expect(report).toContain('| Estimated time | 6min by the plan; ~4min by migc from the size hints (2min of pauses: 1,200 batches × 100ms)');
    expect(report).not.toContain('the estimates differ');
  });
});

describe('a copy with INSERT ... SELECT', () => {
  it('is estimated by the rows of the table it copies from, not of the new table it fills, pauses included', async () => {
    const { compileFiles } = await import('./helpers.js');
    const plan = `migc: 1
id: copy
title: Copy
type: data
risk: medium
engine: postgresql@15
tables:
  orders: { rows: 1000000 }
phases:
  - name: expand
    kind: expand
    steps:
      - id: create-copy
        sql: CREATE TABLE orders_v2 (id bigint PRIMARY KEY, total numeric)
        rollback: { sql: DROP TABLE orders_v2 }
  - name: backfill
    kind: migrate
    steps:
      - id: copy
        sql: INSERT INTO orders_v2 (id, total) SELECT id, total FROM orders
        batch: { size: 10000, pause: 1s }
        verify: [{ sql: SELECT count(*) FROM orders WHERE id NOT IN (SELECT id FROM orders_v2), expect: 0 }]
        rollback: { sql: DELETE FROM orders_v2 }
`;
    const r = await compileFiles({ 'plans/copy.yaml': plan }, { emit: true });
    const file = (name: string) => r.plans[0]!.outputs.find((o) => o.path === `copy/${name}`)!.contents;
    // 1,000,000 rows of orders at 10 µs a row is 10 s of work, and 100 batches × 1 s of pauses:
    // 110 s on the timeline. orders_v2 has no size hint: counted by it, nothing could be told.
    expect(file('report.md')).toContain('| Estimated time | not estimated by the plan; ~2min by migc from the size hints (2min of pauses: 100 batches × 1s)');
    expect(file('timeline.mmd')).toContain('T-0 copy (~2min by migc) :step_2_1, 0, 110000');
  });

  it('an INSERT ... VALUES writes its rows, not as many as the table holds', async () => {
    const { compileFiles, minimalPlan } = await import('./helpers.js');
    const plan = minimalPlan.replace('        sql: ALTER TABLE t ADD COLUMN c integer;', "        sql: INSERT INTO t (id) VALUES (1), (2), (3);")
      .replace('          sql: ALTER TABLE t DROP COLUMN c;', '          sql: DELETE FROM t WHERE id IN (1, 2, 3);')
      .replace('engine: postgresql@15', 'engine: postgresql@15\ntables:\n  t: { rows: 50000000 }');
    const r = await compileFiles({ 'plans/a.yaml': plan }, { emit: true });
    const report = r.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    // Counted by t's 50,000,000 rows, the three rows took 8 minutes.
    expect(report).toContain('| Estimated time | not estimated by the plan; under a second by migc from the size hints');
  });
});

describe('statements that run a query to the end: CREATE TABLE AS, materialized views', () => {
  const plan = (sql: string, rollback: string, tables = '  users: { rows: 5000000 }\n') => `migc: 1
id: copy
title: Copy
type: data
risk: medium
engine: postgresql@15
tables:
${tables}phases:
  - name: expand
    kind: expand
    steps:
      - id: first
        sql: CREATE MATERIALIZED VIEW user_days AS SELECT date_trunc('day', created_at) AS d, count(*) FROM users GROUP BY 1
        rollback: { sql: DROP MATERIALIZED VIEW user_days }
      - id: the-step
        sql: ${sql}
        rollback: ${rollback}
`;
  const row = async (sql: string, rollback: string, tables?: string) => {
    const { compileFiles } = await import('./helpers.js');
    const r = await compileFiles({ 'plans/copy.yaml': plan(sql, rollback, tables) }, { emit: true });
    const report = r.plans[0]!.outputs.find((o) => o.path === 'copy/report.md')!.contents;
    return report.split('#### Step `the-step`')[1]!.split('\n').find((l) => l.startsWith('| `'))!;
  };

  it('reads every row of what it selects from: a scan of users, by its size (5,000,000 rows at 1 µs)', async () => {
    // Before, a copy of five million rows was catalog work of milliseconds.
    expect(await row('CREATE TABLE users_archive AS SELECT * FROM users', '{ sql: DROP TABLE users_archive }')).toMatch(/\| scan \| ~5s \|$/);
    expect(await row('SELECT * INTO users_copy FROM users', '{ sql: DROP TABLE users_copy }')).toMatch(/\| scan \| ~5s \|$/);
  });

  it('a refresh reads what its view reads, under its ACCESS EXCLUSIVE lock', async () => {
    expect(await row('REFRESH MATERIALIZED VIEW user_days', '{ nothing_to_undo: a refresh changes no schema }')).toMatch(/ACCESS EXCLUSIVE on user_days.* \| scan \| ~5s \|$/);
  });

  it('WITH NO DATA runs no query; a table with no size among the ones read leaves the time unknown', async () => {
    expect(await row('CREATE TABLE empty_copy AS SELECT * FROM users WITH NO DATA', '{ sql: DROP TABLE empty_copy }')).toMatch(/\| catalog \| milliseconds \|$/);
    expect(await row('CREATE TABLE joined AS SELECT * FROM users JOIN orders USING (id)', '{ sql: DROP TABLE joined }')).toMatch(/\| scan \| no size hint \|$/);
    expect(await row('CREATE TABLE joined AS SELECT * FROM users JOIN orders USING (id)', '{ sql: DROP TABLE joined }', '  users: { rows: 5000000 }\n  orders: { rows: 20000000 }\n')).toMatch(/\| scan \| ~20s \|$/);
  });
});
