import { isConstantValue, node, relationName } from './ast.js';
import { isLarge, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { deparsed } from '../../sql/deparse.js';
import { andList } from './statement-locks.js';
import { fingerprint } from '../sql/schema-state.js';

/**
 * ALTER TABLE t ADD COLUMN c ...; UPDATE t SET c = <constant>; on every row of a large table: the
 * UPDATE writes a new version of every row (the table and its indexes grow by its size until
 * VACUUM, and every row is locked until it commits), where ADD COLUMN c ... DEFAULT <constant>
 * sets the same value in the catalog, writing no row, from PostgreSQL 11 (a non-volatile default).
 * The twenty-first trial's tt-rss: add, fill, SET NOT NULL on its largest table; shown on
 * PostgreSQL 15 (13 MB became 28 MB with the UPDATE, and stayed 13 MB with the one statement).
 * A rewrite that costs the downtime too: --app-stopped keeps it.
 */
export const constantBackfill: StatementRule = {
  code: 'MG247',
  name: 'constant-backfill',
  summary: 'An UPDATE that sets a column just added to a constant on every row of a large table writes every row again, where ADD COLUMN ... DEFAULT sets it in the catalog (PostgreSQL 11+).',
  severity: 'warning',
  kinds: ['UpdateStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'UpdateStmt' || body.whereClause || body.fromClause?.length || ctx.postgres < 11 || ctx.inRollback) return;
    const table = relationName(body.relation);
    if (ctx.state.isNew(table) || ctx.earlier.emptied(table) || !isLarge(ctx, table)) return;
    const targets: { ResTarget?: { name?: string; val?: unknown; indirection?: unknown[] } }[] = body.targetList ?? [];
    // Every column it sets was added earlier in the same migration, and gets one value for every row.
    if (!targets.length || !targets.every((t) => t.ResTarget?.name !== undefined && !t.ResTarget.indirection?.length && ctx.state.isNewColumn(table, t.ResTarget.name) && isConstantValue(t.ResTarget.val) && !volatile(t.ResTarget.val))) return;
    const columns = targets.map((t) => quoteIdent(t.ResTarget!.name!));
    const values = targets.map((t) => deparsed(t.ResTarget!.val) ?? '<value>');
    const known = ctx.state.table(table)?.columns;
    // The ADD COLUMN's own DEFAULT gave every row that value already (cds's `ADD COLUMN n bigint NOT NULL DEFAULT 0` then `SET n = 0`).
    const given = targets.every((t) => { const d = known?.get(t.ResTarget!.name!)?.defaultExpr; return typeof d === 'string' && d === fingerprint(t.ResTarget!.val); });
    const isNull = (v: unknown) => (v as { A_Const?: { isnull?: boolean } } | undefined)?.A_Const?.isnull === true;
    report({
      message: `UPDATE sets ${andList(columns)}, added earlier in this migration, to ${targets.length === 1 ? 'a constant' : 'constants'} on every row of ${sizeNote(ctx, table)}: it writes every row again (the table and its indexes grow by their size until VACUUM, every row locked until it commits), where ADD COLUMN ... DEFAULT sets ${targets.length === 1 ? 'it' : 'them'} in the catalog, writing no row`,
      help: given
        ? 'Leave out the UPDATE: the ADD COLUMN gave every row that value already, its DEFAULT, in the catalog.'
        : `Give the value where the column is added, and leave out the UPDATE: ${targets.map((t, i) => (isNull(t.ResTarget!.val) ? `ALTER TABLE ${quoteName(table)} ADD COLUMN ${columns[i]} <type> (no default: its rows are NULL)` : `ALTER TABLE ${quoteName(table)} ADD COLUMN ${columns[i]} <type> DEFAULT ${values[i]}`)).join('; ')}; then, for the rows inserted later, ALTER COLUMN ... SET DEFAULT <theirs> (or DROP DEFAULT). Each is catalog-only from PostgreSQL 11, and a NOT NULL added with the default scans nothing.`,
    });
  },
};

/** A value PostgreSQL computes anew for each row or call (random(), clock_timestamp()): a default of it rewrites the table too. */
function volatile(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(volatile);
  const call = (value as { FuncCall?: { funcname?: { String?: { sval?: string } }[] } }).FuncCall;
  const name = call?.funcname?.at(-1)?.String?.sval;
  if (name !== undefined && volatileFunctions.has(name.toLowerCase())) return true;
  return Object.values(value).some(volatile);
}

const volatileFunctions: ReadonlySet<string> = new Set(['random', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuid_generate_v4', 'uuid_generate_v1', 'nextval', 'txid_current', 'setseed']);
