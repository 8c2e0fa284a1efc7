import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey, type SchemaState } from '../sql/schema-state.js';
import { columnType } from '../sql/types.js';
import { parseSql, scanSql, type PgNode } from '../../sql/parser.js';
import { offsetMap } from '../../sql/offsets.js';
import { forEachNode } from '../../sql/walk.js';
import { node, relationName } from './ast.js';
import { quoteName, sqlLiteral } from '../../sql/quote.js';

/**
 * A value ALTER TYPE ... ADD VALUE added in the open transaction, used before it commits.
 * From PostgreSQL 12, ADD VALUE runs in a transaction block, but the server refuses to read the
 * new value until that transaction commits: "unsafe use of new value "x" of enum type t" (55P04).
 * Up to PostgreSQL 16 that holds even when the same transaction created the type; from 17 the
 * values added to a type created in the transaction are usable at once (measured: 15 refuses,
 * 18 allows). The values CREATE TYPE lists are always usable. A migration that adds a value and then uses it
 * (as a column's default, in a backfill, an index's WHERE) fails there, and takes its
 * transaction with it. (Before 12 ADD VALUE cannot run in a transaction at all: MG228.)
 *
 * A use is a string constant the statement turns into the enum: cast to it ('x'::t), the default
 * of a column of that type, a value an INSERT or UPDATE writes to such a column, or a comparison
 * of such a column with the constant. Column types come from the schema state: a column migc
 * has not seen is not judged.
 */
export const enumValueBeforeCommit: StatementRule = {
  code: 'MG235',
  name: 'enum-value-before-commit',
  summary: 'An enum value used in the transaction that added it (ALTER TYPE ... ADD VALUE): PostgreSQL refuses it until that transaction commits.',
  severity: 'error',
  check(ctx, report) {
    const all = ctx.earlier.uncommittedEnumValues();
    if (!all || !ctx.inTransaction || ctx.postgres < 12) return;
    const added = ctx.postgres >= 17 ? new Map([...all].filter(([type]) => !ctx.earlier.createdEnum(type))) : all;
    if (added.size === 0) return;
    const uses = enumUses(ctx.ast, added, ctx.state);
    if (uses.length === 0) return;
    // One finding per statement, at its first use: the server stops there.
    const first = uses[0]!;
    const placed = placedUses(ctx, added)[0];
    const at = placed?.value === first.value ? literalAt(ctx.text, placed.location) : undefined;
    const values = [...new Set(uses.filter((u) => u.type === first.type).map((u) => sqlLiteral(u.value)))];
    report({
      refused: 'certain',
      ...(at ? { at } : {}),
      message: `${values.join(' and ')} ${values.length === 1 ? 'was' : 'were'} added to enum ${quoteName(first.type)} earlier in this transaction: PostgreSQL refuses to use a new enum value before the transaction that added it commits (unsafe use of new value), and the migration fails here`,
      help: ctx.mode === 'lint'
        ? `Commit in between: run ALTER TYPE ${quoteName(first.type)} ADD VALUE in a migration of its own (or COMMIT after it), and use the value in a later one.`
        : `Add the value in a step of its own before this one (each step commits): ALTER TYPE ${quoteName(first.type)} ADD VALUE IF NOT EXISTS ${sqlLiteral(first.value)}.`,
    });
  },
};

interface EnumUse {
  readonly type: string;
  readonly value: string;
  /** The constant's byte location in the text the statement was parsed from. */
  readonly location: number;
}

type Added = ReadonlyMap<string, ReadonlySet<string>>;
type Constant = { A_Const?: { sval?: { sval?: string }; location?: number } };
type TypeNameNode = Parameters<typeof columnType>[0];

/** The string constant a node is, if it is one (a cast of one counts as the cast's). */
function constant(n: unknown): { value: string; location: number } | undefined {
  const c = (n as Constant | undefined)?.A_Const;
  return c?.sval?.sval !== undefined ? { value: c.sval.sval, location: c.location ?? -1 } : undefined;
}

/** The key of an enum type a type name names, when it is one with added values (not an array of it). */
function addedType(typeName: TypeNameNode, added: Added): string | undefined {
  const t = columnType(typeName);
  if (!t || t.array) return undefined;
  const key = tableKey(t.name);
  return added.has(key) ? key : undefined;
}

/** Every use of an added value in a statement, in the order of a depth-first walk of its tree. */
function enumUses(ast: PgNode, added: Added, state: SchemaState): EnumUse[] {
  const uses: EnumUse[] = [];
  const [, body] = node(ast);
  // The tables whose columns a bare column name may be: the statement's own, and those it reads.
  const tables: string[] = [];
  forEachNode(ast, (o) => {
    if (o.RangeVar) tables.push(relationName(o.RangeVar));
  });
  if (body?.relation) tables.unshift(relationName(body.relation));
  const typeOfColumn = (table: string | undefined, column: string | undefined): string | undefined => {
    if (column === undefined) return undefined;
    for (const t of table !== undefined ? [table] : tables) {
      const type = state.table(t)?.columns.get(column)?.type;
      if (type && !type.array && added.has(tableKey(type.name))) return tableKey(type.name);
      if (state.table(t)?.columns.has(column)) return undefined;
    }
    return undefined;
  };
  const use = (type: string | undefined, n: unknown) => {
    const c = constant(n);
    if (type !== undefined && c && added.get(type)?.has(c.value)) uses.push({ type, ...c });
  };
  const columnOf = (n: unknown): string | undefined => {
    const fields = (n as { ColumnRef?: { fields?: { String?: { sval?: string } }[] } }).ColumnRef?.fields;
    return fields?.at(-1)?.String?.sval;
  };
  forEachNode(ast, (o) => {
    if (o.TypeCast) {
      const cast = o.TypeCast as { arg?: unknown; typeName?: TypeNameNode };
      use(addedType(cast.typeName, added), cast.arg);
    } else if (o.ColumnDef) {
      const def = o.ColumnDef as { typeName?: TypeNameNode; constraints?: { Constraint?: { contype?: string; raw_expr?: unknown } }[] };
      const type = addedType(def.typeName, added);
      for (const c of def.constraints ?? []) if (c.Constraint?.contype === 'CONSTR_DEFAULT') use(type, c.Constraint.raw_expr);
    } else if (o.UpdateStmt) {
      const update = o.UpdateStmt as { relation?: unknown; targetList?: { ResTarget?: { name?: string; val?: unknown } }[] };
      const table = relationName(update.relation as never);
      for (const t of update.targetList ?? []) use(typeOfColumn(table, t.ResTarget?.name), t.ResTarget?.val);
    } else if (o.InsertStmt) {
      const insert = o.InsertStmt as { relation?: unknown; cols?: { ResTarget?: { name?: string } }[]; selectStmt?: { SelectStmt?: { valuesLists?: { List?: { items?: unknown[] } }[] } } };
      const table = relationName(insert.relation as never);
      const columns = insert.cols?.map((c) => c.ResTarget?.name) ?? [...(state.table(table)?.columns ?? [])].sort(([, a], [, b]) => (a.ordinal ?? 0) - (b.ordinal ?? 0)).map(([name]) => name);
      for (const row of insert.selectStmt?.SelectStmt?.valuesLists ?? []) {
        for (const [i, item] of (row.List?.items ?? []).entries()) use(typeOfColumn(table, columns[i]), item);
      }
    } else if (o.A_Expr) {
      // c = 'x', c <> 'x', c IN ('x', 'y'), and the same the other way round.
      const e = o.A_Expr as { kind?: string; lexpr?: unknown; rexpr?: unknown };
      if (e.kind !== 'AEXPR_OP' && e.kind !== 'AEXPR_IN') return;
      for (const [column, other] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]]) {
        const type = typeOfColumn(undefined, columnOf(column));
        const items = (other as { List?: { items?: unknown[] } } | undefined)?.List?.items ?? [other];
        for (const item of items) use(type, item);
      }
    } else if (o.AlterTableStmt) {
      const alter = o.AlterTableStmt as { relation?: unknown; cmds?: { AlterTableCmd?: { subtype?: string; name?: string; def?: unknown } }[] };
      const table = relationName(alter.relation as never);
      for (const c of alter.cmds ?? []) if (c.AlterTableCmd?.subtype === 'AT_ColumnDefault') use(typeOfColumn(table, c.AlterTableCmd.name), c.AlterTableCmd.def);
    }
  });
  return uses;
}

/**
 * The uses again, from the statement's text parsed on its own, so that their locations are the
 * text's (a statement of a file was parsed with the whole file). Parsed only when there is a use.
 */
function placedUses(ctx: StatementContext, added: Added): readonly EnumUse[] {
  const parsed = parseSql(ctx.text);
  return parsed.ok && parsed.statements.length === 1 ? enumUses(parsed.statements[0]!.ast, added, ctx.state) : [];
}

/** The string constant at a byte location of the text, as string offsets: its whole token. */
function literalAt(text: string, location: number): { start: number; end: number } | undefined {
  if (location < 0) return undefined;
  const start = offsetMap(text).fromByte(location);
  const token = scanSql(text).find((t) => t.start === start);
  return token ? { start, end: token.end } : undefined;
}
