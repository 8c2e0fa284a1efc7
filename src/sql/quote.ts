import { isReservedWord, scanSql } from './parser.js';

/**
 * Every way to put text into a SQL script goes through this file: prose as comment lines
 * (sqlComment), text as a string literal (sqlLiteral), a body as a dollar-quoted string
 * (dollarQuote), names as identifiers (quoteIdent). None of them can be broken out of,
 * whatever the text holds: psql and PostgreSQL see exactly what migc meant.
 */

/**
 * Line terminators: CR, LF and CRLF end a `--` comment for PostgreSQL and psql; the others
 * (vertical tab, form feed, NEL, line and paragraph separators) are line breaks in editors and
 * terminals, where a reader would take what follows for SQL. Each one starts a new line.
 */
const lineTerminator = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/**
 * Characters a reader cannot see, or that change how a line looks: C0 and C1 controls (tab
 * excepted), DEL, and the bidirectional formatting characters (reordered text, "Trojan Source").
 */
const invisible = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `<U+001B>` for a character a reader could not otherwise see. */
function codePoint(ch: string): string {
  return `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** Text as lines of plain characters: split at every line terminator, invisible ones shown. */
export function visibleLines(text: string): string[] {
  return text.split(lineTerminator).map((line) => line.replace(invisible, codePoint));
}

/**
 * Text as SQL comment lines, `-- ` each, joined by newlines: every line terminator in the text
 * starts a new comment line, so nothing in it can end the comment; control characters are shown
 * as <U+XXXX>. Inside a `--` comment, psql takes no backslash command and `*` `/` end nothing.
 */
export function sqlComment(text: string | readonly string[]): string {
  const lines = (typeof text === 'string' ? [text] : text).flatMap((t) => visibleLines(t.replace(/\s+$/, '')));
  return lines.map((l) => (l.trimEnd() ? `-- ${l.trimEnd()}` : '--')).join('\n');
}

/** Text on one line for a message: line breaks become spaces, invisible characters shown. */
export function oneLine(text: string): string {
  return visibleLines(text.trim()).map((l) => l.trim()).filter(Boolean).join(' ');
}

/** Characters that make a literal need the escape form: backslashes and ASCII controls. */
const needsEscape = /[\\\u0000-\u001f\u007f]/;

/**
 * A SQL string literal: 'it''s'. Text with a backslash or an ASCII control character (a line
 * break, a tab) becomes an escape string (E'a\nb'), which reads the same whatever
 * standard_conforming_strings is set to (a plain '\' would end early with it off) and keeps the
 * script's lines plain. The text is kept as it is, except NUL, which no PostgreSQL string can
 * hold: it is written <U+0000>.
 */
export function sqlLiteral(text: string): string {
  if (!needsEscape.test(text)) return `'${text.replace(/'/g, "''")}'`;
  const body = text.replace(/[\\'\u0000-\u001f\u007f]/g, (ch) => {
    switch (ch) {
      case '\\': return '\\\\';
      case "'": return "''";
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      case '\b': return '\\b';
      case '\f': return '\\f';
      case '\u0000': return '<U+0000>';
      default: return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
  return `E'${body}'`;
}

/** An identifier, always quoted: for catalog names read back from the server, any spelling. */
export function quoteIdentAlways(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An identifier, quoted only when it must be: users, "Users", "order". */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !isReservedWord(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * A name as the analysis keeps it (schema.table, table.column, schema.table.column: each part as
 * PostgreSQL folded or kept it, joined by dots; tableKey in schema-state.ts leaves `public.` out),
 * written back as SQL: users, app.orders, "Step", app."Order", "User"."emailAddress". Every name a
 * message, help, report or checklist shows goes through here (or quoteIdent for one part): in a
 * recipe it must run as written, and in prose `User` would read as the table user. A part that
 * holds a dot cannot be told from two parts in the analysis's keys: it shows as two.
 */
export function quoteName(dotted: string): string {
  return dotted.split('.').map(quoteIdent).join('.');
}

/**
 * A type's name (the analysis's key, pg_catalog left out) as SQL writes it: built-in types are
 * keywords written bare (timestamp, numeric, interval), so only a name that folding would change
 * or that holds another character is quoted: "Role", app."Status".
 */
export function quoteTypeName(dotted: string): string {
  return dotted.split('.').map((part) => (/^[a-z_][a-z0-9_$]*$/.test(part) ? part : quoteIdentAlways(part))).join('.');
}

/** A column of a table as SQL writes it: users.email, "User"."emailAddress", app."Order".id. */
export function quoteColumn(table: string, column: string): string {
  return `${quoteName(table)}.${quoteIdent(column)}`;
}

/**
 * A dollar-quote tag that cannot end early around any of the bodies: it occurs in none of them,
 * and no body's end runs into it ("...$migc" followed by "$migc$" would close one `$` early).
 */
export function dollarTag(base: string, ...bodies: string[]): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base)) throw new Error(`not a dollar-quote tag: ${base}`);
  for (let i = 0; ; i++) {
    const tag = `$${base}${i === 0 ? '' : i}$`;
    if (!bodies.some((b) => `${b}${tag}`.indexOf(tag) !== b.length)) return tag;
  }
}

/** A body as a dollar-quoted string, $migc$...$migc$, with a tag the body cannot close. */
export function dollarQuote(body: string, base = 'migc'): string {
  const tag = dollarTag(base, body);
  return `${tag}${body}${tag}`;
}

/**
 * SQL text followed by one token of migc's (`;`, `)`): on the same line, unless the text ends in
 * a `-- comment`, which would swallow the token; then on a line of its own. PostgreSQL's lexer
 * decides, not a pattern.
 */
export function followedBy(text: string, token: string): string {
  // Only a comment can swallow the token, and a comment starts with -- or /*: text without
  // either (most statements, and migc's own) needs no lexer. Otherwise one scan: the token is
  // kept when the lexer reads it as a token of its own, right where it was put.
  if (!text.includes('--') && !text.includes('/*')) return `${text}${token}`;
  const last = scanSql(`${text}${token}`).at(-1);
  return last?.text === token && last.start === text.length ? `${text}${token}` : `${text}\n${token}`;
}

/** A statement with its semicolon, as a script holds it (see followedBy). */
export function terminated(statement: string): string {
  return followedBy(statement, ';');
}
