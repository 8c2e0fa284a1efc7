import type { Plan, Statement, Step } from '../normalize/model.js';
import { pgDurationSeconds } from '../sql/batch.js';
import { lockLabel, lockStrength, type PredictedLock } from '../sql/locks.js';
import { quoteName } from '../sql/quote.js';

/**
 * Which statements of a script run without statement_timeout. The timeout is there to bound the
 * time a migration holds a lock the application waits behind; a statement whose every lock
 * blocks neither reads nor writes (at most SHARE UPDATE EXCLUSIVE: CREATE INDEX CONCURRENTLY,
 * VALIDATE CONSTRAINT, VACUUM) is long by design, and cancelling it only leaves its work undone
 * (an INVALID index) to fail again the same way on the next run. lock_timeout still bounds its
 * waits for locks. The locks are the analysis' prediction for the statement (src/sql/locks.ts);
 * a statement it predicts no lock for (a function call) keeps the timeout, and so do a DO block
 * (whatever the statements inside lock) and a data change, whose row locks block the writers of
 * those rows until it commits.
 */
export type LocksOf = (statement: Statement) => readonly PredictedLock[] | undefined;

const weakest = lockStrength('ShareUpdateExclusiveLock');

/**
 * The statement's locks when every one of them blocks nobody's reads and writes; undefined
 * otherwise. Reads (ACCESS SHARE, ROW SHARE) do not decide: a query (SELECT, a function call
 * in one) keeps the timeout whatever it reads, as the functions it calls may do anything, and so
 * does COMMENT ON, whose SHARE UPDATE EXCLUSIVE is held for a moment: nothing long to lift it for.
 */
export function blocksNobody(statement: Statement, locksOf: LocksOf): readonly PredictedLock[] | undefined {
  const locks = locksOf(statement)?.filter((l) => lockStrength(l.mode) > lockStrength('RowShareLock'));
  // A DO block's locks are those of the statements inside, whose row changes its facts do not show.
  if (!locks?.length || statement.facts.dataChange || statement.facts.readOnlyQuery || 'CommentStmt' in statement.ast || 'DoStmt' in statement.ast) return undefined;
  return locks.every((l) => lockStrength(l.mode) <= weakest) ? locks : undefined;
}

/** "SHARE UPDATE EXCLUSIVE on orders": what a statement that blocks nobody holds, for comments and messages. */
export function locksText(locks: readonly PredictedLock[]): string {
  const byMode = new Map<string, string[]>();
  for (const l of locks) byMode.set(l.mode, [...(byMode.get(l.mode) ?? []), l.table]);
  return [...byMode].map(([mode, tables]) => `${lockLabel(mode)} on ${[...new Set(tables)].map(quoteName).join(', ')}`).join(', ');
}

/**
 * A piece of a step as its script runs it: consecutive statements that can run in a transaction
 * are one unit (one CALL migc_run, which statement_timeout bounds as a whole); a statement that
 * cannot runs on its own. `lifted` when statement_timeout is lifted around the unit: every
 * statement in it blocks nobody.
 */
export interface ScriptUnit {
  readonly transactional: boolean;
  readonly statements: readonly Statement[];
  readonly lifted: boolean;
}

export function scriptUnits(statements: readonly Statement[], locksOf: LocksOf): ScriptUnit[] {
  const groups: Statement[][] = [];
  for (const s of statements) {
    const last = groups[groups.length - 1];
    if (s.facts.transactional && last?.[0]!.facts.transactional) last.push(s);
    else groups.push([s]);
  }
  return groups.map((g) => ({ transactional: g[0]!.facts.transactional, statements: g, lifted: g.every((s) => blocksNobody(s, locksOf) !== undefined) }));
}

/**
 * A step's statements as its script runs them, for a plan: nothing is lifted when the plan's
 * statement_timeout is 0 already (there is nothing to lift).
 */
export function planUnits(plan: Plan, statements: readonly Statement[], locksOf: LocksOf): ScriptUnit[] {
  const off = statementTimeoutSeconds(plan.settings.statementTimeout) === 0;
  return scriptUnits(statements, locksOf).map((u) => (off && u.lifted ? { ...u, lifted: false } : u));
}

/** The statements of a step (or of its rollback) that run without statement_timeout, for the report and checklist. */
export interface LiftedStatements {
  readonly step: Step;
  readonly rollback: boolean;
  readonly statements: readonly Statement[];
}

export function liftedStatements(plan: Plan, locksOf: LocksOf): LiftedStatements[] {
  const out: LiftedStatements[] = [];
  const lifted = (statements: readonly Statement[]) => planUnits(plan, statements, locksOf).filter((u) => u.lifted).flatMap((u) => u.statements);
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    if (step.action?.kind === 'sql' && !step.batch) {
      const up = lifted(step.action.statements);
      if (up.length) out.push({ step, rollback: false, statements: up });
    }
    if (step.rollback?.kind === 'sql' && !step.rollback.batch) {
      const down = lifted(step.rollback.statements);
      if (down.length) out.push({ step, rollback: true, statements: down });
    }
  }
  return out;
}

/** statement_timeout in seconds; 0 when it is off ('0', '0ms', '0s'...). */
export function statementTimeoutSeconds(setting: string): number {
  return pgDurationSeconds(setting);
}
