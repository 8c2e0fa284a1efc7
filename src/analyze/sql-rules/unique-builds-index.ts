import { addedConstraints } from './ast.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { leaveDoBlock, severityFor, sizeNote, type StatementContext, type StatementFinding, type StatementRule } from '../sql/context.js';
import type { Severity } from '../../diagnostics/diagnostic.js';
import { seenTable } from './seen-tables.js';
import { tableKey } from '../sql/schema-state.js';

export const uniqueBuildsIndex: StatementRule = {
  code: 'MG210',
  name: 'unique-builds-index',
  summary: 'ADD UNIQUE or PRIMARY KEY without USING INDEX builds the index under ACCESS EXCLUSIVE; ADD PRIMARY KEY USING INDEX on columns that allow NULL scans under it.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    // An unnamed one with the name PostgreSQL gives it written in: later migrations may use it.
    for (const { table, constraint: c, column, subcommand } of addedConstraints(ctx.state.withGeneratedNames(ctx.ast), ['CONSTR_UNIQUE', 'CONSTR_PRIMARY'])) {
      if (c.indexname) {
        if (c.contype === 'CONSTR_PRIMARY') primaryKeyUsingIndex(ctx, report, { table, index: c.indexname, subcommand, severity: this.severity });
        continue;
      }
      const severity = severityFor(ctx, table, this.severity);
      if (!severity) continue;
      const what = c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
      const keys: string[] = (c.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval);
      const index: string = c.conname;
      // What the constraint is besides its keys, kept by the recipe: the index built with its
      // INCLUDE and NULLS NOT DISTINCT, the constraint made DEFERRABLE from it (the eighteenth
      // trial's hoppscotch: a deferred key its reordering needs; checked on PostgreSQL 15).
      const including: string[] = (c.including ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval);
      const indexShape = `(${keys.map(quoteIdent).join(', ')})${including.length ? ` INCLUDE (${including.map(quoteIdent).join(', ')})` : ''}${c.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''}`;
      const timing = c.deferrable ? ` DEFERRABLE${c.initdeferred ? ' INITIALLY DEFERRED' : ''}` : '';
      const duplicates = !column && mayHoldDuplicates(ctx, table, keys);
      report({
        severity,
        subcommand,
        ...(duplicates ? { failsOnRows: 'may' as const } : {}),
        message: `${column ? `ADD COLUMN ${quoteIdent(column)} ... ${what}` : `ADD ${what} (${keys.map(quoteIdent).join(', ')})`} builds its index on ${sizeNote(ctx, table)} while holding an ACCESS EXCLUSIVE lock${duplicates ? ', and it fails if existing rows share a key' : ''}`,
        help: ctx.state.table(table)?.partitioned
          // USING INDEX is refused on a partitioned table; the parent's constraint attaches its partitions' own.
          ? `${column ? `Add the column without ${what}, then on` : 'On'} each partition build the index without blocking and make it the constraint: CREATE UNIQUE INDEX CONCURRENTLY ... ON <partition> (${keys.map(quoteIdent).join(', ')}); ALTER TABLE <partition> ADD CONSTRAINT ... ${what} USING INDEX ...; then ALTER TABLE ${quoteName(table)} ADD CONSTRAINT ${quoteIdent(index)} ${what} (${keys.map(quoteIdent).join(', ')}); attaches them without building (brief lock).`
          : `${column ? `Add the column without ${what}, then build` : 'Build'} the index ${column ? 'without blocking' : 'first without blocking'}: CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(index)} ON ${quoteName(table)} ${indexShape}; then ALTER TABLE ${quoteName(table)} ADD CONSTRAINT ${quoteIdent(index)} ${what} USING INDEX ${quoteIdent(index)}${timing}; (brief lock).${column ? '' : ` ${duplicatesFail(table, keys)}`}${leaveDoBlock(ctx)}`,
      });
    }
  },
};

/**
 * Whether rows of the table may share the key: not when the key's columns hold a key the table
 * has already (a unique column among them, or every column of a unique constraint or index), whose
 * rows are apart on those columns alone. `keys` undefined (an expression): they may.
 */
export function mayHoldDuplicates(ctx: StatementContext, table: string, keys: readonly string[] | undefined): boolean {
  const t = ctx.state.table(table);
  if (keys === undefined) return true;
  // A key column this migration added and nothing has filled holds NULL in every row, and NULLs
  // never collide (NULLS DISTINCT, the default): nr-spar's UNIQUE on a column added just before
  // (the thirty-fifth trial's U; PostgreSQL 15 builds it on a table with rows).
  if (keys.some((k) => ctx.state.unfilledColumns.has(`${tableKey(table)}.${k}`) || ctx.state.unfilledColumns.has(`${table}.${k}`))) return false;
  // A DELETE of this transaction kept one row of each group sharing some of the keys (a
  // de-duplication before the index: firefly's, the twenty-ninth trial's E).
  if (ctx.inTransaction && ctx.earlier.dedupedOn(table).some((cols) => cols.every((c) => keys.includes(c)))) return false;
  if (!t) return true;
  if (keys.some((k) => t.uniqueColumns.has(k))) return false;
  for (const k of t.keyConstraints.values()) if (k.columns.length > 0 && k.columns.every((c) => keys.includes(c))) return false;
  for (const u of t.uniqueIndexes.values()) if (u.keys.length > 0 && u.keys.every((c) => keys.includes(c))) return false;
  return true;
}

/**
 * What a unique build on existing rows can meet: a duplicate fails it (CONCURRENTLY leaves an
 * INVALID index behind), which no lock finding says (the seventeenth trial: Prisma's own warning
 * on eight migrations, no word from migc). The query that finds them first.
 */
export function duplicatesFail(table: string, keys: readonly string[]): string {
  const cols = keys.map(quoteIdent).join(', ');
  return `Existing rows that share a key fail the build (CONCURRENTLY then leaves an INVALID index to drop): look first, SELECT ${cols}, count(*) FROM ${quoteName(table)} GROUP BY ${cols} HAVING count(*) > 1;`;
}

/**
 * ADD PRIMARY KEY USING INDEX sets NOT NULL on the index's columns that allow NULL, and that scans
 * the table under the ACCESS EXCLUSIVE lock the ADD takes (unless a validated CHECK (col IS NOT
 * NULL) proves it, from PostgreSQL 12). Judged when the index's columns are known (its CREATE INDEX
 * was seen, src/analyze/sql-rules/seen-tables.ts) and some of them are known to allow NULL.
 */
function primaryKeyUsingIndex(ctx: StatementContext, report: (finding: StatementFinding) => void, at: { table: string; index: string; subcommand: number; severity: Severity }): void {
  const { table, index } = at;
  const columns = seenTable(ctx, table)?.indexes.get(index) ?? [];
  const known = ctx.state.table(table)?.columns;
  const nullable = columns.filter((col): col is string => col !== null && known?.get(col)?.notNull === false && !(ctx.postgres >= 12 && ctx.state.hasValidatedNotNullCheck(table, col)));
  if (!nullable.length) return;
  const severity = severityFor(ctx, table, at.severity);
  if (!severity) return;
  const [first] = nullable;
  report({
    severity,
    subcommand: at.subcommand,
    message: `ADD PRIMARY KEY USING INDEX ${quoteIdent(index)} sets NOT NULL on ${nullable.map(quoteIdent).join(', ')}, which scans ${sizeNote(ctx, table)} while holding an ACCESS EXCLUSIVE lock`,
    help: ctx.postgres >= 12
      ? `Make ${nullable.length === 1 ? 'it' : 'each'} NOT NULL first without the long lock: ALTER TABLE ${quoteName(table)} ADD CONSTRAINT ${quoteIdent(`${table.split('.').pop()}_${first}_not_null`)} CHECK (${quoteIdent(first!)} IS NOT NULL) NOT VALID; then VALIDATE CONSTRAINT it (no write lock) and SET NOT NULL (it then skips the scan); the primary key then adds no scan.`
      : `Before PostgreSQL 12 SET NOT NULL always scans: run it when a full-table lock is acceptable, or build the table anew with the key.`,
  });
}

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
