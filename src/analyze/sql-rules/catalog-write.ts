import type { StatementRule } from '../sql/context.js';
import { relationName } from '../../sql/facts.js';
import { quoteName } from '../../sql/quote.js';
import { isSystemCatalogTable, node } from './ast.js';

/** The catalog's name without pg_catalog. (what the recipes are keyed by). */
function bareName(table: string): string {
  return table.slice(table.lastIndexOf('.') + 1);
}

/**
 * The supported way to do what a write to a catalog usually means to do, by catalog and, for an
 * UPDATE, by the columns it sets. Lemmy's `UPDATE pg_index SET indisready = false` pauses an
 * index's upkeep during a backfill; the supported way drops the index and builds it after.
 */
function supportedWay(catalog: string, columns: readonly string[]): string {
  const sets = (c: string) => columns.includes(c);
  switch (catalog) {
    case 'pg_index':
      return 'To spare a backfill the upkeep of an index, drop it before (DROP INDEX CONCURRENTLY) and build it again after (CREATE INDEX CONCURRENTLY, in a migration outside a transaction); REINDEX INDEX CONCURRENTLY rebuilds an index in place.';
    case 'pg_attribute':
      return sets('attnotnull')
        ? 'Use ALTER TABLE ... ALTER COLUMN ... SET NOT NULL (on a large table, first ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT in a later transaction: PostgreSQL 12 and later then set NOT NULL without a scan), or DROP NOT NULL.'
        : 'Use ALTER TABLE ... ALTER COLUMN (TYPE, SET DEFAULT, SET STATISTICS, SET STORAGE, RENAME COLUMN): it takes the lock and checks that a direct write skips.';
    case 'pg_constraint':
      return 'Use ALTER TABLE ... ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction; DROP CONSTRAINT to remove one. PostgreSQL checks the rows only through these commands.';
    case 'pg_trigger':
      return 'Use ALTER TABLE ... DISABLE TRIGGER name (or ENABLE), or SET session_replication_role = replica for the session\'s own writes.';
    case 'pg_class':
      return sets('reltriggers') || sets('relhastriggers')
        ? 'Use ALTER TABLE ... DISABLE TRIGGER (or ENABLE).'
        : 'Use ALTER TABLE (RENAME, OWNER TO, SET (storage options), SET LOGGED/UNLOGGED, ...) or ALTER INDEX: they take the lock and invalidate what other sessions have cached.';
    case 'pg_type': case 'pg_enum':
      return 'Use ALTER TYPE (ADD VALUE, RENAME VALUE, RENAME TO, OWNER TO) or ALTER DOMAIN.';
    case 'pg_proc':
      return 'Use CREATE OR REPLACE FUNCTION or ALTER FUNCTION.';
    case 'pg_description':
      return 'Use COMMENT ON.';
    case 'pg_statistic': case 'pg_statistic_ext': case 'pg_statistic_ext_data':
      return 'Run ANALYZE; ALTER TABLE ... ALTER COLUMN ... SET STATISTICS changes how much it samples.';
    default:
      return 'Use the SQL command that changes this (ALTER TABLE, ALTER INDEX, ALTER TYPE, COMMENT ON, GRANT, ...): it takes the locks and checks that a direct write skips.';
  }
}

/** The columns an UPDATE sets (SET a = ..., SET (a, b) = ...). */
function updatedColumns(targets: readonly { ResTarget?: { name?: string } }[] | undefined): string[] {
  return (targets ?? []).flatMap((t) => (t.ResTarget?.name ? [t.ResTarget.name] : []));
}

export const catalogWrite: StatementRule = {
  code: 'MG242',
  name: 'catalog-write',
  summary: 'A write to a system catalog (UPDATE pg_index SET indisready, pg_attribute, pg_constraint, ...): only a superuser may, a hosted PostgreSQL refuses it, and it skips the checks and locks of the commands that change the catalog.',
  severity: 'error',
  kinds: ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'TruncateStmt', 'CopyStmt', 'AlterTableStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    let tables: string[];
    switch (kind) {
      case 'InsertStmt': case 'UpdateStmt': case 'DeleteStmt': case 'MergeStmt':
        tables = [relationName(body.relation)];
        break;
      case 'TruncateStmt':
        tables = (body.relations ?? []).map((r: { RangeVar: never }) => relationName(r.RangeVar));
        break;
      case 'CopyStmt':
        tables = body.is_from && body.relation ? [relationName(body.relation)] : [];
        break;
      case 'AlterTableStmt':
        tables = body.objtype === 'OBJECT_TABLE' || body.objtype === undefined ? [relationName(body.relation)] : [];
        break;
      default:
        return;
    }
    // An unqualified pg_index is pg_catalog's whatever the search_path: PostgreSQL searches pg_catalog first.
    const catalogs = tables.filter(isSystemCatalogTable);
    if (!catalogs.length) return;
    const command = ctx.facts.command;
    const names = catalogs.map(quoteName).join(', ');
    const first = bareName(catalogs[0]!);
    // PostgreSQL refuses DDL and TRUNCATE on a catalog even to a superuser (allow_system_table_mods is off).
    const refused = kind === 'AlterTableStmt' || kind === 'TruncateStmt';
    report({
      // A write to a catalog only a superuser may make fails for every other role, not for sure.
      refused: refused ? 'certain' : 'possible',
      message: refused
        ? `${command} on the system catalog ${names}: PostgreSQL refuses it even to a superuser (permission denied: "${first}" is a system catalog), and the migration fails here`
        : `${command} writes to the system catalog ${names}: only a superuser may (any other role, a hosted PostgreSQL's admin included, gets permission denied for table ${first}), and a direct write skips the checks, locks and cache invalidations of the commands that change the catalog`,
      help: refused
        ? 'Leave the catalogs as PostgreSQL keeps them: its commands (CREATE, ALTER, DROP, COMMENT ON) change them; keep data of your own in a table of your own.'
        : supportedWay(first, kind === 'UpdateStmt' ? updatedColumns(body.targetList) : []),
    });
  },
};
