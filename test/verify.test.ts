import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { pgliteEngine, serverEngine, type Engine } from '../src/verify/engine.js';
import { rehearsePlan, type RehearsalResult } from '../src/verify/rehearse.js';
import { runStatements } from '../src/emit/sql/ledger.js';
import { parseSql } from '../src/sql/parser.js';
import { lockStrength } from '../src/sql/locks.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * migc verify on real engines: PGlite always; a real PostgreSQL server when
 * MIGC_TEST_DATABASE_URL is set (.ci/run starts one; under CI=true it must be set).
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;
const examples = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
const broken = readdirSync(`${root}test/fixtures/verify`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `test/fixtures/verify/${f}`);
/** A user's plan with a batched backfill and CREATE INDEX CONCURRENTLY: steps whose locks cannot be read. */
const invoices = 'test/fixtures/invoice-region/invoice-region.yaml';

let compiled: CompileResult;
beforeAll(async () => {
  compiled = await compile({ files: [...examples, ...broken, invoices], templates: builtinTemplates() }, nodeHost(root));
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});

/** Crash points only where a test is about them: they multiply a rehearsal's time. */
async function rehearse(engine: Engine, file: string, { crashPoints = false } = {}): Promise<RehearsalResult> {
  const p = compiled.plans.find((x) => x.file === file)!;
  const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
  return rehearsePlan(p.plan!, scripts, engine, { crashPoints, analysis: p.analysis! });
}

/** Diagnostics as `line code`, with the line computed in the plan file. */
function where(result: RehearsalResult): string[] {
  return result.diagnostics.map((d) => `${compiled.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
}

/**
 * The prediction a step is shown with (the analysis', as the report's step table) holds where it
 * was observed: a step said to agree held each predicted lock at least as strongly (unless the
 * statement dropped the table), and never shows "none" predicted while the analysis predicted a lock.
 */
function expectPredictionsSound(result: RehearsalResult) {
  const p = compiled.plans.find((x) => x.file === result.file)!;
  for (const s of result.steps) {
    const step = p.plan!.phases.flatMap((ph) => ph.steps).find((x) => x.id === s.step)!;
    const analysed = step.action?.kind === 'sql' ? step.action.statements.flatMap((x) => p.analysis!.get(x)!.locks) : [];
    expect(s.predicted.length > 0, `${s.step}: predicted`).toBe(analysed.length > 0);
    if (s.prediction !== 'agrees') continue;
    const dropsTable = step.action?.kind === 'sql' && step.action.statements.some((x) => /^DROP TABLE/i.test(x.facts.command));
    for (const l of s.predicted) {
      const [mode, table] = l.split(' ') as [string, string];
      const held = Math.max(-1, ...s.locks.filter((o) => o.relation === table).map((o) => lockStrength(o.mode)));
      if (!dropsTable) expect(held, `${s.step}: ${l}, held ${JSON.stringify(s.locks)}`).toBeGreaterThanOrEqual(lockStrength(mode));
    }
  }
}

function engineSuite(name: string, makeEngine: () => Promise<Engine>) {
  describe(name, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await makeEngine();
    });
    afterAll(async () => engine?.dispose());

    /**
     * Each example plan is rehearsed once, with its crash points, and the tests about one of its
     * phases or steps read that rehearsal: crash points run in databases of their own after the
     * full rehearsal, and change none of its phase results, notes or observed locks.
     */
    const rehearsals = new Map<string, Promise<RehearsalResult>>();
    const rehearsedWithCrashPoints = (file: string) => {
      if (!rehearsals.has(file)) rehearsals.set(file, rehearse(engine, file, { crashPoints: true }));
      return rehearsals.get(file)!;
    };

    it.each(examples)('%s rehearses green: up, down phase by phase (schema and data checked), up again, and every crash point', async (file) => {
      const result = await rehearsedWithCrashPoints(file);
      expect(result.diagnostics).toEqual([]);
      expect(result.ok).toBe(true);
      for (const phase of result.phases) {
        expect(['ok', 'not run']).toContain(phase.up.status);
        expect(['ok', 'irreversible', 'not run']).toContain(phase.down.status);
      }
      // A plan with SQL has crash points, and every one passes: down restores, up again completes.
      if (!result.skipped) {
        expect(result.crash?.tried).toBeGreaterThan(0);
        expect(result.crash?.failed).toEqual([]);
        expect(result.crash?.passed).toBe(result.crash?.tried);
        // Every rollback of a SQL step ran somewhere, those before an irreversible step included.
        const plan = compiled.plans.find((x) => x.file === file)!.plan!;
        const sqlRollback = new Set(plan.phases.flatMap((p) => p.steps).filter((x) => x.rollback?.kind === 'sql').map((x) => x.id));
        for (const s of result.steps) if (s.up === 'ok' && sqlRollback.has(s.step)) expect(s.down, `${s.step}'s rollback never ran`).toBe('ok');
      }
      expectPredictionsSound(result);
    }, 600_000); // a database copy per crash point after an irreversible or data-losing step: slow on a busy machine

    it('notes the data a declared data-losing rollback changes, and only that', async () => {
      const result = await rehearsedWithCrashPoints('plans/email-verified.yaml');
      expect(result.phases.map((p) => p.down.note ?? null)).toEqual([
        null, null, 'public.users.verification_date differs after the rollback, as declared (drop-verification-date loses data)',
      ]);
    });

    it('stops an irreversible rollback as declared', async () => {
      const result = await rehearsedWithCrashPoints('plans/lowercase-emails.yaml');
      expect(result.phases.map((p) => p.down.status)).toEqual(['ok', 'ok', 'irreversible']);
      expect(result.steps.find((s) => s.step === 'drop-originals')!.down).toBe('irreversible');
    });

    it('says what was predicted for steps that run outside a transaction, and why their locks were not observed', async () => {
      const result = await rehearse(engine, invoices);
      expect(result.ok).toBe(true);
      expect(result.diagnostics.filter((d) => d.code !== 'MG080')).toEqual([]);
      const step = (id: string) => result.steps.find((s) => s.step === id)!;
      // As the report's step table: SHARE UPDATE EXCLUSIVE for CONCURRENTLY, ROW EXCLUSIVE for each batch.
      expect(step('index-region')).toMatchObject({
        up: 'ok', locks: [], predicted: ['ShareUpdateExclusiveLock public.invoices'], prediction: 'not observed',
        unobserved: 'CREATE INDEX CONCURRENTLY runs outside a transaction, so its locks are released before they can be read',
      });
      // The read its check takes afterwards, in a transaction of its own, is not the batches' lock.
      // Each batch reads customers (UPDATE ... FROM) too.
      expect(step('backfill-region')).toMatchObject({
        up: 'ok', locks: [], predicted: ['AccessShareLock public.customers', 'RowExclusiveLock public.invoices'], prediction: 'not observed',
        unobserved: 'the batch loop commits after each batch, so its locks are released before they can be read',
      });
      for (const id of ['add-region', 'region-not-null-check', 'validate-region', 'region-set-not-null', 'drop-legacy-region']) {
        expect(step(id), id).toMatchObject({ prediction: 'agrees' });
        expect(step(id).unobserved, id).toBeUndefined();
      }
      expectPredictionsSound(result);
    });

    it('observes the locks each statement takes inside its transaction', async () => {
      const result = await rehearsedWithCrashPoints('plans/rename-user-name.yaml');
      const step = (id: string) => result.steps.find((s) => s.step === id)!;
      expect(step('add-full-name').locks).toContainEqual({ mode: 'AccessExclusiveLock', relation: 'public.users' });
      expect(step('sync-trigger').locks).toContainEqual({ mode: 'ShareRowExclusiveLock', relation: 'public.users' });
      expect(step('add-full-name').rewritten).toEqual([]);
    });

    it('sees a table rewrite (the relation gets new storage)', async () => {
      const { compileFiles } = await import('./helpers.js');
      const plan = `migc: 1
id: rewrite
title: Rewrite
type: schema
risk: high
engine: postgresql
tables:
  t: { rows: 50 }
baseline:
  sql: CREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL);
fixtures:
  t: { rows: 50 }
phases:
  - name: expand
    kind: expand
    steps:
      - id: widen
        sql: ALTER TABLE t ALTER COLUMN n TYPE bigint;
        rollback:
          sql: ALTER TABLE t ALTER COLUMN n TYPE integer;
`;
      const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
      const p = r.plans[0]!;
      const result = await rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
      expect(result.ok).toBe(true);
      expect(result.steps[0]!.rewritten).toEqual(['public.t']);
    });

    it('sees the ACCESS EXCLUSIVE lock DROP TABLE holds on the table it drops, beside the one on the table its foreign key references', async () => {
      const { compileFiles } = await import('./helpers.js');
      const plan = `migc: 1
id: drop-archive
title: Drop a table
type: schema
risk: high
engine: postgresql@15
tables:
  customers: { rows: 20 }
  orders_archive: { rows: 20 }
baseline:
  sql: |
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders_archive (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, note text);
    CREATE INDEX orders_archive_note_idx ON orders_archive (note);
pre_migration:
  backup:
    command: pg_dump -Fc -t orders_archive -f archive.dump "$DATABASE_URL"
phases:
  - name: copy
    kind: migrate
    steps:
      - id: copy-notes
        sql: CREATE TABLE archive_notes AS SELECT id, note FROM orders_archive;
        rollback:
          sql: DROP TABLE archive_notes;
        verify:
          - sql: SELECT count(*) FROM orders_archive o WHERE NOT EXISTS (SELECT FROM archive_notes a WHERE a.id = o.id)
            expect: 0
  - name: contract
    kind: contract
    gate:
      verified: [copy-notes]
    steps:
      - id: drop-archive
        sql: DROP TABLE orders_archive;
        rollback:
          irreversible: true
          data_loss: true
          restore: from the nightly dump
`;
      const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
      const p = r.plans[0]!;
      const result = await rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const step = result.steps.find((s) => s.step === 'drop-archive')!;
      // Its catalog row is gone when the lock is read: the table is named as it was before the statement.
      expect(step.locks).toEqual([
        { mode: 'AccessExclusiveLock', relation: 'public.customers' },
        { mode: 'AccessExclusiveLock', relation: 'public.orders_archive' },
      ]);
      expect(step).toMatchObject({ up: 'ok', prediction: 'agrees' });
    });

    it('judges a step\'s DO block by the statements written in it: the locks they take agree, without MG064', async () => {
      const { compileFiles } = await import('./helpers.js');
      const plan = `migc: 1
id: do-locks
title: DO block locks
type: schema
risk: low
engine: postgresql@15
tables:
  customers: { rows: 20 }
  orders: { rows: 20 }
baseline:
  sql: |
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
    CREATE INDEX orders_customer_idx ON orders (customer_id);
phases:
  - name: expand
    kind: expand
    steps:
      - id: fk
        sql: |
          DO $$ BEGIN
            ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
          EXCEPTION WHEN duplicate_object THEN NULL;
          END $$;
        rollback:
          sql: ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_customer_fk;
      - id: note
        sql: |
          DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note') THEN
              ALTER TABLE orders ADD COLUMN note text;
            END IF;
          END $$;
        rollback:
          sql: ALTER TABLE orders DROP COLUMN IF EXISTS note;
      - id: executed
        sql: DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN extra text', 'orders'); END $$;
        rollback:
          sql: ALTER TABLE orders DROP COLUMN IF EXISTS extra;
      - id: dynamic
        sql: DO $$ BEGIN EXECUTE 'ALTER TABLE orders ADD COLUMN ' || (SELECT 'more') || ' text'; END $$;
        rollback:
          sql: ALTER TABLE orders DROP COLUMN IF EXISTS more;
`;
      const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
      const p = r.plans[0]!;
      const result = await rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
      expect(result.diagnostics.filter((d) => d.code === 'MG064')).toEqual([]);
      const step = (id: string) => result.steps.find((s) => s.step === id)!;
      expect(step('fk')).toMatchObject({ up: 'ok', down: 'ok', prediction: 'agrees', predicted: ['ShareRowExclusiveLock public.customers', 'ShareRowExclusiveLock public.orders'] });
      // In an IF branch: the lock may be taken, and it is.
      expect(step('note')).toMatchObject({ up: 'ok', prediction: 'agrees' });
      expect(step('note').locks).toContainEqual({ mode: 'AccessExclusiveLock', relation: 'public.orders' });
      // SQL an EXECUTE runs, known at lint time: predicted as if written out, and it agrees.
      expect(step('executed')).toMatchObject({ up: 'ok', prediction: 'agrees' });
      expect(step('executed').locks).toContainEqual({ mode: 'AccessExclusiveLock', relation: 'public.orders' });
      // SQL built at run time from a query: nothing to compare.
      expect(step('dynamic')).toMatchObject({ up: 'ok', prediction: 'not judged' });
    });

    it('predicts the locks of what PostgreSQL runs of a statement with IF [NOT] EXISTS, as the database is when it runs, without MG064', async () => {
      const { compileFiles } = await import('./helpers.js');
      const plan = `migc: 1
id: skip-locks
title: Statements PostgreSQL skips
type: schema
risk: high
engine: postgresql@15
tables:
  customers: { rows: 20 }
  orders: { rows: 20 }
baseline:
  sql: |
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
    CREATE INDEX orders_other_idx ON orders (id);
    CREATE SCHEMA app;
    CREATE TABLE app.items (id bigint PRIMARY KEY);
phases:
  - name: expand
    kind: expand
    steps:
      - id: table-there
        sql: CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
        rollback:
          nothing_to_undo: orders is there, so PostgreSQL skips it
      - id: table-in-block
        sql: DO $$ BEGIN CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY REFERENCES customers); END $$;
        rollback:
          nothing_to_undo: app.items is there, so PostgreSQL skips it
      - id: table-not-on-path
        sql: CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY REFERENCES customers);
        rollback:
          sql: DROP TABLE items;
      - id: index-name-taken
        sql: CREATE INDEX IF NOT EXISTS orders_other_idx ON orders (customer_id);
        rollback:
          nothing_to_undo: the name is taken, so PostgreSQL skips it
      - id: column-there
        sql: ALTER TABLE orders ADD COLUMN IF NOT EXISTS customer_id bigint REFERENCES customers;
        rollback:
          nothing_to_undo: the column is there, so PostgreSQL skips it
      - id: table-gone
        sql: ALTER TABLE IF EXISTS archive ADD CONSTRAINT archive_fk FOREIGN KEY (id) REFERENCES customers NOT VALID;
        rollback:
          nothing_to_undo: archive is not there, so PostgreSQL skips it
      - id: made-before
        sql: |
          CREATE TABLE notes (id bigint PRIMARY KEY);
          CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
        rollback:
          sql: DROP TABLE notes;
      - id: added-before
        sql: |
          ALTER TABLE orders ADD COLUMN extra bigint;
          ALTER TABLE orders ADD COLUMN IF NOT EXISTS extra bigint REFERENCES customers;
        rollback:
          sql: ALTER TABLE orders DROP COLUMN extra;
`;
      const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
      const p = r.plans[0]!;
      const result = await rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
      expect(result.diagnostics.filter((d) => d.code === 'MG064')).toEqual([]);
      expect(result.ok).toBe(true);
      // Each run's prediction (the rehearsal's own, made as the database is before the statement) and what it took.
      const carried = (text: string) => {
        const parsed = parseSql(text);
        return parsed.ok ? runStatements(parsed.statements[0]!.ast)?.join('; ') : text;
      };
      const ups = result.phases[0]!.up.runs.filter((x) => x.source?.kind === 'step' && x.predicted);
      const seen = Object.fromEntries(ups.map((x) => [x.source!.stepId, {
        predicted: x.predicted!.map((l) => `${l.mode} ${l.table}`),
        took: x.locks!.map((l) => `${l.mode} ${l.relation}`),
      }]));
      expect(Object.keys(seen).length, JSON.stringify(ups.map((x) => carried(x.text)))).toBe(8);
      // Skipped whole: CREATE TABLE takes no lock, not even on the table it references.
      expect(seen['table-there']).toEqual({ predicted: [], took: [] });
      expect(seen['table-in-block']).toEqual({ predicted: [], took: [] });
      // app is not on the search_path: items is created, and its foreign key locks customers.
      expect(seen['table-not-on-path']!.predicted).toEqual(['AccessExclusiveLock items', 'ShareRowExclusiveLock customers']);
      expect(seen['table-not-on-path']!.took).toContain('ShareRowExclusiveLock public.customers');
      // CREATE INDEX takes its SHARE lock before it finds the name taken.
      expect(seen['index-name-taken']).toEqual({ predicted: ['ShareLock orders'], took: ['ShareLock public.orders'] });
      // ALTER TABLE locks the table, not the one the skipped column would reference.
      expect(seen['column-there']).toEqual({ predicted: ['AccessExclusiveLock orders'], took: ['AccessExclusiveLock public.orders'] });
      expect(seen['table-gone']).toEqual({ predicted: [], took: [] });
      // What the step's statement before did: notes is there, extra is there.
      expect(seen['made-before']!.predicted).toEqual(['AccessExclusiveLock notes']);
      expect(seen['added-before']!.predicted).toEqual(['AccessExclusiveLock orders', 'AccessExclusiveLock orders']);
      expect(seen['added-before']!.took).toEqual(['AccessExclusiveLock public.orders']);
    });

    it('predicts and sees the locks a foreign key spreads to the other table, both ways, without MG064', async () => {
      const { compileFiles } = await import('./helpers.js');
      const plan = `migc: 1
id: fk-locks
title: Foreign key locks
type: schema
risk: high
engine: postgresql@15
tables:
  customers: { rows: 20 }
  orders: { rows: 20 }
baseline:
  sql: |
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
    CREATE TABLE notes (id bigint PRIMARY KEY, order_id bigint);
fixtures:
  customers: { rows: 20 }
phases:
  - name: contract
    kind: contract
    steps:
      - id: drop-fk
        sql: ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
        rollback:
          sql: ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers;
      - id: link-notes
        sql: ALTER TABLE notes ADD CONSTRAINT notes_order_fk FOREIGN KEY (order_id) REFERENCES orders NOT VALID;
        rollback:
          sql: ALTER TABLE notes DROP CONSTRAINT notes_order_fk;
`;
      const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
      const p = r.plans[0]!;
      const result = await rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
      expect(result.diagnostics).toEqual([]);
      const step = (id: string) => result.steps.find((s) => s.step === id)!;
      expect(step('drop-fk')).toMatchObject({ up: 'ok', down: 'ok', prediction: 'agrees', predicted: ['AccessExclusiveLock public.customers', 'AccessExclusiveLock public.orders'] });
      expect(step('drop-fk').locks).toContainEqual({ mode: 'AccessExclusiveLock', relation: 'public.customers' });
      expect(step('link-notes')).toMatchObject({ prediction: 'agrees', predicted: ['ShareRowExclusiveLock public.notes', 'ShareRowExclusiveLock public.orders'] });
      // The rollbacks' statements are judged against pg_locks too: dropping notes_order_fk takes ACCESS EXCLUSIVE on orders.
      const downs = result.phases[0]!.down.runs.filter((x) => x.predicted?.length);
      // Each runs inside a CALL migc_run, judged by the plan statement it carries.
      const carried = (text: string) => {
        const parsed = parseSql(text);
        return parsed.ok ? runStatements(parsed.statements[0]!.ast)?.join('; ') : text;
      };
      expect(downs.map((x) => [carried(x.text), x.predicted!.map((l) => `${l.mode} ${l.table}`), x.disagreement ?? null])).toEqual([
        ['ALTER TABLE notes DROP CONSTRAINT notes_order_fk', ['AccessExclusiveLock notes', 'AccessExclusiveLock public.orders'], null],
        ['ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers', ['ShareRowExclusiveLock orders', 'ShareRowExclusiveLock customers'], null],
      ]);
    });

    it.each([
      // At the step whose SQL names what its rollback left, not at the phase.
      ['test/fixtures/verify/rollback-forgets-index.yaml', ['20 MG061', '20 MG060'], /left behind index public\.users_name_idx .*\(step "add-nickname" names it; its rollback does not undo it\)$/],
      ['test/fixtures/verify/verification-fails.yaml', ['20 MG060'], /verification 1 of step "mark-verified" failed: expected = 0, got \d+/],
      ['test/fixtures/verify/plan-verification-fails.yaml', ['17 MG060'], /plan-wide verification 1 failed: expected = 0, got \d+/],
      ['test/fixtures/verify/not-null-with-nulls.yaml', ['20 MG060'], /column "verification_date" of relation "users" contains null values/],
      ['test/fixtures/verify/rollback-loses-data.yaml', ['17 MG062'], /changes public\.users\.name, but no step of it declares data loss/],
      // A change of one object is said as one: the constraint is there on both sides, validated after.
      ['test/fixtures/verify/rollback-leaves-validated.yaml', ['32 MG061'], /^rolling back phase "validate" does not restore the schema: constraint public\.users\.users_status_check was NOT VALID before and is valid after the rollback \(step "validate-status" names it; its rollback does not undo it\)$/],
      // The last phase's leftovers are its own: the phases before it are judged on the rest.
      ['test/fixtures/verify/contract-rollback-leftovers.yaml', ['40 MG061'], /^rolling back phase "contract" does not restore the schema: left behind index public\.users_name_idx/],
    ])('catches %s', async (file, expected, message) => {
      const result = await rehearse(engine, file);
      expect(result.ok).toBe(false);
      expect(where(result)).toEqual(expected);
      expect(result.diagnostics[0]!.message).toMatch(message);
    });
  });
}

engineSuite('on PGlite', pgliteEngine);

describe.skipIf(!serverUrl)('on a real PostgreSQL server (skipped when MIGC_TEST_DATABASE_URL is not set; .ci/run starts a server and sets it)', () => {
  // The databases this suite rehearsed in (other test files may rehearse on the server meanwhile).
  const created: string[] = [];
  engineSuite('rehearsals', async () => {
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    expect(outcome.engine.confinement.kind).toBe('restricted role');
    const engine = outcome.engine;
    return {
      ...engine,
      open: async () => {
        const db = await engine.open();
        created.push((await db.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name);
        return db;
      },
    };
  });

  it('leaves no database or role behind on the server, and touches no other database', async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      expect(created.length).toBeGreaterThan(10);
      const leftovers = await client.query('SELECT datname FROM pg_database WHERE datname = ANY ($1) UNION ALL SELECT rolname FROM pg_roles WHERE rolname = ANY ($1)', [created]);
      expect(leftovers.rows).toEqual([]);
      const tables = await client.query("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'");
      expect(tables.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

if (!serverUrl && process.env.CI === 'true') {
  it('has a PostgreSQL server to rehearse on in CI', () => {
    expect(serverUrl, 'CI=true but MIGC_TEST_DATABASE_URL is not set: .ci/run must start a server').toBeDefined();
  });
}
