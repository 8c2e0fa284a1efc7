import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompileResult } from '../src/compile.js';
import { renderJson, renderPretty } from '../src/diagnostics/render.js';
import { SourceText } from '../src/diagnostics/source-text.js';
import { memoryHost } from '../src/host.js';
import { inputLimits } from '../src/load/limits.js';
import { lint } from '../src/lint.js';
import { brief, cliEnv, compileFiles, minimalPlan, root } from './helpers.js';

/** Hostile and huge input: every limit of README "Limits" gives a located error, never a crash. */

const plan = (text: string) => compileFiles({ 'plans/p.yaml': text });
const codes = (r: { diagnostics: readonly { code: string }[] }) => r.diagnostics.map((d) => d.code);
const pretty = (r: Pick<CompileResult, 'diagnostics' | 'sources'>) => renderPretty(r.diagnostics, r.sources, { color: false });

const blockStaircase = (levels: number) => `${minimalPlan}current_state:\n${Array.from({ length: levels }, (_, i) => `${' '.repeat(i + 1)}a:\n`).join('')}`;

describe('YAML nesting', () => {
  it.each([
    ['block mappings', blockStaircase(3000)],
    ['block lists', `${minimalPlan}current_state:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}- \n`).join('')}`],
    ['flow lists', minimalPlan.replace('title: Minimal plan', `title: ${'['.repeat(100_000)}${']'.repeat(100_000)}`)],
    ['flow mappings', minimalPlan.replace('title: Minimal plan', `title: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}`)],
    ['compact lists', minimalPlan.replace('title: Minimal plan', `title:\n${'- '.repeat(20_000)}x`)],
  ])('%s thousands deep: MG005 at the first level past the limit', async (_, text) => {
    const r = await plan(text);
    expect(codes(r)).toEqual(['MG005']);
    expect(r.diagnostics[0]!.message).toBe(`YAML nested more than ${inputLimits.nestingDepth} levels deep`);
    // Located where the nesting passes the limit: the 65th level, not the start of the file.
    const at = r.sources.get('plans/p.yaml')!.position(r.diagnostics[0]!.span!.start);
    expect(at.line > 1 || at.column > 1).toBe(true);
    expect(pretty(r).length).toBeLessThan(1000);
  });

  it('puts the error on the line of the 65th level of a staircase', async () => {
    const r = await plan(blockStaircase(200));
    const firstStair = minimalPlan.split('\n').length + 1; // the line of the first `a:`
    // The plan's mapping is level 1, the first stair's mapping level 2: stair 63 opens level 65.
    expect(brief(r)).toEqual([`${firstStair + inputLimits.nestingDepth - 1}:${inputLimits.nestingDepth + 1} error MG005 YAML nested more than 64 levels deep`]);
  });

  it('accepts 64 levels: the schema then judges the value', async () => {
    const depth = inputLimits.nestingDepth;
    const ok = await plan(minimalPlan.replace('title: Minimal plan', `title: ${'['.repeat(depth - 1)}x${']'.repeat(depth - 1)}`));
    expect(codes(ok)).toEqual(['MG010']); // the root mapping is one level: 63 lists more make 64
    const deeper = await plan(minimalPlan.replace('title: Minimal plan', `title: ${'['.repeat(depth)}x${']'.repeat(depth)}`));
    expect(codes(deeper)).toEqual(['MG005']);
  });

  it('gives the real CLI a located error and exit 1, not an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-limits-'));
    try {
      writeFileSync(join(dir, 'deep.yaml'), minimalPlan.replace('title: Minimal plan', `title: ${'['.repeat(50_000)}${']'.repeat(50_000)}`));
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(root, 'bin/migc.js'), 'check', 'deep.yaml'], { cwd: dir, env: cliEnv() }, (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        });
      });
      expect(r.stderr).not.toMatch(/internal error|RangeError/);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^deep\.yaml:3:\d+ error MG005 YAML nested more than 64 levels deep$/m);
      expect(r.stdout.length).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('YAML aliases', () => {
  it('refuses a few aliases of a large value (MG006): the expanded size counts, not the alias count', async () => {
    const big = 'x'.repeat(1_000_000);
    const r = await plan(`${minimalPlan}current_state: &big "${big}"\ntarget_state: *big\nowner: *big\n`);
    expect(codes(r)).toEqual(['MG006']);
    expect(brief(r)[0]).toMatch(/^\d+:15 error MG006 aliases would expand the plan past 2,\d{3},\d{3} characters/);
  });

  it('refuses a billion laughs under the alias count limit (MG006), before expanding it', async () => {
    const levels = ['title: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 4; i++) levels.push(`x${i}: &a${i} [${Array(12).fill(`*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    const r = await plan(`${minimalPlan}${levels.join('\n')}\n`.replace('title: Minimal plan\n', ''));
    expect(codes(r)).toEqual(['MG006']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('accepts a few aliases of short values', async () => {
    const r = await plan(`${minimalPlan.replace('title: Minimal plan', 'title: &t Minimal plan')}current_state: *t\ntarget_state: *t\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('refuses an alias inside the node it names (MG006) and one with no anchor (MG001), at the alias', async () => {
    const cycle = await plan(`${minimalPlan}risks: &r\n  - risk: x\n    mitigation: *r\n`);
    expect(brief(cycle)).toEqual([`${minimalPlan.split('\n').length + 2}:17 error MG006 alias "*r" is inside the node it names, so it never ends`]);
    const missing = await plan(`${minimalPlan}owner: *nobody\n`);
    expect(brief(missing)).toEqual([`${minimalPlan.split('\n').length}:8 error MG001 alias "*nobody" has no anchor before it`]);
  });
});

describe('file size', () => {
  it('refuses a plan over 10 MB (MG004) without reading it as YAML', async () => {
    const r = await plan(`${minimalPlan}current_state: "${'x'.repeat(inputLimits.planBytes)}"\n`);
    expect(brief(r)).toEqual(['1:1 error MG004 the file is 10 MB; a plan may be at most 10 MB']);
  });

  it('counts bytes of UTF-8, not characters', async () => {
    // 3.4 million characters of three bytes each: 10.2 MB.
    const r = await plan(`${minimalPlan}current_state: "${'語'.repeat(3_400_000)}"\n`);
    expect(brief(r)).toEqual(['1:1 error MG004 the file is 10.2 MB; a plan may be at most 10 MB']);
  });

  it('refuses a SQL file over 16 MB in lint (MG004) and lints the other files', async () => {
    const huge = 'SELECT 1;\n'.repeat(inputLimits.sqlBytes / 10 + 1);
    const r = await lint({ files: ['a.sql', 'b.sql'] }, memoryHost({ 'a.sql': huge, 'b.sql': 'CREATE INDEX i ON t (c);\n' }));
    expect(r.diagnostics.filter((d) => d.file === 'a.sql').map((d) => `${d.code} ${d.message}`)).toEqual(['MG004 the file is 16 MB; a SQL file may be at most 16 MB']);
    expect(r.diagnostics.filter((d) => d.file === 'b.sql').map((d) => d.code)).toContain('MG201');
  });

  it('refuses a baseline file over 16 MB (MG004), at its file: in the plan', async () => {
    const r = await compileFiles({
      'plans/p.yaml': `${minimalPlan}baseline:\n  file: big.sql\n`,
      'plans/big.sql': 'CREATE TABLE t (c int);\n'.repeat(inputLimits.sqlBytes / 24 + 1),
    });
    expect(brief(r)).toEqual([`${minimalPlan.split('\n').length + 1}:9 error MG004 big.sql is 16 MB; a SQL file may be at most 16 MB`]);
  });
});

describe('what a diagnostic prints', () => {
  it('cuts a 1 MB line around the span, with the caret under it', async () => {
    const long = 'y'.repeat(1_000_000);
    // An unknown key in the middle of a 2 MB flow mapping on one line.
    const r = await plan(minimalPlan.replace('title: Minimal plan', `title: Minimal plan\nowner: x\npre_migration: {disk_space: "${long}", typo: 1, staging_test: "${long}"}`));
    expect(codes(r)).toEqual(['MG011']);
    const out = pretty(r);
    expect(out.length).toBeLessThan(1000);
    const [, , source, carets] = out.split('\n');
    expect(source).toMatch(/^\d+ \| …y+", typo: 1, staging_test: "y+…$/);
    expect(carets!.indexOf('^')).toBe(source!.indexOf('typo'));
    expect(carets!.slice(carets!.indexOf('^'))).toBe('^^^^');
  });

  it('caps a message that quotes a 1 MB value', async () => {
    const r = await plan(minimalPlan.replace('kind: expand', `kind: ${'z'.repeat(1_000_000)}`));
    expect(r.diagnostics[0]!.message).toBe(`phases[0].kind must be one of expand, migrate, contract; got string "${'z'.repeat(80)}"… (1,000,000 characters)`);
    expect(pretty(r).length).toBeLessThan(1000);
    expect(renderJson(r.diagnostics, r.sources).length).toBeLessThan(1500);
  });

  it('keeps the caret under the span after wide characters, combining marks and emoji', () => {
    const text = 'title: 日本語 e\u0301 🎉 x\n';
    const start = text.indexOf('x');
    const out = renderPretty([{ code: 'MG010', severity: 'error', file: 'f', span: { start, end: start + 1 }, message: 'm' }], new Map([['f', new SourceText(text)]]), { color: false });
    const [, , source, carets] = out.split('\n');
    // "title: " 7 columns, 日本語 6, a space, e + U+0301 one, a space, 🎉 2, a space.
    expect(carets!.indexOf('^') - source!.indexOf('title')).toBe(7 + 6 + 1 + 1 + 1 + 2 + 1);
  });

  it('shows control characters as symbols, so a file cannot drive the terminal', () => {
    const text = 'title: \u001b[31mred\u001b[0m\u202eevil x\n';
    const start = text.indexOf(' x') + 1;
    const out = renderPretty([{ code: 'MG010', severity: 'error', file: 'f', span: { start, end: start + 1 }, message: 'm' }], new Map([['f', new SourceText(text)]]), { color: false });
    expect(out).not.toMatch(/[\u001b\u202e]/);
    expect(out).toContain('title: ␛[31mred␛[0m\ufffdevil x');
    const [, , source, carets] = out.split('\n');
    expect(carets!.indexOf('^')).toBe(source!.lastIndexOf('x'));
  });

  it('never cuts an emoji in half at the edge of the window', () => {
    const text = `${'🎉'.repeat(200)}x${'🎉'.repeat(200)}\n`;
    const start = text.indexOf('x');
    const out = renderPretty([{ code: 'MG010', severity: 'error', file: 'f', span: { start, end: start + 1 }, message: 'm' }], new Map([['f', new SourceText(text)]]), { color: false });
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    const [, , source, carets] = out.split('\n');
    const width = (s: string) => [...s].reduce((n, c) => n + (c === '🎉' ? 2 : 1), 0);
    expect(width(carets!.slice(0, carets!.indexOf('^')))).toBe(width(source!.slice(0, source!.indexOf('x'))));
  });
});
