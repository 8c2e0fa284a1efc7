import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { pgliteEngine, type Engine } from '../src/verify/engine.js';
import { rehearsePlan } from '../src/verify/rehearse.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * MG129 (a rollback that leaves its step's change, found from the plan) against migc verify's
 * MG061 (found by rolling back on PostgreSQL): where the plan shows it, the rule finds what verify
 * finds, and nothing where verify finds nothing.
 */
const examples = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
const verifyFixtures = readdirSync(`${root}test/fixtures/verify`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `test/fixtures/verify/${f}`);
const ruleDir = 'test/fixtures/rules/MG129';
/** The rule's fixtures that PostgreSQL can run (the others name tables no baseline creates). */
const rehearsable = [`${ruleDir}/fail-changes-not-reversed.yaml`, `${ruleDir}/fail-rollback-forgets.yaml`, `${ruleDir}/fail-validate-in-later-phase.yaml`, `${ruleDir}/pass-rollbacks-undo.yaml`];

let compiled: CompileResult;
let engine: Engine | undefined;
beforeAll(async () => {
  compiled = await compile({ files: [...examples, ...verifyFixtures], templates: builtinTemplates() }, nodeHost(root));
});
afterAll(async () => engine?.dispose());

/** The phases MG129 reports a step of, by the step's id in its message. */
function flaggedPhases(file: string, from = compiled): string[] {
  const p = from.plans.find((x) => x.file === file)!;
  const steps = from.diagnostics.filter((d) => d.file === file && d.code === 'MG129').map((d) => /step "([^"]+)"/.exec(d.message)![1]!);
  return [...new Set(p.plan!.phases.filter((ph) => ph.steps.some((s) => steps.includes(s.id))).map((ph) => ph.name))].sort();
}

describe('MG129 and what verify finds (MG061)', () => {
  it('gives no finding on the example plans (which verify rehearses green)', () => {
    for (const file of examples) expect(flaggedPhases(file), file).toEqual([]);
  });

  it('flags the verify fixtures whose MG061 the plan shows, at the phase verify blames', () => {
    const flagged = Object.fromEntries(verifyFixtures.map((f) => [f.replace(/^.*\//, ''), flaggedPhases(f)]));
    expect(flagged).toEqual({
      'contract-rollback-leftovers.yaml': ['contract'],
      'not-null-with-nulls.yaml': [],
      'plan-verification-fails.yaml': [],
      'rollback-forgets-index.yaml': ['expand'],
      // Its rollback is manual ("Nothing to undo."): what an operator does is not in the plan.
      'rollback-leaves-validated.yaml': [],
      'rollback-loses-data.yaml': [],
      'verification-fails.yaml': [],
    });
  });

  it.each(rehearsable)('%s: verify on PGlite fails the phases MG129 flags with MG061, and no other', async (file) => {
    // One at a time: the rule's fixtures share their plan id.
    const own = await compile({ files: [file], templates: builtinTemplates() }, nodeHost(root));
    const p = own.plans[0]!;
    const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
    engine ??= await pgliteEngine();
    const result = await rehearsePlan(p.plan!, scripts, engine, { crashPoints: false, analysis: p.analysis! });
    const failed = result.diagnostics.filter((d) => d.code === 'MG061').map((d) => /phase "([^"]+)"/.exec(d.message)![1]!).sort();
    expect(failed).toEqual(flaggedPhases(file, own));
    expect(failed.length > 0).toBe(file.includes('/fail-'));
    if (file.includes('/pass-')) expect(result.ok).toBe(true);
  }, 120_000);
});
