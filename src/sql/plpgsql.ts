import { evaluateConstant, executedStatements } from './dynamic-sql.js';
import { parsePlpgsql, parseSql, scanSql, type PgNode, type SqlToken } from './parser.js';

/** One SQL statement of a DO block's body, as PL/pgSQL runs it: written in the body, or run by an EXECUTE of a string known at lint time. */
export interface BodyStatement {
  /** The statement as PL/pgSQL sends it to the server: its INTO clause (SELECT ... INTO v) taken out; an EXECUTE's, the string's. */
  readonly text: string;
  readonly ast: PgNode;
  /**
   * Where it is in the DO statement's text (string offsets): from its first word to its last (an
   * EXECUTE's: the EXECUTE and its string); the whole DO statement when the body cannot be
   * followed in the text (an E'...' string).
   */
  readonly start: number;
  readonly end: number;
  /** Where an offset into `text` is in the DO statement's text, when the body can be followed (not for an EXECUTE's: its text is in a string). */
  readonly locate?: (offset: number) => number;
  /** Run by an EXECUTE (src/sql/dynamic-sql.ts), not written in the body. */
  readonly executed?: true;
  /** A COMMIT or ROLLBACK of the body comes before it: it runs in a transaction of its own. */
  readonly afterTransactionEnd: boolean;
  /** In an IF or CASE branch, a loop or an EXCEPTION handler: it may not run, or run many times. */
  readonly conditional: boolean;
  /** In a loop (LOOP, WHILE, FOR, FOREACH): it may run many times, all in the block's transaction. */
  readonly inLoop: boolean;
  /**
   * The innermost loop it is in has a COMMIT or ROLLBACK in its body (anywhere, a nested block or
   * loop included): where PostgreSQL allows it (a block run on its own, outside a transaction
   * block), the passes do not add up in one transaction (the twenty-second trial's B: formance
   * ledger's batched backfills, a COMMIT after each batch).
   */
  readonly loopCommits?: true;
  /**
   * In an IF or CASE branch that ends with RETURN: it runs only on the way out of the block, so
   * what follows the branch runs only when it did not (the twenty-second trial's D: formance
   * ledger's `IF ... THEN DROP TABLE scratch; RETURN; END IF;` read as holding its lock for the
   * UPDATE after it).
   */
  readonly exits?: true;
  /**
   * An EXECUTE of a string migc cannot read comes after it in the body: what that runs is not
   * known (marquez saves a view's definition, drops the view, and creates it again with EXECUTE:
   * the twenty-fourth trial's G).
   */
  readonly unreadSqlAfter?: true;
  /**
   * The names its body gives values of its own: PL/pgSQL's variables and parameters, a SQL
   * function's named parameters. In a statement, such a name is one value for every row it reads
   * (`WHERE id = item_id`), as a constant is (PL/pgSQL refuses a name that is both a variable and
   * a column the statement reads, under its default variable_conflict = error).
   */
  readonly variables?: ReadonlySet<string>;
}

export interface DoBlockBody {
  /** In the order of the text: every branch of an IF or CASE, loop bodies, nested blocks and their EXCEPTION handlers. */
  readonly statements: readonly BodyStatement[];
  /**
   * The body's PERFORMs, each as the SELECT PL/pgSQL evaluates (located from the PERFORM to its
   * end; `before`: how many of `statements` come before it). Not statements sent on their own: only
   * the functions they call matter (src/analyze/sql/routines.ts).
   */
  readonly performs: readonly (BodyStatement & { readonly before: number })[];
  /**
   * The body's COMMIT and ROLLBACK, located as statements are: PostgreSQL allows them only in a
   * block run on its own, outside any transaction block ("invalid transaction termination").
   */
  readonly transactionEnds: readonly { readonly command: 'COMMIT' | 'ROLLBACK'; readonly start: number; readonly end: number; readonly conditional: boolean }[];
  /**
   * Every statement of the body that may change the schema is one of `statements`: there is no
   * dynamic SQL migc cannot read (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE of a string
   * not known at lint time: executedStatements) and no statement PostgreSQL's parser refused.
   * Only then is the schema after the block what they make it.
   */
  readonly complete: boolean;
}

/** PL/pgSQL statements that run a query built from a string at run time. */
const dynamicStatements = new Set(['PLpgSQL_stmt_dynexecute', 'PLpgSQL_stmt_dynfors']);

/** PL/pgSQL statements whose statements run any number of times. */
const loopKinds = new Set(['PLpgSQL_stmt_loop', 'PLpgSQL_stmt_while', 'PLpgSQL_stmt_fori', 'PLpgSQL_stmt_fors', 'PLpgSQL_stmt_forc', 'PLpgSQL_stmt_foreach_a', 'PLpgSQL_stmt_dynfors']);

/** PL/pgSQL statements whose statements run only on a condition, or any number of times. */
const branching = new Set([
  'PLpgSQL_stmt_if', 'PLpgSQL_stmt_case', 'PLpgSQL_stmt_loop', 'PLpgSQL_stmt_while', 'PLpgSQL_stmt_fori',
  'PLpgSQL_stmt_fors', 'PLpgSQL_stmt_forc', 'PLpgSQL_stmt_foreach_a', 'PLpgSQL_stmt_dynfors',
]);

/**
 * The static SQL statements of a DO block whose language is PL/pgSQL (the default), read with
 * PostgreSQL's own PL/pgSQL parser: each statement PL/pgSQL sends to the server as written
 * (PLpgSQL_stmt_execsql, CALL, a nested DO), wherever it stands in the body, located in the DO
 * statement's text. Undefined for any other statement, a DO in another language, or a body the
 * PL/pgSQL parser refuses: the block stays opaque.
 *
 * Expressions (IF conditions, assignments, PERFORM, the query of FOR ... IN SELECT) are not
 * returned: like a top-level SELECT, they change the schema only through the functions they call.
 */
export function doBlockBody(ast: PgNode, text: string): DoBlockBody | undefined {
  if (!('DoStmt' in ast)) return undefined;
  return cachedBody(ast, text);
}

/**
 * The body of a function or procedure a CREATE FUNCTION makes, read as a DO block's is: in
 * PL/pgSQL, its statements as doBlockBody() finds them (its parameters are variables of unknown
 * value); in LANGUAGE sql, the statements of its string, in order. Undefined for another
 * language, a SQL-standard body (BEGIN ATOMIC, RETURN), or a body the parser refuses.
 */
export function routineBody(ast: PgNode, text: string): DoBlockBody | undefined {
  if (!('CreateFunctionStmt' in ast)) return undefined;
  return cachedBody(ast, text);
}

function cachedBody(ast: Extract<PgNode, { DoStmt: unknown } | { CreateFunctionStmt: unknown }>, text: string): DoBlockBody | undefined {
  // The analysis, MG129 and verify each ask for the same block, MG129 several times: parsed once.
  const cached = bodies.get(ast);
  if (cached?.text === text) return cached.body;
  const body = readBody(ast, text);
  bodies.set(ast, { text, body });
  return body;
}

const bodies = new WeakMap<PgNode, { readonly text: string; readonly body: DoBlockBody | undefined }>();

type DefElems = { DefElem?: { defname?: string; arg?: { String?: { sval?: string }; List?: { items?: { String?: { sval?: string } }[] } } } }[];

function readBody(ast: Extract<PgNode, { DoStmt: unknown } | { CreateFunctionStmt: unknown }>, text: string): DoBlockBody | undefined {
  let body: string | undefined;
  // A DO block is in PL/pgSQL unless it says otherwise; a function always says.
  let language = 'DoStmt' in ast ? 'plpgsql' : undefined;
  const options = ('DoStmt' in ast ? ast.DoStmt.args : ast.CreateFunctionStmt.options) as DefElems | undefined;
  for (const option of options ?? []) {
    // A function's AS is a list: its body, or a C function's file and symbol.
    const items = option.DefElem?.arg?.List?.items;
    const value = items ? (items.length === 1 ? items[0]!.String?.sval : undefined) : option.DefElem?.arg?.String?.sval;
    if (option.DefElem?.defname === 'as') body = value;
    if (option.DefElem?.defname === 'language' && value !== undefined) language = value.toLowerCase();
  }
  if (body === undefined) return undefined;
  // DO has no LANGUAGE sql: PostgreSQL refuses inline code in it.
  if (language === 'sql' && 'CreateFunctionStmt' in ast) return sqlBody(text, body, parameterNames(ast.CreateFunctionStmt));
  if (language !== 'plpgsql') return undefined;
  const compiled = parsePlpgsql(text);
  if (!compiled.ok || compiled.functions.length !== 1) return undefined;

  const inText = bodyInText(text, body);
  const finder = inText ? new StatementFinder(body) : undefined;
  const statements: BodyStatement[] = [];
  const transactionEnds: { command: 'COMMIT' | 'ROLLBACK'; start: number; end: number; conditional: boolean }[] = [];
  const performs: (BodyStatement & { before: number })[] = [];
  let complete = true;
  /** How many statements come before the last EXECUTE of a string migc cannot read (BodyStatement.unreadSqlAfter). */
  let unreadBefore = 0;
  let afterTransactionEnd = false;
  /** The innermost loop of each statement and PERFORM pushed (by the object pushed), and the loops that commit: loopCommits. */
  const innermost = new Map<object, object>();
  const committing = new Set<object>();
  let loopsNow: readonly object[] = [];
  let exitsNow = false;
  const take = (query: string, lineno: number, conditional: boolean, inLoop: boolean) => {
    const parsed = parseSql(query);
    if (!parsed.ok || parsed.statements.length !== 1) {
      complete = false;
      return;
    }
    const found = inText && finder!.find(query, lineno);
    statements.push(inLoopOf({
      text: query, ast: parsed.statements[0]!.ast, afterTransactionEnd, conditional, inLoop,
      ...(found && inText
        ? { start: inText(found.start), end: inText(found.end), locate: (offset: number) => inText(found.locate(offset)) }
        : { start: 0, end: text.length }),
    }));
    afterTransactionEnd = false;
  };
  const variable = knownVariables(compiled.functions[0]);
  /** An EXECUTE's statements, when its string is known; located at the EXECUTE. */
  const execute = (expression: string, lineno: number, conditional: boolean, inLoop: boolean) => {
    const run = executedStatements(expression, variable);
    if (!run) {
      complete = false;
      unreadBefore = statements.length;
      return;
    }
    const found = inText && finder!.findExecute(expression, lineno);
    for (const { text: sql, ast: runAst } of run) {
      statements.push(inLoopOf({
        text: sql, ast: runAst, afterTransactionEnd, conditional, inLoop, executed: true,
        ...(found && inText ? { start: inText(found.start), end: inText(found.end) } : { start: 0, end: text.length }),
      }));
    }
    afterTransactionEnd = false;
  };
  walkStatements(compiled.functions[0], (kind, stmt, conditional, loops, exits) => {
    loopsNow = loops;
    exitsNow = exits;
    const inLoop = loops.length > 0;
    if (dynamicStatements.has(kind)) execute(queryOf(stmt.query), stmt.lineno ?? 1, conditional, inLoop);
    else if ((kind === 'PLpgSQL_stmt_open' || kind === 'PLpgSQL_stmt_return_query') && stmt.dynquery) execute(queryOf(stmt.dynquery), stmt.lineno ?? 1, conditional, inLoop);
    else if (kind === 'PLpgSQL_stmt_execsql') take(queryOf(stmt.sqlstmt), stmt.lineno ?? 1, conditional, inLoop);
    // CALL, and a DO nested in the body (is_call false): sent to the server as written.
    else if (kind === 'PLpgSQL_stmt_call') take(queryOf(stmt.expr), stmt.lineno ?? 1, conditional, inLoop);
    else if (kind === 'PLpgSQL_stmt_perform') {
      // PL/pgSQL evaluates PERFORM x as SELECT x.
      const query = queryOf(stmt.expr);
      const parsed = parseSql(query);
      if (!parsed.ok || parsed.statements.length !== 1) return;
      const found = inText && finder!.findPerform(query, stmt.lineno ?? 1);
      performs.push(inLoopOf({
        text: query, ast: parsed.statements[0]!.ast, afterTransactionEnd, conditional, inLoop, before: statements.length,
        ...(found && inText
          ? { start: inText(found.start), end: inText(found.end), locate: (offset: number) => inText(found.locate(offset)) }
          : { start: 0, end: text.length }),
      }));
    }
    else if (kind === 'PLpgSQL_stmt_commit' || kind === 'PLpgSQL_stmt_rollback') {
      afterTransactionEnd = true;
      for (const loop of loops) committing.add(loop);
      const command = kind === 'PLpgSQL_stmt_commit' ? 'COMMIT' : 'ROLLBACK';
      const found = inText && finder!.find(command, stmt.lineno ?? 1);
      transactionEnds.push({ command, conditional, ...(found && inText ? { start: inText(found.start), end: inText(found.end) } : { start: 0, end: text.length }) });
    }
  });
  const withCommits = <S extends BodyStatement>(b: S): S => (committing.has(innermost.get(b) as object) ? { ...b, loopCommits: true } : b);
  const withUnreadAfter = (b: BodyStatement, i: number): BodyStatement => (i < unreadBefore ? { ...b, unreadSqlAfter: true } : b);
  const variables = declaredNames(compiled.functions[0]);
  const withVariables = <S extends BodyStatement>(b: S): S => (variables.size ? { ...b, variables } : b);
  return { statements: statements.map(withCommits).map(withUnreadAfter).map(withVariables), performs: performs.map(withCommits).map(withVariables), transactionEnds, complete };

  /** Notes the loop a statement is in, for loopCommits once the whole body is walked. */
  function inLoopOf<S extends BodyStatement>(b: S): S {
    const loop = loopsNow.at(-1);
    const placed = exitsNow ? { ...b, exits: true as const } : b;
    if (loop) innermost.set(placed, loop);
    return placed;
  }
}

/**
 * A LANGUAGE sql function's body: the statements of its string, in order, located in the CREATE
 * statement's text when the string can be followed there. Complete when PostgreSQL's parser reads
 * it whole.
 */
function sqlBody(text: string, body: string, variables: ReadonlySet<string>): DoBlockBody {
  const parsed = parseSql(body);
  if (!parsed.ok) return { statements: [], performs: [], transactionEnds: [], complete: false };
  const inText = bodyInText(text, body);
  const statements = parsed.statements.map((p): BodyStatement => ({
    text: p.text, ast: p.ast, afterTransactionEnd: false, conditional: false, inLoop: false, ...(variables.size ? { variables } : {}),
    ...(inText ? { start: inText(p.start), end: inText(p.end), locate: (offset: number) => inText(p.start + offset) } : { start: 0, end: text.length }),
  }));
  return { statements, performs: [], transactionEnds: [], complete: true };
}

/** A function's named parameters (IN and INOUT: those its body reads), as the parser gives them. */
function parameterNames(fn: { parameters?: unknown[] }): ReadonlySet<string> {
  const names = new Set<string>();
  for (const p of fn.parameters ?? []) {
    const parameter = (p as { FunctionParameter?: { name?: string; mode?: string } }).FunctionParameter;
    if (parameter?.name && parameter.mode !== 'FUNC_PARAM_OUT' && parameter.mode !== 'FUNC_PARAM_TABLE') names.add(parameter.name);
  }
  return names;
}

/** Every name a PL/pgSQL body declares (its parameters, variables, records and loop variables), from its compiled datums. */
function declaredNames(fn: unknown): ReadonlySet<string> {
  const datums = (fn as { PLpgSQL_function?: { datums?: Record<string, { refname?: string }>[] } }).PLpgSQL_function?.datums ?? [];
  const names = new Set<string>();
  for (const d of datums) {
    const refname = Object.values(d)[0]?.refname;
    // A row of OUT parameters is "(unnamed row)": not a name the body writes.
    if (refname && !refname.startsWith('(')) names.add(refname);
  }
  return names;
}

/**
 * The block's variables whose value is known at lint time: declared once (no other variable of
 * the block has the name), with an initial value known (a constant, or built of constants), and
 * never a target in the body (an assignment, INTO, a loop's variable, GET DIAGNOSTICS, OPEN).
 * A CONSTANT one is never a target: PL/pgSQL refuses that.
 */
function knownVariables(fn: unknown): (name: string) => string | undefined {
  const compiled = (fn as { PLpgSQL_function?: { datums?: Record<string, any>[]; action?: unknown } }).PLpgSQL_function;
  const datums = compiled?.datums ?? [];
  let targets: { readonly numbers: Set<number>; readonly names: Set<string> } | undefined;
  const values = new Map<string, string | undefined>();
  const resolving = new Set<string>();
  const variable = (name: string): string | undefined => {
    if (values.has(name)) return values.get(name);
    const at = datums.flatMap((d, i) => (Object.values(d)[0]?.refname === name ? [i] : []));
    const declared = at.length === 1 ? datums[at[0]!]!.PLpgSQL_var : undefined;
    let value: string | undefined;
    if (declared?.default_val && !resolving.has(name)) {
      targets ??= targetsOf(compiled?.action);
      if (declared.isconst || (!targets.numbers.has(at[0]!) && !targets.names.has(name))) {
        resolving.add(name);
        value = evaluateConstant(queryOf(declared.default_val), variable);
        resolving.delete(name);
      }
    }
    values.set(name, value);
    return value;
  };
  return variable;
}

/**
 * The datums the body assigns (by number: an assignment's varno, INTO's fields, GET DIAGNOSTICS'
 * target, OPEN's cursor) and the variables its statements name as targets (by name: FOR i IN 1..3
 * declares a new i). A walk with a stack of its own, as walkStatements.
 */
function targetsOf(action: unknown): { numbers: Set<number>; names: Set<string> } {
  const numbers = new Set<number>();
  const names = new Set<string>();
  const stack: unknown[] = [action];
  for (let value = stack.pop(); stack.length > 0 || value !== undefined; value = stack.pop()) {
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'number' && (key === 'varno' || key === 'target' || key === 'curvar' || key === 'dno')) numbers.add(v);
      if ((key === 'PLpgSQL_var' || key === 'PLpgSQL_rec') && typeof v?.refname === 'string') names.add(v.refname);
      stack.push(v);
    }
  }
  return { numbers, names };
}

function queryOf(expr: unknown): string {
  return (expr as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query ?? '';
}

/**
 * Calls `visit` on every PL/pgSQL statement of a compiled function, outer before inner, in the
 * order of the text (libpg-query writes each statement's fields in PostgreSQL's order: an IF's
 * condition, then its THEN, ELSIF and ELSE branches; a block's body, then its handlers).
 * `conditional`: the statement is in a branch, a loop or an EXCEPTION handler; `loops`: the loops it
 * is in (each loop statement's object), outermost first. A walk with a stack of its own: blocks
 * nested thousands deep must not exhaust the call stack.
 */
function walkStatements(root: unknown, visit: (kind: string, stmt: Record<string, any>, conditional: boolean, loops: readonly object[], exits: boolean) => void): void {
  /** A value to walk; `kind`: it is the statement of that kind, visited with `visitedAs` (conditional) and `visitedIn` (its loops). */
  type Item = { value: unknown; conditional: boolean; loops: readonly object[]; exits: boolean; kind?: string; visitedAs?: boolean; visitedIn?: readonly object[] };
  const stack: Item[] = [{ value: root, conditional: false, loops: [], exits: false }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, conditional, loops: around, exits } = item;
    if (item.kind) visit(item.kind, value as Record<string, any>, item.visitedAs!, item.visitedIn!, exits);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], conditional, loops: around, exits });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i]!;
        const inner = conditional || branching.has(key) || key === 'exceptions';
        const statement = key.startsWith('PLpgSQL_stmt_') && v !== null && typeof v === 'object';
        const loops = loopKinds.has(key) && v !== null && typeof v === 'object' ? [...around, v as object] : around;
        // A branch's statements that end with RETURN: the way out of the block.
        const out = exits || (branchBodies.has(key) && Array.isArray(v) && v.length > 0 && (v[v.length - 1] as Record<string, unknown>)?.PLpgSQL_stmt_return !== undefined);
        stack.push({ value: v, conditional: inner, loops, exits: out, ...(statement ? { kind: key, visitedAs: conditional, visitedIn: around } : {}) });
      }
    }
  }
}

/** The lists of statements of an IF's or a CASE's branches. */
const branchBodies = new Set(['then_body', 'else_body', 'stmts', 'else_stmts']);

/**
 * Where an offset into the body's value is in the DO statement's text: after the opening
 * $tag$ of a dollar-quoted body, or in a standard '...' string, where '' stands for one quote.
 * Undefined when the body is written otherwise (E'...' with escapes, strings continued over lines).
 */
function bodyInText(text: string, body: string): ((offset: number) => number) | undefined {
  // Most bodies are dollar-quoted, their text as it is: found without lexing the whole block.
  const at = body === '' ? -1 : text.indexOf(body);
  if (at > 0 && text[at - 1] === '$') {
    // The opening $tag$ ends just before it, and the same tag closes it.
    const open = text.lastIndexOf('$', at - 2);
    if (open !== -1 && text.startsWith(text.slice(open, at), at + body.length)) return (offset) => at + offset;
  }
  let tokens: SqlToken[];
  try {
    tokens = scanSql(text);
  } catch {
    return undefined;
  }
  for (const t of tokens) {
    if (t.token !== 'SCONST') continue;
    const raw = text.slice(t.start, t.end);
    if (raw.startsWith('$')) {
      const tag = raw.slice(0, raw.indexOf('$', 1) + 1);
      if (raw.slice(tag.length, raw.length - tag.length) === body) return (offset) => t.start + tag.length + offset;
    } else if (raw.startsWith("'")) {
      const at: number[] = [];
      let value = '';
      for (let i = 1; i < raw.length - 1; i++) {
        at.push(i);
        value += raw[i];
        if (raw[i] === "'") i++;
      }
      if (value === body) return (offset) => t.start + (at[offset] ?? raw.length - 1);
    }
  }
  return undefined;
}

interface Found {
  readonly start: number;
  readonly end: number;
  readonly locate: (offset: number) => number;
}

/**
 * Finds the statements PL/pgSQL reports in its body, in the order it reports them. PL/pgSQL gives
 * a statement's first line and its text; the text is the body's own, except that an INTO clause
 * is taken out. So the statement is found by its tokens (PostgreSQL's lexer, which PL/pgSQL uses
 * too) from that line on: the first place where they all follow in order before the next
 * semicolon, skipping only what PL/pgSQL took out.
 */
class StatementFinder {
  private readonly lineStarts: number[] = [0];
  private readonly tokens: SqlToken[] | undefined;
  /** The end of the statement found last: the next one is after it. */
  private cursor = 0;

  constructor(private readonly body: string) {
    for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    try {
      this.tokens = scanSql(body);
    } catch {
      this.tokens = undefined;
    }
  }

  find(query: string, lineno: number): Found | undefined {
    const lineStart = this.lineStarts[Math.max(0, lineno - 1)] ?? 0;
    const found = this.match(query, Math.max(lineStart, this.cursor)) ?? this.match(query, lineStart);
    if (found) this.cursor = found.end;
    return found;
  }

  /** An EXECUTE whose string is `expression`: from the EXECUTE to the expression's end. */
  findExecute(expression: string, lineno: number): Found | undefined {
    const found = this.find(expression, lineno);
    if (!found || !this.tokens) return found;
    const before = this.tokens[this.firstFrom(found.start) - 1];
    return before?.keyword === 'EXECUTE' ? { ...found, start: before.start } : found;
  }

  /** A PERFORM whose SELECT is `query` (PL/pgSQL's own text for it): from the PERFORM to the expression's end, offsets into the query. */
  findPerform(query: string, lineno: number): Found | undefined {
    const select = 'SELECT ';
    const found = this.find(query.slice(select.length), lineno);
    if (!found) return undefined;
    const before = this.tokens?.[this.firstFrom(found.start) - 1];
    // PERFORM is PL/pgSQL's word, not a keyword of PostgreSQL's lexer.
    return { start: before?.text.toUpperCase() === 'PERFORM' ? before.start : found.start, end: found.end, locate: (offset) => found.locate(Math.max(0, offset - select.length)) };
  }

  /** The index of the body's first token at or after `from`: a block of thousands of statements is searched from there. */
  private firstFrom(from: number): number {
    const tokens = this.tokens ?? [];
    let lo = 0;
    for (let hi = tokens.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (tokens[mid]!.start < from) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private match(query: string, from: number): Found | undefined {
    // Most statements are the body's text as it is, from their first token on.
    const first = this.tokens?.[this.firstFrom(from)];
    if (first && this.body.startsWith(query, first.start)) return { start: first.start, end: first.start + query.length, locate: (offset) => first.start + offset };
    const wanted = this.tokens && scanSql(query);
    if (!this.tokens || !wanted?.length) {
      const at = this.body.indexOf(query, from);
      return at === -1 ? undefined : { start: at, end: at + query.length, locate: (offset) => at + offset };
    }
    const tokens = this.tokens;
    for (let start = this.firstFrom(from); start < tokens.length; start++) {
      if (!sameToken(tokens[start]!, wanted[0]!)) continue;
      const pairs: [SqlToken, SqlToken][] = [];
      for (let t = start, k = 0; t < tokens.length && k < wanted.length; t++) {
        if (sameToken(tokens[t]!, wanted[k]!)) pairs.push([wanted[k++]!, tokens[t]!]);
        else if (tokens[t]!.text === ';') break;
      }
      if (pairs.length < wanted.length) continue;
      return { start: pairs[0]![1].start, end: pairs[pairs.length - 1]![1].end, locate: (offset) => locateByTokens(pairs, offset) };
    }
    return undefined;
  }
}

/** The same token: the same text, or the same keyword however written (commit, COMMIT). */
function sameToken(a: SqlToken, b: SqlToken): boolean {
  return a.text === b.text || (a.keyword !== undefined && a.keyword === b.keyword);
}

/** An offset into the query, in the body: inside the token it falls in, or after the token before it. */
function locateByTokens(pairs: readonly (readonly [SqlToken, SqlToken])[], offset: number): number {
  let k = 0;
  while (k + 1 < pairs.length && pairs[k + 1]![0].start <= offset) k++;
  const [q, b] = pairs[k]!;
  if (offset < q.start) return b.start;
  if (offset <= q.end) return b.start + (offset - q.start);
  const next = pairs[k + 1]?.[1].start ?? Infinity;
  return Math.min(b.end + (offset - q.end), next);
}
