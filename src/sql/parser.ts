import { setFlagsFromString } from 'node:v8';
import { loadModule, parseSync, scanSync, type Node as PgNode } from 'libpg-query';

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
 * baseline tier only, and the flag is restored for any WebAssembly compiled later (PGlite).
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

/** Splits and parses SQL with PostgreSQL's own parser. Call loadSqlParser() first. */
export function parseSql(sql: string): ParseOutcome {
  let result;
  try {
    result = parseSync(sql);
  } catch (e) {
    const details = (e as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    const message = details?.message ?? (e as Error).message;
    return { ok: false, message, offset: Math.max(0, Math.min(details?.cursorPosition ?? 0, sql.length)) };
  }
  const statements: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    const from = raw.stmt_location ?? 0;
    const to = raw.stmt_len ? from + raw.stmt_len : sql.length;
    const chunk = sql.slice(from, to);
    const lead = chunk.length - chunk.trimStart().length;
    const text = chunk.trim().replace(/;$/, '').trimEnd();
    statements.push({ text, start: from + lead, end: from + lead + text.length, ast: raw.stmt! });
  }
  return { ok: true, statements };
}

export interface SqlToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Keyword name in upper case (WHERE, SELECT), or undefined for identifiers, literals and symbols. */
  readonly keyword?: string;
}

/** PostgreSQL's own lexer: tokens with offsets, comments and whitespace left out. */
export function scanSql(sql: string): SqlToken[] {
  return scanSync(sql).tokens.map((t) => ({
    text: t.text,
    start: t.start,
    end: t.end,
    ...(t.keywordKind > 0 ? { keyword: t.text.toUpperCase() } : {}),
  }));
}

/** Whether a bare word is a reserved keyword that must be quoted as an identifier. */
export function isReservedWord(word: string): boolean {
  const tokens = scanSync(word).tokens;
  return tokens.length === 1 && tokens[0]!.keywordKind > 1;
}
