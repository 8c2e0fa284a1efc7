import { assumeRowsFlag, isLarge, sizeHintKey, sizeNote, type StatementContext, type StatementRule } from '../sql/context.js';
import type { DataChange } from '../../sql/facts.js';
import type { TableState } from '../sql/schema-state.js';
import { largeTableRows } from '../tables.js';
import { fewRowsWhere, filteredRelation, isCatalogTable, isOneBatch, node, pinnedColumns, targetsFewRows } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import { walkedTable } from '../../sql/batch.js';
import { relationName } from '../../sql/facts.js';
import { formatCount } from '../../util/numbers.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/**
 * One UPDATE or DELETE over a large table holds row locks, bloats and lags replicas: batch it.
 * In a plan, so is an INSERT ... SELECT that copies a large table: one long transaction, a burst
 * of WAL, under statement_timeout; `batch:` copies it a key range at a time. (Not in lint: there
 * most INSERT ... SELECT fill a new table from a small one, and no table has a size.)
 * A rollback is judged like a step: undoing a backfill touches as many rows as the backfill,
 * and a down script runs under the same statement_timeout (a rollback can be batched too).
 */
export const unbatchedDataChange: StatementRule = {
  code: 'MG112',
  name: 'unbatched-data-change',
  summary: 'An UPDATE or DELETE on a large table runs in batches; in a plan, so does an INSERT ... SELECT that copies one.',
  severity: 'warning',
  kinds: ['UpdateStmt', 'DeleteStmt', 'InsertStmt', 'SelectStmt'],
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    if (change?.kind === 'insert' && ctx.mode === 'plan' && !ctx.batched) copyCheck(ctx, report);
    if (ctx.batched) return;
    if (change && (change.kind === 'update' || change.kind === 'delete')) judgeChange(ctx, report, ctx.ast, change);
    // An UPDATE or DELETE in a WITH clause (WITH moved AS (UPDATE task ... RETURNING 1) UPDATE
    // task_log ...) changes its table as the statement does (the twentieth trial's lakekeeper).
    for (const cte of node(ctx.ast)[1]?.withClause?.ctes ?? []) {
      const query = cte.CommonTableExpr?.ctequery;
      const [kind, body] = query ? node(query) : [undefined, undefined];
      if ((kind !== 'UpdateStmt' && kind !== 'DeleteStmt') || !body?.relation) continue;
      judgeChange(ctx, report, query, { kind: kind === 'UpdateStmt' ? 'update' : 'delete', table: relationName(body.relation), hasWhere: body.whereClause !== undefined }, cte.CommonTableExpr.ctename);
    }
  },
};

/** The keys of several columns of a table: its primary key, unique constraints and unique indexes. */
function compositeKeys(table: TableState): (readonly string[])[] {
  const keys: (readonly string[])[] = [];
  for (const k of table.keyConstraints.values()) if (k.columns.length > 1) keys.push(k.columns);
  for (const u of table.uniqueIndexes.values()) if (u.keys.length > 1) keys.push(u.keys);
  return keys;
}

/** MG112 on one UPDATE or DELETE: the statement's own, or one in its WITH clause (`inWith`: the CTE's name). */
function judgeChange(ctx: StatementContext, report: Parameters<StatementRule['check']>[1], ast: PgNode, change: DataChange, inWith?: string): void {
  if (ctx.state.isNew(change.table) || !isLarge(ctx, change.table) || isCatalogTable(change.table)) return;
  const table = ctx.state.table(change.table);
  const unique = table?.uniqueColumns ?? new Set<string>();
  // A few rows by key, or one batch of a loop the file's author wrote: not one big change.
  if (targetsFewRows(ast, unique) || isOneBatch(ast, unique)) return;
  // Its primary key, unique constraints and unique indexes of several columns too.
  const composite = table ? compositeKeys(table) : [];
  if (composite.length > 0 && targetsFewRows(ast, unique, composite)) return;
  const verb = change.kind === 'update' ? 'Update' : 'Delete';
  // A table migc has seen nothing of (no statement made or changed it, no size hint: an upgrade
  // folder without its create scripts) changed where one column equals constants: a point change
  // by a key migc has not seen (Flowable's `update ACT_GE_PROPERTY set VALUE_ = '7.1' where
  // NAME_ = 'schema.version'`) more likely than a backfill. A table the files alter is one of the
  // application's own tables, growing with it, where a column of a few values picks many rows
  // (Dataverse's `UPDATE dvobject SET separator = '/' WHERE protocol = 'doi' OR protocol = 'hdl'`):
  // the warning stays. A note says what the statement was taken for.
  const point = table === undefined && ctx.rows(change.table) === undefined ? pointColumn(ast) : undefined;
  if (point !== undefined) {
    report({
      severity: 'info',
      message: `${change.kind.toUpperCase()} of ${quoteName(change.table)} by constant values of ${quoteIdent(point)}${ctx.inRollback ? ' (a rollback)' : ''} is taken for a change of a few rows by key (migc has not seen the keys of ${quoteName(change.table)})`,
      help: `If ${quoteIdent(point)} is not a key of ${quoteName(change.table)} and the statement touches many rows, ${verb.toLowerCase()} in batches by key range, committing after each (for example 10,000 rows at a time). migc reads a table's keys from its CREATE TABLE ${ctx.mode === 'lint' ? 'among the files it lints' : 'in the plan or its baseline'}; given the table's size (${ctx.mode === 'lint' ? assumeRowsFlag(change.table, 'N') : `tables: { ${sizeHintKey(change.table)}: { rows: N } }`}), it judges the statement by that size instead.`,
    });
    return;
  }
  const small = () => `say so in tables: { ${sizeHintKey(change.table)}: { rows: N } } (under ${formatCount(largeTableRows)} is small)`;
  // In a DO block's loop the rows add up pass after pass, in the block's one transaction; in a
  // function's loop, or a function called for each row, in the caller's.
  const how = !ctx.inLoop ? ' in one statement' : ctx.inFunction ? `, in ${ctx.inFunction} run many times (a loop, or a call for each row),` : ', run in a loop of a DO block,';
  const until = ctx.inLoop ? `pass after pass, until the ${ctx.inFunction ? 'caller' : 'block'}'s transaction commits` : 'until it commits';
  const commitInLoop = ctx.inFunction ? '; a function cannot COMMIT, a DO block or a procedure run on its own, outside a transaction block, can in its loop from PostgreSQL 11' : '; a DO block run on its own, outside a transaction block, can COMMIT in its loop from PostgreSQL 11';
  report({
    message: `${change.kind.toUpperCase()}${inWith !== undefined ? ` in the WITH clause (${quoteIdent(inWith)})` : ''} over ${sizeNote(ctx, change.table)}${how}${ctx.inRollback ? ' (a rollback)' : ''} holds row locks on every row it touches ${until}`,
    help: ctx.mode === 'lint'
      ? `${verb} in batches by key range, committing after each (for example 10,000 rows at a time${ctx.inLoop ? commitInLoop : ''}), or give the table's size with ${assumeRowsFlag(change.table, 'N')} if it is small (under ${formatCount(largeTableRows)}).`
      : ctx.inRollback
        ? `Batch the rollback as a step is batched, rollback: { sql: ..., batch: { size: 10000 } }, so the down script commits every 10,000 rows instead of running one transaction under statement_timeout; or, if the table is small, ${small()}.`
        : `Add batch: { size: 10000 } to the step so it commits every 10,000 rows; or, if the table is small, ${small()}.`,
  });
}

/**
 * The column an UPDATE's or DELETE's WHERE pins to constants (pinnedColumns) that may be a key,
 * if any. Written unqualified, it is the changed table's only when no other relation is joined
 * (FROM, USING). Not one compared with true or false: a flag (Camunda's `IS_SCOPE_ = true`) is no
 * key, it tells two kinds of row apart.
 */
function pointColumn(ast: PgNode): string | undefined {
  const relation = filteredRelation(ast);
  if (!relation) return undefined;
  const flag = (v: any): boolean => v?.A_Const?.boolval !== undefined || (v?.TypeCast && flag(v.TypeCast.arg)) || v?.TypeCast?.typeName?.names?.at(-1)?.String?.sval === 'bool';
  return pinnedColumns(node(ast)[1].whereClause, relation).find((c) => (c.qualified || !relation.joined) && !c.values.some(flag))?.column;
}

/** An INSERT ... SELECT that copies a large table in one statement (plans only). */
const copyCheck: StatementRule['check'] = (ctx, report) => {
  const rel = walkedTable(ctx.ast);
  if (!rel) return;
  const source = relationName(rel);
  if (ctx.state.isNew(source) || !isLarge(ctx, source) || isCatalogTable(source)) return;
  const insert = (ctx.ast as { InsertStmt: { selectStmt: { SelectStmt: { whereClause?: unknown } }; onConflictClause?: unknown } }).InsertStmt;
  if (fewRowsWhere(insert.selectStmt.SelectStmt.whereClause, ctx.state.table(source)?.uniqueColumns ?? new Set())) return;
  const conflicts = insert.onConflictClause ? '' : ' Add ON CONFLICT DO NOTHING if the app writes the same rows meanwhile.';
  const small = `say so in tables: { ${sizeHintKey(source)}: { rows: N } } (under ${formatCount(largeTableRows)} is small)`;
  report({
    message: `INSERT ... SELECT copies the rows of ${sizeNote(ctx, source)} in one statement${ctx.inRollback ? ' (a rollback)' : ''}: one long transaction under statement_timeout, a burst of WAL that replicas lag behind, and vacuum held back until it commits`,
    help: ctx.inRollback
      ? `Batch the rollback as a step is batched, rollback: { sql: ..., batch: { size: 10000 } }: the down script then copies 10,000 rows of ${quoteName(source)} at a time by its key, each batch committed; or, if the table is small, ${small}.`
      : `Add batch: { size: 10000 } to the step: the script then copies 10,000 rows of ${quoteName(source)} at a time by its key (batch.key, id by default), each batch committed, and goes on after an interruption.${conflicts} Or, if the table is small, ${small}.`,
  });
};
