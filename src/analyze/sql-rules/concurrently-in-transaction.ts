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
    const tx = ctx.transaction;
    if (tx?.toolEndedAtLine !== undefined && (tx.open === 'tool' || tx.open === 'implicit')) {
      // The file's COMMIT ended the tool's transaction, and another took its place.
      const after = `after the COMMIT at line ${tx.toolEndedAtLine}`;
      report({
        message: tx.open === 'implicit'
          ? `${ctx.facts.command} cannot run inside a transaction block: the tool sends the part as one query string, and ${after} PostgreSQL runs the rest of it in a new implicit transaction, where it refuses this statement; the migration fails here`
          : tx.sends === 'driver-transaction'
            ? `${ctx.facts.command} cannot run inside a transaction block: ${after} the driver (JDBC without autocommit) begins a new transaction before the next statement, where PostgreSQL refuses this one; the migration fails here`
            : `${ctx.facts.command} cannot run inside a transaction block: ${after} migc takes the tool to run the next statements in a new transaction (as a JDBC driver without autocommit does), where PostgreSQL refuses this one; a tool that sends each statement on its own (goose, sql-migrate) would run it outside one`,
        help: 'A COMMIT in the file does not take a statement out of the tool\'s transaction: put it in a migration of its own that the tool runs outside a transaction (marked non-transactional), without BEGIN or COMMIT.',
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
