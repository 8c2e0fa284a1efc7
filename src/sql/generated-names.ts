import type { PgNode } from './parser.js';
import { node } from './node.js';

/**
 * The names PostgreSQL gives the objects a statement makes without naming them: an index
 * (CREATE INDEX ON t (a): t_a_idx), a primary key (t_pkey), a UNIQUE constraint (t_a_key), an
 * EXCLUDE constraint (t_a_excl), a foreign key (t_a_fkey), a CHECK (t_a_check, or t_check when it
 * reads no column or several). Later migrations name them (DROP INDEX t_a_idx, DROP CONSTRAINT
 * t_a_fkey), so whoever follows a schema must name them as PostgreSQL does: the rules below are
 * PostgreSQL's (makeObjectName, ChooseRelationName and ChooseIndexName in indexcmds.c,
 * ChooseConstraintName in pg_constraint.c, FigureIndexColname in parse_target.c), and
 * test/generated-names.test.ts checks them on the engines.
 */

/** The most bytes a name has (NAMEDATALEN - 1): PostgreSQL cuts longer ones. */
export const nameMaxBytes = 63;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The longest start of `s` of at most `max` bytes that cuts no character (pg_mbcliplen). */
export function clipToBytes(s: string, max: number): string {
  if (bytes(s) <= max) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = bytes(ch);
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * name1_name2_label in at most 63 bytes (makeObjectName): the label is never cut; while too long,
 * the longer of the two names loses a byte (name2 when they are as long), and each is then cut
 * back to a whole character.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  let n1 = bytes(name1);
  let n2 = name2 === undefined ? 0 : bytes(name2);
  const available = nameMaxBytes - (name2 === undefined ? 0 : 1) - (bytes(label) + 1);
  while (n1 + n2 > available) {
    if (n1 > n2) n1--;
    else n2--;
  }
  const first = clipToBytes(name1, n1);
  return name2 === undefined ? `${first}_${label}` : `${first}_${clipToBytes(name2, n2)}_${label}`;
}

/**
 * The column names joined by "_", as the middle of an index's or a foreign key's name
 * (ChooseIndexNameAddition): PostgreSQL stops adding names once it has 64 bytes, as the rest
 * would be cut anyway.
 */
export function nameAddition(columns: readonly string[]): string {
  let out = '';
  for (const column of columns) {
    if (out !== '') out += '_';
    out += clipToBytes(column, nameMaxBytes);
    if (bytes(out) >= nameMaxBytes + 1) break;
  }
  return out;
}

/**
 * The first of label, label1, label2... whose name `taken` does not refuse (ChooseRelationName,
 * ChooseConstraintName): PostgreSQL numbers the label, not the name.
 */
export function chooseName(name1: string, name2: string | undefined, label: string, taken: (name: string) => boolean): string {
  for (let pass = 0; ; pass++) {
    const name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
    if (!taken(name)) return name;
  }
}

type Tree = Record<string, any>;

const lastString = (list: { String?: { sval?: string } }[] | undefined): string | undefined => {
  let found: string | undefined;
  for (const item of list ?? []) if (item.String?.sval !== undefined) found = item.String.sval;
  return found;
};

const sqlValueNames: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date', SVFOP_CURRENT_TIME: 'current_time', SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp', SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp', SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime', SVFOP_LOCALTIMESTAMP: 'localtimestamp', SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role', SVFOP_CURRENT_USER: 'current_user', SVFOP_USER: 'user', SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog', SVFOP_CURRENT_SCHEMA: 'current_schema',
};

const xmlNames: Readonly<Record<string, string>> = {
  IS_XMLCONCAT: 'xmlconcat', IS_XMLELEMENT: 'xmlelement', IS_XMLFOREST: 'xmlforest', IS_XMLPARSE: 'xmlparse', IS_XMLPI: 'xmlpi', IS_XMLROOT: 'xmlroot', IS_XMLSERIALIZE: 'xmlserialize',
};

/**
 * The name PostgreSQL figures for an expression, with how sure it is (FigureColnameInternal):
 * 2 a good name (a column's, a function's), 1 a second best (a cast's type), 0 none.
 */
function figureName(node: Tree | undefined): [number, string?] {
  if (!node) return [0];
  const [kind, body] = Object.entries(node)[0] as [string, Tree];
  switch (kind) {
    case 'ColumnRef': {
      const name = lastString(body.fields);
      return name !== undefined ? [2, name] : [0];
    }
    case 'A_Indirection': {
      const name = lastString(body.indirection);
      return name !== undefined ? [2, name] : figureName(body.arg);
    }
    case 'FuncCall':
      return [2, lastString(body.funcname) ?? '?'];
    case 'A_Expr':
      return body.kind === 'AEXPR_NULLIF' ? [2, 'nullif'] : [0];
    case 'TypeCast': {
      const inner = figureName(body.arg);
      if (inner[0] > 1) return inner;
      const type = lastString(body.typeName?.names);
      return type !== undefined ? [1, type] : inner;
    }
    case 'CollateClause':
      return figureName(body.arg);
    case 'GroupingFunc':
      return [2, 'grouping'];
    case 'SubLink':
      if (body.subLinkType === 'EXISTS_SUBLINK') return [2, 'exists'];
      if (body.subLinkType === 'ARRAY_SUBLINK') return [2, 'array'];
      return [0];
    case 'CaseExpr': {
      const inner = figureName(body.defresult);
      return inner[0] > 1 ? inner : [1, 'case'];
    }
    case 'A_ArrayExpr':
      return [2, 'array'];
    case 'RowExpr':
      return [2, 'row'];
    case 'CoalesceExpr':
      return [2, 'coalesce'];
    case 'MinMaxExpr':
      return body.op === 'IS_GREATEST' ? [2, 'greatest'] : body.op === 'IS_LEAST' ? [2, 'least'] : [0];
    case 'SQLValueFunction':
      return sqlValueNames[body.op] ? [2, sqlValueNames[body.op]] : [0];
    case 'XmlExpr':
      return xmlNames[body.op] ? [2, xmlNames[body.op]] : [0];
    case 'XmlSerialize':
      return [2, 'xmlserialize'];
    default:
      return [0];
  }
}

/**
 * The names of an index's columns (ChooseIndexColumnNames): a column's own, the name PostgreSQL
 * figures for an expression (lower(email): lower; else expr), a repeated one numbered (a, a1).
 */
export function indexColumnNames(elems: readonly (Tree | undefined)[]): string[] {
  const out: string[] = [];
  for (const elem of elems) {
    const e = elem?.IndexElem ?? elem ?? {};
    const original: string = e.indexcolname ?? e.name ?? (e.expr ? figureName(e.expr)[1] : undefined) ?? 'expr';
    let name = original;
    for (let i = 1; out.includes(name); i++) name = `${clipToBytes(original, nameMaxBytes - String(i).length)}${i}`;
    out.push(name);
  }
  return out;
}

/** What a schema holds that an unnamed object's name must not repeat, in the schema of the table named. */
export interface NamesTaken {
  /** A relation (table, index, view, sequence) of this name is in the table's schema. */
  relation(name: string): boolean;
  /** A constraint of this name is in the table's schema (on any table: PostgreSQL avoids them all). */
  constraint(name: string): boolean;
  /** The constraints and indexes of the table that a DROP COLUMN of this column drops with it. */
  droppedWithColumn?(column: string): Iterable<string>;
}

const nobodysNames: NamesTaken = { relation: () => false, constraint: () => false };

const strings = (list: { String?: { sval?: string } }[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval ?? '?');

/** The distinct columns a CHECK's expression reads (each field reference's column, as pull_var_clause finds them). */
function checkColumns(expr: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(expr)) for (const x of expr) checkColumns(x, into);
  else if (expr && typeof expr === 'object') {
    const n = expr as Tree;
    if (n.ColumnRef) {
      const name = lastString(n.ColumnRef.fields);
      if (name !== undefined) into.add(name);
      return into;
    }
    for (const v of Object.values(n)) checkColumns(v, into);
  }
  return into;
}

/** An unnamed object's parts of its name: the table's name, the middle, the label; and whose names it avoids. */
interface Unnamed {
  readonly node: object;
  readonly table: string;
  /** Worked out only for what has no name of its own (most constraints are named). */
  readonly middle: () => string | undefined;
  readonly label: string;
  /** A relation: an index (those of constraints avoid constraints' names too). Else a constraint. */
  readonly relation: 'index' | 'constraint index' | undefined;
  /** A primary key's or UNIQUE constraint's columns. */
  readonly keys?: readonly string[];
}

function constraintParts(c: Tree, table: string, column: string | undefined): Unnamed | undefined {
  switch (c.contype) {
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE': {
      if (c.indexname) return undefined;
      const keys = c.keys?.length ? strings(c.keys) : column !== undefined ? [column] : [];
      if (c.contype === 'CONSTR_PRIMARY') return { node: c, table, middle: () => undefined, label: 'pkey', relation: 'constraint index', keys };
      return { node: c, table, middle: () => nameAddition(indexColumnNames([...keys.map((name) => ({ name })), ...strings(c.including).map((name) => ({ name }))])), label: 'key', relation: 'constraint index', keys };
    }
    case 'CONSTR_EXCLUSION': {
      const elems = (c.exclusions ?? []).map((e: { List?: { items?: Tree[] } }) => e.List?.items?.[0]);
      return { node: c, table, middle: () => nameAddition(indexColumnNames([...elems, ...strings(c.including).map((name) => ({ name }))])), label: 'excl', relation: 'constraint index' };
    }
    case 'CONSTR_FOREIGN': {
      const columns = c.fk_attrs?.length ? strings(c.fk_attrs) : column !== undefined ? [column] : [];
      return { node: c, table, middle: () => nameAddition(columns), label: 'fkey', relation: undefined };
    }
    case 'CONSTR_CHECK': {
      // Named after its column when it reads exactly one (AddRelationNewConstraints).
      const middle = () => {
        const columns = checkColumns(c.raw_expr);
        return columns.size === 1 ? [...columns][0] : undefined;
      };
      return { node: c, table, middle, label: 'check', relation: undefined };
    }
    default:
      return undefined;
  }
}

/** What makes two keys of one statement the same index: their columns and options, not their kind or name. */
function indexSpec(c: Tree, parts: Unnamed): string {
  const { conname: _name, contype: _kind, keys: _keys, ...rest } = c;
  return JSON.stringify([parts.label === 'excl', parts.keys, rest], (key, value) => (key === 'location' ? undefined : value));
}

const order = (u: Unnamed) => (u.label === 'check' ? 0 : u.label === 'pkey' ? 1 : u.relation ? 2 : 3);

/**
 * The names PostgreSQL gives the objects a CREATE TABLE, ALTER TABLE or CREATE INDEX makes
 * without a name, by their node in the parse tree (the Constraint, or the IndexStmt's body).
 * Made in PostgreSQL's order: a CREATE TABLE's checks first, then its primary key, its other
 * UNIQUE and EXCLUDE constraints, its foreign keys; each avoids the names `taken` holds and those
 * the statement gave before it. Empty for any other statement.
 */
export function generatedNames(ast: PgNode, taken: NamesTaken = nobodysNames): Map<object, string> {
  const names = new Map<object, string>();
  const [kind, body] = node(ast) as [string, Tree];
  // Every constraint, in the order written, with its own name if it has one.
  const freed = new Set<string>();
  const droppedColumns: string[] = [];
  // `together`: the keys PostgreSQL compares (those of a CREATE TABLE, of one ADD COLUMN).
  const written: { parts: Unnamed; name: string | undefined; together: number }[] = [];
  const consider = (c: Tree | undefined, table: string, together: number, column?: string) => {
    const parts = c ? constraintParts(c, table, column) : undefined;
    if (parts) written.push({ parts, name: c!.conname, together });
  };
  if (kind === 'IndexStmt') {
    if (body.idxname !== undefined || !body.relation) return names;
    const table: string = body.relation.relname;
    const middle = nameAddition(indexColumnNames([...(body.indexParams ?? []), ...(body.indexIncludingParams ?? [])]));
    names.set(body, chooseName(table, middle, 'idx', taken.relation));
    return names;
  }
  if (kind === 'CreateStmt') {
    const table: string = body.relation?.relname;
    for (const elt of body.tableElts ?? []) {
      for (const c of elt.ColumnDef?.constraints ?? []) consider(c.Constraint, table, 0, elt.ColumnDef.colname);
      consider(elt.Constraint, table, 0);
    }
  } else if (kind === 'AlterTableStmt' && body.objtype === 'OBJECT_TABLE') {
    const table: string = body.relation?.relname;
    for (const [i, cmd] of (body.cmds ?? []).entries()) {
      const c = cmd.AlterTableCmd;
      // An ALTER TABLE drops before it adds: what its drops remove frees its name.
      if (c?.subtype === 'AT_DropConstraint' && c.name) freed.add(c.name);
      if (c?.subtype === 'AT_DropColumn' && c.name) droppedColumns.push(c.name);
      if (c?.subtype === 'AT_AddConstraint') consider(c.def?.Constraint, table, i);
      if (c?.subtype === 'AT_AddColumn') for (const inner of c.def?.ColumnDef?.constraints ?? []) consider(inner.Constraint, table, i, c.def.ColumnDef.colname);
    }
  } else return names;
  if (written.every((w) => w.name !== undefined)) return names;
  // Looked up only now: a table can have hundreds of indexes, and most statements name all they make.
  for (const column of droppedColumns) for (const n of taken.droppedWithColumn?.(column) ?? []) freed.add(n);
  // In PostgreSQL's order (a stable sort: within a kind, as written).
  const sequence = written.map((w, i) => ({ ...w, i })).sort((a, b) => order(a.parts) - order(b.parts) || a.i - b.i);
  // Keys alike (UNIQUE PRIMARY KEY) make one index, the first's, named by the first name given
  // (transformIndexConstraints): a later one gets no name of its own. Separate ADD CONSTRAINTs
  // are not compared (checked on the engines).
  const made: typeof sequence = [];
  const sameAs = new Map<object, (typeof sequence)[number]>();
  for (const item of sequence) {
    const spec = item.parts.relation ? indexSpec(item.parts.node as Tree, item.parts) : undefined;
    const prior = spec === undefined ? undefined : made.find((m) => m.together === item.together && m.parts.relation && indexSpec(m.parts.node as Tree, m.parts) === spec);
    if (prior) {
      prior.name ??= item.name;
      if (item.name === undefined) sameAs.set(item.parts.node, prior);
    } else made.push(item);
  }
  const chosen = new Set<string>();
  for (const item of made) {
    const u = item.parts;
    if (item.name === undefined) {
      const isTaken = (name: string) => chosen.has(name) || (!freed.has(name) && (u.relation === undefined ? taken.constraint(name)
        : u.relation === 'index' ? taken.relation(name) : taken.relation(name) || taken.constraint(name)));
      item.name = chooseName(u.table, u.middle(), u.label, isTaken);
    }
    chosen.add(item.name);
    if ((u.node as Tree).conname === undefined) names.set(u.node, item.name);
  }
  for (const [node, prior] of sameAs) names.set(node, prior.name!);
  return names;
}

/**
 * The statement with the names PostgreSQL gives written in (conname, idxname), as if it had named
 * them: what follows a schema then reads every object by the name later statements use. Copies
 * only the nodes on the way to those named; the statement itself is left as it is.
 */
export function withNames<T>(tree: T, names: ReadonlyMap<object, string>): T {
  if (names.size === 0) return tree;
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      const out = node.map(copy);
      return out.some((x, i) => x !== node[i]) ? out : node;
    }
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      out[k] = copy(v);
      if (out[k] !== v) changed = true;
    }
    const name = names.get(node);
    if (name !== undefined) return { ...out, ['contype' in node ? 'conname' : 'idxname']: name };
    return changed ? out : node;
  };
  return copy(tree) as T;
}
