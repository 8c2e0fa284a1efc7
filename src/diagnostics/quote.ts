import { formatCount } from '../util/numbers.js';

/** Longest piece of user input a message quotes, in characters. */
export const maxQuotedLength = 80;

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
