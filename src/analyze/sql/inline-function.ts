import { parseSql, type PgNode } from '../../sql/parser.js';
import { someNode } from '../../sql/walk.js';
import { castTypeNames } from './builtin-casts.js';
import { aggregateBuiltinNames, nonStrictBuiltinNames, nonVolatileBuiltinNames, setReturningBuiltinNames, strictBuiltinOperators, volatileBuiltinNames } from './builtin-functions.js';
import { defaultSearchPath, type SearchPath } from './search-path.js';
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
 * operation, sub-select, aggregate, window function or set-returning function. A STRICT one
 * besides uses every parameter and has a body strict in every part (contain_nonstrict_functions():
 * no CASE, COALESCE, AND, OR, IS NULL, ..., and only strict functions and operators), which is
 * decided where every part is known (nonStrictPart()). Where the answer depends on what is not
 * read here (a STRICT body with a part whose strictness depends on its argument types, such as
 * ||; a parameter used twice with an argument that is not a constant, which inlines only a cheap
 * one; named or VARIADIC arguments; OUT parameters; a result type that is not a built-in base
 * type, as a composite one is not inlined), the function is taken as not inlined: judged as declared.
 *
 * Names are looked up as PostgreSQL looks them up under the search path in force (foundFunction()):
 * a body in quotes is parsed when the call is planned, under the caller's path.
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
let aggregates: ReadonlySet<string> | undefined;
let nonStrictBuiltins: ReadonlySet<string> | undefined;
let strictOperators: ReadonlySet<string> | undefined;

/** Whether every function of pg_catalog's operator of this name is STRICT (a NULL operand gives NULL): all but ||. */
export function isStrictBuiltinOperator(operator: string): boolean {
  strictOperators ??= new Set(strictBuiltinOperators.split(/\s+/).filter(Boolean));
  return strictOperators.has(operator);
}

/**
 * What a function name in an expression finds, as PostgreSQL looks it up: a qualified name in its
 * schema; a bare one in pg_catalog first (unless the path lists pg_catalog: then where it lists
 * it), then in the schemas of the search path in order, the first that has a function of that
 * name taking as many arguments as the call passes. `builtin`: pg_catalog's (by name); `routine`:
 * the one these files created that it runs, when exactly one fits; `declared`: the volatility it
 * declares, when known; `key`: its name as tableKey() writes it (as written when nothing is found).
 */
export interface FoundFunction {
  readonly key: string;
  readonly builtin?: true;
  readonly routine?: Routine;
  readonly declared?: Volatility;
}

export function foundFunction(call: FunctionCallNode, state: Pick<SchemaState, 'routines' | 'functions'>, path: SearchPath = defaultSearchPath): FoundFunction {
  const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
  const name = names[names.length - 1]!;
  const written = tableKey(names.join('.'));
  const passed = call.args?.length ?? 0;
  knownBuiltins ??= new Set([...volatileBuiltinNames.split(/\s+/), ...nonVolatileBuiltinNames.split(/\s+/)].filter(Boolean));
  const schemas = names.length > 1 ? [names.slice(0, -1).join('.')] : path.includes('pg_catalog') ? path : ['pg_catalog', ...path];
  for (const schema of schemas) {
    if (schema === 'pg_catalog' && knownBuiltins.has(name)) return { key: name, builtin: true };
    const key = tableKey(`${schema}.${name}`);
    const routines = (state.routines.get(key) ?? []).filter((r) => !r.procedure);
    const fits = routines.filter((r) => r.required <= passed && (passed <= r.inputs || r.variadic));
    if (fits.length === 1) return { key, routine: fits[0]!, declared: routineVolatility(fits[0]!) };
    const declared = state.functions.get(key);
    // Several overloads fit: which one runs depends on the argument types; the name's volatility (the last one created) stands.
    if (fits.length > 1) return { key, ...(declared ? { declared } : {}) };
    if (routines.length === 0 && declared) return { key, declared };
  }
  // A function the statements seen know by name only (renamed, say), written as called.
  const declared = state.routines.has(written) ? undefined : state.functions.get(written);
  return { key: written, ...(declared ? { declared } : {}) };
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

/** Whether a routine is STRICT now (RETURNS NULL ON NULL INPUT): CREATE FUNCTION's, then ALTER FUNCTION's. */
export function routineStrict(routine: Routine): boolean {
  return optionsNow(routine).get('strict')?.arg?.Boolean?.boolval === true;
}

/**
 * Whether planning replaces this call by a NULL: a STRICT function given a NULL constant is never
 * called (evaluate_function(), before any inlining, whatever its volatility or language), unless
 * it returns a set or record.
 */
export function foldsToNull(routine: Routine, call: FunctionCallNode): boolean {
  const create = (routine.ast as { CreateFunctionStmt?: Record<string, any> }).CreateFunctionStmt;
  if (!create || routine.procedure || !routineStrict(routine) || create.returnType?.setof) return false;
  const returns = columnType(create.returnType);
  if (!returns || (returns.name === 'record' && !returns.array)) return false;
  // The arguments left out are the parameters' DEFAULTs.
  const parameters = ((create.parameters ?? []) as Parameter[]).filter((p) => p.FunctionParameter?.mode !== 'FUNC_PARAM_OUT' && p.FunctionParameter?.mode !== 'FUNC_PARAM_TABLE');
  const args = [...(call.args ?? []), ...parameters.slice(call.args?.length ?? 0).map((p) => p.FunctionParameter?.defexpr)];
  return args.some(isNullConstant);
}

/** What planning does with this call of this routine (see the comment at the top). `path`: the search path the body's names are looked up in. */
export function inlining(routine: Routine, call: FunctionCallNode, state: Pick<SchemaState, 'routines' | 'functions' | 'casts'>, path: SearchPath = defaultSearchPath): Inlining {
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
  const strict = options.get('strict')?.arg?.Boolean?.boolval === true;
  const parameters = (create.parameters ?? []) as Parameter[];
  if (parameters.some((p) => p.FunctionParameter?.mode !== 'FUNC_PARAM_DEFAULT' && p.FunctionParameter?.mode !== 'FUNC_PARAM_IN')) return { inlined: false };
  if (call.func_variadic || routine.variadic) return { inlined: false };
  const args = call.args ?? [];
  if (args.some((a) => typeof a === 'object' && a !== null && 'NamedArgExpr' in a)) return { inlined: false };

  const select = bodySelect(create, options);
  if (select === undefined) return { inlined: false };
  if (typeof select === 'string') return { inlined: false, why: select };
  const expression = (select.targetList[0] as { ResTarget?: { val?: unknown } }).ResTarget?.val;
  const shape = expressionShape(expression, state, path);
  if (shape) return { inlined: false, why: shape };
  // A function neither built in nor created here may be an aggregate or return a set (no inlining then): not sure.
  if (someNode(expression, (o) => o.FuncCall !== undefined && !knownFunction(o.FuncCall as FunctionCallNode, state, path))) return { inlined: false };
  const names = parameters.map((p) => p.FunctionParameter?.name);
  if (strict) {
    // A STRICT function is inlined only when its body gives NULL for any NULL argument: every
    // construct in it strict (contain_nonstrict_functions()), and every parameter used.
    const nonStrict = nonStrictPart(expression, { state, path, parameters: names, functionName: routine.name });
    if (nonStrict !== undefined) return { inlined: false, ...(nonStrict ? { why: `it is STRICT and its body has ${nonStrict}` } : {}) };
    const unused = parameters.findIndex((p, i) => parameterUses(expression, i + 1, p.FunctionParameter?.name, routine.name) === 0);
    if (unused >= 0) return { inlined: false, why: `it is STRICT and its body does not use its parameter ${names[unused] ?? `$${unused + 1}`}` };
  }

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
function expressionShape(expression: unknown, state: Pick<SchemaState, 'routines' | 'functions'>, path: SearchPath): string | undefined {
  setReturning ??= new Set(setReturningBuiltinNames.split(/\s+/).filter(Boolean));
  let why: string | undefined;
  someNode(expression, (o) => {
    if ('SubLink' in o) why = 'its body has a sub-select';
    const call = o.FuncCall as FunctionCallNode | undefined;
    if (call) {
      const names = (call.funcname ?? []).map((n) => n.String?.sval ?? '?');
      const found = foundFunction(call, state, path);
      const builtin = found.builtin === true || ((names.length === 1 || names[0] === 'pg_catalog') && found.routine === undefined);
      const routine = found.routine;
      if (call.over) why = 'its body calls a window function';
      else if (call.agg_star || call.agg_distinct || call.agg_order || call.agg_filter || call.agg_within_group) why = 'its body calls an aggregate';
      else if ((builtin && setReturning!.has(names[names.length - 1]!)) || (routine && (routine.ast as { CreateFunctionStmt?: { returnType?: { setof?: boolean } } }).CreateFunctionStmt?.returnType?.setof)) why = 'its body calls a set-returning function';
    }
    return why !== undefined;
  });
  return why;
}

/** Whether a function is pg_catalog's (a plain function: prokind f) or one these files created (whether it returns a set is known). */
function knownFunction(call: FunctionCallNode, state: Pick<SchemaState, 'functions' | 'routines'>, path: SearchPath): boolean {
  const found = foundFunction(call, state, path);
  return found.builtin === true || found.routine !== undefined;
}

/**
 * What in a STRICT function's body may give a value for a NULL argument, as words for a message
 * ('' when that is not sure either way), or undefined when every part is surely strict: a
 * parameter, a constant, a cast to a built-in type (without a cast the files created), NOT, a
 * built-in function none of whose overloads is non-strict, a STRICT function the files created,
 * an operator of pg_catalog's whose functions are all strict, CURRENT_TIMESTAMP and its kin.
 */
function nonStrictPart(expression: unknown, context: { state: Pick<SchemaState, 'functions' | 'routines' | 'casts'>; path: SearchPath; parameters: readonly (string | undefined)[]; functionName: string }): string | undefined {
  const nonStrictNodes: Readonly<Record<string, string>> = {
    CaseExpr: 'a CASE', CoalesceExpr: 'a COALESCE', NullTest: 'an IS [NOT] NULL', BooleanTest: 'an IS [NOT] TRUE/FALSE/UNKNOWN', MinMaxExpr: 'a GREATEST or LEAST',
    A_ArrayExpr: 'an ARRAY[...]', RowExpr: 'a ROW(...)', XmlExpr: 'an XML expression',
  };
  nonStrictBuiltins ??= new Set(nonStrictBuiltinNames.split(/\s+/).filter(Boolean));
  const bare = context.functionName.split('.').pop();
  const walk = (e: unknown): string | undefined => {
    if (!e || typeof e !== 'object') return '';
    const [kind, n] = Object.entries(e)[0] ?? [];
    const o = n as Record<string, any>;
    if (kind === undefined) return '';
    if (nonStrictNodes[kind]) return nonStrictNodes[kind];
    switch (kind) {
      case 'ParamRef':
      case 'A_Const':
      case 'SQLValueFunction':
        return undefined;
      case 'ColumnRef': {
        // A parameter by its name (or function.name); anything else is not sure.
        const fields = ((o.fields ?? []) as { String?: { sval?: string } }[]).map((f) => f.String?.sval);
        const name = fields[fields.length - 1];
        return name !== undefined && context.parameters.includes(name) && (fields.length === 1 || (fields.length === 2 && fields[0] === bare)) ? undefined : '';
      }
      case 'TypeCast': {
        const type = columnType(o.typeName);
        baseTypes ??= new Set(castTypeNames.split(/\s+/));
        // A cast the files created may call a function that is not STRICT.
        if (!type || type.array || !baseTypes.has(type.name) || [...context.state.casts].some((c) => c.endsWith(` ${type.name}`))) return '';
        return walk(o.arg);
      }
      case 'BoolExpr':
        if (o.boolop !== 'NOT_EXPR') return 'an AND or OR';
        return walk(o.args?.[0]);
      case 'A_Expr': {
        if (o.kind === 'AEXPR_NULLIF') return 'a NULLIF';
        if (o.kind === 'AEXPR_DISTINCT' || o.kind === 'AEXPR_NOT_DISTINCT') return 'an IS [NOT] DISTINCT FROM';
        const names = ((o.name ?? []) as { String?: { sval?: string } }[]).map((x) => x.String?.sval);
        const operator = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog') ? names[names.length - 1] : undefined;
        if (o.kind !== 'AEXPR_OP' || operator === undefined || !isStrictBuiltinOperator(operator)) return '';
        return (o.lexpr === undefined ? undefined : walk(o.lexpr)) ?? (o.rexpr === undefined ? undefined : walk(o.rexpr));
      }
      case 'FuncCall': {
        const call = o as FunctionCallNode;
        const found = foundFunction(call, context.state, context.path);
        const name = found.builtin ? found.key : undefined;
        if (name !== undefined && nonStrictBuiltins!.has(name)) return '';
        if (name === undefined && !(found.routine && routineStrict(found.routine))) return found.routine ? `${found.key}(), which is not STRICT` : '';
        for (const a of call.args ?? []) {
          const why = walk(a);
          if (why !== undefined) return why;
        }
        return undefined;
      }
      default:
        return '';
    }
  };
  return walk(expression);
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

/** NULL, or NULL cast to a type: what planning folds to a NULL constant. */
function isNullConstant(expression: unknown): boolean {
  const o = expression as { A_Const?: { isnull?: boolean }; TypeCast?: { arg?: unknown } } | undefined;
  return o?.A_Const?.isnull === true || (o?.TypeCast !== undefined && isNullConstant(o.TypeCast.arg));
}

/** A constant: a literal, or a literal cast to a type. */
function isConstant(expression: unknown): boolean {
  const o = expression as { A_Const?: unknown; TypeCast?: { arg?: unknown } } | undefined;
  return o?.A_Const !== undefined || (o?.TypeCast !== undefined && isConstant(o.TypeCast.arg));
}

/**
 * Whether a SELECT without FROM (or a PERFORM) calls a function that may change the schema where migc cannot follow it: one
 * neither built in nor made by the statements seen (a helper a runner loads first, oVirt's
 * fn_db_add_column('cluster', 'mac_pool_id', 'uuid'); an extension's create_hypertable), or one
 * made VOLATILE whose body migc cannot read (LANGUAGE c). A routine whose body is read is followed
 * at its call (src/analyze/sql/routines.ts), and a STABLE or IMMUTABLE one cannot write.
 */
export function callsUnknownFunction(ast: PgNode, state: Pick<SchemaState, 'routines' | 'functions'>, path: SearchPath = defaultSearchPath): boolean {
  aggregates ??= new Set(aggregateBuiltinNames.split(/\s+/).filter(Boolean));
  // Called for what it does: SELECT f(...) with no FROM (a query that reads rows calls its
  // functions to compute values, unaccent(name), not to change tables).
  const select = (ast as { SelectStmt?: { fromClause?: unknown[]; targetList?: unknown[] } }).SelectStmt;
  if (!select || select.fromClause?.length) return false;
  return someNode(select.targetList, (n) => {
    const call = n.FuncCall as FunctionCallNode | undefined;
    if (!call) return false;
    // count(*), max(...), row_number() OVER ...: built-in aggregates and window functions read only.
    const names = (call.funcname ?? []).map((p) => p.String?.sval);
    if (aggregates!.has(names.at(-1) ?? '') && (names.length === 1 || names[0] === 'pg_catalog')) return false;
    const found = foundFunction(call, state, path);
    if (found.builtin || found.routine) return false;
    return found.declared === undefined || found.declared === 'volatile';
  });
}

/**
 * The string constants a statement names, as PostgreSQL would read them as names (folded to lower
 * case, as an unquoted name is): what a helper migc cannot follow is told to work on
 * (SchemaState.opaqueNames).
 */
export function stringConstants(ast: PgNode): ReadonlySet<string> {
  const found = new Set<string>();
  someNode(ast, (n) => {
    const value = (n.A_Const as { sval?: { sval?: string } } | undefined)?.sval?.sval;
    if (value !== undefined && value.length < 200) found.add(value.toLowerCase());
    return false;
  });
  return found;
}
