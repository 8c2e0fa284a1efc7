import { didYouMean } from '../../util/suggest.js';
import { phaseRunsSql } from '../../normalize/model.js';
import type { Rule } from '../rule.js';

/**
 * A plan-wide verification becomes an assertion at the end of a phase's up script, so the phase
 * it names in after must exist and have a script; without after, some phase must have one.
 */
export const planVerificationPhase: Rule = {
  code: 'MG113',
  name: 'plan-verification-phase',
  summary: 'A plan-wide verification is checked at the end of a phase that has SQL scripts.',
  severity: 'error',
  check(plan, report) {
    const names = plan.phases.map((p) => p.name);
    const withSql = plan.phases.filter(phaseRunsSql).map((p) => p.name);
    for (const v of plan.verify) {
      if (v.after === undefined) {
        if (!withSql.length) {
          report({ span: v.span, message: `plan-wide verification ${v.number} has no script to run in: no phase of this plan has SQL`, help: 'Move the query into a plan that has SQL, or check it by hand as a task (pre_migration.tasks).' });
        }
        continue;
      }
      const at = v.afterSpan ?? v.span;
      if (!names.includes(v.after)) {
        const guess = didYouMean(v.after, names);
        report({ span: at, message: `plan-wide verification ${v.number} is checked after unknown phase "${v.after}"`, help: guess ? `Did you mean "${guess}"?` : `Phases of this plan: ${names.join(', ')}.` });
      } else if (!withSql.includes(v.after)) {
        report({
          span: at,
          message: `plan-wide verification ${v.number} is checked after phase "${v.after}", which has no SQL script to check it in`,
          help: withSql.length ? `Name a phase with SQL (${withSql.join(', ')}), or leave out after to check it at the end of the plan.` : 'No phase of this plan has SQL: check the query by hand instead.',
        });
      }
    }
  },
};
