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
    // One statement rewrites its table once, however many of its columns call for it: one finding,
    // at the first of them, naming them all.
    const rewriting = alter.cmds.flatMap((cmd, subcommand) => {
      const reason = cmd.subtype === 'AT_AddColumn' ? rewriteReason(cmd.def.ColumnDef, ctx.postgres) : undefined;
      return reason ? [{ column: cmd.def.ColumnDef.colname as string, reason, subcommand }] : [];
    });
    const first = rewriting[0];
    if (!first) return;
    const severity = severityFor(ctx, alter.table, this.severity);
    if (!severity) return;
    const others = rewriting.slice(1).map((r) => r.column);
    const also = others.length ? ` (and ${others.length === 1 ? 'so does' : 'so do'} ${others.join(', ')})` : '';
    const columns = rewriting.map((r) => r.column).join(', ');
    report({
      severity,
      subcommand: first.subcommand,
      message: `ADD COLUMN ${first.column} rewrites ${sizeNote(ctx, alter.table)} under an ACCESS EXCLUSIVE lock: ${first.reason}${also}`,
      help: `Add the column${others.length ? 's' : ''} without the default (ALTER TABLE ${alter.table} ADD COLUMN ${first.column} <type>;), set the default for new rows (ALTER COLUMN ${first.column} SET DEFAULT ...), and backfill existing rows in batches${others.length ? ` (${columns})` : ''}.`,
    });
  },
};
