import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * Placeholder text in any rendered artefact is a bug, whatever the golden files say: a golden
 * update must not be able to hide "[object Object]", "undefined", "NaN" or an empty table cell.
 * Runs over every example plan and every plan fixture that builds.
 */
const yamlUnder = (dir: string): string[] =>
  readdirSync(`${root}${dir}`, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => `${e.parentPath.slice(root.length)}/${e.name}`)
    .sort();

const planFiles = [...yamlUnder('plans'), ...yamlUnder('test/fixtures/rules'), ...yamlUnder('test/fixtures/verify'), ...yamlUnder('test/fixtures/emit')];

/** Problems with one artefact's text: placeholders anywhere, empty cells in Markdown tables. */
export function placeholderProblems(path: string, text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = `${path}:${i + 1}`;
    for (const bad of ['[object Object]', 'undefined', 'NaN', 'Invalid Date', 'Infinity']) {
      if (new RegExp(`(^|[^A-Za-z_])${bad.replace(/[[\]]/g, '\\$&')}($|[^A-Za-z_])`).test(line)) problems.push(`${at}: "${bad}" in: ${line.trim()}`);
    }
    if (!path.endsWith('.md') || !line.startsWith('|')) return;
    // The header row of a table (the line before its |---| separator) may have empty cells.
    if (/^\|(\s*:?-+:?\s*\|)+$/.test(line) || /^\|(\s*:?-+:?\s*\|)+$/.test(lines[i + 1] ?? '')) return;
    const cells = line.replace(/\\\|/g, '\u0000').slice(1, -1).split('|');
    cells.forEach((c, n) => {
      if (!c.trim()) problems.push(`${at}: empty cell ${n + 1} in: ${line.trim()}`);
    });
  });
  return problems;
}

describe('no placeholder text in any artefact', async () => {
  // One compile per file: fixtures share ids, which would clash (MG040) in one build.
  const templates = builtinTemplates();
  const results = await Promise.all(planFiles.map((file) => compile({ files: [file], templates }, nodeHost(root))));
  const outputs = results.flatMap((r, i) => r.plans.flatMap((p) => p.outputs.map((o) => ({ ...o, path: `${planFiles[i]} -> ${o.path}` }))));

  it('builds a good number of plans (examples and fixtures)', () => {
    expect(results.filter((r) => r.plans[0]?.ok).length).toBeGreaterThan(20);
    // reports with findings and with allowances are among them
    expect(outputs.some((o) => o.path.endsWith('report.md') && o.contents.includes('## Findings'))).toBe(true);
    expect(outputs.some((o) => o.path.endsWith('report.md') && o.contents.includes('## Allowances'))).toBe(true);
  });

  it.each(outputs.map((o) => o.path))('%s', (path) => {
    const o = outputs.find((x) => x.path === path)!;
    expect(placeholderProblems(o.path, o.contents)).toEqual([]);
  });

  it('finds each kind of placeholder (so the checks above can fail)', () => {
    expect(placeholderProblems('r.md', '| MG201 | [object Object] |')).toHaveLength(1);
    expect(placeholderProblems('r.md', 'took undefined ms')).toHaveLength(1);
    expect(placeholderProblems('r.sql', '-- NaN rows')).toHaveLength(1);
    expect(placeholderProblems('r.md', '| a | b |\n|---|---|\n| x |  |')).toHaveLength(1);
    expect(placeholderProblems('r.md', '| | |\n|---|---|\n| Plan | x |')).toEqual([]);
    expect(placeholderProblems('r.md', 'an undefinedness, NaNometer')).toEqual([]);
  });
});

describe('template helpers that need a value', () => {
  it('refuse to be called bare, so {{code}} fails with MG050 instead of printing [object Object]', async () => {
    const { memoryHost } = await import('../src/host.js');
    const { readFileSync } = await import('node:fs');
    const templates = builtinTemplates();
    const broken = { ...templates, 'report.md': { file: 'tpl/report.md.hbs', text: '{{#each plan.phases}}{{#each steps}}{{code}}{{/each}}{{/each}}' } };
    const plan = readFileSync(`${root}plans/rename-user-name.yaml`, 'utf8');
    const files = {
      'plans/p.yaml': plan, 'plans/users.baseline.sql': readFileSync(`${root}plans/users.baseline.sql`, 'utf8'),
      'plans/apps/users-v3.1.sql': readFileSync(`${root}plans/apps/users-v3.1.sql`, 'utf8'), 'plans/apps/users-v3.2.json': readFileSync(`${root}plans/apps/users-v3.2.json`, 'utf8'),
    };
    const result = await compile({ files: ['plans/p.yaml'], templates: broken }, memoryHost(files));
    const d = result.diagnostics.find((x) => x.code === 'MG050');
    expect(d?.message).toMatch(/the code helper was called without a value; to print a property named code, write \{\{this\.code\}\}/);
    expect(result.plans[0]!.outputs).toEqual([]);
  });
});
