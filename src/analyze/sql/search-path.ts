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
 * them under `path`: an existing relation in the first schema of the path that has it (`knows`
 * answers by tableKey()), else the first schema, where a new one is created. A statement whose
 * names are all qualified, or a path whose first schema is public, gives the statement back as
 * it is; otherwise a copy (the parse tree is the caller's).
 *
 * Names of relations only: types and functions keep their names (functions would otherwise lose
 * pg_catalog's built-ins). Names beginning with pg_ are the system catalogs' and are left alone,
 * and so are a query's WITH names.
 */
export function qualifyRelations(ast: PgNode, path: SearchPath, knows: (key: string) => boolean): PgNode {
  if (path === defaultSearchPath) return ast;
  // pg_catalog is searched first in any case. Bare names under public alone mean what they always
  // did; under an empty path the server finds none outside pg_catalog: both are left as they are.
  const schemas = path.filter((s) => s !== 'pg_catalog');
  if (schemas.length === 0 || (schemas.length === 1 && schemas[0] === 'public')) return ast;
  const schemaOf = (name: string, creating: boolean): string => {
    if (!creating) for (const schema of schemas) if (knows(tableKey(`${schema}.${name}`))) return schema;
    return schemas[0]!;
  };
  // A query's WITH names (in any of its scopes) are no relations.
  const ctes = new Set<string>();
  forEachNode(ast, (o) => {
    if (typeof o.ctename === 'string') ctes.add(o.ctename);
  });
  const bare = (rv: RangeVarLike) => !rv.schemaname && !rv.relname.startsWith('pg_') && !ctes.has(rv.relname);
  const needsQualifying = someNode(ast, (o) => isRangeVar(o) && bare(o));
  const [kind0, body0] = Object.entries(ast as unknown as Record<string, Record<string, unknown>>)[0]!;
  if (!needsQualifying && !listedNames(kind0, body0).some(({ items, after }) => items.length === after + 1)) return ast;
  const copy = structuredClone(ast);
  const [kind, body] = Object.entries(copy as unknown as Record<string, Record<string, unknown>>)[0]!;
  const createdField = createdRelation[kind];
  const created = createdField === undefined ? undefined : createdField === 'into' ? (body.into as { rel?: RangeVarLike } | undefined)?.rel : body[createdField] as RangeVarLike | undefined;
  forEachNode(copy, (o) => {
    if (isRangeVar(o) && bare(o)) {
      const schema = schemaOf(o.relname, o === created);
      if (schema !== 'public') o.schemaname = schema;
    }
  });
  for (const { items, after } of listedNames(kind, body)) {
    // Only a relation named alone, without its schema.
    const name = items.length === after + 1 ? items[0]!.String?.sval : undefined;
    if (name === undefined || name.startsWith('pg_')) continue;
    const schema = schemaOf(name, false);
    if (schema !== 'public') items.unshift({ String: { sval: schema } });
  }
  return copy;
}

