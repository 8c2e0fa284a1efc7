import { relationName } from '../../sql/facts.js';
import type { PgNode } from '../../sql/parser.js';
import type { SchemaState } from './schema-state.js';

/**
 * The column references of a data statement (UPDATE, DELETE, INSERT, SELECT) that name a column
 * no table in reach has, resolved as PostgreSQL's parser resolves them (parse_relation.c): a
 * bare name in the tables of its own FROM first, then in those of each enclosing query, out to
 * the statement's; `alias.column` in the table the alias (or the table's own name) stands for.
 * PostgreSQL refuses such a statement: `column "tenant_id" does not exist`, `column u.tenant_id
 * does not exist`. Decided only where every table in reach is known whole
 * (SchemaState.columnsAllKnown): a view, a function, a subquery or a CTE in a FROM, a table the
 * files did not create, stops the search for a bare name where it stands; `alias.column` needs
 * only its own table known. A bare name that is a table's (a whole-row reference), a system
 * column, and a bare name in ORDER BY or GROUP BY (an output column's alias there) are left alone.
 */
export interface MissingColumnRef {
  readonly column: string;
  /** The alias or table name it is qualified by (`u` of `u.tenant_id`). */
  readonly qualifier?: string;
  /** The tables searched (tableKey names), in the order searched. */
  readonly searched: readonly string[];
  /** Where the reference is, as the parser gives it (a byte offset into the text parsed), when known. */
  readonly location?: number;
  /** Its parts, as written: one or two. */
  readonly parts: number;
}

/** What a name in a FROM stands for: a table known whole, or something whose columns are not known. */
type Source = { readonly table: string; readonly columns: ReadonlySet<string> | ReadonlyMap<string, unknown> } | undefined;

interface Scope {
  readonly parent: Scope | undefined;
  /** The names the FROM makes visible (an alias, or the table's own name), with what each stands for. */
  readonly names: Map<string, Source>;
  /** A FROM item with no name of its own, or one whose columns are not known: bare names may be its. */
  opaque: boolean;
  /**
   * The CTEs of its WITH (a FROM naming one, here or in a query inside, reads the CTE), each with
   * the names of the columns it gives, when they are known (outputColumns()).
   */
  readonly ctes?: ReadonlyMap<string, ReadonlySet<string> | undefined>;
}

/** The CTE a name in a FROM reads, nearest first: its columns (undefined: not known), or null for no CTE. */
function cteOf(scope: Scope | undefined, name: string): ReadonlySet<string> | undefined | null {
  for (let s = scope; s; s = s.parent) if (s.ctes?.has(name)) return s.ctes.get(name);
  return null;
}

/**
 * The names of the columns a query gives, as PostgreSQL names them, when each is plain: an alias
 * (`AS n`, or the column list of `WITH x(a, b)` and `AS s(a, b)`), a column (`u.id` gives `id`),
 * a function call (`count(*)` gives `count`); the first branch's, for a UNION. Undefined when one
 * is anything else (`*`, an expression without an alias) or the query is not a SELECT.
 */
function outputColumns(query: Node | undefined, aliases?: readonly Node[]): ReadonlySet<string> | undefined {
  if (aliases?.length) return new Set(aliases.map((a) => a.String?.sval as string));
  let select = query?.SelectStmt as Node | undefined;
  while (select?.op && select.op !== 'SETOP_NONE') select = select.larg;
  if (!select || select.valuesLists) return undefined;
  const names = new Set<string>();
  for (const t of (select.targetList ?? []) as Node[]) {
    const target = t.ResTarget;
    const value = target?.val;
    const fields: Node[] | undefined = value?.ColumnRef?.fields;
    const name = target?.name ?? (fields ? fields.at(-1)?.String?.sval : value?.FuncCall ? value.FuncCall.funcname?.at(-1)?.String?.sval : undefined);
    if (typeof name !== 'string') return undefined;
    names.add(name);
  }
  return names;
}

/** PostgreSQL's system columns, which every table has. */
const systemColumns = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

type Node = Record<string, any>;

/** `values`: bare names that stand for a value, not a column (StatementContext.psqlNames). */
export function missingColumnRefs(ast: PgNode, state: SchemaState, values?: ReadonlySet<string>): MissingColumnRef[] {
  const found: MissingColumnRef[] = [];
  const top: Scope = { parent: undefined, names: new Map(), opaque: false };

  const tableSource = (rv: Node): Source => {
    const name = relationName(rv);
    const t = state.table(name);
    if (!t || !state.columnsAllKnown(name)) return undefined;
    return { table: name, columns: t.columns };
  };

  /**
   * Adds a FROM item's names to the scope; walks what it holds (a subquery, a join's ON, a
   * function's arguments). `target`: the table an UPDATE, DELETE or INSERT writes, which is never
   * a CTE, whatever the WITH names (`WITH t AS (...) UPDATE t` updates the table t).
   */
  const addFrom = (item: Node, scope: Scope, outer: Scope, target = false) => {
    const [kind, body] = Object.entries(item)[0] ?? [];
    if (kind === 'RangeVar') {
      const visible = body.alias?.aliasname ?? body.relname;
      // A CTE of that name gives its own columns; the alias's column list (t AS x(a, b)) renames them.
      const cte = body.schemaname || target ? null : cteOf(scope, body.relname);
      const source = body.alias?.colnames ? undefined : cte === null ? tableSource(body) : cte && { table: body.relname as string, columns: cte };
      if (!source) scope.opaque = true;
      scope.names.set(visible, source);
      return;
    }
    if (kind === 'JoinExpr') {
      // A join with an alias of its own hides its tables' names: not followed.
      if (body.alias) scope.opaque = true;
      if (body.larg) addFrom(body.larg, scope, outer);
      if (body.rarg) addFrom(body.rarg, scope, outer);
      // ON sees both sides (and, taken wider, the rest of the FROM: never a reference refused by PostgreSQL reported).
      if (body.quals) expressions(body.quals, scope, false);
      return;
    }
    // A subquery gives the columns its select list names (outputColumns()); a function, VALUES,
    // a table sample, XMLTABLE...: not followed.
    const columns = kind === 'RangeSubselect' && body.alias?.aliasname ? outputColumns(body.subquery, body.alias.colnames) : undefined;
    if (columns) scope.names.set(body.alias.aliasname, { table: body.alias.aliasname, columns });
    else {
      scope.opaque = true;
      if (body?.alias?.aliasname) scope.names.set(body.alias.aliasname, undefined);
    }
    // LATERAL may see the FROM items before it: walked in the FROM's scope (wider, never stricter).
    if (kind === 'RangeSubselect' && body.subquery) statement(body.subquery, body.lateral ? scope : outer);
    else if (body) expressions(body, scope, false);
  };

  /** A reference: resolved in the scope, and outward. */
  const reference = (ref: Node, scope: Scope, aliasesToo: boolean) => {
    const fields: Node[] = ref.fields ?? [];
    if (fields.some((f) => !f.String)) return; // t.* or *
    const parts = fields.map((f) => f.String.sval as string);
    if (parts.length === 1) {
      const [column] = parts as [string];
      if (aliasesToo || systemColumns.has(column) || values?.has(column)) return;
      const searched: string[] = [];
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        // A whole-row reference (row_to_json(t)), or a bare name where something unknown may have it.
        if (s.names.has(column) || s.opaque) return;
        for (const source of s.names.values()) {
          if (source!.columns.has(column)) return;
          searched.push(source!.table);
        }
      }
      found.push({ column, searched, parts: 1, ...(ref.location !== undefined ? { location: ref.location } : {}) });
      return;
    }
    if (parts.length !== 2) return;
    const [qualifier, column] = parts as [string, string];
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      if (!s.names.has(qualifier)) continue;
      const source = s.names.get(qualifier);
      if (source && !source.columns.has(column) && !systemColumns.has(column)) {
        found.push({ column, qualifier, searched: [source.table], parts: 2, ...(ref.location !== undefined ? { location: ref.location } : {}) });
      }
      return;
    }
  };

  /** Every reference in an expression (a subquery in it is a query of its own, in this scope). */
  const expressions = (value: unknown, scope: Scope, aliasesToo: boolean): void => {
    if (Array.isArray(value)) {
      for (const v of value) expressions(v, scope, aliasesToo);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const n = value as Node;
    if (n.ColumnRef) return reference(n.ColumnRef, scope, aliasesToo);
    if (n.SelectStmt || n.InsertStmt || n.UpdateStmt || n.DeleteStmt) return statement(n, scope);
    for (const key in n) expressions(n[key], scope, aliasesToo);
  };

  /**
   * The scope of a WITH: its CTEs' names, seen by the query and those inside it. A CTE's own body
   * sees only the CTEs before it: in `WITH users AS (SELECT users.id FROM users) ...` the body
   * reads the table users (the thirty-eighth trial's stacker.news attach_wallets). Under WITH
   * RECURSIVE every CTE sees them all, itself too (parse_cte.c).
   */
  const withCtes = (withClause: Node | undefined, outer: Scope): Scope => {
    const ctes = ((withClause?.ctes ?? []) as Node[]).map((c) => c.CommonTableExpr ?? {});
    if (!ctes.length) return outer;
    const columns = (cte: Node) => outputColumns(cte.ctequery, cte.aliascolnames);
    const withScope = (seen: ReadonlyMap<string, ReadonlySet<string> | undefined>): Scope => ({ parent: outer, names: new Map(), opaque: false, ctes: seen });
    if (withClause?.recursive) {
      const scope = withScope(new Map(ctes.map((cte) => [cte.ctename, columns(cte)])));
      for (const cte of ctes) if (cte.ctequery) statement(cte.ctequery, scope);
      return scope;
    }
    const seen = new Map<string, ReadonlySet<string> | undefined>();
    for (const cte of ctes) {
      if (cte.ctequery) statement(cte.ctequery, withScope(new Map(seen)));
      seen.set(cte.ctename, columns(cte));
    }
    return withScope(seen);
  };

  const query = (outer: Scope): Scope => ({ parent: outer, names: new Map(), opaque: false });

  /** A query, with its own scope inside `outer`. */
  const statement = (stmt: Node, outer: Scope): void => {
    const [kind, body] = Object.entries(stmt)[0] ?? [];
    if (!body) return;
    const around = withCtes(body.withClause, outer);
    if (kind === 'SelectStmt') {
      if (body.op && body.op !== 'SETOP_NONE') {
        if (body.larg) statement({ SelectStmt: body.larg }, around);
        if (body.rarg) statement({ SelectStmt: body.rarg }, around);
        expressions(body.sortClause, around, true);
        return;
      }
      // VALUES sees no FROM of its own.
      if (body.valuesLists) expressions(body.valuesLists, around, false);
      const scope = query(around);
      for (const item of body.fromClause ?? []) addFrom(item, scope, around);
      expressions([body.targetList, body.whereClause, body.havingClause, body.windowClause], scope, false);
      // These may name an output column by its alias.
      expressions([body.groupClause, body.sortClause, body.distinctClause], scope, true);
      return;
    }
    if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
      const scope = query(around);
      addFrom({ RangeVar: body.relation }, scope, around, true);
      for (const item of (kind === 'UpdateStmt' ? body.fromClause : body.usingClause) ?? []) addFrom(item, scope, around);
      // The names UPDATE sets are its table's (MG238 checks them on their own); their values are expressions.
      const values = kind === 'UpdateStmt' ? (body.targetList ?? []).map((t: Node) => [t.ResTarget?.val, t.ResTarget?.indirection]) : [];
      expressions([values, body.whereClause, body.returningList], scope, false);
      return;
    }
    if (kind === 'InsertStmt') {
      // Its SELECT or VALUES sees nothing of the table it fills.
      if (body.selectStmt) statement(body.selectStmt, around);
      const scope = query(around);
      addFrom({ RangeVar: body.relation }, scope, around, true);
      const conflict = body.onConflictClause;
      if (conflict) {
        // DO UPDATE sees the table and EXCLUDED, the row proposed for it.
        scope.names.set('excluded', scope.names.get(body.relation?.alias?.aliasname ?? body.relation?.relname));
        expressions([(conflict.targetList ?? []).map((t: Node) => t.ResTarget?.val), conflict.whereClause], scope, false);
      }
      expressions(body.returningList, scope, false);
    }
  };

  statement(ast as Node, top);
  return found;
}
