import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';

export const rename: StatementRule = {
  code: 'MG213',
  name: 'rename',
  summary: 'Renaming a column or table breaks the code that is running, the moment it commits.',
  severity: 'warning',
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'RenameStmt' || ctx.inRollback) return;
    if (body.renameType !== 'OBJECT_COLUMN' && body.renameType !== 'OBJECT_TABLE') return;
    const table = relationName(body.relation);
    if (ctx.state.isNew(table)) return;
    // In a plan, MG102 already stops a rename outside contract; in contract it is the plan's intent.
    if (ctx.mode === 'plan' && ctx.phase !== 'contract') return;
    const what = body.renameType === 'OBJECT_COLUMN' ? `column ${table}.${body.subname}` : `table ${table}`;
    report({
      severity: ctx.mode === 'plan' ? 'info' : this.severity,
      message: `renaming ${what} to ${body.newname} breaks every running query that uses the old name`,
      help: body.renameType === 'OBJECT_COLUMN'
        ? `Expand-contract instead: add ${body.newname}, keep both in sync (trigger), backfill, switch the code, then drop ${body.subname}. Or, for a quick switch, rename and leave a view with the old name.`
        : `Rename and, in the same transaction, CREATE VIEW ${table} AS SELECT * FROM ${body.newname}; until no code uses the old name.`,
    });
  },
};
