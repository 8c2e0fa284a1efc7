import { node, relationName } from './ast.js';
import type { StatementContext, StatementFinding, StatementRule } from '../sql/context.js';
import type { Severity } from '../../diagnostics/diagnostic.js';
import { tableKey } from '../sql/schema-state.js';
import { quoteIdent, quoteName, sqlLiteral, quoteColumn } from '../../sql/quote.js';
import type { PgNode } from '../../sql/parser.js';
import { andListAtMost } from './statement-locks.js';
import { extensionScriptOf } from '../../extension-scripts.js';

/**
 * ALTER TYPE|DOMAIN ... RENAME TO, RENAME ATTRIBUTE, RENAME VALUE: code that names the type
 * (casts, column definitions in other migrations) or writes the enum's old value fails once it
 * commits. A type created in the same file has no users yet.
 */
function renameType(ctx: StatementContext, report: (f: StatementFinding) => void, severity: Severity): void {
  const [kind, body] = node(ctx.ast);
  const parts = (items: { String?: { sval?: string } }[] | undefined) => (items ?? []).map((i) => i.String?.sval ?? '?').join('.');
  let type: string;
  let what: string;
  let help: string;
  if (kind === 'AlterEnumStmt') {
    if (body.oldVal === undefined) return; // ADD VALUE renames nothing
    type = parts(body.typeName);
    // One finding for a run of value renames of one enum, statement after statement (lakekeeper
    // renames 73 values of api_endpoints in a row: the twentieth trial's 73 warnings): said at
    // the first, counting the others.
    const run = valueRenames.get(ctx.state);
    if (run && run.file === ctx.file && run.type === type && run.left > 0) {
      run.left--;
      return;
    }
    const more = valueRenamesAfter(ctx.later(), type);
    valueRenames.set(ctx.state, { file: ctx.file, type, left: more });
    what = `value ${sqlLiteral(body.oldVal)} of enum ${quoteName(type)} to ${sqlLiteral(body.newVal)}${more > 0 ? ` (and ${more} more of its values, in the statement${more === 1 ? '' : 's'} right after)` : ''}`;
    help = `Add the new value (ALTER TYPE ${quoteName(type)} ADD VALUE ${sqlLiteral(body.newVal)}), move the rows and the code to it, and retire ${sqlLiteral(body.oldVal)} once nothing writes it.`;
  } else if (body.renameType === 'OBJECT_ATTRIBUTE') {
    type = relationName(body.relation);
    what = `attribute ${quoteColumn(type, body.subname)} to ${quoteIdent(body.newname)}`;
    help = `Add the new attribute, switch the code to it, then drop ${quoteIdent(body.subname)}.`;
    // A composite type's field is read by name where a query takes it apart ((f()).field, a
    // column of the type) or code maps its fields: those break, not every query (the
    // twenty-second trial's F). In an extension's script it is a change of the extension's
    // interface, the release notes' to tell its users: a note.
    const extension = ctx.file !== undefined && extensionScriptOf(ctx.file) !== undefined;
    if (ctx.state.newTypes.has(tableKey(type)) || (ctx.mode === 'plan' && ctx.phase !== 'contract')) return;
    report({
      severity: ctx.mode === 'plan' || extension ? 'info' : severity,
      message: `renaming ${what} breaks every running query that reads that field of ${quoteName(type)} values by its old name, as (f()).${quoteIdent(body.subname)} or (col).${quoteIdent(body.subname)} does, and code that maps the type's fields by name`,
      help: extension ? `This changes the extension's interface: say so in its release notes, for the users whose queries read ${quoteIdent(body.subname)}. ${help}` : help,
    });
    return;
  } else {
    type = parts(body.object?.List?.items);
    what = `${body.renameType === 'OBJECT_DOMAIN' ? 'domain' : 'type'} ${quoteName(type)} to ${quoteIdent(body.newname)}`;
    help = `Switch the code that names ${quoteName(type)} (casts, function signatures) in the same release, or keep the old name: a type cannot be aliased by a view.`;
  }
  if (ctx.state.newTypes.has(tableKey(type))) return;
  if (ctx.mode === 'plan' && ctx.phase !== 'contract') return;
  // A type renamed away whose name a later statement of the transaction gives another type (an
  // enum swap: CREATE TYPE "s_new" ..., columns moved to it, "s" renamed to "s_old", "s_new" to
  // "s"): queries that name it find the new type once it commits (test/rename.test.ts, on the
  // engines). What breaks then, prepared statements of the old type, is the columns' type change.
  if (kind === 'RenameStmt' && body.renameType !== 'OBJECT_ATTRIBUTE' && ctx.inTransaction && nameTakenAgain(ctx.later(), type, 'type')) return;
  report({ severity: ctx.mode === 'plan' ? 'info' : severity, message: `renaming ${what} breaks every running query that uses the old name`, help });
}

/** The run of value renames being said (renameType): the enum, its file, and how many are left to pass over. */
const valueRenames = new WeakMap<object, { file: string | undefined; type: string; left: number }>();

/** How many statements right after this one rename another value of the same enum. */
function valueRenamesAfter(later: readonly PgNode[], type: string): number {
  let n = 0;
  for (const ast of later) {
    const [kind, body] = node(ast);
    if (kind !== 'AlterEnumStmt' || body.oldVal === undefined) break;
    if ((body.typeName ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?').join('.') !== type) break;
    n++;
  }
  return n;
}

/** The relations whose renames (or their columns') break running queries, by the parser's object type. */
const relationNouns: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'table', OBJECT_FOREIGN_TABLE: 'foreign table', OBJECT_VIEW: 'view', OBJECT_MATVIEW: 'materialized view',
};

export const rename: StatementRule = {
  code: 'MG213',
  name: 'rename',
  summary: 'Renaming a table, a view, a column, a type or a schema, or moving one to another schema, breaks the code that is running, the moment it commits.',
  severity: 'warning',
  kinds: ['RenameStmt', 'AlterEnumStmt', 'AlterObjectSchemaStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (ctx.inRollback) return;
    if (kind === 'AlterObjectSchemaStmt') {
      moveToSchema(ctx, report, this.severity);
      return;
    }
    if (kind === 'AlterEnumStmt' || (kind === 'RenameStmt' && (body.renameType === 'OBJECT_TYPE' || body.renameType === 'OBJECT_DOMAIN' || body.renameType === 'OBJECT_ATTRIBUTE'))) {
      renameType(ctx, report, this.severity);
      return;
    }
    if (kind !== 'RenameStmt') return;
    if (body.renameType === 'OBJECT_SCHEMA') {
      if (ctx.mode === 'plan' && ctx.phase !== 'contract') return;
      report({
        severity: ctx.mode === 'plan' ? 'info' : this.severity,
        message: `renaming schema ${quoteIdent(body.subname)} to ${quoteIdent(body.newname)} breaks every running query that names it, and every role or session whose search_path lists it`,
        help: `Keep the old name, or move the code and the search_path settings (ALTER ROLE ... SET search_path) to ${quoteIdent(body.newname)} in the same release: a schema has no alias.`,
      });
      return;
    }
    const table = relationName(body.relation ?? {});
    /** The new name, in the schema of the old one, as SQL. */
    const renamed = [body.relation?.schemaname, body.newname].filter(Boolean).map(quoteIdent).join('.');
    // ALTER TABLE ... RENAME renames a view too: the schema state may know it is one.
    const relation: string | undefined = body.renameType === 'OBJECT_COLUMN' ? body.relationType
      : body.renameType === 'OBJECT_TABLE' && !ctx.state.table(table) && ctx.state.views.has(tableKey(table)) ? 'OBJECT_VIEW'
      : body.renameType;
    const noun = relationNouns[relation ?? ''];
    if (!noun) return;
    const isView = relation === 'OBJECT_VIEW' || relation === 'OBJECT_MATVIEW';
    if (isView ? ctx.state.newViews.has(tableKey(table)) || ctx.state.isNew(table) : ctx.state.isNew(table)) return;
    // A column the file added has no users yet either: the code that uses it is deployed after
    // the migration, whether the column was added in this transaction or an earlier one of the
    // file. Not so in a plan, whose phases are deployed apart: code deployed after its expand
    // phase may use a column that phase added.
    if (ctx.mode === 'lint' && body.renameType === 'OBJECT_COLUMN' && !isView && ctx.state.isNewColumn(table, body.subname)) return;
    // In a plan, MG102 already stops a rename outside contract; in contract it is the plan's intent.
    if (ctx.mode === 'plan' && ctx.phase !== 'contract') return;
    // The old name taken again in the same transaction (a view over the new one, as the help
    // below says; a new table swapped in): queries that name it go on working once it commits,
    // unless they name a column the new table lacks (copy-and-swap into a new shape: the
    // seventeenth trial's graphile-worker jobs).
    const taker = body.renameType !== 'OBJECT_COLUMN' && ctx.inTransaction ? takerOf(ctx.later(), table) : undefined;
    if (taker) {
      const lacks = noun === 'table' ? columnsLacking(ctx, table, taker) : [];
      if (lacks.length) {
        report({
          severity: ctx.mode === 'plan' ? 'info' : this.severity,
          message: `renaming table ${quoteName(table)} to ${quoteIdent(body.newname)} and creating a new ${quoteName(table)} without ${lacks.length === 1 ? 'its column' : 'its columns'} ${andListAtMost(lacks.map(quoteIdent), 5)} breaks every running query that names ${lacks.length === 1 ? 'it' : 'them'}, the moment this commits: the old name now stands for the new table`,
          help: `Give the new table every column the running code uses, and drop ${lacks.length === 1 ? 'it' : 'them'} in a later migration once no code does; or deploy code that uses the new shape before this migration runs.`,
        });
      }
      return;
    }
    const what = body.renameType === 'OBJECT_COLUMN' ? `column ${quoteColumn(table, body.subname)}${noun === 'table' ? '' : ` of ${noun} ${quoteName(table)}`}` : `${noun} ${quoteName(table)}`;
    report({
      severity: ctx.mode === 'plan' ? 'info' : this.severity,
      message: `renaming ${what} to ${quoteIdent(body.newname)} breaks every running query that uses the old name`,
      help: body.renameType !== 'OBJECT_COLUMN'
        ? `Rename and, in the same transaction, CREATE VIEW ${quoteName(table)} AS SELECT * FROM ${renamed}; until no code uses the old name.`
        : relation === 'OBJECT_VIEW'
          ? `Add the new name beside the old one instead: CREATE OR REPLACE VIEW ${quoteName(table)} AS SELECT ..., ${quoteIdent(body.subname)} AS ${quoteIdent(body.newname)} (a new column comes last), switch the code, then recreate the view without ${quoteIdent(body.subname)}.`
          : relation === 'OBJECT_MATVIEW'
            ? `Create a new materialized view with ${quoteIdent(body.newname)}, switch the code to it, then drop ${quoteName(table)}; a materialized view cannot gain a column in place.`
            : `Expand-contract instead: add ${quoteIdent(body.newname)}, keep both in sync (trigger), backfill, switch the code, then drop ${quoteIdent(body.subname)}. Or, for a quick switch, rename and leave a view with the old name.`,
    });
  },
};

/**
 * ALTER TABLE (VIEW, MATERIALIZED VIEW, FOREIGN TABLE, TYPE, DOMAIN) ... SET SCHEMA: queries that
 * name the object in its old schema fail once it commits, as after a rename (test/set-schema.test.ts).
 */
function moveToSchema(ctx: StatementContext, report: (f: StatementFinding) => void, severity: Severity): void {
  const [, body] = node(ctx.ast);
  const objectType: string = body.objectType;
  const isType = objectType === 'OBJECT_TYPE' || objectType === 'OBJECT_DOMAIN';
  const name = isType ? (body.object?.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?').join('.') : relationName(body.relation ?? {});
  const bare = name.slice(name.lastIndexOf('.') + 1);
  const there = `${quoteIdent(body.newschema)}.${quoteIdent(bare)}`;
  // ALTER TABLE ... SET SCHEMA moves a view too: the schema state may know it is one.
  const relation = objectType === 'OBJECT_TABLE' && !ctx.state.table(name) && ctx.state.views.has(tableKey(name)) ? 'OBJECT_VIEW' : objectType;
  const noun = isType ? (objectType === 'OBJECT_DOMAIN' ? 'domain' : 'type') : relationNouns[relation];
  if (!noun) return;
  if (tableKey(name) === tableKey(`${body.newschema}.${bare}`)) return; // already there: nothing moves
  if (isType ? ctx.state.newTypes.has(tableKey(name)) : relation === 'OBJECT_VIEW' || relation === 'OBJECT_MATVIEW' ? ctx.state.newViews.has(tableKey(name)) || ctx.state.isNew(name) : ctx.state.isNew(name)) return;
  if (ctx.mode === 'plan' && ctx.phase !== 'contract') return;
  if (ctx.inTransaction && nameTakenAgain(ctx.later(), name, isType ? 'type' : 'relation')) return;
  report({
    severity: ctx.mode === 'plan' ? 'info' : severity,
    message: `moving ${noun} ${quoteName(name)} to schema ${quoteIdent(body.newschema)} breaks every running query that names it${name.includes('.') ? ` ${quoteName(name)}` : `, unless ${quoteIdent(body.newschema)} is on their search_path`}`,
    help: isType
      ? `Switch the code that names ${quoteName(name)} (casts, function signatures) in the same release, or leave it where it is: a type cannot be aliased by a view.`
      : `Move it and, in the same transaction, CREATE VIEW ${quoteName(name)} AS SELECT * FROM ${there}; until no code uses the old name.`,
  });
}

/**
 * Whether a statement after this one, before the transaction ends, makes a relation of this name
 * (CREATE TABLE, CREATE VIEW, CREATE TABLE AS, or a rename to it), or a type (CREATE TYPE or
 * DOMAIN, or a rename to it).
 */
export function nameTakenAgain(later: readonly PgNode[], name: string, of: 'relation' | 'type' = 'relation'): boolean {
  return takerOf(later, name, of) !== undefined;
}

/** The statement after this one, before the transaction ends, that gives the name to another object (nameTakenAgain). */
function takerOf(later: readonly PgNode[], name: string, of: 'relation' | 'type' = 'relation'): PgNode | undefined {
  const key = tableKey(name);
  const dotted = (items: { String?: { sval?: string } }[] | undefined) => (items ?? []).map((i) => i.String?.sval ?? '?').join('.');
  for (const ast of later) {
    const [kind, body] = node(ast);
    if (kind === 'TransactionStmt') return undefined;
    if (of === 'type') {
      const made = kind === 'CreateEnumStmt' || kind === 'CreateRangeStmt' ? dotted(body.typeName)
        : kind === 'CompositeTypeStmt' ? relationName(body.typevar)
          : kind === 'CreateDomainStmt' ? dotted(body.domainname)
            : kind === 'DefineStmt' && body.kind === 'OBJECT_TYPE' ? dotted(body.defnames)
              : kind === 'RenameStmt' && (body.renameType === 'OBJECT_TYPE' || body.renameType === 'OBJECT_DOMAIN')
                ? dotted([...(body.object?.List?.items ?? []).slice(0, -1), { String: { sval: body.newname } }])
                : undefined;
      if (made !== undefined && tableKey(made) === key) return ast;
      continue;
    }
    const made = kind === 'CreateStmt' ? body.relation
      : kind === 'ViewStmt' ? body.view
        : kind === 'CreateTableAsStmt' ? body.into?.rel
          : kind === 'RenameStmt' && body.relation && (body.renameType === 'OBJECT_TABLE' || body.renameType === 'OBJECT_VIEW' || body.renameType === 'OBJECT_MATVIEW')
            ? { ...body.relation, relname: body.newname }
            : undefined;
    if (made && tableKey(relationName(made)) === key) return ast;
  }
  return undefined;
}

/**
 * The columns of a table, all known (SchemaState.columnsAllKnown), that the CREATE TABLE which
 * takes its name after a rename does not have: the running code's queries that name them fail.
 * None for another statement that takes the name (a view: its columns are not read here; CREATE
 * TABLE AS, a rename), nor for a CREATE TABLE with LIKE, INHERITS or PARTITION OF.
 */
function columnsLacking(ctx: StatementContext, table: string, taker: PgNode): string[] {
  const [kind, body] = node(taker);
  if (kind !== 'CreateStmt' || body.inhRelations?.length || body.partbound || body.ofTypename) return [];
  const old = ctx.state.table(table);
  if (!old || !ctx.state.columnsAllKnown(table)) return [];
  const elements: Record<string, any>[] = body.tableElts ?? [];
  if (elements.some((e) => e.TableLikeClause)) return [];
  const made = new Set(elements.flatMap((e) => (e.ColumnDef?.colname !== undefined ? [e.ColumnDef.colname as string] : [])));
  return [...old.columns.keys()].filter((c) => !made.has(c));
}
