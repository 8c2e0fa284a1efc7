import { addedConstraints } from './ast.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';

export const uniqueBuildsIndex: StatementRule = {
  code: 'MG210',
  name: 'unique-builds-index',
  summary: 'ADD UNIQUE or PRIMARY KEY without USING INDEX builds the index under ACCESS EXCLUSIVE.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    for (const { table, constraint: c, column, subcommand } of addedConstraints(ctx.ast, ['CONSTR_UNIQUE', 'CONSTR_PRIMARY'])) {
      const severity = c.indexname ? undefined : severityFor(ctx, table, this.severity);
      if (!severity) continue;
      const what = c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
      const keys: string[] = (c.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval);
      const cols = keys.join(', ');
      const index = c.conname ?? (c.contype === 'CONSTR_PRIMARY' ? `${table.split('.').pop()}_pkey` : `${table.split('.').pop()}_${cols.replace(/, /g, '_')}_key`);
      report({
        severity,
        subcommand,
        message: `${column ? `ADD COLUMN ${column} ... ${what}` : `ADD ${what} (${cols})`} builds its index on ${sizeNote(ctx, table)} while holding an ACCESS EXCLUSIVE lock`,
        help: `${column ? `Add the column without ${what}, then build` : 'Build'} the index ${column ? 'without blocking' : 'first without blocking'}: CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(index)} ON ${quoteName(table)} (${keys.map(quoteIdent).join(', ')}); then ALTER TABLE ${quoteName(table)} ADD CONSTRAINT ${quoteIdent(index)} ${what} USING INDEX ${quoteIdent(index)}; (brief lock).`,
      });
    }
  },
};

export const exclusionConstraint: StatementRule = {
  code: 'MG211',
  name: 'exclusion-constraint',
  summary: 'ADD EXCLUDE builds its index under ACCESS EXCLUSIVE, and cannot be built concurrently.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    for (const { table, subcommand } of addedConstraints(ctx.ast, ['CONSTR_EXCLUSION'])) {
      const severity = severityFor(ctx, table, this.severity);
      if (!severity) continue;
      report({
        severity,
        subcommand,
        message: `ADD EXCLUDE builds its index on ${sizeNote(ctx, table)} while holding an ACCESS EXCLUSIVE lock, and PostgreSQL cannot build it concurrently`,
        help: 'Plan a maintenance window sized from a rehearsal on a production-sized copy, or enforce the rule in a trigger (or a new table) that only checks new rows.',
      });
    }
  },
};
