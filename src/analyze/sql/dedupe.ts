import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { node } from '../../sql/node.js';
import { tableKey, type SchemaState } from './schema-state.js';

type Any = Record<string, any>;

/**
 * The columns a DELETE leaves without two rows sharing their values, when it removes every row of
 * its table but one of each group of rows that share them (a de-duplication, run before a unique
 * index on them: firefly's 000082, 000099 and 000108, the twenty-ninth trial's E). The shapes:
 *
 * - `WHERE k NOT IN (SELECT max(k) FROM t GROUP BY c1, c2)` (or `min`);
 * - `USING t b WHERE a.k < b.k AND a.c1 = b.c1 AND a.c2 = b.c2` (or `>`): a row is deleted where
 *   another of its group has a greater `k`. A row with NULL in a `c` matches none and stays: a
 *   unique index takes NULLs for distinct, so it does not fail on them;
 * - `WHERE k IN (SELECT k FROM (SELECT k, row_number() OVER (PARTITION BY c1, c2 ...) AS rn
 *   FROM t) s WHERE rn > 1)`.
 *
 * `k` must tell every row apart: `ctid`, or a column the table keeps unique (`id` where migc saw
 * no key). With two rows of one `k` (or a NULL `max(k)`, which makes `NOT IN` delete nothing)
 * duplicates would stay. Undefined for any other DELETE.
 */
export function dedupedColumns(ast: PgNode, state: SchemaState): readonly string[] | undefined {
  const [kind, body] = node(ast);
  if (kind !== 'DeleteStmt' || !body.relation || !body.whereClause || body.withClause) return undefined;
  const table = relationName(body.relation);
  const unique = state.table(table)?.uniqueColumns;
  const tellsApart = (k: string | undefined) => k !== undefined && (k === 'ctid' || (unique?.size ? unique.has(k) : k === 'id'));
  const sameTable = (from: Any[] | undefined) => from?.length === 1 && from[0]?.RangeVar !== undefined && tableKey(relationName(from[0].RangeVar)) === tableKey(table);
  const columnName = (n: Any | undefined): string | undefined => n?.ColumnRef?.fields?.at(-1)?.String?.sval;
  const where = body.whereClause as Any;

  // k NOT IN (SELECT max(k) FROM t GROUP BY ...)
  const negated = where.BoolExpr?.boolop === 'NOT_EXPR' ? where.BoolExpr.args?.[0]?.SubLink : undefined;
  if (negated?.subLinkType === 'ANY_SUBLINK' && !body.usingClause) {
    const k = columnName(negated.testexpr);
    const select = negated.subselect?.SelectStmt as Any | undefined;
    const target = select?.targetList?.length === 1 ? select.targetList[0].ResTarget?.val?.FuncCall : undefined;
    const agg = target?.funcname?.at(-1)?.String?.sval;
    if (tellsApart(k) && (agg === 'max' || agg === 'min') && target.args?.length === 1 && columnName(target.args[0]) === k && sameTable(select!.fromClause) && !select!.whereClause && select!.groupClause?.length) {
      const groups = (select!.groupClause as Any[]).map(columnName);
      return groups.every((g): g is string => g !== undefined) ? groups : undefined;
    }
  }

  // USING t b WHERE a.k < b.k AND a.c = b.c ...
  const own = body.relation.alias?.aliasname ?? body.relation.relname;
  const other = body.usingClause?.length === 1 ? body.usingClause[0].RangeVar : undefined;
  if (other && tableKey(relationName(other)) === tableKey(table) && other.alias?.aliasname && where.BoolExpr?.boolop === 'AND_EXPR') {
    const them = other.alias.aliasname as string;
    const sides = (e: Any): { op: string; mine: string; theirs: string } | undefined => {
      const a = e.A_Expr;
      if (a?.kind !== 'AEXPR_OP') return undefined;
      const l = a.lexpr?.ColumnRef?.fields?.map((f: Any) => f.String?.sval);
      const r = a.rexpr?.ColumnRef?.fields?.map((f: Any) => f.String?.sval);
      if (l?.length !== 2 || r?.length !== 2 || l[1] !== r[1]) return undefined;
      const op = a.name?.[0]?.String?.sval as string;
      if (l[0] === own && r[0] === them) return { op, mine: l[1], theirs: r[1] };
      if (l[0] === them && r[0] === own) return { op: op === '<' ? '>' : op === '>' ? '<' : op, mine: r[1], theirs: l[1] };
      return undefined;
    };
    const parts = (where.BoolExpr.args as Any[]).map(sides);
    if (parts.every((p) => p !== undefined)) {
      const order = parts.filter((p) => p!.op === '<' || p!.op === '>');
      const equal = parts.filter((p) => p!.op === '=').map((p) => p!.mine);
      if (order.length === 1 && tellsApart(order[0]!.mine) && equal.length > 0 && equal.length === parts.length - 1) return equal;
    }
  }

  // k IN (SELECT k FROM (SELECT k, row_number() OVER (PARTITION BY ...) AS rn FROM t) s WHERE rn > 1)
  const link = where.SubLink;
  if (link?.subLinkType === 'ANY_SUBLINK' && !body.usingClause) {
    const k = columnName(link.testexpr);
    const outer = link.subselect?.SelectStmt as Any | undefined;
    const inner = outer?.fromClause?.length === 1 ? outer.fromClause[0].RangeSubselect?.subquery?.SelectStmt as Any | undefined : undefined;
    const rn = (inner?.targetList as Any[] | undefined)?.find((t) => t.ResTarget?.val?.FuncCall?.funcname?.at(-1)?.String?.sval === 'row_number')?.ResTarget;
    const over = rn?.val?.FuncCall?.over;
    const filter = outer?.whereClause?.A_Expr;
    const bound = filter?.kind === 'AEXPR_OP' && filter.name?.[0]?.String?.sval === '>' && filter.rexpr?.A_Const?.ival?.ival === 1;
    if (tellsApart(k) && rn?.name && over?.partitionClause?.length && sameTable(inner!.fromClause) && !inner!.whereClause && bound && columnName(filter.lexpr) === rn.name
      && outer!.targetList?.length === 1 && columnName(outer!.targetList[0].ResTarget?.val) === k) {
      const groups = (over.partitionClause as Any[]).map(columnName);
      return groups.every((g): g is string => g !== undefined) ? groups : undefined;
    }
  }
  return undefined;
}
