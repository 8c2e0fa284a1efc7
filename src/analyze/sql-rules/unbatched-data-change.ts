import { ddlHeld } from './backfill-with-ddl.js';
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
import { constantUpdateSaid } from './constant-updates.js';

/** MG112's record of the UPDATEs that set constants on every row (constantUpdateSaid). */
const constantUpdates = new WeakMap<object, Map<string, string>>();

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
    // A plan's batched step, or a statement in a DO block's loop that commits each pass: batched.
    if (ctx.batched || ctx.loopCommits) return;
    if (change && (change.kind === 'update' || change.kind === 'delete')) judgeChange(ctx, report, ctx.ast, change);
    // An UPDATE or DELETE in a WITH clause (WITH moved AS (UPDATE task ... RETURNING 1) UPDATE
    // task_log ...) changes its table as the statement does (the twentieth trial's lakekeeper).
    const ctes = node(ctx.ast)[1]?.withClause?.ctes ?? [];
    for (const [i, cte] of ctes.entries()) {
      const query = cte.CommonTableExpr?.ctequery;
      const [kind, body] = query ? node(query) : [undefined, undefined];
      if ((kind !== 'UpdateStmt' && kind !== 'DeleteStmt') || !body?.relation) continue;
      judgeChange(ctx, report, query, { kind: kind === 'UpdateStmt' ? 'update' : 'delete', table: relationName(body.relation), hasWhere: body.whereClause !== undefined }, cte.CommonTableExpr.ctename, ctes.slice(0, i));
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
function judgeChange(ctx: StatementContext, report: Parameters<StatementRule['check']>[1], ast: PgNode, change: DataChange, inWith?: string, ctesBefore: readonly unknown[] = []): void {
  if (ctx.state.isNew(change.table) || !isLarge(ctx, change.table) || isCatalogTable(change.table)) return;
  // The statement's own change under a lock the transaction's DDL holds on its table: MG218's.
  if (inWith === undefined && ddlHeld(ctx) !== undefined) return;
  const table = ctx.state.table(change.table);
  const unique = table?.uniqueColumns ?? new Set<string>();
  // A few rows by key, or one batch of a loop the file's author wrote: not one big change. Unless
  // the batch is itself in a loop of a DO block that does not commit each pass (one that does
  // returned above): the passes add up in the block's one transaction, and every row the loop
  // touches stays locked until it ends (hatchet's v1_0_109 walks v1_task_event 1,000 rows a pass
  // in one DO block).
  // A key equal to a body's variable is one row per run; in a loop (or a routine called per row)
  // the variable takes another value each pass, and the passes add up.
  const bounded = (keys?: readonly (readonly string[])[]) => targetsFewRows(ast, unique, keys, ctx.inLoop ? undefined : ctx.variables) || (!ctx.inLoop && isOneBatch(ast, unique, ctesBefore, keys));
  if (bounded()) return;
  // Its primary key, unique constraints and unique indexes of several columns too (looked for
  // only when no one-column key bounds the change).
  const composite = table ? compositeKeys(table) : [];
  if (composite.length > 0 && bounded(composite)) return;
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
  // The rows whose parent row is gone (orphans), deleted before a foreign key is added: their row
  // locks wait on nobody (no session uses a row whose parent is gone), and the cost is the
  // statement's read of both tables (the twentieth trial's aptos: a debatable warning).
  const parent = change.kind === 'delete' ? orphansOf(ctx, ast) : undefined;
  if (parent !== undefined) {
    report({
      severity: 'info',
      message: `DELETE${inWith !== undefined ? ` in the WITH clause (${quoteIdent(inWith)})` : ''} of the rows of ${sizeNote(ctx, change.table)} whose ${quoteName(parent.table)} row is gone (${parent.columns.map(quoteIdent).join(', ')} matches no ${quoteName(parent.table)} key)${ctx.inRollback ? ' (a rollback)' : ''}: it locks only those rows, which no session works on, but reads all of ${quoteName(change.table)} in one statement`,
      help: `Where there may be many such rows, delete them in batches by key range, committing after each (for example 10,000 rows at a time), so that one statement does not hold back vacuum and lag replicas${ctx.mode === 'lint' ? `; ${assumeRowsFlag(change.table, 'N')} gives the table's size if it is small` : ''}.`,
    });
    return;
  }
  // The same constants set on the same columns of every row as an earlier file did (a version
  // bump in every file: tt-rss's ttrss_version, the twenty-second trial's R1): told at the first, a
  // note after, as MG214 does.
  const again = ctx.mode === 'lint' && change.kind === 'update' && !change.hasWhere && inWith === undefined ? constantUpdateSaid(ctx, change.table, constantUpdates) : undefined;
  const small = () => `say so in tables: { ${sizeHintKey(change.table)}: { rows: N } } (under ${formatCount(largeTableRows)} is small)`;
  // In a DO block's loop the rows add up pass after pass, in the block's one transaction; in a
  // function's loop, or a function called for each row, in the caller's.
  const how = !ctx.inLoop ? ' in one statement' : ctx.inFunction ? `, in ${ctx.inFunction} run many times (a loop, or a call for each row),` : ', run in a loop of a DO block,';
  const until = ctx.inLoop ? `pass after pass, until the ${ctx.inFunction ? 'caller' : 'block'}'s transaction commits` : 'until it commits';
  const commitInLoop = ctx.inFunction ? '; a function cannot COMMIT, a DO block or a procedure run on its own, outside a transaction block, can in its loop from PostgreSQL 11' : '; a DO block run on its own, outside a transaction block, can COMMIT in its loop from PostgreSQL 11';
  report({
    ...(again !== undefined ? { severity: 'info' as const } : {}),
    message: `${change.kind.toUpperCase()}${inWith !== undefined ? ` in the WITH clause (${quoteIdent(inWith)})` : ''} over ${sizeNote(ctx, change.table)}${how}${ctx.inRollback ? ' (a rollback)' : ''} holds row locks on every row it touches ${until}${again !== undefined ? ` (constants on the same columns of every row, as ${again} set: told there)` : ''}`,
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

/**
 * The parent table whose rows a DELETE's WHERE requires to be missing, when every row it deletes
 * is an orphan: a conjunct of the WHERE is `c NOT IN (SELECT k FROM parent)` or `NOT EXISTS
 * (SELECT ... FROM parent p WHERE p.k = t.c [AND ...])`, the subquery reads the parent alone, with
 * no other condition, and k is a key of it (a primary key or unique column migc has seen; `id`
 * where migc has seen nothing of the parent). Not a DELETE of the rows nothing refers to
 * (`id NOT IN (SELECT artifact_id FROM tag)`: live rows), nor of duplicates (the subquery reads
 * the table itself).
 */
function orphansOf(ctx: StatementContext, ast: PgNode): { table: string; columns: string[] } | undefined {
  const [, body] = node(ast);
  if (!body.relation || (body.usingClause ?? []).length > 0) return undefined;
  const target = body.relation;
  const targetNames = new Set<string>(target.alias ? [target.alias.aliasname] : [target.relname, relationName(target)]);
  const conjuncts = (e: any): any[] => (e?.BoolExpr?.boolop === 'AND_EXPR' ? e.BoolExpr.args.flatMap(conjuncts) : [e]);
  const isKey = (table: string, column: string | undefined): boolean => {
    if (column === undefined) return false;
    const known = ctx.state.table(table);
    return known ? known.uniqueColumns.has(column) : column === 'id';
  };
  for (const c of conjuncts(body.whereClause)) {
    const not = c?.BoolExpr?.boolop === 'NOT_EXPR' ? c.BoolExpr.args?.[0]?.SubLink : undefined;
    const select = not?.subselect?.SelectStmt;
    const from = select?.fromClause;
    if (!select || from?.length !== 1 || !from[0].RangeVar || select.groupClause || select.havingClause || select.limitCount || select.withClause || select.op !== 'SETOP_NONE') continue;
    const parent = from[0].RangeVar;
    const parentTable = relationName(parent);
    if (parentTable === relationName(target)) continue;
    const parentNames = new Set<string>(parent.alias ? [parent.alias.aliasname] : [parent.relname, parentTable]);
    const fields = (e: any): string[] | undefined => e?.ColumnRef?.fields?.map((f: { String?: { sval?: string } }) => f.String?.sval);
    if (not.subLinkType === 'ANY_SUBLINK' && !select.whereClause && select.targetList?.length === 1) {
      // c NOT IN (SELECT k FROM parent): c is the target's (the subquery's own columns come first
      // only inside it), k the parent's.
      const left = fields(not.testexpr);
      const right = fields(select.targetList[0].ResTarget?.val);
      if (!left || !right || (left.length > 1 && !targetNames.has(left[0]!)) || (right.length > 1 && !parentNames.has(right[0]!))) continue;
      if (isKey(parentTable, right.at(-1))) return { table: parentTable, columns: [left.at(-1)!] };
      continue;
    }
    if (not.subLinkType === 'EXISTS_SUBLINK' && select.whereClause) {
      // NOT EXISTS (SELECT 1 FROM parent p WHERE p.k = t.c): every condition an equality of a
      // parent column with a target column, both written qualified.
      const pairs: { parent: string; target: string }[] = [];
      const equalities = conjuncts(select.whereClause).every((e) => {
        const op = e?.A_Expr;
        if (op?.kind !== 'AEXPR_OP' || op.name?.[0]?.String?.sval !== '=') return false;
        const [l, r] = [fields(op.lexpr), fields(op.rexpr)];
        if (l?.length !== 2 || r?.length !== 2) return false;
        if (parentNames.has(l[0]!) && targetNames.has(r[0]!)) pairs.push({ parent: l[1]!, target: r[1]! });
        else if (parentNames.has(r[0]!) && targetNames.has(l[0]!)) pairs.push({ parent: r[1]!, target: l[1]! });
        else return false;
        return true;
      });
      if (equalities && pairs.length === 1 && isKey(parentTable, pairs[0]!.parent)) return { table: parentTable, columns: [pairs[0]!.target] };
    }
  }
  return undefined;
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
