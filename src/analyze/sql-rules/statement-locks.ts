import { lockLabel, lockStrength, type LockMode } from '../../sql/locks.js';
import { isNewRelation, type StatementContext } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { quoteName } from '../../sql/quote.js';

/** A lock on a table, as a message names it. */
export interface TableLock {
  readonly table: string;
  readonly mode: LockMode;
}

/** "a", "a and b", "a, b and c". */
export function andList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The locks a statement holds while it works (a constraint's validation scan runs in the same
 * statement, after every subcommand has taken its lock): the statement's firm lock on each of the
 * tables named, then on every other table it locks at SHARE or stronger that is not new (a
 * foreign key dropped alongside takes ACCESS EXCLUSIVE on its other table), strongest per table,
 * as predictLocks says. A partition of a named table is locked as its table is, and not named again.
 */
export function statementLocksOn(ctx: StatementContext, named: readonly string[]): TableLock[] {
  const firm = new Map<string, TableLock>();
  for (const l of ctx.locks) {
    if (l.ifRows || l.renamed) continue;
    const key = tableKey(l.table);
    const seen = firm.get(key);
    if (!seen || lockStrength(l.mode) > lockStrength(seen.mode)) firm.set(key, { table: seen?.table ?? l.table, mode: l.mode });
  }
  const partitions = new Set<string>();
  const addPartitions = (table: string, depth: number) => {
    for (const p of depth > 10 ? [] : ctx.state.partitionsOf(table) ?? []) {
      partitions.add(tableKey(p));
      addPartitions(p, depth + 1);
    }
  };
  for (const t of named) addPartitions(t, 0);
  const out: TableLock[] = [];
  const keys = new Set<string>();
  for (const t of named) {
    const key = tableKey(t);
    if (keys.has(key)) continue;
    keys.add(key);
    const lock = firm.get(key);
    if (lock) out.push({ table: t, mode: lock.mode });
  }
  for (const [key, lock] of firm) {
    if (keys.has(key) || partitions.has(key) || lockStrength(lock.mode) < lockStrength('ShareLock') || isNewRelation(ctx.state, lock.table)) continue;
    keys.add(key);
    out.push(lock);
  }
  return out;
}

/** Locks grouped by mode, strongest first, each group's tables in the order given. */
function byMode(locks: readonly TableLock[]): { mode: LockMode; tables: string[] }[] {
  const groups: { mode: LockMode; tables: string[] }[] = [];
  for (const l of locks) {
    const group = groups.find((g) => g.mode === l.mode);
    if (group) group.tables.push(l.table);
    else groups.push({ mode: l.mode, tables: [l.table] });
  }
  return groups.sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode));
}

/** Whom a lock held for a while keeps waiting, before the tables' names: "reads and writes of". */
function waiting(mode: LockMode): string {
  const strength = lockStrength(mode);
  if (strength >= lockStrength('AccessExclusiveLock')) return 'reads and writes of';
  if (strength >= lockStrength('ExclusiveLock')) return 'writes and SELECT ... FOR UPDATE on';
  if (strength >= lockStrength('ShareLock')) return 'writes to';
  return 'schema changes of';
}

/**
 * "reads and writes of a and b (ACCESS EXCLUSIVE) and writes to c (SHARE ROW EXCLUSIVE)": who
 * waits while the locks are held, by mode. `name` writes a table's name (with its size, say).
 */
export function blockedByLocks(locks: readonly TableLock[], name: (table: string) => string = quoteName): string {
  return andList(byMode(locks).map((g) => `${waiting(g.mode)} ${andList(g.tables.map(name))} (${lockLabel(g.mode)})`));
}

/** "ACCESS EXCLUSIVE on a and b and SHARE ROW EXCLUSIVE on c". */
export function locksOn(locks: readonly TableLock[], name: (table: string) => string = quoteName): string {
  return andList(byMode(locks).map((g) => `${lockLabel(g.mode)} on ${andList(g.tables.map(name))}`));
}

/** "reads and writes of a and writes to b and c": who waits, without the modes. */
export function whoWaits(locks: readonly TableLock[]): string {
  return andList(byMode(locks).map((g) => `${waiting(g.mode)} ${andList(g.tables.map(quoteName))}`));
}

/**
 * What a scan under the statement's ACCESS EXCLUSIVE on `table` holds besides: " (and ACCESS
 * EXCLUSIVE on users, which the rest of this ALTER TABLE takes: reads and writes of users wait
 * too)", or nothing when it locks no other table that is not new.
 */
export function otherLocksNote(ctx: StatementContext, table: string): string {
  const others = statementLocksOn(ctx, [table]).filter((l) => tableKey(l.table) !== tableKey(table));
  return others.length ? ` (and ${locksOn(others)}, which the rest of this ALTER TABLE takes: ${whoWaits(others)} wait too)` : '';
}
