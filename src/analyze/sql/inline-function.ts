import { parseSql } from '../../sql/parser.js';
import { someNode } from '../../sql/walk.js';
import { castTypeNames } from './builtin-casts.js';
import { nonVolatileBuiltinNames, setReturningBuiltinNames, volatileBuiltinNames } from './builtin-functions.js';
import { columnType } from './types.js';
import { tableKey, type Routine, type SchemaState, type Volatility } from './schema-state.js';

/**
 * PostgreSQL plans an expression before it asks whether it calls a volatile function (ADD COLUMN's
 * default: expression_planner(), then contain_volatile_functions(), in ATExecAddColumn), and
 * planning inlines a simple SQL function: inline_function() in optimizer/util/clauses.c puts the
 * expression of its body in place of the call, with the arguments in place of the parameters. A
 * function declared (or left) VOLATILE whose body is `SELECT now()` is then no volatile call.
 *
 * inline_function()'s conditions, as this reads them from a function these files created:
 * LANGUAGE sql (a body in quotes, or PostgreSQL 14's RETURN / BEGIN ATOMIC), not SECURITY DEFINER,
 * no SET clause, not returning a set or record, and one statement: a SELECT of one expression
 * with no FROM, WHERE, GROUP BY, HAVING, WINDOW, DISTINCT, ORDER BY, LIMIT, OFFSET, WITH, set
 * operation, sub-select, aggregate, window function or set-returning function. Where the answer
 * depends on what is not read here (STRICT, which inlines only a body strict in every argument;
 * a parameter used twice with an argument that is not a constant, which inlines only a cheap one;
 * named or VARIADIC arguments; OUT parameters; a result type that is not a built-in base type, as
 * a composite one is not inlined), the function is taken as not inlined: judged as declared.
 */

/** The call of a function in a parse tree (FuncCall). */
export interface FunctionCallNode {
  readonly funcname?: readonly { String?: { sval?: string } }[];
  readonly args?: readonly unknown[];
  readonly func_variadic?: boolean;
  readonly agg_star?: boolean;
  readonly agg_distinct?: boolean;
  readonly agg_order?: unknown;
  readonly agg_filter?: unknown;
  readonly agg_within_group?: boolean;
  readonly over?: unknown;
}

/** What planning a call does with a function: inlines it (the expressions that stand for the call), or not, and why when that is sure. */
export type Inlining =
  | { readonly inlined: true; readonly expressions: readonly unknown[] }
  | { readonly inlined: false; readonly why?: string };

type DefElem = { DefElem?: { defname?: string; arg?: { String?: { sval?: string }; Boolean?: { boolval?: boolean }; List?: { items?: { String?: { sval?: string } }[] } } } };
type Parameter = { FunctionParameter?: { name?: string; mode?: string; defexpr?: unknown } };

let setReturning: ReadonlySet<string> | undefined;
let baseTypes: ReadonlySet<string> | undefined;
let knownBuiltins: ReadonlySet<string> | undefined;

/**
 * The routine these files created that a call in a default runs: a qualified name as written, a
 * bare one in public (the search path migc assumes; a pg_catalog name is PostgreSQL's own and
 * never gets here); the one overload that takes as many arguments as the call passes.
 */
export function calledRoutine(call: FunctionCallNode, state: Pick<SchemaState, 'routines'>): Routine | undefined {
  const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
  const passed = call.args?.length ?? 0;
  const fits = (state.routines.get(tableKey(names.join('.'))) ?? []).filter((r) => !r.procedure && r.required <= passed && (passed <= r.inputs || r.variadic));
  return fits.length === 1 ? fits[0] : undefined;
}

/** A routine's options as they are now: CREATE FUNCTION's, then each ALTER FUNCTION's actions (the last of a name wins). */
function optionsNow(routine: Routine): Map<string, DefElem['DefElem']> {
  const body = (routine.ast as { CreateFunctionStmt?: { options?: DefElem[] } }).CreateFunctionStmt;
  const options = new Map<string, DefElem['DefElem']>();
  for (const o of [...(body?.options ?? []), ...((routine.alterations ?? []) as DefElem[])]) {
    if (!o.DefElem?.defname) continue;
    // SET and RESET add to or take from the function's settings: any of them counts (proconfig).
    if (o.DefElem.defname === 'set') options.set('set', o.DefElem);
    else options.set(o.DefElem.defname, o.DefElem);
  }
  return options;
}

/** The volatility a routine declares now (VOLATILE unless it says otherwise). */
export function routineVolatility(routine: Routine): Volatility {
  return (optionsNow(routine).get('volatility')?.arg?.String?.sval as Volatility | undefined) ?? 'volatile';
}

/** What planning does with this call of this routine (see the comment at the top). */
export function inlining(routine: Routine, call: FunctionCallNode, state: Pick<SchemaState, 'routines' | 'functions'>): Inlining {
  const create = (routine.ast as { CreateFunctionStmt?: Record<string, any> }).CreateFunctionStmt;
  if (!create || routine.procedure) return { inlined: false };
  const options = optionsNow(routine);
  const language = options.get('language')?.arg?.String?.sval?.toLowerCase() ?? (create.sql_body ? 'sql' : undefined);
  if (language !== 'sql') return { inlined: false, ...(language ? { why: `it is LANGUAGE ${language}` } : {}) };
  if (options.get('security')?.arg?.Boolean?.boolval === true) return { inlined: false, why: 'it is SECURITY DEFINER' };
  if (options.has('set')) return { inlined: false, why: 'it has a SET clause' };
  if (create.returnType?.setof) return { inlined: false, why: 'it returns a set' };
  const returns = columnType(create.returnType);
  if (returns?.name === 'record' && !returns.array) return { inlined: false, why: 'it returns record' };
  baseTypes ??= new Set(castTypeNames.split(/\s+/));
  // A composite result (a table's row type, CREATE TYPE ... AS) is not inlined; only built-in base types are known not to be one.
  if (!returns || !baseTypes.has(returns.name)) return { inlined: false };
  if (options.get('strict')?.arg?.Boolean?.boolval === true) return { inlined: false };
  const parameters = (create.parameters ?? []) as Parameter[];
  if (parameters.some((p) => p.FunctionParameter?.mode !== 'FUNC_PARAM_DEFAULT' && p.FunctionParameter?.mode !== 'FUNC_PARAM_IN')) return { inlined: false };
  if (call.func_variadic || routine.variadic) return { inlined: false };
  const args = call.args ?? [];
  if (args.some((a) => typeof a === 'object' && a !== null && 'NamedArgExpr' in a)) return { inlined: false };

  const select = bodySelect(create, options);
  if (select === undefined) return { inlined: false };
  if (typeof select === 'string') return { inlined: false, why: select };
  const expression = (select.targetList[0] as { ResTarget?: { val?: unknown } }).ResTarget?.val;
  const shape = expressionShape(expression, state);
  if (shape) return { inlined: false, why: shape };
  // A function neither built in nor created here may be an aggregate or return a set (no inlining then): not sure.
  if (someNode(expression, (o) => o.FuncCall !== undefined && !knownFunction(o.FuncCall as FunctionCallNode, state))) return { inlined: false };

  // A parameter used more than once is inlined only when its argument is cheap and not volatile: sure for a constant.
  const used: unknown[] = [];
  for (const [i, p] of parameters.entries()) {
    const argument = i < args.length ? args[i] : p.FunctionParameter?.defexpr;
    if (argument === undefined) return { inlined: false };
    const uses = parameterUses(expression, i + 1, p.FunctionParameter?.name, routine.name);
    if (uses > 1 && !isConstant(argument)) return { inlined: false };
    // An argument the call leaves out is the parameter's DEFAULT: it is evaluated where the call was.
    if (i >= args.length) used.push(argument);
  }
  return { inlined: true, expressions: [expression, ...used] };
}

/** The one SELECT a SQL function's body is, or why PostgreSQL does not inline it (a string), or undefined when its body is not read. */
function bodySelect(create: Record<string, any>, options: Map<string, DefElem['DefElem']>): { targetList: unknown[] } | string | undefined {
  let statement: Record<string, any> | undefined;
  if (create.sql_body) {
    // RETURN expression is a SELECT of it; BEGIN ATOMIC ... END a list of statement lists.
    if (create.sql_body.ReturnStmt) return { targetList: [{ ResTarget: { val: create.sql_body.ReturnStmt.returnval } }] };
    const lists = (create.sql_body.List?.items ?? []) as { List?: { items?: Record<string, any>[] } }[];
    const statements = lists.flatMap((l) => l.List?.items ?? []);
    if (statements.length !== 1) return `its body has ${statements.length} statements`;
    statement = statements[0];
  } else {
    const items = options.get('as')?.arg?.List?.items;
    const source = items?.length === 1 ? items[0]!.String?.sval : undefined;
    if (source === undefined) return undefined;
    const parsed = parseSql(source);
    if (!parsed.ok) return undefined;
    if (parsed.statements.length !== 1) return `its body has ${parsed.statements.length} statements`;
    statement = parsed.statements[0]!.ast as Record<string, any>;
  }
  const select = statement?.SelectStmt;
  if (!select) return 'its body is no SELECT';
  if ((select.op ?? 'SETOP_NONE') !== 'SETOP_NONE') return 'its body is a UNION, INTERSECT or EXCEPT';
  const found = Object.entries(clauses).filter(([c]) => select[c] !== undefined && !(Array.isArray(select[c]) && select[c].length === 0)).map(([, words]) => words);
  if (found.length > 0) return `its body's SELECT has ${found.join(', ')}`;
  if (select.targetList?.length !== 1) return `its body's SELECT has ${select.targetList?.length ?? 0} expressions`;
  const target = (select.targetList[0] as { ResTarget?: { val?: { ColumnRef?: { fields?: Record<string, unknown>[] } } } }).ResTarget?.val;
  if (target?.ColumnRef?.fields?.some((f) => 'A_Star' in f)) return undefined;
  return select as { targetList: unknown[] };
}

/** The clauses of a SELECT that keep a SQL function from being inlined, as SQL writes them. */
const clauses: Readonly<Record<string, string>> = {
  withClause: 'WITH', valuesLists: 'VALUES', distinctClause: 'DISTINCT', intoClause: 'INTO', fromClause: 'FROM', whereClause: 'WHERE', groupClause: 'GROUP BY',
  havingClause: 'HAVING', windowClause: 'WINDOW', sortClause: 'ORDER BY', limitCount: 'LIMIT', limitOffset: 'OFFSET', lockingClause: 'FOR UPDATE or SHARE',
};

/** Why PostgreSQL does not inline a body of this expression: a sub-select, an aggregate, a window function or a set-returning one. */
function expressionShape(expression: unknown, state: Pick<SchemaState, 'routines'>): string | undefined {
  setReturning ??= new Set(setReturningBuiltinNames.split(/\s+/).filter(Boolean));
  let why: string | undefined;
  someNode(expression, (o) => {
    if ('SubLink' in o) why = 'its body has a sub-select';
    const call = o.FuncCall as FunctionCallNode | undefined;
    if (call) {
      const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
      const builtin = names.length === 1 || names[0] === 'pg_catalog';
      const routine = calledRoutine(call, state);
      if (call.over) why = 'its body calls a window function';
      else if (call.agg_star || call.agg_distinct || call.agg_order || call.agg_filter || call.agg_within_group) why = 'its body calls an aggregate';
      else if ((builtin && setReturning!.has(names[names.length - 1]!)) || (routine && (routine.ast as { CreateFunctionStmt?: { returnType?: { setof?: boolean } } }).CreateFunctionStmt?.returnType?.setof)) why = 'its body calls a set-returning function';
    }
    return why !== undefined;
  });
  return why;
}

/** Whether a function is pg_catalog's (a plain function: prokind f) or one these files created (whether it returns a set is known). */
function knownFunction(call: FunctionCallNode, state: Pick<SchemaState, 'functions' | 'routines'>): boolean {
  const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
  const name = names[names.length - 1]!;
  knownBuiltins ??= new Set([...volatileBuiltinNames.split(/\s+/), ...nonVolatileBuiltinNames.split(/\s+/)].filter(Boolean));
  if ((names.length === 1 || names[0] === 'pg_catalog') && knownBuiltins.has(name)) return true;
  return state.functions.has(tableKey(names.join('.'))) && calledRoutine(call, state) !== undefined;
}

/** How often a body refers to parameter `position` (by $n, by its name, or as function.name). */
function parameterUses(expression: unknown, position: number, name: string | undefined, functionName: string): number {
  let uses = 0;
  const bare = functionName.split('.').pop();
  someNode(expression, (o) => {
    const param = o.ParamRef as { number?: number } | undefined;
    if (param?.number === position) uses++;
    const fields = ((o.ColumnRef as { fields?: { String?: { sval?: string } }[] } | undefined)?.fields ?? []).map((f) => f.String?.sval);
    if (name !== undefined && fields.length > 0 && fields[fields.length - 1] === name && (fields.length === 1 || (fields.length === 2 && fields[0] === bare))) uses++;
    return false;
  });
  return uses;
}

/** A constant: a literal, or a literal cast to a type. */
function isConstant(expression: unknown): boolean {
  const o = expression as { A_Const?: unknown; TypeCast?: { arg?: unknown } } | undefined;
  return o?.A_Const !== undefined || (o?.TypeCast !== undefined && isConstant(o.TypeCast.arg));
}
