import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planRules } from '../src/analyze/rules/index.js';
import { statementRules } from '../src/analyze/sql-rules/index.js';
import { commandCodes, inputCodes } from '../src/diagnostics/codes.js';
import { root } from './helpers.js';

/** Keeps codes, docs, fixtures and the schema from drifting apart. */
const all = [...inputCodes, ...commandCodes, ...planRules, ...statementRules].map((c) => ({ code: c.code, name: c.name, summary: c.summary })).sort((a, b) => (a.code < b.code ? -1 : 1));
/** Codes whose cases need more than one plan file, a broken template (cli.test.ts), a database (verify.test.ts, crash.test.ts, compat.test.ts), a file too large to keep (limits.test.ts), a config, an output folder, git or a browser (ci.test.ts, svg.test.ts). */
const testedElsewhere = new Set(['MG000', 'MG004', 'MG024', 'MG025', 'MG026', 'MG040', 'MG050', 'MG051', 'MG052', 'MG053', 'MG054', 'MG055', 'MG060', 'MG061', 'MG062', 'MG063', 'MG064', 'MG065', 'MG066', 'MG080', 'MG090', 'MG091', 'MG092', 'MG093', 'MG094', 'MG126', 'MG127']);

describe('diagnostic codes', () => {
  it('are unique', () => {
    const codes = all.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('include every code the source reports', () => {
    const reported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(`${dir}/${e.name}`);
        else if (e.name.endsWith('.ts')) for (const m of readFileSync(`${dir}/${e.name}`, 'utf8').matchAll(/code: '(MG\d{3})'/g)) reported.add(m[1]!);
      }
    };
    walk(`${root}src`);
    expect([...reported].filter((c) => !all.some((a) => a.code === c))).toEqual([]);
  });

  it.each(all)('$code has a docs page titled with its code and name, and its summary', ({ code, name, summary }) => {
    const page = `${root}docs/rules/${code}.md`;
    expect(existsSync(page)).toBe(true);
    const lines = readFileSync(page, 'utf8').split('\n');
    expect(lines[0]).toBe(`# ${code} ${name}`);
    expect(lines[2]).toBe(summary);
  });

  it('are all in the README\'s rule tables, with their names and summaries', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const missing = all.filter(({ code, name, summary }) => !readme.includes(`| [${code}](docs/rules/${code}.md) | ${name} |`) || !readme.includes(summary));
    expect(missing.map((c) => c.code)).toEqual([]);
  });

  it('has no docs page for a code that does not exist', () => {
    const pages = readdirSync(`${root}docs/rules`).map((f) => f.replace(/\.md$/, ''));
    expect(pages.filter((p) => !all.some((c) => c.code === p))).toEqual([]);
  });

  it.each(all.filter((c) => !testedElsewhere.has(c.code)))('$code has fixtures that raise it', ({ code }) => {
    const dir = `${root}test/fixtures/rules/${code}`;
    const files = existsSync(dir) ? readdirSync(dir) : [];
    expect(files.some((f) => f.startsWith('fail-'))).toBe(true);
  });

  it.each(planRules.map((r) => ({ code: r.code, name: r.name })))('rule $code has a passing fixture and lives in src/analyze/rules/$name.ts', ({ code, name }) => {
    expect(readdirSync(`${root}test/fixtures/rules/${code}`).some((f) => f.startsWith('pass-'))).toBe(true);
    expect(existsSync(`${root}src/analyze/rules/${name}.ts`)).toBe(true);
  });

  it.each(statementRules.map((r) => ({ code: r.code, name: r.name })))('hazard $code has a passing fixture and is defined in src/analyze/sql-rules/', ({ code, name }) => {
    expect(readdirSync(`${root}test/fixtures/rules/${code}`).some((f) => f.startsWith('pass-'))).toBe(true);
    const files = readdirSync(`${root}src/analyze/sql-rules`).map((f) => readFileSync(`${root}src/analyze/sql-rules/${f}`, 'utf8'));
    expect(files.some((t) => t.includes(`code: '${code}'`) && t.includes(`name: '${name}'`))).toBe(true);
  });

  it('keeps the statement rules sorted by code', () => {
    const codes = statementRules.map((r) => r.code);
    expect(codes).toEqual([...codes].sort());
  });
});

describe('the plan schema', () => {
  it('describes every property, for hover help in editors', () => {
    const schema = JSON.parse(readFileSync(`${root}schema/plan.schema.json`, 'utf8'));
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      for (const [key, value] of Object.entries((node.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (typeof value.description !== 'string') undescribed.push(`${path}.${key}`);
        walk(value, `${path}.${key}`);
      }
      for (const sub of ['items', 'additionalProperties'] as const) if (typeof node[sub] === 'object') walk(node[sub] as Record<string, unknown>, `${path}[]`);
    };
    walk(schema, '');
    for (const [name, def] of Object.entries(schema.$defs as Record<string, Record<string, unknown>>)) walk(def, `$defs.${name}`);
    expect(undescribed).toEqual([]);
    expect(schema.$id).toMatch(/^https:\/\//);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('matches the precompiled validator (run npm run gen:validator after editing it)', async () => {
    const { generateValidator } = await import('../scripts/gen-validator.mjs');
    expect(readFileSync(`${root}src/validate/generated/plan-validator.js`, 'utf8')).toBe(generateValidator());
  });
});

describe('the config keys messages name', () => {
  // The twenty-second trial's N3: a note told users to write "searchPath", which the config refuses (MG011).
  it('every "key" a message of src/ says to write in migc.config.json is a property of schema/config.schema.json', () => {
    const properties = Object.keys((JSON.parse(readFileSync(`${root}/schema/config.schema.json`, 'utf8')) as { properties: Record<string, unknown> }).properties);
    const named = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(`${dir}/${entry.name}`);
        else if (entry.name.endsWith('.ts')) for (const m of readFileSync(`${dir}/${entry.name}`, 'utf8').matchAll(/"([A-Za-z_]+)"(?::[^"`]*?)? in migc\.config\.json/g)) named.add(m[1]!);
      }
    };
    walk(`${root}/src`);
    // "off" is a value ("MG219": "off" in migc.config.json), the others keys.
    named.delete('off');
    expect(named.size).toBeGreaterThan(2);
    expect([...named].filter((k) => !properties.includes(k))).toEqual([]);
  });
});
