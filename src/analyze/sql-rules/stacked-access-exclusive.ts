import { lockStrength } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import type { StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { node, relationName } from './ast.js';
import { formatCount } from '../../util/numbers.js';

/** The key of the table a CREATE TABLE (or CREATE TABLE AS) creates. */
function createdTable(ast: PgNode): string | undefined {
  const [kind, body] = node(ast);
  if (kind === 'CreateStmt') return tableKey(relationName(body.relation));
  if (kind === 'CreateTableAsStmt' && body.into?.rel) return tableKey(relationName(body.into.rel));
  return undefined;
}

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
    if (!ctx.inTransaction || !ctx.earlier.holdsAccessExclusiveOnExisting()) return;
    const work = ctx.effect.effect;
    const workTable = ctx.effect.table;
    if (workTable && work !== 'catalog' && work !== 'row changes' && ctx.earlier.holdsAccessExclusiveOnExisting(workTable)) {
      const by = ctx.earlier.firstLocking(workTable, 'AccessExclusiveLock')!;
      report({
        message: `${ctx.facts.command} does ${/^[aeiou]/i.test(work) ? 'an' : 'a'} ${work} of ${workTable} while this transaction still holds the ACCESS EXCLUSIVE lock ${by.facts.command} took: nothing can read or write ${workTable} until it commits`,
        help: ctx.mode === 'lint'
          ? `Commit between them: run ${ctx.facts.command} in a transaction of its own (a later migration file, or after a COMMIT) so it runs under its own, weaker lock.`
          : `Commit between them: put ${ctx.facts.command} in a step of its own (its own transaction) so it runs under its own, weaker lock.`,
      });
      return;
    }
    // A table this statement creates is new and empty: locking it keeps nobody waiting. The
    // tables its foreign keys point at are where the wait is.
    const creates = createdTable(ctx.ast);
    const others = ctx.locks.filter((l) => lockStrength(l.mode) >= lockStrength('ShareUpdateExclusiveLock') && !ctx.earlier.holdsAccessExclusive(l.table) && !ctx.state.isNew(l.table) && (creates === undefined || tableKey(l.table) !== creates));
    if (others.length) {
      const held = tableList(ctx.earlier.accessExclusiveOnExisting());
      report({
        message: `this transaction already holds an ACCESS EXCLUSIVE lock on ${held} and now locks ${others.map((o) => o.table).join(', ')}: ${held} stays blocked for both, and lock order across tables invites deadlocks`,
        help: ctx.mode === 'lint'
          ? 'Change each table in a transaction of its own (its own migration file, or COMMIT between them), so each lock is held only as long as its own statement.'
          : 'Put each table\'s change in its own step (its own transaction), so each lock is held only as long as its own statement.',
      });
    }
  },
};

/**
 * "a, b, c", or the first ten and how many more: a transaction of thousands of ALTER TABLEs would
 * otherwise repeat every table so far in each finding, output quadratic in the file's length.
 */
function tableList(tables: readonly string[]): string {
  const shown = 10;
  if (tables.length <= shown) return tables.join(', ');
  const more = tables.length - shown;
  return `${tables.slice(0, shown).join(', ')} and ${formatCount(more)} more table${more === 1 ? '' : 's'}`;
}
