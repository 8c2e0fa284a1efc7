import { alterTableCommands, node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { distance } from 'fastest-levenshtein';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { missingColumnRefs, type MissingColumnRef } from '../sql/column-refs.js';
import { nameSpanAt, parseSql } from '../../sql/parser.js';
import { andListAtMost } from './statement-locks.js';

/**
 * ALTER TABLE ... DROP COLUMN (without IF EXISTS), ALTER COLUMN or RENAME COLUMN of a column the
 * table does not have, or an UPDATE that sets one, an INSERT that lists one, an index on one: PostgreSQL refuses it ("column "x" of relation "t" does not exist") and the
 * migration fails there. Judged only where every column of the table is known: a table a CREATE
 * TABLE the analysis read made, without LIKE, INHERITS or PARTITION OF, and changed since only by
 * statements it read. A DO block with SQL migc cannot read, or a function, may add columns it
 * does not see: a table such a block could have changed is not judged.
 */
export const missingColumn: StatementRule = {
  code: 'MG238',
  name: 'missing-column',
  summary: 'A statement names a column its table does not have (ALTER TABLE ... DROP COLUMN without IF EXISTS, ALTER COLUMN, RENAME COLUMN; UPDATE ... SET, INSERT INTO t (...), CREATE INDEX; a column an UPDATE, DELETE, INSERT or SELECT reads that no table in reach has): PostgreSQL refuses it.',
  severity: 'error',
  kinds: ['AlterTableStmt', 'RenameStmt', 'UpdateStmt', 'InsertStmt', 'IndexStmt', 'DeleteStmt', 'SelectStmt'],
  check(ctx, report) {
    // A down file may be written for a point in history other than right after its up (a popx
    // migration split in parts rolls back in reverse order); a DO block's statement may stand
    // under a condition that tests for the column.
    if (ctx.rollbackFile || ctx.inDoBlock) return;
    const [kind, body] = node(ctx.ast);
    const named: { table: string; column: string; subcommand?: number; drop?: boolean }[] = [];
    // What an UPDATE sets, an INSERT lists, an index is on: each a column of the table.
    const columnsOf = (table: string, names: readonly (string | undefined)[]) => {
      for (const column of names) if (column !== undefined) named.push({ table, column });
    };
    if (kind === 'UpdateStmt' || kind === 'InsertStmt') {
      const targets: { ResTarget?: { name?: string } }[] = (kind === 'UpdateStmt' ? body.targetList : body.cols) ?? [];
      columnsOf(relationName(body.relation), targets.map((t) => t.ResTarget?.name));
    } else if (kind === 'IndexStmt') {
      const elements: { IndexElem?: { name?: string } }[] = [...(body.indexParams ?? []), ...(body.indexIncludingParams ?? [])];
      columnsOf(relationName(body.relation), elements.map((e) => e.IndexElem?.name));
    } else if (kind === 'RenameStmt') {
      if (body.renameType === 'OBJECT_COLUMN' && body.relationType === 'OBJECT_TABLE' && !body.missing_ok) named.push({ table: relationName(body.relation), column: body.subname });
    } else if (kind === 'AlterTableStmt') {
      const alter = alterTableCommands(ctx.ast);
      if (!alter || body.missing_ok || body.objtype !== 'OBJECT_TABLE') return;
      // PostgreSQL runs an ALTER TABLE's subcommands in passes, not as written: ADD COLUMN before
      // SET DEFAULT and SET NOT NULL, which find a column the statement adds wherever it adds it;
      // DROP COLUMN, DROP DEFAULT, DROP NOT NULL and TYPE come first, and do not (checked on both
      // engines: test/refused-statements.test.ts).
      const added = new Set<string>();
      for (const cmd of alter.cmds) if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname !== undefined) added.add(cmd.def.ColumnDef.colname);
      for (const [subcommand, cmd] of alter.cmds.entries()) {
        if (cmd.name === undefined || cmd.missing_ok) continue;
        const afterAdding = cmd.subtype === 'AT_SetNotNull' || (cmd.subtype === 'AT_ColumnDefault' && cmd.def !== undefined);
        if (afterAdding && added.has(cmd.name)) continue;
        if (['AT_DropColumn', 'AT_AlterColumnType', 'AT_SetNotNull', 'AT_DropNotNull', 'AT_ColumnDefault'].includes(cmd.subtype)) named.push({ table: alter.table, column: cmd.name, subcommand, drop: cmd.subtype === 'AT_DropColumn' });
      }
    }
    let refused = false;
    for (const { table, column, subcommand, drop } of named) {
      const t = ctx.state.table(table);
      if (!t || t.partial || !ctx.state.columnsAllKnown(table) || t.columns.has(column)) continue;
      refused = true;
      // The closest name, two edits away at most (a typo), looked for among a table's columns
      // when it has a few hundred at most; the first eight are listed.
      let near: string | undefined;
      let nearest = 3;
      const first: string[] = [];
      const wide = t.columns.size > 200;
      for (const c of t.columns.keys()) {
        if (first.length < 8) first.push(c);
        else if (wide) break;
        if (wide || Math.abs(c.length - column.length) >= nearest) continue;
        const d = distance(c, column);
        if (d < nearest) [near, nearest] = [c, d];
      }
      const listed = t.columns.size > 8 ? `${first.map(quoteIdent).join(', ')} and ${t.columns.size - 8} more` : first.map(quoteIdent).join(', ') || 'none';
      report({
        refused: 'certain',
        ...(subcommand !== undefined ? { subcommand } : {}),
        message: `PostgreSQL refuses this statement: column ${quoteIdent(column)} of relation ${quoteName(table)} does not exist (its columns, as the statements before this one left them: ${listed})`,
        help: near !== undefined ? `Did you mean ${quoteIdent(near)}?` : `Name a column ${quoteName(table)} has${drop ? ', or write DROP COLUMN IF EXISTS where the column may be gone' : ' (an earlier statement may have renamed or dropped it)'}.`,
      });
    }
    // What an UPDATE, DELETE, INSERT or SELECT reads: each name in a table in reach (one refusal
    // said is enough). In a routine's body a bare name may be one of its variables.
    if (!refused && (kind === 'UpdateStmt' || kind === 'InsertStmt' || kind === 'DeleteStmt' || kind === 'SelectStmt') && !ctx.inFunction) {
      const refs = missingColumnRefs(ctx.ast, ctx.state, ctx.psqlNames);
      if (refs.length) reportReference(ctx, refs, report);
    }
  },
};

/** The first reference PostgreSQL refuses, where it is (and how many more there are). */
function reportReference(ctx: StatementContext, refs: readonly MissingColumnRef[], report: Parameters<StatementRule['check']>[1]): void {
  const first = refs[0]!;
  const tables = [...new Set(first.searched)];
  // The closest name among the columns of the tables searched, two edits away at most.
  let near: string | undefined;
  let nearest = 3;
  for (const table of tables) {
    for (const c of ctx.state.table(table)?.columns.keys() ?? []) {
      if (Math.abs(c.length - first.column.length) >= nearest) continue;
      const d = distance(c, first.column);
      if (d < nearest) [near, nearest] = [c, d];
    }
  }
  const written = first.qualifier === undefined ? quoteIdent(first.column) : `${quoteIdent(first.qualifier)}.${quoteIdent(first.column)}`;
  const where = tables.length ? `not a column of ${andListAtMost(tables.map(quoteName), 3)}, as the statements before this one left ${tables.length === 1 ? 'it' : 'them'}` : 'no table is in reach of it';
  const more = refs.length > 1 ? `; and ${refs.length - 1} more ${refs.length === 2 ? 'name' : 'names'} no table in reach has` : '';
  const at = referenceAt(ctx.text, ctx, 0);
  report({
    refused: 'certain',
    ...(at ? { at } : {}),
    message: `PostgreSQL refuses this statement: column ${written} does not exist (${where})${more}`,
    help: near !== undefined ? `Did you mean ${quoteIdent(near)}?` : `Name a column the table has${tables.length > 1 ? ', qualified by its table' : ''} (an earlier statement may have renamed or dropped it).`,
  });
}

/**
 * Where the index-th refused reference is in the statement's text, as string offsets: the text
 * parsed again on its own, so that the parser's byte locations are the text's (only when there is
 * a finding to place), the end found with PostgreSQL's lexer.
 */
function referenceAt(text: string, ctx: StatementContext, index: number): { start: number; end: number } | undefined {
  const parsed = parseSql(text);
  if (!parsed.ok || parsed.statements.length !== 1) return undefined;
  const ref = missingColumnRefs(parsed.statements[0]!.ast, ctx.state, ctx.psqlNames)[index];
  return ref?.location === undefined ? undefined : nameSpanAt(text, ref.location, ref.parts);
}
