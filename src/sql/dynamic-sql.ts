import { isReservedWord, parseSql, type PgNode } from './parser.js';
import { forEachNode } from './walk.js';

/**
 * What a PL/pgSQL EXECUTE runs, read at lint time where the string can be known. The expression
 * is evaluated as PostgreSQL would evaluate it: string constants, `||`, format() with a constant
 * format string (%s, %I, %L, %%, positions such as %2$s), quote_ident, quote_literal,
 * quote_nullable, concat, a cast to text, and the block's variables whose value is fixed (see
 * knownVariables). Anything else is a value migc cannot know: a variable assigned in the body, a
 * loop's record, a function such as current_setting(), a query's result.
 *
 * A statement that holds such a value is still read when the value stands only where a role's
 * name goes (GRANT ... TO, REVOKE ... FROM, GRANT role TO, CREATE ROLE, OWNER TO, ALTER ROLE),
 * taken to be one name: `EXECUTE 'GRANT SELECT ON t TO ' || reader_role`. What it does to tables,
 * columns, indexes and constraints does not depend on which role that is. So is one where such a
 * value stands only inside a string constant of an ALTER TABLE, INSERT, UPDATE, DELETE or COMMENT
 * (unknownOnlyInLiterals). Anywhere else (a table's name, part of a name, a literal of another
 * statement) the statement is not known and the EXECUTE stays opaque.
 */

/** A piece of a string being built: text known at lint time, or a value that is not. */
type Part = string | { readonly unknown: string };
type Value = readonly Part[];

/** The statements an EXECUTE of this expression runs; undefined when they cannot be known. */
export function executedStatements(expression: string, variable: (name: string) => string | undefined): { text: string; ast: PgNode }[] | undefined {
  const value = evaluate(expression, variable);
  if (!value) return undefined;
  const labels: string[] = [];
  let sql = '';
  for (const part of value) {
    if (typeof part === 'string') {
      // Text that looks like a placeholder itself: not told apart, not read.
      if (part.includes(open)) return undefined;
      sql += part;
    } else {
      labels.push(part.unknown);
      sql += placeholder(part.unknown);
    }
  }
  const parsed = parseSql(sql);
  // PostgreSQL runs every statement of the string; none is refused "EXECUTE of transaction commands is not implemented".
  if (!parsed.ok || parsed.statements.length === 0) return undefined;
  const statements = parsed.statements.map((s) => ({ text: s.text, ast: s.ast }));
  for (const { ast } of statements) {
    const kind = Object.keys(ast)[0]!;
    if (kind === 'TransactionStmt') return undefined;
    if (labels.length > 0 && !unknownOnlyAsRoles(ast, kind) && !unknownOnlyInLiterals(ast, kind)) return undefined;
  }
  return statements;
}

/** The expression's value when all of it is known at lint time (a variable's initial value): see knownVariables in plpgsql.ts. */
export function evaluateConstant(expression: string, variable: (name: string) => string | undefined): string | undefined {
  const value = evaluate(expression, variable);
  return value?.every((p) => typeof p === 'string') ? value.join('') : undefined;
}

/** Brackets no SQL of a migration holds: a placeholder is `"‹name›"`, a quoted identifier. */
const open = '\u2039';
const close = '\u203a';

/** A quoted identifier standing for a value migc does not know; its label (a variable's name) shows in messages. */
function placeholder(label: string): string {
  // Short enough that PostgreSQL's parser does not truncate it (63 bytes).
  const name = label.replace(/[^A-Za-z0-9_.]/g, '').slice(0, 40) || 'value';
  return `"${open}${name}${close}"`;
}

/**
 * The statements in which a value migc does not know may stand, when it stands only as a role's
 * name: each changes privileges, roles or an owner, and the same tables, columns and indexes
 * whatever the role. DROP OWNED and REASSIGN OWNED are not among them (the role decides which
 * objects they drop or change), nor CREATE SCHEMA AUTHORIZATION (the schema takes the role's name).
 */
const roleStatements = new Set([
  'GrantStmt', 'GrantRoleStmt', 'AlterDefaultPrivilegesStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'AlterRoleSetStmt',
  'DropRoleStmt', 'AlterOwnerStmt', 'AlterTableStmt', 'CreatePolicyStmt', 'AlterPolicyStmt',
]);

/** Every placeholder of the statement is a whole role name: a RoleSpec's, CREATE ROLE's, or a role GRANT role grants. */
function unknownOnlyAsRoles(ast: PgNode, kind: string): boolean {
  if (!roleStatements.has(kind)) return false;
  let onlyRoles = true;
  const isPlaceholder = (v: unknown) => typeof v === 'string' && v.startsWith(open) && v.endsWith(close) && v.indexOf(open, 1) === -1;
  forEachNode(ast, (node) => {
    for (const [key, v] of Object.entries(node)) {
      if (typeof v !== 'string' || !v.includes(open)) continue;
      // GRANT role's granted roles are AccessPriv nodes (elsewhere an AccessPriv is a privilege).
      const asRole = isPlaceholder(v) && ((key === 'rolename' && 'roletype' in node) || (kind === 'CreateRoleStmt' && key === 'role') || (kind === 'GrantRoleStmt' && key === 'priv_name'));
      if (!asRole) onlyRoles = false;
    }
  });
  return onlyRoles;
}

/**
 * The statements whose shape a string constant in them does not decide: which table, columns,
 * indexes and constraints they touch is the same whatever the text of the constant.
 */
const literalStatements = new Set(['AlterTableStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CommentStmt']);

/**
 * Every placeholder of the statement stands inside a string constant (format()'s %L of a value
 * known only as it runs: defguard's `ADD COLUMN modified_by text NOT NULL DEFAULT %L` of a
 * username a query found, the thirty-first trial's E), in a statement whose shape that constant
 * does not decide: the statement is read, the constant unknown.
 */
function unknownOnlyInLiterals(ast: PgNode, kind: string): boolean {
  if (!literalStatements.has(kind)) return false;
  let onlyLiterals = true;
  const walk = (v: unknown, inConstant: boolean): void => {
    if (!onlyLiterals || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, false);
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      if (typeof child === 'string') {
        // COMMENT ON ... IS keeps its text as a plain string.
        if (child.includes(open) && !(inConstant && key === 'sval') && !(kind === 'CommentStmt' && key === 'comment')) onlyLiterals = false;
      } else walk(child, key === 'A_Const' || (inConstant && key === 'sval'));
    }
  };
  walk(ast, false);
  return onlyLiterals;
}

/** The expression's value, in parts; undefined when it is not a string built so (a NULL, a bad format()). */
function evaluate(expression: string, variable: (name: string) => string | undefined): Value | undefined {
  const parsed = parseSql(`SELECT ${expression}`);
  if (!parsed.ok || parsed.statements.length !== 1) return undefined;
  const select = (parsed.statements[0]!.ast as { SelectStmt?: { targetList?: { ResTarget?: { val?: unknown } }[]; fromClause?: unknown } }).SelectStmt;
  // `SELECT x FROM t` in the expression's place: a query, not an expression.
  if (!select?.targetList || select.targetList.length !== 1 || select.fromClause || Object.keys(select).length !== 3) return undefined;
  return valueOf(select.targetList[0]!.ResTarget?.val, variable);
}

type Node = Record<string, any>;

function valueOf(expr: unknown, variable: (name: string) => string | undefined): Value | undefined {
  const e = expr as Node | undefined;
  if (!e) return undefined;
  if (e.A_Const) {
    const c = e.A_Const;
    if (c.isnull) return undefined;
    if (c.sval) return [c.sval.sval ?? ''];
    if (c.ival) return [String(c.ival.ival ?? 0)];
    if (c.fval) return [c.fval.fval];
    return [{ unknown: 'value' }];
  }
  if (e.A_Expr?.kind === 'AEXPR_OP' && e.A_Expr.name?.length === 1 && e.A_Expr.name[0].String?.sval === '||' && e.A_Expr.lexpr) {
    const left = valueOf(e.A_Expr.lexpr, variable);
    const right = valueOf(e.A_Expr.rexpr, variable);
    return left && right ? [...left, ...right] : undefined;
  }
  if (e.TypeCast) {
    const type = e.TypeCast.typeName?.TypeName ?? e.TypeCast.typeName;
    const name = type?.names?.[type.names.length - 1]?.String?.sval;
    if (!type?.arrayBounds && ['text', 'varchar', 'name'].includes(name)) return valueOf(e.TypeCast.arg, variable);
    return [{ unknown: 'value' }];
  }
  if (e.ColumnRef) {
    const names = (e.ColumnRef.fields as Node[]).map((f) => f.String?.sval ?? '*');
    const known = names.length === 1 ? variable(names[0]!) : undefined;
    return known !== undefined ? [known] : [{ unknown: names.join('.') }];
  }
  if (e.FuncCall) return callValue(e.FuncCall, variable);
  return [{ unknown: 'value' }];
}

function callValue(call: Node, variable: (name: string) => string | undefined): Value | undefined {
  const names = (call.funcname as Node[]).map((n) => n.String?.sval);
  const name = names.length === 1 || names[0] === 'pg_catalog' ? names[names.length - 1] : undefined;
  const plain = !call.agg_order && !call.agg_filter && !call.over && !call.agg_star && !call.agg_distinct && !call.func_variadic
    && !(call.args ?? []).some((a: Node) => a.NamedArgExpr);
  const args = (call.args ?? []) as Node[];
  if (!plain) return [{ unknown: 'value' }];
  if ((name === 'quote_ident' || name === 'quote_literal' || name === 'quote_nullable') && args.length === 1) {
    const arg = valueOf(args[0], variable);
    if (!arg) return name === 'quote_nullable' ? ['NULL'] : undefined;
    return name === 'quote_ident' ? quoted(arg, quoteIdentifier) : quoted(arg, quoteLiteral);
  }
  if (name === 'concat') {
    // concat() leaves NULLs out.
    return args.flatMap((a) => valueOf(a, variable) ?? []);
  }
  if (name === 'format' && args.length >= 1) {
    const template = valueOf(args[0], variable);
    if (!template) return undefined;
    if (!template.every((p) => typeof p === 'string')) return [{ unknown: 'value' }];
    return formatted(template.join(''), args.slice(1).map((a) => valueOf(a, variable)));
  }
  return [{ unknown: names.join('.') }];
}

/** quote_ident or quote_literal of a value: of known text, as PostgreSQL writes it; of an unknown one, a value still unknown (inside quotes for a literal). */
function quoted(value: Value, quote: (text: string) => string): Value {
  if (value.every((p) => typeof p === 'string')) return [quote(value.join(''))];
  const label = value.find((p) => typeof p !== 'string') as { unknown: string };
  return quote === quoteLiteral ? ["'", label, "'"] : [label];
}

/**
 * PostgreSQL's format(): %s the value as text (NULL as nothing), %I as quote_ident, %L as
 * quote_nullable, %% a percent sign; `%n$` takes the nth argument, and the next plain one the
 * argument after it. Widths and the `-` flag are not followed (undefined: not known).
 */
function formatted(template: string, args: readonly (Value | undefined)[]): Value | undefined {
  const out: Part[] = [];
  let next = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%') {
      out.push(ch);
      continue;
    }
    const spec = /^(?:(\d+)\$)?([sIL%])/.exec(template.slice(i + 1));
    if (!spec) return undefined;
    i += spec[0].length;
    if (spec[2] === '%') {
      out.push('%');
      continue;
    }
    const index = spec[1] !== undefined ? Number(spec[1]) - 1 : next;
    next = index + 1;
    if (index < 0 || index >= args.length) return undefined;
    const arg = args[index];
    if (spec[2] === 's') out.push(...(arg ?? []));
    else if (spec[2] === 'I') {
      // format() refuses a NULL identifier.
      if (!arg) return undefined;
      out.push(...quoted(arg, quoteIdentifier));
    } else out.push(...(arg ? quoted(arg, quoteLiteral) : ['NULL']));
  }
  return out;
}

/** quote_ident(): bare when a lower-case name that no keyword but an unreserved one spells, else in double quotes. */
export function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !isReservedWord(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** quote_literal(): quotes doubled, and E'...' with backslashes doubled when it holds one. */
export function quoteLiteral(text: string): string {
  const body = text.replace(/'/g, "''");
  return text.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}
