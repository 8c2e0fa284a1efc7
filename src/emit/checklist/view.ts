import { phaseEstimate, type EstimateInput } from '../../analyze/estimate.js';
import { gateWaitText, planHasSql, verificationPhase, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import { liftedStatements } from '../../analyze/statement-timeout.js';
import { phaseHasSql, scriptFileName } from '../sql/blocks.js';
import { confirmStatement } from '../sql/ledger.js';
import { markdownText } from '../markdown-text.js';
import { estimateView, plannedTime, rollbackTime } from '../report/view.js';
import { inlineCode } from '../templates.js';

/** Queries the on-call engineer keeps open while a phase runs. */
export const watchQueries = {
  locks: "SELECT a.pid, l.mode, l.relation::regclass, now() - a.query_start AS waiting, left(a.query, 60) AS query FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted;",
  slow: "SELECT pid, state, wait_event_type, now() - query_start AS running, left(query, 60) AS query FROM pg_stat_activity WHERE state <> 'idle' AND now() - query_start > interval '5 seconds' ORDER BY running DESC;",
  disk: 'SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;',
  replication: 'SELECT client_addr, state, replay_lag FROM pg_stat_replication;',
};

const psql = (file: string) => `psql -v ON_ERROR_STOP=1 -f ${file} "$DATABASE_URL"`;

/** How an operator undoes one step that is not SQL, for the "if this fails" line. */
function undoText(step: Step): string | undefined {
  const r = step.rollback;
  if (!r) return undefined;
  switch (r.kind) {
    case 'run': return `undo ${step.id}: run ${inlineCode(r.command, { outsideTable: true })}`;
    case 'manual': return `undo ${step.id}: ${markdownText(r.instructions.trim().split('\n')[0])}`;
    // The down script stops at it only if it ran: a failure before it needs no restore.
    case 'irreversible': return `if ${step.id} ran, it cannot be undone${r.restore ? `; ${r.dataLoss ? 'restore' : 'what to do'}: ${markdownText(r.restore.trim().split('\n')[0])}` : ''}`;
    case 'sql': return undefined; // in the down script
    case 'nothing': return undefined;
  }
}

/**
 * What to do when a phase fails: its down script, the operator steps' own rollbacks in reverse
 * order, and the plan's rollback plan for the phase. Every phase has one, code-only ones too.
 */
function ifThisFails(plan: Plan, phase: Phase, input: EstimateInput): string {
  // How long the down script runs, when it does more than catalog changes: it is not stuck.
  const time = rollbackTime(phase, input, { brief: true });
  const down = phaseHasSql(phase) ? `\`${psql(scriptFileName(phase, 'down'))}\`${time ? ` (${time})` : ''}` : undefined;
  // The plan's own rollback plan for the phase says it best; the down script is named beside it.
  const planned = plan.rollbackPlan.filter((r) => r.phase === phase.name).map((r) => markdownText(r.how.trim().split('\n').join(' ')));
  // Latest step first; the down script undoes every SQL step, so it comes once, at the latest.
  let downPlaced = false;
  const parts = planned.length ? planned : [...phase.steps].reverse().flatMap((s) => {
    const own = s.action?.kind === 'sql' && s.rollback?.kind !== 'irreversible' ? [] : (undoText(s) ? [undoText(s)!] : []);
    if (s.action?.kind !== 'sql' || downPlaced || !down) return own;
    downPlaced = true;
    return [...own, `run ${down}`];
  });
  if (!parts.length) parts.push('stop, leave the earlier phases in place, and tell the owner: this phase names no way back');
  const clean = parts.map((p) => p.trim().replace(/[.;]+$/, ''));
  const text = clean.length === 1 ? `${clean[0]}.` : `${clean.map((p, i) => `(${i + 1}) ${p}`).join('; ')}.`;
  const stops = down ? downStops(phase) : [];
  return `${planned.length && down ? `${text} Down script: ${down}.` : text}${stopNote(stops)}`;
}

/**
 * Where the down script stops, in the order it meets them, and how to go on: a rollback done by
 * hand, or an irreversible step whose data is restored by hand; each is recorded as its error says.
 */
function stopNote(stops: readonly { id: string; irreversible: boolean; dataLoss: boolean }[]): string {
  if (!stops.length) return '';
  const byHand = stops.filter((s) => !s.irreversible);
  if (byHand.length === stops.length) {
    return ` If a step it undoes ran, the down script stops before undoing ${byHand.map((s) => `\`${s.id}\``).join(', ')} by hand, until that is recorded as the error says; then run it again.`;
  }
  const clauses = stops.map((s) => (s.irreversible
    ? `at \`${s.id}\`, which cannot be undone, until ${s.dataLoss ? 'its data is restored' : 'it is accepted as it stays (it loses no data)'}`
    : `before undoing \`${s.id}\` by hand`));
  return ` If a step it undoes ran, the down script stops ${clauses.join(', then ')}; record ${stops.length === 1 ? 'it' : 'each'} as the error says, then run the script again.`;
}

/** Whether the phase's up script stops at its start until the gate is recorded as met. */
function hasGateStop(phase: Phase): boolean {
  const g = phase.gate;
  return g !== undefined && (g.deploy !== undefined || g.wait !== undefined || g.approval !== undefined);
}

/**
 * The runs of a phase's up script, in order: it stops before each step done by hand until that
 * step is recorded in migc_ledger, and the next run goes on from there.
 */
function scriptRuns(plan: Plan, phase: Phase) {
  const command = psql(scriptFileName(phase, 'up'));
  const byHand = phase.steps.filter((s) => s.action && s.action.kind !== 'sql');
  return [undefined, ...byHand].map((step, i) => ({
    command,
    stopsBefore: byHand[i]?.id,
    operator: step ? {
      id: step.id,
      command: step.action?.kind === 'run' ? step.action.command : undefined,
      instructions: step.action?.kind === 'manual' ? step.action.instructions : undefined,
      record: `${confirmStatement({ plan: plan.id, phase: phase.name, step: step.id, part: 'confirmed' })};`,
    } : undefined,
  }));
}

/**
 * The steps the down script stops at, when they ran, until recorded as undone: a rollback done by
 * hand, and an irreversible step (until its data is restored by hand); latest step first.
 */
function downStops(phase: Phase): { id: string; irreversible: boolean; dataLoss: boolean }[] {
  return [...phase.steps].reverse()
    .filter((s) => s.rollback?.kind === 'run' || s.rollback?.kind === 'manual' || s.rollback?.kind === 'irreversible')
    .map((s) => ({ id: s.id, irreversible: s.rollback?.kind === 'irreversible', dataLoss: s.rollback?.dataLoss === true }));
}

/** Where PostgreSQL shows a statement's progress: its own progress view where it has one. */
function progressView(s: Statement): string {
  const [kind, body] = Object.entries(s.ast)[0] as [string, { is_vacuumcmd?: boolean }];
  if (kind === 'IndexStmt' || kind === 'ReindexStmt') return 'pg_stat_progress_create_index';
  if (kind === 'VacuumStmt') return body.is_vacuumcmd ? 'pg_stat_progress_vacuum' : 'pg_stat_progress_analyze';
  return 'pg_stat_activity';
}

export function checklistView(plan: Plan, input: EstimateInput) {
  const lifted = liftedStatements(plan, (s) => input.analysis.get(s)?.locks).filter((l) => !l.rollback);
  const steps = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
  const hasSql = planHasSql(plan);
  const downtime = plan.overview.estimatedDowntime;
  const contract = plan.phases.filter((p) => p.kind === 'contract').map((p) => p.name);
  return {
    plan,
    hasSql,
    watch: watchQueries,
    hasDataLoss: plan.phases.some((p) => p.steps.some((s) => s.rollback?.dataLoss)),
    /** A maintenance window is needed unless the plan says there is no downtime. */
    maintenanceWindow: downtime !== undefined && !/^none\b/.test(downtime) ? downtime : undefined,
    rollbackScripts: plan.phases.filter(phaseHasSql).map((p) => scriptFileName(p, 'down')),
    contractPhases: contract.join(', '),
    isCode: plan.type === 'code',
    isInfrastructure: plan.type === 'infrastructure',
    hasVerifications: plan.verify.length > 0 || plan.phases.some((p) => p.steps.some((s) => s.verify.length > 0)),
    planVerifications: plan.verify.map((v) => ({ sql: v.sql, expect: v.expect.text, description: v.description })),
    phases: plan.phases.map((phase) => ({
      ...phase,
      upScript: phaseHasSql(phase) ? scriptFileName(phase, 'up') : undefined,
      upCommand: phaseHasSql(phase) ? psql(scriptFileName(phase, 'up')) : undefined,
      runsSql: phaseHasSql(phase),
      estimate: estimateView({ planned: plannedTime(phase.steps), estimate: phaseEstimate(phase, input), hasSql: phase.steps.some((s) => s.action?.kind === 'sql') })?.text,
      gateSteps: (phase.gate?.verified ?? []).map((v) => v.stepId).filter((id) => steps.has(id)),
      gateWait: phase.gate?.wait?.text,
      gateWaitText: gateWaitText(phase),
      codeChanges: plan.codeChanges.filter((c) => c.deployPhase === phase.name),
      gateRecord: phaseHasSql(phase) && hasGateStop(phase) ? `${confirmStatement({ plan: plan.id, phase: phase.name, step: '', part: 'gate' })};` : undefined,
      scriptRuns: phaseHasSql(phase) ? scriptRuns(plan, phase) : [],
      // Statements that run without statement_timeout: long by design, watched rather than cancelled.
      unbounded: lifted.filter((l) => l.step.phase === phase.name).map((l) => ({
        id: l.step.id,
        commands: [...new Set(l.statements.map((s) => s.facts.command))].join(', '),
        progress: [...new Set(l.statements.map(progressView))].join(', '),
        indexBuild: l.statements.some((s) => 'IndexStmt' in s.ast),
      })),
      operatorSteps: phase.steps.filter((s) => s.action && s.action.kind !== 'sql').map((s) => ({
        id: s.id,
        command: s.action?.kind === 'run' ? s.action.command : undefined,
        instructions: s.action?.kind === 'manual' ? s.action.instructions : undefined,
      })),
      verifications: phase.steps.flatMap((s) => s.verify.map((v) => ({ step: s.id, sql: v.sql, expect: v.expect.text }))),
      planVerifications: plan.verify.filter((v) => verificationPhase(plan, v) === phase).map((v) => ({ number: v.number, sql: v.sql, expect: v.expect.text })),
      ifThisFails: ifThisFails(plan, phase, input),
    })),
  };
}
