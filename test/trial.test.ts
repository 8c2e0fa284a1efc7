import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSeconds } from '../src/normalize/durations.js';
import { minimumBar } from '../src/emit/timeline/view.js';
import { compileFiles, root } from './helpers.js';

/**
 * A new user's plan (test/fixtures/trial/orders-fk.yaml): a foreign key on a 50M-row table, its
 * index built first, orphans deleted in batches (irreversible), the key validated; the steps
 * partly estimated by the plan. What its outputs say, read as the reviewer and on-call would.
 */
const dir = `${root}test/fixtures/trial/`;
const ordersFk = readFileSync(`${dir}orders-fk.yaml`, 'utf8');
/** The plan's baseline (kept here, not as a .sql fixture, which the fuzzer would pick up). */
const shopBaseline = `CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, total_cents bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
`;

async function build(plan: string) {
  const r = await compileFiles({ 'plans/orders-fk.yaml': plan, 'plans/shop.baseline.sql': shopBaseline }, { emit: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const file = (name: string) => r.plans[0]!.outputs.find((o) => o.path === `orders-customer-fk/${name}`)!.contents;
  return { report: file('report.md'), timeline: file('timeline.mmd'), checklist: file('checklist.md'), up: file('02-cleanup.up.sql'), down: file('02-cleanup.down.sql') };
}

describe('the checklist on rolling back a phase with an irreversible step', () => {
  it('names every place the down script stops, in the order it meets them, and how to go on', async () => {
    const { checklist } = await build(ordersFk);
    const line = checklist.split('\n').find((l) => l.startsWith('- [ ] If this fails:') && l.includes('02-cleanup.down.sql'))!;
    // validate-fk (a rollback by hand) comes last in the phase, so the down script meets it first.
    expect(line).toContain('If a step it undoes ran, the down script stops before undoing `validate-fk` by hand, then at `delete-orphans`, which cannot be undone, until its data is restored; record each as the error says, then run the script again.');
  });
});

describe('estimates when the plan estimates only some steps', () => {
  it('say for how many steps the plan\'s sum holds, and do not compare it with migc\'s for all of them', async () => {
    const { report, checklist } = await build(ordersFk);
    // index-customer-id 40min and validate-fk 10min; add-fk-not-valid and delete-orphans not estimated.
    expect(report).toContain('| Estimated time | 50min by the plan (2 of 4 steps); ~20min by migc from the size hints');
    expect(report).toContain('Estimated time: 40min by the plan (1 of 2 steps); ~3min by migc from the size hints.');
    expect(report).toContain('Estimated time: 10min by the plan (1 of 2 steps); ~18min by migc from the size hints (8min of pauses: 5,000 batches × 100ms).');
    expect(checklist).toContain('Estimated time: 10min by the plan (1 of 2 steps); ~18min by migc');
    // A step the plan estimates is still compared: 40min against ~3min.
    expect(report).toContain('Estimated time: 40min by the plan; ~3min by migc from the size hints (**the estimates differ**: check the step\'s estimate and the size hints).');
  });
});

describe('counts in prose', () => {
  it('a batch size reads 10,000 in the report and the scripts\' comments, as every other count does', async () => {
    const { report, up } = await build(ordersFk);
    expect(report).toContain('Runs in batches of 10,000 rows by `id`');
    expect(up).toContain('-- Batched: 10,000 rows per batch by id');
    expect(`${report}\n${up}`).not.toMatch(/\b\d{4,} rows\b/);
  });
});

describe('the timeline\'s minimum bar width', () => {
  it('is what its note says: a 67 s minimum was noted "1min"', async () => {
    const { timeline } = await build(ordersFk);
    expect(timeline).toContain('bars shorter than 1min are drawn 1min long');
    // add-fk-not-valid takes under a second: drawn at the minimum.
    const bar = /add-fk-not-valid \(under a second by migc\) :step_1_2, (\d+), (\d+)/.exec(timeline)!;
    expect(Number(bar[2]) - Number(bar[1])).toBe(60_000);
  });

  it('is a whole number of the unit the note writes it in, for any length of chart', () => {
    const seconds = (text: string) => [...text.matchAll(/(\d+)(ms|s|min|h|d)/g)].reduce((a, [, n, u]) => a + Number(n) * { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[u as 'ms']!, 0);
    for (let range = 10; range < 10 * 604800; range = Math.ceil(range * 1.37)) {
      const m = minimumBar(range);
      expect(seconds(formatSeconds(m)), `range ${range}`).toBe(m);
      expect(m).toBeGreaterThanOrEqual(range / 60 / 2);
    }
  });
});
