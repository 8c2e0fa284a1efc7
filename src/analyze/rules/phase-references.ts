import type { Span } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../util/suggest.js';
import type { Rule } from '../rule.js';

/** Code changes, the rollback plan and the timeline name phases that exist. */
export const phaseReferences: Rule = {
  code: 'MG108',
  name: 'phase-references',
  summary: 'Code changes, rollback plan entries and timeline milestones name phases of the plan.',
  severity: 'error',
  check(plan, report) {
    const names = plan.phases.map((p) => p.name);
    const check = (name: string, span: Span, what: string) => {
      if (names.includes(name)) return;
      const guess = didYouMean(name, names);
      report({ span, message: `${what} names unknown phase "${name}"`, help: guess ? `Did you mean "${guess}"?` : `Phases of this plan: ${names.join(', ')}.` });
    };
    for (const c of plan.codeChanges) check(c.deployPhase, c.span, `code change to ${c.file}`);
    for (const r of plan.rollbackPlan) check(r.phase, r.span, 'rollback plan entry');
    for (const m of plan.timeline) if (m.phase !== undefined) check(m.phase, m.phaseSpan!, `milestone ${m.at}`);
  },
};
