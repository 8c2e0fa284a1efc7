import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A view that passes a whole row to a function (`f(t.*)`, `count(t.*)`) depends on the table,
 * not on each column: PostgreSQL drops or changes a column under it (determined's views, the
 * forty-first trial's A). `SELECT t.*` and `ROW(t.*)` stand for the columns, and keep them.
 * MG067 says PostgreSQL refuses exactly when it does, on PGlite and the server of
 * MIGC_TEST_DATABASE_URL.
 */
const setup = "CREATE TABLE t (id int PRIMARY KEY, a int, state text);\nCREATE FUNCTION f(t) RETURNS int LANGUAGE sql AS 'SELECT 1';\n";
const cases: { name: string; view: string; change: string }[] = [
  { name: 'f(t.*), DROP COLUMN', view: 'CREATE VIEW v AS SELECT t.id, f(t.*) AS x FROM t;', change: 'ALTER TABLE t DROP COLUMN a;' },
  { name: 'f(t.*), ALTER COLUMN TYPE', view: 'CREATE VIEW v AS SELECT t.id, f(t.*) AS x FROM t;', change: 'ALTER TABLE t ALTER COLUMN state TYPE varchar(20);' },
  { name: 'count(t.*), DROP COLUMN', view: 'CREATE VIEW v AS SELECT count(t.*) AS n FROM t;', change: 'ALTER TABLE t DROP COLUMN a;' },
  { name: 'ROW(t.*), DROP COLUMN', view: 'CREATE VIEW v AS SELECT ROW(t.*)::text AS r FROM t;', change: 'ALTER TABLE t DROP COLUMN a;' },
  { name: 'SELECT t.*, DROP COLUMN', view: 'CREATE VIEW v AS SELECT t.* FROM t;', change: 'ALTER TABLE t DROP COLUMN a;' },
  { name: 'f(t.*) beside the column itself, DROP COLUMN', view: 'CREATE VIEW v AS SELECT t.a, f(t.*) AS x FROM t;', change: 'ALTER TABLE t DROP COLUMN a;' },
];

async function refusedByMigc(view: string, change: string): Promise<boolean> {
  const files = { '1.sql': `${setup}${view}\n`, '2.sql': `SET lock_timeout = '5s';\n${change}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.some((d) => d.code === 'MG067');
}

for (const engine of sqlEngines()) {
  describe(`whole-row references in views, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$name: MG067 exactly when PostgreSQL refuses', async ({ view, change }) => {
      await db.run('DROP VIEW IF EXISTS v; DROP FUNCTION IF EXISTS f(t); DROP TABLE IF EXISTS t;');
      await db.run(`${setup}${view}`);
      let refused = false;
      try {
        await db.run(change);
      } catch (e) {
        expect((e as Error).message).toMatch(/depend/);
        refused = true;
      }
      expect(await refusedByMigc(view, change)).toBe(refused);
    });
  });
}
