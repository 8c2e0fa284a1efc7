import { formatCount } from '../util/numbers.js';

/** Longest piece of user input a message quotes, in characters. */
export const maxQuotedLength = 80;

/**
 * Longest message of a library (yaml, Handlebars) that a diagnostic repeats, in characters: longer
 * than any of their own sentences (the longest of yaml's is 92), so that only user input they
 * quote can reach it.
 */
export const maxLibraryMessageLength = 300;

/**
 * User input as a message quotes it: JSON-quoted (so line breaks and control characters show
 * as escapes and cannot break the output), and cut to maxQuotedLength characters with an
 * ellipsis and the full length, so that a megabyte-long value cannot flood the terminal.
 */
export function quoteForMessage(value: string, options: { max?: number; quotes?: boolean } = {}): string {
  const max = options.max ?? maxQuotedLength;
  const cut = value.length > max;
  let shown = cut ? value.slice(0, max) : value;
  // Never end on half of a surrogate pair (an emoji cut in two).
  if (cut && /[\uD800-\uDBFF]$/.test(shown)) shown = shown.slice(0, -1);
  const suffix = cut ? `… (${formatCount(value.length)} characters)` : '';
  if (options.quotes === false) return `${shown.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1))}${suffix}`;
  return `${JSON.stringify(shown)}${suffix}`;
}

/**
 * A library's error message whole, on one line: parsers made with jison (Handlebars, Mermaid)
 * and others write a code frame under their first line (the text, then a line of dashes and a
 * caret) and what they expected after it. The frame is dropped (the diagnostic's own frame shows
 * the place), every other line is kept: cutting at the first line left "Parse error on line 5:"
 * and nothing of what was wrong.
 */
export function libraryMessage(message: string): string {
  const lines = message.replace(/^Error: /, '').split(/\r?\n/);
  const kept: string[] = [];
  for (const [i, line] of lines.entries()) {
    const caret = /^\s*-*\^\s*$/;
    if (caret.test(line) || caret.test(lines[i + 1] ?? '')) continue;
    if (line.trim() !== '') kept.push(line.trim());
  }
  return kept.join(' ').replace(/:$/, '');
}
