import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { renderJson, renderPretty } from '../src/diagnostics/render.js';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { parseSql } from '../src/sql/parser.js';
import { psqlStatements } from '../src/sql/psql.js';
// Plain JavaScript, shared with the long run in scripts/fuzz.mjs.
import { checkCase } from '../scripts/fuzz/check-case.mjs';
import { mutate, planMutations, sqlMutations } from '../scripts/fuzz/mutate.mjs';
import { builtinTemplates, root } from './helpers.js';

/**
 * A short seeded run of the mutation fuzzer (the long one: node scripts/fuzz.mjs --count 5000).
 * Every mutated plan and SQL file must give exit 0 or 1 with located diagnostics: never an
 * exception (the CLI's "internal error"), never a flood of output, never a hang.
 */
/** With the parser and psql's splitter, every script built from a plan that compiles is checked too. */
const lib = { compile, lint, memoryHost, renderPretty, renderJson, parseSql, psqlStatements };
const plans = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort();
const planSide = Object.fromEntries(readdirSync(`${root}plans`).filter((f) => f.endsWith('.sql')).map((f) => [`plans/${f}`, readFileSync(`${root}plans/${f}`, 'utf8')]));
const sqlFixtures = (readdirSync(`${root}test/fixtures`, { recursive: true }) as string[]).filter((f) => f.endsWith('.sql')).sort();
const templates = builtinTemplates();

/** Per case, well above the slowest seen (a 1 MB string through every stage), far below a hang. */
const caseLimitMs = 8_000;
const seeds = Array.from({ length: 60 }, (_, i) => 1000 + i);

interface Outcome { exit: number; codes: string[]; problems: string[]; scripts: string[]; ms: number }

describe('mutation fuzzing (seeded)', () => {
  it('plans: every mutated example plan gives exit 0 or 1 with located diagnostics', async () => {
    const failures: string[] = [];
    const exits = new Map<number, number>();
    for (const seed of seeds) {
      const name = plans[seed % plans.length]!;
      const { text, mutations } = mutate(readFileSync(`${root}plans/${name}`, 'utf8'), planMutations, seed) as { text: string; mutations: string[] };
      const outcome = await checkCase(lib, { kind: 'plan', file: `plans/${name}`, text, files: planSide, templates }) as Outcome;
      exits.set(outcome.exit, (exits.get(outcome.exit) ?? 0) + 1);
      if (outcome.ms > caseLimitMs) outcome.problems.push(`took ${Math.round(outcome.ms)} ms`);
      // A script built from a mutated plan must still be only SQL, read alike by the parser and psql.
      const problems = [...outcome.problems, ...outcome.scripts];
      if (problems.length) failures.push(`seed ${seed} ${name} [${mutations.join(', ')}]: ${problems.join('; ')}`);
    }
    expect(failures).toEqual([]);
    expect([...exits.keys()].every((e) => e === 0 || e === 1)).toBe(true);
    // The mutations must reach past the loader: some cases still compile cleanly.
    expect(exits.get(1)).toBeGreaterThan(0);
  }, 120_000);

  it('SQL files: every mutated fixture lints with exit 0 or 1 and located diagnostics', async () => {
    const failures: string[] = [];
    for (const seed of seeds) {
      const name = sqlFixtures[seed % sqlFixtures.length]!;
      const { text, mutations } = mutate(readFileSync(`${root}test/fixtures/${name}`, 'utf8'), sqlMutations, seed) as { text: string; mutations: string[] };
      const outcome = await checkCase(lib, { kind: 'sql', file: `m/${name}`, text, fileTransaction: seed % 2 === 0 }) as Outcome;
      if (outcome.ms > caseLimitMs) outcome.problems.push(`took ${Math.round(outcome.ms)} ms`);
      if (outcome.problems.length) failures.push(`seed ${seed} ${name} [${mutations.join(', ')}]: ${outcome.problems.join('; ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('the mutations are deterministic: a seed gives the same case', () => {
    const text = readFileSync(`${root}plans/${plans[0]}`, 'utf8');
    expect(mutate(text, planMutations, 42)).toEqual(mutate(text, planMutations, 42));
    expect(mutate(text, planMutations, 42)).not.toEqual(mutate(text, planMutations, 43));
  });
});
