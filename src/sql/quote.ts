import { isReservedWord } from './parser.js';

/** A SQL string literal: 'it''s'. */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** An identifier, always quoted: for catalog names read back from the server, any spelling. */
export function quoteIdentAlways(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An identifier, quoted only when it must be: users, "Users", "order". */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !isReservedWord(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A dollar-quote tag that does not occur in any of the bodies it will wrap. */
export function dollarTag(base: string, ...bodies: string[]): string {
  for (let i = 0; ; i++) {
    const tag = `$${base}${i === 0 ? '' : i}$`;
    if (!bodies.some((b) => b.includes(tag))) return tag;
  }
}
