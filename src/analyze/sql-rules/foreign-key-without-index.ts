import { addedConstraints, alterTableCommands, node, relationName } from './ast.js';
import { learn, learnedKinds, seenTable } from './seen-tables.js';
import { leaveDoBlock, type StatementContext, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { skippedPart } from '../sql/skips.js';
import type { PgNode } from '../../sql/parser.js';
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
 * Column lists of the indexes `statements` build on the table keyed `key`: CREATE INDEX without
 * WHERE, ADD PRIMARY KEY / UNIQUE; each with whether PostgreSQL may skip it (IF NOT EXISTS, ALTER
 * TABLE IF EXISTS, ADD COLUMN IF NOT EXISTS). Undefined entries (statements skipped whole) build none.
 */
function indexesBuilt(statements: readonly (PgNode | undefined)[], key: string): { columns: (string | null)[]; mayBeSkipped: boolean }[] {
  const found: { columns: (string | null)[]; mayBeSkipped: boolean }[] = [];
  for (const ast of statements) {
    if (!ast) continue;
    const [kind, body] = node(ast);
    if (tableKey(relationName(body.relation)) !== key) continue;
    if (kind === 'IndexStmt' && !body.whereClause) {
      found.push({ columns: (body.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? null), mayBeSkipped: body.if_not_exists === true });
    } else if (kind === 'AlterTableStmt') {
      for (const { constraint, subcommand } of addedConstraints(ast, ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'])) {
        const columns = (constraint.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval ?? null);
        if (columns.length) found.push({ columns, mayBeSkipped: body.missing_ok === true || body.cmds?.[subcommand]?.AlterTableCmd?.missing_ok === true });
      }
    }
  }
  return found;
}

/**
 * Whether an index the statements after this one (the rest of the file or step) build covers the
 * key. Generated migrations often add the foreign key before the index that serves it
 * (Langfuse's hand-edited Prisma scripts). Only what PostgreSQL runs of them counts: CREATE INDEX
 * IF NOT EXISTS of a name an index (of other columns, maybe) already has builds nothing, nor does
 * ADD COLUMN IF NOT EXISTS ... UNIQUE of a column there (src/analyze/sql/skips.ts).
 */
function coveredLater(ctx: StatementContext, table: string, columns: readonly string[]): boolean {
  const key = tableKey(table);
  const later = ctx.later();
  const built = indexesBuilt(later, key);
  if (covered(columns, built.filter((b) => !b.mayBeSkipped).map((b) => b.columns))) return true;
  if (!covered(columns, built.map((b) => b.columns))) return false;
  // Only a statement PostgreSQL may skip covers it: what runs of them decides.
  return covered(columns, indexesBuilt(laterRuns(ctx, later), key).map((b) => b.columns));
}

/**
 * What PostgreSQL runs of each later statement (undefined: skipped whole), given what this one
 * and those between do: walked on the schema state, and undone.
 */
function laterRuns(ctx: StatementContext, later: readonly PgNode[]): (PgNode | undefined)[] {
  return ctx.state.tentatively(() => {
    ctx.state.apply(ctx.ast, true);
    return later.map((ast) => {
      const skipped = skippedPart(ast, ctx.state);
      ctx.state.apply(ast, true);
      return skipped ? skipped.runs : ast;
    });
  });
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
        if (unique || (known && covered(columns, known.indexes.values())) || coveredLater(ctx, alter.table, columns)) continue;
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
