import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { node } from '../../sql/node.js';
import { isNotNullCheck, type SchemaState } from './schema-state.js';
import { domainRefusingNull, existingRowsGet } from './added-column-null.js';
import { defaultSearchPath } from './search-path.js';

type Cmd = Record<string, any>;
type ConstraintNode = { Constraint?: { contype?: string; raw_expr?: Record<string, any>; skip_validation?: boolean } };

/**
 * The table an ALTER TABLE proves empty by succeeding, if it does: it adds a column that gives
 * every existing row NULL and, in the same statement, requires a value there. PostgreSQL then
 * refuses it on a table with a row (`column ... contains null values`, `check constraint ... is
 * violated by some row`), so once it has run the table (its partitions and children too) has no
 * row, and its ACCESS EXCLUSIVE lock keeps it so until the transaction ends. Prisma's "Added the
 * required column ... without a default value" migrations are this.
 *
 * The column requires a value by NOT NULL, PRIMARY KEY or CHECK (c IS NOT NULL) of its own, by
 * its domain (a NOT NULL or a CHECK that NULL fails, of a domain the statements seen created: `domain
 * ... does not allow null values`), or by a SET NOT NULL or validated ADD CONSTRAINT ... CHECK (c
 * IS NOT NULL) of it in the same statement. It gives every row NULL when existingRowsGet() says so:
 * no DEFAULT (or DEFAULT NULL), identity, generated expression or serial, and a type that is a
 * built-in one, an enum or a domain without a default, of those the statements seen created (a
 * domain not known here may have a default that fills the rows). Not proved: ADD COLUMN IF NOT EXISTS (PostgreSQL skips it
 * when the column is there), nor a column another subcommand of the statement alters or drops
 * (but a DROP COLUMN of its name before the ADD, a drop and re-add, leaves it proved).
 * Checked on PGlite and PostgreSQL 15 in test/emptied-table.test.ts.
 */
export function emptyIfItSucceeds(ast: PgNode, state: SchemaState, path: readonly string[] = defaultSearchPath): string | undefined {
  const [kind, body] = node(ast);
  if (kind !== 'AlterTableStmt' || body.objtype !== 'OBJECT_TABLE') return undefined;
  const cmds: Cmd[] = (body.cmds ?? []).map((c: { AlterTableCmd?: Cmd }) => c.AlterTableCmd ?? {});
  for (const cmd of cmds) {
    if (cmd.subtype !== 'AT_AddColumn' || cmd.missing_ok) continue;
    const def = cmd.def?.ColumnDef;
    const column: string | undefined = def?.colname;
    if (!column || existingRowsGet(def, state, path) !== 'null') continue;
    const constraints: ConstraintNode[] = def.constraints ?? [];
    const own = constraints.some(({ Constraint: c }) => c?.contype === 'CONSTR_NOTNULL' || c?.contype === 'CONSTR_PRIMARY'
      || (c?.contype === 'CONSTR_CHECK' && !c.skip_validation && isNotNullCheck(c.raw_expr) === column))
      || domainRefusingNull(def, state, path) !== undefined;
    const others = cmds.filter((c) => c !== cmd);
    const inStatement = others.some((c) => (c.subtype === 'AT_SetNotNull' && c.name === column)
      || (c.subtype === 'AT_AddConstraint' && checksNotNull(c.def, column)));
    // SET DEFAULT, TYPE, DROP NOT NULL or DROP COLUMN of it alongside: not followed. But a DROP
    // COLUMN of its name before it (Prisma's and Atlas's drop and re-add of a required column)
    // drops the old column: the new one still gives every row NULL.
    const droppedBefore = (c: Cmd) => c.subtype === 'AT_DropColumn' && cmds.indexOf(c) < cmds.indexOf(cmd);
    const altered = others.some((c) => c.name === column && c.subtype !== 'AT_SetNotNull' && !droppedBefore(c));
    if ((own || inStatement) && !altered) return relationName(body.relation);
  }
  return undefined;
}

/** A validated CHECK (column IS NOT NULL) that ADD CONSTRAINT adds. */
function checksNotNull(def: ConstraintNode | undefined, column: string): boolean {
  const c = def?.Constraint;
  return c?.contype === 'CONSTR_CHECK' && !c.skip_validation && isNotNullCheck(c.raw_expr) === column;
}
