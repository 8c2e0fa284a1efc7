import { node, relationName } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

export const indexNotConcurrent: StatementRule = {
  code: 'MG201',
  name: 'index-not-concurrent',
  summary: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build.',
  severity: 'error',
  kinds: ['IndexStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'IndexStmt' || body.concurrent) return;
    const table = relationName(body.relation);
    const severity = severityFor(ctx, table, this.severity);
    if (!severity) return;
    const name = body.idxname ? `${body.idxname} ` : '';
    report({
      severity,
      message: `CREATE INDEX ${name}takes a SHARE lock on ${sizeNote(ctx, table)}: writes wait until the index is built`,
      help: `Build it without blocking writes: CREATE ${body.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${body.idxname ? `${quoteIdent(body.idxname)} ` : ''}ON ${quoteName(table)} (...); ${ctx.mode === 'plan' ? 'migc runs it outside a transaction' : 'it must run outside a transaction block, in a file your migration tool runs without one'}. If it fails, drop the INVALID index and try again.`,
    });
  },
};
