import type { PgNode } from '../../sql/parser.js';
import { node } from '../../sql/node.js';
import { quoteName } from '../../sql/quote.js';
import { functionArguments, functionKey, tableKey, type Routine, type RoutineSource, type SchemaState } from './schema-state.js';
import type { SearchPath } from './search-path.js';

/**
 * The functions and procedures a migration creates and then calls (`SELECT cleanup()`, `CALL
 * p()`): the schema state keeps each one's CREATE statement (SchemaState.routines), and a call of
 * one is judged as its body's statements, as a DO block's are (src/analyze/sql/analyze.ts). A
 * name is looked up as PostgreSQL looks it up: a bare one in the schemas of the search path, in
 * order; an overload by how many arguments the call passes. Triggers' functions are not followed.
 */

type FuncCall = { funcname?: { String?: { sval?: string } }[]; args?: unknown[]; func_variadic?: boolean; agg_star?: boolean; location?: number };

const names = (list: { String?: { sval?: string } }[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval ?? '?');

/** A bare name made under the search path: in its first schema (PostgreSQL creates there). */
function createdName(parts: readonly string[], path: SearchPath): string | undefined {
  if (parts.length > 1) return tableKey(parts.join('.'));
  return path.length > 0 ? tableKey(`${path[0]}.${parts[0]}`) : undefined;
}

/** The name of the routines a bare or qualified name finds: the first schema of the path that has one of that name. */
function foundName(parts: readonly string[], path: SearchPath, state: SchemaState): string | undefined {
  if (parts.length > 1) return tableKey(parts.join('.'));
  return path.map((schema) => tableKey(`${schema}.${parts[0]}`)).find((name) => state.routines.has(name));
}

/**
 * Keeps what a statement does to the functions and procedures a call may run: CREATE [OR
 * REPLACE] FUNCTION or PROCEDURE (the one with the same argument types is replaced), DROP
 * (one overload when its arguments are given, else the name), ALTER FUNCTION's actions (kept
 * with the overload, or every overload when no arguments are given), and a rename or a move to
 * another schema (the name is forgotten). `source`: where the statement is written.
 */
export function learnRoutines(state: SchemaState, ast: PgNode, text: string, path: SearchPath, source?: RoutineSource): void {
  const [kind, body] = node(ast);
  if (kind === 'CreateFunctionStmt') {
    const name = createdName(names(body.funcname), path);
    if (name === undefined) return;
    type Parameter = { FunctionParameter?: { mode?: string; defexpr?: unknown } };
    const inputs = ((body.parameters ?? []) as Parameter[]).filter((p) => p.FunctionParameter && p.FunctionParameter.mode !== 'FUNC_PARAM_OUT' && p.FunctionParameter.mode !== 'FUNC_PARAM_TABLE');
    const routine: Routine = {
      name, arguments: functionArguments(body.parameters), inputs: inputs.length,
      required: inputs.filter((p) => p.FunctionParameter!.defexpr === undefined && p.FunctionParameter!.mode !== 'FUNC_PARAM_VARIADIC').length,
      variadic: inputs.some((p) => p.FunctionParameter!.mode === 'FUNC_PARAM_VARIADIC'),
      procedure: body.is_procedure === true, ast, text, ...(source ? { source } : {}),
    };
    state.setRoutines(name, [...(state.routines.get(name) ?? []).filter((r) => r.arguments !== routine.arguments), routine]);
    return;
  }
  if (state.routines.size === 0) return;
  const routineObjects = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE']);
  type ObjectWithArgs = { objname?: { String?: { sval?: string } }[]; objargs?: unknown[]; args_unspecified?: boolean };
  if (kind === 'DropStmt' && routineObjects.has(body.removeType)) {
    for (const o of (body.objects ?? []) as { ObjectWithArgs?: ObjectWithArgs }[]) {
      const written = names(o.ObjectWithArgs?.objname);
      const name = foundName(written, path, state);
      if (name === undefined) continue;
      // "f(int4)": the arguments as functionArguments() writes a definition's.
      const key = functionKey(o.ObjectWithArgs);
      const args = key?.slice(tableKey(written.join('.')).length + 1, -1);
      state.setRoutines(name, args === undefined ? [] : (state.routines.get(name) ?? []).filter((r) => r.arguments !== args));
    }
  } else if (kind === 'AlterFunctionStmt' && body.objtype !== 'OBJECT_PROCEDURE') {
    // What planning does with a call depends on the options ALTER FUNCTION changes (src/analyze/sql/inline-function.ts).
    const func = body.func as ObjectWithArgs | undefined;
    const written = names(func?.objname);
    const name = foundName(written, path, state);
    if (name === undefined) return;
    const key = functionKey(func);
    const args = key?.slice(tableKey(written.join('.')).length + 1, -1);
    state.setRoutines(name, (state.routines.get(name) ?? []).map((r) => (args === undefined || r.arguments === args ? { ...r, alterations: [...(r.alterations ?? []), ...((body.actions ?? []) as unknown[])] } : r)));
  } else if ((kind === 'RenameStmt' && routineObjects.has(body.renameType)) || (kind === 'AlterObjectSchemaStmt' && routineObjects.has(body.objectType))) {
    const name = foundName(names((body.object as { ObjectWithArgs?: ObjectWithArgs } | undefined)?.ObjectWithArgs?.objname), path, state);
    if (name !== undefined) state.setRoutines(name, []);
  }
}

/** A call of a known routine in a statement: `once` when the statement runs it once, else it may run for each row, or not at all. */
export interface RoutineCall {
  readonly routine: Routine;
  readonly once: boolean;
}

/** Expressions whose parts may not all be evaluated: a call inside runs on a condition. */
const conditionalNodes = new Set(['SubLink', 'CaseExpr', 'CoalesceExpr', 'BoolExpr', 'NullIfExpr']);

/**
 * The calls a statement makes of the functions and procedures the state knows, in the order
 * written: `CALL p()`, and the functions any other statement calls. A statement runs a call once
 * when it is `SELECT f(...)` without FROM, WHERE or GROUP BY, or `SELECT ... FROM f(...)`; any
 * other call (in a WHERE, in a SELECT list over rows, in an UPDATE) may run for each row. A call
 * whose name or argument count fits no known routine, or fits several, is left out.
 */
export function routineCalls(ast: PgNode, state: SchemaState, path: SearchPath): RoutineCall[] {
  if (state.routines.size === 0) return [];
  const found: { call: FuncCall; once: boolean; procedure: boolean }[] = [];
  const walk = (tree: unknown, once: boolean) => {
    const stack: { value: unknown; once: boolean }[] = [{ value: tree, once }];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const { value } = item;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], once: item.once });
      } else if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, v] = entries[i]!;
          if (key === 'FuncCall') found.push({ call: v as FuncCall, once: item.once, procedure: false });
          stack.push({ value: v, once: item.once && !conditionalNodes.has(key) });
        }
      }
    }
  };
  const [kind, body] = node(ast);
  if (kind === 'CallStmt') {
    if (body.funccall) found.push({ call: body.funccall, once: true, procedure: true });
    walk(body.funccall?.args, true);
  } else if (kind === 'SelectStmt' && (body.op ?? 'SETOP_NONE') === 'SETOP_NONE' && !body.whereClause && !body.groupClause && !body.havingClause) {
    for (const [key, value] of Object.entries(body)) {
      if (key === 'targetList') walk(value, !body.fromClause);
      else if (key === 'fromClause') for (const item of value as Record<string, { lateral?: boolean }>[]) walk(item, item.RangeFunction !== undefined && !item.RangeFunction.lateral);
      else walk(value, false);
    }
  } else walk(ast, false);
  const calls: { routine: Routine; once: boolean; location: number }[] = [];
  for (const { call, once, procedure } of found) {
    if (call.agg_star) continue;
    const name = foundName(names(call.funcname), path, state);
    const passed = call.args?.length ?? 0;
    const fits = (name === undefined ? [] : state.routines.get(name) ?? []).filter((r) => r.procedure === procedure && r.required <= passed && (passed <= r.inputs || r.variadic));
    if (fits.length === 1) calls.push({ routine: fits[0]!, once, location: call.location ?? 0 });
  }
  return calls.sort((a, b) => a.location - b.location).map(({ routine, once }) => ({ routine, once }));
}

/** A routine as SQL names it in a message: `cleanup()`, `app.move_rows()`, and whether it is a function or a procedure. */
export function routineLabel(routine: Routine): string {
  return `${routine.procedure ? 'procedure' : 'function'} ${quoteName(routine.name)}()`;
}
