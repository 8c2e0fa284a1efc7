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

/** A constraint an ALTER TABLE adds: ADD CONSTRAINT, or written inline in ADD COLUMN. */
export interface AddedConstraint {
  readonly table: string;
  /**
   * The constraint as ADD CONSTRAINT would spell it: an inline one gets its column as its keys
   * (fk_attrs for a foreign key), and an inline REFERENCES on a column added without a default is
   * marked skip_validation, as PostgreSQL does (every row is NULL: it skips the check and marks
   * the key valid; transformAlterTableStmt).
   */
  readonly constraint: Record<string, any>;
  /** The column it was written on, for ADD COLUMN ... REFERENCES/UNIQUE/PRIMARY KEY/CHECK. */
  readonly column?: string;
  /** Its ALTER TABLE subcommand (an index into the commands). */
  readonly subcommand: number;
}

/** Constraints an ALTER TABLE adds, of the given kinds (CONSTR_FOREIGN, CONSTR_CHECK, ...), inline ones included. */
export function addedConstraints(ast: PgNode, kinds: readonly string[]): AddedConstraint[] {
  const alter = alterTableCommands(ast);
  if (!alter) return [];
  const added: AddedConstraint[] = [];
  for (const [subcommand, cmd] of alter.cmds.entries()) {
    if (cmd.subtype === 'AT_AddConstraint' && kinds.includes(cmd.def?.Constraint?.contype)) added.push({ table: alter.table, constraint: cmd.def.Constraint, subcommand });
    if (cmd.subtype !== 'AT_AddColumn') continue;
    const def = cmd.def?.ColumnDef;
    const constraints: Record<string, any>[] = (def?.constraints ?? []).map((c: { Constraint?: unknown }) => c.Constraint).filter(Boolean);
    const hasDefault = constraints.some((c) => c.contype === 'CONSTR_DEFAULT');
    const own = [{ String: { sval: def.colname } }];
    for (const c of constraints) {
      if (!kinds.includes(c.contype)) continue;
      const constraint =
        c.contype === 'CONSTR_FOREIGN' ? { ...c, fk_attrs: own, skip_validation: c.skip_validation === true || !hasDefault }
        : c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY' ? { ...c, keys: own }
        : c;
      added.push({ table: alter.table, constraint, column: def.colname, subcommand });
    }
  }
  return added;
}
