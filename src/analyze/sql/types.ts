import { quoteTypeName } from '../../sql/quote.js';

/** A column type as the parser gives it, normalized: name (pg_catalog spelling) and modifiers. */
export interface ColumnType {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

const aliases: Record<string, string> = {
  integer: 'int4', int: 'int4', smallint: 'int2', bigint: 'int8', boolean: 'bool', real: 'float4',
  'double precision': 'float8', decimal: 'numeric', 'character varying': 'varchar', character: 'bpchar', char: 'bpchar',
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
  const names: Record<string, string> = { int4: 'integer', int2: 'smallint', int8: 'bigint', bool: 'boolean', varchar: 'varchar', bpchar: 'char', float8: 'double precision', float4: 'real' };
  return `${names[t.name] ?? quoteTypeName(t.name)}${t.mods.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

/**
 * Whether ALTER COLUMN ... TYPE from one type to the other is a catalog change only
 * (binary-compatible, no rewrite and, for these, no scan): varchar widened or unbounded, varchar
 * to text, numeric precision raised at the same scale (or made unbounded), cidr to inet, bit
 * varying widened. Everything else rewrites the table (and its indexes).
 */
export function binaryCompatible(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  const same = from.name === to.name;
  const bounded = (t: ColumnType) => t.mods.length > 0;
  if (same && from.mods.join(',') === to.mods.join(',')) return true;
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
  return false;
}
