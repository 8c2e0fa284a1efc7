import { node, relationName } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import type { StatementContext, StatementKind } from '../sql/context.js';
import { ByColumnMap } from '../sql/by-column.js';
import { tableKey, type SchemaState } from '../sql/schema-state.js';

/**
 * What MG230 and MG232 learn of tables from the statements they see (the plan's steps, the files
 * linted so far), for them and MG210: the column lists of their indexes, the names of their
 * validated CHECK constraints, and their foreign keys as declarations MG230 can find again when
 * the run ends. The schema state does not keep those. Of a table whose creation
 * was seen, every index is known; of any other (a plan's baseline, an earlier migration not
 * linted) only those created or added since, and the rules then say what they cannot know. Kept per SchemaState (one
 * per compile or lint run); rollbacks teach nothing, as they do not change what later steps find.
 */
export interface SeenTable {
  /** Its key (tableKey) now: a rename moves it, so a rule that keeps the table finds it again. */
  key: string;
  /** Its creation was seen, so its indexes are all known; otherwise only its constraints added since. */
  readonly created: boolean;
  /**
   * Created as a partition (its parent's indexes reach it) or with LIKE (which may copy another
   * table's indexes): indexes migc does not follow may serve it, even though its creation was seen.
   */
  readonly indexesFromElsewhere?: boolean;
  /** Column lists of its indexes, PRIMARY KEY and UNIQUE constraints; null for an expression column. */
  readonly indexes: ByColumnMap<(string | null)[]>;
  /**
   * Its partial indexes whose WHERE only asks columns to be non-null (`WHERE user_id IS NOT NULL`),
   * with those columns: a lookup by equality on them (a foreign key's checks) can use the index,
   * as the equality implies the predicate (checked on PostgreSQL 15).
   */
  readonly notNullIndexes: ByColumnMap<{ columns: (string | null)[]; notNull: string[] }>;
  /**
   * Those of `indexes` a PRIMARY KEY or UNIQUE constraint owns (they share its name): DROP INDEX
   * of one is refused ("cannot drop index ... because constraint ... requires it"), and keeps it.
   */
  readonly keyIndexes: Set<string>;
  /**
   * Those of `indexes` and `notNullIndexes` that are unique: CREATE UNIQUE INDEX, and the indexes
   * of PRIMARY KEY and UNIQUE constraints (keyIndexes). Equality on all of a unique index's
   * columns finds at most one row through it.
   */
  readonly uniqueIndexes: Set<string>;
  /**
   * Those of `indexes` that are plain B-trees over columns (plainIndex()): no expression, operator
   * class, collation, ordering, INCLUDE or NULLS NOT DISTINCT. Two with the same columns in the
   * same order serve the same lookups (MG251).
   */
  readonly plainIndexes: Set<string>;
  readonly validatedChecks: Set<string>;
  readonly notValidChecks: Set<string>;
  /**
   * Its foreign keys declared since it was seen, by name (as PostgreSQL names them): one object
   * per declaration, kept while the key is there (a key dropped and added again under its name is
   * another), with its columns as they are named now and the table it references (tableKey).
   */
  readonly foreignKeys: ByColumnMap<SeenForeignKey>;
}

export interface SeenForeignKey {
  columns: string[];
  references: string;
}

/**
 * An index a statement removed from a table seen (SeenTable.indexes or notNullIndexes): by DROP
 * INDEX, by DROP CONSTRAINT of the PRIMARY KEY or UNIQUE constraint that owned it, or with a
 * column DROP COLUMN dropped. MG230 asks whether it was the last to serve a foreign key.
 */
export interface RemovedIndex {
  readonly table: SeenTable;
  readonly name: string;
  readonly columns: readonly (string | null)[];
  /** A partial index's non-null columns (SeenTable.notNullIndexes). */
  readonly notNull?: readonly string[];
  /** A unique index (SeenTable.uniqueIndexes). */
  readonly unique?: true;
  /** The ALTER TABLE subcommand that removed it. */
  readonly subcommand?: number;
}

const noneRemoved: readonly RemovedIndex[] = [];

const memory = new WeakMap<SchemaState, { tables: Map<string, SeenTable>; last?: unknown; removed: readonly RemovedIndex[] }>();

function memoryOf(state: SchemaState) {
  let m = memory.get(state);
  if (!m) memory.set(state, (m = { tables: new Map(), removed: noneRemoved }));
  return m;
}

/** The table as seen so far: created (indexes known) or altered; undefined when neither was seen. */
export function seenTable(ctx: StatementContext, table: string): SeenTable | undefined {
  return memoryOf(ctx.state).tables.get(tableKey(table));
}

/** Whether a table seen is still there (under its key now): not dropped, nor replaced by another of its name. */
export function stillThere(state: SchemaState, table: SeenTable): boolean {
  return memoryOf(state).tables.get(table.key) === table;
}

// The maps a DROP COLUMN or RENAME COLUMN looks through know which columns their entries involve
// (ByColumnMap): a table gathers hundreds of keys and indexes, and most columns are in none.
// An expression column (null) is counted under null, which no column is asked by.
const indexColumns = (columns: (string | null)[]) => columns as string[];
const partialIndexColumns = (index: { columns: (string | null)[]; notNull: string[] }) => [...(index.columns as string[]), ...index.notNull];
const keyColumns = (key: SeenForeignKey) => key.columns;

const newSeenTable = (key: string, created: boolean, indexesFromElsewhere = false): SeenTable => ({
  key,
  created,
  ...(indexesFromElsewhere ? { indexesFromElsewhere } : {}),
  indexes: new ByColumnMap(indexColumns),
  notNullIndexes: new ByColumnMap(partialIndexColumns),
  keyIndexes: new Set(),
  uniqueIndexes: new Set(),
  plainIndexes: new Set(),
  validatedChecks: new Set(),
  notValidChecks: new Set(),
  foreignKeys: new ByColumnMap(keyColumns),
});

/**
 * The columns an index's WHERE asks to be non-null, when that is all it asks: `a IS NOT NULL`,
 * or several such ANDed. Undefined for any other predicate.
 */
export function notNullPredicate(where: Record<string, any> | undefined): string[] | undefined {
  if (where?.NullTest) {
    const fields = where.NullTest.arg?.ColumnRef?.fields ?? [];
    const column = fields.length === 1 ? fields[0].String?.sval : undefined;
    return where.NullTest.nulltesttype === 'IS_NOT_NULL' && column !== undefined ? [column] : undefined;
  }
  if (where?.BoolExpr?.boolop !== 'AND_EXPR') return undefined;
  const columns: string[] = [];
  for (const arg of where.BoolExpr.args ?? []) {
    const own = notNullPredicate(arg);
    if (!own) return undefined;
    columns.push(...own);
  }
  return columns;
}

const namesOf = (list: { String?: { sval?: string } }[] | undefined): string[] => (list ?? []).map((k) => k.String?.sval ?? '');

/** Learns a constraint, under its name: learn() wrote in those PostgreSQL gives (src/sql/generated-names.ts). */
function addConstraint(t: SeenTable, c: Record<string, any> | undefined, column?: string): void {
  if (!c) return;
  if (c.contype === 'CONSTR_FOREIGN') {
    const columns = c.fk_attrs?.length ? namesOf(c.fk_attrs) : column ? [column] : [];
    if (columns.length) t.foreignKeys.set(c.conname, { columns, references: tableKey(relationName(c.pktable)) });
  }
  if ((c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') && c.indexname) {
    // ADD ... USING INDEX: the index becomes the constraint's, and takes its name (checked on PostgreSQL).
    const columns = t.indexes.get(c.indexname);
    if (columns && c.conname && c.conname !== c.indexname) {
      t.indexes.delete(c.indexname);
      t.indexes.set(c.conname, columns);
    }
    if (columns) {
      t.keyIndexes.add(c.conname ?? c.indexname);
      t.uniqueIndexes.delete(c.indexname);
      t.uniqueIndexes.add(c.conname ?? c.indexname);
      if (t.plainIndexes.delete(c.indexname)) t.plainIndexes.add(c.conname ?? c.indexname);
    }
    return;
  }
  if (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') {
    const keys: string[] = c.keys?.length ? c.keys.map((k: { String?: { sval?: string } }) => k.String?.sval) : column ? [column] : [];
    if (keys.length) {
      t.indexes.set(c.conname, keys);
      t.keyIndexes.add(c.conname);
      t.uniqueIndexes.add(c.conname);
      if (!c.including?.length && !c.nulls_not_distinct) t.plainIndexes.add(c.conname);
      else t.plainIndexes.delete(c.conname);
    }
  }
  if (c.contype === 'CONSTR_CHECK') (c.skip_validation ? t.notValidChecks : t.validatedChecks).add(c.conname);
}

/** The kinds of statement learn() learns from: MG230 and MG232 must be called for each of them. */
export const learnedKinds: readonly StatementKind[] = ['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'DropStmt', 'RenameStmt'];

/**
 * Learns from the statement being judged, once (every rule that asks calls it; the first call
 * for a statement learns). Called after the rule has judged it, so a statement is judged
 * against what came before it. Returns the indexes the statement removed (to every caller).
 */
export function learn(ctx: StatementContext): readonly RemovedIndex[] {
  const m = memoryOf(ctx.state);
  if (m.last === ctx.ast) return m.removed;
  m.last = ctx.ast;
  m.removed = noneRemoved;
  if (ctx.inRollback) return m.removed;
  const removed: RemovedIndex[] = [];
  learnFrom(m.tables, ctx.state.withGeneratedNames(ctx.ast), removed);
  if (removed.length) m.removed = removed;
  return m.removed;
}

const schemaOf = (key: string): string => key.slice(0, Math.max(key.lastIndexOf('.'), 0));

/**
 * The table of an index seen, by the index's name as a statement gives it: in the schema it
 * names; without one, preferably public's (the search path is not followed here).
 */
function indexTable(tables: Map<string, SeenTable>, parts: { readonly schema?: string; readonly bare: string }): SeenTable | undefined {
  const { bare } = parts;
  const schema = parts.schema === undefined ? undefined : schemaOf(tableKey(`${parts.schema}.${bare}`));
  let found: SeenTable | undefined;
  for (const t of tables.values()) {
    if (!t.indexes.has(bare) && !t.notNullIndexes.has(bare)) continue;
    const own = schemaOf(t.key);
    if (own === (schema ?? '')) return t;
    if (schema === undefined) found ??= t;
  }
  return found;
}

/** Renames an index of a table seen, with the PRIMARY KEY or UNIQUE constraint that owns it (they share their name). */
function renameIndex(t: SeenTable, from: string, to: string): void {
  const columns = t.indexes.get(from);
  if (columns) {
    t.indexes.delete(from);
    t.indexes.set(to, columns);
  }
  if (t.keyIndexes.delete(from)) t.keyIndexes.add(to);
  if (t.uniqueIndexes.delete(from)) t.uniqueIndexes.add(to);
  if (t.plainIndexes.delete(from)) t.plainIndexes.add(to);
  const partial = t.notNullIndexes.get(from);
  if (partial) {
    t.notNullIndexes.delete(from);
    t.notNullIndexes.set(to, partial);
  }
}

/**
 * What a statement teaches of tables' indexes and checks, into `tables` (keyed by tableKey): a
 * statement whose unnamed objects have the names PostgreSQL gives them written in
 * (SchemaState.withGeneratedNames), as later statements name them. Also
 * for a plan rule that follows a plan's tables from its baseline (MG128): a baseline's CREATE
 * TABLE counts as seen, so its indexes are all known once its CREATE INDEXes are read.
 */
export function learnFrom(tables: Map<string, SeenTable>, ast: PgNode, removed?: RemovedIndex[]): void {
  const [kind, body] = node(ast);
  switch (kind) {
    case 'CreateStmt': {
      const key = tableKey(relationName(body.relation));
      const t = newSeenTable(key, true, Boolean(body.partbound) || (body.tableElts ?? []).some((e: Record<string, unknown>) => e.TableLikeClause));
      for (const elt of body.tableElts ?? []) {
        for (const c of elt.ColumnDef?.constraints ?? []) addConstraint(t, c.Constraint, elt.ColumnDef.colname);
        if (elt.Constraint) addConstraint(t, elt.Constraint);
      }
      tables.set(key, t);
      return;
    }
    case 'IndexStmt': {
      // A partial index does not serve every lookup: only those that imply its WHERE.
      const notNull = body.whereClause ? notNullPredicate(body.whereClause) : undefined;
      if (body.whereClause && !notNull) return;
      const key = tableKey(relationName(body.relation));
      let t = tables.get(key);
      // A table whose creation was not seen (a plan's baseline, an earlier migration): this index is known, others may exist.
      if (!t) tables.set(key, (t = newSeenTable(key, false)));
      const columns = (body.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? null);
      if (notNull) t.notNullIndexes.set(body.idxname, { columns, notNull });
      else t.indexes.set(body.idxname, columns);
      if (body.unique) t.uniqueIndexes.add(body.idxname);
      else t.uniqueIndexes.delete(body.idxname);
      if (!notNull && plainIndex(body)) t.plainIndexes.add(body.idxname);
      else t.plainIndexes.delete(body.idxname);
      return;
    }
    case 'AlterTableStmt': {
      const key = tableKey(relationName(body.relation));
      let t = tables.get(key);
      if (!t) tables.set(key, (t = newSeenTable(key, false)));
      const cmds: { AlterTableCmd?: Record<string, any> }[] = body.cmds ?? [];
      for (let subcommand = 0; subcommand < cmds.length; subcommand++) {
        const cmd = cmds[subcommand]!.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddConstraint') addConstraint(t, cmd.def?.Constraint);
        if (cmd?.subtype === 'AT_AddColumn') for (const c of cmd.def?.ColumnDef?.constraints ?? []) addConstraint(t, c.Constraint, cmd.def.ColumnDef.colname);
        if (cmd?.subtype === 'AT_ValidateConstraint' && t.notValidChecks.delete(cmd.name)) t.validatedChecks.add(cmd.name);
        if (cmd?.subtype === 'AT_DropConstraint') {
          // A PRIMARY KEY or UNIQUE constraint's index goes with it.
          const columns = removed && t.indexes.get(cmd.name);
          if (columns) removed.push({ table: t, name: cmd.name, columns, ...(t.uniqueIndexes.has(cmd.name) ? { unique: true as const } : {}), subcommand });
          t.indexes.delete(cmd.name);
          t.keyIndexes.delete(cmd.name);
          t.uniqueIndexes.delete(cmd.name);
          t.validatedChecks.delete(cmd.name);
          t.notValidChecks.delete(cmd.name);
          t.foreignKeys.delete(cmd.name);
        }
        if (cmd?.subtype === 'AT_DropColumn') {
          // Its indexes and foreign keys go with it.
          if (t.indexes.involves(cmd.name)) {
            for (const [name, columns] of t.indexes) {
              if (!columns.includes(cmd.name)) continue;
              removed?.push({ table: t, name, columns, ...(t.uniqueIndexes.has(name) ? { unique: true as const } : {}), subcommand });
              t.indexes.delete(name);
              t.keyIndexes.delete(name);
              t.uniqueIndexes.delete(name);
            }
          }
          if (t.notNullIndexes.involves(cmd.name)) {
            for (const [name, index] of t.notNullIndexes) {
              if (!index.columns.includes(cmd.name) && !index.notNull.includes(cmd.name)) continue;
              removed?.push({ table: t, name, columns: index.columns, notNull: index.notNull, ...(t.uniqueIndexes.has(name) ? { unique: true as const } : {}), subcommand });
              t.notNullIndexes.delete(name);
              t.uniqueIndexes.delete(name);
            }
          }
          if (t.foreignKeys.involves(cmd.name)) for (const [name, fk] of t.foreignKeys) if (fk.columns.includes(cmd.name)) t.foreignKeys.delete(name);
        }
      }
      return;
    }
    case 'DropStmt': {
      const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
      if (body.removeType === 'OBJECT_TABLE') {
        const dropped = new Set(names.map(tableKey));
        for (const key of dropped) tables.delete(key);
        // The keys that referenced them went with them (CASCADE; without it PostgreSQL refuses while there is one).
        for (const t of tables.values()) for (const [name, fk] of t.foreignKeys) if (dropped.has(fk.references)) t.foreignKeys.delete(name);
      }
      if (body.removeType === 'OBJECT_INDEX') {
        // By its name's parts: a quoted name may hold a dot (Prisma 2's "User.email_unique" is one
        // name, not schema "User" and index "email_unique": the twenty-eighth trial's A).
        for (const o of body.objects ?? []) {
          const items: string[] = (o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '');
          const bare = items.at(-1) ?? '';
          const t = indexTable(tables, { bare, ...(items.length > 1 ? { schema: items.slice(0, -1).join('.') } : {}) });
          if (!t) continue;
          // A constraint's index: refused, it stays.
          if (t.keyIndexes.has(bare)) continue;
          const columns = t.indexes.get(bare);
          const partial = t.notNullIndexes.get(bare);
          const unique = t.uniqueIndexes.has(bare) ? { unique: true as const } : {};
          if (columns) removed?.push({ table: t, name: bare, columns, ...unique });
          if (partial) removed?.push({ table: t, name: bare, columns: partial.columns, notNull: partial.notNull, ...unique });
          t.indexes.delete(bare);
          t.notNullIndexes.delete(bare);
          t.uniqueIndexes.delete(bare);
        }
      }
      return;
    }
    case 'RenameStmt': {
      const from = tableKey(relationName(body.relation));
      if (body.renameType === 'OBJECT_INDEX' || (body.renameType === 'OBJECT_TABLE' && !tables.has(from))) {
        // ALTER INDEX ... RENAME, or ALTER TABLE ... RENAME of an index (PostgreSQL takes either).
        const t = indexTable(tables, { bare: body.relation.relname, ...(body.relation.schemaname ? { schema: body.relation.schemaname } : {}) });
        if (t) renameIndex(t, body.relation.relname, body.newname);
        return;
      }
      const t = tables.get(from);
      if (!t) return;
      if (body.renameType === 'OBJECT_COLUMN') {
        // Its indexes and keys follow the column.
        const renamed = (columns: (string | null)[]) => columns.map((c) => (c === body.subname ? body.newname : c));
        if (t.indexes.involves(body.subname)) for (const [name, columns] of t.indexes) if (columns.includes(body.subname)) t.indexes.set(name, renamed(columns));
        if (t.notNullIndexes.involves(body.subname)) for (const [name, index] of t.notNullIndexes) t.notNullIndexes.set(name, { columns: renamed(index.columns), notNull: renamed(index.notNull) as string[] });
        if (t.foreignKeys.involves(body.subname)) {
          for (const [name, fk] of t.foreignKeys) {
            if (fk.columns.includes(body.subname)) t.foreignKeys.changeInPlace(name, (key) => (key.columns = renamed(key.columns) as string[]));
          }
        }
        return;
      }
      if (body.renameType === 'OBJECT_TABCONSTRAINT') {
        const fk = t.foreignKeys.get(body.subname);
        if (fk) {
          t.foreignKeys.delete(body.subname);
          t.foreignKeys.set(body.newname, fk);
        }
        // A PRIMARY KEY or UNIQUE constraint's index is renamed with it.
        renameIndex(t, body.subname, body.newname);
        return;
      }
      if (body.renameType !== 'OBJECT_TABLE') return;
      tables.delete(from);
      t.key = tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname);
      tables.set(t.key, t);
      // The keys that reference it follow it.
      for (const other of tables.values()) for (const fk of other.foreignKeys.values()) if (fk.references === from) fk.references = t.key;
      return;
    }
  }
}

/**
 * Whether a CREATE INDEX builds a plain B-tree over columns: no WHERE, expression, operator class,
 * collation, ordering, INCLUDE or NULLS NOT DISTINCT (SeenTable.plainIndexes).
 */
export function plainIndex(body: Record<string, any>): boolean {
  if (body.whereClause || body.indexIncludingParams?.length || body.nulls_not_distinct || (body.accessMethod ?? 'btree') !== 'btree') return false;
  const params: { IndexElem?: Record<string, any> }[] = body.indexParams ?? [];
  return params.length > 0 && params.every(({ IndexElem: e }) => e !== undefined && typeof e.name === 'string' && !e.expr && !e.collation?.length && !e.opclass?.length
    && (e.ordering ?? 'SORTBY_DEFAULT') === 'SORTBY_DEFAULT' && (e.nulls_ordering ?? 'SORTBY_NULLS_DEFAULT') === 'SORTBY_NULLS_DEFAULT');
}
