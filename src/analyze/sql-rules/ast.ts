import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';

const nodes = new WeakMap<PgNode, [string, Record<string, any>]>();

/** The statement's node kind and body: ['AlterTableStmt', {...}]; every rule asks, so it is kept. */
export function node(ast: PgNode): [string, Record<string, any>] {
  let entry = nodes.get(ast);
  if (!entry) {
    entry = Object.entries(ast)[0] as [string, Record<string, any>];
    nodes.set(ast, entry);
  }
  return entry;
}

/** ALTER TABLE's subcommands with the table, or nothing for any other statement. */
export function alterTableCommands(ast: PgNode): { table: string; cmds: Record<string, any>[] } | undefined {
  const [kind, body] = node(ast);
  if (kind !== 'AlterTableStmt' || body.objtype !== 'OBJECT_TABLE') return undefined;
  return { table: relationName(body.relation), cmds: (body.cmds ?? []).map((c: { AlterTableCmd: unknown }) => c.AlterTableCmd) };
}

export { relationName };

/**
 * Whether an UPDATE or DELETE targets a handful of rows by key: its WHERE requires (at the top
 * level, through AND) a unique column to equal a constant or be IN a list of constants. Such
 * statements are not backfills; everything else may touch many rows.
 */
export function targetsFewRows(ast: PgNode, uniqueColumns: ReadonlySet<string>): boolean {
  const [kind, body] = node(ast);
  if (kind !== 'UpdateStmt' && kind !== 'DeleteStmt') return false;
  const keys = uniqueColumns.size ? uniqueColumns : new Set(['id']);
  const isConst = (n: any): boolean => Boolean(n?.A_Const || n?.ParamRef || (n?.TypeCast && isConst(n.TypeCast.arg)));
  const column = (n: any): string | undefined => {
    const fields = n?.ColumnRef?.fields ?? [];
    return fields[fields.length - 1]?.String?.sval;
  };
  const selective = (e: any): boolean => {
    if (e?.BoolExpr?.boolop === 'AND_EXPR') return e.BoolExpr.args.some(selective);
    const a = e?.A_Expr;
    if (!a) return false;
    const op = a.name?.[0]?.String?.sval;
    if (a.kind === 'AEXPR_OP' && op === '=') {
      const col = column(a.lexpr) ?? column(a.rexpr);
      return col !== undefined && keys.has(col) && (isConst(a.rexpr) || isConst(a.lexpr));
    }
    if (a.kind === 'AEXPR_IN' && op === '=') {
      const col = column(a.lexpr);
      return col !== undefined && keys.has(col) && (a.rexpr?.List?.items ?? []).every(isConst);
    }
    return false;
  };
  return body.whereClause !== undefined && selective(body.whereClause);
}

/** Constraints an ALTER TABLE adds, of the given kinds (CONSTR_FOREIGN, CONSTR_CHECK, ...). */
export function addedConstraints(ast: PgNode, kinds: readonly string[]): { table: string; constraint: Record<string, any> }[] {
  const alter = alterTableCommands(ast);
  if (!alter) return [];
  return alter.cmds
    .filter((cmd) => cmd.subtype === 'AT_AddConstraint' && kinds.includes(cmd.def?.Constraint?.contype))
    .map((cmd) => ({ table: alter.table, constraint: cmd.def.Constraint }));
}
