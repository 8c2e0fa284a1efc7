import { riskLevels, type Plan, type RiskLevel } from '../../normalize/model.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import type { PlanSettings } from '../settings.js';
import { destructionsRun, type PlanStatements, type Rule } from '../rule.js';
import { quoteName } from '../../sql/quote.js';

interface Reason {
  readonly level: RiskLevel;
  readonly why: string;
  readonly span: Span;
}

/**
 * The least risk the plan's own contents imply, with the reason; table sizes from the plan's
 * settings, what its statements destroy as they run from the SQL analysis.
 */
export function impliedRisk(plan: Plan, settings: Pick<PlanSettings, 'isLarge'>, statements: PlanStatements): Reason | undefined {
  const reasons: Reason[] = [];
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    if (step.rollback?.dataLoss) reasons.push({ level: 'high', why: `step "${step.id}" loses data`, span: step.rollback.span });
    if (step.action?.kind !== 'sql') continue;
    for (const s of step.action.statements) {
      if (destructionsRun(s, statements).length) reasons.push({ level: 'medium', why: `step "${step.id}" runs ${s.facts.command}`, span: s.span });
      const change = s.facts.dataChange;
      if (change && change.kind !== 'insert' && !step.batch && settings.isLarge(change.table)) {
        reasons.push({ level: 'medium', why: `step "${step.id}" changes ${quoteName(change.table)} in one statement`, span: s.span });
      }
    }
  }
  for (const r of plan.rollbackPlan) if (r.dataLoss) reasons.push({ level: 'high', why: `rolling back phase "${r.phase}" loses data`, span: r.span });
  let worst: Reason | undefined;
  for (const r of reasons) if (!worst || riskLevels.indexOf(r.level) > riskLevels.indexOf(worst.level)) worst = r;
  return worst;
}

export const riskUnderstated: Rule = {
  code: 'MG111',
  name: 'risk-understated',
  summary: 'The declared risk is at least what the plan does implies (data loss means high).',
  severity: 'warning',
  check(plan, report, settings, statements) {
    const implied = impliedRisk(plan, settings, statements);
    if (!implied || riskLevels.indexOf(plan.risk) >= riskLevels.indexOf(implied.level)) return;
    report({
      span: plan.spans.risk,
      message: `risk is ${plan.risk}, but ${implied.why}: that makes it at least ${implied.level}`,
      help: `Set risk: ${implied.level} so reviewers and on-call staff size their attention right.`,
      related: [{ span: implied.span, message: implied.why }],
    });
  },
};
