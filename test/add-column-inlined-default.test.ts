import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedAndRewritten } from './rewrites.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

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
  // STRICT: inlined only when the body is strict in every part and uses every parameter.
  { name: 'STRICT, a strict body using its parameter', functions: 'CREATE FUNCTION strict_plus(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT x + 1 $$;', type: 'int', default: 'strict_plus(1)' },
  { name: 'STRICT, no parameters, body now()', functions: 'CREATE FUNCTION strict_now() RETURNS timestamptz LANGUAGE sql RETURNS NULL ON NULL INPUT AS $$ SELECT now() $$;', type: 'timestamptz', default: 'strict_now()' },
  { name: 'STRICT, operators, a cast and CURRENT_TIMESTAMP', functions: "CREATE FUNCTION strict_ago(days int) RETURNS timestamptz LANGUAGE sql STRICT AS $$ SELECT CURRENT_TIMESTAMP - $1::float8 * interval '1 day' $$;", type: 'timestamptz', default: 'strict_ago(2)' },
  { name: 'STRICT, body calls a STRICT SQL function', functions: 'CREATE FUNCTION strict_inner(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT x * 2 $$;\nCREATE FUNCTION strict_outer(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT strict_inner(x) - 1 $$;', type: 'int', default: 'strict_outer(3)' },
  { name: 'STRICT plpgsql given NULL (never called)', functions: 'CREATE FUNCTION strict_roll(x int) RETURNS float8 LANGUAGE plpgsql STRICT AS $$ BEGIN RETURN random(); END $$;', type: 'float8', default: 'strict_roll(NULL)' },
  { name: 'STRICT given NULL beside a volatile argument', functions: 'CREATE FUNCTION strict_pair(x int, y float8) RETURNS float8 LANGUAGE plpgsql STRICT AS $$ BEGIN RETURN y; END $$;', type: 'float8', default: 'strict_pair(NULL::int, random())' },
  { name: 'STRICT, body random() with its parameter', functions: 'CREATE FUNCTION strict_roll_plus(x int) RETURNS float8 LANGUAGE sql STRICT AS $$ SELECT random() + x $$;', type: 'float8', default: 'strict_roll_plus(1)' },
  { name: 'STRICT, a parameter unused', functions: 'CREATE FUNCTION strict_unused(x int) RETURNS timestamptz LANGUAGE sql STRICT AS $$ SELECT now() $$;', type: 'timestamptz', default: 'strict_unused(1)' },
  { name: 'STRICT, body COALESCE', functions: 'CREATE FUNCTION strict_coalesce(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT coalesce(x, 0) $$;', type: 'int', default: 'strict_coalesce(1)' },
  { name: 'STRICT, body CASE', functions: 'CREATE FUNCTION strict_case(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END $$;', type: 'int', default: 'strict_case(1)' },
  { name: 'STRICT, body calls concat (not strict)', functions: "CREATE FUNCTION strict_concat(x text) RETURNS text LANGUAGE sql STRICT AS $$ SELECT concat(x, 'a') $$;", type: 'text', default: "strict_concat('b')" },
  { name: 'STRICT, body calls a STABLE function that is not STRICT', functions: 'CREATE FUNCTION lax_stable(x int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT x $$;\nCREATE FUNCTION strict_lax(x int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT lax_stable(x) $$;', type: 'int', default: 'strict_lax(1)' },
  { name: 'STRICT by ALTER FUNCTION, body COALESCE', functions: 'CREATE FUNCTION later_strict(x int) RETURNS int LANGUAGE sql AS $$ SELECT coalesce(x, 0) $$;\nALTER FUNCTION later_strict(int) STRICT;', type: 'int', default: 'later_strict(1)' },
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
      const { reported, rewritten } = await reportedAndRewritten(db, 'MG205', cases, { created, statement: (c, i) => `ALTER TABLE t${i} ADD COLUMN c ${c.type} DEFAULT ${c.default};`, table: (i) => `t${i}` });
      expect(reported).toEqual(rewritten);
      // What the cases show, as the docs say it.
      expect(rewritten).toEqual([
        'left VOLATILE, body random()', 'a volatile parameter DEFAULT', 'inlined into an inlined one, volatile',
        'plpgsql', 'SECURITY DEFINER', 'SECURITY DEFINER by ALTER FUNCTION', 'SET search_path', 'a body with FROM', 'a body with a sub-select', 'a body of two statements',
        'a body calling a set-returning function', 'a body calling an aggregate',
        'STRICT, body random() with its parameter', 'STRICT, a parameter unused', 'STRICT, body COALESCE', 'STRICT, body CASE', 'STRICT, body calls concat (not strict)',
        'STRICT, body calls a STABLE function that is not STRICT', 'STRICT by ALTER FUNCTION, body COALESCE',
      ]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

/**
 * A bare function name in a default, looked up as PostgreSQL looks it up under the search_path
 * the file set: pg_catalog first unless the path lists it, then the path's schemas in order; the
 * body of a SQL function PostgreSQL inlines is read under the same path.
 */
const pathCases: { name: string; path: string; type: string; default: string }[] = [
  { name: 'app first: app.stamp(), STABLE', path: 'app, public', type: 'float8', default: 'stamp()' },
  { name: 'public first: public.stamp(), VOLATILE', path: 'public, app', type: 'float8', default: 'stamp()' },
  { name: 'only in app, STABLE', path: 'app', type: 'float8', default: 'app_only()' },
  { name: 'pg_catalog first: now(), not app.now()', path: 'app', type: 'timestamptz', default: 'now()' },
  { name: 'pg_catalog listed after app: app.now(), VOLATILE', path: 'app, pg_catalog', type: 'timestamptz', default: 'now()' },
  { name: 'an inlined body read under the path: helper() is app.helper(), STABLE', path: 'app, public', type: 'float8', default: 'wrap()' },
  { name: 'an inlined body read under the default path: helper() is public.helper(), VOLATILE', path: 'public', type: 'float8', default: 'wrap()' },
];
const pathFunctions = [
  'CREATE SCHEMA app;',
  'CREATE FUNCTION public.stamp() RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN RETURN random(); END $$;',
  'CREATE FUNCTION app.stamp() RETURNS float8 LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$;',
  'CREATE FUNCTION app.app_only() RETURNS float8 LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$;',
  'CREATE FUNCTION app.now() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN RETURN clock_timestamp(); END $$;',
  'CREATE FUNCTION public.helper() RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN RETURN random(); END $$;',
  'CREATE FUNCTION app.helper() RETURNS float8 LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$;',
  'CREATE FUNCTION public.wrap() RETURNS float8 LANGUAGE sql AS $$ SELECT helper() $$;',
].join('\n');

function pathSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ADD COLUMN ... DEFAULT of a bare function name under SET search_path on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG205 reports exactly the defaults after which the table has a new file', async () => {
      const created = `${pathFunctions}\n${pathCases.map((_, i) => `CREATE TABLE public.p${i} (id int);\nINSERT INTO public.p${i} VALUES (1), (2), (3);\n`).join('')}`;
      const add = (c: (typeof pathCases)[number], i: number) => `SET search_path = ${c.path}; ALTER TABLE public.p${i} ADD COLUMN c ${c.type} DEFAULT ${c.default};`;
      const { reported, rewritten } = await reportedAndRewritten(db, 'MG205', pathCases, { created, statement: add, table: (i) => `public.p${i}`, after: 'RESET search_path' });
      expect(reported).toEqual(rewritten);
      expect(rewritten).toEqual([
        'public first: public.stamp(), VOLATILE', 'pg_catalog listed after app: app.now(), VOLATILE',
        'an inlined body read under the default path: helper() is public.helper(), VOLATILE',
      ]);
    });
  });
}

for (const engine of sqlEngines()) pathSuite(engine.name, engine.open);
