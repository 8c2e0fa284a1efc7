import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { pgliteEngine, serverEngine, type Engine } from '../src/verify/engine.js';
import { rehearsePlan, type RehearsalResult } from '../src/verify/rehearse.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * Crash points in migc verify, on the plan written for them (an index built CONCURRENTLY in the
 * middle of a phase, a step done by hand between two SQL steps, a batch loop of several batches,
 * an irreversible step after a reversible one) and on plans whose scripts do not recover.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;
const files = ['test/fixtures/crash/failure-points.yaml', 'test/fixtures/crash/index-not-rerunnable.yaml', 'test/fixtures/crash/check-fails-after-batches.yaml', 'test/fixtures/crash/copy-in-batches.yaml'];

let compiled: CompileResult;
beforeAll(async () => {
  compiled = await compile({ files, templates: builtinTemplates() }, nodeHost(root));
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});

async function rehearse(engine: Engine, file: string): Promise<RehearsalResult> {
  const p = compiled.plans.find((x) => x.file === file)!;
  const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
  return rehearsePlan(p.plan!, scripts, engine);
}

function suite(name: string, makeEngine: () => Promise<Engine>) {
  describe(name, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await makeEngine();
    });
    afterAll(async () => engine?.dispose());

    it('passes every crash point of the failure-points plan, the batch loop and the rollbacks before the irreversible step included', async () => {
      const r = await rehearse(engine, 'test/fixtures/crash/failure-points.yaml');
      expect(r.diagnostics).toEqual([]);
      expect(r.crash?.failed).toEqual([]);
      expect(r.crash?.passed).toBe(r.crash?.tried);
      // Per phase: the prelude (with the guard that earlier phases finished), each committed part,
      // the manual stop, the batch loop (once inside, once after), and the last part, before the
      // phase is recorded as done (3 phases).
      expect(r.crash?.tried).toBe(17);
      // validate-lower's rollback comes before the irreversible drop-name: the full rehearsal never reaches it.
      expect(r.steps.find((s) => s.step === 'validate-lower')?.down).toBe('ok');
    }, 600_000);

    it('passes the crash points of a copy in batches, the one inside its loop included', async () => {
      const r = await rehearse(engine, 'test/fixtures/crash/copy-in-batches.yaml');
      expect(r.diagnostics).toEqual([]);
      expect(r.crash?.failed).toEqual([]);
      // expand: its set-up and create-copy; backfill: its set-up, inside the loop after its first
      // batch (350 users, batches of 100), after the loop, after its checks.
      expect(r.crash?.tried).toBe(6);
      expect(r.crash?.passed).toBe(6);
    }, 600_000);

    it('undoes a batched step whose check failed after its batches committed: the down script restores the rows', async () => {
      const r = await rehearse(engine, 'test/fixtures/crash/check-fails-after-batches.yaml');
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        'MG060 phase "backfill" failed while running it: step "fill-email-lower": migc: verification 1 of step "fill-email-lower" failed: expected = 0, got 1',
      ]);
      expect(r.phases[0]!.up.status).toBe('failed');
      // Schema and every column's data as before the phase, or MG061/MG062 would be reported.
      expect(r.phases[0]!.down.status).toBe('ok');
    });

    it('finds a CONCURRENTLY build that cannot run twice: running the up script again after a later failure stops at it', async () => {
      const r = await rehearse(engine, 'test/fixtures/crash/index-not-rerunnable.yaml');
      expect(r.ok).toBe(false);
      expect(r.crash!.passed).toBeLessThan(r.crash!.tried);
      const found = r.diagnostics.filter((d) => d.code === 'MG066').map((d) => d.message);
      expect(found.length).toBeGreaterThan(0);
      // One finding per problem, naming every point it showed at.
      expect(found).toHaveLength(new Set(r.crash!.failed.map((f) => f.problem)).size);
      expect(found[0]).toMatch(/^phase "expand" does not recover from a failure after statements? (\d+, )*(\d+ and )?\d+ \(step index-email\)(; after statements? (\d+, )*(\d+ and )?\d+ \(step add-note\))?: running the up script again failed: relation "users_email_idx" already exists$/);
    }, 600_000);
  });
}

suite('on PGlite', pgliteEngine);

describe.skipIf(!serverUrl)('on a real PostgreSQL server (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
  suite('crash points', async () => {
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    return outcome.engine;
  });
});
