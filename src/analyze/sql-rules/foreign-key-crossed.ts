import { node, ownColumnOf, ownTableNames, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey, type ForeignKeyState, type TableState } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** A one-column foreign key of the table on `column`, with its name. */
function keyOn(table: TableState, column: string): [string, ForeignKeyState][] {
  if (!table.foreignKeys.involves(column)) return [];
  return [...table.foreignKeys].filter(([, k]) => k.columns.length === 1 && k.columns[0] === column);
}

/** What a key references, as a reader sees it: `pipelines(id)`, or `pipelines` when its columns are not known. */
function target(k: ForeignKeyState): string {
  return `${quoteName(k.references)}${k.refColumns.length ? `(${k.refColumns.map(quoteIdent).join(', ')})` : ''}`;
}

/**
 * Whether the values of one key's target are the other's: the same table and columns, or one
 * table's referenced column a foreign key to the other's (a table that shares its primary key
 * with the one it extends, `profiles.id REFERENCES users(id)`).
 */
function sameValues(ctx: StatementContext, a: ForeignKeyState, b: ForeignKeyState): boolean {
  const same = (x: readonly string[], y: readonly string[]) => x.length === 0 || y.length === 0 || (x.length === y.length && x.every((c, i) => c === y[i]));
  if (tableKey(a.references) === tableKey(b.references)) return same(a.refColumns, b.refColumns);
  // One table's ids copied from the other's by INSERT ... SELECT (goalert's schedules from schedule).
  const copied = (from: ForeignKeyState, to: ForeignKeyState) => from.refColumns.length === 1 && to.refColumns.length === 1
    && ctx.state.copiedFrom(from.references, from.refColumns[0]!) === `${tableKey(to.references)}.${to.refColumns[0]}`;
  if (copied(a, b) || copied(b, a)) return true;
  const through = (from: ForeignKeyState, to: ForeignKeyState) => {
    const t = ctx.state.table(from.references);
    // A referenced table migc knows nothing of (made before the files linted): its keys are not known.
    if (!t) return true;
    return [...t.foreignKeys.values()].some((k) => tableKey(k.references) === tableKey(to.references) && same(k.columns, from.refColumns) && same(k.refColumns, to.refColumns));
  };
  return through(a, b) || through(b, a);
}

/**
 * UPDATE t SET a = b, where a and b are columns of the row and their foreign keys reference
 * different tables: the values written are ids of b's table, where a's expects ids of its own.
 * PostgreSQL checks a's key at each row: the statement fails at the first value a's table does not
 * have, and where it has one (ids of two tables overlap: both count from 1), the row now points at
 * an unrelated row, silently. The twenty-sixth trial's M1, Arroyo's V10: pipeline_id renamed to
 * pipeline_definition_id, a new pipeline_id REFERENCES pipelines, then SET pipeline_id =
 * pipeline_definition_id, the ids of definitions (the right value was the definition's own
 * pipeline_id, through a join). Shown on PostgreSQL 15 and PGlite.
 */
export const foreignKeyCrossed: StatementRule = {
  code: 'MG253',
  name: 'foreign-key-crossed',
  summary: 'An UPDATE sets a foreign-key column to another column of the row whose foreign key references a different table: ids of one table go where the other\'s are expected. PostgreSQL refuses the statement at the first value the other table lacks, and where it has one, the row points at an unrelated row.',
  severity: 'warning',
  kinds: ['UpdateStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'UpdateStmt' || !body.relation) return;
    const table = relationName(body.relation);
    const known = ctx.state.table(table);
    // A table made in this migration and not filled, or emptied before in its transaction, has no rows.
    if (!known || known.foreignKeys.size === 0 || (ctx.state.isNew(table) && !known.filled) || ctx.earlier.emptied(table)) return;
    const self = ownTableNames(body.relation, table);
    for (const t of body.targetList ?? []) {
      const set = t.ResTarget;
      if (set?.name === undefined || set.indirection?.length) continue;
      let value = set.val;
      while (value?.TypeCast) value = value.TypeCast.arg;
      const from = ownColumnOf(value, self);
      if (from === undefined || from === set.name) continue;
      const written = keyOn(known, set.name);
      const read = keyOn(known, from);
      if (written.length === 0 || read.length === 0) continue;
      const crossed = written.find(([, w]) => read.every(([, r]) => !sameValues(ctx, w, r)));
      if (!crossed) continue;
      const [name, w] = crossed;
      const r = read[0]![1];
      report({
        message: `UPDATE sets ${quoteIdent(set.name)} of ${quoteName(table)}, whose foreign key ${quoteIdent(name)} references ${target(w)}, to ${quoteIdent(from)}, whose foreign key references ${target(r)}: the values written are ids of ${quoteName(r.references)}, not of ${quoteName(w.references)}. PostgreSQL refuses the statement at the first one ${quoteName(w.references)} does not have (violates foreign key constraint ${quoteIdent(name)}), and where it has one, the row now points at an unrelated row`,
        help: helpFor(ctx, table, set.name, from, w, r),
      });
    }
  },
};

/** The UPDATE that maps through the table read from, when one of its columns references the table written to; else how to look first. */
function helpFor(ctx: StatementContext, table: string, column: string, from: string, written: ForeignKeyState, read: ForeignKeyState): string {
  const via = ctx.state.table(read.references);
  const link = via && [...via.foreignKeys.values()].find((k) => k.columns.length === 1 && tableKey(k.references) === tableKey(written.references));
  const check = `SELECT count(*) FROM ${quoteName(table)} AS t WHERE t.${quoteIdent(from)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${quoteName(written.references)} AS x WHERE x.${quoteIdent(written.refColumns[0] ?? 'id')} = t.${quoteIdent(from)})`;
  if (link && read.refColumns.length === 1) {
    return `If the ${quoteName(written.references)} row meant is the one the ${quoteName(read.references)} row points at, take it through that row: UPDATE ${quoteName(table)} AS t SET ${quoteIdent(column)} = r.${quoteIdent(link.columns[0]!)} FROM ${quoteName(read.references)} AS r WHERE r.${quoteIdent(read.refColumns[0]!)} = t.${quoteIdent(from)}; The rows the UPDATE as written fails on: ${check};`;
  }
  return `Write ids of ${quoteName(written.references)}, mapped from ${quoteIdent(from)} through the table that links the two. The rows the UPDATE as written fails on: ${check};`;
}
