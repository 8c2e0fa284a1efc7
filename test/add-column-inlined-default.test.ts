import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG205 and a default that calls a SQL function these files created, checked on PostgreSQL
 * (PGlite, and the server of MIGC_TEST_DATABASE_URL): PostgreSQL plans the default, which inlines
 * a simple SQL function, before it asks whether the default is volatile. MG205 reports exactly
 * the ADD COLUMNs after which the table has a new file (relfilenode).
 */

/** A function, and the default that calls it; each case adds a column to a table of its own with rows. */
const cases: { name: string; functions: string; type: string; default: string }[] = [
  // Inlined, and the body is stable or immutable: one value, stored in the catalog.
  { name: 'left VOLATILE, body stable (ente)', functions: `CREATE OR REPLACE FUNCTION now_utc_micro_seconds() RETURNS BIGINT AS\n$$\nSELECT CAST(extract(EPOCH from now() at time zone 'utc') * 1000000 as BIGINT) ;\n$$ language sql;`, type: 'bigint', default: 'now_utc_micro_seconds()' },
  { name: 'left VOLATILE, body a constant', functions: "CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;", type: 'text', default: 'upper(next_code())' },
  { name: 'left VOLATILE, RETURN of a stable expression', functions: 'CREATE FUNCTION stamp() RETURNS timestamptz LANGUAGE sql RETURN now();', type: 'timestamptz', default: 'stamp()' },
  { name: 'declared VOLATILE, a parameter', functions: 'CREATE FUNCTION app.label(t text) RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT lower(t) || now()::text $$;', type: 'text', default: "app.label('A')" },
  { name: 'a parameter used twice, a constant argument', functions: 'CREATE FUNCTION twice(n int) RETURNS int LANGUAGE sql AS $$ SELECT $1 + $1 $$;', type: 'int', default: 'twice(2)' },
  { name: 'inlined into an inlined one', functions: 'CREATE FUNCTION inner_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT now() $$;\nCREATE FUNCTION outer_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT inner_now() $$;', type: 'timestamptz', default: 'outer_now()' },
  { name: 'declared STABLE, body volatile (not inlined, stable as declared)', functions: 'CREATE FUNCTION liar() RETURNS float8 LANGUAGE sql STABLE AS $$ SELECT random() $$;', type: 'float8', default: 'liar()' },
  // Inlined, and the body is volatile.
  { name: 'left VOLATILE, body random()', functions: 'CREATE FUNCTION roll() RETURNS float8 LANGUAGE sql AS $$ SELECT random() $$;', type: 'float8', default: 'roll()' },
  { name: 'a volatile parameter DEFAULT', functions: 'CREATE FUNCTION pass(x float8 DEFAULT random()) RETURNS float8 LANGUAGE sql AS $$ SELECT x $$;', type: 'float8', default: 'pass()' },
  { name: 'inlined into an inlined one, volatile', functions: 'CREATE FUNCTION inner_roll() RETURNS float8 LANGUAGE sql AS $$ SELECT random() $$;\nCREATE FUNCTION outer_roll() RETURNS float8 LANGUAGE sql AS $$ SELECT inner_roll() * 2 $$;', type: 'float8', default: 'outer_roll()' },
  // Not inlined: volatile as declared.
  { name: 'plpgsql', functions: 'CREATE FUNCTION pl_now() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN RETURN now(); END $$;', type: 'timestamptz', default: 'pl_now()' },
  { name: 'SECURITY DEFINER', functions: 'CREATE FUNCTION definer_now() RETURNS timestamptz LANGUAGE sql SECURITY DEFINER AS $$ SELECT now() $$;', type: 'timestamptz', default: 'definer_now()' },
  { name: 'SECURITY DEFINER by ALTER FUNCTION', functions: 'CREATE FUNCTION altered_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT now() $$;\nALTER FUNCTION altered_now() SECURITY DEFINER;', type: 'timestamptz', default: 'altered_now()' },
  { name: 'SET search_path', functions: 'CREATE FUNCTION set_now() RETURNS timestamptz LANGUAGE sql SET search_path = public AS $$ SELECT now() $$;', type: 'timestamptz', default: 'set_now()' },
  { name: 'a body with FROM', functions: 'CREATE FUNCTION from_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT now() FROM (SELECT 1) AS one $$;', type: 'timestamptz', default: 'from_now()' },
  { name: 'a body with a sub-select', functions: 'CREATE FUNCTION sub_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT (SELECT now()) $$;', type: 'timestamptz', default: 'sub_now()' },
  { name: 'a body of two statements', functions: 'CREATE FUNCTION two_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 1; SELECT now() $$;', type: 'timestamptz', default: 'two_now()' },
  { name: 'a body calling a set-returning function', functions: 'CREATE FUNCTION srf_one() RETURNS int LANGUAGE sql AS $$ SELECT generate_series(1, 1) $$;', type: 'int', default: 'srf_one()' },
  { name: 'a body calling an aggregate', functions: 'CREATE FUNCTION agg_now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT max(now()) $$;', type: 'timestamptz', default: 'agg_now()' },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ADD COLUMN ... DEFAULT of a SQL function on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG205 reports exactly the defaults after which the table has a new file', async () => {
      const created = `CREATE SCHEMA app;\n${cases.map((c, i) => `CREATE TABLE t${i} (id int);\nINSERT INTO t${i} VALUES (1), (2), (3);\n${c.functions}\n`).join('')}`;
      const added = `SET lock_timeout = '5s';\n${cases.map((c, i) => `ALTER TABLE t${i} ADD COLUMN c ${c.type} DEFAULT ${c.default};\n`).join('')}`;
      const files = { '001_create.sql': created, '002_add.sql': added };
      const result = await lint({ files: Object.keys(files), config: { postgres: db.major } }, memoryHost(files));
      const reported = result.diagnostics.filter((d) => d.code === 'MG205').map((d) => cases[result.sources.get(d.file)!.position(d.span!.start).line - 2]!.name);

      await db.run('DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      const rewritten: string[] = [];
      for (const [i, c] of cases.entries()) {
        const file = async () => rowsOf(await db.run(`SELECT pg_relation_filenode('t${i}') AS f`))[0]!.f;
        const before = await file();
        await db.run(`ALTER TABLE t${i} ADD COLUMN c ${c.type} DEFAULT ${c.default}`);
        if ((await file()) !== before) rewritten.push(c.name);
      }
      expect(reported).toEqual(rewritten);
      // What the cases show, as the docs say it.
      expect(rewritten).toEqual([
        'left VOLATILE, body random()', 'a volatile parameter DEFAULT', 'inlined into an inlined one, volatile',
        'plpgsql', 'SECURITY DEFINER', 'SECURITY DEFINER by ALTER FUNCTION', 'SET search_path', 'a body with FROM', 'a body with a sub-select', 'a body of two statements',
        'a body calling a set-returning function', 'a body calling an aggregate',
      ]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
