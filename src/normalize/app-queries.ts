import { parseDocument, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { parseSql, scanSql, type PgNode } from '../sql/parser.js';
import type { AppQuery } from './model.js';

/** A query file could not be read as queries: why, and the line it is about (1-based). */
export interface QueryFileProblem {
  readonly line: number;
  readonly message: string;
}

/** Statements an app sends that the compatibility check judges; the rest (SET, BEGIN) are left out. */
const queryKinds = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * The queries of one file an app version names: a .sql file (statements, with $1 or :name
 * parameters), or a pg_stat_statements export as .csv (with a query column) or .json (an
 * array of rows with a query field, or { "rows": [...] }). Each query keeps the line it starts
 * on, so a finding can say file:line.
 */
export function readAppQueries(file: string, text: string): { queries: AppQuery[]; problems: QueryFileProblem[] } {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return fromTexts(file, csvQueries(text));
  if (lower.endsWith('.json')) return fromTexts(file, jsonQueries(text));
  return sqlQueries(file, text);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Turns :name parameters (as ORMs and psql write them) into $1, $2 ... for PostgreSQL's parser,
 * with the lexer: a ':' token right before a word is a parameter; '::' is a cast, its own token.
 * The same name is the same parameter, within one statement.
 */
export function numberNamedParameters(sql: string): string {
  let tokens;
  try {
    tokens = scanSql(sql);
  } catch {
    return sql;
  }
  let out = '';
  let from = 0;
  // Each statement numbers its own parameters: a ';' token ends one (inside a string it is no token).
  for (let start = 0; start < tokens.length;) {
    let end = start;
    while (end < tokens.length && tokens[end]!.text !== ';') end++;
    const numbers = new Map<string, number>();
    let highest = 0;
    for (let i = start; i < end; i++) if (/^\$\d+$/.test(tokens[i]!.text)) highest = Math.max(highest, Number(tokens[i]!.text.slice(1)));
    for (let i = start; i + 1 < end; i++) {
      const colon = tokens[i]!;
      const word = tokens[i + 1]!;
      if (colon.text !== ':' || word.start !== colon.end || !(word.identifier || word.keyword)) continue;
      if (!numbers.has(word.text)) numbers.set(word.text, ++highest);
      out += `${sql.slice(from, colon.start)}$${numbers.get(word.text)}`;
      from = word.end;
      i++;
    }
    start = end + 1;
  }
  return out + sql.slice(from);
}

/** The parameter numbers a statement uses ($n), from its parse tree. */
function parameterNumbers(node: unknown, into = new Set<number>()): Set<number> {
  if (Array.isArray(node)) for (const n of node) parameterNumbers(n, into);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'ParamRef') into.add((value as { number?: number }).number ?? 0);
      else parameterNumbers(value, into);
    }
  }
  return into;
}

/**
 * Why PostgreSQL could not prepare the statement whatever the schema: a parameter number left
 * out ($2 without $1) has no type it could infer.
 */
function parameterGap(ast: PgNode): string | undefined {
  const used = parameterNumbers(ast);
  const highest = Math.max(0, ...used);
  for (let n = 1; n <= highest; n++) {
    if (!used.has(n)) return `uses $${highest} but not $${n}, so PostgreSQL cannot determine the type of $${n} and refuses to prepare it`;
  }
  return undefined;
}

function sqlQueries(file: string, text: string): { queries: AppQuery[]; problems: QueryFileProblem[] } {
  const numbered = numberNamedParameters(text);
  // $n replaces :name on the same line, so lines in the numbered text are the file's lines.
  const original = parseSql(numbered);
  if (!original.ok) return { queries: [], problems: [{ line: lineAt(numbered, original.offset), message: `SQL syntax error: ${original.message}` }] };
  const queries: AppQuery[] = [];
  const problems: QueryFileProblem[] = [];
  for (const s of original.statements) {
    if (!queryKinds.has(Object.keys(s.ast)[0]!)) continue;
    const gap = parameterGap(s.ast);
    if (gap) problems.push({ line: lineAt(numbered, s.start), message: `the query ${gap}` });
    else queries.push({ file, line: lineAt(numbered, s.start), text: s.text, ast: s.ast });
  }
  if (queries.length === 0 && problems.length === 0) problems.push({ line: 1, message: 'holds no query (SELECT, INSERT, UPDATE, DELETE or MERGE)' });
  return { queries, problems };
}

/** Query texts with their lines, from an export, each parsed on its own. */
function fromTexts(file: string, found: { texts: { text: string; line: number }[]; problem?: QueryFileProblem }): { queries: AppQuery[]; problems: QueryFileProblem[] } {
  const queries: AppQuery[] = [];
  const problems: QueryFileProblem[] = found.problem ? [found.problem] : [];
  for (const { text, line } of found.texts) {
    const parsed = parseSql(numberNamedParameters(text));
    if (!parsed.ok) {
      // pg_stat_statements cuts texts at track_activity_query_size: say so rather than guess.
      problems.push({ line, message: `the query does not parse (${parsed.message}); a pg_stat_statements text cut at track_activity_query_size looks like this` });
      continue;
    }
    for (const s of parsed.statements) {
      if (!queryKinds.has(Object.keys(s.ast)[0]!)) continue;
      const gap = parameterGap(s.ast);
      if (gap) problems.push({ line, message: `the query ${gap}` });
      else queries.push({ file, line, text: s.text, ast: s.ast as PgNode });
    }
  }
  if (queries.length === 0 && problems.length === 0) problems.push({ line: 1, message: 'holds no query (SELECT, INSERT, UPDATE, DELETE or MERGE)' });
  return { queries, problems };
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function csvRecords(text: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
      continue;
    }
    if (c === '"') {
      quoted = true;
      started = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      started = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') continue;
      if (started || field !== '') records.push({ fields: [...fields, field], line: recordLine });
      fields = [];
      field = '';
      started = false;
      recordLine = c === '\r' ? line + 1 : line;
    } else {
      field += c;
      started = true;
    }
  }
  if (started || field !== '') records.push({ fields: [...fields, field], line: recordLine });
  return records;
}

function csvQueries(text: string): { texts: { text: string; line: number }[]; problem?: QueryFileProblem } {
  const [header, ...rows] = csvRecords(text.replace(/^\uFEFF/, ''));
  const column = header?.fields.findIndex((f) => f.trim().toLowerCase() === 'query') ?? -1;
  if (!header || column < 0) return { texts: [], problem: { line: 1, message: 'has no "query" column in its header line (export pg_stat_statements with a header: \\copy (SELECT query, calls FROM pg_stat_statements) TO ... CSV HEADER)' } };
  return { texts: rows.filter((r) => (r.fields[column] ?? '').trim() !== '').map((r) => ({ text: r.fields[column]!, line: r.line })) };
}

function jsonQueries(text: string): { texts: { text: string; line: number }[]; problem?: QueryFileProblem } {
  // YAML reads JSON and keeps where each value starts, for file:line.
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length) return { texts: [], problem: { line: doc.errors[0]!.linePos?.[0]?.line ?? 1, message: `is not valid JSON: ${doc.errors[0]!.message.split('\n')[0]}` } };
  let rows: YamlNode | null | undefined = doc.contents as YamlNode | null;
  if (isMap(rows)) rows = rows.get('rows', true) as YamlNode | undefined;
  if (!isSeq(rows)) return { texts: [], problem: { line: 1, message: 'is not an array of pg_stat_statements rows (or { "rows": [...] }) with a "query" field' } };
  const texts: { text: string; line: number }[] = [];
  for (const item of rows.items) {
    const q = isMap(item) ? item.get('query', true) : undefined;
    if (isScalar(q) && typeof q.value === 'string' && q.value.trim() !== '') texts.push({ text: q.value, line: lineAt(text, q.range?.[0] ?? 0) });
  }
  if (texts.length === 0) return { texts, problem: { line: 1, message: 'has no row with a "query" field' } };
  return { texts };
}
