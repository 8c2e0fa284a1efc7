import { addedConstraints, node, relationName } from './ast.js';
import type { StatementContext } from '../sql/context.js';
import { columnType, type ColumnType } from '../sql/types.js';
import { scanSql, type PgNode } from '../../sql/parser.js';

/** A foreign key a statement adds. */
export interface KeyAdded {
  /** Its name as written; undefined where PostgreSQL chooses one. */
  readonly name?: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly references: string;
  readonly refColumns: readonly string[];
  /** The statement creates the table. */
  readonly created: boolean;
  readonly subcommand?: number;
  /** The element of the CREATE TABLE's list that declares it (tableElementSpans places it). */
  readonly element?: number;
  typeOf(column: string): ColumnType | undefined;
  /** The same ALTER TABLE adds the column. */
  addedHere(column: string): boolean;
}

/** The foreign keys a CREATE TABLE or an ALTER TABLE adds, with the types of their columns. */
export function keysAdded(ctx: StatementContext, ast: PgNode = ctx.ast): KeyAdded[] {
  // Asked by several rules of the same statement (MG230, MG249, MG250): worked out once per tree and context.
  if (last?.ctx !== ctx || last.ast !== ast) last = { ctx, ast, keys: findKeys(ctx, ast) };
  return last.keys;
}

/** The last answer, by statement context and tree (a WeakMap costs more than the answer). */
let last: { readonly ctx: StatementContext; readonly ast: PgNode; readonly keys: KeyAdded[] } | undefined;

function findKeys(ctx: StatementContext, ast: PgNode): KeyAdded[] {
  const [kind, body] = node(ast);
  const names = (list: { String?: { sval?: string } }[] | undefined) => (list ?? []).map((n) => n.String?.sval ?? '?');
  if (kind === 'CreateStmt') {
    const table = relationName(body.relation);
    const keys: KeyAdded[] = [];
    // Worked out when asked: most CREATE TABLEs declare no key, and the rules that ask are several.
    const typeOf = (c: string) => {
      const def = (body.tableElts ?? []).find((e: { ColumnDef?: { colname?: string } }) => e.ColumnDef?.colname === c)?.ColumnDef;
      return def ? columnType(def.typeName) : undefined;
    };
    for (const [element, e] of (body.tableElts ?? []).entries()) {
      const def = e.ColumnDef;
      if (def) {
        for (const c of def.constraints ?? []) {
          if (c.Constraint?.contype === 'CONSTR_FOREIGN') keys.push({ ...named(c.Constraint), table, columns: [def.colname], references: relationName(c.Constraint.pktable), refColumns: names(c.Constraint.pk_attrs), created: true, element, typeOf, addedHere: () => false });
        }
      }
      const con = e.Constraint;
      if (con?.contype === 'CONSTR_FOREIGN') keys.push({ ...named(con), table, columns: names(con.fk_attrs), references: relationName(con.pktable), refColumns: names(con.pk_attrs), created: true, element, typeOf, addedHere: () => false });
    }
    return keys;
  }
  const keys: KeyAdded[] = [];
  const constraints = addedConstraints(ast, ['CONSTR_FOREIGN']);
  if (constraints.length === 0) return keys;
  // A column added by the same statement has the type it is added with.
  const alter = node(ast)[1];
  const addedColumn = (c: string) => (alter.cmds ?? []).find((cmd: { AlterTableCmd?: Record<string, any> }) => cmd.AlterTableCmd?.subtype === 'AT_AddColumn' && cmd.AlterTableCmd.def?.ColumnDef?.colname === c)?.AlterTableCmd.def.ColumnDef;
  for (const { table, constraint, subcommand } of constraints) {
    keys.push({
      ...named(constraint), table, columns: names(constraint.fk_attrs), references: relationName(constraint.pktable), refColumns: names(constraint.pk_attrs), created: ctx.state.isNew(table), subcommand,
      typeOf: (c) => {
        const def = addedColumn(c);
        return def ? columnType(def.typeName) : ctx.state.table(table)?.columns.get(c)?.type;
      },
      addedHere: (c) => addedColumn(c) !== undefined,
    });
  }
  return keys;
}

function named(constraint: { conname?: string }): { name?: string } {
  return constraint.conname ? { name: constraint.conname } : {};
}

/**
 * Where each element of a CREATE TABLE's list (a column, a table constraint, a LIKE) is in its
 * text, as string offsets: PostgreSQL's tokens from the first bracket, split at the commas
 * outside inner brackets. Undefined when the pieces do not match the parser's elements one for one.
 */
export function tableElementSpans(text: string, count: number): { start: number; end: number }[] | undefined {
  const spans: { start: number; end: number }[] = [];
  let depth = 0;
  let from = -1;
  let last = -1;
  for (const t of scanSql(text)) {
    // A comment above a column (`-- The parent this child belongs to.`) is not the column: the eighteenth trial's taproot-assets.
    if (t.token === 'SQL_COMMENT' || t.token === 'C_COMMENT') continue;
    if (t.text === '(' || t.text === '[') {
      if (depth++ === 0) continue;
    } else if (t.text === ')' || t.text === ']') {
      if (--depth === 0) break;
    } else if (t.text === ',' && depth === 1) {
      spans.push({ start: from, end: last });
      from = -1;
      continue;
    }
    if (depth === 0) continue;
    if (from === -1) from = t.start;
    last = t.end;
  }
  if (from !== -1) spans.push({ start: from, end: last });
  return spans.length === count ? spans : undefined;
}
