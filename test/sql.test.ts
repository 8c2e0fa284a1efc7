import { PGlite } from '@electric-sql/pglite';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileBatch, batchProblem } from '../src/sql/batch.js';
import { statementFacts } from '../src/sql/facts.js';
import { loadSqlParser, parseSql, type ParsedStatement } from '../src/sql/parser.js';
import { quoteIdent } from '../src/sql/quote.js';
import { brief, compileFiles, minimalPlan } from './helpers.js';

beforeAll(() => loadSqlParser());

function one(sql: string): ParsedStatement {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.statements[0]!;
}

describe('SQL errors point at the plan line', () => {
  const withSql = (sql: string) => minimalPlan.replace('        sql: ALTER TABLE t ADD COLUMN c integer;\n', sql);

  it.each([
    ['a folded block', '        sql: >\n          ALTER TABLE t\n          ADDD COLUMN c integer;\n', '14:11'],
    ['a double-quoted string', '        sql: "ALTER TABLE t ADDD COLUMN c integer;"\n', '12:29'],
    ['a plain multi-line scalar', '        sql: ALTER TABLE t\n          ADD COLUMN c integr integer;\n', '13:31'],
    ['a literal block with an explicit indent', '        sql: |2\n            ALTER TABLE t ADD COLUMN c integer;\n            SELEC 1;\n', '14:13'],
  ])('in %s', async (_, sql, at) => {
    const result = await compileFiles({ 'plans/p.yaml': withSql(sql) });
    expect(brief(result)[0]).toMatch(new RegExp(`^${at} error MG020 `));
  });
});

describe('statement facts', () => {
  it.each([
    ['DROP TABLE a, b', ['drop-table:a', 'drop-table:b']],
    ['ALTER TABLE s.users DROP COLUMN x, ADD COLUMN y int', ['drop-column:s.users.x']],
    ['ALTER TABLE users RENAME TO people', ['rename-table:users']],
    ['ALTER TABLE users RENAME COLUMN a TO b', ['rename-column:users.a']],
    ['TRUNCATE sessions', ['truncate:sessions']],
    ['DELETE FROM audit', ['delete-all:audit']],
    ['DELETE FROM audit WHERE created_at < now()', []],
    ['DROP INDEX CONCURRENTLY users_email_idx', []],
    ['DROP SCHEMA legacy CASCADE', ['drop-schema:legacy']],
  ])('%s', (sql, expected) => {
    expect(statementFacts(one(sql).ast).destructive.map((d) => `${d.kind}:${d.target}`)).toEqual(expected);
  });

  it('knows which statements cannot run in a transaction', () => {
    const outside = ['CREATE INDEX CONCURRENTLY i ON t (a)', 'DROP INDEX CONCURRENTLY i', 'REINDEX INDEX CONCURRENTLY i', 'VACUUM t', 'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY'];
    const inside = ['CREATE INDEX i ON t (a)', 'ANALYZE t', 'ALTER TABLE t ADD COLUMN c int', 'UPDATE t SET a = 1', 'ALTER TABLE p DETACH PARTITION p1'];
    expect(outside.map((s) => statementFacts(one(s).ast).transactional)).toEqual(outside.map(() => false));
    expect(inside.map((s) => statementFacts(one(s).ast).transactional)).toEqual(inside.map(() => true));
  });

  it('names each statement as SQL does, not as its parse node is named (messages and reports show it)', () => {
    const names = [
      ["SET lock_timeout = '1s'", 'SET'], ['SHOW lock_timeout', 'SHOW'],
      ['CREATE TRIGGER t1 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()', 'CREATE TRIGGER'],
      ['CREATE SEQUENCE s1', 'CREATE SEQUENCE'], ['ALTER SEQUENCE s1 RESTART', 'ALTER SEQUENCE'],
      ['CREATE VIEW v AS SELECT 1', 'CREATE VIEW'], ['REFRESH MATERIALIZED VIEW mv', 'REFRESH MATERIALIZED VIEW'],
      ["CREATE TYPE e AS ENUM ('a')", 'CREATE TYPE'], ["ALTER TYPE e ADD VALUE 'b'", 'ALTER TYPE'], ['CREATE TYPE c AS (a int)', 'CREATE TYPE'],
      ['GRANT SELECT ON t TO r', 'GRANT'], ['REVOKE SELECT ON t FROM r', 'REVOKE'], ['REVOKE admin FROM bob', 'REVOKE'],
      ['CREATE MATERIALIZED VIEW mv2 AS SELECT 1', 'CREATE MATERIALIZED VIEW'], ['CREATE TABLE ta AS SELECT 1', 'CREATE TABLE AS'],
      ['CREATE AGGREGATE ag (int) (sfunc = int4pl, stype = int)', 'CREATE AGGREGATE'], ['ALTER TABLE t SET SCHEMA s', 'ALTER TABLE SET SCHEMA'],
      ['ALTER FUNCTION f() OWNER TO r', 'ALTER FUNCTION OWNER'], ['CREATE STATISTICS st ON a, b FROM t', 'CREATE STATISTICS'],
      ['CREATE POLICY p ON t USING (true)', 'CREATE POLICY'], ['DROP FOREIGN TABLE ft', 'DROP FOREIGN TABLE'],
      ['DROP TEXT SEARCH CONFIGURATION c', 'DROP TEXT SEARCH CONFIGURATION'], ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
      ['CREATE TABLESPACE ts LOCATION \'/x\'', 'CREATE TABLESPACE'], ['CREATE DATABASE d', 'CREATE DATABASE'],
    ];
    expect(names.map(([sql]) => statementFacts(one(sql!).ast).command)).toEqual(names.map(([, name]) => name));
  });

  it('quotes identifiers only when needed', () => {
    expect(['users', 'Users', 'order', 'user_id', 'my table'].map(quoteIdent)).toEqual(['users', '"Users"', '"order"', 'user_id', '"my table"']);
  });
});

describe('batched statements, run on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });

  async function reset() {
    await db.exec(`DROP TABLE IF EXISTS items, tags;
      CREATE TABLE items (id bigint PRIMARY KEY, "order" int, flag boolean, label text);
      INSERT INTO items SELECT g, g % 5, NULL, 'item ' || g FROM generate_series(1, 1234) g;
      CREATE TABLE tags (item_id bigint, tag text);
      INSERT INTO tags SELECT g, 'tag' || g FROM generate_series(1, 1234, 3) g;`);
  }
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  const batch = (sql: string, key = 'id', size = 100) => `${compileBatch(one(sql), { size, key, label: 'test' })};`;

  it('updates every matching row, in batches, and only those', async () => {
    await reset();
    await db.exec(batch('UPDATE items SET flag = ("order" = 0) WHERE flag IS NULL'));
    expect(await count('SELECT count(*) AS n FROM items WHERE flag IS NULL')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM items WHERE flag')).toBe(246);
  });

  it('terminates even when the WHERE still matches the rows it changed', async () => {
    await reset();
    await db.exec(batch("UPDATE items SET label = label || '!' WHERE label LIKE 'item%'", 'id', 7));
    expect(await count("SELECT count(*) AS n FROM items WHERE label LIKE '%!' AND label NOT LIKE '%!!'")).toBe(1234);
  });

  it('keeps an alias, a FROM list and a subquery in the WHERE', async () => {
    await reset();
    await db.exec(batch("UPDATE items AS i SET label = t.tag FROM tags t WHERE t.item_id = i.id AND i.id IN (SELECT item_id FROM tags WHERE tag <> 'x')"));
    expect(await count("SELECT count(*) AS n FROM items WHERE label LIKE 'tag%'")).toBe(412);
  });

  it('adds a WHERE when there is none, and walks a reserved-word key', async () => {
    await reset();
    await db.exec('ALTER TABLE items ADD UNIQUE ("order", id)');
    await db.exec(batch('UPDATE items SET flag = true', 'id'));
    expect(await count('SELECT count(*) AS n FROM items WHERE flag')).toBe(1234);
    expect(compileBatch(one('DELETE FROM items'), { size: 10, key: 'order', label: 'x' })).toContain('"order"');
  });

  it('deletes in batches', async () => {
    await reset();
    await db.exec(batch('DELETE FROM items WHERE id % 2 = 0', 'id', 50));
    expect(await count('SELECT count(*) AS n FROM items')).toBe(617);
  });

  // The statement's own text ends its line before migc's syntax goes on (issue 14).
  it.each([
    ['a trailing -- comment after the WHERE', 'UPDATE items SET flag = true WHERE "order" = 0 -- only the zeros ) OR true', 246],
    ['a trailing -- comment without a WHERE', "UPDATE items SET flag = true -- all of them\n-- WHERE false", 1234],
    ['a trailing block comment', 'UPDATE items SET flag = true WHERE "order" = 0 /* only the zeros ) OR true */', 246],
    ['a comment holding */, a dollar tag and a psql command', "UPDATE items SET flag = true WHERE \"order\" = 0 -- */ $migc$ END $migc$; \\! touch /tmp/x", 246],
    ['a comment ending in a carriage return', 'UPDATE items SET flag = true WHERE "order" = 0 -- note\r', 246],
  ])('batches a statement with %s, and only its rows', async (_, sql, rows) => {
    await reset();
    await db.exec(batch(sql as string, 'id', 100));
    expect(await count('SELECT count(*) AS n FROM items WHERE flag')).toBe(rows);
  });

  it('picks a dollar tag the statement cannot close', async () => {
    await reset();
    const sql = "UPDATE items SET label = 'x$migc$y$migc1$' WHERE id < 10";
    const loop = batch(sql);
    expect(loop).toMatch(/^DO \$migc2\$/);
    await db.exec(loop);
    expect(await count("SELECT count(*) AS n FROM items WHERE label = 'x$migc$y$migc1$'")).toBe(9);
  });

  it('copies with INSERT ... SELECT in batches of the source\'s key: its WHERE, an alias, ON CONFLICT and a trailing comment kept', async () => {
    await reset();
    await db.exec('DROP TABLE IF EXISTS copies; CREATE TABLE copies (id bigint PRIMARY KEY, label text); INSERT INTO copies VALUES (6, \'written by the app\')');
    const copy = "INSERT INTO copies (id, label)\nSELECT i.id, i.label FROM items AS i WHERE i.\"order\" <> 0 -- not the zeros ) OR true\nON CONFLICT (id) DO NOTHING";
    const loop = batch(copy, 'id', 100);
    await db.exec(loop);
    // 988 rows whose order is not 0, one of them (id 6) there already and kept as the app wrote it.
    expect(await count('SELECT count(*) AS n FROM copies')).toBe(988);
    expect(await count("SELECT count(*) AS n FROM copies WHERE label = 'written by the app'")).toBe(1);
    await db.exec('TRUNCATE copies');
    await db.exec(batch('INSERT INTO copies SELECT id, label FROM items', 'id', 500));
    expect(await count('SELECT count(*) AS n FROM copies')).toBe(1234);
  });

  it('refuses what it cannot batch', () => {
    expect(batchProblem(one('INSERT INTO items SELECT 1'))).toMatch(/copies rows from one table.*reads no table/);
    expect(batchProblem(one("INSERT INTO items VALUES (1, 1, true, 'x')"))).toMatch(/INSERT \.\.\. VALUES writes its rows at once/);
    expect(batchProblem(one('INSERT INTO items SELECT i.* FROM items i JOIN tags t ON t.item_id = i.id'))).toMatch(/several tables/);
    expect(batchProblem(one('INSERT INTO items SELECT * FROM (SELECT * FROM items) s'))).toMatch(/a subquery or a function/);
    expect(batchProblem(one('INSERT INTO items SELECT * FROM items UNION SELECT * FROM items'))).toMatch(/UNION, INTERSECT and EXCEPT/);
    expect(batchProblem(one('INSERT INTO items SELECT DISTINCT * FROM items ORDER BY id LIMIT 5'))).toMatch(/DISTINCT, ORDER BY, LIMIT would apply to each batch alone/);
    expect(batchProblem(one('INSERT INTO items SELECT * FROM items RETURNING id'))).toMatch(/RETURNING/);
    expect(batchProblem(one('INSERT INTO copies (id) SELECT id FROM items WHERE id > 3 ON CONFLICT DO NOTHING'))).toBeUndefined();
    expect(batchProblem(one('CREATE TABLE x ()'))).toMatch(/one UPDATE, DELETE or INSERT \.\.\. SELECT; this is CREATE/);
    expect(batchProblem(one('UPDATE items SET flag = true RETURNING id'))).toMatch(/RETURNING/);
    expect(batchProblem(one('WITH x AS (SELECT 1) UPDATE items SET flag = true'))).toMatch(/WITH/);
    expect(batchProblem(one('UPDATE items SET flag = true WHERE id > 3'))).toBeUndefined();
  });
});
