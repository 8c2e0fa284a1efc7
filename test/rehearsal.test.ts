import { readFileSync, readdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import type { Plan } from '../src/normalize/model.js';
import { runScript, type SqlSession } from '../src/verify/run-script.js';
import { diffSnapshots, schemaSnapshot, type SchemaSnapshot } from '../src/verify/snapshot.js';
import { builtinTemplates, root } from './helpers.js';

/**
 * Every example plan, on a real PostgreSQL engine (PGlite): load its baseline and seed rows,
 * run each phase's up script exactly as `migc build` writes it (verifications included, as
 * assertions), then each down script in reverse; after each down script the schema must equal
 * the schema before that phase. Then up again: a rollback leaves the database ready to re-run.
 */
const planFiles = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
const built = await compile({ files: planFiles, templates: builtinTemplates() }, nodeHost(root));

function outputsOf(file: string) {
  const result = built.plans.find((p) => p.file === file)!;
  expect(result.ok, `${file} must build cleanly`).toBe(true);
  const script = (name: string) => result.outputs.find((o) => o.path === `${result.plan!.id}/${name}`)?.contents;
  return { plan: result.plan!, script };
}

async function freshDatabase(plan: Plan): Promise<PGlite> {
  const db = await PGlite.create();
  const baseline = await runScript(db as unknown as SqlSession, plan.baseline!.sql);
  expect(baseline).toMatchObject({ ok: true });
  const seedFile = `${root}test/fixtures/seeds/${plan.baseline!.file}`;
  const seed = await runScript(db as unknown as SqlSession, readFileSync(seedFile, 'utf8'));
  expect(seed).toMatchObject({ ok: true });
  return db;
}

function phaseScripts(plan: Plan, script: (name: string) => string | undefined) {
  return plan.phases.map((phase) => {
    const n = String(phase.number).padStart(2, '0');
    return { phase, up: script(`${n}-${phase.name}.up.sql`), down: script(`${n}-${phase.name}.down.sql`) };
  });
}

function expectSameSchema(actual: SchemaSnapshot, expected: SchemaSnapshot, when: string) {
  const diff = diffSnapshots(expected, actual);
  expect(diff, `schema differs ${when}`).toEqual({ missing: [], extra: [] });
}

describe.each(planFiles)('%s', (file) => {
  const { plan, script } = outputsOf(file);
  const phases = phaseScripts(plan, script);
  const hasSql = phases.some((p) => p.up !== undefined);
  // Phases from the first one with an irreversible step on cannot be rehearsed backwards.
  const firstIrreversible = plan.phases.findIndex((p) => p.steps.some((s) => s.rollback?.kind === 'irreversible'));
  const reversible = firstIrreversible < 0 ? phases : phases.slice(0, firstIrreversible);

  if (hasSql) it('runs up and back down to its baseline, phase by phase, then up again', async () => {
    const db = await freshDatabase(plan);
    const session = db as unknown as SqlSession;
    const before: SchemaSnapshot[] = [];
    for (const p of reversible) {
      before.push(await schemaSnapshot(session));
      const outcome = await runScript(session, p.up!);
      expect(outcome, `${p.phase.name} up`).toMatchObject({ ok: true });
    }
    for (let i = reversible.length - 1; i >= 0; i--) {
      const outcome = await runScript(session, reversible[i]!.down!);
      expect(outcome, `${reversible[i]!.phase.name} down`).toMatchObject({ ok: true });
      expectSameSchema(await schemaSnapshot(session), before[i]!, `after rolling back phase ${reversible[i]!.phase.name}`);
    }
    for (const p of reversible) expect(await runScript(session, p.up!), `${p.phase.name} up again`).toMatchObject({ ok: true });
    await db.close();
  });

  if (hasSql && firstIrreversible >= 0) it('runs every phase up, and its irreversible rollback stops with a clear error', async () => {
    const db = await freshDatabase(plan);
    const session = db as unknown as SqlSession;
    for (const p of phases) expect(await runScript(session, p.up!), `${p.phase.name} up`).toMatchObject({ ok: true });
    const outcome = await runScript(session, phases[firstIrreversible]!.down!);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.error).toMatch(/is irreversible; restore: /);
    await db.close();
  });

  if (!hasSql) it('has no SQL and so no scripts', () => {
    expect(phases.every((p) => p.up === undefined && p.down === undefined)).toBe(true);
    expect(plan.phases.flatMap((p) => p.steps).every((s) => s.action?.kind !== 'sql')).toBe(true);
  });
});
