import { node, relationName } from './ast.js';
import { plainIndex, seenTable, stillThere } from './seen-tables.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { partitionedDropHelp } from './drop-index-not-concurrent.js';

/**
 * A CREATE INDEX that builds what the table has already: a plain B-tree on the same columns, in
 * the same order, as another (for a unique one, another unique one), its PRIMARY KEY's and UNIQUE
 * constraints' included. PostgreSQL keeps both: the build scans the table under its lock, and
 * every write then updates two indexes, where one serves every lookup. appflowy adds `publish_namespace
 * text UNIQUE`, then `CREATE INDEX publish_namespace_idx ON af_workspace (publish_namespace)` (the
 * twenty-fourth trial's H). Judged against the indexes migc saw made; partial, expression and
 * other indexes (GIN, operator classes, collations, ordering, INCLUDE) are left out. Said only when
 * both are there once the files have run: an index built to take another's place (the old one
 * dropped after it) is no repeat.
 */
export const duplicateIndex: StatementRule = {
  code: 'MG251',
  name: 'duplicate-index',
  summary: 'CREATE INDEX of a plain B-tree on the same columns, in the same order, as an index the table has (its primary key\'s or a unique constraint\'s included): the build and every write pay for a second index that serves no lookup the first does not.',
  severity: 'warning',
  kinds: ['IndexStmt'],
  check(ctx, report) {
    if (ctx.inRollback) return;
    // An unnamed index under the name PostgreSQL gives it, as the tables seen know it.
    const [, body] = node(ctx.state.withGeneratedNames(ctx.ast));
    if (!plainIndex(body) || typeof body.idxname !== 'string') return;
    // The tables seen, with or without this statement's index (MG230 learns it): the others are those before it.
    const table = relationName(body.relation);
    const t = seenTable(ctx, table);
    if (!t) return;
    const columns: string[] = (body.indexParams ?? []).map((p: { IndexElem: { name: string } }) => p.IndexElem.name);
    for (const [name, other] of t.indexes) {
      if (name === body.idxname || !t.plainIndexes.has(name) || other.length !== columns.length || other.some((c, i) => c !== columns[i])) continue;
      // A unique index is a constraint a plain one is not: only another unique one repeats it.
      if (body.unique && !t.uniqueIndexes.has(name)) continue;
      const owner = t.keyIndexes.has(name) ? `${quoteIdent(name)} (the index of the constraint of that name)` : quoteIdent(name);
      // Not a step of a swap: built beside the old one to take its place (the old dropped after,
      // the new renamed to its name), as an index is rebuilt by hand or a key moved to a new one.
      const idxname: string = body.idxname;
      const both = () => stillThere(ctx.state, t) && t.indexes.has(name) && t.indexes.has(idxname);
      report({
        standsAtEnd: both,
        message: `${body.unique ? 'unique ' : ''}index ${quoteIdent(body.idxname)} repeats ${owner}: both are B-trees on ${quoteName(table)} (${columns.map(quoteIdent).join(', ')}). PostgreSQL builds this one (reading every row) and then updates both on every write, where one serves every lookup`,
        help: `Leave it out: ${quoteIdent(name)} serves the same queries${body.unique && !t.keyIndexes.has(name) ? ' and keeps the values unique' : ''}. Where it was built already, ${ctx.state.table(table)?.partitioned === true ? `in a migration of its own: ${partitionedDropHelp([quoteIdent(body.idxname)])}` : `drop it in a migration of its own: DROP INDEX CONCURRENTLY ${quoteIdent(body.idxname)};`}`,
      });
      return;
    }
  },
};
