import { lockLabel, lockStrength, type LockMode, type LockReason } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import type { StatementFacts } from '../../sql/facts.js';
import { isNewRelation, type EarlierStatement, type StatementContext, type StatementFinding } from '../sql/context.js';
import { tableKey, type SchemaState } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { node, relationName } from './ast.js';
import { formatCount } from '../../util/numbers.js';

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
 * "a, b and c"; past `most` items, "a, b, c and 9 more": a message names what a statement does,
 * and the statement, shown beside it, lists the rest (a type change of a key referenced by a dozen
 * tables locks them all).
 */
export function andListAtMost(items: readonly string[], most: number): string {
  return items.length <= most ? andList(items) : `${items.slice(0, most).join(', ')} and ${formatCount(items.length - most)} more`;
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

/**
 * Whom a lock held for a while keeps waiting, before the tables' names: "reads and writes of".
 * Nothing writes a materialized view but REFRESH MATERIALIZED VIEW (EXCLUSIVE CONCURRENTLY, else
 * ACCESS EXCLUSIVE), nor takes FOR UPDATE on it: a lock from SHARE up keeps its refreshes waiting
 * (the thirty-eighth trial's class F: MG217 said "writes to" stacker.news's growth-days views).
 */
function waiting(mode: LockMode, materialized = false): string {
  const strength = lockStrength(mode);
  if (materialized && strength >= lockStrength('ShareLock')) return strength >= lockStrength('AccessExclusiveLock') ? 'reads and refreshes of' : 'refreshes of';
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

/**
 * "reads and writes of a and writes to b and c": who waits, without the modes; `materialized`
 * tells the materialized views among them ("refreshes of v").
 */
export function whoWaits(locks: readonly TableLock[], materialized: (table: string) => boolean = () => false): string {
  return andList(byMode(locks).flatMap((g) => {
    const views = g.tables.filter(materialized);
    const tables = g.tables.filter((t) => !views.includes(t));
    return [[tables, false] as const, [views, true] as const].filter(([names]) => names.length).map(([names, isView]) => `${waiting(g.mode, isView)} ${andList(names.map(quoteName))}`);
  }));
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

/** A kind of relation, as a message names it. */
export type RelationKind = 'table' | 'view' | 'materialized view' | 'sequence' | 'index';

/** The relation kinds the parser's object types name. */
const objectKinds: Readonly<Record<string, RelationKind>> = {
  OBJECT_TABLE: 'table', OBJECT_FOREIGN_TABLE: 'table', OBJECT_VIEW: 'view', OBJECT_MATVIEW: 'materialized view', OBJECT_SEQUENCE: 'sequence', OBJECT_INDEX: 'index',
};

/**
 * What kind of relation a name is: what the statement says of it (DROP SEQUENCE s, ALTER VIEW v,
 * REFRESH MATERIALIZED VIEW m; not ALTER TABLE, which PostgreSQL takes for any of them), else
 * what the schema state knows (a view, a materialized view,
 * a sequence or an index the statements seen created), else a table.
 */
export function relationKind(state: SchemaState, relation: string, ast?: PgNode): RelationKind {
  const key = tableKey(relation);
  if (ast) {
    const [kind, body] = node(ast);
    const is = (rv: unknown) => rv !== undefined && tableKey(relationName(rv as never)) === key;
    if (kind === 'DropStmt' && objectKinds[body.removeType]) {
      const names = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval ?? '?').join('.'));
      if (names.some((n: string) => tableKey(n) === key)) return objectKinds[body.removeType]!;
    }
    // ALTER TABLE serves sequences and views too: TABLE says nothing, the state may.
    if ((kind === 'AlterTableStmt' && is(body.relation)) || (kind === 'RenameStmt' && is(body.relation))) {
      const kindOf = objectKinds[kind === 'AlterTableStmt' ? body.objtype : body.renameType];
      if (kindOf && kindOf !== 'table') return kindOf;
    }
    if ((kind === 'AlterSeqStmt' || kind === 'CreateSeqStmt') && is(body.sequence)) return 'sequence';
    if (kind === 'ViewStmt' && is(body.view)) return 'view';
    if (kind === 'RefreshMatViewStmt' && is(body.relation)) return 'materialized view';
    if (kind === 'CreateTableAsStmt' && is(body.into?.rel) && body.objtype === 'OBJECT_MATVIEW') return 'materialized view';
  }
  if (state.views.has(key)) return 'view';
  if (state.sequences.has(key)) return 'sequence';
  if (state.tables.has(key)) return state.readsOfView(key) ? 'materialized view' : 'table';
  if (state.indexTables.has(key)) return 'index';
  return 'table';
}

/** "table", "tables", "sequence", "relations": the noun for relations of these kinds. */
export function relationNoun(kinds: Iterable<RelationKind>, count: number): string {
  const distinct = new Set(kinds);
  const one = distinct.size === 1 ? [...distinct][0]! : 'relation';
  return count === 1 ? one : one === 'index' ? 'indexes' : `${one}s`;
}

/**
 * Why a statement locked a relation that is not its own, as a noun phrase: "the referenced table
 * of the foreign key "orders_user_fk" it drops", "a partition of "events"".
 */
export function lockReasonText(reason: LockReason): string {
  switch (reason.kind) {
    case 'foreign key': {
      const key = reason.name !== undefined ? `the foreign key ${quoteIdent(reason.name)}` : 'a foreign key';
      const action = reason.action === 'rebuilds' ? 'its type change rebuilds' : `it ${reason.action}`;
      return `the ${reason.end} table of ${key} ${action}${reason.with !== undefined ? ` with ${quoteName(reason.with)}` : ''}`;
    }
    case 'partition': return `a partition of ${quoteName(reason.of)}`;
    case 'partition named': return `the partition it ${reason.action}`;
    case 'parent': return reason.partition ? 'the parent of the partition it creates' : 'a parent of the table it creates';
    case 'parent named': return `the parent table ${reason.inherit ? 'INHERIT' : 'NO INHERIT'} names`;
    case 'index': return `the table of the index ${quoteName(reason.index)}`;
    case 'view': return `a relation the view ${quoteName(reason.view)} reads`;
    case 'function user': return `the table of an index or trigger that uses ${quoteName(reason.function)}, which CASCADE drops`;
    case 'truncate cascade': return 'a table that references one it empties (CASCADE)';
  }
}

type Sval = { String?: { sval?: string } };

/** The relations a statement names as its own, for a message: ` "users"`, ` "a", "b"`, or nothing. */
function ownNames(ast: PgNode | undefined, tables: readonly string[]): string {
  if (!ast) return tables.length ? ` ${capped(tables.map(quoteName))}` : '';
  const [kind, body] = node(ast);
  const rv = (r: unknown) => quoteName(relationName(r as never));
  switch (kind) {
    case 'DropStmt': {
      // DROP TRIGGER t ON users names [users, t]; DROP FUNCTION f(int) an ObjectWithArgs; DROP TYPE a TypeName.
      const onTable = ['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY'].includes(body.removeType);
      const each = (body.objects ?? []).map((o: { List?: { items?: Sval[] }; ObjectWithArgs?: { objname?: Sval[] }; TypeName?: { names?: Sval[] } }) => {
        const parts = (o.List?.items ?? o.ObjectWithArgs?.objname ?? o.TypeName?.names ?? []).map((i) => i.String?.sval ?? '?');
        return onTable && parts.length > 1 ? `${quoteIdent(parts[parts.length - 1]!)} ON ${quoteName(parts.slice(0, -1).join('.'))}` : quoteName(parts.join('.'));
      });
      return each.length ? ` ${capped(each)}` : '';
    }
    case 'ViewStmt': return ` ${rv(body.view)}`;
    case 'AlterSeqStmt': case 'CreateSeqStmt': return ` ${rv(body.sequence)}`;
    case 'CreateTableAsStmt': return body.into?.rel ? ` ${rv(body.into.rel)}` : '';
    case 'CreateTrigStmt': return ` ${quoteIdent(body.trigname)} ON ${rv(body.relation)}`;
    case 'LockStmt': case 'TruncateStmt': return ` ${capped((body.relations ?? []).map((r: { RangeVar: unknown }) => rv(r.RangeVar)))}`;
    case 'RefreshMatViewStmt': case 'ClusterStmt': return body.relation ? ` ${rv(body.relation)}` : '';
    case 'ReindexStmt': return body.relation ? ` ${rv(body.relation)}` : '';
    case 'IndexStmt': return `${body.idxname ? ` ${quoteIdent(body.idxname)}` : ''} ON ${rv(body.relation)}`;
    default: return tables.length ? ` ${capped(tables.map(quoteName))}` : '';
  }
}

/** "a, b, c", or the first three and how many more: a statement may name thousands (LOCK TABLE). */
function capped(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, ... (${formatCount(names.length)} in all)`;
}

/**
 * An earlier statement as a message names it, so that a reader finds it at once: its command with
 * the relation it names (ALTER TABLE "DocumentData" DROP CONSTRAINT, DROP INDEX "users_email_key",
 * CREATE INDEX ON "users") and, in a file, its line; `also`, more said of it in the same parentheses.
 */
export function statementNamed(ctx: StatementContext, by: EarlierStatement, also?: string): string {
  const named = commandNamed(by.ast, by.facts);
  // A statement of an earlier file of the run (one transaction over several files) says which.
  const elsewhere = by.file !== undefined && ctx.file !== undefined && by.file !== ctx.file ? ` of ${by.file.slice(by.file.lastIndexOf('/') + 1)}` : '';
  const notes = [...(ctx.lineOf ? [`line ${ctx.lineOf(by.span.start, by.file)}${elsewhere}`] : []), ...(also ? [also] : [])];
  return notes.length ? `${named} (${notes.join('; ')})` : named;
}

/** A statement's command with the relation it names: ALTER TABLE "t" DROP COLUMN, DROP INDEX "i". */
export function commandNamed(ast: PgNode | undefined, facts: StatementFacts): string {
  const command = facts.command === 'LOCK' ? 'LOCK TABLE' : facts.command;
  const names = ownNames(ast, facts.tables);
  // ALTER TABLE "t" ADD COLUMN, ALTER MATERIALIZED VIEW "v" RENAME: the name after the relation's kind.
  const alter = /^ALTER (MATERIALIZED VIEW|FOREIGN TABLE|TABLE|VIEW|INDEX|SEQUENCE)\b/.exec(command);
  return alter && names ? `${alter[0]}${names}${command.slice(alter[0].length)}` : `${command}${names}`;
}

/**
 * Where a file's statement can run in a transaction of its own, for a lint help: a later migration
 * file, or after a COMMIT; in a run the tool runs in one transaction (--run-transaction) a later
 * file is none, and the migrations must each commit.
 */
export function laterTransaction(ctx: StatementContext): string {
  return ctx.transaction?.inRun
    ? 'after a COMMIT, or with the migrations each committed apart (node-pg-migrate --no-single-transaction, Flyway group=false): the tool runs every file of the run in one transaction, so a later file is none of its own'
    : 'a later migration file, or after a COMMIT';
}

/** Where an earlier statement is, as a finding's related location says it: what it locked there. */
export function takerLocation(by: EarlierStatement, locks: readonly TableLock[]): NonNullable<StatementFinding['related']>[number] {
  return { span: by.span, ...(by.file !== undefined ? { file: by.file } : {}), message: `${by.facts.command === 'LOCK' ? 'LOCK TABLE' : by.facts.command} took ${locksOn(locks)} here` };
}

/** Why `by` locked `table` when it is not its own relation (" as the referenced table of ..."), or nothing. */
export function lockedAs(by: EarlierStatement, table: string, mode?: LockMode): string {
  const key = tableKey(table);
  const locks = by.locks.filter((l) => tableKey(l.table) === key && (mode === undefined || lockStrength(l.mode) >= lockStrength(mode)));
  // Its own lock on the table, if any, says nothing more; a reason only when every lock on it has one.
  const reason = locks.length && locks.every((l) => l.reason) ? locks[0]!.reason : undefined;
  return reason ? ` as ${lockReasonText(reason)}` : '';
}
