import { distance } from 'fastest-levenshtein';
import { builtinTypeNames } from '../compat/builtins.js';
import type { SchemaState } from '../sql/schema-state.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { nameSpanAt, parseSql, type PgNode } from '../../sql/parser.js';
import { node, relationName } from './ast.js';
import { quoteColumn, quoteIdent, quoteName, quoteTypeName, sqlLiteral } from '../../sql/quote.js';
import { castsTo, describeType } from '../sql/types.js';

/**
 * A type name that does not exist: PostgreSQL refuses the statement ("type "timestampz" does not
 * exist"), on the server or in migc verify, never in the static check before this rule.
 *
 * The static check cannot know every type: an extension (citext, hstore, PostGIS), a schema on
 * the search_path or an earlier migration outside the files it reads may create one. So it says
 * two things only:
 * - a name that is known nowhere and is a near-miss of a built-in type's (timestampz for
 *   timestamptz, intger for integer) is an error, with the name it was likely meant to be;
 * - where the schema is fully known (a plan whose baseline loads on its own and creates no
 *   extension, before any step creates one or runs a DO block), any other unknown name is a
 *   warning: the rehearsal on the baseline fails there too.
 *
 * And one thing it knows for sure: serial, bigserial, smallserial (serial2, serial4, serial8) are
 * no types, only a shorthand PostgreSQL reads in a column of CREATE TABLE and ADD COLUMN, written
 * unqualified and not as an array. Anywhere else (ALTER COLUMN ... TYPE, a cast, a function's
 * argument, a domain) the statement fails: an error, whatever else is known.
 */
export const unknownType: StatementRule = {
  code: 'MG234',
  name: 'unknown-type',
  summary: 'A type that is neither built in nor created earlier: a near-miss of a built-in type (timestampz for timestamptz) is an error, as is serial, bigserial or smallserial outside a column of CREATE TABLE or ADD COLUMN (TYPE bigserial, a cast); where a plan\'s baseline is the whole schema, any unknown type is a warning.',
  severity: 'error',
  check(ctx, report) {
    const names = typeNames(ctx.ast);
    if (names.length === 0) return;
    for (const serial of misplacedSerials(ctx.ast, names)) {
      const at = typeNameAt(ctx.text, serial.index);
      report({ severity: 'error', refused: 'certain', ...judgeSerial(serial, ctx), ...(at ? { at } : {}) });
    }
    const unknown = unknownAmong(names, ctx.state);
    if (unknown.length === 0) return;
    const reported = new Set<string>();
    for (const t of unknown) {
      if (reported.has(t.written)) continue;
      const finding = judgeUnknown(t, ctx);
      if (!finding) continue;
      reported.add(t.written);
      const at = typeNameAt(ctx.text, t.index);
      // A near-miss (an error) fails for sure; a name the baseline does not create, unless the server has it.
      report({ ...finding, refused: finding.severity === 'error' ? 'certain' : 'possible', ...(at ? { at } : {}) });
    }
  },
};

/** A type name a statement uses, as the parser gives it. */
interface UsedType {
  /** Its name parts: ["pg_catalog", "timestamptz"], ["timestampz"], ["app", "status"]. */
  readonly parts: readonly string[];
  /** As a reader would write it: "timestampz", "app.status". */
  readonly written: string;
  /** Its rank among the statement's type names (see typeNames()), to find it in the text. */
  readonly index: number;
}

type TypeNameNode = { names?: { String?: { sval?: string } }[]; pct_type?: boolean; location?: number };

/**
 * The type names a statement refers to, in a fixed order: column types, casts, domains' base
 * types, functions' argument and result types, a range's subtype, CREATE TABLE ... OF. Left out:
 * `table.column%TYPE` (a column, not a type), DROP statements (IF EXISTS is common, and a type
 * dropped is not one used), and the options of CREATE TYPE, AGGREGATE, OPERATOR and the like,
 * where the parser gives function names, keywords and the name of the multirange type being
 * created in the same shape as type names: only the options that name a type are read there.
 */
export function typeNames(ast: PgNode): TypeNameNode[] {
  const found: TypeNameNode[] = [];
  const [kind] = node(ast);
  if (kind === 'DropStmt') return found;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    if (Array.isArray(o.names) && typeof o.typemod === 'number') {
      if (!(o as TypeNameNode).pct_type) found.push(o as TypeNameNode);
      walk(o.typmods);
      walk(o.arrayBounds);
      return;
    }
    const def = o.DefElem as { defname?: string; arg?: unknown } | undefined;
    if (def) {
      if (def.defname !== undefined && typeOptions.has(def.defname)) walk(def.arg);
      return;
    }
    for (const k in o) walk(o[k]);
  };
  walk(ast);
  return found;
}

/**
 * Options (DefElem) whose value names a type: CREATE TYPE's element, like, subtype; CREATE
 * AGGREGATE's stype, basetype; CREATE OPERATOR's arguments; CREATE SEQUENCE's AS (CREATE
 * FUNCTION's `as` is its body: strings, never taken for a type name).
 */
const typeOptions: ReadonlySet<string> = new Set(['element', 'like', 'subtype', 'stype', 'mstype', 'basetype', 'leftarg', 'rightarg', 'as']);

/** The types a statement uses that are neither built in nor known to the schema state. */
export function unknownTypes(ast: PgNode, state: SchemaState): UsedType[] {
  return unknownAmong(typeNames(ast), state);
}

/** unknownTypes() of a statement's typeNames(). */
function unknownAmong(names: readonly TypeNameNode[], state: SchemaState): UsedType[] {
  const unknown: UsedType[] = [];
  for (const [index, t] of names.entries()) {
    const parts = (t.names ?? []).map((n) => n.String?.sval ?? '');
    if (isKnownType(parts, state)) continue;
    // The parser adds pg_catalog only to the built-in types it knows by keyword: an unknown name is as written.
    unknown.push({ parts, written: parts.join('.'), index });
  }
  return unknown;
}

/** Types of information_schema, which some schemas use unqualified (with it on the search_path). */
const informationSchemaTypes = new Set(['cardinal_number', 'character_data', 'sql_identifier', 'time_stamp', 'yes_or_no']);

function isKnownType(parts: readonly string[], state: SchemaState): boolean {
  const name = parts[parts.length - 1] ?? '';
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  // A serial where PostgreSQL refuses it is misplacedSerials()'s.
  if ((schema === undefined || schema === 'pg_catalog') && serialIntegers.has(name)) return true;
  if (schema === undefined || schema === 'pg_catalog') {
    // An array type's own name is its element's with an underscore: _int4 is int4[].
    if (builtinTypeNames.has(name) || (name.startsWith('_') && builtinTypeNames.has(name.slice(1)))) return true;
    // The row types of the system catalogs and views (pg_class, pg_stat_activity).
    if (name.startsWith('pg_')) return true;
  }
  if (schema === 'information_schema' || (schema === undefined && informationSchemaTypes.has(name))) return true;
  const element = name.startsWith('_') ? name.slice(1) : name;
  return createdType(name, state) || (element !== name && createdType(element, state));
}

/**
 * Whether the statements seen create a type of this name: a type, a domain, or a table's or
 * view's row type. Matched on the last part of the name, in any schema: which schema an unqualified
 * name resolves to depends on a search_path the analysis does not follow.
 */
function createdType(name: string, state: SchemaState): boolean {
  if (state.types.has(name) || state.table(name) || state.views.has(name)) return true;
  const suffix = `.${name}`;
  for (const key of state.types) if (key.endsWith(suffix)) return true;
  for (const key of state.views) if (key.endsWith(suffix)) return true;
  for (const key of state.tables.keys()) if (key.endsWith(suffix)) return true;
  return false;
}

/**
 * Type names of common extensions. Never taken for a misspelling of a built-in type (citext is
 * not a typo of text), and named as the extension's where the schema is fully known.
 */
const extensionTypes: ReadonlyMap<string, string> = new Map([
  ...['citext', 'hstore', 'ltree', 'cube', 'seg', 'lo', 'semver', 'hll', 'ip4r', 'pg_uuidv7', 'tdigest', 'ulid', 'jsquery'].map((t) => [t, t] as const),
  ...['lquery', 'ltxtquery'].map((t) => [t, 'ltree'] as const),
  ...['isbn', 'isbn13', 'issn', 'issn13', 'ismn', 'ismn13', 'ean13', 'upc'].map((t) => [t, 'isn'] as const),
  ['earth', 'earthdistance'],
  ['query_int', 'intarray'],
  ...['geometry', 'geography', 'box2d', 'box3d', 'box2df', 'gidx', 'spheroid', 'raster', 'topogeometry'].map((t) => [t, 'postgis'] as const),
  ...['vector', 'halfvec', 'sparsevec'].map((t) => [t, 'vector'] as const),
  ...['uint1', 'uint2', 'uint4', 'uint8', 'int1'].map((t) => [t, 'pguint'] as const),
  ...['ip4', 'ip6', 'ipaddress', 'iprange', 'ip4r', 'ip6r'].map((t) => [t, 'ip4r'] as const),
  ['h3index', 'h3'],
]);

/**
 * The built-in names a type is written with, most common first (the first of equally near ones
 * is suggested): PostgreSQL's own names and the SQL spellings its parser accepts as one word.
 * Short, rarely written names (cid, tid, box, line, path, name) are left out: a type of one's own
 * one letter away from them is more likely than a typo.
 */
const commonTypeNames: readonly string[] = [
  'integer', 'bigint', 'smallint', 'text', 'varchar', 'boolean', 'timestamptz', 'timestamp', 'date', 'time', 'timetz',
  'interval', 'numeric', 'decimal', 'real', 'float4', 'float8', 'uuid', 'jsonb', 'json', 'bytea', 'serial', 'bigserial',
  'smallserial', 'int2', 'int4', 'int8', 'bool', 'character', 'char', 'bpchar', 'varbit', 'inet', 'cidr', 'macaddr',
  'macaddr8', 'money', 'point', 'polygon', 'circle', 'tsvector', 'tsquery', 'xml', 'jsonpath', 'regclass', 'oid',
  'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'int4multirange', 'int8multirange',
  'nummultirange', 'tsmultirange', 'tstzmultirange', 'datemultirange', 'record', 'trigger', 'void', 'pg_lsn',
];

/**
 * The built-in name an unknown one is a near-miss of, if any: one edit away (a letter more, less or
 * changed, or two swapped), two for names of nine letters or more (timestamptz, bigserial). Not:
 * names of three letters or fewer; a letter changed in a name of five or fewer (guid is not uuid,
 * data not date); a plural (dates); names that differ only in digits (int1, float2: an extension's
 * sized types); and the types of common extensions.
 */
export function nearMissOf(name: string): string | undefined {
  if (name.length <= 3 || extensionTypes.has(name)) return undefined;
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of commonTypeNames) {
    const edits = editsBetween(name, candidate);
    if (edits === 0 || edits > (candidate.length >= 9 ? 2 : 1)) continue;
    if (name === `${candidate}s` || candidate === `${name}s`) continue;
    if (name.replace(/\d/g, '') === candidate.replace(/\d/g, '')) continue;
    if (edits === 1 && name.length === candidate.length && name.length <= 5 && !swapped(name, candidate)) continue;
    if (!best || edits < best.edits) best = { candidate, edits };
  }
  return best?.candidate;
}

/** Levenshtein distance, with two neighbouring letters swapped counted as one edit (varhcar). */
function editsBetween(a: string, b: string): number {
  return a.length === b.length && swapped(a, b) ? 1 : distance(a, b);
}

/** Whether two words of the same length differ by two neighbouring letters swapped. */
function swapped(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** The serial shorthands, as written, and the integer type each one makes. */
const serialIntegers: ReadonlyMap<string, string> = new Map([
  ['serial', 'integer'], ['serial4', 'integer'], ['bigserial', 'bigint'], ['serial8', 'bigint'], ['smallserial', 'smallint'], ['serial2', 'smallint'],
]);

/** A serial shorthand where PostgreSQL refuses it. */
interface MisplacedSerial {
  /** As written: bigserial, pg_catalog.serial. */
  readonly written: string;
  /** The shorthand's own name: bigserial. */
  readonly name: string;
  /** The integer type it would make: bigint. */
  readonly integer: string;
  /** Its rank among the statement's type names (typeNames()). */
  readonly index: number;
  /** Where: the new type of ALTER COLUMN ... TYPE; a column's, but an array or qualified; anywhere else. */
  readonly where: { readonly kind: 'alter column'; readonly table: string; readonly column: string } | { readonly kind: 'array' | 'qualified' | 'elsewhere' };
}

type ColumnDefNode = { ColumnDef?: { typeName?: TypeNameNode } };
type AlterCmdNode = { AlterTableCmd?: { subtype?: string; name?: string; def?: ColumnDefNode } };

/**
 * The serial shorthands a statement uses where PostgreSQL does not read them (checked on PGlite and
 * PostgreSQL 15, test/type-change.test.ts): it reads them only as a column's type in CREATE [FOREIGN]
 * TABLE and ALTER [FOREIGN] TABLE ... ADD COLUMN, unqualified and not an array. Elsewhere, type
 * "bigserial" does not exist (ALTER TYPE ... ADD ATTRIBUTE fails on the sequence it cannot own).
 */
function misplacedSerials(ast: PgNode, names: readonly TypeNameNode[] = typeNames(ast)): MisplacedSerial[] {
  const last = (t: TypeNameNode) => t.names?.[t.names.length - 1]?.String?.sval ?? '';
  if (!names.some((t) => serialIntegers.has(last(t)))) return [];
  const [kind, body] = node(ast);
  const columns = new Set<unknown>();
  const retyped = new Map<unknown, { table: string; column: string }>();
  const create = kind === 'CreateStmt' ? body : kind === 'CreateForeignTableStmt' ? body.base : undefined;
  for (const e of (create?.tableElts ?? []) as ColumnDefNode[]) if (e.ColumnDef?.typeName) columns.add(e.ColumnDef.typeName);
  if (kind === 'AlterTableStmt' && (body.objtype === 'OBJECT_TABLE' || body.objtype === 'OBJECT_FOREIGN_TABLE')) {
    const table = relationName(body.relation);
    for (const c of (body.cmds ?? []) as AlterCmdNode[]) {
      const typeName = c.AlterTableCmd?.def?.ColumnDef?.typeName;
      if (!typeName) continue;
      if (c.AlterTableCmd?.subtype === 'AT_AddColumn') columns.add(typeName);
      if (c.AlterTableCmd?.subtype === 'AT_AlterColumnType') retyped.set(typeName, { table, column: c.AlterTableCmd.name ?? '' });
    }
  }
  const found: MisplacedSerial[] = [];
  for (const [index, t] of names.entries()) {
    const parts = (t.names ?? []).map((n) => n.String?.sval ?? '');
    const name = parts[parts.length - 1]!;
    const integer = serialIntegers.get(name);
    if (integer === undefined || (parts.length > 1 && parts[0] !== 'pg_catalog') || parts.length > 2) continue;
    const array = ((t as { arrayBounds?: unknown[] }).arrayBounds?.length ?? 0) > 0;
    const alter = retyped.get(t);
    let where: MisplacedSerial['where'] | undefined;
    if (alter) where = { kind: 'alter column', ...alter };
    else if (!columns.has(t)) where = { kind: 'elsewhere' };
    else if (parts.length > 1) where = { kind: 'qualified' };
    else if (array) where = { kind: 'array' };
    if (where === undefined) continue;
    found.push({ written: parts.join('.'), name, integer, index, where });
  }
  return found;
}

/** What to say about a serial where PostgreSQL refuses it. */
function judgeSerial(serial: MisplacedSerial, ctx: StatementContext): { message: string; help: string } {
  const { written, name, integer, where } = serial;
  const an = integer === 'integer' ? 'an' : 'a';
  const shorthand = `${name} is no type, only a shorthand PostgreSQL reads in a column of CREATE TABLE or ADD COLUMN (${an} ${integer} column with a sequence's default)`;
  if (where.kind === 'alter column') {
    const { table, column } = where;
    const col = quoteIdent(column);
    const from = ctx.state.table(table)?.columns.get(column)?.type;
    const to = { name: integer === 'integer' ? 'int4' : integer === 'bigint' ? 'int8' : 'int2', mods: [], array: false };
    const retype = from && describeType(from) === integer
      ? `It is ${integer} already; give it a sequence:`
      : `Make it ${integer} (ALTER TABLE ${quoteName(table)} ALTER COLUMN ${col} TYPE ${integer}${from && castsTo(from, to, 'assignment') ? '' : ` USING ${col}::${integer}`};), then give it a sequence:`;
    const parts = table.split('.');
    const sequence = [...parts.slice(0, -1), `${parts[parts.length - 1]}_${column}_seq`].join('.');
    return {
      message: `changing ${quoteColumn(table, column)} to ${written} fails (type "${written}" does not exist): ${shorthand}`,
      help: `${retype} ALTER TABLE ${quoteName(table)} ALTER COLUMN ${col} ADD GENERATED BY DEFAULT AS IDENTITY; (it must be NOT NULL), or CREATE SEQUENCE ${quoteName(sequence)} OWNED BY ${quoteColumn(table, column)}; and SET DEFAULT nextval(${sqlLiteral(quoteName(sequence))}). Then setval the sequence past the column's largest value (pg_get_serial_sequence(${sqlLiteral(quoteName(table))}, ${sqlLiteral(column)}) names it).`,
    };
  }
  if (where.kind === 'array') {
    return {
      message: `array of ${name} is not implemented: PostgreSQL refuses ${written}[] (${name} makes one ${integer} column with a sequence's default)`,
      help: `Write ${integer}[], with a default of your own if the column needs one.`,
    };
  }
  if (where.kind === 'qualified') {
    return {
      message: `type ${quoteTypeName(written)} does not exist: PostgreSQL reads ${name} as a shorthand only unqualified`,
      help: `Write ${name}, without pg_catalog.`,
    };
  }
  return {
    message: `type ${quoteTypeName(written)} does not exist: ${shorthand}, and this statement uses it elsewhere`,
    help: `Write ${integer} here. ${name} makes ${an} ${integer} column with a sequence's default only as a column's type in CREATE TABLE or ALTER TABLE ... ADD COLUMN.`,
  };
}

/** What to say about one unknown type, if anything. */
function judgeUnknown(t: UsedType, ctx: StatementContext): { message: string; help: string; severity: 'error' | 'warning' } | undefined {
  const name = t.parts[t.parts.length - 1]!;
  const schema = t.parts.length > 1 ? t.parts[t.parts.length - 2] : undefined;
  const earlier = ctx.mode === 'plan' ? 'in the baseline or an earlier step' : 'in an earlier migration';
  // Another database's type, unqualified: PostgreSQL has none of that name, and no common
  // extension gives one (the eighteenth trial's taproot-assets: 191 BLOBs its Go code turns into
  // BYTEA before PostgreSQL sees them). A database may still have a domain of that name: a warning.
  const foreign = schema === undefined ? foreignTypes.get(name) : undefined;
  if (foreign !== undefined) {
    return {
      severity: 'warning',
      message: `type ${quoteTypeName(t.written)} is ${foreign.of}, not PostgreSQL's: PostgreSQL's is ${foreign.pg}`,
      help: `PostgreSQL refuses the statement (type "${t.written}" does not exist) unless the database has a type or domain of that name. Write ${foreign.pg}. If your migration tool rewrites the files before it sends them (a string replacement in code), lint the rewritten copies: migc reads SQL as the server gets it.`,
    };
  }
  // A qualified name outside pg_catalog is written on purpose: only the schema state can judge it.
  const meant = schema === undefined || schema === 'pg_catalog' ? nearMissOf(name) : undefined;
  if (meant !== undefined) {
    return {
      severity: 'error',
      message: `type ${quoteTypeName(t.written)} does not exist; did you mean ${meant}?`,
      help: `PostgreSQL has no type ${quoteTypeName(t.written)}, so the statement fails when it runs (type "${t.written}" does not exist). Write ${meant}. If ${quoteTypeName(t.written)} is a type of your own or of an extension, create it before this statement (CREATE TYPE, CREATE DOMAIN, CREATE EXTENSION), ${earlier}.`,
    };
  }
  if (!ctx.schemaKnown) return undefined;
  const extension = extensionTypes.get(name);
  if (extension !== undefined) {
    return {
      severity: 'warning',
      message: `type ${quoteTypeName(t.written)} is the ${extension} extension's, and the baseline does not create it`,
      help: `The statement fails where ${extension} is not installed: migc verify rehearses on the baseline alone. Add CREATE EXTENSION IF NOT EXISTS ${extension}; to the baseline.`,
    };
  }
  return {
    severity: 'warning',
    message: `type ${quoteTypeName(t.written)} does not exist: it is not built in, and neither the baseline nor an earlier step creates it`,
    help: `The statement fails when the plan is rehearsed on its baseline (migc verify), and on the server unless the type is there already. Create it before this statement (CREATE TYPE, CREATE DOMAIN), ${earlier}; if an extension provides it, add its CREATE EXTENSION to the baseline, so that the baseline is the whole schema.`,
  };
}

/**
 * Where the index-th type name of a statement (in typeNames() order) is in its text, as string
 * offsets. The text is parsed again on its own, so that the parser's byte locations are the
 * text's (only when there is a finding to place), and the name's end is found with PostgreSQL's
 * lexer: its parts and the dots between them.
 */
function typeNameAt(text: string, index: number): { start: number; end: number } | undefined {
  const parsed = parseSql(text);
  if (!parsed.ok || parsed.statements.length !== 1) return undefined;
  const t = typeNames(parsed.statements[0]!.ast)[index];
  return t?.location === undefined ? undefined : nameSpanAt(text, t.location, (t.names ?? []).length);
}

/**
 * Types of other databases that PostgreSQL does not have (as the parser gives them: lower case),
 * with whose they are and PostgreSQL's nearest. Names PostgreSQL's grammar reads as its own
 * (`nchar`, `national character varying`, `float`, `real`, `bit`) are not here: they parse into
 * built-in types.
 */
export const foreignTypes: ReadonlyMap<string, { readonly of: string; readonly pg: string }> = new Map([
  ['blob', { of: 'SQLite\'s and MySQL\'s', pg: 'bytea' }],
  ['tinyblob', { of: 'MySQL\'s', pg: 'bytea' }],
  ['mediumblob', { of: 'MySQL\'s', pg: 'bytea' }],
  ['longblob', { of: 'MySQL\'s', pg: 'bytea' }],
  ['varbinary', { of: 'MySQL\'s and SQL Server\'s', pg: 'bytea' }],
  ['image', { of: 'SQL Server\'s', pg: 'bytea' }],
  ['clob', { of: 'Oracle\'s and DB2\'s', pg: 'text' }],
  ['tinytext', { of: 'MySQL\'s', pg: 'text' }],
  ['mediumtext', { of: 'MySQL\'s', pg: 'text' }],
  ['longtext', { of: 'MySQL\'s', pg: 'text' }],
  ['ntext', { of: 'SQL Server\'s', pg: 'text' }],
  ['nvarchar', { of: 'SQL Server\'s', pg: 'varchar' }],
  ['varchar2', { of: 'Oracle\'s', pg: 'varchar' }],
  ['nvarchar2', { of: 'Oracle\'s', pg: 'varchar' }],
  ['number', { of: 'Oracle\'s', pg: 'numeric' }],
  ['datetime', { of: 'MySQL\'s, SQLite\'s and SQL Server\'s', pg: 'timestamp (or timestamptz)' }],
  ['datetime2', { of: 'SQL Server\'s', pg: 'timestamp' }],
  ['smalldatetime', { of: 'SQL Server\'s', pg: 'timestamp(0)' }],
  ['datetimeoffset', { of: 'SQL Server\'s', pg: 'timestamptz' }],
  ['tinyint', { of: 'MySQL\'s and SQL Server\'s', pg: 'smallint' }],
  ['mediumint', { of: 'MySQL\'s', pg: 'integer' }],
  ['double', { of: 'MySQL\'s', pg: 'double precision' }],
  ['uniqueidentifier', { of: 'SQL Server\'s', pg: 'uuid' }],
]);
