import type { Span } from './diagnostics/diagnostic.js';

/**
 * Flyway's placeholders (`${schema}`, and Liquibase's changelog properties written the same way),
 * rendered as Flyway renders them before a script reaches the server: a text replacement over the
 * whole file (statements, string literals, quoted identifiers and comments alike), before any
 * SQL is read. It is the tool's template syntax, not SQL's, so it is found in the text, as Flyway's
 * PlaceholderReplacingReader finds it; the SQL is read with the parser afterwards.
 *
 * Names match without regard to case, as Flyway matches them (`schema` fills `${schema}` and
 * `${SCHEMA}`). `${flyway:filename}` is the file's name, as Flyway fills it; every other name,
 * Flyway's own (`${flyway:defaultSchema}`, `${flyway:user}`, ...) included, is filled only with a
 * value given (--placeholder, `placeholders` in migc.config.json): without one it stays in the
 * text, where the parser stops at it (MG020, whose help names the flag).
 *
 * A value holds no line break (placeholderValueProblem): rendered, every line of the file keeps
 * its number, so what the analysis says of a line ("the transaction begun at line 3") is true of
 * the file the user wrote, and only columns need to be mapped back (originalSpan).
 */

/** Values by name, the name in lower case (Flyway matches names without regard to case). */
export type PlaceholderValues = ReadonlyMap<string, string>;

/** One placeholder replaced: where it was in the file, and where its value is in the rendered text. */
export interface RenderedPlaceholder {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly renderedStart: number;
  readonly renderedEnd: number;
}

export interface RenderedText {
  readonly text: string;
  /** In the order of the text. */
  readonly replaced: readonly RenderedPlaceholder[];
}

/** The characters of a placeholder's name: Flyway's and Liquibase's names in practice (schema, db.user, flyway:table, app-name). */
const nameCharacter = /^[\w.:+-]$/;

/** `${name}` at `offset`: its name and where it ends; undefined when the text there is not one. */
export function placeholderAt(text: string, offset: number): { readonly name: string; readonly end: number } | undefined {
  if (!text.startsWith('${', offset)) return undefined;
  let i = offset + 2;
  while (i < text.length && i - offset < 200 && nameCharacter.test(text[i]!)) i++;
  if (i === offset + 2 || text[i] !== '}') return undefined;
  return { name: text.slice(offset + 2, i), end: i + 1 };
}

/**
 * The file's text with each `${name}` that has a value replaced by it, and where each was;
 * undefined when nothing was replaced (the file is read as it is). `file` names the file for
 * `${flyway:filename}`.
 */
export function renderPlaceholders(text: string, values: PlaceholderValues, file: string): RenderedText | undefined {
  if (!text.includes('${')) return undefined;
  const filename = file.slice(file.lastIndexOf('/') + 1);
  const valueOf = (name: string) => values.get(name.toLowerCase()) ?? (name.toLowerCase() === 'flyway:filename' ? filename : undefined);
  const replaced: RenderedPlaceholder[] = [];
  let rendered = '';
  let copied = 0;
  for (let at = text.indexOf('${'); at !== -1; at = text.indexOf('${', at + 1)) {
    const placeholder = placeholderAt(text, at);
    const value = placeholder === undefined ? undefined : valueOf(placeholder.name);
    if (placeholder === undefined || value === undefined) continue;
    rendered += text.slice(copied, at);
    replaced.push({ name: placeholder.name, start: at, end: placeholder.end, renderedStart: rendered.length, renderedEnd: rendered.length + value.length });
    rendered += value;
    copied = placeholder.end;
    at = placeholder.end - 1;
  }
  if (replaced.length === 0) return undefined;
  return { text: rendered + text.slice(copied), replaced };
}

/**
 * A span of the rendered text as a span of the file: text before, between and after the values
 * moves with them, and a span that starts or ends inside a value starts or ends at its placeholder
 * (a finding on a name that a value wrote points at the `${...}` the user wrote).
 */
export function originalSpan(rendered: RenderedText, span: Span): Span {
  return { start: originalOffset(rendered, span.start, 'start'), end: originalOffset(rendered, span.end, 'end') };
}

function originalOffset(rendered: RenderedText, offset: number, side: 'start' | 'end'): number {
  let shift = 0;
  for (const r of rendered.replaced) {
    // A span's end at a value's start ends before the placeholder; its start there starts at it.
    if (offset < r.renderedStart || (side === 'end' && offset === r.renderedStart)) break;
    if (offset < r.renderedEnd || (side === 'end' && offset === r.renderedEnd)) return side === 'start' ? r.start : r.end;
    shift = r.end - r.renderedEnd;
  }
  return offset + shift;
}

/** The placeholder whose value holds the rendered text's `offset`, if one does. */
export function renderedValueAt(rendered: RenderedText, offset: number): RenderedPlaceholder | undefined {
  return rendered.replaced.find((r) => r.renderedStart <= offset && offset < r.renderedEnd);
}

/** Why a placeholder's name cannot be one (undefined when it can). */
export function placeholderNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (![...name].every((c) => nameCharacter.test(c))) return 'a name is letters, digits and _ . : + - (as in ${schema} or ${flyway:defaultSchema})';
  return undefined;
}

/**
 * Why a value cannot be used (undefined when it can): a line break would move the lines after the
 * placeholder, and what migc says of a line would no longer be true of the file.
 */
export function placeholderValueProblem(value: string): string | undefined {
  return /[\r\n]/.test(value) ? 'the value holds a line break, which migc does not render (each line of the file must keep its number for findings to point at the lines you wrote): write the value on one line' : undefined;
}

/**
 * --placeholder name=value (repeatable) over the config's placeholders: a later flag for a name
 * over an earlier one. A malformed flag is a result, not a throw.
 */
export function withPlaceholderFlags(values: PlaceholderValues | undefined, flags: readonly string[] | undefined): { ok: true; values: PlaceholderValues | undefined } | { ok: false; message: string } {
  if (!flags?.length) return { ok: true, values };
  const merged = new Map(values ?? []);
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals < 0) return { ok: false, message: `--placeholder takes name=value, for example --placeholder schema=app to fill \${schema}; got ${flag}` };
    const name = flag.slice(0, equals);
    const value = flag.slice(equals + 1);
    const problem = placeholderNameProblem(name) ?? placeholderValueProblem(value);
    if (problem) return { ok: false, message: `--placeholder ${JSON.stringify(flag)}: ${problem}` };
    merged.set(name.toLowerCase(), value);
  }
  return { ok: true, values: merged };
}
