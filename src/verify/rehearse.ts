import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { downScript, phaseHasSql, scriptFileName, upScript } from '../emit/sql/blocks.js';
import { confirmStatement, runStatements, stopKey, type LedgerKey } from '../emit/sql/ledger.js';
import { parseSql } from '../sql/parser.js';
import { stepStatements, type Phase, type Plan, type Statement, type Step } from '../normalize/model.js';
import type { StatementAnalysis } from '../analyze/sql/analyze.js';
import { predictLocks, type PredictedLock } from '../sql/locks.js';
import { analyzePlan } from '../analyze/sql/analyze.js';
import { resolvePlanSettings } from '../analyze/settings.js';
import type { Engine, RehearsalDatabase } from './engine.js';
import { fillOrder, FixtureError, generateRows } from './fixtures.js';
import { runObserved, type ObservedLock, type StatementRun } from './observe.js';
import { runScript } from './run-script.js';
import { rehearseCompatibility, type CompatRehearsal } from './compat.js';
import { changedColumns, dataSnapshot, describeSchemaDiff, diffObjectNames, diffSnapshots, schemaSnapshot, type DataSnapshot, type SchemaSnapshot } from './snapshot.js';
import { quoteName } from '../sql/quote.js';

export type Direction = 'up' | 'down' | 'again';
export type Status = 'ok' | 'failed' | 'irreversible' | 'not run';

export interface ScriptResult {
  readonly status: Status;
  readonly ms: number;
  readonly runs: readonly StatementRun[];
}

export interface PhaseResult {
  readonly number: number;
  readonly name: string;
  readonly up: ScriptResult;
  readonly down: ScriptResult & { readonly note?: string };
  readonly again: ScriptResult;
}

/** One step's outcome in each direction, with what was observed while it ran. */
export interface StepResult {
  readonly phase: string;
  readonly step: string;
  readonly up: Status;
  readonly down: Status;
  readonly upMs: number;
  /** Locks the step's statements took, read inside their transaction (not its separate checks'). */
  readonly locks: readonly ObservedLock[];
  /** Locks the step's statements took on types (an enum's ADD VALUE): no tables, shown when it locks none. */
  readonly typeLocks: readonly ObservedLock[];
  /** Whether any of the step's statements ran inside a transaction, where its locks could be read. */
  readonly seenInTransaction: boolean;
  /** The locks migc's analysis predicted for the step's statements ("mode table"), as the report's step table says. */
  readonly predicted: readonly string[];
  /**
   * Whether what was observed agrees with the prediction, for the statements it could judge;
   * "not observed" when every statement of the step ran outside a transaction (see unobserved).
   */
  readonly prediction: 'agrees' | 'differs' | 'not judged' | 'not observed';
  /** Why the locks of some of the step's statements could not be read, when they could not. */
  readonly unobserved?: string;
  readonly rewritten: readonly string[];
}

export interface RehearsalResult {
  readonly file: string;
  readonly planId: string;
  readonly engine: string;
  /** The engine runs another PostgreSQL major than the plan targets (MG080): what to say about it. */
  readonly engineWarning?: string;
  readonly ok: boolean;
  /** Why nothing was rehearsed (a plan without SQL), if so. */
  readonly skipped?: string;
  readonly phases: readonly PhaseResult[];
  readonly steps: readonly StepResult[];
  /** Crash points tried and passed (see crash.ts); undefined when not tried. */
  readonly crash?: CrashSummary;
  readonly diagnostics: readonly Diagnostic[];
  /** The app versions' queries run on each schema state, when the plan lists apps. */
  readonly compat?: CompatRehearsal;
}

export interface CrashSummary {
  readonly tried: number;
  readonly passed: number;
  readonly ms: number;
  readonly failed: readonly { readonly phase: string; readonly where: string; readonly problem: string }[];
}

export interface RehearseOptions {
  /** Stop each phase's up script after every statement and check both ways out (default true). */
  readonly crashPoints?: boolean;
  /**
   * The plan's SQL analysis (the compile's): the prediction each step is shown with is then the
   * one the report's step table gives. Without it, the rehearsal's own prediction.
   */
  readonly analysis?: ReadonlyMap<Statement, StatementAnalysis>;
}

interface Snapshot {
  readonly schema: SchemaSnapshot;
  readonly data: DataSnapshot;
}

/** Schema lines and columns a later phase's rollback answered for: earlier phases are not judged on them. */
interface SetAside {
  readonly missing: Set<string>;
  readonly extra: Set<string>;
  readonly columns: Set<string>;
}

const setAside = (): SetAside => ({ missing: new Set(), extra: new Set(), columns: new Set() });

const notRun: ScriptResult = { status: 'not run', ms: 0, runs: [] };

/** Why a plan without SQL was not rehearsed: verify counts such plans apart from those that passed. */
export const noSqlToRehearse = 'no SQL to rehearse';

async function snapshot(db: RehearsalDatabase): Promise<Snapshot> {
  return { schema: await schemaSnapshot(db), data: await dataSnapshot(db) };
}

/**
 * Rehearses a plan as a careful engineer would on a production copy: load the baseline and
 * fixtures, run each phase's up script exactly as `migc build` writes it, then each down script
 * in reverse, checking after each that the schema (and, unless the phase declares data loss,
 * the data) is as it was before that phase; then run the up scripts again. Phases from the
 * first one with an irreversible step on are rehearsed forward in a second database, and their
 * rollback must refuse as declared.
 */
export async function rehearsePlan(plan: Plan, scripts: ReadonlyMap<string, string>, engine: Engine, options: RehearseOptions = {}): Promise<RehearsalResult> {
  const diagnostics: Diagnostic[] = [];
  const base = { file: plan.file, planId: plan.id, engine: engine.label };
  const phases = plan.phases;
  // The scripts' blocks as the build rendered them: which statements run without
  // statement_timeout follows the analysis' locks, which need no project settings.
  const analysis = options.analysis ?? analyzePlan(plan, { settings: resolvePlanSettings(plan, undefined) }).statements;
  if (!phases.some(phaseHasSql)) {
    return { ...base, ok: true, skipped: noSqlToRehearse, phases: [], steps: [], diagnostics };
  }
  if (!plan.baseline) {
    diagnostics.push({
      code: 'MG063', severity: 'error', file: plan.file, span: plan.spans.id,
      message: `plan "${plan.id}" has SQL but no baseline to rehearse it on`,
      help: 'Add baseline: { file: <schema>.sql } (the schema before the migration), and fixtures: for rows.',
    });
    return { ...base, ok: false, phases: [], steps: [], diagnostics };
  }

  const results = new Map<string, { up: ScriptResult; down: ScriptResult & { note?: string }; again: ScriptResult }>(
    phases.map((p) => [p.name, { up: notRun, down: notRun, again: notRun }]),
  );
  const firstIrreversible = phases.findIndex((p) => p.steps.some((s) => s.rollback?.kind === 'irreversible'));
  const reversibleCount = firstIrreversible < 0 ? phases.length : firstIrreversible;

  const stepSpan = (phase: Phase, run?: StatementRun): Span => {
    const id = run?.source?.stepId;
    if (run?.source?.kind === 'gate') return phase.gate?.span ?? phase.span;
    return phase.steps.find((s) => s.id === id)?.span ?? phase.span;
  };

  const seenDisagreements = new Set<string>();
  const run = async (db: RehearsalDatabase, phase: Phase, direction: Direction): Promise<ScriptResult> => {
    if (!phaseHasSql(phase)) return notRun;
    const view = direction === 'down' ? downScript(plan, phase, analysis) : upScript(plan, phase, analysis);
    const script = scripts.get(scriptFileName(phase, direction === 'down' ? 'down' : 'up'));
    if (script === undefined) return notRun;
    const started = performance.now();
    const { ok, runs } = await runAnswering(db, script, view.blocks);
    const ms = performance.now() - started;
    for (const r of runs) {
      if (!r.disagreement || seenDisagreements.has(r.text)) continue;
      seenDisagreements.add(r.text);
      diagnostics.push({
        code: 'MG064', severity: 'warning', file: plan.file, span: stepSpan(phase, r),
        message: `locks observed differ from migc's prediction: ${r.disagreement}`,
        help: `The statement: ${oneLine(r.text)}. Please report this with the statement and the PostgreSQL version: the lock analysis should match the server.`,
      });
    }
    if (ok) return { status: 'ok', ms, runs };
    const failed = runs[runs.length - 1]!;
    const irreversible = direction === 'down' && /migc: step "[^"]+" is irreversible/.test(failed.error ?? '');
    if (!irreversible) {
      const what = failed.source ? `${failed.source.kind === 'gate' ? 'gate check of' : 'step'} "${failed.source.stepId}"` : 'a statement';
      const when = direction === 'again' ? 'running it again after the rollback' : direction === 'down' ? 'rolling it back' : 'running it';
      diagnostics.push({
        code: 'MG060', severity: 'error', file: plan.file, span: stepSpan(phase, failed),
        message: `phase "${phase.name}" failed while ${when}: ${what}: ${failed.error}`,
        help: `The statement: ${oneLine(shownStatement(plan, failed.text))}`,
      });
    }
    return { status: irreversible ? 'irreversible' : 'failed', ms, runs };
  };

  /**
   * Rolls back phase i and checks the database is as it was before it. Phases are rolled back
   * latest first, so what a later phase's rollback got wrong is still there when an earlier one
   * is judged: that phase answered for it (MG061, MG062), or declared it (data_loss). `aside`
   * carries it to the earlier phases, which are judged on the rest.
   */
  const rollBack = async (db: RehearsalDatabase, i: number, before: Snapshot, aside: SetAside): Promise<boolean> => {
    const phase = phases[i]!;
    const down = await run(db, phase, 'down');
    results.get(phase.name)!.down = down;
    if (down.status !== 'ok') return false;
    const after = await snapshot(db);
    const diff = diffSnapshots(before.schema, after.schema);
    const schema = { missing: diff.missing.filter((l) => !aside.missing.has(l)), extra: diff.extra.filter((l) => !aside.extra.has(l)) };
    for (const l of diff.missing) aside.missing.add(l);
    for (const l of diff.extra) aside.extra.add(l);
    const changed = changedColumns(before.data, after.data, aside.columns);
    for (const c of changed) aside.columns.add(c);
    if (schema.missing.length || schema.extra.length) {
      const { text, help } = describeSchemaDiff(schema);
      // The step whose SQL names the objects is where to look, when only one of the phase's does.
      const names = new Set(diffObjectNames(schema));
      const naming = phase.steps.filter((st) => stepStatements(st).some((x) => namesIn(x.ast).some((n) => names.has(n))));
      const step = naming.length === 1 ? naming[0]! : undefined;
      diagnostics.push({
        code: 'MG061', severity: 'error', file: plan.file, span: step?.span ?? phase.span,
        message: `rolling back phase "${phase.name}" does not restore the schema: ${text}${step ? ` (step "${step.id}" names it; its rollback does not undo it)` : ''}`,
        help: help.length ? help.join(' ') : 'Make the rollbacks of this phase undo everything its steps create or change (indexes, constraints, defaults, triggers).',
      });
      results.get(phase.name)!.down = { ...down, status: 'failed' };
      return true;
    }
    if (changed.length) {
      const lossy = phase.steps.filter((s) => s.rollback?.dataLoss).map((s) => s.id);
      if (lossy.length) {
        results.get(phase.name)!.down = { ...down, note: `${changed.map(quoteName).join(', ')} differ${changed.length === 1 ? 's' : ''} after the rollback, as declared (${lossy.join(', ')} loses data)` };
      } else {
        diagnostics.push({
          code: 'MG062', severity: 'error', file: plan.file, span: phase.span,
          message: `rolling back phase "${phase.name}" changes ${changed.map(quoteName).join(', ')}, but no step of it declares data loss`,
          help: 'Make the rollback restore the data, or mark the step that loses it with data_loss: true and restore: how to get it back.',
        });
        results.get(phase.name)!.down = { ...down, status: 'failed' };
      }
    }
    return true;
  };

  const close = async (db: RehearsalDatabase) => {
    diagnostics.push(...(await closeRehearsalDatabase(plan, db)));
  };
  const setUp = async (): Promise<RehearsalDatabase | undefined> => {
    const opened = await openRehearsalDatabase(plan, engine);
    diagnostics.push(...opened.diagnostics);
    return opened.db;
  };

  // Pass 1: the reversible phases, up, down one by one, and up again.
  const db = await setUp();
  if (db) {
    try {
      const before: Snapshot[] = [];
      let reached = 0;
      for (; reached < reversibleCount; reached++) {
        before.push(await snapshot(db));
        const up = await run(db, phases[reached]!, 'up');
        results.get(phases[reached]!.name)!.up = up;
        if (up.status === 'failed') break;
      }
      const allUp = reached === reversibleCount;
      // A phase whose up script failed (a check that found bad data, after a batch loop committed)
      // must be undone by its down script, as on-call would do.
      let rolledBack = allUp;
      const aside = setAside();
      if (!allUp && reached < reversibleCount) await rollBack(db, reached, before[reached]!, aside);
      for (let i = Math.min(reached, reversibleCount - 1); allUp && i >= 0; i--) {
        if (!(await rollBack(db, i, before[i]!, aside))) {
          rolledBack = false;
          break;
        }
      }
      for (let i = 0; rolledBack && i < reversibleCount; i++) {
        const again = await run(db, phases[i]!, 'again');
        results.get(phases[i]!.name)!.again = again;
        if (again.status === 'failed') break;
      }
    } finally {
      await close(db);
    }
  }

  // Pass 2: every phase forward on a fresh database; the irreversible phase must refuse to roll back.
  if (firstIrreversible >= 0 && db && !diagnostics.some((d) => d.severity === 'error')) {
    const db2 = await setUp();
    if (db2) {
      try {
        const before: Snapshot[] = [];
        let ok = true;
        for (let i = 0; i < phases.length && ok; i++) {
          before.push(await snapshot(db2));
          const up = await run(db2, phases[i]!, 'up');
          if (i >= firstIrreversible) results.get(phases[i]!.name)!.up = up;
          ok = up.status !== 'failed';
        }
        const aside = setAside();
        for (let i = phases.length - 1; ok && i > firstIrreversible; i--) ok = await rollBack(db2, i, before[i]!, aside);
        if (ok) {
          const phase = phases[firstIrreversible]!;
          const down = await run(db2, phase, 'down');
          results.get(phase.name)!.down = down.status === 'irreversible' ? { ...down, note: 'stops at the irreversible step, as declared' } : down;
          if (down.status === 'ok') {
            diagnostics.push({
              code: 'MG061', severity: 'error', file: plan.file, span: phase.span,
              message: `phase "${phase.name}" declares an irreversible step, but its down script ran to the end`,
              help: 'Check the rollback of the irreversible step.',
            });
          }
        }
      } finally {
        await close(db2);
      }
    }
  }

  // Pass 3: a failure injected after every statement of every phase; both ways out checked.
  let crash: CrashSummary | undefined;
  let rolledBack: ReadonlySet<string> = new Set();
  if (options.crashPoints !== false && db && !diagnostics.some((d) => d.severity === 'error')) {
    const { rehearseCrashPoints } = await import('./crash.js');
    try {
      const found = await rehearseCrashPoints({ plan, scripts, analysis, open: setUp, close });
      diagnostics.push(...found.diagnostics);
      rolledBack = found.result.rolledBack;
      crash = {
        tried: found.result.tried, passed: found.result.passed, ms: found.result.ms,
        failed: found.result.points.filter((x) => !x.ok).map((x) => ({ phase: x.phase, where: x.where, problem: x.problem ?? '' })),
      };
    } catch (e) {
      diagnostics.push({
        code: 'MG066', severity: 'error', file: plan.file, span: plan.spans.id,
        message: `the crash points could not be rehearsed on ${engine.label}: ${(e as Error).message}`,
        help: 'Run migc verify --no-crash-points to rehearse without them, and please report this with the plan.',
      });
    }
  }

  // The app versions' queries on each schema state, in a database of their own (src/verify/compat.ts).
  const compatDb = db && plan.apps.length ? await setUp() : undefined;
  const compat = compatDb ? await rehearseCompatibility(plan, compatDb).finally(() => close(compatDb)) : undefined;
  if (compat) diagnostics.push(...compat.diagnostics);

  const phaseResults: PhaseResult[] = phases.map((p) => ({ number: p.number, name: p.name, ...results.get(p.name)! }));
  // A rollback the full rehearsal never reached (before an irreversible step) ran at a crash point.
  const rollbackKind = (phase: string, step: string) => plan.phases.find((p) => p.name === phase)?.steps.find((x) => x.id === step)?.rollback?.kind;
  const steps = stepResults(plan, phaseResults, options.analysis).map((s) => {
    const kind = rollbackKind(s.phase, s.step);
    return s.down === 'not run' && rolledBack.has(s.step) && (kind === 'sql' || kind === 'nothing') ? { ...s, down: 'ok' as const } : s;
  });
  return { ...base, ok: !diagnostics.some((d) => d.severity === 'error'), phases: phaseResults, steps, ...(crash ? { crash } : {}), diagnostics, ...(compat ? { compat } : {}) };
}

/** Drops a rehearsal database; one that cannot be dropped is said (MG063), not thrown. */
async function closeRehearsalDatabase(plan: Plan, db: RehearsalDatabase): Promise<Diagnostic[]> {
  try {
    await db.close();
    return [];
  } catch (e) {
    return [{
      code: 'MG063', severity: 'warning', file: plan.file, span: plan.spans.id,
      message: `the rehearsal database could not be dropped: ${(e as Error).message}`,
      help: 'Drop it by hand, or run migc verify --database-url ... --clean-leftovers.',
    }];
  }
}

/**
 * A fresh database on `engine` with the plan's baseline and fixtures loaded (the plan must have
 * a baseline); without one, the diagnostics say why (MG063).
 */
export async function openRehearsalDatabase(plan: Plan, engine: Engine): Promise<{ db?: RehearsalDatabase; diagnostics: Diagnostic[] }> {
  let db: RehearsalDatabase;
  try {
    db = await engine.open();
  } catch (e) {
    return {
      diagnostics: [{
        code: 'MG063', severity: 'error', file: plan.file, span: plan.spans.id,
        message: `no database to rehearse in on ${engine.label}: ${(e as Error).message}`,
        help: 'Check the server and the privileges of the --database-url role (see "Rehearsing on a server" in the README).',
      }],
    };
  }
  const fail = async (what: string, error: string) => ({
    diagnostics: [{
      code: 'MG063', severity: 'error' as const, file: plan.file, span: plan.spans.id,
      message: `the ${what} does not load on ${engine.label}: ${error}`,
      help: `Fix the ${what} so it runs on an empty database.`,
    }, ...(await closeRehearsalDatabase(plan, db))],
  });
  const baseline = await runScript(db, plan.baseline!.sql);
  if (!baseline.ok) return fail('baseline', baseline.error);
  if (plan.fixtures?.sql) {
    const fixtures = await runScript(db, plan.fixtures.sql);
    if (!fixtures.ok) return fail('fixtures SQL', fixtures.error);
  }
  try {
    for (const table of await fillOrder(db, (plan.fixtures?.generate ?? []).map((g) => g.table))) {
      await generateRows(db, table, plan.fixtures!.generate.find((g) => g.table === table)!.rows);
    }
  } catch (e) {
    return fail('generated fixtures', e instanceof FixtureError ? e.message : (e as Error).message);
  }
  return { db, diagnostics: [] };
}

/**
 * Runs a script as an operator would: where it stops for a `run` or `manual` step or a gate, the
 * stop is recorded as answered in migc_ledger, as its message says, and the script is run again
 * (it skips what is done). The runs of every pass are kept, the answered stops left out.
 */
export async function runAnswering(db: RehearsalDatabase, script: string, blocks: Parameters<typeof runObserved>[2]): Promise<{ ok: boolean; runs: StatementRun[] }> {
  const all: StatementRun[] = [];
  const answered = new Set<string>();
  for (;;) {
    const { ok, runs } = await runObserved(db, script, blocks);
    if (ok) return { ok, runs: [...all, ...runs] };
    const failed = runs[runs.length - 1]!;
    const key = stopAt(failed);
    if (!key || answered.has(JSON.stringify(key))) return { ok, runs: [...all, ...runs] };
    answered.add(JSON.stringify(key));
    all.push(...runs.slice(0, -1));
    await db.exec(confirmStatement(key));
  }
}

/** The ledger row a failed statement waited for, when it is a stop of migc's. */
export function stopAt(run: StatementRun): LedgerKey | undefined {
  if (!run.error?.startsWith('migc: stop: ')) return undefined;
  const parsed = parseSql(run.text);
  return parsed.ok && parsed.statements.length === 1 ? stopKey(parsed.statements[0]!.ast) : undefined;
}

const byRelation = (a: ObservedLock, b: ObservedLock) => (a.relation + a.mode < b.relation + b.mode ? -1 : a.relation + a.mode > b.relation + b.mode ? 1 : 0);

const lockName = (l: PredictedLock) => `${l.mode} ${quoteName(l.table.includes('.') ? l.table : `public.${l.table}`)}`;

/**
 * Why the locks of a step's statements cannot be read from pg_locks, if they cannot: migc reads
 * them inside the statement's transaction, after it ran; a statement that commits on its own
 * (CONCURRENTLY) or a batch loop that commits after each batch has released them by then.
 */
function unobservable(step: Step): string | undefined {
  if (step.batch) return 'the batch loop commits after each batch, so its locks are released before they can be read';
  const outside = stepStatements(step).filter((s) => !s.facts.transactional);
  if (!outside.length) return undefined;
  const commands = [...new Set(outside.map((s) => s.facts.command))];
  return `${commands.join(', ')} ${outside.length === 1 ? 'runs' : 'run'} outside a transaction, so ${outside.length === 1 ? 'its' : 'their'} locks are released before they can be read`;
}

function stepResults(plan: Plan, phases: readonly PhaseResult[], analysis: RehearseOptions['analysis']): StepResult[] {
  return plan.phases.flatMap((phase, i) => {
    const r = phases[i]!;
    return phase.steps.map((step) => {
      const mine = (s: ScriptResult) => s.runs.filter((x) => x.source?.kind === 'step' && x.source.stepId === step.id);
      /** A step's status in one script: its own statements decide; none run means not reached. */
      const status = (s: ScriptResult, runs: readonly StatementRun[]): Status => {
        if (s.status === 'not run' || runs.length === 0) return 'not run';
        if (runs.some((x) => x.error)) return s.status === 'irreversible' ? 'irreversible' : 'failed';
        return 'ok';
      };
      const up = mine(r.up);
      const down = mine(r.down);
      // The runs that ran the step's own statements inside a transaction: a CALL migc_run that
      // carries one of them. A separate one with only its checks (after a batch loop) is not the step's.
      const own = new Set(stepStatements(step).map((x) => x.text));
      const observed = up.filter((x) => x.locks && carries(x.text).some((t) => own.has(t)));
      const locks = new Map(observed.flatMap((x) => x.locks ?? []).map((l) => [`${l.mode} ${l.relation}`, l]));
      const unobserved = step.action?.kind === 'sql' ? unobservable(step) : undefined;
      const predicted = analysis
        ? stepStatements(step).flatMap((x) => analysis.get(x)?.locks ?? [])
        : [...observed.flatMap((x) => x.predicted ?? []), ...(unobserved ? stepStatements(step).flatMap((x) => predictLocks(x.ast)) : [])];
      const judged = observed.filter((x) => x.predicted);
      return {
        phase: phase.name,
        step: step.id,
        up: step.action?.kind === 'sql' ? status(r.up, up) : 'not run',
        // A rollback with nothing to undo is done once the down script has passed it.
        down: step.rollback?.kind === 'sql' || step.rollback?.kind === 'nothing' || step.rollback?.kind === 'irreversible' ? status(r.down, down) : 'not run',
        upMs: up.reduce((n, x) => n + x.ms, 0),
        locks: [...locks.values()].sort(byRelation),
        typeLocks: [...new Map(observed.flatMap((x) => x.typeLocks ?? []).map((l) => [`${l.mode} ${l.relation}`, l])).values()].sort(byRelation),
        seenInTransaction: observed.length > 0,
        predicted: [...new Set(predicted.map(lockName))].sort(),
        prediction: judged.some((x) => x.disagreement) ? 'differs' : judged.some((x) => x.predicted?.length) ? 'agrees' : unobserved && status(r.up, up) === 'ok' ? 'not observed' : 'not judged',
        ...(unobserved ? { unobserved } : {}),
        rewritten: [...new Set(up.flatMap((x) => x.rewritten))].sort(),
      };
    });
  });
}

/** The statements a CALL migc_run carries; none for any other statement. */
function carries(text: string): readonly string[] {
  const parsed = parseSql(text);
  return (parsed.ok && parsed.statements.length === 1 ? runStatements(parsed.statements[0]!.ast) : undefined) ?? [];
}

/**
 * What a failed statement ran, as the plan wrote it: for a CALL migc_run, the plan's statements it
 * carries (its checks, migc's own, are left out: their message names them); otherwise its text.
 */
function shownStatement(plan: Plan, text: string): string {
  const parsed = parseSql(text);
  const carried = parsed.ok && parsed.statements.length === 1 ? runStatements(parsed.statements[0]!.ast) : undefined;
  if (!carried) return text;
  const planTexts = new Set(plan.phases.flatMap((p) => p.steps).flatMap((s) => [
    ...(s.action?.kind === 'sql' ? s.action.statements : []), ...(s.rollback?.kind === 'sql' ? s.rollback.statements : []),
  ]).map((s) => s.text));
  const own = carried.filter((t) => planTexts.has(t));
  return own.length ? own.join('; ') : 'the checks of the step (see the message)';
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** Every string of a parse tree (names of relations, indexes, constraints, columns, functions). */
function namesIn(node: unknown, into: string[] = []): string[] {
  if (typeof node === 'string') into.push(node);
  else if (Array.isArray(node)) for (const x of node) namesIn(x, into);
  else if (node && typeof node === 'object') for (const x of Object.values(node)) namesIn(x, into);
  return into;
}
