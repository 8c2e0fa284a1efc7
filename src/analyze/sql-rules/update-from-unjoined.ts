import { node, pinnedColumns, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { andList } from './statement-locks.js';

type Node = Record<string, any>;

/**
 * UPDATE t SET c = r.x ... FROM r with no condition that joins t to r: every row of t matches
 * every row r gives, and PostgreSQL updates each row of t once, with one of them, which one not
 * being predictable (the UPDATE documentation). Where r gives several rows, every row of t gets
 * the values of an arbitrary one (a SET that reads nothing of r is the same for every row): wrong data, silently (the eighteenth trial's commento, whose
 * comment counts went to every page alike). Judged only where nothing can join them: no WHERE,
 * or a WHERE (and the FROM's join conditions) that names no column of t, qualified by its name or
 * alias, and no column bare (a bare name may be t's). Not judged where each FROM item gives one
 * row: a subquery of aggregates without GROUP BY, with LIMIT 1, or without FROM, a table sized at
 * one row (--assume-rows), a table whose key the WHERE pins to one value (qualified by its name).
 */
export const updateFromUnjoined: StatementRule = {
  code: 'MG246',
  name: 'update-from-unjoined',
  summary: 'UPDATE ... FROM with no condition joining the table to what FROM gives: every row is updated with the values of an arbitrary row of it.',
  severity: 'warning',
  kinds: ['UpdateStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    const from: Node[] = kind === 'UpdateStmt' ? body.fromClause ?? [] : [];
    if (!from.length || !body.relation?.relname) return;
    const table = relationName(body.relation);
    const visible: string = body.relation?.alias?.aliasname ?? body.relation?.relname;
    // What could join them: the WHERE, and the ON of joins in the FROM.
    if (mayNameTarget([body.whereClause, from.map(joinConditions)], visible)) return;
    // Only values taken from the FROM are arbitrary: a constant set everywhere, with the FROM as
    // a mere condition (some row there, or none), is the same for every row.
    const target = ctx.state.table(table);
    const targetColumns = target && ctx.state.columnsAllKnown(table) ? target.columns : undefined;
    const values = (body.targetList ?? []).map((t: Node) => t.ResTarget?.val);
    if (!readsFrom(values, new Set(from.flatMap(visibleNames)), targetColumns)) return;
    // A FROM naming a CTE of the UPDATE's WITH gives what its query gives.
    const ctes = new Map<string, Node>();
    for (const c of body.withClause?.ctes ?? []) if (c.CommonTableExpr?.ctename) ctes.set(c.CommonTableExpr.ctename, c.CommonTableExpr.ctequery);
    // A table of the FROM whose key the WHERE pins to one value, by its name (trieve's `FROM
    // organizations WHERE organizations.name = 'DEFAULT'`, name UNIQUE: the twenty-fourth trial's F).
    const keyPinned = (item: Node) => {
      const range = item.RangeVar;
      const t = range ? ctx.state.table(relationName(range)) : undefined;
      if (!t) return false;
      const fixed = new Set(pinnedColumns(body.whereClause, { names: new Set([range.alias?.aliasname ?? range.relname]), joined: true }).filter((c) => c.qualified && c.values.length === 1).map((c) => c.column));
      for (const c of t.uniqueColumns) if (fixed.has(c)) return true;
      for (const k of t.keyConstraints.values()) if (k.columns.length > 0 && k.columns.every((c) => fixed.has(c))) return true;
      for (const u of t.uniqueIndexes.values()) if (u.keys.length > 0 && u.keys.every((c) => c !== null && fixed.has(c))) return true;
      return false;
    };
    const several = from.filter((item) => !givesOneRow(item, (t) => ctx.rows(t), ctes) && !keyPinned(item));
    if (!several.length) return;
    // Each by the names it makes visible: a join by its tables' (the nineteenth trial's WebAPI).
    const names = several.flatMap(visibleNames).map(quoteIdent);
    if (!names.length) names.push('its subquery');
    report({
      message: `UPDATE ${quoteName(table)} ... FROM ${names.join(', ')} has no condition joining ${quoteName(table)} to ${names.length === 1 ? 'it' : 'them'}: every row of ${quoteName(table)} matches every row of ${andList(names)}, and PostgreSQL updates each with one of them, which one is not predictable`,
      help: `Join them in the WHERE (WHERE ${quoteIdent(visible)}.key = ${names[0]}.key, a subquery selecting the key it groups by); or, for one value, make ${names.length === 1 ? 'the FROM give' : 'each give'} one row (an aggregate without GROUP BY). If what it reads is a table of one row (a site's settings), give its size: --assume-rows <table>=1.`,
    });
  },
};

/** The names a FROM item makes visible: a table's (or its alias), a subquery's alias, a join's tables. */
function visibleNames(item: Node): string[] {
  if (item.RangeVar) return [item.RangeVar.alias?.aliasname ?? item.RangeVar.relname];
  if (item.JoinExpr) return [...(item.JoinExpr.alias?.aliasname ? [item.JoinExpr.alias.aliasname] : []), ...visibleNames(item.JoinExpr.larg ?? {}), ...visibleNames(item.JoinExpr.rarg ?? {})];
  const alias = (Object.values(item)[0] as Node | undefined)?.alias?.aliasname;
  return alias ? [alias] : [];
}

/**
 * Whether the values SET takes read the FROM: a column qualified by one of its names, or a bare
 * one the table does not have (when all its columns are known; otherwise a bare one may be the FROM's).
 */
function readsFrom(value: unknown, names: ReadonlySet<string>, targetColumns: ReadonlyMap<string, unknown> | undefined): boolean {
  if (Array.isArray(value)) return value.some((v) => readsFrom(v, names, targetColumns));
  if (value === null || typeof value !== 'object') return false;
  const n = value as Node;
  if (n.ColumnRef) {
    const fields: Node[] = n.ColumnRef.fields ?? [];
    if (fields.length === 1) return fields[0]?.String?.sval !== undefined && (!targetColumns || !targetColumns.has(fields[0].String.sval));
    return names.has(fields.at(-2)?.String?.sval);
  }
  for (const key in n) if (readsFrom(n[key], names, targetColumns)) return true;
  return false;
}

/** The ON conditions of the joins in a FROM item. */
function joinConditions(item: Node): unknown[] {
  const join = item.JoinExpr;
  if (!join) return [];
  return [join.quals, ...joinConditions(join.larg ?? {}), ...joinConditions(join.rarg ?? {})];
}

/** Whether an expression may name a column of the target: one qualified by its visible name, or any bare one. */
function mayNameTarget(value: unknown, visible: string): boolean {
  if (Array.isArray(value)) return value.some((v) => mayNameTarget(v, visible));
  if (value === null || typeof value !== 'object') return false;
  const n = value as Node;
  if (n.ColumnRef) {
    const fields: Node[] = n.ColumnRef.fields ?? [];
    return fields.length === 1 || fields.at(-2)?.String?.sval === visible;
  }
  for (const key in n) if (mayNameTarget(n[key], visible)) return true;
  return false;
}

/**
 * Whether a FROM item gives one row at most: a subquery without FROM, or of aggregates without
 * GROUP BY, or with LIMIT 1; a table whose size hint says one row.
 */
function givesOneRow(item: Node, rows: (table: string) => number | undefined, ctes: ReadonlyMap<string, Node> = new Map()): boolean {
  if (item.RangeVar) {
    const cte = item.RangeVar.schemaname ? undefined : ctes.get(item.RangeVar.relname);
    if (cte) return givesOneRow({ RangeSubselect: { subquery: cte } }, rows);
    const n = rows(relationName(item.RangeVar));
    return n !== undefined && n <= 1;
  }
  const select: Node | undefined = item.RangeSubselect?.subquery?.SelectStmt;
  if (!select || (select.op && select.op !== 'SETOP_NONE')) return false;
  if (select.limitCount?.A_Const?.ival?.ival === 1) return true;
  if (select.valuesLists) return select.valuesLists.length === 1;
  if (!select.fromClause?.length) return true;
  // Rows of one-row tables only (their size hints say so), with no set-returning join: one row.
  if ((select.fromClause as Node[]).every((f) => f.RangeVar && givesOneRow(f, rows))) return true;
  if (select.groupClause?.length) return false;
  const targets: Node[] = select.targetList ?? [];
  return targets.length > 0 && targets.every((t) => isAggregate(t.ResTarget?.val));
}

/** An aggregate call (count, sum, max...), maybe cast or inside an expression of aggregates and constants. */
function isAggregate(value: Node | undefined): boolean {
  if (!value) return false;
  if (value.FuncCall) return aggregates.has(value.FuncCall.funcname?.at(-1)?.String?.sval) && !value.FuncCall.over;
  if (value.TypeCast) return isAggregate(value.TypeCast.arg);
  if (value.CoalesceExpr) return (value.CoalesceExpr.args ?? []).every((a: Node) => isAggregate(a) || a.A_Const !== undefined);
  return false;
}

const aggregates = new Set(['count', 'sum', 'max', 'min', 'avg', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg']);
