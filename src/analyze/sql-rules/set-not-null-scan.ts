import { alterTableCommands } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName, quoteColumn } from '../../sql/quote.js';
import { otherLocksNote } from './statement-locks.js';

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
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_SetNotNull') continue;
      if (ctx.postgres >= 12 && ctx.state.hasValidatedNotNullCheck(alter.table, cmd.name)) continue;
      const severity = severityFor(ctx, alter.table, this.severity);
      if (!severity) continue;
      report({
        severity,
        subcommand,
        message: `SET NOT NULL on ${quoteColumn(alter.table, cmd.name)} scans ${sizeNote(ctx, alter.table)} while holding an ACCESS EXCLUSIVE lock${otherLocksNote(ctx, alter.table)}`,
        help: ctx.postgres >= 12
          ? `First: ALTER TABLE ${quoteName(alter.table)} ADD CONSTRAINT ${quoteIdent(`${alter.table.split('.').pop()}_${cmd.name}_not_null`)} CHECK (${quoteIdent(cmd.name)} IS NOT NULL) NOT VALID; then VALIDATE CONSTRAINT it (no write lock); SET NOT NULL then skips the scan, and the check can be dropped.`
          : `Before PostgreSQL 12 SET NOT NULL always scans: keep a validated CHECK (${quoteIdent(cmd.name)} IS NOT NULL) NOT VALID constraint instead, or run it when a full-table lock is acceptable.`,
      });
    }
  },
};
