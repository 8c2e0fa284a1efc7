import { addedConstraints, node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey, type SchemaState } from '../sql/schema-state.js';
import { routineBody } from '../../sql/plpgsql.js';
import { parsePlpgsql, type PgNode } from '../../sql/parser.js';
import { missingColumnRefs } from '../sql/column-refs.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { plainIndex } from './seen-tables.js';

/**
 * Tables that have, or had, a unique index migc cannot compare with an ON CONFLICT's columns (one
 * with a WHERE, an expression, an operator class or a collation): such an index may be the arbiter PostgreSQL infers. Never
 * forgotten, for the run (by the schema state's object).
 */
const uncertainArbiters = new WeakMap<SchemaState, Set<string>>();

function uncertain(state: SchemaState): Set<string> {
  let tables = uncertainArbiters.get(state);
  if (!tables) uncertainArbiters.set(state, (tables = new Set()));
  return tables;
}

/**
 * A PL/pgSQL function whose body uses what its tables do not have: a column an earlier statement
 * dropped or renamed away (an INSERT's column, an UPDATE's SET column, a name an UPDATE or DELETE
 * reads that no variable of the function has), or an INSERT ... ON CONFLICT (columns) that no
 * unique key of the table covers. PostgreSQL checks none of it at CREATE FUNCTION: it plans each
 * statement at its first call, and refuses it then, at every call ("column ... does not exist",
 * "there is no unique or exclusion constraint matching the ON CONFLICT specification"). A
 * trigger's function fails every write to its table. Judged against the tables as they are when
 * the function is made; where a later migration fixes it, the finding says until then (tell()). trieve's notification counter upserts ON CONFLICT (dataset_uuid),
 * which no unique key covers, and decrements WHERE user_uuid = ..., a column its migration had
 * just dropped (the twenty-fourth trial's D; shown on both engines). Only columns gone for sure:
 * one migc never saw made may be there all the same. For ON CONFLICT, only a table whose every
 * column and unique index migc knows (made by a CREATE TABLE it read, changed since only by
 * statements it read, no unique index with a WHERE or an expression, no exclusion constraint).
 */
export const functionBodyFails: StatementRule = {
  code: 'MG252',
  name: 'function-body-fails',
  summary: 'A PL/pgSQL function writes a column an earlier statement dropped or renamed away (an INSERT\'s column list or its ON CONFLICT DO UPDATE SET, an UPDATE\'s SET), or reads one in an UPDATE or DELETE (where no variable of the function has its name), or upserts ON CONFLICT (columns) that no unique key of the table covers: PostgreSQL refuses the statement at every call, and a trigger\'s function fails every write to its table.',
  severity: 'warning',
  kinds: ['CreateFunctionStmt', 'IndexStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind === 'IndexStmt') {
      // Any but a plain B-tree over columns (seen-tables' plainIndex: an operator class or a
      // collation changes what ON CONFLICT infers too).
      if (body.unique && !plainIndex(body)) uncertain(ctx.state).add(tableKey(relationName(body.relation)));
      return;
    }
    if (ctx.inRollback || !plpgsql(body)) return;
    const read = routineBody(ctx.ast, ctx.text);
    if (!read) return;
    const state = ctx.state;
    const name = (body.funcname ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval).join('.');
    const text = ctx.text;
    let variables: Set<string> | undefined;
    for (const b of read.statements) {
      if (b.executed) continue;
      const [k, stmt] = node(b.ast);
      const at = { start: b.start, end: b.end };
      if (k === 'InsertStmt' || k === 'UpdateStmt') {
        const table = relationName(stmt.relation);
        // An INSERT's column list, and what its ON CONFLICT ... DO UPDATE SET writes; an UPDATE's SET.
        const targets = k === 'InsertStmt' ? [...(stmt.cols ?? []), ...(stmt.onConflictClause?.targetList ?? [])] : stmt.targetList ?? [];
        const written: string[] = [...new Set(targets.map((t: { ResTarget?: { name?: string } }) => t.ResTarget?.name).filter((c: unknown): c is string => typeof c === 'string'))] as string[];
        // Only columns a statement seen dropped or renamed away: gone for sure. One migc never saw
        // made may be there all the same (civitai's Thread."commentCount", which its migrations
        // use and never add).
        const missing = () => written.filter((c) => state.columnGone(table, c));
        const now = missing();
        if (now.length > 0) {
          tell(report, {
            at,
            message: `${quoteName(name)} writes ${k === 'InsertStmt' ? 'into' : 'to'} ${quoteName(table)} the column${now.length === 1 ? '' : 's'} ${now.map(quoteIdent).join(', ')}, which an earlier statement dropped or renamed away: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")`,
            help: `Write the columns ${quoteName(table)} has, or add the column before the function is called; a function a trigger calls fails every write to its table.`,
            broken: () => stillDefined(state, ctx.ast, text) && missing().length > 0,
          });
        }
      }
      // A name its UPDATE or DELETE reads that is neither a column of a table in reach nor a
      // variable or parameter of the function (trieve's `WHERE user_uuid = OLD.dataset_uuid`,
      // user_uuid dropped just before: the twenty-fourth trial's D).
      if (k === 'UpdateStmt' || k === 'DeleteStmt') {
        variables ??= functionVariables(text);
        const vars = variables;
        const unknown = () => vars === undefined ? [] : missingColumnRefs(b.ast, state, vars).filter((r) => (r.qualifier === undefined || !vars.has(r.qualifier.toLowerCase())) && r.searched.some((t) => state.columnGone(t, r.column)));
        const now = unknown();
        if (now.length > 0) {
          const first = now[0]!;
          const written = first.qualifier === undefined ? quoteIdent(first.column) : `${quoteIdent(first.qualifier)}.${quoteIdent(first.column)}`;
          const tables = [...new Set(first.searched)];
          tell(report, {
            at,
            message: `${quoteName(name)} reads ${written}, a column of ${tables.map(quoteName).join(', ')} an earlier statement dropped or renamed away, and no variable of the function: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")`,
            help: 'Name a column the table has (an earlier statement may have renamed or dropped it), or declare the variable; a function a trigger calls fails every write to its table.',
            broken: () => stillDefined(state, ctx.ast, text) && unknown().length > 0,
          });
        }
      }
      const target = k === 'InsertStmt' ? conflictTarget(stmt) : undefined;
      if (target) {
        const table = relationName(stmt.relation);
        const uncovered = () => {
          const t = state.table(table);
          if (!t || !state.columnsAllKnown(table) || uncertain(state).has(tableKey(table))) return false;
          if ([...t.constraints.values()].some((c) => c.kind === 'exclusion')) return false;
          if (target.some((c) => !t.columns.has(c))) return false;
          const same = (columns: readonly string[]) => columns.length === target.length && target.every((c) => columns.includes(c));
          for (const key of t.keyConstraints.values()) if (same(key.columns)) return false;
          for (const index of t.uniqueIndexes.values()) if (same(index.keys)) return false;
          return true;
        };
        // The key added later in the same migration, before any call a migration makes (swh's
        // upgrade scripts, pg_dump's order: functions first, constraints after; the thirty-second
        // trial's A, both calls shown to succeed on PostgreSQL 15).
        if (uncovered() && !keyAddedLater(ctx, table, target)) tell(report, {
          at,
          message: `${quoteName(name)} inserts into ${quoteName(table)} ON CONFLICT (${target.map(quoteIdent).join(', ')}), and no unique key of ${quoteName(table)} is on those columns: PostgreSQL refuses this statement at every call of the function ("there is no unique or exclusion constraint matching the ON CONFLICT specification")`,
          help: `Give ${quoteName(table)} a unique key on (${target.map(quoteIdent).join(', ')}) (CREATE UNIQUE INDEX CONCURRENTLY), or name in ON CONFLICT the columns of one it has; a function a trigger calls fails every write to its table.`,
          broken: () => stillDefined(state, ctx.ast, text) && uncovered(),
        });
      }
    }
  },
};

/**
 * The names a PL/pgSQL body's SQL may use for a value: its parameters, variables and records
 * (NEW, OLD, FOUND, TG_OP...), lower-cased, as PostgreSQL's PL/pgSQL compiler lists them.
 * Undefined when the compiler refuses the body.
 */
function functionVariables(text: string): Set<string> | undefined {
  const parsed = parsePlpgsql(text);
  if (!parsed.ok || parsed.functions.length !== 1) return undefined;
  const datums = ((parsed.functions[0] as { PLpgSQL_function?: { datums?: Record<string, { refname?: string }>[] } }).PLpgSQL_function?.datums ?? []);
  const names = new Set<string>();
  for (const d of datums) for (const v of Object.values(d)) if (typeof v.refname === 'string') names.add(v.refname.toLowerCase());
  return names;
}

/**
 * A finding told twice, one of the two standing once the files have run: as it is, when the
 * function is still broken then; else with the fix a later migration brings, since between the two
 * every call fails (trieve replaced its counter's function nine days later: the twenty-fourth
 * trial's D).
 */
function tell(report: Parameters<StatementRule['check']>[1], finding: { at: { start: number; end: number }; message: string; help: string; broken: () => boolean }): void {
  const { broken, ...rest } = finding;
  report({ ...rest, standsAtEnd: broken });
  report({ ...rest, message: `${rest.message}, until a later migration of the files linted replaces the function or changes the table`, standsAtEnd: () => !broken() });
}

/**
 * Whether a statement after this one in the same migration (file part, or plan step) gives the
 * table a unique key on exactly these columns: ADD PRIMARY KEY or UNIQUE, inline or as a
 * constraint, or CREATE UNIQUE INDEX over plain columns without WHERE.
 */
function keyAddedLater(ctx: StatementContext, table: string, columns: readonly string[]): boolean {
  const same = (keys: readonly string[]) => keys.length === columns.length && columns.every((c) => keys.includes(c));
  const key = tableKey(table);
  for (const ast of ctx.later()) {
    const [kind, body] = node(ast);
    if (kind === 'IndexStmt') {
      if (body.unique && !body.whereClause && plainIndex(body) && tableKey(relationName(body.relation)) === key && same((body.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? ''))) return true;
      continue;
    }
    for (const added of addedConstraints(ast, ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'])) {
      const keys = (added.constraint.keys ?? []).map((k: { String?: { sval?: string } }) => k.String?.sval ?? '');
      if (tableKey(added.table) === key && same(keys)) return true;
    }
  }
  return false;
}

/** Whether a CREATE FUNCTION is of PL/pgSQL. */
function plpgsql(body: { options?: { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[] }): boolean {
  return (body.options ?? []).some((o) => o.DefElem?.defname === 'language' && o.DefElem.arg?.String?.sval?.toLowerCase() === 'plpgsql');
}

/** The plain columns of an INSERT's ON CONFLICT (...): undefined for none, ON CONSTRAINT, a WHERE, or an expression. */
function conflictTarget(insert: Record<string, any>): string[] | undefined {
  const infer = insert.onConflictClause?.infer;
  if (!infer || infer.conname || infer.whereClause || !infer.indexElems?.length) return undefined;
  const columns: string[] = [];
  for (const e of infer.indexElems as { IndexElem?: { name?: string } }[]) {
    if (typeof e.IndexElem?.name !== 'string') return undefined;
    columns.push(e.IndexElem.name);
  }
  return columns;
}

/** Whether the function this CREATE FUNCTION made is still the one of its name once the files have run (not dropped, nor replaced). */
function stillDefined(state: SchemaState, ast: PgNode, text: string): boolean {
  for (const routines of state.routines.values()) for (const r of routines) if (r.ast === ast || r.text === text) return true;
  return false;
}

