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
        // A step that changes no rows (a VALIDATE, an index) proves its change in the catalog.
        const movesData = step.action.statements.some((st) => st.facts.dataChange !== undefined);
        report({
          span: step.span,
          message: `migrate step "${step.id}" has no verification`,
          help: movesData
            ? 'Add verify: [{ sql: "SELECT count(*) FROM ... WHERE <not yet migrated>", expect: 0 }] so the up script proves the data moved.'
            : 'Add verify: [{ sql: "...", expect: ... }] so the up script proves the change took effect, from the catalog: for example SELECT count(*) FROM pg_constraint WHERE conname = \'<name>\' AND NOT convalidated, expect: 0; or SELECT count(*) FROM pg_index WHERE indexrelid = \'<index>\'::regclass AND indisvalid, expect: 1.',
        });
      }
    }
  },
};
