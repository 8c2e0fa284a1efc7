import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG210's recipe (an index built CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX) must give the
 * constraint the statement asked for, not a plainer one: DEFERRABLE and INITIALLY DEFERRED (the
 * eighteenth trial's hoppscotch, whose reordering needs a deferred key), INCLUDE, NULLS NOT
 * DISTINCT. Checked on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): the
 * recipe's statements run, and PostgreSQL describes the constraint they make as it describes the
 * one the statement makes.
 */
const table = 'CREATE TABLE "TeamCollection" (id bigint PRIMARY KEY, "teamID" text, "orderIndex" int, title text);\n';
const statements = [
  'ALTER TABLE "TeamCollection" ADD CONSTRAINT "TeamCollection_teamID_orderIndex_key" UNIQUE ("teamID", "orderIndex") DEFERRABLE INITIALLY DEFERRED;',
  'ALTER TABLE "TeamCollection" ADD CONSTRAINT "TeamCollection_teamID_orderIndex_key" UNIQUE ("teamID", "orderIndex") DEFERRABLE;',
  'ALTER TABLE "TeamCollection" ADD CONSTRAINT "TeamCollection_teamID_orderIndex_key" UNIQUE NULLS NOT DISTINCT ("teamID", "orderIndex") INCLUDE (title);',
  'ALTER TABLE "TeamCollection" ADD CONSTRAINT "TeamCollection_teamID_orderIndex_key" UNIQUE ("teamID", "orderIndex");',
];

for (const { name, open } of sqlEngines()) {
  describe(`MG210's recipe on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    const definition = async () => String(rowsOf(await db.run(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '"TeamCollection"'::regclass AND contype = 'u'`))[0]!.def);

    it.each(statements)('makes the constraint the statement makes: %s', async (statement) => {
      const files = { '1.sql': table, '2.sql': `SET lock_timeout = '5s';\n${statement}\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const help = result.diagnostics.find((d) => d.code === 'MG210')!.help!;
      const recipe = [...help.matchAll(/(CREATE UNIQUE INDEX CONCURRENTLY [^;]*;|ALTER TABLE [^;]*USING INDEX[^;]*;)/g)].map((m) => m[0]);
      expect(recipe).toHaveLength(2);
      await db.run('DROP TABLE IF EXISTS "TeamCollection"');
      await db.run(table);
      await db.run(statement);
      const wanted = await definition();
      await db.run('DROP TABLE "TeamCollection"');
      await db.run(table);
      for (const sql of recipe) await db.run(sql);
      expect(await definition()).toBe(wanted);
    });
  });
}
