import { addedConstraints, alterTableCommands, node, relationName } from './ast.js';
import { learn, learnedKinds, notNullPredicate, seenTable, stillThere, type RemovedIndex, type SeenForeignKey, type SeenTable } from './seen-tables.js';
import { leaveDoBlock, type StatementContext, type StatementFinding, type StatementRule } from '../sql/context.js';
import { tableKey, type SchemaState } from '../sql/schema-state.js';
import { skippedPart } from '../sql/skips.js';
import type { PgNode } from '../../sql/parser.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { chooseName, makeObjectName, nameAddition } from '../../sql/generated-names.js';
import { tableElementSpans } from './foreign-keys-added.js';
import { repeatedKeys } from './duplicate-foreign-key.js';
import { largeTableRows } from '../tables.js';
import { formatCount } from '../../util/numbers.js';

/**
 * Whether an index serves the key's checks, which look rows up by equality on every key column
 * (`WHERE a = $1 AND b = $2`): its leading columns are exactly the key's columns, in any order;
 * or it is unique and all its columns are key columns, so that the lookup finds at most one row
 * through it and filters that row on the others (the plan PostgreSQL 15 and 18 choose,
 * test/foreign-key-unique-index.test.ts). A non-unique index on only some of the key's columns
 * does not: it may hold any number of rows for them, each read and filtered.
 */
function serves(want: ReadonlySet<string>, index: readonly (string | null)[], unique: boolean): boolean {
  if (index.length >= want.size) {
    let leads = true;
    for (let i = 0; i < want.size && leads; i++) leads = index[i] !== null && want.has(index[i]!);
    if (leads) return true;
  }
  if (!unique || index.length === 0 || index.length > want.size) return false;
  for (const c of index) if (c === null || !want.has(c)) return false;
  return true;
}

/** Whether one of these indexes serves the key of `columns` (serves()). */
function covered(columns: readonly string[], indexes: Iterable<{ readonly columns: readonly (string | null)[]; readonly unique: boolean }>): boolean {
  const want = new Set(columns);
  for (const index of indexes) if (serves(want, index.columns, index.unique)) return true;
  return false;
}

/**
 * Whether a partial index's WHERE (`notNull`: the columns it asks to be non-null, notNullPredicate)
 * holds for every row the key's checks look up: they ask each key column to equal a value, which
 * implies it is not null, so an index asking only key columns to be non-null serves them.
 */
function servesKey(notNull: readonly string[] | undefined, columns: readonly string[]): boolean {
  return notNull !== undefined && notNull.every((c) => columns.includes(c));
}

/**
 * Whether an index of the table as seen covers the key: a full one, or one only partial on the
 * key's columns being non-null; only those of `among`, when it is given.
 */
function coveredBySeen(table: SeenTable, columns: readonly string[], among?: ReadonlySet<string>): boolean {
  const want = new Set(columns);
  // A table can have hundreds of indexes: looked at in place, none copied.
  for (const [name, index] of table.indexes) if ((!among || among.has(name)) && serves(want, index, table.uniqueIndexes.has(name))) return true;
  for (const [name, index] of table.notNullIndexes) if ((!among || among.has(name)) && servesKey(index.notNull, columns) && serves(want, index.columns, table.uniqueIndexes.has(name))) return true;
  return false;
}

/**
 * Column lists of the indexes `statements` build on the table keyed `key` that may serve the key
 * of `columns`: CREATE INDEX without WHERE (or whose WHERE the key's checks imply), ADD PRIMARY KEY / UNIQUE; each with whether PostgreSQL may skip it (IF NOT EXISTS, ALTER
 * TABLE IF EXISTS, ADD COLUMN IF NOT EXISTS). Undefined entries (statements skipped whole) build none.
 */
function indexesBuilt(statements: readonly (PgNode | undefined)[], key: string, keyColumns: readonly string[]): { columns: (string | null)[]; unique: boolean; mayBeSkipped: boolean }[] {
  const found: { columns: (string | null)[]; unique: boolean; mayBeSkipped: boolean }[] = [];
  for (const ast of statements) {
    if (!ast) continue;
    const [kind, body] = node(ast);
    if (tableKey(relationName(body.relation)) !== key) continue;
    if (kind === 'IndexStmt' && (!body.whereClause || servesKey(notNullPredicate(body.whereClause), keyColumns))) {
      found.push({ columns: (body.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? null), unique: body.unique === true, mayBeSkipped: body.if_not_exists === true });
    } else if (kind === 'AlterTableStmt') {
      for (const { constraint, subcommand } of addedConstraints(ast, ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'])) {
        const columns = (constraint.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval ?? null);
        if (columns.length) found.push({ columns, unique: true, mayBeSkipped: body.missing_ok === true || body.cmds?.[subcommand]?.AlterTableCmd?.missing_ok === true });
      }
    }
  }
  return found;
}

/**
 * Whether an index the statements after this one (the rest of the file or step) build covers the
 * key. Generated migrations often add the foreign key before the index that serves it
 * (Langfuse's hand-edited Prisma scripts). Only what PostgreSQL runs of them counts: CREATE INDEX
 * IF NOT EXISTS of a name an index (of other columns, maybe) already has builds nothing, nor does
 * ADD COLUMN IF NOT EXISTS ... UNIQUE of a column there (src/analyze/sql/skips.ts).
 */
function coveredLater(ctx: StatementContext, table: string, columns: readonly string[]): boolean {
  const key = tableKey(table);
  const later = ctx.later();
  const built = indexesBuilt(later, key, columns);
  if (covered(columns, built.filter((b) => !b.mayBeSkipped))) return true;
  if (!covered(columns, built)) return false;
  // Only a statement PostgreSQL may skip covers it: what runs of them decides.
  return covered(columns, indexesBuilt(laterRuns(ctx, later), key, columns));
}

/**
 * What PostgreSQL runs of each later statement (undefined: skipped whole), given what this one
 * and those between do: walked on the schema state, and undone.
 */
function laterRuns(ctx: StatementContext, later: readonly PgNode[]): (PgNode | undefined)[] {
  return ctx.state.tentatively(() => {
    ctx.state.apply(ctx.ast, true);
    return later.map((ast) => {
      const skipped = skippedPart(ast, ctx.state);
      ctx.state.apply(ast, true);
      return skipped ? skipped.runs : ast;
    });
  });
}

/** A foreign key declared on a new table, judged when the run ends. */
interface NewTableKey {
  readonly table: string;
  readonly columns: readonly string[];
  readonly referenced: string;
  /** Its name as PostgreSQL gives it (SeenTable.foreignKeys' key for it). */
  readonly name: string;
  /** Where it is declared: an element of CREATE TABLE (string offsets into the text), or an ALTER TABLE subcommand. */
  readonly at?: { readonly start: number; readonly end: number };
  readonly subcommand?: number;
}

/**
 * The foreign keys a statement declares on a table new here (created by it, or earlier in the
 * same migration): a CREATE TABLE's columns' REFERENCES and its FOREIGN KEY constraints, an ALTER
 * TABLE's ADD CONSTRAINT ... FOREIGN KEY and ADD COLUMN ... REFERENCES. A table that is a
 * partition (its parent's indexes reach it) or copies another's (LIKE ... INCLUDING INDEXES) has
 * indexes migc does not follow: its keys are left alone.
 */
function newTableKeys(ctx: StatementContext): NewTableKey[] {
  const keys: NewTableKey[] = [];
  // An unnamed key has the name PostgreSQL gives it written in, as the tables seen know it.
  const ast = ctx.state.withGeneratedNames(ctx.ast);
  const alter = alterTableCommands(ast);
  if (alter) {
    if (!ctx.state.isNew(alter.table)) return keys;
    for (const { constraint, subcommand } of addedConstraints(ast, ['CONSTR_FOREIGN'])) {
      const columns: string[] = (constraint.fk_attrs ?? []).map((a: { String?: { sval?: string } }) => a.String?.sval);
      if (columns.length) keys.push({ table: alter.table, columns, referenced: relationName(constraint.pktable), name: constraint.conname, subcommand });
    }
    return keys;
  }
  const [kind, body] = node(ast);
  if (kind !== 'CreateStmt' || body.partbound || body.ofTypename) return keys;
  const elements: Record<string, any>[] = body.tableElts ?? [];
  if (elements.some((e) => e.TableLikeClause)) return keys;
  const table = relationName(body.relation);
  let spans: { start: number; end: number }[] | undefined | null = null;
  for (const [i, e] of elements.entries()) {
    const found: { columns: string[]; constraint: Record<string, any> }[] = [];
    for (const c of e.ColumnDef?.constraints ?? []) if (c.Constraint?.contype === 'CONSTR_FOREIGN') found.push({ columns: [e.ColumnDef.colname], constraint: c.Constraint });
    if (e.Constraint?.contype === 'CONSTR_FOREIGN') found.push({ columns: (e.Constraint.fk_attrs ?? []).map((a: { String?: { sval?: string } }) => a.String?.sval), constraint: e.Constraint });
    for (const { columns, constraint } of found) {
      if (!columns.length || columns.some((c) => c === undefined)) continue;
      // Placed only when the table declares a key: most CREATE TABLEs are not lexed again.
      if (spans === null) spans = tableElementSpans(ctx.text, elements.length);
      keys.push({ table, columns, referenced: relationName(constraint.pktable), name: constraint.conname, ...(spans?.[i] ? { at: spans[i] } : {}) });
    }
  }
  return keys;
}

/** Below this size hint, a referenced table is a lookup table (a tenant, an enum's rows): few of its rows are ever deleted. */
const lookupTableRows = 1_000;

/**
 * What the size hints (--assume-rows, a plan's tables:) say of the cost: each DELETE on the
 * referenced table scans the referencing one, which is quick when that is small; and a referenced
 * table of a few rows sees few deletes (sourcebot's 9 keys to its one "Org", the thirty-sixth
 * trial's E). Either makes the finding a note, whose message says why.
 */
function smallBySize(ctx: StatementContext, table: string, referenced: string): { readonly severity?: 'info'; readonly note: string } {
  // The hints only: a table this transaction emptied (or found empty) has no row now, and fills later.
  const hint = (t: string) => (ctx.earlier.emptied(t) ? undefined : ctx.rows(t));
  const rows = hint(table);
  if (rows !== undefined && rows < largeTableRows) return { severity: 'info', note: ` (${quoteName(table)} holds ${formatCount(rows)} row${rows === 1 ? '' : 's'} by its size hint: each scan is short)` };
  const parents = hint(referenced);
  if (parents !== undefined && parents < lookupTableRows) return { severity: 'info', note: ` (${quoteName(referenced)} holds ${formatCount(parents)} row${parents === 1 ? '' : 's'} by its size hint: few are ever deleted)` };
  return { note: '' };
}

/** Why a finding that waits for the end of the run is a note when statements migc cannot read ran after it (SchemaState.noteOpaque). */
const unreadAfter = 'a statement after it that migc cannot read through (a CALL, a call of a function the files do not define, a DO block or function body whose SQL is built as it runs) may have built one or dropped the key';

/**
 * Whether a statement migc could not read through since (a helper's call) was told the table and
 * a column of the key by name: oVirt's fn_db_create_index('idx_vm_backups_vm_id', 'vm_backups',
 * 'vm_id') builds its index, as its arguments say.
 */
function namedSince(state: SchemaState, opaque: number, table: string, columns: readonly string[]): boolean {
  const bare = table.slice(table.lastIndexOf('.') + 1).replace(/^"|"$/g, '').toLowerCase();
  return columns.some((c) => state.opaqueNamedSince(opaque, [bare, c.toLowerCase()]));
}

/** The keys declared on new tables that are judged when the run ends (judgedAtEnd): a drop of their index is not reported again. */
const judgedKeys = new WeakSet<SeenForeignKey>();

/**
 * A foreign key declared on a new table, as findings of which one stands once the run has ended,
 * if the key is still there: no index covers it then; or one does, but no statement after the key
 * in its own migration (or step) built it: a later migration did, and the table, empty until its
 * migration has run, fills until then. An index the same migration builds comes in time.
 */
function judgedAtEnd(ctx: StatementContext, key: NewTableKey): StatementFinding[] {
  // Learnt from this statement already: the key as declared here.
  const seen = seenTable(ctx, key.table);
  const declared = seen?.foreignKeys.get(key.name);
  if (!seen || !declared) return [];
  judgedKeys.add(declared);
  const { state } = ctx;
  // Dynamic SQL (a DO block migc cannot read, a CALL) may build an index unseen.
  const opaque = state.opaqueCount;
  const cols = key.columns.map(quoteIdent).join(', ');
  const ran = ctx.mode === 'lint' ? 'the files linted have run' : 'the plan has run';
  // The table and this very key still there (not dropped, nor dropped and declared again:
  // that declaration is judged on its own), with its columns as named now.
  const there = () => state.opaqueCount === opaque && stillThere(state, seen) && seen.foreignKeys.get(key.name) === declared;
  const small = smallBySize(ctx, key.table, key.referenced);
  const scans = `every DELETE on ${quoteName(key.referenced)}, and every UPDATE of its key, scans ${quoteName(key.table)}${small.note}`;
  const finding = {
    ...(small.severity ? { severity: small.severity } : {}),
    help: `Index it in the ${ctx.mode === 'lint' ? 'migration' : 'step'} that creates the table, where nothing uses it yet and it needs no CONCURRENTLY: CREATE INDEX ${quoteIdent(makeObjectName(key.table.replace(/^.*\./, ''), nameAddition(key.columns), 'idx'))} ON ${quoteName(key.table)} (${cols});`,
    ...(key.at ? { at: key.at } : {}),
    ...(key.subcommand !== undefined ? { subcommand: key.subcommand } : {}),
  };
  const none: StatementFinding = { ...finding, message: `${quoteName(key.table)} (${cols}) references ${quoteName(key.referenced)}, and no index on (${cols}) is there once ${ran}: ${scans}`, standsAtEnd: () => there() && !coveredBySeen(seen, declared.columns) };
  // A statement migc cannot read ran after the key (cas-cif calls a helper of its own after each
  // CREATE TABLE, which adds timestamp columns and triggers): it may have built the index, which
  // such helpers rarely do, so the finding says so rather than falling silent.
  const unread: StatementFinding = {
    ...finding,
    message: `${quoteName(key.table)} (${cols}) references ${quoteName(key.referenced)}, and no index on (${cols}) is seen by the time ${ran}; ${unreadAfter}: if none did, ${scans}`,
    standsAtEnd: () => state.opaqueCount !== opaque && !namedSince(state, opaque, key.table, declared.columns) && stillThere(state, seen) && seen.foreignKeys.get(key.name) === declared && !coveredBySeen(seen, declared.columns),
  };
  // A plan's later step may run in the same script as the step that creates the table: in time.
  if (ctx.mode !== 'lint') return [none, unread];
  // Built before the key or after it in the same migration: in time, before a row is there. Built
  // only by a later one: the table fills meanwhile, for as long as the later one waits, which the
  // files do not say: a note. The next file of the same release (Harness's 0001_create_table_*
  // and 0002_create_index_*), or months later (ListenBrainz's index ten months after its table;
  // Kratos's identity_fk_indexes two years after).
  return [none, unread, {
    ...finding,
    severity: 'info',
    message: `${quoteName(key.table)} (${cols}) references ${quoteName(key.referenced)} but has no index on (${cols}) until a later migration builds one: as the new table fills until that one runs, ${scans}`,
    standsAtEnd: () => there() && coveredBySeen(seen, declared.columns) && !coveredBySeen(seen, declared.columns, builtWhileNew.get(seen)),
  }];
}

/**
 * The indexes each table had while it was new (SchemaState.isNew: created by the migration
 * running, the parts of a popx split migration run back to back among them), by name: those
 * serve its keys in time, before the table has a row.
 */
const builtWhileNew = new WeakMap<SeenTable, Set<string>>();

/** Notes the indexes of the table the statement creates or changes, while the table is new (builtWhileNew). */
function noteWhileNew(ctx: StatementContext): void {
  const [kind, body] = node(ctx.ast);
  if (kind !== 'CreateStmt' && kind !== 'IndexStmt' && kind !== 'AlterTableStmt') return;
  const table = relationName(body.relation);
  if (kind !== 'CreateStmt' && !ctx.state.isNew(table)) return;
  const seen = seenTable(ctx, table);
  if (!seen) return;
  let names = builtWhileNew.get(seen);
  if (!names) builtWhileNew.set(seen, (names = new Set()));
  for (const name of seen.indexes.keys()) names.add(name);
  for (const name of seen.notNullIndexes.keys()) names.add(name);
}

/** Whether the table seen still has this key (under any name: it may have been renamed). */
function stillHasKey(table: SeenTable, name: string, key: SeenForeignKey): boolean {
  if (table.foreignKeys.get(name) === key) return true;
  for (const other of table.foreignKeys.values()) if (other === key) return true;
  return false;
}

/** How the statement removed the last index on the key's columns (`cols`): by DROP INDEX, DROP CONSTRAINT or DROP COLUMN. */
function removal(ctx: StatementContext, removed: RemovedIndex, cols: string): string {
  if (removed.subcommand === undefined) return `DROP INDEX removes ${quoteIdent(removed.name)}, its last index on (${cols})`;
  const cmd = alterTableCommands(ctx.ast)?.cmds[removed.subcommand];
  return cmd?.subtype === 'AT_DropColumn'
    ? `DROP COLUMN ${quoteIdent(cmd.name ?? '?')} removes ${quoteIdent(removed.name)} with it, its last index on (${cols})`
    : `DROP CONSTRAINT ${quoteIdent(removed.name)} removes the constraint's index, its last on (${cols})`;
}

/**
 * A name for the replacement index the help builds before the drop, as PostgreSQL would name it:
 * not the name of the index dropped (still there then, so IF NOT EXISTS would skip the build) nor
 * of another index of the table.
 */
function freeIndexName(table: SeenTable, dropped: string, columns: readonly string[]): string {
  const taken = (n: string) => n === dropped || table.indexes.has(n) || table.notNullIndexes.has(n);
  return chooseName(table.key.replace(/^.*\./, ''), nameAddition(columns), 'idx', taken);
}

/**
 * The live foreign keys of the tables whose indexes the statement removed that were served by
 * one of those and are by none left: each a finding that stands only if, once the run has ended,
 * the key is still there and no index built since serves it (the replacement may come after the
 * drop: DROP INDEX, then CREATE INDEX CONCURRENTLY). Only of a table whose creation was seen (all
 * its indexes known); a key on a new table that MG230 judges at the end already is not reported twice.
 */
function keysLeftUnindexed(ctx: StatementContext, removed: readonly RemovedIndex[]): StatementFinding[] {
  const findings: StatementFinding[] = [];
  const { state } = ctx;
  for (const [i, r] of removed.entries()) {
    const table = r.table;
    // Each table once, at its first removal.
    if (!table.created || table.indexesFromElsewhere || removed.findIndex((o) => o.table === table) !== i) continue;
    for (const [name, key] of table.foreignKeys) {
      if (judgedKeys.has(key)) continue;
      const by = removed.find((o) => o.table === table && (o.notNull === undefined || servesKey(o.notNull, key.columns)) && serves(new Set(key.columns), o.columns, o.unique === true));
      if (!by || coveredBySeen(table, key.columns)) continue;
      const opaque = state.opaqueCount;
      const cols = key.columns.map(quoteIdent).join(', ');
      const ran = ctx.mode === 'lint' ? 'the files linted have run' : 'the plan has run';
      const indexName = quoteIdent(freeIndexName(table, by.name, key.columns));
      const small = smallBySize(ctx, table.key, key.references);
      const scans = `every DELETE on ${quoteName(key.references)}, and every UPDATE of its key, scans ${quoteName(table.key)}${small.note}`;
      const stands = () => stillThere(state, table) && stillHasKey(table, name, key) && !coveredBySeen(table, key.columns);
      const finding = {
        ...(small.severity ? { severity: small.severity } : {}),
        help: state.table(table.key)?.partitioned
          ? `Build the replacement before the drop, partition by partition: CREATE INDEX ${indexName} ON ONLY ${quoteName(table.key)} (${cols}); then on each partition CREATE INDEX CONCURRENTLY and ALTER INDEX ... ATTACH PARTITION. Or drop the foreign key too, if nothing needs it.`
          : `Build the replacement before the drop: ${concurrentBuild(ctx, indexName, `ON ${quoteName(table.key)} (${cols})`)} (or drop the foreign key too, if nothing needs it).${leaveDoBlock(ctx)}`,
        ...(by.subcommand !== undefined ? { subcommand: by.subcommand } : {}),
      };
      findings.push(
        { ...finding, message: `${quoteName(table.key)} (${cols}) references ${quoteName(key.references)}, and ${removal(ctx, by, cols)}; none is built again by the time ${ran}: ${scans}`, standsAtEnd: () => state.opaqueCount === opaque && stands() },
        { ...finding, message: `${quoteName(table.key)} (${cols}) references ${quoteName(key.references)}, and ${removal(ctx, by, cols)}; none is seen built again by the time ${ran}, though ${unreadAfter}: if none did, ${scans}`, standsAtEnd: () => state.opaqueCount !== opaque && !namedSince(state, opaque, table.key, key.columns) && stands() },
      );
    }
  }
  return findings;
}

/**
 * A foreign key added to a table: whether an index covers its columns.
 * - On a table that existed before the migration (a later migration's ALTER TABLE; an earlier
 *   migration has filled it): built before it, or later in the same file (or step). The next
 *   migration may run months later: the DELETEs scan in between.
 * - On a table new here (CREATE TABLE's REFERENCES and FOREIGN KEY, an ALTER TABLE of a table the
 *   same migration created): once the run has ended, by an index any statement of the run built
 *   and none dropped (generated migrations create tables in one file and index them in the next).
 */
export const foreignKeyWithoutIndex: StatementRule = {
  code: 'MG230',
  name: 'foreign-key-without-index',
  summary: 'A foreign key without an index on its referencing columns makes every DELETE or key UPDATE on the referenced table scan the referencing table.',
  severity: 'warning',
  kinds: learnedKinds,
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    /** The keys this statement adds to a table seen, each found among the table's keys once learnt (below). */
    const added: { name: string; seen: SeenTable; key?: SeenForeignKey }[] = [];
    // A key that repeats another of its table is MG250's: the index it lacks is the other's.
    const repeated = repeatedKeys(ctx);
    if (alter && !ctx.state.isNew(alter.table)) {
      const known = seenTable(ctx, alter.table);
      // Its creation seen: all its indexes are known. Otherwise only those created since: one may cover the key.
      const seen = known?.created ? known : undefined;
      // ADD CONSTRAINT ... FOREIGN KEY and ADD COLUMN ... REFERENCES alike, each at its subcommand.
      // An unnamed key under the name PostgreSQL gives it, as the tables seen know it.
      const named = seen ? ctx.state.withGeneratedNames(ctx.ast) : ctx.ast;
      for (const { constraint, subcommand } of addedConstraints(named, ['CONSTR_FOREIGN'])) {
        const columns: string[] = (constraint.fk_attrs ?? []).map((a: { String?: { sval?: string } }) => a.String?.sval);
        if (!columns.length || repeated.some((r) => r.key.subcommand === subcommand && r.key.columns.join() === columns.join())) continue;
        const referenced = relationName(constraint.pktable);
        const unique = columns.length === 1 && ctx.state.table(alter.table)?.uniqueColumns.has(columns[0]!);
        if (unique || (known && coveredBySeen(known, columns)) || coveredLater(ctx, alter.table, columns)) continue;
        const cols = columns.map(quoteIdent).join(', ');
        const small = smallBySize(ctx, alter.table, referenced);
        // A later migration of the run that builds the index comes too late for the rows already
        // there (the next deploy, maybe months later), but the finding says so: which of the two
        // stands is known once the run has ended.
        // On the key's columns as named then: a later RENAME COLUMN renames them in the key, and
        // the index a later migration builds is on the new names (fider's idea_id, then post_id).
        // An index seen built later counts whatever ran between (a CALL of a helper migc cannot
        // read, dynamic SQL): that adds what migc cannot see, and takes nothing from what it saw
        // (the twentieth trial's lakekeeper: a helper call between the key and its index).
        const builtLater = seen ? (() => {
          const entry: (typeof added)[number] = { name: constraint.conname, seen };
          added.push(entry);
          return () => coveredBySeen(seen, entry.key?.columns ?? columns);
        })() : undefined;
        const finding = {
          help: ctx.state.table(alter.table)?.partitioned
            // CONCURRENTLY is refused on a partitioned table (MG233): the index is built partition by partition.
            ? `Create the index first, partition by partition: CREATE INDEX ${quoteIdent(makeObjectName(alter.table.replace(/^.*\./, ''), nameAddition(columns), 'idx'))} ON ONLY ${quoteName(alter.table)} (${columns.map(quoteIdent).join(', ')}); then on each partition CREATE INDEX CONCURRENTLY and ALTER INDEX ... ATTACH PARTITION; then add the foreign key.`
            : `Create the index first: ${concurrentBuild(ctx, quoteIdent(makeObjectName(alter.table.replace(/^.*\./, ''), nameAddition(columns), 'idx')), `ON ${quoteName(alter.table)} (${columns.map(quoteIdent).join(', ')})`)} then add the foreign key NOT VALID and validate it.${leaveDoBlock(ctx)}`,
          ...(seen && !small.severity ? {} : { severity: 'info' as const }),
          subcommand,
        };
        const scans = `every DELETE on ${quoteName(referenced)}, and every UPDATE of its key, scans ${quoteName(alter.table)}${small.note}`;
        if (!builtLater) {
          report({ ...finding, message: `${quoteName(alter.table)} (${cols}) references ${quoteName(referenced)} and may have no index on (${cols}) (migc has not seen the indexes of ${quoteName(alter.table)}): without one, every DELETE on ${quoteName(referenced)} scans ${quoteName(alter.table)}${small.note}` });
          continue;
        }
        // The same key added again, on the same columns, by another migration (Prisma drops and adds a
        // key to change its ON DELETE: openpanel's clients_organizationId_fkey three times, the
        // twentieth trial's noise): said where it was first, a note after.
        const said = saidKeys(ctx).get(`${tableKey(alter.table)} (${columns.join(', ')}) ${tableKey(referenced)}`);
        const again = said !== undefined && said !== ctx.file ? { severity: 'info' as const } : {};
        const before = said !== undefined && said !== ctx.file ? ` (said for ${said} already: the key is added again)` : '';
        if (said === undefined) saidKeys(ctx).set(`${tableKey(alter.table)} (${columns.join(', ')}) ${tableKey(referenced)}`, ctx.file ?? '');
        report({ ...finding, ...again, message: `${quoteName(alter.table)} (${cols}) references ${quoteName(referenced)} but has no index on (${cols})${before}: ${scans}`, standsAtEnd: () => !builtLater() });
        report({ ...finding, ...again, message: `${quoteName(alter.table)} (${cols}) references ${quoteName(referenced)} but has no index on (${cols}) until a later migration builds one${before}: until it runs, ${scans}`, standsAtEnd: builtLater });
      }
    }
    const removed = learn(ctx);
    noteWhileNew(ctx);
    for (const entry of added) entry.key = entry.seen.foreignKeys.get(entry.name);
    // Rollbacks are undone before the run ends: a table they create is not judged.
    if (ctx.inRollback) return;
    if (removed.length) for (const finding of keysLeftUnindexed(ctx, removed)) report(finding);
    for (const key of newTableKeys(ctx)) {
      if (repeated.some((r) => r.key.name === key.name && tableKey(r.key.table) === tableKey(key.table))) continue;
      for (const finding of judgedAtEnd(ctx, key)) report(finding);
    }
  },
};

/** The foreign keys of existing tables MG230 has told of, by table, columns and referenced table: the file it told of each in. */
const saidKeysByState = new WeakMap<object, Map<string, string>>();

function saidKeys(ctx: StatementContext): Map<string, string> {
  let said = saidKeysByState.get(ctx.state);
  if (!said) saidKeysByState.set(ctx.state, (said = new Map()));
  return said;
}

/**
 * A CONCURRENTLY build as a recipe writes it: in a file, after a DROP INDEX CONCURRENTLY IF EXISTS
 * that takes away what a failed build left (MG221); a plan's scripts do that themselves.
 */
function concurrentBuild(ctx: StatementContext, name: string, on: string): string {
  if (ctx.mode !== 'lint') return `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ${on};`;
  // A tool that sends a file as one query string runs two statements in a transaction block (concurrentBuildRecipe).
  return ctx.sentWhole ? `CREATE INDEX CONCURRENTLY ${name} ${on}; alone in a migration of its own (the tool sends a file as one query string),` : `DROP INDEX CONCURRENTLY IF EXISTS ${name}; CREATE INDEX CONCURRENTLY ${name} ${on};`;
}
