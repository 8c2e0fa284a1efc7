import { alterTableCommands, node } from './ast.js';
import { keysAdded, tableElementSpans, type KeyAdded } from './foreign-keys-added.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { makeObjectName, nameAddition } from '../../sql/generated-names.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** A foreign key as the rule compares them: its table, the referenced table, and column to referenced column. */
export interface Key {
  readonly name?: string;
  readonly references: string;
  readonly columns: readonly string[];
  /** The referenced columns, in the order of `columns`; empty when unknown (the primary key of a table migc never saw made). */
  readonly refColumns: readonly string[];
}

/**
 * A foreign key that repeats another of the same table: the same columns referencing the same
 * columns of the same table. PostgreSQL keeps both, and checks both on every insert or key change
 * of the table and every delete or key change of the referenced one; the second protects nothing
 * the first does not. Most often the columns are a slip: claircore's
 * `package_scanartifact_source_id_fkey FOREIGN KEY (package_id)`, a second key on package_id,
 * left source_id with none (the twenty-third trial's M3). Shown on PostgreSQL 15 and PGlite.
 */
export const duplicateForeignKey: StatementRule = {
  code: 'MG250',
  name: 'duplicate-foreign-key',
  summary: 'A foreign key with the same columns, referencing the same columns of the same table, as another key of its table: PostgreSQL checks both on every write, and the second protects nothing; often its columns were meant to be others.',
  severity: 'warning',
  kinds: ['CreateStmt', 'AlterTableStmt'],
  check(ctx, report) {
    const repeats = repeatedKeys(ctx);
    if (repeats.length === 0) return;
    const ast = ctx.state.withGeneratedNames(ctx.ast);
    let spans: ReturnType<typeof tableElementSpans> | null = null;
    for (const { key, twin, meant } of repeats) {
      const label = key.name !== undefined ? `foreign key ${quoteIdent(key.name)}` : 'this foreign key';
      const twinLabel = twin.name !== undefined ? quoteIdent(twin.name) : 'one added before it';
      if (key.element !== undefined && spans === null) spans = tableElementSpans(ctx.text, node(ast)[1].tableElts.length);
      const at = key.element !== undefined ? spans?.[key.element] : undefined;
      const refColumns = referencedColumns(ctx, key);
      const drop = key.name !== undefined ? ` (or ALTER TABLE ${quoteName(key.table)} DROP CONSTRAINT ${quoteIdent(key.name)};)` : '';
      // Not a step of a swap: a key added to take another's place (ON DELETE changed without a
      // long lock: the new one NOT VALID, validated, the old one dropped after).
      const state = ctx.state;
      const both = () => {
        const keys = state.table(key.table)?.foreignKeys;
        return keys !== undefined && (twin.name === undefined || keys.has(twin.name)) && (key.name === undefined || keys.has(key.name));
      };
      report({
        standsAtEnd: both,
        ...(key.subcommand !== undefined ? { subcommand: key.subcommand } : {}),
        ...(at ? { at } : {}),
        message: `${label} repeats ${twinLabel} of ${quoteName(key.table)}: both make (${key.columns.map(quoteIdent).join(', ')}) reference ${quoteName(key.references)}${refColumns.length ? ` (${refColumns.map(quoteIdent).join(', ')})` : ''}. PostgreSQL checks both on every write, and the second protects nothing${meant ? `; its name is the one PostgreSQL gives a key on ${quoteIdent(meant)}, which has none: was it meant for ${quoteIdent(meant)}?` : ''}`,
        help: meant
          ? `If the key was meant for ${quoteIdent(meant)}, make it on that column: FOREIGN KEY (${quoteIdent(meant)}) REFERENCES ${quoteName(key.references)}. Otherwise leave it out${drop}.`
          : `Leave it out${drop}; if other columns were meant, give it those.`,
      });
    }
  },
};

/** A key a statement adds that repeats another of its table (twin), and the column its name was written for, if another. */
export interface RepeatedKey {
  readonly key: KeyAdded;
  readonly twin: Key;
  readonly meant?: string;
}

/**
 * The foreign keys a CREATE TABLE or ALTER TABLE adds that repeat another key of their table: one
 * the table has (not dropped by the same statement), or one the statement added before. Unnamed
 * keys under the names PostgreSQL gives them. MG230 leaves these to MG250: the index they lack is
 * the first key's, told where that was made.
 */
export function repeatedKeys(ctx: StatementContext): RepeatedKey[] {
  // Asked by MG230 and MG250 of the same statement, in the same context: worked out once.
  if (last?.ctx !== ctx) last = { ctx, found: findRepeats(ctx) };
  return last.found;
}

/** The last statement context asked, and its answer (a WeakMap costs more than the answer). */
let last: { readonly ctx: StatementContext; readonly found: RepeatedKey[] } | undefined;

function findRepeats(ctx: StatementContext): RepeatedKey[] {
  const kind = node(ctx.ast)[0];
  if (kind !== 'CreateStmt' && kind !== 'AlterTableStmt') return [];
  // Most statements add no key: the names PostgreSQL gives unnamed ones are worked out only then.
  if (keysAdded(ctx).length === 0) return [];
  const ast = ctx.state.withGeneratedNames(ctx.ast);
  const added = keysAdded(ctx, ast);
  // Constraints this ALTER TABLE drops before it adds (DROP CONSTRAINT x, ADD CONSTRAINT x ...).
  const dropsHere = new Set<string>();
  for (const cmd of alterTableCommands(ast)?.cmds ?? []) if (cmd.subtype === 'AT_DropConstraint' && cmd.name) dropsHere.add(cmd.name);
  /** The keys this statement added before, by table. */
  const addedHere = new Map<string, Key[]>();
  const repeats: RepeatedKey[] = [];
  for (const key of added) {
    const mine: Key = { ...(key.name !== undefined ? { name: key.name } : {}), references: tableKey(key.references), columns: key.columns, refColumns: referencedColumns(ctx, key) };
    const table = tableKey(key.table);
    const before = addedHere.get(table) ?? [];
    addedHere.set(table, [...before, mine]);
    // One of the same name is no second key: PostgreSQL refuses it ("already exists").
    const repeats_ = (o: Key) => (o.name === undefined || o.name !== mine.name) && sameKey(o, mine);
    let twin = before.find(repeats_);
    // The table's keys (a CREATE TABLE makes a table with none: of a name taken, it fails, or IF
    // NOT EXISTS skips it), walked only when one is on the key's first column: a table can have
    // hundreds, and be altered at every migration.
    const own = kind === 'AlterTableStmt' ? ctx.state.table(key.table)?.foreignKeys : undefined;
    if (!twin && own && key.columns.length > 0 && own.involves(key.columns[0]!)) {
      for (const [name, fk] of own) {
        if (dropsHere.has(name)) continue;
        const o: Key = { name, references: fk.references, columns: fk.columns, refColumns: fk.refColumns };
        if (repeats_(o)) {
          twin = o;
          break;
        }
      }
    }
    if (!twin) continue;
    const keyOn = (column: string) => before.some((k) => k.columns.includes(column)) || (own?.involves(column) === true && [...own].some(([name, fk]) => !dropsHere.has(name) && fk.columns.includes(column)));
    const meant = meantFor(ctx, key, keyOn);
    repeats.push({ key, twin, ...(meant !== undefined ? { meant } : {}) });
  }
  return repeats;
}

/** The columns a new key references: those it names, or the referenced table's primary key as migc knows it. */
function referencedColumns(ctx: StatementContext, key: KeyAdded): readonly string[] {
  if (key.refColumns.length) return key.refColumns;
  const table = ctx.state.table(key.references);
  for (const k of table?.keyConstraints.values() ?? []) if (k.primary) return k.columns;
  return [];
}

/** The same table referenced, each column to the same referenced column, in any order. */
function sameKey(a: Key, b: Key): boolean {
  if (a.references !== b.references || a.columns.length !== b.columns.length) return false;
  const known = a.refColumns.length === a.columns.length && b.refColumns.length === b.columns.length;
  if (!known && (a.refColumns.length || b.refColumns.length)) return false;
  for (const [i, column] of a.columns.entries()) {
    const j = b.columns.indexOf(column);
    if (j < 0 || (known && a.refColumns[i] !== b.refColumns[j])) return false;
  }
  return true;
}

/**
 * The column of the table whose default key name (`<table>_<column>_fkey`) the key has, when that
 * column is not the key's and no key of the table is on it: a name written for one column and a
 * key made on another.
 */
function meantFor(ctx: StatementContext, key: KeyAdded, keyOn: (column: string) => boolean): string | undefined {
  const bare = key.table.replace(/^.*\./, '');
  // The column between `<table>_` and `_fkey`, when the name is PostgreSQL's for it (not cut to 63 bytes).
  if (key.name === undefined || !key.name.startsWith(`${bare}_`) || !key.name.endsWith('_fkey')) return undefined;
  const column = key.name.slice(bare.length + 1, -'_fkey'.length);
  if (key.columns.includes(column) || !ctx.state.table(key.table)?.columns.has(column) || makeObjectName(bare, nameAddition([column]), 'fkey') !== key.name) return undefined;
  return keyOn(column) ? undefined : column;
}
