import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG207 says what PostgreSQL scans: one ALTER TABLE with several SET NOT NULL checks the table
 * once, for all of them (one finding, naming every column: the twelfth trial's class C, 17 extra
 * errors in oVirt); SET NOT NULL of a column already NOT NULL checks nothing (class D, bytebase).
 */
const baseline = 'CREATE TABLE audit_log (id int PRIMARY KEY, user_name text, vm_name text, vds_name text, kind text NOT NULL DEFAULT \'\');\n';

async function mg207(statement: string): Promise<string[]> {
  const files = { '001_create.sql': baseline, '002_change.sql': `SET lock_timeout = '5s';\n${statement}\n` };
  const result = await lint({ files: Object.keys(files), config: { postgres: 15 } }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG207').map((d) => d.message);
}

describe('MG207 per statement', () => {
  it('one finding for the columns of one ALTER TABLE, none for a column already NOT NULL', async () => {
    expect(await mg207('ALTER TABLE audit_log ALTER COLUMN user_name SET NOT NULL, ALTER COLUMN vm_name SET NOT NULL, ALTER COLUMN vds_name SET NOT NULL, ALTER COLUMN kind SET NOT NULL;')).toEqual([
      'SET NOT NULL on audit_log.user_name, audit_log.vm_name and audit_log.vds_name scans audit_log (no size hint: assumed large) (once, for all of them) while holding an ACCESS EXCLUSIVE lock, and fails if a row holds NULL there',
    ]);
    expect(await mg207('ALTER TABLE audit_log ALTER COLUMN kind SET NOT NULL, ALTER COLUMN id SET NOT NULL;')).toEqual([]);
    // Made nullable earlier in the statement: SET NOT NULL checks it again.
    expect(await mg207('ALTER TABLE audit_log ALTER COLUMN kind DROP NOT NULL, ALTER COLUMN kind SET NOT NULL;')).toHaveLength(1);
  });
});

for (const engine of sqlEngines()) {
  describe(`what SET NOT NULL scans on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
      await db.run(baseline);
      await db.run("INSERT INTO audit_log SELECT g, 'u', 'v', 'd' FROM generate_series(1, 100) g;");
    });
    afterAll(() => db?.close());
    // The statistics of a transaction are flushed after it: asked for in one of their own.
    const scans = async (statement: string) => {
      const count = async () => {
        await db.run('SELECT pg_stat_force_next_flush()');
        return Number(rowsOf(await db.run("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'audit_log'"))[0]!.seq_scan);
      };
      const before = await count();
      await db.run(statement);
      return (await count()) - before;
    };

    it('several columns in one statement: one scan; a column already NOT NULL: none', async () => {
      expect(await scans('ALTER TABLE audit_log ALTER COLUMN user_name SET NOT NULL, ALTER COLUMN vm_name SET NOT NULL, ALTER COLUMN vds_name SET NOT NULL')).toBe(1);
      expect(await scans('ALTER TABLE audit_log ALTER COLUMN kind SET NOT NULL, ALTER COLUMN id SET NOT NULL')).toBe(0);
      expect(await scans('ALTER TABLE audit_log ALTER COLUMN kind DROP NOT NULL, ALTER COLUMN kind SET NOT NULL')).toBe(1);
    });
  });
}
