import { parseSql, type PgNode } from '../../sql/parser.js';
import { oneLine, terminated } from '../../sql/quote.js';
import type { ScriptStatement } from './blocks.js';
import { placeholder } from './ledger.js';

export type ScriptCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * Checks a rendered script against the statements migc meant it to run, in order: the plan's
 * own statements and migc's wrappers (SET, BEGIN/COMMIT, the DO blocks it generates). The
 * script is split with PostgreSQL's parser and each statement's parse tree compared, so
 * comments and layout may differ but nothing else: a template that lets plan text out of a
 * comment, or adds a statement or a psql backslash command (which the parser rejects), fails.
 */
export function checkScript(script: string, expected: readonly ScriptStatement[]): ScriptCheck {
  // psql and the parser both stop reading a line at NUL: what follows would go unchecked.
  const nul = script.indexOf('\u0000');
  if (nul >= 0) return { ok: false, problem: `it holds a NUL character at line ${lineOf(script, nul)}` };
  const got = parseSql(script);
  if (!got.ok) return { ok: false, problem: `it does not parse at line ${lineOf(script, got.offset)}: ${got.message}` };
  // The plan's statements are compared with their parse trees from the plan itself, so a script
  // that holds a plan statement's text wrongly cut fails too; migc's own are parsed, all at once.
  // A CALL that carries plan statements is read back from its template, which has placeholders
  // where they stand: its shape is migc's alone.
  const wrappers = expected.filter((e) => !e.ast);
  const parsedWrappers = wrappers.length ? parseSql(wrappers.map((e) => terminated(e.embedded?.template ?? e.text)).join('\n')) : { ok: true as const, statements: [] };
  if (!parsedWrappers.ok || parsedWrappers.statements.length !== wrappers.length) return { ok: false, problem: 'migc could not read back the statements it meant to write' };
  let next = 0;
  const meant = expected.map((e) => e.ast ?? parsedWrappers.statements[next++]!.ast);
  for (let i = 0; i < Math.max(got.statements.length, expected.length); i++) {
    const g = got.statements[i];
    const m = meant[i];
    const embedded = expected[i]?.embedded;
    if (g && m && (embedded ? sameWithEmbedded(g.ast, m, embedded.asts) : sameTree(g.ast, m))) continue;
    if (!g) return { ok: false, problem: `it ends before statement ${i + 1}, ${quoteStatement(expected[i]!.text)}` };
    const where = `statement ${i + 1} (line ${lineOf(script, g.start)}), ${quoteStatement(g.text)}`;
    return { ok: false, problem: m ? `${where} is not the one migc meant, ${quoteStatement(expected[i]!.text)}` : `${where} is one migc did not mean` };
  }
  return { ok: true };
}

/**
 * A CALL compared with its template: equal trees, except that where the template holds the nth
 * placeholder string, the script must hold a string that parses to exactly one statement, the
 * plan's nth, by parse tree. Every placeholder must be met, once.
 */
function sameWithEmbedded(got: PgNode, template: PgNode, asts: readonly PgNode[]): boolean {
  const met = new Set<number>();
  const walk = (g: unknown, t: unknown): boolean => {
    if (typeof t === 'string') {
      const n = placeholderNumber(t);
      if (n === undefined) return g === t;
      if (typeof g !== 'string' || n > asts.length || met.has(n)) return false;
      met.add(n);
      const parsed = parseSql(g);
      return parsed.ok && parsed.statements.length === 1 && sameTree(parsed.statements[0]!.ast, asts[n - 1]!);
    }
    if (t === null || typeof t !== 'object') return g === t;
    if (g === null || typeof g !== 'object' || Array.isArray(g) !== Array.isArray(t)) return false;
    const tk = Object.keys(t).filter((k) => !positional.has(k));
    const gk = Object.keys(g).filter((k) => !positional.has(k));
    if (tk.length !== gk.length) return false;
    return tk.every((k) => k in g && walk((g as Record<string, unknown>)[k], (t as Record<string, unknown>)[k]));
  };
  return walk(got, template) && met.size === asts.length;
}

function placeholderNumber(text: string): number | undefined {
  const m = /^migc: statement ([1-9][0-9]*)$/.exec(text);
  return m && text === placeholder(Number(m[1])) ? Number(m[1]) : undefined;
}

const positional = new Set(['location', 'stmt_location', 'stmt_len', 'list_start', 'list_end']);

/** Parse trees compared without their positions, which depend on where the text stands. */
function sameTree(a: PgNode, b: PgNode): boolean {
  return JSON.stringify(a, withoutLocations) === JSON.stringify(b, withoutLocations);
}

function withoutLocations(key: string, value: unknown): unknown {
  return positional.has(key) ? undefined : value;
}

function quoteStatement(text: string): string {
  const line = oneLine(text);
  return `"${line.length > 80 ? `${line.slice(0, 77)}...` : line}"`;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
