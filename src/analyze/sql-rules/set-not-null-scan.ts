import { alterTableCommands } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName, quoteColumn } from '../../sql/quote.js';
import { otherLocksNote } from './statement-locks.js';
import type { StatementContext } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { existingRowsGet } from '../sql/added-column-null.js';
import { defaultSearchPath } from '../sql/search-path.js';

/**
 * Where a column was added without a default that nothing has filled since (so every row holds
 * NULL, existingRowsGet): "in this statement" (ADD COLUMN before SET NOT NULL in one ALTER TABLE), "earlier" (the
 * schema state's unfilledColumns: earlier in the file or step, no statement that may write rows
 * since); undefined otherwise.
 */
function unfilledBy(ctx: StatementContext, cmds: readonly Record<string, any>[], at: number, table: string, column: string): string | undefined {
  for (const cmd of cmds.slice(0, at)) {
    if (cmd.subtype !== 'AT_AddColumn' || cmd.def?.ColumnDef?.colname !== column) continue;
    const def = cmd.def.ColumnDef;
    // Added NOT NULL itself, it fails first on a table with rows (MG206), and leaves it empty.
    const notNull = (def.constraints ?? []).some((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY');
    // What the new column puts in the rows there, as MG206 reads it (a DEFAULT NULL fills nothing; a domain's default does).
    return !notNull && existingRowsGet(def, ctx.state, ctx.searchPath ?? defaultSearchPath) === 'null' ? 'in this statement' : undefined;
  }
  return ctx.state.unfilledColumns.has(`${tableKey(table)}.${column}`) ? `earlier in this ${ctx.mode === 'lint' ? 'file' : 'plan'}` : undefined;
}

export const setNotNullScan: StatementRule = {
  code: 'MG207',
  name: 'set-not-null-scan',
  summary: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) exists (PostgreSQL 12+).',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    // A statement that rewrites the table (a type change, a volatile default: MG212, MG205) checks
    // NOT NULL as it writes each row: no scan of its own, and the rewrite is reported already.
    if (ctx.effect.effect === 'rewrite') return;
    // A table that may have rows (MG206's test): one new here, or emptied, or known empty, has none.
    const mayHaveRows = !ctx.state.isNew(alter.table) && ctx.rows(alter.table) !== 0 && !ctx.earlier.emptied(alter.table);
    /** The columns whose SET NOT NULL scans: PostgreSQL checks them all in one scan of the table, said once, at the first. */
    const scanned: { subcommand: number; column: string }[] = [];
    const columns = ctx.state.table(alter.table)?.columns;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_SetNotNull') continue;
      // Already NOT NULL (added so, or set before, a primary key's): PostgreSQL has nothing to check.
      const known = columns?.get(cmd.name);
      if (known?.notNull && !known.partial && !alter.cmds.slice(0, subcommand).some((c) => c.name === cmd.name && c.subtype !== 'AT_SetNotNull')) continue;
      const added = mayHaveRows ? unfilledBy(ctx, alter.cmds, subcommand, alter.table, cmd.name) : undefined;
      if (added) {
        // Every row holds NULL in it: it fails as soon as the table has a row, which migc knows only from a size hint.
        const rows = ctx.rows(alter.table);
        report({
          severity: 'error',
          refused: rows !== undefined ? 'certain' : 'possible',
          failsOnRows: 'will',
          subcommand,
          message: `SET NOT NULL on ${quoteColumn(alter.table, cmd.name)} fails ${rows !== undefined ? `on ${sizeNote(ctx, alter.table)}` : `as soon as ${quoteName(alter.table)} has a row`}: ${quoteIdent(cmd.name)} was added ${added} without a default, and nothing has filled it since (every row holds NULL)`,
          help: `Fill it first: UPDATE ${quoteName(alter.table)} SET ${quoteIdent(cmd.name)} = <value> WHERE ${quoteIdent(cmd.name)} IS NULL (in batches on a large table); or add it with a constant DEFAULT (catalog-only from PostgreSQL 11), which every row then holds.`,
        });
        continue;
      }
      if (ctx.postgres >= 12 && ctx.state.hasValidatedNotNullCheck(alter.table, cmd.name)) continue;
      if (!scanned.some((c) => c.column === cmd.name)) scanned.push({ subcommand, column: cmd.name });
    }
    if (scanned.length === 0) return;
    const severity = severityFor(ctx, alter.table, this.severity);
    if (!severity) return;
    const names = scanned.map((c) => quoteColumn(alter.table, c.column));
    const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    const checks = scanned.map((c) => `ALTER TABLE ${quoteName(alter.table)} ADD CONSTRAINT ${quoteIdent(`${alter.table.split('.').pop()}_${c.column}_not_null`)} CHECK (${quoteIdent(c.column)} IS NOT NULL) NOT VALID;`).join(' ');
    const one = scanned.length === 1;
    const noNulls = ctx.inTransaction && scanned.every((c) => ctx.earlier.noNullsIn(alter.table, c.column));
    report({
      severity,
      subcommand: scanned[0]!.subcommand,
      ...(noNulls ? {} : { failsOnRows: 'may' as const }),
      // The statement fails on a row that holds NULL, which the message says as MG209's does
      // (swh's and memos' backfills that leave NULLs: the sixteenth and thirty-second trials).
      // Not after the same transaction left none NULL (an UPDATE of every row to a constant, a
      // DELETE of the NULL rows: stellar's backfills, the thirty-sixth trial's F).
      message: `SET NOT NULL on ${list} scans ${sizeNote(ctx, alter.table)}${one ? '' : ' (once, for all of them)'} while holding an ACCESS EXCLUSIVE lock${otherLocksNote(ctx, alter.table)}${noNulls ? '' : ', and fails if a row holds NULL there'}`,
      // The scan fails on a row that holds NULL (the sixteenth trial's memos: no backfill before it).
      help: `${ctx.postgres >= 12
        ? `First: ${checks} then VALIDATE CONSTRAINT ${one ? 'it' : 'each'} (no write lock); SET NOT NULL then skips the scan, and the ${one ? 'check' : 'checks'} can be dropped.`
        : `Before PostgreSQL 12 SET NOT NULL always scans: keep ${one ? 'a validated CHECK' : 'validated CHECKs'} (${scanned.map((c) => `${quoteIdent(c.column)} IS NOT NULL`).join(', ')}) NOT VALID ${one ? 'constraint' : 'constraints'} instead, or run it when a full-table lock is acceptable.`} A row that still holds NULL fails ${ctx.postgres >= 12 ? 'the VALIDATE and the SET NOT NULL' : 'it'} alike: fill such rows first (an UPDATE in batches), and look first: SELECT count(*) FROM ${quoteName(alter.table)} WHERE ${scanned.map((c) => `${quoteIdent(c.column)} IS NULL`).join(' OR ')};`,
    });
  },
};
