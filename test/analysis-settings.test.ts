import { describe, expect, it } from 'vitest';
import { compileFiles, minimalPlan } from './helpers.js';
import { buildInvoices, invoicePlan } from './invoice-region.js';

/** The report's Analysis settings list tables, with their sizes: never an index, view, sequence, type or function. */
describe('Analysis settings list tables only', () => {
  it('the invoice plan\'s DROP INDEX CONCURRENTLY rollback adds no row for the index', async () => {
    const { report } = await buildInvoices(invoicePlan);
    const settings = report.split('## Analysis settings')[1]!;
    expect(settings).not.toContain('invoices_region_idx');
    expect(settings).toContain('| `invoices` | 30,000,000 | 5 GB |');
    expect(settings).toContain('| `customers` | 800,000 |');
  });

  it('drops, renames, alters and reindexes of other objects name no table; the tables they touch stay', async () => {
    const statements = [
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c)',
      'ALTER INDEX t_c_idx RENAME TO t_c_index',
      'ALTER INDEX t_c_index SET (fillfactor = 90)',
      'REINDEX INDEX CONCURRENTLY t_c_index',
      'DROP INDEX CONCURRENTLY IF EXISTS t_c_index',
      'CREATE VIEW v AS SELECT c FROM t',
      'ALTER VIEW v RENAME TO w',
      'ALTER VIEW w RENAME COLUMN c TO d',
      'DROP VIEW w',
      'CREATE MATERIALIZED VIEW m AS SELECT 1 AS x',
      'ALTER MATERIALIZED VIEW m RENAME TO n',
      'DROP MATERIALIZED VIEW n',
      'CREATE SEQUENCE s',
      'ALTER SEQUENCE s RENAME TO s2',
      'DROP SEQUENCE s2',
      'CREATE TYPE mood AS (a int)',
      'ALTER TYPE mood ADD ATTRIBUTE b int',
      'DROP TYPE mood',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'DROP FUNCTION f()',
      'REINDEX TABLE u',
      'ALTER TABLE u RENAME COLUMN a TO b',
      'DROP TABLE old_t',
    ];
    const plan = `${minimalPlan}      - id: others\n        sql: |\n${statements.map((s) => `          ${s};`).join('\n')}\n        rollback:\n          manual: nothing\n`;
    const r = await compileFiles({ 'plans/p.yaml': plan });
    expect(r.plans[0]!.settings!.tables.map((t) => t.name)).toEqual(['old_t', 't', 'u']);
  });
});
