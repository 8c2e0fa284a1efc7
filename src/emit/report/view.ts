import type { StatementAnalysis } from '../../analyze/sql/analyze.js';
import { estimateMethod, estimateText, pausesText, phaseEstimate, phaseRollbackEstimate, rollbackDoesWork, rollbackEstimate, statementEstimate, stepEstimate, sumEstimates, type Estimate, type EstimateInput } from '../../analyze/estimate.js';
import { lockLabel } from '../../sql/locks.js';
import { formatSeconds } from '../../normalize/durations.js';
import type { PlanSettings } from '../../analyze/settings.js';
import { liftedStatements, statementTimeoutSeconds } from '../../analyze/statement-timeout.js';
import { gateWaitText, planHasSql, stepStatements, verificationPhase, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import { phaseHasSql, scriptFileName } from '../sql/blocks.js';
import { compatView } from './compat-view.js';
import { layOut, milestoneTimes, relativeTime } from '../timeline/view.js';
import { formatCount } from '../../util/numbers.js';
import { quoteName } from '../../sql/quote.js';
import { postgresVersionText } from '../../normalize/postgres-versions.js';

/** A finding to show in the report, already located (line and column). */
export interface ReportFinding {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** What the plan itself estimates for some steps: the sum of their estimated_time, and how many give one. */
export interface PlannedTime {
  readonly seconds: number;
  readonly estimated: number;
  readonly steps: number;
}

export function plannedTime(steps: readonly Step[]): PlannedTime | undefined {
  const known = steps.flatMap((s) => (s.estimatedTime ? [s.estimatedTime.seconds] : []));
  return known.length ? { seconds: known.reduce((a, b) => a + b, 0), estimated: known.length, steps: steps.length } : undefined;
}

/**
 * What a failed verification of the step undoes, as the up script runs it (src/emit/sql/blocks.ts):
 * the checks run in the step's last transaction, before its COMMIT, so they undo what that
 * transaction did and nothing that committed before it: a batched step's batches, or statements
 * that run outside a transaction (CREATE INDEX CONCURRENTLY). Every failed check stops the script.
 */
export function failedCheckEffect(step: Step): string {
  if (step.batch) return 'stops the script; the batches stay committed (checked after the last batch): run the down script, or fix the data and run the script again';
  const statements = stepStatements(step);
  const outside = [...new Set(statements.filter((s) => !s.facts.transactional).map((s) => s.facts.command))].join(', ');
  if (!outside) return 'stops the script and undoes the step (checked inside its transaction, before COMMIT)';
  if (!statements[statements.length - 1]!.facts.transactional) return `stops the script; ${outside} stays done (it runs outside a transaction; the checks run after it)`;
  return `stops the script and undoes the step's last transaction; ${outside} before it stays done (it runs outside a transaction)`;
}

function rollbackView(step: Step) {
  const r = step.rollback;
  if (!r) return { kind: 'missing', label: 'none' };
  const text = r.kind === 'sql' ? r.statements.map((s) => `${s.text};`).join('\n\n') : r.kind === 'run' ? r.command : r.kind === 'manual' ? r.instructions : r.kind === 'nothing' ? r.reason : '';
  // An irreversible step that loses nothing still says what to do instead (its restore:), as a sentence.
  const whatToDo = r.kind === 'irreversible' && !r.dataLoss && r.restore?.trim() ? r.restore.trim().replace(/([^.!?])$/, '$1.') : undefined;
  return { kind: r.kind, text, dataLoss: r.dataLoss, restore: r.restore, whatToDo, label: r.kind === 'irreversible' ? 'irreversible' : r.kind, batch: r.kind === 'sql' ? r.batch : undefined };
}

type Analyses = ReadonlyMap<Statement, StatementAnalysis> | undefined;

function statementRows(step: Step, input: EstimateInput) {
  return stepStatements(step).map((s) => {
    const a = input.analysis.get(s);
    const e = statementEstimate(step, s, input);
    return {
      sql: s.text,
      locks: (a?.locks ?? []).map((l) => `${lockLabel(l.mode)} on ${quoteName(l.table)}`).join(', ') || 'none on tables',
      effect: a?.effect ?? 'catalog',
      estimate: e === undefined ? (a && a.effect !== 'catalog' ? 'no size hint' : 'milliseconds')
        : e.pauses ? `~${formatSeconds(e.seconds)} (${pausesText(e.pauses)})`
          : e.seconds < 0.5 ? 'milliseconds' : `~${formatSeconds(e.seconds)}`,
    };
  });
}

/**
 * The ACCESS EXCLUSIVE window of one transaction (a step's statements, or its rollback's, up to
 * COMMIT) that takes it on a table, if it does: the window lasts until the commit, so its length
 * is the estimate of every statement in it. A batched one commits per batch: only the
 * statements that take the lock count.
 */
function lockWindow(statements: readonly Statement[], batched: boolean, analysis: ReadonlyMap<Statement, StatementAnalysis>) {
  const exclusive = statements.filter((s) => analysis.get(s)?.locks.some((l) => l.mode === 'AccessExclusiveLock'));
  if (!exclusive.length) return undefined;
  const tables = [...new Set(exclusive.flatMap((s) => analysis.get(s)!.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.table)))];
  const window = batched ? exclusive : statements.filter((s) => s.facts.transactional);
  const known = window.map((s) => analysis.get(s)?.seconds);
  const effects = [...new Set(window.map((s) => analysis.get(s)?.effect ?? 'catalog').filter((e) => e !== 'catalog'))];
  return {
    tables: tables.map(quoteName).join(', '),
    statements: window.length,
    work: effects.length ? effects.join(', ') : 'catalog only',
    estimate: effects.length === 0 ? 'milliseconds' : known.some((k) => k === undefined) ? 'unknown (no size hint)' : `~${formatSeconds(known.reduce<number>((a, b) => a + (b ?? 0), 0))}`,
  };
}

/** Every ACCESS EXCLUSIVE window of the plan's up scripts, step by step in the order they run. */
function lockBudget(plan: Plan, analysis: Analyses) {
  if (!analysis) return [];
  return plan.phases.flatMap((phase) => phase.steps.flatMap((step) => {
    const window = lockWindow(stepStatements(step), step.batch !== undefined, analysis);
    return window ? [{ phase: phase.name, step: step.id, ...window }] : [];
  }));
}

/**
 * The ACCESS EXCLUSIVE windows of the rollbacks, apart: they are taken only when a phase is
 * rolled back, in the order rolling back the whole plan runs them (latest phase first, and
 * in each phase's down script the latest step first).
 */
function rollbackLockBudget(plan: Plan, analysis: Analyses) {
  if (!analysis) return [];
  return [...plan.phases].reverse().flatMap((phase) => [...phase.steps].reverse().flatMap((step) => {
    const rollback = step.rollback;
    if (rollback?.kind !== 'sql') return [];
    const window = lockWindow(rollback.statements, rollback.batch !== undefined, analysis);
    return window ? [{ phase: phase.name, step: step.id, script: scriptFileName(phase, 'down'), ...window }] : [];
  }));
}

/**
 * The plan's estimate and migc's (src/analyze/estimate.ts), side by side, labelled; a note when
 * they disagree by 4x. When the plan estimates only some of the steps, its sum says for how many,
 * and is not compared with migc's, which covers them all.
 */
export function estimateView({ planned: plannedTotal, estimate, hasSql }: { planned: PlannedTime | undefined; estimate: Estimate | undefined; hasSql: boolean }) {
  const computed = estimate?.seconds;
  const partial = plannedTotal !== undefined && plannedTotal.estimated < plannedTotal.steps;
  const planned = partial ? undefined : plannedTotal?.seconds;
  const plan = plannedTotal === undefined ? undefined : formatSeconds(plannedTotal.seconds);
  const migc = estimate === undefined ? (hasSql ? 'migc cannot tell, a table has no size hint' : undefined)
    : `${estimateText(estimate)} by migc from the size hints${estimate.pauses ? ` (${pausesText(estimate.pauses)})` : ''}`;
  const apart = planned !== undefined && computed !== undefined && Math.max(planned, computed) > 60 && Math.max(planned, computed) > 4 * Math.max(1, Math.min(planned, computed));
  const parts = [plan ? `${plan} by the plan${partial ? ` (${plannedTotal.estimated} of ${plannedTotal.steps} steps)` : ''}` : 'not estimated by the plan', ...(migc ? [migc] : [])];
  return plan || computed !== undefined ? { text: parts.join('; '), differs: apart } : undefined;
}

/** migc's estimate of undoing something, as the outputs write it; undefined estimate: a table has no size hint. */
function migcRollbackText(estimate: Estimate | undefined, brief: boolean): string {
  if (!estimate) return 'migc cannot tell how long, a table has no size hint';
  return `${estimateText(estimate)} by migc from the size hints${estimate.pauses && !brief ? ` (${pausesText(estimate.pauses)})` : ''}`;
}

/**
 * How long undoing takes, where it does work on rows or indexes (a batched UPDATE back, an index
 * built again): a step's rollback, or a phase's down script. Catalog-only rollbacks take
 * milliseconds and say nothing. Brief leaves out where the pauses come from (for the checklist).
 */
export function rollbackTime(of: Step | Phase, input: EstimateInput, { brief = false }: { brief?: boolean } = {}): string | undefined {
  if ('steps' in of) return of.steps.some((s) => rollbackDoesWork(s, input)) ? migcRollbackText(phaseRollbackEstimate(of, input), brief) : undefined;
  return rollbackDoesWork(of, input) ? migcRollbackText(rollbackEstimate(of, input), brief) : undefined;
}

function stepView(step: Step, input: EstimateInput) {
  const action = step.action;
  const estimate = estimateView({ planned: plannedTime([step]), estimate: stepEstimate(step, input), hasSql: action?.kind === 'sql' });
  return {
    estimate,
    analysis: statementRows(step, input),
    allow: step.allow ?? [],
    id: step.id,
    description: step.description,
    kind: action?.kind ?? 'none',
    sql: stepStatements(step).map((s) => `${s.text};`).join('\n\n'),
    commands: [...new Set(stepStatements(step).map((s) => s.facts.command))],
    tables: [...new Set(stepStatements(step).flatMap((s) => s.facts.tables))].sort(),
    command: action?.kind === 'run' ? action.command : undefined,
    instructions: action?.kind === 'manual' ? action.instructions : undefined,
    batch: step.batch,
    rollback: rollbackView(step),
    rollbackTime: rollbackTime(step, input),
    verify: step.verify.map((v) => ({ sql: v.sql, expect: v.expect.text, description: v.description })),
    estimatedTime: step.estimatedTime?.text,
  };
}

/** The timeouts the scripts set, and the statements that run without statement_timeout, as the Analysis settings list them. */
function scriptTimeouts(plan: Plan, analysis: NonNullable<Analyses>) {
  const { lockTimeout, statementTimeout, lockRetries } = plan.settings;
  const lifted = liftedStatements(plan, (s) => analysis.get(s)?.locks)
    .map((l) => `${l.rollback ? 'the rollback of ' : ''}step ${l.step.id} (${[...new Set(l.statements.map((s) => s.facts.command))].join(', ')})`);
  const batched = plan.phases.some((p) => p.steps.some((s) => s.batch || (s.rollback?.kind === 'sql' && s.rollback.batch)));
  const exceptions = [
    ...(batched ? ['the batch loops (each batch is short)'] : []),
    ...(lifted.length ? [`what blocks no reads or writes (at most SHARE UPDATE EXCLUSIVE): ${lifted.join(', ')}`] : []),
  ];
  return {
    lockTimeout: `lock_timeout ${lockTimeout}, a part that hits it tried again ${lockRetries === 0 ? 'never' : `up to ${lockRetries} time${lockRetries === 1 ? '' : 's'}`}`,
    statementTimeout: statementTimeoutSeconds(statementTimeout) === 0
      ? `statement_timeout ${statementTimeout}: off, no statement is cancelled`
      : `statement_timeout ${statementTimeout}${exceptions.length ? `, lifted for ${exceptions.join(' and for ')}` : ''}`,
  };
}

export function reportView(plan: Plan, findings: readonly ReportFinding[], { analysis, settings }: { analysis: NonNullable<Analyses>; settings: PlanSettings }) {
  const total = plannedTime(plan.phases.flatMap((p) => p.steps));
  const hasSql = planHasSql(plan);
  const sqlPhases = plan.phases.filter((p) => p.steps.some((s) => s.action?.kind === 'sql'));
  const input: EstimateInput = { analysis, settings };
  const phaseEstimates = sqlPhases.map((p) => phaseEstimate(p, input));
  return {
    plan,
    hasSql,
    // The version the analysis used (the settings), never the plan's engine read again.
    engineLabel: plan.engine ? `PostgreSQL ${postgresVersionText(settings.postgres)}` : undefined,
    settings: plan.engine ? { ...settings, tables: settings.tables.map((t) => ({ ...t, name: quoteName(t.name), rows: t.rows === undefined ? 'large (at least 100,000)' : formatCount(t.rows), size: t.size ?? 'not given' })) } : undefined,
    estimate: estimateView({ planned: total, estimate: sqlPhases.length && phaseEstimates.every((e) => e !== undefined) ? sumEstimates(phaseEstimates as Estimate[]) : undefined, hasSql: sqlPhases.length > 0 }),
    estimateMethod: sqlPhases.length ? estimateMethod() : undefined,
    scriptTimeouts: plan.phases.some(phaseHasSql) ? scriptTimeouts(plan, analysis) : undefined,
    planVerifications: plan.verify.map((v) => ({
      sql: v.sql, expect: v.expect.text, description: v.description,
      when: v.after !== undefined ? `end of phase ${v.after}` : 'end of the plan',
      script: (() => { const p = verificationPhase(plan, v); return p && phaseHasSql(p) ? scriptFileName(p, 'up') : undefined; })(),
    })),
    phaseKinds: plan.phases.map((p) => p.kind).join(' → '),
    hasScripts: plan.phases.some(phaseHasSql),
    hasPreMigration: Boolean(plan.preMigration.backup || plan.preMigration.diskSpace || plan.preMigration.notify.length || plan.preMigration.stagingTest || plan.preMigration.tasks.length),
    phases: plan.phases.map((phase) => ({
      ...phase,
      estimate: estimateView({ planned: plannedTime(phase.steps), estimate: phaseEstimate(phase, input), hasSql: phase.steps.some((s) => s.action?.kind === 'sql') }),
      upScript: phaseHasSql(phase) ? scriptFileName(phase, 'up') : undefined,
      downScript: phaseHasSql(phase) ? scriptFileName(phase, 'down') : undefined,
      rollbackTime: rollbackTime(phase, input),
      gate: phase.gate ? { ...phase.gate, verified: phase.gate.verified.map((v) => v.stepId), wait: phase.gate.wait?.text, waitText: gateWaitText(phase) } : undefined,
      steps: phase.steps.map((s) => stepView(s, input)),
    })),
    verifications: plan.phases.flatMap((p) => p.steps.flatMap((s) => s.verify.map((v) => ({ phase: p.name, step: s.id, sql: v.sql, expect: v.expect.text, description: v.description, ifFails: failedCheckEffect(s) })))),
    dataLossSteps: plan.phases.flatMap((p) => p.steps.filter((s) => s.rollback?.dataLoss).map((s) => ({ phase: p.name, step: s.id, restore: s.rollback?.restore }))),
    // Where the down scripts stop until the operator records what was done by hand: latest phase, latest step first.
    downStops: [...plan.phases].reverse().filter(phaseHasSql).flatMap((p) => [...p.steps].reverse()
      .filter((s) => s.rollback?.kind === 'run' || s.rollback?.kind === 'manual' || s.rollback?.kind === 'irreversible')
      .map((s) => ({ phase: p.name, step: s.id, irreversible: s.rollback?.kind === 'irreversible', dataLoss: s.rollback?.dataLoss === true }))),
    lockBudget: lockBudget(plan, analysis),
    rollbackLockBudget: rollbackLockBudget(plan, analysis),
    lockWindows: lockBudget(plan, analysis).length + rollbackLockBudget(plan, analysis).length > 0,
    allowances: plan.phases.flatMap((p) => p.steps.flatMap((s) => (s.allow ?? []).map((a) => ({ step: s.id, code: a.code, reason: a.reason })))),
    findings,
    compat: compatView(plan),
    milestones: (() => {
      const at = milestoneTimes(plan, layOut(plan, input).laidOut);
      return plan.timeline.map((m, i) => ({
        at: m.at, milestone: m.milestone, phase: m.phase,
        // The phase cannot start before the one before it and its gate's wait are over.
        startsLater: Math.round(at[i]!) !== Math.round(m.offsetSeconds) ? relativeTime(at[i]!) : undefined,
      }));
    })(),
  };
}
