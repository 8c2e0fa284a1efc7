import { isConstantValue, node } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import type { StatementContext } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';

/** The columns an UPDATE without FROM sets, when it sets each to a constant; undefined otherwise. */
export function constantsSet(ast: PgNode): string[] | undefined {
  const [kind, body] = node(ast);
  const targets: { ResTarget?: { name?: string; val?: unknown } }[] = body.targetList ?? [];
  if (kind !== 'UpdateStmt' || body.fromClause?.length || !targets.length || !targets.every((r) => r.ResTarget?.name !== undefined && isConstantValue(r.ResTarget.val))) return undefined;
  return targets.map((r) => r.ResTarget!.name!);
}

/**
 * An UPDATE without WHERE that sets only constants, on the same columns of the same table as one
 * an earlier file made (tt-rss bumps ttrss_version at the end of 140 files, the twenty-first
 * trial's A): the file that did first, where it was told; undefined for the first, or another kind.
 * `said` is the asking rule's own record, per schema state (MG214's and MG112's each tell the first
 * they judged): the call records this statement when it is the first.
 */
export function constantUpdateSaid(ctx: StatementContext, table: string, said: WeakMap<object, Map<string, string>>): string | undefined {
  const columns = constantsSet(ctx.ast);
  if (columns === undefined) return undefined;
  let record = said.get(ctx.state);
  if (!record) said.set(ctx.state, (record = new Map()));
  const key = `${tableKey(table)} ${[...columns].sort().join(',')}`;
  const first = record.get(key);
  if (first === undefined) record.set(key, ctx.file ?? '');
  return first !== undefined && first !== ctx.file ? first : undefined;
}
