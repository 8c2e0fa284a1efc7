import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * DROP TYPE (or DOMAIN) ... CASCADE drops every column of the type, arrays of it included, with
 * only a NOTICE (the twenty-seventh trial's M1, pg_search's tokenizer types). MG214 names the
 * columns the files made, and the engines drop exactly those; of a type no file made it says that
 * CASCADE takes what uses it, unknown.
 */
const base = "CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE DOMAIN score AS int CHECK (VALUE >= 0);\nCREATE TABLE docs (id int PRIMARY KEY, tag mood, tags mood[], rank score, body text);\nCREATE TABLE notes (id int PRIMARY KEY, tag mood);\n";

async function mg214(files: Record<string, string>): Promise<string[]> {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file} ${d.severity} ${d.message}`);
}

describe('MG214 and DROP TYPE ... CASCADE', () => {
  it('names the columns of the type the files made, and says what CASCADE may take of a type no file made', async () => {
    expect(await mg214({ '1.sql': base, '2.sql': 'DROP TYPE mood CASCADE;\nDROP DOMAIN score CASCADE;\nDROP TYPE ext.icu CASCADE;\n' })).toEqual([
      '2.sql warning this statement drops type mood, and with it (CASCADE) columns docs.tag, docs.tags and notes.tag of that type, with what they hold',
      '2.sql warning this statement drops domain score, and with it (CASCADE) column docs.rank of that domain, with what they hold',
      '2.sql warning this statement drops type ext.icu with CASCADE, which drops with it every column of that type and every index, view and function that uses it, with only a NOTICE: no file linted made the type, so migc does not know what uses it',
    ]);
  });

  it('says nothing of a type no column uses, of a type without CASCADE, or of a rollback that drops what its up made', async () => {
    expect(await mg214({ '1.sql': "CREATE TYPE lonely AS ENUM ('x');\n", '2.sql': 'DROP TYPE lonely CASCADE;\n' })).toEqual([]);
    // IF EXISTS of a type no file made, in files that make their tables from the first: a database they made has none.
    expect(await mg214({ '1.sql': base, '2.sql': 'DROP TYPE IF EXISTS ext.icu CASCADE;\n' })).toEqual([]);
    // In files whose history starts after their tables were made, it may be there.
    expect((await mg214({ '1.sql': 'ALTER TABLE legacy ADD COLUMN x int;\n', '2.sql': 'DROP TYPE IF EXISTS ext.icu CASCADE;\n' })).length).toBe(1);
    expect(await mg214({ '1.up.sql': base, '1.down.sql': 'DROP TABLE notes;\nDROP TABLE docs;\nDROP TYPE mood CASCADE;\nDROP DOMAIN score CASCADE;\n' })).toEqual([]);
    expect(await mg214({ '1.up.sql': base, '2.up.sql': "CREATE TYPE extra AS ENUM ('z');\nALTER TABLE notes ADD COLUMN extra extra;\n", '2.down.sql': 'DROP TYPE extra CASCADE;\n' })).toEqual([]);
  });
});

for (const engine of sqlEngines()) {
  describe(`DROP TYPE ... CASCADE on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it('drops exactly the columns MG214 names', async () => {
      const named = (await mg214({ '1.sql': base, '2.sql': 'DROP TYPE mood CASCADE;\nDROP DOMAIN score CASCADE;\n' }))
        .flatMap((m) => [...m.matchAll(/(docs|notes)\.(\w+)/g)].map((x) => `${x[1]}.${x[2]}`)).sort();
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(base);
      const columns = async () => rowsOf(await db.run("SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1")).map((r) => r.c as string);
      const before = await columns();
      await db.run('DROP TYPE mood CASCADE; DROP DOMAIN score CASCADE;');
      const after = await columns();
      expect(before.filter((c) => !after.includes(c)).sort()).toEqual(named);
    });
  });
}

/**
 * ALTER TYPE ... DROP ATTRIBUTE drops the field from every value stored in a table column of the
 * composite type, with no word; of a type no column stores (a function's return type: swh's
 * directory_entry, the thirty-second trial's B) nothing is lost.
 */
const composite = "CREATE TYPE pair AS (amount numeric, currency text);\nCREATE TYPE listing AS (name text, ctime timestamptz);\nCREATE FUNCTION listings() RETURNS SETOF listing LANGUAGE sql AS $$ SELECT 'a'::text, now() $$;\nCREATE TABLE prices (id int PRIMARY KEY, price pair);\n";

describe('MG214 and ALTER TYPE ... DROP ATTRIBUTE', () => {
  it('names the columns that store the type; a type no column stores is no finding', async () => {
    expect(await mg214({ '1.sql': composite, '2.sql': 'ALTER TYPE pair DROP ATTRIBUTE currency;\nALTER TYPE listing DROP ATTRIBUTE ctime;\n' })).toEqual([
      '2.sql warning this statement drops attribute currency of type pair, and with it that field of every value stored in column prices.price',
    ]);
  });
});

for (const engine of sqlEngines()) {
  describe(`ALTER TYPE ... DROP ATTRIBUTE on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it('drops the field of the stored values; a type only a function returns holds no data (the function is replaced to match, as swh does)', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(`${composite}INSERT INTO prices VALUES (1, ROW(10, 'EUR'));`);
      await db.run('ALTER TYPE pair DROP ATTRIBUTE currency; ALTER TYPE listing DROP ATTRIBUTE ctime;');
      expect(rowsOf(await db.run('SELECT (price).* FROM prices'))).toEqual([{ amount: '10' }]);
      await db.run("CREATE OR REPLACE FUNCTION listings() RETURNS SETOF listing LANGUAGE sql AS $$ SELECT 'a'::text $$;");
      expect(rowsOf(await db.run('SELECT name FROM listings()'))).toEqual([{ name: 'a' }]);
    });
  });
}
