import { addedConstraints, alterTableCommands, node, relationName } from './ast.js';
import { learn, learnedKinds, seenTable } from './seen-tables.js';
import { leaveDoBlock, type StatementContext, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** Whether some index's leading columns are exactly the foreign key's columns, in any order. */
function covered(columns: readonly string[], indexes: Iterable<(string | null)[]>): boolean {
  const want = new Set(columns);
  // A table can have hundreds of indexes: looked at in place, none copied.
  for (const index of indexes) {
    if (index.length < want.size) continue;
    let leads = true;
    for (let i = 0; i < want.size && leads; i++) leads = index[i] !== null && want.has(index[i]!);
    if (leads) return true;
  }
  return false;
}

/**
 * Column lists of the indexes the statements after this one (the rest of the file or step) build
 * on `table`: CREATE INDEX without WHERE, ADD PRIMARY KEY / UNIQUE. Generated migrations often
 * add the foreign key before the index that serves it (Langfuse's hand-edited Prisma scripts).
 */
function indexesBuiltLater(ctx: StatementContext, table: string): (string | null)[][] {
  const key = tableKey(table);
  const found: (string | null)[][] = [];
  for (const ast of ctx.later()) {
    const [kind, body] = node(ast);
    if (kind === 'IndexStmt' && !body.whereClause && tableKey(relationName(body.relation)) === key) {
      found.push((body.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? null));
    } else if (kind === 'AlterTableStmt' && tableKey(relationName(body.relation)) === key) {
      for (const { constraint } of addedConstraints(ast, ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'])) {
        const keys = (constraint.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval ?? null);
        if (keys.length) found.push(keys);
      }
    }
  }
  return found;
}

/**
 * An ALTER TABLE that adds a foreign key to a table: whether an index covers its columns, built
 * before it or later in the same file (or step). A new
 * table's inline foreign keys are not judged when it is created, since its indexes usually
 * follow in the next statements; the rule judges keys added to a table that already exists.
 */
export const foreignKeyWithoutIndex: StatementRule = {
  code: 'MG230',
  name: 'foreign-key-without-index',
  summary: 'A foreign key without an index on its referencing columns makes every DELETE or key UPDATE on the referenced table scan the referencing table.',
  severity: 'warning',
  kinds: learnedKinds,
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (alter && !ctx.state.isNew(alter.table)) {
      const known = seenTable(ctx, alter.table);
      // Its creation seen: all its indexes are known. Otherwise only those created since: one may cover the key.
      const seen = known?.created ? known : undefined;
      // ADD CONSTRAINT ... FOREIGN KEY and ADD COLUMN ... REFERENCES alike, each at its subcommand.
      for (const { constraint, subcommand } of addedConstraints(ctx.ast, ['CONSTR_FOREIGN'])) {
        const columns: string[] = (constraint.fk_attrs ?? []).map((a: { String?: { sval?: string } }) => a.String?.sval);
        if (!columns.length) continue;
        const referenced = relationName(constraint.pktable);
        const unique = columns.length === 1 && ctx.state.table(alter.table)?.uniqueColumns.has(columns[0]!);
        if (unique || (known && covered(columns, known.indexes.values())) || covered(columns, indexesBuiltLater(ctx, alter.table))) continue;
        const cols = columns.map(quoteIdent).join(', ');
        report({
          message: seen
            ? `${quoteName(alter.table)} (${cols}) references ${quoteName(referenced)} but has no index on (${cols}): every DELETE on ${quoteName(referenced)}, and every UPDATE of its key, scans ${quoteName(alter.table)}`
            : `${quoteName(alter.table)} (${cols}) references ${quoteName(referenced)} and may have no index on (${cols}) (migc has not seen the indexes of ${quoteName(alter.table)}): without one, every DELETE on ${quoteName(referenced)} scans ${quoteName(alter.table)}`,
          help: ctx.state.table(alter.table)?.partitioned
            // CONCURRENTLY is refused on a partitioned table (MG233): the index is built partition by partition.
            ? `Create the index first, partition by partition: CREATE INDEX ${quoteIdent(`${alter.table.replace(/^.*\./, '')}_${columns.join('_')}_idx`)} ON ONLY ${quoteName(alter.table)} (${columns.map(quoteIdent).join(', ')}); then on each partition CREATE INDEX CONCURRENTLY and ALTER INDEX ... ATTACH PARTITION; then add the foreign key.`
            : `Create the index first: CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(`${alter.table.replace(/^.*\./, '')}_${columns.join('_')}_idx`)} ON ${quoteName(alter.table)} (${columns.map(quoteIdent).join(', ')}); then add the foreign key NOT VALID and validate it.${leaveDoBlock(ctx)}`,
          ...(seen ? {} : { severity: 'info' as const }),
          subcommand,
        });
      }
    }
    learn(ctx);
  },
};
