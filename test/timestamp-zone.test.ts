import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG212 between timestamp and timestamptz: PostgreSQL 12 and later convert every row (a rewrite)
 * unless the session's TimeZone is UTC, when only the catalog changes. Each case runs on
 * PostgreSQL (PGlite 18, and the server of MIGC_TEST_DATABASE_URL): the ALTERs after which the
 * table has a new file (relfilenode) are exactly those MG212 reports, for a table an earlier
 * migration made.
 */
const created = 'CREATE TABLE events (id int PRIMARY KEY, at timestamp, seen timestamptz, due timestamp);\nINSERT INTO events VALUES (1, now(), now(), now());\n';
const cases: { name: string; sql: string }[] = [
  {
    name: 'a zone other than UTC (the server\'s default is not known), and a SET LOCAL that ended with its transaction',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'Europe/Berlin';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\nBEGIN;\nSET LOCAL timezone = 'UTC';\nCOMMIT;\nALTER TABLE events ALTER COLUMN seen TYPE timestamp without time zone;\n",
  },
  {
    name: 'UTC set by SET, SET LOCAL in the same transaction, SET TIME ZONE',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\nSET TIME ZONE 'Europe/Berlin';\nBEGIN;\nSET LOCAL timezone = 'Etc/UTC';\nALTER TABLE events ALTER COLUMN seen TYPE timestamp;\nCOMMIT;\nSET TIME ZONE 'UTC';\nALTER TABLE events ALTER COLUMN due TYPE timestamp with time zone;\n",
  },
  {
    name: 'UTC, then RESET ALL',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'UTC';\nRESET ALL;\nSET lock_timeout = '5s';\nSET timezone = 'America/New_York';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\n",
  },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`timestamp and timestamptz on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async ({ sql }) => {
      const files = { '001_events.sql': created, '002_change.sql': sql };
      const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
      const reported = result.diagnostics.filter((d) => d.code === 'MG212').map((d) => result.sources.get(d.file)!.position(d.span!.start).line);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      const parsed = parseSql(sql);
      if (!parsed.ok) throw new Error(parsed.message);
      const rewritten: number[] = [];
      // The table's file before each statement, compared after it (run() returns no rows: the check is a DO block that raises).
      for (const s of parsed.statements) {
        await db.run("CREATE TEMP TABLE IF NOT EXISTS before_file AS SELECT relfilenode AS n FROM pg_class WHERE relname = 'events'; TRUNCATE before_file; INSERT INTO before_file SELECT relfilenode FROM pg_class WHERE relname = 'events';");
        await db.run(s.text);
        try {
          await db.run("DO $$ BEGIN IF (SELECT n FROM before_file) <> (SELECT relfilenode FROM pg_class WHERE relname = 'events') THEN RAISE EXCEPTION 'rewritten'; END IF; END $$;");
        } catch (e) {
          expect((e as Error).message).toMatch(/rewritten/);
          rewritten.push(sql.slice(0, s.start).split('\n').length);
        }
      }
      expect(reported).toEqual(rewritten);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
