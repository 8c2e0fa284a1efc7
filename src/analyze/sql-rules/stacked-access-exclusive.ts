import { lockLabel, lockStrength, readRelations, readTables, type LockMode } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import { isNewRelation, type EarlierStatements, type HeldLock, type StatementContext, type StatementFinding, type StatementRule } from '../sql/context.js';
import { andList, laterTransaction, lockedAs, locksOn, relationKind, relationNoun, statementLocksOn, statementNamed, takerLocation, whoWaits } from './statement-locks.js';
import { tableKey } from '../sql/schema-state.js';
import { alterTableCommands, isCatalogTable, node, relationName } from './ast.js';
import { formatCount } from '../../util/numbers.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { nameTakenAgain } from './rename.js';

/** The key of the table a CREATE TABLE (or CREATE TABLE AS) creates, or the view a CREATE VIEW does. */
function createdTable(ast: PgNode, state: StatementContext['state']): string | undefined {
  const [kind, body] = node(ast);
  if (kind === 'CreateStmt') return tableKey(relationName(body.relation));
  if (kind === 'CreateTableAsStmt' && body.into?.rel) return tableKey(relationName(body.into.rel));
  if (kind === 'ViewStmt' && !state.views.has(tableKey(relationName(body.view)))) return tableKey(relationName(body.view));
  return undefined;
}

/**
 * The tables a data change reads besides its target: its query, FROM, USING, subqueries and the
 * CTEs of its WITH (a CTE read by name is no table; the table of the same name a CTE's body reads
 * is), and the table an UPDATE or DELETE in its WITH changes, whose rows it moves (`WITH moved AS
 * (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved`). Not an INSERT's VALUES (a row
 * or a few, a lookup at most), nor the system catalogs (a lookup of an oid in pg_class): small,
 * and no rows of the application's.
 */
function readsOfDataChange(ast: PgNode): string[] {
  const [kind, body] = node(ast);
  if (kind !== 'InsertStmt' && kind !== 'UpdateStmt' && kind !== 'DeleteStmt' && kind !== 'MergeStmt') return [];
  const target = tableKey(relationName(body.relation));
  const read = kind === 'InsertStmt' && body.selectStmt?.SelectStmt?.valuesLists ? { InsertStmt: { ...body, selectStmt: undefined } } : ast;
  const moved = (body.withClause?.ctes ?? []).flatMap((c: { CommonTableExpr?: { ctequery?: PgNode } }) => {
    const [cteKind, cteBody] = c.CommonTableExpr?.ctequery ? node(c.CommonTableExpr.ctequery) : [];
    return (cteKind === 'UpdateStmt' || cteKind === 'DeleteStmt') && cteBody ? [relationName(cteBody.relation)] : [];
  });
  return [...new Set([...readTables(read), ...moved])].filter((t) => tableKey(t) !== target && !isCatalogTable(t));
}

/**
 * What each transaction (its earlier statements) has been told: that it locks other tables while
 * holding ACCESS EXCLUSIVE, and which held tables it scans or indexes. Each is one hazard of the
 * transaction, with one fix (commit after the ACCESS EXCLUSIVE statement), reported at the first
 * statement that shows it: a file that altered forty tables in one transaction drew thirty-nine
 * findings, one that built twenty indexes on a held table twenty.
 */
const told = new WeakMap<EarlierStatements, Told>();

/** What a transaction has been told: see `told`; blocksWrites, the tables writesBlockedDuringWork named. */
interface Told { locksOthers: boolean; readonly worksOn: Set<string>; readonly blocksWrites: Set<string> }

function toldOf(earlier: EarlierStatements): Told {
  let t = told.get(earlier);
  if (!t) told.set(earlier, (t = { locksOthers: false, worksOn: new Set(), blocksWrites: new Set() }));
  return t;
}

/**
 * One transaction that takes ACCESS EXCLUSIVE on one table and then locks another, or runs a
 * scan or rewrite while holding it: the first lock is held for everything that follows, every
 * query on that table queues behind it, and lock order across tables invites deadlocks.
 */
export const stackedAccessExclusive: StatementRule = {
  code: 'MG217',
  name: 'stacked-access-exclusive',
  summary: 'A transaction holds ACCESS EXCLUSIVE on a table while it locks other tables or scans and rewrites, or holds a lock that stops writes (a foreign key\'s SHARE ROW EXCLUSIVE, CREATE INDEX\'s SHARE) through a scan or a copy; a constraint is validated under the stronger lock of the ALTER TABLE that adds it.',
  severity: 'warning',
  check(ctx, report) {
    if (validatesUnderOwnLock(ctx, report)) return;
    if (!ctx.inTransaction) return;
    let reported = false;
    accessExclusiveHeld(ctx, (finding) => {
      reported = true;
      report(finding);
    });
    if (!reported) writesBlockedDuringWork(ctx, report);
  },
};

/**
 * The transaction holds ACCESS EXCLUSIVE on a table that is not new: this statement scans,
 * rewrites or builds an index of it, copies out of it, or locks another table.
 */
function accessExclusiveHeld(ctx: StatementContext, report: (finding: StatementFinding) => void): void {
  if (!ctx.earlier.holdsAccessExclusiveOnExisting()) return;
  const work = ctx.effect.effect;
  const workTable = ctx.effect.table;
  // A statement that takes ACCESS EXCLUSIVE on the table itself (a rewrite by ALTER COLUMN TYPE,
  // SET NOT NULL's scan) blocks it as long in a transaction of its own: its own rule says so.
  const ownLockIsWeaker = (table: string) => !ctx.locks.some((l) => l.mode === 'AccessExclusiveLock' && tableKey(l.table) === tableKey(table));
  // Work on a table this transaction emptied is instant: it adds nothing to the wait.
  const worksOn = toldOf(ctx.earlier).worksOn;
  // A relation filled by a query under the name of one the transaction dropped (DROP MATERIALIZED
  // VIEW v; CREATE MATERIALIZED VIEW v AS ...: planx's and nexus's rebuilds, the thirtieth trial's
  // M1): the queries on the old one wait for the DROP's lock, and find the new one when the
  // transaction commits, after its query has run (a SELECT waited the rebuild's 3 s on PostgreSQL 15).
  const rebuilt = rebuiltByQuery(ctx);
  if (rebuilt !== undefined && ctx.earlier.holdsAccessExclusiveOnExisting(rebuilt.name) && ctx.state.relationGone(rebuilt.name) && !worksOn.has(tableKey(rebuilt.name))) {
    const by = ctx.earlier.firstLocking(rebuilt.name, 'AccessExclusiveLock')!;
    const name = quoteName(rebuilt.name);
    const alter = rebuilt.materialized ? 'ALTER MATERIALIZED VIEW' : 'ALTER TABLE';
    const renamed = quoteName(`${rebuilt.name}_new`);
    report({
      message: `${ctx.facts.command} runs its query to fill ${name} while this transaction still holds the ACCESS EXCLUSIVE lock ${took(ctx, by, rebuilt.name)}, on the ${rebuilt.materialized ? 'materialized view' : 'table'} of that name it replaces: every query on ${name} waits until the query is done and the transaction commits`,
      related: [takerLocation(by, [{ table: rebuilt.name, mode: 'AccessExclusiveLock' }])],
      onStands: () => worksOn.add(tableKey(rebuilt.name)),
      help: `Build the new one under another name first (${ctx.facts.command} ${renamed} AS ..., and its indexes), then swap them in a short transaction of its own (DROP ${rebuilt.materialized ? 'MATERIALIZED VIEW' : 'TABLE'} ${name}; ${alter} ${renamed} RENAME TO ${name}).${rebuilt.materialized ? ` Where its query does not change, REFRESH MATERIALIZED VIEW CONCURRENTLY ${name} refreshes it while queries read it (it needs a unique index on the view).` : ''}`,
    });
    return;
  }
  // Told once per table and transaction; the rest of the transaction is read only when it may be said.
  if (workTable && work !== 'catalog' && work !== 'row changes' && ctx.earlier.holdsAccessExclusiveOnExisting(workTable) && ownLockIsWeaker(workTable) && !ctx.earlier.emptied(workTable)
    && (worksOn.has(tableKey(workTable)) || withoutDroppedLater(ctx, [workTable]).length > 0)) {
    if (worksOn.has(tableKey(workTable))) return;
    const by = ctx.earlier.firstLocking(workTable, 'AccessExclusiveLock')!;
    report({
      message: `${ctx.facts.command} does ${/^[aeiou]/i.test(work) ? 'an' : 'a'} ${work} of ${quoteName(workTable)} while this transaction still holds the ACCESS EXCLUSIVE lock ${took(ctx, by, workTable)}: nothing can read or write ${quoteName(workTable)} until it commits`,
      related: [takerLocation(by, [{ table: workTable, mode: 'AccessExclusiveLock' }])],
      onStands: () => worksOn.add(tableKey(workTable)),
      help: ctx.mode === 'lint'
        ? `Commit between them: run ${ctx.facts.command} in a transaction of its own (${laterTransaction(ctx)}) so it runs under its own, weaker lock.`
        : `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction) so it runs under its own, weaker lock.`,
    });
    return;
  }
  // A data change that reads another table the transaction holds (INSERT ... SELECT, UPDATE
  // ... FROM, DELETE ... USING, MERGE ... USING): a copy out of a locked table, as long as the
  // copy. Its own table, if held, is MG218's backfill.
  for (const read of readsOfDataChange(ctx.ast)) {
    if (!ctx.earlier.holdsAccessExclusiveOnExisting(read) || !ownLockIsWeaker(read) || ctx.earlier.emptied(read)) continue;
    const by = ctx.earlier.firstLocking(read, 'AccessExclusiveLock')!;
    // A table locked on purpose (LOCK TABLE, MG223) is held to keep others out while it is read.
    if (by.ast !== undefined && 'LockStmt' in by.ast) continue;
    if (worksOn.has(tableKey(read))) continue;
    // A table renamed away to make room for its rebuilt copy: committing in between would leave
    // the name empty, so the copy comes first and the swap last.
    const renamedFrom = by.ast !== undefined && 'RenameStmt' in by.ast ? (by.ast.RenameStmt as { relation?: Parameters<typeof relationName>[0] }).relation : undefined;
    const swapped = renamedFrom !== undefined && ctx.facts.dataChange !== undefined && tableKey(relationName(renamedFrom)) === tableKey(ctx.facts.dataChange.table);
    report({
      message: `${ctx.facts.command} reads ${quoteName(read)} while this transaction still holds the ACCESS EXCLUSIVE lock ${took(ctx, by, read)}: nothing can read or write ${quoteName(read)} until ${copies(ctx) ? 'the copy' : 'it'} is done and the transaction commits`,
      related: [takerLocation(by, [{ table: read, mode: 'AccessExclusiveLock' }])],
      onStands: () => worksOn.add(tableKey(read)),
      help: swapped
        ? `Copy first, swap last: create the new table under another name and fill it from the live table (in batches, catching up the rows written meanwhile), then rename both in one short transaction.`
        : ctx.mode === 'lint'
        ? `Commit between them: run ${ctx.facts.command} in a transaction of its own (${laterTransaction(ctx)}), where reading ${quoteName(read)} takes only ACCESS SHARE; ${copies(ctx) ? 'copy' : 'change'} a large table in batches.`
        : `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction), where reading ${quoteName(read)} takes only ACCESS SHARE; ${copies(ctx) ? 'copy' : 'change'} a large table in batches (batch:).`,
    });
    return;
  }
  // A table this statement creates is new and empty: locking it keeps nobody waiting. The
  // tables its foreign keys point at are where the wait is.
  const creates = createdTable(ctx.ast, ctx.state);
  // A rename's lock under the new name is its own table's, not another's.
  const others = ctx.locks.filter((l) => !l.renamed && lockStrength(l.mode) >= lockStrength('ShareUpdateExclusiveLock') && !ctx.earlier.holdsAccessExclusive(l.table) && !isNewRelation(ctx.state, l.table) && (creates === undefined || tableKey(l.table) !== creates) && !serialOfHeldTable(ctx, l.table));
  // A held table the transaction drops, before or after, is gone for its users when it commits
  // anyway (a feature's rollback dropping its triggers, then its tables): its wait adds nothing.
  const tables = others.length && !toldOf(ctx.earlier).locksOthers ? withoutDroppedLater(ctx, ctx.earlier.accessExclusiveOnExisting()) : [];
  if (tables.length > 0) {
    const held = tableList(ctx, tables);
    // Who took the first of them: the statement a reader looks for.
    const first = ctx.earlier.firstLocking(tables[0]!, 'AccessExclusiveLock')!;
    const since = `, ${tables.length === 1 ? 'which' : 'the first of which'} ${took(ctx, first, tables[0]!)}`;
    // A table the transaction locked before, more weakly (a foreign key's SHARE ROW EXCLUSIVE, a read), is no first.
    const lockedBefore = (table: string) => ctx.earlier.firstLocking(table, 'AccessShareLock') !== undefined;
    // ALTER SEQUENCE locks a sequence, ALTER VIEW a view: say which.
    const noun = relationNoun(others.map((o) => relationKind(ctx.state, o.table, ctx.ast)), others.length);
    const now = others.every((o) => !lockedBefore(o.table))
      ? `${others.map((o) => quoteName(o.table)).join(', ')}, the first other ${noun} it locks before it commits`
      : others.map((o) => (lockedBefore(o.table) ? `${quoteName(o.table)} more strongly than before (${lockLabel(o.mode)})` : quoteName(o.table))).join(', ');
    report({
      message: `this transaction already holds an ACCESS EXCLUSIVE lock on ${held}${since}, and now locks ${now}: ${held} ${tables.length === 1 ? 'stays' : 'stay'} blocked until then, and lock order across tables invites deadlocks`,
      related: [takerLocation(first, [{ table: tables[0]!, mode: 'AccessExclusiveLock' }])],
      onStands: () => { toldOf(ctx.earlier).locksOthers = true; },
      help: ctx.mode === 'lint'
        ? `Change each table in a transaction of its own (${ctx.transaction?.inRun ? laterTransaction(ctx) : 'its own migration file, or COMMIT between them'}), so each lock is held only as long as its own statement.`
        : 'Put each table\'s change in its own step (its own transaction), so each lock is held only as long as its own statement.',
    });
  }
}

/**
 * The relation a CREATE MATERIALIZED VIEW or CREATE TABLE AS fills by running its query (not WITH
 * NO DATA, and a query that reads a table: `AS SELECT 1` is instant), but for a temporary table.
 */
function rebuiltByQuery(ctx: StatementContext): { name: string; materialized: boolean } | undefined {
  const [kind, body] = node(ctx.ast);
  // A temporary table is the session's own: no other session queues on its name (openmeter's dedupe map).
  if (kind !== 'CreateTableAsStmt' || !body.into?.rel || body.into.skipData || body.into.rel.relpersistence === 't') return undefined;
  if (readRelations(body.query).length === 0) return undefined;
  return { name: relationName(body.into.rel), materialized: body.objtype === 'OBJECT_MATVIEW' };
}

/**
 * Whether a relation is the serial sequence of a column of a table the transaction holds in
 * ACCESS EXCLUSIVE (named `<table>_<column>_seq`, or the one a column's default draws from), and
 * no other table's default draws from it: whoever would use it queues on the table first, so
 * locking it keeps no one more waiting (the twenty-fifth trial's D: cow's DROP SEQUENCE after the
 * ALTER TABLE that dropped the column's default).
 */
function serialOfHeldTable(ctx: StatementContext, relation: string): boolean {
  if (relationKind(ctx.state, relation, ctx.ast) !== 'sequence') return false;
  const key = tableKey(relation);
  let owner: string | undefined;
  for (const table of ctx.earlier.accessExclusiveOnExisting()) {
    for (const [column, c] of ctx.state.table(table)?.columns ?? []) {
      if ((c.sequence !== undefined && tableKey(c.sequence) === key) || tableKey(`${table}_${column}_seq`) === key) owner = tableKey(table);
    }
  }
  if (owner === undefined) return false;
  for (const [name, t] of ctx.state.tables) {
    if (name === owner) continue;
    for (const c of t.columns.values()) if (c.sequence !== undefined && tableKey(c.sequence) === key) return false;
  }
  return true;
}

/**
 * The tables but those the transaction dropped (or renamed away) already, or drops in this
 * statement or a later one (DROP TABLE, before COMMIT or ROLLBACK), and gives the name to no other.
 */
function withoutDroppedLater(ctx: StatementContext, tables: readonly string[]): string[] {
  let dropped: Set<string> | undefined;
  for (const ast of [ctx.ast, ...ctx.later()]) {
    const [kind, body] = node(ast);
    if (kind === 'TransactionStmt') break;
    if (kind !== 'DropStmt' || body.removeType !== 'OBJECT_TABLE') continue;
    for (const o of body.objects ?? []) (dropped ??= new Set()).add(tableKey((o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval).join('.')));
  }
  // Not when this statement or a later one gives the name to another (a view dropped and created again, a
  // table rebuilt and swapped in): the queries that use it wait, then find the new one.
  return tables.filter((t) => !((dropped?.has(tableKey(t)) || ctx.state.relationGone(t)) && !nameTakenAgain([ctx.ast, ...ctx.later()], t)));
}

/** Whom a lock keeps waiting, coarsely: 3 every query, 2 writes and SELECT ... FOR UPDATE, 1 writes, 0 no everyday query. */
function blocks(mode: LockMode): number {
  const strength = lockStrength(mode);
  return strength >= lockStrength('AccessExclusiveLock') ? 3 : strength >= lockStrength('ExclusiveLock') ? 2 : strength >= lockStrength('ShareLock') ? 1 : 0;
}

/**
 * What this statement does that takes long, on tables that are not new (or a new one filled from
 * a query): a scan, rewrite or index build of a table, or a copy out of other tables (INSERT ...
 * SELECT, UPDATE ... FROM, DELETE ... USING, MERGE ... USING). Undefined for the rest.
 */
function longWork(ctx: StatementContext): { readonly work: string; readonly table: string } | { readonly reads: readonly string[] } | undefined {
  // A table this transaction emptied is as quick to read as a new one.
  const live = (t: string) => (!isNewRelation(ctx.state, t) || ctx.state.table(t)?.filled === true) && !ctx.earlier.emptied(t);
  const { effect, table } = ctx.effect;
  if (table && (effect === 'scan' || effect === 'index build' || effect === 'rewrite')) return live(table) ? { work: effect, table } : undefined;
  const reads = readsOfDataChange(ctx.ast).filter(live);
  return reads.length ? { reads } : undefined;
}

/**
 * A scan, rewrite, index build or copy while the transaction holds a lock weaker than ACCESS
 * EXCLUSIVE that still stops every write (SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE) on tables that
 * are not new: a foreign key's SHARE ROW EXCLUSIVE on both its tables (ADD FOREIGN KEY ... NOT
 * VALID, CREATE TABLE ... REFERENCES), CREATE INDEX's SHARE, CREATE TRIGGER's SHARE ROW EXCLUSIVE.
 * Writes to those tables wait for the whole of it. Reported once per table and transaction; not
 * for a table this statement itself locks as strongly (it blocks the same queries in a
 * transaction of its own), the target of a data change (MG218's backfill), or one locked on
 * purpose (LOCK TABLE, MG223).
 */
function writesBlockedDuringWork(ctx: StatementContext, report: (finding: StatementFinding) => void): void {
  const own = new Map<string, LockMode>();
  for (const l of ctx.locks) {
    const key = tableKey(l.table);
    if (!l.ifRows && lockStrength(l.mode) > lockStrength(own.get(key) ?? 'AccessShareLock')) own.set(key, l.mode);
  }
  const target = ctx.facts.dataChange ? tableKey(ctx.facts.dataChange.table) : undefined;
  const told = toldOf(ctx.earlier).blocksWrites;
  const held: HeldLock[] = [];
  for (const h of ctx.earlier.writeBlockingLocks()) {
    const key = tableKey(h.table);
    if (h.mode === 'AccessExclusiveLock' || told.has(key) || key === target) continue;
    if (h.by.ast !== undefined && 'LockStmt' in h.by.ast) continue;
    if (blocks(own.get(key) ?? 'AccessShareLock') >= blocks(h.mode) || isNewRelation(ctx.state, h.table)) continue;
    held.push(h);
  }
  if (!held.length) return;
  // Asked only when a lock is held: it reads the statement's query for the tables it copies from.
  const work = longWork(ctx);
  if (!work) return;
  const takers = andList([...new Set(held.map((h) => h.by.facts.command))]);
  // Each statement that took them, named and placed, with why it locked those not its own.
  const byTaker = new Map<HeldLock['by'], HeldLock[]>();
  for (const h of held) byTaker.set(h.by, [...(byTaker.get(h.by) ?? []), h]);
  const whyOf = (by: HeldLock['by'], locks: readonly HeldLock[]) => {
    const reasons = new Map<string, string[]>();
    for (const h of locks) {
      const as = lockedAs(by, h.table, h.mode);
      if (as) reasons.set(as, [...(reasons.get(as) ?? []), quoteName(h.table)]);
    }
    const why = [...reasons].map(([as, tables]) => `${andList(tables)}${tables.length > 1 ? ', each' : ''}${as}`);
    return why.length ? why.join('; ') : undefined;
  };
  // Many tables or statements (musicbrainz's schema changes: ten tables, eight statements): the
  // message counts them, and each statement is a note of its own, where it is, with why.
  const many = byTaker.size > 2 || held.length > 4;
  const named = many
    ? `${byTaker.size === 1 ? 'an earlier statement' : `${byTaker.size} earlier statements`} (each at a note)`
    : andList([...byTaker].map(([by, locks]) => statementNamed(ctx, by, whyOf(by, locks))));
  const tables = [...new Set(held.map((h) => quoteName(h.table)))];
  const heldText = many && tables.length > 4 ? `locks that stop writes on ${tables.length} tables (${tables.slice(0, 3).join(', ')} and ${tables.length - 3} more)` : locksOn(held);
  const waiting = many && tables.length > 4 ? 'writes to them' : whoWaits(held, (t) => relationKind(ctx.state, t) === 'materialized view');
  // INSERT ... SELECT copies rows; an UPDATE, DELETE or MERGE only reads the tables it joins.
  const what = 'reads' in work
    ? `${copies(ctx) ? 'copies rows out of' : 'reads'} ${andList(work.reads.map(quoteName))}`
    : `does ${/^[aeiou]/i.test(work.work) ? 'an' : 'a'} ${work.work} of ${quoteName(work.table)}`;
  const until = 'reads' in work ? `until ${copies(ctx) ? 'the copy' : 'it'} is done and the transaction commits` : 'until it commits';
  const command = ctx.facts.command;
  report({
    message: `${command} ${what} while this transaction still holds ${heldText}, which ${named} took: ${waiting} wait ${until} (plain reads go on)`,
    related: [...byTaker].map(([by, locks]) => {
      const at = takerLocation(by, locks);
      const why = many ? whyOf(by, locks) : undefined;
      return why ? { ...at, message: `${at.message} (${why})` } : at;
    }),
    onStands: () => { for (const h of held) told.add(tableKey(h.table)); },
    help: ctx.mode === 'lint'
      ? `Commit between them: run ${command} in a transaction of its own (${laterTransaction(ctx)}), so that what ${takers} locked is free before it starts${'reads' in work ? `; ${copies(ctx) ? 'copy' : 'change'} a large table in batches` : ''}.`
      : `Commit between them: put ${command} in a step of its own (its own transaction), so that what ${takers} locked is free before it starts${'reads' in work ? `; ${copies(ctx) ? 'copy' : 'change'} a large table in batches (batch:)` : ''}.`,
  });
}

/**
 * VALIDATE CONSTRAINT in an ALTER TABLE whose other subcommands lock the table more strongly (ADD
 * CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT in one statement): the scan runs under that lock,
 * not under VALIDATE's own SHARE UPDATE EXCLUSIVE, which is what NOT VALID was for.
 */
function validatesUnderOwnLock(ctx: StatementContext, report: (finding: StatementFinding) => void): boolean {
  const alter = alterTableCommands(ctx.ast);
  const validate = alter?.cmds.findIndex((cmd) => cmd.subtype === 'AT_ValidateConstraint') ?? -1;
  if (!alter || validate < 0 || ctx.state.isNew(alter.table)) return false;
  // The whole statement's lock on each table (on the others, where it stops writes), where
  // stronger than VALIDATE's own.
  const held = statementLocksOn(ctx, [alter.table]).filter((l) => lockStrength(l.mode) > lockStrength('ShareUpdateExclusiveLock'));
  if (!held.length || tableKey(held[0]!.table) !== tableKey(alter.table)) return false;
  const name = alter.cmds[validate]!.name as string;
  report({
    subcommand: validate,
    message: `VALIDATE CONSTRAINT ${quoteIdent(name)} scans ${quoteName(alter.table)} under the locks the rest of this ALTER TABLE takes (${locksOn(held)}): ${whoWaits(held)} wait for the whole scan, as if the constraint had been added without NOT VALID`,
    help: ctx.mode === 'lint'
      ? `Validate in a transaction of its own, after the one that adds the constraint NOT VALID has committed: ALTER TABLE ${quoteName(alter.table)} VALIDATE CONSTRAINT ${quoteIdent(name)}; alone takes SHARE UPDATE EXCLUSIVE, and reads and writes go on.`
      : `Validate in a step of its own, after the step that adds the constraint NOT VALID: ALTER TABLE ${quoteName(alter.table)} VALIDATE CONSTRAINT ${quoteIdent(name)}; alone takes SHARE UPDATE EXCLUSIVE, and reads and writes go on.`,
  });
  return true;
}

/**
 * "a, b, c", or the first ten and how many more: a transaction of thousands of ALTER TABLEs would
 * otherwise repeat every table so far in each finding, output quadratic in the file's length.
 */
function tableList(ctx: StatementContext, tables: readonly string[]): string {
  const shown = 10;
  if (tables.length <= shown) return tables.map(quoteName).join(', ');
  const more = tables.slice(shown);
  return `${tables.slice(0, shown).map(quoteName).join(', ')} and ${formatCount(more.length)} more ${relationNoun(more.map((t) => relationKind(ctx.state, t)), more.length)}`;
}

/**
 * "ALTER TABLE "orders" ADD COLUMN (line 3) took", or, for a lock on another relation than the
 * statement's own, "... took on it as the referenced table of the foreign key "k" it drops".
 */
function took(ctx: StatementContext, by: HeldLock['by'], table: string): string {
  const as = lockedAs(by, table, 'AccessExclusiveLock');
  return `${statementNamed(ctx, by)} took${as ? ` on it${as}` : ''}`;
}

/** Whether a data change copies rows (INSERT ... SELECT), rather than reading other tables to change its own. */
function copies(ctx: StatementContext): boolean {
  return ctx.facts.dataChange?.kind === 'insert';
}
