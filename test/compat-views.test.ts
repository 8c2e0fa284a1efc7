import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeQuery } from '../src/analyze/compat/resolve.js';
import { ViewCatalog } from '../src/analyze/compat/views.js';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { pgliteEngine, serverEngine, type Engine, type RehearsalDatabase } from '../src/verify/engine.js';

/**
 * Views as the app-compatibility check knows them, compared with what PostgreSQL makes of the
 * same SQL: the columns a view gets (names as PostgreSQL gives them, `*` expanded when the view
 * is created), which writes through a view it accepts, and which statements it refuses because
 * a view depends on what they change. On PGlite always, and on the PostgreSQL server when
 * MIGC_TEST_DATABASE_URL is set.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

const tables = `CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL, b int, c int DEFAULT 3, d timestamptz NOT NULL DEFAULT now());
  CREATE TABLE u (id int, t_id int, z text);`;

/** Each view alone (several would repeat ?column?), after the tables. */
const views = [
  'CREATE VIEW v AS SELECT * FROM t',
  'CREATE VIEW v AS SELECT t.*, u.z FROM t JOIN u ON u.t_id = t.id',
  'CREATE VIEW v AS SELECT u.*, t.a FROM t, u',
  'CREATE VIEW v AS SELECT b + 1, lower(a), a::text AS at FROM t',
  "CREATE VIEW v AS SELECT 'x'::text, b::numeric(3,1), 'y'::varchar(3), 1::int FROM t",
  'CREATE VIEW v AS SELECT CASE WHEN b > 1 THEN 1 END, coalesce(b, 1), EXISTS (SELECT 1 FROM u), ARRAY[b] FROM t',
  'CREATE VIEW v AS SELECT CASE WHEN b > 1 THEN a ELSE a END, (SELECT z FROM u LIMIT 1), (SELECT 1), ARRAY(SELECT 1) FROM t',
  'CREATE VIEW v AS SELECT now(), current_date, current_user, greatest(b, 1), nullif(b, 1), row(a, b)::text, pg_catalog.upper(a) FROM t',
  'CREATE VIEW v AS SELECT (t).a, (ARRAY[b])[1], a IS NULL, count(*) OVER () FROM t',
  'CREATE VIEW v AS SELECT -b, t AS whole FROM t',
  'CREATE VIEW v(x, y) AS SELECT id, a, b FROM t',
  'CREATE VIEW v AS SELECT x.n FROM (SELECT count(*) AS n FROM t) x',
  "CREATE VIEW v AS SELECT * FROM (VALUES (1, 'a')) w",
  'CREATE VIEW v AS SELECT * FROM (SELECT id, a FROM t) s(k)',
  'CREATE VIEW v AS WITH w AS (SELECT id, a AS name FROM t) SELECT * FROM w',
  'CREATE VIEW v AS WITH w(k) AS (SELECT id, a FROM t) SELECT * FROM w',
  'CREATE VIEW v AS SELECT id, a FROM t UNION SELECT id, z FROM u',
  'CREATE MATERIALIZED VIEW v AS SELECT id, upper(a), d FROM t',
  'CREATE MATERIALIZED VIEW v (k) AS SELECT id, upper(a) FROM t',
];

/** Writes through views, each judged alone on a schema with these views. */
const viewSchema = `${tables}
  CREATE VIEW simple AS SELECT id, a, b FROM t;
  CREATE VIEW expr AS SELECT id, a || 'x' AS ax, a FROM t;
  CREATE VIEW hidden AS SELECT id, b FROM t;
  CREATE VIEW dist AS SELECT DISTINCT id FROM t;
  CREATE VIEW agg AS SELECT b, count(*) AS n FROM t GROUP BY b;
  CREATE VIEW joined AS SELECT t.id, u.z FROM t JOIN u ON u.t_id = t.id;
  CREATE VIEW limited AS SELECT id, a FROM t ORDER BY id LIMIT 10;
  CREATE MATERIALIZED VIEW mat AS SELECT id, a FROM t;
  CREATE VIEW nested AS SELECT id AS key, a FROM simple;
  CREATE VIEW over_dist AS SELECT id FROM dist;
  CREATE VIEW defaults AS SELECT id, b FROM t;
  ALTER VIEW defaults ALTER COLUMN b SET DEFAULT 1;
  CREATE VIEW with_trigger AS SELECT DISTINCT id, a FROM t;
  CREATE FUNCTION with_trigger_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t (id, a) VALUES (NEW.id, NEW.a); RETURN NEW; END $$;
  CREATE TRIGGER with_trigger_insert INSTEAD OF INSERT ON with_trigger FOR EACH ROW EXECUTE FUNCTION with_trigger_insert();
  CREATE VIEW star AS SELECT * FROM t;
  CREATE VIEW whole_row AS SELECT u AS r FROM u;
  ALTER TABLE t ADD COLUMN e int NOT NULL DEFAULT 0;`;

const writes = [
  "INSERT INTO simple (id, a) VALUES (1, 'x')",
  'INSERT INTO simple (id, b) VALUES (1, 2)',
  "INSERT INTO simple VALUES (1, 'x', 2)",
  'UPDATE simple SET b = 2 WHERE a = \'x\'',
  'DELETE FROM simple WHERE id = 1',
  "INSERT INTO expr (id, ax) VALUES (1, 'y')",
  "INSERT INTO expr (id, a) VALUES (1, 'y')",
  "UPDATE expr SET ax = 'z'",
  "UPDATE expr SET a = 'z' WHERE ax = 'zx'",
  'INSERT INTO hidden (id, b) VALUES (1, 2)',
  'UPDATE hidden SET b = 3',
  'DELETE FROM hidden',
  'INSERT INTO dist VALUES (1)',
  'DELETE FROM dist',
  'UPDATE agg SET b = 1',
  "INSERT INTO joined (id, z) VALUES (1, 'z')",
  'DELETE FROM limited',
  "INSERT INTO mat VALUES (1, 'a')",
  'DELETE FROM mat',
  "INSERT INTO nested (key, a) VALUES (1, 'x')",
  'INSERT INTO nested (key) VALUES (1)',
  'DELETE FROM over_dist',
  "INSERT INTO with_trigger VALUES (1, 'x')",
  "INSERT INTO star (id, a) VALUES (1, 'x')",
  "INSERT INTO star (id, a, e) VALUES (1, 'x', 1)",
  'INSERT INTO defaults (id) VALUES (1)',
  'UPDATE simple SET b = true',
  'SELECT e FROM star',
  'SELECT n FROM agg WHERE b = 1',
  'SELECT key, a FROM nested',
  'SELECT id, upper FROM (SELECT id, upper(a) FROM simple) s',
];

/** Statements PostgreSQL refuses or accepts because of the views on their tables (after viewSchema). */
const changes = [
  'ALTER TABLE t DROP COLUMN b',
  'ALTER TABLE t DROP COLUMN c',
  'ALTER TABLE t DROP COLUMN b CASCADE',
  'ALTER TABLE t ALTER COLUMN b TYPE bigint',
  'ALTER TABLE t ALTER COLUMN c TYPE bigint',
  'ALTER TABLE u ALTER COLUMN z TYPE varchar',
  'ALTER TABLE u DROP COLUMN id',
  'DROP TABLE u',
  'DROP TABLE u CASCADE',
  'DROP VIEW dist',
  'DROP VIEW dist CASCADE',
  'DROP VIEW over_dist',
  'DROP VIEW dist, over_dist',
  'DROP VIEW simple, nested',
  'DROP VIEW simple',
  'DROP MATERIALIZED VIEW mat',
  'CREATE OR REPLACE VIEW simple AS SELECT id, a FROM t',
  'CREATE OR REPLACE VIEW simple AS SELECT id, a, b, c FROM t',
  'CREATE OR REPLACE VIEW simple AS SELECT id, a AS name, b FROM t',
  'CREATE OR REPLACE VIEW simple AS SELECT id, a, b::bigint AS b FROM t',
  'CREATE VIEW broken AS SELECT id, nope FROM t',
  'CREATE VIEW twice AS SELECT id, id FROM t',
  'ALTER TABLE t RENAME COLUMN b TO b2',
  'ALTER VIEW simple RENAME COLUMN b TO bee',
];

function parsed(sql: string) {
  const p = parseSql(sql);
  if (!p.ok) throw new Error(p.message);
  return p.statements;
}

/** The static state after some SQL: the schema state and its views, learnt as the compat walk learns them. */
function learn(sql: string) {
  const state = new SchemaState();
  const catalog = new ViewCatalog();
  const refusals: string[] = [];
  for (const s of parsed(sql)) {
    refusals.push(...catalog.apply(s.ast, state, false));
    state.apply(s.ast, false);
  }
  return { state, catalog, refusals };
}

beforeAll(async () => {
  await loadSqlParser();
});

function suite(name: string, makeEngine: () => Promise<Engine>) {
  describe(name, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await makeEngine();
    }, 60_000);
    afterAll(async () => {
      await engine?.dispose();
    });
    const withDb = async <T,>(setup: string, run: (db: RehearsalDatabase) => Promise<T>): Promise<T> => {
      const db = await engine.open();
      try {
        await db.exec(setup);
        return await run(db);
      } finally {
        await db.close();
      }
    };
    /** Whether the database runs `sql` (in a transaction rolled back); its error if not. */
    const attempt = async (db: RehearsalDatabase, sql: string): Promise<string | undefined> => {
      await db.exec('BEGIN');
      try {
        await db.exec(sql);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      } finally {
        await db.exec('ROLLBACK');
      }
    };

    it('gives each view the columns PostgreSQL gives it, in order', async () => {
      const mismatches = await withDb(tables, async (db) => {
        const out: string[] = [];
        for (const view of views) {
          const { catalog, refusals } = learn(`${tables}\n${view};`);
          expect(refusals, view).toEqual([]);
          const known = [...(catalog.get('v')?.columns?.keys() ?? ['(unknown)'])];
          await db.exec(`BEGIN; ${view}`);
          const actual = (await db.query<{ attname: string }>("SELECT attname FROM pg_attribute WHERE attrelid = 'v'::regclass AND attnum > 0 ORDER BY attnum")).rows.map((r) => r.attname);
          await db.exec('ROLLBACK');
          if (known.join(',') !== actual.join(',')) out.push(`${view}\n  migc:       ${known.join(', ')}\n  PostgreSQL: ${actual.join(', ')}`);
        }
        return out;
      });
      expect(mismatches).toEqual([]);
    }, 120_000);

    it('judges queries and writes through views as PostgreSQL does', async () => {
      const { state, catalog } = learn(viewSchema);
      const verdicts = await withDb(viewSchema, async (db) => {
        const out: string[] = [];
        for (const w of writes) {
          const problems = describeQuery(parsed(w)[0]!.ast, { state, unknownObjectsMayExist: false, views: catalog }).problems;
          const error = await attempt(db, w);
          // A type mismatch the database reports at planning is a problem too; either both see one, or neither.
          out.push(`${w}: ${problems.length ? 'refused' : 'accepted'} / ${error ? 'refused' : 'accepted'}${problems.length || error ? ` (${problems.join('; ') || '-'} | ${error ?? '-'})` : ''}`);
        }
        return out;
      });
      const disagreements = verdicts.filter((v) => /: (refused \/ accepted|accepted \/ refused)/.test(v));
      expect(disagreements).toEqual([]);
      // Not vacuous: PostgreSQL refuses many of them.
      expect(verdicts.filter((v) => v.includes('refused / refused')).length).toBeGreaterThan(12);
    }, 60_000);

    it('knows which changes a view makes PostgreSQL refuse', async () => {
      expect(learn(viewSchema).refusals).toEqual([]);
      const disagreements = await withDb(viewSchema, async (db) => {
        const out: string[] = [];
        for (const change of changes) {
          const mine = learn(`${viewSchema}\n${change};`).refusals;
          const error = await attempt(db, change);
          if (!!mine.length !== !!error) out.push(`${change}: migc ${mine.join('; ') || 'accepts'} / PostgreSQL ${error ?? 'accepts'}`);
        }
        return out;
      });
      expect(disagreements).toEqual([]);
    }, 120_000);

    it('follows a view through renames, drops with CASCADE and a narrower view', () => {
      const at = (sql: string, query: string) => {
        const { state, catalog } = learn(`${viewSchema}\n${sql}`);
        return describeQuery(parsed(query)[0]!.ast, { state, unknownObjectsMayExist: false, views: catalog }).problems.join('; ');
      };
      // A view keeps its column names when the table's column is renamed, and follows a renamed table.
      expect(at('ALTER TABLE t RENAME COLUMN b TO b2;', 'SELECT b FROM simple')).toBe('');
      expect(at('ALTER TABLE t RENAME TO t2;', "INSERT INTO simple (id, a) VALUES (1, 'x')")).toBe('');
      expect(at('ALTER TABLE t RENAME TO t2; ALTER TABLE t2 DROP COLUMN b;', 'SELECT 1')).toBe('');
      expect(learn(`${viewSchema}\nALTER TABLE t RENAME TO t2; ALTER TABLE t2 DROP COLUMN b;`).refusals.join()).toMatch(/cannot drop column b of table t2 because other objects depend on it: view simple, view hidden/);
      expect(at('ALTER VIEW simple RENAME COLUMN b TO bee;', 'SELECT b FROM simple')).toMatch(/column simple\.b does not exist/);
      expect(at('ALTER VIEW simple RENAME TO plain;', 'SELECT b FROM simple')).toMatch(/table simple does not exist/);
      expect(at('ALTER TABLE t DROP COLUMN b CASCADE;', 'SELECT id FROM simple')).toMatch(/table simple does not exist/);
      expect(at('DROP VIEW dist CASCADE;', 'SELECT id FROM over_dist')).toMatch(/table over_dist does not exist/);
      expect(at('DROP VIEW simple CASCADE; CREATE VIEW simple AS SELECT id, a FROM t;', 'SELECT id, b FROM simple')).toMatch(/column simple\.b does not exist/);
      // A materialized view: read-only, dropped and renamed like a view (the schema state knew it as a table of unknown columns).
      expect(at('', 'SELECT id, a FROM mat')).toBe('');
      expect(at('', 'SELECT b FROM mat')).toMatch(/column mat\.b does not exist/);
      expect(at('DROP MATERIALIZED VIEW mat;', 'SELECT id FROM mat')).toMatch(/table mat does not exist/);
      expect(at('ALTER MATERIALIZED VIEW mat RENAME TO snapshot;', 'SELECT id FROM mat')).toMatch(/table mat does not exist/);
      expect(at('ALTER MATERIALIZED VIEW mat RENAME TO snapshot;', 'SELECT id, b FROM snapshot')).toMatch(/column snapshot\.b does not exist/);
      // A column added to the table later is not in a view made with *.
      expect(at('', 'SELECT e FROM star')).toMatch(/column star\.e does not exist/);
      // Types follow the view's columns: a comparison that no longer fits.
      expect(at('', "SELECT id FROM simple WHERE b = 'x'::text")).toMatch(/b \(integer\) = a text expression: no such operator/);
    });
  });
}

suite('on PGlite', pgliteEngine);

describe.skipIf(!serverUrl)('on PostgreSQL (MIGC_TEST_DATABASE_URL)', () => {
  suite('server', async () => {
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    return outcome.engine;
  });
});
