import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brief, compileFiles, minimalPlan } from './helpers.js';

/**
 * statement_timeout in the scripts, with the real psql on PostgreSQL 15: statements that block
 * nobody (a CONCURRENTLY index build, VALIDATE CONSTRAINT) run past the plan's statement_timeout
 * and complete; a rewrite under ACCESS EXCLUSIVE is still cancelled by it. slow() sleeps 10 ms a
 * row, so each statement over the 150 rows takes well over the plan's 1s.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

const baseline = `CREATE FUNCTION slow(n bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.01); RETURN n; END $$;
CREATE TABLE big (id bigint PRIMARY KEY, n bigint NOT NULL);
INSERT INTO big SELECT g, g FROM generate_series(1, 150) g;
CREATE TABLE big2 (id bigint PRIMARY KEY, n bigint NOT NULL);
INSERT INTO big2 SELECT g, g FROM generate_series(1, 150) g;
`;

const plan = `migc: 1
id: slow-but-harmless
title: Long statements that block nobody, and one that does
type: schema
risk: medium
engine: postgresql@15
tables:
  big: { rows: 150 }
  big2: { rows: 150 }
baseline:
  file: slow.baseline.sql
settings:
  statement_timeout: 1s
  lock_timeout: 500ms
  lock_retries: 0
pre_migration:
  backup:
    command: pg_dump -Fc -t big -f big.dump "$DATABASE_URL"
phases:
  - name: expand
    kind: expand
    steps:
      - id: index-slow
        sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS big_slow_idx ON big (slow(n));
        rollback:
          sql: DROP INDEX CONCURRENTLY IF EXISTS big_slow_idx;
      - id: add-check
        sql: ALTER TABLE big ADD CONSTRAINT big_slow_check CHECK (slow(n) > 0) NOT VALID;
        rollback:
          sql: ALTER TABLE big DROP CONSTRAINT big_slow_check;
      - id: validate-check
        sql: ALTER TABLE big VALIDATE CONSTRAINT big_slow_check;
        rollback:
          sql: ALTER TABLE big DROP CONSTRAINT big_slow_check, ADD CONSTRAINT big_slow_check CHECK (slow(n) > 0) NOT VALID;
        verify:
          - sql: SELECT count(*) FROM pg_constraint WHERE conname = 'big_slow_check' AND convalidated
            expect: 1
  - name: migrate
    kind: migrate
    steps:
      - id: rewrite
        sql: ALTER TABLE big2 ALTER COLUMN n TYPE numeric USING slow(n);
        rollback:
          sql: ALTER TABLE big2 ALTER COLUMN n TYPE bigint;
        verify:
          - sql: SELECT count(*) FROM information_schema.columns WHERE table_name = 'big2' AND column_name = 'n' AND data_type = 'numeric'
            expect: 1
`;

describe('which statements run without statement_timeout', () => {
  const baselineSql = 'CREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL, note text);\nCREATE INDEX t_n_idx ON t (n);\nALTER TABLE t ADD CONSTRAINT t_n_check CHECK (n > 0) NOT VALID;\nCREATE TABLE pt (k integer) PARTITION BY RANGE (k);\nCREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10);';
  /** The up script's block for a step of the given SQL (one step, in a plan of its own). */
  const blockOf = async (sql: string) => {
    // Small: the hazards of a blocking statement are notes, and the script is written.
    const plan = minimalPlan
      .replace('phases:', () => `tables:\n  t: { rows: 100 }\nbaseline:\n  sql: |\n${baselineSql.split('\n').map((l) => `    ${l}`).join('\n')}\nphases:`)
      .replace('sql: ALTER TABLE t ADD COLUMN c integer;', () => `sql: |\n${sql.split('\n').map((l) => `          ${l}`).join('\n')}`)
      .replace(/rollback:\n\s+sql: ALTER TABLE t DROP COLUMN c;/, 'rollback:\n          manual: nothing to undo');
    const result = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
    expect(brief(result).filter((d) => d.includes(' error '))).toEqual([]);
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    return up.slice(up.indexOf('-- Step add-column'));
  };
  const lifted = (block: string) => (block.match(/^SET statement_timeout = 0;$/gm) ?? []).length;

  it.each([
    ['CREATE INDEX CONCURRENTLY IF NOT EXISTS t_note_idx ON t (note);', 1],
    ['DROP INDEX CONCURRENTLY IF EXISTS t_n_idx;', 1],
    ['REINDEX TABLE CONCURRENTLY t;', 1],
    ['VACUUM (ANALYZE) t;', 1],
    ['ALTER TABLE t VALIDATE CONSTRAINT t_n_check;', 1],
    // It waits for the parent's queries holding no table lock; without CONCURRENTLY it blocks them.
    ['ALTER TABLE pt DETACH PARTITION pt1 CONCURRENTLY;', 1],
    ['ALTER TABLE pt DETACH PARTITION pt1;', 0],
    ['ALTER TABLE t VALIDATE CONSTRAINT t_n_check;\nANALYZE t;', 1],
    // Each its own unit: a statement outside a transaction, then one inside.
    ['CREATE INDEX CONCURRENTLY IF NOT EXISTS t_note_idx ON t (note);\nALTER TABLE t VALIDATE CONSTRAINT t_n_check;', 2],
    // A transaction is one CALL: one statement that blocks writers keeps the timeout for all.
    ['ALTER TABLE t VALIDATE CONSTRAINT t_n_check;\nALTER TABLE t ADD COLUMN c integer;', 0],
    ['CREATE INDEX t_note_idx ON t (note);', 0],
    ['ALTER TABLE t ALTER COLUMN n TYPE bigint;', 0],
    // Row locks block the writers of those rows until the commit.
    ['UPDATE t SET note = \'x\' WHERE id < 100;', 0],
    // No lock predicted: migc cannot tell it blocks nobody.
    ['SELECT pg_sleep(1);', 0],
    ['DO $$ BEGIN PERFORM 1; END $$;', 0],
  ])('%s: lifted %i time(s)', async (sql, times) => {
    const block = await blockOf(sql);
    expect(lifted(block)).toBe(times);
    expect((block.match(/^-- statement_timeout is lifted for /gm) ?? []).length).toBe(times);
    expect((block.match(/^SET statement_timeout = '15min';$/gm) ?? []).length).toBe(times);
  });

  it('says once, for each of them, that alike statements run without it: not the same comment line twice', async () => {
    const block = await blockOf('CREATE INDEX CONCURRENTLY IF NOT EXISTS t_note_idx ON t (note);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id_note_idx ON t (id, note);\nALTER TABLE t VALIDATE CONSTRAINT t_n_check;');
    expect(lifted(block)).toBe(3);
    const notes = block.match(/^-- statement_timeout is lifted for .*$/gm) ?? [];
    expect(notes).toEqual([
      '-- statement_timeout is lifted for each of these 2 CREATE INDEX CONCURRENTLY statements only: each holds SHARE UPDATE EXCLUSIVE on t, which blocks neither reads nor writes, so it may run as long as it needs; lock_timeout still bounds its waits for locks.',
      '-- statement_timeout is lifted for this transaction (ALTER TABLE VALIDATE CONSTRAINT) only: it holds SHARE UPDATE EXCLUSIVE on t, which blocks neither reads nor writes, so it may run as long as it needs; lock_timeout still bounds its waits for locks.',
    ]);
  });
});

describe.skipIf(!serverUrl)('statement_timeout with psql on PostgreSQL (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
  const db = `migc_timeouts_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  let dir = '';
  let connected = false;
  let scripts: Map<string, string>;
  const url = () => {
    const u = new URL(serverUrl!);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const psql = (file: string) => new Promise<{ status: number; out: string; ms: number }>((resolve) => {
    const started = performance.now();
    execFile('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, file), url()], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: `${stdout}${stderr}`, ms: performance.now() - started });
    });
  });
  const query = async (sql: string) => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    const compiled = await compileFiles({ 'plans/slow.yaml': plan, 'plans/slow.baseline.sql': baseline }, { emit: true });
    expect(brief(compiled).filter((d) => d.includes(' error '))).toEqual([]);
    scripts = new Map(compiled.plans[0]!.outputs.filter((o) => o.path.endsWith('.sql')).map((o) => [o.path.split('/')[1]!, o.contents]));
    dir = mkdtempSync(join(tmpdir(), 'migc-timeouts-'));
    for (const [name, text] of scripts) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'baseline.sql'), baseline);
    await admin.connect();
    connected = true;
    await admin.query(`CREATE DATABASE ${db}`);
    expect((await psql('baseline.sql')).status).toBe(0);
  });

  afterAll(async () => {
    if (connected) {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says where statement_timeout is lifted, and lifts it only there', () => {
    const up = scripts.get('01-expand.up.sql')!;
    expect(up).toContain('-- statement_timeout is lifted for CREATE INDEX CONCURRENTLY only: it holds SHARE UPDATE EXCLUSIVE on big, which blocks neither reads nor writes');
    expect(up).toContain('-- statement_timeout is lifted for this transaction (ALTER TABLE VALIDATE CONSTRAINT) only');
    // Twice in the up script (the index, the validation), each time set back to the plan's value.
    expect(up.match(/^SET statement_timeout = 0;$/gm)).toHaveLength(2);
    expect(up.match(/^SET statement_timeout = '1s';$/gm)).toHaveLength(3);
    // ADD CONSTRAINT ... NOT VALID takes ACCESS EXCLUSIVE: it keeps the timeout.
    expect(up).toMatch(/-- Step add-check\nBEGIN;/);
    expect(scripts.get('02-migrate.up.sql')!).not.toContain('statement_timeout = 0');
    // The rollback's DROP INDEX CONCURRENTLY too.
    expect(scripts.get('01-expand.down.sql')!).toMatch(/SET statement_timeout = 0;\nDROP INDEX CONCURRENTLY IF EXISTS big_slow_idx;\nSET statement_timeout = '1s';/);
  });

  it('completes a CONCURRENTLY index build and a VALIDATE CONSTRAINT that each run longer than statement_timeout', async () => {
    const r = await psql('01-expand.up.sql');
    expect(r.status, r.out).toBe(0);
    expect(r.ms).toBeGreaterThan(3000);
    expect(await query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_slow_idx'::regclass")).toEqual([{ indisvalid: true }]);
    expect(await query("SELECT convalidated FROM pg_constraint WHERE conname = 'big_slow_check'")).toEqual([{ convalidated: true }]);
  });

  it('still cancels a rewrite under ACCESS EXCLUSIVE that runs longer than statement_timeout', async () => {
    const r = await psql('02-migrate.up.sql');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('ERROR:  canceling statement due to statement timeout');
    expect(await query("SELECT data_type FROM information_schema.columns WHERE table_name = 'big2' AND column_name = 'n'")).toEqual([{ data_type: 'bigint' }]);
  });
});
