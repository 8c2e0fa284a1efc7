import type { StatementRule } from '../sql/context.js';
import { targetsFewRows } from './ast.js';

export const backfillWithDdl: StatementRule = {
  code: 'MG218',
  name: 'backfill-with-ddl',
  summary: 'A data backfill in the same transaction as DDL on its table holds the DDL\'s lock for the whole backfill.',
  severity: 'warning',
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    if (!ctx.inTransaction || !change || change.kind === 'insert' && !ctx.text.match(/\bselect\b/i)) return;
    if (ctx.state.isNew(change.table)) return;
    if (targetsFewRows(ctx.ast, ctx.state.table(change.table)?.uniqueColumns ?? new Set())) return;
    const ddl = ctx.earlier.firstLocking(change.table, 'ShareRowExclusiveLock');
    if (!ddl) return;
    report({
      message: `this ${change.kind.toUpperCase()} runs in the same transaction as ${ddl.facts.command} on ${change.table}, so ${change.table} stays locked against every reader or writer until the backfill commits`,
      help: 'Commit the DDL first, then backfill in its own step (in batches on a large table).',
    });
  },
};
