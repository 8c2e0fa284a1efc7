/**
 * A whole number as the messages write it, 12,000,000 (what toLocaleString('en-US') gives): rows,
 * batches, characters. Not through Intl: the first Intl formatter a process makes loads ICU's data,
 * about 20 ms, a tenth of a `migc check`; other numbers go to Intl as before.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = `${digits.slice(Math.max(0, end - 3), end)}${out ? `,${out}` : ''}`;
  return n < 0 ? `-${out}` : out;
}
