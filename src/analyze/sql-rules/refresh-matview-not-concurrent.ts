import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

export const refreshMatviewNotConcurrent: StatementRule = {
  code: 'MG222',
  name: 'refresh-matview-not-concurrent',
  summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view while its query runs.',
  severity: 'warning',
  kinds: ['RefreshMatViewStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    // WITH NO DATA empties the view at once (and cannot be concurrent).
    if (kind !== 'RefreshMatViewStmt' || body.concurrent || body.skipData) return;
    const view = relationName(body.relation);
    if (ctx.state.isNew(view)) return;
    report({
      message: `REFRESH MATERIALIZED VIEW ${quoteName(view)} holds an ACCESS EXCLUSIVE lock on the view while its whole query runs: every read of ${quoteName(view)} waits`,
      help: `Use REFRESH MATERIALIZED VIEW CONCURRENTLY ${quoteName(view)}; (it needs a unique index on plain columns of the view covering every row, and a view already populated).`,
    });
  },
};
