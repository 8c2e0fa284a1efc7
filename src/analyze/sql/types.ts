import { quoteTypeName } from '../../sql/quote.js';
import { castsBySource, castTypeNames, stringTypeNames } from './builtin-casts.js';

/** A column type as the parser gives it, normalized: name (pg_catalog spelling) and modifiers. */
export interface ColumnType {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

const aliases: Record<string, string> = {
  integer: 'int4', int: 'int4', smallint: 'int2', bigint: 'int8', boolean: 'bool', real: 'float4',
  'double precision': 'float8', decimal: 'numeric', 'character varying': 'varchar',
  timestamptz: 'timestamptz', serial: 'serial4', bigserial: 'serial8', smallserial: 'serial2', serial4: 'serial4', serial8: 'serial8',
};

type TypeNameNode = { names?: { String?: { sval?: string } }[]; typmods?: { A_Const?: { ival?: { ival?: number } } }[]; arrayBounds?: unknown[] };

export function columnType(typeName: TypeNameNode | undefined): ColumnType | undefined {
  if (!typeName?.names) return undefined;
  const parts = typeName.names.map((n) => n.String?.sval ?? '').filter((n) => n !== 'pg_catalog');
  const raw = parts.join('.');
  return {
    name: aliases[raw] ?? raw,
    mods: (typeName.typmods ?? []).map((m) => m.A_Const?.ival?.ival ?? 0),
    array: (typeName.arrayBounds?.length ?? 0) > 0,
  };
}

export function describeType(t: ColumnType): string {
  // char is bpchar (the parser says pg_catalog.bpchar); "char" is the one-byte type of that name.
  // bpchar without a length is not char (that is char(1)): it keeps any length, padded.
  const names: Record<string, string> = { int4: 'integer', int2: 'smallint', int8: 'bigint', bool: 'boolean', varchar: 'varchar', ...(t.mods.length ? { bpchar: 'char' } : {}), char: '"char"', float8: 'double precision', float4: 'real' };
  // interval(3) is read as its full range and the precision: (32767,3).
  const mods = t.name === 'interval' && t.mods.length === 2 && t.mods[0] === intervalFullRange ? [t.mods[1]!] : t.mods;
  return `${names[t.name] ?? quoteTypeName(t.name)}${mods.length ? `(${mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

/** The first modifier of interval(p) (INTERVAL_FULL_RANGE): no fields named. */
const intervalFullRange = 32767;
/** The largest fractional-second precision of timestamp, time and interval (MAX_TIMESTAMP_PRECISION and the others). */
const maxSecondPrecision = 6;

/**
 * Whether ALTER COLUMN ... TYPE from one type to the other is a catalog change only
 * (binary-compatible, no rewrite and, for these, no scan): varchar widened or unbounded, varchar
 * to text, numeric precision raised at the same scale (or made unbounded), cidr to inet, bit
 * varying widened, the fractional-second precision of timestamp, timestamptz, time, timetz or
 * interval raised (or made the largest, 6, or unbounded: TemporalSimplify and interval_support),
 * xml to text or unbounded varchar; and those of newOperatorClass(). Everything else rewrites the
 * table (and its indexes). Checked on PostgreSQL in test/type-change-indexes.test.ts.
 */
export function binaryCompatible(from: ColumnType, to: ColumnType): boolean {
  // A type named with its schema is the type named without (public.citext is citext).
  const [f, t] = [from, to].map((c) => (canonicalName(c.name) === c.name ? c : { ...c, name: canonicalName(c.name) }));
  return sameOperatorClass(f!, t!) || newOperatorClass(f!, t!);
}

/** A type's name without the public schema, and citext's without any (extensionType). */
function canonicalName(name: string): string {
  return extensionType(name.startsWith('public.') ? name.slice('public.'.length) : name);
}

/**
 * A binary-compatible change (a relabelling: no rewrite) to a type with another default operator
 * class than the column's: PostgreSQL's CheckIndexCompatible() then finds every index key on the
 * column changed, and builds the index again. Text or varchar to bpchar without a length (char(n)
 * pads: a rewrite), bit(n) to unbounded bit varying, integer to oid and back (pg_cast's binary
 * casts between built-in types that migrations use; the reg* types are not followed).
 */
export function newOperatorClass(from: ColumnType, to: ColumnType): boolean {
  if (from.array || to.array || to.mods.length > 0) return false;
  return operatorClassPairs[extensionType(from.name)]?.includes(extensionType(to.name)) ?? false;
}

/**
 * The binary casts newOperatorClass() follows, by source. The citext extension's (CREATE CAST
 * ... WITHOUT FUNCTION: text and varchar to citext, citext to text, varchar and bpchar) relabel
 * too, and citext's operator class is its own (citext_ops): checked on PGlite's citext and
 * PostgreSQL 15's (test/type-change-citext.test.ts). bpchar to citext calls a function (rtrim): a rewrite.
 */
const operatorClassPairs: Readonly<Record<string, readonly string[]>> = {
  text: ['bpchar', 'citext'], varchar: ['bpchar', 'citext'], bit: ['varbit'], int4: ['oid'], oid: ['int4'], citext: ['text', 'varchar', 'bpchar'],
};

/** citext under whatever schema its extension was created in (public, extensions, ...): the name as pg_cast's entries are read here. */
function extensionType(name: string): string {
  return name.endsWith('.citext') ? 'citext' : name;
}

function sameOperatorClass(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  const same = from.name === to.name;
  const bounded = (t: ColumnType) => t.mods.length > 0;
  if (same && from.mods.join(',') === to.mods.join(',')) return true;
  // An array's elements are converted one by one (an ArrayCoerceExpr), which PostgreSQL never
  // takes for a no-op: varchar(10)[] to varchar(20)[] rewrites (checked in test/type-change.test.ts).
  if (from.array) return false;
  if ((from.name === 'varchar' || from.name === 'text') && to.name === 'text') return true;
  if (from.name === 'varchar' && to.name === 'varchar') return !bounded(to) || (bounded(from) && to.mods[0]! >= from.mods[0]!);
  if (from.name === 'text' && to.name === 'varchar') return !bounded(to);
  if (from.name === 'varbit' && to.name === 'varbit') return !bounded(to) || (bounded(from) && to.mods[0]! >= from.mods[0]!);
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (!bounded(to)) return true;
    if (!bounded(from)) return false;
    const [fp, fs = 0] = from.mods;
    const [tp, ts = 0] = to.mods;
    return ts === fs && tp! >= fp!;
  }
  if (from.name === 'cidr' && to.name === 'inet') return true;
  if (from.name === 'xml' && (to.name === 'text' || (to.name === 'varchar' && !bounded(to)))) return true;
  if (same && ['timestamp', 'timestamptz', 'time', 'timetz'].includes(from.name)) {
    return !bounded(to) || to.mods[0]! >= maxSecondPrecision || (bounded(from) && to.mods[0]! >= from.mods[0]!);
  }
  if (same && from.name === 'interval') {
    // Only interval(p) to interval(q), whose fields stay all of them; interval DAY TO SECOND and the like are not followed.
    if (!bounded(to)) return true;
    const precision = (t: ColumnType) => (!bounded(t) ? maxSecondPrecision : t.mods.length === 2 && t.mods[0] === intervalFullRange ? t.mods[1]! : undefined);
    const [p, q] = [precision(from), precision(to)];
    return p !== undefined && q !== undefined && (q >= maxSecondPrecision || q >= p);
  }
  return false;
}

/** The serial shorthands as columnType() spells them, and the integer type each one makes. */
const serialIntegers: Readonly<Record<string, string>> = { serial2: 'int2', serial4: 'int4', serial8: 'int8' };

/** The integer type a serial shorthand makes (int8 for serial8, written bigserial), or undefined for any other type. */
export function serialInteger(t: ColumnType): string | undefined {
  return serialIntegers[t.name];
}

const castTypes: ReadonlySet<string> = new Set(castTypeNames.split(/\s+/));
const stringTypes: ReadonlySet<string> = new Set(stringTypeNames.split(/\s+/));
/** pg_cast's context of a cast, by `source target`: i, a or e. */
const castContexts: ReadonlyMap<string, string> = new Map(
  Object.entries(castsBySource).flatMap(([source, targets]) => targets.split(/\s+/).map((t) => [`${source} ${t.split(':')[0]}`, t.split(':')[1]!] as const)),
);

/**
 * Whether PostgreSQL converts a value of one built-in type to the other in the given context, as
 * find_coercion_pathway() decides it from pg_cast (src/analyze/sql/builtin-casts.ts, generated
 * from PostgreSQL's catalog): the same type (only the modifiers differ: a length coercion); a
 * pg_cast entry whose context allows it (i and a in assignment, any explicitly); between arrays,
 * their elements' cast; with no entry, through the text form to a string type (text, varchar,
 * char, name) in assignment, and also from one explicitly. Undefined when either type is not a
 * built-in one (a domain, an enum, an extension's type): PostgreSQL's answer is not known here.
 *
 * ALTER COLUMN ... TYPE without USING converts in assignment: where this says false, it fails at
 * once ("column ... cannot be cast automatically to type ..."), even on an empty table.
 */
export function castsTo(from: ColumnType, to: ColumnType, context: 'assignment' | 'explicit'): boolean | undefined {
  if (!castTypes.has(from.name) || !castTypes.has(to.name)) return undefined;
  return coercible(from.name, from.array, to.name, to.array, context);
}

function coercible(from: string, fromArray: boolean, to: string, toArray: boolean, context: 'assignment' | 'explicit'): boolean {
  if (from === to && fromArray === toArray) return true;
  // pg_cast has no entries between the built-in array types: an entry is between two scalars.
  const entry = fromArray || toArray ? undefined : castContexts.get(`${from} ${to}`);
  if (entry !== undefined) return context === 'explicit' || entry !== 'e';
  if (fromArray && toArray && coercible(from, false, to, false, context)) return true;
  if (!toArray && stringTypes.has(to)) return true;
  return context === 'explicit' && !fromArray && stringTypes.has(from);
}
