import { node, relationName } from './ast.js';
import { leaveDoBlock, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { reindexConcurrently } from '../../sql/transaction-block.js';

export const reindexNotConcurrent: StatementRule = {
  code: 'MG203',
  name: 'reindex-not-concurrent',
  summary: 'REINDEX without CONCURRENTLY blocks writes, and nearly every read (the planner locks each index of a table), while it runs.',
  severity: 'warning',
  kinds: ['ReindexStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'ReindexStmt') return;
    if (reindexConcurrently(body)) return;
    const target = body.relation ? relationName(body.relation) : body.name ?? 'the database';
    if (body.relation && ctx.state.isNew(target)) return;
    report({
      // Checked on PostgreSQL 15: during REINDEX INDEX of another index, a SELECT by primary key
      // waits too, for planning it locks every index of the table (the fourteenth trial's class E).
      message: body.relation
        ? `REINDEX ${scopeOf(body)} ${quoteName(target)} blocks writes to ${body.kind === 'REINDEX_OBJECT_INDEX' ? 'its table' : 'the table'}, and nearly every query on it (planning a query locks each index of the table, the one rebuilt included), until ${body.kind === 'REINDEX_OBJECT_INDEX' ? 'the index is' : 'its indexes are'} rebuilt`
        : `REINDEX ${scopeOf(body)}${body.name ? ` ${quoteIdent(body.name)}` : ''} blocks writes to each table, and nearly every query on it (planning a query locks each index of the table), while its indexes are rebuilt, one table after another`,
      help: ctx.postgres >= 12
        ? `Use REINDEX ${String(body.kind).replace('REINDEX_OBJECT_', '')} CONCURRENTLY${body.relation ? ` ${quoteName(target)}` : body.name ? ` ${quoteIdent(body.name)}` : ''}; (PostgreSQL 12+, outside a transaction).${leaveDoBlock(ctx)}`
        : `Before PostgreSQL 12: CREATE INDEX CONCURRENTLY a new index with the same definition, then DROP INDEX CONCURRENTLY the old one and rename the new.${leaveDoBlock(ctx)}`,
    });
  },
};

/** SCHEMA, DATABASE or SYSTEM, as REINDEX names what it rebuilds the indexes of. */
function scopeOf(body: { kind?: string }): string {
  return String(body.kind).replace('REINDEX_OBJECT_', '');
}
