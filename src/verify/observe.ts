import { catalogOf, combinedLocks, lockStrength, type ForeignKey, type LockCatalog, type PredictedLock } from '../sql/locks.js';
import { parseSql, type PgNode } from '../sql/parser.js';
import { doBlockBody } from '../sql/plpgsql.js';
import { psqlStatements } from '../sql/psql.js';
import type { ScriptBlock } from '../emit/sql/blocks.js';
import { runStatements } from '../emit/sql/ledger.js';
import type { SqlSession } from './run-script.js';
import { LiveSchema } from './live-schema.js';
import { quoteName } from '../sql/quote.js';

/** A relation lock a statement took: "AccessExclusiveLock on public.users". */
export interface ObservedLock {
  readonly mode: string;
  readonly relation: string;
}

export interface StatementRun {
  /** Which block of the script it belongs to (the step it runs or undoes, or a gate check). */
  readonly source?: ScriptBlock['source'];
  readonly text: string;
  /** Offset of the statement in the script. */
  readonly offset: number;
  readonly ms: number;
  readonly error?: string;
  /** Locks taken, read from pg_locks inside the statement's transaction; undefined outside one. */
  readonly locks?: readonly ObservedLock[];
  /**
   * Locks taken on types (an enum's ADD VALUE, a domain's ALTER), which are no tables: shown so
   * that a step that locks no table says what it does lock. Not predicted, not judged.
   */
  readonly typeLocks?: readonly ObservedLock[];
  /** Tables whose storage was replaced (relfilenode changed): rewritten. */
  readonly rewritten: readonly string[];
  /** What the static analysis predicted, for statements it could judge. */
  readonly predicted?: readonly PredictedLock[];
  /** How the observed locks disagree with the prediction, if they do. */
  readonly disagreement?: string;
}

/** "users" as PostgreSQL reports it with the default search_path: public.users. */
function qualified(table: string): string {
  return table.includes('.') ? table : `public.${table}`;
}

/**
 * Compares the locks a statement was seen to hold with the predicted ones: each predicted table
 * must be held at least that strongly afterwards (an earlier statement of the transaction may
 * hold it already), unless only the rows it changes would take it (a foreign key's trigger), and
 * no new lock may be stronger than predicted. Reads (ACCESS SHARE, ROW SHARE) of tables the
 * prediction does not name are not judged: a function, a trigger or a view can read any table,
 * and the analysis cannot see into them. Nor are locks on relations the statement created
 * (the sequence of a serial column): nobody else can see them before it commits.
 */
export function disagreement(predicted: readonly PredictedLock[], held: ReadonlySet<string>, added: readonly ObservedLock[], existing: ReadonlySet<string>, created: ReadonlySet<string> = new Set()): string | undefined {
  const heldStrength = (table: string) => Math.max(-1, ...[...held].filter((l) => l.endsWith(`\t${table}`)).map((l) => lockStrength(l.split('\t')[0]!)));
  const strongest = (locks: readonly PredictedLock[]) => {
    const want = new Map<string, PredictedLock>();
    for (const p of locks) {
      const t = qualified(p.table);
      if (!want.has(t) || lockStrength(p.mode) > lockStrength(want.get(t)!.mode)) want.set(t, p);
    }
    return want;
  };
  const firm = strongest(predicted.filter((p) => !p.ifRows));
  const limit = strongest(predicted);
  const problems: string[] = [];
  for (const [table, p] of firm) {
    // A relation that is gone and held nothing the session could name (created and dropped by the statement).
    if (!existing.has(table) && heldStrength(table) < 0) continue;
    if (heldStrength(table) < lockStrength(p.mode)) problems.push(`predicted ${p.mode} on ${quoteName(table)}, but it held ${heldStrength(table) < 0 ? 'no lock' : 'a weaker lock'}`);
  }
  for (const l of added) {
    const expected = limit.get(l.relation);
    if (!expected && created.has(l.relation)) continue;
    const most = expected ? lockStrength(expected.mode) : lockStrength('RowShareLock');
    if (lockStrength(l.mode) > most) problems.push(`took ${l.mode} on ${quoteName(l.relation)}, predicted ${expected ? expected.mode : 'none'}`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

// migc_ledger is migc's own bookkeeping, written in every step's transaction: not the plan's locks.
const userRelations = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND NOT (n.nspname = 'public' AND c.relname = 'migc_ledger')";

/**
 * The relations whose locks are observed and predicted: tables (partitioned ones too),
 * materialized views, views, sequences and foreign tables; not indexes, whose locks follow their
 * table's, nor TOAST tables.
 */
const observedKinds = "('r', 'p', 'm', 'v', 'S', 'f')";

/**
 * The relation locks this session holds, as "mode\trelation". A lock on a relation the
 * statement dropped outlives its catalog row (DROP TABLE holds ACCESS EXCLUSIVE on the table
 * until the transaction ends), so pg_class no longer names it: `before` (the relations there
 * before the statement, by oid) does. Without it such a lock would not be seen at all, and a DROP
 * TABLE would seem to lock only the tables its foreign keys reference.
 */
async function heldLocks(session: SqlSession, before?: ReadonlyMap<string, string>): Promise<Set<string>> {
  const { rows } = await session.query<{ mode: string; oid: string; relation: string | null }>(
    `SELECT l.mode, l.relation::text AS oid, n.nspname || '.' || c.relname AS relation
       FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND (c.oid IS NULL OR (c.relkind IN ${observedKinds} AND ${userRelations}))`,
  );
  const held = new Set<string>();
  for (const r of rows) {
    const relation = r.relation ?? before?.get(r.oid);
    if (relation !== undefined) held.add(`${r.mode}\t${relation}`);
  }
  return held;
}

/**
 * The locks this session holds on types of their own (enums, domains, base and range types),
 * not on the row types of tables nor array types: "relation" is the type's name.
 */
async function heldTypeLocks(session: SqlSession): Promise<Set<string>> {
  const { rows } = await session.query<{ mode: string; relation: string }>(
    `SELECT l.mode, n.nspname || '.' || t.typname AS relation
       FROM pg_locks l JOIN pg_type t ON l.classid = 'pg_type'::regclass AND t.oid = l.objid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE l.pid = pg_backend_pid() AND l.locktype = 'object' AND l.granted AND t.typrelid = 0 AND t.typcategory <> 'A'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return new Set(rows.map((r) => `${r.mode}\t${r.relation}`));
}

/** The relations of the kinds observed that exist now, by oid. */
async function relationsNow(session: SqlSession): Promise<Map<string, string>> {
  const { rows } = await session.query<{ oid: string; relation: string }>(
    `SELECT c.oid::text AS oid, n.nspname || '.' || c.relname AS relation FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ${observedKinds} AND ${userRelations}`,
  );
  return new Map(rows.map((r) => [r.oid, r.relation]));
}

/**
 * The foreign keys and indexes in the database now, for the prediction of a statement about to
 * run: the rehearsal judges the analysis' rules for locks on tables a statement does not name
 * (the other end of a foreign key, the table of a dropped index) against the schema as it
 * really is, as the analysis judges them against the schema it tracks.
 */
async function liveCatalog(session: SqlSession): Promise<LockCatalog> {
  const { rows } = await session.query<ForeignKey & { refKey: string | null; refIndex: string | null }>(
    `SELECT con.conname AS name, cn.nspname || '.' || c.relname AS "table", fn.nspname || '.' || f.relname AS "references",
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) k JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k) AS "refColumns",
            (SELECT k.conname FROM pg_constraint k WHERE k.conrelid = con.confrelid AND k.conindid = con.conindid AND k.contype IN ('p', 'u') LIMIT 1) AS "refKey",
            (SELECT i.relname FROM pg_class i WHERE i.oid = con.conindid) AS "refIndex",
            con.confdeltype::text AS "onDelete", con.confupdtype::text AS "onUpdate"
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
       JOIN pg_class f ON f.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
      WHERE con.contype = 'f' AND con.conparentid = 0`,
  );
  const fks = rows.map(({ refKey, refIndex, ...f }) => ({ ...f, ...(refKey ? { refKey } : {}), ...(refIndex ? { refIndex } : {}) }));
  const indexes = await session.query<{ index: string; table: string }>(
    `SELECT n.nspname || '.' || ic.relname AS index, n.nspname || '.' || c.relname AS "table"
       FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${userRelations}`,
  );
  // The sequences column defaults draw from: serial and identity columns own theirs; a DEFAULT
  // nextval('s') depends on it.
  const sequences = await session.query<{ table: string; column: string; sequence: string }>(
    `SELECT DISTINCT n.nspname || '.' || c.relname AS "table", a.attname AS "column", sn.nspname || '.' || s.relname AS sequence
       FROM pg_attrdef d JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refclassid = 'pg_class'::regclass
       JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE ${userRelations}
     UNION
     SELECT n.nspname || '.' || c.relname, a.attname, sn.nspname || '.' || s.relname
       FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class c ON c.oid = dep.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = dep.refobjsubid
      WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'i' AND a.attidentity <> '' AND ${userRelations}`,
  );
  // The relations each view and materialized view reads: those its rewrite rule depends on.
  const reads = await session.query<{ view: string; reads: string[] }>(
    `SELECT vn.nspname || '.' || v.relname AS view, array_agg(DISTINCT n.nspname || '.' || c.relname) AS reads
       FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
       JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p', 'm', 'v', 'f') JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE v.relkind IN ('v', 'm') AND vn.nspname NOT IN ('pg_catalog', 'information_schema') AND vn.nspname NOT LIKE 'pg_temp%'
      GROUP BY 1`,
  );
  // The partitions of each partitioned table.
  const partitions = await session.query<{ table: string; partitions: string[] }>(
    `SELECT pn.nspname || '.' || p.relname AS "table", array_agg(n.nspname || '.' || c.relname ORDER BY c.relname) AS partitions
       FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent AND p.relkind = 'p' JOIN pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_class c ON c.oid = i.inhrelid AND c.relkind IN ('r', 'p', 'f') JOIN pg_namespace n ON n.oid = c.relnamespace
      GROUP BY 1`,
  );
  return catalogOf(fks, { indexes: indexes.rows, sequences: sequences.rows, views: reads.rows, partitions: partitions.rows });
}

/**
 * Statements whose locks on relations they do not name depend on the catalog: the foreign keys
 * (their triggers, what a DROP takes along), the indexes, the sequences of column defaults, the
 * relations views read, the partitions of partitioned tables.
 */
const tiedByCatalog = new Set([
  'AlterTableStmt', 'DropStmt', 'TruncateStmt', 'ReindexStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt',
  'CopyStmt', 'LockStmt', 'RefreshMatViewStmt', 'CreateTableAsStmt', 'ExplainStmt', 'DeclareCursorStmt', 'CallStmt',
  'IndexStmt', 'CreateStmt', 'VacuumStmt',
]);

async function storage(session: SqlSession): Promise<Map<string, string>> {
  const { rows } = await session.query<{ oid: string; relation: string; node: string }>(
    `SELECT c.oid::text AS oid, n.nspname || '.' || c.relname AS relation, c.relfilenode::text AS node
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND ${userRelations}`,
  );
  return new Map(rows.map((r) => [`${r.oid}\t${r.relation}`, r.node]));
}

/**
 * The locks the statements a CALL migc_run carries are predicted to take, together; undefined
 * when one of them is a DO block migc cannot read whole (not judged).
 */
function carriedLocks(statements: readonly { text: string; ast: PgNode }[], schema: LiveSchema): PredictedLock[] | undefined {
  const locks: PredictedLock[] = [];
  for (const s of statements) {
    const predicted = statementLocks(s.ast, s.text, schema);
    if (predicted === undefined) return undefined;
    locks.push(...predicted);
  }
  return locks;
}

/**
 * A statement's predicted locks, as PostgreSQL runs it given the schema it meets (what IF [NOT]
 * EXISTS skips left out). A DO block's are those of the statements written in it
 * (src/sql/plpgsql.ts), one per table, the strongest; one in a branch, a loop or an EXCEPTION
 * handler may not run, so its locks may be taken, not must (as a foreign key trigger's, ifRows).
 * Undefined for a block whose statements migc does not all read (SQL built at run time, another
 * language): nothing to compare.
 */
function statementLocks(ast: PgNode, text: string, schema: LiveSchema): PredictedLock[] | undefined {
  if (!('DoStmt' in ast)) return schema.locksOf(ast);
  const body = doBlockBody(ast, text);
  if (!body?.complete) return undefined;
  const locks: PredictedLock[] = [];
  for (const inner of body.statements) {
    const predicted = statementLocks(inner.ast, inner.text, schema);
    if (predicted === undefined) return undefined;
    locks.push(...(inner.conditional ? predicted.map((l) => ({ ...l, ifRows: true as const })) : predicted));
  }
  return combinedLocks(locks);
}

/** The statements a query runs, in order: those it carries (a CALL migc_run's), a DO block's written in it. */
function statementsRun(texts: readonly { text: string; ast: PgNode }[]): PgNode[] {
  return texts.flatMap(({ text, ast }) => {
    if (!('DoStmt' in ast)) return [ast];
    return [ast, ...statementsRun(doBlockBody(ast, text)?.statements ?? [])];
  });
}

/** Where each block's SQL stands in the rendered script, to attribute statements to steps. */
export function blockRanges(script: string, blocks: readonly ScriptBlock[]) {
  const ranges: { start: number; end: number; source: ScriptBlock['source'] }[] = [];
  let from = 0;
  for (const b of blocks) {
    if (!b.sql) continue;
    const at = script.indexOf(b.sql, from);
    if (at < 0) continue; // a custom template that rewrites the SQL: statements stay unattributed
    ranges.push({ start: at, end: at + b.sql.length, source: b.source });
    from = at + b.sql.length;
  }
  return ranges;
}

/**
 * Runs a script as psql does, query by query as psql splits and sends them (see runScript),
 * stopping at the first error, and records for each statement its time, the locks it added
 * inside its transaction and the tables it rewrote. The extra catalog reads run in the same
 * transaction and lock no user table.
 */
export async function runObserved(session: SqlSession, script: string, blocks: readonly ScriptBlock[]): Promise<{ runs: StatementRun[]; ok: boolean }> {
  const split = psqlStatements(script);
  if (!split.ok) return { ok: false, runs: [{ text: split.text.slice(0, 60), offset: split.offset, ms: 0, error: split.message, rewritten: [] }] };
  const ranges = blockRanges(script, blocks);
  const runs: StatementRun[] = [];
  let inTransaction = false;
  for (const sent of split.statements) {
    // The query's parse tree, to judge it; one psql would send but the parser refuses runs unjudged
    // and the server reports its error.
    const parsed = parseSql(sent.text);
    const ast = parsed.ok && parsed.statements.length === 1 ? parsed.statements[0]!.ast : undefined;
    const statement = { text: sent.text, start: sent.start, ast };
    const kind = ast ? Object.keys(ast)[0] : undefined;
    const control = kind === 'TransactionStmt' ? String((ast as { TransactionStmt: { kind: string } }).TransactionStmt.kind) : undefined;
    const source = ranges.find((r) => statement.start >= r.start && statement.start < r.end)?.source;
    const observe = inTransaction && !control;
    const relationsBefore = observe ? await relationsNow(session) : undefined;
    const locksBefore = observe ? await heldLocks(session, relationsBefore) : undefined;
    const typesBefore = observe ? await heldTypeLocks(session) : undefined;
    // A CALL migc_run carries plan statements: they are what is judged, and what may need the
    // foreign keys and indexes as they are before it runs (a DROP takes them with it).
    const carried = ast ? runStatements(ast) : undefined;
    const sentStatements = carried?.flatMap((text) => {
      const p = parseSql(text);
      return p.ok ? p.statements.map((x) => ({ text: x.text, ast: x.ast })) : [];
    }) ?? (ast ? [{ text: statement.text, ast }] : []);
    const catalog = observe && sentStatements.some((x) => tiedByCatalog.has(Object.keys(x.ast)[0]!)) ? await liveCatalog(session) : undefined;
    // migc's own statements (assertions, SET, its DO blocks) are not judged: nothing to predict. A
    // CALL migc_run is judged by the plan statements it carries, all in its one transaction; a DO
    // block among them by the statements written in it.
    const judgeable = observe && ast !== undefined && kind !== 'DoStmt' && kind !== 'VariableSetStmt' && (kind !== 'CallStmt' || carried !== undefined);
    // What they meet: whether PostgreSQL skips one for IF [NOT] EXISTS is read before it runs.
    const schema = judgeable ? await LiveSchema.before(session, statementsRun(sentStatements), catalog) : undefined;
    const storageBefore = control ? undefined : await storage(session);
    const started = performance.now();
    try {
      await session.exec(statement.text);
    } catch (e) {
      await session.exec('ROLLBACK').catch(() => undefined);
      runs.push({ ...(source ? { source } : {}), text: statement.text, offset: statement.start, ms: performance.now() - started, error: (e as Error).message, rewritten: [] });
      return { ok: false, runs };
    }
    const ms = performance.now() - started;
    if (control === 'TRANS_STMT_BEGIN' || control === 'TRANS_STMT_START') inTransaction = true;
    if (control === 'TRANS_STMT_COMMIT' || control === 'TRANS_STMT_ROLLBACK') inTransaction = false;
    if (control) continue;
    const locksAfter = locksBefore ? await heldLocks(session, relationsBefore) : undefined;
    const locks = locksBefore ? [...locksAfter!].filter((l) => !locksBefore.has(l)).sort().map((l) => {
      const [mode, relation] = l.split('\t') as [string, string];
      return { mode, relation };
    }) : undefined;
    const typeLocks = typesBefore ? [...(await heldTypeLocks(session))].filter((l) => !typesBefore.has(l)).sort().map((l) => {
      const [mode, relation] = l.split('\t') as [string, string];
      return { mode, relation };
    }) : undefined;
    const storageAfter = await storage(session);
    const rewritten = [...storageBefore!].filter(([key, node]) => storageAfter.has(key) && storageAfter.get(key) !== node).map(([key]) => key.split('\t')[1]!).sort();
    // A part the ledger says is done (or a rollback of a step that did not run) ran nothing.
    const skipped = carried !== undefined && (await session.query<{ s: string | null }>("SELECT current_setting('migc.skipped', true) AS s")).rows[0]?.s === 'on';
    const predicted = schema && locks && !skipped ? (carried ? carriedLocks(sentStatements, schema) : schema.locksOf(ast!)) : undefined;
    const existing = predicted ? new Set((await relationsNow(session)).values()) : undefined;
    const namedBefore = new Set(relationsBefore?.values() ?? []);
    const created = existing ? new Set([...existing].filter((r) => !namedBefore.has(r))) : undefined;
    const mismatch = predicted ? disagreement(predicted, locksAfter!, locks!, existing!, created) : undefined;
    runs.push({
      ...(source ? { source } : {}), text: statement.text, offset: statement.start, ms, ...(locks ? { locks } : {}), ...(typeLocks?.length ? { typeLocks } : {}), rewritten,
      ...(predicted ? { predicted } : {}), ...(mismatch ? { disagreement: mismatch } : {}),
    });
  }
  return { ok: true, runs };
}
