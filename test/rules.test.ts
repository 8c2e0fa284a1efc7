import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { renderPretty } from '../src/diagnostics/render.js';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { root, updateGolden } from './helpers.js';

/**
 * test/fixtures/rules/<CODE>/: every fail-* fixture must raise CODE, and its diagnostics, rendered
 * as the CLI prints them, must equal fail-*.expected (UPDATE_GOLDEN=1 rewrites them); every
 * pass-* fixture must raise neither CODE nor any error. A .yaml fixture is a plan (migc check);
 * a .sql fixture is linted (migc lint) after test/fixtures/rules/schema.sql, whose tables it
 * finds existing, as a later migration would; its first line `-- migc lint --postgres N` (or N.M) lints it
 * for PostgreSQL N (or N.M, a minor release) (a plan cannot target 10: its scripts need 11).
 */
const fixtureRoot = `${root}test/fixtures/rules`;
const codes = readdirSync(fixtureRoot).filter((f) => /^MG\d{3}$/.test(f)).sort();

async function compileFixture(dir: string, name: string) {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[`plans/${f}`] = readFileSync(`${dir}/${f}`, 'utf8');
  if (name.endsWith('.sql')) {
    files['plans/schema.sql'] = readFileSync(`${fixtureRoot}/schema.sql`, 'utf8');
    const version = /^-- migc lint --postgres (\d+)(?:\.(\d+))?\n/.exec(files[`plans/${name}`]!);
    const config = version ? { postgres: Number(version[1]), ...(version[2] !== undefined ? { postgresMinor: Number(version[2]) } : {}) } : undefined;
    const result = await lint({ files: ['plans/schema.sql', `plans/${name}`], ...(config ? { config } : {}) }, memoryHost(files));
    return { ...result, diagnostics: result.diagnostics.filter((d) => d.file !== 'plans/schema.sql') };
  }
  return compile({ files: [`plans/${name}`] }, memoryHost(files));
}

describe.each(codes)('%s', (code) => {
  const dir = `${fixtureRoot}/${code}`;
  const fixtures = readdirSync(dir).filter((f) => /^(pass|fail)-.*\.(yaml|sql)$/.test(f)).sort();

  it.each(fixtures.filter((f) => f.startsWith('fail-')))('%s raises it', async (name) => {
    const result = await compileFixture(dir, name);
    expect(result.diagnostics.map((d) => d.code)).toContain(code);
    const rendered = renderPretty(result.diagnostics, result.sources, { color: false });
    const golden = `${dir}/${name.replace(/\.(yaml|sql)$/, '.expected')}`;
    if (updateGolden) writeFileSync(golden, rendered);
    expect(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npx vitest run and review it`).toBe(true);
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(fixtures.filter((f) => f.startsWith('pass-')))('%s does not', async (name) => {
    const result = await compileFixture(dir, name);
    expect(result.diagnostics.filter((d) => d.code === code || d.severity === 'error')).toEqual([]);
  });
});
