import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { dataSnapshot, schemaSnapshot } from '../src/verify/snapshot.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * The scripts of test/fixtures/crash/failure-points.yaml run with the real psql on PostgreSQL 15,
 * made to fail part-way the way production makes them fail: a lock held by another session past
 * lock_timeout, a CONCURRENTLY build that times out and leaves an INVALID index, a batch loop
 * interrupted, a check that finds bad data. After each failure, the down script must leave the
 * schema and data as they were before the phase, and the up script run again (once the cause is
 * gone) must reach what a clean run reaches.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;
const plan = 'test/fixtures/crash/failure-points.yaml';
const phases = ['01-expand', '02-backfill', '03-contract'] as const;
type PhaseName = (typeof phases)[number];

describe.skipIf(!serverUrl)('scripts after a failure at any point, with psql on PostgreSQL (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
  const tag = `migc_fail_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  const created: string[] = [];
  let dir = '';
  const clean = new Map<string, Snapshot>();

  const urlOf = (db: string) => {
    const u = new URL(serverUrl!);
    u.pathname = `/${db}`;
    return u.toString();
  };

  /** psql as the scripts say to run them (not blocking: another session may act meanwhile). */
  const psql = (db: string, args: string[]) => new Promise<{ status: number | null; out: string }>((resolve) => {
    execFile('psql', ['-X', '-v', 'ON_ERROR_STOP=1', ...args, urlOf(db)], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: `${stdout}${stderr}` });
    });
  });

  /**
   * Runs a script as the on-call engineer would: where it stops for a step done by hand (or a
   * gate), the INSERT its hint gives is run, and the script run again. Returns every run's output.
   */
  const runScript = async (db: string, file: string) => {
    let out = '';
    for (let i = 0; i < 10; i++) {
      const r = await psql(db, ['-f', join(dir, file)]);
      out += r.out;
      const hint = /HINT: {2}When it is done, record it, then run this script again \(what is done is skipped\): (INSERT INTO public\.migc_ledger .*;)$/m.exec(r.out);
      if (r.status === 0 || !r.out.includes('ERROR:  migc: stop:') || !hint) return { status: r.status, out };
      await withClient(db, (c) => c.query(hint[1]!));
    }
    throw new Error(`${file} kept stopping:\n${out}`);
  };
  const up = (db: string, phase: PhaseName) => runScript(db, `${phase}.up.sql`);
  const down = (db: string, phase: PhaseName) => runScript(db, `${phase}.down.sql`);

  async function withClient<T>(db: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: urlOf(db) });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  }

  type Snapshot = { schema: readonly string[]; data: Record<string, unknown> };
  const snapshot = (db: string): Promise<Snapshot> => withClient(db, async (c) => {
    const session = { exec: (sql: string) => c.query(sql), query: async <T,>(sql: string) => ({ rows: (await c.query(sql)).rows as T[] }) };
    const data = await dataSnapshot(session);
    return { schema: await schemaSnapshot(session), data: Object.fromEntries([...data].map(([t, v]) => [t, { rows: v.rows, columns: Object.fromEntries(v.columns) }])) };
  });

  /** A fresh database with the baseline and its rows, copied from a template made once. */
  const fresh = async (): Promise<string> => {
    const name = `${tag}_${created.length}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${tag}_template`);
    created.push(name);
    return name;
  };

  /** Another session holding a lock (or an open write) until released. */
  const holding = async (db: string, sql: string, begin = 'BEGIN') => {
    const c = new pg.Client({ connectionString: urlOf(db) });
    await c.connect();
    await c.query(begin);
    await c.query(sql);
    return { release: async () => { await c.query('ROLLBACK'); await c.end(); } };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migc-fail-'));
    const compiled = await compile({ files: [plan], templates: builtinTemplates() }, nodeHost(root));
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const o of compiled.plans[0]!.outputs.filter((x) => x.path.endsWith('.sql'))) writeFileSync(join(dir, o.path.split('/')[1]!), o.contents);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${tag}_template`);
    created.push(`${tag}_template`);
    expect((await psql(`${tag}_template`, ['-q', '-f', join(root, 'test/fixtures/crash/failure-points.baseline.sql')])).status).toBe(0);
    await withClient(`${tag}_template`, async (c) => {
      await c.query("INSERT INTO users (email, name) SELECT 'User' || g || '@Example.com', 'user ' || g FROM generate_series(1, 350) g");
      await c.query('INSERT INTO accounts (user_id) SELECT g FROM generate_series(1, 20) g');
    });
    // The clean run: what every phase must reach.
    const db = await fresh();
    clean.set('before', await snapshot(db));
    for (const phase of phases) {
      const r = await up(db, phase);
      expect(r.status, r.out).toBe(0);
      clean.set(phase, await snapshot(db));
    }
  });

  afterAll(async () => {
    for (const name of created.reverse()) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('retries a step on lock_timeout with a notice, and goes on once the lock is free', async () => {
    const db = await fresh();
    const lock = await holding(db, 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    // The lock is let go once the first try has given up (a waiter seen, then gone): the retry gets it.
    const waiting = () => withClient(db, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'accounts'::regclass")).rows[0].n > 0);
    const releaser = (async () => {
      let seen = false;
      for (let i = 0; i < 600; i++) {
        const now = await waiting();
        if (seen && !now) break;
        seen ||= now;
        await new Promise((r) => setTimeout(r, 20));
      }
      await lock.release();
    })();
    const r = await up(db, '01-expand');
    await releaser;
    expect(r.out).toMatch(/NOTICE: {2}migc: step "add-account-tier" \(up 1\) hit lock_timeout \(canceling statement due to lock timeout\); try 2 of 2 in [0-9.]+ s/);
    expect(r.status, r.out).toBe(0);
    expect(await snapshot(db)).toEqual(clean.get('01-expand'));
  });

  it('after a lock timeout at the last step of a phase: down restores the phase\'s start; up again finishes it', async () => {
    for (const after of ['down', 'up again'] as const) {
      const db = await fresh();
      const lock = await holding(db, 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
      const failed = await up(db, '01-expand');
      expect(failed.status).toBe(3);
      expect(failed.out).toContain('ERROR:  migc: step "add-account-tier" (up 1) found no lock after 2 tries: canceling statement due to lock timeout');
      await lock.release();
      if (after === 'down') {
        // The manual step's undo stops the down script (it ran); the answer is recorded and it goes on.
        const r = await down(db, '01-expand');
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain('step "add-account-tier" did not run: nothing to undo');
        expect(r.out).toContain('ERROR:  migc: stop: undo step "check-index"');
        expect(await snapshot(db)).toEqual(clean.get('before'));
      } else {
        const r = await up(db, '01-expand');
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain('step "add-email-lower" (up 1) is done already: skipped');
        expect(await snapshot(db)).toEqual(clean.get('01-expand'));
      }
    }
  });

  it('after a CONCURRENTLY build dies on a busy table and leaves an INVALID index: down removes it; up again drops and rebuilds it', async () => {
    for (const after of ['down', 'up again'] as const) {
      const db = await fresh();
      // A long report holds its snapshot: CREATE INDEX CONCURRENTLY builds the index, then waits
      // for that snapshot to end before marking it valid, and times out.
      const writer = await holding(db, 'SELECT count(*) FROM accounts', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
      const failed = await up(db, '01-expand');
      expect(failed.status).toBe(3);
      expect(failed.out).toMatch(/NOTICE: {2}migc: CREATE INDEX CONCURRENTLY runs outside a transaction[^\n]*run this script again/);
      expect(failed.out).toContain('ERROR:  canceling statement due to lock timeout');
      const valid = await withClient(db, async (c) => (await c.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_lower_idx'::regclass")).rows);
      expect(valid).toEqual([{ indisvalid: false }]);
      await writer.release();
      if (after === 'down') {
        const r = await down(db, '01-expand');
        expect(r.status, r.out).toBe(0);
        expect(await snapshot(db)).toEqual(clean.get('before'));
      } else {
        const r = await up(db, '01-expand');
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain('NOTICE:  migc: dropping the INVALID index users_email_lower_idx left by a build that failed, before building it again');
        expect(await snapshot(db)).toEqual(clean.get('01-expand'));
      }
    }
  });

  it('after a batch loop is interrupted: down restores the rows; up again goes on after the last batch done', async () => {
    for (const after of ['down', 'up again'] as const) {
      const db = await fresh();
      expect((await up(db, '01-expand')).status).toBe(0);
      const before = await snapshot(db);
      // The third batch's UPDATE fails, as a killed session or a Ctrl-C would stop it.
      await withClient(db, (c) => c.query(`CREATE SEQUENCE crash_batches;
        CREATE FUNCTION crash_third_batch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('crash_batches') = 3 THEN RAISE EXCEPTION 'injected: the session died'; END IF; RETURN NULL; END $$;
        CREATE TRIGGER crash_third_batch AFTER UPDATE ON users FOR EACH STATEMENT EXECUTE FUNCTION crash_third_batch();`));
      const failed = await up(db, '02-backfill');
      expect(failed.status).toBe(3);
      expect(failed.out).toMatch(/migc: fill-email-lower: batch 1: 100 rows changed \(100 in all\), \d+ rows\/s, [^\n]*, id up to 100/);
      expect(failed.out).toMatch(/migc: fill-email-lower: batch 2: 100 rows changed \(200 in all\), \d+ rows\/s, [^\n]*, id up to 200/);
      expect(failed.out).toContain('injected: the session died');
      await withClient(db, (c) => c.query('DROP TRIGGER crash_third_batch ON users; DROP FUNCTION crash_third_batch(); DROP SEQUENCE crash_batches;'));
      const done = await withClient(db, async (c) => (await c.query("SELECT count(*)::int AS n FROM users WHERE email_lower IS NOT NULL")).rows[0].n);
      expect(done).toBe(200);
      if (after === 'down') {
        const r = await down(db, '02-backfill');
        expect(r.status, r.out).toBe(0);
        expect(await snapshot(db)).toEqual(before);
      } else {
        const r = await up(db, '02-backfill');
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain('NOTICE:  migc: fill-email-lower: going on after id = 200, where an earlier run stopped');
        expect(r.out).toMatch(/migc: fill-email-lower: done: 150 rows changed in 2 batches/);
        expect(await snapshot(db)).toEqual(clean.get('02-backfill'));
      }
    }
  });

  it('after a batched step\'s check fails on bad data: the batches stay, and down restores the phase\'s start', async () => {
    const db = await fresh();
    expect((await up(db, '01-expand')).status).toBe(0);
    const before = await snapshot(db);
    // An application bug writes a wrong value while the backfill runs.
    await withClient(db, (c) => c.query(`CREATE FUNCTION garble() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = 5 THEN NEW.email_lower := 'garbled'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER garble BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION garble();`));
    const failed = await up(db, '02-backfill');
    expect(failed.status).toBe(3);
    expect(failed.out).toContain('migc: verification 1 of step "fill-email-lower" failed: expected = 0, got 1');
    await withClient(db, (c) => c.query('DROP TRIGGER garble ON users; DROP FUNCTION garble();'));
    const r = await down(db, '02-backfill');
    expect(r.status, r.out).toBe(0);
    expect(await snapshot(db)).toEqual(before);
  });

  it('after a contract phase\'s first step hits a lock timeout: down goes through, as nothing irreversible ran', async () => {
    const db = await fresh();
    for (const phase of ['01-expand', '02-backfill'] as const) expect((await up(db, phase)).status).toBe(0);
    const before = await snapshot(db);
    const lock = await holding(db, 'LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE');
    const failed = await up(db, '03-contract');
    expect(failed.status).toBe(3);
    expect(failed.out).toContain('ERROR:  migc: step "validate-lower" (up 1) found no lock after 2 tries');
    await lock.release();
    const r = await down(db, '03-contract');
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toMatch(/ERROR/);
    expect(r.out).toContain('NOTICE:  migc: step "drop-name" is irreversible, but it did not run: going on');
    expect(await snapshot(db)).toEqual(before);
    // Once the irreversible step ran, the down script stops there, as declared.
    expect((await up(db, '03-contract')).status).toBe(0);
    const stopped = await down(db, '03-contract');
    expect(stopped.status).toBe(3);
    expect(stopped.out).toContain('ERROR:  migc: step "drop-name" is irreversible; restore: Restore users.name from users.dump.');
  });

  it('after an irreversible step ran: once its data is restored and recorded as the hint says, the down goes on, and so do the earlier phases', async () => {
    const db = await fresh();
    for (const phase of ['01-expand', '02-backfill'] as const) expect((await up(db, phase)).status).toBe(0);
    const before = await snapshot(db);
    // The operator's own copy of what drop-name loses (the plan's users.dump, in miniature).
    await withClient(db, (c) => c.query('CREATE TABLE name_copy AS SELECT id, name FROM users'));
    expect((await up(db, '03-contract')).status).toBe(0);
    const stopped = await psql(db, ['-f', join(dir, '03-contract.down.sql')]);
    expect(stopped.status).toBe(3);
    const hint = /HINT: {2}The steps before it in this phase are not undone yet\. Once its data is restored by hand \(or its loss accepted\), record that, then run this script again to go on with the steps before it: (INSERT INTO public\.migc_ledger .*;)$/m.exec(stopped.out);
    expect(hint, stopped.out).not.toBeNull();
    // Run again without recording it: the script stops at the same place, changing nothing more.
    expect((await psql(db, ['-f', join(dir, '03-contract.down.sql')])).status).toBe(3);
    await withClient(db, async (c) => {
      await c.query('ALTER TABLE users ADD COLUMN name text');
      await c.query('UPDATE users u SET name = n.name FROM name_copy n WHERE n.id = u.id');
      await c.query('DROP TABLE name_copy');
      await c.query(hint![1]!);
    });
    const r = await down(db, '03-contract');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('NOTICE:  migc: step "drop-name" is irreversible; its restore is recorded as done: going on');
    expect(await snapshot(db)).toEqual(before); // validate-lower, before it, was undone too
    for (const phase of ['02-backfill', '01-expand'] as const) {
      const d = await down(db, phase);
      expect(d.status, d.out).toBe(0);
    }
    expect(await snapshot(db)).toEqual(clean.get('before'));
  });

  it('refuses to undo a phase under a later one that is not rolled back, changing nothing; latest first goes through', async () => {
    const db = await fresh();
    for (const phase of ['01-expand', '02-backfill'] as const) expect((await up(db, phase)).status).toBe(0);
    const applied = await snapshot(db);
    const early = await psql(db, ['-f', join(dir, '01-expand.down.sql')]);
    expect(early.status).not.toBe(0);
    expect(early.out).toContain('ERROR:  migc: phase backfill of plan failure-points is not rolled back; it comes after phase expand, so it is undone first');
    expect(early.out).toContain('HINT:  Roll back the later phases first, latest first: 03-contract.down.sql, then 02-backfill.down.sql; then run this script again. Nothing was changed. A later phase whose down stops at an irreversible step goes on once its data is restored and recorded, as that error\'s hint says.');
    expect(await snapshot(db)).toEqual(applied);
    for (const phase of ['02-backfill', '01-expand'] as const) expect((await down(db, phase)).status).toBe(0);
    expect(await snapshot(db)).toEqual(clean.get('before'));
  });

  it('refuses to run a phase before an earlier one finished, changing nothing but the ledger; in order it goes through', async () => {
    const db = await fresh();
    // The ledger the refused script created is migc's; the plan's tables and rows are what must not change.
    const planPart = (x: Snapshot) => ({ schema: x.schema.filter((l) => !l.includes('migc_')), data: Object.fromEntries(Object.entries(x.data).filter(([t]) => !t.includes('migc_'))) });
    const first = await psql(db, ['-f', join(dir, '03-contract.up.sql')]);
    expect(first.status).not.toBe(0);
    expect(first.out).toContain('ERROR:  migc: phase expand of plan failure-points has not finished; it comes before phase contract, so it runs to its end first');
    expect(first.out).toContain("HINT:  Run the earlier phases first, in order, each to its end: 01-expand.up.sql, then 02-backfill.up.sql; then run this script again. Nothing was changed. If phase expand was applied another way, record it: INSERT INTO public.migc_ledger (plan_id, phase, step, part, done) VALUES ('failure-points', 'expand', '', 'phase done', true);");
    expect(planPart(await snapshot(db))).toEqual(planPart(clean.get('before')!));
    expect((await up(db, '01-expand')).status).toBe(0);
    const expanded = await snapshot(db);
    const second = await psql(db, ['-f', join(dir, '03-contract.up.sql')]);
    expect(second.out).toContain('ERROR:  migc: phase backfill of plan failure-points has not finished');
    expect(await snapshot(db)).toEqual(expanded);
    for (const phase of ['02-backfill', '03-contract'] as const) expect((await up(db, phase)).status).toBe(0);
    expect(await snapshot(db)).toEqual(clean.get('03-contract'));
  });

  it('leaves nothing of migc\'s once every phase is rolled back', async () => {
    const db = await fresh();
    for (const phase of ['01-expand', '02-backfill'] as const) expect((await up(db, phase)).status).toBe(0);
    for (const phase of ['02-backfill', '01-expand'] as const) expect((await down(db, phase)).status).toBe(0);
    expect(await snapshot(db)).toEqual(clean.get('before'));
    const left = await withClient(db, async (c) => (await c.query("SELECT relname AS name FROM pg_class WHERE relname LIKE 'migc%' UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'migc%'")).rows);
    expect(left).toEqual([]);
  });
});
