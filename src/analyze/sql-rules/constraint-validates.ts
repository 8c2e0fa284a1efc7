import { addedConstraints, relationName } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';

/** ADD FOREIGN KEY and ADD CHECK validate every row while holding their lock, unless NOT VALID. */
export const foreignKeyValidates: StatementRule = {
  code: 'MG208',
  name: 'foreign-key-validates',
  summary: 'ADD FOREIGN KEY without NOT VALID checks every row while blocking writes to both tables.',
  severity: 'error',
  check(ctx, report) {
    for (const { table, constraint: c } of addedConstraints(ctx.ast, ['CONSTR_FOREIGN'])) {
      const severity = c.skip_validation ? undefined : severityFor(ctx, table, this.severity);
      if (!severity) continue;
      const parent = relationName(c.pktable);
      const name = c.conname ?? `${table}_fkey`;
      report({
        severity,
        message: `ADD FOREIGN KEY ${name} checks every row of ${sizeNote(ctx, table)} while blocking writes to ${table} and ${parent} (SHARE ROW EXCLUSIVE)`,
        help: `Add it NOT VALID (only new rows are checked, the lock is brief), then in a separate step: ALTER TABLE ${table} VALIDATE CONSTRAINT ${name}; (takes SHARE UPDATE EXCLUSIVE: reads and writes go on).`,
      });
    }
  },
};

export const checkValidates: StatementRule = {
  code: 'MG209',
  name: 'check-validates',
  summary: 'ADD CHECK without NOT VALID checks every row while holding an ACCESS EXCLUSIVE lock.',
  severity: 'error',
  check(ctx, report) {
    for (const { table, constraint: c } of addedConstraints(ctx.ast, ['CONSTR_CHECK'])) {
      const severity = c.skip_validation ? undefined : severityFor(ctx, table, this.severity);
      if (!severity) continue;
      const name = c.conname ?? `${table}_check`;
      report({
        severity,
        message: `ADD CHECK ${name} checks every row of ${sizeNote(ctx, table)} while holding an ACCESS EXCLUSIVE lock`,
        help: `Add it NOT VALID, then in a separate step: ALTER TABLE ${table} VALIDATE CONSTRAINT ${name}; (SHARE UPDATE EXCLUSIVE: reads and writes go on).`,
      });
    }
  },
};
