import { lockStrength } from '../../sql/locks.js';
import type { StatementRule } from '../sql/context.js';

/**
 * One transaction that takes ACCESS EXCLUSIVE on one table and then locks another, or runs a
 * scan or rewrite while holding it: the first lock is held for everything that follows, every
 * query on that table queues behind it, and lock order across tables invites deadlocks.
 */
export const stackedAccessExclusive: StatementRule = {
  code: 'MG217',
  name: 'stacked-access-exclusive',
  summary: 'A transaction holds ACCESS EXCLUSIVE on a table while it locks other tables or scans and rewrites.',
  severity: 'warning',
  check(ctx, report) {
    if (!ctx.inTransaction) return;
    const held = ctx.earlier.flatMap((e) => e.locks.filter((l) => l.mode === 'AccessExclusiveLock' && !ctx.state.isNew(l.table)).map((l) => l.table));
    if (!held.length) return;
    const heldSet = [...new Set(held)];
    const same = (a: string, b: string) => a.replace(/^public\./, '') === b.replace(/^public\./, '');
    const work = ctx.effect.effect;
    const workTable = ctx.effect.table;
    if (workTable && work !== 'catalog' && work !== 'row changes' && heldSet.some((t) => same(t, workTable))) {
      const by = ctx.earlier.find((e) => e.locks.some((l) => l.mode === 'AccessExclusiveLock' && same(l.table, workTable)))!;
      report({
        message: `${ctx.facts.command} does a ${work} of ${workTable} while this transaction still holds the ACCESS EXCLUSIVE lock ${by.facts.command} took: nothing can read or write ${workTable} until it commits`,
        help: `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction) so it runs under its own, weaker lock.`,
      });
      return;
    }
    const others = ctx.locks.filter((l) => lockStrength(l.mode) >= lockStrength('ShareUpdateExclusiveLock') && !heldSet.includes(l.table) && !ctx.state.isNew(l.table));
    if (others.length) {
      report({
        message: `this transaction already holds an ACCESS EXCLUSIVE lock on ${heldSet.join(', ')} and now locks ${others.map((o) => o.table).join(', ')}: ${heldSet.join(', ')} stays blocked for both, and lock order across tables invites deadlocks`,
        help: 'Put each table\'s change in its own step (its own transaction), so each lock is held only as long as its own statement.',
      });
    }
  },
};
