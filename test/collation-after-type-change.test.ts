import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A column migc knows only from a change of its type (its table made elsewhere) has a known
 * collation from then on: the new type's default, or its COLLATE. A later change of collation
 * rebuilds the indexes on it (kinto's migrations: TYPE TEXT, a primary key, then TEXT COLLATE "C";
 * the thirty-third trial's G). Shown on PGlite and the server of MIGC_TEST_DATABASE_URL: the
 * index's file changes, the table's does not.
 */
const made = 'CREATE TABLE records (id varchar(40), data jsonb);\nINSERT INTO records VALUES (\'a\', \'{}\'), (\'b\', \'{}\');\n';
const first = 'ALTER TABLE records ALTER COLUMN id TYPE TEXT;\nALTER TABLE records ADD PRIMARY KEY (id);\n';
const second = 'ALTER TABLE records ALTER COLUMN id TYPE TEXT COLLATE "C";\n';

async function mg212(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '2.sql').map((d) => d.message);
}

describe('MG212 on a collation change of a column known from a type change', () => {
  it('says the indexes on it are rebuilt, the table not rewritten', async () => {
    expect(await mg212({ '1.sql': first, '2.sql': second })).toEqual([
      'changing records.id from the default collation to collation "C" rebuilds its index records_pkey on records (no size hint: assumed large) under an ACCESS EXCLUSIVE lock (the table itself is not rewritten)',
    ]);
    // The same collation again changes nothing.
    expect(await mg212({ '1.sql': first, '2.sql': 'ALTER TABLE records ALTER COLUMN id TYPE TEXT;\n' })).toEqual([]);
  });
});

for (const engine of sqlEngines()) {
  describe(`a collation change after a type change, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it('rebuilds the primary key\'s index and keeps the table\'s file', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(made + first);
      const files = async () => rowsOf(await db.run("SELECT relname, relfilenode::text AS f FROM pg_class WHERE relname IN ('records', 'records_pkey') ORDER BY 1")).map((r) => `${r.relname}:${r.f}`);
      const before = await files();
      await db.run(second);
      const after = await files();
      const byName = (list: string[]) => Object.fromEntries(list.map((x) => x.split(':')));
      expect(byName(after).records).toBe(byName(before).records);
      expect(byName(after).records_pkey).not.toBe(byName(before).records_pkey);
    });
  });
}
