import { psqlStatements } from '../sql/psql.js';

/** What migc needs of a database connection: run one statement. PGlite and pg both fit. */
export interface SqlSession {
  exec(sql: string): Promise<unknown>;
  query<T = Record<string, unknown>>(sql: string): Promise<{ rows: T[] }>;
}

export type ScriptOutcome =
  | { readonly ok: true; readonly statements: number }
  | { readonly ok: false; readonly statements: number; readonly failed: string; readonly error: string };

/**
 * Runs an emitted script the way `psql -v ON_ERROR_STOP=1 -f` does: the queries psql would send,
 * split as psql splits them and with the same text, one by one (so CREATE INDEX CONCURRENTLY
 * and batched DO blocks run outside any implicit transaction), stopping at the first error. A
 * script psql would not run as plain SQL (a meta-command, COPY data) fails before anything runs.
 * A failed script leaves no transaction open.
 */
export async function runScript(session: SqlSession, script: string): Promise<ScriptOutcome> {
  const parsed = psqlStatements(script);
  if (!parsed.ok) return { ok: false, statements: 0, failed: parsed.text.slice(0, 80), error: parsed.message };
  let count = 0;
  for (const statement of parsed.statements) {
    try {
      await session.exec(statement.text);
      count++;
    } catch (e) {
      await session.exec('ROLLBACK').catch(() => undefined);
      return { ok: false, statements: count, failed: statement.text, error: (e as Error).message };
    }
  }
  return { ok: true, statements: count };
}
