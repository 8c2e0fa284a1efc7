import { alterTableCommands } from './ast.js';
import { castsTo, describeType } from '../sql/types.js';
import { typeChangeFails, typeChangeOf } from '../sql/type-change.js';
import type { StatementRule } from '../sql/context.js';
import { quoteColumn, quoteIdent, quoteName } from '../../sql/quote.js';

/**
 * ALTER COLUMN ... TYPE converts the column's values as an assignment does: between two types
 * with no assignment cast (pg_cast's context e, or no entry, and the new type not a string type),
 * PostgreSQL refuses it at once, "column ... cannot be cast automatically to type ...", whatever the
 * table holds. Judged only between two built-in types (src/analyze/sql/builtin-casts.ts, read from
 * PostgreSQL's pg_cast), the old one known from the schema state; USING the column alone fails the
 * same way ("result of USING clause ... cannot be cast automatically"). A CREATE CAST between the
 * two types seen earlier keeps it quiet.
 */
export const typeChangeNeedsUsing: StatementRule = {
  code: 'MG241',
  name: 'type-change-needs-using',
  summary: 'ALTER COLUMN TYPE between built-in types with no assignment cast (varchar to bigint, text to jsonb) and no USING: PostgreSQL refuses it at once, even on an empty table.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const change = typeChangeOf(cmd, alter.table, ctx.state);
      if (!change?.from || typeChangeFails(change) !== 'no assignment cast') continue;
      const { from, to } = change;
      // A cast of one's own (CREATE CAST ... AS ASSIGNMENT) between them may convert.
      if (ctx.state.casts.has(`${from.name} ${to.name}`)) continue;
      const column = quoteIdent(cmd.name);
      const target = describeType(to);
      const refused = change.using === 'column' ? `result of USING clause for column "${cmd.name}" cannot be cast automatically to type ${target}` : `column "${cmd.name}" cannot be cast automatically to type ${target}`;
      const statement = `ALTER TABLE ${quoteName(alter.table)} ALTER COLUMN ${column} TYPE ${target} USING`;
      report({
        refused: 'certain',
        severity: this.severity,
        subcommand,
        message: `changing ${quoteColumn(alter.table, cmd.name)} from ${describeType(from)} to ${target} fails: PostgreSQL has no assignment cast between them, so without a USING that converts it refuses the change (${refused}), even on an empty table`,
        help: castsTo(from, to, 'explicit')
          ? `Say how to convert the values: ${statement} ${column}::${target}; That can still fail on a row whose value does not convert (${describeType(from)} to ${target}), and it rewrites the table under an ACCESS EXCLUSIVE lock (MG212): check the values first, or add a new ${target} column, fill it in batches and swap the names.`
          : `PostgreSQL has no cast from ${describeType(from)} to ${target} at all: write the conversion as an expression of the old value, ${statement} <expression of ${column}>; It rewrites the table under an ACCESS EXCLUSIVE lock (MG212) and fails on a row the expression cannot convert; or add a new ${target} column, fill it in batches and swap the names.`,
      });
    }
  },
};
