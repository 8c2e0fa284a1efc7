import { lockLabel, lockStrength, queriesBlocked, type PredictedLock } from '../../sql/locks.js';
import { isNewRelation, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { relationName } from './ast.js';
import { quoteName } from '../../sql/quote.js';
import { lockReasonText } from './statement-locks.js';

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
    const created = (ctx.ast as { CreateStmt?: { relation: never } }).CreateStmt?.relation;
    // So can a view being created (its reads are weak locks).
    const view = (ctx.ast as { ViewStmt?: { view: never } }).ViewStmt?.view;
    if (view && !ctx.state.views.has(tableKey(relationName(view)))) return;
    // The strongest lock on a table that is not new: what the most queries queue behind. A
    // rename's lock under the new name is the same table's, under its old name.
    let strong: PredictedLock | undefined;
    for (const l of ctx.locks) {
      if (created && tableKey(l.table) === tableKey(relationName(created))) continue;
      if (!l.renamed && lockStrength(l.mode) >= lockStrength('ShareLock') && (!strong || lockStrength(l.mode) > lockStrength(strong.mode)) && !isNewRelation(ctx.state, l.table)) strong = l;
    }
    if (!strong) return;
    const lock = lockLabel(strong.mode);
    const { blocked, spared } = queriesBlocked(strong.mode, quoteName(strong.table));
    report({
      // A relation not its own says why it locks it: a reader looks for it in the statement.
      message: `${ctx.facts.command} waits for ${/^[AEIOU]/.test(lock) ? 'an' : 'a'} ${lock} lock on ${quoteName(strong.table)}${strong.reason ? `, ${lockReasonText(strong.reason)},` : ''} with no lock_timeout set before it in its session: while it waits behind a long query, ${blocked} queues behind it${spared ? ` (${spared})` : ''}`,
      help: "Start the file with SET lock_timeout = '5s'; (and retry on failure) so a blocked migration gives up instead of stalling the application.",
    });
  },
};
