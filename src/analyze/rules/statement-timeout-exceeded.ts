import { formatSeconds } from '../../normalize/durations.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import type { Statement, Step } from '../../normalize/model.js';
import { formatCount } from '../../util/numbers.js';
import type { PlanStatements, Rule } from '../rule.js';
import type { PlanSettings } from '../settings.js';
import { lockStrength } from '../../sql/locks.js';
import { locksText, planUnits, statementTimeoutSeconds, type ScriptUnit } from '../statement-timeout.js';
import { quoteName } from '../../sql/quote.js';

/**
 * A step whose script keeps statement_timeout (its statements hold a lock that blocks reads or
 * writes), estimated by migc (rows from the size hints times the rate of its kind of work) or by
 * the plan (estimated_time) to run longer than the timeout: the script would cancel it at the
 * timeout, roll it back, and fail the same way when run again. Statements that block nobody and
 * batched loops run without the timeout (src/analyze/statement-timeout.ts) and are not judged.
 */
export const statementTimeoutExceeded: Rule = {
  code: 'MG115',
  name: 'statement-timeout-exceeded',
  summary: 'A step that keeps statement_timeout is estimated to run longer than it: the script would cancel it, and every run again the same way.',
  severity: 'warning',
  check(plan, report, settings, statements) {
    const timeout = statementTimeoutSeconds(plan.settings.statementTimeout);
    if (timeout === 0) return;
    const locksOf = (s: Statement) => statements.get(s)?.locks;
    const judge = (step: Step, what: string, span: Span, units: readonly ScriptUnit[], estimatedTime?: { text: string; seconds: number }) => {
      const kept = units.filter((u) => !u.lifted);
      for (const unit of kept) {
        const estimate = unitEstimate(unit, statements, settings);
        // The plan's own estimate says the same of a step that is one such unit.
        const planSays = estimatedTime && units.length === 1 && estimatedTime.seconds > timeout ? estimatedTime : undefined;
        if ((estimate === undefined || estimate.seconds <= timeout) && !planSays) continue;
        const how = unit.transactional && unit.statements.length > 1 ? 'in one transaction' : 'in one statement';
        const why = estimate && estimate.seconds > timeout ? `~${formatSeconds(estimate.seconds)} (${estimate.why})` : `${planSays!.text} (its estimated_time)`;
        report({
          span,
          message: `${what} is estimated to run ${why} ${how} under statement_timeout (${plan.settings.statementTimeout}): the script would cancel it there, roll it back, and fail the same way each time it is run again`,
          help: unitHelp(unit, statements, Math.max(estimate?.seconds ?? 0, planSays?.seconds ?? 0)),
        });
      }
    };
    for (const step of plan.phases.flatMap((p) => p.steps)) {
      if (step.action?.kind === 'sql' && !step.batch) {
        judge(step, `step "${step.id}"`, step.span, planUnits(plan, step.action.statements, locksOf), step.estimatedTime);
      }
      const rollback = step.rollback;
      if (rollback?.kind === 'sql' && !rollback.batch) judge(step, `the rollback of step "${step.id}"`, rollback.span, planUnits(plan, rollback.statements, locksOf));
    }
  },
};

/** Why the unit keeps the timeout, and what to do instead of having it cancelled. */
function unitHelp(unit: ScriptUnit, statements: PlanStatements, seconds: number): string {
  const raise = `raise settings.statement_timeout above the estimate (statement_timeout: ${suggestion(seconds)})`;
  const change = unit.statements.find((s) => s.facts.dataChange);
  if (change) {
    return `${change.facts.command} keeps the rows it changes locked against writers until it commits, so the timeout stays. Batch it (batch: { size: 10000 }): its loop commits every batch and runs without statement_timeout; or ${raise}.`;
  }
  const strong = unit.statements.flatMap((s) => (statements.get(s)?.locks ?? []).filter((l) => lockStrength(l.mode) > lockStrength('ShareUpdateExclusiveLock')));
  if (strong.length) {
    return `It holds ${locksText(strong)}, which blocks the application, so the timeout stays. Make the change without holding such a lock that long (a new column filled in batches, CREATE INDEX CONCURRENTLY, a constraint added NOT VALID and validated apart), or, if the table may be locked that long, ${raise}.`;
  }
  const commands = [...new Set(unit.statements.map((s) => s.facts.command))].join(', ');
  return `migc predicts no lock for ${commands}, so it cannot tell that it blocks nobody, and the timeout stays. Split the work into steps that each fit, or ${raise}.`;
}

/** A unit's duration by migc's estimate, and its longest statement as the reason; undefined when a table has no size. */
function unitEstimate(unit: ScriptUnit, statements: PlanStatements, settings: PlanSettings): { seconds: number; why: string } | undefined {
  let seconds = 0;
  let longest: { seconds: number; why: string } | undefined;
  for (const s of unit.statements) {
    const a = statements.get(s);
    const each = a?.effect === 'catalog' ? 0 : a?.seconds;
    if (a === undefined || each === undefined) return undefined;
    seconds += each;
    const rows = a.table !== undefined ? settings.rows(a.table) : undefined;
    if (!longest || each > longest.seconds) longest = { seconds: each, why: `${s.facts.command}: ${a.effect}${a.table !== undefined && rows !== undefined ? ` of ${quoteName(a.table)}, ${formatCount(rows)} rows` : ''}` };
  }
  return { seconds, why: longest?.why ?? '' };
}

/** A round statement_timeout above an estimate: whole hours, or minutes under an hour. */
function suggestion(seconds: number): string {
  if (seconds < 3000) return `${Math.ceil((seconds * 1.5) / 60 / 5) * 5}min`;
  const hours = Math.ceil((seconds * 1.5) / 3600);
  // PostgreSQL's largest statement_timeout is about 24d 20h (MG118).
  return hours < 24 * 24 ? `${hours}h` : '24d';
}
