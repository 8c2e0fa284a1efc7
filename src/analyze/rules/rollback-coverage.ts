import type { Rule } from '../rule.js';

/** Every step says how to undo it, or honestly that it cannot be undone. */
export const rollbackCoverage: Rule = {
  code: 'MG104',
  name: 'rollback-coverage',
  summary: 'Every step has a rollback or is explicitly marked irreversible.',
  severity: 'error',
  check(plan, report) {
    for (const phase of plan.phases) {
      for (const step of phase.steps) {
        if (step.rollback) continue;
        report({
          span: step.span,
          message: `step "${step.id}" has no rollback`,
          help: 'Add rollback: { sql: ... } (or run / manual); if it cannot be undone, rollback: { irreversible: true, data_loss: ..., restore: ... }.',
        });
      }
    }
  },
};
