import type { Rule } from '../rule.js';

/** A migrate step moves data; without a query proving it did, the contract phase is a leap of faith. */
export const verificationCoverage: Rule = {
  code: 'MG106',
  name: 'verification-coverage',
  summary: 'Every SQL step of a migrate phase verifies its effect.',
  severity: 'error',
  check(plan, report) {
    for (const phase of plan.phases) {
      if (phase.kind !== 'migrate') continue;
      for (const step of phase.steps) {
        if (step.action?.kind !== 'sql' || step.verify.length > 0) continue;
        report({
          span: step.span,
          message: `migrate step "${step.id}" has no verification`,
          help: 'Add verify: [{ sql: "SELECT count(*) FROM ... WHERE <not yet migrated>", expect: 0 }] so the up script proves the data moved.',
        });
      }
    }
  },
};
