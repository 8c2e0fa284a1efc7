import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import type { Plan } from '../normalize/model.js';
import { didYouMean } from '../util/suggest.js';
import { planRules } from './rules/index.js';
import { statementRules } from './sql-rules/index.js';

/** Codes that an allowance or the project config may name: the rules, not input problems. */
export const ruleCodes: readonly string[] = [...planRules, ...statementRules].map((r) => r.code).sort();

/** A step's allow: must name rule codes. */
export function checkAllowances(plan: Plan): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    for (const a of step.allow ?? []) {
      if (ruleCodes.includes(a.code)) continue;
      const guess = didYouMean(a.code, ruleCodes);
      out.push({
        code: 'MG035', severity: 'error', file: plan.file, span: a.span,
        message: `step "${step.id}" allows ${a.code}, which is not a rule`,
        help: guess ? `Did you mean ${guess}? (migc explain ${guess})` : 'Allow only codes of rules (MG1xx, MG2xx); see the rule list in the README.',
      });
    }
  }
  return out;
}

/** The project config's severities: "off" drops a rule's findings, a severity replaces its own. */
export function applyRuleSettings(diagnostics: readonly Diagnostic[], rules: Readonly<Record<string, Severity | 'off'>> | undefined): Diagnostic[] {
  if (!rules) return [...diagnostics];
  return diagnostics.flatMap((d) => {
    const setting = rules[d.code];
    if (setting === undefined || d.severity === 'info') return [d];
    return setting === 'off' ? [] : [{ ...d, severity: setting }];
  });
}
