import { node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';
import { tableKey } from '../sql/schema-state.js';
import { refusedInTransactionBlock, type TransactionBlockRefusal } from '../../sql/transaction-block.js';

/**
 * What PostgreSQL refuses in a transaction block, for the version linted for, with what the
 * statements seen know of partitioned tables and indexes (REINDEX, CLUSTER of one: 14+, 15+).
 * ALTER TYPE ... ADD VALUE before 12 is MG228's.
 */
export function refusal(ctx: Pick<StatementContext, 'ast' | 'postgres' | 'state'>): TransactionBlockRefusal | undefined {
  const found = refusedInTransactionBlock(ctx.ast, ctx.postgres, {
    partitionedTable: (name) => ctx.state.table(name)?.partitioned === true,
    partitionedIndex: (name) => {
      const table = ctx.state.indexTables.get(tableKey(name));
      return table !== undefined && ctx.state.table(table)?.partitioned === true;
    },
  });
  return found?.reportedBy ? undefined : found;
}

/**
 * REINDEX or CLUSTER of a partitioned table in a plan's step, which runs in a transaction: the
 * same work partition by partition, each of which runs in one (the partitions the state knows).
 */
function partitionByPartition(ctx: StatementContext, command: string): string {
  const [, body] = node(ctx.ast);
  const table = body.relation ? relationName(body.relation) : undefined;
  const partitions = table ? ctx.state.partitionsOf(table) ?? [] : [];
  if (command === 'REINDEX INDEX' || partitions.length === 0) return `name each partition (or each partition's index) instead, which PostgreSQL does in a transaction.`;
  const using = body.indexname ? ' (CLUSTER a partition USING its own index)' : '';
  return `name each partition instead, which PostgreSQL does in a transaction: ${partitions.map((p) => `${command} ${quoteName(p)};`).join(' ')}${using}`;
}

export const concurrentlyInTransaction: StatementRule = {
  code: 'MG204',
  name: 'concurrently-in-transaction',
  summary: 'A statement PostgreSQL refuses inside a transaction block (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or SCHEMA, VACUUM, DISCARD ALL, CREATE DATABASE, ...) runs in one.',
  severity: 'error',
  check(ctx, report) {
    if (!ctx.inTransaction) return;
    const refused = refusal(ctx);
    if (!refused) return;
    const command = refused.command;
    // DROP SUBSCRIPTION: refused only when the subscription has a slot, as it has unless set to NONE.
    // Refused for sure unless it depends on what migc cannot see (a subscription's slot).
    const certain = { refused: refused.unless ? 'possible' as const : 'certain' as const };
    const unless = refused.unless ? ` (unless ${refused.unless})` : refused.partitioned ? ' (on a partitioned table PostgreSQL works partition by partition, each in a transaction of its own)' : '';
    if (ctx.inFunction) {
      // Checked on PostgreSQL 15: "cannot be executed from a function" (test/routine-calls.test.ts).
      report({
        message: `${command} cannot run inside ${ctx.inFunction}: PostgreSQL refuses it in a function (which runs in the caller's transaction)${unless}, and the migration fails at the call`,
        ...certain,
        help: `Take it out of ${ctx.inFunction} and run it as a statement of its own, outside a transaction block (in a migration tool, in a file or migration marked as non-transactional).`,
      });
      return;
    }
    if (ctx.inDoBlock) {
      // Checked on PostgreSQL 15: "cannot be executed from a function", or "cannot run inside a
      // transaction block" when one is open around the block (test/do-blocks.test.ts).
      report({
        message: `${command} cannot run inside a DO block: PostgreSQL refuses it there (the block runs as a function, in a transaction)${unless}, and the migration fails here`,
        ...certain,
        help: 'Take it out of the DO block and run it as a statement of its own, outside a transaction block (in a migration tool, in a file or migration marked as non-transactional). For a conditional index, DROP INDEX CONCURRENTLY IF EXISTS (and then CREATE INDEX CONCURRENTLY, or CREATE INDEX CONCURRENTLY IF NOT EXISTS) does what the block checks.',
      });
      return;
    }
    const tx = ctx.transaction;
    if (tx?.toolEndedAtLine !== undefined && (tx.open === 'tool' || tx.open === 'implicit')) {
      // The file's COMMIT ended the tool's transaction, and another took its place.
      const after = `after the COMMIT at line ${tx.toolEndedAtLine}`;
      report({
        message: tx.open === 'implicit'
          ? `${command} cannot run inside a transaction block${unless}: the tool sends the part as one query string, and ${after} PostgreSQL runs the rest of it in a new implicit transaction, where it refuses this statement; the migration fails here`
          : tx.sends === 'driver-transaction'
            ? `${command} cannot run inside a transaction block${unless}: ${after} the driver (JDBC without autocommit) begins a new transaction before the next statement, where PostgreSQL refuses this one; the migration fails here`
            : `${command} cannot run inside a transaction block${unless}: ${after} migc takes the tool to run the next statements in a new transaction (as a JDBC driver without autocommit does), where PostgreSQL refuses this one; a tool that sends each statement on its own (goose, sql-migrate) would run it outside one`,
        // What a tool migc does not know does after the COMMIT is a guess: no certain refusal.
        ...(tx.open === 'implicit' || tx.sends === 'driver-transaction' ? certain : { refused: 'possible' as const }),
        help: 'A COMMIT in the file does not take a statement out of the tool\'s transaction: put it in a migration of its own that the tool runs outside a transaction (marked non-transactional), without BEGIN or COMMIT.',
      });
      return;
    }
    report({
      message: `${command} cannot run inside a transaction block: PostgreSQL refuses it${unless}, and the migration fails here`,
      ...certain,
      // In a plan only what the catalog decides comes here (migc runs the rest outside its transactions).
      help: ctx.mode === 'plan'
        ? `migc runs a step's statements in a transaction: ${partitionByPartition(ctx, command)}`
        : ctx.transaction?.inRun && ctx.transaction.open === 'tool'
        ? 'The tool runs every file of the run in one transaction, this one too: run it outside it (node-pg-migrate: in a JavaScript migration that calls pgm.noTransaction(), which node-pg-migrate runs between a COMMIT and a new BEGIN; Flyway refuses a group that mixes a script it runs outside a transaction with others, unless mixed=true).'
        : ctx.transaction?.open === 'implicit'
        ? 'Put it alone in a migration of its own: the tool sends this non-transactional file or part to the server as one query string, and PostgreSQL runs a string of several statements as one transaction.'
        : 'Run it on its own, outside BEGIN ... COMMIT (in a migration tool, in a file or migration marked as non-transactional).',
    });
  },
};
