import { scanSql, type SqlToken } from '../sql/parser.js';
import { splitPsqlScript } from '../sql/psql.js';

/** Text as HTML: the five characters that could open markup or leave an attribute. */
export function escapeHtml(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const entity = c === 38 ? '&amp;' : c === 60 ? '&lt;' : c === 62 ? '&gt;' : c === 34 ? '&quot;' : c === 39 ? '&#39;' : undefined;
    if (entity === undefined) continue;
    out += text.slice(from, i) + entity;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** The CSS class of a token, from what PostgreSQL's lexer says it is. */
function tokenClass(token: SqlToken): string | undefined {
  if (token.keyword) return 'kw';
  switch (token.token) {
    case 'SCONST':
    case 'USCONST':
    case 'BCONST':
    case 'XCONST':
      return 'str';
    case 'ICONST':
    case 'FCONST':
      return 'num';
    case 'IDENT':
    case 'UIDENT':
      return 'id';
    case 'SQL_COMMENT':
    case 'C_COMMENT':
      return 'cmt';
    case 'PARAM':
      return 'param';
  }
  // This libpg-query names some literals UNKNOWN (B'01', X'ff', U&'x', U&"x"); a literal's token ends with its quote.
  const last = token.text.charCodeAt(token.text.length - 1);
  if (last === 39 /* ' */) return 'str';
  if (last === 34 /* " */) return 'id';
  return undefined;
}

function span(cls: string | undefined, text: string): string {
  return cls ? `<span class="${cls}">${escapeHtml(text)}</span>` : escapeHtml(text);
}

/**
 * SQL as HTML with a class per token, from PostgreSQL's own lexer (libpg-query). A dollar-quoted
 * body (a DO block, a function) is lexed again inside its quotes, so PL/pgSQL reads as code
 * too. Text the lexer refuses (an unterminated quote, say) is shown as it is, escaped.
 */
export function highlightSql(sql: string): string {
  return remembered('sql', sql, lexed);
}

function lexed(sql: string, depth = 0): string {
  let tokens: SqlToken[];
  try {
    tokens = scanSql(sql);
  } catch {
    return escapeHtml(sql);
  }
  let html = '';
  let at = 0;
  for (const token of tokens) {
    // Between tokens there is only white space: the lexer returns comments as tokens.
    html += escapeHtml(sql.slice(at, token.start));
    html += depth < 2 ? dollarQuoted(token, depth) ?? span(tokenClass(token), token.text) : span(tokenClass(token), token.text);
    at = token.end;
  }
  return html + escapeHtml(sql.slice(at));
}

/** `$tag$ body $tag$` with the body highlighted as SQL, or undefined for any other token. */
function dollarQuoted(token: SqlToken, depth: number): string | undefined {
  const text = token.text;
  if (token.token !== 'SCONST' || text.charCodeAt(0) !== 36 /* $ */) return undefined;
  const close = text.indexOf('$', 1);
  if (close < 0) return undefined;
  const tag = text.slice(0, close + 1);
  if (text.length < tag.length * 2 || !text.endsWith(tag)) return undefined;
  const body = text.slice(tag.length, text.length - tag.length);
  return `${span('str', tag)}${lexed(body, depth + 1)}${span('str', tag)}`;
}

/**
 * A psql script (an emitted up or down script) as HTML: its SQL through highlightSql, psql's
 * meta-commands (\set, \echo, ...) and COPY data marked as such, split as psql splits it.
 */
export function highlightPsql(script: string): string {
  return remembered('psql', script, psqlPieces);
}

/**
 * Highlighted texts by their source, most recent last: between two saves most scripts of a plan
 * stay the same, and so do most statements of a script that changed (a new title changes only
 * its header comment); each would otherwise be lexed again (measured: ~100 ms for one plan's
 * scripts on a loaded machine, most of it crossing into the WebAssembly lexer and back).
 */
const cache = new Map<string, string>();
const cacheLimit = 5000;

function remembered(kind: 'sql' | 'psql', text: string, highlight: (text: string) => string): string {
  const key = `${kind}\0${text}`;
  const known = cache.get(key);
  if (known !== undefined) {
    cache.delete(key);
    cache.set(key, known);
    return known;
  }
  const html = highlight(text);
  cache.set(key, html);
  if (cache.size > cacheLimit) cache.delete(cache.keys().next().value!);
  return html;
}

function psqlPieces(script: string): string {
  let html = '';
  let at = 0;
  for (const piece of splitPsqlScript(script)) {
    if (piece.start < at) continue;
    // Between pieces: comments, blank lines and the semicolons that end queries.
    html += highlightSql(script.slice(at, piece.start));
    const text = script.slice(piece.start, piece.end);
    html += piece.kind === 'sql' ? highlightSql(text) : span(piece.kind === 'meta' ? 'meta' : 'data', text);
    at = piece.end;
  }
  return html + highlightSql(script.slice(at));
}
