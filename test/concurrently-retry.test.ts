import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * MG221: a CREATE INDEX CONCURRENTLY that fails leaves an INVALID index behind. IF NOT EXISTS
 * alone makes the re-run skip the build and keep it (the nineteenth trial's omnivore, 11
 * statements); a DROP INDEX CONCURRENTLY IF EXISTS before the build takes it away.
 */
async function mg221(text: string, file = '0002_index.sql') {
  const files = { '0001_init.sql': 'CREATE TABLE items (id int, v int);\n', [file]: `SET lock_timeout = '5s';\n${text}` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG221').map((d) => `${d.severity} ${d.message}`);
}

describe('MG221 on a build a failed run leaves behind', () => {
  it('warns on IF NOT EXISTS alone: the re-run keeps the INVALID index', async () => {
    expect(await mg221('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v_key ON items (v);\n')).toEqual([
      'warning CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v_key: a build that fails (a lock_timeout, a deadlock, a duplicate key, a deploy cancelled) leaves an INVALID index of that name, and the re-run skips the build ("already exists, skipping"): the index is never used, yet every write keeps it up to date',
    ]);
  });

  it('takes a DROP INDEX ... IF EXISTS of the same index earlier in the file as the safe way, with IF NOT EXISTS or without', async () => {
    expect(await mg221('DROP INDEX CONCURRENTLY IF EXISTS items_v_key;\nCREATE UNIQUE INDEX CONCURRENTLY items_v_key ON items (v);\n')).toEqual([]);
    expect(await mg221('DROP INDEX CONCURRENTLY IF EXISTS public.items_v_key;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v_key ON items (v);\n')).toEqual([]);
    // Another index's drop, or a drop after the build, takes nothing away from this one.
    expect(await mg221('DROP INDEX CONCURRENTLY IF EXISTS items_other;\nCREATE INDEX CONCURRENTLY items_v_idx ON items (v);\n')).toHaveLength(1);
    expect(await mg221('CREATE INDEX CONCURRENTLY IF NOT EXISTS items_v_idx ON items (v);\nDROP INDEX CONCURRENTLY IF EXISTS items_v_idx;\n')).toHaveLength(1);
    // A drop in the up part does not run with the down part's build (goose: another run).
    const goose = '-- +goose Up\nDROP INDEX CONCURRENTLY IF EXISTS items_v_idx;\n-- +goose Down\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_v_idx ON items (v);\n';
    expect(await mg221(goose, '0002_index.sql')).toHaveLength(1);
  });

  it('says nothing of a table the same file creates: a re-run makes both again', async () => {
    expect(await mg221('CREATE TABLE fresh (v int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS fresh_v_idx ON fresh (v);\n')).toEqual([]);
  });
});

for (const engine of sqlEngines()) {
  describe(`a failed CREATE INDEX CONCURRENTLY run again, on ${engine.name}`, () => {
    const invalid = async (db: { run(sql: string): Promise<unknown> }) => rowsOf(await db.run("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_v_key'::regclass"));
    it('IF NOT EXISTS skips the build and keeps the INVALID index; DROP ... IF EXISTS first builds it again', async () => {
      const db = await engine.open();
      try {
        await db.run('CREATE TABLE items (id int, v int); INSERT INTO items VALUES (1, 1), (2, 1);');
        await expect(db.run('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v_key ON items (v)')).rejects.toThrow(/could not create unique index/);
        await db.run('DELETE FROM items WHERE id = 2');
        // The re-run after the data is fixed: skipped, and the index stays INVALID.
        await db.run('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v_key ON items (v)');
        expect(await invalid(db)).toEqual([{ indisvalid: false }]);
        await db.run('DROP INDEX CONCURRENTLY IF EXISTS items_v_key');
        await db.run('CREATE UNIQUE INDEX CONCURRENTLY items_v_key ON items (v)');
        expect(await invalid(db)).toEqual([{ indisvalid: true }]);
      } finally {
        await db.close();
      }
    });
  });
}
