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

describe('the recipe where the tool sends a file as one query string (the twenty-first trial\'s F)', () => {
  it('builds alone in a migration of its own, and drops an INVALID index by hand, for Prisma and golang-migrate', async () => {
    const files = { '20240101000000_user/migration.sql': 'CREATE TABLE "User" (id text PRIMARY KEY, email text);\n', '20240102000000_idx/migration.sql': 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n' };
    const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
    const help = result.diagnostics.find((d) => d.code === 'MG201')!.help!;
    expect(help).toContain('CREATE UNIQUE INDEX CONCURRENTLY "User_email_key" ON "User" (email); alone in a migration of its own (the tool sends a file as one query string: beside another statement, CONCURRENTLY runs in a transaction block, which it refuses). If a build fails, drop the INVALID index it leaves by hand before the re-run: DROP INDEX CONCURRENTLY IF EXISTS "User_email_key"; (alone too).');
    const golang = { '1_user.up.sql': files['20240101000000_user/migration.sql'], '2_idx.up.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS user_email_idx ON "User" (email);\n' };
    const mg221 = (await lint({ files: Object.keys(golang), fileQueryString: true }, memoryHost(golang))).diagnostics.find((d) => d.code === 'MG221')!.help!;
    expect(mg221).toMatch(/^CREATE INDEX CONCURRENTLY user_email_idx ON "User" \(email\); alone in a migration of its own/);
    // Where each statement is sent on its own (psql, Flyway), the drop goes first in the same file.
    const psql = (await lint({ files: Object.keys(golang) }, memoryHost(golang))).diagnostics.find((d) => d.code === 'MG221')!.help!;
    expect(psql).toMatch(/^DROP INDEX CONCURRENTLY IF EXISTS user_email_idx; CREATE INDEX CONCURRENTLY user_email_idx/);
  });
});

for (const engine of sqlEngines()) {
  it(`two CONCURRENTLY statements in one query string are refused, each alone runs, on ${engine.name}`, async () => {
    const db = await engine.open();
    try {
      await db.run('CREATE TABLE items (id int, v int)');
      await expect(db.run('DROP INDEX CONCURRENTLY IF EXISTS items_v_idx; CREATE INDEX CONCURRENTLY items_v_idx ON items (v);')).rejects.toThrow(/cannot run inside a transaction block/);
      await db.run('DROP INDEX CONCURRENTLY IF EXISTS items_v_idx');
      await db.run('CREATE INDEX CONCURRENTLY items_v_idx ON items (v)');
    } finally {
      await db.close();
    }
  });
}
