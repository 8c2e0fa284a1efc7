import { isLarge, sizeNote, type StatementRule } from '../sql/context.js';
import { largeTableRows } from '../tables.js';
import { isCatalogTable, isOneBatch, targetsFewRows } from './ast.js';
import { formatCount } from '../../util/numbers.js';

/**
 * One UPDATE or DELETE over a large table holds row locks, bloats and lags replicas: batch it.
 * A rollback is judged like a step: undoing a backfill touches as many rows as the backfill,
 * and a down script runs under the same statement_timeout (a rollback can be batched too).
 */
export const unbatchedDataChange: StatementRule = {
  code: 'MG112',
  name: 'unbatched-data-change',
  summary: 'An UPDATE or DELETE on a large table runs in batches.',
  severity: 'warning',
  kinds: ['UpdateStmt', 'DeleteStmt'],
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    if (!change || (change.kind !== 'update' && change.kind !== 'delete') || ctx.batched) return;
    if (ctx.state.isNew(change.table) || !isLarge(ctx, change.table) || isCatalogTable(change.table)) return;
    const unique = ctx.state.table(change.table)?.uniqueColumns ?? new Set<string>();
    // A few rows by key, or one batch of a loop the file's author wrote: not one big change.
    if (targetsFewRows(ctx.ast, unique) || isOneBatch(ctx.ast, unique)) return;
    const verb = change.kind === 'update' ? 'Update' : 'Delete';
    const small = () => `say so in tables: { ${change.table}: { rows: N } } (under ${formatCount(largeTableRows)} is small)`;
    report({
      message: `${change.kind.toUpperCase()} over ${sizeNote(ctx, change.table)} in one statement${ctx.inRollback ? ' (a rollback)' : ''} holds row locks on every row it touches until it commits`,
      help: ctx.mode === 'lint'
        ? `${verb} in batches by key range, committing after each (for example 10,000 rows at a time), or give the table's size with --assume-rows ${change.table}=N if it is small (under ${formatCount(largeTableRows)}).`
        : ctx.inRollback
          ? `Batch the rollback as a step is batched, rollback: { sql: ..., batch: { size: 10000 } }, so the down script commits every 10,000 rows instead of running one transaction under statement_timeout; or, if the table is small, ${small()}.`
          : `Add batch: { size: 10000 } to the step so it commits every 10,000 rows; or, if the table is small, ${small()}.`,
    });
  },
};
