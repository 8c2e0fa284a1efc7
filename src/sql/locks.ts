import type { PgNode } from './parser.js';
import { relationName } from './facts.js';

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

/** A table lock a statement takes, by the table as the statement names it. */
export interface PredictedLock {
  readonly table: string;
  readonly mode: LockMode;
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
}

/**
 * What the lock prediction needs to know of the schema: the foreign keys at either end of a
 * table. A lookup per table, not a list of every key: lint asks it for most statements of
 * folders with thousands of tables.
 */
export interface ForeignKeyCatalog {
  /**
   * The foreign keys of `table` and those of other tables that reference it; with `keep`, only
   * those it keeps (asked before the key is built: a table can have a hundred keys).
   */
  foreignKeysAt(table: string, keep?: KeepForeignKey): readonly ForeignKey[];
}

/**
 * What the lock prediction needs to know of the schema: the foreign keys at a table, and the
 * table an index belongs to (DROP INDEX names only the index, yet locks its table). The schema
 * state answers it in lint and the plan analysis; the live catalog in verify.
 */
export interface LockCatalog extends ForeignKeyCatalog {
  /** The table of an index ("idx" or "schema.idx"), as the catalog names it; undefined when unknown. */
  tableOfIndex(index: string): string | undefined;
}

/** A filter on foreign keys by name and columns. */
export type KeepForeignKey = (name: string, key: { readonly columns: readonly string[]; readonly refColumns: readonly string[] }) => boolean;

/** "users" and "public.users" are one table under the default search_path. */
const bare = (t: string) => (t.startsWith('public.') ? t.slice(7) : t);
const sameTable = (a: string, b: string) => bare(a) === bare(b);

/**
 * A catalog over a list of foreign keys and a list of indexes with their tables, names
 * schema-qualified or not (the live catalog in verify; tests).
 */
export function catalogOf(keys: readonly ForeignKey[], indexes: readonly { readonly index: string; readonly table: string }[] = []): LockCatalog {
  return {
    foreignKeysAt: (table, keep) => keys.filter((f) => (sameTable(f.table, table) || sameTable(f.references, table)) && (!keep || keep(f.name, f))),
    tableOfIndex: (index) => indexes.find((i) => sameTable(i.index, index))?.table,
  };
}

/**
 * ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (PostgreSQL's ALTER TABLE
 * documentation); every other subcommand takes ACCESS EXCLUSIVE. A statement with several
 * subcommands takes the strongest of them.
 */
const alterTableLocks: Readonly<Record<string, LockMode>> = {
  AT_ValidateConstraint: 'ShareUpdateExclusiveLock',
  AT_SetStatistics: 'ShareUpdateExclusiveLock',
  AT_ClusterOn: 'ShareUpdateExclusiveLock',
  AT_DropCluster: 'ShareUpdateExclusiveLock',
  AT_SetRelOptions: 'ShareUpdateExclusiveLock',
  AT_ResetRelOptions: 'ShareUpdateExclusiveLock',
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

/** LOCK TABLE's mode numbers, as the parser gives them. */
const lockStatementModes: readonly LockMode[] = ['AccessShareLock', 'AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];

const strongest = (a: LockMode, b: LockMode): LockMode => (lockStrength(a) >= lockStrength(b) ? a : b);

/** One lock per table, the strongest, in the order the tables first appear. */
function strongestPerTable(locks: readonly PredictedLock[]): PredictedLock[] {
  const out: PredictedLock[] = [];
  for (const l of locks) {
    const i = out.findIndex((o) => sameTable(o.table, l.table));
    if (i < 0) out.push(l);
    else out[i] = { table: out[i]!.table, mode: strongest(out[i]!.mode, l.mode) };
  }
  return out;
}

/**
 * The table locks a statement takes, from its parse tree and, when given, the foreign keys the
 * schema has at that point: for the tables it names, and for the tables foreign keys tie them
 * to. PostgreSQL keeps a foreign key with triggers on both of its tables, so creating one takes
 * SHARE ROW EXCLUSIVE on both, and dropping one (DROP CONSTRAINT, DROP COLUMN of its column,
 * DROP TABLE of either table, a type change that rebuilds it) takes ACCESS EXCLUSIVE on both;
 * TRUNCATE ... CASCADE empties the tables that reference it, at any depth (checked on
 * PostgreSQL 15 and PGlite 18, test/locks.test.ts). Reads of other tables inside a statement
 * (subqueries, foreign key checks) take ACCESS SHARE or ROW SHARE and are left out. DROP INDEX
 * names only the index: the catalog says its table (ACCESS EXCLUSIVE, or SHARE UPDATE EXCLUSIVE
 * with CONCURRENTLY); an index it does not know (IF EXISTS of one that is not there, or one
 * created outside what the analysis saw) predicts nothing; REINDEX INDEX the same way (SHARE, or
 * SHARE UPDATE EXCLUSIVE with CONCURRENTLY). Statements that lock no table they
 * name (functions, DO blocks) predict nothing.
 */
export function predictLocks(ast: PgNode, schema?: LockCatalog): PredictedLock[] {
  const [kind, body] = Object.entries(ast)[0] as [string, Record<string, any>];
  const on = (table: string, mode: LockMode): PredictedLock[] => [{ table, mode }];
  const at = (table: string, keep?: KeepForeignKey) => schema?.foreignKeysAt(table, keep) ?? [];
  /** Foreign keys of `table`, and those of other tables pointing at it. */
  const from = (table: string, keep?: KeepForeignKey) => at(table, keep).filter((f) => sameTable(f.table, table));
  const to = (table: string, keep?: KeepForeignKey) => at(table, keep).filter((f) => sameTable(f.references, table) && !sameTable(f.table, table));
  const named = (name: string): KeepForeignKey => (n) => n === name;
  const onColumn = (column: string): KeepForeignKey => (_, k) => k.columns.includes(column);
  const onReferenced = (column: string): KeepForeignKey => (_, k) => k.refColumns.includes(column);
  switch (kind) {
    case 'AlterTableStmt': {
      if (body.objtype !== 'OBJECT_TABLE') return [];
      const table = relationName(body.relation);
      let mode: LockMode = 'AccessShareLock';
      const extra: PredictedLock[] = [];
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        let m: LockMode = alterTableLocks[cmd?.subtype] ?? 'AccessExclusiveLock';
        const constraint = cmd?.def?.Constraint;
        if (cmd?.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_FOREIGN') {
          // A foreign key locks both tables against writes that could break it.
          m = 'ShareRowExclusiveLock';
          extra.push({ table: relationName(constraint.pktable), mode: 'ShareRowExclusiveLock' });
        }
        // ATTACH PARTITION scans the table it attaches (its constraint) under ACCESS EXCLUSIVE;
        // the parent takes only SHARE UPDATE EXCLUSIVE (PostgreSQL 12+).
        if (cmd?.subtype === 'AT_AttachPartition' && cmd.def?.PartitionCmd?.name) extra.push({ table: relationName(cmd.def.PartitionCmd.name), mode: 'AccessExclusiveLock' });
        // DETACH PARTITION takes ACCESS EXCLUSIVE on the parent and the partition (seen on PG15).
        // CONCURRENTLY (14+) takes SHARE UPDATE EXCLUSIVE on both in a first transaction, then
        // waits for the queries that use the parent holding no table lock (seen on PG15), then
        // takes SHARE UPDATE EXCLUSIVE on the parent and, briefly, ACCESS EXCLUSIVE on the
        // partition, which the parent's queries no longer see: predicted as the first.
        if (cmd?.subtype === 'AT_DetachPartition' && cmd.def?.PartitionCmd?.name) {
          const concurrent = cmd.def.PartitionCmd.concurrent === true;
          if (concurrent) m = 'ShareUpdateExclusiveLock';
          extra.push({ table: relationName(cmd.def.PartitionCmd.name), mode: concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock' });
        }
        // ADD COLUMN ... REFERENCES locks the referenced table the same way.
        for (const inline of cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.constraints ?? [] : []) {
          if (inline.Constraint?.contype === 'CONSTR_FOREIGN') extra.push({ table: relationName(inline.Constraint.pktable), mode: 'ShareRowExclusiveLock' });
        }
        // Dropping a foreign key drops its triggers on the other table too: ACCESS EXCLUSIVE there.
        const dropped: ForeignKey[] = [];
        if (cmd?.subtype === 'AT_DropConstraint') {
          dropped.push(...from(table, named(cmd.name)));
          // A key constraint dropped with CASCADE takes the foreign keys that point at it along.
          if (cmd.behavior === 'DROP_CASCADE') dropped.push(...to(table).filter((f) => f.refKey === cmd.name));
        }
        if (cmd?.subtype === 'AT_DropColumn') {
          dropped.push(...from(table, onColumn(cmd.name)));
          if (cmd.behavior === 'DROP_CASCADE') dropped.push(...to(table, onReferenced(cmd.name)));
        }
        // A type change of a column in a foreign key, on either side, drops and recreates it.
        if (cmd?.subtype === 'AT_AlterColumnType') {
          dropped.push(...from(table, onColumn(cmd.name)), ...to(table, onReferenced(cmd.name)));
        }
        for (const f of dropped) extra.push({ table: sameTable(f.table, table) ? f.references : f.table, mode: 'AccessExclusiveLock' });
        mode = strongest(mode, m);
      }
      return [...on(table, mode), ...strongestPerTable(extra.filter((e) => !sameTable(e.table, table)))];
    }
    case 'RenameStmt': {
      if (body.renameType === 'OBJECT_TABLE') {
        // The lock is held under the new name once the statement has run.
        const renamed = body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname;
        return [...on(relationName(body.relation), 'AccessExclusiveLock'), ...on(renamed, 'AccessExclusiveLock')];
      }
      return body.renameType === 'OBJECT_COLUMN' || body.renameType === 'OBJECT_TABCONSTRAINT' ? on(relationName(body.relation), 'AccessExclusiveLock') : [];
    }
    case 'IndexStmt':
      return on(relationName(body.relation), body.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
    case 'ReindexStmt': {
      const concurrent = (body.params ?? []).some((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname === 'concurrently');
      const mode: LockMode = concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock';
      if (body.kind === 'REINDEX_OBJECT_TABLE') return on(relationName(body.relation), mode);
      // REINDEX INDEX, like DROP INDEX, names only the index and locks its table.
      const table = body.kind === 'REINDEX_OBJECT_INDEX' ? schema?.tableOfIndex(relationName(body.relation)) : undefined;
      return table !== undefined ? on(table, mode) : [];
    }
    case 'DropStmt': {
      const names = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval ?? '?'));
      if (body.removeType === 'OBJECT_TABLE') {
        const dropped: string[] = names.map((n: string[]) => n.join('.'));
        // Its foreign keys go with it, and (CASCADE, or the referencing table dropped alongside)
        // those pointing at it: ACCESS EXCLUSIVE on the tables at their other ends.
        const others = dropped.flatMap((t) => [...from(t).map((f) => f.references), ...to(t).map((f) => f.table)]);
        return [...dropped.map((table) => ({ table, mode: 'AccessExclusiveLock' as const })), ...strongestPerTable(others.filter((o) => !dropped.some((d) => sameTable(d, o))).map((table) => ({ table, mode: 'AccessExclusiveLock' as const })))];
      }
      if (body.removeType === 'OBJECT_TRIGGER') return names.map((n: string[]) => ({ table: n.slice(0, -1).join('.'), mode: 'AccessExclusiveLock' as const }));
      if (body.removeType === 'OBJECT_INDEX') {
        const mode: LockMode = body.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
        const locks: PredictedLock[] = [];
        for (const n of names as string[][]) {
          const table = schema?.tableOfIndex(n.join('.'));
          if (table === undefined) continue;
          locks.push({ table, mode });
          // CASCADE drops the foreign keys that rely on a unique index (one no key constraint
          // owns; a constraint's index cannot be dropped): ACCESS EXCLUSIVE on their tables, as
          // DROP CONSTRAINT. A key whose index is unknown may be one of them.
          if (body.behavior === 'DROP_CASCADE') {
            const index = n[n.length - 1]!;
            for (const f of to(table)) if (f.refIndex === undefined ? f.refKey === undefined : f.refIndex === index) locks.push({ table: f.table, mode: 'AccessExclusiveLock' });
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
      return all.map((table) => ({ table, mode: 'AccessExclusiveLock' as const }));
    }
    case 'CreateTrigStmt':
      return on(relationName(body.relation), 'ShareRowExclusiveLock');
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
    case 'MergeStmt':
      return on(relationName(body.relation), 'RowExclusiveLock');
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
      return (body.relations ?? []).map((r: { RangeVar: never }) => ({ table: relationName(r.RangeVar), mode: lockStatementModes[body.mode] ?? 'AccessExclusiveLock' }));
    case 'CreateStmt': {
      // Its foreign keys lock their targets against writes, as ADD FOREIGN KEY does.
      const table = relationName(body.relation);
      const targets = new Set<string>();
      for (const elt of body.tableElts ?? []) {
        const constraints = elt.ColumnDef ? (elt.ColumnDef.constraints ?? []).map((c: { Constraint?: unknown }) => c.Constraint) : [elt.Constraint];
        for (const c of constraints) if (c?.contype === 'CONSTR_FOREIGN') targets.add(relationName(c.pktable));
      }
      targets.delete(table);
      return [...on(table, 'AccessExclusiveLock'), ...[...targets].map((t) => ({ table: t, mode: 'ShareRowExclusiveLock' as const }))];
    }
    case 'CreateTableAsStmt':
      return body.into?.rel ? on(relationName(body.into.rel), 'AccessExclusiveLock') : [];
    default:
      return [];
  }
}
