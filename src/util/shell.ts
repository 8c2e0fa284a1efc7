/** A word as a POSIX shell reads it back: quoted when it holds a quote or another special character. */
export function shellWord(word: string): string {
  return /^[\w.=@%+,:/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
