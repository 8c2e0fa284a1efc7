/**
 * Which values a sequence can hand out, from the options it was made with (CREATE SEQUENCE, a
 * serial's, an identity column's), as PostgreSQL's sequence.c fills them in: INCREMENT 1; an
 * ascending sequence from MINVALUE 1 up to the largest value of its type, a descending one from
 * MAXVALUE -1 down to the smallest; START at MINVALUE (ascending) or MAXVALUE (descending). A value
 * off that run (below the start of an ascending sequence, between its steps, past its end) is
 * never drawn, unless CYCLE brings it round to MINVALUE (MAXVALUE) again.
 */
export interface SequenceDraws {
  readonly start: bigint;
  readonly increment: bigint;
  readonly min: bigint;
  readonly max: bigint;
  readonly cycle: boolean;
}

type IntegerType = 'int2' | 'int4' | 'int8';

const bounds: Record<IntegerType, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

/** An integer written as a constant: `0`, `-1`, `99999999999` (a Float node to the parser), `'7'`. Undefined for anything else. */
export function integerConstant(value: unknown): bigint | undefined {
  const v = value as { A_Const?: Record<string, any>; Integer?: { ival?: number }; Float?: { fval?: string } } | undefined;
  const c = v?.A_Const;
  // The parser leaves out an ival of 0 ({ ival: {} }).
  if (v?.Integer) return BigInt(v.Integer.ival ?? 0);
  if (v?.Float) return digits(v.Float.fval);
  if (!c) return undefined;
  if (c.ival) return BigInt(c.ival.ival ?? 0);
  if (c.fval) return digits(c.fval.fval);
  if (c.sval) return digits(c.sval.sval?.trim());
  return undefined;
}

function digits(text: string | undefined): bigint | undefined {
  return text !== undefined && /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
}

/**
 * What a sequence made with these options (DefElems of CREATE SEQUENCE or of an identity's
 * `(START WITH ...)`) draws, for a sequence of `type` unless an `AS` option says otherwise.
 * Undefined when an option cannot be read (an increment of 0, a value not an integer).
 */
export function sequenceDraws(options: readonly unknown[] | undefined, type: IntegerType): SequenceDraws | undefined {
  const given = new Map<string, unknown>();
  for (const o of options ?? []) {
    const d = (o as { DefElem?: { defname?: string; arg?: unknown } }).DefElem;
    if (d?.defname) given.set(d.defname, d.arg);
  }
  let kind = type;
  const as = (given.get('as') as { TypeName?: { names?: { String?: { sval?: string } }[] } } | undefined)?.TypeName?.names?.at(-1)?.String?.sval;
  if (as !== undefined) {
    if (as !== 'int2' && as !== 'int4' && as !== 'int8') return undefined;
    kind = as;
  }
  const number = (name: string, fallback: bigint): bigint | undefined => {
    if (!given.has(name)) return fallback;
    const arg = given.get(name);
    // NO MINVALUE, NO MAXVALUE: the default.
    return arg === undefined ? fallback : integerConstant(arg);
  };
  const increment = number('increment', 1n);
  if (increment === undefined || increment === 0n) return undefined;
  const [low, high] = bounds[kind];
  const min = number('minvalue', increment > 0n ? 1n : low);
  const max = number('maxvalue', increment > 0n ? high : -1n);
  if (min === undefined || max === undefined) return undefined;
  const start = number('start', increment > 0n ? min : max);
  if (start === undefined) return undefined;
  const cycle = (given.get('cycle') as { Boolean?: { boolval?: boolean } } | undefined)?.Boolean?.boolval === true;
  return { start, increment, min, max, cycle };
}

/** Whether a fresh sequence (nothing drawn, nothing set) can ever hand out this value. */
export function mayDraw(draws: SequenceDraws, value: bigint): boolean {
  const { start, increment, min, max, cycle } = draws;
  if (value < min || value > max) return false;
  const step = increment > 0n ? increment : -increment;
  const onRun = (from: bigint) => (increment > 0n ? value >= from : value <= from) && (value - from) % step === 0n;
  // After the end, CYCLE starts again at MINVALUE (ascending) or MAXVALUE (descending).
  return onRun(start) || (cycle && onRun(increment > 0n ? min : max));
}
