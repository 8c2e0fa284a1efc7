import { scanSql } from '../../sql/parser.js';
import type { StatementRule } from '../sql/context.js';
import { quoteIdent } from '../../sql/quote.js';

/** NAMEDATALEN - 1 in a default build: the longest identifier, in bytes. */
const maxBytes = 63;

/** The identifier as PostgreSQL keeps it: cut to 63 bytes without splitting a character. */
function truncate(name: string): string {
  let bytes = 0;
  let out = '';
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * The identifiers of a statement longer than 63 bytes, each once, in order. PostgreSQL's lexer
 * truncates them before the parser sees them, so the parse tree holds the cut names: the
 * identifier tokens of its lexer are read instead. A quoted identifier keeps its case and
 * doubled quotes stand for one; an unquoted one is folded to lower case (ASCII letters only).
 */
function longIdentifiers(text: string): string[] {
  if (!mayHoldLongIdentifier(text)) return [];
  const found = new Set<string>();
  for (const token of scanSql(text)) {
    if (!token.identifier) continue;
    const raw = token.text;
    const name = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    if (Buffer.byteLength(name) > maxBytes) found.add(name);
  }
  return [...found];
}

/**
 * Whether the lexer needs asking: a long identifier is either quoted, or a run of more than 63
 * bytes of identifier characters (letters, digits, _, $, anything outside ASCII). One pass over
 * the text; most statements have neither, and lexing every statement cost more than all the
 * other rules together.
 */
function mayHoldLongIdentifier(text: string): boolean {
  if (text.includes('"')) return true;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const identifier = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
    // A UTF-16 unit outside ASCII is at most 3 bytes (a surrogate pair, 4 bytes, is two units).
    run = identifier ? run + (c < 0x80 ? 1 : 3) : 0;
    if (run > maxBytes) return true;
  }
  return false;
}

export const identifierTooLong: StatementRule = {
  code: 'MG229',
  name: 'identifier-too-long',
  summary: 'An identifier longer than 63 bytes is truncated by PostgreSQL, with only a NOTICE (bytes, not characters).',
  severity: 'warning',
  check(ctx, report) {
    for (const name of longIdentifiers(ctx.text)) {
      const kept = truncate(name);
      report({
        message: `${quoteIdent(name)} is ${Buffer.byteLength(name)} bytes: PostgreSQL truncates it to the 63 bytes ${quoteIdent(kept)}, with only a NOTICE (which migration tools rarely show)`,
        help: `Choose a name of at most 63 bytes (a character outside ASCII takes 2 to 4): two long names that share their first 63 bytes are the same name, and tools that compare names find ${quoteIdent(kept)}, not what the migration wrote.`,
      });
    }
  },
};
