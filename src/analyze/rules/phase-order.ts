import { phaseKinds } from '../../normalize/model.js';
import type { Rule } from '../rule.js';

/** expand, then migrate, then contract: a phase never follows one of a later kind. */
export const phaseOrder: Rule = {
  code: 'MG101',
  name: 'phase-order',
  summary: 'Phases run expand, then migrate, then contract.',
  severity: 'error',
  check(plan, report) {
    let latest = plan.phases[0];
    for (const phase of plan.phases) {
      if (latest && phaseKinds.indexOf(phase.kind) < phaseKinds.indexOf(latest.kind)) {
        report({
          span: phase.kindSpan,
          message: `${phase.kind} phase "${phase.name}" comes after ${latest.kind} phase "${latest.name}"`,
          help: `Order the phases expand, migrate, contract: move "${phase.name}" before "${latest.name}", or split the plan in two.`,
          related: [{ span: latest.kindSpan, message: `the ${latest.kind} phase "${latest.name}" is here` }],
        });
      } else {
        latest = phase;
      }
    }
  },
};
