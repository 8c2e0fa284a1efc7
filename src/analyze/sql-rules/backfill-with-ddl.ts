import { isLarge, type StatementContext, type StatementRule } from '../sql/context.js';
import type { PgNode } from '../../sql/parser.js';
import { isCatalogTable, node, targetsFewRows } from './ast.js';
import { lockLabel, type LockMode } from '../../sql/locks.js';
import { quoteName } from '../../sql/quote.js';
import { tableKey } from '../sql/schema-state.js';
import { laterTransaction, lockedAs, statementNamed, takerLocation } from './statement-locks.js';

/** INSERT ... SELECT (a backfill), not INSERT ... VALUES (a few rows). */
function insertsQueryRows(ast: PgNode): boolean {
  const [kind, body] = node(ast);
  const select = body.selectStmt?.SelectStmt;
  return kind === 'InsertStmt' && select !== undefined && select.valuesLists === undefined;
}

/** The locks DDL leaves held that block others' writes, strongest first, and whom they block. */
const heldLocks = ['AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock'] as const satisfies readonly LockMode[];
const blocked: Record<(typeof heldLocks)[number], string> = {
  AccessExclusiveLock: 'every reader and writer waits for',
  ExclusiveLock: 'every writer (and SELECT ... FOR UPDATE) waits for',
  ShareRowExclusiveLock: 'every writer waits for',
  ShareLock: 'every writer waits for',
};

/**
 * The DDL of the transaction whose lock a data change (the statement's own) runs under, and that
 * lock, when MG218 tells it: not for a new table, a catalog, a table the transaction emptied, a few
 * rows by key, an INSERT of VALUES, or a pass of a DO block's loop that commits each pass. MG112
 * leaves such a change to MG218: while the DDL's lock is held the row locks block no one more, and
 * MG218's help says to batch it once committed apart (the twenty-fifth trial's A: 28 findings twice).
 */
export function ddlHeld(ctx: StatementContext): { readonly held: (typeof heldLocks)[number]; readonly ddl: NonNullable<ReturnType<StatementContext['earlier']['firstLocking']>> } | undefined {
  const change = ctx.facts.dataChange;
  if (!ctx.inTransaction || !change || (change.kind === 'insert' && !insertsQueryRows(ctx.ast))) return undefined;
  if (ctx.state.isNew(change.table) || isCatalogTable(change.table)) return undefined;
  // In a DO block's loop that commits each pass, only the first pass runs under the DDL's lock,
  // and the COMMIT at its end lets it go: a wait of one batch (the twenty-second trial's B).
  if (ctx.loopCommits) return undefined;
  // An UPDATE or DELETE of a table this transaction emptied finds no row: it is instant.
  if (change.kind !== 'insert' && ctx.earlier.emptied(change.table)) return undefined;
  if (targetsFewRows(ctx.ast, ctx.state.table(change.table)?.uniqueColumns ?? new Set(), [], ctx.inLoop ? undefined : ctx.variables)) return undefined;
  // The statement that took the strongest lock on the table is the one that blocks the most.
  for (const mode of heldLocks) {
    const ddl = ctx.earlier.firstLocking(change.table, mode);
    if (ddl) return { held: mode, ddl };
  }
  return undefined;
}

/**
 * The tables whose data change under a DDL's lock MG218 has told of as a warning, per transaction
 * (its EarlierStatements): the later ones of the same transaction are not told again. crowd.dev
 * adds a column and then sets it with one UPDATE per label, 90 in one file (the thirty-ninth
 * trial's A): the wait they make is one, to the commit, told at the first.
 */
const toldOf = new WeakMap<object, Set<string>>();

export const backfillWithDdl: StatementRule = {
  code: 'MG218',
  name: 'backfill-with-ddl',
  summary: 'A data backfill in the same transaction as DDL on its table holds the DDL\'s lock for the whole backfill.',
  severity: 'warning',
  kinds: ['UpdateStmt', 'DeleteStmt', 'InsertStmt', 'MergeStmt'],
  check(ctx, report) {
    const change = ctx.facts.dataChange;
    const found = change ? ddlHeld(ctx) : undefined;
    if (!change || !found) return;
    const { held, ddl } = found;
    const work = change.kind === 'delete' ? 'delete the rows' : change.kind === 'insert' ? 'copy the rows' : 'backfill';
    // On a table its size hint says is small an UPDATE or DELETE is short, and so is the wait: a
    // note, as MG112's and MG201's on it (the twenty-second trial's H: feldera's pipeline,
    // pg_partman's part_config). A copy lasts as long as what it reads takes: judged as before.
    const small = change.kind !== 'insert' && !isLarge(ctx, change.table);
    const key = tableKey(change.table);
    let told = toldOf.get(ctx.earlier);
    if (!small && told?.has(key)) return;
    report({
      ...(small ? { severity: 'info' as const } : {}),
      ...(small ? {} : {
        onStands: () => {
          if (!told) toldOf.set(ctx.earlier, (told = new Set()));
          told.add(key);
        },
      }),
      message: `this ${change.kind.toUpperCase()} runs in the same transaction as ${statementNamed(ctx, ddl)}, which holds ${lockLabel(held)} on ${quoteName(change.table)}${lockedAs(ddl, change.table, held)}, so ${blocked[held]} ${quoteName(change.table)} until the ${change.kind === 'delete' ? 'delete' : change.kind === 'insert' ? 'copy' : 'backfill'} commits`,
      related: [takerLocation(ddl, [{ table: change.table, mode: held }])],
      help: ctx.mode === 'plan'
        ? ctx.inRollback
          // A rollback is one step's way back: it has no steps of its own to split into.
          ? 'A rollback runs as one transaction: split the step in two, one for the DDL and one for the data change, so that their rollbacks commit apart, and batch the data change\'s rollback on a large table (rollback: { sql: ..., batch: { size: 10000 } }).'
          : `Commit the DDL first, then ${work} in its own step (in batches on a large table).`
        : `Commit the DDL first, then ${work} in a later transaction (${ctx.transaction?.inRun ? laterTransaction(ctx) : 'a COMMIT between them, or a later migration file'}), in batches on a large table.`,
    });
  },
};
