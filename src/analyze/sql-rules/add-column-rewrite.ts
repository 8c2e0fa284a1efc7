import { alterTableCommands } from './ast.js';
import { columnType } from '../sql/types.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';

/** Functions whose value differs per row: a default calling one must be computed for every row. */
const volatileFunctions = new Set(['random', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'nextval', 'txid_current', 'statement_timestamp']);

function callsVolatile(expr: unknown): string | undefined {
  if (!expr || typeof expr !== 'object') return undefined;
  const call = (expr as { FuncCall?: { funcname?: { String?: { sval?: string } }[] } }).FuncCall;
  if (call) {
    const name = call.funcname?.[call.funcname.length - 1]?.String?.sval;
    if (name && volatileFunctions.has(name)) return name;
  }
  for (const v of Object.values(expr)) {
    const found = Array.isArray(v) ? v.map(callsVolatile).find(Boolean) : callsVolatile(v);
    if (found) return found;
  }
  return undefined;
}

/** Why adding this column rewrites the table, if it does. */
export function rewriteReason(def: Record<string, any>, postgres: number): string | undefined {
  const type = columnType(def.typeName);
  if (type && /^serial[248]$/.test(type.name)) return `${type.name.replace('serial4', 'serial').replace('serial8', 'bigserial').replace('serial2', 'smallserial')} fills every row from a sequence`;
  for (const c of def.constraints ?? []) {
    const con = c.Constraint;
    if (con?.contype === 'CONSTR_IDENTITY') return 'an identity column fills every row from a sequence';
    if (con?.contype === 'CONSTR_GENERATED') return 'a stored generated column is computed for every row';
    if (con?.contype === 'CONSTR_DEFAULT') {
      const volatile = callsVolatile(con.raw_expr);
      if (volatile) return `the default calls ${volatile}(), which is volatile: each row gets its own value`;
      if (postgres < 11) return `before PostgreSQL 11 any default is written into every row (this plan targets ${postgres})`;
    }
  }
  return undefined;
}

export const addColumnRewrite: StatementRule = {
  code: 'MG205',
  name: 'add-column-rewrite',
  summary: 'ADD COLUMN with a volatile default, serial/identity or a stored generated column rewrites the table under ACCESS EXCLUSIVE.',
  severity: 'error',
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    for (const cmd of alter.cmds) {
      if (cmd.subtype !== 'AT_AddColumn') continue;
      const def = cmd.def.ColumnDef;
      const reason = rewriteReason(def, ctx.postgres);
      if (!reason) continue;
      const severity = severityFor(ctx, alter.table, this.severity);
      if (!severity) continue;
      report({
        severity,
        message: `ADD COLUMN ${def.colname} rewrites ${sizeNote(ctx, alter.table)} under an ACCESS EXCLUSIVE lock: ${reason}`,
        help: `Add the column without the default (ALTER TABLE ${alter.table} ADD COLUMN ${def.colname} <type>;), set the default for new rows (ALTER COLUMN ${def.colname} SET DEFAULT ...), and backfill existing rows in batches.`,
      });
    }
  },
};
