import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { compileFiles, minimalPlan } from './helpers.js';

/**
 * A rollback is judged like a step (MG112): undoing a backfill of a large table touches as many
 * rows as the backfill did, in one transaction under statement_timeout unless it is batched.
 */
const backfill = (rollback: string) => minimalPlan
  .replace('kind: expand', 'kind: migrate')
  .replace('phases:', 'tables:\n  invoices: { rows: 30000000 }\nbaseline:\n  sql: CREATE TABLE invoices (id bigint PRIMARY KEY, region text);\nphases:')
  .replace('sql: ALTER TABLE t ADD COLUMN c integer;', "sql: UPDATE invoices SET region = 'eu' WHERE region IS NULL\n        batch: { size: 5000, pause: 100ms }")
  .replace('        rollback:\n          sql: ALTER TABLE t DROP COLUMN c;\n', `        rollback:\n${rollback}        verify:\n          - sql: SELECT count(*) FROM invoices WHERE region IS NULL\n            expect: 0\n`);

describe('MG112 judges rollbacks like steps', () => {
  it('an unbatched rollback UPDATE of a large table is reported, with how to batch the rollback', async () => {
    const r = await compileFiles({ 'plans/p.yaml': backfill('          sql: UPDATE invoices SET region = NULL WHERE region IS NOT NULL\n') });
    const found = r.diagnostics.filter((d) => d.code === 'MG112');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('warning');
    expect(found[0]!.message).toContain('invoices (30,000,000 rows)');
    expect(found[0]!.message).toContain('(a rollback)');
    expect(found[0]!.help).toContain('rollback: { sql: ..., batch: { size: 10000 } }');
  });

  it('a batched rollback, a small table, and a rollback by key are not', async () => {
    const batched = await compileFiles({ 'plans/p.yaml': backfill('          sql: UPDATE invoices SET region = NULL WHERE region IS NOT NULL\n          batch: { size: 5000 }\n') });
    expect(batched.diagnostics.filter((d) => d.code === 'MG112')).toEqual([]);
    const small = await compileFiles({ 'plans/p.yaml': backfill('          sql: UPDATE invoices SET region = NULL WHERE region IS NOT NULL\n').replace('rows: 30000000', 'rows: 5000') });
    expect(small.diagnostics.filter((d) => d.code === 'MG112' && d.severity !== 'info')).toEqual([]);
    const byKey = await compileFiles({ 'plans/p.yaml': backfill('          sql: DELETE FROM invoices WHERE id = 42\n') });
    expect(byKey.diagnostics.filter((d) => d.code === 'MG112')).toEqual([]);
  });

  it('migc lint: a down migration\'s DELETE over a large table is reported, and told to delete (not update) in batches', async () => {
    const files = {
      'db/V1__sessions.sql': 'CREATE TABLE sessions (id bigint PRIMARY KEY, expires_at timestamptz);\n',
      'db/V2__expire.sql': "SET lock_timeout = '5s';\nUPDATE sessions SET expires_at = now() WHERE id BETWEEN 1 AND 1000;\n",
      'db/U2__expire.sql': "SET lock_timeout = '5s';\nDELETE FROM sessions WHERE expires_at IS NOT NULL;\n",
    };
    const r = await lint({ files: Object.keys(files) }, memoryHost(files));
    const found = r.diagnostics.filter((d) => d.code === 'MG112');
    expect(found.map((d) => d.file)).toEqual(['db/U2__expire.sql']);
    expect(found[0]!.help).toMatch(/^Delete in batches by key range/);
  });
});
