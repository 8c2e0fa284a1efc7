import { node, ownColumnOf, ownTableNames, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import type { TableState } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { deparsed } from '../../sql/deparse.js';

/**
 * Functions that map different values to one: what two values that become the same may differ in.
 * Applied to a column a unique key covers, two rows can end with the same value.
 */
const collapsing: Record<string, string> = {
  lower: "case ('Ann' and 'ann')",
  upper: "case ('Ann' and 'ANN')",
  initcap: "case ('ann' and 'ANN')",
  btrim: "the characters it trims ('x' and 'x ')",
  ltrim: "the characters it trims ('x' and ' x')",
  rtrim: "the characters it trims ('x' and 'x/' for rtrim(c, '/'))",
  normalize: 'Unicode form (é written as one code point, or as e and a combining accent)',
  unaccent: "accents ('é' and 'e')",
  replace: 'what it replaces',
  regexp_replace: 'what it replaces',
  translate: 'the characters it translates',
  substr: 'what it cuts off',
  substring: 'what it cuts off',
  left: 'what it cuts off',
  right: 'what it cuts off',
  date_trunc: 'what it truncates (two times in the same hour, for date_trunc(\'hour\', c))',
  trunc: 'the digits it drops',
  round: 'the digits it rounds away',
  floor: 'the fraction',
  ceil: 'the fraction',
  ceiling: 'the fraction',
};

/**
 * UPDATE t SET c = f(c) where a primary key, unique constraint or unique index covers c and f maps
 * different values to one (lower, rtrim, normalize, ...): two rows whose values differ only in
 * what f changes end with the same key, and PostgreSQL refuses the statement ("duplicate key value
 * violates unique constraint"), a non-deferrable key being checked row by row. Rows the WHERE
 * leaves out count too: `SET audience = rtrim(audience, '/') WHERE audience <> rtrim(audience, '/')`
 * turns x/ into x beside an x already there (the twentieth trial's pocket-id, whose server
 * migrates at start-up: it would not start). Shown on PostgreSQL 15 and PGlite.
 */
export const uniqueCollision: StatementRule = {
  code: 'MG248',
  name: 'unique-collision',
  summary: 'An UPDATE that sets a column a unique key covers to lower(), rtrim(), normalize() (or another function that maps different values to one) of itself: two rows that differ only in what it changes collide, and PostgreSQL refuses the statement.',
  severity: 'warning',
  kinds: ['UpdateStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'UpdateStmt' || !body.relation) return;
    const table = relationName(body.relation);
    const known = ctx.state.table(table);
    // A table made in this migration, or emptied before in its transaction, has no rows to collide.
    if (!known || ctx.state.isNew(table) || ctx.earlier.emptied(table)) return;
    const self = ownTableNames(body.relation, table);
    for (const t of body.targetList ?? []) {
      const target = t.ResTarget;
      if (target?.name === undefined || target.indirection?.length) continue;
      const fn = collapsingOf(target.val, target.name, self);
      if (fn === undefined) continue;
      const key = uniqueKeyOn(known, target.name);
      if (key === undefined) continue;
      const column = quoteIdent(target.name);
      const value = deparsed(target.val) ?? `${fn}(${column})`;
      // The values after the UPDATE: the new one where its WHERE holds, the old one elsewhere
      // (goalert's substring(value from 2) WHERE value LIKE '+%' collides with a row it leaves out).
      const where = body.whereClause && !body.fromClause?.length ? deparsed(body.whereClause) : undefined;
      const after = where !== undefined ? `CASE WHEN ${where} THEN ${value} ELSE ${column} END` : value;
      report({
        refused: 'possible',
        message: `UPDATE sets ${column} of ${quoteName(table)}, which ${key.what} keeps unique, to ${value.length <= 60 ? value : `${fn}(...)`}: two rows whose values differ only in ${collapsing[fn]} end with the same value${body.whereClause ? ' (or one it changes ends with the value of a row its WHERE leaves out)' : ''}, and PostgreSQL refuses the statement: duplicate key value violates unique constraint ${quoteIdent(key.name)}`,
        help: `Look for the values that would collide before it runs: SELECT ${[...key.others.map(quoteIdent), `${after} AS value`].join(', ')}, count(*) FROM ${quoteName(table)}${body.relation.alias ? ` ${quoteIdent(body.relation.alias.aliasname)}` : ''} GROUP BY ${key.others.map((_, i) => `${i + 1}, `).join('')}${key.others.length + 1} HAVING count(*) > 1; then merge or rename those rows first, in the same migration before the UPDATE (or leave them out of it), so that it cannot fail on the rows a database already has.`,
      });
    }
  },
};

/**
 * The collapsing function `value` applies to `column` itself (f(c), f(g(c)), f(c)::text, with
 * other arguments constants), if any: the outermost such function.
 */
function collapsingOf(value: any, column: string, self: ReadonlySet<string>): string | undefined {
  const isColumn = (v: any): boolean => ownColumnOf(v, self) === column;
  const ofColumn = (v: any): boolean => isColumn(v) || (v?.TypeCast !== undefined && ofColumn(v.TypeCast.arg)) || (v?.FuncCall !== undefined && ofColumn(v.FuncCall.args?.[0]));
  let v = value;
  while (v?.TypeCast) v = v.TypeCast.arg;
  const call = v?.FuncCall;
  if (!call) return undefined;
  const name: string | undefined = call.funcname?.at(-1)?.String?.sval;
  const args: any[] = call.args ?? [];
  if (name === undefined) return undefined;
  // The column is the function's first argument (date_trunc's second), the rest constants.
  const subject = name === 'date_trunc' ? 1 : 0;
  if (collapsing[name] !== undefined && ofColumn(args[subject]) && args.every((a, i) => i === subject || a?.A_Const !== undefined || a?.TypeCast?.arg?.A_Const !== undefined)) return name;
  // An outer function that is not one (a cast, coalesce, concat) may keep the collapse: look inside its first argument.
  return collapsingOf(args[0], column, self);
}

/** The primary key, unique constraint or unique index that covers the column, named, with its other columns. */
function uniqueKeyOn(table: TableState, column: string): { name: string; what: string; others: string[] } | undefined {
  const described = (name: string, what: string, columns: readonly string[]) => ({ name, what: `${what} ${quoteIdent(name)}${columns.length > 1 ? ` (${columns.map(quoteIdent).join(', ')})` : ''}`, others: columns.filter((c) => c !== column) });
  for (const [name, k] of table.keyConstraints) if (k.columns.includes(column)) return described(name, k.primary ? 'the primary key' : 'the unique constraint', k.columns);
  for (const [name, u] of table.uniqueIndexes) if (u.keys.includes(column)) return described(name, 'the unique index', u.keys);
  return undefined;
}

