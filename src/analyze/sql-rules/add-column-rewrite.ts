import { alterTableCommands } from './ast.js';
import { columnType } from '../sql/types.js';
import { emptyHere, isLarge, severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { nonVolatileBuiltinNames, volatileBuiltinNames } from '../sql/builtin-functions.js';
import type { Routine, SchemaState } from '../sql/schema-state.js';
import { defaultSearchPath, type SearchPath } from '../sql/search-path.js';
import { foldsToNull, foundFunction, inlining as inliningOf, type FunctionCallNode } from '../sql/inline-function.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** Volatile functions that are not in PostgreSQL 15's pg_catalog: uuid-ossp's, and PostgreSQL 18's uuidv4/uuidv7. */
const otherVolatile = ['uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7'];

let builtins: { volatile: Set<string>; nonVolatile: Set<string> } | undefined;

/** pg_catalog's functions by volatility, built on first use (only defaults that call a function need it). */
function builtinFunctions(): { volatile: Set<string>; nonVolatile: Set<string> } {
  builtins ??= {
    volatile: new Set([...volatileBuiltinNames.split(/\s+/).filter(Boolean), ...otherVolatile]),
    nonVolatile: new Set(nonVolatileBuiltinNames.split(/\s+/).filter(Boolean)),
  };
  return builtins;
}

/**
 * Built-in volatile functions whose calls give another value each time: a default of one gives
 * each row its own. Other volatile ones (txid_current(), currval()) are evaluated for each row too.
 */
const perRowValues = new Set(['random', 'random_normal', 'gen_random_uuid', 'clock_timestamp', 'timeofday', 'nextval', ...otherVolatile]);

/**
 * What the default's calls are judged on: the functions the files declared, the routines they
 * created, the casts they created (a STRICT function's body), and the search path in force.
 */
interface Known {
  readonly state: Pick<SchemaState, 'functions' | 'routines' | 'casts'>;
  readonly path: SearchPath;
}

/**
 * Why a function call makes the default volatile, as "<call>, <why>", or undefined when it gives
 * one value per statement. `inlining`: the SQL functions whose bodies are being judged in place of
 * their call (PostgreSQL does not inline one in itself).
 */
function volatileCall(call: FunctionCallNode, known: Known, inlining: ReadonlySet<Routine>): string | undefined {
  const { volatile, nonVolatile } = builtinFunctions();
  const found = foundFunction(call, known.state, known.path);
  const { key } = found;
  const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
  // pg_catalog's by their catalog entry; uuid-ossp's and PostgreSQL 18's uuidv4/uuidv7, which
  // PostgreSQL 15's pg_catalog lacks, by their bare names when the files define no function so named.
  const builtin = found.builtin ? key : !found.routine && !found.declared && (names.length === 1 || names[0] === 'pg_catalog') ? names[names.length - 1]! : undefined;
  if (builtin !== undefined && volatile.has(builtin)) return `${quoteIdent(builtin)}(), which is volatile: ${perRowValues.has(builtin) ? 'each row gets its own value' : 'PostgreSQL evaluates it for each existing row'}`;
  if (builtin !== undefined && nonVolatile.has(builtin)) return undefined;
  if (found.declared === undefined) return `${quoteName(key)}(), a function these files do not define: a function is VOLATILE unless declared IMMUTABLE or STABLE, and PostgreSQL evaluates a volatile one for each existing row`;
  if (found.declared !== 'volatile') return undefined;
  // Planning the default inlines a simple SQL function first: its body's volatility is what counts (src/analyze/sql/inline-function.ts).
  const { routine } = found;
  if (routine && !inlining.has(routine)) {
    const planned = inliningOf(routine, call, known.state, known.path);
    if (planned.inlined) {
      const inside = new Set([...inlining, routine]);
      const volatileInside = planned.expressions.map((e) => callsVolatile(e, known, inside)).find(Boolean);
      return volatileInside ? `${quoteName(key)}(), a SQL function PostgreSQL inlines, whose body calls ${volatileInside}` : undefined;
    }
    if (planned.why) return `${quoteName(key)}(), declared (or left) VOLATILE and not inlined by PostgreSQL (${planned.why}): PostgreSQL evaluates it for each existing row`;
  }
  return `${quoteName(key)}(), declared (or left) VOLATILE: PostgreSQL evaluates it for each existing row`;
}

function callsVolatile(expr: unknown, known: Known, inlining: ReadonlySet<Routine> = new Set()): string | undefined {
  if (!expr || typeof expr !== 'object') return undefined;
  const call = (expr as { FuncCall?: FunctionCallNode }).FuncCall;
  if (call?.funcname?.length) {
    // A STRICT function given a NULL is replaced by NULL when planned: neither it nor its arguments run.
    const routine = foundFunction(call, known.state, known.path).routine;
    if (routine && foldsToNull(routine, call)) return undefined;
    const found = volatileCall(call, known, inlining);
    if (found) return found;
  }
  for (const v of Object.values(expr)) {
    const found = Array.isArray(v) ? v.map((e) => callsVolatile(e, known, inlining)).find(Boolean) : callsVolatile(v, known, inlining);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why adding this column rewrites the table, if it does. `state`: the functions the schema knows,
 * with their declared volatility, and the routines the files created (their bodies).
 */
/** How the reason a domain gives begins. */
const domainReason = 'its type ';

export function rewriteReason(def: Record<string, any>, context: { readonly postgres: number; readonly state: Known['state'] & Pick<SchemaState, 'domainConstraints'>; readonly searchPath?: SearchPath }): string | undefined {
  const { postgres } = context;
  const known: Known = { state: context.state, path: context.searchPath ?? defaultSearchPath };
  const type = columnType(def.typeName);
  if (type && /^serial[248]$/.test(type.name)) return `${type.name.replace('serial4', 'serial').replace('serial8', 'bigserial').replace('serial2', 'smallserial')} fills every row from a sequence`;
  for (const c of def.constraints ?? []) {
    const con = c.Constraint;
    if (con?.contype === 'CONSTR_IDENTITY') return 'an identity column fills every row from a sequence';
    // A virtual one (PostgreSQL 18's default: no STORED) is computed when read: no rewrite (seen on PGlite 18).
    // NOT NULL on it is checked on each row's computed value: one the expression makes NULL fails
    // the statement (espresso's V16 and V36, data->>'...' of rows without the key: the
    // thirty-first trial's C, refused on PostgreSQL 15 with "contains null values").
    if (con?.contype === 'CONSTR_GENERATED' && con.generated_kind !== 'v') {
      const notNull = (def.constraints ?? []).some((x: { Constraint?: { contype?: string } }) => x.Constraint?.contype === 'CONSTR_NOTNULL' || x.Constraint?.contype === 'CONSTR_PRIMARY');
      return notNull ? 'a stored generated column is computed for every row, and under NOT NULL a row whose expression gives NULL fails the statement' : 'a stored generated column is computed for every row';
    }
    if (con?.contype === 'CONSTR_DEFAULT') {
      const volatile = callsVolatile(con.raw_expr, known);
      if (volatile) return `the default calls ${volatile}`;
      if (postgres < 11) return `before PostgreSQL 11 any default is written into every row (the target is PostgreSQL ${postgres})`;
    }
  }
  // ATExecAddColumn: a column of a domain with constraints is computed for every row (its default,
  // or NULL) and checked against them, whatever the default (seen on PostgreSQL 15 and PGlite 18).
  const constraints = type && !type.array ? context.state.domainConstraints(type.name, known.path) : [];
  if (constraints.length > 0) {
    const domain = constraints[0]!.domain;
    const checks = constraints.filter((c) => c.domain === domain && c.constraint !== 'NOT NULL').map((c) => quoteIdent(c.constraint));
    const notNull = constraints.some((c) => c.domain === domain && c.constraint === 'NOT NULL');
    const over = [...new Set(constraints.filter((c) => c.domain !== domain).map((c) => quoteName(c.domain)))];
    const what = [
      checks.length ? `has the CHECK constraint${checks.length > 1 ? 's' : ''} ${checks.join(', ')}` : '',
      notNull ? 'is NOT NULL' : '',
      over.length ? `is over ${over.join(', ')}, whose constraints it inherits` : '',
    ].filter(Boolean).join(' and ');
    return `${domainReason}${quoteName(domain)} is a domain that ${what}: PostgreSQL computes the new column for every row to check it against the domain's constraints, even without a default or with a constant one`;
  }
  return undefined;
}

export const addColumnRewrite: StatementRule = {
  code: 'MG205',
  name: 'add-column-rewrite',
  summary: 'ADD COLUMN with a volatile default, serial/identity, a stored generated column or a domain with constraints rewrites the table under ACCESS EXCLUSIVE.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    // One statement rewrites its table once, however many of its columns call for it: one finding,
    // at the first of them, naming them all.
    const rewriting = alter.cmds.flatMap((cmd, subcommand) => {
      const reason = cmd.subtype === 'AT_AddColumn' ? rewriteReason(cmd.def.ColumnDef, { postgres: ctx.postgres, state: ctx.state, ...(ctx.searchPath ? { searchPath: ctx.searchPath } : {}) }) : undefined;
      return reason ? [{ column: cmd.def.ColumnDef.colname as string, reason, subcommand }] : [];
    });
    const first = rewriting[0];
    if (!first) return;
    // A new table this migration filled from a query (CREATE TABLE AS, INSERT ... SELECT) is not
    // empty: every row it got is rewritten, as on an existing table (MG208 says the same of its check).
    const filled = ctx.state.isNew(alter.table) && ctx.state.table(alter.table)?.filled === true && !emptyHere(ctx, alter.table);
    const severity = filled ? (isLarge(ctx, alter.table) ? this.severity : 'info') : severityFor(ctx, alter.table, this.severity);
    if (!severity) return;
    const others = rewriting.slice(1).map((r) => quoteIdent(r.column));
    const also = others.length ? ` (and ${others.length === 1 ? 'so does' : 'so do'} ${others.join(', ')})` : '';
    const columns = rewriting.map((r) => quoteIdent(r.column)).join(', ');
    const table = quoteName(alter.table);
    const column = quoteIdent(first.column);
    // Only the domain asks for the rewrite: the first column's other causes would have come first.
    const domain = first.reason.startsWith(domainReason) ? columnType(alter.cmds[first.subcommand]!.def.ColumnDef.typeName)?.name : undefined;
    const constraint = (contype: string) => (alter.cmds[first.subcommand]!.def.ColumnDef.constraints ?? []).some((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === contype);
    report({
      severity,
      subcommand: first.subcommand,
      message: `ADD COLUMN ${quoteIdent(first.column)} rewrites ${sizeNote(ctx, alter.table)}${filled ? ', which this migration filled from a query,' : ''} under an ACCESS EXCLUSIVE lock: ${first.reason}${also}`,
      help: domain
        ? `Add it with the domain's base type instead (ALTER TABLE ${table} ADD COLUMN ${column} ${ctx.state.domainBase(domain) ?? '<base type>'} ...;: with a constant default or none, catalog only) and enforce the domain's rules with a table constraint: ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT, which takes no write lock. Changing the column to the domain later (ALTER COLUMN ... TYPE) rewrites the table as well.`
        : constraint('CONSTR_GENERATED')
        // A plain column cannot be made a stored generated one later (SET EXPRESSION, 17+, only
        // changes a generated column's expression), so the recipe keeps it plain.
        ? `${ctx.postgres >= 18 ? 'On PostgreSQL 18, make it virtual (GENERATED ALWAYS AS (...) VIRTUAL, or without STORED): computed when read, no rewrite. Or k' : 'K'}eep it a plain column: ALTER TABLE ${table} ADD COLUMN ${column} <type>;, compute it for new and changed rows with a BEFORE INSERT OR UPDATE trigger, and backfill existing rows in batches${others.length ? ` (${columns})` : ''}.`
        : constraint('CONSTR_IDENTITY')
        ? `Add it as a plain column (ALTER TABLE ${table} ADD COLUMN ${column} bigint;), fill it in batches, make it NOT NULL without a long lock (ADD CONSTRAINT ... CHECK (${column} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL), then ALTER COLUMN ${column} ADD GENERATED BY DEFAULT AS IDENTITY (no rewrite) and setval its sequence (pg_get_serial_sequence) past the largest value${others.length ? `; the same for ${others.join(', ')}` : ''}.`
        : `Add the column${others.length ? 's' : ''} without the default (ALTER TABLE ${table} ADD COLUMN ${column} <type>;), set the default for new rows (ALTER COLUMN ${column} SET DEFAULT ...), and backfill existing rows in batches${others.length ? ` (${columns})` : ''}.`,
    });
  },
};
