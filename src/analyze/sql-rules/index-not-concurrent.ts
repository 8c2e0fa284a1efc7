import { node, relationName } from './ast.js';
import { leaveDoBlock, severityFor, sizeNote, type StatementContext, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { tableKey } from '../sql/schema-state.js';
import { duplicatesFail, mayHoldDuplicates } from './unique-builds-index.js';

export const indexNotConcurrent: StatementRule = {
  code: 'MG201',
  name: 'index-not-concurrent',
  summary: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build.',
  severity: 'error',
  kinds: ['IndexStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'IndexStmt' || body.concurrent) return;
    const table = relationName(body.relation);
    const partitioned = ctx.state.table(table)?.partitioned === true;
    // ON ONLY a partitioned table builds nothing: the first step of the recipe below. Before
    // PostgreSQL 11 there is no index on a partitioned table at all: refused (MG239), nothing built.
    if (partitioned && (body.relation.inh !== true || ctx.postgres < 11)) return;
    const severity = severityFor(ctx, table, this.severity);
    if (!severity) return;
    const name = body.idxname ? `${quoteIdent(body.idxname)} ` : '';
    if (partitioned) {
      report({
        severity,
        message: `CREATE INDEX ${name}on partitioned table ${quoteName(table)} builds an index on every partition, each under a SHARE lock held to the end: writes to ${sizeNote(ctx, table)} wait until the last is built`,
        help: partitionedIndexRecipe(table, body.idxname ?? ctx.state.generatedNames(ctx.ast).get(body)),
      });
      return;
    }
    const using = body.accessMethod && body.accessMethod !== 'btree' ? ` USING ${body.accessMethod}` : '';
    const indexName = quoteIdent(body.idxname ?? ctx.state.generatedNames(ctx.ast).get(body) ?? '<name>');
    // Nothing writes a materialized view but REFRESH (ACCESS EXCLUSIVE, or EXCLUSIVE with
    // CONCURRENTLY): it waits for the build, and the queries on the view queue behind it.
    const materialized = ctx.state.tables.has(tableKey(table)) && ctx.state.readsOfView(tableKey(table)) !== undefined;
    // Teams that build an index CONCURRENTLY by hand in production first keep the migration's
    // IF NOT EXISTS for fresh databases (instant, the thirty-seventh trial's A): there it builds
    // nothing, but waits for the SHARE lock all the same (shown on PostgreSQL 15).
    const prebuilt = body.if_not_exists && ctx.mode === 'lint'
      ? ` Where the index is built CONCURRENTLY by hand before the migration runs, IF NOT EXISTS skips the build here, though the statement still waits for the SHARE lock: say so with -- migc-ignore MG201: built concurrently beforehand.`
      : '';
    const duplicates = !materialized && body.unique && mayHoldDuplicates(ctx, table, plainColumns(body) === undefined ? undefined : (body.indexParams ?? []).map((p: { IndexElem: { name: string } }) => p.IndexElem.name));
    report({
      severity,
      ...(duplicates ? { failsOnRows: 'may' as const } : {}),
      message: materialized
        ? `CREATE INDEX ${name}takes a SHARE lock on materialized view ${sizeNote(ctx, table)}: REFRESH MATERIALIZED VIEW waits until the index is built, and every query on the view queues behind a plain REFRESH (ACCESS EXCLUSIVE) that waits`
        : `CREATE INDEX ${name}takes a SHARE lock on ${sizeNote(ctx, table)}: writes wait until the index is built${duplicates ? ', and it fails if existing rows share a key' : ''}`,
      // A re-run after a failed build must neither fail on its INVALID index nor keep it (MG221):
      // migc's scripts drop it first themselves; in a file, the DROP ... IF EXISTS goes first.
      help: `Build it without blocking ${materialized ? 'refreshes' : 'writes'}: ${concurrentBuildRecipe(ctx, indexName, `${body.unique ? 'UNIQUE ' : ''}INDEX`, `ON ${quoteName(table)}${using} (${plainColumns(body) ?? '...'})`)}${body.unique && plainColumns(body) !== undefined ? ` ${duplicatesFail(table, (body.indexParams ?? []).map((p: { IndexElem: { name: string } }) => p.IndexElem.name))}` : ''}${leaveDoBlock(ctx)}${prebuilt}`,
    });
  },
};

/**
 * A CONCURRENTLY build as a help writes it (`what`: `INDEX` or `UNIQUE INDEX`; `on`: `ON t (a)`).
 * In a plan, IF NOT EXISTS: migc's scripts drop an INVALID index before they build (MG221). In a
 * file, a DROP INDEX CONCURRENTLY IF EXISTS first takes away what a failed build left; where the
 * tool sends a file as one query string (ctx.sentWhole), two such statements would run in one
 * transaction block, which both refuse: the build alone in its migration, the drop by hand.
 */
export function concurrentBuildRecipe(ctx: StatementContext, name: string, what: string, on: string): string {
  if (ctx.mode === 'plan') return `CREATE ${what} CONCURRENTLY IF NOT EXISTS ${name} ${on}; migc runs it outside a transaction. If it fails, drop the INVALID index and try again.`;
  const where = ctx.outsideTransaction ?? 'a file your migration tool runs without one';
  if (ctx.sentWhole) return `CREATE ${what} CONCURRENTLY ${name} ${on}; alone in ${ctx.outsideTransaction ?? 'a migration of its own'} (the tool sends a file as one query string: beside another statement, CONCURRENTLY runs in a transaction block, which it refuses). If a build fails, drop the INVALID index it leaves by hand before the re-run: DROP INDEX CONCURRENTLY IF EXISTS ${name}; (alone too).`;
  return `DROP INDEX CONCURRENTLY IF EXISTS ${name}; CREATE ${what} CONCURRENTLY ${name} ${on}; each must run outside a transaction block, in ${where}; the drop takes away the INVALID index a failed build leaves, so that a re-run builds it again.`;
}

/**
 * How to index a partitioned table without blocking writes: PostgreSQL refuses CREATE INDEX
 * CONCURRENTLY on it, but takes one on each partition, attached to an index made ON ONLY the parent.
 */
export function partitionedIndexRecipe(table: string, name: string | undefined): string {
  return `PostgreSQL cannot build it CONCURRENTLY on the partitioned table. Create it on the parent alone, CREATE INDEX ${name !== undefined ? quoteIdent(name) : '<name>'} ON ONLY ${quoteName(table)} (...); (instant, invalid until complete), then for each partition CREATE INDEX CONCURRENTLY on it and ALTER INDEX ${name !== undefined ? quoteIdent(name) : '<name>'} ATTACH PARTITION <its index>; the parent's index is valid once every partition's is attached.`;
}

/**
 * An index's columns as SQL when they are plain columns (a, b DESC), the usual case; undefined for
 * expressions, operator classes, INCLUDE or a WHERE, which a recipe then shows as (...). From the
 * parse tree: lexing the statement again to repeat it cost a tenth of a large folder's lint.
 */
export function plainColumns(body: Record<string, any>): string | undefined {
  if (body.whereClause || body.indexIncludingParams?.length) return undefined;
  const columns: string[] = [];
  for (const p of body.indexParams ?? []) {
    const e = p.IndexElem;
    if (!e?.name || e.expr || e.opclass?.length || e.collation?.length || (e.nulls_ordering && e.nulls_ordering !== 'SORTBY_NULLS_DEFAULT')) return undefined;
    columns.push(`${quoteIdent(e.name)}${e.ordering === 'SORTBY_DESC' ? ' DESC' : e.ordering === 'SORTBY_ASC' ? ' ASC' : ''}`);
  }
  return columns.length ? columns.join(', ') : undefined;
}
