import type { DestructionKind } from '../../sql/facts.js';
import { destructionsRun, type Rule } from '../rule.js';
import { quoteName } from '../../sql/quote.js';

/** What a step can destroy that an empty table or column put back does not restore. */
const losing: ReadonlySet<DestructionKind> = new Set(['drop-table', 'drop-column', 'drop-schema', 'truncate', 'delete-all']);

/**
 * A step that drops or empties data, with a SQL rollback that only puts the structure back (ADD
 * COLUMN, CREATE TABLE: empty), or one that says there is nothing to undo, and does not say it
 * loses data. "Every step has a rollback or is
 * honestly marked": such a rollback looks complete in the report and the checklist, and is not.
 * A rollback that writes rows (INSERT, UPDATE, MERGE, COPY) is taken to restore them.
 */
export const rollbackRestoresNothing: Rule = {
  code: 'MG114',
  name: 'rollback-restores-nothing',
  summary: 'A step that drops or empties data has a rollback that puts back only the empty structure, without saying data_loss.',
  severity: 'error',
  check(plan, report, _settings, analysis) {
    for (const phase of plan.phases) {
      for (const step of phase.steps) {
        const rollback = step.rollback;
        if (step.action?.kind !== 'sql' || (rollback?.kind !== 'sql' && rollback?.kind !== 'nothing') || rollback.dataLoss) continue;
        const lost = step.action.statements.flatMap((s) => destructionsRun(s, analysis)).filter((d) => losing.has(d.kind));
        if (!lost.length) continue;
        if (rollback.kind === 'sql' && rollback.statements.some((s) => s.facts.dataChange !== undefined || 'CopyStmt' in s.ast)) continue;
        const what = lost.map((d) => `${d.kind === 'drop-column' ? 'column' : d.kind === 'drop-schema' ? 'schema' : 'table'} ${quoteName(d.target)}`).join(', ');
        report({
          span: rollback.span,
          message: `step "${step.id}" ${lost.some((d) => d.kind.startsWith('drop')) ? 'drops' : 'empties'} ${what}, and its rollback ${rollback.kind === 'nothing' ? 'says there is nothing to undo' : 'puts back only the structure'}: the data is not restored`,
          help: rollback.kind === 'nothing'
            ? 'There is something to undo: put the structure back and say what is lost, rollback: { sql: ..., data_loss: true, restore: <how to get the data back, e.g. from the backup pre_migration takes> }; or rollback: { irreversible: true, data_loss: true, restore: ... }.'
            : 'Say so, rollback: { sql: ..., data_loss: true, restore: <how to get the data back, e.g. from the backup pre_migration takes> }; or make the rollback restore the rows (keep a copy of them before the step, and INSERT or UPDATE them back).',
        });
      }
    }
  },
};
