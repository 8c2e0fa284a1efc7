import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * MG214 on a rollback's DELETE ... WHERE: rows of a table its up neither made nor put rows in were
 * written by others, and are lost; rows the up inserted (INSERT, in a WITH clause, COPY ... FROM)
 * are its to take back. A rollback that empties a table its up emptied loses nothing from before
 * the up. The tables exist before the migration (an earlier file made them).
 */
async function deletesTold(up: string, down: string): Promise<string[]> {
  const files = {
    '001_base.sql': '-- +goose Up\nCREATE TABLE kinds (id int PRIMARY KEY, name text);\nCREATE TABLE items (id int PRIMARY KEY, kind text, note text);\n',
    '002_change.sql': `-- +goose Up\nSET lock_timeout = '5s';\n${up}\n-- +goose Down\nSET lock_timeout = '5s';\n${down}\n`,
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG214' && d.message.includes('its WHERE matches')).map((d) => d.message);
}

describe("MG214: a rollback's DELETE ... WHERE", () => {
  it('is told where the up put no row in the table', async () => {
    expect(await deletesTold("ALTER TABLE items ADD CONSTRAINT items_kind CHECK (kind <> '');", "DELETE FROM items WHERE kind = 'new';")).toEqual([
      'this rollback deletes the rows of items its WHERE matches, and its up put no row there: the rows it deletes were written by others (since the up, or before it), and are lost',
    ]);
  });

  it('is not told where the up inserted rows into the table, by INSERT, in a WITH clause, or by COPY', async () => {
    expect(await deletesTold("INSERT INTO kinds VALUES (1, 'a');", 'DELETE FROM kinds WHERE id = 1;')).toEqual([]);
    expect(await deletesTold("WITH k AS (INSERT INTO kinds VALUES (2, 'b') RETURNING id) SELECT id FROM k;", 'DELETE FROM kinds WHERE id = 2;')).toEqual([]);
    expect(await deletesTold('COPY kinds (id, name) FROM STDIN;\n3\tc\n\\.', 'DELETE FROM kinds WHERE id = 3;')).toEqual([]);
  });

  it('is not told for a table the rollback filled itself, nor for a system catalog', async () => {
    expect(await deletesTold('SELECT 1;', "INSERT INTO kinds VALUES (4, 'd');\nDELETE FROM kinds WHERE id = 4;")).toEqual([]);
    expect(await deletesTold('SELECT 1;', "DELETE FROM pg_catalog.pg_depend WHERE objid = 0;")).toEqual([]);
  });

  it('is still told for a table the up inserted into elsewhere than the one deleted from', async () => {
    expect(await deletesTold("INSERT INTO kinds VALUES (5, 'e');", "DELETE FROM items WHERE kind = 'e';")).toHaveLength(1);
  });

  it('an up that emptied the table leaves nothing from before it for its rollback to lose (TRUNCATE or DELETE without WHERE, then the rollback empties it again)', async () => {
    const files = (up: string) => ({
      '001_base.sql': "-- +goose Up\nCREATE TABLE kinds (id int PRIMARY KEY, name text);\nINSERT INTO kinds VALUES (1, 'a');\n",
      '002_change.sql': `-- +goose Up\nSET lock_timeout = '5s';\n${up}\nINSERT INTO kinds VALUES (2, 'b');\n-- +goose Down\nSET lock_timeout = '5s';\nTRUNCATE kinds;\nINSERT INTO kinds VALUES (1, 'a');\n`,
    });
    const lossesInDown = async (up: string) => {
      const f = files(up);
      const result = await lint({ files: Object.keys(f) }, memoryHost(f));
      return result.diagnostics.filter((d) => d.code === 'MG214' && d.message.startsWith('this rollback')).map((d) => d.message);
    };
    expect(await lossesInDown('TRUNCATE kinds;')).toEqual([]);
    expect(await lossesInDown('DELETE FROM kinds;')).toEqual([]);
    // Emptied and left so, the table fills with what the application writes after the up: the
    // rollback loses that (openmeter's plan_phases).
    const emptiedOnly = { '001_base.sql': files('')['001_base.sql'], '002_change.sql': "-- +goose Up\nSET lock_timeout = '5s';\nDELETE FROM kinds;\n-- +goose Down\nSET lock_timeout = '5s';\nDELETE FROM kinds;\n" };
    const result = await lint({ files: Object.keys(emptiedOnly) }, memoryHost(emptiedOnly));
    expect(result.diagnostics.filter((d) => d.code === 'MG214' && d.message.startsWith('this rollback')).map((d) => d.message)).toEqual(['this rollback deletes every row of kinds, which its up emptied too: the rollback loses the rows written since the up']);
    // An up that only added rows leaves the older ones: the rollback's TRUNCATE loses them.
    expect(await lossesInDown('SELECT 1;')).toEqual(['this rollback truncates kinds, which its up did not make: the rollback loses what was there before the up']);
  });
});
