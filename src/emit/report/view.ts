import type { StatementAnalysis } from '../../analyze/sql/analyze.js';
import { lockLabel } from '../../sql/locks.js';
import { formatSeconds } from '../../normalize/durations.js';
import { stepStatements, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import { phaseHasSql, scriptFileName } from '../sql/blocks.js';

/** A finding to show in the report, already located (line and column). */
export interface ReportFinding {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export function phaseSeconds(phase: Phase): number | undefined {
  const known = phase.steps.map((s) => s.estimatedTime?.seconds);
  return known.every((s) => s === undefined) ? undefined : known.reduce<number>((a, s) => a + (s ?? 0), 0);
}

function rollbackView(step: Step) {
  const r = step.rollback;
  if (!r) return { kind: 'missing', label: 'none' };
  const text = r.kind === 'sql' ? r.statements.map((s) => `${s.text};`).join('\n\n') : r.kind === 'run' ? r.command : r.kind === 'manual' ? r.instructions : '';
  return { kind: r.kind, text, dataLoss: r.dataLoss, restore: r.restore, label: r.kind === 'irreversible' ? 'irreversible' : r.kind };
}

type Analyses = ReadonlyMap<Statement, StatementAnalysis> | undefined;

function statementRows(statements: readonly Statement[], analysis: Analyses) {
  return statements.map((s) => {
    const a = analysis?.get(s);
    return {
      sql: s.text,
      locks: (a?.locks ?? []).map((l) => `${lockLabel(l.mode)} on ${l.table}`).join(', ') || 'none on tables',
      effect: a?.effect ?? 'catalog',
      estimate: a?.seconds === undefined ? (a && a.effect !== 'catalog' ? 'no size hint' : '') : `~${formatSeconds(a.seconds)}`,
    };
  });
}

/**
 * Every ACCESS EXCLUSIVE window of the plan: a transaction (a step's statements up to COMMIT)
 * that takes it on a table that existed before the plan. The window lasts until the commit,
 * so its length is the estimate of every statement in it.
 */
function lockBudget(plan: Plan, analysis: Analyses) {
  if (!analysis) return [];
  return plan.phases.flatMap((phase) => phase.steps.flatMap((step) => {
    const statements = stepStatements(step);
    const exclusive = statements.filter((s) => analysis.get(s)?.locks.some((l) => l.mode === 'AccessExclusiveLock'));
    if (!exclusive.length) return [];
    const tables = [...new Set(exclusive.flatMap((s) => analysis.get(s)!.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.table)))];
    const window = step.batch ? exclusive : statements.filter((s) => s.facts.transactional);
    const known = window.map((s) => analysis.get(s)?.seconds);
    const effects = [...new Set(window.map((s) => analysis.get(s)?.effect ?? 'catalog').filter((e) => e !== 'catalog'))];
    return [{
      phase: phase.name,
      step: step.id,
      tables: tables.join(', '),
      statements: window.length,
      work: effects.length ? effects.join(', ') : 'catalog only',
      estimate: effects.length === 0 ? 'milliseconds' : known.some((k) => k === undefined) ? 'unknown (no size hint)' : `~${formatSeconds(known.reduce<number>((a, b) => a + (b ?? 0), 0))}`,
    }];
  }));
}

function stepView(step: Step, analysis: Analyses) {
  const action = step.action;
  return {
    analysis: analysis ? statementRows(stepStatements(step), analysis) : [],
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
    verify: step.verify.map((v) => ({ sql: v.sql, expect: v.expect.text, description: v.description })),
    estimatedTime: step.estimatedTime?.text,
  };
}

export function reportView(plan: Plan, findings: readonly ReportFinding[], analysis?: Analyses) {
  const total = plan.phases.map(phaseSeconds).filter((s): s is number => s !== undefined);
  return {
    plan,
    engineLabel: `PostgreSQL${plan.engine.major ? ` ${plan.engine.major}` : ''}`,
    phaseKinds: plan.phases.map((p) => p.kind).join(' → '),
    estimatedTotal: total.length ? formatSeconds(total.reduce((a, b) => a + b, 0)) : undefined,
    hasScripts: plan.phases.some(phaseHasSql),
    hasPreMigration: Boolean(plan.preMigration.backup || plan.preMigration.diskSpace || plan.preMigration.notify.length || plan.preMigration.stagingTest || plan.preMigration.tasks.length),
    phases: plan.phases.map((phase) => ({
      ...phase,
      estimatedTime: phaseSeconds(phase) === undefined ? undefined : formatSeconds(phaseSeconds(phase)!),
      upScript: phaseHasSql(phase) ? scriptFileName(phase, 'up') : undefined,
      downScript: phaseHasSql(phase) ? scriptFileName(phase, 'down') : undefined,
      gate: phase.gate ? { ...phase.gate, verified: phase.gate.verified.map((v) => v.stepId), wait: phase.gate.wait?.text } : undefined,
      steps: phase.steps.map((s) => stepView(s, analysis)),
    })),
    verifications: plan.phases.flatMap((p) => p.steps.flatMap((s) => s.verify.map((v) => ({ phase: p.name, step: s.id, sql: v.sql, expect: v.expect.text, description: v.description })))),
    dataLossSteps: plan.phases.flatMap((p) => p.steps.filter((s) => s.rollback?.dataLoss).map((s) => ({ phase: p.name, step: s.id, restore: s.rollback?.restore }))),
    tables: plan.tables.map((t) => ({ ...t, rows: t.rows.toLocaleString('en-US') })),
    lockBudget: lockBudget(plan, analysis),
    allowances: plan.phases.flatMap((p) => p.steps.flatMap((s) => (s.allow ?? []).map((a) => ({ step: s.id, code: a.code, reason: a.reason })))),
    findings,
  };
}
