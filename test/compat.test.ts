import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCompatibility } from '../src/analyze/compat/check.js';
import { resolveQuery } from '../src/analyze/compat/resolve.js';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';
import type { Plan } from '../src/normalize/model.js';
import { numberNamedParameters, readAppQueries } from '../src/normalize/app-queries.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { pgliteEngine, serverEngine, type Engine } from '../src/verify/engine.js';
import { rehearseCompatibility } from '../src/verify/compat.js';
import { openRehearsalDatabase } from '../src/verify/rehearse.js';
import { root } from './helpers.js';

/**
 * App-version compatibility: the example plans are safe and their matrix says why; seeded
 * variants that break a live version are caught by the static check, at the right step, and
 * by the database (PGlite, and PostgreSQL when MIGC_TEST_DATABASE_URL is set) at the same state.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

/** The project's plans folder in memory, so variants of the examples can be compiled beside their files. */
function project(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(`${root}plans`)) if (!f.endsWith('.yaml')) try { files[`plans/${f}`] = readFileSync(`${root}plans/${f}`, 'utf8'); } catch { /* a folder */ }
  for (const f of readdirSync(`${root}plans/apps`)) files[`plans/apps/${f}`] = readFileSync(`${root}plans/apps/${f}`, 'utf8');
  return files;
}

const emailVerified = readFileSync(`${root}plans/email-verified.yaml`, 'utf8');
const renameUserName = readFileSync(`${root}plans/rename-user-name.yaml`, 'utf8');

function replaced(text: string, from: string, to: string): string {
  expect(text, `the example no longer holds ${JSON.stringify(from)}`).toContain(from);
  return text.replace(from, () => to); // a function: '$$' in `to` must stay '$$'
}

async function compiled(yaml: string) {
  // Rehearsals need rows, not 5,000 of them: fewer keep the engine suites quick.
  yaml = yaml.replace('users: { rows: 5000 }', 'users: { rows: 200 }');
  const result = await compile({ files: ['plans/variant.yaml'] }, memoryHost({ ...project(), 'plans/variant.yaml': yaml }));
  const plan = result.plans[0]!.plan!;
  const position = (d: { span?: { start: number } }) => result.sources.get('plans/variant.yaml')!.position(d.span?.start ?? 0).line;
  const compat = result.diagnostics.filter((d) => /^MG12/.test(d.code)).map((d) => `${position(d)} ${d.code} ${d.message}`);
  return { result, plan, compat };
}

/** The seeded plans: each breaks a live version; the safe version of each is the example itself. */
const seeded: { name: string; yaml: () => string; code: string; state: string; version: string; query: string; why: RegExp }[] = [
  {
    name: 'a drop too early (the readers of the old column are still live)',
    yaml: () => replaced(emailVerified, '      deploy: { version: v2.15, note: reads and writes only email_verified }\n', ''),
    code: 'MG123', state: 'step:drop-verification-date', version: 'v2.14', query: 'apps/users-v2.14.sql:2', why: /column users\.verification_date does not exist/,
  },
  {
    name: 'a rename without a sync step',
    yaml: () => replaced(replaced(renameUserName,
      '        sql: ALTER TABLE users ADD COLUMN full_name text;\n        rollback:\n          sql: ALTER TABLE users DROP COLUMN full_name;',
      '        sql: ALTER TABLE users RENAME COLUMN name TO full_name;\n        rollback:\n          sql: ALTER TABLE users RENAME COLUMN full_name TO name;'),
      'NEW.full_name := NEW.name;', 'NEW.full_name := NEW.full_name;'),
    code: 'MG123', state: 'step:add-full-name', version: 'v3.1', query: 'apps/users-v3.1.sql:2', why: /column users\.name does not exist/,
  },
  {
    // The backfill phase no longer waits for v2.14 (which writes the column), and sets NOT NULL.
    name: 'SET NOT NULL before the writers set the column',
    yaml: () => replaced(replaced(replaced(emailVerified,
      'ADD COLUMN email_verified boolean DEFAULT false;', 'ADD COLUMN email_verified boolean;'),
      '      deploy: { version: v2.14, note: writes email_verified and verification_date }\n', ''),
      'sql: ALTER TABLE users ADD CONSTRAINT users_email_verified_not_null CHECK (email_verified IS NOT NULL) NOT VALID;\n        rollback:\n          sql: ALTER TABLE users DROP CONSTRAINT users_email_verified_not_null;',
      'sql: ALTER TABLE users ALTER COLUMN email_verified SET NOT NULL;\n        rollback:\n          sql: ALTER TABLE users ALTER COLUMN email_verified DROP NOT NULL;'),
    code: 'MG123', state: 'step:not-null-check', version: 'v2.13', query: 'apps/users-v2.13.csv:4', why: /INSERT into users leaves out email_verified, which is NOT NULL and has no default/,
  },
  {
    name: 'a type change that breaks a comparison',
    yaml: () => replaced(emailVerified, 'ADD COLUMN email_verified boolean DEFAULT false;', 'ADD COLUMN email_verified boolean DEFAULT false;\n          ALTER TABLE users ALTER COLUMN verification_date TYPE text;'),
    code: 'MG123', state: 'step:add-column', version: 'v2.13', query: 'apps/users-v2.13.csv:3', why: /verification_date \(text\) > a timestamptz expression: no such operator/,
  },
  {
    name: 'a rollback to a version that cannot run on the rolled-back schema',
    yaml: () => replaced(emailVerified, 'sql: ALTER TABLE users ADD COLUMN verification_date timestamptz;', 'sql: ALTER TABLE users ADD COLUMN verification_date text;'),
    code: 'MG124', state: 'rollback:drop-verification-date', version: 'v2.14', query: 'apps/users-v2.14.sql:6', why: /verification_date \(text\) > a timestamptz expression/,
  },
];

beforeAll(async () => {
  await loadSqlParser();
});

describe('the static check', () => {
  it.each([['email-verified', emailVerified], ['rename-user-name', renameUserName]])('passes the example %s, and its matrix says which version runs where', async (_, yaml) => {
    const { result, compat } = await compiled(yaml);
    expect(compat).toEqual([]);
    expect(result.plans[0]!.ok).toBe(true);
  });

  it('knows which versions are live where in email-verified: a deploy joins the state it rolls out on, a phase\'s way down serves the versions of the phase and before it', async () => {
    const { plan } = await compiled(emailVerified);
    const live = Object.fromEntries(appCompatibility(plan).matrix!.states.map((s) => [s.id, s.cells.filter((c) => c.live).map((c) => c.version).join(' ')]));
    expect(live).toEqual({
      start: 'v2.13',
      'step:add-column': 'v2.13 v2.14',
      'rollback:add-column': 'v2.13',
      'step:backfill-email-verified': 'v2.14',
      'step:not-null-check': 'v2.14',
      'step:validate-not-null': 'v2.14 v2.15',
      'rollback:not-null-check': 'v2.13 v2.14',
      'rollback:backfill-email-verified': 'v2.13 v2.14',
      'step:set-not-null': 'v2.15',
      'step:drop-verification-date': 'v2.15',
      'rollback:drop-verification-date': 'v2.14 v2.15',
      'rollback:set-not-null': 'v2.14 v2.15',
    });
    // What makes the order safe: the drop breaks v2.13 and v2.14, which are no longer live there.
    const drop = appCompatibility(plan).matrix!.states.find((s) => s.id === 'step:drop-verification-date')!;
    expect(drop.cells.map((c) => [c.version, c.live, c.problems.length > 0])).toEqual([['v2.13', false, true], ['v2.14', false, true], ['v2.15', true, false]]);
  });

  it('counts a deploy step in rename-user-name: v3.2 is live from the state it rolls out on', async () => {
    const { plan } = await compiled(renameUserName);
    const states = appCompatibility(plan).matrix!.states;
    const live = (id: string) => states.find((s) => s.id === id)!.cells.filter((c) => c.live).map((c) => c.version);
    expect(live('step:sync-trigger')).toEqual(['v3.1']);
    expect(live('step:copy-names')).toEqual(['v3.1', 'v3.2']);
    expect(live('step:drop-name')).toEqual(['v3.2']);
  });

  it.each(seeded)('catches $name', async ({ yaml, code, state, version, query, why }) => {
    const { plan, compat } = await compiled(yaml());
    // A finding names every query it breaks at that state: (file:line) or (N queries: file:line, ...).
    const names = (c: string, q: string) => new RegExp(`[(:,] ?${q.replace(/[.]/g, '\\.')}[,)]`).test(c);
    const found = compat.filter((c) => c.includes(code) && c.includes(`app ${version} `) && names(c, query));
    expect(found.length, compat.join('\n')).toBeGreaterThan(0);
    expect(found[0]).toMatch(why);
    // The first state where the cell breaks is the one the finding is about.
    const cell = appCompatibility(plan).matrix!.states.find((s) => s.id === state)!.cells.find((c) => c.version === version)!;
    expect(cell.live).toBe(true);
    expect(cell.problems.map((p) => `${p.query.file}:${p.query.line}`)).toContain(query);
  });

  // A NOT VALID check is not checked against the rows there, but it is against every new row.
  it('knows that a CHECK (col IS NOT NULL), NOT VALID too, requires the column of an INSERT as NOT NULL does', async () => {
    const { compat } = await compiled(replaced(replaced(emailVerified,
      'ADD COLUMN email_verified boolean DEFAULT false;', 'ADD COLUMN email_verified boolean;'),
      '      deploy: { version: v2.14, note: writes email_verified and verification_date }\n', ''));
    expect(compat.filter((c) => c.includes('MG123'))).toEqual([
      expect.stringMatching(/^\d+ MG123 app v2\.13 breaks after step "not-null-check": INSERT into users leaves out email_verified, which a CHECK \(email_verified IS NOT NULL\) requires in new rows \(NOT VALID too\), and has no default \(apps\/users-v2\.13\.csv:4\)$/),
    ]);
    // With the example's DEFAULT false the INSERT gets a value: nothing to say.
    expect((await compiled(replaced(emailVerified, '      deploy: { version: v2.14, note: writes email_verified and verification_date }\n', ''))).compat.filter((c) => c.includes('leaves out'))).toEqual([]);
  });

  it('says a free-text deploy leaves migc guessing, and refuses a version apps: does not list', async () => {
    const free = await compiled(replaced(emailVerified, 'deploy: { version: v2.15, note: reads and writes only email_verified }', 'deploy: app v2.15 (reads and writes only email_verified)'));
    expect(free.compat.some((c) => c.includes('MG122') && c.includes('phase "contract"'))).toBe(true);
    // Free text names no version: v2.14 stays live and the drop breaks it.
    expect(free.compat.some((c) => c.includes('MG123') && c.includes('app v2.14'))).toBe(true);
    const unknown = await compiled(replaced(emailVerified, 'deploy: { version: v2.15,', 'deploy: { version: v2.51,'));
    expect(unknown.compat.some((c) => c.includes('MG121') && c.includes('v2.51'))).toBe(true);
  });
});

describe('the resolver', () => {
  const state = (sql: string) => {
    const s = new SchemaState();
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    for (const st of parsed.statements) s.apply(st.ast, false);
    return s;
  };
  const baseline = `CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, age integer, active boolean NOT NULL DEFAULT true, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint NOT NULL, total numeric(10,2) NOT NULL);
    CREATE TYPE mood AS ENUM ('ok');
    CREATE FUNCTION score(bigint) RETURNS integer LANGUAGE sql AS 'SELECT 1';
    CREATE VIEW active_users AS SELECT * FROM users WHERE active;`;
  const problems = (query: string, extra = '') => {
    const parsed = parseSql(numberNamedParameters(query));
    if (!parsed.ok) throw new Error(parsed.message);
    return resolveQuery(parsed.statements[0]!.ast, { state: state(baseline + extra), unknownObjectsMayExist: false });
  };

  it.each([
    'SELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email = $1 ORDER BY u.created_at DESC',
    'WITH recent AS (SELECT id, email FROM users WHERE created_at > now() - interval \'1 day\') SELECT r.email FROM recent r',
    'SELECT x.n FROM (SELECT count(*) AS n FROM orders) x',
    'SELECT id FROM users WHERE id IN (SELECT user_id FROM orders WHERE total > 10)',
    'INSERT INTO users (email) VALUES (:email) ON CONFLICT (email) DO UPDATE SET age = EXCLUDED.age RETURNING id',
    'INSERT INTO orders (user_id, total) SELECT id, 1 FROM users',
    'UPDATE orders o SET total = o.total + 1 FROM users u WHERE u.id = o.user_id AND u.active',
    'DELETE FROM orders USING users WHERE users.id = orders.user_id AND NOT users.active',
    'SELECT score(id), \'ok\'::mood FROM active_users WHERE anything_goes = 1',
    'SELECT relname FROM pg_class WHERE relkind = \'r\'',
    'SELECT email, count(*) AS n FROM users GROUP BY email ORDER BY n DESC',
  ])('accepts %s', (query) => {
    expect(problems(query)).toEqual([]);
  });

  it.each([
    ['SELECT nickname FROM users', /column users\.nickname does not exist/],
    ['SELECT u.nickname FROM users u', /column users\.nickname does not exist/],
    ['SELECT id FROM accounts', /table accounts does not exist/],
    ['SELECT score(id) FROM users', /function score\(\) does not exist/, 'DROP FUNCTION score(bigint);'],
    ['SELECT \'ok\'::mood', /type mood does not exist/, 'DROP TYPE mood;'],
    ['SELECT id FROM active_users', /table active_users does not exist/, 'DROP VIEW active_users;'],
    ['INSERT INTO orders (user_id) VALUES ($1)', /leaves out total, which is NOT NULL and has no default/],
    ['SELECT id FROM users WHERE age LIKE \'1%\'', /LIKE needs a string/],
    ['SELECT id FROM users WHERE age', /WHERE needs a boolean/],
    ['SELECT id FROM users WHERE email = 5', /email \(text\) = an integer literal: no such operator/],
    ['UPDATE users SET active = 1 WHERE id = $1', /column users\.active is boolean, but the query writes an integer literal/],
    ['SELECT id FROM users WHERE created_at BETWEEN 1 AND 2', /BETWEEN/],
    ['SELECT x.id FROM users u', /missing FROM-clause entry for x/],
  ])('reports %s', (query, why, extra = '') => {
    expect(problems(query as string, extra as string).join('\n')).toMatch(why as RegExp);
  });

  it('follows renames and defaults through the plan\'s statements', () => {
    expect(problems('SELECT nick FROM users', 'ALTER TABLE users RENAME COLUMN email TO nick;')).toEqual([]);
    expect(problems('INSERT INTO users (email) VALUES ($1)', 'ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT \'free\';')).toEqual([]);
    expect(problems('INSERT INTO users (email) VALUES ($1)', 'ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT \'free\'; ALTER TABLE users ALTER COLUMN tier DROP DEFAULT;').join()).toMatch(/leaves out tier/);
    expect(problems('SELECT v FROM t', 'CREATE TABLE t AS SELECT 1 AS v;')).toEqual([]);
    // Values without a column list fill columns in table order, which a rename does not change.
    expect(problems("INSERT INTO users VALUES (DEFAULT, 'a@example.com')", 'ALTER TABLE users RENAME COLUMN email TO mail;')).toEqual([]);
    expect(problems('INSERT INTO orders VALUES (DEFAULT, 1)').join()).toMatch(/leaves out total/);
  });
});

describe('query files', () => {
  it('reads pg_stat_statements exports in CSV (quoted line breaks) and JSON, with lines', () => {
    const csv = readAppQueries('q.csv', 'query,calls\n"SELECT id\nFROM users WHERE id = $1",3\n"SELECT 1 FROM users, x WHERE ""x"".a = 1",1\n');
    expect(csv.problems).toEqual([]);
    expect(csv.queries.map((q) => q.line)).toEqual([2, 4]);
    const json = readAppQueries('q.json', '[\n  {"query": "SELECT 1"},\n  {"calls": 3},\n  {"query": "UPDATE users SET age = $1"}\n]');
    expect(json.queries.map((q) => [q.line, q.text])).toEqual([[2, 'SELECT 1'], [4, 'UPDATE users SET age = $1']]);
  });

  it('numbers :name parameters per statement and leaves casts and strings alone', () => {
    expect(numberNamedParameters("SELECT :a::int, ':b', :a; INSERT INTO t VALUES (:c, $1)")).toBe("SELECT $1::int, ':b', $1; INSERT INTO t VALUES ($2, $1)");
  });

  it('refuses a query whose parameters skip a number: the database could not type it on any schema', () => {
    const read = readAppQueries('q.sql', 'SELECT 1 FROM users WHERE id = $1;\nSELECT 1 FROM users WHERE id = $2 AND email = $3;');
    expect(read.queries.map((q) => q.line)).toEqual([1]);
    expect(read.problems).toEqual([{ line: 2, message: 'the query uses $3 but not $1, so PostgreSQL cannot determine the type of $1 and refuses to prepare it' }]);
  });

  it('leaves out statements that are no queries, and says when nothing is left', () => {
    expect(readAppQueries('q.sql', 'SET search_path = app;\nSELECT 1;').queries.map((q) => q.line)).toEqual([2]);
    expect(readAppQueries('q.sql', 'BEGIN;').problems[0]!.message).toMatch(/holds no query/);
  });
});

/** The seeded plans on a real engine: the database fails the same queries at the same states. */
function engineSuite(name: string, makeEngine: () => Promise<Engine>) {
  describe(name, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await makeEngine();
    }, 60_000);
    afterAll(async () => {
      await engine?.dispose();
    });

    /** The compatibility walk alone, on a database with the plan's baseline and fixtures (as migc verify gives it one of its own). */
    const rehearse = async (plan: Plan) => {
      const { db, diagnostics } = await openRehearsalDatabase(plan, engine);
      expect(diagnostics).toEqual([]);
      try {
        return (await rehearseCompatibility(plan, db!))!;
      } finally {
        await db!.close();
      }
    };

    it.each([['email-verified', emailVerified], ['rename-user-name', renameUserName]])('runs every live version of %s at every state without an error', async (_, yaml) => {
      const { plan } = await compiled(yaml);
      const compat = await rehearse(plan);
      expect(compat.stopped).toBeUndefined();
      expect(compat.states.map((s) => s.id)).toEqual(appCompatibility(plan).matrix!.states.map((s) => s.id));
      expect(compat.states.flatMap((s) => s.runs.filter((r) => r.error).map((r) => `${s.id} ${r.version} ${r.query.line}: ${r.error}`))).toEqual([]);
      expect(compat.diagnostics).toEqual([]);
      expect(compat.queries).toBeGreaterThan(40);
    }, 60_000);

    it.each(seeded)('fails $name where the static check said', async ({ yaml, state, version, query }) => {
      const { plan } = await compiled(yaml());
      const compat = await rehearse(plan);
      const failed = compat.states.find((s) => s.id === state)!.runs.filter((r) => r.error && r.version === version).map((r) => `${r.query.file}:${r.query.line}`);
      expect(failed).toContain(query);
      // Every failure the database saw, the static check saw too (nothing missed: no MG126).
      expect(compat.diagnostics.filter((d) => d.code === 'MG126').map((d) => d.message)).toEqual([]);
    }, 60_000);

    // SQL a DO block builds at run time from what a query returns is out of the static check's sight: the database sees what it does.
    it('reports what the static check missed (MG126): a column renamed by dynamic SQL under a live version', async () => {
      const { plan } = await compiled(replaced(emailVerified, 'ADD COLUMN email_verified boolean DEFAULT false;',
        "ADD COLUMN email_verified boolean DEFAULT false;\n          DO $$ BEGIN EXECUTE 'ALTER TABLE users RENAME COLUMN name TO ' || (SELECT 'display_name'); END $$;"));
      const compat = await rehearse(plan);
      const missed = compat.diagnostics.filter((d) => d.code === 'MG126').map((d) => d.message);
      expect(missed.join('\n')).toMatch(/app v2\.13's queries fail on the database after step "add-column", though the static check passed them: column "name" does not exist \(2 queries: apps\/users-v2\.13\.csv:2, apps\/users-v2\.13\.csv:4\)/);
      expect(compat.diagnostics.every((d) => d.severity === 'error' || d.code === 'MG127')).toBe(true);
    }, 60_000);

    it('groups what the static check missed as MG123 does: one finding per version and cause, naming its queries', async () => {
      const { plan } = await compiled(replaced(emailVerified, 'ADD COLUMN email_verified boolean DEFAULT false;',
        "ADD COLUMN email_verified boolean DEFAULT false;\n          DO $$ BEGIN EXECUTE 'ALTER TABLE users RENAME COLUMN verification_date TO ' || (SELECT 'verified_at'); END $$;"));
      const compat = await rehearse(plan);
      const missed = compat.diagnostics.filter((d) => d.code === 'MG126').map((d) => d.message);
      // v2.13 reads verification_date in three queries: one finding; v2.14, deployed there, is another.
      expect(missed.filter((m) => m.startsWith('app v2.13'))).toEqual([
        'app v2.13\'s queries fail on the database after step "add-column", though the static check passed them: column "verification_date" does not exist (3 queries: apps/users-v2.13.csv:2, apps/users-v2.13.csv:3, apps/users-v2.13.csv:5)',
      ]);
      // "column ... does not exist" and, for an INSERT's column, "column ... of relation ... does not exist": one cause.
      expect(missed.filter((m) => m.startsWith('app v2.14'))).toEqual([
        'app v2.14\'s queries fail on the database after step "add-column", though the static check passed them: column "verification_date" does not exist (4 queries: apps/users-v2.14.sql:2, apps/users-v2.14.sql:6, apps/users-v2.14.sql:11, apps/users-v2.14.sql:15)',
      ]);
    }, 60_000);

    /** The view fixtures (test/fixtures/rules): the database fails exactly the live queries the static check said, at the same states. */
    it.each(['MG123/fail-view-narrowed', 'MG123/fail-view-not-writable', 'MG123/pass-view-keeps-old-name', 'MG124/fail-rollback-narrows-view'])('agrees with the static check on views: %s', async (fixture) => {
      const [code, name] = fixture.split('/') as [string, string];
      const dir = `${root}test/fixtures/rules/${code}`;
      const files = Object.fromEntries(readdirSync(dir).map((f) => [`plans/${f}`, readFileSync(`${dir}/${f}`, 'utf8')]));
      const result = await compile({ files: [`plans/${name}.yaml`] }, memoryHost(files));
      const plan = result.plans[0]!.plan!;
      const compat = await rehearse(plan);
      expect(compat.stopped).toBeUndefined();
      const statically = appCompatibility(plan).matrix!.states.flatMap((s) => s.cells.filter((c) => c.live).flatMap((c) => c.problems.map((p) => `${s.id} ${c.version} ${p.query.file}:${p.query.line}`)));
      const onDatabase = compat.states.flatMap((s) => s.runs.filter((r) => r.error).map((r) => `${s.id} ${r.version} ${r.query.file}:${r.query.line}`));
      expect(onDatabase.sort()).toEqual([...new Set(statically)].sort());
      expect(compat.diagnostics).toEqual([]);
      if (name.startsWith('fail-')) expect(onDatabase.length).toBeGreaterThan(0);
      else expect(compat.queries).toBeGreaterThan(3);
    }, 60_000);

    it('reports what the static check got wrong (MG127): a column added by dynamic SQL that a deployed version uses', async () => {
      const { plan, compat: statically } = await compiled(replaced(emailVerified, 'sql: ALTER TABLE users ADD COLUMN email_verified boolean DEFAULT false;',
        "sql: DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN ' || (SELECT 'email_verified') || ' boolean DEFAULT false'; END $$;"));
      expect(statically.some((c) => c.includes('MG123') && c.includes('app v2.14'))).toBe(true);
      const compat = await rehearse(plan);
      const wrong = compat.diagnostics.filter((d) => d.code === 'MG127').map((d) => d.message);
      // One finding per version and static reason, naming its queries and how they ran.
      expect(wrong.join('\n')).toMatch(/the static check says app v2\.14's queries break after step "add-column" \(column users\.email_verified does not exist\), but they ran on the database \(executed with sample values, rolled back\) \(2 queries: apps\/users-v2\.14\.sql:11, apps\/users-v2\.14\.sql:15\)/);
      expect(wrong.filter((m) => m.includes('app v2.15'))).toEqual([expect.stringMatching(/app v2\.15's queries break after step "validate-not-null" .*\((EXPLAIN|PREPARE).*; executed with sample values, rolled back\) \(4 queries: /)]);
      expect(compat.diagnostics.filter((d) => d.code === 'MG126')).toEqual([]);
    }, 60_000);
  });
}

engineSuite('on PGlite', pgliteEngine);

describe.skipIf(!serverUrl)('on PostgreSQL (MIGC_TEST_DATABASE_URL)', () => {
  engineSuite('server', async () => {
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    return outcome.engine;
  });
});
