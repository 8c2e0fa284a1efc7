import { scanSql, type PgNode } from '../../sql/parser.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import type { SchemaState } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { node, relationName } from './ast.js';

/** NAMEDATALEN - 1 in a default build: the longest identifier, in bytes. */
const maxBytes = 63;

/** The identifier as PostgreSQL keeps it: cut to 63 bytes without splitting a character. */
function truncate(name: string): string {
  let bytes = 0;
  let out = '';
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * The identifiers of a statement longer than 63 bytes, each once, in order. PostgreSQL's lexer
 * truncates them before the parser sees them, so the parse tree holds the cut names: the
 * identifier tokens of its lexer are read instead. A quoted identifier keeps its case and
 * doubled quotes stand for one; an unquoted one is folded to lower case (ASCII letters only).
 */
function longIdentifiers(text: string): string[] {
  if (!mayHoldLongIdentifier(text)) return [];
  const found = new Set<string>();
  for (const token of scanSql(text)) {
    if (!token.identifier) continue;
    const raw = token.text;
    const name = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    if (Buffer.byteLength(name) > maxBytes) found.add(name);
  }
  return [...found];
}

/**
 * Whether the lexer needs asking: a long identifier is either a run of more than 63 bytes of
 * identifier characters (letters, digits, _, $, anything outside ASCII), or quoted, with more
 * than 63 bytes between its quotes (a doubled quote inside counts as one byte of it). One pass
 * over the text; most statements have neither, and lexing every statement cost more than all the
 * other rules together (and, before quoted names were measured too, a tenth of a lint of a folder
 * whose files quote every name). The text between two quotes is measured whether it is a name or
 * not: a long stretch between two quoted names asks the lexer, which then finds none.
 */
function mayHoldLongIdentifier(text: string): boolean {
  let run = 0;
  /** Bytes since the last lone double quote; -1 before the first. */
  let quoted = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A UTF-16 unit outside ASCII is at most 3 bytes (a surrogate pair, 4 bytes, is two units).
    const bytes = c < 0x80 ? 1 : 3;
    if (c === 34) {
      if (text.charCodeAt(i + 1) === 34 && quoted >= 0) {
        quoted++;
        i++;
      } else quoted = 0;
      run = 0;
      continue;
    }
    if (quoted >= 0) quoted += bytes;
    const identifier = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
    run = identifier ? run + bytes : 0;
    if (run > maxBytes || quoted > maxBytes) return true;
  }
  return false;
}

type Tree = Record<string, any>;

/** The last part of a qualified name ([schema, name] as String nodes). */
const lastOf = (names: readonly { String?: { sval?: string } }[] | undefined) => names?.[names.length - 1]?.String?.sval;

/** A column definition's name and the names of the constraints written on it. */
function columnNames(def: Tree | undefined, into: Set<string>): void {
  if (!def) return;
  if (def.colname) into.add(def.colname);
  for (const c of def.constraints ?? []) if (c.Constraint?.conname) into.add(c.Constraint.conname);
}

/**
 * The names a statement gives (as the parse tree holds them, already cut to 63 bytes): of what it
 * creates (a table and its columns and constraints, an index, a view and its columns, a trigger,
 * a function and its parameters, a type, ...), adds (ADD COLUMN, ADD CONSTRAINT) or renames to.
 * A name it only refers to (DROP, the old name of a RENAME, a table it reads or references) is
 * looked up cut the same way, and finds what a long name made: not this rule's.
 */
function namesGiven(ast: PgNode): Set<string> {
  const [kind, body] = node(ast);
  const given = new Set<string>();
  const add = (name: unknown) => {
    if (typeof name === 'string') given.add(name);
  };
  const targetNames = (query: Tree | undefined) => {
    for (const t of query?.SelectStmt?.targetList ?? []) add(t.ResTarget?.name);
  };
  switch (kind) {
    case 'CreateStmt': case 'CreateForeignTableStmt': {
      const create = kind === 'CreateStmt' ? body : body.base;
      add(create?.relation?.relname);
      for (const e of create?.tableElts ?? []) {
        columnNames(e.ColumnDef, given);
        add(e.Constraint?.conname);
      }
      break;
    }
    case 'AlterTableStmt':
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddColumn') columnNames(cmd.def?.ColumnDef, given);
        else if (cmd?.subtype === 'AT_AddConstraint') add(cmd.def?.Constraint?.conname);
      }
      break;
    case 'IndexStmt': add(body.idxname); break;
    case 'RenameStmt': add(body.newname); break;
    case 'ViewStmt':
      add(body.view?.relname);
      for (const a of body.aliases ?? []) add(a.String?.sval);
      targetNames(body.query);
      break;
    case 'CreateTableAsStmt':
      add(body.into?.rel?.relname);
      for (const a of body.into?.colNames ?? []) add(a.String?.sval);
      targetNames(body.query);
      break;
    case 'CreateSeqStmt': add(body.sequence?.relname); break;
    case 'CreateTrigStmt': case 'CreateEventTrigStmt': add(body.trigname); break;
    case 'CreateFunctionStmt':
      add(lastOf(body.funcname));
      for (const p of body.parameters ?? []) add(p.FunctionParameter?.name);
      break;
    case 'CompositeTypeStmt':
      add(body.typevar?.relname);
      for (const e of body.coldeflist ?? []) columnNames(e.ColumnDef, given);
      break;
    case 'CreateEnumStmt': case 'CreateRangeStmt': add(lastOf(body.typeName)); break;
    case 'CreateDomainStmt':
      add(lastOf(body.domainname));
      for (const c of body.constraints ?? []) add(c.Constraint?.conname);
      break;
    case 'AlterDomainStmt': add(body.def?.Constraint?.conname); break;
    case 'DefineStmt': case 'CreateStatsStmt': add(lastOf(body.defnames)); break;
    case 'CreateSchemaStmt': add(body.schemaname); break;
    case 'CreateRoleStmt': add(body.role); break;
    case 'CreatePolicyStmt': add(body.policy_name); break;
    case 'RuleStmt': add(body.rulename); break;
    case 'CreatePublicationStmt': add(body.pubname); break;
    case 'CreateSubscriptionStmt': add(body.subname); break;
    default:
  }
  return given;
}

/** Where a name given lives: a relation of the table's schema, or a constraint of the table (one that owns an index: both). */
interface Place {
  readonly name: string;
  readonly space: 'relation' | 'constraint';
  /** The table: the one the name is on, or in whose schema a relation is. */
  readonly table: string;
  readonly owningIndex?: boolean;
  readonly what: string;
}

const constraintWord: Record<string, string> = { CONSTR_PRIMARY: 'primary key', CONSTR_UNIQUE: 'unique constraint', CONSTR_EXCLUSION: 'exclusion constraint', CONSTR_FOREIGN: 'foreign key', CONSTR_CHECK: 'check constraint' };

/** The relations and constraints a statement names, with where each lives (the names PostgreSQL refuses twice). */
function placesGiven(ast: PgNode): Place[] {
  const [kind, body] = node(ast);
  const places: Place[] = [];
  const constraint = (table: string, c: Tree | undefined) => {
    if (!c?.conname) return;
    places.push({ name: c.conname, space: 'constraint', table, what: constraintWord[c.contype] ?? 'constraint', ...(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION'].includes(c.contype) ? { owningIndex: true } : {}) });
  };
  const relation = (table: string | undefined, name: string | undefined, what: string) => {
    if (table !== undefined && name) places.push({ name, space: 'relation', table, what });
  };
  switch (kind) {
    case 'CreateStmt': {
      const table = relationName(body.relation);
      relation(table, body.relation?.relname, 'table');
      for (const e of body.tableElts ?? []) {
        constraint(table, e.Constraint);
        for (const c of e.ColumnDef?.constraints ?? []) constraint(table, c.Constraint);
      }
      break;
    }
    case 'AlterTableStmt':
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddConstraint') constraint(relationName(body.relation), cmd.def?.Constraint);
        else if (cmd?.subtype === 'AT_AddColumn') for (const k of cmd.def?.ColumnDef?.constraints ?? []) constraint(relationName(body.relation), k.Constraint);
      }
      break;
    case 'IndexStmt': relation(body.relation ? relationName(body.relation) : undefined, body.idxname, 'index'); break;
    case 'ViewStmt': relation(body.view ? relationName(body.view) : undefined, body.view?.relname, 'view'); break;
    case 'CreateTableAsStmt': relation(body.into?.rel ? relationName(body.into.rel) : undefined, body.into?.rel?.relname, 'table'); break;
    case 'CreateSeqStmt': relation(body.sequence ? relationName(body.sequence) : undefined, body.sequence?.relname, 'sequence'); break;
    default:
  }
  return places;
}

/**
 * The long names given so far that PostgreSQL cut, by where they live and the name kept: the
 * object a later name finds there was made by this one (the same long name again is no collision).
 */
const cutNames = new WeakMap<SchemaState, Map<string, string>>();

function placeKey(ctx: StatementContext, place: Place, space: 'relation' | 'constraint'): string {
  const table = ctx.state.table(place.table)?.name ?? place.table;
  return space === 'relation' ? `relation ${table.includes('.') ? table.slice(0, table.lastIndexOf('.')) : ''}.${place.name}` : `constraint ${table}.${place.name}`;
}

/** Whether the schema seen holds something of the place's name where PostgreSQL would refuse a second. */
function taken(ctx: StatementContext, place: Place, space: 'relation' | 'constraint'): boolean {
  if (space === 'relation') return ctx.state.namesTaken(place.table).relation(place.name);
  const table = ctx.state.table(place.table);
  return table !== undefined && (ctx.state.hasConstraint(table, place.name) || table.uniqueIndexes.get(place.name)?.constraint !== undefined);
}

export const identifierTooLong: StatementRule = {
  code: 'MG229',
  name: 'identifier-too-long',
  summary: 'A name longer than 63 bytes given to a new object (or by RENAME TO) is truncated by PostgreSQL, with only a NOTICE (bytes, not characters); when it then matches a name already there, PostgreSQL refuses it, or a DO block\'s handler swallows the refusal.',
  severity: 'info',
  check(ctx, report) {
    const long = longIdentifiers(ctx.text);
    if (long.length === 0) return;
    const given = namesGiven(ctx.ast);
    const places = placesGiven(ctx.ast);
    let seen = cutNames.get(ctx.state);
    if (!seen) cutNames.set(ctx.state, (seen = new Map()));
    /** What this statement gives, by key: a second name of the statement cut to the same one collides too. */
    const here = new Map<string, string>();
    for (const name of long) {
      const kept = truncate(name);
      if (!given.has(kept)) continue;
      const bytes = Buffer.byteLength(name);
      const collision = places.filter((p) => p.name === kept).flatMap((place) => (place.owningIndex ? ['constraint', 'relation'] as const : [place.space]).map((space) => {
        const key = placeKey(ctx, place, space);
        const before = here.get(key) ?? (taken(ctx, place, space) ? seen.get(key) ?? kept : undefined);
        here.set(key, name);
        return before !== undefined && before !== name ? { place, space, before } : undefined;
      })).find((c) => c !== undefined);
      if (collision) {
        const { place, space, before } = collision;
        const already = space === 'relation' ? `relation ${quoteIdent(kept)} already exists` : `constraint ${quoteIdent(kept)} for relation ${quoteName(place.table)} already exists`;
        const earlier = before === kept ? `the name of a ${space === 'relation' ? 'relation in the schema' : `constraint on ${quoteName(place.table)}`}` : `the name ${quoteIdent(before)} was cut to as well`;
        report({
          severity: 'error',
          ...(ctx.inDoBlock ? {} : { refused: 'certain' as const }),
          message: `${quoteIdent(name)} is ${bytes} bytes: PostgreSQL truncates it to ${quoteIdent(kept)}, ${earlier}, so it refuses this ${place.what} (${already})${ctx.inDoBlock ? '; in this DO block, a handler that catches it (EXCEPTION WHEN duplicate_object THEN null, as drizzle-kit writes) swallows the refusal: the ' + place.what + ' is never made, and the migration succeeds' : ''}`,
          help: `Give the ${place.what} a name of at most 63 bytes that no other ${space === 'relation' ? 'relation of the schema' : `constraint of ${quoteName(place.table)}`} has: names that share their first 63 bytes are one name to PostgreSQL.`,
        });
        continue;
      }
      for (const place of places.filter((p) => p.name === kept)) for (const space of place.owningIndex ? ['constraint', 'relation'] as const : [place.space]) seen.set(placeKey(ctx, place, space), name);
      report({
        message: `${quoteIdent(name)} is ${bytes} bytes: PostgreSQL truncates it to the 63 bytes ${quoteIdent(kept)}, with only a NOTICE (which migration tools rarely show)`,
        help: `Choose a name of at most 63 bytes (a character outside ASCII takes 2 to 4): two long names that share their first 63 bytes are the same name, and tools that compare names find ${quoteIdent(kept)}, not what the migration wrote.`,
      });
    }
  },
};
