import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { statementEffect } from '../src/analyze/sql/analyze.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';

/**
 * ALTER COLUMN ... TYPE to the type it has with another collation rewrites no table but rebuilds
 * the column's indexes (MG212, effect "index build"); the same collation, or a varchar widened,
 * rebuilds none. Checked on PostgreSQL (PGlite): an index rebuilt gets a new relfilenode.
 */
const baseline = `
  CREATE TABLE users (id bigint PRIMARY KEY, email text, handle text COLLATE "C", code varchar(10), note text);
  CREATE UNIQUE INDEX users_email ON users (email);
  CREATE INDEX users_handle ON users (handle);
  CREATE INDEX users_code ON users (code);
  CREATE INDEX users_lower_note ON users (lower(note));
  INSERT INTO users SELECT g, g::text, g::text, g::text, g::text FROM generate_series(1, 100) g;
`;

const cases: [statement: string, rebuilt: string[]][] = [
  ['ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "C"', ['users_email']],
  ['ALTER TABLE users ALTER COLUMN handle TYPE text', ['users_handle']],
  ['ALTER TABLE users ALTER COLUMN handle TYPE text COLLATE "C"', []],
  ['ALTER TABLE users ALTER COLUMN code TYPE varchar(20)', []],
  ['ALTER TABLE users ALTER COLUMN note TYPE text COLLATE "C"', ['users_lower_note']],
];

describe('a collation change rebuilds the column\'s indexes, and only then', () => {
  let db: PGlite;
  beforeAll(async () => {
    await loadSqlParser();
    db = await PGlite.create();
  });
  afterAll(() => db.close());

  it.each(cases)('%s', async (statement, rebuilt) => {
    await db.exec(`DROP TABLE IF EXISTS users; ${baseline}`);
    const files = async () => new Map((await db.query<{ relname: string; relfilenode: number }>("SELECT relname, relfilenode FROM pg_class WHERE relname LIKE 'users%'")).rows.map((r) => [r.relname, r.relfilenode]));
    const before = await files();
    await db.exec(statement);
    const after = await files();
    const changed = [...before].filter(([name, node]) => after.get(name) !== node).map(([name]) => name).sort();
    expect(changed).toEqual(rebuilt); // the table itself is never rewritten here
    const state = new SchemaState();
    const parsed = parseSql(baseline);
    if (!parsed.ok) throw new Error(parsed.message);
    for (const s of parsed.statements) state.apply(s.ast, false);
    const one = parseSql(statement);
    if (!one.ok) throw new Error(one.message);
    expect(statementEffect(one.statements[0]!.ast, state, 18).effect).toBe(rebuilt.length ? 'index build' : 'catalog');
  });
});
