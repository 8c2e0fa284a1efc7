import { readFileSync } from 'node:fs';
import { compileFiles, root } from './helpers.js';

/** A user's plan (issue report): invoices of 30,000,000 rows get a region, backfilled in batches. */
const dir = `${root}test/fixtures/invoice-region/`;
export const invoicePlan = readFileSync(`${dir}invoice-region.yaml`, 'utf8');

/** Builds the plan (changed as a test needs) with the built-in templates; its report, timeline and checklist. */
export async function buildInvoices(plan: string) {
  const r = await compileFiles({ 'plans/invoice-region.yaml': plan, 'plans/shop.baseline.sql': readFileSync(`${dir}shop.baseline.sql`, 'utf8') }, { emit: true });
  const file = (name: string) => r.plans[0]!.outputs.find((o) => o.path === `invoice-region/${name}`)!.contents;
  return { r, report: file('report.md'), timeline: file('timeline.mmd'), checklist: file('checklist.md') };
}
