import { lockLabel, lockStrength, readRelations, type LockMode } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import { isNewRelation, type EarlierStatements, type StatementContext, type StatementFinding, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { alterTableCommands, node, relationName } from './ast.js';
import { formatCount } from '../../util/numbers.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** The key of the table a CREATE TABLE (or CREATE TABLE AS) creates, or the view a CREATE VIEW does. */
function createdTable(ast: PgNode, state: StatementContext['state']): string | undefined {
  const [kind, body] = node(ast);
  if (kind === 'CreateStmt') return tableKey(relationName(body.relation));
  if (kind === 'CreateTableAsStmt' && body.into?.rel) return tableKey(relationName(body.into.rel));
  if (kind === 'ViewStmt' && !state.views.has(tableKey(relationName(body.view)))) return tableKey(relationName(body.view));
  return undefined;
}

/** What kind of relation a lock of the statement is on: its own sequence (ALTER SEQUENCE), a known view, else a table. */
function relationNoun(ctx: StatementContext, relation: string): string {
  const [kind, body] = node(ctx.ast);
  if (kind === 'AlterSeqStmt' && tableKey(relationName(body.sequence)) === tableKey(relation)) return 'sequence';
  return ctx.state.views.has(tableKey(relation)) ? 'view' : 'table';
}

/** The tables a data change reads besides its target: its query, FROM, USING and subqueries. */
function readsOfDataChange(ast: PgNode): string[] {
  const [kind, body] = node(ast);
  const parts = kind === 'InsertStmt' ? [body.selectStmt?.SelectStmt?.valuesLists ? undefined : body.selectStmt]
    : kind === 'UpdateStmt' ? [body.fromClause, body.whereClause, body.targetList]
      : kind === 'DeleteStmt' ? [body.usingClause, body.whereClause]
        : kind === 'MergeStmt' ? [body.sourceRelation]
          : [];
  const target = kind === 'InsertStmt' || kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'MergeStmt' ? tableKey(relationName(body.relation)) : undefined;
  return [...new Set(parts.flatMap((p) => (p ? readRelations(p) : [])))].filter((t) => tableKey(t) !== target);
}

/**
 * What each transaction (its earlier statements) has been told: that it locks other tables while
 * holding ACCESS EXCLUSIVE, and which held tables it scans or indexes. Each is one hazard of the
 * transaction, with one fix (commit after the ACCESS EXCLUSIVE statement), reported at the first
 * statement that shows it: a file that altered forty tables in one transaction drew thirty-nine
 * findings, one that built twenty indexes on a held table twenty.
 */
const told = new WeakMap<EarlierStatements, { locksOthers: boolean; worksOn: Set<string> }>();

function toldOf(earlier: EarlierStatements): { locksOthers: boolean; worksOn: Set<string> } {
  let t = told.get(earlier);
  if (!t) told.set(earlier, (t = { locksOthers: false, worksOn: new Set() }));
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
  summary: 'A transaction holds ACCESS EXCLUSIVE on a table while it locks other tables or scans and rewrites; a constraint is validated under the stronger lock of the ALTER TABLE that adds it.',
  severity: 'warning',
  check(ctx, report) {
    if (validatesUnderOwnLock(ctx, report)) return;
    if (!ctx.inTransaction || !ctx.earlier.holdsAccessExclusiveOnExisting()) return;
    const work = ctx.effect.effect;
    const workTable = ctx.effect.table;
    // A statement that takes ACCESS EXCLUSIVE on the table itself (a rewrite by ALTER COLUMN TYPE,
    // SET NOT NULL's scan) blocks it as long in a transaction of its own: its own rule says so.
    const ownLockIsWeaker = (table: string) => !ctx.locks.some((l) => l.mode === 'AccessExclusiveLock' && tableKey(l.table) === tableKey(table));
    if (workTable && work !== 'catalog' && work !== 'row changes' && ctx.earlier.holdsAccessExclusiveOnExisting(workTable) && ownLockIsWeaker(workTable)) {
      const worksOn = toldOf(ctx.earlier).worksOn;
      if (worksOn.has(tableKey(workTable))) return;
      worksOn.add(tableKey(workTable));
      const by = ctx.earlier.firstLocking(workTable, 'AccessExclusiveLock')!;
      report({
        message: `${ctx.facts.command} does ${/^[aeiou]/i.test(work) ? 'an' : 'a'} ${work} of ${quoteName(workTable)} while this transaction still holds the ACCESS EXCLUSIVE lock ${by.facts.command} took: nothing can read or write ${quoteName(workTable)} until it commits`,
        help: ctx.mode === 'lint'
          ? `Commit between them: run ${ctx.facts.command} in a transaction of its own (a later migration file, or after a COMMIT) so it runs under its own, weaker lock.`
          : `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction) so it runs under its own, weaker lock.`,
      });
      return;
    }
    // A data change that reads another table the transaction holds (INSERT ... SELECT, UPDATE
    // ... FROM, DELETE ... USING, MERGE ... USING): a copy out of a locked table, as long as the
    // copy. Its own table, if held, is MG218's backfill.
    for (const read of readsOfDataChange(ctx.ast)) {
      if (!ctx.earlier.holdsAccessExclusiveOnExisting(read) || !ownLockIsWeaker(read)) continue;
      const by = ctx.earlier.firstLocking(read, 'AccessExclusiveLock')!;
      // A table locked on purpose (LOCK TABLE, MG223) is held to keep others out while it is read.
      if (by.ast !== undefined && 'LockStmt' in by.ast) continue;
      const worksOn = toldOf(ctx.earlier).worksOn;
      if (worksOn.has(tableKey(read))) continue;
      worksOn.add(tableKey(read));
      // A table renamed away to make room for its rebuilt copy: committing in between would leave
      // the name empty, so the copy comes first and the swap last.
      const renamedFrom = by.ast !== undefined && 'RenameStmt' in by.ast ? (by.ast.RenameStmt as { relation?: Parameters<typeof relationName>[0] }).relation : undefined;
      const swapped = renamedFrom !== undefined && ctx.facts.dataChange !== undefined && tableKey(relationName(renamedFrom)) === tableKey(ctx.facts.dataChange.table);
      report({
        message: `${ctx.facts.command} reads ${quoteName(read)} while this transaction still holds the ACCESS EXCLUSIVE lock ${by.facts.command} took: nothing can read or write ${quoteName(read)} until the copy is done and the transaction commits`,
        help: swapped
          ? `Copy first, swap last: create the new table under another name and fill it from the live table (in batches, catching up the rows written meanwhile), then rename both in one short transaction.`
          : ctx.mode === 'lint'
          ? `Commit between them: run ${ctx.facts.command} in a transaction of its own (a later migration file, or after a COMMIT), where reading ${quoteName(read)} takes only ACCESS SHARE; copy a large table in batches.`
          : `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction), where reading ${quoteName(read)} takes only ACCESS SHARE; copy a large table in batches (batch:).`,
      });
      return;
    }
    // A table this statement creates is new and empty: locking it keeps nobody waiting. The
    // tables its foreign keys point at are where the wait is.
    const creates = createdTable(ctx.ast, ctx.state);
    // A rename's lock under the new name is its own table's, not another's.
    const others = ctx.locks.filter((l) => !l.renamed && lockStrength(l.mode) >= lockStrength('ShareUpdateExclusiveLock') && !ctx.earlier.holdsAccessExclusive(l.table) && !isNewRelation(ctx.state, l.table) && (creates === undefined || tableKey(l.table) !== creates));
    if (others.length && !toldOf(ctx.earlier).locksOthers) {
      toldOf(ctx.earlier).locksOthers = true;
      const tables = ctx.earlier.accessExclusiveOnExisting();
      const held = tableList(tables);
      // A table the transaction locked before, more weakly (a foreign key's SHARE ROW EXCLUSIVE, a read), is no first.
      const lockedBefore = (table: string) => ctx.earlier.firstLocking(table, 'AccessShareLock') !== undefined;
      // ALTER SEQUENCE locks a sequence, ALTER VIEW a view: say which.
      const nouns = new Set(others.map((o) => relationNoun(ctx, o.table)));
      const noun = nouns.size === 1 ? [...nouns][0]! : 'relation';
      const now = others.every((o) => !lockedBefore(o.table))
        ? `${others.map((o) => quoteName(o.table)).join(', ')}, the first other ${noun}${others.length === 1 ? '' : 's'} it locks before it commits`
        : others.map((o) => (lockedBefore(o.table) ? `${quoteName(o.table)} more strongly than before (${lockLabel(o.mode)})` : quoteName(o.table))).join(', ');
      report({
        message: `this transaction already holds an ACCESS EXCLUSIVE lock on ${held} and now locks ${now}: ${held} ${tables.length === 1 ? 'stays' : 'stay'} blocked until then, and lock order across tables invites deadlocks`,
        help: ctx.mode === 'lint'
          ? 'Change each table in a transaction of its own (its own migration file, or COMMIT between them), so each lock is held only as long as its own statement.'
          : 'Put each table\'s change in its own step (its own transaction), so each lock is held only as long as its own statement.',
      });
    }
  },
};

/**
 * VALIDATE CONSTRAINT in an ALTER TABLE whose other subcommands lock the table more strongly (ADD
 * CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT in one statement): the scan runs under that lock,
 * not under VALIDATE's own SHARE UPDATE EXCLUSIVE, which is what NOT VALID was for.
 */
function validatesUnderOwnLock(ctx: StatementContext, report: (finding: StatementFinding) => void): boolean {
  const alter = alterTableCommands(ctx.ast);
  const validate = alter?.cmds.findIndex((cmd) => cmd.subtype === 'AT_ValidateConstraint') ?? -1;
  if (!alter || validate < 0 || ctx.state.isNew(alter.table)) return false;
  // The strongest lock on each table the statement locks, where stronger than VALIDATE's own.
  const strongest = new Map<string, { table: string; mode: LockMode }>();
  for (const l of ctx.locks) {
    const seen = strongest.get(tableKey(l.table));
    if (!seen || lockStrength(l.mode) > lockStrength(seen.mode)) strongest.set(tableKey(l.table), { table: l.table, mode: l.mode });
  }
  const own = strongest.get(tableKey(alter.table));
  if (!own || lockStrength(own.mode) <= lockStrength('ShareUpdateExclusiveLock')) return false;
  const held = [...strongest.values()].filter((l) => lockStrength(l.mode) > lockStrength('ShareUpdateExclusiveLock'));
  const name = alter.cmds[validate]!.name as string;
  const locks = held.map((l) => `${lockLabel(l.mode)} on ${quoteName(l.table)}`).join(' and ');
  const blocked = held.map((l) => `${l.mode === 'AccessExclusiveLock' ? 'reads and writes of' : 'writes to'} ${quoteName(l.table)}`).join(' and ');
  report({
    subcommand: validate,
    message: `VALIDATE CONSTRAINT ${quoteIdent(name)} scans ${quoteName(alter.table)} under the locks the rest of this ALTER TABLE takes (${locks}): ${blocked} wait for the whole scan, as if the constraint had been added without NOT VALID`,
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
function tableList(tables: readonly string[]): string {
  const shown = 10;
  if (tables.length <= shown) return tables.map(quoteName).join(', ');
  const more = tables.length - shown;
  return `${tables.slice(0, shown).map(quoteName).join(', ')} and ${formatCount(more)} more table${more === 1 ? '' : 's'}`;
}
