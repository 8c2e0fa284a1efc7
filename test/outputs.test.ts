import { describe, expect, it } from 'vitest';
import { mermaidText, relativeTime } from '../src/emit/timeline/view.js';
import { readFileSync } from 'node:fs';
import { compileFiles, minimalPlan, root } from './helpers.js';

/** Every line a timeline.mmd may hold: nothing from a plan can add another kind of line. */
const ganttLine = /^(---|config:|  gantt:|    leftPadding: \d+|gantt|    title [^\n]+|    dateFormat x|    axisFormat \u00a0|    todayMarker off|    %% [^\n]+|    section [^:;#%\n]+|    [^:;#%\n]+ :(vert, |milestone, |active, |done, )?\w+, -?\d+, (-?\d+|0s))$/;

const hostile = readFileSync(`${root}test/fixtures/emit/hostile-timeline.yaml`, 'utf8');

describe('timeline.mmd', () => {
  it('keeps plan text inert: every line is one the template writes', async () => {
    const result = await compileFiles({ 'plans/p.yaml': hostile }, { emit: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const mmd = result.plans[0]!.outputs.find((o) => o.path.endsWith('timeline.mmd'))!.contents;
    for (const line of mmd.trimEnd().split('\n')) expect(line).toMatch(ganttLine);
    expect(mmd).not.toMatch(/^\s*(click|title Hijacked|section X)/im);
    expect(mmd).not.toMatch(/[<>]/);
    expect(mmd.match(/^    section /gm)).toHaveLength(2); // Milestones and the one phase
  });

  it('mermaidText flattens and defuses', () => {
    expect(mermaidText('a\nb;c#d:e%f<g>')).toBe('a b, c d e f g');
    expect(mermaidText('click here')).toBe('- click here');
    expect(mermaidText('Section 2')).toBe('- Section 2');
    expect(mermaidText('  ')).toBe('-');
  });

  it('speaks relative time, never a date', async () => {
    expect([relativeTime(-(6 * 86400 + 23.6 * 3600)), relativeTime(3599), relativeTime(86399)]).toEqual(['T-6d23h36min', 'T+1h', 'T+1d']);
    expect([relativeTime(-604800), relativeTime(0), relativeTime(5400), relativeTime(90000)]).toEqual(['T-1w', 'T-0', 'T+1h30min', 'T+1d1h']);
    const result = await compileFiles({ 'plans/p.yaml': minimalPlan }, { emit: true });
    const mmd = result.plans[0]!.outputs.find((o) => o.path.endsWith('timeline.mmd'))!.contents;
    expect(mmd).not.toMatch(/\d{4}-\d\d-\d\d|Jan|placeholder/);
    expect(mmd).toContain('T-0 add-column (under a second by migc) :step_1_1, 0,');
  });
});

describe('a plan without SQL', () => {
  const codePlan = `migc: 1
id: flag-rollout
title: Turn on the v2 API
type: code
risk: low
overview:
  estimated_downtime: none
phases:
  - name: release
    kind: migrate
    steps:
      - id: enable-flag
        run: flagctl enable api-v2
        rollback:
          run: flagctl disable api-v2
`;
  it('needs no engine and gets no database items', async () => {
    const result = await compileFiles({ 'plans/p.yaml': codePlan }, { emit: true });
    expect(result.diagnostics).toEqual([]);
    const checklist = result.plans[0]!.outputs.find((o) => o.path.endsWith('checklist.md'))!.contents;
    const report = result.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    expect(checklist).not.toMatch(/disk|bloat|replication|pg_locks|psql|Maintenance window/i);
    expect(checklist).toContain('- [ ] If this fails: undo enable-flag: run `flagctl disable api-v2`.');
    expect(checklist).toContain('Old code cleaned up');
    expect(report).toContain('| Engine | none: the plan runs no SQL |');
    expect(report).not.toContain('## Analysis settings');
  });

  it('asks for a maintenance window when downtime is not none', async () => {
    const result = await compileFiles({ 'plans/p.yaml': codePlan.replace('estimated_downtime: none', 'estimated_downtime: maintenance window 30min') }, { emit: true });
    const checklist = result.plans[0]!.outputs.find((o) => o.path.endsWith('checklist.md'))!.contents;
    expect(checklist).toContain('- [ ] Maintenance window scheduled and announced; expected downtime: maintenance window 30min');
  });
});

describe('plan-wide verifications', () => {
  const plan = `${minimalPlan.replace('type: schema', 'type: schema\nbaseline:\n  sql: CREATE TABLE t (id int);')}  - name: tidy
    kind: contract
    steps:
      - id: comment
        sql: COMMENT ON TABLE t IS 'tidy';
        rollback:
          sql: COMMENT ON TABLE t IS NULL;
verify:
  - sql: SELECT count(*) FROM t WHERE c IS NOT NULL
    expect: 0
    after: expand
    description: nothing set c yet
  - sql: SELECT count(*) FROM information_schema.columns WHERE column_name = 'c'
    expect: 1
`;
  it('are assertions at the end of the named phase, or of the last phase with SQL, and in the report', async () => {
    const result = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
    expect(result.diagnostics).toEqual([]);
    const file = (end: string) => result.plans[0]!.outputs.find((o) => o.path.endsWith(end))!.contents;
    expect(file('01-expand.up.sql')).toMatch(/-- Plan-wide verification 1, checked at the end of phase expand: nothing set c yet\nBEGIN;\nCALL public\.migc_run\('minimal', 'expand', '', 'verification 1', 5, ARRAY\[\n\$sql\$DO [^\n]*\n[\s\S]*SELECT count\(\*\) FROM t WHERE c IS NOT NULL[\s\S]*'plan-wide verification 1'[\s\S]*END\n\$migc[^\n]*\$\$sql\$\n\]\);\nCOMMIT;\n\n-- The phase ran to its end[^\n]*\nCALL public\.migc_mark\('minimal', 'expand', '', 'phase done', true, [^\n]*\);\n$/);
    expect(file('01-expand.up.sql')).not.toContain('plan-wide verification 2');
    expect(file('02-tidy.up.sql')).toContain("-- Plan-wide verification 2, checked at the end of the plan");
    expect(file('01-expand.down.sql')).not.toContain('Plan-wide');
    expect(file('report.md')).toContain("| end of phase expand | `01-expand.up.sql` | `SELECT count(*) FROM t WHERE c IS NOT NULL` | `= 0` | nothing set c yet |");
    expect(file('report.md')).toContain("| end of the plan | `02-tidy.up.sql` |");
    expect(file('checklist.md')).toContain('- [ ] Data integrity: plan-wide verification 1, `SELECT count(*) FROM t WHERE c IS NOT NULL` is `= 0` (the up script checks it last)');
  });
});
