import { addedConstraints, node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { columnType, type ColumnType } from '../sql/types.js';
import { quoteColumn, quoteIdent, quoteName } from '../../sql/quote.js';
import { formatCount } from '../../util/numbers.js';

/** The integer types by width, and the largest value each holds. */
const widths: Record<string, { bytes: number; max: number; name: string }> = {
  int2: { bytes: 2, max: 32767, name: 'smallint' },
  serial2: { bytes: 2, max: 32767, name: 'smallint' },
  int4: { bytes: 4, max: 2147483647, name: 'integer' },
  serial4: { bytes: 4, max: 2147483647, name: 'integer' },
  int8: { bytes: 8, max: Number.MAX_SAFE_INTEGER, name: 'bigint' },
  serial8: { bytes: 8, max: Number.MAX_SAFE_INTEGER, name: 'bigint' },
};

/**
 * A foreign key whose column is a narrower integer than the key it references (integer to a
 * bigint or bigserial key, smallint to an integer one): once the referenced key passes the
 * column's largest value, no row can reference the new rows ("integer out of range"), and widening
 * the column then rewrites its table (MG212). claircore's vulnerability_alias (integer) references
 * vuln (bigserial), and a later migration widens both (the twenty-third trial's M1). Shown on
 * PostgreSQL 15 and PGlite.
 */
export const foreignKeyNarrower: StatementRule = {
  code: 'MG249',
  name: 'foreign-key-narrower',
  summary: 'A foreign key column of a narrower integer type than the key it references (integer to bigint, smallint to integer): once the key passes the column\'s largest value, rows that reference the new keys cannot be written.',
  severity: 'warning',
  kinds: ['CreateStmt', 'AlterTableStmt'],
  check(ctx, report) {
    for (const key of keysAdded(ctx)) {
      const referenced = ctx.state.table(key.references);
      const refColumns = key.refColumns.length ? key.refColumns : [...(referenced?.keyConstraints.values() ?? [])].find((k) => k.primary)?.columns ?? [];
      for (const [i, column] of key.columns.entries()) {
        const mine = key.typeOf(column);
        const refColumn = refColumns[i];
        const theirs = refColumn === undefined ? undefined : referenced?.columns.get(refColumn)?.type;
        const [narrow, wide] = [mine && !mine.array ? widths[mine.name] : undefined, theirs && !theirs.array ? widths[theirs.name] : undefined];
        if (!narrow || !wide || narrow.bytes >= wide.bytes) continue;
        report({
          ...(key.subcommand !== undefined ? { subcommand: key.subcommand } : {}),
          message: `${quoteColumn(key.table, column)} (${narrow.name}) references ${quoteColumn(key.references, refColumn!)} (${wide.name}): once ${quoteColumn(key.references, refColumn!)} passes ${formatCount(narrow.max)}, no row can reference the rows after it (${narrow.name} out of range), and widening ${quoteIdent(column)} then rewrites ${quoteName(key.table)}`,
          help: `Give ${quoteIdent(column)} the key's type, ${wide.name}${key.created ? `, in the CREATE TABLE: ${quoteIdent(column)} ${wide.name}` : key.addedHere(column) ? `, in the ADD COLUMN: ADD COLUMN ${quoteIdent(column)} ${wide.name} REFERENCES ${quoteName(key.references)}` : `: ALTER TABLE ${quoteName(key.table)} ALTER COLUMN ${quoteIdent(column)} TYPE ${wide.name}; (it rewrites ${quoteName(key.table)} under an ACCESS EXCLUSIVE lock, MG212: the sooner, the fewer rows)`}.`,
        });
      }
    }
  },
};

interface KeyAdded {
  readonly table: string;
  readonly columns: readonly string[];
  readonly references: string;
  readonly refColumns: readonly string[];
  /** The statement creates the table. */
  readonly created: boolean;
  readonly subcommand?: number;
  typeOf(column: string): ColumnType | undefined;
  /** The same ALTER TABLE adds the column. */
  addedHere(column: string): boolean;
}

/** The foreign keys a CREATE TABLE or an ALTER TABLE adds, with the types of their columns. */
function keysAdded(ctx: StatementContext): KeyAdded[] {
  const [kind, body] = node(ctx.ast);
  const names = (list: { String?: { sval?: string } }[] | undefined) => (list ?? []).map((n) => n.String?.sval ?? '?');
  if (kind === 'CreateStmt') {
    const table = relationName(body.relation);
    const types = new Map<string, ColumnType | undefined>();
    const keys: KeyAdded[] = [];
    const typeOf = (c: string) => types.get(c);
    for (const e of body.tableElts ?? []) {
      const def = e.ColumnDef;
      if (def) {
        types.set(def.colname, columnType(def.typeName));
        for (const c of def.constraints ?? []) {
          if (c.Constraint?.contype === 'CONSTR_FOREIGN') keys.push({ table, columns: [def.colname], references: relationName(c.Constraint.pktable), refColumns: names(c.Constraint.pk_attrs), created: true, typeOf, addedHere: () => false });
        }
      }
      const con = e.Constraint;
      if (con?.contype === 'CONSTR_FOREIGN') keys.push({ table, columns: names(con.fk_attrs), references: relationName(con.pktable), refColumns: names(con.pk_attrs), created: true, typeOf, addedHere: () => false });
    }
    return keys;
  }
  const keys: KeyAdded[] = [];
  for (const { table, constraint, subcommand } of addedConstraints(ctx.ast, ['CONSTR_FOREIGN'])) {
    const alter = node(ctx.ast)[1];
    // A column added by the same statement has the type it is added with.
    const added = new Map<string, ColumnType | undefined>();
    for (const c of alter.cmds ?? []) if (c.AlterTableCmd?.subtype === 'AT_AddColumn') added.set(c.AlterTableCmd.def.ColumnDef.colname, columnType(c.AlterTableCmd.def.ColumnDef.typeName));
    keys.push({
      table, columns: names(constraint.fk_attrs), references: relationName(constraint.pktable), refColumns: names(constraint.pk_attrs), created: ctx.state.isNew(table), subcommand,
      typeOf: (c) => (added.has(c) ? added.get(c) : ctx.state.table(table)?.columns.get(c)?.type),
      addedHere: (c) => added.has(c),
    });
  }
  return keys;
}
