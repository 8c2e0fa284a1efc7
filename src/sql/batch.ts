import { scanSql, type ParsedStatement } from './parser.js';
import { dollarQuote, followedBy, quoteIdent, sqlLiteral } from './quote.js';
import { node } from './node.js';

export interface BatchSpec {
  readonly size: number;
  readonly key: string;
  /** PostgreSQL duration between batches, or undefined for none. */
  readonly pause?: string;
  /** Shown in progress notices. */
  readonly label: string;
  /**
   * The row of public.migc_ledger (see src/emit/sql/ledger.ts) that records the loop: it is
   * marked started before the first batch, holds the last key done after each batch (committed
   * with it), and is marked done after the last. A done loop is skipped; an interrupted one goes
   * on after its last key. A rollback's loop (part "down N") runs only if its step ran.
   */
  readonly ledger?: { readonly plan: string; readonly phase: string; readonly step: string; readonly part: string };
}

type RangeVar = { schemaname?: string; relname: string; alias?: { aliasname?: string } };

/**
 * The table a batched statement walks by its key: an UPDATE's or a DELETE's own, or the one table
 * an INSERT ... SELECT copies from. Undefined for a statement that cannot be batched (batchProblem).
 */
export function walkedTable(ast: ParsedStatement['ast']): RangeVar | undefined {
  const [kind, body] = node(ast);
  if (kind === 'UpdateStmt' || kind === 'DeleteStmt') return body.relation as RangeVar;
  if (kind !== 'InsertStmt') return undefined;
  const from = body.selectStmt?.SelectStmt?.fromClause as { RangeVar?: RangeVar }[] | undefined;
  return from?.length === 1 ? from[0]!.RangeVar : undefined;
}

/** A table of the parse tree as SQL names it: schema-qualified when it was, each part quoted as it needs. */
export function relationSql(rel: { readonly schemaname?: string; readonly relname: string }): string {
  return rel.schemaname ? `${quoteIdent(rel.schemaname)}.${quoteIdent(rel.relname)}` : quoteIdent(rel.relname);
}

/** Why a statement cannot be batched, or undefined when it can. */
export function batchProblem(statement: ParsedStatement): string | undefined {
  const [kind, body] = Object.entries(statement.ast)[0] as [string, Record<string, any>];
  if (kind !== 'UpdateStmt' && kind !== 'DeleteStmt' && kind !== 'InsertStmt') return `a batched step runs one UPDATE, DELETE or INSERT ... SELECT; this is ${kind.replace(/Stmt$/, '').toUpperCase()}`;
  // PostgreSQL 18's parse tree calls it returningClause; earlier versions returningList.
  if (body.returningClause || body.returningList) return 'RETURNING has no use in a batched step';
  if (body.withClause) return 'a batched statement cannot start with WITH; move the CTE into a subquery';
  if (kind === 'InsertStmt') return insertProblem(body.selectStmt?.SelectStmt);
  return undefined;
}

/** An INSERT is batched by the key of the one table its SELECT reads, each batch a range of that key. */
function insertProblem(select: Record<string, any> | undefined): string | undefined {
  const shape = 'a batched INSERT copies rows from one table: INSERT INTO target (columns) SELECT ... FROM source [WHERE ...]';
  if (!select || select.valuesLists) return `${shape}; INSERT ... VALUES writes its rows at once, with nothing to batch`;
  if (select.op && select.op !== 'SETOP_NONE') return `${shape}; UNION, INTERSECT and EXCEPT would apply to each batch alone`;
  if (select.withClause) return `${shape}; move the WITH into a subquery`;
  const from = (select.fromClause ?? []) as Record<string, unknown>[];
  if (from.length !== 1 || !from[0]!.RangeVar) return `${shape}; this one reads ${from.length === 0 ? 'no table' : from.length > 1 || from[0]!.JoinExpr ? 'several tables (join the others in a subquery of the select list or the WHERE)' : 'a subquery or a function'}`;
  const perBatch: [string, string][] = [['distinctClause', 'DISTINCT'], ['groupClause', 'GROUP BY'], ['havingClause', 'HAVING'], ['windowClause', 'WINDOW'], ['sortClause', 'ORDER BY'], ['limitCount', 'LIMIT'], ['limitOffset', 'OFFSET'], ['lockingClause', 'FOR UPDATE']];
  const found = perBatch.filter(([field]) => select[field] !== undefined).map(([, words]) => words);
  if (found.length) return `${shape}; ${found.join(', ')} would apply to each batch alone`;
  return undefined;
}

/**
 * Compiles a single UPDATE, DELETE or INSERT ... SELECT into a DO block that walks a table's key
 * (the changed table's, or the table the INSERT copies from) in ranges of `size` rows, runs the
 * statement restricted to each range, and commits after each batch. The statement's own WHERE is
 * kept: batches only narrow it. Keyset ranges always terminate, even when the WHERE still matches
 * rows the statement already changed. After each batch a notice says the rows changed, the rate
 * and the time left, estimated from the walked table's row count in pg_class (reltuples) and the
 * keys walked so far.
 */
export function compileBatch(statement: ParsedStatement, spec: BatchSpec): string {
  const rel = walkedTable(statement.ast)!;
  const inserts = 'InsertStmt' in statement.ast;
  const table = relationSql(rel);
  const key = quoteIdent(spec.key);
  const qualifiedKey = `${rel.alias?.aliasname ? quoteIdent(rel.alias.aliasname) : table}.${key}`;
  const range = `${qualifiedKey} >= batch_from AND ${qualifiedKey} <= batch_to`;
  const restricted = restrictWhere(statement.text, range);
  const changed = inserts ? 'inserted' : 'changed';
  const pause = spec.pause ? `\n    PERFORM pg_sleep(${pgDurationSeconds(spec.pause)});` : '';
  const label = sqlLiteral(spec.label);
  const keyName = sqlLiteral(spec.key);
  const l = spec.ledger;
  const row = l ? `plan_id = ${sqlLiteral(l.plan)} AND phase = ${sqlLiteral(l.phase)} AND step = ${sqlLiteral(l.step)}` : '';
  const part = l ? `${row} AND part = ${sqlLiteral(l.part)}` : '';
  const start = l ? `
  IF EXISTS (SELECT FROM public.migc_ledger WHERE ${part} AND done) THEN
    RAISE NOTICE 'migc: %: done already: skipped', ${label};
    RETURN;
  END IF;${l.part.startsWith('down ') ? `
  IF NOT EXISTS (SELECT FROM public.migc_ledger WHERE ${row} AND part NOT LIKE 'down %' AND part <> 'undone') THEN
    RAISE NOTICE 'migc: %: the step did not run: nothing to undo', ${label};
    RETURN;
  END IF;` : ''}
  INSERT INTO public.migc_ledger (plan_id, phase, step, part, done) VALUES (${sqlLiteral(l.plan)}, ${sqlLiteral(l.phase)}, ${sqlLiteral(l.step)}, ${sqlLiteral(l.part)}, false)
    ON CONFLICT (plan_id, phase, step, part) DO NOTHING;
  SELECT resume_after INTO resume FROM public.migc_ledger WHERE ${part};
  COMMIT;` : '';
  const resumeFrom = l ? `
  IF resume IS NOT NULL THEN
    batch_to := resume;
    SELECT count(*) INTO keys_before FROM ${table} WHERE ${key} <= batch_to;
    SELECT min(${key}) INTO batch_from FROM ${table} WHERE ${key} > batch_to;
    RAISE NOTICE 'migc: %: going on after % = %, where an earlier run stopped', ${label}, ${keyName}, resume;
  ELSE
    SELECT min(${key}) INTO batch_from FROM ${table};
  END IF;` : `
  SELECT min(${key}) INTO batch_from FROM ${table};`;
  const record = l ? `
    UPDATE public.migc_ledger SET resume_after = batch_to::text WHERE ${part};` : '';
  const finish = l ? `
  UPDATE public.migc_ledger SET done = true, resume_after = NULL WHERE ${part};
  COMMIT;` : '';
  const body = `
DECLARE
  batch_from ${table}.${key}%TYPE;
  batch_to ${table}.${key}%TYPE;
  batch_rows bigint;
  batch_keys bigint;
  batches bigint := 0;
  total_rows bigint := 0;
  keys_before bigint := 0;
  keys_walked bigint := 0;
  estimate double precision;
  elapsed double precision;
  started timestamptz := clock_timestamp();
  resume text;
BEGIN${start}${resumeFrom}
  SELECT c.reltuples INTO estimate FROM pg_class c WHERE c.oid = ${sqlLiteral(table)}::regclass;
  WHILE batch_from IS NOT NULL LOOP
    SELECT max(batch_key), count(*) INTO batch_to, batch_keys
      FROM (SELECT ${key} AS batch_key FROM ${table} WHERE ${key} >= batch_from ORDER BY ${key} LIMIT ${spec.size}) AS batch;
${indent(restricted, 4)};
    GET DIAGNOSTICS batch_rows = ROW_COUNT;
    total_rows := total_rows + batch_rows;
    keys_walked := keys_walked + batch_keys;
    batches := batches + 1;${record}
    COMMIT;
    elapsed := greatest(extract(epoch FROM clock_timestamp() - started)::double precision, 0.001);
    RAISE NOTICE 'migc: %: batch %: % rows ${changed} (% in all), % rows/s, %, % up to %', ${label}, batches, batch_rows, total_rows, round((total_rows / elapsed)::numeric),
      CASE WHEN estimate > 0 AND estimate > keys_before + keys_walked
        THEN format('about %s s left (%s of about %s rows walked)', round(((estimate - keys_before - keys_walked) * elapsed / keys_walked)::numeric), keys_before + keys_walked, round(estimate::numeric))
        WHEN estimate > 0 THEN 'nearly done'
        ELSE 'time left unknown (the table has no row estimate: ANALYZE it)' END,
      ${keyName}, batch_to;${pause}
    SELECT min(${key}) INTO batch_from FROM ${table} WHERE ${key} > batch_to;
  END LOOP;${finish}
  RAISE NOTICE 'migc: %: done: % rows ${changed} in % batches, % s', ${label}, total_rows, batches, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
END
`;
  return `DO ${dollarQuote(body)}`;
}

/**
 * Adds a condition to the statement's top-level WHERE (or adds a WHERE), found with PostgreSQL's
 * lexer: an UPDATE's or DELETE's, or the SELECT's of an INSERT, which ends where its ON CONFLICT
 * clause begins (that clause's own WHERE is left alone). The statement's text always ends its own
 * line before migc's syntax goes on, so a trailing `-- comment` in it cannot comment out the
 * closing parenthesis or the condition.
 */
function restrictWhere(text: string, condition: string): string {
  let depth = 0;
  let where: { start: number; end: number } | undefined;
  let end = text.length;
  const tokens = scanSql(text);
  for (const [i, t] of tokens.entries()) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.keyword === 'ON' && tokens[i + 1]?.keyword === 'CONFLICT') {
      end = t.start;
      break;
    } else if (depth === 0 && t.keyword === 'WHERE') where = t;
  }
  const rest = end < text.length ? `\n${text.slice(end)}` : '';
  const head = text.slice(0, end).trimEnd();
  if (!where) return `${head}\nWHERE ${condition}${rest}`;
  return `${head.slice(0, where.end)} (${followedBy(head.slice(where.end).trim(), ')')}\n  AND ${condition}${rest}`;
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
