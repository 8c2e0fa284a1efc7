import type { StatementRule } from '../sql/context.js';

export const concurrentlyInTransaction: StatementRule = {
  code: 'MG204',
  name: 'concurrently-in-transaction',
  summary: 'CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY (14+) and VACUUM cannot run inside a transaction block.',
  severity: 'error',
  check(ctx, report) {
    if (!ctx.inTransaction || ctx.facts.transactional) return;
    if (ctx.inDoBlock) {
      // Checked on PostgreSQL 15: "cannot be executed from a function", or "cannot run inside a
      // transaction block" when one is open around the block (test/do-blocks.test.ts).
      report({
        message: `${ctx.facts.command} cannot run inside a DO block: PostgreSQL refuses it there (the block runs as a function, in a transaction), and the migration fails here`,
        help: 'Take it out of the DO block and run it as a statement of its own, outside a transaction block (in a migration tool, in a file or migration marked as non-transactional). For a conditional index, CREATE INDEX CONCURRENTLY IF NOT EXISTS (or DROP INDEX CONCURRENTLY IF EXISTS) does what the block checks.',
      });
      return;
    }
    report({
      message: `${ctx.facts.command} cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here`,
      help: ctx.transaction?.open === 'implicit'
        ? 'Put it alone in a migration of its own: the tool sends this non-transactional file or part to the server as one query string, and PostgreSQL runs a string of several statements as one transaction.'
        : 'Run it on its own, outside BEGIN ... COMMIT (in a migration tool, in a file or migration marked as non-transactional).',
    });
  },
};
