import type { ParsedStatement, PgNode } from './sql/parser.js';

/**
 * Whether Flyway runs a statement of a PostgreSQL script outside a transaction, as its
 * PostgreSQLParser.detectCanExecuteInTransaction (flyway-database-postgresql) decides: it matches
 * the statement's leading keywords against CREATE/DROP [UNIQUE] INDEX CONCURRENTLY, REINDEX
 * SCHEMA|DATABASE|SYSTEM, VACUUM, DISCARD ALL, CREATE/DROP DATABASE|TABLESPACE|SUBSCRIPTION and
 * ALTER SYSTEM, and, on a server before 12, ALTER TYPE ... ADD VALUE. This is Flyway's list, not
 * PostgreSQL's (src/sql/transaction-block.ts, which MG204 reads): what it does not list runs in the
 * script's transaction even when PostgreSQL refuses it there (REINDEX INDEX|TABLE CONCURRENTLY,
 * DETACH PARTITION ... CONCURRENTLY, CLUSTER, COMMIT PREPARED, ALTER SUBSCRIPTION ... REFRESH: MG204
 * then stands). test/transaction-block.test.ts keeps the two lists' differences as stated here.
 */
export function flywayRunsOutsideTransaction(ast: PgNode, postgres: number): boolean {
  for (const kind in ast) {
    const body = (ast as Record<string, any>)[kind];
    switch (kind) {
      case 'IndexStmt':
        return body.concurrent === true;
      case 'DropStmt':
        return body.removeType === 'OBJECT_INDEX' && body.concurrent === true;
      case 'ReindexStmt':
        return body.kind === 'REINDEX_OBJECT_SCHEMA' || body.kind === 'REINDEX_OBJECT_DATABASE' || body.kind === 'REINDEX_OBJECT_SYSTEM';
      case 'VacuumStmt':
        return body.is_vacuumcmd === true;
      case 'DiscardStmt':
        return body.target === 'DISCARD_ALL';
      case 'CreatedbStmt': case 'DropdbStmt': case 'CreateTableSpaceStmt': case 'DropTableSpaceStmt':
      case 'CreateSubscriptionStmt': case 'DropSubscriptionStmt': case 'AlterSystemStmt':
        return true;
      case 'AlterEnumStmt':
        // ADD VALUE (oldVal is RENAME VALUE); Flyway asks the server's version.
        return postgres < 12 && Boolean(body.newVal) && !body.oldVal;
      default:
        return false;
    }
  }
  return false;
}

/**
 * How Flyway runs a script whose `.sql.conf` does not say executeInTransaction: in a transaction
 * when every statement can run in one; outside one when none can; and a script that mixes both is
 * refused ("Detected both transactional and non-transactional statements within the same
 * migration (even though mixed is false)") unless mixed=true, when it runs outside a transaction
 * (ParserSqlScript.parse and executeInTransaction, flyway-core). For a mixed script: the first
 * statement Flyway runs outside a transaction, and the first it would run in one.
 */
export type FlywayScriptTransaction =
  | { readonly kind: 'transaction' | 'none' }
  | { readonly kind: 'mixed'; readonly outside: ParsedStatement; readonly inside: ParsedStatement };

export function flywayScriptTransaction(statements: readonly ParsedStatement[], postgres: number): FlywayScriptTransaction {
  let inside: ParsedStatement | undefined;
  let outside: ParsedStatement | undefined;
  for (const s of statements) {
    if (flywayRunsOutsideTransaction(s.ast, postgres)) outside ??= s;
    else inside ??= s;
    if (inside && outside) return { kind: 'mixed', outside, inside };
  }
  return { kind: outside ? 'none' : 'transaction' };
}
