import { lockLabel, lockStrength, queriesBlocked, type PredictedLock } from '../../sql/locks.js';
import { isNewRelation, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { dropsScratchTable, relationName } from './ast.js';
import { quoteName } from '../../sql/quote.js';
import { andList, andListAtMost, lockReasonText, relationKind } from './statement-locks.js';

/** The locked tables a message names, each with why it is locked; the statement shows the rest. */
const listedTables = 3;

export const missingLockTimeout: StatementRule = {
  code: 'MG219',
  name: 'missing-lock-timeout',
  summary: 'A SQL file takes a strong lock without setting lock_timeout first (plans\' scripts always set it); reported once per session.',
  severity: 'warning',
  check(ctx, report) {
    if (ctx.mode !== 'lint' || ctx.lockTimeoutSet) return;
    // A table being created cannot be busy; one created earlier in the file is new and idle. The
    // tables CREATE TABLE's foreign keys reference (SHARE ROW EXCLUSIVE) and the parent of a
    // partition it creates (ACCESS EXCLUSIVE) are locked all the same.
    if ('CreateTableAsStmt' in ctx.ast) return;
    // A drop of a scratch table the session makes TEMPORARY next: nothing there to lock.
    if (dropsScratchTable(ctx)) return;
    // SELECT ... INTO creates its table as CREATE TABLE AS does: no other session sees it yet.
    const created = (ctx.ast as { CreateStmt?: { relation: never } }).CreateStmt?.relation
      ?? (ctx.ast as { SelectStmt?: { intoClause?: { rel?: never } } }).SelectStmt?.intoClause?.rel;
    // So can a view being created (its reads are weak locks).
    const view = (ctx.ast as { ViewStmt?: { view: never } }).ViewStmt?.view;
    if (view && !ctx.state.views.has(tableKey(relationName(view)))) return;
    // The strongest lock on tables that are not new: what the most queries queue behind, on each
    // table it takes it on (a foreign key added takes SHARE ROW EXCLUSIVE on both its tables). A
    // rename's lock under the new name is the same table's, under its old name.
    let strongest: PredictedLock[] = [];
    for (const l of ctx.locks) {
      if (created && tableKey(l.table) === tableKey(relationName(created))) continue;
      if (l.renamed || lockStrength(l.mode) < lockStrength('ShareLock') || isNewRelation(ctx.state, l.table)) continue;
      // A lock the transaction holds already (an earlier statement of it took one as strong): no wait.
      if (ctx.earlier.firstLocking(l.table, l.mode) !== undefined) continue;
      const than = strongest.length ? lockStrength(l.mode) - lockStrength(strongest[0]!.mode) : 1;
      if (than > 0) strongest = [l];
      else if (than === 0 && !strongest.some((s) => tableKey(s.table) === tableKey(l.table))) strongest.push(l);
    }
    const strong = strongest[0];
    if (!strong) return;
    const lock = lockLabel(strong.mode);
    // One table with why it is locked (", the referenced table of ...,"); several, each with its own.
    const on = strongest.length === 1
      ? `${quoteName(strong.table)}${strong.reason ? `, ${lockReasonText(strong.reason)},` : ''}`
      : andListAtMost(strongest.map((l) => `${quoteName(l.table)}${l.reason ? ` (${lockReasonText(l.reason)})` : ''}`), listedTables);
    const { blocked, spared } = queriesBlocked(strong.mode, strongest.length > listedTables ? `those ${strongest.length} tables` : andList(strongest.map((l) => quoteName(l.table))), strongest.every((l) => relationKind(ctx.state, l.table) === 'materialized view'));
    // Weaker locks that still stop writes, on other tables (ADD COLUMN ... REFERENCES: ACCESS
    // EXCLUSIVE on its table, SHARE ROW EXCLUSIVE on the one it references; the twenty-eighth
    // trial's C): writes to those queue too.
    const others: PredictedLock[] = [];
    for (const l of ctx.locks) {
      if (l.renamed || l.ifRows || lockStrength(l.mode) < lockStrength('ShareLock') || isNewRelation(ctx.state, l.table)) continue;
      if ((created && tableKey(l.table) === tableKey(relationName(created))) || strongest.some((s) => tableKey(s.table) === tableKey(l.table)) || others.some((o) => tableKey(o.table) === tableKey(l.table))) continue;
      if (ctx.earlier.firstLocking(l.table, l.mode) !== undefined) continue;
      others.push(l);
    }
    const also = others.length ? `; it takes ${andListAtMost(others.map((l) => `${/^[AEIOU]/.test(lockLabel(l.mode)) ? 'an' : 'a'} ${lockLabel(l.mode)} lock on ${quoteName(l.table)}${l.reason ? ` (${lockReasonText(l.reason)})` : ''}`), listedTables)} too, and writes to ${others.length === 1 ? 'it' : 'them'} queue behind it as well` : '';
    report({
      // A relation not its own says why it locks it: a reader looks for it in the statement.
      message: `${ctx.facts.command} waits for ${/^[AEIOU]/.test(lock) ? 'an' : 'a'} ${lock} lock on ${on} with no lock_timeout set before it in its session: while it waits behind a long query, ${blocked} queues behind it${spared ? ` (${spared})` : ''}${also}`,
      help: "Start the file with SET lock_timeout = '5s'; (and retry on failure) so a blocked migration gives up instead of stalling the application. If your migration tool's connection sets one before the files run, say so: --lock-timeout 5s (or \"lock_timeout\" in migc.config.json).",
    });
  },
};
