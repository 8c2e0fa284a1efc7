import Handlebars from 'handlebars';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ruleDocsUrl } from '../diagnostics/links.js';
import { libraryMessage } from '../diagnostics/quote.js';
import { sqlComment, sqlLiteral } from '../sql/quote.js';
import { markdownProse, markdownText } from './markdown-text.js';

import { precompiledTemplates } from './precompiled-templates.js';
import { templateNames, type TemplateName, type TemplateSources } from './template-names.js';
import { formatCount } from '../util/numbers.js';

/** A compiled template, with the file it came from (for diagnostics about what it renders). */
export interface CompiledTemplate {
  (view: unknown): string;
  readonly file: string;
}

export type Templates = Readonly<Record<TemplateName, CompiledTemplate>>;

/** A Markdown table cell: plain text shown as written (markdownText), pipes escaped, line breaks as <br>. */
export function markdownCell(text: unknown): string {
  return markdownText(text).replace(/\|/g, '\\|');
}

/**
 * Inline code on one line that survives backticks in the text; safe in a table cell unless
 * outsideTable, where an escaped pipe would show its backslash.
 */
export function inlineCode(text: unknown, { outsideTable = false }: { outsideTable?: boolean } = {}): string {
  const flat = String(text ?? '').trim().replace(/\s+/g, ' ');
  const s = outsideTable ? flat : flat.replace(/\|/g, '\\|');
  const runs = s.match(/`+/g) ?? [];
  // A loop, not Math.max(...runs): spreading a hundred thousand runs overflows the call stack.
  const fence = '`'.repeat(runs.reduce((n, r) => Math.max(n, r.length), 0) + 1);
  return s.includes('`') ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function fencedBlock(text: unknown, lang: unknown): string {
  // trimEnd, not /\s+$/: that pattern is quadratic in the length of a run of blanks mid-text.
  const s = String(text ?? '').trimEnd();
  const runs = s.match(/`{3,}/g) ?? [];
  const fence = '`'.repeat(runs.reduce((n, r) => Math.max(n, r.length + 1), 3));
  return `${fence}${typeof lang === 'string' ? lang : ''}\n${s}\n${fence}`;
}

/**
 * A helper that needs a value. Handlebars resolves `{{code}}` to the helper, not to the
 * context's `code` property, and calls it with only its options object: rendering that would
 * print "[object Object]". Refuse instead, so a template with the mistake fails (MG050).
 */
function valueHelper(name: string, render: (values: unknown[], hash: Record<string, unknown>) => string) {
  return (...args: unknown[]) => {
    if (args.length < 2) throw new Error(`the ${name} helper was called without a value; to print a property named ${name}, write {{this.${name}}}`);
    const options = args[args.length - 1] as { hash?: Record<string, unknown> };
    return render(args.slice(0, -1), options.hash ?? {});
  };
}

function createEngine(): typeof Handlebars {
  const hb = Handlebars.create();
  keepSyntaxErrorDetails(hb);
  // Plan text in Markdown is inert (src/emit/markdown-text.ts): {{plain x}} for plain text,
  // {{markdown x}} for the fields that are Markdown, {{cell x}} in a table.
  hb.registerHelper('plain', valueHelper('plain', ([v]) => markdownText(v)));
  hb.registerHelper('markdown', valueHelper('markdown', ([v]) => markdownProse(v)));
  hb.registerHelper('cell', valueHelper('cell', ([v]) => markdownCell(v)));
  // {{code x}} is safe in a table cell; {{code x outsideTable=true}} keeps a pipe as it is.
  hb.registerHelper('code', valueHelper('code', ([v], hash) => inlineCode(v, { outsideTable: hash.outsideTable === true })));
  hb.registerHelper('fence', valueHelper('fence', ([v, lang]) => fencedBlock(v, lang)));
  hb.registerHelper('literal', valueHelper('literal', ([v]) => sqlLiteral(String(v ?? ''))));
  // The only safe ways to put plan text into a SQL script: a string literal (above), or comment lines.
  hb.registerHelper('comment', valueHelper('comment', ([v]) => sqlComment(String(v ?? ''))));
  // {{thousands n}}: a count as the rest of the outputs write it, 10,000.
  hb.registerHelper('thousands', valueHelper('thousands', ([v]) => (typeof v === 'number' ? formatCount(v) : String(v ?? ''))));
  // {{ruleDocs code}}: the page of a code (MG201), from the one place migc's links come from.
  hb.registerHelper('ruleDocs', valueHelper('ruleDocs', ([v]) => ruleDocsUrl(String(v ?? ''))));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
  hb.registerHelper('yesno', (v: unknown) => (v ? 'yes' : 'no'));
  // Handlebars passes its options object last; everything before it is concatenated.
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map((a) => String(a ?? '')).join(''));
  return hb;
}

/** How every template is compiled: here, and ahead of time for the bundle (scripts/bundle.mjs). */
export const templateOptions = { noEscape: true, strict: false } as const;

/** Compiles every template; a broken user template is a diagnostic at its line and column, not a crash. */
export function compileTemplates(sources: TemplateSources): { templates?: Templates; diagnostics: Diagnostic[] } {
  const hb = createEngine();
  const diagnostics: Diagnostic[] = [];
  const out: Partial<Record<TemplateName, CompiledTemplate>> = {};
  for (const name of templateNames) {
    const source = sources[name];
    try {
      const ready = precompiledTemplates[name];
      // Parsed here so that syntax errors surface now, not at the first render; compiled from the tree.
      const render = ready?.text === source.text
        ? hb.template(ready.spec as Parameters<typeof hb.template>[0])
        : hb.compile(hb.parse(source.text), templateOptions);
      out[name] = Object.assign((view: unknown) => render(view), { file: source.file });
    } catch (e) {
      const problem = templateProblem(e, source.text);
      diagnostics.push({
        code: 'MG050', severity: 'error', file: source.file, span: { start: problem.offset, end: Math.min(problem.offset + 1, source.text.length) },
        message: `template ${name} does not compile: ${problem.message}`,
        help: 'Fix the Handlebars syntax, or remove the file from --templates to use the built-in template.',
      });
    }
  }
  return diagnostics.length ? { diagnostics } : { templates: out as Templates, diagnostics };
}

/** A syntax error of Handlebars' parser, with where its lexer was (the parser's own message only names the line). */
class TemplateSyntaxError extends Error {
  constructor(message: string, readonly hash: { token?: string | null; text?: string; expected?: string[] }, readonly offset: number) {
    super(message);
  }
}

/**
 * Handlebars' parser (made by jison) hands what it knows of a syntax error, the token it found
 * and the ones it expected, to parseError, which throws an Error with a message of several lines
 * (the line number, a code frame, what it expected) and drops the rest. Kept here instead, with
 * the offset its lexer had reached. The parser is one object shared by every Handlebars
 * instance; a syntax error still throws an Error, with the same message.
 */
function keepSyntaxErrorDetails(hb: typeof Handlebars): void {
  const parser = (hb as unknown as { Parser: { parseError: unknown; lexer: { matched?: string; match?: string } } }).Parser;
  parser.parseError = (message: string, hash: TemplateSyntaxError['hash']) => {
    const matched = parser.lexer.matched ?? '';
    // A parse error comes after its token was read: it starts where that token does. A lexical error is where the lexer stopped.
    const offset = hash.expected ? matched.length - (parser.lexer.match ?? '').length : matched.length;
    throw new TemplateSyntaxError(message, hash, offset);
  };
}

/** What Handlebars' token names stand for, as a template author writes them. */
const tokenWords: Readonly<Record<string, string>> = {
  CLOSE: '}}', CLOSE_UNESCAPED: '}}}', CLOSE_RAW_BLOCK: '}}}}', OPEN: '{{', OPEN_BLOCK: '{{#', OPEN_ENDBLOCK: '{{/...}} (a block left open)', OPEN_INVERSE: '{{^',
  INVERSE: '{{else}}', OPEN_INVERSE_CHAIN: '{{else ...}}', OPEN_PARTIAL: '{{>', OPEN_SEXPR: '(', CLOSE_SEXPR: ')', EQUALS: '=',
  OPEN_BLOCK_PARAMS: 'as |', CLOSE_BLOCK_PARAMS: '|', ID: 'a name', STRING: 'a string', NUMBER: 'a number', BOOLEAN: 'true or false',
  UNDEFINED: 'undefined', NULL: 'null', DATA: '@name', SEP: '. or /', CONTENT: 'text', COMMENT: 'a comment', EOF: 'the end of the template',
};

/**
 * A `{{!--` comment or a `{{{{raw}}}}` block that is never closed: Handlebars' lexer reads on to
 * the end of the template and says "Unrecognized text" there, where nothing marks what was left
 * open. Said as what it is, at its opening.
 */
function unclosed(text: string, offset: number): { message: string; offset: number } | undefined {
  const open = text.lastIndexOf('{{', offset);
  if (open !== -1 && text.startsWith('{{!--', open) && !text.includes('--}}', open + 5)) {
    return { message: 'the comment {{!-- is never closed: end it with --}}', offset: open };
  }
  const raw = /\{\{\{\{\s*([^\s}/][^\s}]*)[^}]*\}\}\}\}/g;
  let last: { name: string; at: number } | undefined;
  for (const m of text.slice(0, offset).matchAll(raw)) last = { name: m[1]!, at: m.index };
  if (last && !text.includes(`{{{{/${last.name}}}}}`, last.at)) {
    return { message: `the raw block {{{{${last.name}}}}} is never closed: end it with {{{{/${last.name}}}}}`, offset: last.at };
  }
  return undefined;
}

/** A template's compile error as one whole sentence, and where it is in the template's text. */
function templateProblem(e: unknown, text: string): { message: string; offset: number } {
  if (e instanceof TemplateSyntaxError) {
    const offset = Math.min(Math.max(0, e.offset), text.length);
    const { token, expected } = e.hash;
    // The lexer's own message ("Lexical error on line 2. Unrecognized text.") names a line the diagnostic already gives.
    if (!expected) return unclosed(text, offset) ?? { message: 'Handlebars cannot read the text from here (its lexer stops)', offset };
    const found = token === 'EOF' ? 'the template ends' : token === 'INVALID' || !token ? `${JSON.stringify(e.hash.text ?? '')} is found` : `${JSON.stringify(tokenWords[token] ?? token)} is found`;
    const wanted = [...new Set(expected.map((t) => t.replace(/^'|'$/g, '')).map((t) => tokenWords[t] ?? t))];
    return { message: `${found} where Handlebars expects ${wanted.length === 1 ? wanted[0] : `one of: ${wanted.join(', ')}`}`, offset };
  }
  // Handlebars' own exceptions ("each doesn't match if - 2:3") carry the line (from 1) and column (from 0) of the node.
  const { lineNumber, column } = e as { lineNumber?: number; column?: number };
  let message = libraryMessage((e as Error).message ?? String(e));
  if (typeof lineNumber !== 'number') return { message, offset: 0 };
  // Their messages end with the position (" - 2:3"), which the diagnostic gives in its own terms.
  message = message.replace(/ - \d+:\d+$/, '');
  const mismatch = /^(.+) doesn't match (.+)$/.exec(message);
  if (mismatch) message = `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}: a block ends with its own name, {{/${mismatch[1]}}}`;
  const lineStart = text.split('\n').slice(0, lineNumber - 1).reduce((n, l) => n + l.length + 1, 0);
  return { message, offset: Math.min(lineStart + (column ?? 0), text.length) };
}
