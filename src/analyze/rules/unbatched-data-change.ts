import { isLargeTable, largeTableRows, tableRows } from '../tables.js';
import type { Rule } from '../rule.js';

/** One UPDATE or DELETE over a large table holds row locks, bloats and lags replicas: batch it. */
export const unbatchedDataChange: Rule = {
  code: 'MG112',
  name: 'unbatched-data-change',
  summary: 'An UPDATE or DELETE on a large table runs in batches.',
  severity: 'warning',
  check(plan, report) {
    for (const phase of plan.phases) {
      for (const step of phase.steps) {
        if (step.action?.kind !== 'sql' || step.batch) continue;
        for (const statement of step.action.statements) {
          const change = statement.facts.dataChange;
          if (!change || (change.kind !== 'update' && change.kind !== 'delete')) continue;
          if (!isLargeTable(plan, change.table)) continue;
          const rows = tableRows(plan, change.table);
          report({
            span: statement.span,
            message: `step "${step.id}" runs one ${change.kind.toUpperCase()} over ${change.table} (${rows === undefined ? 'no size hint: assumed large' : `${rows.toLocaleString('en-US')} rows`})`,
            help: `Add batch: { size: 10000 } to the step so it commits every 10,000 rows; or, if the table is small, say so in tables: { ${change.table}: { rows: N } } (under ${largeTableRows.toLocaleString('en-US')} is small).`,
          });
        }
      }
    }
  },
};
