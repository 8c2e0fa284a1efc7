import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteEngine, type Engine } from '../src/verify/engine.js';
import { runObserved } from '../src/verify/observe.js';
import { runScript, type SqlSession } from '../src/verify/run-script.js';
import { loadSqlParser, parseSql, type ParsedStatement } from '../src/sql/parser.js';
import { psqlDivergence, psqlStatements, splitPsqlScript } from '../src/sql/psql.js';
import { compileFiles } from './helpers.js';

/**
 * `migc verify` must run exactly what `psql -v ON_ERROR_STOP=1 -f` runs. The splitter is checked
 * here on its own, and then against the real psql: the queries psql sent (its -L log, and its
 * --echo-queries output) must be the queries verify executes, in order, for emitted scripts full
 * of hostile multi-byte text.
 */
beforeAll(() => loadSqlParser());

const sent = (script: string) => {
  const r = psqlStatements(script);
  if (!r.ok) throw new Error(r.message);
  return r.statements.map((s) => s.text);
};

describe('splitting a script as psql does', () => {
  it('ends a query only at a semicolon outside quotes, comments, dollar quotes and parentheses', () => {
    const script = [
      "-- dropped 🎉; SELECT 1;",
      "COMMENT ON TABLE t IS 'é; -- no'; /* ñ; /* nested; */ still; */ SELECT 2;",
      "SELECT $$a;b$$, $x$ $$; $x$, E'\\'; x', \"we;ird\", U&'d;', B'01', (1;",
      "2);",
      'DO $do$ BEGIN PERFORM 1; END $do$;',
    ].join('\n');
    expect(sent(script)).toEqual([
      "COMMENT ON TABLE t IS 'é; -- no';",
      '/* ñ; /* nested; */ still; */ SELECT 2;',
      "SELECT $$a;b$$, $x$ $$; $x$, E'\\'; x', \"we;ird\", U&'d;', B'01', (1;\n2);",
      'DO $do$ BEGIN PERFORM 1; END $do$;',
    ]);
  });

  it('keeps a CREATE FUNCTION ... BEGIN ATOMIC body whole', () => {
    const script = 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nSELECT 3;';
    expect(sent(script)).toEqual([script.slice(0, script.lastIndexOf('END;') + 4), 'SELECT 3;']);
  });

  it('drops empty lines outside quotes and keeps them inside', () => {
    expect(sent("SELECT 1,\n\n  2, '\n\nx';\n\n")).toEqual(["SELECT 1,\n  2, '\n\nx';"]);
  });

  it('sends what is left at the end of the file without a semicolon', () => {
    expect(sent('SELECT 1; SELECT 2 -- no semicolon')).toEqual(['SELECT 1;', 'SELECT 2 -- no semicolon']);
  });

  it('refuses meta-commands, COPY data and psql variables instead of skipping them', () => {
    const refused = (script: string) => {
      const r = psqlStatements(script);
      return r.ok ? 'ok' : `${r.offset} ${r.message}`;
    };
    expect(refused("SELECT 'é';\n\\set ON_ERROR_STOP off\nSELECT 2;")).toMatch(/^12 psql would run the meta-command \\set itself/);
    expect(refused("SELECT 'a' \\g\n")).toMatch(/meta-command \\g/);
    expect(refused('COPY t FROM stdin;\n1\tDROP TABLE t;\n\\.\n')).toMatch(/^19 psql would read 1 line of the script as data/);
    expect(refused('SELECT a[1:DBNAME] FROM t;')).toMatch(/replace :DBNAME/);
    expect(refused("SELECT :'USER';")).toMatch(/replace :USER/);
    // Not psql's: left as they are.
    expect(refused("SELECT a[1:n], '\\set', $$\\x$$, x::text, E'\\\\' FROM t; COPY t TO stdout; COPY t FROM '/f';")).toBe('ok');
  });

  it('tells lint where meta-commands and COPY data are', () => {
    const script = "\\set ON_ERROR_STOP on\nCOPY t (a) FROM stdin;\n1\t日本\n\\.\nSELECT 1 \\gset\n\\copy t from stdin\nx\n\\.\nSELECT 2;";
    expect(splitPsqlScript(script).map((p) => (p.kind === 'sql' ? p.text : p.kind === 'meta' ? `\\${p.command}` : `${p.lines} data`))).toEqual([
      '\\set', 'COPY t (a) FROM stdin;', '1 data', 'SELECT 1 ', '\\gset', '\\copy', '1 data', 'SELECT 2;',
    ]);
  });
});

describe('verify refuses a script psql would not run as plain SQL', () => {
  it.each([
    ["SET lock_timeout = '5s';\n\\set ON_ERROR_STOP off\nDROP TABLE users;", /meta-command \\set/],
    ["SET lock_timeout = '5s';\nCOPY users FROM stdin;\nDROP TABLE users;\n", /as data for COPY/],
    ["SELECT a[1:DBNAME] FROM t;", /replace :DBNAME/],
  ])('before running anything: %j', async (script, error) => {
    const executed: string[] = [];
    const session: SqlSession = { exec: async (sql) => void executed.push(sql), query: async () => ({ rows: [] }) };
    const observed = await runObserved(session, script, []);
    expect(observed.ok).toBe(false);
    expect(observed.runs[0]!.error).toMatch(error);
    const plain = await runScript(session, script);
    expect(plain).toMatchObject({ ok: false, statements: 0 });
    expect(executed).toEqual([]);
  });
});

describe('plan SQL that psql would run otherwise (MG023)', () => {
  const divergence = (sql: string, statements?: ParsedStatement[]) => {
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    return psqlDivergence(sql, statements ?? parsed.statements)?.message;
  };

  it('finds nothing in SQL psql sends statement by statement', () => {
    expect(divergence("COMMENT ON TABLE t IS 'é; \\set x'; SELECT $$;$$, a[1:2], x::text FROM t; -- :DBNAME\nCOPY t FROM '/f'; COPY t TO stdout")).toBeUndefined();
    expect(divergence('CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;\nSELECT 3;')).toBeUndefined();
  });

  it('finds COPY FROM STDIN, psql variables and standard_conforming_strings', () => {
    expect(divergence('SELECT 1; COPY t FROM STDIN;')).toMatch(/COPY ... FROM STDIN/);
    expect(divergence('SELECT a[1:USER] FROM t;')).toMatch(/replace :USER/);
    expect(divergence('SET standard_conforming_strings = off;')).toMatch(/standard_conforming_strings/);
  });

  it('finds a statement psql would cut in two, or send with the next one', () => {
    const sql = 'SELECT 1; SELECT 2;';
    const at = (start: number, end: number) => ({ text: sql.slice(start, end), start, end, ast: {} }) as unknown as ParsedStatement;
    expect(divergence(sql, [at(0, 18)])).toMatch(/cut this statement in two/);
    const joined = 'SELECT (1; SELECT 2);';
    expect(psqlDivergence(joined, [{ text: '', start: 0, end: 9, ast: {} } as unknown as ParsedStatement, { text: '', start: 10, end: 20, ast: {} } as unknown as ParsedStatement])?.message).toMatch(/in one query with the one before it/);
  });
});

const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

/** A plan whose SQL is full of multi-byte text and strings that look like statements. */
const hostilePlan = `migc: 1
id: hostile
title: Hostile text ü 日本 🎉
type: schema
risk: low
engine: postgresql@15
baseline:
  sql: |
    CREATE TABLE users (id bigint PRIMARY KEY, name text);
    COMMENT ON TABLE users IS 'Ünïcödé 日本 🎉 e\u0301';
phases:
  - name: expand
    kind: expand
    steps:
      - id: comments
        sql: |
          COMMENT ON TABLE users IS '日本語…🎉 Ça coûte -- x; DROP TABLE users; -- é';
          COMMENT ON COLUMN users.name IS E'👩‍👩‍👧 \\'; DROP TABLE users; -- \\\\';
          /* ñ /* nested; */ DROP TABLE users; */ ALTER TABLE users ADD COLUMN flag boolean;
        rollback:
          sql: |
            ALTER TABLE users DROP COLUMN flag; -- 🎉; DROP TABLE users;
            COMMENT ON COLUMN users.name IS NULL;
      - id: function
        sql: |
          CREATE FUNCTION greet_ñ(who text) RETURNS text LANGUAGE sql
          BEGIN ATOMIC
            SELECT 'Hola, ' || who || '; DROP TABLE users; 👋';
          END;
          DO $body$
          BEGIN
            PERFORM 'ü; $x$ DROP TABLE users;';

          END
          $body$;
        rollback:
          sql: DROP FUNCTION "greet_ñ"(text);
      - id: backfill
        sql: |
          UPDATE users SET name = 'Zoë; DROP TABLE users; --'
          -- 日本語 comment; DROP TABLE users;
           WHERE name = 'e\u0301🎉';
        rollback:
          sql: UPDATE users SET name = NULL WHERE name = 'Zoë; DROP TABLE users; --';
`;

/** Runs a script with the real psql and returns the queries it sent, from its -L log and its --echo-queries output. */
function psqlSent(url: string, script: string, dir: string): { log: string[]; echoed: string; status: number | null; stderr: string } {
  const file = join(dir, 'script.sql');
  const log = join(dir, 'psql.log');
  writeFileSync(file, script);
  rmSync(log, { force: true });
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--echo-queries', '-L', log, '-o', '/dev/null', '-f', file, url], { encoding: 'utf8' });
  const queries = readFileSync(log, 'utf8').split('********* QUERY **********\n').slice(1)
    .map((q) => q.slice(0, q.indexOf('\n**************************\n\n')));
  return { log: queries, echoed: r.stdout, status: r.status, stderr: r.stderr };
}

/** Records what verify sends to the database: exec() calls, not its own catalog reads. */
function recording(session: SqlSession): { session: SqlSession; executed: string[] } {
  const executed: string[] = [];
  return {
    executed,
    session: {
      exec: (sql) => {
        if (sql !== 'ROLLBACK') executed.push(sql);
        return session.exec(sql);
      },
      query: (sql) => session.query(sql),
    },
  };
}

describe.skipIf(!serverUrl)('psql and verify run the same queries (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
  const database = `migc_offsets_${randomBytes(5).toString('hex')}`;
  let admin: pg.Client;
  let engine: Engine;
  let dir: string;
  let dbUrl: string;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(serverUrl!);
    url.pathname = `/${database}`;
    dbUrl = url.toString();
    engine = await pgliteEngine();
    dir = mkdtempSync(join(tmpdir(), 'migc-psql-'));
  });

  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('on the emitted scripts of a plan full of hostile multi-byte text', async () => {
    const result = await compileFiles({ 'plans/hostile.yaml': hostilePlan }, { emit: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = result.plans[0]!;
    const script = (suffix: string) => plan.outputs.find((o) => o.path.endsWith(suffix))!.contents;
    const baseline = plan.plan!.baseline!.sql;

    const db = await engine.open();
    try {
      const base = recording(db);
      expect(await runScript(base.session, baseline)).toMatchObject({ ok: true });
      const psqlBase = psqlSent(dbUrl, baseline, dir);
      expect(psqlBase.log).toEqual(base.executed);

      for (const name of ['.up.sql', '.down.sql']) {
        const text = script(name);
        const verify = recording(db);
        const observed = await runObserved(verify.session, text, []);
        expect(observed.runs.filter((r) => r.error)).toEqual([]);
        const psql = psqlSent(dbUrl, text, dir);
        expect(psql.status, psql.stderr).toBe(0);
        expect(psql.log.length).toBeGreaterThan(3);
        expect(psql.log).toEqual(verify.executed);
        // --echo-queries prints each query it sends, followed by a line feed.
        expect(psql.echoed).toBe(verify.executed.map((q) => `${q}\n`).join(''));
        expect(psql.log.filter((q) => /^DROP TABLE/m.test(q))).toEqual([]);
      }
      // Nothing dropped the table: both engines still hold it, with the hostile comments as data.
      const comment = "SELECT obj_description('users'::regclass, 'pg_class') AS c";
      expect((await admin.query(`SELECT 1`)).rowCount).toBe(1);
      const onServer = new pg.Client({ connectionString: dbUrl });
      await onServer.connect();
      try {
        expect((await onServer.query(comment)).rows[0].c).toBe('日本語…🎉 Ça coûte -- x; DROP TABLE users; -- é');
      } finally {
        await onServer.end();
      }
      expect((await db.query<{ c: string }>(comment)).rows[0]!.c).toBe('日本語…🎉 Ça coûte -- x; DROP TABLE users; -- é');
    } finally {
      await db.close();
    }
  });

  it('on scripts that psql joins, splits or keeps whole in unusual ways', async () => {
    const scripts = [
      "SELECT 'é',\n\n  '🎉\n\n'; SELECT 2 -- 日本\n; -- trailing\n/* 👩‍👩‍👧 */ SELECT 3;\r\nSELECT 4\r\n;",
      "SELECT 1 \\; SELECT 'ñ';\nSELECT $x$;$$\n\n$x$;\nSELECT E'\\\\', 'a\\';\nSELECT 5",
      'CREATE TEMP TABLE n (a int);\nSELECT a[1:2] FROM (SELECT ARRAY[1,2] AS a) s; SELECT 1::text;COPY n TO stdout;',
    ];
    const db = await engine.open();
    try {
      for (const script of scripts) {
        const verify = recording(db);
        expect(await runScript(verify.session, script)).toMatchObject({ ok: true });
        const psql = psqlSent(dbUrl, script, dir);
        expect(psql.status, psql.stderr).toBe(0);
        expect(psql.log).toEqual(verify.executed);
      }
    } finally {
      await db.close();
    }
  });
});

if (!serverUrl && process.env.CI === 'true') {
  it('has a PostgreSQL server to compare psql with in CI', () => {
    expect(serverUrl, 'CI=true but MIGC_TEST_DATABASE_URL is not set: .ci/run must start a server').toBeDefined();
  });
}
