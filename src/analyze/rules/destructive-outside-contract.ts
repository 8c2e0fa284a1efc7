import type { DestructionKind } from '../../sql/facts.js';
import type { Rule } from '../rule.js';

export const destructionLabels: Record<DestructionKind, string> = {
  'drop-table': 'drops table',
  'drop-column': 'drops column',
  'drop-schema': 'drops schema',
  truncate: 'truncates',
  'delete-all': 'deletes every row of',
  'rename-table': 'renames table',
  'rename-view': 'renames view',
  'rename-column': 'renames column',
};

/** Drops, truncates, unfiltered deletes and renames break or lose data: they belong in contract. */
export const destructiveOutsideContract: Rule = {
  code: 'MG102',
  name: 'destructive-outside-contract',
  summary: 'Destructive statements (DROP TABLE/COLUMN, TRUNCATE, DELETE without WHERE, renames) only in a contract phase.',
  severity: 'error',
  check(plan, report) {
    for (const phase of plan.phases) {
      if (phase.kind === 'contract') continue;
      for (const step of phase.steps) {
        if (step.action?.kind !== 'sql') continue;
        for (const statement of step.action.statements) {
          for (const d of statement.facts.destructive) {
            report({
              span: statement.span,
              message: `step "${step.id}" ${destructionLabels[d.kind]} ${d.target} in ${phase.kind} phase "${phase.name}"`,
              help: d.kind.startsWith('rename')
                ? 'A rename breaks the code still running. Add the new name in expand (new column or view), copy in migrate, and drop the old one in contract.'
                : 'Move this statement to a contract phase gated on the migrate phase\'s verification, once nothing reads the data any more.',
            });
          }
        }
      }
    }
  },
};
