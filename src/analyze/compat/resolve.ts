/**
 * Whether one query of an application resolves against a schema state, as PostgreSQL would
 * resolve it when planning: its tables, columns, functions and types exist; an INSERT names
 * every NOT NULL column that has no default; and, where both sides' types are known, the
 * query's comparisons, assignments and conditions still fit the columns' types; a write to a
 * view is one PostgreSQL would accept (an automatically updatable view, its plain columns). It
 * reads the query's parse tree (libpg-query); what it cannot know (a table known only from
 * ALTERs, a view over one, an extension's functions) it accepts, so every problem it reports is
 * certain. The same walk gives a view's columns, named as PostgreSQL names them, and what it
 * depends on (src/analyze/compat/views.ts).
 */
import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { nonVolatileBuiltinNames, volatileBuiltinNames } from '../sql/builtin-functions.js';
import { tableKey, type ColumnState, type SchemaState } from '../sql/schema-state.js';
import { columnType, describeType, type ColumnType } from '../sql/types.js';
import { builtinAggregateNames, builtinTypeNames } from './builtins.js';
import type { ViewCatalog, ViewDef } from './views.js';
import { quoteColumn, quoteIdent, quoteName, quoteTypeName } from '../../sql/quote.js';

/** What the resolver needs beside the state. */
export interface ResolveContext {
  readonly state: SchemaState;
  /** The baseline creates extensions: functions and types migc does not know may be theirs. */
  readonly unknownObjectsMayExist: boolean;
  /** The views and materialized views with what is known of them; without it, views are names only. */
  readonly views?: ViewCatalog;
}

/** A query's output columns in order (names may repeat); undefined when they cannot all be known. */
export type Outputs = readonly (readonly [string, ColumnState])[] | undefined;

/** What a query reads: relations (tableKey) and their columns, as "relation\tcolumn". */
export interface Uses {
  readonly relations: Set<string>;
  readonly columns: Set<string>;
}

/** A query's problems, its output columns, and what it uses. */
export interface QueryDescription {
  readonly problems: string[];
  readonly outputs: Outputs;
  readonly uses: Uses;
}

type Any = Record<string, any>;

/** A type as far as comparisons care: values of one category compare with each other. */
type Category = 'number' | 'string' | 'boolean' | 'datetime' | 'interval' | 'json' | 'uuid' | 'bytea' | 'network';

interface Typed {
  /** undefined: a literal string or a parameter, which takes the type of what it meets. */
  readonly category?: Category;
  readonly name: string;
}

const categories: Record<string, Category> = {
  int2: 'number', int4: 'number', int8: 'number', numeric: 'number', float4: 'number', float8: 'number', serial2: 'number', serial4: 'number', serial8: 'number', money: 'number',
  text: 'string', varchar: 'string', bpchar: 'string', name: 'string', citext: 'string',
  bool: 'boolean',
  timestamptz: 'datetime', timestamp: 'datetime', date: 'datetime',
  interval: 'interval', json: 'json', jsonb: 'json', uuid: 'uuid', bytea: 'bytea', inet: 'network', cidr: 'network',
};

function typed(t: ColumnType | undefined): Typed | undefined {
  if (!t) return undefined;
  const category = t.array ? undefined : categories[t.name];
  return category ? { category, name: describeType(t) } : undefined;
}

const untyped: Typed = { name: 'unknown' };
const builtinFunctions = new Set([...volatileBuiltinNames.split(/\s+/), ...nonVolatileBuiltinNames.split(/\s+/), ...builtinAggregateNames].filter(Boolean));
const comparisons = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);
const functionResults: Record<string, Typed> = {
  now: { category: 'datetime', name: 'timestamptz' }, clock_timestamp: { category: 'datetime', name: 'timestamptz' },
  statement_timestamp: { category: 'datetime', name: 'timestamptz' }, transaction_timestamp: { category: 'datetime', name: 'timestamptz' },
  count: { category: 'number', name: 'bigint' }, length: { category: 'number', name: 'integer' }, char_length: { category: 'number', name: 'integer' },
  lower: { category: 'string', name: 'text' }, upper: { category: 'string', name: 'text' }, btrim: { category: 'string', name: 'text' },
  concat: { category: 'string', name: 'text' }, gen_random_uuid: { category: 'uuid', name: 'uuid' },
};

/** A column of a source as a message names it: "User".email, or a subquery.x for a source that has no name. */
function columnOf(src: Source, column: string): string {
  return src.described ? `${src.relation}.${quoteIdent(column)}` : quoteColumn(src.relation, column);
}

interface Source {
  readonly alias: string;
  /** undefined when the columns are not known (a view over an unknown table, a function). */
  readonly columns?: ReadonlyMap<string, ColumnState>;
  readonly relation: string;
  /** The relation is a description (a subquery, a function), not a name. */
  readonly described?: true;
  /** A table or view of the schema, as tableKey() keys it (what a view built on it depends on). */
  readonly key?: string;
  /** When it is a view or materialized view: what is known of it. */
  readonly view?: ViewDef;
  /** Columns a CHECK (col IS NOT NULL) requires in new rows, validated or NOT VALID (it checks new rows all the same). */
  readonly checkedNotNull?: ReadonlySet<string>;
}

interface Scope {
  readonly sources: Source[];
  readonly parent?: Scope;
  /** Names the query's output gives (ORDER BY and GROUP BY may use them). */
  readonly outputs?: Set<string>;
  /** Common table expressions visible here, with their output columns when known. */
  readonly ctes: Map<string, ReadonlyMap<string, ColumnState> | undefined>;
  /** A join of the FROM list merges columns (USING, NATURAL): `*` cannot be expanded here. */
  merged?: boolean;
}

const names = (list: { String?: { sval?: string } }[] | undefined) => (list ?? []).map((n) => n.String?.sval ?? '?');
/** A parse-tree node's kind and body; ['', node] for a plain object of fields (or an empty node). */
const kindOf = (node: PgNode | Any): [string, Any] => {
  const entries = Object.entries(node);
  return entries.length === 1 && /^[A-Z]/.test(entries[0]![0]) ? (entries[0] as [string, Any]) : ['', node];
};

/** The problems of one query against the state; empty when it resolves. */
export function resolveQuery(ast: PgNode, ctx: ResolveContext): string[] {
  return describeQuery(ast, ctx, { trackUses: false }).problems;
}

/** The columns of a source in their order (a table's by ordinal: a rename keeps a column's place). */
export function ordered(columns: ReadonlyMap<string, ColumnState>): [string, ColumnState][] {
  const all = [...columns];
  return all.every(([, c]) => c.ordinal !== undefined) ? all.sort(([, a], [, b]) => a.ordinal! - b.ordinal!) : all;
}

/**
 * A query's problems against the state, its output columns and what it reads (a view's
 * dependencies; an app query's are not needed, and tracking them costs a third of the walk).
 */
export function describeQuery(ast: PgNode, ctx: ResolveContext, { trackUses = true }: { trackUses?: boolean } = {}): QueryDescription {
  const problems = new Set<string>();
  const report = (m: string) => problems.add(m);
  const root: Scope = { sources: [], ctes: new Map() };
  const uses: Uses = { relations: new Set(), columns: new Set() };
  const use = (src: Source, column?: string) => {
    if (!trackUses || src.key === undefined) return;
    uses.relations.add(src.key);
    if (column !== undefined) uses.columns.add(`${src.key}\t${column}`);
    else for (const c of src.columns?.keys() ?? []) uses.columns.add(`${src.key}\t${c}`);
  };

  const hidden = (name: string) => name.startsWith('pg_catalog.') || name.startsWith('information_schema.') || name.startsWith('pg_');

  function relationSource(rv: Any, scope: Scope): Source {
    const name = relationName(rv);
    const alias = rv.alias?.aliasname ?? rv.relname;
    if (!rv.schemaname && scope.ctes.has(rv.relname)) return { alias, relation: rv.relname, ...optionalColumns(scope.ctes.get(rv.relname)) };
    for (let s: Scope | undefined = scope.parent; !rv.schemaname && s; s = s.parent) {
      if (s.ctes.has(rv.relname)) return { alias, relation: rv.relname, ...optionalColumns(s.ctes.get(rv.relname)) };
    }
    if (hidden(name)) return { alias, relation: name };
    // A view first: a materialized view is a table to the schema state, whose columns it does not know.
    const view = ctx.views?.get(name);
    if (view) {
      // Reading a view depends on the view; on its columns only as they are referenced.
      uses.relations.add(view.name);
      return { alias, relation: view.name, key: view.name, view, ...optionalColumns(view.columns) };
    }
    const table = ctx.state.table(name);
    if (table) {
      const checkedNotNull = new Set([...table.notNullChecks.values()].map((c) => c.column));
      const src: Source = { alias, relation: table.name, key: table.name, ...(table.partial ? {} : { columns: table.columns }), ...(checkedNotNull.size ? { checkedNotNull } : {}) };
      uses.relations.add(table.name);
      return src;
    }
    if (ctx.views || !ctx.state.views.has(tableKey(name))) report(`table ${quoteName(name)} does not exist`);
    return { alias, relation: name };
  }

  function fromItem(node: Any, scope: Scope): void {
    const [kind, body] = kindOf(node);
    switch (kind) {
      case 'RangeVar':
        scope.sources.push(relationSource(body, scope));
        return;
      case 'JoinExpr':
        fromItem(body.larg, scope);
        fromItem(body.rarg, scope);
        if (body.isNatural || body.usingClause?.length) scope.merged = true;
        for (const u of names(body.usingClause)) {
          const known = scope.sources.filter((s) => s.columns);
          if (known.length === scope.sources.length && !known.some((s) => s.columns!.has(u))) report(`column ${quoteIdent(u)} (in USING) does not exist`);
        }
        if (body.quals) condition(body.quals, scope, 'JOIN ... ON');
        return;
      case 'RangeSubselect': {
        const outputs = renamed(select(body.subquery, body.lateral ? scope : scope.parent ?? root), names(body.alias?.colnames));
        scope.sources.push({ alias: body.alias?.aliasname ?? '?', relation: 'a subquery', described: true, ...optionalColumns(asColumns(outputs)) });
        return;
      }
      case 'RangeFunction':
        for (const f of body.functions ?? []) for (const item of f.List?.items ?? []) expression(item, scope);
        scope.sources.push({ alias: body.alias?.aliasname ?? '?', relation: 'a function', described: true });
        return;
      default:
        scope.sources.push({ alias: body?.alias?.aliasname ?? '?', relation: kind, described: true });
    }
  }

  /** A column reference: its column when known, undefined when it cannot be told, null when missing (reported). */
  function column(fields: Any[], scope: Scope, rowOfColumns = false): ColumnState | undefined | null {
    const parts = fields.map((f) => (f.A_Star ? '*' : f.String?.sval ?? '?'));
    if (parts.length === 1) {
      const [name] = parts as [string];
      if (name === '*') return undefined;
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        for (const src of s.sources) {
          const c = src.columns?.get(name);
          if (c) {
            use(src, name);
            return c;
          }
        }
        // A table's name alone is its whole row: it depends on the table, not on each column (one may be dropped).
        for (const src of s.sources) if (src.alias === name && !src.columns?.has(name) && src.key !== undefined) uses.relations.add(src.key);
        // A source whose columns are unknown may have it; a table's name alone is its whole row.
        if (s.sources.some((src) => !src.columns || src.alias === name) || s.outputs?.has(name)) return undefined;
      }
      const only = scope.sources.length === 1 ? scope.sources[0] : undefined;
      report(only ? `column ${columnOf(only, name)} does not exist` : `column ${quoteIdent(name)} does not exist`);
      return null;
    }
    const [qualifier, name] = parts.length === 2 ? (parts as [string, string]) : [parts[parts.length - 2]!, parts[parts.length - 1]!];
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const src = s.sources.find((x) => x.alias === qualifier);
      if (!src) continue;
      if (name === '*' || !src.columns) {
        // `t.*` as a value (f(t.*), count(t.*)) is the whole row: a view depends on the table, not
        // on each column, and a column of it may be dropped or changed (determined's views: the
        // forty-first trial's A; test/whole-row-view.test.ts on both engines). In ROW(t.*), as in
        // a target list's `SELECT t.*` (expandStar), it stands for the columns, each depended on.
        if (name === '*' && rowOfColumns) use(src);
        else if (name === '*' && trackUses && src.key !== undefined) uses.relations.add(src.key);
        return undefined;
      }
      const c = src.columns.get(name);
      if (c) {
        use(src, name);
        return c;
      }
      report(`column ${columnOf(src, name)} does not exist`);
      return null;
    }
    // "x.y" with no source x: a field of a composite column, or a missing FROM entry; PostgreSQL says the latter.
    if (parts.length === 2 && scope.sources.every((s) => s.columns)) report(`missing FROM-clause entry for ${quoteIdent(qualifier)} (in ${quoteIdent(qualifier)}.${name === '*' ? '*' : quoteIdent(name)})`);
    return undefined;
  }

  function functionExists(funcname: Any[]): void {
    const parts = names(funcname);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[0] : undefined;
    if (ctx.unknownObjectsMayExist) return;
    if ((schema === undefined || schema === 'pg_catalog') && builtinFunctions.has(name)) return;
    if (ctx.state.functions.has(tableKey(parts.join('.')))) return;
    report(`function ${quoteName(parts.join('.'))}() does not exist`);
  }

  function typeExists(typeName: Any): ColumnType | undefined {
    const t = columnType(typeName);
    if (!t || ctx.unknownObjectsMayExist) return t;
    if (builtinTypeNames.has(t.name) || ctx.state.types.has(tableKey(t.name)) || ctx.state.table(t.name)) return t;
    report(`type ${quoteTypeName(t.name)} does not exist`);
    return t;
  }

  /** The type of an expression where it can be known; `untyped` for literal strings and parameters. */
  function typeOf(node: Any | undefined, scope: Scope): Typed | undefined {
    if (!node) return undefined;
    const [kind, body] = kindOf(node);
    switch (kind) {
      case 'A_Const':
        if (body.isnull || body.sval !== undefined || body.bsval !== undefined) return untyped;
        if (body.boolval !== undefined) return { category: 'boolean', name: 'boolean' };
        if (body.ival !== undefined) return { category: 'number', name: 'integer' };
        if (body.fval !== undefined) return { category: 'number', name: 'numeric' };
        return undefined;
      case 'ParamRef':
        return untyped;
      case 'ColumnRef': {
        const c = column(body.fields ?? [], scope);
        return c ? typed(c.type) : undefined;
      }
      case 'TypeCast':
        return typed(columnType(body.typeName));
      case 'FuncCall':
        return functionResults[names(body.funcname).pop()!];
      case 'SQLValueFunction':
        return String(body.op).includes('DATE') || String(body.op).includes('TIMESTAMP') ? { category: 'datetime', name: 'timestamptz' } : undefined;
      case 'BoolExpr':
      case 'NullTest':
      case 'BooleanTest':
        return { category: 'boolean', name: 'boolean' };
      case 'A_Expr': {
        const op = names(body.name)[0];
        if (body.kind !== 'AEXPR_OP') return body.kind === 'AEXPR_IN' || body.kind?.startsWith('AEXPR_BETWEEN') || body.kind === 'AEXPR_LIKE' || body.kind === 'AEXPR_ILIKE' ? { category: 'boolean', name: 'boolean' } : undefined;
        if (op && comparisons.has(op)) return { category: 'boolean', name: 'boolean' };
        const l = typeOf(body.lexpr, scope);
        const r = typeOf(body.rexpr, scope);
        if (op === '-' && l?.category === 'datetime' && r?.category === 'datetime') return { category: 'interval', name: 'interval' };
        if ((op === '+' || op === '-') && l?.category === 'datetime' && (r?.category === 'interval' || r === untyped)) return l;
        if (l?.category === 'number' && r?.category === 'number') return l;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  const describe = (node: Any, t: Typed) => {
    const [kind, body] = kindOf(node);
    if (kind === 'ColumnRef') return `${names(body.fields).map((n) => (n === '*' ? n : quoteIdent(n))).join('.')} (${t.name})`;
    const a = /^[aeiou]/.test(t.name) ? 'an' : 'a';
    if (kind === 'A_Const') return `${a} ${t.name} literal`;
    return `${a} ${t.name} expression`;
  };

  /** Whether values of two types compare; undefined types and literals fit anything. */
  const comparable = (a: Typed | undefined, b: Typed | undefined) => !a?.category || !b?.category || a.category === b.category;

  function comparison(l: Any | undefined, r: Any | undefined, op: string, scope: Scope): void {
    if (!l || !r) return;
    const lt = typeOf(l, scope);
    const items: Any[] = r.List ? r.List.items ?? [] : [r];
    for (const item of items) {
      const rt = typeOf(item, scope);
      if (!comparable(lt, rt)) report(`${describe(l, lt!)} ${op} ${describe(item, rt!)}: no such operator, the types do not compare`);
    }
  }

  function condition(node: Any, scope: Scope, where: string): void {
    expression(node, scope);
    const t = typeOf(node, scope);
    if (t?.category && t.category !== 'boolean') report(`${where} needs a boolean, but ${describe(node, t)} is not one`);
  }

  function assignment(col: string, c: ColumnState | undefined, value: Any, scope: Scope): void {
    const target = typed(c?.type);
    const v = typeOf(value, scope);
    // Anything converts to a string on assignment; a literal string or parameter fits any type.
    if (!target?.category || !v?.category || target.category === 'string' || target.category === v.category) return;
    report(`column ${col} is ${target.name}, but the query writes ${describe(value, v)} to it`);
  }

  function expression(node: Any | undefined, scope: Scope): void {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) expression(n, scope);
      return;
    }
    const [kind, body] = kindOf(node);
    switch (kind) {
      case 'ColumnRef':
        column(body.fields ?? [], scope);
        return;
      case 'RowExpr':
        for (const a of body.args ?? []) {
          if (a?.ColumnRef) column(a.ColumnRef.fields ?? [], scope, true);
          else expression(a, scope);
        }
        return;
      case 'SubLink':
        if (body.testexpr) expression(body.testexpr, scope);
        select(body.subselect, scope);
        return;
      case 'FuncCall':
        functionExists(body.funcname);
        expression(body.args, scope);
        expression(body.agg_filter, scope);
        expression(body.agg_order, scope);
        return;
      case 'TypeCast':
        typeExists(body.typeName);
        expression(body.arg, scope);
        return;
      case 'A_Expr': {
        expression(body.lexpr, scope);
        expression(body.rexpr, scope);
        const op = names(body.name)[0] ?? '?';
        if ((body.kind === 'AEXPR_OP' && comparisons.has(op)) || body.kind === 'AEXPR_IN' || String(body.kind).startsWith('AEXPR_BETWEEN')) comparison(body.lexpr, body.rexpr, op === 'BETWEEN' || String(body.kind).startsWith('AEXPR_BETWEEN') ? 'BETWEEN' : op, scope);
        if (body.kind === 'AEXPR_LIKE' || body.kind === 'AEXPR_ILIKE') {
          const t = typeOf(body.lexpr, scope);
          if (t?.category && t.category !== 'string') report(`${describe(body.lexpr, t)} ${body.kind === 'AEXPR_LIKE' ? 'LIKE' : 'ILIKE'} a pattern: no such operator, LIKE needs a string`);
        }
        return;
      }
      case 'BoolExpr':
        for (const a of body.args ?? []) condition(a, scope, body.boolop === 'NOT_EXPR' ? 'NOT' : body.boolop === 'AND_EXPR' ? 'AND' : 'OR');
        return;
      case 'SelectStmt':
        select(node, scope);
        return;
      default:
        for (const value of Object.values(body ?? {})) if (value && typeof value === 'object') expression(value as Any, scope);
    }
  }

  function withClause(w: Any | undefined, scope: Scope): void {
    for (const c of w?.ctes ?? []) {
      const cte = c.CommonTableExpr;
      if (w?.recursive) scope.ctes.set(cte.ctename, undefined);
      const outputs = renamed(statement(cte.ctequery, scope), names(cte.aliascolnames));
      scope.ctes.set(cte.ctename, asColumns(outputs));
    }
  }

  function returning(body: Any, scope: Scope): void {
    for (const t of body.returningClause?.exprs ?? body.returningList ?? []) expression(t.ResTarget?.val, scope);
  }

  /** The output column of a target that is an expression: its type when a column or a cast gives it. */
  function outputColumn(val: Any | undefined, scope: Scope): ColumnState {
    const fields: Any[] | undefined = val?.ColumnRef?.fields;
    if (fields) {
      const c = column(fields, scope);
      return c?.type ? { type: c.type, notNull: false } : { notNull: false };
    }
    expression(val, scope);
    const type = val?.TypeCast ? columnType(val.TypeCast.typeName) : undefined;
    return type ? { type, notNull: false } : { notNull: false };
  }

  /** `*` or `x.*` of a target list: the columns it stands for, or undefined when they are not all known. */
  function expandStar(fields: Any[], scope: Scope): [string, ColumnState][] | undefined {
    if (fields.length === 1) {
      if (scope.merged || scope.sources.some((src) => !src.columns)) return undefined;
      return scope.sources.flatMap((src) => {
        use(src);
        return ordered(src.columns!).map(([n, c]): [string, ColumnState] => [n, c.type ? { type: c.type, notNull: false } : { notNull: false }]);
      });
    }
    const qualifier = fields[fields.length - 2]?.String?.sval;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const src = s.sources.find((x) => x.alias === qualifier);
      if (!src) continue;
      use(src);
      return src.columns ? ordered(src.columns).map(([n, c]) => [n, c.type ? { type: c.type, notNull: false } : { notNull: false }]) : undefined;
    }
    if (scope.sources.every((s) => s.columns)) report(`missing FROM-clause entry for ${quoteIdent(qualifier)} (in ${quoteIdent(qualifier)}.*)`);
    return undefined;
  }

  /** Checks a SELECT; returns its output columns in order when they can all be known. */
  function select(node: Any | undefined, parent: Scope): Outputs {
    const body = node?.SelectStmt;
    if (!body) return node ? statement(node, parent) : undefined;
    if (body.op && body.op !== 'SETOP_NONE') {
      const scope: Scope = { sources: [], parent, ctes: new Map() };
      withClause(body.withClause, scope);
      // The parse tree gives the branches as bare SelectStmt bodies.
      const branch = (b: Any | undefined) => (b && !b.SelectStmt ? { SelectStmt: b } : b);
      const left = select(branch(body.larg), scope);
      select(branch(body.rarg), scope);
      // The names are the left side's; the types may be resolved across both sides.
      return left?.map(([n]) => [n, { notNull: false }]);
    }
    const scope: Scope = { sources: [], parent, ctes: new Map(), outputs: new Set() };
    withClause(body.withClause, scope);
    for (const row of body.valuesLists ?? []) expression(row.List?.items, scope);
    for (const f of body.fromClause ?? []) fromItem(f, scope);
    const outputs: [string, ColumnState][] = [];
    let complete = true;
    for (const t of body.targetList ?? []) {
      const r = t.ResTarget;
      const fields: Any[] | undefined = r?.val?.ColumnRef?.fields;
      if (fields?.[fields.length - 1]?.A_Star) {
        const expanded = expandStar(fields, scope);
        if (expanded) outputs.push(...expanded);
        else complete = false;
        continue;
      }
      const c = outputColumn(r?.val, scope);
      const name: string = r?.name ?? columnName(r?.val);
      outputs.push([name, c]);
      scope.outputs!.add(name);
    }
    if (body.whereClause) condition(body.whereClause, scope, 'WHERE');
    expression(body.groupClause, scope);
    if (body.havingClause) condition(body.havingClause, scope, 'HAVING');
    for (const s of body.sortClause ?? []) expression(s.SortBy?.node, scope);
    expression(body.distinctClause, scope);
    expression(body.limitCount, scope);
    expression(body.limitOffset, scope);
    // VALUES names its columns column1, column2, ...
    if (body.valuesLists) return (body.valuesLists[0]?.List?.items ?? []).map((_: Any, i: number) => [`column${i + 1}`, { notNull: false }]);
    return complete ? outputs : undefined;
  }

  /**
   * The target of an INSERT, UPDATE, DELETE or MERGE, reported when missing; a view that
   * PostgreSQL would not write to is reported with its reason, as PostgreSQL gives it.
   */
  function target(rv: Any, scope: Scope, verb: 'insert into' | 'update' | 'delete from' | 'merge into'): Source {
    const src = relationSource(rv, scope);
    scope.sources.push(src);
    // Through a view to its base relation, which may be a view too.
    for (let v = src.view, depth = 0; v && !v.instead && depth < 16; v = v.base ? ctx.views?.get(v.base.relation) : undefined, depth++) {
      if (v.materialized) report(`cannot change materialized view ${quoteName(v.name)}`);
      else if (v.notUpdatable) report(`cannot ${verb} view ${quoteName(v.name)}: ${v.notUpdatable}`);
      else continue;
      break;
    }
    return src;
  }

  /** A column a write sets on a view: one of its base relation's, or refused as PostgreSQL refuses it. */
  function viewColumnWritable(into: Source, name: string, verb: 'insert into' | 'update'): void {
    const view = into.view;
    if (!view?.base || view.instead || !into.columns?.has(name) || view.base.columns.has(name)) return;
    report(`cannot ${verb} column ${quoteIdent(name)} of view ${quoteName(view.name)}: it is not a column of the view's base relation ${quoteName(view.base.relation)}`);
  }

  /**
   * The NOT NULL columns without a default of a simple view's base table that an INSERT through
   * the view leaves out (those the view does not show, and those it shows that the INSERT skips).
   */
  function missingThroughView(into: Source, written: readonly string[]): void {
    const view = into.view;
    if (!view?.base || view.instead) return;
    // Down to the table: through views on views, composing which view column is which table column.
    let shows = new Map(view.base.columns);
    let relation = view.base.relation;
    for (let inner = ctx.views?.get(relation), depth = 0; inner; inner = ctx.views?.get(relation), depth++) {
      if (!inner.base || inner.instead || depth > 16) return;
      const next = inner.base.columns;
      shows = new Map([...shows].flatMap(([v, b]): [string, string][] => (next.has(b) ? [[v, next.get(b)!]] : [])));
      relation = inner.base.relation;
    }
    const base = ctx.state.table(relation);
    if (!base || base.partial) return;
    const viaView = new Map([...shows].map(([v, b]) => [b, v]));
    for (const [name, c] of base.columns) {
      if (!c.notNull || c.hasDefault) continue;
      const shown = viaView.get(name);
      if (shown !== undefined && (written.includes(shown) || view.columns?.get(shown)?.hasDefault)) continue;
      report(shown === undefined
        ? `INSERT into view ${quoteName(view.name)} leaves out ${quoteColumn(base.name, name)}, which the view does not show and is NOT NULL without a default`
        : `INSERT into view ${quoteName(view.name)} leaves out ${quoteIdent(shown)} (${quoteColumn(base.name, name)}), which is NOT NULL and has no default`);
    }
  }

  function statement(node: Any | undefined, parent: Scope): Outputs {
    if (!node) return undefined;
    const [kind, body] = kindOf(node);
    if (kind === 'SelectStmt') return select(node, parent);
    const scope: Scope = { sources: [], parent, ctes: new Map() };
    withClause(body.withClause, scope);
    switch (kind) {
      case 'InsertStmt': {
        const into = target(body.relation, { ...scope, sources: [] }, 'insert into');
        const cols: string[] = (body.cols ?? []).map((c: Any) => c.ResTarget?.name);
        for (const c of cols) if (into.columns && !into.columns.has(c)) report(`column ${columnOf(into, c)} does not exist`);
        for (const c of cols) viewColumnWritable(into, c, 'insert into');
        const values: Any[][] = (body.selectStmt?.SelectStmt?.valuesLists ?? []).map((row: Any) => row.List?.items ?? []);
        // Without a column list, values fill the columns in table order (a rename keeps a column's place).
        const positional = into.columns ? [...into.columns].sort(([, a], [, b]) => (a.ordinal ?? 0) - (b.ordinal ?? 0)).map(([name]) => name) : [];
        const written = cols.length ? cols : positional.slice(0, values[0]?.length ?? body.selectStmt?.SelectStmt?.targetList?.length ?? 0);
        if (values.length) {
          const inner: Scope = { sources: [], parent: scope, ctes: new Map() };
          for (const row of values) {
            row.forEach((v, i) => {
              expression(v, inner);
              const col = written[i];
              if (col && !v.SetToDefault) assignment(columnOf(into, col), into.columns?.get(col), v, inner);
            });
          }
        } else if (body.selectStmt) select(body.selectStmt, scope);
        if (into.view) missingThroughView(into, written);
        else if (into.columns) {
          const missing = [...into.columns].filter(([name, c]) => c.notNull && !c.hasDefault && !written.includes(name)).map(([name]) => name);
          for (const name of missing) report(`INSERT into ${quoteName(into.relation)} leaves out ${quoteIdent(name)}, which is NOT NULL and has no default`);
          const unchecked = [...into.columns].filter(([name, c]) => !c.notNull && !c.hasDefault && into.checkedNotNull?.has(name) && !written.includes(name)).map(([name]) => name);
          for (const name of unchecked) report(`INSERT into ${quoteName(into.relation)} leaves out ${quoteIdent(name)}, which a CHECK (${quoteIdent(name)} IS NOT NULL) requires in new rows (NOT VALID too), and has no default`);
        }
        const conflict = body.onConflictClause;
        if (conflict) {
          for (const e of conflict.infer?.indexElems ?? []) {
            const name = e.IndexElem?.name;
            if (name && into.columns && !into.columns.has(name)) report(`column ${columnOf(into, name)} (in ON CONFLICT) does not exist`);
          }
          const onConflict: Scope = { sources: [into, { ...into, alias: 'excluded' }], parent, ctes: scope.ctes };
          for (const t of conflict.targetList ?? []) {
            const name = t.ResTarget?.name;
            if (name && into.columns && !into.columns.has(name)) report(`column ${columnOf(into, name)} does not exist`);
            if (name) viewColumnWritable(into, name, 'update');
            expression(t.ResTarget?.val, onConflict);
            if (name && into.columns?.has(name)) assignment(columnOf(into, name), into.columns.get(name), t.ResTarget.val, onConflict);
          }
          if (conflict.whereClause) condition(conflict.whereClause, onConflict, 'WHERE');
        }
        returning(body, { ...scope, sources: [into] });
        return undefined;
      }
      case 'UpdateStmt': {
        const into = target(body.relation, scope, 'update');
        for (const f of body.fromClause ?? []) fromItem(f, scope);
        for (const t of body.targetList ?? []) {
          const r = t.ResTarget;
          if (r?.name && into.columns && !into.columns.has(r.name)) report(`column ${columnOf(into, r.name)} does not exist`);
          if (r?.name) viewColumnWritable(into, r.name, 'update');
          expression(r?.val, scope);
          if (r?.name && into.columns?.has(r.name)) assignment(columnOf(into, r.name), into.columns.get(r.name), r.val, scope);
        }
        if (body.whereClause) condition(body.whereClause, scope, 'WHERE');
        returning(body, scope);
        return undefined;
      }
      case 'DeleteStmt':
        target(body.relation, scope, 'delete from');
        for (const f of body.usingClause ?? []) fromItem(f, scope);
        if (body.whereClause) condition(body.whereClause, scope, 'WHERE');
        returning(body, scope);
        return undefined;
      case 'MergeStmt':
        target(body.relation, scope, 'merge into');
        if (body.sourceRelation) fromItem(body.sourceRelation, scope);
        if (body.joinCondition) condition(body.joinCondition, scope, 'MERGE ... ON');
        return undefined;
      default:
        return undefined;
    }
  }

  const outputs = statement(ast as Any, root);
  return { problems: [...problems], outputs, uses };
}

/** Outputs by name, for lookups (the first of a repeated name, as an unqualified reference would be ambiguous anyway). */
function asColumns(outputs: Outputs): ReadonlyMap<string, ColumnState> | undefined {
  if (!outputs) return undefined;
  const map = new Map<string, ColumnState>();
  outputs.forEach(([n, c], i) => { if (!map.has(n)) map.set(n, { ...c, ordinal: i }); });
  return map;
}

/** Outputs with their first columns renamed by a column alias list (`AS x(a, b)`, a view's or a CTE's names). */
export function renamed(outputs: Outputs, aliases: readonly string[]): Outputs {
  if (!aliases.length) return outputs;
  return outputs?.map(([n, c], i) => [aliases[i] ?? n, c]);
}

/**
 * The name PostgreSQL gives a target without AS (FigureColname in parse_target.c): a column's
 * name, a function's, a cast's argument's or else its type's, `case`, `array`, `exists`...;
 * `?column?` when nothing names it. The strength says whether a cast may rename it.
 */
export function columnName(node: Any | undefined): string {
  return figure(node)[0] ?? '?column?';
}

function figure(node: Any | undefined): [string | undefined, number] {
  if (!node) return [undefined, 0];
  const [kind, body] = kindOf(node);
  switch (kind) {
    case 'ColumnRef': {
      const last = body.fields?.[body.fields.length - 1];
      return last?.String ? [last.String.sval, 2] : [undefined, 0];
    }
    case 'A_Indirection': {
      const last = body.indirection?.[body.indirection.length - 1];
      return last?.String ? [last.String.sval, 2] : figure(body.arg);
    }
    case 'FuncCall':
      return [names(body.funcname).pop(), 2];
    case 'A_Expr':
      return body.kind === 'AEXPR_NULLIF' ? ['nullif', 2] : [undefined, 0];
    case 'TypeCast': {
      const inner = figure(body.arg);
      return inner[1] > 1 ? inner : [names(body.typeName?.names).pop(), 1];
    }
    case 'CollateClause':
      return figure(body.arg);
    case 'GroupingFunc':
      return ['grouping', 2];
    case 'SubLink':
      if (body.subLinkType === 'EXISTS_SUBLINK') return ['exists', 2];
      if (body.subLinkType === 'ARRAY_SUBLINK') return ['array', 2];
      if (body.subLinkType === 'EXPR_SUBLINK') {
        const first = body.subselect?.SelectStmt?.targetList?.[0]?.ResTarget;
        return first ? [first.name ?? columnName(first.val), 2] : [undefined, 0];
      }
      return [undefined, 0];
    case 'CaseExpr': {
      const inner = figure(body.defresult);
      return inner[1] > 1 ? inner : ['case', 1];
    }
    case 'A_ArrayExpr':
      return ['array', 2];
    case 'RowExpr':
      return ['row', 2];
    case 'CoalesceExpr':
      return ['coalesce', 2];
    case 'MinMaxExpr':
      return [body.op === 'IS_GREATEST' ? 'greatest' : 'least', 2];
    case 'SQLValueFunction':
      return [String(body.op).replace(/^SVFOP_/, '').replace(/_N$/, '').toLowerCase(), 2];
    case 'XmlExpr':
      return body.op === 'IS_DOCUMENT' ? [undefined, 0] : [String(body.op).replace(/^IS_/, '').toLowerCase(), 2];
    case 'XmlSerialize':
      return ['xmlserialize', 2];
    default:
      return [undefined, 0];
  }
}

function optionalColumns(columns: ReadonlyMap<string, ColumnState> | undefined): { columns?: ReadonlyMap<string, ColumnState> } {
  return columns ? { columns } : {};
}
