import { node, relationName } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import { tableKey, type FunctionUser } from '../sql/schema-state.js';
import type { StatementRule } from '../sql/context.js';
import { andList } from './statement-locks.js';
import { functionUserLabel } from './dependents-block-drop.js';
import { droppedFunctionNames } from '../../sql/facts.js';
import { quoteName } from '../../sql/quote.js';
import { viewsOf } from '../compat/views.js';

/**
 * DROP FUNCTION ... CASCADE drops, with the function, the indexes and triggers that use it (as
 * the statements migc has read made them): PostgreSQL says so only in a NOTICE ("drop cascades
 * to index ..."). Each goes under an ACCESS EXCLUSIVE lock on its table; a dropped index leaves
 * the queries that used it to scan, a dropped trigger stops doing its work.
 */
export const cascadeDropsUsers: StatementRule = {
  code: 'MG243',
  name: 'drop-function-cascade',
  summary: 'DROP FUNCTION ... CASCADE also drops the indexes, triggers and views that use the function, with only a NOTICE, each under an ACCESS EXCLUSIVE lock on its table.',
  severity: 'warning',
  kinds: ['DropStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'DropStmt' || body.behavior !== 'DROP_CASCADE' || (body.removeType !== 'OBJECT_FUNCTION' && body.removeType !== 'OBJECT_PROCEDURE')) return;
    // A rollback drops what its up made: a function with the triggers its up created on it (Lemmy's downs do so).
    if (ctx.inRollback) return;
    for (const name of droppedFunctionNames(body)) {
      // One made again later in the migration (CREATE TRIGGER of the same name on its table, CREATE
      // INDEX of the same name) is replaced, not lost (checked on PostgreSQL 15: the trigger is there after).
      const users = ctx.state.usersOfFunction(name).filter((u) => !ctx.state.isNew(u.table) && !madeAgainLater(ctx.later(), u));
      // The views that call it, and those built on them (the twenty-seventh trial's E), but for
      // one made again later in the migration (pg_search drops a function and makes its view again).
      const views = viewsOf(ctx.state).callersOf(name).filter((v) => !ctx.state.newViews.has(v.name) && !viewMadeAgainLater(ctx.later(), v.name));
      if (!users.length && !views.length) continue;
      const tables = [...new Set([...users.map((u) => quoteName(u.table)), ...views.map((v) => quoteName(v.name))])];
      const indexes = users.filter((u) => u.kind === 'index');
      const triggers = users.filter((u) => u.kind === 'trigger');
      const effects = [
        ...(indexes.length ? [`the queries that used ${indexes.length === 1 ? 'the index' : 'those indexes'} scan instead`] : []),
        ...(triggers.length ? [`what ${triggers.length === 1 ? 'the trigger' : 'those triggers'} did stops happening`] : []),
        ...(views.length ? [`every query on ${views.length === 1 ? 'the view' : 'those views'} fails`] : []),
      ];
      const dropped = [...users.map(functionUserLabel), ...views.map((v) => `${v.materialized ? 'materialized view' : 'view'} ${quoteName(v.name)}`)];
      report({
        message: `DROP FUNCTION ${quoteName(name)} CASCADE also drops ${andList(dropped)}, with only a NOTICE, under an ACCESS EXCLUSIVE lock on ${andList(tables)}: ${andList(effects)}`,
        help: `Drop what uses it by name first, so the migration says what goes (DROP INDEX CONCURRENTLY, DROP TRIGGER ... ON ..., DROP VIEW), or make ${dropped.length === 1 ? 'it' : 'them'} again without the function; then DROP FUNCTION ${quoteName(name)} without CASCADE, which fails if anything still uses it.`,
      });
    }
  },
};

/** A later statement makes the view again (CREATE [OR REPLACE] VIEW of its name). */
function viewMadeAgainLater(later: readonly PgNode[], view: string): boolean {
  return later.some((ast) => {
    const [kind, body] = node(ast);
    if (kind === 'ViewStmt') return tableKey(relationName(body.view)) === view;
    return kind === 'CreateTableAsStmt' && body.objtype === 'OBJECT_MATVIEW' && tableKey(relationName(body.into?.rel)) === view;
  });
}

/** A later statement makes the trigger (same name, same table) or the index (same name) again. */
function madeAgainLater(later: readonly PgNode[], user: FunctionUser): boolean {
  return later.some((ast) => {
    const [kind, body] = node(ast);
    if (user.kind === 'trigger') return kind === 'CreateTrigStmt' && body.trigname === user.name && body.relation && tableKey(relationName(body.relation)) === tableKey(user.table);
    return kind === 'IndexStmt' && body.idxname !== undefined && tableKey(`${body.relation?.schemaname ? `${body.relation.schemaname}.` : ''}${body.idxname}`) === user.key;
  });
}
