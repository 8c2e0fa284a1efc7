import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { reindexConcurrently } from '../../sql/transaction-block.js';

/**
 * The minor releases of PostgreSQL 14 whose concurrent index builds can miss rows: an
 * optimization of 14.0 made CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY sometimes leave
 * out rows updated while the index was built; 14.4 reverted it (release notes of 14.4, E.x.1:
 * "if you have any indexes that were created using the CONCURRENTLY option under 14.X, you should
 * re-index them after updating").
 */
export const concurrentBuildBug = { major: 14, fixedIn: 4 } as const;

export const concurrentBuildOn14: StatementRule = {
  code: 'MG240',
  name: 'concurrent-index-bug-14',
  summary: 'CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY on PostgreSQL 14.0 to 14.3 can build an index that misses rows updated during the build (fixed in 14.4); judged when the version names its minor release (14.3).',
  severity: 'error',
  kinds: ['IndexStmt', 'ReindexStmt'],
  check(ctx, report) {
    if (ctx.postgres !== concurrentBuildBug.major || ctx.postgresMinor === undefined || ctx.postgresMinor >= concurrentBuildBug.fixedIn) return;
    const [kind, body] = node(ctx.ast);
    const concurrent = kind === 'IndexStmt' ? body.concurrent === true
      : kind === 'ReindexStmt' && reindexConcurrently(body);
    if (!concurrent) return;
    // A table this migration created has no rows being updated while the index is built.
    if (kind === 'IndexStmt' && ctx.state.isNew(relationName(body.relation))) return;
    const command = kind === 'IndexStmt' ? 'CREATE INDEX CONCURRENTLY' : 'REINDEX CONCURRENTLY';
    report({
      message: `PostgreSQL 14.${ctx.postgresMinor} can ${built(kind, body)} with rows missing: ${command} on 14.0 to 14.3 may leave out rows updated while it runs (fixed in 14.4), and queries that use the index then miss them`,
      help: `Update the server to PostgreSQL 14.4 or later first (a minor update: no dump and restore), then run this. Indexes already built with CONCURRENTLY on 14.0 to 14.3 should be rebuilt after the update (REINDEX INDEX CONCURRENTLY name), or checked with amcheck's bt_index_check(index, heapallindexed => true). Without the update, build it without CONCURRENTLY, which blocks writes to the table while it runs.`,
    });
  },
};

/** What the statement builds, as the message names it: "build the index x on t", "rebuild the indexes of t". */
function built(kind: string, body: Record<string, any>): string {
  if (kind === 'IndexStmt') return `build the index ${body.idxname ? `${quoteIdent(body.idxname)} ` : ''}on ${quoteName(relationName(body.relation))}`;
  if (body.kind === 'REINDEX_OBJECT_INDEX') return `rebuild the index ${quoteName(relationName(body.relation))}`;
  if (body.kind === 'REINDEX_OBJECT_TABLE') return `rebuild the indexes of ${quoteName(relationName(body.relation))}`;
  const scope = String(body.kind).replace('REINDEX_OBJECT_', '').toLowerCase();
  return `rebuild the indexes of ${body.name ? `${scope} ${quoteIdent(body.name)}` : `the ${scope}`}`;
}
