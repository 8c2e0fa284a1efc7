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

  it('a first phase\'s wait ends where the phase starts, at its milestone, and the first app version is live from the plan\'s start', async () => {
    // Nothing of the plan comes before the first phase for its wait to count from: the drop stays
    // at its T-0 (it was pushed to T+1w), and v1, live before the plan, is a bar up to v2's deploy
    // (it was a sliver at the deploy, drawn on top of v2's).
    const plan = `migc: 1
id: first-wait
title: A first phase with a wait
type: schema
risk: low
engine: postgresql@15
baseline:
  sql: CREATE TABLE t (id bigint PRIMARY KEY, c integer);
apps:
  - version: v1
    queries: v1.sql
  - version: v2
    queries: v2.sql
phases:
  - name: expand
    kind: expand
    gate:
      deploy: { version: v2 }
      wait: 1w
    steps:
      - id: add-d
        sql: ALTER TABLE t ADD COLUMN d integer;
        rollback:
          sql: ALTER TABLE t DROP COLUMN d;
timeline:
  - at: T-0
    milestone: Add d
    phase: expand
`;
    const r = await compileFiles({ 'plans/p.yaml': plan, 'plans/v1.sql': 'SELECT id, c FROM t;', 'plans/v2.sql': 'SELECT id, c FROM t;' }, { emit: true });
    const out = (name: string) => r.plans[0]!.outputs.find((o) => o.path.endsWith(name))!.contents;
    const timeline = out('timeline.mmd');
    const week = 604800 * 1000;
    expect(timeline).toContain('T-0 Add d :milestone, milestone_1, 0, 0s');
    expect(timeline).toContain(`wait 1w (gate) :active, wait_1, ${-week}, 0`);
    expect(timeline).toMatch(/T-0 add-d \(under a second by migc\) :step_1_1, 0, /);
    expect(timeline).toContain(`app v1 :app_1, ${-week}, 0\n`);
    expect(timeline).toMatch(/app v2 \(with v1 while it rolls out\) :app_2, 0, /);
    expect(out('report.md')).toContain('| T-0 | Add d | starts expand |');
    expectAgree(timeline);
    // Said the same way: no phase comes before it, so the wait counts from its deploy.
    expect(out('report.md')).toContain('- at least 1w since the deploy\n');
    expect(out('checklist.md')).toContain('- [ ] Gate: at least 1w since the deploy\n');
    expect(out('01-expand.up.sql')).toContain('-- Gate (check before running): at least 1w since the deploy\n');
    expect(r.plans[0]!.outputs.map((o) => o.contents).join('\n')).not.toContain('since the previous phase');
    const noDeploy = await compileFiles({ 'plans/p.yaml': plan.replace('      deploy: { version: v2 }\n', ''), 'plans/v1.sql': 'SELECT id, c FROM t;', 'plans/v2.sql': 'SELECT id, c FROM t;' }, { emit: true });
    expect(noDeploy.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents).toContain('- at least 1w waited before this first phase starts\n');
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
