import { alterTableCommands } from './ast.js';
import { binaryCompatible, columnType, describeType } from '../sql/types.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';

/** Target types that are usually a widening when the current type is unknown: not judged then. */
const usuallyWidening = new Set(['text', 'varchar', 'numeric']);

export const columnTypeRewrite: StatementRule = {
  code: 'MG212',
  name: 'column-type-rewrite',
  summary: 'ALTER COLUMN TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE, unless the change is binary-compatible.',
  severity: 'error',
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const to = columnType(cmd.def?.ColumnDef?.typeName);
      if (!to) continue;
      const from = ctx.state.table(alter.table)?.columns.get(cmd.name)?.type;
      if (from && binaryCompatible(from, to) && !cmd.def?.ColumnDef?.raw_default) continue;
      if (!from && usuallyWidening.has(to.name)) continue;
      const severity = severityFor(ctx, alter.table, this.severity);
      if (!severity) continue;
      const change = from ? `from ${describeType(from)} to ${describeType(to)}` : `to ${describeType(to)}`;
      report({
        severity,
        subcommand,
        message: `changing ${alter.table}.${cmd.name} ${change} rewrites ${sizeNote(ctx, alter.table)} and its indexes under an ACCESS EXCLUSIVE lock`,
        help: `Add a new ${describeType(to)} column, keep it in sync with a trigger, backfill in batches, then swap the names in one short transaction (see plans/widen-order-quantity.yaml). Only binary-compatible changes (varchar widened or to text, numeric precision raised at the same scale) are catalog-only.`,
      });
    }
  },
};
