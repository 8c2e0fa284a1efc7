import { alterTableCommands } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

export const addColumnNotNull: StatementRule = {
  code: 'MG206',
  name: 'add-column-not-null',
  summary: 'ADD COLUMN ... NOT NULL without a default fails on a table that has rows.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    // A table this transaction emptied (TRUNCATE, DELETE without WHERE) has no row here either.
    if (!alter || ctx.state.isNew(alter.table) || ctx.rows(alter.table) === 0 || ctx.earlier.emptied(alter.table)) return;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AddColumn') continue;
      const def = cmd.def.ColumnDef;
      const kinds = (def.constraints ?? []).map((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype);
      const notNull = kinds.includes('CONSTR_NOTNULL') || kinds.includes('CONSTR_PRIMARY');
      if (!notNull) continue;
      const filled = kinds.some((k: string) => k === 'CONSTR_DEFAULT' || k === 'CONSTR_IDENTITY' || k === 'CONSTR_GENERATED') || /serial/.test(JSON.stringify(def.typeName));
      if (filled) continue;
      report({
        // It fails as soon as the table has a row, which migc cannot know.
        refused: 'possible',
        subcommand,
        message: `ADD COLUMN ${quoteIdent(def.colname)} ... NOT NULL without a default fails on ${quoteName(alter.table)} as soon as it has a row`,
        help: `Add it nullable, backfill in batches, add CHECK (${quoteIdent(def.colname)} IS NOT NULL) NOT VALID and VALIDATE it, then SET NOT NULL; or give a constant default (catalog-only from PostgreSQL 11).`,
      });
    }
  },
};
