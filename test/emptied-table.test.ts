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

async function mg206(body: string, transaction: boolean): Promise<boolean> {
  const files = { '1.sql': setup, '2.sql': transaction ? `BEGIN;\n${body}COMMIT;\n` : body };
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
      let failed = false;
      try {
        await db.run(`BEGIN;\n${body}COMMIT;`);
      } catch (e) {
        await db.run('ROLLBACK');
        expect((e as Error).message).toMatch(/contains null values/);
        failed = true;
      }
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
