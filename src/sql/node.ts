import type { PgNode } from './parser.js';

/**
 * The statement's node kind and body: ['AlterTableStmt', {...}]. Asked of every statement by the
 * facts, the locks, the schema state and every rule: read from the statement's one key, which
 * costs less than Object.entries (an array of pairs each time) or a WeakMap kept per statement.
 */
export function node(ast: PgNode): [string, Record<string, any>] {
  for (const kind in ast) return [kind, (ast as Record<string, any>)[kind]];
  return ['', {}];
}
