import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { combinedLocks, predictLocks, readRelations, type LockCatalog, type LockMode, type PredictedLock } from '../../sql/locks.js';
import { tableKey } from './schema-state.js';
import { node } from '../../sql/node.js';

/**
 * What skippedPart asks of the schema: each answer is true only when it is sure, false when the
 * object is not there or not known. The schema state answers from the statements it has seen
 * (lint and plans: of an object migc never saw nothing is known); the rehearsal database from its
 * catalog in migc verify (src/verify/live-schema.ts: everything is known). Names are as the
 * statement writes them ("t", "app.t").
 */
export interface KnownSchema extends LockCatalog {
  /** A relation (table, view, index or sequence: they share one namespace) of this name is there. */
  relationExists(name: string): boolean;
  /** No relation of this name is there. */
  relationGone(name: string): boolean;
  /** No type (enum, composite, domain) of this name is there. */
  typeGone(name: string): boolean;
  /** The table is there, with this column. */
  columnThere(table: string, column: string): boolean;
  /** The table is there, without this column. */
  columnGone(table: string, column: string): boolean;
  /** The table is there, without a constraint of this name. */
  constraintGone(table: string, name: string): boolean;
}

/**
 * What PostgreSQL skips of a statement written with IF NOT EXISTS or IF EXISTS, with a NOTICE,
 * because the schema already has (or no longer has) the object.
 */
export interface SkippedPart {
  /**
   * The statement as PostgreSQL runs it: without the ALTER TABLE subcommands, or the objects of
   * a DROP, it skips. Undefined when it skips the whole statement.
   */
  readonly runs?: PgNode;
  /** For an ALTER TABLE it runs in part: the index in the statement of each subcommand `runs` keeps. */
  readonly kept?: readonly number[];
  /**
   * The locks PostgreSQL takes before it finds there is nothing to do, and holds to the end of
   * the transaction: the only locks of a statement it skips whole, and, for an ALTER TABLE, the
   * lock its skipped subcommands ask of the table (its lock is the strongest any asks).
   */
  readonly locks: readonly PredictedLock[];
}

/**
 * What PostgreSQL skips of the statement, as far as `state` knows for sure. The schema state
 * knows that an object a statement seen created and none dropped since exists, and that one a
 * statement seen dropped (or renamed away) and none created since is gone; of an object migc
 * never saw nothing is known, and nothing is skipped. Undefined when PostgreSQL runs it all
 * (most statements: they say neither IF NOT EXISTS nor IF EXISTS).
 *
 * The one place migc asks: rules judge what runs (src/analyze/sql/analyze.ts), the schema state
 * learns from it (SchemaState.apply), MG230 counts the indexes it builds, and migc verify
 * predicts its locks from the rehearsal database (src/verify/live-schema.ts). The locks were measured on PostgreSQL 15 in
 * pg_locks (test/skips.test.ts): CREATE INDEX IF NOT EXISTS of an index that exists still takes
 * its SHARE lock on the table (SHARE UPDATE EXCLUSIVE with CONCURRENTLY) before it finds the
 * name taken; ALTER TABLE takes its lock before it finds a column there or gone; CREATE TABLE AS
 * and CREATE MATERIALIZED VIEW take ACCESS SHARE on what their query reads; CREATE TABLE,
 * CREATE SEQUENCE, a DROP and ALTER TABLE IF EXISTS of a relation that is not there take none.
 */
export function skippedPart(ast: PgNode, state: KnownSchema): SkippedPart | undefined {
  const [kind, body] = node(ast);
  switch (kind) {
    case 'CreateStmt':
      return body.if_not_exists && state.relationExists(relationName(body.relation)) ? { locks: [] } : undefined;
    case 'CreateSeqStmt':
      return body.if_not_exists && state.relationExists(relationName(body.sequence)) ? { locks: [] } : undefined;
    case 'CreateTableAsStmt':
      if (!body.if_not_exists || !state.relationExists(relationName(body.into?.rel))) return undefined;
      return { locks: readRelations(body.query).map((table) => ({ table, mode: 'AccessShareLock' as const })) };
    case 'IndexStmt': {
      if (!body.if_not_exists || !body.idxname) return undefined;
      // An index lives in its table's schema.
      const index = body.relation.schemaname ? `${body.relation.schemaname}.${body.idxname}` : body.idxname;
      if (!state.relationExists(index)) return undefined;
      const mode: LockMode = body.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock';
      return { locks: [{ table: relationName(body.relation), mode }] };
    }
    case 'DropStmt':
      return body.missing_ok ? skippedDrop(body, state) : undefined;
    case 'RenameStmt':
      // ALTER TABLE IF EXISTS t RENAME ..., of a table that is gone.
      return body.missing_ok && body.relation && state.relationGone(relationName(body.relation)) ? { locks: [] } : undefined;
    case 'AlterTableStmt':
      return skippedAlter(ast, body, state);
    default:
      return undefined;
  }
}

/**
 * The locks a statement takes as PostgreSQL runs it, given what it skips (skippedPart's answer):
 * those of what runs, and those it takes before it finds the part it skips has nothing to do; a
 * statement skipped whole takes only those. Lint and plans (src/analyze/sql/analyze.ts) and
 * migc verify's prediction (src/verify/live-schema.ts) ask here.
 */
export function runningLocks(ast: PgNode, schema: KnownSchema, skipped: SkippedPart | undefined): PredictedLock[] {
  if (!skipped) return predictLocks(ast, schema);
  return combinedLocks(skipped.runs ? [...predictLocks(skipped.runs, schema), ...skipped.locks] : skipped.locks);
}

const droppedRelations = new Set(['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE']);
const droppedTypes = new Set(['OBJECT_TYPE', 'OBJECT_DOMAIN']);

/** DROP ... IF EXISTS: the objects that are gone are skipped, the rest dropped. */
function skippedDrop(body: Record<string, any>, state: KnownSchema): SkippedPart | undefined {
  const dotted = (items: { String?: { sval?: string } }[] | undefined) => tableKey((items ?? []).map((i) => i.String?.sval).join('.'));
  const gone = droppedRelations.has(body.removeType) ? (o: any) => state.relationGone(dotted(o.List?.items))
    : droppedTypes.has(body.removeType) ? (o: any) => state.typeGone(dotted(o.TypeName?.names))
      : undefined;
  if (!gone) return undefined;
  const objects: unknown[] = body.objects ?? [];
  const kept = objects.filter((o) => !gone(o));
  if (kept.length === objects.length) return undefined;
  return kept.length === 0 ? { locks: [] } : { runs: { DropStmt: { ...body, objects: kept } } as PgNode, locks: [] };
}

/**
 * ALTER TABLE IF EXISTS of a table that is gone is skipped whole; ADD COLUMN IF NOT EXISTS of a
 * column there, DROP COLUMN IF EXISTS of one gone, DROP CONSTRAINT IF EXISTS of one gone, alone:
 * PostgreSQL locks the table first (the strongest lock its subcommands ask, skipped or not).
 */
function skippedAlter(ast: PgNode, body: Record<string, any>, state: KnownSchema): SkippedPart | undefined {
  const name = relationName(body.relation);
  if (body.missing_ok && state.relationGone(name)) return { locks: [] };
  if (body.objtype !== 'OBJECT_TABLE') return undefined;
  const cmds: { AlterTableCmd?: Record<string, any> }[] = body.cmds ?? [];
  // Most ALTER TABLEs say no IF [NOT] EXISTS of a subcommand.
  if (!cmds.some((c) => c.AlterTableCmd?.missing_ok)) return undefined;
  /** What the subcommands before did to the columns: PostgreSQL runs them in order. */
  const added = new Set<string>();
  const dropped = new Set<string>();
  const kept: number[] = [];
  for (const [i, c] of cmds.entries()) {
    const cmd = c.AlterTableCmd ?? {};
    const column: string | undefined = cmd.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : cmd.name;
    const there = column !== undefined && !dropped.has(column) && (added.has(column) || state.columnThere(name, column));
    const gone = column !== undefined && !there && (dropped.has(column) || state.columnGone(name, column));
    const skip = cmd.missing_ok === true && (
      (cmd.subtype === 'AT_AddColumn' && there)
      || (cmd.subtype === 'AT_DropColumn' && gone)
      || (cmd.subtype === 'AT_DropConstraint' && state.constraintGone(name, cmd.name)));
    if (skip) continue;
    kept.push(i);
    if (cmd.subtype === 'AT_AddColumn' && column !== undefined) {
      added.add(column);
      dropped.delete(column);
    }
    if (cmd.subtype === 'AT_DropColumn' && column !== undefined) {
      dropped.add(column);
      added.delete(column);
    }
  }
  if (kept.length === cmds.length) return undefined;
  // The lock on the table (and, with it, its partitions), as the whole statement asks it.
  const key = tableKey(name);
  const partitions = new Set((state.partitionsOf?.(name) ?? []).map(tableKey));
  const locks = predictLocks(ast, state).filter((l) => tableKey(l.table) === key || partitions.has(tableKey(l.table)));
  return kept.length === 0 ? { locks } : { runs: { AlterTableStmt: { ...body, cmds: kept.map((i) => cmds[i]) } } as PgNode, kept, locks };
}
