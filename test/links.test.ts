import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { issuesUrl, projectUrl, ruleDocsUrl } from '../src/diagnostics/links.js';
import { renderSarif } from '../src/diagnostics/sarif.js';
import { compileFiles, minimalPlan, root } from './helpers.js';

/**
 * Every link migc writes to a rule's page comes from src/diagnostics/links.ts: the report and
 * SARIF once pointed at two different sites (github.com and migc.dev) for the same page.
 */
describe('links to rule pages and to the project', () => {
  it('the report and SARIF link a finding to the same page', async () => {
    // Allowed, so the plan builds and its report lists the finding (as a note) and the allowance.
    const plan = minimalPlan.replace(/sql: ALTER TABLE t ADD COLUMN c integer;/, 'sql: CREATE INDEX t_c_idx ON t (c);\n        allow: { MG201: "t has 40 rows", MG202: "t has 40 rows" }')
      .replace('sql: ALTER TABLE t DROP COLUMN c;', 'sql: DROP INDEX t_c_idx;');
    const r = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
    const finding = r.diagnostics.find((d) => d.code === 'MG201')!;
    expect(finding).toBeDefined();
    const report = r.plans[0]!.outputs.find((o) => o.path.endsWith('/report.md'))!.contents;
    expect(report).toContain(`[MG201](${ruleDocsUrl('MG201')})`);
    expect(report).toContain(`Allowed MG201 ([docs](${ruleDocsUrl('MG201')}))`);
    const sarif = JSON.parse(renderSarif([finding], r.sources, { toolVersion: '0', rule: () => undefined }));
    expect(sarif.runs[0].tool.driver.rules[0].helpUri).toBe(ruleDocsUrl('MG201'));
    expect(sarif.runs[0].tool.driver.informationUri).toBe(projectUrl);
  });

  it('no template or source file spells a rule page\'s address itself', () => {
    const files = [
      ...readdirSync(`${root}templates`).map((f) => `templates/${f}`),
      ...(readdirSync(`${root}src`, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.includes('generated')).map((f) => `src/${f}`),
    ];
    const spelled = files.filter((f) => f !== 'src/diagnostics/links.ts' && /https?:\/\/[^\s'"`)]*docs\/rules/.test(readFileSync(`${root}${f}`, 'utf8')));
    expect(spelled).toEqual([]);
  });

  it('package.json names the same home and issue tracker', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.homepage).toBe(`${projectUrl}#readme`);
    expect(pkg.bugs.url).toBe(issuesUrl);
    expect(pkg.repository.url).toBe(`git+${projectUrl}.git`);
  });
});
