import { describe, expect, it } from 'vitest';
import { buildInvoices, invoicePlan } from './invoice-region.js';

/**
 * migc's duration estimates count the pauses of batched steps (batches × pause), wherever
 * durations are shown: a backfill of 30,000,000 rows in batches of 5,000 with a 2 s pause sleeps
 * 6,000 × 2 s = 3 h 20 min, whatever the hardware.
 */
describe('batch pauses in the estimates', () => {
  it('a 2 s pause on 6,000 batches: the step, phase and plan estimates include 3h 20min of pauses', async () => {
    const { report } = await buildInvoices(invoicePlan.replace('pause: 100ms', 'pause: 2s'));
    const step = report.split('#### Step `backfill-region`')[1]!.split('####')[0]!;
    expect(step).toContain('Estimated time: 30min by the plan; ~3h 25min by migc from the size hints (3h 20min of pauses: 6,000 batches × 2s) (**the estimates differ**');
    expect(step).toContain('| ~3h 25min (3h 20min of pauses: 6,000 batches × 2s) |');
    expect(report).toMatch(/\| Estimated time \| 40min by the plan \(3 of 7 steps\); ~3h 2\dmin by migc/); // the plan estimates 3 of its 7 steps
    expect(report).toContain("- migc's estimates: rows from the table sizes below");
    expect(report).toContain('a batched step adds its pauses, one after each batch (rows ÷ batch size batches)');
  });

  it('at 100 ms the pauses alone are 10 minutes', async () => {
    const { report } = await buildInvoices(invoicePlan);
    expect(report).toContain('~15min by migc from the size hints (10min of pauses: 6,000 batches × 100ms)');
  });

  it('the timeline draws the step at least as long as its pauses, and the checklist gives each phase\'s estimate', async () => {
    const { timeline, checklist } = await buildInvoices(invoicePlan.replace('pause: 100ms', 'pause: 2s'));
    const bar = /backfill-region \(30min by the plan, but 3h 20min of pauses\) :step_2_1, (\d+), (\d+)/.exec(timeline);
    expect(bar).not.toBeNull();
    expect(Number(bar![2]) - Number(bar![1])).toBe(12_000_000);
    expect(checklist).toMatch(/### Phase 2: backfill \(migrate\)\n\nEstimated time: 30min by the plan \(1 of 3 steps\); ~3h 2\dmin by migc from the size hints \(3h 20min of pauses: 6,000 batches × 2s\)/);
  });

  it('a batched step without a pause, and a pause on a table with no size, add nothing and guess nothing', async () => {
    const { report } = await buildInvoices(invoicePlan.replace(', pause: 100ms', ''));
    expect(report).toContain('30min by the plan; ~5min by migc from the size hints (**the estimates differ**');
    const unsized = await buildInvoices(invoicePlan.replace('  invoices: { rows: 30000000, size: 5 GB }\n', ''));
    expect(unsized.report).toContain('Estimated time: 30min by the plan; migc cannot tell, a table has no size hint.');
  });
});

describe('the flagship example', () => {
  it('plans/email-verified.yaml estimates what migc estimates: its report shows no disagreement', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { compileFiles, root } = await import('./helpers.js');
    const files: Record<string, string> = {};
    for (const f of readdirSync(`${root}plans`, { recursive: true }) as string[]) {
      if (f === 'email-verified.yaml' || /\.(sql|csv)$/.test(f)) files[`plans/${f}`] = readFileSync(`${root}plans/${f}`, 'utf8');
    }
    const r = await compileFiles(files, { emit: true });
    const report = r.plans[0]!.outputs.find((o) => o.path === 'add-email-verified/report.md')!.contents;
    expect(report).toContain('| Estimated time | 6min by the plan; ~4min by migc from the size hints (2min of pauses: 1,200 batches × 100ms)');
    expect(report).not.toContain('the estimates differ');
  });
});
