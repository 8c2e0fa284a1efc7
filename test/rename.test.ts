import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG213 stays silent on Prisma's enum swap (test/fixtures/rules/MG213/pass-enum-swap.sql): the
 * type renamed away has its name taken again by the new type in the same transaction. On the
 * engines: once the swap commits, queries that name the type work (they find the new type); a
 * statement prepared before it fails whether or not the old type was renamed (the columns' type
 * change breaks it, not the rename); the value the new type lacks is what a query can no longer write.
 */
const before = `
  DROP TABLE IF EXISTS alerts; DROP TYPE IF EXISTS alert_kind; DROP TYPE IF EXISTS alert_kind_old; DROP TYPE IF EXISTS alert_kind_new;
  CREATE TYPE alert_kind AS ENUM ('failure', 'recovery', 'test');
  CREATE TABLE alerts (id bigint PRIMARY KEY, kind alert_kind NOT NULL);
  DEALLOCATE ALL;
  PREPARE add_alert AS INSERT INTO alerts VALUES ($1, $2);
  EXECUTE add_alert(1, 'failure');`;

/** The swap as the fixture writes it, and the same without renaming the old type away (it is dropped first). */
const swap = readFileSync('test/fixtures/rules/MG213/pass-enum-swap.sql', 'utf8').replace(/^CREATE TABLE alerts .*$/m, '');
const swapWithoutRename = `
  BEGIN;
  CREATE TYPE alert_kind_new AS ENUM ('failure', 'recovery');
  ALTER TABLE alerts ALTER COLUMN kind TYPE alert_kind_new USING (kind::text::alert_kind_new);
  DROP TYPE alert_kind;
  ALTER TYPE alert_kind_new RENAME TO alert_kind;
  COMMIT;`;

const prepared = /cache lookup failed for type|is of type/;

for (const engine of sqlEngines()) {
  describe(`an enum swap on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it('leaves the type\'s name working for the queries that name it, and MG213 says nothing', async () => {
      await db.run(before);
      await db.run(swap);
      expect(rowsOf(await db.run("INSERT INTO alerts VALUES (2, 'recovery'::alert_kind) RETURNING kind::text AS kind"))).toEqual([{ kind: 'recovery' }]);
      await expect(db.run("SELECT 'test'::alert_kind")).rejects.toThrow(/invalid input value for enum alert_kind: "test"/);
      const file = 'test/fixtures/rules/MG213/pass-enum-swap.sql';
      const files = { 'schema.sql': readFileSync('test/fixtures/rules/schema.sql', 'utf8'), [file]: readFileSync(file, 'utf8') };
      const result = await lint({ files: ['schema.sql', file] }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG213')).toEqual([]);
    });

    it('breaks a statement prepared before it with or without the rename: the columns\' type change does', async () => {
      for (const variant of [swap, swapWithoutRename]) {
        await db.run(before);
        await db.run(variant);
        await expect(db.run("EXECUTE add_alert(3, 'recovery')")).rejects.toThrow(prepared);
      }
    });
  });
}

it('says a run of value renames of one enum once, at the first, counting the others (the twentieth trial\'s lakekeeper: 73 warnings for one file)', async () => {
  const files = {
    '0.sql': "CREATE TYPE api_endpoints AS ENUM ('a', 'b', 'c', 'd');\nCREATE TYPE other AS ENUM ('x');\n",
    '1.sql': "ALTER TYPE api_endpoints RENAME VALUE 'a' TO 'a2';\nALTER TYPE api_endpoints\nRENAME value 'b' TO 'b2';\nALTER TYPE api_endpoints RENAME VALUE 'c' TO 'c2';\nALTER TYPE other RENAME VALUE 'x' TO 'x2';\nALTER TYPE api_endpoints RENAME VALUE 'd' TO 'd2';\n",
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG213').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`)).toEqual([
    "1 renaming value 'a' of enum api_endpoints to 'a2' (and 2 more of its values, in the statements right after) breaks every running query that uses the old name",
    "5 renaming value 'x' of enum other to 'x2' breaks every running query that uses the old name",
    "6 renaming value 'd' of enum api_endpoints to 'd2' breaks every running query that uses the old name",
  ]);
});
