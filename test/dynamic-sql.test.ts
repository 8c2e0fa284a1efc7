import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { evaluateConstant } from '../src/sql/dynamic-sql.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { doBlockBody } from '../src/sql/plpgsql.js';
import { root } from './helpers.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * An EXECUTE in a DO block whose SQL is known at lint time (src/sql/dynamic-sql.ts) counts as
 * the statements it runs: judged at the EXECUTE and learnt from, as the block's written ones.
 * A value migc cannot know keeps the block opaque, except as a role's name. What the tests say
 * PostgreSQL does (format()'s and quote_ident()'s text, which statements an EXECUTE runs, the
 * index a block builds) is checked on PGlite and, with MIGC_TEST_DATABASE_URL, on the server.
 */

beforeAll(loadSqlParser);

function read(text: string) {
  const parsed = parseSql(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return doBlockBody(parsed.statements[0]!.ast, parsed.statements[0]!.text)!;
}

/** The statements an EXECUTE ran, as `text` (its SQL) at `where` (the text it is located at). */
function executed(text: string) {
  const body = read(text);
  return { complete: body.complete, run: body.statements.filter((s) => s.executed).map((s) => ({ sql: s.text, at: text.slice(s.start, s.end) })) };
}

/** Expressions whose value migc computes: each is compared with what PostgreSQL computes. */
const expressions = [
  "'CREATE TABLE a (id int)'",
  "'ALTER TABLE ' || 'orders' || ' ADD COLUMN n ' || 'int'",
  "'x' || 5 || 1.50",
  "format('CREATE INDEX %I ON %I.%I (%s)', 'Orders_idx', 'public', 'order', 'a, b')",
  "format('%s|%I|%L|%%|%2$s|%I|%1$L', 'a b', 'Ab', 'it''s', 'select', 'user_id', 'abc')",
  "format('%L %L %s.', E'back\\\\slash', NULL, NULL)",
  "format('%I %I %I %I', 'snake_case9', '_x', 'table', 'name')",
  "quote_ident('My Table') || quote_ident('plain') || quote_literal('O''Brien') || quote_nullable(NULL)",
  "concat('a', NULL, 'b', 3)",
  "'a'::text || 'b'::varchar",
];

describe('what an EXECUTE runs', () => {
  it('takes a constant string, a concatenation, format() and quote_ident() as PostgreSQL renders them', () => {
    const text = `DO $$ BEGIN
  EXECUTE 'CREATE TABLE a (id int)';
  EXECUTE format('CREATE INDEX %I ON %I (%s)', 'A_idx', 'a', 'id');
  EXECUTE 'ALTER TABLE ' || quote_ident('a') || ' ADD COLUMN n int';
END $$`;
    expect(executed(text)).toEqual({
      complete: true,
      run: [
        { sql: 'CREATE TABLE a (id int)', at: "EXECUTE 'CREATE TABLE a (id int)'" },
        { sql: 'CREATE INDEX "A_idx" ON a (id)', at: "EXECUTE format('CREATE INDEX %I ON %I (%s)', 'A_idx', 'a', 'id')" },
        { sql: 'ALTER TABLE a ADD COLUMN n int', at: "EXECUTE 'ALTER TABLE ' || quote_ident('a') || ' ADD COLUMN n int'" },
      ],
    });
  });

  it('runs every statement of the string, each located at the EXECUTE; FOR ... IN EXECUTE and OPEN ... FOR EXECUTE too', () => {
    const text = "DO $$ DECLARE r record; c refcursor; BEGIN EXECUTE 'CREATE TABLE a (); CREATE TABLE b ()'; FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; OPEN c FOR EXECUTE 'SELECT 2'; END $$";
    expect(executed(text)).toEqual({
      complete: true,
      run: [
        { sql: 'CREATE TABLE a ()', at: "EXECUTE 'CREATE TABLE a (); CREATE TABLE b ()'" },
        { sql: 'CREATE TABLE b ()', at: "EXECUTE 'CREATE TABLE a (); CREATE TABLE b ()'" },
        { sql: 'SELECT 1', at: "EXECUTE 'SELECT 1'" },
        { sql: 'SELECT 2', at: "EXECUTE 'SELECT 2'" },
      ],
    });
  });

  it('knows a variable declared with a known value that the body never assigns; not one it assigns', () => {
    const block = (declare: string, body = '') => `DO $$ DECLARE ${declare} BEGIN ${body} EXECUTE 'CREATE INDEX ON ' || tbl || ' (id)'; END $$`;
    for (const declare of ["tbl text := 'a';", "tbl CONSTANT text = 'a';", "base text := 'a'; tbl text := base;"]) {
      expect(executed(block(declare)), declare).toEqual({ complete: true, run: [{ sql: 'CREATE INDEX ON a (id)', at: "EXECUTE 'CREATE INDEX ON ' || tbl || ' (id)'" }] });
    }
    for (const [declare, body] of [
      ["tbl text := 'a';", "tbl := 'b';"],
      ["tbl text := 'a';", 'SELECT relname INTO tbl FROM pg_class LIMIT 1;'],
      ["tbl text := 'a';", 'FOR tbl IN SELECT relname FROM pg_class LOOP END LOOP;'],
      ['tbl text;', "tbl := 'a';"],
      ["tbl text := current_setting('app.table');", ''],
      ["tbl text := 'a'; inner_ text;", "DECLARE tbl text := 'b'; BEGIN NULL; END;"],
    ] as const) {
      expect(executed(block(declare, body)), `${declare} ${body}`).toEqual({ complete: false, run: [] });
    }
  });

  it('stays opaque for a value it cannot know in a name, a literal of a statement it may decide, or part of a word, for COMMIT and for what does not parse', () => {
    for (const statement of [
      "EXECUTE format('DROP INDEX %I', r.indexname)", // a loop's record: temporal's visibility migrations
      "EXECUTE 'drop sequence if exists build_event_id_seq_' || r.id", // part of a name: concourse
      'EXECUTE sql', // a string a query built: supabase/storage 0048
      "EXECUTE 'SET search_path = ' || quote_literal(role)", // the literal decides where names are looked up
      "EXECUTE format('ALTER TABLE %s ADD COLUMN x int', role)", // the table's name
      "EXECUTE 'DROP OWNED BY ' || role", // the role decides what it drops
      "EXECUTE 'CREATE SCHEMA AUTHORIZATION ' || role", // the schema takes the role's name
      "EXECUTE 'GRANT ' || role || ' ON t TO x'", // in GRANT ... ON, the privilege
      "EXECUTE 'COMMIT'", // PostgreSQL: EXECUTE of transaction commands is not implemented
      "EXECUTE 'x'",
      "EXECUTE '‹a›'",
    ]) {
      const text = `DO $$ DECLARE r record; sql text; role text := current_setting('app.role'); BEGIN FOR r IN SELECT 1 AS id, 'i' AS indexname LOOP ${statement}; END LOOP; SELECT 'x' INTO sql; END $$`;
      expect(executed(text), statement).toEqual({ complete: false, run: [] });
    }
  });

  it('reads a statement whose unknown values stand only inside string constants, in a statement they do not shape (defguard\'s DEFAULT %L of a username a query found)', () => {
    const text = `DO $$ DECLARE who text; BEGIN
  SELECT username INTO who FROM users ORDER BY id LIMIT 1;
  EXECUTE format('ALTER TABLE aclalias ADD COLUMN modified_by text NOT NULL DEFAULT %L', coalesce(who, 'admin'));
  EXECUTE 'UPDATE t SET owner = ' || quote_literal(who);
  EXECUTE format('COMMENT ON TABLE t IS %L', who);
END $$`;
    expect(executed(text).run.map((r) => r.sql)).toEqual([
      'ALTER TABLE aclalias ADD COLUMN modified_by text NOT NULL DEFAULT \'"‹value›"\'',
      'UPDATE t SET owner = \'"‹who›"\'',
      'COMMENT ON TABLE t IS \'"‹who›"\'',
    ]);
  });

  it('reads a statement whose unknown values stand only as role names (supabase/storage\'s grants)', () => {
    const text = `DO $$
DECLARE
  anon_role text = COALESCE(current_setting('storage.anon_role', true), 'anon');
  service_role text = COALESCE(current_setting('storage.service_role', true), 'service_role');
BEGIN
  EXECUTE 'revoke all on storage.objects from ' || anon_role || ', ' || service_role;
  EXECUTE 'GRANT SELECT ON TABLE storage.objects TO ' || anon_role;
  EXECUTE 'grant ' || anon_role || ' to authenticator';
  EXECUTE 'CREATE ROLE ' || anon_role || ' NOLOGIN NOINHERIT';
  EXECUTE 'ALTER table storage.objects owner to ' || service_role;
  EXECUTE 'ALTER function storage.search(text) owner to ' || service_role;
  EXECUTE 'alter default privileges in schema storage grant all on tables to postgres,' || anon_role;
  EXECUTE format('ALTER USER %I SET search_path = storage', service_role);
END $$`;
    const body = executed(text);
    expect(body.complete).toBe(true);
    expect(body.run.map((r) => r.sql)).toEqual([
      'revoke all on storage.objects from "‹anon_role›", "‹service_role›"',
      'GRANT SELECT ON TABLE storage.objects TO "‹anon_role›"',
      'grant "‹anon_role›" to authenticator',
      'CREATE ROLE "‹anon_role›" NOLOGIN NOINHERIT',
      'ALTER table storage.objects owner to "‹service_role›"',
      'ALTER function storage.search(text) owner to "‹service_role›"',
      'alter default privileges in schema storage grant all on tables to postgres,"‹anon_role›"',
      'ALTER USER "‹service_role›" SET search_path = storage',
    ]);
  });
});

describe('EXECUTE in lint', () => {
  const schema = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, customer text);\n";
  async function lintFile(sql: string) {
    const files = { '1_schema.sql': schema, '2.sql': sql };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.file === '2.sql').map((d) => {
      const at = result.sources.get(d.file)!.position(d.span!.start);
      return `${at.line}:${at.column} ${d.code}${d.related?.[0] ? ` (block at line ${result.sources.get(d.file)!.position(d.related[0].span!.start).line})` : ''}`;
    });
  }

  it('judges a statement an EXECUTE runs at the EXECUTE, inside the block', async () => {
    const sql = `SET lock_timeout = '2s';
DO $$
BEGIN
  EXECUTE format('CREATE INDEX %I ON %I (customer)', 'orders_customer_idx', 'orders');
END $$;
`;
    expect(await lintFile(sql)).toContain('4:3 MG201 (block at line 2)');
    // Its value not known: nothing is judged, as before.
    expect(await lintFile(sql.replace("'orders');", "current_setting('app.table'));"))).not.toContain('4:3 MG201 (block at line 2)');
  });

  it('learns what an EXECUTE makes: the index it builds serves a new table\'s key (MG230)', async () => {
    const fixture = (name: string) => readFileSync(`${root}test/fixtures/rules/MG230/${name}`, 'utf8');
    expect(await lintFile(fixture('pass-new-table-indexed-by-execute.sql'))).not.toContain('3:47 MG230');
    // A GRANT to a role named by a setting changes no index: the key is judged (supabase/storage 0021).
    expect(await lintFile(fixture('fail-new-table-grant-in-do.sql'))).toContain('3:47 MG230');
    // A name from a query: the block may have built the index; the key is judged, and the finding says so.
    expect(await lintFile(fixture('fail-new-table-dynamic-sql.sql'))).toContain('3:47 MG230');
  });
});

for (const engine of sqlEngines()) {
  describe(`EXECUTE on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(expressions)('computes %s as PostgreSQL does', async (expression) => {
      const [row] = rowsOf(await db.run(`SELECT (${expression})::text AS v`));
      expect(evaluateConstant(expression, () => undefined)).toBe(row!.v);
    });

    it('runs every statement of an EXECUTE\'s string, and refuses COMMIT in one', async () => {
      await db.run("DO $$ BEGIN EXECUTE 'CREATE TABLE two_a (); CREATE TABLE two_b ()'; END $$");
      expect(rowsOf(await db.run("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('two_a', 'two_b')"))[0]!.n).toBe(2);
      await expect(db.run("DO $$ BEGIN EXECUTE 'COMMIT'; END $$")).rejects.toThrow('EXECUTE of transaction commands is not implemented');
    });

    it('builds the index migc reads in the fixture, and none where the block only grants', async () => {
      const fixture = (name: string) => readFileSync(`${root}test/fixtures/rules/MG230/${name}`, 'utf8');
      await db.run('CREATE TABLE users (id bigint PRIMARY KEY)');
      const indexes = async () => rowsOf(await db.run("SELECT indexname FROM pg_indexes WHERE tablename = 'invoices' ORDER BY 1")).map((r) => r.indexname);
      // Roles are the server's, not the test database's: one of its own, dropped at the end.
      const reader = `migc_reader_${Math.random().toString(36).slice(2, 10)}`;
      await db.run(`CREATE ROLE ${reader}; SET app.reader_role = '${reader}';`);
      await db.run(fixture('fail-new-table-grant-in-do.sql'));
      expect(await indexes()).toEqual(['invoices_pkey']);
      expect(rowsOf(await db.run(`SELECT has_table_privilege('${reader}', 'invoices', 'SELECT') AS granted`))[0]!.granted).toBe(true);
      await db.run(`DROP TABLE invoices; DROP ROLE ${reader}`);
      await db.run(fixture('pass-new-table-indexed-by-execute.sql'));
      expect(await indexes()).toEqual(['invoices_pkey', 'invoices_user_id_idx']);
    });
  });
}
