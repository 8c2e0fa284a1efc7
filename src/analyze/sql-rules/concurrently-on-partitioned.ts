import { node, relationName } from './ast.js';
import { partitionedIndexRecipe } from './index-not-concurrent.js';
import { partitionedDropHelp } from './drop-index-not-concurrent.js';
import { tableKey } from '../sql/schema-state.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

/**
 * CREATE INDEX CONCURRENTLY on a partitioned table (one the files or the plan created with
 * PARTITION BY): PostgreSQL refuses it ("cannot create index on partitioned table concurrently",
 * checked on 15 and 18), so the migration stops there, new table or not. DROP INDEX CONCURRENTLY
 * of an index of a partitioned table likewise ("cannot drop partitioned index ... concurrently",
 * checked on PGlite and 15: test/partitioned-index-drop.test.ts; the thirty-eighth trial's class J).
 */
export const concurrentlyOnPartitioned: StatementRule = {
  code: 'MG233',
  name: 'concurrently-on-partitioned',
  summary: 'CREATE INDEX CONCURRENTLY on a partitioned table, or DROP INDEX CONCURRENTLY of an index of one, fails: PostgreSQL builds such an index only partition by partition, and drops it only under a lock.',
  severity: 'error',
  kinds: ['IndexStmt', 'DropStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (!body.concurrent) return;
    if (kind === 'DropStmt') {
      // Before PostgreSQL 11 a partitioned table has no index of its own to drop.
      if (body.removeType !== 'OBJECT_INDEX' || ctx.postgres < 11) return;
      const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
      const partitioned = names.filter((n) => {
        const table = ctx.state.indexTables.get(tableKey(n));
        return table !== undefined && ctx.state.table(table)?.partitioned === true;
      });
      if (!partitioned.length) return;
      const table = ctx.state.indexTables.get(tableKey(partitioned[0]!))!;
      report({
        message: `DROP INDEX CONCURRENTLY ${partitioned.map(quoteName).join(', ')}, an index of partitioned table ${quoteName(table)}: PostgreSQL refuses it, and the migration fails here`,
        refused: 'certain',
        help: partitionedDropHelp(partitioned.map(quoteName), body.missing_ok === true ? 'IF EXISTS ' : ''),
      });
      return;
    }
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
