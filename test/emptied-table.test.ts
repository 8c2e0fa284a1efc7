import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

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
      await db.run(`DROP TABLE IF EXISTS t, u; ${setup} INSERT INTO t VALUES (1, 1);`);
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
    expect(await codes(before, sql)).toContain(code);
    expect(await codes(`TRUNCATE t;\n${before}`, sql)).not.toContain(code);
    expect(await codes(`DELETE FROM t;\n${before}`, sql)).not.toContain(code);
    expect(await codes(`TRUNCATE o, t;\n${before}`, sql)).not.toContain(code);
    expect(await codes(`TRUNCATE o CASCADE;\n${before}`, sql)).not.toContain(code);
    expect(await codes(`TRUNCATE t;\nINSERT INTO t (id) VALUES (1);\n${before}`, sql)).toContain(code);
    expect(await codes(`TRUNCATE t;\nCOMMIT;\nBEGIN;\n${before}`, sql)).toContain(code);
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
