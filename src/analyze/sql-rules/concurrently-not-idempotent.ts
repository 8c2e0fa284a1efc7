import { node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import type { SchemaState } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { concurrentBuildRecipe, plainColumns } from './index-not-concurrent.js';

/** The build as a recipe writes it: `ON t USING gin (a, b)`, `ON t (...)` when its columns are not plain. */
function onTable(body: Record<string, any>): string {
  const using = body.accessMethod && body.accessMethod !== 'btree' ? ` USING ${body.accessMethod}` : '';
  return `ON ${quoteName(relationName(body.relation))}${using} (${plainColumns(body) ?? '...'})`;
}

/**
 * The indexes a DROP INDEX ... IF EXISTS of the file being judged dropped, by name: a CREATE INDEX
 * CONCURRENTLY after it is safe to run again, since the drop takes away what a failed build left.
 * Per schema state (one lint or check), for the file judged last.
 */
const droppedIfExists = new WeakMap<SchemaState, { part: string; names: Set<string> }>();

/** What droppedIfExists holds for the part of the file judged (an up part, or its rollback: another run). */
function droppedBefore(ctx: StatementContext): Set<string> {
  const part = `${ctx.file ?? ''}\0${ctx.inRollback}`;
  const seen = droppedIfExists.get(ctx.state);
  if (seen && seen.part === part) return seen.names;
  const fresh = { part, names: new Set<string>() };
  droppedIfExists.set(ctx.state, fresh);
  return fresh.names;
}

/**
 * A CONCURRENTLY build that fails (a deadlock, a unique violation, a cancelled statement) leaves
 * an INVALID index behind, and a DROP INDEX CONCURRENTLY that fails may leave it dropped or not;
 * either way the migration cannot simply be run again unless it says IF [NOT] EXISTS. And IF NOT
 * EXISTS alone keeps the INVALID index: the re-run skips the build (the nineteenth trial's
 * omnivore, 11 statements). Safe to run again: DROP INDEX CONCURRENTLY IF EXISTS x, then the build.
 */
export const concurrentlyNotIdempotent: StatementRule = {
  code: 'MG221',
  name: 'concurrently-not-idempotent',
  summary: 'CREATE INDEX CONCURRENTLY without IF NOT EXISTS, or DROP INDEX CONCURRENTLY without IF EXISTS, fails when a failed run is retried; with IF NOT EXISTS alone, the retry keeps the INVALID index a failed build left.',
  severity: 'warning',
  kinds: ['IndexStmt', 'DropStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    // A plan's scripts drop an INVALID index before they build it themselves (src/emit/sql/ledger.ts).
    if (kind === 'DropStmt' && body.removeType === 'OBJECT_INDEX' && body.missing_ok && ctx.mode === 'lint') {
      const dropped = droppedBefore(ctx);
      for (const o of body.objects ?? []) {
        const name = (o as { List?: { items?: { String?: { sval?: string } }[] } }).List?.items?.at(-1)?.String?.sval;
        if (name !== undefined) dropped.add(name);
      }
    }
    if (kind === 'IndexStmt' && body.concurrent && body.idxname && ctx.mode === 'lint' && droppedBefore(ctx).has(body.idxname)) return;
    if (kind === 'IndexStmt' && body.concurrent && body.if_not_exists && body.idxname && ctx.mode === 'lint') {
      const table = relationName(body.relation);
      if (ctx.state.isNew(table)) return;
      const name = quoteIdent(body.idxname);
      report({
        message: `CREATE ${body.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${name}: a build that fails (a lock_timeout, a deadlock, a duplicate key, a deploy cancelled) leaves an INVALID index of that name, and the re-run skips the build ("already exists, skipping"): the index is never used, yet every write keeps it up to date`,
        help: `${concurrentBuildRecipe(ctx, name, `${body.unique ? 'UNIQUE ' : ''}INDEX`, onTable(body))} A run that succeeded leaves nothing to drop; SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid lists the INVALID indexes.`,
      });
      return;
    }
    if (kind === 'IndexStmt' && body.concurrent && !body.if_not_exists) {
      const table = relationName(body.relation);
      if (ctx.state.isNew(table)) return;
      if (!body.idxname) {
        report({
          message: `CREATE INDEX CONCURRENTLY on ${quoteName(table)} has no name: a build that fails leaves an INVALID index behind, and each re-run adds another index beside it`,
          help: ctx.mode === 'lint'
            ? `Name the index: ${concurrentBuildRecipe(ctx, '<name>', `${body.unique ? 'UNIQUE ' : ''}INDEX`, onTable(body))}`
            : 'Name the index and write CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON ...; so that a re-run finds it.',
        });
        return;
      }
      if (ctx.mode === 'plan' && ctx.inRollback) {
        report({
          severity: 'error',
          message: `CREATE INDEX CONCURRENTLY ${quoteIdent(body.idxname)} in a rollback has no IF NOT EXISTS: it runs outside a transaction, so the down script runs it even when its step did not run, and then fails because the index is still there`,
          help: `Write it as CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(body.idxname)} ..., since the down script is for an up that failed anywhere, before this step too.`,
        });
        return;
      }
      report({
        message: `CREATE INDEX CONCURRENTLY ${quoteIdent(body.idxname)} has no IF NOT EXISTS: a build that fails leaves an INVALID index of that name, and the re-run fails on it`,
        help: ctx.mode === 'lint'
          ? `${concurrentBuildRecipe(ctx, quoteIdent(body.idxname), `${body.unique ? 'UNIQUE ' : ''}INDEX`, onTable(body))} IF NOT EXISTS alone keeps the INVALID index: the re-run skips the build.`
          : `Write CREATE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(body.idxname)} ...; after a failed build, DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(body.idxname)}; first (IF NOT EXISTS keeps an INVALID index: check pg_index.indisvalid).`,
      });
    }
    if (kind === 'DropStmt' && body.removeType === 'OBJECT_INDEX' && body.concurrent && !body.missing_ok) {
      const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
      // A plan's down script runs a statement it cannot put in a transaction whether or not its
      // step ran: after an up that failed before the step, this rollback fails where it is needed.
      if (ctx.mode === 'plan' && ctx.inRollback) {
        report({
          severity: 'error',
          message: `DROP INDEX CONCURRENTLY ${names.map(quoteName).join(', ')} in a rollback has no IF EXISTS: it runs outside a transaction, so the down script runs it even when its step did not run, and then fails because there is no index`,
          help: `Write it as DROP INDEX CONCURRENTLY IF EXISTS ${names.map(quoteName).join(', ')}, since the down script is for an up that failed anywhere, before this step too.`,
        });
        return;
      }
      report({
        message: `DROP INDEX CONCURRENTLY ${names.map(quoteName).join(', ')} has no IF EXISTS: if a run fails after the drop, the re-run fails because the index is gone`,
        help: `Write DROP INDEX CONCURRENTLY IF EXISTS ${names.map(quoteName).join(', ')};`,
      });
    }
  },
};
