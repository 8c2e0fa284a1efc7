import { node } from './ast.js';
import type { StatementRule } from '../sql/context.js';

export const dropIndexNotConcurrent: StatementRule = {
  code: 'MG202',
  name: 'drop-index-not-concurrent',
  summary: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table.',
  severity: 'warning',
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'DropStmt' || body.removeType !== 'OBJECT_INDEX' || body.concurrent) return;
    const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
    // An index created earlier in the same plan or file is on a new table or was never used.
    const existing = names.filter((n) => !ctx.state.newIndexes.has(n.replace(/^public\./, '')));
    if (!existing.length) return;
    report({
      message: `DROP INDEX ${existing.join(', ')} takes an ACCESS EXCLUSIVE lock on its table: reads and writes queue behind it`,
      help: `Use DROP INDEX CONCURRENTLY ${existing.join(', ')}; (one index per statement, outside a transaction: migc arranges that in plans).`,
    });
  },
};
