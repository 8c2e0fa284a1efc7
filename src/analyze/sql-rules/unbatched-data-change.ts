import { isLarge, sizeNote, type StatementRule } from '../sql/context.js';
import { largeTableRows } from '../tables.js';
import { isCatalogTable, isOneBatch, targetsFewRows } from './ast.js';

/** One UPDATE or DELETE over a large table holds row locks, bloats and lags replicas: batch it. */
export const unbatchedDataChange: StatementRule = {
  code: 'MG112',
  name: 'unbatched-data-change',
  summary: 'An UPDATE or DELETE on a large table runs in batches.',
  severity: 'warning',
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    if (!change || (change.kind !== 'update' && change.kind !== 'delete') || ctx.batched || ctx.inRollback) return;
    if (ctx.state.isNew(change.table) || !isLarge(ctx, change.table) || isCatalogTable(change.table)) return;
    const unique = ctx.state.table(change.table)?.uniqueColumns ?? new Set<string>();
    // A few rows by key, or one batch of a loop the file's author wrote: not one big change.
    if (targetsFewRows(ctx.ast, unique) || isOneBatch(ctx.ast, unique)) return;
    report({
      message: `${change.kind.toUpperCase()} over ${sizeNote(ctx, change.table)} in one statement holds row locks on every row it touches until it commits`,
      help: ctx.mode === 'plan'
        ? `Add batch: { size: 10000 } to the step so it commits every 10,000 rows; or, if the table is small, say so in tables: { ${change.table}: { rows: N } } (under ${largeTableRows.toLocaleString('en-US')} is small).`
        : `Update in batches by key range, committing after each (for example 10,000 rows at a time), or give the table's size with --assume-rows ${change.table}=N if it is small (under ${largeTableRows.toLocaleString('en-US')}).`,
    });
  },
};
