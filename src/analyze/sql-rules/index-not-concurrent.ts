import { node, relationName } from './ast.js';
import { scanSql } from '../../sql/parser.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

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
    // ON ONLY a partitioned table builds nothing: the first step of the recipe below.
    if (partitioned && body.relation.inh !== true) return;
    const severity = severityFor(ctx, table, this.severity);
    if (!severity) return;
    const name = body.idxname ? `${body.idxname} ` : '';
    if (partitioned) {
      report({
        severity,
        message: `CREATE INDEX ${name}on partitioned table ${table} builds an index on every partition, each under a SHARE lock held to the end: writes to ${sizeNote(ctx, table)} wait until the last is built`,
        help: partitionedIndexRecipe(table, body.idxname),
      });
      return;
    }
    const concurrent = body.idxname ? concurrently(ctx.text, !body.if_not_exists) : undefined;
    report({
      severity,
      message: `CREATE INDEX ${name}takes a SHARE lock on ${sizeNote(ctx, table)}: writes wait until the index is built`,
      help: `Build it without blocking writes: ${concurrent ?? `CREATE ${body.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${body.idxname ? quoteIdent(body.idxname) : '<name>'} ON ${quoteName(table)} (...)`}; ${ctx.mode === 'plan' ? 'migc runs it outside a transaction' : 'it must run outside a transaction block, in a file your migration tool runs without one'}. If it fails, drop the INVALID index and try again.`,
    });
  },
};

/**
 * How to index a partitioned table without blocking writes: PostgreSQL refuses CREATE INDEX
 * CONCURRENTLY on it, but takes one on each partition, attached to an index made ON ONLY the parent.
 */
export function partitionedIndexRecipe(table: string, index: string | undefined): string {
  const name = index ?? `${table.split('.').pop()}_idx`;
  return `PostgreSQL cannot build it CONCURRENTLY on the partitioned table. Create it on the parent alone, CREATE INDEX ${quoteIdent(name)} ON ONLY ${quoteName(table)} (...); (instant, invalid until complete), then for each partition CREATE INDEX CONCURRENTLY on it and ALTER INDEX ${quoteIdent(name)} ATTACH PARTITION <its index>; the parent's index is valid once every partition's is attached.`;
}

/** Longest statement a help text repeats in full; a longer one is abbreviated to (...). */
const maxRepeated = 240;

/**
 * The statement itself, on one line, made CONCURRENTLY (and IF NOT EXISTS, so that a re-run after a
 * failed build does not fail on its INVALID index: MG221): its own tokens (PostgreSQL's lexer's),
 * comments left out, one space where the text had any space between two. Undefined when too long
 * to repeat.
 */
function concurrently(text: string, addIfNotExists: boolean): string | undefined {
  const tokens = scanSql(text).filter((t) => t.token !== 'SQL_COMMENT' && t.token !== 'C_COMMENT');
  let sql = '';
  let previous: (typeof tokens)[number] | undefined;
  let made = false;
  for (const t of tokens) {
    if (previous) sql += t.start > previous.end ? ' ' : '';
    sql += t.text;
    if (t.keyword === 'INDEX' && !made) {
      const added = addIfNotExists ? ' CONCURRENTLY IF NOT EXISTS' : ' CONCURRENTLY';
      // In the statement's own case: create index concurrently.
      sql += t.text === t.text.toLowerCase() ? added.toLowerCase() : added;
      made = true;
    }
    previous = t;
  }
  return sql.length <= maxRepeated ? sql : undefined;
}
