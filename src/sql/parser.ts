import { setFlagsFromString } from 'node:v8';
import { loadModule, parsePlPgSQLSync, parseSync, scanSync, type Node as PgNode } from 'libpg-query';
import { offsetMap } from './offsets.js';

export type { PgNode };

/** One statement of a SQL text, located by offsets into that text. */
export interface ParsedStatement {
  /** The statement's own text: no leading blank lines, no trailing semicolon. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly ast: PgNode;
}

export type ParseOutcome =
  | { readonly ok: true; readonly statements: readonly ParsedStatement[] }
  | { readonly ok: false; readonly message: string; readonly offset: number };

let ready: Promise<void> | undefined;

/**
 * The PostgreSQL parser is WebAssembly and must be loaded once before parsing.
 * V8 would also compile its 1.7 MB module with the optimizing tier in the background, which
 * keeps a short `migc check` alive ~70 ms longer and parses no faster (measured: 18 vs 20 µs a
 * statement; the cost is on the JavaScript side). So this one module is compiled with the
 * baseline tier only. `--liftoff-only` also turns off V8's tiering (`--wasm-tier-up`,
 * `--wasm-dynamic-tiering`), which `--no-liftoff-only` does not turn back on; that is kept: with
 * them back on, V8 optimized the parser's hot functions on a second thread after all (a `check`
 * took twice as long), and PGlite, compiled later, spent more CPU on a rehearsal, not less.
 */
export function loadSqlParser(): Promise<void> {
  ready ??= (async () => {
    setFlagsFromString('--liftoff-only');
    try {
      await loadModule();
    } finally {
      setFlagsFromString('--no-liftoff-only');
    }
  })();
  return ready;
}

/**
 * Splits and parses SQL with PostgreSQL's own parser. Call loadSqlParser() first. Offsets are
 * string indices into `sql` (the parser's byte and character positions are converted here).
 */
export function parseSql(sql: string): ParseOutcome {
  // The parser refuses an empty string; an empty text holds no statement, like one of comments.
  if (sql === '') return { ok: true, statements: [] };
  let result;
  try {
    result = parseSync(sql);
  } catch (e) {
    const details = (e as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    const offset = offsetMap(sql).fromCodePoint(Math.max(0, details?.cursorPosition ?? 0));
    return { ok: false, message: namingInvisible(details?.message ?? (e as Error).message), offset };
  }
  const map = offsetMap(sql);
  const statements: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    const fromByte = raw.stmt_location ?? 0;
    const from = map.fromByte(fromByte);
    const to = raw.stmt_len ? map.fromByte(fromByte + raw.stmt_len) : sql.length;
    // Only PostgreSQL's own white space separates statements: a no-break space, say, is part of
    // an identifier to the server and must stay in the statement's text.
    let start = from;
    let end = to;
    while (start < end && isSqlSpace(sql.charCodeAt(start))) start++;
    while (end > start && isSqlSpace(sql.charCodeAt(end - 1))) end--;
    if (end > start && sql.charCodeAt(end - 1) === 59 /* ; */) {
      end--;
      while (end > start && isSqlSpace(sql.charCodeAt(end - 1))) end--;
    }
    statements.push({ text: sql.slice(start, end), start, end, ast: raw.stmt! });
  }
  return { ok: true, statements };
}

/**
 * What PostgreSQL's PL/pgSQL compiler makes of a function body: its JSON tree, as libpg-query
 * gives it (PLpgSQL_function, its statements PLpgSQL_stmt_*; untyped there, read in
 * src/sql/plpgsql.ts). Statement line numbers count from the body's first line.
 */
export type PlpgsqlOutcome =
  | { readonly ok: true; readonly functions: readonly Record<string, unknown>[] }
  | { readonly ok: false; readonly message: string };

/**
 * Compiles the PL/pgSQL of a DO statement (or of CREATE FUNCTION ... LANGUAGE plpgsql) with
 * PostgreSQL's own PL/pgSQL parser, which also checks the syntax of the SQL statements in it.
 * Call loadSqlParser() first. The whole statement is given, as written.
 */
export function parsePlpgsql(statement: string): PlpgsqlOutcome {
  try {
    const result = parsePlPgSQLSync(statement) as unknown as { plpgsql_funcs?: Record<string, unknown>[] };
    return { ok: true, functions: result.plpgsql_funcs ?? [] };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/**
 * A text PostgreSQL's parser rejects as a whole, read statement by statement: split where its
 * lexer (PostgreSQL's own) finds a semicolon outside brackets, each statement parsed on its own.
 * The server runs the statements before and after a broken one (psql without ON_ERROR_STOP), and a
 * linter should judge them too. Undefined when the text cannot be split so: the lexer fails (an
 * unterminated quote), or it holds a BEGIN ATOMIC body, whose inner semicolons belong to it.
 */
export function parseEachStatement(sql: string): { statements: ParsedStatement[]; errors: { message: string; offset: number }[] } | undefined {
  let tokens: SqlToken[];
  try {
    tokens = scanSql(sql);
  } catch {
    return undefined;
  }
  if (tokens.some((t, i) => t.keyword === 'BEGIN' && tokens[i + 1]?.keyword === 'ATOMIC')) return undefined;
  const pieces: { start: number; end: number }[] = [];
  let depth = 0;
  let start = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') depth++;
    else if ((t.text === ')' || t.text === ']') && depth > 0) depth--;
    else if (t.text === ';' && depth === 0) {
      pieces.push({ start, end: t.end });
      start = t.end;
    }
  }
  pieces.push({ start, end: sql.length });
  const statements: ParsedStatement[] = [];
  const errors: { message: string; offset: number }[] = [];
  for (const piece of pieces) {
    const parsed = parseSql(sql.slice(piece.start, piece.end));
    if (!parsed.ok) errors.push({ message: parsed.message, offset: piece.start + parsed.offset });
    else for (const st of parsed.statements) statements.push({ ...st, start: st.start + piece.start, end: st.end + piece.start });
  }
  return { statements, errors };
}

/** Characters a reader cannot see (or tell from a space) that PostgreSQL takes as part of a word. */
const invisible: Readonly<Record<string, string>> = {
  '\uFEFF': 'U+FEFF, a byte order mark: an editor saved the file as "UTF-8 with BOM"; save it as plain UTF-8',
  '\u00A0': 'U+00A0, a no-break space: PostgreSQL separates words only with plain spaces, tabs and line breaks; retype it as a space',
  '\u200B': 'U+200B, a zero-width space: delete it',
  '\u200C': 'U+200C, a zero-width non-joiner: delete it',
  '\u200D': 'U+200D, a zero-width joiner: delete it',
  '\u2060': 'U+2060, a word joiner: delete it',
  '\u202F': 'U+202F, a narrow no-break space: retype it as a space',
  '\u3000': 'U+3000, an ideographic space: retype it as a space',
};

/**
 * The parser's message, with the invisible characters in the text it quotes named: `syntax error
 * at or near "﻿"` shows as an empty pair of quotes otherwise.
 */
function namingInvisible(message: string): string {
  const named = [...new Set([...message].filter((c) => invisible[c]))];
  return named.length ? `${message} (${named.map((c) => invisible[c]).join('; ')})` : message;
}

/** Space, tab, line feed, carriage return, form feed, vertical tab: white space to PostgreSQL's scanner. */
function isSqlSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export interface SqlToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Keyword name in upper case (WHERE, SELECT), or undefined for identifiers, literals and symbols. */
  readonly keyword?: string;
  /** An identifier, quoted or not, as written (the lexer's IDENT; not a keyword used as a name). */
  readonly identifier?: true;
  /** The lexer's token name (SCONST, ICONST, SQL_COMMENT, ...; UNKNOWN for keywords and some symbols). */
  readonly token: string;
}

/** PostgreSQL's own lexer: tokens with offsets; white space is left out, comments are tokens (SQL_COMMENT, C_COMMENT). */
export function scanSql(sql: string): SqlToken[] {
  const map = offsetMap(sql);
  return scanSync(sql).tokens.map((t) => ({
    text: t.text,
    start: map.fromByte(t.start),
    end: map.fromByte(t.end),
    token: t.tokenName,
    ...(t.keywordKind > 0 ? { keyword: t.text.toUpperCase() } : {}),
    ...(t.tokenName === 'IDENT' ? { identifier: true as const } : {}),
  }));
}

/**
 * Where a dotted name the parser located starts and ends in a statement's text, as string
 * offsets: `location` is the parser's byte offset of its first part, in this very text (parse the
 * statement's text on its own for it), and the name runs over `parts` parts and the dots between
 * them, as PostgreSQL's lexer reads them. Undefined when no token starts there.
 */
export function nameSpanAt(text: string, location: number, parts: number): { start: number; end: number } | undefined {
  if (location < 0) return undefined;
  const start = offsetMap(text).fromByte(location);
  const tokens = scanSql(text);
  let i = tokens.findIndex((token) => token.start === start);
  if (i === -1) return undefined;
  let end = tokens[i]!.end;
  for (let left = parts - 1; left > 0 && tokens[i + 1]?.text === '.' && tokens[i + 2]; left--, i += 2) end = tokens[i + 2]!.end;
  return { start, end };
}

const reservedWords = new Map<string, boolean>();

/**
 * Whether a bare word is a reserved keyword that must be quoted as an identifier. Kept per word:
 * the help of thousands of findings names the same few tables, and each answer is a call into the
 * parser's WebAssembly.
 */
export function isReservedWord(word: string): boolean {
  // No PostgreSQL keyword has a digit: t16_c12_idx needs no lexer to be told apart.
  if (/\d/.test(word)) return false;
  let reserved = reservedWords.get(word);
  if (reserved === undefined) {
    const tokens = scanSync(word).tokens;
    reserved = tokens.length === 1 && tokens[0]!.keywordKind > 1;
    if (reservedWords.size < 10_000) reservedWords.set(word, reserved);
  }
  return reserved;
}
