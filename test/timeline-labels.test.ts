import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relativeTime } from '../src/emit/timeline/view.js';
import { compileFiles, root } from './helpers.js';
import { buildInvoices, invoicePlan } from './invoice-region.js';

/** "T+1w1h22min" -> seconds. */
function labelSeconds(label: string): number {
  if (label === 'T-0') return 0;
  const m = /^T([-+])(.+)$/.exec(label)!;
  const units: Record<string, number> = { w: 604800, d: 86400, h: 3600, min: 60, s: 1 };
  let total = 0;
  for (const [, n, unit] of m[2]!.matchAll(/(\d+)(w|d|h|min|s)/g)) total += Number(n) * units[unit!]!;
  return (m[1] === '-' ? -1 : 1) * total;
}

/** Every line of the chart that has a time label: the label's time and where the line is drawn, in seconds. */
function labelledLines(mmd: string) {
  return [...mmd.matchAll(/^ {4}(T[-+0-9a-z]+) ([^:\n]*):(?:[a-z]+, )*(\w+), (-?\d+), /gm)].map((m) => ({
    text: `${m[1]} ${m[2]!.trim()}`, label: labelSeconds(m[1]!), drawn: Number(m[4]) / 1000,
  }));
}

/** The label rounds to the minute (to the second under a minute): never further from the bar than that. */
function expectAgree(mmd: string) {
  const lines = labelledLines(mmd);
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(Math.abs(l.label - l.drawn), l.text).toBeLessThanOrEqual(Math.abs(l.drawn) < 59.5 ? 0.5 : 30);
}

describe('timeline labels agree with the bars', () => {
  it('one rounding rule: to the minute, every unit shown', () => {
    expect([relativeTime(86400 + 1800), relativeTime(7 * 86400 + 3600), relativeTime(-(6 * 86400 + 23.6 * 3600))]).toEqual(['T+1d30min', 'T+1w1h', 'T-6d23h36min']);
    expect([relativeTime(-604800), relativeTime(0), relativeTime(1), relativeTime(3599), relativeTime(5400), relativeTime(90000)]).toEqual(['T-1w', 'T-0', 'T+1s', 'T+1h', 'T+1h30min', 'T+1d1h']);
  });

  it('the invoice plan: the step after a 30min backfill at T+1d is labelled and drawn at T+1d30min; Contract stands where its gate is met', async () => {
    const { timeline } = await buildInvoices(invoicePlan);
    expect(timeline).toContain(`T+1d30min region-not-null-check (under a second by migc) :step_2_2, ${(86400 + 1800) * 1000},`);
    expectAgree(timeline);
    const gate = /gate verified backfill-region, validate-region, approved :milestone, gate_3, (\d+),/.exec(timeline)!;
    const contract = /(T\+\S+) Contract \(planned T\+4d\) :milestone, milestone_3, (\d+),/.exec(timeline)!;
    expect(contract).not.toBeNull();
    expect(contract[2]).toBe(gate[1]);
    expect(Math.abs(labelSeconds(contract[1]!) * 1000 - Number(gate[1]))).toBeLessThanOrEqual(30_000);
  });

  it('the report\'s milestone table says when a phase really starts', async () => {
    const { report } = await buildInvoices(invoicePlan);
    expect(report).toContain('| T+4d | Contract | starts contract (at T+4d31min by the estimates: the phase before it and the gate\'s wait end later) |');
    expect(report).toContain('| T+1d | Backfill | starts backfill |');
  });

  it('a 2s pause pushes the steps after the backfill to its pauses\' end, labels and bars alike', async () => {
    const { timeline } = await buildInvoices(invoicePlan.replace('pause: 100ms', 'pause: 2s'));
    expect(timeline).toContain(`T+1d3h20min region-not-null-check (under a second by migc) :step_2_2, ${(86400 + 12000) * 1000},`);
    expectAgree(timeline);
  });

  it('in every example plan, every label is the time its bar or milestone is drawn at', async () => {
    const files: Record<string, string> = {};
    for (const f of readdirSync(`${root}plans`, { recursive: true }) as string[]) {
      if (/\.(ya?ml|sql|csv|json)$/.test(f)) files[`plans/${f}`] = readFileSync(`${root}plans/${f}`, 'utf8');
    }
    const r = await compileFiles(files, { emit: true });
    const charts = r.plans.flatMap((p) => p.outputs.filter((o) => o.path.endsWith('timeline.mmd')));
    expect(charts.length).toBe(7);
    for (const c of charts) expectAgree(c.contents);
    const flagship = charts.find((c) => c.path.startsWith('add-email-verified/'))!.contents;
    expect(flagship).not.toMatch(/T\+7d/);
  });
});
