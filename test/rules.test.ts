import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';
import { renderPlain, root, updateGolden } from './helpers.js';

/**
 * test/fixtures/rules/<CODE>/: every fail-*.yaml must raise CODE, and its diagnostics, rendered
 * as the CLI prints them, must equal fail-*.expected (UPDATE_GOLDEN=1 rewrites them);
 * every pass-*.yaml must raise neither CODE nor any error.
 */
const fixtureRoot = `${root}test/fixtures/rules`;
const codes = readdirSync(fixtureRoot).sort();

async function compileFixture(dir: string, name: string) {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[`plans/${f}`] = readFileSync(`${dir}/${f}`, 'utf8');
  return compile({ files: [`plans/${name}`] }, memoryHost(files));
}

describe.each(codes)('%s', (code) => {
  const dir = `${fixtureRoot}/${code}`;
  const fixtures = readdirSync(dir).filter((f) => /^(pass|fail)-.*\.yaml$/.test(f)).sort();

  it.each(fixtures.filter((f) => f.startsWith('fail-')))('%s raises it', async (name) => {
    const result = await compileFixture(dir, name);
    expect(result.diagnostics.map((d) => d.code)).toContain(code);
    const rendered = renderPlain(result);
    const golden = `${dir}/${name.replace(/\.yaml$/, '.expected')}`;
    if (updateGolden) writeFileSync(golden, rendered);
    expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run and review it`).toBe(true);
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(fixtures.filter((f) => f.startsWith('pass-')))('%s does not', async (name) => {
    const result = await compileFixture(dir, name);
    expect(result.diagnostics.filter((d) => d.code === code || d.severity === 'error')).toEqual([]);
  });
});
