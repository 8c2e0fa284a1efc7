import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * DROP COLUMN drops every index that uses the column (its keys, an expression, a WHERE), and a
 * column added again under the name has none of them: MG214 names them (espresso's V36 lost
 * header.root's index until V301: the thirty-first trial's D; kestra's V1_13 lost logs_fulltext).
 * Shown on PGlite and the server of MIGC_TEST_DATABASE_URL: the indexes gone are those named.
 */
const base = 'CREATE TABLE header (id int PRIMARY KEY, root text, height int, data jsonb);\nCREATE INDEX header_root_idx ON header (root);\nCREATE INDEX header_height_root ON header (height, root);\nCREATE INDEX header_big ON header (height) WHERE root IS NOT NULL;\nCREATE INDEX header_height ON header (height);\n';
const change = "ALTER TABLE header DROP COLUMN root, ADD COLUMN root text GENERATED ALWAYS AS (data->>'root') STORED;\n";

async function mg214(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => d.message);
}

describe('MG214 on DROP COLUMN names the indexes that go with the column', () => {
  it('those that use it, and says when the column comes back without them', async () => {
    expect(await mg214({ '1.sql': base, '2.sql': change })).toEqual([
      'this statement drops column header.root (and with it indexes header_root_idx, header_height_root and header_big, which the column added again under its name does not have: make them again)',
    ]);
    expect(await mg214({ '1.sql': base, '2.sql': 'ALTER TABLE header DROP COLUMN root;\n' })).toEqual([
      'this statement drops column header.root (and with it indexes header_root_idx, header_height_root and header_big)',
    ]);
  });

  it('leaves out those the migration makes again, and those it made', async () => {
    expect(await mg214({ '1.sql': base, '2.sql': `${change}CREATE INDEX header_root_idx ON header (root);\nCREATE INDEX header_height_root ON header (height, root);\nCREATE INDEX header_big ON header (height) WHERE root IS NOT NULL;\n` })).toEqual([
      'this statement drops column header.root',
    ]);
    expect(await mg214({ '1.sql': 'CREATE TABLE header (id int PRIMARY KEY, root text);\n', '2.sql': 'CREATE INDEX header_root_idx ON header (root);\nALTER TABLE header DROP COLUMN root;\n' })).toEqual([
      'this statement drops column header.root',
    ]);
  });
});

for (const engine of sqlEngines()) {
  describe(`DROP COLUMN and its indexes on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it('drops exactly the indexes MG214 names, and the column added again has none', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(base);
      const indexes = async () => rowsOf(await db.run("SELECT indexname FROM pg_indexes WHERE tablename = 'header' ORDER BY 1")).map((r) => r.indexname as string);
      const before = await indexes();
      await db.run(change);
      const after = await indexes();
      const named = [...(await mg214({ '1.sql': base, '2.sql': change }))[0]!.matchAll(/header_\w+/g)].map((m) => m[0]);
      expect(before.filter((i) => !after.includes(i)).sort()).toEqual(named.sort());
    });
  });
}
