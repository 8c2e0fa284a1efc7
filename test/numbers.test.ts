import { describe, expect, it } from 'vitest';
import { formatCount } from '../src/util/numbers.js';

describe('formatCount', () => {
  it('writes numbers as toLocaleString(\'en-US\') does, without loading ICU for whole numbers', () => {
    const values = [0, 7, 42, 999, 1000, 1001, 12345, 99999, 100000, 1234567, 12000000, -1, -1234, -1000000, Number.MAX_SAFE_INTEGER, 1.5, 0.12345, 1e21, Number.NaN, Number.POSITIVE_INFINITY];
    for (let n = 1; n < 1e15; n = n * 7 + 3) values.push(n);
    for (const n of values) expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
  });
});
