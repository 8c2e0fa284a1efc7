import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';

/** The statement's node kind and body: ['AlterTableStmt', {...}]. */
export function node(ast: PgNode): [string, Record<string, any>] {
  return Object.entries(ast)[0] as [string, Record<string, any>];
}

/** ALTER TABLE's subcommands with the table, or nothing for any other statement. */
export function alterTableCommands(ast: PgNode): { table: string; cmds: Record<string, any>[] } | undefined {
  const [kind, body] = node(ast);
  if (kind !== 'AlterTableStmt' || body.objtype !== 'OBJECT_TABLE') return undefined;
  return { table: relationName(body.relation), cmds: (body.cmds ?? []).map((c: { AlterTableCmd: unknown }) => c.AlterTableCmd) };
}

export { relationName };
