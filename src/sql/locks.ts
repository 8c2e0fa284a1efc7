import type { CommonTableExpr, FuncCall, LockingClause, Node, RangeVar } from 'libpg-query';
import type { PgNode } from './parser.js';
import { droppedFunctionNames, relationName } from './facts.js';
import { reindexConcurrently } from './transaction-block.js';
import { node } from './node.js';

/** PostgreSQL's table lock modes, weakest first (the order of the conflict table). */
export const lockModes = [
  'AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
  'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock',
] as const;
export type LockMode = (typeof lockModes)[number];

/** 'AccessExclusiveLock' -> 'ACCESS EXCLUSIVE', as PostgreSQL's documentation names it. */
export function lockLabel(mode: string): string {
  return mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

export function lockStrength(mode: string): number {
  return lockModes.indexOf(mode as LockMode);
}

/**
 * The everyday queries a lock of this mode blocks, held or waited for (a waiting request queues
 * those that conflict with it), and those it lets go on: plain SELECT takes ACCESS SHARE,
 * SELECT ... FOR UPDATE ROW SHARE, INSERT, UPDATE and DELETE ROW EXCLUSIVE (PostgreSQL's table of
 * conflicting lock modes).
 */
export function queriesBlocked(mode: string, table: string, materialized = false): { readonly blocked: string; readonly spared?: string } {
  const strength = lockStrength(mode);
  if (strength >= lockStrength('AccessExclusiveLock')) return { blocked: `every query on ${table}, plain SELECT included,` };
  // `materialized`: the tables are materialized views, which nothing writes but REFRESH, nor locks FOR UPDATE.
  if (materialized && strength >= lockStrength('ShareLock')) return { blocked: `REFRESH MATERIALIZED VIEW ${table}`, spared: 'reads go on' };
  if (strength >= lockStrength('ExclusiveLock')) return { blocked: `every write to ${table} and SELECT ... FOR UPDATE on it`, spared: 'plain reads go on' };
  if (strength >= lockStrength('ShareLock')) return { blocked: `every write to ${table}`, spared: 'reads go on' };
  if (strength >= lockStrength('ShareUpdateExclusiveLock')) return { blocked: `other schema changes of ${table}, VACUUM and ANALYZE`, spared: 'reads and writes go on' };
  return { blocked: `schema changes of ${table} and explicit locks on it`, spared: 'reads and writes go on' };
}

/** A table lock a statement takes, by the table as the statement names it. */
export interface PredictedLock {
  readonly table: string;
  readonly mode: LockMode;
  /**
   * Taken only when the statement changes rows that fire a foreign key's trigger (a check of the
   * referenced table, a cascade to the referencing one): a statement that changes no such row
   * does not take it. Verify does not require it to be held.
   */
  readonly ifRows?: true;
  /**
   * The lock a rename took on its relation, under the name the relation has once the statement
   * has run (what later statements of the transaction call it): not another table.
   */
  readonly renamed?: true;
  /**
   * Why the statement locks this relation when it is not the one the statement names as its own
   * (the table it alters, the index it drops...): a foreign key's other table, a partition, a
   * relation a view reads. Messages that name the statement which took a lock say it, so that a
   * reader who looks for that statement on this relation's name finds it.
   */
  readonly reason?: LockReason;
}

/**
 * Why a statement locks a relation other than its own (PredictedLock.reason). Names as the
 * statement and the catalog write them.
 */
export type LockReason =
  /**
   * A foreign key the statement adds, drops, validates or rebuilds (a column type change drops
   * and recreates it), at its other end: the referenced table of a key of its own table, or the
   * referencing table of one that references it. `with`: the table a DROP TABLE drops, whose key it is.
   */
  | { readonly kind: 'foreign key'; readonly end: 'referenced' | 'referencing'; readonly name?: string; readonly action: 'adds' | 'drops' | 'validates' | 'rebuilds'; readonly with?: string }
  /** A partition of a table the statement locks (at any depth). */
  | { readonly kind: 'partition'; readonly of: string }
  /** The partition ALTER TABLE ... ATTACH or DETACH PARTITION names. */
  | { readonly kind: 'partition named'; readonly action: 'attaches' | 'detaches' }
  /** The parent of the table CREATE TABLE creates: PARTITION OF, INHERITS. */
  | { readonly kind: 'parent'; readonly partition: boolean }
  /** The parent ALTER TABLE ... INHERIT or NO INHERIT names. */
  | { readonly kind: 'parent named'; readonly inherit: boolean }
  /** The table of an index the statement names (DROP INDEX, REINDEX INDEX). */
  | { readonly kind: 'index'; readonly index: string }
  /** A relation a view (or materialized view) reads, locked as the view is. */
  | { readonly kind: 'view'; readonly view: string }
  /** The table of an index or trigger that uses a function DROP FUNCTION ... CASCADE drops. */
  | { readonly kind: 'function user'; readonly function: string }
  /** A table TRUNCATE ... CASCADE empties because it references one named. */
  | { readonly kind: 'truncate cascade' };

/**
 * The partitions a statement on a partitioned table locks as it locks the table: ALTER TABLE
 * (not ONLY), LOCK TABLE, CREATE INDEX (not ON ONLY), DROP INDEX, TRUNCATE, ANALYZE and VACUUM,
 * the other table of a foreign key created or dropped, at any depth; a query's plan may prune some, so an
 * UPDATE's or a DELETE's ROW EXCLUSIVE on them is predicted as taken only in some cases.
 */
function withPartitions(locks: readonly PredictedLock[], schema: LockCatalog | undefined, recurse: (l: PredictedLock) => boolean): PredictedLock[] {
  if (!schema?.partitionsOf) return [...locks];
  const out: PredictedLock[] = [];
  const expand = (l: PredictedLock, depth: number) => {
    out.push(l);
    if (depth > 10) return;
    for (const p of schema.partitionsOf!(l.table) ?? []) expand({ ...l, table: p, reason: { kind: 'partition', of: l.table } }, depth + 1);
  };
  for (const l of locks) if (recurse(l)) expand(l, 0); else out.push(l);
  return out;
}

/** A foreign key, as the schema state or the live catalog knows it. */
export interface ForeignKey {
  readonly name: string;
  /** The referencing table. */
  readonly table: string;
  readonly columns: readonly string[];
  /** The referenced table. */
  readonly references: string;
  /** The referenced columns; empty when unknown. */
  readonly refColumns: readonly string[];
  /** The primary key or unique constraint it points at, when known. */
  readonly refKey?: string;
  /**
   * The unique index it relies on, when known: the key constraint's index (named as the
   * constraint), or a unique index of its own that DROP INDEX ... CASCADE takes the key with.
   */
  readonly refIndex?: string;
  /**
   * What deleting or updating a referenced row does to the referencing rows, as the parser and
   * pg_constraint spell it: 'a' no action, 'r' restrict, 'c' cascade, 'n' set null, 'd' set
   * default. Unknown (undefined) is taken as no action.
   */
  readonly onDelete?: string;
  readonly onUpdate?: string;
}

/**
 * What the lock prediction needs to know of the schema: the foreign keys at either end of a
 * table. A lookup per table, not a list of every key: lint asks it for most statements of
 * folders with thousands of tables.
 */
export interface ForeignKeyCatalog {
  /**
   * The foreign keys of `table` and those of other tables that reference it; with a filter, only
   * those it wants (a table can have a hundred keys: they are filtered before they are built).
   */
  foreignKeysAt(table: string, filter?: ForeignKeyFilter): readonly ForeignKey[];
}

/** Which of the foreign keys at a table a lookup wants: every condition given holds. */
export interface ForeignKeyFilter {
  /**
   * One end only: the table's own keys (`'own'`, self-references included), or the keys of other
   * tables that reference it (`'referencing'`); the other end is not looked at.
   */
  readonly end?: 'own' | 'referencing';
  /** The key of this name. */
  readonly name?: string;
  /** Keys whose (referencing) columns include this one. */
  readonly column?: string;
  /** Keys whose referenced columns include this one. */
  readonly refColumn?: string;
  /**
   * The table's own keys only if one of them has one of these columns, or one references the
   * table itself: what an UPDATE of these columns can fire (a shortcut; `keep` still decides).
   */
  readonly ownColumns?: ReadonlySet<string>;
  /** Keys it keeps. */
  readonly keep?: KeepForeignKey;
}

/** Whether a foreign key passes a filter's conditions on its name and columns (not its end). */
export function foreignKeyWanted(filter: ForeignKeyFilter, name: string, key: ForeignKeyColumns): boolean {
  return (filter.name === undefined || name === filter.name)
    && (filter.column === undefined || key.columns.includes(filter.column))
    && (filter.refColumn === undefined || key.refColumns.includes(filter.refColumn))
    && (filter.keep === undefined || filter.keep(name, key));
}

/**
 * What the lock prediction needs to know of the schema: the foreign keys at a table, and the
 * table an index belongs to (DROP INDEX names only the index, yet locks its table). The schema
 * state answers it in lint and the plan analysis; the live catalog in verify.
 */
export interface LockCatalog extends ForeignKeyCatalog {
  /** The table of an index ("idx" or "schema.idx"), as the catalog names it; undefined when unknown. */
  tableOfIndex(index: string): string | undefined;
  /**
   * The sequences a table's column defaults draw from (serial and identity columns, DEFAULT
   * nextval(...)), by column, when known: an INSERT that leaves such a column out calls
   * nextval, which locks the sequence.
   */
  sequencesOfDefaults?(table: string): readonly { readonly column: string; readonly sequence: string }[];
  /**
   * The relations a view or materialized view reads, when it is one the catalog knows; undefined
   * for any other name. A query that reads a view locks them too (the rewriter does), and LOCK
   * TABLE of a view locks them in its mode.
   */
  readsOfView?(view: string): readonly string[] | undefined;
  /** The partitions of a partitioned table (each may be one too); undefined for any other table. */
  partitionsOf?(table: string): readonly string[] | undefined;
  /** The indexes and triggers that use a function, by their tables: DROP FUNCTION ... CASCADE drops them. */
  usersOfFunction?(name: string): readonly { readonly table: string }[];
}

/** A foreign key's columns, as a filter sees it. */
export interface ForeignKeyColumns {
  readonly columns: readonly string[];
  readonly references: string;
  readonly refColumns: readonly string[];
}

/** A filter on foreign keys by name and columns. */
export type KeepForeignKey = (name: string, key: ForeignKeyColumns) => boolean;

/** Whether some of the columns are in the set. */
function anyIn(columns: readonly string[], set: ReadonlySet<string>): boolean {
  for (const c of columns) if (set.has(c)) return true;
  return false;
}

/** "users" and "public.users" are one table under the default search_path. */
const bare = (t: string) => (t.startsWith('public.') ? t.slice(7) : t);
const sameTable = (a: string, b: string) => bare(a) === bare(b);

/**
 * A catalog over a list of foreign keys and a list of indexes with their tables, names
 * schema-qualified or not (the live catalog in verify; tests).
 */
export function catalogOf(keys: readonly ForeignKey[], more: {
  readonly indexes?: readonly { readonly index: string; readonly table: string }[];
  readonly sequences?: readonly { readonly table: string; readonly column: string; readonly sequence: string }[];
  readonly views?: readonly { readonly view: string; readonly reads: readonly string[] }[];
  readonly partitions?: readonly { readonly table: string; readonly partitions: readonly string[] }[];
} = {}): LockCatalog {
  const { indexes = [], sequences = [], views = [], partitions = [] } = more;
  return {
    partitionsOf: (table) => partitions.find((p) => sameTable(p.table, table))?.partitions,
    readsOfView: (view) => views.find((v) => sameTable(v.view, view))?.reads,
    foreignKeysAt: (table, filter = {}) => keys.filter((f) => {
      const own = sameTable(f.table, table);
      const at = filter.end === 'own' ? own : filter.end === 'referencing' ? !own && sameTable(f.references, table) : own || sameTable(f.references, table);
      return at && foreignKeyWanted(filter, f.name, f);
    }),
    tableOfIndex: (index) => indexes.find((i) => sameTable(i.index, index))?.table,
    sequencesOfDefaults: (table) => sequences.filter((s) => sameTable(s.table, table)),
  };
}

/**
 * ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (PostgreSQL's
 * AlterTableGetLockLevel, tablecmds.c); every other subcommand takes ACCESS EXCLUSIVE: SET
 * STORAGE, SET COMPRESSION, ENABLE/DISABLE RULE, REPLICA IDENTITY, OWNER TO, ALTER CONSTRAINT,
 * INHERIT, OF, ROW LEVEL SECURITY... A statement with several subcommands takes the strongest
 * of them. Each entry is seen in pg_locks on PostgreSQL 15 and PGlite (18), test/locks.test.ts.
 */
const alterTableLocks: Readonly<Record<string, LockMode>> = {
  AT_ValidateConstraint: 'ShareUpdateExclusiveLock',
  AT_SetStatistics: 'ShareUpdateExclusiveLock',
  // ALTER COLUMN ... SET (n_distinct = ...) and RESET (...): the column's planner options.
  AT_SetOptions: 'ShareUpdateExclusiveLock',
  AT_ResetOptions: 'ShareUpdateExclusiveLock',
  AT_ClusterOn: 'ShareUpdateExclusiveLock',
  AT_DropCluster: 'ShareUpdateExclusiveLock',
  AT_AttachPartition: 'ShareUpdateExclusiveLock',
  AT_DetachPartitionFinalize: 'ShareUpdateExclusiveLock',
  AT_EnableTrig: 'ShareRowExclusiveLock',
  AT_EnableAlwaysTrig: 'ShareRowExclusiveLock',
  AT_EnableReplicaTrig: 'ShareRowExclusiveLock',
  AT_DisableTrig: 'ShareRowExclusiveLock',
  AT_EnableTrigAll: 'ShareRowExclusiveLock',
  AT_DisableTrigAll: 'ShareRowExclusiveLock',
  AT_EnableTrigUser: 'ShareRowExclusiveLock',
  AT_DisableTrigUser: 'ShareRowExclusiveLock',
};

/**
 * The storage parameters whose SET or RESET takes ACCESS EXCLUSIVE, because they change what
 * queries see (a view's security_barrier, security_invoker and check_option; logical decoding's
 * user_catalog_table; a GiST index's buffering): each parameter's lock mode in PostgreSQL's
 * reloptions.c. Every other one (fillfactor, autovacuum_*, toast.*, parallel_workers,
 * toast_tuple_target, vacuum_truncate...) takes SHARE UPDATE EXCLUSIVE.
 */
const accessExclusiveRelOptions = new Set(['user_catalog_table', 'security_barrier', 'security_invoker', 'check_option', 'buffering']);

/** The lock of ALTER TABLE ... SET (...) or RESET (...): the strongest its parameters need. */
function relOptionsLock(options: unknown): LockMode {
  const names = ((options as { List?: { items?: Node[] } } | undefined)?.List?.items ?? []).map((o) => ('DefElem' in o ? o.DefElem.defname : undefined));
  return names.some((n) => n !== undefined && accessExclusiveRelOptions.has(n)) ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock';
}

/** The lock one ALTER TABLE subcommand takes on the table it alters. */
function alterTableLock(cmd: { subtype?: string; def?: unknown } | undefined): LockMode {
  if (cmd?.subtype === 'AT_SetRelOptions' || cmd?.subtype === 'AT_ResetRelOptions') return relOptionsLock(cmd.def);
  return alterTableLocks[cmd?.subtype ?? ''] ?? 'AccessExclusiveLock';
}

/** LOCK TABLE's mode numbers, as the parser gives them. */
const lockStatementModes: readonly LockMode[] = ['AccessShareLock', 'AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];

const strongest = (a: LockMode, b: LockMode): LockMode => (lockStrength(a) >= lockStrength(b) ? a : b);

/** One lock per table, the strongest, in the order the tables first appear. */
function strongestPerTable(locks: readonly PredictedLock[]): PredictedLock[] {
  const out: PredictedLock[] = [];
  for (const l of locks) {
    const i = out.findIndex((o) => sameTable(o.table, l.table));
    if (i < 0) out.push(l);
    else if (lockStrength(l.mode) > lockStrength(out[i]!.mode)) out[i] = { table: out[i]!.table, mode: l.mode, ...(l.reason ? { reason: l.reason } : {}) };
    else out[i] = { table: out[i]!.table, mode: out[i]!.mode, ...(out[i]!.reason ? { reason: out[i]!.reason } : {}) };
  }
  return out;
}

type RangeVarNode = RangeVar;

/** A relation named in a string, as regclass reads it: 'orders_id_seq', 'app."Orders_id_seq"'. */
function regclassName(text: string): string | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let part = '';
    if (text[i] === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] === '"' && text[i + 1] === '"') { part += '"'; i++; } else if (text[i] === '"') { i++; break; } else part += text[i];
      }
    } else {
      for (; i < text.length && text[i] !== '.'; i++) part += text[i]!.toLowerCase();
      part = part.trim();
    }
    if (!part) return undefined;
    parts.push(part);
    if (i < text.length && text[i] !== '.') return undefined;
    i++;
  }
  return parts.length && parts.length <= 2 ? parts.join('.') : undefined;
}

/** A string constant, through casts ('s'::regclass, 's'::text::regclass). */
function constantText(node: Node | undefined): string | undefined {
  if (node && 'TypeCast' in node) return constantText(node.TypeCast.arg);
  return node && 'A_Const' in node ? node.A_Const.sval?.sval : undefined;
}

const functionName = (call: FuncCall): string => (call.funcname ?? []).map((n) => ('String' in n ? n.String.sval ?? '' : '')).filter((n) => n !== 'pg_catalog').join('.');

/**
 * The sequence a sequence function's first argument names, when it is a constant: 'orders_id_seq'
 * (through casts), or pg_get_serial_sequence('orders', 'id'), which names the sequence PostgreSQL
 * creates for a serial or identity column (orders_id_seq).
 */
function sequenceArgument(arg: Node | undefined): string | undefined {
  const text = constantText(arg);
  if (text !== undefined) return regclassName(text);
  const call = arg && 'FuncCall' in arg ? arg.FuncCall : undefined;
  if (!call || functionName(call) !== 'pg_get_serial_sequence' || call.args?.length !== 2) return undefined;
  const table = constantText(call.args[0]);
  const column = constantText(call.args[1]);
  const name = table === undefined ? undefined : regclassName(table);
  if (!name || column === undefined) return undefined;
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot + 1)}${name.slice(dot + 1)}_${column}_seq`;
}

/**
 * What a sequence function's first argument names, when it is a constant: a sequence by name
 * ('orders_id_seq', through casts), or the column whose owned sequence pg_get_serial_sequence('orders', 'id')
 * finds (the column name as written: PostgreSQL does not fold its case).
 */
export function sequenceOrColumnArgument(arg: unknown): { readonly sequence: string } | { readonly table: string; readonly column: string } | undefined {
  const node = arg as Node | undefined;
  const text = constantText(node);
  if (text !== undefined) {
    const sequence = regclassName(text);
    return sequence === undefined ? undefined : { sequence };
  }
  const call = node && 'FuncCall' in node ? node.FuncCall : undefined;
  if (!call || functionName(call) !== 'pg_get_serial_sequence' || call.args?.length !== 2) return undefined;
  const table = constantText(call.args[0]);
  const column = constantText(call.args[1]);
  const name = table === undefined ? undefined : regclassName(table);
  return name === undefined || column === undefined ? undefined : { table: name, column };
}

/** Whether a function call is setval(...), whatever its schema. */
export function isSetval(call: FuncCall): boolean {
  return functionName(call) === 'setval';
}

/** The sequence a column default draws from, when it is nextval of a constant: DEFAULT nextval('orders_id_seq'). */
export function defaultSequence(expr: unknown): string | undefined {
  const call = (expr as { FuncCall?: FuncCall } | undefined)?.FuncCall;
  return call && functionName(call) === 'nextval' ? sequenceArgument(call.args?.[0]) : undefined;
}

/** Functions that lock the sequence they are given (ROW EXCLUSIVE, whether they change it or not). */
const sequenceFunctions = new Set(['nextval', 'setval', 'currval']);

/**
 * The locks the queries inside a statement take: every table a query reads (FROM, JOIN,
 * subqueries in any clause, CTEs, UPDATE ... FROM, DELETE ... USING, MERGE's source) ACCESS
 * SHARE; the rows SELECT ... FOR UPDATE/SHARE locks ROW SHARE; a data-modifying statement's own
 * table (the top-level one or one in a WITH) ROW EXCLUSIVE, with what its foreign keys' triggers
 * take; a sequence named to nextval, setval or currval ROW EXCLUSIVE. PostgreSQL takes the
 * locks of the tables a query names when it parses it, whether the query runs or returns rows.
 */
function queryLocks(root: unknown, schema: LockCatalog | undefined): PredictedLock[] {
  // The CTE names in reach where the walk is: a FROM item of such a name is no table. A CTE's own
  // body sees only the CTEs before it, unless WITH RECURSIVE (`WITH users AS (SELECT ... FROM
  // users)` reads the table users: the thirty-eighth trial's class B); what follows the WITH sees them all.
  let ctes: ReadonlySet<string> = new Set();
  const out: PredictedLock[] = [];
  const table = (rv: RangeVarNode | undefined): string | undefined => (rv?.relname && (rv.schemaname || !ctes.has(rv.relname)) ? relationName(rv) : undefined);
  /** Walks a query's WITH, its CTEs each in its own reach, and then `rest` with all of them in reach. */
  const withScope = (withClause: any, rest: () => void) => {
    const list: CommonTableExpr[] = (withClause?.ctes ?? []).flatMap((c: { CommonTableExpr?: CommonTableExpr }) => (c?.CommonTableExpr ? [c.CommonTableExpr] : []));
    if (!list.length) return rest();
    const outer = ctes;
    const all = new Set([...outer, ...list.map((c) => c.ctename ?? '')]);
    try {
      for (const [i, cte] of list.entries()) {
        ctes = withClause.recursive ? all : new Set([...outer, ...list.slice(0, i).map((c) => c.ctename ?? '')]);
        visit(cte.ctequery);
      }
      ctes = all;
      rest();
    } finally {
      ctes = outer;
    }
  };
  const add = (rv: RangeVarNode | undefined, mode: LockMode) => {
    const t = table(rv);
    if (t !== undefined) out.push({ table: t, mode });
  };
  /** The tables of a FROM list, through joins, not into subqueries: those FOR UPDATE with no OF locks. */
  const fromTables = (items: readonly any[]): RangeVarNode[] => items.flatMap((i) => (i?.RangeVar ? [i.RangeVar] : i?.JoinExpr ? fromTables([i.JoinExpr.larg, i.JoinExpr.rarg]) : []));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) visit(x);
      return;
    }
    if (!node || typeof node !== 'object') return;
    // for...in, not Object.entries: this walks every node of every statement lint reads.
    for (const k in node) {
      const v = (node as Record<string, any>)[k];
      switch (k) {
        case 'RangeVar':
          add(v, 'AccessShareLock');
          continue;
        case 'InsertStmt':
        case 'UpdateStmt':
        case 'DeleteStmt':
        case 'MergeStmt':
          // Its own table is a table whatever the WITH names.
          out.push(...writeLocks(k, v, schema));
          withScope(v.withClause, () => visit({ ...v, relation: undefined, withClause: undefined }));
          continue;
        case 'SelectStmt':
          withScope(v.withClause, () => {
            for (const c of v.lockingClause ?? []) {
              const named: RangeVarNode[] = ((c.LockingClause as LockingClause | undefined)?.lockedRels ?? []).flatMap((r) => ('RangeVar' in r ? [r.RangeVar] : []));
              for (const rv of named.length ? named : fromTables(v.fromClause ?? [])) add(rv, 'RowShareLock');
            }
            // SELECT ... INTO creates its table (the statement's own lock, not a read).
            visit({ ...v, intoClause: undefined, withClause: undefined });
          });
          continue;
        case 'FuncCall': {
          const sequence = sequenceFunctions.has(functionName(v)) ? sequenceArgument(v.args?.[0]) : undefined;
          if (sequence !== undefined) out.push({ table: sequence, mode: 'RowExclusiveLock' });
          visit(v.args);
          visit(v.agg_filter);
          visit(v.agg_order);
          visit(v.over);
          continue;
        }
        default:
          visit(v);
      }
    }
  };
  visit(root);
  return out;
}

/**
 * The relations a statement reads (ACCESS SHARE, or ROW SHARE for SELECT ... FOR UPDATE), each
 * once, in its WITH and subqueries too: not a table it only writes.
 */
export function readTables(statement: unknown): string[] {
  return [...new Set(queryLocks(statement, undefined).filter((l) => !l.ifRows && (l.mode === 'AccessShareLock' || l.mode === 'RowShareLock')).map((l) => l.table))];
}

/** The relations a query names (its reads and writes), each once: what a view's query reads. */
export function readRelations(query: unknown): string[] {
  return [...new Set(queryLocks(query, undefined).map((l) => l.table))];
}

/**
 * A query that reads or writes a view takes the same lock on the relations the view reads (the
 * rewriter locks them), through views of views; LOCK TABLE of a view too.
 */
function throughViews(locks: readonly PredictedLock[], schema: LockCatalog | undefined): PredictedLock[] {
  if (!schema?.readsOfView) return [...locks];
  const out: PredictedLock[] = [];
  const seen = new Set<string>();
  const expand = (l: PredictedLock) => {
    out.push(l);
    const key = `${bare(l.table)}\t${l.mode}\t${l.ifRows ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const r of schema.readsOfView!(l.table) ?? []) expand({ ...l, table: r, reason: { kind: 'view', view: l.table } });
  };
  for (const l of locks) expand(l);
  return out;
}

/**
 * The locks of an INSERT, UPDATE, DELETE or MERGE on its table: ROW EXCLUSIVE there, and what
 * the foreign keys' triggers take when rows change (ifRows): a write to a referencing table
 * checks the referenced one (ROW SHARE, as SELECT ... FOR KEY SHARE); a delete or key update of
 * a referenced table checks the referencing ones (ROW SHARE), or changes their rows (ROW
 * EXCLUSIVE) with ON DELETE/UPDATE CASCADE, SET NULL or SET DEFAULT. An UPDATE fires them only
 * when it sets a column of the key. An INSERT that leaves out a column whose default draws from
 * a sequence locks the sequence (nextval).
 */
function writeLocks(kind: string, body: any, schema: LockCatalog | undefined): PredictedLock[] {
  const table = relationName(body.relation);
  const locks: PredictedLock[] = [{ table, mode: 'RowExclusiveLock' }];
  const merge = kind === 'MergeStmt' ? (body.mergeWhenClauses ?? []).map((w: any) => w.MergeWhenClause?.commandType) : [];
  const inserts = kind === 'InsertStmt' || kind === 'CopyStmt' || merge.includes('CMD_INSERT');
  const deletes = kind === 'DeleteStmt' || merge.includes('CMD_DELETE');
  // The columns an UPDATE sets (ON CONFLICT DO UPDATE and MERGE's UPDATE included); undefined: any.
  const setLists = [
    ...(kind === 'UpdateStmt' ? [body.targetList] : []),
    ...(body.onConflictClause?.action === 'ONCONFLICT_UPDATE' ? [body.onConflictClause.targetList] : []),
    ...(body.mergeWhenClauses ?? []).filter((w: any) => w.MergeWhenClause?.commandType === 'CMD_UPDATE').map((w: any) => w.MergeWhenClause.targetList),
  ];
  const set = new Set<string>(setLists.flat().map((t: any) => t?.ResTarget?.name).filter((n: unknown): n is string => typeof n === 'string'));
  const updates = setLists.length > 0;
  // Only the keys this change can fire are built (a table may have hundreds): a superset of the
  // ones the loop below keeps.
  // Asked of every key at the table: no closure or name copy made per key.
  const self = bare(table);
  const fires: KeepForeignKey = (_name, f) => inserts || (updates && anyIn(f.columns, set))
    || (bare(f.references) === self && (deletes || (updates && (f.refColumns.length === 0 || anyIn(f.refColumns, set)))));
  // An UPDATE or DELETE fires none of the table's own keys unless it sets one of their columns or
  // the key refers to the table itself: most are not even looked at (a table may have thousands).
  const keys = schema?.foreignKeysAt(table, { keep: fires, ...(inserts ? {} : { ownColumns: set }) }) ?? [];
  for (const f of keys) {
    if (sameTable(f.table, table) && (inserts || (updates && f.columns.some((c) => set.has(c))))) locks.push({ table: f.references, mode: 'RowShareLock', ifRows: true });
    if (!sameTable(f.references, table)) continue;
    const action = (a: string | undefined) => (a === 'c' || a === 'n' || a === 'd' ? 'RowExclusiveLock' : 'RowShareLock');
    if (deletes) locks.push({ table: f.table, mode: action(f.onDelete), ifRows: true });
    if (updates && (f.refColumns.length === 0 || f.refColumns.some((c) => set.has(c)))) locks.push({ table: f.table, mode: action(f.onUpdate), ifRows: true });
  }
  if (kind === 'InsertStmt' || kind === 'CopyStmt') {
    const named = new Set<string>((body.cols ?? body.attlist ?? []).map((c: any) => c?.ResTarget?.name ?? c?.String?.sval));
    for (const d of schema?.sequencesOfDefaults?.(table) ?? []) if (!named.size || !named.has(d.column)) locks.push({ table: d.sequence, mode: 'RowExclusiveLock', ifRows: true });
  }
  return locks;
}

/**
 * The locks a statement takes on relations (tables, views, materialized views, sequences, foreign
 * tables), from its parse tree and, when given, the catalog at that point (its foreign keys,
 * indexes, column defaults, views and partitions): for the relations it names, and for those
 * the catalog ties them to. PostgreSQL keeps a foreign key with triggers on both of its tables,
 * so creating one takes SHARE ROW EXCLUSIVE on both, and dropping one (DROP CONSTRAINT, DROP
 * COLUMN of its column, DROP TABLE of either table, a type change that rebuilds it) takes ACCESS
 * EXCLUSIVE on both; TRUNCATE ... CASCADE empties the tables that reference it, at any depth
 * (checked on PostgreSQL 15 and PGlite 18, test/locks.test.ts). Reads are predicted too: every
 * table a query names, in any clause, ACCESS SHARE (queryLocks), and the foreign keys' checks and
 * cascades a data change fires (ifRows: only when rows change). One entry per relation, the
 * strongest, and beside it a stronger one only rows take, if any. DROP INDEX
 * names only the index: the catalog says its table (ACCESS EXCLUSIVE, or SHARE UPDATE EXCLUSIVE
 * with CONCURRENTLY); an index it does not know (IF EXISTS of one that is not there, or one
 * created outside what the analysis saw) predicts nothing; REINDEX INDEX the same way (SHARE, or
 * SHARE UPDATE EXCLUSIVE with CONCURRENTLY). What functions, triggers and rules do inside the
 * database is not seen: a DO block predicts nothing.
 */
export function predictLocks(ast: PgNode, schema?: LockCatalog): PredictedLock[] {
  const [kind, body] = node(ast);
  const locks = statementLocks(ast, schema);
  // ONLY leaves inh out of the parse tree (false is its default).
  const named = (rv: { inh?: boolean } | undefined) => rv?.inh === true;
  switch (kind) {
    case 'AlterTableStmt': {
      // Not ATTACH or DETACH, whose partition is named; not ALTER TABLE ONLY.
      const partitionCommands = ['AT_AttachPartition', 'AT_DetachPartition', 'AT_DetachPartitionFinalize'];
      if (!named(body.relation) || (body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => partitionCommands.includes(c.AlterTableCmd?.subtype ?? ''))) return combinedLocks(locks);
      return combinedLocks(withPartitions(locks, schema, (l) => l.mode !== 'AccessShareLock' && !l.ifRows));
    }
    case 'IndexStmt':
      return combinedLocks(named(body.relation) && !body.concurrent ? withPartitions(locks, schema, () => true) : locks);
    case 'LockStmt':
    case 'TruncateStmt':
    case 'VacuumStmt':
    case 'DropStmt':
    case 'CreateStmt':
      // CREATE TABLE: the referenced tables of its foreign keys (SHARE ROW EXCLUSIVE).
      return combinedLocks(withPartitions(locks, schema, (l) => kind !== 'CreateStmt' || l.mode === 'ShareRowExclusiveLock'));
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return combinedLocks(withPartitions(locks, schema, (l) => l.mode === 'RowExclusiveLock' && !l.ifRows && sameTable(l.table, relationName(body.relation))).map((l) => (sameTable(l.table, relationName(body.relation)) || l.ifRows || l.mode !== 'RowExclusiveLock' ? l : { ...l, ifRows: true as const })));
    default:
      return combinedLocks(locks);
  }
}

/**
 * One lock per table, the strongest, in the order the tables first appear; and a stronger one
 * that only some rows' triggers take (ifRows) beside it, when there is one. Also the locks of
 * several statements run as one (the statements of a DO block).
 */
export function combinedLocks(locks: readonly PredictedLock[]): PredictedLock[] {
  const firm = strongestPerTable(locks.filter((l) => !l.ifRows));
  const out: PredictedLock[] = [];
  for (const l of strongestPerTable(locks)) {
    const sure = firm.find((f) => sameTable(f.table, l.table));
    if (sure) out.push(sure);
    if (!sure || lockStrength(l.mode) > lockStrength(sure.mode)) out.push({ table: sure?.table ?? l.table, mode: l.mode, ifRows: true, ...(l.reason ? { reason: l.reason } : {}) });
  }
  return out;
}

/** The relation kinds ALTER TABLE, ALTER VIEW, ALTER SEQUENCE... lock as ALTER TABLE does. */
const alteredRelations = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

/** COMMENT ON these takes SHARE UPDATE EXCLUSIVE on the relation (or the column's table). */
const commentedRelations = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE', 'OBJECT_COLUMN']);

/** COMMENT ON these, named "name ON table", reads the table (ACCESS SHARE) to find them. */
const commentedOnTable = new Set(['OBJECT_TABCONSTRAINT', 'OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE']);

function statementLocks(ast: PgNode, schema?: LockCatalog): PredictedLock[] {
  const [kind, body] = node(ast);
  const on = (table: string, mode: LockMode): PredictedLock[] => [{ table, mode }];
  /** Foreign keys of `table`, and those of other tables pointing at it. */
  const from = (table: string, filter?: ForeignKeyFilter) => schema?.foreignKeysAt(table, { ...filter, end: 'own' }) ?? [];
  const to = (table: string, filter?: ForeignKeyFilter) => schema?.foreignKeysAt(table, { ...filter, end: 'referencing' }) ?? [];
  switch (kind) {
    case 'AlterTableStmt': {
      if (!alteredRelations.has(body.objtype)) return [];
      const table = relationName(body.relation);
      let mode: LockMode = 'AccessShareLock';
      const extra: PredictedLock[] = [];
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        let m: LockMode = alterTableLock(cmd);
        const constraint = cmd?.def?.Constraint;
        if (cmd?.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_FOREIGN') {
          // A foreign key locks both tables against writes that could break it.
          m = 'ShareRowExclusiveLock';
          extra.push({ table: relationName(constraint.pktable), mode: 'ShareRowExclusiveLock', reason: { kind: 'foreign key', end: 'referenced', action: 'adds', ...(constraint.conname ? { name: constraint.conname } : {}) } });
        }
        // ATTACH PARTITION scans the table it attaches (its constraint) under ACCESS EXCLUSIVE;
        // the parent takes only SHARE UPDATE EXCLUSIVE (PostgreSQL 12+).
        if (cmd?.subtype === 'AT_AttachPartition' && cmd.def?.PartitionCmd?.name) extra.push({ table: relationName(cmd.def.PartitionCmd.name), mode: 'AccessExclusiveLock', reason: { kind: 'partition named', action: 'attaches' } });
        // DETACH PARTITION takes ACCESS EXCLUSIVE on the parent and the partition (seen on PG15).
        // CONCURRENTLY (14+) takes SHARE UPDATE EXCLUSIVE on both in a first transaction, then
        // waits for the queries that use the parent holding no table lock (seen on PG15), then
        // takes SHARE UPDATE EXCLUSIVE on the parent and, briefly, ACCESS EXCLUSIVE on the
        // partition, which the parent's queries no longer see: predicted as the first.
        if (cmd?.subtype === 'AT_DetachPartition' && cmd.def?.PartitionCmd?.name) {
          const concurrent = cmd.def.PartitionCmd.concurrent === true;
          if (concurrent) m = 'ShareUpdateExclusiveLock';
          extra.push({ table: relationName(cmd.def.PartitionCmd.name), mode: concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', reason: { kind: 'partition named', action: 'detaches' } });
        }
        // INHERIT adds a child to the parent it names under SHARE UPDATE EXCLUSIVE, as CREATE
        // TABLE ... INHERITS does; NO INHERIT only reads the parent (ACCESS SHARE; seen on 15 and 18).
        if ((cmd?.subtype === 'AT_AddInherit' || cmd?.subtype === 'AT_DropInherit') && cmd.def?.RangeVar) {
          const inherit = cmd.subtype === 'AT_AddInherit';
          extra.push({ table: relationName(cmd.def.RangeVar), mode: inherit ? 'ShareUpdateExclusiveLock' : 'AccessShareLock', reason: { kind: 'parent named', inherit } });
        }
        // ADD COLUMN ... REFERENCES locks the referenced table the same way.
        for (const inline of cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.constraints ?? [] : []) {
          if (inline.Constraint?.contype === 'CONSTR_FOREIGN') extra.push({ table: relationName(inline.Constraint.pktable), mode: 'ShareRowExclusiveLock', reason: { kind: 'foreign key', end: 'referenced', action: 'adds', ...(inline.Constraint.conname ? { name: inline.Constraint.conname } : {}) } });
        }
        // Validating a foreign key reads the referenced table for its rows (ROW SHARE); one
        // already valid, or an empty table, has none to check.
        if (cmd?.subtype === 'AT_ValidateConstraint') {
          for (const f of from(table, { name: cmd.name })) extra.push({ table: f.references, mode: 'RowShareLock', ifRows: true, reason: { kind: 'foreign key', end: 'referenced', action: 'validates', name: f.name } });
        }
        // Dropping a foreign key drops its triggers on the other table too: ACCESS EXCLUSIVE there.
        const dropped: ForeignKey[] = [];
        if (cmd?.subtype === 'AT_DropConstraint') {
          dropped.push(...from(table, { name: cmd.name }));
          // A key constraint dropped with CASCADE takes the foreign keys that point at it along.
          if (cmd.behavior === 'DROP_CASCADE') dropped.push(...to(table).filter((f) => f.refKey === cmd.name));
        }
        if (cmd?.subtype === 'AT_DropColumn') {
          dropped.push(...from(table, { column: cmd.name }));
          if (cmd.behavior === 'DROP_CASCADE') dropped.push(...to(table, { refColumn: cmd.name }));
        }
        // A type change of a column in a foreign key, on either side, drops and recreates it.
        if (cmd?.subtype === 'AT_AlterColumnType') {
          dropped.push(...from(table, { column: cmd.name }), ...to(table, { refColumn: cmd.name }));
        }
        const action = cmd?.subtype === 'AT_AlterColumnType' ? 'rebuilds' : 'drops';
        for (const f of dropped) {
          const own = sameTable(f.table, table);
          extra.push({ table: own ? f.references : f.table, mode: 'AccessExclusiveLock', reason: { kind: 'foreign key', end: own ? 'referenced' : 'referencing', name: f.name, action } });
        }
        mode = strongest(mode, m);
      }
      return [...on(table, mode), ...extra.filter((e) => !sameTable(e.table, table))];
    }
    case 'RenameStmt': {
      if (body.renameType === 'OBJECT_TABLE' || alteredRelations.has(body.renameType)) {
        // The lock is held under the new name once the statement has run.
        const renamed = body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname;
        return [...on(relationName(body.relation), 'AccessExclusiveLock'), { table: renamed, mode: 'AccessExclusiveLock', renamed: true }];
      }
      // ALTER TRIGGER ... ON t RENAME, like a column or constraint, locks its table.
      return ['OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_TRIGGER'].includes(body.renameType) ? on(relationName(body.relation), 'AccessExclusiveLock') : [];
    }
    case 'AlterObjectSchemaStmt': {
      // ALTER TABLE (VIEW, SEQUENCE ...) ... SET SCHEMA, as a rename: ACCESS EXCLUSIVE, held under the new name.
      if (!alteredRelations.has(body.objectType) || !body.relation) return [];
      return [...on(relationName(body.relation), 'AccessExclusiveLock'), { table: `${body.newschema}.${body.relation.relname}`, mode: 'AccessExclusiveLock', renamed: true }];
    }
    case 'IndexStmt':
      return on(relationName(body.relation), body.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
    case 'ReindexStmt': {
      const concurrent = reindexConcurrently(body);
      const mode: LockMode = concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock';
      if (body.kind === 'REINDEX_OBJECT_TABLE') return on(relationName(body.relation), mode);
      // REINDEX INDEX, like DROP INDEX, names only the index and locks its table.
      const table = body.kind === 'REINDEX_OBJECT_INDEX' ? schema?.tableOfIndex(relationName(body.relation)) : undefined;
      return table !== undefined ? [{ table, mode, reason: { kind: 'index', index: relationName(body.relation) } }] : [];
    }
    case 'DropStmt': {
      const names = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval ?? '?'));
      if (body.removeType === 'OBJECT_TABLE') {
        const dropped: string[] = names.map((n: string[]) => n.join('.'));
        // Its foreign keys go with it, and (CASCADE, or the referencing table dropped alongside)
        // those pointing at it: ACCESS EXCLUSIVE on the tables at their other ends.
        const others: PredictedLock[] = dropped.flatMap((t) => [
          ...from(t).map((f): PredictedLock => ({ table: f.references, mode: 'AccessExclusiveLock', reason: { kind: 'foreign key', end: 'referenced', name: f.name, action: 'drops', with: t } })),
          ...to(t).map((f): PredictedLock => ({ table: f.table, mode: 'AccessExclusiveLock', reason: { kind: 'foreign key', end: 'referencing', name: f.name, action: 'drops', with: t } })),
        ]);
        return [...dropped.map((table) => ({ table, mode: 'AccessExclusiveLock' as const })), ...strongestPerTable(others.filter((o) => !dropped.some((d) => sameTable(d, o.table))))];
      }
      // A view, materialized view, sequence or foreign table goes under ACCESS EXCLUSIVE, as a table.
      if (alteredRelations.has(body.removeType)) return names.map((n: string[]) => ({ table: n.join('.'), mode: 'AccessExclusiveLock' as const }));
      if (body.removeType === 'OBJECT_TRIGGER') return names.map((n: string[]) => ({ table: n.slice(0, -1).join('.'), mode: 'AccessExclusiveLock' as const }));
      // CASCADE drops the indexes and triggers that use the function: each under ACCESS EXCLUSIVE
      // on its table, as DROP INDEX and DROP TRIGGER (seen in pg_locks on PostgreSQL 15 and PGlite).
      if ((body.removeType === 'OBJECT_FUNCTION' || body.removeType === 'OBJECT_PROCEDURE') && body.behavior === 'DROP_CASCADE') {
        return strongestPerTable(droppedFunctionNames(body).flatMap((f: string) => (schema?.usersOfFunction?.(f) ?? []).map((u: { table: string }): PredictedLock => ({ table: u.table, mode: 'AccessExclusiveLock', reason: { kind: 'function user', function: f } }))));
      }
      if (body.removeType === 'OBJECT_INDEX') {
        const mode: LockMode = body.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
        const locks: PredictedLock[] = [];
        for (const n of names as string[][]) {
          const table = schema?.tableOfIndex(n.join('.'));
          if (table === undefined) continue;
          locks.push({ table, mode, reason: { kind: 'index', index: n.join('.') } });
          // CASCADE drops the foreign keys that rely on a unique index (one no key constraint
          // owns; a constraint's index cannot be dropped): ACCESS EXCLUSIVE on their tables, as
          // DROP CONSTRAINT. A key whose index is unknown may be one of them.
          if (body.behavior === 'DROP_CASCADE') {
            const index = n[n.length - 1]!;
            for (const f of to(table)) if (f.refIndex === undefined ? f.refKey === undefined : f.refIndex === index) locks.push({ table: f.table, mode: 'AccessExclusiveLock', reason: { kind: 'foreign key', end: 'referencing', name: f.name, action: 'drops' } });
          }
        }
        return strongestPerTable(locks);
      }
      return [];
    }
    case 'TruncateStmt': {
      const named: string[] = (body.relations ?? []).map((r: { RangeVar: never }) => relationName(r.RangeVar));
      const all = [...named];
      // CASCADE empties every table that references one emptied, at any depth.
      if (body.behavior === 'DROP_CASCADE') {
        for (let i = 0; i < all.length; i++) for (const f of to(all[i]!)) if (!all.some((t) => sameTable(t, f.table))) all.push(f.table);
      }
      return all.map((table, i): PredictedLock => (i < named.length ? { table, mode: 'AccessExclusiveLock' } : { table, mode: 'AccessExclusiveLock', reason: { kind: 'truncate cascade' } }));
    }
    case 'CreateTrigStmt':
      return on(relationName(body.relation), 'ShareRowExclusiveLock');
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
    case 'MergeStmt':
    case 'ExplainStmt':
    case 'DeclareCursorStmt':
    case 'CallStmt':
      return throughViews(queryLocks(ast, schema), schema);
    case 'SelectStmt':
      // SELECT ... INTO creates its table, as CREATE TABLE AS does.
      return [...(body.intoClause?.rel ? on(relationName(body.intoClause.rel), 'AccessExclusiveLock') : []), ...throughViews(queryLocks(ast, schema), schema)];
    case 'CopyStmt':
      // COPY ... FROM writes the table as INSERT does; COPY ... TO reads it, or runs its query.
      if (!body.relation) return throughViews(queryLocks(body.query, schema), schema);
      return body.is_from ? writeLocks('CopyStmt', body, schema) : on(relationName(body.relation), 'AccessShareLock');
    case 'ViewStmt':
      // CREATE [OR REPLACE] VIEW: ACCESS EXCLUSIVE on the view, and its query's reads.
      // The query is stored as written, not run: the views it reads are not expanded.
      return [...on(relationName(body.view), 'AccessExclusiveLock'), ...queryLocks(body.query, schema)];
    case 'RefreshMatViewStmt': {
      // It runs the view's query again: the reads of its query, which the catalog knows.
      const view = relationName(body.relation);
      const reads = (schema?.readsOfView?.(view) ?? []).map((table) => ({ table, mode: 'AccessShareLock' as const }));
      return [...on(view, body.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock'), ...throughViews(reads, schema)];
    }
    case 'CreateSeqStmt':
    case 'AlterSeqStmt': {
      // OWNED BY table.column reads the table it ties the sequence to.
      const owners: string[][] = (body.options ?? [])
        .filter((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'owned_by')
        .map((o: { DefElem: { arg?: { List?: { items?: { String?: { sval?: string } }[] } } } }) => (o.DefElem.arg?.List?.items ?? []).map((i) => i.String?.sval ?? '?'));
      // OWNED BY NONE names no column.
      const tables = owners.filter((n) => n.length >= 2).map((n) => ({ table: n.slice(0, -1).join('.'), mode: 'AccessShareLock' as const }));
      // A sequence being created is new: nobody else can see it before it commits.
      return [...(kind === 'AlterSeqStmt' ? on(relationName(body.sequence), 'ShareRowExclusiveLock') : []), ...tables];
    }
    case 'CommentStmt': {
      const parts: string[] = (body.object?.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?');
      if (commentedRelations.has(body.objtype)) return on((body.objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1) : parts).join('.'), 'ShareUpdateExclusiveLock');
      // COMMENT ON CONSTRAINT c ON t: the object is [schema, table, name].
      if (commentedOnTable.has(body.objtype) && parts.length >= 2) return on(parts.slice(0, -1).join('.'), 'AccessShareLock');
      return [];
    }
    case 'VacuumStmt': {
      const full = (body.options ?? []).some((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'full');
      return (body.rels ?? []).map((r: { VacuumRelation: { relation: never } }) => ({
        table: relationName(r.VacuumRelation.relation),
        mode: full ? ('AccessExclusiveLock' as const) : ('ShareUpdateExclusiveLock' as const),
      }));
    }
    case 'ClusterStmt':
      return body.relation ? on(relationName(body.relation), 'AccessExclusiveLock') : [];
    case 'LockStmt':
      return throughViews((body.relations ?? []).map((r: { RangeVar: never }) => ({ table: relationName(r.RangeVar), mode: lockStatementModes[body.mode] ?? 'AccessExclusiveLock' })), schema);
    case 'CreateStmt': {
      // Its foreign keys lock their targets against writes, as ADD FOREIGN KEY does.
      const table = relationName(body.relation);
      const targets = new Set<string>();
      for (const elt of body.tableElts ?? []) {
        const constraints = elt.ColumnDef ? (elt.ColumnDef.constraints ?? []).map((c: { Constraint?: unknown }) => c.Constraint) : [elt.Constraint];
        for (const c of constraints) if (c?.contype === 'CONSTR_FOREIGN') targets.add(relationName(c.pktable));
      }
      targets.delete(table);
      const others: PredictedLock[] = [...targets].map((t) => ({ table: t, mode: 'ShareRowExclusiveLock' as const, reason: { kind: 'foreign key', end: 'referenced', action: 'adds' } as const }));
      // LIKE reads its table's definition; INHERITS adds a child to each parent (SHARE UPDATE
      // EXCLUSIVE); PARTITION OF attaches a partition to its parent under ACCESS EXCLUSIVE.
      for (const elt of body.tableElts ?? []) if (elt.TableLikeClause) others.push({ table: relationName(elt.TableLikeClause.relation), mode: 'AccessShareLock' });
      for (const parent of body.inhRelations ?? []) others.push({ table: relationName(parent.RangeVar), mode: body.partbound ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock', reason: { kind: 'parent', partition: body.partbound !== undefined } });
      return [...on(table, 'AccessExclusiveLock'), ...others.filter((o) => !sameTable(o.table, table))];
    }
    case 'CreateTableAsStmt':
      // CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW: the new relation, and its query's reads.
      return [...(body.into?.rel ? on(relationName(body.into.rel), 'AccessExclusiveLock') : []), ...throughViews(queryLocks(body.query, schema), schema)];
    default:
      return [];
  }
}
