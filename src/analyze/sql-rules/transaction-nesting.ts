import type { StatementFinding, StatementRule } from '../sql/context.js';
import { node } from './ast.js';

/**
 * BEGIN, COMMIT and ROLLBACK that do not do what the file means them to, in lint (plans write
 * their own transactions: MG021). The transaction open before the statement is in
 * ctx.transaction, kept by analyzeSqlFile; a file that ends inside its own BEGIN is reported there,
 * with unterminatedTransaction below.
 */
export const transactionNesting: StatementRule = {
  code: 'MG226',
  name: 'transaction-nesting',
  summary: 'BEGIN inside an open transaction (or a file the tool already wraps in one), COMMIT or ROLLBACK with no transaction of the file\'s own, SAVEPOINT outside one, or a file that ends inside its BEGIN.',
  severity: 'warning',
  kinds: ['TransactionStmt'],
  check(ctx, report) {
    const tx = ctx.transaction;
    if (!tx || !('TransactionStmt' in ctx.ast)) return;
    const [, body] = node(ctx.ast);
    const kind: string = body.kind;
    if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
      if (tx.open === 'explicit') {
        report({
          message: `BEGIN inside the transaction begun at line ${tx.beganAtLine}: PostgreSQL ignores it with a warning ("there is already a transaction in progress"), and the first COMMIT ends both`,
          help: 'Remove the inner BEGIN (and its COMMIT): PostgreSQL has no nested transactions; use SAVEPOINT name ... RELEASE SAVEPOINT name for a part that may be undone on its own.',
        });
      } else if (tx.open === 'tool' && tx.toolEndedAtLine !== undefined) {
        report({
          message: tx.sends === 'driver-transaction'
            ? `BEGIN after the COMMIT at line ${tx.toolEndedAtLine}: the driver (JDBC without autocommit) has begun a new transaction before it, so PostgreSQL ignores it with a warning`
            : `BEGIN after the COMMIT at line ${tx.toolEndedAtLine}: migc takes the tool to have begun a new transaction before it (as a JDBC driver without autocommit does), where PostgreSQL ignores it with a warning; a tool that sends each statement on its own (goose, sql-migrate) would begin one here`,
          help: `Remove BEGIN and COMMIT from the file: the tool commits it as a whole, with its record that the migration ran. For a statement that cannot run in a transaction, ${ctx.outsideTransaction ? `put it in ${ctx.outsideTransaction}` : 'mark the file non-transactional in the tool instead'}.`,
        });
      } else if (tx.open === 'tool') {
        report({
          message: tx.inRun
            ? 'BEGIN in a file of a run the migration tool runs in one transaction (--run-transaction): PostgreSQL ignores it with a warning, and the COMMIT after it commits the run\'s transaction early'
            : 'BEGIN in a file the migration tool already runs in a transaction (--file-transaction): PostgreSQL ignores it with a warning, and the COMMIT after it commits the tool\'s transaction early',
          help: `Remove BEGIN and COMMIT from the file: the tool commits it as a whole, with its record that the migration ran. For a statement that cannot run in a transaction, ${ctx.outsideTransaction ? `put it in ${ctx.outsideTransaction}` : 'mark the file non-transactional in the tool instead'}.`,
        });
      }
      return;
    }
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
      const word = kind === 'TRANS_STMT_COMMIT' ? 'COMMIT' : 'ROLLBACK';
      if (tx.open === 'none') {
        report(word === 'COMMIT'
          ? {
            message: 'COMMIT with no transaction open: PostgreSQL warns ("there is no transaction in progress") and does nothing; the statements before it each ran and committed on their own',
            help: 'Put BEGIN where the transaction should start, or remove the COMMIT.',
          }
          : {
            message: 'ROLLBACK with no transaction open: nothing is undone; the statements before it each ran and committed on their own',
            help: 'Put BEGIN where the statements to undo start, or remove the ROLLBACK.',
            severity: 'error',
          });
      } else if (tx.open === 'implicit' && word === 'COMMIT' && ctx.later().length > 0) {
        // Prisma, golang-migrate and dbmate's no-transaction files send the file as one query
        // string: PostgreSQL runs it in an implicit transaction, which a COMMIT ends; the rest runs
        // in a new one (stacker.news commits an ADD VALUE so that the statements after it may use
        // the value: the thirty-eighth trial's D, 5 COMMITs in 4 files).
        const first = ctx.earlier.firstNotRerunnable;
        const at = first && ctx.lineOf ? ` (line ${ctx.lineOf(first.statement.span.start, first.statement.file)})` : '';
        report({
          message: `COMMIT in a file the migration tool sends as one query string: it commits the statements above it on their own, so a failure after it leaves the migration half applied, recorded as failed (or not at all), and a re-run of the file starts again from the top${first ? `, where its ${first.what}${at} fails the second time` : ''}`,
          help: first
            ? `Make what is above the COMMIT safe to run twice (ALTER TYPE ... ADD VALUE IF NOT EXISTS, CREATE ... IF NOT EXISTS, DROP ... IF EXISTS), or split the file in two migrations at the COMMIT.`
            : 'Split the file in two migrations at the COMMIT, or keep the statements above it safe to run twice.',
        });
      } else if (tx.open === 'tool') {
        // What runs after it depends on how the tool sends the statements (ToolSends).
        const next = tx.sends === 'each-statement' ? '; the tool sends each statement on its own, so the ones after it run outside a transaction, each committed as it runs, until a BEGIN'
          : tx.sends === 'one-string' ? `; the tool sends the part as one query string, so PostgreSQL runs the rest of it in a new implicit transaction${tx.inRun ? ', and the files after it outside a transaction, each sent as one query string' : ''}`
          : tx.sends === 'driver-transaction' ? '; the driver (JDBC without autocommit) begins a new transaction for the statements after it'
          : '';
        report(tx.inRun ? (word === 'COMMIT'
          ? {
            message: `COMMIT in a file of a run the migration tool runs in one transaction (--run-transaction): it commits the run's transaction before the run ends, so a failure after it leaves the run half applied${next}`,
            help: 'Remove the COMMIT: the tool commits the run as a whole. If migrations must commit apart, have the tool run each in a transaction of its own (node-pg-migrate --no-single-transaction, Flyway group=false).',
          }
          : {
            message: 'ROLLBACK in a file of a run the migration tool runs in one transaction (--run-transaction): it undoes what the run did up to here, the files before this one included, and the run goes on',
            help: 'Remove the ROLLBACK; to abandon a migration, let it fail (RAISE EXCEPTION in a DO block) so the tool rolls back the run and records nothing.',
            severity: 'error',
          }) : word === 'COMMIT'
          ? {
            message: `COMMIT in a file the migration tool runs in a transaction (--file-transaction): it commits the tool's transaction before the file ends, so a failure after it leaves the migration half applied and not recorded as run${next}`,
            help: 'Remove the COMMIT: the tool commits the file as a whole, with its record that the migration ran. Split the file in two migrations if its parts must commit apart.',
          }
          : {
            message: 'ROLLBACK in a file the migration tool runs in a transaction (--file-transaction): it undoes what the file did up to here, and the tool then records the migration as run',
            help: 'Remove the ROLLBACK; to abandon a migration, let it fail (RAISE EXCEPTION in a DO block) so the tool rolls back and records nothing.',
            severity: 'error',
          });
      }
      return;
    }
    if ((kind === 'TRANS_STMT_SAVEPOINT' || kind === 'TRANS_STMT_RELEASE' || kind === 'TRANS_STMT_ROLLBACK_TO') && tx.open === 'none') {
      const what = kind === 'TRANS_STMT_SAVEPOINT' ? 'SAVEPOINT' : kind === 'TRANS_STMT_RELEASE' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT';
      report({
        message: `${what} with no transaction open: PostgreSQL refuses it ("${what} can only be used in transaction blocks"), and the migration fails here`,
        help: 'Savepoints live inside BEGIN ... COMMIT: begin the transaction first, or remove the savepoint.',
        severity: 'error',
      });
    }
  },
};

/** The file (or the part its tool runs on its own) ends inside the transaction it began. */
export function unterminatedTransaction(beganAtLine: number): StatementFinding {
  return {
    message: `the file ends inside the transaction begun at line ${beganAtLine}: nothing commits it, so when the session ends PostgreSQL rolls it back; unless a statement failed, psql exits with 0 all the same, and a migration tool may record the migration as run`,
    help: 'End the transaction with COMMIT; at the end of the file (or remove the BEGIN when the tool runs the file in a transaction of its own).',
    severity: 'error',
  };
}
