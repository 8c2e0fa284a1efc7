const enUS = new Intl.NumberFormat('en-US');

/**
 * A number as the messages write it, 12,000,000: what toLocaleString('en-US') gives, from one
 * formatter made once. toLocaleString builds a formatter on every call, and messages that give a
 * table's size are written for thousands of statements of a large folder.
 */
export function formatCount(n: number): string {
  return enUS.format(n);
}
