import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG206 says ADD COLUMN ... NOT NULL without a default fails on a table with a row. A table the
 * same transaction emptied (TRUNCATE, DELETE without WHERE) has none (Lemmy's
 * password_reset_request), unless a row was put back since. Each case runs on PGlite and the
 * server of MIGC_TEST_DATABASE_URL, on a table of one row: MG206 is reported exactly when the
 * transaction fails.
 */
const setup = 'CREATE TABLE t (id int PRIMARY KEY, user_id int);\n';
const add = 'ALTER TABLE t ADD COLUMN local_user_id integer NOT NULL;\n';
const cases: { name: string; body: string }[] = [
  { name: 'DELETE without WHERE, then ADD COLUMN NOT NULL', body: `DELETE FROM t;\nALTER TABLE t DROP COLUMN user_id;\n${add}` },
  { name: 'TRUNCATE, then ADD COLUMN NOT NULL', body: `TRUNCATE t;\n${add}` },
  { name: 'without the emptying', body: add },
  { name: 'DELETE with a WHERE leaves rows', body: `DELETE FROM t WHERE id > 1;\n${add}` },
  { name: 'a row put back after the DELETE', body: `DELETE FROM t;\nINSERT INTO t (id) VALUES (2);\n${add}` },
  { name: 'a row put back by a DO block', body: `TRUNCATE t;\nDO $$ BEGIN EXECUTE 'INSERT INTO t (id) VALUES (3)'; END $$;\n${add}` },
  { name: 'DELETE FROM another table', body: `CREATE TABLE u (id int);\nDELETE FROM u;\n${add}` },
  // A rename writes no row (helse-spesialist's V405: the thirty-eighth trial's I).
  { name: 'TRUNCATE, RENAME COLUMN, then ADD COLUMN NOT NULL', body: `TRUNCATE t;\nALTER TABLE t RENAME COLUMN user_id TO owner_id;\n${add}` },
  { name: 'TRUNCATE, RENAME CONSTRAINT, then ADD COLUMN NOT NULL', body: `TRUNCATE t;\nALTER TABLE t RENAME CONSTRAINT t_pkey TO t_key;\n${add}` },
  { name: 'TRUNCATE, the table renamed, then ADD COLUMN NOT NULL under its new name', body: `TRUNCATE t;\nALTER TABLE t RENAME TO t2;\n${add.replace('TABLE t ', 'TABLE t2 ')}` },
];

/** Runs `body` in a transaction: whether it failed, as ADD COLUMN NOT NULL fails on a table with rows. */
async function failsForNulls(db: SqlEngine, body: string): Promise<boolean> {
  try {
    await db.run(`BEGIN;\n${body}COMMIT;`);
    return false;
  } catch (e) {
    await db.run('ROLLBACK');
    expect((e as Error).message).toMatch(/contains null values/);
    return true;
  }
}

async function mg206(body: string, transaction: boolean, before = setup): Promise<boolean> {
  const files = { '1.sql': before, '2.sql': transaction ? `BEGIN;\n${body}COMMIT;\n` : body };
  const result = await lint({ files: ['1.sql', '2.sql'] }, memoryHost(files));
  return result.diagnostics.some((d) => d.code === 'MG206');
}

for (const engine of sqlEngines()) {
  describe(`an emptied table and MG206 on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$name: MG206 exactly when the transaction fails', async ({ body }) => {
      await db.run(`DROP TABLE IF EXISTS t, u, t2, t_old; ${setup} INSERT INTO t VALUES (1, 1);`);
      const failed = await failsForNulls(db, body);
      expect(await mg206(body, true)).toBe(failed);
    });
  });
}

describe('an emptied table outside a transaction', () => {
  it('is not taken to stay empty: each statement commits, and the application may write in between', async () => {
    expect(await mg206(cases[0]!.body, false)).toBe(true);
    expect(await mg206(cases[0]!.body, true)).toBe(false);
  });
});

/**
 * TRUNCATE ... CASCADE empties every table whose foreign key reaches one it empties, at any depth,
 * and no table the other way. On each engine, tables of one row each: MG206 is reported exactly
 * when ADD COLUMN NOT NULL fails after the TRUNCATE, on the grandchild, the child and the parent.
 */
const family = 'CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p);\nCREATE TABLE g (id int PRIMARY KEY, c int REFERENCES c);\n';
const cascades: { name: string; body: string }[] = [
  { name: 'a grandchild of the table truncated', body: 'TRUNCATE p CASCADE;\nALTER TABLE g ADD COLUMN n int NOT NULL;\n' },
  { name: 'a child', body: 'TRUNCATE p CASCADE;\nALTER TABLE c ADD COLUMN n int NOT NULL;\n' },
  { name: 'the parent of the table truncated', body: 'TRUNCATE c CASCADE;\nALTER TABLE p ADD COLUMN n int NOT NULL;\n' },
];

for (const engine of sqlEngines()) {
  describe(`TRUNCATE ... CASCADE and MG206 on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(cascades)('$name: MG206 exactly when the transaction fails', async ({ body }) => {
      await db.run(`DROP TABLE IF EXISTS g, c, p; ${family} INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1); INSERT INTO g VALUES (1, 1);`);
      const failed = await failsForNulls(db, body);
      expect(await mg206(body, true, family)).toBe(failed);
    });
  });
}

/**
 * Work on a table the transaction emptied is instant, and the TRUNCATE or DELETE already holds a
 * lock as strong: the rules about how long a build, scan or rewrite blocks the table say nothing
 * there, while the same statement on a table with rows (no emptying, or a row put back, or after
 * the transaction commits) is reported.
 */
describe('work on an emptied table', () => {
  const tables = 'CREATE TABLE o (id int PRIMARY KEY);\nCREATE TABLE t (id int PRIMARY KEY, o int REFERENCES o, c int, d timestamp);\n';
  const works: { code: string; sql: string }[] = [
    { code: 'MG201', sql: 'CREATE INDEX t_c ON t (c);' },
    { code: 'MG210', sql: 'ALTER TABLE t ADD CONSTRAINT t_c_key UNIQUE (c);' },
    { code: 'MG208', sql: 'ALTER TABLE t ADD CONSTRAINT t_c_fkey FOREIGN KEY (c) REFERENCES o (id);' },
    { code: 'MG207', sql: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;' },
    { code: 'MG212', sql: 'ALTER TABLE t ALTER COLUMN c TYPE bigint;' },
    { code: 'MG112', sql: 'UPDATE t SET c = 0;' },
    { code: 'MG214', sql: 'UPDATE t SET c = 0;' },
    { code: 'MG218', sql: 'ALTER TABLE t ADD COLUMN e int;\nUPDATE t SET e = c;' },
    { code: 'MG217', sql: 'CREATE INDEX t_c ON t (c);' },
  ];
  /** The codes reported, not as notes, at `sql`: the work, after what `body` does before it. */
  const codes = async (body: string, sql: string) => {
    const text = `SET lock_timeout = '5s';\nBEGIN;\n${body}${sql}\nCOMMIT;\n`;
    const files = { '1.sql': tables, '2.sql': text };
    const result = await lint({ files: ['1.sql', '2.sql'] }, memoryHost(files));
    const at = text.lastIndexOf(sql);
    return result.diagnostics.filter((d) => d.file === '2.sql' && d.severity !== 'info' && d.span!.start >= at).map((d) => d.code);
  };
  it.each(works)('$code: $sql', async ({ code, sql }) => {
    // MG217 needs a lock held before the work: a statement that takes ACCESS EXCLUSIVE on t first.
    const before = code === 'MG217' ? 'ALTER TABLE t ADD COLUMN e int;\n' : '';
    // An UPDATE of every row under a lock the transaction's DDL (the TRUNCATE, the ALTER TABLE)
    // holds on t is MG218's: the row locks add nothing to it (the twenty-fifth trial's A).
    const shown = async (body: string, work: string) => (await codes(body, work)).map((c) => (code === 'MG112' && c === 'MG218' ? 'MG112' : c));
    expect(await shown(before, sql)).toContain(code);
    expect(await shown(`TRUNCATE t;\n${before}`, sql)).not.toContain(code);
    expect(await shown(`DELETE FROM t;\n${before}`, sql)).not.toContain(code);
    expect(await shown(`TRUNCATE o, t;\n${before}`, sql)).not.toContain(code);
    expect(await shown(`TRUNCATE o CASCADE;\n${before}`, sql)).not.toContain(code);
    expect(await shown(`TRUNCATE t;\nINSERT INTO t (id) VALUES (1);\n${before}`, sql)).toContain(code);
    expect(await shown(`TRUNCATE t;\nCOMMIT;\nBEGIN;\n${before}`, sql)).toContain(code);
    // An ALTER TABLE that only succeeds on an empty table proves it empty, to COMMIT or a write.
    const added = 'ALTER TABLE t ADD COLUMN f int NOT NULL;\n';
    expect(await shown(`${added}${before}`, sql)).not.toContain(code);
    expect(await shown(`${added}UPDATE t SET c = 1;\n${before}`, sql)).not.toContain(code);
    expect(await shown(`${added}INSERT INTO t (id, f) VALUES (1, 1);\n${before}`, sql)).toContain(code);
    expect(await shown(`${added}COMMIT;\nBEGIN;\n${before}`, sql)).toContain(code);
    // With a default it succeeds on rows, and proves nothing.
    expect(await shown(`ALTER TABLE t ADD COLUMN f int NOT NULL DEFAULT 0;\n${before}`, sql)).toContain(code);
  });

  it('MG214 names the tables a TRUNCATE ... CASCADE empties besides its own', async () => {
    const files = { '1.sql': family, '2.sql': 'TRUNCATE p CASCADE;\n', '3.sql': 'TRUNCATE c, g;\n' };
    const result = await lint({ files: ['1.sql', '2.sql', '3.sql'] }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file} ${d.message}`)).toEqual([
      '2.sql this statement truncates p, and with it (CASCADE) c and g, whose foreign keys reach it',
      '3.sql this statement truncates c and g',
    ]);
  });
});

/**
 * An ALTER TABLE that only succeeds on an empty table proves it empty for the rest of its
 * transaction (src/analyze/sql/empty-if-it-succeeds.ts): trigger.dev's Prisma migrations add a
 * required column without a default, then index it and add its foreign key. On each engine, with
 * a table of one row: migc takes the table as empty after the statement (a later ADD COLUMN ...
 * NOT NULL in the transaction draws no MG206) exactly when the engine refuses the statement,
 * save the cases marked `unclaimed`, refused too but not followed. Where migc claims it, the
 * statement succeeds on the empty table, count(*) after it in the transaction is 0, and it holds
 * ACCESS EXCLUSIVE on the table, so no other session writes a row before COMMIT.
 */
const typesSetup = "CREATE DOMAIN d_default AS int DEFAULT 0;\nCREATE DOMAIN d_not_null AS int NOT NULL;\nCREATE DOMAIN d_not_null_default AS int NOT NULL DEFAULT 0;\nCREATE DOMAIN d_present AS int CHECK (VALUE IS NOT NULL);\nCREATE DOMAIN d_positive AS int CHECK (VALUE > 0);\nCREATE TYPE mood AS ENUM ('ok');\n";
const proofTable = 'CREATE TABLE t (id int, user_id int);\n';
const proofs: { name: string; sql: string; claims: boolean; unclaimed?: string }[] = [
  { name: 'NOT NULL without a default', sql: 'ALTER TABLE t ADD COLUMN c text NOT NULL;', claims: true },
  { name: 'NOT NULL of an enum type', sql: 'ALTER TABLE t ADD COLUMN c mood NOT NULL;', claims: true },
  { name: 'NOT NULL, ONLY the table', sql: 'ALTER TABLE ONLY t ADD COLUMN c int NOT NULL;', claims: true },
  { name: 'PRIMARY KEY', sql: 'ALTER TABLE t ADD COLUMN c int PRIMARY KEY;', claims: true },
  { name: 'a CHECK (c IS NOT NULL) of its own', sql: 'ALTER TABLE t ADD COLUMN c int CHECK (c IS NOT NULL);', claims: true },
  { name: 'SET NOT NULL of it alongside', sql: 'ALTER TABLE t ADD COLUMN c int, ALTER COLUMN c SET NOT NULL;', claims: true },
  { name: 'ADD CONSTRAINT CHECK (c IS NOT NULL) alongside', sql: 'ALTER TABLE t ADD COLUMN c int, ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL);', claims: true },
  { name: 'beside a column with a default', sql: 'ALTER TABLE t ADD COLUMN b int DEFAULT 0, ADD COLUMN c int NOT NULL;', claims: true },
  { name: 'a drop and re-add of a required column (Prisma, Atlas)', sql: 'ALTER TABLE t DROP COLUMN user_id, ADD COLUMN user_id uuid NOT NULL;', claims: true },
  { name: 'a drop and re-add as a primary key', sql: 'ALTER TABLE t DROP COLUMN id, ADD COLUMN id uuid NOT NULL, ADD CONSTRAINT t_pkey PRIMARY KEY (id);', claims: true },
  { name: 'a DEFAULT', sql: 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;', claims: false },
  { name: 'a drop and re-add with a default', sql: 'ALTER TABLE t DROP COLUMN user_id, ADD COLUMN user_id int NOT NULL DEFAULT 0;', claims: false },
  { name: 'an identity', sql: 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY;', claims: false },
  { name: 'a serial', sql: 'ALTER TABLE t ADD COLUMN c serial;', claims: false },
  { name: 'a stored generated column', sql: 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (user_id + 1) STORED NOT NULL;', claims: false },
  { name: 'a domain with a default', sql: 'ALTER TABLE t ADD COLUMN c d_default NOT NULL;', claims: false },
  { name: 'a CHECK that NULL passes', sql: 'ALTER TABLE t ADD COLUMN c int CHECK (c > 0);', claims: false },
  { name: 'a NOT VALID CHECK (c IS NOT NULL) alongside', sql: 'ALTER TABLE t ADD COLUMN c int, ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;', claims: false },
  { name: 'a nullable column', sql: 'ALTER TABLE t ADD COLUMN c int;', claims: false },
  { name: 'IF NOT EXISTS of a column the table has', sql: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS user_id int NOT NULL;', claims: false },
  { name: 'a NOT NULL domain', sql: 'ALTER TABLE t ADD COLUMN c d_not_null;', claims: true },
  { name: 'a domain whose CHECK NULL fails', sql: 'ALTER TABLE t ADD COLUMN c d_present;', claims: true },
  { name: "a NOT NULL domain's default replaced by DEFAULT NULL", sql: 'ALTER TABLE t ADD COLUMN c d_not_null_default DEFAULT NULL;', claims: true },
  { name: 'NOT NULL of a domain without a default', sql: 'ALTER TABLE t ADD COLUMN c d_positive NOT NULL;', claims: true },
  { name: 'NOT NULL, DEFAULT NULL', sql: 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT NULL;', claims: true },
  { name: 'a NOT NULL domain with a default', sql: 'ALTER TABLE t ADD COLUMN c d_not_null_default;', claims: false },
  { name: 'a domain whose CHECK NULL passes', sql: 'ALTER TABLE t ADD COLUMN c d_positive;', claims: false },
  { name: 'SET DEFAULT of it alongside', sql: 'ALTER TABLE t ADD COLUMN c int NOT NULL, ALTER COLUMN c SET DEFAULT 0;', claims: false, unclaimed: 'another subcommand of the column is not followed' },
];

/** Whether migc takes t as empty after `sql` in a transaction: a later ADD COLUMN ... NOT NULL there draws no MG206. */
async function takenEmpty(sql: string): Promise<boolean> {
  const files = { '1.sql': typesSetup + proofTable, '2.sql': `BEGIN;\n${sql}\nALTER TABLE t ADD COLUMN z int NOT NULL;\nCOMMIT;\n` };
  const result = await lint({ files: ['1.sql', '2.sql'] }, memoryHost(files));
  return !result.diagnostics.some((d) => d.code === 'MG206' && d.message.startsWith('ADD COLUMN z '));
}

for (const engine of sqlEngines()) {
  describe(`an ALTER TABLE that only succeeds on an empty table, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
      await db.run(typesSetup);
    });
    afterAll(() => db?.close());

    it.each(proofs)('$name', async ({ sql, claims, unclaimed }) => {
      await db.run(`DROP TABLE IF EXISTS t; ${proofTable} INSERT INTO t VALUES (1, 1);`);
      let refused = false;
      try {
        await db.run(`BEGIN; ${sql} COMMIT;`);
      } catch (e) {
        await db.run('ROLLBACK');
        expect((e as Error).message).toMatch(/contains null values|violated by some row|does not allow null values|value for domain \w+ violates check constraint/);
        refused = true;
      }
      expect(refused).toBe(claims || unclaimed !== undefined);
      expect(await takenEmpty(sql)).toBe(claims);
      if (!claims) return;
      await db.run(`DROP TABLE t; ${proofTable}`);
      await db.run('BEGIN');
      try {
        await db.run(sql);
        expect(rowsOf(await db.run('SELECT count(*)::int AS n FROM t'))).toEqual([{ n: 0 }]);
        const held = rowsOf(await db.run("SELECT mode FROM pg_locks WHERE relation = 't'::regclass AND granted AND mode = 'AccessExclusiveLock'"));
        expect(held).toHaveLength(1);
      } finally {
        await db.run('ROLLBACK');
      }
    });
  });
}

describe('an ALTER TABLE that only succeeds on an empty table, in lint', () => {
  const tables = 'CREATE TABLE q (id text PRIMARY KEY);\nCREATE TABLE r (id text PRIMARY KEY, s text);\n';
  /** The codes reported, not as notes, in the second file. */
  const codes = async (text: string, options: { postgres?: number; fileTransaction?: boolean } = {}) => {
    const file = `SET lock_timeout = '5s';\n${text}`;
    const files = { '1.sql': tables, '2.sql': file };
    const config = options.postgres ? { config: { postgres: options.postgres } } : {};
    const result = await lint({ files: ['1.sql', '2.sql'], fileTransaction: options.fileTransaction ?? true, ...config }, memoryHost(files));
    const line = (offset: number) => file.slice(0, offset).split('\n').length;
    return result.diagnostics.filter((d) => d.file === '2.sql' && d.severity !== 'info').map((d) => `${line(d.span!.start)} ${d.code}`);
  };

  it('keeps MG206 on the statement, and drops the work after it (the trigger.dev shape)', async () => {
    const prisma = 'ALTER TABLE r ADD COLUMN "queueId" TEXT NOT NULL;\nCREATE INDEX r_queue ON r ("queueId");\nALTER TABLE r ADD CONSTRAINT r_queue_fkey FOREIGN KEY ("queueId") REFERENCES q (id);\n';
    // The ACCESS EXCLUSIVE lock on r is still held while q is locked: MG217's other shape stays.
    expect(await codes(prisma)).toEqual(['2 MG206', '4 MG217']);
    // With a default the table may have rows: the build and the check are of them.
    expect(await codes(prisma.replace('NOT NULL', "NOT NULL DEFAULT ''"))).toEqual(['3 MG201', '3 MG217', '4 MG208']);
  });

  it('in a DO block it proves nothing: an EXCEPTION handler may catch its failure, and the block goes on', async () => {
    const block = (handler: string) => `DO $$\nBEGIN\n  BEGIN\n    ALTER TABLE r ADD COLUMN n int NOT NULL;\n  ${handler}END;\n  CREATE INDEX r_s ON r (s);\nEND $$;\n`;
    // Not followed either without a handler (the failure would then end the block): in a block migc does not ask.
    expect(await codes(block('EXCEPTION WHEN not_null_violation THEN NULL;\n  '))).toContain('8 MG201');
  });

  it('nothing carries over outside a transaction', async () => {
    const text = 'ALTER TABLE r ADD COLUMN n int NOT NULL;\nCREATE INDEX r_n ON r (n);\n';
    expect(await codes(text, { fileTransaction: false })).toEqual(['2 MG206', '3 MG201']);
    expect(await codes(text)).toEqual(['2 MG206']);
  });

  it('the statement itself: a scan or rewrite beside the column runs on an empty table, or not at all', async () => {
    expect(await codes('ALTER TABLE r ADD COLUMN n int NOT NULL, ALTER COLUMN s SET NOT NULL;\n')).toEqual(['2 MG206']);
    expect(await codes('ALTER TABLE r ADD COLUMN n int NOT NULL, ADD COLUMN m int DEFAULT 0;\n', { postgres: 10 })).toEqual(['2 MG206']);
    expect(await codes('ALTER TABLE r ADD COLUMN n int, ALTER COLUMN s SET NOT NULL;\n')).toEqual(['2 MG207']);
  });
});
