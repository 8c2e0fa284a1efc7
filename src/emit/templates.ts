import Handlebars from 'handlebars';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { ruleDocsUrl } from '../diagnostics/links.js';
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

/** Compiles every template; a broken user template is a diagnostic at its line, not a crash. */
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
      const message = (e as Error).message.split('\n');
      const line = Number(/line (\d+)/.exec(message[0] ?? '')?.[1] ?? 1);
      const offset = source.text.split('\n').slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      diagnostics.push({
        code: 'MG050', severity: 'error', file: source.file, span: { start: offset, end: offset },
        message: `template ${name} does not compile: ${message[0]}`,
        help: 'Fix the Handlebars syntax, or remove the file from --templates to use the built-in template.',
      });
    }
  }
  return diagnostics.length ? { diagnostics } : { templates: out as Templates, diagnostics };
}
