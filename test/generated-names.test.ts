import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { generatedNames, makeObjectName, type NamesTaken } from '../src/sql/generated-names.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * The names src/sql/generated-names.ts gives the objects a statement makes without a name are
 * PostgreSQL's: each case runs its setup, then its statement, on the engines, and the indexes and
 * constraints the statement made, less those it named, are exactly the names the module gives,
 * asked with what the schema held before (pg_class and pg_constraint of its schema).
 */
const long = 'a'.repeat(40);
const longer = 'b'.repeat(50);
const cases: { name: string; setup?: string; sql: string }[] = [
  { name: 'CREATE INDEX of one column', setup: 'CREATE TABLE t (a int, b int)', sql: 'CREATE INDEX ON t (a)' },
  { name: 'CREATE INDEX of two columns, with INCLUDE', setup: 'CREATE TABLE t (a int, b int, c int)', sql: 'CREATE INDEX ON t (a, b) INCLUDE (c)' },
  { name: 'CREATE UNIQUE INDEX is named _idx', setup: 'CREATE TABLE t (a int)', sql: 'CREATE UNIQUE INDEX ON t (a)' },
  { name: 'a clash with an index numbers the label', setup: 'CREATE TABLE t (a int); CREATE INDEX ON t (a); CREATE INDEX ON t (a)', sql: 'CREATE INDEX ON t (a)' },
  { name: 'a clash with a table (not an index)', setup: 'CREATE TABLE t (a int); CREATE TABLE t_a_idx (x int)', sql: 'CREATE INDEX ON t (a)' },
  { name: 'an index does not avoid a constraint\'s name', setup: 'CREATE TABLE t (a int, CONSTRAINT t_a_idx CHECK (a > 0))', sql: 'CREATE INDEX ON t (a)' },
  { name: 'expressions: a function, a cast, an operator, a field', setup: 'CREATE TABLE t (a text, b int, j jsonb, p point)', sql: "CREATE INDEX ON t (lower(a), (b::text), (b + 1), ((j ->> 'x')::int), (a COLLATE \"C\"), (coalesce(a, '')), (CASE WHEN b > 0 THEN a END))" },
  { name: 'the same column twice', setup: 'CREATE TABLE t (a int)', sql: 'CREATE INDEX ON t (a, a, (a + 1), (a + 2))' },
  { name: 'a long table and column: the longer is cut first', setup: `CREATE TABLE ${long} (${longer} int)`, sql: `CREATE INDEX ON ${long} (${longer})` },
  { name: 'many columns past 63 bytes', setup: `CREATE TABLE t (${long} int, ${longer} int, c int)`, sql: `CREATE INDEX ON t (${long}, ${longer}, c)` },
  { name: 'a multibyte table name cut at a character', setup: `CREATE TABLE "${'é'.repeat(40)}" (a int)`, sql: `CREATE INDEX ON "${'é'.repeat(40)}" (a)` },
  { name: 'multibyte names on both sides', setup: `CREATE TABLE "${'ü'.repeat(31)}" ("${'日'.repeat(20)}" int)`, sql: `ALTER TABLE "${'ü'.repeat(31)}" ADD UNIQUE ("${'日'.repeat(20)}"), ADD CHECK ("${'日'.repeat(20)}" > 0)` },
  { name: 'a long name clashing: the number comes after the cut', setup: `CREATE TABLE ${long} (${longer} int); CREATE INDEX ON ${long} (${longer})`, sql: `CREATE INDEX ON ${long} (${longer})` },
  { name: 'CREATE TABLE with every kind of unnamed constraint', setup: 'CREATE TABLE p (id int PRIMARY KEY)', sql: 'CREATE TABLE t (id int PRIMARY KEY, a int UNIQUE REFERENCES p CHECK (a > 0), b int, c int, CHECK (b > c), UNIQUE (b, c), FOREIGN KEY (b) REFERENCES p, CHECK (true), EXCLUDE (c WITH =))' },
  { name: 'the primary key is made first, whatever its place', sql: 'CREATE TABLE t (a int UNIQUE, b int UNIQUE, id int, PRIMARY KEY (id))' },
  { name: 'two checks on one column, two keys on one column', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE q (id int PRIMARY KEY)', sql: 'CREATE TABLE t (a int CHECK (a > 0) CHECK (a < 10) REFERENCES p, FOREIGN KEY (a) REFERENCES q)' },
  { name: 'ALTER TABLE ADD of each kind', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (a int, b int)', sql: 'ALTER TABLE t ADD PRIMARY KEY (a), ADD UNIQUE (b) INCLUDE (a), ADD FOREIGN KEY (b) REFERENCES p, ADD CHECK (a <> b), ADD CHECK (b > 0), ADD EXCLUDE (b WITH =)' },
  { name: 'ADD COLUMN with inline constraints', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (a int)', sql: 'ALTER TABLE t ADD COLUMN b int UNIQUE REFERENCES p CHECK (b > 0)' },
  { name: 'a constraint avoids another table\'s constraint of that name', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE old (a int REFERENCES p CHECK (a > 0) UNIQUE); ALTER TABLE old RENAME TO t_old; ALTER TABLE t_old RENAME CONSTRAINT old_a_fkey TO t_a_fkey; ALTER TABLE t_old RENAME CONSTRAINT old_a_check TO t_a_check; ALTER TABLE t_old RENAME CONSTRAINT old_a_key TO t_a_key', sql: 'CREATE TABLE t (a int REFERENCES p CHECK (a > 0) UNIQUE)' },
  { name: 'a renamed table\'s primary key keeps its name: the new one is numbered', setup: 'CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t RENAME TO t_old', sql: 'CREATE TABLE t (id int PRIMARY KEY)' },
  { name: 'a UNIQUE constraint avoids a relation of its name', setup: 'CREATE TABLE t (a int); CREATE SEQUENCE t_a_key', sql: 'ALTER TABLE t ADD UNIQUE (a)' },
  { name: 'a UNIQUE constraint avoids a CHECK of its name', setup: 'CREATE TABLE t (a int, CONSTRAINT t_a_key CHECK (a > 0))', sql: 'ALTER TABLE t ADD UNIQUE (a)' },
  { name: 'a foreign key and a check do not avoid relations', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (a int); CREATE SEQUENCE t_a_fkey; CREATE SEQUENCE t_a_check', sql: 'ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p, ADD CHECK (a > 0)' },
  { name: 'a check of a column written twice, of a qualified column, of none', setup: 'CREATE TABLE t (a int, b int)', sql: 'ALTER TABLE t ADD CHECK (a > 0 OR a IS NULL), ADD CHECK (t.b > 0), ADD CHECK (1 > 0)' },
  { name: 'a long foreign key over several columns', setup: `CREATE TABLE p (x int, y int, PRIMARY KEY (x, y)); CREATE TABLE ${long} (${longer} int, c int)`, sql: `ALTER TABLE ${long} ADD FOREIGN KEY (${longer}, c) REFERENCES p` },
  { name: 'EXCLUDE over an expression', setup: 'CREATE TABLE t (a text, b int)', sql: 'ALTER TABLE t ADD EXCLUDE ((lower(a)) WITH =, b WITH =)' },
  { name: 'UNIQUE PRIMARY KEY makes one index, the primary key\'s', sql: 'CREATE TABLE t (a int UNIQUE PRIMARY KEY, b int UNIQUE, UNIQUE (b))' },
  { name: 'keys alike take the first name given', sql: 'CREATE TABLE t (a int, UNIQUE (a), CONSTRAINT t_u UNIQUE (a), PRIMARY KEY (a))' },
  { name: 'ALTER TABLE ADD of keys alike: only one ADD COLUMN\'s are one index', setup: 'CREATE TABLE t (a int, b int)', sql: 'ALTER TABLE t ADD UNIQUE (a), ADD UNIQUE (a), ADD UNIQUE (b) INCLUDE (a), ADD COLUMN c int UNIQUE PRIMARY KEY' },
  { name: 'an ALTER TABLE drops before it adds: the names it frees are free', setup: 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, a int REFERENCES p CHECK (a > 0), b int UNIQUE)', sql: 'ALTER TABLE t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (b), DROP CONSTRAINT t_a_fkey, ADD FOREIGN KEY (a) REFERENCES p' },
  { name: 'a DROP COLUMN frees the names of its constraints and indexes', setup: 'CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0), b int UNIQUE, c int); CREATE INDEX ON t (b, c)', sql: 'ALTER TABLE t DROP COLUMN id, DROP COLUMN a, DROP COLUMN b, ADD PRIMARY KEY (c), ADD CHECK (c > 0), ADD COLUMN b int UNIQUE' },
  { name: 'a schema other than public', setup: 'CREATE SCHEMA s; CREATE TABLE s.t (a int); CREATE TABLE t_a_idx (x int)', sql: 'CREATE INDEX ON s.t (a)' },
];


/** The indexes and constraints of a schema ("index t_a_idx", "constraint t_a_fkey"), less PostgreSQL 18's NOT NULL constraints. */
async function madeNames(engine: SqlEngine, schema: string): Promise<Set<string>> {
  const indexes = rowsOf(await engine.run(`SELECT relname FROM pg_class WHERE relnamespace = '${schema}'::regnamespace AND relkind IN ('i', 'I')`)).map((r) => r.relname as string);
  const constraints = rowsOf(await engine.run(`SELECT conname FROM pg_constraint WHERE connamespace = '${schema}'::regnamespace AND contype <> 'n'`)).map((r) => r.conname as string);
  return new Set([...indexes.map((n) => `index ${n}`), ...constraints.map((n) => `constraint ${n}`)]);
}

describe.each(sqlEngines())('the names PostgreSQL gives unnamed objects, on %s', (engineSpec) => {
  let engine: SqlEngine;
  beforeAll(async () => {
    await loadSqlParser();
    engine = await engineSpec.open();
  });
  afterAll(() => engine?.close());

  it.each(cases)('$name', async ({ setup, sql }) => {
    await engine.run('DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS s CASCADE; CREATE SCHEMA public');
    if (setup) await engine.run(setup);
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    const ast = parsed.statements[0]!.ast;
    const schema = sql.includes(' s.t ') ? 's' : 'public';
    const relations = new Set(rowsOf(await engine.run(`SELECT relname FROM pg_class WHERE relnamespace = '${schema}'::regnamespace`)).map((r) => r.relname as string));
    const constraints = new Set(rowsOf(await engine.run(`SELECT conname FROM pg_constraint WHERE connamespace = '${schema}'::regnamespace`)).map((r) => r.conname as string));
    // What a DROP COLUMN takes along: the constraints and indexes that involve the column.
    const droppedWith = async (column: string) => rowsOf(await engine.run(`
      SELECT conname AS n FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) WHERE a.attname = '${column}' AND c.connamespace = '${schema}'::regnamespace
      UNION SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE a.attname = '${column}'`)).map((r) => r.n as string);
    const dropped = new Map<string, string[]>();
    for (const column of ['id', 'a', 'b']) dropped.set(column, await droppedWith(column));
    const taken: NamesTaken = { relation: (n) => relations.has(n), constraint: (n) => constraints.has(n), droppedWithColumn: (c) => dropped.get(c) ?? [] };
    const expected = [...new Set(generatedNames(ast, taken).values())].sort();
    const existing = await madeNames(engine, schema);
    await engine.run(sql);
    // An index and the constraint that owns it share their name. A name the statement freed
    // (DROP CONSTRAINT, DROP COLUMN) and took again is there before and after.
    const after = [...await madeNames(engine, schema)];
    const made = [...new Set(after.filter((n) => !existing.has(n)).map((n) => n.slice(n.indexOf(' ') + 1)))].sort();
    const present = new Set(after.map((n) => n.slice(n.indexOf(' ') + 1)));
    expect(made.filter((n) => !expected.includes(n))).toEqual([]);
    expect(expected.filter((n) => !present.has(n) || (!made.includes(n) && !/DROP/.test(sql)))).toEqual([]);
  });
});

describe('makeObjectName', () => {
  it('keeps the label whole and cuts the longer name first, to at most 63 bytes', () => {
    const name = makeObjectName('t'.repeat(70), 'c', 'idx');
    expect(name).toBe(`${'t'.repeat(57)}_c_idx`);
    expect(new TextEncoder().encode(makeObjectName('é'.repeat(40), 'ü'.repeat(40), 'key')).length).toBeLessThanOrEqual(63);
  });
});

describe('the helps that rebuild an unnamed index name it as PostgreSQL would', () => {
  it('MG201 and MG210: DROP INDEX CONCURRENTLY IF EXISTS and CREATE INDEX CONCURRENTLY of the name a later migration may drop', async () => {
    const files = {
      '1.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, email text, code text, CONSTRAINT orders_code_key CHECK (code <> \'\'));\n',
      '2.sql': "SET lock_timeout = '5s';\nCREATE INDEX ON orders (lower(email));\nALTER TABLE orders ADD UNIQUE (code);\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    const help = (code: string) => result.diagnostics.find((d) => d.code === code)?.help ?? '';
    expect(help('MG201')).toContain('DROP INDEX CONCURRENTLY IF EXISTS orders_lower_idx; CREATE INDEX CONCURRENTLY orders_lower_idx ON orders');
    // orders_code_key is a CHECK's name: the UNIQUE constraint's is numbered.
    expect(help('MG210')).toContain('CREATE UNIQUE INDEX CONCURRENTLY orders_code_key1 ON orders (code); then ALTER TABLE orders ADD CONSTRAINT orders_code_key1 UNIQUE USING INDEX orders_code_key1;');
  });
});
