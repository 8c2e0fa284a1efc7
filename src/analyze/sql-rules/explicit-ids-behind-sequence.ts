import type { PgNode } from '../../sql/parser.js';
import { someNode } from '../../sql/walk.js';
import { quoteColumn, quoteIdent, quoteName, sqlLiteral } from '../../sql/quote.js';
import type { StatementContext, StatementFinding, StatementRule } from '../sql/context.js';
import { identitySequenceName, tableKey, type ColumnState } from '../sql/schema-state.js';
import { defaultSequence } from '../../sql/locks.js';
import { applyChange, changeTargets, drawsFromTheStart, identityPosition, sameRelation, sequenceChanges, type SequencePosition } from '../sql/sequence-position.js';
import { node, relationName } from './ast.js';
import { integerConstant, mayDraw } from '../sql/sequence-draws.js';

/**
 * An INSERT that writes its own values into a serial or identity column (a copy of rows with
 * their ids, seed rows with fixed ids) leaves the column's sequence where it was. On a table the
 * same migration created, the sequence has given nothing yet: the next INSERT that takes the
 * default draws 1, 2, ... and collides with the ids written (duplicate key on the primary key;
 * seen in harness's 0072: a copy into a new SERIAL table, and the next insert failed on PGlite).
 * Unless something after it in the file moves the sequence: setval(), ALTER SEQUENCE ... RESTART,
 * ALTER TABLE ... ALTER COLUMN ... RESTART. On a table made earlier, where the sequence stands is
 * not known, and nothing is said.
 *
 * An identity column GENERATED ALWAYS refuses a value outright, on any table, unless the INSERT
 * says OVERRIDING SYSTEM VALUE: "cannot insert a non-DEFAULT value into column" (428C9).
 * OVERRIDING USER VALUE ignores the values given; DEFAULT and nextval() are the sequence's own.
 *
 * The same hazard by another path: a column that already holds values given a sequence the
 * migrations made, which starts at 1 (freshSequencesOnRows).
 */
export const explicitIdsBehindSequence: StatementRule = {
  code: 'MG236',
  name: 'explicit-ids-behind-sequence',
  summary: 'A sequence stands behind the values of its column, and nothing moves it past them: an INSERT wrote its own values into a serial or identity column of a table the migration created, or fixed values into the unique one of a table that holds rows (rows the application wrote may hold them already), or a column that already holds values was given a sequence the migrations made (SET DEFAULT nextval(...), ADD GENERATED AS IDENTITY). The next INSERT that takes the default collides. An identity GENERATED ALWAYS refuses the values of an INSERT outright.',
  severity: 'warning',
  kinds: ['InsertStmt', 'AlterTableStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind === 'AlterTableStmt') {
      for (const finding of freshSequencesOnRows(ctx, body)) report(finding);
      return;
    }
    if (body.override === 'OVERRIDING_USER_VALUE') return;
    const table = relationName(body.relation);
    const state = ctx.state.table(table);
    if (!state || state.partial) return;
    for (const { column, values } of writtenColumns(body, state.columns)) {
      const col = state.columns.get(column)!;
      if (!col.sequence || (values.length > 0 && values.every(isSequenceOwn))) continue;
      if (col.identity === 'always' && body.override !== 'OVERRIDING_SYSTEM_VALUE') {
        report({
          severity: 'error',
          refused: 'certain',
          message: `PostgreSQL refuses this INSERT: ${quoteColumn(table, column)} is an identity column GENERATED ALWAYS, which takes no value from an INSERT (cannot insert a non-DEFAULT value into column "${column}")`,
          help: `To keep the values given (a copy of rows with their ids), write INSERT INTO ${quoteName(table)} (...) OVERRIDING SYSTEM VALUE ..., then move the sequence past them: ${setvalPast(table, column)} Or leave the column out and let the sequence number the rows.`,
        });
        return;
      }
      // A fresh sequence: the one PostgreSQL made with the column of this new table, or one
      // CREATE SEQUENCE made in this migration. An older one its DEFAULT names (renamed, say) has
      // handed out values already: where it stands is not known.
      if (!ctx.state.isNew(table)) {
        const finding = fixedIdsOnRows(ctx, body, table, column, col, values);
        if (!finding) continue;
        report(finding);
        return;
      }
      const fresh = col.ownSequence === true || ctx.state.newSequences.has(tableKey(col.sequence));
      if (!fresh || movesSequenceLater(ctx, table, column, col)) continue;
      // Values the fresh sequence never hands out (0 below a serial's 1, an odd value between the
      // steps of INCREMENT 2) cannot collide with a default; any other value, or one not written
      // as a constant, is judged as before.
      const draws = col.draws ?? ctx.state.sequenceDraws.get(tableKey(col.sequence));
      const given = values.filter((v) => !isSequenceOwn(v)).map(integerConstant);
      if (draws && given.length > 0 && given.every((v) => v !== undefined && !mayDraw(draws, v))) continue;
      // A setval() before the INSERT put the sequence past every value written (Evergreen's
      // SETVAL(..., 1001) before ids 1 and 2: the thirty-third trial's A): its defaults come after.
      const next = ctx.state.sequencePositions.get(tableKey(col.sequence))?.next ?? ctx.state.lastMovedTo(col.sequence, table, column);
      // (Not a sequence that CYCLEs: it comes back to its MINVALUE.)
      if (next !== undefined && draws && !draws.cycle && draws.increment > 0n && given.length > 0 && given.every((v) => v !== undefined && v < next)) continue;
      // Told once per file and sequence: the INSERTs after the first in the file collide the same
      // way, and one setval() after the last mends them all (a Django dump's one INSERT per row:
      // stellar-disbursement's 94, the forty-second trial's A).
      const said = saidOf(ctx.state);
      const key = `${ctx.file ?? ''}\0${tableKey(col.sequence)}`;
      if (said.has(key)) return;
      report({
        onStands: () => said.add(key),
        message: `this INSERT writes its own values into ${quoteColumn(table, column)}, whose sequence ${quoteName(col.sequence)} the same migration created and nothing moves past them: the next INSERT that takes the default draws ${draws ? `${next ?? draws.start}, ${(next ?? draws.start) + draws.increment}` : '1, 2'}, ... and collides with the values written`,
        help: `After the INSERT: ${col.ownSequence ? setvalPast(table, column) : setvalPast(table, column, col.sequence)}`,
      });
      return;
    }
  },
};

/** The files and sequences MG236 has told an INSERT of its own values for (by file and sequence), per schema state: one lint or check. */
const saidBySequence = new WeakMap<object, Set<string>>();

function saidOf(state: object): Set<string> {
  let said = saidBySequence.get(state);
  if (!said) saidBySequence.set(state, (said = new Set()));
  return said;
}

/**
 * Fixed values written into the unique serial or identity column of a table that holds rows (one
 * an earlier migration made, or a plan did not create): the application's rows took their values
 * from the same sequence. If it has drawn one of the values written, the INSERT fails on the
 * duplicate key; if not, the sequence has yet to reach them, and the application's INSERT that
 * draws one fails then (the twenty-fifth trial's M1: DolphinScheduler's 3.0.0 upgrade writes ids
 * 1 to 10 into t_ds_dq_rule, a serial table its ddl.sql made). Unless a statement moves the
 * sequence past them before the run ends (a later migration may: the finding waits). Only VALUES
 * of integer constants the sequence may draw, with no ON CONFLICT (an author who wrote one knows
 * the rows may be there); a sequence whose draws migc cannot read is not judged.
 */
function fixedIdsOnRows(ctx: StatementContext, body: Record<string, any>, table: string, column: string, col: ColumnState, values: readonly PgNode[]): StatementFinding | undefined {
  const tableState = ctx.state.table(table);
  if (body.onConflictClause || !body.selectStmt?.SelectStmt?.valuesLists || !tableState?.uniqueColumns.has(column)) return undefined;
  const sequence = col.sequence!;
  const draws = col.draws ?? ctx.state.sequenceDraws.get(tableKey(sequence));
  const given = values.filter((v) => !isSequenceOwn(v)).map(integerConstant);
  if (!draws || given.length === 0 || given.some((v) => v === undefined)) return undefined;
  const drawn = [...new Set((given as bigint[]).filter((v) => mayDraw(draws, v)))];
  if (drawn.length === 0) return undefined;
  if (ctx.inRollback && movesSequenceLater(ctx, table, column, col)) return undefined;
  const lint = ctx.mode === 'lint';
  const shown = drawn.slice(0, 3).join(', ') + (drawn.length > 3 ? ', ...' : '');
  const finding: StatementFinding = {
    message: `this INSERT writes fixed values (${shown}) into ${quoteColumn(table, column)}, a unique column whose default draws from ${quoteName(sequence)}, of a table ${lint ? 'an earlier migration made' : 'the plan did not create'}, and nothing moves the sequence past them by the time ${lint ? 'the files linted have run' : 'the plan has run'}: the application's rows take their values from that sequence. If it has drawn one of these, this INSERT fails (duplicate key); if not, the application's INSERT that draws it fails later`,
    help: `Leave ${quoteIdent(column)} out and let the sequence give the value, finding the row by another unique column. If the values must be these (other rows or the code point at them), take values the sequence never draws (${draws.increment > 0n ? 'below' : 'above'} ${draws.start}), or move the sequence past them right after the INSERT, before the application writes: ${col.ownSequence || col.identity ? setvalPast(table, column) : setvalPast(table, column, sequence)}`,
  };
  if (ctx.inRollback) return finding;
  const { state } = ctx;
  const since = state.sequenceClock();
  return { ...finding, standsAtEnd: () => state.table(table)?.columns.get(column)?.sequence === sequence && !state.sequenceMovedSince(since, sequence, table, column) };
}

/** The statement that moves a column's sequence past the values in it (the next default is max + 1; 1 on an empty table): the column's own, or the sequence named. */
function setvalPast(table: string, column: string, sequence?: string): string {
  // A sequence that belongs to no column (CREATE SEQUENCE without OWNED BY) is named: pg_get_serial_sequence() finds only a column's own.
  const which = sequence === undefined ? `pg_get_serial_sequence(${sqlLiteral(quoteName(table))}, ${sqlLiteral(column)})` : sqlLiteral(quoteName(sequence));
  return `SELECT setval(${which}, (SELECT coalesce(max(${quoteIdent(column)}), 0) + 1 FROM ${quoteName(table)}), false);`;
}

/** The columns an INSERT gives values to, with the value expressions of each (none known for a SELECT). */
function writtenColumns(body: Record<string, any>, columns: ReadonlyMap<string, ColumnState>): { column: string; values: PgNode[] }[] {
  const select = body.selectStmt?.SelectStmt;
  const rows: PgNode[][] | undefined = select?.valuesLists?.map((l: { List?: { items?: PgNode[] } }) => l.List?.items ?? []);
  const width = rows?.[0]?.length ?? (select?.targetList ?? []).length;
  // Without a column list, values fill the columns in the table's order.
  const names: string[] = body.cols?.length
    ? body.cols.map((c: { ResTarget?: { name?: string } }) => c.ResTarget?.name ?? '')
    : [...columns].sort((a, b) => (a[1].ordinal ?? 0) - (b[1].ordinal ?? 0)).slice(0, width).map(([name]) => name);
  // A plain SELECT gives each column its target's expression (SELECT nextval('s'), name FROM old): one value, as a row would.
  const targets: PgNode[] | undefined = !rows && select && (select.op ?? 'SETOP_NONE') === 'SETOP_NONE'
    && !(select.targetList ?? []).some((t: { ResTarget?: { val?: unknown } }) => someNode(t.ResTarget?.val, (n) => 'A_Star' in n))
    ? (select.targetList ?? []).map((t: { ResTarget?: { val?: PgNode } }) => t.ResTarget?.val) : undefined;
  return names.flatMap((column, i) => (columns.has(column) ? [{ column, values: rows ? rows.map((r) => r[i]!).filter(Boolean) : targets?.[i] ? [targets[i]!] : [] }] : []));
}

/** DEFAULT, or a nextval() call: the sequence gives the value. A SELECT's values (its targets' expressions) are judged as a row's; one with * is not known (empty: judged as given). */
function isSequenceOwn(value: PgNode): boolean {
  const [kind, body] = node(value);
  if (kind === 'SetToDefault') return true;
  return kind === 'FuncCall' && (body.funcname ?? []).at(-1)?.String?.sval === 'nextval';
}

/** Whether a statement after this one in the file moves the sequence: setval(), ALTER SEQUENCE, ALTER COLUMN ... RESTART / SET identity options. */
function movesSequenceLater(ctx: StatementContext, table: string, column: string, col: ColumnState): boolean {
  const key = tableKey(table);
  const sequence = tableKey(col.sequence!);
  const names = new Set([key, sequence, key.split('.').at(-1)!, sequence.split('.').at(-1)!]);
  const mentions = (o: Record<string, unknown>) => someNode(o, (n) => {
    const s = (n.String as { sval?: string } | undefined)?.sval ?? (n.sval as string | undefined);
    return typeof s === 'string' && [...names].some((name) => s === name || tableKey(s) === name || s.endsWith(`.${name}`));
  });
  return ctx.later().some((ast) => someNode(ast, (n) => {
    const call = n.FuncCall as { funcname?: { String?: { sval?: string } }[]; args?: unknown[] } | undefined;
    if (call && call.funcname?.at(-1)?.String?.sval === 'setval') return mentions(n);
    const seq = n.AlterSeqStmt as { sequence?: unknown } | undefined;
    if (seq) return tableKey(relationName(seq.sequence as never)) === sequence;
    const alter = n.AlterTableStmt as { relation?: unknown; cmds?: { AlterTableCmd?: { subtype?: string; name?: string } }[] } | undefined;
    if (alter && tableKey(relationName(alter.relation as never)) === key) {
      return (alter.cmds ?? []).some((c) => c.AlterTableCmd?.name === column && (c.AlterTableCmd.subtype === 'AT_SetIdentity' || c.AlterTableCmd.subtype === 'AT_AddIdentity'));
    }
    return false;
  }));
}

/**
 * A sequence the migrations made, fresh, attached to a column that already holds values: an
 * existing table's (rows assumed) or a new table the files filled from a query. ALTER COLUMN ...
 * SET DEFAULT nextval('s') of a sequence CREATE SEQUENCE made (hatchet's v0.10.2 widens its
 * SMALLSERIAL "order" columns and points them at new sequences), and ALTER COLUMN ... ADD
 * GENERATED ... AS IDENTITY, whose sequence PostgreSQL makes at START WITH 1 whatever the column
 * holds: the next INSERT that takes the default draws 1 again. Unless a setval() or RESTART moves
 * it before the run ends (a later migration of the run may: the finding waits for the end).
 */
function freshSequencesOnRows(ctx: StatementContext, body: Record<string, any>): StatementFinding[] {
  const table = relationName(body.relation);
  const tableState = ctx.state.table(table);
  // A table this transaction emptied (DELETE without WHERE, TRUNCATE) holds no value to collide
  // with until a row is written (kamu's projections, the twenty-eighth trial's B).
  if (body.objtype !== 'OBJECT_TABLE' || (ctx.state.isNew(table) && !tableState?.filled) || ctx.earlier.emptied(table)) return [];
  const findings: StatementFinding[] = [];
  // A column added by the same statement holds nothing yet (its NULLs, or its own default's values).
  const added = new Set((body.cmds ?? []).map((c: { AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string } } } }) => (c.AlterTableCmd?.subtype === 'AT_AddColumn' ? c.AlterTableCmd.def?.ColumnDef?.colname : undefined)));
  for (const [i, c] of (body.cmds ?? []).entries()) {
    const cmd = c.AlterTableCmd;
    if (typeof cmd?.name !== 'string' || added.has(cmd.name) || ctx.state.isNewColumn(table, cmd.name)) continue;
    const column: string = cmd.name;
    let sequence: string;
    let position: SequencePosition | undefined;
    if (cmd.subtype === 'AT_ColumnDefault' && cmd.def) {
      const named = defaultSequence(cmd.def);
      const found = named === undefined ? undefined : [...ctx.state.sequencePositions].find(([name]) => sameRelation(name, named));
      if (!found) continue;
      [sequence, position] = found;
    } else if (cmd.subtype === 'AT_AddIdentity') {
      const options = cmd.def?.Constraint?.options;
      sequence = identitySequenceName(table, column, options);
      position = identityPosition(-1, options, { table, column });
    } else continue;
    if (position.inUse || !drawsFromTheStart(position)) continue;
    const identity = cmd.subtype === 'AT_AddIdentity';
    const ran = ctx.mode === 'lint' ? 'the files linted have run' : 'the plan has run';
    const finding = {
      message: identity
        ? `${quoteColumn(table, column)} becomes an identity column, whose new sequence ${quoteName(sequence)} starts at ${position.next} whatever the column holds, and nothing moves it past the values there by the time ${ran}: the next INSERT that takes the default draws ${position.next} again, a duplicate key if the column is unique, otherwise a value older rows already have`
        : `${quoteColumn(table, column)} now takes its default from ${quoteName(sequence)}, a sequence the migrations made that starts at ${position.next}, and nothing moves it past the values the column already holds by the time ${ran}: the next INSERT that takes the default draws ${position.next} again, a duplicate key if the column is unique, otherwise a value older rows already have`,
      help: `After it, move the sequence past the values: SELECT setval(${identity ? `pg_get_serial_sequence(${sqlLiteral(quoteName(table))}, ${sqlLiteral(column)})` : sqlLiteral(quoteName(sequence))}, (SELECT coalesce(max(${quoteIdent(column)}), 0) + 1 FROM ${quoteName(table)}), false);`,
      subcommand: i,
    };
    if (ctx.inRollback) {
      // A rollback's changes are undone before the run ends: the statements after it in its part judge it.
      let after = position;
      for (const ast of ctx.later()) for (const change of sequenceChanges(ast)) if (changeTargets(change, sequence, after)) after = applyChange(after, change);
      if (drawsFromTheStart(after)) findings.push(finding);
      continue;
    }
    const { state } = ctx;
    const id = position.id;
    findings.push({
      ...finding,
      // Still at its start once every migration of the run has run, its table still there. A
      // setval() in dynamic SQL (EXECUTE of a string) is not seen: statements migc cannot read are
      // common (hatchet's partition functions), a sequence moved by one is not.
      standsAtEnd: () => {
        if (!state.table(table)) return false;
        const now = identity ? state.sequencePositions.get(state.identitySequence(table, column) ?? '') : state.sequencePositions.get(sequence);
        return now !== undefined && (identity || now.id === id) && drawsFromTheStart(now);
      },
    });
  }
  return findings;
}
