import { addedConstraints, node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { quoteColumn, quoteName } from '../../sql/quote.js';
import { andList } from './statement-locks.js';

type Constraint = Record<string, any>;
type Names = { String?: { sval?: string } }[] | undefined;

const names = (list: Names) => (list ?? []).map((n) => n.String?.sval ?? '');

/**
 * A foreign key whose ON DELETE (or ON UPDATE) SET NULL writes NULL into a referencing column that
 * is NOT NULL, or whose SET DEFAULT writes the default of a NOT NULL column that has none (NULL):
 * PostgreSQL takes the key, and then refuses every DELETE (or key UPDATE) of a referenced row that
 * a row points at ("null value in column ... violates not-null constraint"). sourcebot's, the
 * thirty-sixth trial's M1 (shown on PostgreSQL 15). The columns' NOT NULL as the statement itself
 * or the statements before it say: CREATE TABLE's, ADD COLUMN's, an earlier SET NOT NULL.
 */
export const foreignKeySetNull: StatementRule = {
  code: 'MG255',
  name: 'foreign-key-set-null',
  summary: 'A foreign key ON DELETE (or ON UPDATE) SET NULL on a NOT NULL column, or SET DEFAULT on a NOT NULL column without a default: every delete (or key update) of a referenced row that a row points at fails.',
  severity: 'error',
  kinds: ['CreateStmt', 'AlterTableStmt'],
  check(ctx, report) {
    for (const { table, constraint, subcommand } of foreignKeys(ctx)) {
      for (const [event, action] of [['DELETE', constraint.fk_del_action], ['UPDATE', constraint.fk_upd_action]] as const) {
        if (action !== 'n' && action !== 'd') continue;
        // PostgreSQL 15's ON DELETE SET NULL (col, ...) sets only those.
        const set = event === 'DELETE' && constraint.fk_del_set_cols?.length ? names(constraint.fk_del_set_cols) : constraint.columns as string[];
        const refused = set.filter((c) => notNull(ctx, table, c) && (action === 'n' || !hasDefault(ctx, table, c)));
        if (!refused.length) continue;
        const what = action === 'n' ? 'SET NULL' : 'SET DEFAULT';
        const cols = andList(refused.map((c) => quoteColumn(table, c)));
        report({
          subcommand,
          message: `the foreign key of ${cols} to ${quoteName(relationName(constraint.pktable))} says ON ${event} ${what}, and ${refused.length === 1 ? 'that column is' : 'those columns are'} NOT NULL${action === 'd' ? ' without a default' : ''}: every ${event === 'DELETE' ? 'DELETE' : 'UPDATE of the key'} of a ${quoteName(relationName(constraint.pktable))} row that a row points at fails (null value in column violates not-null constraint)`,
          help: action === 'n'
            ? `Say what the rows should get: ON ${event} CASCADE (they go with the row), ON ${event} RESTRICT (the ${event === 'DELETE' ? 'delete' : 'update'} is refused while rows point at it, as now but said), or drop NOT NULL if a row may stand without one.`
            : `Give ${refused.length === 1 ? 'the column' : 'the columns'} a default that is a key of ${quoteName(relationName(constraint.pktable))}, or say ON ${event} CASCADE or RESTRICT.`,
        });
      }
    }
  },
};

/** The foreign keys a CREATE TABLE or ALTER TABLE adds, with their referencing columns. */
function foreignKeys(ctx: StatementContext): { table: string; constraint: Constraint & { columns: string[] }; subcommand?: number }[] {
  const [kind, body] = node(ctx.ast);
  if (kind === 'AlterTableStmt') {
    return addedConstraints(ctx.ast, ['CONSTR_FOREIGN']).map(({ table, constraint, subcommand }) => ({ table, subcommand, constraint: { ...constraint, columns: names(constraint.fk_attrs) } }));
  }
  const table = relationName(body.relation);
  const out: { table: string; constraint: Constraint & { columns: string[] } }[] = [];
  for (const e of body.tableElts ?? []) {
    if (e.ColumnDef) for (const c of e.ColumnDef.constraints ?? []) if (c.Constraint?.contype === 'CONSTR_FOREIGN') out.push({ table, constraint: { ...c.Constraint, columns: [e.ColumnDef.colname] } });
    if (e.Constraint?.contype === 'CONSTR_FOREIGN') out.push({ table, constraint: { ...e.Constraint, columns: names(e.Constraint.fk_attrs) } });
  }
  return out;
}

/** The column's definition in the statement itself (CREATE TABLE, ADD COLUMN), if it is there. */
function definedHere(ctx: StatementContext, column: string): Constraint | undefined {
  const [kind, body] = node(ctx.ast);
  if (kind === 'CreateStmt') return (body.tableElts ?? []).find((e: Constraint) => e.ColumnDef?.colname === column)?.ColumnDef;
  for (const c of body.cmds ?? []) if (c.AlterTableCmd?.subtype === 'AT_AddColumn' && c.AlterTableCmd.def?.ColumnDef?.colname === column) return c.AlterTableCmd.def.ColumnDef;
  return undefined;
}

function notNull(ctx: StatementContext, table: string, column: string): boolean {
  const def = definedHere(ctx, column);
  if (def) {
    const own = (def.constraints ?? []).some((c: Constraint) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY');
    // A PRIMARY KEY of the table that lists it makes it NOT NULL too.
    const [kind, body] = node(ctx.ast);
    const inKey = kind === 'CreateStmt' && (body.tableElts ?? []).some((e: Constraint) => e.Constraint?.contype === 'CONSTR_PRIMARY' && names(e.Constraint.keys).includes(column));
    return own || inKey;
  }
  // The same ALTER TABLE may change it (openmeter's down drops NOT NULL beside the key it adds).
  const [kind, body] = node(ctx.ast);
  if (kind === 'AlterTableStmt') {
    let set: boolean | undefined;
    for (const c of body.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.name !== column) continue;
      if (cmd.subtype === 'AT_DropNotNull') set = false;
      if (cmd.subtype === 'AT_SetNotNull') set = true;
    }
    if (set !== undefined) return set;
  }
  return ctx.state.table(table)?.columns.get(column)?.notNull === true;
}

function hasDefault(ctx: StatementContext, table: string, column: string): boolean {
  const def = definedHere(ctx, column);
  if (def) return (def.constraints ?? []).some((c: Constraint) => c.Constraint?.contype === 'CONSTR_DEFAULT' || c.Constraint?.contype === 'CONSTR_IDENTITY' || c.Constraint?.contype === 'CONSTR_GENERATED');
  // A column known only from a change of its type, or not at all: taken to have one (no finding).
  const known = ctx.state.table(table)?.columns.get(column);
  return known === undefined || known.partial === true || known.hasDefault === true;
}
