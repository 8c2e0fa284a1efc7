import type { StatementRule } from '../sql/context.js';
import type { PgNode } from '../../sql/parser.js';
import { isCatalogTable, node, targetsFewRows } from './ast.js';

/** INSERT ... SELECT (a backfill), not INSERT ... VALUES (a few rows). */
function insertsQueryRows(ast: PgNode): boolean {
  const [kind, body] = node(ast);
  const select = body.selectStmt?.SelectStmt;
  return kind === 'InsertStmt' && select !== undefined && select.valuesLists === undefined;
}

export const backfillWithDdl: StatementRule = {
  code: 'MG218',
  name: 'backfill-with-ddl',
  summary: 'A data backfill in the same transaction as DDL on its table holds the DDL\'s lock for the whole backfill.',
  severity: 'warning',
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    if (!ctx.inTransaction || !change || (change.kind === 'insert' && !insertsQueryRows(ctx.ast))) return;
    if (ctx.state.isNew(change.table) || isCatalogTable(change.table)) return;
    if (targetsFewRows(ctx.ast, ctx.state.table(change.table)?.uniqueColumns ?? new Set())) return;
    const ddl = ctx.earlier.firstLocking(change.table, 'ShareRowExclusiveLock');
    if (!ddl) return;
    report({
      message: `this ${change.kind.toUpperCase()} runs in the same transaction as ${ddl.facts.command} on ${change.table}, so ${change.table} stays locked against every reader or writer until the backfill commits`,
      help: ctx.mode === 'plan'
        ? 'Commit the DDL first, then backfill in its own step (in batches on a large table).'
        : 'Commit the DDL first, then backfill in a later transaction (a COMMIT between them, or a later migration file), in batches on a large table.',
    });
  },
};
