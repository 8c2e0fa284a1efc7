import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMigrations } from '../src/cli/files.js';
import { isRollbackFile } from '../src/lint-files.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';
import { root } from './helpers.js';

/**
 * A popx split migration (test/fixtures/lint-layouts/popx-split, modelled on kratos's
 * 20191100000002000000..4_requests): its parts' downs do not undo their own parts' ups. lint
 * judges them as a chain, in the order migc lints them (latest first, as popx rolls back): that
 * order runs on PostgreSQL, and a down judged alone after its own up would not.
 */
const folder = `${root}test/fixtures/lint-layouts/popx-split`;
const sql = (file: string) => readFileSync(`${folder}/${file}`, 'utf8');

for (const engine of sqlEngines()) {
  describe(`a popx split migration's downs on ${engine.name}`, () => {
    let db: SqlEngine;
    let requests: string[];
    beforeAll(async () => {
      db = await engine.open();
      requests = (await findMigrations(['.'], folder)).files.filter((f) => f.includes('_requests.'));
    });
    afterAll(() => db?.close());
    const fresh = async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(sql('20240101000000000000_identities.up.sql'));
      for (const f of requests.filter((f) => !isRollbackFile(f))) await db.run(sql(f));
    };

    it('run in the order migc lints them, the downs all succeed and undo the parts\' ups together', async () => {
      await fresh();
      const downs = requests.filter((f) => isRollbackFile(f));
      expect(downs).toEqual(['20240201000000000003_requests.down.sql', '20240201000000000002_requests.down.sql', '20240201000000000001_requests.down.sql', '20240201000000000000_requests.down.sql']);
      for (const f of downs) await db.run(sql(f));
      const tables = rowsOf(await db.run("SELECT string_agg(table_name, ',' ORDER BY table_name) AS t FROM information_schema.tables WHERE table_schema = 'public'"));
      expect(tables[0]!.t).toBe('identities');
      const columns = rowsOf(await db.run("SELECT string_agg(column_name, ',' ORDER BY column_name) AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'identities'"));
      expect(columns[0]!.c).toBe('id');
    });

    it('right after the ups, down 2 alone is refused: the table of up 1 references its table until down 3 drops it', async () => {
      await fresh();
      await expect(db.run(sql('20240201000000000002_requests.down.sql'))).rejects.toThrow(/depend/);
    });
  });
}
