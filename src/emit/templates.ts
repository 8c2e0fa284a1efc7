import Handlebars from 'handlebars';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { sqlLiteral } from '../sql/quote.js';

import { templateNames, type TemplateName, type TemplateSources } from './template-names.js';

export type Templates = Readonly<Record<TemplateName, (view: unknown) => string>>;

/** A Markdown table cell: pipes escaped, line breaks kept as <br>. */
export function markdownCell(text: unknown): string {
  return String(text ?? '').trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/**
 * Inline code on one line that survives backticks in the text; safe in a table cell unless
 * outsideTable, where an escaped pipe would show its backslash.
 */
export function inlineCode(text: unknown, { outsideTable = false }: { outsideTable?: boolean } = {}): string {
  const flat = String(text ?? '').trim().replace(/\s+/g, ' ');
  const s = outsideTable ? flat : flat.replace(/\|/g, '\\|');
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  return s.includes('`') ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function fencedBlock(text: unknown, lang: unknown): string {
  const s = String(text ?? '').replace(/\s+$/, '');
  const runs = s.match(/`{3,}/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
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
  hb.registerHelper('cell', valueHelper('cell', ([v]) => markdownCell(v)));
  // {{code x}} is safe in a table cell; {{code x outsideTable=true}} keeps a pipe as it is.
  hb.registerHelper('code', valueHelper('code', ([v], hash) => inlineCode(v, { outsideTable: hash.outsideTable === true })));
  hb.registerHelper('fence', valueHelper('fence', ([v, lang]) => fencedBlock(v, lang)));
  hb.registerHelper('literal', valueHelper('literal', ([v]) => sqlLiteral(String(v ?? ''))));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
  hb.registerHelper('yesno', (v: unknown) => (v ? 'yes' : 'no'));
  // Handlebars passes its options object last; everything before it is concatenated.
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map((a) => String(a ?? '')).join(''));
  return hb;
}

/** Compiles every template; a broken user template is a diagnostic at its line, not a crash. */
export function compileTemplates(sources: TemplateSources): { templates?: Templates; diagnostics: Diagnostic[] } {
  const hb = createEngine();
  const diagnostics: Diagnostic[] = [];
  const out: Partial<Record<TemplateName, (view: unknown) => string>> = {};
  for (const name of templateNames) {
    const source = sources[name];
    try {
      // precompile-time parse so syntax errors surface now, not at the first render
      hb.parse(source.text);
      const render = hb.compile(source.text, { noEscape: true, strict: false });
      out[name] = (view) => render(view);
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
