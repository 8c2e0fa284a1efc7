import { scanSql, type ParsedStatement } from './parser.js';
import { dollarQuote, followedBy, quoteIdent, sqlLiteral } from './quote.js';

export interface BatchSpec {
  readonly size: number;
  readonly key: string;
  /** PostgreSQL duration between batches, or undefined for none. */
  readonly pause?: string;
  /** Shown in progress notices. */
  readonly label: string;
}

/** Why a statement cannot be batched, or undefined when it can. */
export function batchProblem(statement: ParsedStatement): string | undefined {
  const [kind, body] = Object.entries(statement.ast)[0] as [string, Record<string, unknown>];
  if (kind !== 'UpdateStmt' && kind !== 'DeleteStmt') return `a batched step runs one UPDATE or DELETE; this is ${kind.replace(/Stmt$/, '').toUpperCase()}`;
  // PostgreSQL 18's parse tree calls it returningClause; earlier versions returningList.
  if (body.returningClause || body.returningList) return 'RETURNING has no use in a batched step';
  if (body.withClause) return 'a batched statement cannot start with WITH; move the CTE into a subquery';
  return undefined;
}

/**
 * Compiles a single UPDATE or DELETE into a DO block that walks the table's key in ranges of
 * `size` rows, runs the statement restricted to each range, and commits after each batch.
 * The statement's own WHERE is kept: batches only narrow it. Keyset ranges always terminate,
 * even when the WHERE still matches rows the statement already changed.
 */
export function compileBatch(statement: ParsedStatement, spec: BatchSpec): string {
  const target = Object.values(statement.ast)[0] as {
    relation: { schemaname?: string; relname: string; alias?: { aliasname?: string } };
  };
  const rel = target.relation;
  const table = rel.schemaname ? `${quoteIdent(rel.schemaname)}.${quoteIdent(rel.relname)}` : quoteIdent(rel.relname);
  const key = quoteIdent(spec.key);
  const qualifiedKey = `${rel.alias?.aliasname ? quoteIdent(rel.alias.aliasname) : table}.${key}`;
  const range = `${qualifiedKey} >= batch_from AND ${qualifiedKey} <= batch_to`;
  const restricted = restrictWhere(statement.text, range);
  const pause = spec.pause ? `\n    PERFORM pg_sleep(${pgDurationSeconds(spec.pause)});` : '';
  const progress = sqlLiteral(`%: % rows so far (${spec.key.replace(/%/g, '%%')} up to %)`);
  const body = `
DECLARE
  batch_from ${table}.${key}%TYPE;
  batch_to ${table}.${key}%TYPE;
  batch_rows bigint;
  total_rows bigint := 0;
BEGIN
  SELECT min(${key}) INTO batch_from FROM ${table};
  WHILE batch_from IS NOT NULL LOOP
    SELECT max(batch_key) INTO batch_to
      FROM (SELECT ${key} AS batch_key FROM ${table} WHERE ${key} >= batch_from ORDER BY ${key} LIMIT ${spec.size}) AS batch;
${indent(restricted, 4)};
    GET DIAGNOSTICS batch_rows = ROW_COUNT;
    total_rows := total_rows + batch_rows;
    COMMIT;
    RAISE NOTICE ${progress}, ${sqlLiteral(spec.label)}, total_rows, batch_to;${pause}
    SELECT min(${key}) INTO batch_from FROM ${table} WHERE ${key} > batch_to;
  END LOOP;
END
`;
  return `DO ${dollarQuote(body)}`;
}

/**
 * Adds a condition to the statement's top-level WHERE (or adds a WHERE), found with PostgreSQL's
 * lexer. The statement's text always ends its own line before migc's syntax goes on, so a
 * trailing `-- comment` in it cannot comment out the closing parenthesis or the condition.
 */
function restrictWhere(text: string, condition: string): string {
  let depth = 0;
  let where: { start: number; end: number } | undefined;
  for (const t of scanSql(text)) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.keyword === 'WHERE') where = t;
  }
  if (!where) return `${text}\nWHERE ${condition}`;
  return `${text.slice(0, where.end)} (${followedBy(text.slice(where.end).trim(), ')')}\n  AND ${condition}`;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((l) => (l ? pad + l : l)).join('\n');
}

/** '100ms' -> 0.1, '2s' -> 2, '1min' -> 60 (PostgreSQL duration to seconds for pg_sleep). */
export function pgDurationSeconds(duration: string): number {
  const m = /^(\d+)(ms|s|min|h|d)?$/.exec(duration);
  if (!m) return 0;
  const unit: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 };
  return Number(m[1]) * unit[m[2] ?? 's']!;
}
