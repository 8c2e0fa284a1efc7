import { alterTableCommands } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { domainRefusingNull, existingRowsGet } from '../sql/added-column-null.js';
import { defaultSearchPath } from '../sql/search-path.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

export const addColumnNotNull: StatementRule = {
  code: 'MG206',
  name: 'add-column-not-null',
  summary: 'ADD COLUMN ... NOT NULL (or of a domain that refuses NULL) without a default fails on a table that has rows.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    // A table this transaction emptied (TRUNCATE, DELETE without WHERE) has no row here either.
    if (!alter || ctx.state.isNew(alter.table) || ctx.rows(alter.table) === 0 || ctx.earlier.emptied(alter.table)) return;
    const path = ctx.searchPath ?? defaultSearchPath;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AddColumn') continue;
      const def = cmd.def.ColumnDef;
      const kinds = (def.constraints ?? []).map((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype);
      const notNull = kinds.includes('CONSTR_NOTNULL') || kinds.includes('CONSTR_PRIMARY');
      const rows = existingRowsGet(def, ctx.state, path);
      // A type not known here may be a domain with a default: only the column's own NOT NULL is judged then.
      if (rows === 'value') continue;
      const column = quoteIdent(def.colname);
      const table = quoteName(alter.table);
      const nullDefault = kinds.includes('CONSTR_DEFAULT');
      if (notNull) {
        report({
          // It fails as soon as the table has a row, which migc cannot know.
          refused: 'possible',
          subcommand,
          message: `ADD COLUMN ${column} ... NOT NULL ${nullDefault ? 'with DEFAULT NULL' : 'without a default'} fails on ${table} as soon as it has a row`,
          help: `Add it nullable, backfill in batches, add CHECK (${column} IS NOT NULL) NOT VALID and VALIDATE it, then SET NOT NULL; or give a constant default (catalog-only from PostgreSQL 11).`,
        });
        continue;
      }
      const domain = rows === 'null' ? domainRefusingNull(def, ctx.state, path) : undefined;
      if (!domain) continue;
      const { constraint, domain: has } = domain.refusedBy;
      const why = constraint === 'NOT NULL'
        ? has === domain.domain ? `${quoteName(has)} is NOT NULL` : `it is over ${quoteName(has)}, which is NOT NULL`
        : `the CHECK constraint ${quoteIdent(constraint)}${has === domain.domain ? '' : ` of ${quoteName(has)}, which it is over,`} is false for NULL`;
      const filler = nullDefault ? "the column's DEFAULT NULL, which the domain's own default does not replace, gives" : 'neither the column nor the domain has a default, which leaves';
      const base = ctx.state.domainBase(domain.domain);
      report({
        refused: 'possible',
        subcommand,
        message: `ADD COLUMN ${column} of domain ${quoteName(domain.domain)} fails on ${table} as soon as it has a row: ${why}, and ${filler} every existing row NULL`,
        help: `Give the column a default that the domain accepts (ALTER TABLE ${table} ADD COLUMN ${column} ${quoteName(domain.domain)} DEFAULT ...;: PostgreSQL then checks it in every row, rewriting the table, MG205), or add it as ${base ?? 'the type the domain is over'}, nullable, backfill it in batches and enforce the domain's rule with ADD CONSTRAINT ... CHECK (...) NOT VALID and VALIDATE CONSTRAINT.`,
      });
    }
  },
};
