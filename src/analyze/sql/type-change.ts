import { collationOf, tableKey, type SchemaState } from './schema-state.js';
import { binaryCompatible, castsTo, columnType, describeType, newOperatorClass, serialInteger, type ColumnType } from './types.js';
import { defaultSearchPath } from './search-path.js';

type ColumnRefNode = { fields?: { String?: { sval?: string } }[] };
type UsingNode = { ColumnRef?: ColumnRefNode; TypeCast?: { arg?: UsingNode; typeName?: Parameters<typeof columnType>[0] } };

/** One ALTER COLUMN ... TYPE subcommand, as the parser gives it. */
export interface AlterColumnTypeCmd {
  readonly name?: string;
  readonly def?: { ColumnDef?: { typeName?: Parameters<typeof columnType>[0]; raw_default?: unknown; collClause?: unknown } };
}

/**
 * What an ALTER COLUMN ... TYPE asks, with what the analysis knows of the column.
 * `using` is how its USING clause reads to PostgreSQL:
 * - none: no USING;
 * - column: USING the column itself (`USING published`, `USING person.published`);
 * - cast: USING the column cast to the new type (`USING published::timestamptz`);
 * - expression: anything else.
 * For the rewrite, none, column and cast are one: PostgreSQL builds the same conversion of the
 * column (ATColumnChangeRequiresRewrite() looks through it) and rewrites only where that is more
 * than a relabelling, a length check that cannot fail or, under UTC, timestamp to timestamptz.
 * For a failure they differ: without USING, and with the column alone, the value is converted as in
 * an assignment; a cast written in USING is an explicit one.
 */
export interface TypeChange {
  readonly to: ColumnType;
  /** The column's type before, when known (from CREATE TABLE, an earlier change). */
  readonly from?: ColumnType;
  readonly using: 'none' | 'column' | 'cast' | 'expression';
}

export function typeChangeOf(cmd: AlterColumnTypeCmd, table: string, state: SchemaState): TypeChange | undefined {
  const to = columnType(cmd.def?.ColumnDef?.typeName);
  if (!to || cmd.name === undefined) return undefined;
  const from = state.table(table)?.columns.get(cmd.name)?.type;
  return { to, ...(from ? { from } : {}), using: usingKind(cmd.def?.ColumnDef?.raw_default as UsingNode | undefined, table, cmd.name, to) };
}

function usingKind(using: UsingNode | undefined, table: string, column: string, to: ColumnType): TypeChange['using'] {
  if (using === undefined) return 'none';
  if (isColumn(using, table, column)) return 'column';
  const cast = using.TypeCast;
  if (cast?.arg && isColumn(cast.arg, table, column)) {
    const type = columnType(cast.typeName);
    if (type && sameType(type, to)) return 'cast';
  }
  return 'expression';
}

/** The column itself, alone or qualified by (the end of) the table's name. */
function isColumn(node: UsingNode, table: string, column: string): boolean {
  const fields = node.ColumnRef?.fields?.map((f) => f.String?.sval);
  if (!fields || fields.some((f) => f === undefined) || fields[fields.length - 1] !== column) return false;
  const qualifier = fields.slice(0, -1);
  const parts = table.split('.');
  return qualifier.every((q, i) => q === parts[parts.length - qualifier.length + i]);
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  return a.name === b.name && a.array === b.array && a.mods.join(',') === b.mods.join(',');
}

/** Whether the change reads as no USING to PostgreSQL's rewrite decision (see TypeChange). */
export function convertsAsWithoutUsing(change: TypeChange): boolean {
  return change.using !== 'expression';
}

/**
 * Between timestamp and timestamptz, PostgreSQL 12 and later change only the catalog when the
 * session's TimeZone is UTC (the values read the same); in any other zone every row is converted
 * (checked on PGlite: UTC and Etc/UTC keep the table's file, Europe/Berlin does not). True for such
 * a change, converted as without USING, whose rewrite depends on the zone.
 */
export function rewritesUnlessUtc(change: TypeChange, postgres: number): boolean {
  const { from, to } = change;
  if (!from || from.array || to.array || postgres < 12 || !convertsAsWithoutUsing(change)) return false;
  // A precision below 6 after the conversion is a rounding of every value: timestamp(3) to
  // timestamptz(6) keeps the file under UTC, to timestamptz(2) does not (seen on PostgreSQL 15).
  if (to.mods.length > 0 && to.mods[0]! < 6) return false;
  return (from.name === 'timestamp' && to.name === 'timestamptz') || (from.name === 'timestamptz' && to.name === 'timestamp');
}

/**
 * Whether the change fails at once, on any table, empty or not: a serial shorthand as the new type
 * (type "bigserial" does not exist outside CREATE TABLE and ADD COLUMN: MG234), or, without a
 * USING that converts, two built-in types with no assignment cast between them (MG241). Undefined
 * when it may work (or the types are not both known built-ins).
 */
export function typeChangeFails(change: TypeChange): 'serial' | 'no assignment cast' | undefined {
  if (serialInteger(change.to) !== undefined) return 'serial';
  if ((change.using === 'none' || change.using === 'column') && change.from && castsTo(change.from, change.to, 'assignment') === false) return 'no assignment cast';
  return undefined;
}

/**
 * A type change as PostgreSQL's rewrite decision reads it through domains
 * (ATColumnChangeRequiresRewrite in tablecmds.c): a value of a domain is a value of its base type
 * (a relabel, whatever the domain's constraints), so a change from a domain is judged from the
 * type it is over, at the end of its chain; a change to a domain with constraints (its own or
 * those of a domain it is over) checks every row, and PostgreSQL rewrites the table; to one
 * without, it is judged to the type it is over. `checkedBy`: the constraints of the new type that
 * force the rewrite. Domains the statements seen did not create are left as they are (unknown types).
 */
export function throughDomains(change: TypeChange, state: Pick<SchemaState, 'domains' | 'domainConstraints'>, path: readonly string[]): TypeChange & { readonly checkedBy?: readonly { readonly domain: string; readonly constraint: string }[] } {
  const base = (type: ColumnType): ColumnType => {
    let t = type;
    for (let hops = 0; !t.array && hops < 100; hops++) {
      const domain = state.domains.get(tableKey(t.name)) ?? (t.name.includes('.') ? undefined : path.map((schema) => state.domains.get(tableKey(`${schema}.${t.name}`))).find((d) => d !== undefined));
      if (!domain?.baseType) break;
      t = domain.baseType;
    }
    return t;
  };
  const from = change.from ? base(change.from) : undefined;
  const checkedBy = change.to.array ? [] : state.domainConstraints(change.to.name, path);
  const to = checkedBy.length ? change.to : base(change.to);
  return { ...change, ...(from ? { from } : {}), to, ...(checkedBy.length ? { checkedBy } : {}) };
}

/**
 * The indexes a change of a column's type builds again, under its ACCESS EXCLUSIVE lock, when it
 * rewrites no table: ATPostAlterTypeCleanup() re-creates every index that involves the column (in
 * its keys, expressions, WHERE or INCLUDE), and TryReuseIndex() keeps the file of those
 * CheckIndexCompatible() finds unchanged: no expression and no WHERE (it does not compare them),
 * and the same operator class and collation for each key (INCLUDE columns are not compared). So, by why:
 * - collation: the column's collation changes (COLLATE, or none: the type's default): every index
 *   that has it as a key, its primary key's and unique constraints' too;
 * - operator class: the new type's default operator class is another (timestamp to timestamptz
 *   or back, catalog-only under UTC; text or varchar to bpchar, bit to bit varying, integer to oid:
 *   newOperatorClass): every index that has it as a key, whatever its COLLATE;
 * - expressions: otherwise (varchar widened, to text, numeric precision raised, ...) those with an
 *   expression or a WHERE;
 * and, whatever the why, those with the column only in INCLUDE that have an expression or a WHERE.
 * `kept` are the other indexes seen on the column, its keys' among them, when some are rebuilt
 * for an expression (else none is listed). Undefined when the table is rewritten (every index is
 * then built again with it) or the column or its current type is unknown. Checked on PostgreSQL
 * (test/type-change-indexes.test.ts).
 */
export function indexesRebuiltInPlace(cmd: AlterColumnTypeCmd, table: string, state: SchemaState, options: InPlaceOptions): { why: 'collation' | 'operator class' | 'expressions'; rebuilt: string[]; kept: string[]; rechecked: string[] } | undefined {
  const written = typeChangeOf(cmd, table, state);
  // Through the domains the files created (throughDomains): one with constraints rewrites the table.
  const change = written && throughDomains(written, state, options.path ?? defaultSearchPath);
  const column = cmd.name === undefined ? undefined : state.table(table)?.columns.get(cmd.name);
  if (!change?.from || change.checkedBy || !column || cmd.name === undefined || !convertsAsWithoutUsing(change)) return undefined;
  const zoned = rewritesUnlessUtc(change, options.postgres);
  if (zoned ? !options.timeZoneUtc : !binaryCompatible(change.from, change.to)) return undefined;
  const opclass = zoned || newOperatorClass(change.from, change.to);
  // A foreign key compares through a function where it compared through none, or a relabelling (seen on PostgreSQL 15).
  const rechecked = constraintsRevalidated(table, cmd.name, state, { foreignKeys: zoned || (opclass && change.to.name === 'bpchar'), dropped: options.dropped ?? [] });
  const involving = state.indexesInvolving(table, cmd.name);
  const computed = (index: string) => state.indexShape(index)?.computed !== false;
  // Those with the column only in INCLUDE: built again only for an expression or a WHERE.
  const including = state.indexesIncluding(table, cmd.name);
  const includingComputed = including.filter(computed);
  // The indexes of its primary key and unique constraints (named as they are, in its schema): plain.
  const schema = table.includes('.') ? table.slice(0, table.lastIndexOf('.') + 1) : '';
  // Walked only when they are needed (a table can have hundreds of constraints): rebuilt, or named as kept beside what is.
  const keys = () => {
    const found: string[] = [];
    for (const [name, index] of state.table(table)?.uniqueIndexes ?? []) {
      if (typeof name === 'string' && index.constraint && index.keys.includes(cmd.name!) && !involving.includes(schema + name)) found.push(schema + name);
    }
    return found;
  };
  // Only what a CREATE TABLE or ALTER TABLE read says of the column's collation is known.
  const collation = (!column.partial || column.collationKnown === true) && collationOf(cmd.def?.ColumnDef) !== column.collation;
  if (collation || opclass) {
    // A key given a COLLATE in the index keeps it: for a new collation only, such an index with no expression and no WHERE is kept.
    const rebuilt = involving.filter((i) => opclass || computed(i) || !state.indexShape(i)!.collated.includes(cmd.name!));
    return { why: opclass ? 'operator class' : 'collation', rebuilt: [...rebuilt, ...includingComputed, ...keys()], kept: [], rechecked };
  }
  const rebuilt = [...involving.filter(computed), ...includingComputed];
  // `kept` is said only beside what is rebuilt: none is walked for a change that rebuilds nothing.
  return { why: 'expressions', rebuilt, kept: rebuilt.length ? [...involving.filter((i) => !computed(i)), ...including.filter((i) => !computed(i)), ...keys()] : [], rechecked };
}

export interface InPlaceOptions {
  readonly postgres: number;
  readonly timeZoneUtc: boolean;
  readonly path?: readonly string[];
  /** The constraints the statement drops (DROP CONSTRAINT): PostgreSQL drops them before it changes a type. */
  readonly dropped?: readonly string[];
}

/** The constraints an ALTER TABLE's DROP CONSTRAINT subcommands name. */
export function droppedConstraints(cmds: readonly { subtype?: string; name?: string }[]): string[] {
  return cmds.flatMap((c) => (c.subtype === 'AT_DropConstraint' && c.name !== undefined ? [c.name] : []));
}

/**
 * The constraints of the table a change of a column's type that rewrites no table validates
 * again, reading every row under its ACCESS EXCLUSIVE lock: ATPostAlterTypeCleanup() adds again
 * every constraint that involves the column, as it is, and one that was valid is validated. A
 * CHECK always; a foreign key from the column only when `foreignKeys` (the cast from the new type
 * to what its equality operator compares changes: ATAddForeignKeyConstraint's old_check_ok). One
 * NOT VALID stays so, unchecked; one the statement drops is not added again. Checked on PGlite and
 * PostgreSQL 15 by the table's sequential scans (test/type-change-indexes.test.ts).
 */
function constraintsRevalidated(table: string, column: string, state: SchemaState, options: { foreignKeys: boolean; dropped: readonly string[] }): string[] {
  const found: string[] = [];
  for (const { name, kind } of state.validConstraintsInvolving(table, column)) {
    if (options.dropped.includes(name)) continue;
    if (kind === 'check' || (kind === 'foreign key' && options.foreignKeys)) found.push(name);
  }
  return found;
}

/** The range of each integer type, and the integer types from the narrowest. */
const integerRanges: Readonly<Record<string, readonly [string, string]>> = {
  int2: ['-32768', '32767'], int4: ['-2147483648', '2147483647'], int8: ['-9223372036854775808', '9223372036854775807'],
};
const integerOrder = ['int2', 'int4', 'int8'];
/** How many digits before the point a value of a type can have (numeric(p,s): p - s; unbounded: undefined). */
function integerDigits(t: ColumnType): number | undefined {
  const name = serialInteger(t) ?? t.name;
  if (name === 'int2') return 5;
  if (name === 'int4') return 10;
  if (name === 'int8') return 19;
  if (name === 'numeric' && t.mods.length) return t.mods[0]! - (t.mods[1] ?? 0);
  return undefined;
}
const stringTypes = new Set(['text', 'varchar', 'bpchar', 'citext']);

/**
 * What a change of a column's type to a narrower one does to a value that does not fit, as
 * PostgreSQL 15 does it (test/type-change-narrowing.test.ts):
 * - fails: the statement stops at the first such row, with PostgreSQL's `error` (an integer type
 *   or numeric(p,s) with fewer digits before the point (or as many and a lower scale), double precision to real, a string type
 *   to a shorter varchar(n) or char(n) converted as in an assignment: no USING, or USING the
 *   column);
 * - truncates: a cast to a shorter varchar(n) or char(n) written in USING (an explicit cast) cuts
 *   every longer value, silently.
 * `error`: PostgreSQL's error, or how long the cut values are. `where`: the condition that finds those rows, for the column given. Undefined when the change
 * cannot meet such a value (widening), or its types are not known, or USING is an expression.
 */
export function narrowing(change: TypeChange): { readonly kind: 'fails' | 'truncates'; readonly error: string; readonly where: (column: string) => string | undefined } | undefined {
  const { from, to } = change;
  if (!from || from.array !== to.array || change.using === 'expression') return undefined;
  const fromName = serialInteger(from) ?? from.name;
  // Arrays are converted element by element, as the plain types are; their rows are found by hand.
  const where = (condition: (column: string) => string) => (column: string) => (from.array ? undefined : condition(column));
  const integer = integerRanges[to.name];
  if (integer) {
    const narrower = integerOrder.includes(fromName) ? integerOrder.indexOf(fromName) > integerOrder.indexOf(to.name) : ['numeric', 'float4', 'float8'].includes(fromName);
    if (!narrower) return undefined;
    // A numeric or floating value is rounded to the integer first.
    const value = (c: string) => (integerOrder.includes(fromName) ? c : `round(${c})`);
    return { kind: 'fails', error: `${describeType({ name: to.name, mods: [], array: false })} out of range`, where: where((c) => `${value(c)} NOT BETWEEN ${integer[0]} AND ${integer[1]}`) };
  }
  if (to.name === 'float4' && fromName === 'float8') {
    return { kind: 'fails', error: 'value out of range: overflow', where: where((c) => `abs(${c}) > 3.4e38`) };
  }
  if (to.name === 'numeric' && to.mods.length) {
    const digits = integerDigits(to)!;
    const had = integerDigits(from);
    // With as many digits before the point, a lower scale rounds, and may carry into one more (99.99 to numeric(3,1) is 100.0).
    const fewerDigits = had !== undefined ? had > digits || (had === digits && fromName === 'numeric' && (to.mods[1] ?? 0) < (from.mods[1] ?? 0)) : ['numeric', 'float4', 'float8'].includes(fromName);
    if (!fewerDigits) return undefined;
    // Rounded to the new scale first (999.995 to numeric(5,2) is 1000.00, too many digits).
    return { kind: 'fails', error: 'numeric field overflow', where: where((c) => `abs(round(${c}::numeric, ${to.mods[1] ?? 0})) >= 1e${digits}`) };
  }
  if ((to.name === 'varchar' || to.name === 'bpchar') && to.mods.length && stringTypes.has(from.name)) {
    const length = to.mods[0]!;
    if (from.name !== 'text' && from.name !== 'citext' && from.mods.length && from.mods[0]! <= length) return undefined;
    const longer = where((c) => `length(${c}) > ${length}`);
    return change.using === 'cast'
      ? { kind: 'truncates', error: `${length} characters`, where: longer }
      : { kind: 'fails', error: `value too long for type ${to.name === 'varchar' ? 'character varying' : 'character'}(${length})`, where: longer };
  }
  return undefined;
}
