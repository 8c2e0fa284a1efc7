import { describe, expect, it } from 'vitest';
import { buildInvoices, invoicePlan } from './invoice-region.js';

/** What the report says about failed checks is true of each step as its script runs it. */
describe('the report on failed verifications', () => {
  it('a batched step\'s failed check leaves its batches committed; a step in one transaction is undone', async () => {
    const { report } = await buildInvoices(invoicePlan);
    const section = report.split('## Verification queries')[1]!.split('\n## ')[0]!;
    expect(section).not.toContain('a failed check undoes the step.');
    const row = (step: string) => section.split('\n').find((l) => l.includes(`| \`${step}\` |`))!;
    expect(row('backfill-region')).toMatch(/\| stops the script; the batches stay committed \(checked after the last batch\)/);
    expect(row('region-not-null-check')).toMatch(/\| stops the script and undoes the step \(checked inside its transaction, before COMMIT\) \|$/);
  });

  it('a step that runs outside a transaction says its statement stays done', async () => {
    const plan = invoicePlan.replace(
      '        rollback:\n          sql: DROP INDEX CONCURRENTLY IF EXISTS invoices_region_idx;\n',
      "        rollback:\n          sql: DROP INDEX CONCURRENTLY IF EXISTS invoices_region_idx;\n        verify:\n          - sql: SELECT count(*) FROM pg_index WHERE indexrelid = 'invoices_region_idx'::regclass AND indisvalid\n            expect: 1\n");
    const { report } = await buildInvoices(plan);
    const row = report.split('\n').find((l) => l.startsWith('| expand | `index-region` |'))!;
    expect(row).toContain('| stops the script; CREATE INDEX CONCURRENTLY stays done (it runs outside a transaction; the checks run after it) |');
  });
});
