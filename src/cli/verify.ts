import type { CompileResult } from '../compile.js';
import { compatRehearsalView } from '../emit/report/compat-view.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { inertInActions, type DiagnosticFormat } from '../diagnostics/render.js';
import type { ChosenEngine, EngineChoice } from '../verify/choose-engine.js';
import type { Engine, ServerEngine } from '../verify/engine.js';
import { scrub, urlSecrets } from '../verify/redact.js';
import type { RehearsalResult, Status } from '../verify/rehearse.js';
import { nothingChangedSince, printDiagnostics, type Io } from './output.js';
import { quoteName } from '../sql/quote.js';

export interface VerifyOptions {
  readonly format: DiagnosticFormat;
  /** --changed-since REF: when it left no plan, the closing line says so. */
  readonly changedSince?: string;
  readonly verbose: boolean;
  readonly databaseUrl?: string;
  /** Without --database-url: a local cluster of the plan's major, PGlite, or the first when it can be had (default). */
  readonly engine?: EngineChoice;
  /** Where to look for PostgreSQL installations (MIGC_PG_BINDIR); the process's by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds to wait for the server to answer a connection. */
  readonly connectTimeout?: number;
  /** Drop databases and roles left behind by earlier runs that ended (killed, crashed). */
  readonly cleanLeftovers?: boolean;
  readonly report?: boolean;
  readonly out: string;
  readonly allowOutside?: boolean;
  readonly lockTimeout?: string;
  /** false: skip the crash points (a failure injected after every statement). */
  readonly crashPoints?: boolean;
}

const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * migc verify: compile the plans (the scripts exactly as build writes them), rehearse each
 * error-free plan with SQL on a throwaway database, and report per phase and per step. The
 * database URL's password never reaches the output: everything printed goes through scrub().
 */
export async function verify(compiled: CompileResult, options: VerifyOptions, io: Io): Promise<number> {
  const secrets = options.databaseUrl ? urlSecrets(options.databaseUrl) : [];
  const safeIo: Io = { ...io, stdout: (t) => io.stdout(scrub(t, secrets)), stderr: (t) => io.stderr(scrub(t, secrets)) };
  try {
    return await verifyPlans(compiled, options, safeIo, secrets);
  } catch (e) {
    const { reportFailure } = await import('./format.js');
    return reportFailure(e, ['--format', options.format], safeIo);
  }
}

async function verifyPlans(compiled: CompileResult, options: VerifyOptions, io: Io, secrets: readonly string[]): Promise<number> {
  const { rehearsePlan, noSqlToRehearse } = await import('../verify/rehearse.js');
  const { serverEngine } = await import('../verify/engine.js');
  const { startEngines, majorMismatch } = await import('../verify/choose-engine.js');
  const { phaseHasSql } = await import('../emit/sql/blocks.js');
  const { planOutsideDatabase } = await import('../analyze/sql-rules/outside-database.js');
  const { printFailure, usageProblem } = await import('./format.js');
  if ((options.cleanLeftovers || options.connectTimeout !== undefined) && !options.databaseUrl) {
    await printFailure([usageProblem('--clean-leftovers and --connect-timeout apply to a server: give --database-url too')], new Map(), options.format, io);
    return 2;
  }
  const choice = options.engine ?? 'auto';
  if (options.databaseUrl && choice !== 'auto') {
    await printFailure([usageProblem(`--engine ${choice} and --database-url both say where to rehearse: give one of them`)], new Map(), options.format, io);
    return 2;
  }

  // A plan whose SQL reaches outside the database is not rehearsed, whatever allows it.
  const refused = new Map<string, Diagnostic[]>();
  for (const p of compiled.plans) {
    if (!p.ok || !p.plan) continue;
    const found = planOutsideDatabase(p.plan);
    if (!found.length) continue;
    refused.set(p.file, found.map((f) => ({
      code: 'MG065', severity: 'error', file: p.file, span: f.span,
      message: `not rehearsed: a statement in ${f.where} reaches outside the database: ${f.reasons.join('; ')}`,
      help: 'Remove the statement from the plan (see MG220); migc verify never runs such SQL, even when MG220 is allowed or turned off.',
    })));
  }
  const rehearsable = compiled.plans.filter((p) => p.ok && p.plan && !refused.has(p.file));
  const needsEngine = rehearsable.some((p) => p.plan!.phases.some(phaseHasSql)) || (options.cleanLeftovers === true && options.databaseUrl !== undefined);
  /** The engines started, each once: a server, or one per target major (a local cluster, PGlite). */
  const started: Engine[] = [];
  let engines: ReadonlyMap<number, ChosenEngine> = new Map();
  let server: ServerEngine | undefined;
  let leftovers: Record<string, unknown> | null = null;

  // SIGINT and SIGTERM drop the rehearsal database and role, and stop a local cluster and
  // remove its folder, before exiting (130, 143). The handlers are in place before the first
  // database or cluster is created; a signal that arrives while an engine starts is acted on
  // once it has (its probe database is dropped by then).
  let stopping: keyof typeof signalExitCodes | undefined;
  const abortAll = async () => (await Promise.all(started.map((e) => e.abort().catch((err: Error) => [`clean-up failed: ${err.message}`])))).flat();
  const stop = (signal: keyof typeof signalExitCodes) => {
    void abortAll().then((done) => {
      io.stderr(`migc: ${signal}: stopped${done.length ? `; ${done.join('; ')}` : ''}\n`);
      process.exit(signalExitCodes[signal]);
    });
  };
  const onSignal = (signal: keyof typeof signalExitCodes) => {
    if (stopping) process.exit(signalExitCodes[signal]); // a second signal: stop waiting
    stopping = signal;
    if (started.length) stop(signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  if (needsEngine && (options.databaseUrl || choice !== 'pglite')) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  }
  const unhook = () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };

  if (needsEngine && options.databaseUrl) {
    const outcome = await serverEngine({ databaseUrl: options.databaseUrl, ...(options.connectTimeout !== undefined ? { connectTimeoutMs: options.connectTimeout * 1000 } : {}) });
    if (!outcome.ok) {
      unhook();
      await printFailure([{ code: 'MG094', severity: 'error', file: '', message: outcome.problem }], new Map(), options.format, io);
      return stopping ? signalExitCodes[stopping] : 2;
    }
    server = outcome.engine;
    started.push(server);
    if (stopping) {
      stop(stopping);
      return new Promise(() => {}); // stop() exits
    }
    if (server.confinement.kind === 'own role') {
      io.stderr(`migc: note: role "${server.confinement.role}" cannot create roles (no CREATEROLE), so plan SQL runs as that role itself, in databases migc creates; give it CREATEROLE to rehearse as a restricted role\n`);
    }
    leftovers = await handleLeftovers(server, options, io);
  } else if (needsEngine) {
    const majors = rehearsable.filter((p) => p.plan!.phases.some(phaseHasSql)).map((p) => targetMajor(p));
    try {
      const outcome = await startEngines({ majors, choice, ...(options.env ? { env: options.env } : {}), started: (e) => started.push(e), note: (t) => io.stderr(`migc: warning: ${t}\n`) });
      if (stopping) {
        stop(stopping);
        return new Promise(() => {}); // stop() exits
      }
      if (!outcome.ok) {
        await Promise.all(started.map((e) => e.dispose()));
        unhook();
        await printFailure([{ code: 'MG094', severity: 'error', file: '', message: outcome.problem }], new Map(), options.format, io);
        return 2;
      }
      engines = outcome.engines;
    } catch (e) {
      await Promise.all(started.map((x) => x.dispose()));
      unhook();
      await printFailure([{ code: 'MG094', severity: 'error', file: '', message: `cannot start the rehearsal engine: ${(e as Error).message}` }], new Map(), options.format, io);
      return 2;
    }
  }
  const engineFor = (p: CompileResult['plans'][number]): ChosenEngine | undefined => server ? { engine: server, asked: 'database-url' } : engines.get(targetMajor(p));

  const rehearsals: RehearsalResult[] = [];
  try {
    for (const p of compiled.plans) {
      if (!p.ok || !p.plan) continue;
      const refusal = refused.get(p.file);
      if (refusal) {
        rehearsals.push({ file: p.file, planId: p.plan.id, engine: engineFor(p)?.engine.label ?? 'none', ok: false, skipped: 'refused: its SQL reaches outside the database (MG065)', phases: [], steps: [], diagnostics: refusal });
        continue;
      }
      const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
      const chosen = engineFor(p);
      if (!chosen || !p.plan.phases.some(phaseHasSql)) {
        rehearsals.push({ file: p.file, planId: p.plan.id, engine: 'none', ok: true, skipped: noSqlToRehearse, phases: [], steps: [], diagnostics: [] });
        continue;
      }
      const result = await rehearsePlan(p.plan, scripts, chosen.engine, { crashPoints: options.crashPoints !== false, ...(p.analysis ? { analysis: p.analysis } : {}) });
      const mismatch = majorMismatch(p.plan, targetMajor(p), chosen);
      rehearsals.push(mismatch ? { ...result, diagnostics: [...result.diagnostics, mismatch], engineWarning: mismatch.message } : result);
    }
  } finally {
    if (!stopping) {
      await Promise.all(started.map((e) => e.dispose()));
      unhook();
    }
  }
  if (stopping) return new Promise(() => {}); // stop() exits once it has cleaned up

  // Server errors may quote anything; the report and the output must not carry the password.
  const clean = (d: Diagnostic): Diagnostic => ({ ...d, message: scrub(d.message, secrets), ...(d.help ? { help: scrub(d.help, secrets) } : {}) });
  const { withRuleSettings } = await import('./verify-settings.js');
  // Each plan's rule severities, as resolved once for it (the config's rules).
  const rulesOf = new Map(compiled.plans.map((p) => [p.file, p.settings?.rules]));
  const cleaned = rehearsals.map((r) => withRuleSettings({ ...r, diagnostics: r.diagnostics.map(clean) }, rulesOf.get(r.file)));
  const diagnostics: Diagnostic[] = [...compiled.diagnostics, ...cleaned.flatMap((r) => r.diagnostics)].sort(compareDiagnostics);
  const failed = compiled.plans.filter((p) => !p.ok).length + cleaned.filter((r) => !r.ok).length;
  const writeFailed = options.report ? await writeReports(compiled, cleaned, options, io) : false;
  if (writeFailed && options.format !== 'pretty') diagnostics.push({ code: 'MG092', severity: 'error', file: '', message: '--report: some plans\' outputs could not be written (see stderr)' });

  // The tables are the rehearsal's evidence: a CI log shows them too (github, Actions' default).
  const tables = cleaned.map((r) => prettyRehearsal(r, options.crashPoints !== false)).join('');
  if (options.format === 'pretty') io.stdout(tables);
  else if (options.format === 'github' && tables) io.stdout(inertInActions(tables));
  const labels = started.map((e) => e.label);
  const on = labels.length ? ` on ${labels.join(' and ')}` : '';
  // Each plan is one of: passed (rehearsed, and it passed), failed (not built, refused, or its
  // rehearsal failed), with no SQL to rehearse, or not rehearsed for a failure a setting lowered.
  const nothingToRehearse = cleaned.filter((r) => r.ok && r.skipped === noSqlToRehearse).length;
  const notRehearsed = cleaned.filter((r) => r.ok && r.skipped !== undefined).length - nothingToRehearse;
  const passed = cleaned.filter((r) => r.ok && r.skipped === undefined).length;
  const rehearsed = cleaned.filter((r) => r.skipped === undefined && r.phases.length > 0).length;
  const apart = [...(nothingToRehearse ? [`${nothingToRehearse} with no SQL to rehearse`] : []), ...(notRehearsed ? [`${notRehearsed} not rehearsed`] : [])];
  const nothing = options.changedSince !== undefined ? nothingChangedSince(options.changedSince, 'verified', compiled.plans.length) : undefined;
  await printDiagnostics(diagnostics, compiled.sources, options, io, nothing ?? `verified ${compiled.plans.length} plan${compiled.plans.length === 1 ? '' : 's'}${on}: ${[`${passed} passed`, `${failed} failed`, ...apart].join(', ')}`, {
    engine: labels.length ? labels.join(', ') : null, rehearsals: cleaned.map(jsonRehearsal), leftovers, summary: { plans: compiled.plans.length, rehearsed, passed, failed, nothingToRehearse, notRehearsed },
  });
  return writeFailed ? 2 : failed > 0 ? 1 : 0;
}

/**
 * Databases and roles that earlier runs left behind (killed with -9, crashed): reported, and
 * with --clean-leftovers dropped. Only names migc gives, carrying its marker, from runs whose
 * session has ended, are ever dropped.
 */
async function handleLeftovers(server: ServerEngine, options: VerifyOptions, io: Io): Promise<Record<string, unknown>> {
  const found = await server.leftovers();
  const names = [...found.databases.map((n) => `database ${n}`), ...found.roles.map((n) => `role ${n}`)];
  const result: Record<string, unknown> = { found: names, dropped: [], failed: [], unmarked: found.unmarked };
  if (found.unmarked.length) {
    io.stderr(`migc: note: ${found.unmarked.join(', ')} ${found.unmarked.length === 1 ? 'is' : 'are'} named like migc's rehearsals but ${found.unmarked.length === 1 ? 'has' : 'have'} no migc marker (an older migc, or someone else's): not dropped; drop by hand if ${found.unmarked.length === 1 ? 'it is' : 'they are'} yours\n`);
  }
  if (!names.length) return result;
  if (!options.cleanLeftovers) {
    io.stderr(`migc: warning: earlier migc verify runs left ${names.join(', ')} on this server; run migc verify --database-url ... --clean-leftovers to drop them\n`);
    return result;
  }
  const { dropped, failed } = await server.dropLeftovers();
  if (dropped.length) io.stderr(`migc: dropped leftovers of earlier runs: ${dropped.join(', ')}\n`);
  if (failed.length) io.stderr(`migc: warning: could not drop ${failed.join('; ')}\n`);
  return { ...result, dropped, failed };
}

/** The PostgreSQL major a plan targets, as its analysis used it (settings resolved once per plan). */
function targetMajor(p: CompileResult['plans'][number]): number {
  return p.settings?.postgres.major ?? p.plan?.engine?.major ?? 0;
}

function jsonRehearsal(r: RehearsalResult) {
  return {
    file: r.file, id: r.planId, engine: r.engine, engineWarning: r.engineWarning ?? null, ok: r.ok, skipped: r.skipped ?? null,
    phases: r.phases.map((p) => ({ number: p.number, name: p.name, up: p.up.status, down: p.down.status, again: p.again.status, note: p.down.note ?? null, upMs: Math.round(p.up.ms), downMs: Math.round(p.down.ms) })),
    steps: r.steps.map((s) => ({ ...s, upMs: Math.round(s.upMs) })),
    ...(r.compat ? { compat: compatRehearsalView(r.compat) } : {}),
    crashPoints: r.crash ? { tried: r.crash.tried, passed: r.crash.passed, ms: Math.round(r.crash.ms), failed: r.crash.failed } : null,
  };
}

/** The locks a step was seen to take, and, for statements whose locks could not be read, why. */
function observedLocks(s: RehearsalResult['steps'][number], name: (mode: string, relation: string) => string): string {
  // A step seen to lock no table says so, and what it locked instead (a type: ALTER TYPE ... ADD VALUE).
  const types = s.typeLocks.map((l) => name(l.mode, `type ${quoteName(l.relation)}`)).join(', ');
  const seen = s.locks.map((l) => name(l.mode, quoteName(l.relation))).join(', ') || (s.seenInTransaction ? `no table lock${types ? ` (${types})` : ''}` : '');
  if (!s.unobserved || s.up !== 'ok') return seen;
  return `${seen ? `${seen}; ` : ''}not observed: ${s.unobserved}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

const statusText: Record<Status, string> = { ok: 'ok', failed: 'FAILED', irreversible: 'irreversible', 'not run': '-' };

function prettyRehearsal(r: RehearsalResult, crashPoints: boolean): string {
  const head = `${r.file}: ${r.planId}${r.skipped ? `: ${r.skipped}` : `: ${r.ok ? 'passed' : 'FAILED'} on ${r.engine}${r.engineWarning ? ', NOT the plan\'s PostgreSQL major (MG080)' : ''}`}\n`;
  if (r.skipped || !r.phases.length) return `${head}\n`;
  const notes: string[] = [];
  const lines = [`  ${pad('phase', 22)}${pad('up', 8)}${pad('down', 18)}again`];
  for (const p of r.phases) {
    let down = statusText[p.down.status];
    if (p.down.note) {
      notes.push(p.down.note);
      down += ` (${notes.length})`;
    }
    lines.push(`  ${pad(`${p.number} ${p.name}`, 22)}${pad(statusText[p.up.status], 8)}${pad(down, 18)}${statusText[p.again.status]}`);
  }
  notes.forEach((n, i) => lines.push(`    (${i + 1}) ${n}`));
  lines.push('', `  ${pad('step', 28)}${pad('up', 8)}${pad('down', 14)}${pad('time', 8)}${pad('prediction', 12)}locks taken (inside its transaction), rewrites`);
  for (const s of r.steps) {
    const locks = observedLocks(s, (mode, relation) => `${mode} ${relation}`);
    const rewrites = s.rewritten.length ? `; rewrote ${s.rewritten.map(quoteName).join(', ')}` : '';
    const prediction = s.prediction === 'agrees' ? 'agrees' : s.prediction === 'differs' ? 'DIFFERS' : '-';
    lines.push(`  ${pad(s.step, 28)}${pad(statusText[s.up], 8)}${pad(statusText[s.down], 14)}${pad(s.up === 'ok' ? `${Math.round(s.upMs)}ms` : '', 8)}${pad(prediction, 12)}${locks}${rewrites}`);
  }
  if (r.steps.some((s) => s.up === 'not run' || s.down === 'not run')) {
    lines.push('  (up or down -: nothing of it ran there: a step or rollback done by hand, run or manual, or one the rehearsal did not reach)');
  }
  if (r.crash) {
    lines.push('', `  crash points: ${r.crash.passed} of ${r.crash.tried} passed (a failure after each statement and inside each batch loop; down restores, up again completes), ${(r.crash.ms / 1000).toFixed(1)} s`);
    for (const f of r.crash.failed) lines.push(`    FAILED phase ${f.phase}, ${f.where}: ${f.problem}`);
  } else if (crashPoints && !r.ok) {
    lines.push('', '  crash points: not tried, as the rehearsal above failed: fix what it found and run migc verify again');
  }
  if (r.compat) {
    const c = compatRehearsalView(r.compat);
    const outcome = c.failed.length ? `${c.failed.length} FAILED` : c.stopped ? 'all that ran passed' : 'all ran';
    lines.push('', `  app versions: ${c.queries} runs of the live versions' queries at ${c.states} schema states (${c.hows || 'none run'}), ${c.ms} ms: ${outcome}`);
    for (const f of c.failed) lines.push(`    FAILED ${f.version} ${f.query} ${f.state}: ${f.error}`);
    if (c.stopped) lines.push(`    stopped early: ${c.stopped}`);
  }
  return `${head}${lines.join('\n')}\n\n`;
}

/** Writes each rehearsed plan's artefacts again, with a Rehearsal section in report.md. True when some could not be written. */
async function writeReports(compiled: CompileResult, rehearsals: readonly RehearsalResult[], options: VerifyOptions, io: Io): Promise<boolean> {
  const { emitPlan } = await import('../emit/index.js');
  const { outputRoot, writePlans } = await import('./write-outputs.js');
  // The templates the build compiled: broken ones mean no plan was built, so none is rehearsed.
  const compiledTemplates = compiled.templates;
  if (!compiledTemplates) return false;
  const plans = rehearsals.map((r) => {
    const p = compiled.plans.find((x) => x.file === r.file)!;
    const src = compiled.sources.get(p.file)!;
    const findings = p.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, ...src.position(d.span?.start ?? 0) }));
    const { outputs, diagnostics } = emitPlan({ plan: p.plan!, templates: compiledTemplates, findings, analysis: p.analysis!, settings: p.settings!, rehearsal: rehearsalView(r) });
    // A script that fails its check is never written: the build reports it; a partial set is never written.
    return diagnostics.length ? undefined : { id: p.plan!.id, outputs };
  }).filter((x) => x !== undefined);
  return (await writePlans(await outputRoot(options, io), plans, options, io)).failed;
}

export function rehearsalView(r: RehearsalResult) {
  return {
    engine: r.engine,
    engineWarning: r.engineWarning,
    ok: r.ok,
    skipped: r.skipped,
    phases: r.phases.map((p) => ({ ...p, up: statusText[p.up.status], down: statusText[p.down.status], again: statusText[p.again.status], note: p.down.note, upMs: Math.round(p.up.ms), downMs: Math.round(p.down.ms) })),
    ...(r.compat ? { compat: compatRehearsalView(r.compat) } : {}),
    steps: r.steps.map((s) => ({ ...s, up: statusText[s.up], down: statusText[s.down], upMs: Math.round(s.upMs), locks: s.locks.map((l) => `${l.mode} on ${quoteName(l.relation)}`).join(', '), observed: observedLocks(s, (mode, relation) => `${mode} on ${relation}`), predicted: s.predicted.join(', '), prediction: s.prediction === 'not judged' ? '' : s.prediction, rewritten: s.rewritten.map(quoteName).join(', ') })),
    crash: r.crash ? { tried: r.crash.tried, passed: r.crash.passed, failed: r.crash.failed } : undefined,
  };
}
