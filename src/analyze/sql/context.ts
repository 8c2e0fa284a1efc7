import type { Severity, Span } from '../../diagnostics/diagnostic.js';
import type { PhaseKind } from '../../normalize/model.js';
import { relationName, type StatementFacts } from '../../sql/facts.js';
import { lockModes, lockStrength, type LockMode, type PredictedLock } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import { node } from '../../sql/node.js';
import { largeTableRows } from '../tables.js';
import { tableKey, type MadeObjects, type SchemaState } from './schema-state.js';
import { emptyIfItSucceeds } from './empty-if-it-succeeds.js';
import { dedupedColumns } from './dedupe.js';
import { isStrictBuiltinOperator } from './inline-function.js';
import { formatCount } from '../../util/numbers.js';
import { quoteName } from '../../sql/quote.js';
import type { SearchPath } from './search-path.js';
import { shellWord } from '../../util/shell.js';

/** The PostgreSQL version assumed when neither the plan nor the project config names one. */
export const defaultPostgresMajor = 14;

/** What a table-level operation does beyond taking its lock. */
export type Effect = 'catalog' | 'scan' | 'rewrite' | 'index build' | 'row changes';

/**
 * A relation created here, which nobody else uses yet: a table created in this plan or file, or
 * a view or sequence created since the last settle (the phase), so that locking it keeps nobody waiting.
 */
export function isNewRelation(state: SchemaState, name: string): boolean {
  return state.isNew(name) || state.newViews.has(tableKey(name)) || state.newSequences.has(tableKey(name));
}

/** An earlier statement of the same transaction: what it locked and did. */
export interface EarlierStatement {
  /** Its parse tree, when a rule may ask what it did beyond its locks (ALTER TYPE ... ADD VALUE). */
  readonly ast?: PgNode;
  readonly facts: StatementFacts;
  readonly locks: readonly PredictedLock[];
  readonly effect?: Effect;
  readonly span: Span;
  /**
   * Run inside a DO block or a routine's body: a branch may have skipped it, an EXCEPTION handler
   * caught its failure, so it proves nothing by having succeeded (emptyIfItSucceeds).
   */
  readonly inBody?: boolean;
  /** The file it is in (lint): in a run of files in one transaction (--run-transaction), an earlier file's. */
  readonly file?: string;
}

/** A lock an earlier statement of the transaction holds, and the statement. */
export interface HeldLock {
  readonly table: string;
  readonly mode: LockMode;
  readonly by: EarlierStatement;
}

type EnumNames = { readonly typeName?: readonly { String?: { sval?: string } }[] };

/** An enum type's key as the schema state keys types (tableKey of its written name). */
const enumKey = (e: EnumNames) => tableKey((e.typeName ?? []).map((n) => n.String?.sval ?? '?').join('.'));

/**
 * Whether a statement may update a type's pg_type row (conservatively: any type's), or opens a
 * savepoint, whose subtransaction XID is not the one that created the type.
 */
function touchesTypeRow(ast: PgNode): boolean {
  const [kind] = Object.keys(ast);
  const body = (ast as Record<string, any>)[kind!];
  const typeLike = (t: unknown) => t === 'OBJECT_TYPE' || t === 'OBJECT_DOMAIN';
  switch (kind) {
    case 'AlterOwnerStmt': case 'AlterObjectSchemaStmt': return typeLike(body.objectType);
    case 'RenameStmt': return typeLike(body.renameType);
    case 'GrantStmt': return typeLike(body.objtype);
    case 'AlterTypeStmt': return true;
    case 'TransactionStmt': return body.kind === 'TRANS_STMT_SAVEPOINT';
    default: return false;
  }
}

/** The column a WHERE tests for NULL (`c IS NULL`), or undefined. */
function isNullTest(where: any): string | undefined {
  const test = where?.NullTest;
  if (test?.nulltesttype !== 'IS_NULL') return undefined;
  const name = test.arg?.ColumnRef?.fields?.at(-1)?.String?.sval;
  return typeof name === 'string' ? name : undefined;
}

/** A value that is never NULL: a constant (not NULL), cast or not, or COALESCE(..., such a constant). */
function neverNull(v: any, notNullColumn?: (name: string) => boolean): boolean {
  const never = (x: any) => neverNull(x, notNullColumn);
  if (v?.TypeCast) return never(v.TypeCast.arg);
  if (v?.A_Const) return v.A_Const.isnull !== true;
  if (v?.CoalesceExpr) return (v.CoalesceExpr.args ?? []).some(never);
  if (v?.SQLValueFunction) return true;
  // A NOT NULL column of the row (unqualified, or qualified by anything: an UPDATE reads its own
  // row), and a strict operator over values never NULL (usertour's "createdAt" + INTERVAL '1 hour',
  // the fortieth trial's B).
  const fields: { String?: { sval?: string } }[] | undefined = v?.ColumnRef?.fields;
  if (fields && notNullColumn) return fields.length <= 2 && fields.at(-1)?.String?.sval !== undefined && notNullColumn(fields.at(-1)!.String!.sval!);
  if (v?.A_Expr?.kind === 'AEXPR_OP' && v.A_Expr.lexpr !== undefined) {
    return isStrictBuiltinOperator(v.A_Expr.name?.at(-1)?.String?.sval ?? '') && never(v.A_Expr.lexpr) && never(v.A_Expr.rexpr);
  }
  return false;
}


/**
 * The columns an UPDATE sets, each with whether it leaves none of them NULL: set to a value never
 * NULL, in every row (no WHERE) or in the rows where it is NULL (WHERE c IS NULL), with no FROM.
 */
function updatedColumns(body: any, notNullColumn?: (name: string) => boolean): [string, boolean][] {
  const whereNull = isNullTest(body.whereClause);
  const everyRow = body.whereClause === undefined && !(body.fromClause ?? []).length;
  const out: [string, boolean][] = [];
  for (const t of body.targetList ?? []) {
    const name = t.ResTarget?.name;
    if (typeof name !== 'string' || t.ResTarget.indirection?.length) continue;
    out.push([name, (everyRow || (whereNull === name && !(body.fromClause ?? []).length)) && neverNull(t.ResTarget.val, notNullColumn)]);
  }
  return out;
}

/**
 * What a statement that fails when it runs a second time makes, for a message (`ALTER TYPE ...
 * ADD VALUE without IF NOT EXISTS`): PostgreSQL refuses to make what is there already, and to
 * drop or rename what is gone. Undefined for one that runs again (IF [NOT] EXISTS, OR REPLACE,
 * a data change).
 */
export function failsRunAgain(ast: PgNode): string | undefined {
  const [kind, body] = Object.entries(ast)[0] as [string, Record<string, any>];
  switch (kind) {
    case 'AlterEnumStmt':
      return body.newVal !== undefined && !body.oldVal && !body.skipIfNewValExists ? 'ALTER TYPE ... ADD VALUE without IF NOT EXISTS' : body.oldVal ? 'ALTER TYPE ... RENAME VALUE' : undefined;
    case 'CreateStmt': return body.if_not_exists ? undefined : 'CREATE TABLE without IF NOT EXISTS';
    case 'IndexStmt': return body.if_not_exists ? undefined : 'CREATE INDEX without IF NOT EXISTS';
    case 'CreateEnumStmt': return 'CREATE TYPE';
    case 'CompositeTypeStmt': return 'CREATE TYPE';
    case 'CreateSeqStmt': return body.if_not_exists ? undefined : 'CREATE SEQUENCE without IF NOT EXISTS';
    case 'CreateSchemaStmt': return body.if_not_exists ? undefined : 'CREATE SCHEMA without IF NOT EXISTS';
    case 'CreateExtensionStmt': return body.if_not_exists ? undefined : 'CREATE EXTENSION without IF NOT EXISTS';
    case 'CreateFunctionStmt': return body.replace ? undefined : 'CREATE FUNCTION without OR REPLACE';
    case 'ViewStmt': return body.replace ? undefined : 'CREATE VIEW without OR REPLACE';
    case 'RenameStmt': return 'RENAME';
    case 'DropStmt': return body.missing_ok ? undefined : 'DROP without IF EXISTS';
    case 'AlterTableStmt':
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok) return 'ADD COLUMN without IF NOT EXISTS';
        if (cmd?.subtype === 'AT_AddConstraint') return 'ADD CONSTRAINT';
        if ((cmd?.subtype === 'AT_DropColumn' || cmd?.subtype === 'AT_DropConstraint') && !cmd.missing_ok) return `${cmd.subtype === 'AT_DropColumn' ? 'DROP COLUMN' : 'DROP CONSTRAINT'} without IF EXISTS`;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The RENAMEs that give a relation (its rows) a new name, not one of its columns, constraints or triggers. */
const relationRenames = new Set(['OBJECT_TABLE', 'OBJECT_FOREIGN_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW']);

/**
 * The statements before the one being judged in the same transaction, indexed by table, so that
 * a rule's question costs the same however long the transaction is (a file linted with
 * --file-transaction is one transaction of thousands of statements; scanning them all for each
 * statement was quadratic). Tables are compared as tableKey() does: "public.users" is "users".
 */
export class EarlierStatements {
  /** Per table: the first statement that took a lock at least as strong as each mode (by strength). */
  private readonly firstAtLeast = new Map<string, (EarlierStatement | undefined)[]>();
  /** Tables held in ACCESS EXCLUSIVE, by key, as first named, in the order first locked. */
  private readonly accessExclusive = new Map<string, string>();
  /** Whether each table key held in ACCESS EXCLUSIVE is new (created here), as of the last refresh. */
  private readonly heldKeyIsNew = new Map<string, boolean>();
  private existingHeldKeys = 0;
  /** accessExclusiveOnExisting(), kept while no held table changes whether it is new. */
  private existingHeld: string[] | undefined = [];
  /** Changes to the state's tables up to here are reflected in heldKeyIsNew. */
  private stateChanges: number;
  /**
   * Tables locked at SHARE or stronger (every write waits), by key: the strongest such lock and
   * the first statement that took it, in the order first locked.
   */
  private readonly writesBlocked = new Map<string, HeldLock>();

  /**
   * Enum values ALTER TYPE ... ADD VALUE added in this transaction, by the type's key: PostgreSQL
   * refuses to use them until the transaction commits. Undefined until there is one.
   */
  private enumAdditions: Map<string, Set<string>> | undefined;
  /** Enum types this transaction created (from PostgreSQL 17, values added to them are usable at once). */
  private enumsCreated: Set<string> | undefined;
  /** Enum types a statement of the transaction, not in a body, created and none altered since (addsValueToOwnEnum). */
  private enumsCreatedUntouched: Set<string> | undefined;

  /**
   * Tables this transaction emptied (TRUNCATE, DELETE without WHERE), or found empty (an ALTER
   * TABLE that fails on a table with a row succeeded: emptyIfItSucceeds), and nothing has written
   * rows into since, by key. Undefined until there is one. Kept here, not in the schema state: the
   * emptiness lasts only as long as the transaction (after COMMIT the application writes again),
   * which is exactly as long as this object.
   */
  private emptiedTables: Set<string> | undefined;
  /**
   * Tables a DELETE of this transaction de-duplicated (dedupedColumns), by key: the column sets no
   * two rows share since, while no statement can have written a row. Undefined until there is one.
   */
  private dedupedTables: Map<string, (readonly string[])[]> | undefined;
  /**
   * Columns ("table column", by key) this transaction left without a NULL: an UPDATE of every row
   * (or of its NULL rows) to a constant, or a DELETE of the rows where it is NULL, with no write
   * to the table since. Undefined until there is one.
   */
  private nullsGone: Set<string> | undefined;

  constructor(private readonly state: SchemaState) {
    this.stateChanges = state.tableChangeCount;
  }

  /**
   * Whether this transaction emptied the table before the statement judged (or ran an ALTER TABLE
   * that only succeeds on an empty table, ADD COLUMN ... NOT NULL without a default, whose ACCESS
   * EXCLUSIVE lock keeps anyone else from writing a row), and no statement since can have put a
   * row back: a statement that fails on a table with rows (MG206) runs here on an empty one. Followed: INSERT, COPY FROM and MERGE into it, ATTACH PARTITION to it, a
   * rename to or from its name; a DO block, CALL, EXECUTE or SELECT (which may call a function
   * that writes) forgets every emptied table. Not followed: a trigger that writes it.
   */
  emptied(table: string): boolean {
    return this.emptiedTables?.has(tableKey(table)) ?? false;
  }

  /**
   * The sets of columns whose values no two rows of the table share, as a de-duplicating DELETE of
   * this transaction left it (src/analyze/sql/dedupe.ts), with no write to the table since (as
   * emptied() follows writes): a unique index on them, or on more columns, finds no duplicate.
   */
  dedupedOn(table: string): readonly (readonly string[])[] {
    return this.dedupedTables?.get(tableKey(table)) ?? [];
  }

  /**
   * Whether this transaction left the column without a NULL (nullsGone): SET NOT NULL then finds
   * none (the thirty-sixth trial's F: stellar's backfills just before their SET NOT NULL).
   */
  noNullsIn(table: string, column: string): boolean {
    return this.nullsGone?.has(`${tableKey(table)} ${column}`) ?? false;
  }

  private noteRows(e: EarlierStatement): void {
    const ast = e.ast;
    if (!ast) return;
    const [kind] = Object.keys(ast);
    const body = (ast as Record<string, any>)[kind!];
    // A whole table, and its partitions or children (not ONLY): what its DDL recurses into.
    const whole = (rv: { inh?: boolean } | undefined) => rv?.inh !== false;
    switch (kind) {
      case 'TruncateStmt':
        for (const r of body.relations ?? []) if (whole(r.RangeVar)) (this.emptiedTables ??= new Set()).add(tableKey(relationName(r.RangeVar)));
        // CASCADE empties the tables that reference them, at any depth: those its locks name.
        if (body.behavior === 'DROP_CASCADE') for (const l of e.locks) (this.emptiedTables ??= new Set()).add(tableKey(l.table));
        return;
      case 'DeleteStmt': {
        const nullRows = !e.inBody && !body.usingClause ? isNullTest(body.whereClause) : undefined;
        if (nullRows !== undefined) (this.nullsGone ??= new Set()).add(`${tableKey(relationName(body.relation))} ${nullRows}`);
        if (body.whereClause === undefined && body.usingClause === undefined && body.withClause === undefined && whole(body.relation)) (this.emptiedTables ??= new Set()).add(tableKey(relationName(body.relation)));
        const deduped = e.inBody || !whole(body.relation) ? undefined : dedupedColumns(ast, this.state);
        if (deduped) {
          const key = tableKey(relationName(body.relation));
          this.dedupedTables ??= new Map();
          this.dedupedTables.set(key, [...(this.dedupedTables.get(key) ?? []), deduped]);
        }
        return;
      }
      case 'InsertStmt': case 'MergeStmt': case 'UpdateStmt': {
        // An UPDATE may set the key columns to a value another row has.
        if (kind !== 'UpdateStmt') this.emptiedTables?.delete(tableKey(relationName(body.relation)));
        this.dedupedTables?.delete(tableKey(relationName(body.relation)));
        const key = tableKey(relationName(body.relation));
        if (kind !== 'UpdateStmt') {
          if (this.nullsGone) for (const c of [...this.nullsGone]) if (c.startsWith(`${key} `)) this.nullsGone.delete(c);
          return;
        }
        const table = this.state.table(relationName(body.relation));
        for (const [column, fills] of updatedColumns(body, (c) => table?.columns.get(c)?.notNull === true)) {
          if (fills && !e.inBody) (this.nullsGone ??= new Set()).add(`${key} ${column}`);
          else this.nullsGone?.delete(`${key} ${column}`);
        }
        return;
      }
      case 'CopyStmt':
        if (body.is_from && body.relation && this.nullsGone) for (const c of [...this.nullsGone]) if (c.startsWith(`${tableKey(relationName(body.relation))} `)) this.nullsGone.delete(c);
        if (body.is_from && body.relation) this.emptiedTables?.delete(tableKey(relationName(body.relation)));
        if (body.is_from && body.relation) this.dedupedTables?.delete(tableKey(relationName(body.relation)));
        return;
      case 'AlterTableStmt': {
        if ((body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => c.AlterTableCmd?.subtype === 'AT_AttachPartition')) this.emptiedTables?.delete(tableKey(relationName(body.relation)));
        const empty = e.inBody ? undefined : emptyIfItSucceeds(ast, this.state);
        if (empty !== undefined) (this.emptiedTables ??= new Set()).add(tableKey(empty));
        return;
      }
      case 'RenameStmt':
        if (body.relation) {
          // A rename writes no row: an emptied table renamed is still empty, under its new name;
          // one whose column or constraint was renamed is still empty under its own (helse-
          // spesialist's TRUNCATE, RENAME COLUMN, ADD COLUMN ... NOT NULL: the thirty-eighth
          // trial's I). The columns a de-duplication was on may have another name now.
          const old = tableKey(relationName(body.relation));
          this.dedupedTables?.delete(old);
          if (body.newname && relationRenames.has(body.renameType)) {
            const dot = relationName(body.relation).lastIndexOf('.');
            const renamed = tableKey(`${dot < 0 ? '' : relationName(body.relation).slice(0, dot + 1)}${body.newname}`);
            const wasEmptied = this.emptiedTables?.delete(old) === true;
            this.emptiedTables?.delete(renamed);
            if (wasEmptied) this.emptiedTables!.add(renamed);
          }
        }
        return;
      case 'DoStmt': case 'CallStmt': case 'ExecuteStmt': case 'SelectStmt':
        this.emptiedTables = undefined;
        this.dedupedTables = undefined;
        this.nullsGone = undefined;
        return;
      default:
    }
  }

  /**
   * The first statement of the transaction that fails when run a second time (failsRunAgain): a
   * COMMIT inside one query string leaves what is above it applied, and the tool's re-run of the
   * whole file stops there (MG226).
   */
  firstNotRerunnable: { readonly statement: EarlierStatement; readonly what: string } | undefined;

  /** Adds a statement that has been judged (it is earlier for the ones that follow). */
  add(e: EarlierStatement): void {
    if (!this.firstNotRerunnable && e.ast && !e.inBody) {
      const what = failsRunAgain(e.ast);
      if (what) this.firstNotRerunnable = { statement: e, what };
    }
    if (e.ast && 'RenameStmt' in e.ast) this.followRename(e.ast.RenameStmt as { relation?: Parameters<typeof relationName>[0]; newname?: string; renameType?: string });
    if ((this.enumAdditions || this.enumsCreated) && e.ast) this.followEnum(e.ast);
    if (this.emptiedTables || this.dedupedTables || this.nullsGone || (e.ast && ('TruncateStmt' in e.ast || 'DeleteStmt' in e.ast || 'UpdateStmt' in e.ast || ('AlterTableStmt' in e.ast && !e.inBody)))) this.noteRows(e);
    if (e.ast && 'AlterEnumStmt' in e.ast) this.noteEnumValue(e.ast.AlterEnumStmt as EnumNames & { newVal?: string; oldVal?: string });
    else if (e.ast && 'CreateEnumStmt' in e.ast) {
      (this.enumsCreated ??= new Set()).add(enumKey(e.ast.CreateEnumStmt as EnumNames));
      if (!e.inBody) (this.enumsCreatedUntouched ??= new Set()).add(enumKey(e.ast.CreateEnumStmt as EnumNames));
    } else if (this.enumsCreatedUntouched && e.ast && touchesTypeRow(e.ast)) this.enumsCreatedUntouched = undefined;
    for (const lock of e.locks) {
      const key = tableKey(lock.table);
      if (!lock.ifRows && lockStrength(lock.mode) >= lockStrength('ShareLock')) {
        const held = this.writesBlocked.get(key);
        if (!held || lockStrength(lock.mode) > lockStrength(held.mode)) this.writesBlocked.set(key, { table: held?.table ?? lock.table, mode: lock.mode, by: e });
      }
      let first = this.firstAtLeast.get(key);
      if (!first) this.firstAtLeast.set(key, (first = new Array(lockModes.length).fill(undefined)));
      for (let m = lockStrength(lock.mode); m >= 0 && first[m] === undefined; m--) first[m] = e;
      if (lock.mode !== 'AccessExclusiveLock' || this.accessExclusive.has(key)) continue;
      this.accessExclusive.set(key, lock.table);
      if (!this.heldKeyIsNew.has(key)) {
        const isNew = isNewRelation(this.state, key);
        this.heldKeyIsNew.set(key, isNew);
        if (!isNew) this.existingHeldKeys++;
      }
      if (!this.heldKeyIsNew.get(key)) this.existingHeld?.push(lock.table);
    }
  }

  /**
   * A table renamed in the transaction is the same table, and so are the locks held on it: under
   * its new name they are those taken before the rename (a LOCK TABLE before a copy-and-swap, the
   * seventeenth trial's graphile-worker), not the rename's own.
   */
  private followRename(rename: { relation?: Parameters<typeof relationName>[0]; newname?: string; renameType?: string }): void {
    if (!rename.relation || !rename.newname || (rename.renameType !== 'OBJECT_TABLE' && rename.renameType !== 'OBJECT_MATVIEW')) return;
    const from = relationName(rename.relation);
    const to = `${rename.relation.schemaname ? `${rename.relation.schemaname}.` : ''}${rename.newname}`;
    const [fromKey, toKey] = [tableKey(from), tableKey(to)];
    const first = this.firstAtLeast.get(fromKey);
    if (first && !this.firstAtLeast.has(toKey)) this.firstAtLeast.set(toKey, [...first]);
    const held = this.writesBlocked.get(fromKey);
    if (held && !this.writesBlocked.has(toKey)) this.writesBlocked.set(toKey, { ...held, table: to });
  }

  /** Brings "is new" up to date with the schema state for the tables held, before the next statement. */
  private refresh(): void {
    this.stateChanges = this.state.tableChangesSince(this.stateChanges, (key) => {
      const was = this.heldKeyIsNew.get(key);
      if (was === undefined) return;
      const isNew = isNewRelation(this.state, key);
      if (isNew === was) return;
      this.heldKeyIsNew.set(key, isNew);
      this.existingHeldKeys += isNew ? -1 : 1;
      this.existingHeld = undefined;
    });
  }

  /**
   * An enum's new values, and whether the transaction made it, go with the type, not its name:
   * DROP TYPE ends them, ALTER TYPE ... RENAME TO moves them to the new name (lunary's enum swap:
   * ADD VALUE 'owner' to user_role, a user_role_new made with 'owner', user_role dropped and
   * user_role_new renamed to it; 'owner' is then the new type's, usable at once: the
   * twenty-third trial's E, shown on PostgreSQL 15).
   */
  private followEnum(ast: PgNode): void {
    const [kind, body] = node(ast);
    const names = (items: readonly { String?: { sval?: string } }[] | undefined) => tableKey((items ?? []).map((n) => n.String?.sval ?? '?').join('.'));
    if (kind === 'DropStmt' && (body.removeType === 'OBJECT_TYPE' || body.removeType === 'OBJECT_DOMAIN')) {
      for (const o of body.objects ?? []) {
        const key = names(o.TypeName?.names);
        this.enumAdditions?.delete(key);
        this.enumsCreated?.delete(key);
      }
    } else if (kind === 'RenameStmt' && body.renameType === 'OBJECT_TYPE' && body.newname) {
      const items: { String?: { sval?: string } }[] = body.object?.List?.items ?? [];
      const from = names(items);
      const to = names([...items.slice(0, -1), { String: { sval: body.newname } }]);
      const added = this.enumAdditions?.get(from);
      this.enumAdditions?.delete(from);
      if (added) this.enumAdditions!.set(to, added);
      else this.enumAdditions?.delete(to);
      if (this.enumsCreated?.delete(from)) this.enumsCreated.add(to);
    }
  }

  private noteEnumValue(alter: EnumNames & { newVal?: string; oldVal?: string }): void {
    // oldVal: RENAME VALUE, whose value is usable at once.
    if (alter.newVal === undefined || alter.oldVal !== undefined) return;
    const type = enumKey(alter);
    this.enumAdditions ??= new Map();
    let values = this.enumAdditions.get(type);
    if (!values) this.enumAdditions.set(type, (values = new Set()));
    values.add(alter.newVal);
  }

  /** The values added to enum types in this transaction, by type (see enumAdditions), or undefined. */
  uncommittedEnumValues(): ReadonlyMap<string, ReadonlySet<string>> | undefined {
    return this.enumAdditions;
  }

  /**
   * Whether a statement of this transaction, not in a DO block or routine, created the enum type
   * (by its key), and none since can have changed its pg_type row (ALTER TYPE ... OWNER TO, SET
   * SCHEMA, RENAME, GRANT on a type, ALTER TYPE ... SET) nor opened a savepoint. Before PostgreSQL
   * 12, AlterEnum lets ADD VALUE run in a transaction block only then: when the type's pg_type row
   * has the current transaction's XID and was never updated (typecmds.c, "pg_dump
   * --binary-upgrade needs it").
   */
  addsValueToOwnEnum(type: string): boolean {
    return this.enumsCreatedUntouched?.has(type) ?? false;
  }

  /** Whether this transaction created the enum type (by its key). */
  createdEnum(type: string): boolean {
    return this.enumsCreated?.has(type) ?? false;
  }

  /** The first earlier statement that locks the table at least as strongly as `mode`. */
  firstLocking(table: string, mode: LockMode): EarlierStatement | undefined {
    return this.firstAtLeast.get(tableKey(table))?.[lockStrength(mode)];
  }

  /**
   * The tables earlier statements hold at SHARE or stronger, which every write waits for: per
   * table the strongest lock and the first statement that took it, in the order first locked.
   */
  writeBlockingLocks(): Iterable<HeldLock> {
    return this.writesBlocked.values();
  }

  /** Whether an earlier statement holds ACCESS EXCLUSIVE on this table ("public.users" is "users"). */
  holdsAccessExclusive(table: string): boolean {
    return this.accessExclusive.has(tableKey(table));
  }

  /** Whether an earlier statement holds ACCESS EXCLUSIVE on a table that is not new. */
  holdsAccessExclusiveOnExisting(table?: string): boolean {
    this.refresh();
    if (table === undefined) return this.existingHeldKeys > 0;
    return this.heldKeyIsNew.get(tableKey(table)) === false;
  }

  /** Tables, not new, held in ACCESS EXCLUSIVE by earlier statements, as first named, in order. */
  accessExclusiveOnExisting(): readonly string[] {
    this.refresh();
    this.existingHeld ??= [...this.accessExclusive].filter(([key]) => this.heldKeyIsNew.get(key) === false).map(([, table]) => table);
    return this.existingHeld;
  }
}

/** One statement and everything the rules may weigh to judge it. */
export interface StatementContext {
  readonly ast: PgNode;
  readonly text: string;
  readonly facts: StatementFacts;
  readonly locks: readonly PredictedLock[];
  /** What it does to a table beyond locking it (scan, rewrite, ...), and which table. */
  readonly effect: { readonly effect: Effect; readonly table?: string };
  /** The schema before this statement. */
  readonly state: SchemaState;
  readonly postgres: number;
  /** Where bare names are looked up (lint: SET search_path as the file runs); PostgreSQL's default when absent. */
  readonly searchPath?: SearchPath;
  readonly mode: 'plan' | 'lint';
  /** The plan phase it runs in (plans only). */
  readonly phase?: PhaseKind;
  /** The statement undoes a step (a rollback). */
  readonly inRollback: boolean;
  /** A rollback in a file of its own, paired with its up by name (lint only; see FileAnalysisOptions.rollbackFile). */
  readonly rollbackFile?: boolean;
  /** A lint rollback: what its up made, when lint saw the up (FileAnalysisOptions.madeByUp). */
  readonly madeByUp?: MadeObjects;
  /** The step compiles it into a batched loop (plans only). */
  readonly batched: boolean;
  /** Inside an explicit or implied transaction block. */
  readonly inTransaction: boolean;
  /** Statements before it in the same transaction. */
  readonly earlier: EarlierStatements;
  /** The statements after it in the same plan step or file part, whether they run or not (a failed one stops the rest). */
  readonly later: () => readonly PgNode[];
  /**
   * The transaction open before it, as a file runs (lint only): none; the one the migration tool
   * wraps the file in (--file-transaction); the implicit one PostgreSQL runs a query string of
   * several statements in (a tool that sends a non-transactional file as one string); or the
   * file's own BEGIN, at that line.
   */
  readonly transaction?: {
    readonly open: 'none' | 'tool' | 'implicit' | 'explicit';
    readonly beganAtLine?: number;
    /**
     * A COMMIT or ROLLBACK of the file at this line ended the tool's transaction before the
     * statement: what is open now is what the tool's way of sending statements leaves (sends).
     */
    readonly toolEndedAtLine?: number;
    /** How the tool sends the statements, when migc knows the tool (FileAnalysisOptions.toolSends). */
    readonly sends?: ToolSends;
    /**
     * The file is one of a run the tool runs in one transaction (lint --run-transaction): a later
     * file is no transaction of its own, and the fix a help gives says so (laterTransaction()).
     */
    readonly inRun?: true;
  };
  /**
   * The statement is one of a DO block's body (src/sql/plpgsql.ts): it runs inside the block, one
   * statement of the server's in one transaction, where PostgreSQL refuses what cannot run in a
   * function (CONCURRENTLY, VACUUM: "cannot be executed from a function").
   */
  readonly inDoBlock?: boolean;
  /** In a loop of a DO block: it may run many times, all in the block's one transaction. */
  readonly inLoop?: true;
  /**
   * In a loop of a DO block that commits each pass (a COMMIT in its body, the block run on its own,
   * outside a transaction block, where PostgreSQL allows it): the loop is the batching, each pass a
   * transaction of its own (lint only; the twenty-second trial's B, formance ledger's backfills).
   */
  readonly loopCommits?: true;
  /**
   * In a DO block's or routine's body, an EXECUTE of a string migc cannot read comes after it
   * (BodyStatement.unreadSqlAfter): it may undo what the statement does (create again a view it
   * drops).
   */
  readonly unreadSqlAfter?: true;
  /**
   * The statement is in the body of a function or procedure the files created, run at a call of
   * it (src/analyze/sql/routines.ts): `function cleanup()`. inDoBlock is set too: it runs as a
   * DO block's statement does.
   */
  readonly inFunction?: string;
  /**
   * In a DO block's or a routine's body: the names the body gives values of its own (its
   * variables and parameters, BodyStatement.variables), each one value for every row a statement
   * reads, as a constant is.
   */
  readonly variables?: ReadonlySet<string> | undefined;
  /**
   * The line of an offset of the file (lint only): a message that names an earlier statement says
   * where it is (`file`: of another file, a statement of an earlier file of the run). A plan's
   * statements are placed by the finding's related location instead.
   */
  readonly lineOf?: (offset: number, file?: string) => number;
  /** The file the statement is in (lint only). */
  readonly file?: string;
  /**
   * How the file's migration tool runs a migration outside a transaction, in its own words
   * (lint only, when the file tells the tool: outsideTransactionHow in src/lint-files.ts).
   */
  readonly outsideTransaction?: string;
  /**
   * The tool sends the file (or its part) as one query string (lint only: Prisma, Postgrator,
   * golang-migrate under --file-query-string, ...): a statement that must run outside a
   * transaction block runs only alone in its file, so a recipe of two such statements needs two.
   */
  readonly sentWhole?: true;
  /**
   * The psql variables the text has as names where psql puts their values (`:name` of a variable
   * the file \sets, a tool's placeholder, `:"name"`), as the parser reads them (lint only): a
   * "column" of that name is a value (MG238).
   */
  readonly psqlNames?: ReadonlySet<string>;
  /**
   * The application is stopped while the files run (lint's --app-stopped, app_stopped): no query
   * of its runs between them, so what only breaks running queries for a while (a view dropped)
   * costs nothing until it starts.
   */
  readonly appStopped?: true;
  /** A file has set lock_timeout before this statement (lint only; plans' scripts always do). */
  readonly lockTimeoutSet: boolean;
  /** The target version is migc's default: nothing names the server's (AnalysisOptions.postgresAssumed). */
  readonly postgresAssumed?: true;
  /** The target's minor release, when the version was named with it (14.3; AnalysisOptions.postgresMinor). */
  readonly postgresMinor?: number;
  /** The session's TimeZone is UTC here: a file set it (SET [LOCAL] timezone = 'UTC'; lint only). */
  readonly timeZoneUtc?: true;
  /** Rows in a table: its size hint, or undefined when there is none. */
  rows(table: string): number | undefined;
  /**
   * The state knows every object there is (plans only): the baseline loads on its own and creates
   * no extension, and no statement since has created one or run a DO block with SQL migc cannot
   * read (dynamic SQL, another language).
   */
  readonly schemaKnown?: boolean;
}

/**
 * How a migration tool sends the statements of a file (or part) it runs in a transaction of its
 * own, which decides what a COMMIT in the file leaves open after it:
 * - 'each-statement' (goose, sql-migrate: one Exec per statement on the transaction's connection):
 *   nothing; the next statements run on their own, each committed, until a BEGIN, whose
 *   transaction the tool's own COMMIT then ends.
 * - 'one-string' (dbmate: the part as one query string): PostgreSQL runs the rest of the string in
 *   a new implicit transaction.
 * - 'driver-transaction' (Flyway, Liquibase: JDBC with autocommit off): the driver sends BEGIN
 *   again before the next statement.
 */
export type ToolSends = 'each-statement' | 'one-string' | 'driver-transaction';

export interface StatementFinding {
  readonly message: string;
  readonly help: string;
  /** Overrides the rule's severity for this finding (a small table lowers it). */
  readonly severity?: Severity;
  /** The ALTER TABLE subcommand it is about (an index into its commands): lint points at it. */
  readonly subcommand?: number;
  /** The part of the statement's text it is about (string offsets into ctx.text): a name in it. */
  readonly at?: { readonly start: number; readonly end: number };
  /**
   * The finding stands only if this still holds once the run has ended: every file of the lint
   * run analysed, or every step of the plan (MG230: a foreign key declared on a new table is
   * served by an index a later migration of the run builds). Asked once, on the schema state as
   * the run left it; the finding keeps its place and its migc-ignore. Never in a rollback, whose
   * changes are undone before the run ends.
   */
  readonly standsAtEnd?: () => boolean;
  /** Other places the finding is about: the earlier statement that took a lock it names. */
  readonly related?: readonly { readonly span: Span; readonly message: string; readonly file?: string }[];
  /**
   * The finding says PostgreSQL refuses the statement (an error, which aborts its transaction):
   * 'certain', wherever it runs; 'possible', where what migc cannot see says so (a server without
   * the type, a table with rows, a role that is no superuser). A statement refused for certain
   * does none of what the other rules judge (lock waits, locks held, rewrites, scans): the
   * analysis keeps only its refusals, certain and possible, unless a certain one is accepted
   * (migc-ignore, allow:), which says it runs.
   */
  readonly refused?: 'certain' | 'possible';
  /**
   * Called when the finding stands (its statement is not refused for certain, which leaves it
   * out): a rule that reports a hazard once per transaction marks it told then, so that the
   * next statement that shows it is reported when a refused one was not.
   */
  readonly onStands?: () => void;
  /**
   * The finding says the statement fails on rows the table may hold (a CHECK a row violates, a
   * NULL under SET NOT NULL, rows that share a unique key): with the application stopped
   * (--app-stopped), where its lock no longer matters, that still stops the upgrade, and the
   * finding stays a warning (withAppStopped in src/workspace/config.ts); 'will': it fails on any
   * row (a column every row holds NULL in), and keeps its severity.
   */
  readonly failsOnRows?: 'may' | 'will';
}

export interface StatementRule {
  readonly code: string;
  readonly name: string;
  readonly summary: string;
  readonly severity: Severity;
  /**
   * The kinds of statement it judges, by their parse tree's node name (AlterTableStmt, IndexStmt);
   * the analysis does not call it for others. Leave it out for a rule that weighs every statement
   * (its locks, its text, its facts).
   */
  readonly kinds?: readonly StatementKind[];
  check(ctx: StatementContext, report: (finding: StatementFinding) => void): void;
}

/** The node names of libpg-query's parse trees (AlterTableStmt, IndexStmt): what a statement is. */
type KeysOf<T> = T extends unknown ? keyof T : never;
export type StatementKind = KeysOf<PgNode>;

const byKind = new WeakMap<readonly StatementRule[], Map<string, readonly StatementRule[]>>();

/**
 * The rules of a catalogue that judge statements of one kind, in the catalogue's order (the order
 * of their findings). Most rules concern one or two kinds of statement: asking only those keeps
 * the cost of a statement from growing with the size of the catalogue.
 */
export function rulesFor(rules: readonly StatementRule[], kind: string): readonly StatementRule[] {
  let kinds = byKind.get(rules);
  if (!kinds) byKind.set(rules, (kinds = new Map()));
  let found = kinds.get(kind);
  if (!found) kinds.set(kind, (found = rules.filter((r) => !r.kinds || r.kinds.includes(kind as StatementKind))));
  return found;
}

/** Whether a table is large: its hint says so, or it has none (the safe assumption). */
export function isLarge(ctx: StatementContext, table: string): boolean {
  return (ctx.rows(table) ?? Infinity) >= largeTableRows;
}

/**
 * The severity for a blocking operation on an existing table: the rule's own on a large (or
 * unknown) table, info on a table its size hint says is small; undefined, no finding, for a
 * table created earlier in the same plan or file, which is new and empty, or one this transaction
 * emptied (TRUNCATE, DELETE without WHERE) or found empty (ADD COLUMN ... NOT NULL without a
 * default) and nothing has filled since, or that this statement only succeeds on empty: the work
 * is instant, and the emptying statement holds a lock as strong already.
 */
export function severityFor(ctx: StatementContext, table: string, severity: Severity): Severity | undefined {
  if (ctx.state.isNew(table) || emptyHere(ctx, table)) return undefined;
  return isLarge(ctx, table) ? severity : 'info';
}

/**
 * Whether the table has no row while the statement works on it: the transaction emptied it (or
 * found it empty) and nothing has written since (EarlierStatements.emptied), or the statement
 * itself only succeeds when it is empty (emptyIfItSucceeds: ADD COLUMN ... NOT NULL without a
 * default, which MG206 reports): on a table with a row it fails, and otherwise its scan, rewrite
 * or check (SET NOT NULL of another column alongside) is of no row. The latter not in a DO block,
 * whose EXCEPTION handler may catch the failure (EarlierStatement.inBody).
 */
export function emptyHere(ctx: StatementContext, table: string): boolean {
  if (ctx.earlier.emptied(table)) return true;
  if (ctx.inDoBlock || !('AlterTableStmt' in ctx.ast)) return false;
  const empty = emptyIfItSucceeds(ctx.ast, ctx.state, ctx.searchPath);
  return empty !== undefined && tableKey(empty) === tableKey(table);
}

/**
 * What a help that proposes CONCURRENTLY adds for a statement in a DO block: PostgreSQL refuses
 * CONCURRENTLY there (MG204), so the statement has to leave the block first.
 */
export function leaveDoBlock(ctx: StatementContext): string {
  if (ctx.inFunction) return ` Inside a function PostgreSQL refuses CONCURRENTLY: run that statement outside ${ctx.inFunction}, on its own.`;
  return ctx.inDoBlock
    ? ' Inside a DO block PostgreSQL refuses CONCURRENTLY: run that statement outside the block (IF NOT EXISTS, IF EXISTS check for it there).'
    : '';
}

/**
 * The tables the messages written since takeAssumedLarge() last ran took for large for want of a
 * size (sizeNote): the analysis takes them with each finding it records (Diagnostic.assumedLarge).
 */
let assumedLarge: string[] = [];

/** The tables sizeNote() assumed large since the last call, and forgets them. */
export function takeAssumedLarge(): readonly string[] {
  if (assumedLarge.length === 0) return assumedLarge;
  const taken = assumedLarge;
  assumedLarge = [];
  return taken;
}

/** `users (12,000,000 rows)`, `"User" (no size hint: assumed large)`: the name as SQL writes it. */
export function sizeNote(ctx: StatementContext, table: string): string {
  const rows = ctx.rows(table);
  if (rows === undefined) {
    const name = quoteName(table);
    if (!assumedLarge.includes(name)) assumedLarge.push(name);
    // A table the files made and wrote only by INSERT ... VALUES: how many rows they put in it, for
    // the size hint a lookup table wants (crowd.dev's activityTypes, mergestat's: the thirty-ninth
    // and forty-first trials' A and C, "assumed large" where the migrations are its only writer).
    const seeded = ctx.state.table(table)?.rowsInserted;
    return `${name} (no size hint: assumed large${seeded ? `; the files put ${formatCount(seeded)} row${seeded === 1 ? '' : 's'} in it, all by INSERT ... VALUES` : ''})`;
  }
  return `${quoteName(table)} (${formatCount(rows)} rows)`;
}

/**
 * `--assume-rows users=N` for a table, as a help writes the flag: the name as PostgreSQL reads it
 * (readTableName: `"User"` for the table "User", since User is the table user) and the word as the
 * shell passes it (`'"User"=N'`: without the single quotes the shell drops the double ones).
 */
export function assumeRowsFlag(table: string, rows: string): string {
  return `--assume-rows ${shellWord(`${quoteName(table)}=${rows}`)}`;
}

/**
 * A table as a key of a plan's `tables:` (and the config's assume_rows): the key is the table's
 * name as the analysis keys it (tableKey), not SQL, so "User" is `User` there; a YAML double-quoted
 * key (JSON's form) when the plain one would not read back (a space, a quote, a colon).
 */
export function sizeHintKey(table: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$.]*$/.test(table) ? table : JSON.stringify(table);
}
