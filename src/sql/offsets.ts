/**
 * libpg-query hands the parser UTF-8 and answers in its units: statement locations and token
 * offsets are byte offsets, and an error's cursor position counts characters (code points), as
 * PostgreSQL does. migc slices JavaScript strings, indexed in UTF-16 code units. This module is
 * the one place where those units meet: everything the parser reports goes through a map built
 * here, once per text, before anyone slices the text with it.
 */
export interface OffsetMap {
  /** The string index of a UTF-8 byte offset (an offset inside a character gives its start). */
  fromByte(byte: number): number;
  /** The string index of a code point offset (0-based; a surrogate pair is one code point). */
  fromCodePoint(codePoint: number): number;
}

/** Pure ASCII text: bytes, code points and string indices are the same numbers. */
const identity: OffsetMap = { fromByte: (b) => b, fromCodePoint: (c) => c };

/**
 * The map for one text. ASCII text (the common case) costs one scan and no memory. Otherwise
 * each non-ASCII character is recorded once (its string index, byte offset and code point
 * offset) and a lookup is a binary search: between two recorded characters all three units
 * advance together. Encoded as the parser's input is (emscripten's stringToUTF8): a surrogate
 * pair is 4 bytes, a lone surrogate 3.
 */
export function offsetMap(text: string): OffsetMap {
  let i = 0;
  const n = text.length;
  while (i < n && text.charCodeAt(i) < 0x80) i++;
  if (i === n) return identity;

  const index: number[] = [];
  const byte: number[] = [];
  const point: number[] = [];
  /** Code units and bytes of each recorded character. */
  const units: number[] = [];
  const bytes: number[] = [];
  let b = i;
  let p = i;
  for (; i < n; i++, p++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      b++;
      continue;
    }
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const size = c < 0x800 ? 2 : pair ? 4 : 3;
    index.push(i);
    byte.push(b);
    point.push(p);
    units.push(pair ? 2 : 1);
    bytes.push(size);
    b += size;
    if (pair) i++;
  }

  /** The last recorded character at or before `at` in `starts`, or -1. */
  const last = (starts: readonly number[], at: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || starts[0]! > at) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  return {
    fromByte(at) {
      const k = last(byte, at);
      if (k < 0) return Math.min(at, n);
      const into = at - byte[k]!;
      return Math.min(into < bytes[k]! ? index[k]! : index[k]! + units[k]! + (into - bytes[k]!), n);
    },
    fromCodePoint(at) {
      const k = last(point, at);
      if (k < 0) return Math.min(at, n);
      const into = at - point[k]!;
      return Math.min(into === 0 ? index[k]! : index[k]! + units[k]! + (into - 1), n);
    },
  };
}
