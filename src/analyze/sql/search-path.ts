import type { PgNode } from '../../sql/parser.js';
import { forEachNode, someNode } from '../../sql/walk.js';
import { tableKey } from './schema-state.js';
import { settingChanges, type SettingChange } from './settings.js';
import { readSearchPath } from './search-path-value.js';

/**
 * The schemas a session looks unqualified names up in, in order, as `SET search_path` leaves
 * them. PostgreSQL's default, `"$user", public`, is what migc has always assumed: a bare name is
 * a table in public. A migration that says `SET search_path TO registry, public` and then
 * `CREATE TABLE users` creates registry.users; a later `DROP INDEX registry.users_email_idx` or
 * `ALTER TABLE registry.users` is about that table, which the analysis keys by its schema.
 */
export type SearchPath = readonly string[];

export const defaultSearchPath: SearchPath = ['public'];

/**
 * What a statement does to the search path: the new path for `SET [SESSION|LOCAL] search_path`
 * or `set_config('search_path', ...)` (`local` when it lasts only until the transaction ends), the
 * default for RESET, RESET ALL and SET ... DEFAULT, undefined for any other statement. `"$user"`
 * names a schema after the role, which migc cannot know: it is left out, as PostgreSQL leaves it
 * out when no such schema exists. An empty
 * path (pg_dump's `set_config('search_path', '', false)`, `SET search_path = ''`) is kept empty:
 * then every name the file means is qualified, and bare names are left as they are.
 */
export function searchPathSet(ast: PgNode): { readonly path: SearchPath; readonly local: boolean } | undefined {
  return searchPathFrom(settingChanges(ast));
}

/**
 * searchPathSet() from the setting changes of a statement, read once (settingChanges). `reset`:
 * the session's own path, which RESET goes back to (the one the tool's connection set, or the default).
 */
export function searchPathFrom(changes: readonly SettingChange[], reset: SearchPath = defaultSearchPath): { readonly path: SearchPath; readonly local: boolean } | undefined {
  let set: { path: SearchPath; local: boolean } | undefined;
  for (const change of changes) {
    if (change.name !== undefined && change.name !== 'search_path') continue;
    if (change.value === undefined) set = { path: reset, local: change.local };
    // SET's items are a schema each, as written ('' and "$user" name none migc can know); set_config's
    // text is a list PostgreSQL splits, and refuses when its syntax is wrong (then nothing changes).
    else if (change.items) set = { path: change.items.filter((schema) => schema !== '' && schema !== '$user'), local: change.local };
    else {
      const path = readSearchPath(change.value);
      if (path) set = { path, local: change.local };
    }
  }
  return set;
}

/** The parse-tree fields whose relation a statement creates (the rest name relations it uses). */
const createdRelation: Readonly<Record<string, string>> = {
  CreateStmt: 'relation', ViewStmt: 'view', CreateSeqStmt: 'sequence', CreateTableAsStmt: 'into', CompositeTypeStmt: 'typevar',
};

/**
 * DROP and COMMENT ON name their objects as lists of names, not as RangeVars: a relation
 * (`[schema,] name`), or an object on a relation (`[schema,] table, name`: a column, trigger,
 * policy, rule or constraint). How many trailing names follow the relation's, by object kind.
 */
const listedRelation: Readonly<Record<string, number>> = {
  OBJECT_TABLE: 0, OBJECT_INDEX: 0, OBJECT_VIEW: 0, OBJECT_MATVIEW: 0, OBJECT_SEQUENCE: 0, OBJECT_FOREIGN_TABLE: 0,
  OBJECT_COLUMN: 1, OBJECT_TRIGGER: 1, OBJECT_POLICY: 1, OBJECT_RULE: 1, OBJECT_TABCONSTRAINT: 1,
};

/** The name lists of a DROP or COMMENT ON statement's objects, with how many trailing names follow the relation's. */
function listedNames(kind: string, body: Record<string, unknown>): { items: { String?: { sval?: string } }[]; after: number }[] {
  type NameList = { List?: { items?: { String?: { sval?: string } }[] } };
  const objectKind = (kind === 'DropStmt' ? body.removeType : kind === 'CommentStmt' ? body.objtype : undefined) as string | undefined;
  const after = objectKind === undefined ? undefined : listedRelation[objectKind];
  if (after === undefined) return [];
  const lists = kind === 'DropStmt' ? (body.objects ?? []) as NameList[] : [body.object as NameList];
  return lists.flatMap((l) => (l?.List?.items ? [{ items: l.List.items, after }] : []));
}

type RangeVarLike = { relname: string; schemaname?: string; relpersistence?: string };
const isRangeVar = (o: Record<string, unknown>): o is RangeVarLike & Record<string, unknown> => typeof o.relname === 'string' && typeof o.relpersistence === 'string';

/**
 * The statement with the relations it names without a schema qualified as the server resolves
 * them under `path`: an existing relation in the first schema that has it (`knows` answers by
 * tableKey()), else the first schema of the path, where a new one is created. The server searches
 * pg_catalog first unless the path names it elsewhere: a relation the files moved into pg_catalog
 * (an extension script's CREATE TABLE citus.t, ALTER TABLE citus.t SET SCHEMA pg_catalog) is the
 * one a bare `t` names, under any path. No relation is created there by a bare name (the server
 * refuses tables, views and sequences in pg_catalog), so CREATE goes to the first other schema.
 * A statement whose names all stay as they are (public's are keyed bare) is given back as it is;
 * otherwise a copy (the parse tree is the caller's). `catalogRelations`: whether the statements
 * seen made a relation in pg_catalog (SchemaState.catalogRelations); false spares the default
 * path's look-up.
 *
 * Names of relations only: types and functions keep their names (functions would otherwise lose
 * pg_catalog's built-ins). Other names beginning with pg_ are the system catalogs' and are left
 * alone, and so are a query's WITH names.
 */
export function qualifyRelations(ast: PgNode, path: SearchPath, knows: (key: string) => boolean, catalogRelations = true): PgNode {
  // Under public alone (the default path), bare names are public's unless a relation the files made is in pg_catalog.
  if (!catalogRelations && path.every((s) => s === 'public' || s === 'pg_catalog')) return ast;
  // Where a new relation goes, and where a bare name is looked up, in order.
  const schemas = path.filter((s) => s !== 'pg_catalog');
  const lookup = path.includes('pg_catalog') ? path : ['pg_catalog', ...path];
  /** The schema a bare name is in, or undefined to leave it bare (public's, or the system catalogs'). */
  const schemaOf = (name: string, creating: boolean): string | undefined => {
    if (!creating) {
      for (const schema of lookup) {
        if (schema === 'pg_catalog') {
          if (knows(`pg_catalog.${name}`)) return schema;
        } else if (!name.startsWith('pg_') && knows(tableKey(`${schema}.${name}`))) return schema === 'public' ? undefined : schema;
      }
    }
    return name.startsWith('pg_') || schemas[0] === 'public' ? undefined : schemas[0];
  };
  const createdIn = (kind: string, body: Record<string, unknown>): RangeVarLike | undefined => {
    const field = createdRelation[kind];
    return field === undefined ? undefined : field === 'into' ? (body.into as { rel?: RangeVarLike } | undefined)?.rel : body[field] as RangeVarLike | undefined;
  };
  /** A relation named alone in a DROP or COMMENT ON list, without its schema. */
  const listedAlone = ({ items, after }: { items: { String?: { sval?: string } }[]; after: number }) => (items.length === after + 1 ? items[0]!.String?.sval : undefined);
  const [kind0, body0] = Object.entries(ast as unknown as Record<string, Record<string, unknown>>)[0]!;
  const created0 = createdIn(kind0, body0);
  /** Whether a name of the statement gets a schema (`bare`: which RangeVars are relations named bare). */
  const movesAny = (bare: (rv: RangeVarLike) => boolean) =>
    someNode(ast, (o) => isRangeVar(o) && bare(o) && schemaOf(o.relname, o === created0) !== undefined)
    || listedNames(kind0, body0).some((l) => {
      const name = listedAlone(l);
      return name !== undefined && schemaOf(name, false) !== undefined;
    });
  // Most statements name nothing that moves: one walk, before the WITH names are gathered.
  if (!movesAny((rv) => !rv.schemaname)) return ast;
  // A query's WITH names (in any of its scopes) are no relations.
  const ctes = new Set<string>();
  forEachNode(ast, (o) => {
    if (typeof o.ctename === 'string') ctes.add(o.ctename);
  });
  const bare = (rv: RangeVarLike) => !rv.schemaname && !ctes.has(rv.relname);
  if (ctes.size > 0 && !movesAny(bare)) return ast;
  const copy = structuredClone(ast);
  const [kind, body] = Object.entries(copy as unknown as Record<string, Record<string, unknown>>)[0]!;
  const created = createdIn(kind, body);
  forEachNode(copy, (o) => {
    if (isRangeVar(o) && bare(o)) {
      const schema = schemaOf(o.relname, o === created);
      if (schema !== undefined) o.schemaname = schema;
    }
  });
  for (const list of listedNames(kind, body)) {
    const name = listedAlone(list);
    const schema = name === undefined ? undefined : schemaOf(name, false);
    if (schema !== undefined) list.items.unshift({ String: { sval: schema } });
  }
  return copy;
}
