import { resolve } from 'node:path';
import type { CompileResult } from '../compile.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { DiagnosticFormat } from '../diagnostics/render.js';
import type { TemplateSources } from '../emit/template-names.js';
import type { Engine } from '../verify/engine.js';
import type { RehearsalResult, Status } from '../verify/rehearse.js';
import { printDiagnostics, type Io } from './output.js';

export interface VerifyOptions {
  readonly format: DiagnosticFormat;
  readonly verbose: boolean;
  readonly databaseUrl?: string;
  readonly report?: boolean;
  readonly out: string;
}

/**
 * migc verify: compile the plans (the scripts exactly as build writes them), rehearse each
 * error-free plan with SQL on a throwaway database, and report per phase and per step.
 */
export async function verify(compiled: CompileResult, templates: TemplateSources, options: VerifyOptions, io: Io): Promise<number> {
  const { rehearsePlan } = await import('../verify/rehearse.js');
  const { pgliteEngine, serverEngine } = await import('../verify/engine.js');
  const { phaseHasSql } = await import('../emit/sql/blocks.js');
  const needsEngine = compiled.plans.some((p) => p.ok && p.plan?.phases.some(phaseHasSql));
  let engine: Engine | undefined;
  if (needsEngine) {
    try {
      engine = options.databaseUrl ? await serverEngine(options.databaseUrl) : await pgliteEngine();
    } catch (e) {
      io.stderr(`migc: cannot reach the database at ${redact(options.databaseUrl ?? '')}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const rehearsals: RehearsalResult[] = [];
  try {
    for (const p of compiled.plans) {
      if (!p.ok || !p.plan) continue;
      const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
      rehearsals.push(engine ? await rehearsePlan(p.plan, scripts, engine) : { file: p.file, planId: p.plan.id, engine: 'none', ok: true, skipped: 'no SQL to rehearse', phases: [], steps: [], diagnostics: [] });
    }
  } finally {
    await engine?.dispose();
  }

  const diagnostics: Diagnostic[] = [...compiled.diagnostics, ...rehearsals.flatMap((r) => r.diagnostics)].sort(compareDiagnostics);
  const failed = compiled.plans.filter((p) => !p.ok).length + rehearsals.filter((r) => !r.ok).length;
  if (options.report) await writeReports(compiled, rehearsals, templates, options, io);

  if (options.format === 'pretty') for (const r of rehearsals) io.stdout(prettyRehearsal(r));
  const on = engine ? ` on ${engine.label}` : '';
  printDiagnostics(diagnostics, compiled.sources, options, io, `verified ${compiled.plans.length} plan${compiled.plans.length === 1 ? '' : 's'}${on}: ${compiled.plans.length - failed} passed, ${failed} failed`, {
    engine: engine?.label ?? null, rehearsals: rehearsals.map(jsonRehearsal), summary: { plans: compiled.plans.length, failed },
  });
  return failed > 0 ? 1 : 0;
}

function jsonRehearsal(r: RehearsalResult) {
  return {
    file: r.file, id: r.planId, engine: r.engine, ok: r.ok, skipped: r.skipped ?? null,
    phases: r.phases.map((p) => ({ number: p.number, name: p.name, up: p.up.status, down: p.down.status, again: p.again.status, note: p.down.note ?? null, upMs: Math.round(p.up.ms), downMs: Math.round(p.down.ms) })),
    steps: r.steps.map((s) => ({ ...s, upMs: Math.round(s.upMs) })),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

const statusText: Record<Status, string> = { ok: 'ok', failed: 'FAILED', irreversible: 'irreversible', 'not run': '-' };

function prettyRehearsal(r: RehearsalResult): string {
  const head = `${r.file}: ${r.planId}${r.skipped ? `: ${r.skipped}` : `: ${r.ok ? 'passed' : 'FAILED'} on ${r.engine}`}\n`;
  if (r.skipped || !r.phases.length) return `${head}\n`;
  const notes: string[] = [];
  const lines = [`  ${pad('phase', 22)}${pad('up', 8)}${pad('down', 14)}again`];
  for (const p of r.phases) {
    let down = statusText[p.down.status];
    if (p.down.note) {
      notes.push(p.down.note);
      down += ` (${notes.length})`;
    }
    lines.push(`  ${pad(`${p.number} ${p.name}`, 22)}${pad(statusText[p.up.status], 8)}${pad(down, 14)}${statusText[p.again.status]}`);
  }
  notes.forEach((n, i) => lines.push(`    (${i + 1}) ${n}`));
  lines.push('', `  ${pad('step', 28)}${pad('up', 8)}${pad('down', 14)}${pad('time', 8)}${pad('prediction', 12)}locks taken (inside its transaction), rewrites`);
  for (const s of r.steps) {
    const locks = s.locks.map((l) => `${l.mode} ${l.relation}`).join(', ');
    const rewrites = s.rewritten.length ? `; rewrote ${s.rewritten.join(', ')}` : '';
    const prediction = s.prediction === 'not judged' ? '-' : s.prediction === 'agrees' ? 'agrees' : 'DIFFERS';
    lines.push(`  ${pad(s.step, 28)}${pad(statusText[s.up], 8)}${pad(statusText[s.down], 14)}${pad(s.up === 'ok' ? `${Math.round(s.upMs)}ms` : '', 8)}${pad(prediction, 12)}${locks}${rewrites}`);
  }
  return `${head}${lines.join('\n')}\n\n`;
}

/** Writes each rehearsed plan's artefacts again, with a Rehearsal section in report.md. */
async function writeReports(compiled: CompileResult, rehearsals: readonly RehearsalResult[], templates: TemplateSources, options: VerifyOptions, io: Io): Promise<void> {
  const { compileTemplates } = await import('../emit/templates.js');
  const { emitPlan } = await import('../emit/index.js');
  const { writePlanOutputs } = await import('../write/write.js');
  const compiledTemplates = compileTemplates(templates).templates;
  if (!compiledTemplates) return;
  for (const r of rehearsals) {
    const p = compiled.plans.find((x) => x.file === r.file)!;
    const src = compiled.sources.get(p.file)!;
    const findings = p.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, ...src.position(d.span?.start ?? 0) }));
    const outputs = emitPlan(p.plan!, compiledTemplates, findings, { rehearsal: rehearsalView(r), ...(p.analysis ? { analysis: p.analysis } : {}), ...(p.settings ? { settings: p.settings } : {}) });
    await writePlanOutputs(resolve(io.cwd, options.out), p.plan!.id, outputs);
  }
}

export function rehearsalView(r: RehearsalResult) {
  return {
    engine: r.engine,
    ok: r.ok,
    skipped: r.skipped,
    phases: r.phases.map((p) => ({ ...p, up: statusText[p.up.status], down: statusText[p.down.status], again: statusText[p.again.status], note: p.down.note, upMs: Math.round(p.up.ms), downMs: Math.round(p.down.ms) })),
    steps: r.steps.map((s) => ({ ...s, up: statusText[s.up], down: statusText[s.down], upMs: Math.round(s.upMs), locks: s.locks.map((l) => `${l.mode} on ${l.relation}`).join(', '), predicted: s.predicted.join(', '), prediction: s.prediction === 'not judged' ? '' : s.prediction, rewritten: s.rewritten.join(', ') })),
  };
}

/** A database URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(the given URL)';
  }
}
