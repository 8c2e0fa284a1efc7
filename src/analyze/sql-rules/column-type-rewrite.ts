import { alterTableCommands } from './ast.js';
import { describeType } from '../sql/types.js';
import { convertsAsWithoutUsing, droppedConstraints, indexesRebuiltInPlace, narrowing, rewritesUnlessUtc, throughDomains, typeChangeFails, typeChangeOf } from '../sql/type-change.js';
import { defaultSearchPath } from '../sql/search-path.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { collationOf } from '../sql/schema-state.js';
import { quoteIdent, quoteName, quoteColumn } from '../../sql/quote.js';
import { andListAtMost } from './statement-locks.js';
import type { Severity } from '../../diagnostics/diagnostic.js';

/** The column changes one finding names; the statement shows the rest. */
const listedChanges = 3;

/** Target types that some changes reach without a rewrite (widening): from an unknown type, it may go either way. */
const sometimesCatalogOnly = new Set(['text', 'varchar', 'numeric', 'varbit', 'inet']);

export const columnTypeRewrite: StatementRule = {
  code: 'MG212',
  name: 'column-type-rewrite',
  summary: 'ALTER COLUMN TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE, unless the change is binary-compatible.',
  severity: 'error',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    if (!alter) return;
    /** The statement's type changes that rewrite the table, or may. */
    const rewrites: { subcommand: number; severity: Severity; kind: 'rewrite' | 'zoned' | 'maybe'; change: string; checks: string; to: string; column: string; narrow: ReturnType<typeof narrowing> }[] = [];
    for (const [subcommand, cmd] of alter.cmds.entries()) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const change = typeChangeOf(cmd, alter.table, ctx.state);
      if (!change) continue;
      // A change that fails at once rewrites nothing: a serial as the new type is MG234's, a
      // conversion PostgreSQL refuses without USING is MG241's.
      if (typeChangeFails(change)) continue;
      // Through the domains the files created: from a domain as from its base type, to one without constraints as to its base.
      const path = ctx.searchPath ?? defaultSearchPath;
      const judged = throughDomains(change, ctx.state, path);
      const { from, to, checkedBy } = judged;
      const column = ctx.state.table(alter.table)?.columns.get(cmd.name);
      // USING the column, or the column cast to the new type, converts as no USING does.
      const plain = convertsAsWithoutUsing(change);
      const inPlace = indexesRebuiltInPlace(cmd, alter.table, ctx.state, { postgres: ctx.postgres, timeZoneUtc: ctx.timeZoneUtc === true, path, dropped: droppedConstraints(alter.cmds) });
      if (inPlace) {
        // No rewrite; but PostgreSQL builds some of the column's indexes again, and validates some
        // of its constraints again, under the same lock (none of it when another subcommand
        // rewrites the table: that finding says its indexes).
        const { why, rebuilt, kept, rechecked } = inPlace;
        const severity = (rebuilt.length || rechecked.length) && ctx.effect.effect !== 'rewrite' ? severityFor(ctx, alter.table, this.severity) : undefined;
        if (severity) {
          const collation = collationOf(cmd.def?.ColumnDef);
          const named = (c: string | undefined) => (c === undefined ? 'the default collation' : `collation ${quoteIdent(c)}`);
          const its = `${rebuilt.length === 1 ? 'its index' : 'its indexes'} ${rebuilt.map(quoteName).join(', ')}`;
          const lock = `on ${sizeNote(ctx, alter.table)} under an ACCESS EXCLUSIVE lock`;
          const plainKept = kept.length ? ` (${kept.length === 1 ? 'its plain index' : 'its plain indexes'} ${kept.map(quoteName).join(', ')} ${kept.length === 1 ? 'is' : 'are'} kept)` : '';
          // A partitioned table's index is dropped and built CONCURRENTLY by no statement
          // (test/partitioned-index-drop.test.ts): a plain drop, and a build partition by partition.
          const partitioned = ctx.state.table(alter.table)?.partitioned === true;
          const dropAndBuild = partitioned
            ? `Drop ${rebuilt.length === 1 ? 'the index' : 'those indexes'} before the change and build ${rebuilt.length === 1 ? 'it' : 'them'} again after it (queries that use ${rebuilt.length === 1 ? 'it' : 'them'} go without meanwhile): the change itself then touches only the catalog. PostgreSQL cannot drop or build an index of a partitioned table CONCURRENTLY: DROP INDEX ${rebuilt.map(quoteName).join(', ')}; with a short lock_timeout (and a retry), then CREATE INDEX ... ON ONLY ${quoteName(alter.table)} (...), CREATE INDEX CONCURRENTLY on each partition and ALTER INDEX ... ATTACH PARTITION`
            : `Drop ${rebuilt.length === 1 ? 'the index' : 'those indexes'} with DROP INDEX CONCURRENTLY before the change and build ${rebuilt.length === 1 ? 'it' : 'them'} again with CREATE INDEX CONCURRENTLY after it (queries that use ${rebuilt.length === 1 ? 'it' : 'them'} go without meanwhile): the change itself then touches only the catalog`;
          const fromTo = why === 'collation' ? `from ${named(column!.collation)} to ${named(collation)}` : `from ${describeType(change.from!)} to ${describeType(change.to)}${why === 'operator class' && rewritesUnlessUtc(judged, ctx.postgres) ? ' under UTC' : ''}`;
          const one = rechecked.length === 1;
          const checks = `${one ? 'its constraint' : 'its constraints'} ${rechecked.map(quoteIdent).join(', ')}`;
          const validates = 'PostgreSQL adds again the constraints on the column and validates those that were valid (a CHECK; a foreign key whose comparison of the column changes)';
          const addNotValid = `Drop ${one ? 'the constraint' : 'those constraints'} in the same statement and add ${one ? 'it' : 'them'} again NOT VALID (ALTER TABLE ${quoteName(alter.table)} DROP CONSTRAINT ..., ALTER COLUMN ${quoteIdent(cmd.name)} TYPE ..., ADD CONSTRAINT ... NOT VALID;), then VALIDATE CONSTRAINT in a later transaction: it takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on`;
          const rebuiltMessage = why === 'collation'
            ? `changing ${quoteColumn(alter.table, cmd.name)} ${fromTo} rebuilds ${its} ${lock} (the table itself is not rewritten)`
            : why === 'operator class'
            ? `changing ${quoteColumn(alter.table, cmd.name)} ${fromTo} rewrites no table but rebuilds ${its} ${lock}: the new type has its own operator class, so PostgreSQL builds every index with the column as a key again`
            : `changing ${quoteColumn(alter.table, cmd.name)} ${fromTo} rewrites no table but rebuilds ${its} ${lock}: PostgreSQL builds again every index involving the column that has an expression or a WHERE, and keeps only plain ones${plainKept}`;
          report({
            severity,
            subcommand,
            message: !rebuilt.length
              ? `changing ${quoteColumn(alter.table, cmd.name)} ${fromTo} rewrites no table but reads every row of ${sizeNote(ctx, alter.table)} under an ACCESS EXCLUSIVE lock to validate ${checks} again: ${validates}`
              : rechecked.length
              ? `${rebuiltMessage}; and it reads every row to validate ${checks} again`
              : rebuiltMessage,
            help: !rebuilt.length
              ? `${addNotValid}.`
              : `${why === 'collation'
                ? `Keep the column's collation and build what needs the other one beside it, without blocking: ${partitioned ? `CREATE INDEX ... ON ONLY ${quoteName(alter.table)} (${quoteIdent(cmd.name)} COLLATE ${quoteIdent(collation ?? 'default')}), then CREATE INDEX CONCURRENTLY on each partition and ALTER INDEX ... ATTACH PARTITION (PostgreSQL builds no index of a partitioned table CONCURRENTLY),` : `CREATE INDEX CONCURRENTLY ... ON ${quoteName(alter.table)} (${quoteIdent(cmd.name)} COLLATE ${quoteIdent(collation ?? 'default')}),`} and say COLLATE in the queries that need it; or add a new column with the collation, backfill it in batches and swap the names.`
                : `${dropAndBuild}; or add a new ${describeType(to)} column, backfill it in batches and swap the names.`}${rechecked.length ? ` Drop ${one ? 'the constraint' : 'the constraints'} in the same statement, add ${one ? 'it' : 'them'} again NOT VALID and VALIDATE later (no write lock).` : ''}`,
          });
        }
        continue;
      }
      const zoned = !checkedBy && rewritesUnlessUtc(judged, ctx.postgres);
      if (zoned && ctx.timeZoneUtc) continue;
      // The current type unknown (no CREATE TABLE seen), a change to text or a wider varchar may
      // be catalog-only, or it may rewrite: say so, as a warning.
      const maybe = !from && sometimesCatalogOnly.has(to.name) && plain;
      const severity = severityFor(ctx, alter.table, maybe ? 'warning' : this.severity);
      if (!severity) continue;
      // Named as written: the domains, not the types they are over.
      const fromTo = `${change.from ? `from ${describeType(change.from)} to ${describeType(change.to)}` : `to ${describeType(change.to)}`}${plain ? '' : ' through its USING expression'}`;
      const checks = checkedBy ? ` (every row is checked against ${checkedBy.length === 1 ? 'the constraint' : 'the constraints'} of ${[...new Set(checkedBy.map((c) => c.domain))].map(quoteName).join(' and ')}: ${checkedBy.map((c) => (c.constraint === 'NOT NULL' ? 'NOT NULL' : quoteIdent(c.constraint))).join(', ')})` : '';
      rewrites.push({ subcommand, severity, kind: maybe ? 'maybe' : zoned ? 'zoned' : 'rewrite', change: `${quoteColumn(alter.table, cmd.name)} ${fromTo}`, checks, to: describeType(to), column: cmd.name, narrow: narrowing(judged) });
    }
    // PostgreSQL rewrites the table once for the whole statement, however many columns change
    // (the table_rewrite event fires once): one finding, naming them all. The fifteenth trial
    // (UPchieve) had 256 findings for one statement's timestamp columns.
    const definite = rewrites.filter((r) => r.kind === 'rewrite');
    const groups = definite.length ? [rewrites] : [rewrites.filter((r) => r.kind === 'zoned'), rewrites.filter((r) => r.kind === 'maybe')];
    for (const group of groups) {
      const first = group[0];
      if (!first) continue;
      const kind = definite.length ? 'rewrite' : first.kind;
      const severity = group.some((r) => r.severity === 'error') ? 'error' : group.some((r) => r.severity === 'warning') ? 'warning' : 'info';
      // A domain's checks said after the lock for one change, beside its column for several.
      const changing = `changing ${group.length === 1 ? first.change : andListAtMost(group.map((r) => `${r.change}${r.checks}`), listedChanges)}`;
      const checks = group.length === 1 ? first.checks : '';
      const once = group.length > 1 ? ' once, for all of them,' : '';
      const types = [...new Set(group.map((r) => r.to))];
      const { said: narrowed, find } = narrowingSaid(group, alter.table);
      report({
        severity,
        subcommand: first.subcommand,
        message: kind === 'maybe'
          ? `${changing} may rewrite ${sizeNote(ctx, alter.table)} and its indexes${once} under an ACCESS EXCLUSIVE lock: ${group.length > 1 ? 'their current types are' : 'its current type is'} unknown here, and only a binary-compatible change (varchar widened or to text, numeric precision raised) skips the rewrite`
          : kind === 'zoned'
          ? `${changing} rewrites ${sizeNote(ctx, alter.table)} and its indexes${once} under an ACCESS EXCLUSIVE lock, unless the session's TimeZone is UTC (then PostgreSQL ${ctx.postgres} changes only the catalog), which nothing before it in the ${ctx.mode === 'plan' ? 'step' : 'file'} sets`
          : `${changing} rewrites ${sizeNote(ctx, alter.table)} and its indexes${once} under an ACCESS EXCLUSIVE lock${checks}${narrowed}`,
        help: find + (kind === 'zoned'
          ? `If the values are UTC times (existing values are read in the session's time zone either way), run it with SET LOCAL timezone = 'UTC'; before it, in the same transaction: PostgreSQL 12 and later then change only the catalog. Otherwise add a new ${types.join(' or ')} column${group.length > 1 ? ' for each' : ''}, keep it in sync with a trigger, backfill in batches, then swap the names in one short transaction.`
          : `Add a new ${types.join(' or ')} column${group.length > 1 ? ' for each' : ''}, keep it in sync with a trigger, backfill in batches, then swap the names in one short transaction${ctx.mode === 'plan' ? ' (see plans/widen-order-quantity.yaml)' : ''}. Only binary-compatible changes (varchar widened or to text, numeric precision raised at the same scale) are catalog-only.${kind === 'maybe' && ctx.mode === 'lint' ? ` migc judges the change from the type it saw the column made with: where the table is made in a file of its own (a schema dump, an install script), lint a copy of it named to run first beside the upgrades (base/0_schema.sql: files go in version order, and one without a version comes last).` : ''}`),
      });
    }
  },
};

/**
 * What the message says of the changes that narrow a column (narrowing(): a value that does not
 * fit fails the statement, or is cut by the USING cast), and the query the help gives to find
 * those values first; empty when none does.
 */
function narrowingSaid(group: readonly { change: string; column: string; narrow: ReturnType<typeof narrowing> }[], table: string): { said: string; find: string } {
  const narrowed = group.filter((r) => r.narrow);
  if (!narrowed.length) return { said: '', find: '' };
  const fails = narrowed.filter((r) => r.narrow!.kind === 'fails');
  const cuts = narrowed.filter((r) => r.narrow!.kind === 'truncates');
  const one = group.length === 1;
  const named = (r: (typeof group)[number]) => (one ? '' : `${quoteColumn(table, r.column)}: `);
  const said = [
    ...(fails.length ? [`a row whose value does not fit the new type fails the statement, and the migration stops there (${fails.map((r) => `${named(r)}${r.narrow!.error}`).join('; ')})`] : []),
    ...cuts.map((r) => `${one ? 'its USING cast' : `the USING cast of ${quoteColumn(table, r.column)}`} cuts every longer value to ${r.narrow!.error}, silently`),
  ].join('; and ');
  const conditions = narrowed.flatMap((r) => r.narrow!.where(quoteIdent(r.column)) ?? []);
  const find = conditions.length ? `Count the values that do not fit, and fix them, before the change: SELECT count(*) FROM ${quoteName(table)} WHERE ${conditions.join(' OR ')}; ` : `Check first that every element of the array fits the new type. `;
  return { said: `; ${said}`, find };
}
