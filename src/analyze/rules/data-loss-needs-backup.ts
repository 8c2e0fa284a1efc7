import { losesData } from '../../normalize/model.js';
import type { Rule } from '../rule.js';

/** A step whose rollback loses data is only acceptable with a backup taken first. */
export const dataLossNeedsBackup: Rule = {
  code: 'MG105',
  name: 'data-loss-needs-backup',
  summary: 'A step that loses data requires a backup among the pre-migration tasks.',
  severity: 'error',
  check(plan, report) {
    if (plan.preMigration.backup) return;
    for (const phase of plan.phases) {
      for (const step of phase.steps) {
        if (!losesData(step)) continue;
        report({
          span: step.rollback!.span,
          message: `step "${step.id}" loses data, but the plan takes no backup first`,
          help: 'Add pre_migration: { backup: { command: "pg_dump -Fc -t <table> -f <file> \\"$DATABASE_URL\\"" } } and say in restore how to use it.',
        });
      }
    }
  },
};
