import { makeObjectName } from '../../sql/generated-names.js';
import type { Rule } from '../rule.js';
import type { Batch, Statement } from '../../normalize/model.js';
import { relationName } from '../../sql/facts.js';
import { walkedTable } from '../../sql/batch.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { formatCount } from '../../util/numbers.js';
import { SchemaState, tableKey } from '../sql/schema-state.js';
import { largeTableRows } from '../tables.js';
import { learnFrom, type SeenTable } from '../sql-rules/seen-tables.js';

/**
 * The key a batch loop walks (src/sql/batch.ts): each batch asks for the next `size` keys in order
 * (`ORDER BY key LIMIT size`) and for the smallest key after the last (`min(key)`). Without an
 * index that starts with the key, each of those scans the whole table: a table of N rows costs
 * N / size scans (reported for a table not known to be small). Rows whose key is NULL are never
 * in a range, so the loop leaves them as they were. A key that is no column of the table fails the
 * loop at once: that is an error, not a warning. Judged only where the
 * plan shows the whole table: created in the baseline or by the plan, with its indexes.
 */
export const batchKey: Rule = {
  code: 'MG128',
  name: 'batch-key',
  summary: 'A batch loop walks a key that no index starts with (a scan of the table per batch), that can be NULL (those rows are never walked), or that is no column of the table (an error: the loop fails).',
  severity: 'warning',
  check(plan, report, settings) {
    const state = new SchemaState();
    const tables = new Map<string, SeenTable>();
    for (const s of plan.baseline?.statements ?? []) {
      learnFrom(tables, state.withGeneratedNames(s.ast));
      state.apply(s.ast, false);
    }
    state.settle();

    const judge = (statements: readonly Statement[], batch: Batch, what: string) => {
      const rel = statements.length === 1 ? walkedTable(statements[0]!.ast) : undefined;
      if (!rel) return; // MG032 says what shape a batched statement takes
      const table = relationName(rel);
      const seen = tables.get(tableKey(table));
      const known = state.table(table);
      if (!seen?.created || !known || known.partial) return;
      const key = batch.key;
      const column = known.columns.get(key);
      if (!column) {
        // Not a hazard but a certain failure: an error, whatever the rule's usual severity.
        report({
          span: batch.span,
          severity: 'error',
          message: `${what} walks ${quoteName(table)} by ${quoteIdent(key)}, which is not a column of ${quoteName(table)}: the loop fails at its first batch`,
          help: `Give the key the loop walks: batch: { key: <column> }, a column of ${quoteName(table)} that identifies its rows, best its primary key (key: id is the default).`,
        });
        return;
      }
      const rows = settings.rows(table);
      const indexed = [...seen.indexes.values()].some((columns) => columns[0] === key);
      // A small table is scanned in no time; one of unknown size is assumed large, as elsewhere.
      if (!indexed && (rows === undefined || rows >= largeTableRows)) {
        report({
          span: batch.span,
          message: `${what} walks ${quoteName(table)} by ${quoteIdent(key)}, which no index of ${quoteName(table)} starts with: each batch finds its range by scanning the whole table${rows ? ` (${formatCount(rows)} rows, ${formatCount(Math.ceil(rows / batch.size))} batches: as many scans)` : ''}`,
          help: `Walk the primary key or another indexed column (batch: { key: id }), or build the index in an earlier step: CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(makeObjectName(rel.relname, key, 'idx'))} ON ${quoteName(table)} (${quoteIdent(key)});`,
        });
      }
      const checked = [...known.notNullChecks.values()].some((c) => c.column === key && c.validated);
      if (!column.notNull && !checked) {
        report({
          span: batch.span,
          message: `${what} walks ${quoteName(table)} by ${quoteIdent(key)}, which can be NULL: the loop never reaches rows whose ${quoteIdent(key)} is NULL, and leaves them as they were`,
          help: `Walk a column that is never NULL, best the primary key (batch: { key: id }); or handle the rows without a ${quoteIdent(key)} in a step of their own.`,
        });
      }
    };

    for (const phase of plan.phases) {
      for (const step of phase.steps) {
        if (step.action?.kind !== 'sql') continue;
        if (step.batch) judge(step.action.statements, step.batch, `step "${step.id}"`);
        // The rollback runs on the schema the step left.
        for (const s of step.action.statements) {
          learnFrom(tables, state.withGeneratedNames(s.ast));
          state.apply(s.ast, true);
        }
        const rollback = step.rollback;
        if (rollback?.kind === 'sql' && rollback.batch) judge(rollback.statements, rollback.batch, `the rollback of step "${step.id}"`);
      }
    }
  },
};
