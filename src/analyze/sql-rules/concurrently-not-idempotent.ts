import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/**
 * A CONCURRENTLY build that fails (a deadlock, a unique violation, a cancelled statement) leaves
 * an INVALID index behind, and a DROP INDEX CONCURRENTLY that fails may leave it dropped or not;
 * either way the migration cannot simply be run again unless it says IF [NOT] EXISTS.
 */
export const concurrentlyNotIdempotent: StatementRule = {
  code: 'MG221',
  name: 'concurrently-not-idempotent',
  summary: 'CREATE INDEX CONCURRENTLY without IF NOT EXISTS, or DROP INDEX CONCURRENTLY without IF EXISTS, fails when a failed run is retried.',
  severity: 'warning',
  kinds: ['IndexStmt', 'DropStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind === 'IndexStmt' && body.concurrent && !body.if_not_exists) {
      const table = relationName(body.relation);
      if (ctx.state.isNew(table)) return;
      if (!body.idxname) {
        report({
          message: `CREATE INDEX CONCURRENTLY on ${quoteName(table)} has no name: a build that fails leaves an INVALID index behind, and each re-run adds another index beside it`,
          help: 'Name the index and write CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON ...; so that a re-run finds it.',
        });
        return;
      }
      if (ctx.mode === 'plan' && ctx.inRollback) {
        report({
          severity: 'error',
          message: `CREATE INDEX CONCURRENTLY ${quoteIdent(body.idxname)} in a rollback has no IF NOT EXISTS: it runs outside a transaction, so the down script runs it even when its step did not run, and then fails because the index is still there`,
          help: `Write it as CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(body.idxname)} ..., since the down script is for an up that failed anywhere, before this step too.`,
        });
        return;
      }
      report({
        message: `CREATE INDEX CONCURRENTLY ${quoteIdent(body.idxname)} has no IF NOT EXISTS: a build that fails leaves an INVALID index of that name, and the re-run fails on it`,
        help: `Write CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(body.idxname)} ...; after a failed build, DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(body.idxname)}; first (IF NOT EXISTS keeps an INVALID index: check pg_index.indisvalid).`,
      });
    }
    if (kind === 'DropStmt' && body.removeType === 'OBJECT_INDEX' && body.concurrent && !body.missing_ok) {
      const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
      // A plan's down script runs a statement it cannot put in a transaction whether or not its
      // step ran: after an up that failed before the step, this rollback fails where it is needed.
      if (ctx.mode === 'plan' && ctx.inRollback) {
        report({
          severity: 'error',
          message: `DROP INDEX CONCURRENTLY ${names.map(quoteName).join(', ')} in a rollback has no IF EXISTS: it runs outside a transaction, so the down script runs it even when its step did not run, and then fails because there is no index`,
          help: `Write it as DROP INDEX CONCURRENTLY IF EXISTS ${names.map(quoteName).join(', ')}, since the down script is for an up that failed anywhere, before this step too.`,
        });
        return;
      }
      report({
        message: `DROP INDEX CONCURRENTLY ${names.map(quoteName).join(', ')} has no IF EXISTS: if a run fails after the drop, the re-run fails because the index is gone`,
        help: `Write DROP INDEX CONCURRENTLY IF EXISTS ${names.map(quoteName).join(', ')};`,
      });
    }
  },
};
