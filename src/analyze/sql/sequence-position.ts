import type { FuncCall } from 'libpg-query';
import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { isSetval, sequenceOrColumnArgument } from '../../sql/locks.js';
import { node } from '../../sql/node.js';
import { forEachNode } from '../../sql/walk.js';
import { integerConstant, sequenceDraws, type SequenceDraws } from './sequence-draws.js';

/**
 * Where a sequence the statements seen made stands (CREATE SEQUENCE, or the identity an
 * ALTER TABLE ... ADD GENERATED ... AS IDENTITY gave a column): a fresh one hands out its START
 * first, whatever the rows of a column it is attached to hold. Replaced, never changed in place.
 */
export interface SequencePosition {
  /** Which making of the sequence this is: a sequence dropped and made again is another. */
  readonly id: number;
  /** The value its next nextval() gives; undefined once migc cannot tell (setval, a value computed, INCREMENT changed). */
  readonly next: bigint | undefined;
  /** Where ALTER SEQUENCE ... RESTART without a value takes it: its START WITH. */
  readonly start: bigint | undefined;
  /** The column it belongs to (OWNED BY, an identity's): what pg_get_serial_sequence(table, column) finds. */
  readonly ownedBy?: { readonly table: string; readonly column: string };
  /** A statement named it to nextval() (a column default, a query), or it is an identity's: something draws from it. */
  readonly drawnFrom?: true;
  /**
   * It was drawn from in a migration before this one (settle()): the application has taken
   * values from it since, and where it stands is not known.
   */
  readonly inUse?: true;
}

/** A fresh sequence made with these options (SequenceDraws undefined: options migc cannot read). */
export function freshPosition(id: number, draws: SequenceDraws | undefined, ownedBy?: SequencePosition['ownedBy'], drawnFrom?: true): SequencePosition {
  const start = draws && draws.increment > 0n ? draws.start : undefined;
  return { id, next: start, start, ...(ownedBy ? { ownedBy } : {}), ...(drawnFrom ? { drawnFrom } : {}) };
}

/**
 * The sequence ALTER TABLE ... ADD GENERATED ... AS IDENTITY (options) makes: fresh, from its
 * options, unless RESTART among them places it (ente's `ADD GENERATED ALWAYS AS IDENTITY (RESTART
 * 1580559962386438)`: the next value is that, as PostgreSQL does).
 */
export function identityPosition(id: number, options: readonly unknown[] | undefined, ownedBy: NonNullable<SequencePosition['ownedBy']>): SequencePosition {
  const position = freshPosition(id, sequenceDraws(options, 'int8'), ownedBy, true);
  const restart = (options ?? []).map((o) => (o as { DefElem?: { defname?: string; arg?: unknown } }).DefElem).find((d) => d?.defname === 'restart');
  if (!restart) return position;
  return { ...position, next: restart.arg === undefined ? position.start : integerConstant(restart.arg) };
}

/**
 * Whether the next value drawn is one a column of existing rows already holds, as far as migc
 * can tell: an ascending sequence that hands out 1 (or less) next. A START WITH or RESTART WITH a
 * larger constant is a place the author chose past the rows, which migc cannot compare with data
 * it does not see; a setval() is taken to move it past them.
 */
export function drawsFromTheStart(position: SequencePosition): boolean {
  return position.next !== undefined && position.next <= 1n;
}

/**
 * The sequences a statement names to nextval(), by name as written, and whether it draws from
 * them as it runs: a query does (lemmy's CREATE TABLE ... AS SELECT nextval(...) numbers the rows
 * it copies, and the sequence stands past them), as does ADD COLUMN ... DEFAULT nextval(...) on a
 * table with rows; a column default that CREATE TABLE or ALTER COLUMN ... SET DEFAULT gives draws
 * only at the INSERTs to come.
 */
export function drawnSequences(ast: PgNode): { readonly name: string; readonly drawsNow: boolean }[] {
  const [kind, body] = node(ast);
  const found: { name: string; drawsNow: boolean }[] = [];
  const collect = (tree: unknown, drawsNow: boolean) => forEachNode(tree, (n) => {
    const call = n.FuncCall as FuncCall | undefined;
    if (!call || (call.funcname?.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval !== 'nextval') return;
    const target = sequenceOrColumnArgument(call.args?.[0]);
    if (target && 'sequence' in target) found.push({ name: target.sequence, drawsNow });
  });
  if (kind === 'CreateStmt') collect(ast, false);
  else if (kind === 'AlterTableStmt') for (const c of body.cmds ?? []) collect(c, c.AlterTableCmd?.subtype === 'AT_AddColumn');
  else collect(ast, true);
  return found;
}

/** Which sequence a change is about: by name, by the column that owns it, or any (a setval() of a name migc cannot read). */
export type SequenceTarget = { readonly sequence: string } | { readonly table: string; readonly column: string } | 'any';

/** What a statement does to where a sequence stands, or to whom it belongs. */
export interface SequenceChange {
  readonly target: SequenceTarget;
  /** The next value it gives from here: a constant, back to its START ('start'), or not known (undefined). Absent: unchanged. */
  readonly next?: { readonly to: bigint | 'start' | undefined };
  /** START WITH given (without RESTART, only where a later RESTART takes it). */
  readonly start?: bigint;
  /** OWNED BY given: the column (table.column), or none. */
  readonly ownedBy?: { readonly to: SequencePosition['ownedBy'] };
}

/**
 * The changes a statement makes to where sequences stand: setval() anywhere in it (a query, a
 * DO block's PERFORM); ALTER SEQUENCE's RESTART, START WITH, INCREMENT and OWNED BY; ALTER TABLE
 * ... ALTER COLUMN's identity options (RESTART, SET START WITH, SET INCREMENT BY).
 */
export function sequenceChanges(ast: PgNode): SequenceChange[] {
  const [kind, body] = node(ast);
  if (kind === 'AlterSeqStmt') {
    const change = optionChanges({ sequence: relationName(body.sequence) }, body.options ?? []);
    return change ? [change] : [];
  }
  const changes: SequenceChange[] = [];
  if (kind === 'AlterTableStmt') {
    const table = relationName(body.relation);
    for (const c of body.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype !== 'AT_SetIdentity' || typeof cmd.name !== 'string') continue;
      const change = optionChanges({ table, column: cmd.name }, cmd.def?.List?.items ?? []);
      if (change) changes.push(change);
    }
  }
  forEachNode(ast, (n) => {
    const call = n.FuncCall as FuncCall | undefined;
    if (call && isSetval(call)) changes.push({ target: sequenceOrColumnArgument(call.args?.[0]) ?? 'any', next: { to: setvalNext(call) } });
  });
  return changes;
}

/**
 * Where setval(seq, n [, is_called]) of constants leaves the sequence: nextval() then gives n + 1,
 * or n with is_called false; undefined for a value computed (max(id), a query). Evergreen's
 * SETVAL(..., 1001) before its INSERT of ids 1 and 2 (the thirty-third trial's A).
 */
function setvalNext(call: FuncCall): bigint | undefined {
  const args = (call as { args?: unknown[] }).args ?? [];
  const n = integerConstant(args[1]);
  if (n === undefined) return undefined;
  if (args.length < 3) return n + 1n;
  const called = (args[2] as { A_Const?: { boolval?: { boolval?: boolean } } } | undefined)?.A_Const?.boolval;
  if (called === undefined) return undefined;
  return called.boolval === true ? n + 1n : n;
}

/** The change sequence options make (ALTER SEQUENCE's, an identity's SET/RESTART), or none that matters here. */
function optionChanges(target: SequenceTarget, options: readonly unknown[]): SequenceChange | undefined {
  let next: SequenceChange['next'];
  let start: bigint | undefined;
  let ownedBy: SequenceChange['ownedBy'];
  for (const o of options) {
    const d = (o as { DefElem?: { defname?: string; arg?: unknown } }).DefElem;
    if (!d) continue;
    if (d.defname === 'restart') next = { to: d.arg === undefined ? 'start' : integerConstant(d.arg) };
    else if (d.defname === 'start') start = integerConstant(d.arg);
    else if (d.defname === 'increment') next ??= { to: undefined };
    else if (d.defname === 'owned_by') {
      const names = ((d.arg as { List?: { items?: { String?: { sval?: string } }[] } } | undefined)?.List?.items ?? []).map((i) => i.String?.sval ?? '');
      ownedBy = { to: names.length >= 2 ? { table: names.slice(0, -1).join('.'), column: names.at(-1)! } : undefined };
    }
  }
  // RESTART without a value goes to the START WITH given beside it.
  if (next?.to === 'start' && start !== undefined) next = { to: start };
  if (!next && start === undefined && !ownedBy) return undefined;
  return { target, ...(next ? { next } : {}), ...(start !== undefined ? { start } : {}), ...(ownedBy ? { ownedBy } : {}) };
}

/** The same relation, one name maybe schema-qualified and the other not ('public.s' and 's', 'app.s' and 's'). */
export function sameRelation(a: string, b: string): boolean {
  const bare = (n: string) => n.slice(n.lastIndexOf('.') + 1);
  const key = (n: string) => (n.startsWith('public.') ? n.slice('public.'.length) : n);
  if (key(a) === key(b)) return true;
  return (!a.includes('.') || !b.includes('.')) && bare(a) === bare(b);
}

/** Whether a change is about this sequence (by its name, `name`). */
export function changeTargets(change: SequenceChange, name: string, position: SequencePosition): boolean {
  const { target } = change;
  if (target === 'any') return true;
  if ('sequence' in target) return sameRelation(target.sequence, name);
  return position.ownedBy !== undefined && position.ownedBy.column === target.column && sameRelation(position.ownedBy.table, target.table);
}

/** Where a sequence stands after a change about it. */
export function applyChange(position: SequencePosition, change: SequenceChange): SequencePosition {
  const start = change.start ?? position.start;
  const next = change.next === undefined ? position.next : change.next.to === 'start' ? start : change.next.to;
  const ownedBy = change.ownedBy ? change.ownedBy.to : position.ownedBy;
  return { ...position, next, start, ownedBy };
}
