import { SchemaState, tableKey } from '../analyze/sql/schema-state.js';
import { runningLocks, skippedPart, type KnownSchema } from '../analyze/sql/skips.js';
import type { ForeignKeyFilter, LockCatalog, PredictedLock } from '../sql/locks.js';
import type { PgNode } from '../sql/parser.js';
import { sqlLiteral } from '../sql/quote.js';
import type { SqlSession } from './run-script.js';

/** What the rehearsal database has of a relation skippedPart asks about. */
interface LiveRelation {
  readonly there: boolean;
  readonly columns: ReadonlySet<string>;
  readonly constraints: ReadonlySet<string>;
}

/** The relations and types skippedPart asks about for these statements, as they write them. */
function namesAsked(statements: readonly PgNode[]): { relations: Set<string>; types: Set<string> } {
  const relations = new Set<string>();
  const types = new Set<string>();
  /** Notes the name, and answers "not known". */
  const note = (into: Set<string>, name: string) => {
    into.add(name);
    return false;
  };
  // Every answer "not known": skippedPart then skips nothing, and so asks of every name it may
  // ask of (a sure answer only ends its questions sooner).
  const asking: KnownSchema = {
    relationExists: (n) => note(relations, n),
    relationGone: (n) => note(relations, n),
    typeGone: (n) => note(types, n),
    columnThere: (t) => note(relations, t),
    columnGone: (t) => note(relations, t),
    constraintGone: (t) => note(relations, t),
    foreignKeysAt: () => [],
    tableOfIndex: () => undefined,
  };
  for (const ast of statements) skippedPart(ast, asking);
  return { relations, types };
}

/** "app.t" as schema and name; undefined for a name of more parts (another database's: not looked up). */
function parts(name: string): { schema?: string; name: string } | undefined {
  const p = name.split('.');
  return p.length === 1 ? { name: p[0]! } : p.length === 2 ? { schema: p[0]!, name: p[1]! } : undefined;
}

/**
 * Looks up names as the statements' own lookup finds them: a schema-qualified name in its
 * schema, any other the first of its kind on the search_path (pg_table_is_visible,
 * pg_type_is_visible). No function that can raise an error runs: it runs inside the plan's
 * transaction.
 */
function lookupRows(names: Iterable<string>): { name: string; values: string }[] {
  return [...names].flatMap((n) => {
    const p = parts(n);
    return p ? [{ name: n, values: `${sqlLiteral(p.name)}, ${p.schema === undefined ? 'NULL' : sqlLiteral(p.schema)}` }] : [];
  });
}

/** The VALUES list of the names looked up, numbered: q(i, name, schema). */
const valuesOf = (rows: readonly { values: string }[]) => `(VALUES ${rows.map((r, i) => `(${i}, ${r.values})`).join(', ')}) AS q(i, name, schema)`;

async function liveRelations(session: SqlSession, names: Iterable<string>): Promise<Map<string, LiveRelation>> {
  const rows = lookupRows(names);
  if (!rows.length) return new Map();
  const { rows: found } = await session.query<{ i: string; there: boolean; columns: string[]; constraints: string[] }>(
    `SELECT q.i::text AS i, c.oid IS NOT NULL AS there,
            ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            ARRAY(SELECT k.conname::text FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints
       FROM ${valuesOf(rows)}
       LEFT JOIN LATERAL (
         SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname = q.name AND (CASE WHEN q.schema IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = q.schema END)
          LIMIT 1) c ON true`,
  );
  return new Map(found.map((r) => [rows[Number(r.i)]!.name, { there: r.there, columns: new Set(r.columns), constraints: new Set(r.constraints) }]));
}

async function liveTypes(session: SqlSession, names: Iterable<string>): Promise<Map<string, boolean>> {
  const rows = lookupRows(names);
  if (!rows.length) return new Map();
  const { rows: found } = await session.query<{ i: string; there: boolean }>(
    `SELECT q.i::text AS i, EXISTS (
         SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE t.typname = q.name AND (CASE WHEN q.schema IS NULL THEN pg_type_is_visible(t.oid) ELSE n.nspname = q.schema END)) AS there
       FROM ${valuesOf(rows)}`,
  );
  return new Map(found.map((r) => [rows[Number(r.i)]!.name, r.there]));
}

/**
 * The schema the statements of one query to the rehearsal database meet, for skippedPart: the
 * database as it is before the query runs, and what the query's earlier statements did to it
 * (a CALL migc_run carries a step's statements, a DO block has several; they run in order).
 * What the earlier statements did is sure and comes first; the database answers the rest.
 */
export class LiveSchema implements KnownSchema {
  /** What the query's statements judged so far did, learnt as migc's analysis learns it. */
  private readonly done = new SchemaState();

  private constructor(
    private readonly relations: ReadonlyMap<string, LiveRelation>,
    private readonly types: ReadonlyMap<string, boolean>,
    private readonly catalog: LockCatalog | undefined,
  ) {}

  /**
   * The live schema for a query whose statements (a DO block's included) are `statements`: only
   * the names PostgreSQL may skip a statement for are looked up, and none when no statement says
   * IF [NOT] EXISTS. `catalog`: the live lock catalog, when the statements need it.
   */
  static async before(session: SqlSession, statements: readonly PgNode[], catalog: LockCatalog | undefined): Promise<LiveSchema> {
    const asked = namesAsked(statements);
    return new LiveSchema(await liveRelations(session, asked.relations), await liveTypes(session, asked.types), catalog);
  }

  /**
   * The locks the next statement of the query takes, as PostgreSQL runs it (what IF [NOT]
   * EXISTS skips left out, as migc's analysis leaves it out: src/analyze/sql/skips.ts); then
   * learns what it did.
   */
  locksOf(ast: PgNode): PredictedLock[] {
    const skipped = skippedPart(ast, this);
    const locks = runningLocks(ast, this, skipped);
    if (!skipped || skipped.runs) this.done.apply(skipped?.runs ?? ast, true);
    return locks;
  }

  /** A table the query created: every column it has is known from its statements, none from the database. */
  private createdHere(table: string): boolean {
    return this.done.columnsAllKnown(table);
  }

  relationExists(name: string): boolean {
    return this.done.relationExists(name) || (!this.done.relationGone(name) && this.relations.get(name)?.there === true);
  }

  relationGone(name: string): boolean {
    return this.done.relationGone(name) || (!this.done.relationExists(name) && this.relations.get(name)?.there === false);
  }

  typeGone(name: string): boolean {
    return this.done.typeGone(name) || (!this.done.types.has(tableKey(name)) && this.types.get(name) === false);
  }

  columnThere(table: string, column: string): boolean {
    if (this.done.columnThere(table, column)) return true;
    if (this.createdHere(table) || this.done.columnGone(table, column) || this.done.relationGone(table)) return false;
    return this.relations.get(table)?.columns.has(column) === true;
  }

  columnGone(table: string, column: string): boolean {
    if (this.done.columnGone(table, column)) return true;
    if (this.createdHere(table)) return !this.done.columnThere(table, column);
    if (this.done.columnThere(table, column) || this.done.relationGone(table)) return false;
    const live = this.relations.get(table);
    return live?.there === true && !live.columns.has(column);
  }

  constraintGone(table: string, name: string): boolean {
    if (this.done.constraintGone(table, name)) return true;
    const seen = this.done.table(table);
    if ((seen && this.done.hasConstraint(seen, name)) || this.createdHere(table) || this.done.relationGone(table)) return false;
    const live = this.relations.get(table);
    return live?.there === true && !live.constraints.has(name);
  }

  foreignKeysAt(table: string, filter?: ForeignKeyFilter) {
    return this.catalog?.foreignKeysAt(table, filter) ?? [];
  }

  tableOfIndex(index: string): string | undefined {
    return this.catalog?.tableOfIndex(index);
  }

  sequencesOfDefaults(table: string) {
    return this.catalog?.sequencesOfDefaults?.(table) ?? [];
  }

  readsOfView(view: string): readonly string[] | undefined {
    return this.catalog?.readsOfView?.(view);
  }

  partitionsOf(table: string): readonly string[] | undefined {
    return this.catalog?.partitionsOf?.(table);
  }
}
