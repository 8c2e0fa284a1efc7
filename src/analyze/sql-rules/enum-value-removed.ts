import { alterTableCommands } from './ast.js';
import { columnType, describeType } from '../sql/types.js';
import { emptyHere, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { quoteColumn, quoteIdent, quoteName, sqlLiteral } from '../../sql/quote.js';
import type { PgNode } from '../../sql/parser.js';

/**
 * ALTER COLUMN ... TYPE from one enum to another that lacks some of its labels, USING the column
 * cast through text (Prisma's migration for an enum value removed: CREATE TYPE "Role_new" ...;
 * ALTER COLUMN ... TYPE "Role_new" USING ("role"::text::"Role_new")): every row still holding a
 * removed label fails the cast ("invalid input value for enum"), and the whole migration with it.
 * Judged when both enums' labels are known (the files created them) and the table may hold rows:
 * not new, not emptied in this transaction, and no UPDATE or DELETE of it earlier in the
 * migration (one may have moved the rows off the label). A USING that is anything but casts of the
 * column (a CASE that maps the label) is not judged.
 */
export const enumValueRemoved: StatementRule = {
  code: 'MG245',
  name: 'enum-value-removed',
  summary: 'ALTER COLUMN TYPE to an enum that lacks labels of the old one, USING a cast of the column: a row still holding a removed label makes the migration fail.',
  severity: 'warning',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    const key = tableKey(alter.table);
    if (ctx.state.isNew(alter.table) || emptyHere(ctx, alter.table) || ctx.state.rowsChanged.has(key)) return;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AlterColumnType' || cmd.name === undefined) continue;
      // A column added in this migration holds its default, or NULL, which casts: not judged.
      if (ctx.state.newColumns.has(`${key}.${cmd.name}`)) continue;
      const from = ctx.state.table(alter.table)?.columns.get(cmd.name)?.type;
      const to = columnType(cmd.def?.ColumnDef?.typeName);
      if (!from || !to || from.array !== to.array) continue;
      const before = ctx.state.enumValues.get(tableKey(from.name));
      const after = ctx.state.enumValues.get(tableKey(to.name));
      if (!before || !after) continue;
      const using = cmd.def?.ColumnDef?.raw_default as PgNode | undefined;
      if (!using || !castOfColumn(using, cmd.name)) continue;
      const removed = before.filter((label) => !after.includes(label));
      if (removed.length === 0) continue;
      const labels = removed.map(sqlLiteral);
      const list = labels.length === 1 ? labels[0]! : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
      const column = quoteIdent(cmd.name);
      const holds = to.array ? `${column} && ARRAY[${labels.join(', ')}]::${describeType(from)}` : labels.length === 1 ? `${column} = ${labels[0]}` : `${column} IN (${labels.join(', ')})`;
      const enumTo = describeType({ ...to, array: false });
      report({
        subcommand,
        message: `changing ${quoteColumn(alter.table, cmd.name)} from ${describeType(from)} to ${describeType(to)} fails if any row still holds ${list}, which ${enumTo} does not have (invalid input value for enum): the whole migration stops there`,
        help: `Move the rows off ${removed.length === 1 ? 'the label' : 'those labels'} first, earlier in the migration (UPDATE ${quoteName(alter.table)} SET ${column} = ${to.array ? `array_replace(${column}, ${labels[0]}, ...)` : '...'} WHERE ${holds};, in batches on a large table), or map ${removed.length === 1 ? 'it' : 'them'} in the USING expression (CASE ... END). Check with SELECT count(*) FROM ${quoteName(alter.table)} WHERE ${holds}; on production before the release.`,
      });
    }
  },
};

/** The column itself, through any casts: ("role"::text::"Role_new"), CAST(role AS text). */
function castOfColumn(node: PgNode, column: string): boolean {
  let at = node as { TypeCast?: { arg?: PgNode }; ColumnRef?: { fields?: { String?: { sval?: string } }[] } };
  while (at.TypeCast?.arg) at = at.TypeCast.arg as typeof at;
  return at.ColumnRef?.fields?.at(-1)?.String?.sval === column;
}
