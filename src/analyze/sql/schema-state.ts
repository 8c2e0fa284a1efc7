import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { forEachNode, someNode } from '../../sql/walk.js';
import { defaultSequence, foreignKeyWanted, readRelations, type ForeignKey, type ForeignKeyFilter } from '../../sql/locks.js';
import { ByColumnMap } from './by-column.js';
import { columnType, describeType, serialInteger, type ColumnType } from './types.js';
import { sequenceDraws, type SequenceDraws } from './sequence-draws.js';
import { applyChange, changeTargets, drawnSequences, freshPosition, identityPosition, sameRelation, sequenceChanges, type SequencePosition, type SequenceTarget } from './sequence-position.js';
import { skippedPart, type KnownSchema } from './skips.js';
import { node } from '../../sql/node.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { generatedNames, makeObjectName, withNames, type NamesTaken } from '../../sql/generated-names.js';
import type { ViewDroppedAlong } from '../compat/views.js';

export type Volatility = 'immutable' | 'stable' | 'volatile';

export interface ColumnState {
  type?: ColumnType;
  notNull: boolean;
  /** An INSERT may leave it out: it has a default, is an identity, serial or generated column. */
  hasDefault?: boolean;
  /** Its position in the table (an INSERT without a column list fills columns in this order); kept by a rename. */
  ordinal?: number;
  /**
   * Its DEFAULT expression as a parse tree's fingerprint (defaultFingerprint), null for none;
   * undefined when not known (a serial's, or a column known only from a change of its type).
   */
  defaultExpr?: string | null;
  /** Known only from ALTER COLUMN ... TYPE: its nullability and default are guesses. */
  partial?: boolean;
  /** The sequence its default draws from (serial, identity, DEFAULT nextval(...)), for the locks of an INSERT. */
  sequence?: string;
  /** Its sequence is the one PostgreSQL made with it (serial, identity), not one its DEFAULT names. */
  ownSequence?: true;
  /** An identity column: GENERATED ALWAYS (an INSERT may not give it a value) or BY DEFAULT. */
  identity?: 'always' | 'by default';
  /** What its serial's or identity's sequence draws, from the options it was made with; undefined once changed, or not known. */
  draws?: SequenceDraws;
  /** The COLLATE it was given; undefined for its type's default. */
  collation?: string;
  /**
   * A column known only from a change of its type (partial) whose collation that change set: the
   * new type's default, or its COLLATE (kinto's ALTER COLUMN id TYPE TEXT, then TEXT COLLATE "C"
   * in a later file: the thirty-third trial's G).
   */
  collationKnown?: true;
  /**
   * The column of the same table whose every value an UPDATE without WHERE copied into this one
   * (SET new = old, or old cast): dropping that column then loses nothing this one does not hold.
   */
  copyOf?: string;
  /** The copy went through an expression that keeps every value apart (old * 1024, 'a' || old): copySource(). */
  copyThrough?: true;
  /**
   * The column of the same table whose every value an UPDATE used to compute this one's, through
   * an expression that reads no other column and may not keep every value apart
   * (`SET j = jsonb_build_object('raw', b::text)`): not a copy (copyOf), but what the values went
   * into (destructive's message says so).
   */
  derivedFrom?: string;
}

/** A named constraint of a table, what rollbacks are compared on: its kind, validity and columns. */
export interface ConstraintState {
  readonly kind: 'check' | 'foreign key' | 'unique' | 'primary key' | 'exclusion';
  validated: boolean;
  /** The columns of the table it involves: dropping one drops it. */
  readonly columns: readonly string[];
  /** The index it took over (ADD CONSTRAINT ... USING INDEX), as indexTables keys it: dropped with it. */
  readonly index?: string;
}

export interface TableState {
  readonly name: string;
  /** Created by the plan or file being analysed (not the baseline): new, so nobody else uses it. */
  readonly createdHere: boolean;
  /**
   * A new table that is not empty: created from a query (CREATE TABLE AS, SELECT INTO) or filled
   * by INSERT ... SELECT. Locking it keeps nobody waiting, but a scan of it takes time, and a
   * foreign key's check holds its lock on the referenced table all that while.
   */
  readonly filled?: boolean;
  readonly columns: Map<string, ColumnState>;
  /** The ordinal the next column added gets: after every column it has had, as PostgreSQL numbers them. */
  nextOrdinal: number;
  /** CHECK constraints of the form (col IS NOT NULL), by name: column and whether validated. */
  readonly notNullChecks: Map<string, { column: string; validated: boolean }>;
  readonly indexes: Set<string>;
  /** Columns that identify one row on their own: a one-column primary key or unique constraint. */
  readonly uniqueColumns: Set<string>;
  /** Known only from what statements did to it (or made by CREATE TABLE AS): other columns may exist. */
  readonly partial?: boolean;
  /**
   * Every row of it an INSERT ... SELECT copied into another table (no WHERE, no LIMIT, no join),
   * with the columns the copy took as they were (a column alone, or cast): dropping it then loses
   * only the columns left out. Any write to it, or a DELETE, UPDATE or TRUNCATE of the copy, since
   * ends it (rowCopy()).
   */
  rowsCopiedInto?: {
    readonly table: string;
    readonly columns: readonly string[];
    readonly distinct?: true;
    /** The copy took only the rows where one of these columns holds a value: every value of each of them, not every row. */
    readonly nonNull?: readonly string[];
    /** The state's opaqueCount when the copy was made: a statement migc cannot read into since may have written to the table. */
    readonly opaqueCount: number;
  };
  /**
   * How many rows the statements read put in it, when that is all that is known to be in it: a
   * table a CREATE TABLE read made, written since by INSERT ... VALUES only (a version table seeded
   * with one row). Undefined once anything else may have written it (INSERT ... SELECT, COPY).
   */
  rowsInserted?: number;
  /**
   * Every column it has is known: made by a CREATE TABLE the analysis read (no LIKE, INHERITS or
   * PARTITION OF), and no statement since could have changed it unseen. The state's opaqueCount
   * when it was made: a later opaque statement (see noteOpaque) leaves it behind.
   */
  readonly columnsFrom?: number;
  /** Known only from ALTER TABLE IF EXISTS: it may not be there (CREATE TABLE IF NOT EXISTS is not sure to be skipped). */
  readonly mayBeAbsent?: boolean;
  /** Partitioned (CREATE TABLE ... PARTITION BY): its rows are in its partitions, its indexes are theirs. */
  readonly partitioned?: boolean;
  /** Its foreign keys, by constraint name: what its locks reach on other tables. */
  readonly foreignKeys: ByColumnMap<ForeignKeyState>;
  /** Its primary key and unique constraints, by name: their columns (foreign keys point at them). */
  readonly keyConstraints: ByColumnMap<KeyConstraint>;
  /**
   * Its unique indexes a foreign key can rely on (no WHERE, no expressions, not deferrable), by
   * name: those its primary key and unique constraints own (named as they are) and those CREATE
   * UNIQUE INDEX made. A foreign key depends on one of them (see ForeignKeyState.refIndex).
   */
  readonly uniqueIndexes: ByColumnMap<UniqueIndex>;
  /**
   * Every constraint it is known to have, by name (unnamed ones by the name PostgreSQL gives them,
   * where that is sure): what a rollback is compared on (rule MG129).
   */
  readonly constraints: ByColumnMap<ConstraintState>;
  /** Its triggers, by name. */
  readonly triggers: Set<string>;
  /** Columns a statement seen dropped (or renamed away) and none has added since: gone for sure (src/analyze/sql/skips.ts). */
  readonly droppedColumns: Set<string>;
  /** Constraints a statement seen dropped (or renamed away, or dropped with their column), by name: gone for sure. */
  readonly droppedConstraints: Set<string>;
}

/** What ALTER ... RENAME TO and SET SCHEMA rename among relations (noteRenamedTo). */
const renamedRelations = new Set(['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

/** Where a statement is, as the analysis applies it (lint; plans give none). */
export interface StatementPlace {
  /** Its file and line (lint). */
  readonly file?: string;
  readonly line?: number;
  /** In a DO block or a routine's body: a branch may have skipped it. */
  readonly inBody?: boolean;
  /** In a loop of such a body: it may run any number of times (an INSERT ... VALUES there fills a table). */
  readonly inLoop?: boolean;
  /** PostgreSQL refuses it (a finding says so for certain): it made nothing gone, though the analysis goes on as if it had run. */
  readonly refused?: boolean;
}

/** The statement that made a relation or type gone (SchemaState.droppedBy). */
export interface DroppedBy {
  readonly statement: PgNode;
  readonly at?: StatementPlace;
  /** The state's opaqueCount then: an opaque statement since may have made it again. */
  readonly opaqueCount: number;
  /** How, when not by its own name: "dropped it with column "e"", "renamed it to "u"". Undefined: "dropped it". */
  readonly how?: string;
}

export interface KeyConstraint {
  readonly columns: readonly string[];
  readonly primary: boolean;
}

/** A unique index a foreign key can rely on (TableState.uniqueIndexes). */
export interface UniqueIndex {
  /** Its key columns, in order. */
  readonly keys: readonly string[];
  /** Its key and INCLUDE columns: dropping one drops it. */
  readonly columns: readonly string[];
  /** When it was made, among every index the state has seen: PostgreSQL picks the oldest (lowest OID). */
  readonly id: number;
  /** Owned by the primary key or unique constraint of its name. */
  readonly constraint: boolean;
  readonly primary: boolean;
}

export interface ForeignKeyState {
  readonly columns: readonly string[];
  /** The referenced table, as tableKey() keys it. */
  readonly references: string;
  /** The referenced columns; empty when neither named nor known (the primary key of an unknown table). */
  readonly refColumns: readonly string[];
  /**
   * The id of the unique index of the referenced table it depends on, as PostgreSQL picked it when
   * the key was made: the primary key's for a key that names no columns, else the oldest unique
   * index whose keys are the referenced columns (in any order). Undefined when no such index was
   * known then. PostgreSQL refuses to drop that index, or its constraint, while the key is there.
   */
  readonly refIndex?: number;
  /** ON DELETE and ON UPDATE, as the parser spells them ('a' no action, 'c' cascade...), for the locks of their triggers. */
  readonly onDelete?: string;
  readonly onUpdate?: string;
}

/**
 * Statements that may move a sequence the statements seen did not make (SchemaState.sequenceMoves):
 * SELECT setval(...) (pg_dump writes it so; a DO block's PERFORM is one), ALTER SEQUENCE, ALTER
 * TABLE ... ALTER COLUMN ... RESTART (only an ALTER TABLE that changes an identity's options is
 * read: most are not). Other statements are read for it only while a sequence the statements made
 * is followed (sequencePositions).
 */
function mayMoveSequence(kind: string, body: Record<string, any>): boolean {
  if (kind === 'SelectStmt' || kind === 'AlterSeqStmt') return true;
  return kind === 'AlterTableStmt' && (body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => c.AlterTableCmd?.subtype === 'AT_SetIdentity');
}

/** The key of sequenceMoves for what a change named: one entry per sequence or column named. */
function sequenceMoveKey(target: SequenceTarget): string {
  if (target === 'any') return 'any';
  return 'sequence' in target ? `sequence ${tableKey(target.sequence)}` : `column ${tableKey(target.table)} ${target.column}`;
}

/**
 * Statements that write no row of a table and rename or drop nothing (SchemaState.unfilledColumns):
 * after any other (an UPDATE, DELETE, MERGE, COPY, a DO block, a SELECT that may call a function
 * that writes, a rename, a drop) a column added without a default may hold values, or be gone.
 */
const writesNoRows: ReadonlySet<string> = new Set([
  'AlterTableStmt', 'IndexStmt', 'CreateStmt', 'CommentStmt', 'GrantStmt', 'VariableSetStmt', 'CreateSeqStmt', 'AlterSeqStmt',
  'ViewStmt', 'CreateFunctionStmt', 'CreateTrigStmt', 'CreateEnumStmt', 'AlterEnumStmt', 'CreateDomainStmt', 'CompositeTypeStmt',
  'CreateSchemaStmt', 'TransactionStmt', 'LockStmt',
]);

/** The columns of the table a constraint, foreign key or index involves. */
const ownColumns = (c: { readonly columns: readonly string[] }) => c.columns;

const emptyTable = (name: string, createdHere: boolean): TableState => ({
  name, createdHere, columns: new Map(), nextOrdinal: 0, notNullChecks: new Map(), indexes: new Set(), uniqueColumns: new Set(), foreignKeys: new ByColumnMap<ForeignKeyState>(ownColumns),
  keyConstraints: new ByColumnMap<KeyConstraint>(ownColumns), uniqueIndexes: new ByColumnMap<UniqueIndex>(ownColumns), constraints: new ByColumnMap<ConstraintState>(ownColumns), triggers: new Set(),
  droppedColumns: new Set(), droppedConstraints: new Set(),
});

const names = (list: { String?: { sval?: string } }[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval ?? '?');

/** A domain's base type (tableKey() name; '' for an array) and its own constraints: CHECKs by name, and NOT NULL. */
export interface DomainConstraints {
  readonly base: string;
  /** The base type as SQL writes it, with its modifiers: integer, varchar(20), text[]. */
  readonly baseLabel: string;
  /** The base type as columnType() reads it, when it could. */
  readonly baseType?: ColumnType;
  readonly checks: readonly string[];
  /** Those of its CHECKs that NULL fails (CHECK (VALUE IS NOT NULL), ...: nullRefusingCheck), by name. */
  readonly nullRefusing: readonly string[];
  readonly notNull: boolean;
  /**
   * Whether it has a default that is not NULL: its own (CREATE DOMAIN's DEFAULT, ALTER DOMAIN SET
   * DEFAULT), or, without one, the default the domain it is over had when CREATE DOMAIN ran
   * (PostgreSQL copies it then: a default given to that domain later is not the new one's). A
   * column of it added without a default of its own gets it in every row.
   */
  readonly defaulted: boolean;
}

/** information_schema's domains with a constraint (PostgreSQL 15 and 18), by name: the other three have none. */
const informationSchemaChecks: Readonly<Record<string, string>> = {
  'information_schema.cardinal_number': 'cardinal_number_domain_check',
  'information_schema.yes_or_no': 'yes_or_no_check',
};

/** "users" and "public.users" are the same table under the default search_path. */
export function tableKey(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

/** What a migration made (tableKey() names; "table.column" for a column): what its rollback may drop or empty. */
export interface MadeObjects {
  readonly tables: ReadonlySet<string>;
  readonly columns: ReadonlySet<string>;
  readonly views: ReadonlySet<string>;
  /** Schemas (CREATE SCHEMA), by name: all a DROP SCHEMA ... CASCADE of one takes was made after it. */
  readonly schemas: ReadonlySet<string>;
  /** Indexes (CREATE INDEX), as indexTables keys them, still there: what a rollback's DROP INDEX may have meant (MG244). */
  readonly indexes: ReadonlySet<string>;
  /** Tables INSERT or COPY ... FROM put rows in, by tableKey(): rows a rollback's DELETE may take back (MG214). */
  readonly written: ReadonlySet<string>;
  /** Tables TRUNCATE or DELETE without WHERE emptied, by tableKey(): what was there before the up is gone already when a rollback empties them (MG214). */
  readonly emptied: ReadonlySet<string>;
}

/** A point in what a state has made (SchemaState.madeMark): how many of each so far. */
export interface MadeMark {
  readonly tables: number;
  readonly columns: number;
  readonly views: number;
  readonly schemas: number;
  readonly indexes: number;
  readonly written: number;
  readonly emptied: number;
}

/** Several migrations' made objects as one (the ups of one version, a file's up parts). */
export function madeTogether(a: MadeObjects | undefined, b: MadeObjects): MadeObjects {
  if (!a) return b;
  return { tables: new Set([...a.tables, ...b.tables]), columns: new Set([...a.columns, ...b.columns]), views: new Set([...a.views, ...b.views]), schemas: new Set([...a.schemas, ...b.schemas]), indexes: new Set([...a.indexes, ...b.indexes]), written: new Set([...a.written, ...b.written]), emptied: new Set([...a.emptied, ...b.emptied]) };
}

/**
 * What the analysis knows of the schema at a point in a plan or file: learnt from the baseline,
 * then from each statement as it is analysed. It only needs what the rules ask: which tables
 * exist and were created here, column types and nullability, validated NOT NULL checks.
 *
 * There is one state, changed in place; a rollback is judged against it as it is after its step,
 * inside tentatively(), which undoes the rollback's own changes afterwards. Every change goes
 * through the helpers below so that it can be undone: a copy of the state per step would make
 * memory grow with steps times tables (4,000 CREATE TABLE steps ran out of memory).
 */
export class SchemaState implements KnownSchema {
  readonly tables = new Map<string, TableState>();
  /**
   * Indexes created here, by name, with their table. This and the other collections of what is new
   * (newTypes, newViews, newColumns) are set aside whole by settleTentatively(), so read them from
   * the state each time.
   */
  newIndexes = new Map<string, string>();
  /** Every index the statements seen created, by name as tableKey() keys tables, with its table. */
  readonly indexTables = new Map<string, string>();
  /**
   * The indexes of indexTables under a schema named (not public; schema.name), by their bare name: what a bare
   * name may have meant under another search path (MG203), found without walking every index.
   */
  readonly qualifiedIndexes = new Map<string, readonly string[]>();
  /** Types (enums, composites, domains) created here since the last settle(): new, so no code uses them yet. */
  newTypes = new Set<string>();
  /** Functions created (or altered) by the statements seen, by name as tableKey() keys tables: their declared volatility. */
  readonly functions = new Map<string, Volatility>();
  /**
   * What uses each function, by its name's key: the indexes whose expressions or WHERE call it and
   * the triggers that execute it, each checked against the state when read (usersOfFunction), so
   * entries of objects dropped since need no undoing. DROP FUNCTION refuses to drop a function
   * they use, and CASCADE drops them with it.
   */
  private readonly functionUsers = new Map<string, readonly FunctionUser[]>();
  /** The functions each index and trigger (by FunctionUser's `key`) calls, as last made: an object made again under the same name counts as made then. */
  private readonly usedFunctions = new Map<string, readonly string[]>();
  /**
   * The functions and procedures the statements seen created and did not drop, by their name as
   * created (schema-qualified as tableKey() keys tables), one entry per argument list: what a call
   * of one runs (src/analyze/sql/routines.ts keeps it).
   */
  readonly routines = new Map<string, readonly Routine[]>();
  /** Every type (enum, composite, domain) the statements seen created and did not drop, by tableKey() name. */
  readonly types = new Set<string>();
  /** Casts the statements seen created (CREATE CAST), as `source target` in columnType() names: PostgreSQL's own are not all there is. */
  readonly casts = new Set<string>();
  /** Views (and materialized views) the statements seen created and did not drop: their columns are not tracked. */
  readonly views = new Set<string>();
  /** The partitions of each partitioned table, by the parent's key: what its DDL locks along with it. */
  readonly partitions = new Map<string, readonly string[]>();
  /** The relations each view and materialized view reads (as its query names them), for the locks of the queries that read it. */
  readonly viewReads = new Map<string, readonly string[]>();
  /** Views created here since the last settle(): new, so no code reads them yet. */
  newViews = new Set<string>();
  /** Tables an UPDATE or DELETE wrote since the last settle() (this migration), by tableKey(): their rows may have been moved off a value. */
  rowsChanged = new Set<string>();
  /** Tables INSERT or COPY ... FROM put rows in since the last settle(), by tableKey(): what a rollback of this migration may delete again (MadeObjects.written). */
  rowsWritten = new Set<string>();
  /** Tables TRUNCATE or DELETE without WHERE emptied since the last settle(), by tableKey() (MadeObjects.emptied). */
  rowsEmptied = new Set<string>();
  /** Sequences CREATE SEQUENCE made here since the last settle() (by tableKey() name, as renamed since): new, so nobody else draws from them. */
  newSequences = new Set<string>();
  /** Columns added here since the last settle(), as "table.column" (tableKey): new, so nothing was in them. */
  newColumns = new Set<string>();
  /** Schemas the statements seen created (CREATE SCHEMA) and did not drop, by name. */
  readonly schemas = new Set<string>();
  /** Schemas created here since the last settle(): new, so nothing was in them before. */
  newSchemas = new Set<string>();
  /**
   * Columns added here since the last settle() without a default (NULL in every row the table
   * had) that no statement since may have filled, as "table.column" (tableKey): SET NOT NULL on
   * one fails on a table with a row (MG207). Any statement that may write rows (an UPDATE, a
   * DELETE, a DO block, a function call, ...) forgets them all; so does a rename or a drop.
   */
  unfilledColumns = new Set<string>();
  /**
   * Tables renamed (or moved to another schema) since the last settle(): each new name (tableKey)
   * with the name the table had before the first of them. A rollback that renames a table its up
   * made is still at that table (originalName()).
   */
  renamedHere = new Map<string, string>();
  /** The columns each index of indexTables involves (its keys, expressions and WHERE): dropping one drops it. */
  readonly indexColumns = new ByColumnMap<readonly string[]>((columns) => columns);
  /** What a change of a column's type does to each index of indexColumns that CREATE INDEX made depends on (IndexShape). */
  private readonly indexShapes = new ByColumnMap<IndexShape>((shape) => shape.included);
  /** The indexes of indexTables on each table, by tableKey: what a DROP COLUMN or DROP TABLE takes along, without walking every index. */
  private readonly indexesOn = new Map<string, readonly string[]>();
  /**
   * Functions and procedures by "name(argument types)", and views by name ("view name"): the
   * fingerprint of the statement that defined them, "?" once altered (what a rollback is compared on).
   */
  readonly definitions = new Map<string, string>();
  /** The values of each enum type the statements seen created, by tableKey() name. */
  readonly enumValues = new Map<string, readonly string[]>();
  /**
   * The domains the statements seen created and did not drop, by tableKey() name: what each is
   * over and its own constraints (CREATE DOMAIN's, then ALTER DOMAIN's). A column of a domain with
   * constraints, its own or those of the domain it is over, is checked row by row (MG205).
   */
  readonly domains = new Map<string, DomainConstraints>();
  /** Sequences CREATE SEQUENCE made (statements seen) and no statement dropped, by tableKey() name. */
  readonly sequences = new Set<string>();
  /** What each of those sequences draws, from CREATE SEQUENCE's options, until ALTER SEQUENCE, a rename or a drop. */
  readonly sequenceDraws = new Map<string, SequenceDraws>();
  /**
   * Where each sequence the statements seen made stands (CREATE SEQUENCE, and the identity ALTER
   * TABLE ... ADD GENERATED ... AS IDENTITY gave a column), by tableKey() name: kept across
   * settle(), as the sequence keeps its place from one migration to the next. Forgotten at a drop.
   */
  readonly sequencePositions = new Map<string, SequencePosition>();
  /** The id the next sequence made gets (SequencePosition.id). */
  private nextSequenceId = 0;
  /**
   * When a statement last moved a sequence (a setval(), ALTER SEQUENCE ... RESTART, ALTER COLUMN
   * ... RESTART), any sequence, made here or not, by what it named (sequenceMoveKey): a count of
   * the statements applied, compared with sequenceClock() at a finding (MG236 on a table an
   * earlier migration made waits for the end of the run to see whether one did). Never undone.
   */
  private readonly sequenceMoves = new Map<string, { readonly target: SequenceTarget; readonly at: number; readonly next?: bigint }>();
  private sequenceMoveCount = 0;
  /** Columns filled with another table's column by INSERT ... SELECT (noteIdsCopied): "x.c" to "y.k". */
  private readonly idsCopiedFrom = new Map<string, string>();
  /**
   * Relations (tables, views, indexes, sequences) and types a statement seen dropped or renamed
   * away, and none has created since, as "relation name" and "type name" (tableKey): gone for
   * sure, so DROP ... IF EXISTS of them does nothing. A name never seen is not in it: unknown.
   */
  readonly dropped = new Set<string>();
  /**
   * For each key of `dropped`: the statement that made it gone, where it is, and how (DroppedBy).
   * A DROP without IF EXISTS of such a name is refused (MG244).
   */
  readonly droppedBy = new Map<string, DroppedBy>();
  /** The statement apply() is learning from, and where it is: what noteDropped() records. */
  private applying: { readonly statement: PgNode; readonly at?: StatementPlace } | undefined;
  /** How the statement being applied makes a relation or type gone, when not by its name (DroppedBy.how). */
  private goneHow: string | undefined;
  /** Undo actions of the changes made inside tentatively(), newest last; undefined outside. */
  private journal: (() => void)[] | undefined;
  /** Keys of tables set or deleted, in order: what may have changed whether a table is new. */
  private readonly tableChanges: string[] = [];
  /** Keys of tables created here since the last settle(). */
  private created: string[] = [];
  /**
   * The views and columns made here since the last settle(), in order (what was dropped or renamed
   * since left in): madeSince() reads what came after a mark, and checks each is still new.
   */
  private madeLog: { columns: string[]; views: string[]; schemas: string[]; indexes: string[]; written: string[]; emptied: string[] } = { columns: [], views: [], schemas: [], indexes: [], written: [], emptied: [] };
  /**
   * Keys of the tables that have had a foreign key to a table, by that table's key: candidates
   * for foreignKeysAt(), checked against their keys when read. Only ever added to, so it needs
   * no undoing; without it every lookup walks every table's keys.
   */
  private readonly referrers = new Map<string, Set<string>>();

  /**
   * Every name a constraint was given (or renamed to) in the statements seen, with the opaqueCount
   * then: a name not in it is no constraint's, so namesTaken() looks through the tables only for
   * the few that are; one given before the last opaque statement (dynamic SQL may have dropped
   * it) is taken as free, as PostgreSQL's first choice. Needs no undoing: namesTaken() checks the
   * tables.
   */
  private readonly constraintNames = new Map<string, number>();

  /**
   * What the schema of a table holds that the name PostgreSQL gives an unnamed index or constraint
   * on it avoids (src/sql/generated-names.ts): its relations, and its constraints on any table.
   */
  namesTaken(table: string): NamesTaken {
    const key = tableKey(table);
    const schema = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
    const constraintOf = (name: string, owningIndex: boolean): boolean => {
      if (this.constraintNames.get(name) !== this.opaqueCount) return false;
      for (const t of this.tables.values()) {
        if ((t.name.includes('.') ? t.name.slice(0, t.name.lastIndexOf('.')) : '') !== schema) continue;
        const c = t.constraints.get(name);
        if (t.keyConstraints.has(name) || t.uniqueIndexes.get(name)?.constraint) return true;
        if (!owningIndex && (t.foreignKeys.has(name) || t.notNullChecks.has(name) || c)) return true;
        if (owningIndex && c && c.kind !== 'check' && c.kind !== 'foreign key') return true;
      }
      return false;
    };
    return {
      relation: (name) => {
        const k = tableKey(schema ? `${schema}.${name}` : name);
        return this.tables.has(k) || this.indexTables.has(k) || this.views.has(k) || this.sequences.has(k) || constraintOf(name, true);
      },
      constraint: (name) => constraintOf(name, false),
      droppedWithColumn: (column) => {
        const t = this.table(table);
        const freed: string[] = [];
        if (!t) return freed;
        const free = (map: ReadonlyMap<string, { readonly columns: readonly string[] }>) => {
          for (const [n, on] of map) if (on.columns.includes(column)) freed.push(n);
        };
        if (t.constraints.involves(column)) free(t.constraints);
        if (t.keyConstraints.involves(column)) free(t.keyConstraints);
        if (t.uniqueIndexes.involves(column)) free(t.uniqueIndexes);
        if (t.foreignKeys.involves(column)) free(t.foreignKeys);
        for (const index of this.indexesOn.get(t.name) ?? []) if (this.indexColumns.get(index)?.includes(column)) freed.push(index.slice(index.lastIndexOf('.') + 1));
        return freed;
      },
    };
  }

  /** The names PostgreSQL gives what the statement makes unnamed, by their nodes (src/sql/generated-names.ts), in this schema. */
  generatedNames(statement: PgNode): Map<object, string> {
    const [kind, body] = Object.entries(statement)[0] as [string, Record<string, any>];
    if ((kind !== 'CreateStmt' && kind !== 'AlterTableStmt' && kind !== 'IndexStmt') || !body.relation) return new Map();
    return generatedNames(statement, this.namesTaken(relationName(body.relation)));
  }

  /**
   * The statement with the names PostgreSQL gives what it makes unnamed written in (conname, idxname).
   * The last answer is kept while the state is unchanged: the rules that judge a statement and
   * apply() after them ask for the same statement against the same state (four times each).
   */
  withGeneratedNames(statement: PgNode): PgNode {
    const last = this.lastNamed;
    if (last?.statement === statement && last.revision === this.revision) return last.named;
    const named = withNames(statement, this.generatedNames(statement));
    this.lastNamed = { statement, revision: this.revision, named };
    return named;
  }

  /**
   * Counts the changes: every public way in (apply, noteOpaque, setRoutines, settle, the undoing
   * at the end of tentatively) moves it on, so an answer kept under one revision is still true.
   */
  private revision = 0;
  private lastNamed: { readonly statement: PgNode; readonly revision: number; readonly named: PgNode } | undefined;

  /**
   * A statement seen made a relation in pg_catalog, or moved one there (an extension script's
   * ALTER TABLE citus.t SET SCHEMA pg_catalog): bare names may then find it first
   * (qualifyRelations). Set once, never undone: it only costs the look-up.
   */
  catalogRelations = false;
  /** Statements seen that may have changed tables in ways the analysis cannot read (see noteOpaque). */
  opaqueCount = 0;

  /**
   * The id the next unique index gets (UniqueIndex.id): ids only grow, as OIDs do, so a lower one
   * is an older index. Not undone by tentatively(): only the order of ids matters.
   */
  private nextIndexId = 0;

  /**
   * A statement ran whose changes the analysis cannot read: a DO block with dynamic SQL or in
   * another language, a procedure CALL. From here on no table's columns are all known.
   */
  noteOpaque(names?: ReadonlySet<string>): void {
    this.revision++;
    this.assign(this as SchemaState, 'opaqueCount', this.opaqueCount + 1);
    if (names?.size) this.setIn(this.opaqueNames, this.opaqueCount, names);
  }

  /**
   * The string constants each statement migc could not read through named, by the opaqueCount it
   * made (a helper's arguments: oVirt's fn_db_create_index('idx_vm_backups_vm_id', 'vm_backups',
   * 'vm_id')); none for a DO block.
   */
  private readonly opaqueNames = new Map<number, ReadonlySet<string>>();

  /** Whether a statement migc could not read through since the state's opaqueCount was `count` named every one of `names` (opaqueNames). */
  opaqueNamedSince(count: number, names: readonly string[]): boolean {
    for (let i = count + 1; i <= this.opaqueCount; i++) {
      const named = this.opaqueNames.get(i);
      if (named && names.every((n) => named.has(n))) return true;
    }
    return false;
  }

  /** The routines of a name now (none: forgotten); undone by tentatively() as any change. */
  setRoutines(name: string, routines: readonly Routine[]): void {
    this.revision++;
    if (routines.length > 0) this.setIn(this.routines, name, routines);
    else if (this.routines.has(name)) this.deleteIn(this.routines, name);
  }

  /** Whether every column of the table is known (TableState.columnsFrom). */
  columnsAllKnown(name: string): boolean {
    const t = this.table(name);
    return t !== undefined && !t.partial && t.columnsFrom === this.opaqueCount;
  }

  /** A mark of what has been made so far, for madeSince(). */
  madeMark(): MadeMark {
    return { tables: this.created.length, columns: this.madeLog.columns.length, views: this.madeLog.views.length, schemas: this.madeLog.schemas.length, indexes: this.madeLog.indexes.length, written: this.madeLog.written.length, emptied: this.madeLog.emptied.length };
  }

  /**
   * What was made after a mark (madeMark) and is still new, the state left as it is: in a run of
   * files in one transaction, which settles nothing, what one file made. A mark taken before the
   * last settle() reads from the settle on. Costs what was made since the mark, not since the start.
   */
  madeSince(mark: MadeMark): MadeObjects {
    const after = <T>(list: readonly T[], from: number) => (from <= list.length ? list.slice(from) : list);
    return {
      tables: new Set(after(this.created, mark.tables).filter((k) => this.tables.get(k)?.createdHere)),
      columns: new Set(after(this.madeLog.columns, mark.columns).filter((c) => this.newColumns.has(c))),
      views: new Set(after(this.madeLog.views, mark.views).filter((v) => this.newViews.has(v))),
      schemas: new Set(after(this.madeLog.schemas, mark.schemas).filter((v) => this.newSchemas.has(v))),
      indexes: new Set(after(this.madeLog.indexes, mark.indexes).filter((i) => this.indexTables.has(i))),
      written: new Set(after(this.madeLog.written, mark.written).filter((t) => this.rowsWritten.has(t))),
      emptied: new Set(after(this.madeLog.emptied, mark.emptied).filter((t) => this.rowsEmptied.has(t))),
    };
  }

  /**
   * After a file: what it created is no longer new (the next migration may run months later).
   * Returns what was made since the last settle(): what a rollback of that migration may drop.
   */
  settle(): MadeObjects {
    this.revision++;
    const made: MadeObjects = {
      tables: new Set(this.created.filter((k) => this.tables.get(k)?.createdHere)),
      columns: new Set(this.newColumns),
      views: new Set(this.newViews),
      schemas: new Set(this.newSchemas),
      indexes: new Set(this.madeLog.indexes.filter((i) => this.indexTables.has(i))),
      written: new Set(this.rowsWritten),
      emptied: new Set(this.rowsEmptied),
    };
    for (const k of this.created) {
      const t = this.tables.get(k);
      if (t?.createdHere) this.setTable(k, { ...t, createdHere: false });
    }
    this.created = [];
    this.madeLog = { columns: [], views: [], schemas: [], indexes: [], written: [], emptied: [] };
    this.newIndexes.clear();
    this.newTypes.clear();
    for (const k of this.newViews) this.noteRelationChange(k);
    this.newViews.clear();
    for (const k of this.newSequences) this.noteRelationChange(k);
    this.newSequences.clear();
    this.rowsChanged.clear();
    this.rowsWritten.clear();
    this.rowsEmptied.clear();
    this.newColumns.clear();
    this.newSchemas.clear();
    this.unfilledColumns.clear();
    this.renamedHere.clear();
    this.forgetEarlierCopies();
    // A sequence something draws from has given the application values since.
    for (const [name, position] of this.sequencePositions) if (position.drawnFrom && !position.inUse) this.setIn(this.sequencePositions, name, { ...position, inUse: true });
    return made;
  }

  /**
   * settle() inside tentatively(), undone with the rest: a rollback in a run of files in one
   * transaction, which settles nothing itself, judged after its up has been live; the next file
   * finds what the run made new again. A rollback per migration of a long run settles every table
   * the run made, so this costs little per table: a table only turns old (its foreign keys and
   * name stay), set directly and kept from one rollback to the next while it does not change, and
   * undone in one step. Nor is it noted for what caches newness (tableChangesSince): what reads it
   * during the rollback is made after this, and what was made before finds every table as it left
   * it once the rollback is undone.
   */
  settleTentatively(): void {
    const journal = this.journal;
    if (!journal) throw new Error('settleTentatively() outside tentatively()');
    this.revision++;
    const turned: [string, TableState][] = [];
    for (const k of this.created) {
      const t = this.tables.get(k);
      if (!t?.createdHere) continue;
      turned.push([k, t]);
      let old = this.settledCopies.get(t);
      if (!old) this.settledCopies.set(t, (old = { ...t, createdHere: false }));
      this.tables.set(k, old);
    }
    // The collections of what is new are set aside whole, and put back.
    const kept = { created: this.created, madeLog: this.madeLog, newIndexes: this.newIndexes, newTypes: this.newTypes, newViews: this.newViews, newSequences: this.newSequences, rowsChanged: this.rowsChanged, rowsWritten: this.rowsWritten, rowsEmptied: this.rowsEmptied, newColumns: this.newColumns, newSchemas: this.newSchemas, unfilledColumns: this.unfilledColumns, renamedHere: this.renamedHere };
    journal.push(() => {
      for (const [k, t] of turned) this.tables.set(k, t);
      Object.assign(this, kept);
      for (const k of kept.newViews) this.noteRelationChange(k);
      for (const k of kept.newSequences) this.noteRelationChange(k);
    });
    for (const k of this.newViews) this.noteRelationChange(k);
    for (const k of this.newSequences) this.noteRelationChange(k);
    Object.assign(this, { created: [], madeLog: { columns: [], views: [], schemas: [], indexes: [], written: [], emptied: [] }, newIndexes: new Map(), newTypes: new Set(), newViews: new Set(), newSequences: new Set(), rowsChanged: new Set(), rowsWritten: new Set(), rowsEmptied: new Set(), newColumns: new Set(), newSchemas: new Set(), unfilledColumns: new Set(), renamedHere: new Map() });
    this.forgetEarlierCopies();
  }

  /** The name a table had before this migration renamed it (renamedHere), or its own. */
  originalName(name: string): string {
    const key = tableKey(name);
    return this.renamedHere.get(key) ?? key;
  }

  /** A table as settleTentatively() turns it old, kept while the table does not change. */
  private readonly settledCopies = new WeakMap<TableState, TableState>();

  /**
   * A relation whose "is new" may have changed other than through its table (a view created or
   * dropped here): tableChangesSince() reports it too, so what caches newness looks again.
   */
  private noteRelationChange(key: string): void {
    this.tableChanges.push(key);
    if (this.journal) this.journal.push(() => this.tableChanges.push(key));
  }

  /**
   * A table renamed, or moved to another schema (`index`: where each of its indexes goes then;
   * a rename leaves them where they are). Foreign keys follow the table they point at, indexes
   * the table they are on, and its new columns stay new under its new name.
   */
  private moveTable(table: TableState, to: string, index?: (name: string) => string): void {
    if (to === table.name) return;
    this.deleteTable(table.name);
    const renamed = { ...table, name: to };
    this.setTable(to, renamed);
    this.setIn(this.renamedHere, to, this.renamedHere.get(table.name) ?? table.name);
    for (const t of this.referencing(table.name)) {
      for (const [fkName, fk] of t.foreignKeys) if (fk.references === table.name) this.setForeignKey(t, fkName, { ...fk, references: to });
    }
    for (const name of this.indexesOn.get(table.name) ?? []) {
      const there = index?.(name) ?? name;
      const columns = this.indexColumns.get(name);
      const shape = this.indexShapes.get(name);
      if (there !== name) this.dropIndex(name);
      this.setIndexTable(there, to);
      if (columns && there !== name) this.setIn(this.indexColumns, there, columns);
      if (shape && there !== name) this.setIn(this.indexShapes, there, shape);
    }
    for (const key of [...this.newColumns]) {
      if (!key.startsWith(`${table.name}.`)) continue;
      this.deleteFrom(this.newColumns, key);
      this.addTo(this.newColumns, `${to}${key.slice(table.name.length)}`);
    }
  }

  /** A view renamed or moved to another schema: what it is and reads, under its new name. */
  private moveView(from: string, to: string): void {
    if (from === to) return;
    if (this.views.has(from)) {
      this.deleteFrom(this.views, from);
      this.addTo(this.views, to);
      this.noteDropped('relation', from, true);
      this.noteDropped('relation', to, false);
    }
    if (this.newViews.has(from)) {
      this.deleteFrom(this.newViews, from);
      this.addNew(this.newViews, this.madeLog.views, to);
      this.noteRelationChange(from);
      this.noteRelationChange(to);
    }
    const definition = this.definitions.get(`view ${from}`);
    if (definition !== undefined) {
      this.deleteIn(this.definitions, `view ${from}`);
      this.setIn(this.definitions, `view ${to}`, definition);
    }
    const reads = this.viewReads.get(from);
    if (reads) {
      this.deleteIn(this.viewReads, from);
      this.setIn(this.viewReads, to, reads);
    }
  }

  /** A sequence renamed or moved to another schema. */
  private moveSequence(from: string, to: string): void {
    if (from === to || !this.sequences.has(from)) return;
    this.deleteFrom(this.sequences, from);
    this.deleteIn(this.sequenceDraws, from);
    const position = this.sequencePositions.get(from);
    if (position) {
      this.deleteIn(this.sequencePositions, from);
      this.setIn(this.sequencePositions, to, position);
    }
    this.noteDropped('relation', from, true);
    this.addTo(this.sequences, to);
    this.noteDropped('relation', to, false);
    if (this.newSequences.has(from)) {
      this.deleteFrom(this.newSequences, from);
      this.addTo(this.newSequences, to);
      this.noteRelationChange(from);
      this.noteRelationChange(to);
    }
  }

  /**
   * A PL/pgSQL PERFORM of a body (a DO block's, a routine's at its call): a query run for what it
   * does, not learnt from as a statement; what it does to sequences is (PERFORM setval(...)).
   */
  applyPerform(ast: PgNode): void {
    this.revision++;
    this.moveSequences(ast);
  }

  /** What the statement does to where the sequences made stand (sequenceChanges). */
  private moveSequences(ast: PgNode): void {
    for (const change of sequenceChanges(ast)) {
      // Kept when a tentative change is undone: a setval() in a branch that may run (a DO block's
      // IF; reportportal's 84 moves attribute_id_seq so), or in a rollback, counts as one.
      if (change.next) this.sequenceMoves.set(sequenceMoveKey(change.target), { target: change.target, at: ++this.sequenceMoveCount, ...(typeof change.next.to === 'bigint' ? { next: change.next.to } : {}) });
      for (const [name, position] of this.sequencePositions) {
        if (changeTargets(change, name, position)) this.setIn(this.sequencePositions, name, applyChange(position, change));
      }
    }
    if (this.sequencePositions.size === 0) return;
    for (const { name: drawn, drawsNow } of drawnSequences(ast)) {
      for (const [name, position] of this.sequencePositions) {
        if (!sameRelation(name, drawn) || (position.drawnFrom && (!drawsNow || position.next === undefined))) continue;
        // Drawn from as it runs: as many values as rows, where it stands then is not known.
        this.setIn(this.sequencePositions, name, { ...position, drawnFrom: true, ...(drawsNow ? { next: undefined } : {}) });
      }
    }
  }

  /**
   * INSERT INTO x (c, ...) SELECT y.k, ... FROM y ...: the values of x.c were taken from y.k (a
   * column of a table of its FROM, bare or under its alias or name, maybe cast), as "x.c" to
   * "y.k" (tableKey names): goalert's `INSERT INTO schedules (id, ...) SELECT id::UUID, ... FROM
   * schedule` gives the new table the old one's ids, so a key on the one and a key on the other
   * hold the same values (MG253). Kept for the run; a column of the same name copied again takes
   * the newer source.
   */
  private noteIdsCopied(into: string, cols: readonly { ResTarget?: { name?: string } }[], select: Record<string, any>): void {
    const from = new Map<string, string>();
    const tables: string[] = [];
    const collect = (item: any): void => {
      if (item?.RangeVar) {
        const name = tableKey(relationName(item.RangeVar));
        tables.push(name);
        from.set(item.RangeVar.alias?.aliasname ?? item.RangeVar.relname, name);
      } else if (item?.JoinExpr) {
        collect(item.JoinExpr.larg);
        collect(item.JoinExpr.rarg);
      }
    };
    for (const item of select.fromClause ?? []) collect(item);
    const targets: any[] = select.targetList ?? [];
    for (const [i, col] of cols.entries()) {
      let value = targets[i]?.ResTarget?.val;
      while (value?.TypeCast) value = value.TypeCast.arg;
      const fields: string[] | undefined = value?.ColumnRef?.fields?.map((f: { String?: { sval?: string } }) => f.String?.sval);
      const source = fields?.length === 2 ? from.get(fields[0]!) : fields?.length === 1 && tables.length === 1 ? tables[0] : undefined;
      if (col.ResTarget?.name === undefined || source === undefined) continue;
      this.setIn(this.idsCopiedFrom, `${into}.${col.ResTarget.name}`, `${source}.${fields!.at(-1)}`);
    }
  }

  /** The column x.c took its values from (noteIdsCopied), as "y.k", if any. */
  copiedFrom(table: string, column: string): string | undefined {
    return this.idsCopiedFrom.size === 0 ? undefined : this.idsCopiedFrom.get(`${tableKey(table)}.${column}`);
  }

  /** The count of sequence moves so far: a later sequenceMovedSince(since) is true when one moved it after. */
  sequenceClock(): number {
    return this.sequenceMoveCount;
  }

  /**
   * Whether a statement applied since sequenceClock() gave `since` moved the sequence `sequence`,
   * the default of `table`.`column`: by its name, by pg_get_serial_sequence(table, column), by
   * the column's identity options, or a setval() of a name migc cannot read.
   */
  sequenceMovedSince(since: number, sequence: string, table: string, column: string): boolean {
    if (this.sequenceMoveCount === since) return false;
    for (const { target, at } of this.sequenceMoves.values()) {
      if (at <= since) continue;
      if (target === 'any') return true;
      if ('sequence' in target ? sameRelation(target.sequence, sequence) : target.column === column && sameRelation(target.table, table)) return true;
    }
    return false;
  }

  /**
   * Where the last statement that moved the sequence `sequence` (the default of `table`.`column`)
   * left it, when it said so with constants (setval(seq, 1001): its next value, 1002); undefined
   * when none did, when the last one's value is not known, or a setval() of a name migc cannot
   * read came after it.
   */
  lastMovedTo(sequence: string, table: string, column: string): bigint | undefined {
    let last: { at: number; next?: bigint } | undefined;
    for (const move of this.sequenceMoves.values()) {
      const { target } = move;
      const hits = target === 'any' || ('sequence' in target ? sameRelation(target.sequence, sequence) : target.column === column && sameRelation(target.table, table));
      if (hits && (last === undefined || move.at > last.at)) last = move;
    }
    return last?.next;
  }

  /** The name of the sequence a column's identity made (SequencePosition.ownedBy), when it is one the statements seen made. */
  identitySequence(table: string, column: string): string | undefined {
    for (const [name, position] of this.sequencePositions) {
      if (position.ownedBy?.column === column && sameRelation(position.ownedBy.table, table)) return name;
    }
    return undefined;
  }

  /**
   * The constraints a value of this type is checked against (CHECK constraints by name, and NOT
   * NULL), with the domain that has each: the type's own when it is a domain the statements seen
   * created, then those of the domain it is over, and so on; information_schema's cardinal_number
   * and yes_or_no have a CHECK each. Empty for any other type. `path`: where a bare name is also
   * looked for, in order, when no domain is known by the name as written.
   */
  domainConstraints(type: string, path: readonly string[] = []): { readonly domain: string; readonly constraint: string }[] {
    const found: { domain: string; constraint: string }[] = [];
    const builtin = informationSchemaChecks[type];
    if (builtin) return [{ domain: type, constraint: builtin }];
    let key: string | undefined = tableKey(type);
    if (!this.domains.has(key) && !type.includes('.')) key = path.map((schema) => tableKey(`${schema}.${type}`)).find((k) => this.domains.has(k)) ?? key;
    // A chain is finite: CREATE DOMAIN names a type that exists already; `seen` guards anyway.
    for (const seen = new Set<string>(); key !== undefined && !seen.has(key); ) {
      seen.add(key);
      const domain = this.domains.get(key);
      if (!domain) {
        const over = informationSchemaChecks[key];
        if (over) found.push({ domain: key, constraint: over });
        break;
      }
      for (const check of domain.checks) found.push({ domain: key, constraint: check });
      if (domain.notNull) found.push({ domain: key, constraint: 'NOT NULL' });
      key = domain.base;
    }
    return found;
  }

  /**
   * What a domain the statements seen created makes of a value that is NULL, when the type is one:
   * `refusedBy`, the first constraint along its chain that NULL fails (a NOT NULL, or a CHECK that
   * is false for NULL), with the domain that has it; `defaulted`, whether the domain itself has a
   * default (see DomainConstraints). Undefined for any other type (information_schema's two
   * domains with a CHECK let NULL pass). `path` as for domainConstraints().
   */
  domainOnNull(type: string, path: readonly string[] = []): { readonly domain: string; readonly defaulted: boolean; readonly refusedBy?: { readonly domain: string; readonly constraint: string } } | undefined {
    let key = tableKey(type);
    if (!this.domains.has(key) && !type.includes('.')) key = path.map((schema) => tableKey(`${schema}.${type}`)).find((k) => this.domains.has(k)) ?? key;
    const top = this.domains.get(key);
    if (!top) return undefined;
    const domain = key;
    for (const seen = new Set<string>(); !seen.has(key); ) {
      seen.add(key);
      const d = this.domains.get(key);
      if (!d) break;
      // PostgreSQL checks NOT NULL first, then the CHECKs (domain_check_input).
      const constraint = d.notNull ? 'NOT NULL' : d.nullRefusing[0];
      if (constraint !== undefined) return { domain, defaulted: top.defaulted, refusedBy: { domain: key, constraint } };
      key = d.base;
    }
    return { domain, defaulted: top.defaulted };
  }

  /** The type a domain the statements seen created is over at the end of its chain, as SQL writes it (integer, varchar(20)), when known. */
  domainBase(type: string): string | undefined {
    let domain = this.domains.get(tableKey(type));
    for (const seen = new Set<DomainConstraints>(); domain && !seen.has(domain); ) {
      seen.add(domain);
      const over = this.domains.get(domain.base);
      if (!over) return domain.base === '' || informationSchemaChecks[domain.base] ? undefined : domain.baseLabel;
      domain = over;
    }
    return undefined;
  }

  /** A domain's constraints as a statement changes them (CREATE DOMAIN, ALTER DOMAIN, RENAME CONSTRAINT). */
  private learnDomain(kind: string, body: Record<string, any>): void {
    const dottedNames = (list: { String?: { sval?: string } }[] | undefined) => tableKey((list ?? []).map((n) => n.String?.sval ?? '?').join('.'));
    // An unnamed CHECK is named <domain>_check, then <domain>_check1, ... (checked on PostgreSQL).
    const named = (domain: string, checks: readonly string[], conname: string | undefined) => {
      if (conname !== undefined) return conname;
      const bare = domain.slice(domain.lastIndexOf('.') + 1);
      let name = `${bare}_check`;
      for (let i = 1; checks.includes(name); i++) name = `${bare}_check${i}`;
      return name;
    };
    if (kind === 'CreateDomainStmt') {
      const name = dottedNames(body.domainname);
      const type = columnType(body.typeName);
      const checks: string[] = [];
      const nullRefusing: string[] = [];
      let notNull = false;
      // Without a DEFAULT of its own, the default of the domain it is over, as it is now.
      let defaulted = type && !type.array ? this.domains.get(tableKey(type.name))?.defaulted ?? false : false;
      for (const c of (body.constraints ?? []) as { Constraint?: { contype?: string; conname?: string; raw_expr?: Record<string, any> } }[]) {
        if (c.Constraint?.contype === 'CONSTR_CHECK') {
          const check = named(name, checks, c.Constraint.conname);
          checks.push(check);
          if (nullRefusingCheck(c.Constraint.raw_expr)) nullRefusing.push(check);
        } else if (c.Constraint?.contype === 'CONSTR_NOTNULL') notNull = true;
        else if (c.Constraint?.contype === 'CONSTR_NULL') notNull = false;
        else if (c.Constraint?.contype === 'CONSTR_DEFAULT') defaulted = !isNullConstant(c.Constraint.raw_expr);
      }
      // An array of a domain is no domain: its values are not checked against the domain's constraints.
      this.setIn(this.domains, name, { base: type && !type.array ? tableKey(type.name) : '', baseLabel: type ? describeType(type) : '', ...(type ? { baseType: type } : {}), checks, nullRefusing, notNull, defaulted });
      return;
    }
    if (kind === 'RenameStmt') {
      const name = dottedNames(body.object?.List?.items);
      const domain = this.domains.get(name);
      const renamed = (list: readonly string[]) => list.map((c) => (c === body.subname ? body.newname : c));
      if (domain) this.setIn(this.domains, name, { ...domain, checks: renamed(domain.checks), nullRefusing: renamed(domain.nullRefusing) });
      return;
    }
    const name = dottedNames(body.typeName);
    const domain = this.domains.get(name);
    if (!domain) return;
    const con = body.def?.Constraint as { contype?: string; conname?: string; raw_expr?: Record<string, any> } | undefined;
    if (body.subtype === 'C' && con?.contype === 'CONSTR_CHECK') {
      // NOT VALID or not, a CHECK added to a domain is checked on every value from now on.
      const check = named(name, domain.checks, con.conname);
      this.setIn(this.domains, name, { ...domain, checks: [...domain.checks, check], nullRefusing: nullRefusingCheck(con.raw_expr) ? [...domain.nullRefusing, check] : domain.nullRefusing });
    } else if (body.subtype === 'C' && con?.contype === 'CONSTR_NOTNULL') this.setIn(this.domains, name, { ...domain, notNull: true });
    else if (body.subtype === 'X') this.setIn(this.domains, name, { ...domain, checks: domain.checks.filter((c) => c !== body.name), nullRefusing: domain.nullRefusing.filter((c) => c !== body.name), ...(body.name === `${name.slice(name.lastIndexOf('.') + 1)}_not_null` ? { notNull: false } : {}) });
    // SET DEFAULT (with its expression) and DROP DEFAULT (without).
    else if (body.subtype === 'T') this.setIn(this.domains, name, { ...domain, defaulted: body.def !== undefined && !isNullConstant(body.def) });
    else if (body.subtype === 'N') this.setIn(this.domains, name, { ...domain, notNull: false });
    else if (body.subtype === 'O') this.setIn(this.domains, name, { ...domain, notNull: true });
  }

  /** A type or domain renamed or moved to another schema: columns of it keep it under its new name. */
  private moveType(from: string, to: string): void {
    if (from === to) return;
    const domain = this.domains.get(from);
    if (domain) {
      this.deleteIn(this.domains, from);
      this.setIn(this.domains, to, domain);
    }
    // Domains over it are over it under its new name.
    for (const [name, over] of this.domains) if (over.base === from) this.setIn(this.domains, name, { ...over, base: to, ...(over.baseType ? { baseType: { ...over.baseType, name: to } } : {}) });
    for (const table of this.tables.values()) {
      for (const col of table.columns.values()) if (col.type && tableKey(col.type.name) === from) this.assign(col, 'type', { ...col.type, name: to });
    }
    if (this.newTypes.has(from)) this.addTo(this.newTypes, to);
    const values = this.enumValues.get(from);
    if (values) {
      this.deleteIn(this.enumValues, from);
      this.setIn(this.enumValues, to, values);
    }
    if (this.types.has(from)) {
      this.deleteFrom(this.types, from);
      this.addTo(this.types, to);
      this.noteDropped('type', from, true);
      this.noteDropped('type', to, false);
    }
  }

  /** An index is on this table (created, or its table renamed). */
  private setIndexTable(index: string, table: string): void {
    const was = this.indexTables.get(index);
    if (was !== undefined) this.unlistIndex(index, was);
    this.setIn(this.indexTables, index, table);
    const dot = index.lastIndexOf('.');
    if (dot >= 0 && index.indexOf('.') === dot && was === undefined) this.setIn(this.qualifiedIndexes, index.slice(dot + 1), [...(this.qualifiedIndexes.get(index.slice(dot + 1)) ?? []), index]);
    this.noteDropped('relation', index, false);
    const key = tableKey(table);
    this.setIn(this.indexesOn, key, [...(this.indexesOn.get(key) ?? []), index]);
  }

  /** An index the statements seen made, renamed (ALTER INDEX ... RENAME, or a constraint's USING INDEX): it keeps its table, columns and shape. */
  private moveIndex(from: string, to: string): void {
    const on = this.indexTables.get(from);
    if (on === undefined) return;
    const columns = this.indexColumns.get(from);
    const shape = this.indexShapes.get(from);
    this.dropIndex(from);
    this.setIndexTable(to, on);
    if (columns) this.setIn(this.indexColumns, to, columns);
    if (shape) this.setIn(this.indexShapes, to, shape);
  }

  /** An index is gone (dropped, or with its table, column or constraint): its columns too. */
  private dropIndex(index: string): void {
    const on = this.indexTables.get(index);
    if (on !== undefined) this.unlistIndex(index, on);
    const dot = index.lastIndexOf('.');
    if (dot >= 0 && index.indexOf('.') === dot && on !== undefined) {
      const rest = (this.qualifiedIndexes.get(index.slice(dot + 1)) ?? []).filter((i) => i !== index);
      if (rest.length) this.setIn(this.qualifiedIndexes, index.slice(dot + 1), rest);
      else this.deleteIn(this.qualifiedIndexes, index.slice(dot + 1));
    }
    this.deleteIn(this.indexTables, index);
    this.deleteIn(this.indexColumns, index);
    this.deleteIn(this.indexShapes, index);
    this.noteDropped('relation', index, true);
  }

  private unlistIndex(index: string, table: string): void {
    const key = tableKey(table);
    const rest = (this.indexesOn.get(key) ?? []).filter((i) => i !== index);
    if (rest.length > 0) this.setIn(this.indexesOn, key, rest);
    else this.deleteIn(this.indexesOn, key);
  }

  /**
   * Runs `judge` against this state, then undoes whatever it applied meanwhile: the state is as
   * before, at the cost of the changes made, not of the size of the schema.
   */
  tentatively<T>(judge: () => T): T {
    const undo = this.beginTentatively();
    try {
      return judge();
    } finally {
      undo();
    }
  }

  /**
   * tentatively() left open: what is applied from now on is undone when the returned function is
   * called (once, and before any tentatively() or beginTentatively() begun outside it ends). For
   * several rollbacks judged one after the other, each against what the ones before it left (the
   * downs of a popx split migration), undone together after the last. Inside, settle() would not
   * be undone: use settleTentatively().
   */
  beginTentatively(): () => void {
    const outer = this.journal;
    const journal: (() => void)[] = [];
    this.journal = journal;
    let ended = false;
    return () => {
      if (ended || this.journal !== journal) throw new Error('tentative changes undone out of order');
      ended = true;
      this.journal = outer;
      for (let i = journal.length - 1; i >= 0; i--) journal[i]!();
      this.revision++;
    };
  }

  /** How many times a table was set or deleted so far: a mark for tableChangesSince(). */
  get tableChangeCount(): number {
    return this.tableChanges.length;
  }

  /** Calls `each` with the key of every table set or deleted since the mark `from`; returns the new mark. */
  tableChangesSince(from: number, each: (key: string) => void): number {
    const to = this.tableChanges.length;
    for (let i = from; i < to; i++) each(this.tableChanges[i]!);
    return to;
  }

  private remember<K, V>(map: Map<K, V>, key: K): void {
    if (!this.journal) return;
    const had = map.has(key);
    const old = map.get(key);
    this.journal.push(() => (had ? map.set(key, old as V) : map.delete(key)));
  }

  private setIn<K, V>(map: Map<K, V>, key: K, value: V): void {
    this.remember(map, key);
    map.set(key, value);
  }

  private deleteIn<K, V>(map: Map<K, V>, key: K): void {
    this.remember(map, key);
    map.delete(key);
  }

  private deleteFrom<V>(set: Set<V>, value: V): void {
    if (!set.has(value)) return;
    this.journal?.push(() => set.add(value));
    set.delete(value);
  }

  /** A view or column made here: new, and logged for madeSince(). */
  /** The tables the INSERTs of a statement's WITH clause put rows in (WITH made AS (INSERT ... RETURNING id) INSERT ...), at any depth. */
  private noteCteInserts(body: { withClause?: { ctes?: { CommonTableExpr?: { ctequery?: PgNode } }[] } }): void {
    for (const cte of body.withClause?.ctes ?? []) {
      const inner = cte.CommonTableExpr?.ctequery;
      if (!inner) continue;
      const [kind, query] = node(inner);
      if (kind === 'InsertStmt' && query.relation) this.noteRowsInserted(query);
      if (kind) this.noteCteInserts(query);
    }
  }

  /**
   * The rows an INSERT writes into its table, whether on its own or in a WITH clause (stacker.news
   * fills its new PayIn through WITH chains: the thirty-eighth trial's E): a new table is filled by
   * a query's rows (INSERT ... SELECT ... FROM), or by VALUES in a loop, which may run any number
   * of times; VALUES alone adds a few rows.
   */
  private noteRowsInserted(insert: Record<string, any>): void {
    this.addNew(this.rowsWritten, this.madeLog.written, tableKey(relationName(insert.relation)));
    const table = this.table(relationName(insert.relation));
    const select: { valuesLists?: unknown[]; fromClause?: unknown[] } | undefined = insert.selectStmt?.SelectStmt;
    const few = select?.valuesLists && !select.fromClause && !this.applying?.at?.inLoop;
    if (table?.rowsInserted !== undefined) this.assign(table, 'rowsInserted', few ? table.rowsInserted + select!.valuesLists!.length : undefined);
    const fills = select && (select.valuesLists ? !few : select.fromClause);
    if (table?.createdHere && !table.filled && fills) this.setTable(tableKey(table.name), { ...table, filled: true });
  }

  private addNew(set: Set<string>, log: string[], value: string): void {
    if (!set.has(value)) log.push(value);
    this.addTo(set, value);
  }

  private addTo<V>(set: Set<V>, value: V): void {
    if (set.has(value)) return;
    this.journal?.push(() => set.delete(value));
    set.add(value);
  }

  private assign<T extends object, F extends keyof T>(target: T, field: F, value: T[F]): void {
    if (this.journal) {
      const old = target[field];
      this.journal.push(() => {
        target[field] = old;
      });
    }
    target[field] = value;
  }

  private noteReferrer(references: string, table: string): void {
    let set = this.referrers.get(references);
    if (!set) this.referrers.set(references, (set = new Set()));
    set.add(table);
  }

  private setForeignKey(table: TableState, name: string, fk: ForeignKeyState): void {
    this.setIn(table.foreignKeys, name, fk);
    this.noteReferrer(fk.references, table.name);
  }

  /** The tables other than `key` that may have foreign keys to it, in the order of this.tables. */
  private referencing(key: string): TableState[] {
    const candidates = this.referrers.get(key);
    if (!candidates) return [];
    if (candidates.size === 1) {
      const [only] = candidates;
      const t = only === key ? undefined : this.tables.get(only!);
      return t ? [t] : [];
    }
    const out: TableState[] = [];
    for (const t of this.tables.values()) if (t.name !== key && candidates.has(t.name)) out.push(t);
    return out;
  }

  private setTable(key: string, table: TableState): void {
    for (const fk of table.foreignKeys.values()) this.noteReferrer(fk.references, key);
    this.setIn(this.tables, key, table);
    this.noteDropped('relation', key, false);
    // Its row type, of its name.
    this.noteDropped('type', key, false);
    this.tableChanges.push(key);
    if (table.createdHere) {
      this.created.push(key);
      // An undone creation leaves a key in `created`; settle() checks the table again anyway.
    }
    if (this.journal) this.journal.push(() => this.tableChanges.push(key));
  }

  private addPartition(parent: string, partition: string): void {
    this.setIn(this.partitions, parent, [...(this.partitions.get(parent) ?? []).filter((p) => p !== partition), partition]);
  }

  /** A partition detached or dropped leaves its parent's list. */
  private removePartition(partition: string): void {
    for (const [parent, list] of this.partitions) if (list.includes(partition)) this.setIn(this.partitions, parent, list.filter((p) => p !== partition));
  }

  private deleteTable(key: string): void {
    this.removePartition(key);
    if (this.partitions.has(key)) this.deleteIn(this.partitions, key);
    this.deleteIn(this.tables, key);
    this.noteDropped('relation', key, true);
    // Its row type goes with it (checked on PostgreSQL 15: DROP TYPE t after DROP TABLE t fails).
    this.goneAs(this.goneHow ?? `dropped it with table ${quoteName(key)}, whose row type it is`, () => this.noteDropped('type', key, true));
    this.tableChanges.push(key);
    if (this.journal) this.journal.push(() => this.tableChanges.push(key));
  }

  table(name: string): TableState | undefined {
    return this.tables.get(tableKey(name));
  }

  /** Whether a table is new in this plan or file (created here, so empty): locking it is harmless. */
  isNew(name: string): boolean {
    return this.table(name)?.createdHere === true;
  }

  /**
   * An UPDATE's copies of one column into another (ColumnState.copyOf): `SET copy = original` (or
   * `original::type`) in an UPDATE of every row (no WHERE, no FROM) makes `copy` hold all that
   * `original` held. Any other value written to a column ends what it held of a copy, and a
   * column written to no longer holds what its copies took from it. Rows another session inserts
   * between the copy and the drop are not seen: a migration that copies and drops in one
   * transaction, after an ALTER TABLE that locks the table, has none.
   */
  private learnCopies(body: Record<string, any>): void {
    const table = this.table(relationName(body.relation));
    if (!table) return;
    // Every row, or every row where the column copied from holds a value (WHERE old IS NOT NULL:
    // the rows left out have nothing to copy; the twenty-fourth trial's trieve).
    const noFrom = !(body.fromClause ?? []).length;
    const nonNull = body.whereClause === undefined ? undefined : nonNullColumns(body.whereClause);
    const set = new Set<string>();
    for (const t of body.targetList ?? []) {
      const target = t.ResTarget;
      if (typeof target?.name !== 'string' || target.indirection?.length) continue;
      set.add(target.name);
      const column = table.columns.get(target.name);
      if (!column) continue;
      const source = noFrom ? copySource(target.val) : undefined;
      const covered = source !== undefined && (body.whereClause === undefined || nonNull?.has(source.column) === true);
      const copyOf = covered && source.column !== target.name ? source.column : undefined;
      if (column.copyOf !== copyOf) this.assign(column, 'copyOf', copyOf);
      const through = copyOf !== undefined && source?.through ? true : undefined;
      if (column.copyThrough !== through) this.assign(column, 'copyThrough', through);
      if (copyOf !== undefined) this.copiesMade = true;
      // Not a copy: an expression that reads only one other column of the row (shelf's custom
      // fields folded into JSON, the thirty-second trial's D).
      const derived = copyOf === undefined && noFrom ? onlyColumnRead(target.val) : undefined;
      const derivedFrom = derived !== undefined && derived !== target.name && (body.whereClause === undefined || nonNull?.has(derived) === true) ? derived : undefined;
      if (column.derivedFrom !== derivedFrom) this.assign(column, 'derivedFrom', derivedFrom);
      if (derivedFrom !== undefined) this.copiesMade = true;
    }
    // An original written to (in this UPDATE too: the copy took its old values) holds values its copy lacks.
    for (const column of table.columns.values()) {
      if (column.copyOf !== undefined && set.has(column.copyOf)) this.assign(column, 'copyOf', undefined);
      if (column.derivedFrom !== undefined && set.has(column.derivedFrom)) this.assign(column, 'derivedFrom', undefined);
    }
  }

  /** Rows inserted after a copy hold values in the original that the copy may lack (ColumnState.copyOf). */
  private forgetCopies(name: string): void {
    for (const column of this.table(name)?.columns.values() ?? []) {
      if (column.copyOf !== undefined) this.assign(column, 'copyOf', undefined);
      if (column.derivedFrom !== undefined) this.assign(column, 'derivedFrom', undefined);
    }
  }

  /**
   * A write to a table: a copy of its rows taken before lacks what it writes (TableState.rowsCopiedInto);
   * and, when it removes or changes rows (`removes`), copies made into it lose some of theirs.
   */
  /**
   * A copy made by an earlier migration lacks what the application has written since (the next
   * deploy may come months later): only one the same migration made counts (ColumnState.copyOf,
   * TableState.rowsCopiedInto). At settle().
   */
  private forgetEarlierCopies(): void {
    if (!this.copiesMade) return;
    for (const t of this.tables.values()) {
      if (t.rowsCopiedInto) this.assign(t, 'rowsCopiedInto', undefined);
      for (const c of t.columns.values()) {
        if (c.copyOf !== undefined) this.assign(c, 'copyOf', undefined);
        if (c.derivedFrom !== undefined) this.assign(c, 'derivedFrom', undefined);
      }
    }
  }

  /** A query that copies every row of a table into `into` (rowCopy()): noted on the table (TableState.rowsCopiedInto). */
  private noteRowCopy(into: string, select: Record<string, any> | undefined): void {
    const copy = rowCopy(select);
    const source = copy && this.table(copy.from);
    if (!source) return;
    this.assign(source, 'rowsCopiedInto', { table: into, columns: copy.columns === 'all' ? [...source.columns.keys()] : copy.columns, ...(copy.distinct ? { distinct: true as const } : {}), ...(copy.nonNull ? { nonNull: copy.nonNull } : {}), opaqueCount: this.opaqueCount });
    this.copiesMade = true;
  }

  /** Some UPDATE or INSERT has copied a column or a table's rows (ColumnState.copyOf, TableState.rowsCopiedInto): only then are copies looked for. */
  private copiesMade = false;

  /**
   * Whether the files make their tables from the start: the first table they touch, they create
   * (true); or they alter one first that no statement read made (false: a history that starts after
   * its tables were made). Undefined until then; never undone.
   */
  tablesMadeFirst: boolean | undefined;

  private forgetRowCopies(name: string, removes: boolean): void {
    const key = tableKey(name);
    const own = this.table(name);
    if (own?.rowsCopiedInto) this.assign(own, 'rowsCopiedInto', undefined);
    if (!removes || !this.copiesMade) return;
    for (const t of this.tables.values()) if (t.rowsCopiedInto?.table === key) this.assign(t, 'rowsCopiedInto', undefined);
  }

  /** The columns of a table an UPDATE computed from a column's every value (ColumnState.derivedFrom). */
  derivedHolders(table: string, column: string): string[] {
    const out: string[] = [];
    for (const [name, c] of this.table(table)?.columns ?? []) if (c.derivedFrom === column) out.push(name);
    return out;
  }

  /** The column of a table some other column holds a copy of every value of (ColumnState.copyOf), or undefined. */
  copyHolder(table: string, column: string): string | undefined {
    for (const [name, c] of this.table(table)?.columns ?? []) if (c.copyOf === column) return name;
    return undefined;
  }

  /** The indexes and triggers the statements seen made that use a function (by name: overloads are not told apart) and are still there. */
  usersOfFunction(name: string): FunctionUser[] {
    const fn = tableKey(name);
    return (this.functionUsers.get(fn) ?? []).filter((u) => this.usedFunctions.get(u.key)?.includes(fn) && (u.kind === 'index'
      ? this.indexTables.get(u.key) !== undefined && tableKey(this.indexTables.get(u.key)!) === tableKey(u.table)
      : this.table(u.table)?.triggers.has(u.name) === true));
  }

  /** Notes the functions an index or trigger just made calls (usersOfFunction). */
  private addFunctionUsers(functions: readonly string[], user: FunctionUser): void {
    const keys = [...new Set(functions.map(tableKey))];
    this.setIn(this.usedFunctions, user.key, keys);
    for (const key of keys) if (!(this.functionUsers.get(key) ?? []).some((u) => u.key === user.key)) this.setIn(this.functionUsers, key, [...(this.functionUsers.get(key) ?? []), user]);
  }

  /** The foreign keys of a table and those referencing it, for the lock prediction (src/sql/locks.ts). */
  foreignKeysAt(name: string, filter: ForeignKeyFilter = {}): ForeignKey[] {
    const key = tableKey(name);
    const out: ForeignKey[] = [];
    const add = (t: TableState, fkName: string, fk: ForeignKeyState) => {
      if (!foreignKeyWanted(filter, fkName, fk)) return;
      const target = this.tables.get(fk.references);
      // The index it depends on, and the key constraint that owns it; where that index is not
      // known, a key constraint of the referenced columns (it may be the one).
      let refKey: string | undefined;
      let refIndex: string | undefined;
      const depended = fk.refIndex !== undefined && target ? indexWithId(target, fk.refIndex) : undefined;
      if (depended) {
        refIndex = depended[0];
        if (depended[1].constraint) refKey = depended[0];
      } else if (target) for (const [k, c] of target.keyConstraints) if (sameColumns(c.columns, fk.refColumns)) { refKey = k; break; }
      // Built field by field: a table referenced by thousands of keys is asked for them at every statement that touches it.
      const found: { -readonly [K in keyof ForeignKey]: ForeignKey[K] } = { name: fkName, table: t.name, columns: fk.columns, references: fk.references, refColumns: fk.refColumns };
      if (refKey !== undefined) found.refKey = refKey;
      if (refIndex !== undefined) found.refIndex = refIndex;
      if (fk.onDelete) found.onDelete = fk.onDelete;
      if (fk.onUpdate) found.onUpdate = fk.onUpdate;
      out.push(found);
    };
    const own = filter.end !== 'referencing' ? this.tables.get(key) : undefined;
    if (own && filter.name !== undefined) {
      const fk = own.foreignKeys.get(filter.name);
      if (fk) add(own, filter.name, fk);
    } else if (own && (filter.column === undefined || own.foreignKeys.involves(filter.column)) && (filter.ownColumns === undefined || this.referrers.get(key)?.has(key) || [...filter.ownColumns].some((c) => own.foreignKeys.involves(c)))) {
      for (const [fkName, fk] of own.foreignKeys) add(own, fkName, fk);
    }
    if (filter.end !== 'own') for (const t of this.referencing(key)) for (const [fkName, fk] of t.foreignKeys) if (fk.references === key) add(t, fkName, fk);
    return out;
  }

  /** The partitions of a partitioned table, for the lock prediction; undefined for any other table. */
  partitionsOf(name: string): readonly string[] | undefined {
    return this.partitions.get(tableKey(name));
  }

  /** The relations a view or materialized view reads, for the lock prediction; undefined for any other name. */
  readsOfView(name: string): readonly string[] | undefined {
    return this.viewReads.get(tableKey(name));
  }

  /** The sequences the table's column defaults draw from, for the lock prediction of INSERT. */
  sequencesOfDefaults(name: string): { column: string; sequence: string }[] {
    return [...(this.table(name)?.columns ?? [])].flatMap(([column, c]) => (c.sequence ? [{ column, sequence: c.sequence }] : []));
  }

  /**
   * The indexes the statements seen created on a table that involve a column (keys, expressions,
   * WHERE). The last answer is kept under the state's revision: a type change asks it twice (MG212
   * and the statement's effect), and walks a table's indexes, hundreds on the bench's tables.
   */
  indexesInvolving(table: string, column: string): string[] {
    if (!this.indexColumns.involves(column)) return [];
    const key = `${tableKey(table)}\0${column}`;
    const last = this.lastInvolving;
    if (last?.key === key && last.revision === this.revision) return [...last.indexes];
    const indexes = (this.indexesOn.get(tableKey(table)) ?? []).filter((index) => this.indexColumns.get(index)?.includes(column));
    this.lastInvolving = { key, revision: this.revision, indexes };
    return [...indexes];
  }

  private lastInvolving: { readonly key: string; readonly revision: number; readonly indexes: readonly string[] } | undefined;

  /**
   * The valid constraints of the table that involve the column, by name with their kind: what a
   * change of its type that rewrites no table validates again (src/analyze/sql/type-change.ts).
   * Kept under the state's revision as indexesInvolving() is: a type change asks twice, and a
   * table can have hundreds of constraints.
   */
  validConstraintsInvolving(table: string, column: string): readonly { readonly name: string; readonly kind: ConstraintState['kind'] }[] {
    const t = this.table(table);
    if (!t?.constraints.involves(column)) return [];
    const key = `${tableKey(table)}\0${column}`;
    const last = this.lastConstraints;
    if (last?.key === key && last.revision === this.revision) return last.found;
    const found: { name: string; kind: ConstraintState['kind'] }[] = [];
    for (const [name, c] of t.constraints) if (c.validated && c.columns.includes(column)) found.push({ name, kind: c.kind });
    this.lastConstraints = { key, revision: this.revision, found };
    return found;
  }

  private lastConstraints: { readonly key: string; readonly revision: number; readonly found: readonly { readonly name: string; readonly kind: ConstraintState['kind'] }[] } | undefined;

  /**
   * The indexes CREATE INDEX made on the table that have the column only in INCLUDE (not among
   * their keys, expressions or WHERE: those are indexesInvolving()'s). A change of its type
   * re-creates them too, and builds again those with an expression or a WHERE.
   */
  indexesIncluding(table: string, column: string): string[] {
    if (!this.indexShapes.involves(column)) return [];
    return (this.indexesOn.get(tableKey(table)) ?? []).filter((index) => this.indexShapes.get(index)?.included.includes(column) && !this.indexColumns.get(index)?.includes(column));
  }

  /** The shape of an index of indexesInvolving(), for what a change of a column's type does to it. */
  indexShape(index: string): IndexShape | undefined {
    return this.indexShapes.get(index);
  }

  /** The table of an index the statements seen created, for the lock prediction of DROP INDEX. */
  tableOfIndex(name: string): string | undefined {
    return this.indexTables.get(tableKey(name));
  }

  /** Whether a column was added here (since the last settle()): it held nothing before. */
  isNewColumn(table: string, column: string): boolean {
    return this.newColumns.has(`${tableKey(table)}.${column}`);
  }

  /** Whether a statement seen created a relation of this name (table, view, index or sequence; they share one namespace) that is still there. */
  relationExists(name: string): boolean {
    const key = tableKey(name);
    const table = this.tables.get(key);
    return (table !== undefined && !table.mayBeAbsent) || this.views.has(key) || this.indexTables.has(key) || this.sequences.has(key);
  }

  /** Whether a statement seen dropped the relation (or renamed it away) and none created one of this name since. */
  relationGone(name: string): boolean {
    return this.dropped.has(`relation ${tableKey(name)}`) && !this.relationExists(name);
  }

  /** Whether a statement seen dropped the type (or renamed it away) and none created it since. */
  typeGone(name: string): boolean {
    return this.dropped.has(`type ${tableKey(name)}`) && !this.types.has(tableKey(name)) && !this.relationExists(name);
  }

  /** Whether the table has the constraint, as the statements seen left it. */
  hasConstraint(table: TableState, name: string): boolean {
    return table.constraints.has(name) || table.foreignKeys.has(name) || table.keyConstraints.has(name) || table.notNullChecks.has(name);
  }

  /** Whether the table is known to have the column (src/analyze/sql/skips.ts). */
  columnThere(table: string, column: string): boolean {
    return this.table(table)?.columns.has(column) === true;
  }

  /** Whether a statement seen dropped the column (or renamed it away) and none added it since. */
  columnGone(table: string, column: string): boolean {
    const t = this.table(table);
    return t !== undefined && !t.columns.has(column) && t.droppedColumns.has(column);
  }

  /** Whether a statement seen dropped the constraint (or renamed it away) and none added one of this name since. */
  constraintGone(table: string, name: string): boolean {
    const t = this.table(table);
    return t !== undefined && t.droppedConstraints.has(name) && !this.hasConstraint(t, name);
  }

  /** A relation, type, schema or trigger is gone under this name ("relation t", "type t", "schema s", "trigger t trg"), or there again. */
  private noteDropped(what: 'relation' | 'type' | 'schema' | 'trigger', name: string, gone: boolean): void {
    const key = `${what} ${tableKey(name)}`;
    if (gone) {
      // Gone for sure already: a later drop (one PostgreSQL refuses, say) does not change what made it gone.
      const by = this.droppedBy.get(key);
      if (this.dropped.has(key) && by && !by.at?.inBody && !by.at?.refused && by.opaqueCount === this.opaqueCount) return;
      this.addTo(this.dropped, key);
      if (this.applying) this.setIn(this.droppedBy, key, { ...this.applying, opaqueCount: this.opaqueCount, ...(this.goneHow !== undefined ? { how: this.goneHow } : {}) });
    } else {
      this.deleteFrom(this.dropped, key);
      if (this.droppedBy.has(key)) this.deleteIn(this.droppedBy, key);
    }
  }

  /**
   * A rename (or a move to another schema) makes its new name a relation's or type's, whether or
   * not migc saw the object it renames made (an index of an earlier migration migc never read):
   * the name is no longer gone. So does a key, unique or exclusion constraint for its index's name.
   */
  private noteRenamedTo(statement: PgNode): void {
    const [kind, body] = node(statement);
    const names = (items: { String?: { sval?: string } }[] | undefined) => (items ?? []).map((i) => i.String?.sval ?? '?');
    if (kind === 'RenameStmt' && body.newname) {
      if (renamedRelations.has(body.renameType) && body.relation) this.noteDropped('relation', body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname, false);
      if (body.renameType === 'OBJECT_TYPE' || body.renameType === 'OBJECT_DOMAIN') this.noteDropped('type', [...names(body.object?.List?.items).slice(0, -1), body.newname].join('.'), false);
    } else if (kind === 'AlterTableStmt' || kind === 'CreateStmt') {
      // A key, unique or exclusion constraint makes an index of its name, in the table's schema.
      const constraints: { Constraint?: { contype?: string; conname?: string } }[] = kind === 'CreateStmt'
        ? (body.tableElts ?? []).flatMap((e: any) => (e.Constraint ? [e] : e.ColumnDef?.constraints ?? []))
        : (body.cmds ?? []).filter((c: any) => c.AlterTableCmd?.subtype === 'AT_AddConstraint').map((c: any) => c.AlterTableCmd.def);
      for (const c of constraints) {
        if (!c?.Constraint?.conname || !['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION'].includes(c.Constraint.contype ?? '')) continue;
        this.noteDropped('relation', body.relation?.schemaname ? `${body.relation.schemaname}.${c.Constraint.conname}` : c.Constraint.conname, false);
      }
    } else if (kind === 'AlterObjectSchemaStmt' && body.newschema) {
      if (renamedRelations.has(body.objectType) && body.relation) this.noteDropped('relation', `${body.newschema}.${body.relation.relname}`, false);
      if (body.objectType === 'OBJECT_TYPE' || body.objectType === 'OBJECT_DOMAIN') this.noteDropped('type', `${body.newschema}.${names(body.object?.List?.items).at(-1)}`, false);
    }
  }

  /** Runs `change` with what it makes gone recorded as gone this way (DroppedBy.how). */
  private goneAs(how: string, change: () => void): void {
    const was = this.goneHow;
    this.goneHow = how;
    try {
      change();
    } finally {
      this.goneHow = was;
    }
  }

  /**
   * The statement seen that made the relation (`what`: 'relation') or type gone, when it is gone
   * for sure and nothing since could have made it again unseen: a statement outside a DO block or
   * a routine's body (a branch may have skipped it) that PostgreSQL does not refuse, and no opaque
   * statement since (dynamic SQL may have created it again). Undefined otherwise.
   */
  goneFor(what: 'relation' | 'type' | 'schema', name: string): DroppedBy | undefined {
    const gone = what === 'relation' ? this.relationGone(name) : what === 'type' ? this.typeGone(name) : this.dropped.has(`schema ${name}`) && !this.schemas.has(name);
    if (!gone) return undefined;
    const by = this.droppedBy.get(`${what} ${tableKey(name)}`);
    return by && !by.at?.inBody && !by.at?.refused && by.opaqueCount === this.opaqueCount ? by : undefined;
  }

  /**
   * As goneFor(), for a trigger of a table the statements seen know: dropped by name, or with the
   * function it ran (DROP FUNCTION ... CASCADE), or renamed away, and not made again.
   */
  triggerGoneFor(table: string, trigger: string): DroppedBy | undefined {
    const t = this.table(table);
    const key = `trigger ${tableKey(table)} ${trigger}`;
    if (!t || t.triggers.has(trigger) || !this.dropped.has(key)) return undefined;
    const by = this.droppedBy.get(key);
    return by && !by.at?.inBody && !by.at?.refused && by.opaqueCount === this.opaqueCount ? by : undefined;
  }

  hasValidatedNotNullCheck(table: string, column: string): boolean {
    return [...(this.table(table)?.notNullChecks.values() ?? [])].some((c) => c.column === column && c.validated);
  }

  /**
   * Learns from a statement that has run (baseline) or will run before the next one: from what
   * PostgreSQL does of it, without what IF [NOT] EXISTS skips (src/analyze/sql/skips.ts).
   */
  apply(statement: PgNode, createdHere: boolean, at?: StatementPlace, viewsAlong: readonly ViewDroppedAlong[] = []): void {
    // A statement applied from within another (a RENAME of a materialized view) is that one's.
    const outer = this.applying;
    if (!outer) this.applying = { statement, ...(at ? { at } : {}) };
    try {
      const [kind, body] = node(statement);
      if (!this.catalogRelations && namesCatalogRelation(kind, body)) this.catalogRelations = true;
      // Indexed, altered or written before any CREATE TABLE made it: the history starts after its tables were made.
      if (this.tablesMadeFirst === undefined && kind !== 'CreateStmt' && body?.relation?.relname !== undefined && !this.tables.has(tableKey(relationName(body.relation)))) this.tablesMadeFirst = false;
      // What a rename or a move to another schema takes away is under its old name.
      const how = kind === 'RenameStmt' && body.newname ? `renamed it to ${quoteIdent(body.newname)}`
        : kind === 'AlterObjectSchemaStmt' && body.newschema ? `moved it to schema ${quoteIdent(body.newschema)}`
          : undefined;
      if (how !== undefined && !outer) this.goneAs(how, () => this.applyStatement(statement, createdHere));
      else this.applyStatement(statement, createdHere);
      // The views the statement dropped along with what they read (CASCADE; the view catalog knows which).
      for (const v of viewsAlong) this.goneAs(`dropped it with ${v.with}, which it reads (CASCADE)`, () => this.dropView(v.name, v.materialized));
    } finally {
      if (!outer) this.applying = undefined;
      this.revision++;
    }
  }

  private applyStatement(statement: PgNode, createdHere: boolean): void {
    const skipped = skippedPart(statement, this);
    if (skipped && !skipped.runs) return;
    this.noteRenamedTo(statement);
    // What it makes without a name is read under the name PostgreSQL gives it.
    const ast = this.withGeneratedNames(skipped?.runs ?? statement);
    this.revision++;
    const [kind, body] = node(ast);
    if (this.sequencePositions.size > 0 || mayMoveSequence(kind, body)) this.moveSequences(ast);
    if (this.unfilledColumns.size > 0 && !writesNoRows.has(kind)) for (const c of [...this.unfilledColumns]) this.deleteFrom(this.unfilledColumns, c);
    switch (kind) {
      case 'CallStmt':
        this.noteOpaque();
        return;
      case 'CreateSchemaStmt': {
        // CREATE SCHEMA AUTHORIZATION joe makes the schema joe.
        const name = body.schemaname ?? body.authrole?.rolename;
        // IF NOT EXISTS of a schema there makes nothing (with a NOTICE).
        if (typeof name !== 'string' || (body.if_not_exists && this.schemas.has(name))) return;
        this.addTo(this.schemas, name);
        this.noteDropped('schema', name, false);
        if (createdHere) this.addNew(this.newSchemas, this.madeLog.schemas, name);
        return;
      }
      case 'CreateStmt': {
        const name = tableKey(relationName(body.relation));
        // A table known only from ALTER TABLE IF EXISTS may or may not be there (skippedPart does
        // not skip the statement): whether this creates it is unknown, so it is not taken as new;
        // unless the files make their tables from the first (tablesMadeFirst), where a database
        // they made has none of that name (the nineteenth trial's WebAPI: MG208 on a table new there).
        if (body.if_not_exists && this.tables.get(name)?.mayBeAbsent && this.tablesMadeFirst !== true) return;
        // A first table whose foreign keys reach a table no statement made: the schema was there before.
        if (this.tablesMadeFirst === undefined) {
          const references = (body.tableElts ?? []).flatMap((e: Record<string, any>) => [e.Constraint, ...(e.ColumnDef?.constraints ?? []).map((c: Record<string, any>) => c.Constraint)]);
          this.tablesMadeFirst = !references.some((c: Record<string, any> | undefined) => c?.pktable && tableKey(relationName(c.pktable)) !== name && !this.tables.has(tableKey(relationName(c.pktable))));
        }
        // LIKE, INHERITS and PARTITION OF bring columns (and more) from another table: not all are known.
        const borrows = body.inhRelations?.length || body.partbound || (body.tableElts ?? []).some((e: Record<string, unknown>) => e.TableLikeClause);
        const table: TableState = { ...emptyTable(name, createdHere), ...(body.partspec ? { partitioned: true } : {}), ...(borrows ? { partial: true } : { columnsFrom: this.opaqueCount, rowsInserted: 0 }) };
        // Set first: a foreign key to the table itself finds its primary key.
        this.setTable(name, table);
        // The indexes of its keys exist before any of its foreign keys is made: one to the table
        // itself finds them wherever they are written.
        this.addKeyIndexes(table, (body.tableElts ?? []).flatMap((elt: Record<string, any>) => (elt.ColumnDef
          ? (elt.ColumnDef.constraints ?? []).map((c: Record<string, any>) => ({ ...c.Constraint, keys: [{ String: { sval: elt.ColumnDef.colname } }] }))
          : elt.Constraint ? [elt.Constraint] : [])));
        if (body.partbound) for (const parent of body.inhRelations ?? []) this.addPartition(tableKey(relationName(parent.RangeVar)), name);
        for (const elt of body.tableElts ?? []) {
          if (elt.ColumnDef) {
            const column = columnState(elt.ColumnDef, name, table.nextOrdinal++);
            table.columns.set(elt.ColumnDef.colname, column);
            // A serial or identity column makes its sequence.
            if (column.sequence) this.noteDropped('relation', column.sequence, false);
            for (const c of elt.ColumnDef.constraints ?? []) {
              const only = [{ String: { sval: elt.ColumnDef.colname } }];
              if (c.Constraint && c.Constraint.contype !== 'CONSTR_CHECK') this.addConstraint(table, { ...c.Constraint, keys: only, fk_attrs: only });
              else if (c.Constraint) this.trackConstraint(table, c.Constraint, elt.ColumnDef.colname);
            }
          }
          if (elt.Constraint) this.addConstraint(table, elt.Constraint);
        }
        return;
      }
      case 'CreateTableAsStmt': {
        const name = tableKey(relationName(body.into?.rel));
        // WITH NO DATA creates it empty; a materialized view is not a table rules lock as one.
        const filled = createdHere && !body.into?.skipData;
        this.setTable(name, { ...emptyTable(name, createdHere), ...(filled ? { filled } : {}), partial: true });
        if (body.objtype === 'OBJECT_MATVIEW') this.setIn(this.viewReads, name, readRelations(body.query));
        // A backup of every row (CREATE TEMP TABLE backup AS SELECT * FROM t): a copy, as INSERT ... SELECT's.
        else if (!body.into?.skipData) this.noteRowCopy(name, body.query?.SelectStmt);
        return;
      }
      case 'SelectStmt': {
        this.noteCteInserts(body);
        if (!body.intoClause?.rel) return;
        const name = tableKey(relationName(body.intoClause.rel));
        this.setTable(name, { ...emptyTable(name, createdHere), ...(createdHere ? { filled: true } : {}), partial: true });
        // SELECT ... INTO backup FROM t: a copy, as CREATE TABLE AS's.
        if (!body.intoClause.skipData) this.noteRowCopy(name, body);
        return;
      }
      case 'UpdateStmt':
        this.noteCteInserts(body);
        this.learnCopies(body);
        if (body.relation) this.addTo(this.rowsChanged, tableKey(relationName(body.relation)));
        if (body.relation) this.forgetRowCopies(relationName(body.relation), true);
        return;
      case 'DeleteStmt':
        this.noteCteInserts(body);
        if (body.relation && !body.whereClause) this.addNew(this.rowsEmptied, this.madeLog.emptied, tableKey(relationName(body.relation)));
        if (body.relation) this.addTo(this.rowsChanged, tableKey(relationName(body.relation)));
        if (body.relation) this.forgetRowCopies(relationName(body.relation), true);
        return;
      case 'TruncateStmt':
        for (const r of body.relations ?? []) if (r.RangeVar) this.forgetRowCopies(relationName(r.RangeVar), true);
        for (const r of body.relations ?? []) if (r.RangeVar) this.addNew(this.rowsEmptied, this.madeLog.emptied, tableKey(relationName(r.RangeVar)));
        return;
      case 'CopyStmt':
        if (body.is_from && body.relation) {
          this.forgetRowCopies(relationName(body.relation), false);
          this.addNew(this.rowsWritten, this.madeLog.written, tableKey(relationName(body.relation)));
          const copied = this.table(relationName(body.relation));
          if (copied?.rowsInserted !== undefined) this.assign(copied, 'rowsInserted', undefined);
        }
        return;
      case 'InsertStmt': {
        this.forgetCopies(relationName(body.relation));
        this.noteCteInserts(body);
        this.forgetRowCopies(relationName(body.relation), false);
        this.noteRowCopy(tableKey(relationName(body.relation)), body.selectStmt?.SelectStmt);
        this.noteRowsInserted(body);
        const select = body.selectStmt?.SelectStmt;
        if (select?.fromClause && body.cols?.length) this.noteIdsCopied(tableKey(relationName(body.relation)), body.cols, select);
        return;
      }
      case 'CreateSeqStmt': {
        const draws = sequenceDraws(body.options, 'int8');
        // IF NOT EXISTS of a sequence there already makes nothing.
        if (!(body.if_not_exists && this.sequences.has(tableKey(relationName(body.sequence))))) {
          const owner = (body.options ?? []).find((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'owned_by')?.DefElem?.arg?.List?.items?.map((i: { String?: { sval?: string } }) => i.String?.sval ?? '') as string[] | undefined;
          const ownedBy = owner && owner.length >= 2 ? { table: tableKey(owner.slice(0, -1).join('.')), column: owner.at(-1)! } : undefined;
          this.setIn(this.sequencePositions, tableKey(relationName(body.sequence)), freshPosition(this.nextSequenceId++, draws, ownedBy));
          this.addTo(this.newSequences, tableKey(relationName(body.sequence)));
          this.noteRelationChange(tableKey(relationName(body.sequence)));
        }
        if (draws) this.setIn(this.sequenceDraws, tableKey(relationName(body.sequence)), draws);
        else this.deleteIn(this.sequenceDraws, tableKey(relationName(body.sequence)));
        this.addTo(this.sequences, tableKey(relationName(body.sequence)));
        this.noteDropped('relation', relationName(body.sequence), false);
        return;
      }
      case 'AlterSeqStmt':
        // RESTART, INCREMENT, MINVALUE ...: what it draws from here is no longer read.
        this.deleteIn(this.sequenceDraws, tableKey(relationName(body.sequence)));
        return;
      case 'ViewStmt':
        this.addTo(this.views, tableKey(relationName(body.view)));
        this.noteDropped('relation', relationName(body.view), false);
        this.setIn(this.definitions, `view ${tableKey(relationName(body.view))}`, fingerprint([body.aliases, body.query, body.options, body.withCheckOption]));
        this.setIn(this.viewReads, tableKey(relationName(body.view)), readRelations(body.query));
        if (createdHere) this.addNew(this.newViews, this.madeLog.views, tableKey(relationName(body.view)));
        this.noteRelationChange(tableKey(relationName(body.view)));
        return;
      case 'AlterTableStmt': {
        if (body.objtype !== 'OBJECT_TABLE') return;
        // A table the files did not create exists all the same: learn what is done to it (its
        // columns added, its NOT NULL checks validated), knowing nothing of the rest.
        let table = this.table(relationName(body.relation)) ?? this.existing(relationName(body.relation), body.missing_ok === true);
        // Without IF EXISTS the ALTER would fail on a table that is not there: now it is sure.
        if (table.mayBeAbsent && !body.missing_ok) this.setTable(table.name, (table = { ...table, mayBeAbsent: false }));
        for (const c of body.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          if (cmd?.subtype === 'AT_AttachPartition' && cmd.def?.PartitionCmd?.name) this.addPartition(table.name, tableKey(relationName(cmd.def.PartitionCmd.name)));
          if (cmd?.subtype === 'AT_DetachPartition' && cmd.def?.PartitionCmd?.name) this.removePartition(tableKey(relationName(cmd.def.PartitionCmd.name)));
          switch (cmd?.subtype) {
            case 'AT_AddColumn': {
              const def = cmd.def.ColumnDef;
              const column = columnState(def, table.name, table.nextOrdinal);
              this.setIn(table.columns, def.colname, column);
              this.deleteFrom(table.droppedColumns, def.colname);
              if (column.sequence) this.noteDropped('relation', column.sequence, false);
              if (createdHere) this.addNew(this.newColumns, this.madeLog.columns, `${table.name}.${def.colname}`);
              // NULL in every row (a domain's own default would fill it: left out).
              // DEFAULT NULL is no default (nr-spar's `default null`, the thirty-fifth trial's U).
              if (createdHere && (!column.hasDefault || column.defaultExpr === nullDefault) && !column.notNull && !(column.type && this.domains.has(tableKey(column.type.name)))) this.addTo(this.unfilledColumns, `${table.name}.${def.colname}`);
              else this.deleteFrom(this.unfilledColumns, `${table.name}.${def.colname}`);
              this.assign(table, 'nextOrdinal', table.nextOrdinal + 1);
              this.addKeyIndexes(table, (def.constraints ?? []).map((c: Record<string, any>) => ({ ...c.Constraint, keys: [{ String: { sval: def.colname } }] })));
              for (const c of def.constraints ?? []) {
                const only = [{ String: { sval: def.colname } }];
                if (c.Constraint && c.Constraint.contype !== 'CONSTR_CHECK') this.addConstraint(table, { ...c.Constraint, keys: only, fk_attrs: only });
                else if (c.Constraint) this.trackConstraint(table, c.Constraint, def.colname);
              }
              break;
            }
            case 'AT_DropColumn':
              this.dropColumn(table, cmd.name);
              break;
            case 'AT_AlterColumnType': {
              // Its USING may give every row a value.
              this.deleteFrom(this.unfilledColumns, `${table.name}.${cmd.name}`);
              const col = table.columns.get(cmd.name);
              const found = columnType(cmd.def?.ColumnDef?.typeName);
              // TYPE bigserial fails (serial is no type outside CREATE TABLE and ADD COLUMN): the column keeps its type.
              const type = found && serialInteger(found) === undefined ? found : undefined;
              // A column not known before has a known type from here on. Without COLLATE, the new
              // type's default collation.
              if (col && type) {
                this.assign(col, 'type', type);
                this.assign(col, 'collation', collationOf(cmd.def?.ColumnDef));
                if (col.partial && !col.collationKnown) this.assign(col, 'collationKnown', true);
              }
              else if (type) {
                const collation = collationOf(cmd.def?.ColumnDef);
                this.setIn(table.columns, cmd.name, { type, notNull: false, partial: true, collationKnown: true, ...(collation !== undefined ? { collation } : {}) });
              }
              break;
            }
            case 'AT_SetNotNull':
              if (table.columns.get(cmd.name)) this.assign(table.columns.get(cmd.name)!, 'notNull', true);
              break;
            case 'AT_DropNotNull':
              if (table.columns.get(cmd.name)) this.assign(table.columns.get(cmd.name)!, 'notNull', false);
              break;
            case 'AT_ColumnDefault':
              // SET DEFAULT carries the expression; DROP DEFAULT none.
              if (table.columns.get(cmd.name)) {
                this.assign(table.columns.get(cmd.name)!, 'hasDefault', cmd.def !== undefined);
                this.assign(table.columns.get(cmd.name)!, 'defaultExpr', cmd.def !== undefined ? fingerprint(cmd.def) : null);
              }
              break;
            case 'AT_AddIdentity':
            case 'AT_DropIdentity': {
              // The identity's sequence, made fresh (or dropped with it).
              const owned = cmd.subtype === 'AT_DropIdentity' ? this.identitySequence(table.name, cmd.name) : undefined;
              if (owned) this.deleteIn(this.sequencePositions, owned);
              else if (cmd.subtype === 'AT_AddIdentity') {
                const options = cmd.def?.Constraint?.options;
                this.setIn(this.sequencePositions, identitySequenceName(table.name, cmd.name, options), identityPosition(this.nextSequenceId++, options, { table: table.name, column: cmd.name }));
              }
              // DROP IDENTITY drops its sequence (checked on PostgreSQL 15).
              const column = table.columns.get(cmd.name);
              if (cmd.subtype === 'AT_DropIdentity' && column?.identity !== undefined) {
                for (const [sequence] of this.ownedSequences(table, cmd.name)) this.goneAs(`dropped it with the identity of column ${quoteIdent(cmd.name)}`, () => this.dropSequence(sequence));
                this.assign(column, 'identity', undefined);
                this.assign(column, 'sequence', undefined);
              }
            }
              if (table.columns.get(cmd.name)) this.assign(table.columns.get(cmd.name)!, 'hasDefault', cmd.subtype === 'AT_AddIdentity');
              if (table.columns.get(cmd.name)?.draws) this.assign(table.columns.get(cmd.name)!, 'draws', undefined);
              break;
            case 'AT_SetIdentity':
              // SET INCREMENT BY, RESTART ...: what the identity draws is no longer read.
              if (table.columns.get(cmd.name)?.draws) this.assign(table.columns.get(cmd.name)!, 'draws', undefined);
              break;
            case 'AT_AddConstraint':
              if (typeof cmd.def.Constraint?.indexname === 'string') {
                this.adoptIndex(table, cmd.def.Constraint);
                // USING INDEX renames the index to the constraint's name (checked on PostgreSQL 15).
                const { conname, indexname } = cmd.def.Constraint;
                const schema = table.name.includes('.') ? table.name.slice(0, table.name.lastIndexOf('.') + 1) : '';
                if (typeof conname === 'string' && conname !== indexname) this.goneAs(`renamed it to ${quoteIdent(conname)}`, () => this.moveIndex(tableKey(`${schema}${indexname}`), tableKey(`${schema}${conname}`)));
              } else this.addKeyIndexes(table, [cmd.def.Constraint]);
              this.addConstraint(table, cmd.def.Constraint);
              break;
            case 'AT_ValidateConstraint': {
              const check = table.notNullChecks.get(cmd.name);
              if (check) this.assign(check, 'validated', true);
              const constraint = table.constraints.get(cmd.name);
              if (constraint) this.assign(constraint, 'validated', true);
              break;
            }
            case 'AT_DropConstraint': {
              // A primary key, unique or exclusion constraint drops its index, of its name (checked on PostgreSQL 15).
              for (const index of this.constraintIndexes(table, (c) => c === table.constraints.get(cmd.name))) this.noteDropped('relation', index, true);
              this.addTo(table.droppedConstraints, cmd.name);
              this.deleteIn(table.notNullChecks, cmd.name);
              const owned = table.constraints.get(cmd.name)?.index;
              if (owned !== undefined) this.dropIndex(owned);
              this.deleteIn(table.constraints, cmd.name);
              this.deleteIn(table.foreignKeys, cmd.name);
              const key = table.keyConstraints.get(cmd.name);
              const index = table.uniqueIndexes.get(cmd.name);
              if (index?.constraint) this.deleteIn(table.uniqueIndexes, cmd.name);
              if (key) {
                this.deleteIn(table.keyConstraints, cmd.name);
                // The foreign keys that depend on its index go (CASCADE); where that index was not
                // known, those whose referenced columns are its keys.
                this.dropReferencing(table.name, (fk) => (index?.constraint && fk.refIndex !== undefined ? fk.refIndex === index.id : sameColumns(fk.refColumns, key.columns)));
              }
              break;
            }
          }
        }
        return;
      }
      case 'RenameStmt': {
        // ALTER TABLE ... RENAME renames a view too, and an index (checked on PostgreSQL).
        const renamed = body.renameType === 'OBJECT_TABLE' && !this.table(relationName(body.relation)) ? tableKey(relationName(body.relation)) : undefined;
        const renameType: string = renamed !== undefined && this.views.has(renamed) ? 'OBJECT_VIEW' : renamed !== undefined && this.indexTables.has(renamed) ? 'OBJECT_INDEX' : body.renameType;
        if (renameType === 'OBJECT_DOMCONSTRAINT') {
          this.learnDomain(kind, body);
          return;
        }
        if (renameType === 'OBJECT_TYPE' || renameType === 'OBJECT_DOMAIN') {
          // Columns of the type keep it under its new name: changing them to it later is no change.
          const names: string[] = (body.object?.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?');
          this.moveType(tableKey(names.join('.')), tableKey([...names.slice(0, -1), body.newname].join('.')));
          return;
        }
        // A materialized view is a table here too (CREATE MATERIALIZED VIEW): it is renamed with its name.
        if (renameType === 'OBJECT_MATVIEW' && this.table(relationName(body.relation))) this.apply({ RenameStmt: { ...body, renameType: 'OBJECT_TABLE' } } as PgNode, createdHere);
        if (renameType === 'OBJECT_TABLE') {
          const table = this.table(relationName(body.relation));
          if (table) this.moveTable(table, tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname));
        } else if (renameType === 'OBJECT_SEQUENCE') {
          this.moveSequence(tableKey(relationName(body.relation)), tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname));
        } else if (renameType === 'OBJECT_INDEX') {
          // ALTER INDEX ... RENAME: the index keeps its table under its new name (in its schema).
          const from = tableKey(relationName(body.relation));
          const on = this.indexTables.get(from);
          if (on !== undefined) {
            this.moveIndex(from, tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname));
            // A unique index keeps its id, so the foreign keys that depend on it follow it.
            const table = this.table(on);
            const unique = table?.uniqueIndexes.get(body.relation.relname);
            if (table && unique && !unique.constraint) {
              this.deleteIn(table.uniqueIndexes, body.relation.relname);
              this.setIn(table.uniqueIndexes, body.newname, unique);
            }
          }
        } else if (renameType === 'OBJECT_VIEW' || renameType === 'OBJECT_MATVIEW') {
          this.moveView(tableKey(relationName(body.relation)), tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname));
        } else if (renameType === 'OBJECT_FUNCTION') {
          const names: string[] = (body.object?.ObjectWithArgs?.objname ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?');
          const from = tableKey(names.join('.'));
          const volatility = this.functions.get(from);
          if (volatility) {
            this.deleteIn(this.functions, from);
            this.setIn(this.functions, tableKey([...names.slice(0, -1), body.newname].join('.')), volatility);
          }
          const key = functionKey(body.object?.ObjectWithArgs);
          const definition = key === undefined ? undefined : this.definitions.get(key);
          if (key !== undefined && definition !== undefined) {
            this.deleteIn(this.definitions, key);
            this.setIn(this.definitions, `${tableKey([...names.slice(0, -1), body.newname].join('.'))}${key.slice(key.indexOf('('))}`, definition);
          }
        } else if (renameType === 'OBJECT_TRIGGER') {
          const table = this.table(relationName(body.relation));
          if (table?.triggers.has(body.subname)) {
            this.deleteFrom(table.triggers, body.subname);
            this.addTo(table.triggers, body.newname);
            this.noteDropped('trigger', `${table.name} ${body.subname}`, true);
            this.noteDropped('trigger', `${table.name} ${body.newname}`, false);
          }
        } else if (renameType === 'OBJECT_COLUMN') {
          const table = this.table(relationName(body.relation));
          const col = table?.columns.get(body.subname);
          if (table && col) {
            this.deleteIn(table.columns, body.subname);
            this.setIn(table.columns, body.newname, col);
            this.addTo(table.droppedColumns, body.subname);
            this.deleteFrom(table.droppedColumns, body.newname);
          }
          if (table && this.newColumns.has(`${table.name}.${body.subname}`)) {
            this.deleteFrom(this.newColumns, `${table.name}.${body.subname}`);
            this.addNew(this.newColumns, this.madeLog.columns, `${table.name}.${body.newname}`);
          }
          if (table) {
            const rename = (cols: readonly string[]) => cols.map((c) => (c === body.subname ? body.newname : c));
            if (table.foreignKeys.involves(body.subname)) for (const [fkName, fk] of table.foreignKeys) if (fk.columns.includes(body.subname)) this.setForeignKey(table, fkName, { ...fk, columns: rename(fk.columns) });
            if (table.keyConstraints.involves(body.subname)) for (const [keyName, key] of table.keyConstraints) if (key.columns.includes(body.subname)) this.setIn(table.keyConstraints, keyName, { ...key, columns: rename(key.columns) });
            if (table.uniqueIndexes.involves(body.subname)) for (const [indexName, index] of table.uniqueIndexes) if (index.columns.includes(body.subname)) this.setIn(table.uniqueIndexes, indexName, { ...index, keys: rename(index.keys), columns: rename(index.columns) });
            // What else names the column follows it, so DROP COLUMN, a type change and SET NOT NULL
            // find it under its new name: constraints, NOT NULL checks, one-column keys, indexes.
            if (table.constraints.involves(body.subname)) for (const [conName, con] of table.constraints) if (con.columns.includes(body.subname)) this.setIn(table.constraints, conName, { ...con, columns: rename(con.columns) });
            for (const [checkName, check] of table.notNullChecks) if (check.column === body.subname) this.setIn(table.notNullChecks, checkName, { ...check, column: body.newname });
            if (table.uniqueColumns.has(body.subname)) {
              this.deleteFrom(table.uniqueColumns, body.subname);
              this.addTo(table.uniqueColumns, body.newname);
            }
            if (this.indexColumns.involves(body.subname) || this.indexShapes.involves(body.subname)) {
              for (const index of this.indexesOn.get(table.name) ?? []) {
                const columns = this.indexColumns.get(index);
                if (columns?.includes(body.subname)) this.setIn(this.indexColumns, index, rename(columns));
                const shape = this.indexShapes.get(index);
                if (shape && (shape.included.includes(body.subname) || shape.collated.includes(body.subname))) this.setIn(this.indexShapes, index, { ...shape, included: rename(shape.included), collated: rename(shape.collated) });
              }
            }
            for (const t of this.referencing(table.name)) {
              for (const [fkName, fk] of t.foreignKeys) if (fk.references === table.name && fk.refColumns.includes(body.subname)) this.setForeignKey(t, fkName, { ...fk, refColumns: rename(fk.refColumns) });
            }
          }
        } else if (renameType === 'OBJECT_TABCONSTRAINT') {
          const table = this.table(relationName(body.relation));
          this.constraintNames.set(body.newname, this.opaqueCount);
          const fk = table?.foreignKeys.get(body.subname);
          const key = table?.keyConstraints.get(body.subname);
          if (table && fk) {
            this.deleteIn(table.foreignKeys, body.subname);
            this.setForeignKey(table, body.newname, fk);
          }
          if (table && key) {
            this.deleteIn(table.keyConstraints, body.subname);
            this.setIn(table.keyConstraints, body.newname, key);
          }
          // Its index is renamed with it.
          const unique = table?.uniqueIndexes.get(body.subname);
          if (table && unique?.constraint) {
            this.deleteIn(table.uniqueIndexes, body.subname);
            this.setIn(table.uniqueIndexes, body.newname, unique);
          }
          const constraint = table?.constraints.get(body.subname);
          if (table && constraint) {
            // The index of a primary key, unique or exclusion constraint is renamed with it (checked on PostgreSQL 15).
            for (const index of this.constraintIndexes(table, (c) => c === constraint)) {
              this.noteDropped('relation', index, true);
              this.noteDropped('relation', `${index.slice(0, index.lastIndexOf('.') + 1)}${body.newname}`, false);
            }
            this.deleteIn(table.constraints, body.subname);
            this.setIn(table.constraints, body.newname, constraint);
          }
          if (table) {
            this.addTo(table.droppedConstraints, body.subname);
            this.deleteFrom(table.droppedConstraints, body.newname);
          }
          const check = table?.notNullChecks.get(body.subname);
          if (table && check) {
            this.deleteIn(table.notNullChecks, body.subname);
            this.setIn(table.notNullChecks, body.newname, check);
          }
        }
        return;
      }
      case 'AlterObjectSchemaStmt': {
        // ALTER TABLE (VIEW, SEQUENCE, TYPE, ...) ... SET SCHEMA: the object under its name in the
        // new schema; a table takes its indexes along (its constraints are its own).
        const moved = (name: string) => tableKey(`${body.newschema}.${name.slice(name.lastIndexOf('.') + 1)}`);
        const objectType: string = body.objectType;
        if (body.relation) {
          const from = tableKey(relationName(body.relation));
          const table = this.table(relationName(body.relation));
          // ALTER TABLE ... SET SCHEMA moves a view or a sequence too, as ALTER TABLE ... RENAME renames one.
          if (table && objectType !== 'OBJECT_VIEW' && objectType !== 'OBJECT_SEQUENCE') this.moveTable(table, moved(table.name), moved);
          else if (this.views.has(from) || this.newViews.has(from)) this.moveView(from, moved(from));
          else if (this.sequences.has(from)) this.moveSequence(from, moved(from));
        } else if (objectType === 'OBJECT_TYPE' || objectType === 'OBJECT_DOMAIN') {
          const from = tableKey((body.object?.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?').join('.'));
          this.moveType(from, moved(from));
        }
        return;
      }
      case 'DropStmt': {
        const dotted = (items: { String?: { sval?: string } }[] | undefined) => tableKey((items ?? []).map((i) => i.String?.sval).join('.'));
        if (body.removeType === 'OBJECT_TABLE') {
          for (const o of body.objects ?? []) this.dropTable(dotted(o.List?.items));
        } else if (body.removeType === 'OBJECT_INDEX') {
          for (const o of body.objects ?? []) {
            const name = dotted(o.List?.items);
            // A unique index goes with the foreign keys that depend on it (CASCADE; without, the
            // statement fails, and the analysis goes on as if it had run, as for a constraint).
            const on = this.indexTables.get(name);
            const table = on === undefined ? undefined : this.table(on);
            const bare = o.List?.items?.[o.List.items.length - 1]?.String?.sval;
            const unique = table && bare !== undefined ? table.uniqueIndexes.get(bare) : undefined;
            // A constraint's index (ADD ... USING INDEX made it one): refused, it stays.
            if (table && [...table.constraints.values()].some((c) => c.index === name)) continue;
            if (table && unique && !unique.constraint) {
              this.deleteIn(table.uniqueIndexes, bare!);
              this.dropReferencing(table.name, (fk) => fk.refIndex === unique.id);
            }
            this.dropIndex(name);
          }
        } else if (body.removeType === 'OBJECT_SCHEMA') {
          for (const o of body.objects ?? []) {
            const name = o.String?.sval ?? '';
            const made = this.schemas.has(name);
            this.deleteFrom(this.schemas, name);
            this.deleteFrom(this.newSchemas, name);
            this.dropSchema(name, body.behavior === 'DROP_CASCADE', made);
          }
        } else if (body.removeType === 'OBJECT_SEQUENCE') {
          for (const o of body.objects ?? []) this.dropSequence(dotted(o.List?.items));
        } else if (body.removeType === 'OBJECT_TRIGGER') {
          // DROP TRIGGER name ON table: the table's name parts, then the trigger's.
          for (const o of body.objects ?? []) {
            const items: { String?: { sval?: string } }[] = o.List?.items ?? [];
            const table = this.tables.get(dotted(items.slice(0, -1)));
            const trigger = items[items.length - 1]?.String?.sval;
            if (table && trigger) {
              this.deleteFrom(table.triggers, trigger);
              this.noteDropped('trigger', `${table.name} ${trigger}`, true);
            }
          }
        } else if (body.removeType === 'OBJECT_VIEW' || body.removeType === 'OBJECT_MATVIEW') {
          for (const o of body.objects ?? []) this.dropView(dotted(o.List?.items), body.removeType === 'OBJECT_MATVIEW');
        } else if (body.removeType === 'OBJECT_TYPE' || body.removeType === 'OBJECT_DOMAIN') {
          for (const o of body.objects ?? []) {
            // CASCADE drops the columns of the type (and of arrays of it), with what involves them (checked on PostgreSQL 15).
            if (body.behavior === 'DROP_CASCADE') this.dropColumnsOfType(dotted(o.TypeName?.names));
            this.deleteFrom(this.types, dotted(o.TypeName?.names));
            this.deleteIn(this.domains, dotted(o.TypeName?.names));
            this.noteDropped('type', dotted(o.TypeName?.names), true);
            this.deleteIn(this.enumValues, dotted(o.TypeName?.names));
          }
        } else if (body.removeType === 'OBJECT_FUNCTION' || body.removeType === 'OBJECT_PROCEDURE') {
          // Overloads are not told apart: dropping one is taken as dropping the name.
          for (const o of body.objects ?? []) {
            // CASCADE drops the indexes and triggers that use it (without, the statement fails).
            for (const user of this.usersOfFunction(dotted(o.ObjectWithArgs?.objname))) {
              if (user.kind === 'index') this.goneAs(`dropped it with function ${quoteName(dotted(o.ObjectWithArgs?.objname))} (CASCADE)`, () => this.dropIndex(user.key));
              else {
                this.deleteFrom(this.table(user.table)!.triggers, user.name);
                this.goneAs(`dropped it with function ${quoteName(dotted(o.ObjectWithArgs?.objname))} (CASCADE)`, () => this.noteDropped('trigger', `${tableKey(user.table)} ${user.name}`, true));
              }
            }
            this.deleteIn(this.functions, dotted(o.ObjectWithArgs?.objname));
            // Here overloads are told apart, when the arguments are given.
            const key = functionKey(o.ObjectWithArgs);
            if (key !== undefined) this.deleteIn(this.definitions, key);
            else for (const k of [...this.definitions.keys()]) if (k.startsWith(`${dotted(o.ObjectWithArgs?.objname)}(`)) this.deleteIn(this.definitions, k);
          }
        }
        return;
      }
      case 'CreateCastStmt': {
        const source = columnType(body.sourcetype);
        const target = columnType(body.targettype);
        if (source && target) this.addTo(this.casts, `${source.name} ${target.name}`);
        return;
      }
      case 'CreateEnumStmt':
      case 'CreateDomainStmt':
      case 'CompositeTypeStmt': {
        const names: { String?: { sval?: string } }[] = kind === 'CreateEnumStmt' ? body.typeName ?? [] : kind === 'CreateDomainStmt' ? body.domainname ?? [] : [];
        const name = kind === 'CompositeTypeStmt' ? relationName(body.typevar) : names.map((n) => n.String?.sval ?? '?').join('.');
        if (createdHere) this.addTo(this.newTypes, tableKey(name));
        this.addTo(this.types, tableKey(name));
        this.noteDropped('type', name, false);
        if (kind === 'CreateEnumStmt') this.setIn(this.enumValues, tableKey(name), (body.vals ?? []).map((v: { String?: { sval?: string } }) => v.String?.sval ?? '?'));
        if (kind === 'CreateDomainStmt') this.learnDomain(kind, body);
        return;
      }
      case 'AlterDomainStmt':
        this.learnDomain(kind, body);
        return;
      case 'DefineStmt':
      case 'CreateRangeStmt': {
        // CREATE TYPE name (a shell), CREATE TYPE name (INPUT = ...), CREATE TYPE name AS RANGE,
        // which makes a multirange type too: the one it names, else its name with range made multirange.
        if (kind === 'DefineStmt' && body.kind !== 'OBJECT_TYPE') return;
        const parts: string[] = (kind === 'DefineStmt' ? body.defnames : body.typeName ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval ?? '?');
        const created = [parts.join('.')];
        if (kind === 'CreateRangeStmt') {
          const named = (body.params ?? []).find((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname === 'multirange_type_name')?.DefElem?.arg?.TypeName?.names;
          const last = parts[parts.length - 1]!;
          const multirange = named ? named.map((n: { String?: { sval?: string } }) => n.String?.sval ?? '?') : [...parts.slice(0, -1), last.includes('range') ? last.replace('range', 'multirange') : `${last}_multirange`];
          created.push(multirange.join('.'));
        }
        for (const name of created) {
          if (createdHere) this.addTo(this.newTypes, tableKey(name));
          this.addTo(this.types, tableKey(name));
          this.noteDropped('type', name, false);
        }
        return;
      }
      case 'AlterEnumStmt': {
        const name = tableKey((body.typeName ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval ?? '?').join('.'));
        const values = this.enumValues.get(name);
        if (!values || body.newVal === undefined) return;
        if (body.oldVal !== undefined) this.setIn(this.enumValues, name, values.map((v) => (v === body.oldVal ? body.newVal : v)));
        else if (!values.includes(body.newVal)) this.setIn(this.enumValues, name, [...values, body.newVal]);
        return;
      }
      case 'CreateTrigStmt': {
        const table = this.table(relationName(body.relation));
        if (table && body.trigname) {
          this.addTo(table.triggers, body.trigname);
          this.noteDropped('trigger', `${table.name} ${body.trigname}`, false);
          const fn = (body.funcname ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval ?? '?').join('.');
          this.addFunctionUsers(fn ? [fn] : [], { kind: 'trigger', name: body.trigname, key: `trigger ${table.name} ${body.trigname}`, table: table.name });
        }
        return;
      }
      case 'CreateFunctionStmt':
      case 'AlterFunctionStmt': {
        const names: { String?: { sval?: string } }[] = kind === 'CreateFunctionStmt' ? body.funcname ?? [] : body.func?.objname ?? [];
        const name = tableKey(names.map((n) => n.String?.sval ?? '?').join('.'));
        const options: { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[] = (kind === 'CreateFunctionStmt' ? body.options : body.actions) ?? [];
        const declared = options.find((o) => o.DefElem?.defname === 'volatility')?.DefElem?.arg?.String?.sval as Volatility | undefined;
        // A function is VOLATILE unless declared otherwise; ALTER FUNCTION changes only what it names.
        if (kind === 'CreateFunctionStmt' || declared) this.setIn(this.functions, name, declared ?? 'volatile');
        if (kind === 'CreateFunctionStmt') {
          const { replace: _replace, ...definition } = body;
          this.setIn(this.definitions, `${name}(${functionArguments(body.parameters)})`, fingerprint(definition));
        } else {
          // Altered: what it is now is no longer the statement that created it.
          const key = functionKey(body.func);
          if (key !== undefined && this.definitions.has(key)) this.setIn(this.definitions, key, '?');
        }
        return;
      }
      case 'IndexStmt': {
        if (body.idxname && createdHere) this.setIn(this.newIndexes, body.idxname, tableKey(relationName(body.relation)));
        // An index lives in its table's schema.
        const key = tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.idxname}` : body.idxname);
        // Logged as views and columns are: madeSince() and settle() keep those still in indexTables.
        if (body.idxname && createdHere) this.madeLog.indexes.push(key);
        this.setIndexTable(key, relationName(body.relation));
        this.setIn(this.indexColumns, key, columnRefs([body.indexParams, body.whereClause]));
        this.setIn(this.indexShapes, key, indexShape(body));
        this.addFunctionUsers(functionsCalled([body.indexParams, body.whereClause]), { kind: 'index', name: body.idxname, key, table: relationName(body.relation) });
        const params = body.indexParams ?? [];
        // A unique index of plain columns without WHERE is one a foreign key can rely on.
        const on = this.table(relationName(body.relation));
        const keys: (string | undefined)[] = params.map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name);
        if (on && body.unique && !body.whereClause && keys.length > 0 && keys.every((k) => k !== undefined)) {
          const index: UniqueIndex = { keys: keys as string[], columns: [...new Set([...keys as string[], ...columnRefs(body.indexIncludingParams)])], id: this.nextIndexId++, constraint: false, primary: false };
          this.setIn(on.uniqueIndexes, body.idxname, index);
        }
        const unique = this.table(relationName(body.relation))?.uniqueColumns;
        if (body.unique && params.length === 1 && params[0].IndexElem?.name && unique) this.addTo(unique, params[0].IndexElem.name);
        return;
      }
    }
  }

  /** A column dropped (by name, or with its type): what involves it goes with it. */
  private dropColumn(table: TableState, column: string): void {
    // The sequence a serial or identity column owns, and the indexes of the key, unique and
    // exclusion constraints that involve it, go with it (checked on PostgreSQL 15).
    const sequences = this.ownedSequences(table, column);
    const constraintIndexes = this.constraintIndexes(table, (c) => c.columns.includes(column));
    this.deleteFrom(this.unfilledColumns, `${table.name}.${column}`);
    this.deleteIn(table.columns, column);
    this.addTo(table.droppedColumns, column);
    this.deleteFrom(this.newColumns, `${table.name}.${column}`);
    // Its foreign keys go with it, and (CASCADE) those pointing at it.
    if (table.foreignKeys.involves(column)) for (const [fkName, fk] of table.foreignKeys) if (fk.columns.includes(column)) this.deleteIn(table.foreignKeys, fkName);
    if (table.keyConstraints.involves(column)) for (const [keyName, key] of table.keyConstraints) if (key.columns.includes(column)) this.deleteIn(table.keyConstraints, keyName);
    // The unique indexes it is in (a key or INCLUDE column) go with it, and the foreign
    // keys that depend on one of them or reference it.
    const goneIndexes = new Set<number>();
    if (table.uniqueIndexes.involves(column)) {
      for (const [indexName, index] of table.uniqueIndexes) {
        if (!index.columns.includes(column)) continue;
        goneIndexes.add(index.id);
        this.deleteIn(table.uniqueIndexes, indexName);
      }
    }
    this.dropReferencing(table.name, (fk) => fk.refColumns.includes(column) || (fk.refIndex !== undefined && goneIndexes.has(fk.refIndex)));
    // Its indexes and the constraints that involve it go with it.
    if (table.constraints.involves(column)) {
      for (const [conName, con] of table.constraints) {
        if (!con.columns.includes(column)) continue;
        this.deleteIn(table.constraints, conName);
        this.addTo(table.droppedConstraints, conName);
      }
    }
    this.goneAs(`dropped it with column ${quoteIdent(column)}`, () => {
      if (this.indexColumns.involves(column)) for (const index of this.indexesOn.get(table.name) ?? []) if (this.indexColumns.get(index)?.includes(column)) this.dropIndex(index);
      // So do those that only INCLUDE it (checked on PostgreSQL 15).
      if (this.indexShapes.involves(column)) for (const index of this.indexesOn.get(table.name) ?? []) if (this.indexShapes.get(index)?.included.includes(column)) this.dropIndex(index);
      for (const index of constraintIndexes) this.noteDropped('relation', index, true);
    });
    for (const [sequence] of sequences) this.goneAs(`dropped it with column ${quoteIdent(column)}, which owns it`, () => this.dropSequence(sequence));
  }

  /**
   * A table dropped (by name, with its schema or its partitioned table), or a materialized view:
   * its indexes, its constraints' indexes, its row type, the sequences its columns own and its
   * partitions go with it (checked on PostgreSQL 15), and (CASCADE) the foreign keys of other
   * tables that point at it.
   */
  private dropTable(key: string, word = 'table'): void {
    const table = this.tables.get(key);
    const sequences = table ? this.ownedSequences(table) : [];
    const constraintIndexes = table ? this.constraintIndexes(table, () => true) : [];
    const partitions = this.partitions.get(key) ?? [];
    this.deleteTable(key);
    this.dropReferencing(key, () => true);
    // A materialized view's indexes go with it, however it goes.
    this.goneAs(word !== 'table' || this.goneHow === undefined ? `dropped it with its ${word} ${quoteName(key)}` : this.goneHow, () => {
      for (const index of this.indexesOn.get(key) ?? []) this.dropIndex(index);
      for (const index of constraintIndexes) this.noteDropped('relation', index, true);
    });
    for (const [sequence, column] of sequences) this.goneAs(this.goneHow ?? `dropped it with table ${quoteName(key)}, whose column ${quoteIdent(column)} owns it`, () => this.dropSequence(sequence));
    // A partitioned table's partitions go with it (checked on PostgreSQL 15).
    for (const partition of partitions) if (this.tables.has(partition)) this.goneAs(this.goneHow ?? `dropped it with its partitioned table ${quoteName(key)}`, () => this.dropTable(partition));
  }

  /** A view or materialized view dropped (by name, with its schema, or with what it reads). */
  private dropView(key: string, materialized: boolean): void {
    // The table a materialized view is here goes with it.
    if (materialized) this.dropTable(key, 'materialized view');
    this.deleteFrom(this.views, key);
    this.noteDropped('relation', key, true);
    this.deleteFrom(this.newViews, key);
    this.noteRelationChange(key);
    this.deleteIn(this.definitions, `view ${key}`);
    this.deleteIn(this.viewReads, key);
  }

  private dropSequence(key: string): void {
    this.deleteIn(this.sequencePositions, key);
    this.deleteFrom(this.sequences, key);
    this.deleteIn(this.sequenceDraws, key);
    if (this.newSequences.has(key)) {
      this.deleteFrom(this.newSequences, key);
      this.noteRelationChange(key);
    }
    this.noteDropped('relation', key, true);
  }

  /** DROP TYPE ... CASCADE: the columns of the type, or of an array of it, go (checked on PostgreSQL 15). */
  private dropColumnsOfType(type: string): void {
    for (const { table, column } of this.columnsOfType(type)) this.goneAs(`dropped it with column ${quoteIdent(column)} of type ${quoteName(type)} (CASCADE)`, () => this.dropColumn(this.tables.get(tableKey(table))!, column));
  }

  /** The columns of the tables seen whose type is `type` (tableKey name), or an array of it: what DROP TYPE ... CASCADE drops. */
  columnsOfType(type: string): { readonly table: string; readonly column: string }[] {
    const found: { table: string; column: string }[] = [];
    for (const table of this.tables.values()) {
      for (const [name, c] of table.columns) if (c.type && tableKey(c.type.name) === type) found.push({ table: table.name, column: name });
    }
    return found;
  }

  /**
   * DROP SCHEMA: with CASCADE everything in it the statements seen made goes (tables with what
   * goes with them, views, sequences, types), known by its schema-qualified name; without, it is
   * gone for sure only where a statement seen made it and nothing in it is known (else PostgreSQL
   * may refuse). A view elsewhere that reads what is in it goes too, which is not followed.
   * public is left alone: bare names may be in it or not.
   */
  private dropSchema(name: string, cascade: boolean, made: boolean): void {
    if (name === 'public' || (!cascade && !made)) return;
    const prefix = `${name}.`;
    const inIt = (keys: Iterable<string>) => [...keys].filter((k) => k.startsWith(prefix));
    const tables = inIt(this.tables.keys());
    const views = inIt(this.views);
    const sequences = inIt(this.sequences);
    const types = inIt(this.types);
    if (!cascade && tables.length + views.length + sequences.length + types.length > 0) return;
    this.goneAs(`dropped it with schema ${quoteIdent(name)} (CASCADE)`, () => {
      for (const v of views) this.dropView(v, this.tables.has(v));
      for (const t of tables) if (this.tables.has(t)) this.dropTable(t);
      for (const q of sequences) if (this.sequences.has(q)) this.dropSequence(q);
      for (const t of types) {
        this.deleteFrom(this.types, t);
        this.deleteIn(this.domains, t);
        this.noteDropped('type', t, true);
        this.deleteIn(this.enumValues, t);
      }
    });
    this.noteDropped('schema', name, true);
  }

  /** The indexes of the table's primary key, unique and exclusion constraints that match: each has its constraint's name, in the table's schema. */
  private constraintIndexes(table: TableState, matches: (c: ConstraintState) => boolean): string[] {
    const schema = table.name.includes('.') ? table.name.slice(0, table.name.lastIndexOf('.') + 1) : '';
    const out: string[] = [];
    for (const [name, c] of table.constraints) if ((c.kind === 'primary key' || c.kind === 'unique' || c.kind === 'exclusion') && matches(c)) out.push(tableKey(`${schema}${name}`));
    return out;
  }

  /**
   * The columns whose default still draws from a sequence: an identity's own, and a serial's whose
   * default no statement has dropped or changed since (a default written as nextval(...) is not
   * followed: a later SET DEFAULT may have changed it). What DROP SEQUENCE without CASCADE is
   * refused for (MG237).
   */
  columnsDrawingFrom(sequence: string): { readonly table: string; readonly column: string; readonly identity: boolean }[] {
    const key = tableKey(sequence);
    const found: { table: string; column: string; identity: boolean }[] = [];
    for (const table of this.tables.values()) {
      if (table.mayBeAbsent) continue;
      for (const [owned, column] of this.ownedSequences(table)) {
        const c = table.columns.get(column);
        if (owned !== key || !c || c.sequence === undefined) continue;
        if (c.identity !== undefined || (c.defaultExpr === undefined && c.hasDefault !== false)) found.push({ table: table.name, column, identity: c.identity !== undefined });
      }
    }
    return found;
  }

  /**
   * The sequences the table's columns (or one column) own, with the column: a serial's and an
   * identity's (table_column_seq, cut to 63 bytes as PostgreSQL cuts it, or the identity's
   * SEQUENCE NAME), and those CREATE or ALTER SEQUENCE ... OWNED BY gave it.
   */
  private ownedSequences(table: TableState, column?: string): [string, string][] {
    const out: [string, string][] = [];
    const dot = table.name.lastIndexOf('.');
    // One column's, without a walk of the table's columns (hundreds on the bench's tables).
    const one = column === undefined ? undefined : table.columns.get(column);
    const columns: Iterable<[string, ColumnState]> = column === undefined ? table.columns : one ? [[column, one]] : [];
    for (const [name, c] of columns) {
      if (c.sequence === undefined) continue;
      // A serial's default is the sequence's nextval(), not written; an identity's is its own.
      if (c.identity === undefined && c.defaultExpr !== undefined) continue;
      const named = c.sequence !== tableKey(`${table.name}_${name}_seq`);
      const sequence = named ? c.sequence : tableKey(`${table.name.slice(0, dot + 1)}${makeObjectName(table.name.slice(dot + 1), name, 'seq')}`);
      // A sequence CREATE SEQUENCE made has the name: PostgreSQL gave the serial another (t_id_seq1), not followed.
      if (!named && this.sequences.has(sequence)) continue;
      out.push([sequence, name]);
    }
    for (const [sequence, p] of this.sequencePositions) {
      if (p.ownedBy && sameRelation(p.ownedBy.table, table.name) && (column === undefined || p.ownedBy.column === column) && !out.some(([s]) => s === sequence)) out.push([sequence, p.ownedBy.column]);
    }
    return out;
  }

  /** A table known only from what statements do to it: not new, its other columns unknown. */
  private existing(name: string, mayBeAbsent: boolean): TableState {
    const key = tableKey(name);
    const table: TableState = { ...emptyTable(key, false), partial: true, ...(mayBeAbsent ? { mayBeAbsent } : {}) };
    this.setTable(key, table);
    this.tablesMadeFirst ??= false;
    return table;
  }

  /** Notes a constraint in table.constraints, under its name (apply() wrote in those PostgreSQL gives). */
  private trackConstraint(table: TableState, c: Record<string, any>, column?: string): void {
    const kind = constraintKinds[c.contype as string];
    if (!kind) return;
    const columns = kind === 'foreign key' ? names(c.fk_attrs)
      : kind === 'check' ? columnRefs(c.raw_expr)
        : kind === 'exclusion' ? columnRefs([c.exclusions, c.where_clause])
          : [...new Set([...names(c.keys), ...names(c.including)])];
    if (column !== undefined && !columns.includes(column)) columns.push(column);
    // USING INDEX without a name: the constraint takes the index's.
    const name: string | undefined = c.conname ?? (typeof c.indexname === 'string' ? c.indexname : undefined);
    if (name !== undefined) this.constraintNames.set(name, this.opaqueCount);
    const schema = table.name.includes('.') ? `${table.name.slice(0, table.name.lastIndexOf('.'))}.` : '';
    // USING INDEX: the index, which takes the constraint's name.
    const index = typeof c.indexname === 'string' ? tableKey(`${schema}${name ?? c.indexname}`) : undefined;
    if (name !== undefined) this.setIn(table.constraints, name, { kind, validated: !c.skip_validation, columns, ...(index !== undefined ? { index } : {}) });
    // Its index (a key's, a unique or exclusion constraint's) has its name: there again.
    if (name !== undefined && (kind === 'primary key' || kind === 'unique' || kind === 'exclusion')) this.noteDropped('relation', tableKey(`${schema}${name}`), false);
    // A constraint added under a name once dropped is there again.
    if (name !== undefined) this.deleteFrom(table.droppedConstraints, name);
  }

  /** Drops the foreign keys that point at `table` (its own too) and match (what CASCADE drops). */
  private dropReferencing(table: string, matches: (fk: ForeignKeyState) => boolean): void {
    const self = this.tables.get(table);
    for (const t of self ? [...this.referencing(table), self] : this.referencing(table)) {
      for (const [fkName, fk] of t.foreignKeys) {
        if (fk.references !== table || !matches(fk)) continue;
        this.deleteIn(t.foreignKeys, fkName);
        this.deleteIn(t.constraints, fkName);
        this.addTo(t.droppedConstraints, fkName);
      }
    }
  }

  /**
   * Notes the unique indexes of the primary key and unique constraints among these (those of one
   * CREATE TABLE, or of one ADD), oldest first as PostgreSQL makes them: in CREATE TABLE the
   * primary key's first, and a key written twice (UNIQUE PRIMARY KEY) makes one index, which
   * takes the name of the first that has one (transformIndexConstraints). A deferrable key is
   * left out: no foreign key can rely on it.
   */
  private addKeyIndexes(table: TableState, constraints: readonly (Record<string, any> | undefined)[]): void {
    const keys = constraints.filter((c): c is Record<string, any> => (c?.contype === 'CONSTR_PRIMARY' || c?.contype === 'CONSTR_UNIQUE') && c.keys?.length > 0 && typeof c.indexname !== 'string');
    const primary = keys.find((c) => c.contype === 'CONSTR_PRIMARY');
    const made: { c: Record<string, any>; name: string }[] = [];
    for (const c of primary ? [primary, ...keys.filter((k) => k !== primary)] : keys) {
      const same = made.find((m) => fingerprint([m.c.keys, m.c.including, m.c.deferrable, m.c.initdeferred, m.c.nulls_not_distinct]) === fingerprint([c.keys, c.including, c.deferrable, c.initdeferred, c.nulls_not_distinct]));
      if (same) same.name ??= c.conname;
      else made.push({ c, name: c.conname });
    }
    for (const { c, name } of made) {
      if (c.deferrable || c.initdeferred) continue;
      const isPrimary = c === primary;
      const cols = names(c.keys);
      this.setIn(table.uniqueIndexes, name, { keys: cols, columns: [...new Set([...cols, ...names(c.including)])], id: this.nextIndexId++, constraint: true, primary: isPrimary });
    }
  }

  /** ADD CONSTRAINT ... USING INDEX: the constraint takes the unique index over, and its name. */
  private adoptIndex(table: TableState, c: Record<string, any>): void {
    const index = table.uniqueIndexes.get(c.indexname);
    if (!index || index.constraint || (c.contype !== 'CONSTR_PRIMARY' && c.contype !== 'CONSTR_UNIQUE')) return;
    const name: string = c.conname ?? c.indexname;
    this.deleteIn(table.uniqueIndexes, c.indexname);
    this.setIn(table.uniqueIndexes, name, { ...index, constraint: true, primary: c.contype === 'CONSTR_PRIMARY' });
    this.setIn(table.keyConstraints, name, { columns: index.keys, primary: c.contype === 'CONSTR_PRIMARY' });
  }

  private addConstraint(table: TableState, c: Record<string, any> | undefined): void {
    if (c) this.trackConstraint(table, c);
    if ((c?.contype === 'CONSTR_PRIMARY' || c?.contype === 'CONSTR_UNIQUE') && c.keys?.length === 1) this.addTo(table.uniqueColumns, c.keys[0].String?.sval);
    if ((c?.contype === 'CONSTR_PRIMARY' || c?.contype === 'CONSTR_UNIQUE') && c.keys?.length) {
      const cols = names(c.keys);
      this.setIn(table.keyConstraints, c.conname, { columns: cols, primary: c.contype === 'CONSTR_PRIMARY' });
    }
    if (c?.contype === 'CONSTR_FOREIGN') {
      const columns = names(c.fk_attrs);
      const references = tableKey(relationName(c.pktable));
      // No referenced columns named: the referenced table's primary key.
      const target = references === table.name ? table : this.table(references);
      const pkIndex = target ? [...target.uniqueIndexes.values()].find((i) => i.primary) : undefined;
      const pk = pkIndex?.keys ?? (target ? [...target.keyConstraints.values()].find((k) => k.primary)?.columns : undefined);
      const refColumns = c.pk_attrs?.length ? names(c.pk_attrs) : pk ?? [];
      // The index it depends on, as PostgreSQL picks it: the primary key's, or the oldest unique
      // index of the referenced columns (transformFkeyCheckAttrs walks them in OID order).
      let refIndex = c.pk_attrs?.length ? undefined : pkIndex?.id;
      if (c.pk_attrs?.length && target) for (const i of target.uniqueIndexes.values()) if (sameColumns(i.keys, refColumns) && (refIndex === undefined || i.id < refIndex)) refIndex = i.id;
      const actions = { ...(c.fk_del_action ? { onDelete: c.fk_del_action as string } : {}), ...(c.fk_upd_action ? { onUpdate: c.fk_upd_action as string } : {}) };
      this.setForeignKey(table, c.conname, { columns, references, refColumns, ...(refIndex !== undefined ? { refIndex } : {}), ...actions });
    }
    if (c?.contype !== 'CONSTR_CHECK') return;
    const column = isNotNullCheck(c.raw_expr);
    if (column) this.setIn(table.notNullChecks, c.conname, { column, validated: !c.skip_validation });
  }
}

const constraintKinds: Readonly<Record<string, ConstraintState['kind']>> = {
  CONSTR_CHECK: 'check', CONSTR_FOREIGN: 'foreign key', CONSTR_UNIQUE: 'unique', CONSTR_PRIMARY: 'primary key', CONSTR_EXCLUSION: 'exclusion',
};


/** The unique index of a table with this id, with its name; undefined once it is gone. */
function indexWithId(table: TableState, id: number): [string, UniqueIndex] | undefined {
  for (const entry of table.uniqueIndexes) if (entry[1].id === id) return entry;
  return undefined;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** What a column definition says of the column, at its position in the table. */
function columnState(def: Record<string, any>, table: string, ordinal: number): ColumnState {
  const notNull = (def.constraints ?? []).some((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY') || def.is_not_null === true;
  const type = columnType(def.typeName);
  const kinds = (def.constraints ?? []).map((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype);
  const serial = /^serial[248]$/.test(type?.name ?? '');
  const hasDefault = kinds.includes('CONSTR_DEFAULT') || kinds.includes('CONSTR_IDENTITY') || kinds.includes('CONSTR_GENERATED') || serial;
  const written = (def.constraints ?? []).find((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_DEFAULT')?.Constraint?.raw_expr;
  // A serial's default is a sequence's nextval(), not written: not known.
  const defaultExpr = written !== undefined ? fingerprint(written) : serial ? undefined : null;
  // The sequence PostgreSQL creates for a serial or identity column (table_column_seq, in the
  // table's schema), or the one its DEFAULT nextval('...') names.
  const identityOptions = (def.constraints ?? []).find((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_IDENTITY')?.Constraint?.options;
  const sequence = serial ? `${table}_${def.colname}_seq` : kinds.includes('CONSTR_IDENTITY') ? identitySequenceName(table, def.colname, identityOptions) : defaultSequence(written);
  // Built field by field (no spreads): every column of every CREATE TABLE and ADD COLUMN comes here.
  // A serial is an integer column with a sequence's default: its type is the integer (serial4 is int4).
  const column: ColumnState = type ? { type: serial ? { ...type, name: `int${type.name.slice(-1)}` } : type, notNull } : { notNull };
  if (hasDefault) column.hasDefault = true;
  if (defaultExpr !== undefined) column.defaultExpr = defaultExpr;
  if (sequence) column.sequence = sequence;
  // PostgreSQL makes a serial's or identity's sequence with the column: fresh when the column is.
  if (serial || kinds.includes('CONSTR_IDENTITY')) column.ownSequence = true;
  const identity = (def.constraints ?? []).find((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_IDENTITY')?.Constraint;
  if (identity) column.identity = identity.generated_when === 'a' ? 'always' : 'by default';
  // A serial's sequence is made with no options, of its integer; an identity's with its own, of the column's type.
  const integer = column.type?.name;
  if ((serial || identity) && (integer === 'int2' || integer === 'int4' || integer === 'int8')) {
    const draws = sequenceDraws(identity?.options, integer);
    if (draws) column.draws = draws;
  }
  const collation = collationOf(def);
  if (collation !== undefined) column.collation = collation;
  column.ordinal = ordinal;
  return column;
}

/** The collation a column definition names (COLLATE "C": C), or undefined for its type's default. */
export function collationOf(def: Record<string, any> | undefined): string | undefined {
  const names: { String?: { sval?: string } }[] | undefined = def?.collClause?.collname;
  const name = names?.map((n) => n.String?.sval ?? '?').filter((n) => n !== 'pg_catalog').join('.');
  return name === 'default' ? undefined : name;
}

/** The column of a CHECK (col IS NOT NULL) expression, or undefined for any other check. */
export function isNotNullCheck(expr: Record<string, any> | undefined): string | undefined {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = test.arg?.ColumnRef?.fields ?? [];
  return fields.length === 1 ? fields[0].String?.sval : undefined;
}

/** NULL, written as such or cast to a type (NULL::int): a default that gives NULL. */
export function isNullConstant(expr: Record<string, any> | undefined): boolean {
  let e = expr;
  while (e?.TypeCast) e = e.TypeCast.arg;
  return e?.A_Const?.isnull === true;
}

/** What an expression is when VALUE is NULL, in SQL's three-valued logic: 'value' is some value that is not NULL. */
type OnNull = 'true' | 'false' | 'null' | 'value' | 'unknown';

/**
 * Whether a domain's CHECK expression is false when VALUE is NULL, so that the domain refuses
 * NULL (a CHECK that is NULL passes, as one that is true): CHECK (VALUE IS NOT NULL), NOT (VALUE
 * IS NULL), VALUE IS DISTINCT FROM NULL, (VALUE > 0) IS TRUE, and AND, OR and NOT of such. An
 * operator applied to NULL (VALUE > 0, VALUE IN (...), LIKE, BETWEEN) is taken to give NULL, as
 * the built-in ones do. What needs values worked out (coalesce(VALUE, 0) > 0, which refuses NULL)
 * or a function call is not followed: false, as for a CHECK that lets NULL pass.
 */
export function nullRefusingCheck(expr: Record<string, any> | undefined): boolean {
  return onNull(expr) === 'false';
}

function onNull(expr: Record<string, any> | undefined): OnNull {
  if (!expr) return 'unknown';
  const fields: { String?: { sval?: string } }[] | undefined = expr.ColumnRef?.fields;
  if (fields) return fields.length === 1 && fields[0]!.String?.sval === 'value' ? 'null' : 'unknown';
  if (expr.A_Const) return expr.A_Const.isnull ? 'null' : expr.A_Const.boolval ? (expr.A_Const.boolval.boolval ? 'true' : 'false') : 'value';
  if (expr.TypeCast) return onNull(expr.TypeCast.arg);
  if (expr.NullTest) {
    const arg = onNull(expr.NullTest.arg);
    if (arg === 'unknown') return 'unknown';
    const isNull = arg === 'null';
    return (expr.NullTest.nulltesttype === 'IS_NULL') === isNull ? 'true' : 'false';
  }
  if (expr.BooleanTest) {
    const arg = onNull(expr.BooleanTest.arg);
    if (arg === 'unknown' || arg === 'value') return 'unknown';
    const is: Record<string, boolean> = { IS_TRUE: arg === 'true', IS_NOT_TRUE: arg !== 'true', IS_FALSE: arg === 'false', IS_NOT_FALSE: arg !== 'false', IS_UNKNOWN: arg === 'null', IS_NOT_UNKNOWN: arg !== 'null' };
    const verdict = is[expr.BooleanTest.booltesttype as string];
    return verdict === undefined ? 'unknown' : verdict ? 'true' : 'false';
  }
  if (expr.BoolExpr) {
    const args = ((expr.BoolExpr.args ?? []) as Record<string, any>[]).map(onNull);
    if (expr.BoolExpr.boolop === 'NOT_EXPR') return args[0] === 'true' ? 'false' : args[0] === 'false' ? 'true' : args[0] === 'null' ? 'null' : 'unknown';
    const [decides, other] = expr.BoolExpr.boolop === 'AND_EXPR' ? (['false', 'true'] as const) : (['true', 'false'] as const);
    if (args.includes(decides)) return decides;
    if (args.every((a) => a === other)) return other;
    return args.every((a) => a === other || a === 'null') ? 'null' : 'unknown';
  }
  if (expr.A_Expr) {
    const { kind, lexpr, rexpr } = expr.A_Expr as { kind?: string; lexpr?: Record<string, any>; rexpr?: Record<string, any> };
    const left = onNull(lexpr);
    if (kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') {
      const right = onNull(rexpr);
      const known = (v: OnNull) => v !== 'unknown';
      if (!known(left) || !known(right) || ((left !== 'null') && (right !== 'null'))) return 'unknown';
      const distinct = (left === 'null') !== (right === 'null');
      return (kind === 'AEXPR_DISTINCT') === distinct ? 'true' : 'false';
    }
    if (kind === 'AEXPR_OP' || kind === 'AEXPR_OP_ANY' || kind === 'AEXPR_OP_ALL' || kind === 'AEXPR_IN' || kind === 'AEXPR_LIKE' || kind === 'AEXPR_ILIKE' || kind === 'AEXPR_SIMILAR' || kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN') {
      // Strict: NULL in, NULL out (the left operand; for IN and BETWEEN the tested value).
      if (left === 'null') return 'null';
      if (kind === 'AEXPR_OP' && !Array.isArray(rexpr) && onNull(rexpr) === 'null') return 'null';
    }
    return 'unknown';
  }
  if (expr.CoalesceExpr) {
    for (const arg of (expr.CoalesceExpr.args ?? []) as Record<string, any>[]) {
      const v = onNull(arg);
      if (v !== 'null') return v;
    }
    return 'null';
  }
  return 'unknown';
}

/** The fingerprint of DEFAULT NULL's expression. */
const nullDefault = '{"A_Const":{"isnull":true}}';

/** A parse tree without its positions, as text: equal for the same SQL however it is laid out. */
export function fingerprint(node: unknown): string {
  return JSON.stringify(node, (key, value) => (key === 'location' ? undefined : value));
}

/** The column names a part of a parse tree refers to (column references, index keys), without repeats. */
export function columnRefs(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) columnRefs(x, into);
  else if (node && typeof node === 'object') {
    const n = node as Record<string, any>;
    const fields: { String?: { sval?: string } }[] | undefined = n.ColumnRef?.fields;
    const last = fields?.[fields.length - 1]?.String?.sval;
    if (last !== undefined && !into.includes(last)) into.push(last);
    const key = n.IndexElem?.name;
    if (typeof key === 'string' && !into.includes(key)) into.push(key);
    for (const [k, v] of Object.entries(n)) if (k !== 'ColumnRef') columnRefs(v, into);
  }
  return into;
}

/**
 * What a change of a column's type does to an index CREATE INDEX made depends on (src/analyze/sql/type-change.ts,
 * indexesRebuiltInPlace): PostgreSQL re-creates every index that involves the column and keeps the
 * file of one whose keys keep their operator class and collation, and only when it has no
 * expression and no WHERE, which it does not compare (CheckIndexCompatible in indexcmds.c).
 */
export interface IndexShape {
  /** An expression among its keys, or a WHERE: built again at any change of a column it involves. */
  readonly computed: boolean;
  /** The columns among its keys given a COLLATE in the index: a new collation of the column leaves them as they are. */
  readonly collated: readonly string[];
  /** Its INCLUDE columns: re-created at a change of their type, kept unless the index is computed. */
  readonly included: readonly string[];
}

/**
 * An IndexStmt's shape. "(column)" and "(column COLLATE name)" are plain keys, not expressions:
 * ComputeIndexAttrs() strips a top-level COLLATE and takes a bare column as a column.
 */
function indexShape(body: { indexParams?: { IndexElem?: { name?: string; expr?: PgNode; collation?: unknown[] } }[]; indexIncludingParams?: { IndexElem?: { name?: string } }[]; whereClause?: unknown }): IndexShape {
  let computed = body.whereClause !== undefined;
  const collated: string[] = [];
  for (const param of body.indexParams ?? []) {
    const elem = param.IndexElem;
    let e = elem?.expr as Record<string, any> | undefined;
    let collate = (elem?.collation?.length ?? 0) > 0;
    while (e?.CollateClause) {
      collate = true;
      e = e.CollateClause.arg;
    }
    const fields: { String?: { sval?: string } }[] | undefined = e?.ColumnRef?.fields;
    const column = elem?.name ?? (fields?.length === 1 ? fields[0]!.String?.sval : undefined);
    if (e !== undefined && column === undefined) computed = true;
    else if (collate && column !== undefined) collated.push(column);
  }
  const included = (body.indexIncludingParams ?? []).map((p) => p.IndexElem?.name).filter((n): n is string => n !== undefined);
  return { computed, collated, included };
}

/** The input argument types of a function's parameters, as "int4, text[]". */
export function functionArguments(parameters: { FunctionParameter?: { argType?: any; mode?: string } }[] | undefined): string {
  return (parameters ?? [])
    .filter((p) => p.FunctionParameter && p.FunctionParameter.mode !== 'FUNC_PARAM_OUT' && p.FunctionParameter.mode !== 'FUNC_PARAM_TABLE')
    .map((p) => argumentType(p.FunctionParameter!.argType))
    .join(', ');
}

function argumentType(typeName: any): string {
  const t = columnType(typeName?.TypeName ?? typeName);
  return t ? `${tableKey(t.name)}${t.array ? '[]' : ''}` : '?';
}

/** "name(int4, text)" for a function named with its arguments; undefined when they are not given. */
export function functionKey(o: { objname?: { String?: { sval?: string } }[]; objargs?: unknown[]; args_unspecified?: boolean } | undefined): string | undefined {
  if (!o || o.args_unspecified) return undefined;
  const name = tableKey((o.objname ?? []).map((n) => n.String?.sval ?? '?').join('.'));
  return `${name}(${(o.objargs ?? []).map(argumentType).join(', ')})`;
}

/** A function or procedure CREATE FUNCTION made, as a call of it finds it (src/analyze/sql/routines.ts). */
export interface Routine {
  /** Its name as created, schema-qualified unless in public (tableKey). */
  readonly name: string;
  /** Its input arguments' types (functionArguments): CREATE OR REPLACE of the same replaces it. */
  readonly arguments: string;
  /** How many arguments a call passes: from `required` to `inputs`, or more when the last is VARIADIC. */
  readonly inputs: number;
  readonly required: number;
  readonly variadic: boolean;
  readonly procedure: boolean;
  /** The CREATE statement and its text, which holds the body. */
  readonly ast: PgNode;
  /** The actions of the ALTER FUNCTION statements since (DefElem: SECURITY DEFINER, SET, STRICT, a volatility), in order. */
  readonly alterations?: readonly unknown[];
  readonly text: string;
  /** Where that statement is written, when the caller knows (a file's statement, a plan's). */
  readonly source?: RoutineSource;
}

/** Where a CREATE FUNCTION is: its file, its span there, and where an offset into its text is in the file. */
export interface RoutineSource {
  readonly file: string;
  readonly span: { readonly start: number; readonly end: number };
  readonly fileOffset?: (offset: number) => number;
}

/** An index or a trigger that uses a function (SchemaState.usersOfFunction); `key`: the index's key in the state, or "trigger <table> <name>". */
export interface FunctionUser {
  readonly kind: 'index' | 'trigger';
  readonly name: string;
  readonly key: string;
  readonly table: string;
}

/** The names of the functions an expression calls (FuncCall), as written: "f", "app.f". */
function functionsCalled(tree: unknown): string[] {
  const found: string[] = [];
  forEachNode(tree, (o) => {
    const call = o.FuncCall as { funcname?: { String?: { sval?: string } }[] } | undefined;
    if (call) found.push((call.funcname ?? []).map((p) => p.String?.sval ?? '?').join('.'));
  });
  return found;
}

/** The column an UPDATE's value is, plain or cast (SET copy = original, = original::text), or undefined. */
function copySource(value: any): { readonly column: string; readonly through: boolean } | undefined {
  if (value?.TypeCast) return copySource(value.TypeCast.arg);
  const fields = value?.ColumnRef?.fields;
  if (fields) return fields.length === 1 && typeof fields[0]?.String?.sval === 'string' ? { column: fields[0].String.sval, through: false } : undefined;
  // An operator with a constant that keeps different values apart: old * 1024 (the twenty-fourth
  // trial's trieve, kilobytes to bytes), old + 1, 'a' || old::text (thunderdome's sort keys).
  // Not / or %, which fold values together.
  const op = value?.A_Expr;
  if (op?.kind !== 'AEXPR_OP' || op.name?.length !== 1) return undefined;
  const name = op.name[0]?.String?.sval;
  if (name !== '*' && name !== '+' && name !== '-' && name !== '||') return undefined;
  const constant = (n: any) => {
    const c = n?.TypeCast ? n.TypeCast.arg?.A_Const : n?.A_Const;
    if (!c || c.isnull) return false;
    // Times zero keeps nothing.
    return name !== '*' || !(c.ival !== undefined && (c.ival.ival ?? 0) === 0) && !(c.fval !== undefined && Number(c.fval.fval) === 0);
  };
  const inner = constant(op.lexpr) ? copySource(op.rexpr) : constant(op.rexpr) ? copySource(op.lexpr) : undefined;
  return inner ? { column: inner.column, through: true } : undefined;
}

/**
 * The one column an expression reads, unqualified or qualified by any name (an UPDATE without FROM
 * reads only its own table), when it reads exactly one and no subquery: undefined otherwise.
 */
function onlyColumnRead(value: unknown): string | undefined {
  if (someNode(value, (n) => 'SubLink' in n)) return undefined;
  const read = columnRefs(value);
  return read.length === 1 ? read[0] : undefined;
}

/**
 * The columns a WHERE asks to hold a value: `c IS NOT NULL`, or several such joined by OR (a row
 * is left out only where all of them are NULL, so each one's every value is in); undefined for any
 * other condition.
 */
function nonNullColumns(where: any): Set<string> | undefined {
  const terms = where?.BoolExpr?.boolop === 'OR_EXPR' ? where.BoolExpr.args ?? [] : [where];
  const columns = new Set<string>();
  for (const t of terms) {
    const test = t?.NullTest;
    const fields = test?.nulltesttype === 'IS_NOT_NULL' ? test.arg?.ColumnRef?.fields : undefined;
    const name = fields?.at(-1)?.String?.sval;
    if (typeof name !== 'string') return undefined;
    columns.add(name);
  }
  return columns;
}

/**
 * The name of the sequence an identity column gets: its SEQUENCE NAME option, or table_column_seq
 * in the table's schema (PostgreSQL adds a number when that name is taken, which is not followed).
 */
export function identitySequenceName(table: string, column: string, options: readonly unknown[] | undefined): string {
  for (const o of options ?? []) {
    const d = (o as { DefElem?: { defname?: string; arg?: { List?: { items?: { String?: { sval?: string } }[] } } } }).DefElem;
    if (d?.defname === 'sequence_name') return tableKey((d.arg?.List?.items ?? []).map((i) => i.String?.sval ?? '').join('.'));
  }
  const dot = table.lastIndexOf('.');
  return tableKey(`${table.slice(0, dot + 1)}${table.slice(dot + 1)}_${column}_seq`);
}

/** Where a statement makes a relation, by kind: its RangeVar's field ('into' for CREATE TABLE AS's into.rel). */
const madeRelation: Record<string, string> = { CreateStmt: 'relation', ViewStmt: 'view', CreateSeqStmt: 'sequence', IndexStmt: 'relation', CreateTableAsStmt: 'into' };

/** Whether a statement makes a relation in pg_catalog, or moves one there (SchemaState.catalogRelations). */
function namesCatalogRelation(kind: string, body: Record<string, any>): boolean {
  if (kind === 'AlterObjectSchemaStmt') return body.newschema === 'pg_catalog';
  const field = madeRelation[kind];
  if (field === undefined) return false;
  const made = field === 'into' ? body.into?.rel : body[field];
  return made?.schemaname === 'pg_catalog';
}

/**
 * The table an INSERT's SELECT copies every row of, and the columns it takes as they are (a column
 * alone, qualified or cast; `*` all of them): one table in FROM, and no WHERE, LIMIT, OFFSET,
 * GROUP BY, DISTINCT, set operation or WITH. Undefined for any other query. A WHERE that asks
 * columns to hold a value (nonNullColumns(): `a IS NOT NULL OR b IS NOT NULL`, appflowy's token
 * counts moved to a table of their own, the twenty-fourth trial's A) copies every value of those
 * columns, not every row: `nonNull` names them.
 */
function rowCopy(select: Record<string, any> | undefined): { from: string; columns: readonly string[] | 'all'; distinct?: true; nonNull?: readonly string[] } | undefined {
  if (!select || select.op && select.op !== 'SETOP_NONE') return undefined;
  const nonNull = select.whereClause ? nonNullColumns(select.whereClause) : undefined;
  if (select.whereClause && !nonNull) return undefined;
  if (select.limitCount || select.limitOffset || select.groupClause || select.withClause || select.valuesLists) return undefined;
  // A plain DISTINCT keeps one of each row: every value is still there (DISTINCT ON keeps one row of a group: not a copy).
  const distinct = select.distinctClause !== undefined;
  if (distinct && !(select.distinctClause as unknown[]).every((d) => d === null || (typeof d === 'object' && Object.keys(d as object).length === 0))) return undefined;
  const from = select.fromClause;
  if (from?.length !== 1 || !from[0].RangeVar) return undefined;
  const columns: string[] = [];
  const found = (columns: readonly string[] | 'all') => ({ from: relationName(from[0].RangeVar), columns, ...(distinct ? { distinct: true as const } : {}), ...(nonNull ? { nonNull: [...nonNull] } : {}) });
  // The whole row as a value (json_agg(st), to_jsonb(st), row_to_json(st)): every column, in one
  // value of the copy (the twentieth trial's pocket-id keeps its signup tokens as one JSON array).
  const range = from[0].RangeVar;
  const rowName = range.alias?.aliasname ?? range.relname;
  const wholeRow = (e: any) => {
    const fields = e?.ColumnRef?.fields;
    return fields?.length === 1 && fields[0].String?.sval === rowName;
  };
  const rowValue = (select.targetList ?? []).some((t: any) => {
    const call = t.ResTarget?.val?.TypeCast?.arg?.FuncCall ?? t.ResTarget?.val?.FuncCall;
    return call?.args?.length === 1 && wholeRow(call.args[0]) && !call.agg_filter && !call.over;
  });
  if (rowValue) return found('all');
  // HAVING filters the groups of an aggregate: with no GROUP BY and no row value kept whole, not a copy.
  if (select.havingClause) return undefined;
  for (const t of select.targetList ?? []) {
    const value = t.ResTarget?.val;
    const fields = (value?.TypeCast ? value.TypeCast.arg : value)?.ColumnRef?.fields;
    if (!fields?.length) continue;
    if (fields.at(-1).A_Star) return found('all');
    const name = fields.at(-1).String?.sval;
    if (typeof name === 'string') columns.push(name);
  }
  return found(columns);
}
