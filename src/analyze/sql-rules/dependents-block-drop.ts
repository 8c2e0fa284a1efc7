import { node, relationName } from './ast.js';
import { droppedFunctionNames } from '../../sql/facts.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import type { ForeignKey } from '../../sql/locks.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { andList } from './statement-locks.js';
import type { FunctionUser } from '../sql/schema-state.js';

/**
 * A drop that PostgreSQL refuses because other objects depend on what it drops, as the schema
 * the statements before it built says: a table, a column or a key that another table's foreign
 * key references, or the unique index a foreign key depends on (without CASCADE); the index a
 * primary key or unique constraint owns (CASCADE or not); a type a column has, a function an
 * index or trigger uses (without CASCADE).
 * The migration fails there. What views depend on is MG067; an object the statements migc has
 * read never made is not judged.
 */
export const dependentsBlockDrop: StatementRule = {
  code: 'MG237',
  name: 'dependents-block-drop',
  summary: 'A DROP that PostgreSQL refuses because other objects depend on what it drops: a table, column, key or unique index a foreign key references or depends on, a constraint\'s index, a type a column has, a function an index or trigger uses, a sequence a column\'s default draws from; and a TRUNCATE of a table another table\'s foreign key references.',
  severity: 'error',
  kinds: ['DropStmt', 'AlterTableStmt', 'TruncateStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    const cascade = body.behavior === 'DROP_CASCADE';
    if (kind === 'TruncateStmt') {
      if (cascade) return;
      // Tables truncated together may reference each other (a table its own keys reference too).
      const names: string[] = (body.relations ?? []).map((r: { RangeVar: never }) => relationName(r.RangeVar));
      const truncated = new Set(names.map(tableKey));
      for (const name of names) {
        const blocking = referencing(ctx, name).filter((fk) => !truncated.has(tableKey(fk.table)));
        if (!blocking.length) continue;
        const tables = [...new Set(blocking.map((fk) => quoteName(fk.table)))];
        const [that, it] = tables.length === 1 ? ['that table', 'it'] : ['those tables', 'them'];
        report(refusal(
          `cannot truncate a table referenced in a foreign key constraint: ${constraints(blocking)} reference${blocking.length === 1 ? 's' : ''} ${quoteName(name)}`,
          `Truncate ${that} in the same statement (TRUNCATE ${[...names.map(quoteName), ...tables].join(', ')}), or use TRUNCATE ... CASCADE, which empties ${it} too (MG214 names what it empties).`,
        ));
      }
      return;
    }
    if (kind === 'DropStmt') {
      const names: string[] = (body.objects ?? []).map((o: unknown) => dottedName(o));
      if (body.removeType === 'OBJECT_TABLE' && !cascade) {
        // Tables dropped together may reference each other.
        const dropped = new Set(names.map(tableKey));
        for (const name of names) {
          const blocking = referencing(ctx, name).filter((fk) => !dropped.has(tableKey(fk.table)));
          if (blocking.length) report(refusal(`cannot drop table ${quoteName(name)} because other objects depend on it: ${constraints(blocking)} depend${blocking.length === 1 ? 's' : ''} on table ${quoteName(name)}`, dropKeysFirst(blocking, `or drop ${blocking.length === 1 ? 'that table' : 'those tables'} in the same statement, or use CASCADE, which drops the constraints (not their tables)`)));
        }
      }
      if (body.removeType === 'OBJECT_INDEX') {
        for (const name of names) {
          const owner = constraintOwning(ctx, name);
          if (owner) report(refusal(`cannot drop index ${quoteName(name)} because constraint ${quoteIdent(owner.constraint)} on table ${quoteName(owner.table)} requires it (CASCADE does not help)`, `Drop the constraint instead, which drops its index: ALTER TABLE ${quoteName(owner.table)} DROP CONSTRAINT ${quoteIdent(owner.constraint)};`));
          else if (!cascade) {
            // A foreign key depends on the unique index PostgreSQL picked when it was made.
            const blocking = dependingOnIndex(ctx, name);
            const [it, they] = blocking.length === 1 ? ['it', 'it'] : ['them', 'they'];
            // Added again while this index is there, a key names it again: PostgreSQL picks the oldest.
            const readd = `and to keep ${it} add ${it} again after the DROP, once another unique index or key has the referenced columns (while this index is there ${they} would depend on it again)`;
            const cascadeHelp = body.concurrent ? '; DROP INDEX CONCURRENTLY takes no CASCADE' : `, or use CASCADE, which drops ${it} for good`;
            if (blocking.length) report(refusal(`cannot drop index ${quoteName(name)} because other objects depend on it: ${constraints(blocking)} depend${blocking.length === 1 ? 's' : ''} on index ${quoteName(name)}`, dropKeysFirst(blocking, `${readd}${cascadeHelp}`)));
          }
        }
      }
      if ((body.removeType === 'OBJECT_TYPE' || body.removeType === 'OBJECT_DOMAIN') && !cascade) {
        for (const name of (body.objects ?? []).map((o: { TypeName?: { names?: unknown[] } }) => dottedName({ List: { items: o.TypeName?.names } }))) {
          const columns = columnsOfType(ctx, name);
          if (columns.length) report(refusal(`cannot drop type ${quoteName(name)} because other objects depend on it: ${columns.map((c) => `column ${c}`).join(', ')}`, `Change or drop ${columns.length === 1 ? 'that column' : 'those columns'} first (ALTER TABLE ... ALTER COLUMN ... TYPE, or DROP COLUMN); CASCADE would drop the columns and their data.`));
        }
      }
      // A sequence a column's default still draws from: a serial's, or an identity's own (swh's
      // upgrade 099 drops the bigserial sequences before their defaults: the thirty-second trial's F).
      if (body.removeType === 'OBJECT_SEQUENCE' && !cascade) {
        for (const name of names) {
          const users = ctx.state.columnsDrawingFrom(name);
          const identity = users.find((u) => u.identity);
          if (identity) report(refusal(`cannot drop sequence ${quoteName(name)} because column ${quoteIdent(identity.column)} of table ${quoteName(identity.table)} requires it`, `It is the identity's own sequence: ALTER TABLE ${quoteName(identity.table)} ALTER COLUMN ${quoteIdent(identity.column)} DROP IDENTITY drops it with the identity.`));
          else if (users.length) report(refusal(`cannot drop sequence ${quoteName(name)} because other objects depend on it: ${andList(users.map((u) => `default value for column ${quoteIdent(u.column)} of table ${quoteName(u.table)}`))} depend${users.length === 1 ? 's' : ''} on it`, `Drop the ${users.length === 1 ? 'default' : 'defaults'} first (ALTER TABLE ${quoteName(users[0]!.table)} ALTER COLUMN ${quoteIdent(users[0]!.column)} DROP DEFAULT), then the sequence; CASCADE drops the ${users.length === 1 ? 'default' : 'defaults'} with it.`));
        }
      }
      if ((body.removeType === 'OBJECT_FUNCTION' || body.removeType === 'OBJECT_PROCEDURE') && !cascade) {
        for (const name of droppedFunctionNames(body)) {
          const users = ctx.state.usersOfFunction(name);
          if (users.length) report(refusal(`cannot drop function ${quoteName(name)} because other objects depend on it: ${andList(users.map(functionUserLabel))}`, `Drop ${users.length === 1 ? 'it' : 'them'} first (DROP INDEX CONCURRENTLY, DROP TRIGGER ... ON ...), or make ${users.length === 1 ? 'it' : 'them'} again without the function; CASCADE would drop ${users.length === 1 ? 'it' : 'them'} silently, under an ACCESS EXCLUSIVE lock on ${users.length === 1 ? 'its table' : 'their tables'} (MG243).`));
        }
      }
      return;
    }
    const table = relationName(body.relation);
    const state = ctx.state.table(table);
    // The table's own foreign keys an earlier subcommand dropped (or dropped the column of): a
    // key to the table itself no longer holds the later ones back.
    const droppedOwn = new Set<string>();
    for (const [subcommand, c] of (body.cmds ?? []).entries()) {
      const cmd = c.AlterTableCmd;
      const blocking: Dependent[] = [];
      let what = '';
      if (cmd?.behavior !== 'DROP_CASCADE' && cmd?.subtype === 'AT_DropColumn') {
        const key = state?.keyConstraints;
        for (const fk of referencing(ctx, table)) {
          if (isOwn(fk, table) && (droppedOwn.has(fk.name) || fk.columns.includes(cmd.name))) continue;
          const index = fk.refIndex === undefined ? undefined : state?.uniqueIndexes.get(fk.refIndex);
          if (fk.refColumns.includes(cmd.name) || (fk.refColumns.length === 0 && [...(key?.values() ?? [])].some((k) => k.primary && k.columns.includes(cmd.name)))) blocking.push({ fk, on: `column ${quoteIdent(cmd.name)} of table ${quoteName(table)}` });
          // A column of the index it depends on, not one it references: an INCLUDE column.
          else if (index?.columns.includes(cmd.name)) blocking.push({ fk, on: `index ${quoteName(fk.refIndex!)}` });
        }
        what = `column ${quoteIdent(cmd.name)} of table ${quoteName(table)}`;
      } else if (cmd?.behavior !== 'DROP_CASCADE' && cmd?.subtype === 'AT_DropConstraint') {
        // Only where the index the foreign key depends on is known to be this constraint's.
        for (const fk of referencing(ctx, table)) if (!(isOwn(fk, table) && droppedOwn.has(fk.name)) && fk.refKey === cmd.name && fk.refIndex === cmd.name) blocking.push({ fk, on: `index ${quoteName(cmd.name)}` });
        what = `constraint ${quoteIdent(cmd.name)} on table ${quoteName(table)}`;
      }
      if (blocking.length) report({ subcommand, ...refusal(`cannot drop ${what} because other objects depend on it: ${dependents(blocking)}`, dropKeysFirst(blocking.map((b) => b.fk), 'or use CASCADE, which drops them')) });
      if (cmd?.subtype === 'AT_DropConstraint') droppedOwn.add(cmd.name);
      if (cmd?.subtype === 'AT_DropColumn') for (const fk of ctx.state.foreignKeysAt(table, { end: 'own', column: cmd.name })) droppedOwn.add(fk.name);
    }
  },
};

/** A foreign key that depends on what a statement drops, and on which part of it. */
interface Dependent {
  readonly fk: ForeignKey;
  readonly on: string;
}

const noColumns: ReadonlySet<string> = new Set();

/** The foreign keys that reference a table: other tables', and its own to itself. */
function referencing(ctx: StatementContext, table: string): ForeignKey[] {
  const key = tableKey(table);
  // Its own keys are looked at only when one may reference the table itself (ownColumns: none).
  return ctx.state.foreignKeysAt(table, { ownColumns: noColumns, keep: (_name, fk) => tableKey(fk.references) === key });
}

function isOwn(fk: ForeignKey, table: string): boolean {
  return tableKey(fk.table) === tableKey(table);
}

/** The foreign keys that depend on an index, as PostgreSQL picked it for each when it was made. */
export function dependingOnIndex(ctx: StatementContext, index: string): ForeignKey[] {
  const table = ctx.state.tableOfIndex(index);
  if (table === undefined) return [];
  const bare = index.slice(index.lastIndexOf('.') + 1);
  return referencing(ctx, table).filter((fk) => fk.refIndex === bare);
}

function refusal(why: string, help: string): { message: string; help: string; refused: 'certain' } {
  return { message: `PostgreSQL refuses this statement: ${why}`, help, refused: 'certain' };
}

function constraints(fks: readonly ForeignKey[]): string {
  return fks.map((fk) => `constraint ${quoteIdent(fk.name)} on table ${quoteName(fk.table)}`).join(', ');
}

function dependents(blocking: readonly Dependent[]): string {
  return blocking.map((b) => `constraint ${b.fk.name} on table ${b.fk.table} depends on ${b.on}`).join(', ');
}

function dropKeysFirst(fks: readonly ForeignKey[], rest: string): string {
  return `Drop the foreign ${fks.length === 1 ? 'key' : 'keys'} first (${fks.map((fk) => `ALTER TABLE ${quoteName(fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)};`).join(' ')}), ${rest}.`;
}

/** A name list as written: schema.name. */
function dottedName(o: unknown): string {
  const items = (o as { List?: { items?: { String?: { sval?: string } }[] } }).List?.items ?? [];
  return items.map((i) => i.String?.sval ?? '?').join('.');
}

/**
 * The primary key or unique constraint whose index this is (PostgreSQL names the index after the
 * constraint), on a table of the index's schema.
 */
export function constraintOwning(ctx: StatementContext, index: string): { table: string; constraint: string } | undefined {
  const dot = index.lastIndexOf('.');
  const [schema, bare] = dot < 0 ? [undefined, index] : [index.slice(0, dot), index.slice(dot + 1)];
  const known = ctx.state.tableOfIndex(index);
  for (const [key, t] of ctx.state.tables) {
    if (known !== undefined ? tableKey(known) !== key : !inSchema(key, schema)) continue;
    if (t.keyConstraints.has(bare)) return { table: t.name, constraint: bare };
  }
  return undefined;
}

function inSchema(tableKeyName: string, schema: string | undefined): boolean {
  const dot = tableKeyName.lastIndexOf('.');
  const own = dot < 0 ? 'public' : tableKeyName.slice(0, dot);
  return own === (schema ?? 'public');
}

/** The columns of known tables whose type is this one, as table.column. */
function columnsOfType(ctx: StatementContext, type: string): string[] {
  const key = tableKey(type);
  const found: string[] = [];
  for (const t of ctx.state.tables.values()) {
    for (const [column, c] of t.columns) if (c.type && tableKey(c.type.name) === key) found.push(`${quoteIdent(column)} of table ${quoteName(t.name)}`);
  }
  return found;
}

/** "index hot_idx on post_aggregates", "trigger touch on users". */
export function functionUserLabel(u: FunctionUser): string {
  return `${u.kind} ${quoteIdent(u.name)} on ${quoteName(u.table)}`;
}
