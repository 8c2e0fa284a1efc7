import { node } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';
import { refusedInTransactionBlock } from '../../sql/transaction-block.js';
import { tableKey } from '../sql/schema-state.js';

export const enumAddValueInTransaction: StatementRule = {
  code: 'MG228',
  name: 'enum-add-value-in-transaction',
  summary: 'ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12.',
  severity: 'error',
  kinds: ['AlterEnumStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    // ADD VALUE before 12 (src/sql/transaction-block.ts); RENAME VALUE has always run in a transaction.
    if (kind !== 'AlterEnumStmt' || !ctx.inTransaction || refusedInTransactionBlock(ctx.ast, ctx.postgres)?.reportedBy !== 'MG228') return;
    const type = (body.typeName ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval).join('.');
    // A type this transaction created (and left alone since) takes new values in it: the one case
    // PostgreSQL before 12 allows, for pg_dump's CREATE TYPE ... AS ENUM () then ADD VALUE each.
    if (!ctx.inDoBlock && !ctx.inFunction && ctx.earlier.addsValueToOwnEnum(tableKey(type))) return;
    report({
      message: `ALTER TYPE ${quoteName(type)} ADD VALUE cannot run inside a transaction block on PostgreSQL ${ctx.postgres}: PostgreSQL refuses it, and the migration fails here`,
      // Refused before PostgreSQL 12 only, which neither engine of the tests runs
      // (test/sql-engines.ts): not relied on to leave out the statement's other findings.
      refused: 'possible',
      help: 'Run it on its own, outside BEGIN ... COMMIT (a migration marked non-transactional), or target PostgreSQL 12+, where it runs in a transaction but the new value is usable only after COMMIT.',
    });
  },
};
