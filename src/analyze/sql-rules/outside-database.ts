import type { Diagnostic, Span } from '../../diagnostics/diagnostic.js';
import type { Plan } from '../../normalize/model.js';
import { parseSql, type PgNode } from '../../sql/parser.js';
import type { StatementRule } from '../sql/context.js';
import { node } from './ast.js';
import { quoteIdent, sqlLiteral } from '../../sql/quote.js';
import { extensionScriptOf } from '../../extension-scripts.js';
import { fingerprint } from '../sql/schema-state.js';

const otherServers = 'lets SQL reach other servers';
const untrusted = "adds an untrusted language, whose functions run with the server's rights, its files and its shell";

/** Extensions whose job is to reach another server, the server's files, its processes or its other databases: what each does. */
const outsideExtensions: ReadonlyMap<string, string> = new Map([
  ['adminpack', "lets SQL write, rename and delete the server's files"],
  ['dblink', otherServers], ['postgres_fdw', otherServers], ['oracle_fdw', otherServers], ['mysql_fdw', otherServers], ['tds_fdw', otherServers],
  ['file_fdw', "lets SQL read the server's files and the output of programs it runs there"],
  ['log_fdw', "lets SQL read the server's log files"],
  ['multicorn', "lets foreign-data wrappers written in Python reach other servers and the server's files"],
  ...['plperlu', 'plpython3u', 'plpythonu', 'plpython2u', 'pltclu', 'plsh'].map((l): [string, string] => [l, untrusted]),
  // The twenty-sixth trial's F: pg_cron gives no shell or files, but its jobs run SQL in any database of the server.
  ['pg_cron', 'runs SQL on a schedule in background workers, in this or any other database of the server (cron.schedule_in_database), apart from the migrations and the application'],
]);

/** Languages whose functions run code in the server's process with the server's rights. */
const untrustedLanguages = new Set(['c', 'plperlu', 'plpython3u', 'plpythonu', 'plpython2u', 'pltclu', 'plsh']);

/**
 * What a LANGUAGE internal function does outside the database, by the built-in it names (AS
 * 'symbol', else its own name): only a function compiled into the server can be named (PostgreSQL
 * refuses another), so an alias of textin or int4in (pg_search's tokenizer types, the twenty-seventh
 * trial's A) reads and writes values, and one of pg_read_file_off_len or be_lo_export does what
 * the built-in does. The C names of the functions outsideFunctions lists start with their SQL
 * names (pg_read_file_v2, pg_ls_dir_1arg, pg_rotate_logfile_v2); the large-object ones are be_lo_*.
 */
function internalReason(symbol: string): string | undefined {
  const name = symbol.toLowerCase().replace(/^be_/, '');
  for (const [sql, does] of outsideFunctions) if (name === sql || name.startsWith(`${sql}_`)) return `a function in LANGUAGE internal that calls the server's ${symbol}, which ${does}`;
  return undefined;
}

/**
 * Functions that read or write the server's files, talk to other servers, or act on other
 * sessions or the whole cluster. Matched by their last name part, so pg_catalog.x counts.
 */
const outsideFunctions: ReadonlyMap<string, string> = new Map([
  ...['pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_dir', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'pg_ls_logicalsnapdir', 'pg_ls_logicalmapdir', 'pg_ls_replslotdir', 'pg_logdir_ls', 'lo_import', 'lo_export', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync']
    .map((f) => [f, 'reads or writes files on the database server'] as const),
  ...['dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open']
    .map((f) => [f, 'connects to another database'] as const),
  ...['pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop', 'pg_start_backup', 'pg_stop_backup',
    'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot', 'pg_copy_physical_replication_slot', 'pg_copy_logical_replication_slot', 'pg_replication_origin_create', 'pg_replication_origin_drop']
    .map((f) => [f, 'acts on other sessions or on the whole server'] as const),
]);

const sharedObjects: Readonly<Record<string, string>> = {
  OBJECT_DATABASE: 'a database', OBJECT_ROLE: 'a role', OBJECT_TABLESPACE: 'a tablespace', OBJECT_FOREIGN_SERVER: 'a foreign server',
  OBJECT_FDW: 'a foreign-data wrapper', OBJECT_USER_MAPPING: 'a user mapping', OBJECT_SUBSCRIPTION: 'a subscription',
};

function defElem(options: unknown, name: string): unknown {
  for (const o of (options as { DefElem?: { defname?: string; arg?: unknown } }[] | undefined) ?? []) {
    if (o.DefElem?.defname === name) return o.DefElem.arg;
  }
  return undefined;
}

/**
 * What the statement itself does outside its database, by its kind. `ownLibraries`: the shared
 * libraries whose LANGUAGE c functions are the script's own business (an extension script's).
 */
function statementReasons(ast: PgNode, ownLibraries?: { has(library: string): boolean }): string[] {
  const [kind, body] = node(ast);
  switch (kind) {
    case 'CopyStmt':
      if (body.is_program) return [`COPY ${body.is_from ? 'FROM' : 'TO'} PROGRAM runs a shell command on the database server's host`];
      if (body.filename !== undefined) return [`COPY ${body.is_from ? 'FROM' : 'TO'} ${sqlLiteral(body.filename)} ${body.is_from ? 'reads' : 'writes'} a file on the database server`];
      return [];
    case 'CreateRoleStmt': return [`CREATE ${body.stmt_type === 'ROLESTMT_USER' ? 'USER' : body.stmt_type === 'ROLESTMT_GROUP' ? 'GROUP' : 'ROLE'} creates a role, which belongs to the whole server, not to one database`];
    case 'AlterRoleStmt': case 'AlterRoleSetStmt': return ['ALTER ROLE changes a role, which belongs to the whole server'];
    case 'DropRoleStmt': return ['DROP ROLE removes a role from the whole server'];
    case 'GrantRoleStmt': return [`${body.is_grant ? 'GRANT' : 'REVOKE'} of a role changes role membership on the whole server`];
    case 'ReassignOwnedStmt': return ['REASSIGN OWNED changes the owner of objects, including shared ones'];
    case 'CreatedbStmt': return [`CREATE DATABASE ${quoteIdent(body.dbname)} creates another database`];
    case 'DropdbStmt': return [`DROP DATABASE ${quoteIdent(body.dbname)} drops a database`];
    case 'AlterDatabaseStmt': case 'AlterDatabaseSetStmt': case 'AlterDatabaseRefreshCollStmt': return ['ALTER DATABASE changes a database'];
    case 'AlterSystemStmt': return ['ALTER SYSTEM changes the server\'s configuration file'];
    case 'LoadStmt': return [`LOAD ${sqlLiteral(body.filename)} loads a shared library from the server's file system`];
    case 'CreateTableSpaceStmt': case 'DropTableSpaceStmt': case 'AlterTableSpaceOptionsStmt': case 'AlterTableMoveAllStmt':
      return ['a tablespace is a directory on the database server and belongs to the whole server'];
    case 'CreateExtensionStmt':
      return outsideExtensions.has(body.extname) ? [`CREATE EXTENSION ${quoteIdent(body.extname)} ${outsideExtensions.get(body.extname)}`] : [];
    case 'CreatePLangStmt': return ['CREATE LANGUAGE adds a procedural language to the server'];
    case 'CreateFdwStmt': case 'AlterFdwStmt': return ['a foreign-data wrapper connects to data outside the database'];
    case 'CreateForeignServerStmt': case 'AlterForeignServerStmt': return [`${kind === 'CreateForeignServerStmt' ? 'CREATE' : 'ALTER'} SERVER defines a connection to data outside the database`];
    case 'CreateUserMappingStmt': case 'AlterUserMappingStmt': return ['a user mapping stores credentials for another server'];
    case 'ImportForeignSchemaStmt': return ['IMPORT FOREIGN SCHEMA reads another server'];
    case 'CreateForeignTableStmt': return ['a foreign table reads data outside the database'];
    case 'CreateSubscriptionStmt': case 'AlterSubscriptionStmt': case 'DropSubscriptionStmt': return ['a subscription connects to another server'];
    case 'CheckPointStmt': return ['CHECKPOINT acts on the whole server'];
    case 'CreateFunctionStmt': {
      const language = (defElem(body.options, 'language') as { String?: { sval?: string } } | undefined)?.String?.sval?.toLowerCase();
      if (language === 'c' && ownLibraries) {
        // AS 'library', 'symbol': the library is the first item.
        const library = (defElem(body.options, 'as') as { List?: { items?: { String?: { sval?: string } }[] } } | undefined)?.List?.items?.[0]?.String?.sval;
        if (library !== undefined && ownLibraries.has(library)) return [];
      }
      if (language === 'internal') {
        const symbol = (defElem(body.options, 'as') as { List?: { items?: { String?: { sval?: string } }[] } } | undefined)?.List?.items?.[0]?.String?.sval
          ?? (body.funcname ?? []).at(-1)?.String?.sval;
        const reason = symbol === undefined ? undefined : internalReason(symbol);
        return reason ? [reason] : [];
      }
      return language && untrustedLanguages.has(language) ? [`a function in LANGUAGE ${language} runs code in the server's process, with its rights on the host`] : [];
    }
    case 'RenameStmt': case 'AlterOwnerStmt': case 'DropStmt': case 'CommentStmt': case 'SecLabelStmt': {
      const type = body.renameType ?? body.objectType ?? body.removeType ?? body.objtype;
      const what = sharedObjects[type];
      if (!what) return [];
      const verb = { RenameStmt: 'renames', AlterOwnerStmt: 'changes the owner of', DropStmt: 'drops', CommentStmt: 'comments on', SecLabelStmt: 'labels' }[kind as 'RenameStmt'];
      return [`it ${verb} ${what}, which belongs to the whole server`];
    }
    default:
      return [];
  }
}

/** Calls, anywhere in the tree, of functions that reach outside the database. */
function functionReasons(ast: unknown, found: Set<string>): void {
  if (Array.isArray(ast)) {
    for (const item of ast) functionReasons(item, found);
    return;
  }
  if (typeof ast !== 'object' || ast === null) return;
  // for...in, not Object.entries: this walks every node of every statement, and the pairs it
  // allocated were a large part of lint's time.
  const fields = ast as Record<string, unknown>;
  for (const key in fields) {
    const value = fields[key];
    if (key === 'FuncCall') {
      const parts = ((value as { funcname?: { String?: { sval?: string } }[] }).funcname ?? []).map((n) => n.String?.sval ?? '');
      const name = parts[parts.length - 1]!.toLowerCase();
      const why = outsideFunctions.get(name);
      if (why) found.add(`${name}() ${why}`);
    }
    if (typeof value === 'object' && value !== null) functionReasons(value, found);
  }
}

/**
 * Why a statement reaches outside the database it runs in (the server's host, its files, other
 * databases, roles, other servers), or nothing. SQL function bodies given as text are parsed and
 * judged too; PL/pgSQL bodies and dynamic SQL (EXECUTE) cannot be judged from the parse tree:
 * migc verify's restricted role is what stops those.
 */
export function outsideDatabaseReasons(ast: PgNode, ownLibraries?: { has(library: string): boolean }): string[] {
  const found = new Set(statementReasons(ast, ownLibraries));
  functionReasons(ast, found);
  const [kind, body] = node(ast);
  if (kind === 'CreateFunctionStmt' && (defElem(body.options, 'language') as { String?: { sval?: string } } | undefined)?.String?.sval?.toLowerCase() === 'sql') {
    const source = (defElem(body.options, 'as') as { List?: { items?: { String?: { sval?: string } }[] } } | undefined)?.List?.items?.[0]?.String?.sval;
    const parsed = source === undefined ? undefined : parseSql(source);
    if (parsed?.ok) for (const s of parsed.statements) for (const r of outsideDatabaseReasons(s.ast)) found.add(`its body: ${r}`);
  }
  return [...found];
}

const help = 'A migration changes one database\'s schema and data; roles, other databases, server files, shell commands and other servers are the DBA\'s, outside the plan. migc verify refuses to rehearse this.';

const lintHelp = 'A migration changes one database\'s schema and data; roles, other databases, server files, shell commands and other servers are the DBA\'s: keep this out of the migration files, or have it reviewed as such.';

/**
 * An extension script's own shared library (`<extension>--<version>.sql`): 'MODULE_PATHNAME', which
 * PostgreSQL replaces with the control file's module_pathname, '$libdir/<extension>', or the
 * extension's name alone (looked up in dynamic_library_path, $libdir by default), each also with a
 * version after a dash (timescaledb's module_pathname is '$libdir/timescaledb-2.14.2', written into
 * its scripts by its build). Installing its LANGUAGE c functions is what the script is for; a
 * function of another library still reaches out.
 */
function extensionLibraries(file: string): { has(library: string): boolean } | undefined {
  const script = extensionScriptOf(file);
  if (!script) return undefined;
  const own = (name: string) => name === script.extension || (name.startsWith(`${script.extension}-`) && /^\d/.test(name.slice(script.extension.length + 1)));
  return { has: (library) => library === 'MODULE_PATHNAME' || own(library.startsWith('$libdir/') ? library.slice('$libdir/'.length) : library) };
}

/** MG220: the hazard rule, for the statements of steps and rollbacks (and of linted files). */
export const outsideDatabase: StatementRule = {
  code: 'MG220',
  name: 'reaches-outside-database',
  summary: 'A statement reaches outside its database: COPY PROGRAM or a server file, roles, other databases, ALTER SYSTEM, dblink and foreign servers, server file functions.',
  severity: 'error',
  check(ctx, report) {
    const reasons = outsideDatabaseReasons(ctx.ast, ctx.file === undefined ? undefined : extensionLibraries(ctx.file));
    if (!reasons.length) return;
    // The same statement (or a function of the same name replaced in the same untrusted language)
    // as an earlier file of the run: told there, a note here. pgstac repeats its guarded role
    // set-up in every file (232 warnings, the thirty-fourth trial's B); Evergreen replaces its
    // plperlu functions again and again (the thirty-third trial's C).
    const before = ctx.mode === 'lint' ? saidIn(ctx, reasons) : undefined;
    if (before !== undefined) {
      report({ severity: 'info', message: `this statement reaches outside the database, as ${before.function ? 'the function of that name' : 'the same statement'} in ${before.file} did (told there): ${reasons.join('; ')}`, help: lintHelp });
      return;
    }
    // A migration repository may manage roles or extensions on purpose, for the DBA to review;
    // a plan may not: its SQL is rehearsed, and its phases change one database.
    report({ message: `this statement reaches outside the database: ${reasons.join('; ')}`, help: ctx.mode === 'lint' ? lintHelp : help, ...(ctx.mode === 'lint' ? { severity: 'warning' as const } : {}) });
  },
};

/** Per run (its schema state): the statements MG220 told, by what makes them the same, and the file that told each. */
const told = new WeakMap<object, Map<string, string>>();

/**
 * The earlier file of the run that told the same statement (its parse tree without positions),
 * or a function of the same name and reasons (`function`); undefined the first time, and for
 * repeats within one file.
 */
function saidIn(ctx: Parameters<StatementRule['check']>[0], reasons: readonly string[]): { readonly file: string; readonly function: boolean } | undefined {
  if (ctx.file === undefined) return undefined;
  let record = told.get(ctx.state);
  if (!record) told.set(ctx.state, (record = new Map()));
  const [kind, body] = node(ctx.ast);
  const name = kind === 'CreateFunctionStmt' ? (body.funcname ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval ?? '').join('.') : undefined;
  const key = name !== undefined ? `function ${name} ${reasons.join('; ')}` : fingerprint(ctx.ast);
  const first = record.get(key);
  if (first === undefined) {
    record.set(key, ctx.file);
    return undefined;
  }
  if (first === ctx.file) return undefined;
  return { file: first.slice(first.lastIndexOf('/') + 1), function: name !== undefined };
}

/** One statement of a plan that reaches outside the database, wherever in the plan it is. */
export interface OutsideStatement {
  readonly part: 'baseline' | 'fixtures' | 'step' | 'rollback' | 'verification';
  /** "the fixtures", "the rollback of step \"add-note\"". */
  readonly where: string;
  readonly span: Span;
  readonly reasons: readonly string[];
}

/**
 * Every statement of a plan that reaches outside the database: steps, rollbacks, verifications,
 * baseline and fixtures. migc verify reads this list itself (no allowance or setting turns it
 * off); the build reports the parts the statement analysis does not see through MG220.
 */
export function planOutsideDatabase(plan: Plan): OutsideStatement[] {
  const found: OutsideStatement[] = [];
  const add = (part: OutsideStatement['part'], where: string, span: Span, ast: PgNode) => {
    const reasons = outsideDatabaseReasons(ast);
    if (reasons.length) found.push({ part, where, span, reasons });
  };
  for (const s of plan.baseline?.statements ?? []) add('baseline', 'the baseline', s.span, s.ast);
  for (const s of plan.fixtures?.statements ?? []) add('fixtures', 'the fixtures', s.span, s.ast);
  for (const phase of plan.phases) {
    for (const step of phase.steps) {
      if (step.action?.kind === 'sql') for (const s of step.action.statements) add('step', `step "${step.id}"`, s.span, s.ast);
      if (step.rollback?.kind === 'sql') for (const s of step.rollback.statements) add('rollback', `the rollback of step "${step.id}"`, s.span, s.ast);
      for (const v of step.verify) {
        const parsed = parseSql(v.sql);
        if (parsed.ok) for (const s of parsed.statements) add('verification', `a verification of step "${step.id}"`, v.span, s.ast);
      }
    }
  }
  return found;
}

/** MG220 findings in the SQL the statement analysis does not judge: baseline, fixtures, verifications. */
export function rehearsalSqlOutsideDatabase(plan: Plan): Diagnostic[] {
  return planOutsideDatabase(plan)
    .filter((f) => f.part !== 'step' && f.part !== 'rollback')
    .map((f) => ({
      code: outsideDatabase.code, severity: outsideDatabase.severity, file: plan.file, span: f.span,
      message: `this statement in ${f.where} reaches outside the database: ${f.reasons.join('; ')}`, help,
    }));
}
