import { node, relationName } from './ast.js';
import { partitionedIndexRecipe } from './index-not-concurrent.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

/**
 * CREATE INDEX CONCURRENTLY on a partitioned table (one the files or the plan created with
 * PARTITION BY): PostgreSQL refuses it ("cannot create index on partitioned table concurrently",
 * checked on 15 and 18), so the migration stops there, new table or not.
 */
export const concurrentlyOnPartitioned: StatementRule = {
  code: 'MG233',
  name: 'concurrently-on-partitioned',
  summary: 'CREATE INDEX CONCURRENTLY on a partitioned table fails: PostgreSQL builds such an index only partition by partition.',
  severity: 'error',
  kinds: ['IndexStmt'],
  check(ctx, report) {
    const [, body] = node(ctx.ast);
    if (!body.concurrent) return;
    const table = relationName(body.relation);
    // Before PostgreSQL 11 it is refused concurrently or not, and the recipe (ON ONLY, ATTACH) is
    // not there either: MG239 says what to write instead.
    if (ctx.state.table(table)?.partitioned !== true || ctx.postgres < 11) return;
    report({
      message: `CREATE INDEX CONCURRENTLY on partitioned table ${quoteName(table)}: PostgreSQL refuses it, and the migration fails here`,
      refused: 'certain',
      help: partitionedIndexRecipe(table, body.idxname ?? ctx.state.generatedNames(ctx.ast).get(body)),
    });
  },
};
