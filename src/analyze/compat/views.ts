/**
 * The views and materialized views of a schema state, as the app-compatibility check needs
 * them: their columns (from the view's query, `*` expanded at the time the view is created, as
 * PostgreSQL expands it), whether PostgreSQL writes through them (an automatically updatable
 * view), and what they depend on, so that a step that drops or retypes something a view uses is
 * known to be refused (without CASCADE) or to drop the view (with it).
 *
 * Learnt from each statement before the schema state learns it (src/analyze/sql/schema-state.ts
 * knows views by name only); undone with the state when a rollback has been judged.
 */
import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { tableKey, type ColumnState, type SchemaState } from '../sql/schema-state.js';
import { builtinAggregateNames } from './builtins.js';
import { columnName, describeQuery, ordered, renamed, type Uses } from './resolve.js';
import { quoteIdent, quoteName, quoteTypeName } from '../../sql/quote.js';
import { node } from '../../sql/node.js';
import { forEachNode } from '../../sql/walk.js';
import { sameRelation } from '../sql/sequence-position.js';

export interface ViewDef {
  /** As tableKey() keys it. */
  readonly name: string;
  readonly materialized: boolean;
  /** Its columns in order (with their ordinal); undefined when they cannot all be known. */
  readonly columns?: ReadonlyMap<string, ColumnState>;
  /** An automatically updatable view: its one base relation, and which of its columns are the base's (view column -> base column). */
  readonly base?: { readonly relation: string; readonly columns: ReadonlyMap<string, string> };
  /** Why PostgreSQL does not write through it, in PostgreSQL's words; undefined when it does or when migc cannot tell. */
  readonly notUpdatable?: string;
  /** It has a trigger or rule: writes go where they say, which migc does not judge. */
  readonly instead?: boolean;
  /** What its query reads: the relations and their columns PostgreSQL records as its dependencies. */
  readonly uses: Uses;
  /** The functions its query calls, by name as written (tableKey): DROP FUNCTION ... CASCADE drops it. */
  readonly calls: ReadonlySet<string>;
}

type Any = Record<string, any>;
const names = (list: { String?: { sval?: string } }[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval ?? '?');
const dotted = (items: { String?: { sval?: string } }[] | undefined) => tableKey(names(items).join('.'));

/** Set-returning functions of pg_catalog an app's view is likely to use (they make it read-only). */
const setReturning = new Set(['generate_series', 'unnest', 'jsonb_array_elements', 'json_array_elements', 'jsonb_array_elements_text', 'json_array_elements_text', 'jsonb_each', 'json_each', 'jsonb_each_text', 'json_each_text', 'jsonb_object_keys', 'json_object_keys', 'regexp_matches', 'regexp_split_to_table', 'string_to_table', 'generate_subscripts', 'jsonb_to_recordset', 'json_to_recordset', 'jsonb_path_query']);

/**
 * A type as a view column compares it: a serial column is an integer one to a view, and
 * `public.mood` is `mood` (as tableKey() keys tables), `pg_catalog.int4` is `int4`.
 */
const sameType = (name: string) => {
  const bare = name.replace(/^(?:public|pg_catalog)\./, '');
  return ({ serial2: 'int2', serial4: 'int4', serial8: 'int8' } as Record<string, string>)[bare] ?? bare;
};

const catalogs = new WeakMap<SchemaState, ViewCatalog>();

/**
 * The views of a schema state as the SQL analysis follows them statement by statement (a plan's
 * steps, the files linted), for the rules that ask what depends on a table: one per state.
 */
export function viewsOf(state: SchemaState): ViewCatalog {
  let views = catalogs.get(state);
  if (!views) catalogs.set(state, (views = new ViewCatalog()));
  return views;
}

/** A view DROP ... CASCADE dropped along with what it reads (ViewCatalog.droppedAlong). */
export interface ViewDroppedAlong {
  /** As tableKey() keys it. */
  readonly name: string;
  readonly materialized: boolean;
  /** What it read that the statement dropped: "table t", "column c of table t", "view v". */
  readonly with: string;
}

/** The functions a query calls, anywhere in it (a FROM item's function too), by name as written (tableKey). */
function functionsCalled(query: unknown): Set<string> {
  const found = new Set<string>();
  forEachNode(query, (n) => {
    const call = n.FuncCall as { funcname?: { String?: { sval?: string } }[] } | undefined;
    if (call?.funcname) found.add(dotted(call.funcname));
  });
  return found;
}

/** Whether a view calls the function: by the same name, or the same bare name where one of the two names no schema. */
function callsFunction(view: ViewDef, fn: string): boolean {
  for (const called of view.calls) if (sameRelation(called, fn)) return true;
  return false;
}

export class ViewCatalog {
  private views = new Map<string, ViewDef>();
  private along: ViewDroppedAlong[] = [];

  /**
   * The views the last statement applied dropped along with what they read (CASCADE), in the
   * order PostgreSQL drops them: for the schema state, which knows views by name only.
   */
  get droppedAlong(): readonly ViewDroppedAlong[] {
    return this.along;
  }

  get(name: string): ViewDef | undefined {
    return this.views.get(tableKey(name));
  }

  /** Whether any view is known. */
  get empty(): boolean {
    return this.views.size === 0;
  }

  /**
   * The views DROP ... CASCADE drops along with a relation (or with a column of it): those that
   * read it, then the views that read those, in that order. Empty when no known view does.
   */
  dependentsOf(relation: string, column?: string): ViewDef[] {
    if (this.views.size === 0) return [];
    const key = tableKey(relation);
    const out: ViewDef[] = [];
    const seen = new Set<string>([key]);
    let wave = [...this.views.values()].filter((v) => (column === undefined ? v.uses.relations.has(key) : v.uses.columns.has(`${key}\t${column}`)));
    while (wave.length > 0) {
      const next: ViewDef[] = [];
      for (const v of wave) {
        if (seen.has(v.name)) continue;
        seen.add(v.name);
        out.push(v);
        for (const w of this.views.values()) if (!seen.has(w.name) && w.uses.relations.has(v.name)) next.push(w);
      }
      wave = next;
    }
    return out;
  }

  /** The views that call a function, then the views that read those (what DROP FUNCTION ... CASCADE drops with it). */
  callersOf(fn: string): ViewDef[] {
    if (this.views.size === 0) return [];
    const direct = [...this.views.values()].filter((v) => callsFunction(v, fn));
    const out = [...direct];
    for (const v of direct) for (const w of this.dependentsOf(v.name)) if (!out.includes(w)) out.push(w);
    return out;
  }

  /** Runs `judge`, then puts the views back as they were (with SchemaState.tentatively for a rollback). */
  tentatively<T>(judge: () => T): T {
    const undo = this.beginTentatively();
    try {
      return judge();
    } finally {
      undo();
    }
  }

  /** tentatively() left open (with SchemaState.beginTentatively): the returned function puts the views back. */
  beginTentatively(): () => void {
    const saved = new Map(this.views);
    return () => {
      this.views = saved;
    };
  }

  /**
   * Learns from a statement, before `state` does. Returns why PostgreSQL refuses the statement
   * because of a view (a view's query that does not resolve, a replacement that changes the
   * view's columns, a drop or type change of something a view depends on); the statement is
   * learnt all the same, as the plan means it.
   */
  apply(ast: PgNode, state: SchemaState, unknownObjectsMayExist: boolean, { partialHistory = false }: {
    /**
     * The statements seen are part of the history only (lint: earlier migrations may not be
     * linted, or change tables in ways migc does not follow): a view's query that names what migc
     * does not know is not refused for it.
     */
    readonly partialHistory?: boolean;
  } = {}): string[] {
    const [kind, body] = node(ast);
    this.along = [];
    // Without views only a statement that creates one matters (most statements of most files).
    if (this.views.size === 0 && kind !== 'ViewStmt' && kind !== 'CreateTableAsStmt') return [];
    const refusals: string[] = [];
    switch (kind) {
      case 'ViewStmt':
        this.create(tableKey(relationName(body.view)), body.query, names(body.aliases), false, body.replace === true, state, unknownObjectsMayExist, partialHistory, refusals);
        break;
      case 'CreateTableAsStmt':
        if (body.objtype === 'OBJECT_MATVIEW') this.create(tableKey(relationName(body.into?.rel)), body.query, names(body.into?.colNames), true, false, state, unknownObjectsMayExist, partialHistory, refusals);
        break;
      case 'DropStmt': {
        // DROP FUNCTION ... CASCADE drops the views that call it (the twenty-seventh trial's E:
        // pg_search drops a function with CASCADE and makes its view again). Without CASCADE
        // PostgreSQL refuses it while one does; overloads are not told apart, so that is not said.
        if ((body.removeType === 'OBJECT_FUNCTION' || body.removeType === 'OBJECT_PROCEDURE') && body.behavior === 'DROP_CASCADE') {
          for (const o of body.objects ?? []) {
            const fn = dotted(o.ObjectWithArgs?.objname);
            this.dropDependents(`function ${quoteName(fn)}`, (v) => callsFunction(v, fn), true, refusals);
          }
          break;
        }
        const view = body.removeType === 'OBJECT_VIEW' || body.removeType === 'OBJECT_MATVIEW';
        if (!view && body.removeType !== 'OBJECT_TABLE') break;
        const cascade = body.behavior === 'DROP_CASCADE';
        // Objects dropped together may depend on each other.
        const dropped = new Set<string>((body.objects ?? []).map((o: Any) => dotted(o.List?.items)));
        for (const key of dropped) {
          this.dropDependents(`${view ? 'view' : 'table'} ${quoteName(key)}`, (v) => v.uses.relations.has(key) && !dropped.has(v.name), cascade, refusals);
          this.views.delete(key);
        }
        break;
      }
      case 'AlterTableStmt': {
        const key = tableKey(relationName(body.relation));
        const own = this.views.get(key);
        for (const c of body.cmds ?? []) {
          const cmd = c.AlterTableCmd as Any | undefined;
          if (own) {
            // ALTER VIEW ... ALTER COLUMN ... SET DEFAULT: an INSERT through the view may leave it out.
            const col = own.columns?.get(cmd?.name);
            if (cmd?.subtype === 'AT_ColumnDefault' && col) this.views.set(key, { ...own, columns: new Map([...own.columns!].map(([n, s]) => [n, n === cmd.name ? { ...s, hasDefault: cmd.def !== undefined } : s])) });
            continue;
          }
          const used = (v: ViewDef) => v.uses.columns.has(`${key}\t${cmd?.name}`);
          if (cmd?.subtype === 'AT_DropColumn') this.dropDependents(`column ${quoteIdent(cmd.name)} of table ${quoteName(key)}`, used, cmd.behavior === 'DROP_CASCADE', refusals);
          if (cmd?.subtype === 'AT_AlterColumnType') {
            const users = [...this.views.values()].filter(used).map((v) => v.name);
            if (users.length) refusals.push(`cannot alter type of a column used by a view: ${users.map((u) => `view ${quoteName(u)}`).join(', ')} depends on column ${quoteIdent(cmd.name)} of ${quoteName(key)}`);
          }
        }
        break;
      }
      case 'RenameStmt':
        this.rename(body);
        break;
      case 'CreateTrigStmt':
      case 'RuleStmt': {
        // INSTEAD OF triggers and DO INSTEAD rules make a view writable the way they say.
        const key = tableKey(relationName(body.relation));
        const v = this.views.get(key);
        if (v) this.views.set(key, { ...v, instead: true });
        break;
      }
    }
    return refusals;
  }

  private create(name: string, query: Any, aliases: readonly string[], materialized: boolean, replace: boolean, state: SchemaState, unknownObjectsMayExist: boolean, partialHistory: boolean, refusals: string[]): void {
    const what = materialized ? 'materialized view' : 'view';
    const described = describeQuery(query as PgNode, { state, unknownObjectsMayExist, views: this });
    if (!partialHistory) for (const p of described.problems) refusals.push(`CREATE ${what.toUpperCase()} ${quoteName(name)} fails: ${p}`);
    const outputs = renamed(described.outputs, aliases);
    const seen = new Set<string>();
    for (const [n] of outputs ?? []) {
      if (seen.has(n)) refusals.push(`CREATE ${what.toUpperCase()} ${quoteName(name)} fails: column "${n}" specified more than once (name it with AS)`);
      seen.add(n);
    }
    const old = this.views.get(name);
    if (replace && old && !old.materialized && old.columns && outputs) {
      // CREATE OR REPLACE VIEW may add columns at the end, nothing else.
      const now = outputs;
      const before = [...old.columns];
      // PostgreSQL checks the count first, then each old column in order, and stops at the first
      // difference (view.c, checkViewColumns): one refusal, the one it gives, with the other
      // columns that change named after it (planx's down of add_flow_id_to_submission_services_summary
      // drew 39 findings for one statement: the thirtieth trial's A).
      if (now.length < before.length) {
        refusals.push(`CREATE OR REPLACE VIEW ${quoteName(name)} fails: cannot drop columns from view (it drops ${before.slice(now.length).map(([n]) => quoteIdent(n)).join(', ')}); drop the view and create it again`);
      } else {
        const changes: string[] = [];
        before.forEach(([n, c], i) => {
          const next = now[i]!;
          if (next[0] !== n) changes.push(`name of view column "${n}" to "${next[0]}"`);
          else if (c.type && next[1].type && (sameType(c.type.name) !== sameType(next[1].type.name) || c.type.array !== next[1].type.array)) changes.push(`data type of view column "${n}" from ${quoteTypeName(c.type.name)} to ${quoteTypeName(next[1].type.name)}`);
        });
        const more = changes.length - 1;
        if (changes.length) refusals.push(`CREATE OR REPLACE VIEW ${quoteName(name)} fails: cannot change ${changes[0]}${more ? ` (and it changes ${more} more: ${changes.slice(1, 4).join(', ')}${more > 3 ? ', ...' : ''})` : ''}`);
      }
    }
    const columns = outputs ? new Map(outputs.map(([n, c], i): [string, ColumnState] => [n, { ...(c.type ? { type: c.type } : {}), notNull: false, ordinal: i }])) : undefined;
    const def: ViewDef = {
      name, materialized, uses: described.uses, calls: functionsCalled(query),
      ...(columns ? { columns } : {}),
      ...(materialized ? {} : this.updatability(query, aliases, state)),
      ...(replace && old?.instead ? { instead: true } : {}),
    };
    this.views.set(name, def);
  }

  /** Whether PostgreSQL writes through a view with this query (rewriteHandler.c, view_query_is_auto_updatable). */
  private updatability(query: Any, aliases: readonly string[], state: SchemaState): Pick<ViewDef, 'base' | 'notUpdatable'> {
    const s = query?.SelectStmt as Any | undefined;
    const not = (why: string) => ({ notUpdatable: why });
    if (!s) return {};
    if (s.op && s.op !== 'SETOP_NONE') return not('views containing UNION, INTERSECT, or EXCEPT are not automatically updatable');
    if (s.withClause) return not('views containing WITH are not automatically updatable');
    if (s.distinctClause) return not('views containing DISTINCT are not automatically updatable');
    if (s.groupClause) return not('views containing GROUP BY are not automatically updatable');
    if (s.havingClause) return not('views containing HAVING are not automatically updatable');
    if (s.limitCount || s.limitOffset) return not('views containing LIMIT or OFFSET are not automatically updatable');
    const from: Any[] = s.fromClause ?? [];
    const rv = from[0]?.RangeVar as Any | undefined;
    if (from.length !== 1 || !rv) return not('views that do not select from a single table or view are not automatically updatable');
    const targets: Any[] = (s.targetList ?? []).map((t: Any) => t.ResTarget);
    const calls = (node: unknown, found: (f: Any) => boolean): boolean => {
      if (!node || typeof node !== 'object') return false;
      const f = (node as Any).FuncCall;
      if (f && found(f)) return true;
      // A subquery's aggregates are its own.
      if ((node as Any).SubLink) return calls((node as Any).SubLink.testexpr, found);
      return Object.values(node as Any).some((v) => calls(v, found));
    };
    const fn = (f: Any) => names(f.funcname).pop()!;
    if (targets.some((t) => calls(t?.val, (f) => !f.over && builtinAggregateNames.has(fn(f))))) return not('views that return aggregate functions are not automatically updatable');
    if (targets.some((t) => calls(t?.val, (f) => !!f.over))) return not('views that return window functions are not automatically updatable');
    if (targets.some((t) => calls(t?.val, (f) => setReturning.has(fn(f))))) return not('views that return set-returning functions are not automatically updatable');
    // The base: a table or a view whose columns are known; otherwise migc cannot tell which columns are the base's.
    const baseName = tableKey(relationName(rv));
    const baseView = this.views.get(baseName);
    const table = baseView ? undefined : state.table(baseName);
    const baseColumns = baseView?.columns ?? (table && !table.partial ? table.columns : undefined);
    if (!baseColumns) return {};
    if (baseView?.materialized) return not('views that do not select from a single table or view are not automatically updatable');
    const alias = rv.alias?.aliasname ?? rv.relname;
    const pairs: [string, string | undefined][] = [];
    for (const t of targets) {
      const fields: Any[] = t?.val?.ColumnRef?.fields ?? [];
      const last = fields[fields.length - 1];
      const qualifier = fields.length > 1 ? fields[fields.length - 2]?.String?.sval : undefined;
      if (last?.A_Star) {
        for (const [n] of ordered(baseColumns)) pairs.push([n, n]);
      } else if (last?.String && (qualifier === undefined || qualifier === alias) && !t.val.ColumnRef.fields.some((f: Any) => f.A_Star)) {
        pairs.push([t.name ?? last.String.sval, baseColumns.has(last.String.sval) ? last.String.sval : undefined]);
      } else {
        pairs.push([t?.name ?? columnName(t?.val), undefined]);
      }
    }
    const named = pairs.map(([n, b], i): [string, string | undefined] => [aliases[i] ?? n, b]);
    return { base: { relation: baseName, columns: new Map(named.filter((p): p is [string, string] => p[1] !== undefined)) } };
  }

  /** Drops the views that depend on `what` (CASCADE), and those depending on them; or says PostgreSQL refuses. */
  private dropDependents(what: string, dependsOn: (v: ViewDef) => boolean, cascade: boolean, refusals: string[]): void {
    const direct = [...this.views.values()].filter(dependsOn);
    if (!direct.length) return;
    if (!cascade) {
      refusals.push(`cannot drop ${what} because other objects depend on it: ${direct.map((v) => `${v.materialized ? 'materialized view' : 'view'} ${quoteName(v.name)}`).join(', ')} (drop or change ${direct.length === 1 ? 'it' : 'them'} first, or use CASCADE, which drops ${direct.length === 1 ? 'it' : 'them'} too)`);
      return;
    }
    for (const v of direct) {
      if (!this.views.has(v.name)) continue;
      this.views.delete(v.name);
      this.along.push({ name: v.name, materialized: v.materialized, with: what });
      this.dropDependents(`view ${quoteName(v.name)}`, (w) => w.uses.relations.has(v.name), true, refusals);
    }
  }

  private rename(body: Any): void {
    const from = tableKey(relationName(body.relation));
    const own = this.views.get(from);
    const renameType: string = body.renameType;
    const relations = renameType === 'OBJECT_TABLE' || renameType === 'OBJECT_VIEW' || renameType === 'OBJECT_MATVIEW' || renameType === 'OBJECT_FOREIGN_TABLE';
    if (relations) {
      const to = tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname);
      if (own) {
        this.views.delete(from);
        this.views.set(to, { ...own, name: to });
      }
      // Views depend on the relation, not its name: they follow it.
      this.rewriteUses((v) => v.uses.relations.has(from) || v.base?.relation === from, (rel, col) => [rel === from ? to : rel, col]);
      return;
    }
    if (renameType !== 'OBJECT_COLUMN') return;
    const [old, now] = [body.subname as string, body.newname as string];
    if (own?.columns?.has(old)) {
      this.views.set(from, {
        ...own,
        columns: new Map([...own.columns].map(([n, c]) => [n === old ? now : n, c])),
        ...(own.base ? { base: { ...own.base, columns: new Map([...own.base.columns].map(([v, b]) => [v === old ? now : v, b])) } } : {}),
      });
    }
    // A view's own column names stay as they were; what it reads follows the renamed column.
    this.rewriteUses((v) => v.uses.columns.has(`${from}\t${old}`), (rel, col) => [rel, rel === from && col === old ? now : col]);
    for (const [k, v] of this.views) {
      if (v.base?.relation === from && [...v.base.columns.values()].includes(old)) {
        this.views.set(k, { ...v, base: { ...v.base, columns: new Map([...v.base.columns].map(([vc, b]) => [vc, b === old ? now : b])) } });
      }
    }
  }

  /** Renames in what the views that `touches` selects depend on. */
  private rewriteUses(touches: (v: ViewDef) => boolean, map: (relation: string, column: string | undefined) => [string, string | undefined]): void {
    for (const [k, v] of this.views) {
      if (!touches(v)) continue;
      const relations = new Set([...v.uses.relations].map((r) => map(r, undefined)[0]));
      const columns = new Set([...v.uses.columns].map((rc) => {
        const [r, c] = rc.split('\t') as [string, string];
        const [r2, c2] = map(r, c);
        return `${r2}\t${c2}`;
      }));
      const base = v.base ? { ...v.base, relation: map(v.base.relation, undefined)[0] } : undefined;
      this.views.set(k, { ...v, uses: { relations, columns }, ...(base ? { base } : {}) });
    }
  }
}

