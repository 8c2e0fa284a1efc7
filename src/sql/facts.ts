import type { PgNode } from './parser.js';
import { refusedInTransactionBlock, reindexConcurrently } from './transaction-block.js';
import { postgresMajors } from '../normalize/postgres-versions.js';
import { node } from './node.js';

/**
 * What a statement does, read from its parse tree: the facts every later stage needs
 * (rules, script emission, the report). Lock analysis builds on these.
 */
export interface StatementFacts {
  /** Command as a reader knows it: "ALTER TABLE", "CREATE INDEX CONCURRENTLY", "UPDATE". */
  readonly command: string;
  /** Tables (and other relations) the statement touches, as written (schema.name or name). */
  readonly tables: readonly string[];
  /** What this statement destroys or renames, if anything. */
  readonly destructive: readonly Destruction[];
  /**
   * False for statements PostgreSQL refuses to run inside a transaction block (transaction-block.ts)
   * on its newest major, whatever the catalog holds: a plan runs them outside its transactions. What
   * depends on the version or the catalog (REINDEX of a partitioned table) MG204 judges.
   */
  readonly transactional: boolean;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT...: migc writes the transactions itself. */
  readonly transactionControl: boolean;
  /** UPDATE, DELETE, INSERT or MERGE on a table. */
  readonly dataChange?: DataChange;
  /** A plain query (SELECT or VALUES) that changes nothing. */
  readonly readOnlyQuery: boolean;
}

export type DestructionKind = 'drop-table' | 'drop-view' | 'drop-column' | 'drop-schema' | 'truncate' | 'delete-all' | 'rename-table' | 'rename-view' | 'rename-column';

/** The words of ALTER ... for a kind of relation, by the parser's object type. */
const relationWords: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'TABLE', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
};

export interface Destruction {
  readonly kind: DestructionKind;
  /** What is destroyed: "users", "users.verification_date". */
  readonly target: string;
  /** A drop-view or rename-view of a materialized view: messages say so. */
  readonly materialized?: true;
}

export interface DataChange {
  readonly kind: 'update' | 'delete' | 'insert' | 'merge';
  readonly table: string;
  readonly hasWhere: boolean;
}

type RangeVar = { schemaname?: string; relname?: string; alias?: { aliasname?: string } };

/** The functions (or procedures) a DROP FUNCTION names, as written: "f", "app.f" (overloads are not told apart). */
export function droppedFunctionNames(body: { objects?: readonly { ObjectWithArgs?: { objname?: readonly { String?: { sval?: string } }[] } }[] }): string[] {
  return (body.objects ?? []).map((o) => (o.ObjectWithArgs?.objname ?? []).map((i) => i.String?.sval ?? '?').join('.'));
}

export function relationName(rv: RangeVar | undefined): string {
  if (!rv?.relname) return '?';
  return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname;
}

/** A dropped object's name: a List of name parts (tables, indexes) or a bare String (schemas). */
function listName(node: unknown): string {
  const n = node as { List?: { items?: { String?: { sval?: string } }[] }; String?: { sval?: string } };
  if (n.String) return n.String.sval ?? '?';
  return (n.List?.items ?? []).map((i) => i.String?.sval ?? '?').join('.');
}

/** An object type as SQL names it: OBJECT_MATVIEW is MATERIALIZED VIEW. */
const objectNames: Record<string, string> = {
  OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE', OBJECT_FDW: 'FOREIGN DATA WRAPPER',
  OBJECT_FOREIGN_SERVER: 'SERVER', OBJECT_OPCLASS: 'OPERATOR CLASS', OBJECT_OPFAMILY: 'OPERATOR FAMILY',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION', OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER', OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE', OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_LARGEOBJECT: 'LARGE OBJECT', OBJECT_TABCONSTRAINT: 'CONSTRAINT', OBJECT_DOMCONSTRAINT: 'CONSTRAINT',
};

function objectName(type: string): string {
  return objectNames[type] ?? type.replace('OBJECT_', '').replace(/_/g, ' ');
}

const subcommandNames: Record<string, string> = {
  AT_AddColumn: 'ADD COLUMN', AT_DropColumn: 'DROP COLUMN', AT_AlterColumnType: 'ALTER COLUMN TYPE',
  AT_ColumnDefault: 'ALTER COLUMN DEFAULT', AT_SetNotNull: 'SET NOT NULL', AT_DropNotNull: 'DROP NOT NULL',
  AT_AddConstraint: 'ADD CONSTRAINT', AT_ValidateConstraint: 'VALIDATE CONSTRAINT', AT_DropConstraint: 'DROP CONSTRAINT',
  AT_SetLogged: 'SET LOGGED', AT_SetUnLogged: 'SET UNLOGGED', AT_EnableTrig: 'ENABLE TRIGGER', AT_DisableTrig: 'DISABLE TRIGGER',
  AT_SetStatistics: 'SET STATISTICS', AT_SetRelOptions: 'SET', AT_AttachPartition: 'ATTACH PARTITION', AT_DetachPartition: 'DETACH PARTITION',
};

function subcommandName(subtype: string | undefined): string | undefined {
  return subtype ? subcommandNames[subtype] : undefined;
}

/**
 * PostgreSQL's own names of statements (its command tags) where the parse node's name is not the
 * SQL: CreateTrigStmt is CREATE TRIGGER, VariableSetStmt is SET.
 */
const commandTags: Readonly<Record<string, string>> = {
  CreateTrigStmt: 'CREATE TRIGGER', CreateEventTrigStmt: 'CREATE EVENT TRIGGER', AlterEventTrigStmt: 'ALTER EVENT TRIGGER',
  VariableSetStmt: 'SET', VariableShowStmt: 'SHOW', ConstraintsSetStmt: 'SET CONSTRAINTS',
  CreateSeqStmt: 'CREATE SEQUENCE', AlterSeqStmt: 'ALTER SEQUENCE', ViewStmt: 'CREATE VIEW',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW', CreateEnumStmt: 'CREATE TYPE', CreateRangeStmt: 'CREATE TYPE',
  CompositeTypeStmt: 'CREATE TYPE', AlterEnumStmt: 'ALTER TYPE', AlterTypeStmt: 'ALTER TYPE',
  CreateStatsStmt: 'CREATE STATISTICS', AlterStatsStmt: 'ALTER STATISTICS', RuleStmt: 'CREATE RULE',
  CreatePLangStmt: 'CREATE LANGUAGE', CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER', AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER', AlterForeignServerStmt: 'ALTER SERVER', CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA', CreateUserMappingStmt: 'CREATE USER MAPPING', AlterUserMappingStmt: 'ALTER USER MAPPING',
  DropUserMappingStmt: 'DROP USER MAPPING', CreateOpClassStmt: 'CREATE OPERATOR CLASS', CreateOpFamilyStmt: 'CREATE OPERATOR FAMILY',
  AlterOpFamilyStmt: 'ALTER OPERATOR FAMILY', AlterOperatorStmt: 'ALTER OPERATOR', CreateAmStmt: 'CREATE ACCESS METHOD',
  AlterTSConfigurationStmt: 'ALTER TEXT SEARCH CONFIGURATION', AlterTSDictionaryStmt: 'ALTER TEXT SEARCH DICTIONARY',
  SecLabelStmt: 'SECURITY LABEL', CheckPointStmt: 'CHECKPOINT', ClosePortalStmt: 'CLOSE', DeclareCursorStmt: 'DECLARE CURSOR',
  CreatedbStmt: 'CREATE DATABASE', DropdbStmt: 'DROP DATABASE', AlterDatabaseSetStmt: 'ALTER DATABASE',
  AlterDatabaseRefreshCollStmt: 'ALTER DATABASE', AlterRoleSetStmt: 'ALTER ROLE', CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE', AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE', AlterTableMoveAllStmt: 'ALTER TABLE ALL IN TABLESPACE',
  AlterExtensionContentsStmt: 'ALTER EXTENSION', CommentStmt: 'COMMENT', DropOwnedStmt: 'DROP OWNED', ReassignOwnedStmt: 'REASSIGN OWNED',
  CreateCastStmt: 'CREATE CAST', CreateConversionStmt: 'CREATE CONVERSION', CreateTransformStmt: 'CREATE TRANSFORM',
  PlassignStmt: 'LET', DoStmt: 'DO', LoadStmt: 'LOAD', NotifyStmt: 'NOTIFY', ListenStmt: 'LISTEN', UnlistenStmt: 'UNLISTEN',
};

/** A statement's name as SQL says it; for other kinds, the node's name: "CreatePolicyStmt" is "CREATE POLICY". */
function genericCommand(kind: string, body: Record<string, any>): string {
  switch (kind) {
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return body.is_grant ? 'GRANT' : 'REVOKE';
    case 'CreateTableAsStmt':
      return body.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : body.is_select_into ? 'SELECT INTO' : 'CREATE TABLE AS';
    case 'DefineStmt':
      return `CREATE ${objectName(String(body.kind))}`;
    case 'AlterObjectSchemaStmt':
      return `ALTER ${objectName(String(body.objectType))} SET SCHEMA`;
    case 'AlterOwnerStmt':
      return `ALTER ${objectName(String(body.objectType))} OWNER`;
    default: {
      let name = commandNames.get(kind);
      if (name === undefined) {
        name = commandTags[kind] ?? kind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
        commandNames.set(kind, name);
      }
      return name;
    }
  }
}

/** Names computed once per kind: this runs for every statement lint reads. */
const commandNames = new Map<string, string>();

type FactsWith = { command: string } & Partial<Omit<StatementFacts, 'command'>>;

/**
 * A statement's facts with the defaults for what it does not set. One object literal, not a
 * spread of defaults: spreading an object and overriding its keys cost microseconds a statement,
 * a tenth of lint's time on thousands of files.
 */
function facts(f: FactsWith): StatementFacts {
  const all: { -readonly [K in keyof StatementFacts]: StatementFacts[K] } = {
    command: f.command, tables: f.tables ?? [], destructive: f.destructive ?? [], transactional: f.transactional ?? true,
    transactionControl: f.transactionControl ?? false, readOnlyQuery: f.readOnlyQuery ?? false,
  };
  if (f.dataChange) all.dataChange = f.dataChange;
  return all;
}

export function statementFacts(ast: PgNode): StatementFacts {
  const found = factsOf(ast);
  return refusedInTransactionBlock(ast, postgresMajors.newest) ? { ...found, transactional: false } : found;
}

function factsOf(ast: PgNode): StatementFacts {
  const [kind, body] = node(ast);
  switch (kind) {
    case 'AlterTableStmt': {
      const table = relationName(body.relation);
      const destructive: Destruction[] = [];
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_DropColumn') destructive.push({ kind: 'drop-column', target: `${table}.${cmd.name}` });
      }
      const what = body.objtype === 'OBJECT_INDEX' ? 'INDEX' : body.objtype === 'OBJECT_VIEW' ? 'VIEW' : 'TABLE';
      // One subcommand names itself: ALTER TABLE VALIDATE CONSTRAINT, ALTER TABLE ADD COLUMN.
      const cmds = body.cmds ?? [];
      const sub = cmds.length === 1 ? subcommandName(cmds[0].AlterTableCmd?.subtype) : undefined;
      const concurrent = cmds.some((c: { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }) =>
        c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent === true);
      return facts({ command: `ALTER ${what}${sub ? ` ${sub}` : ''}${concurrent ? ' CONCURRENTLY' : ''}`, tables: [table], destructive });
    }
    case 'DropStmt': {
      const names = (body.objects ?? []).map(listName);
      const type: string = body.removeType;
      const destructive: Destruction[] =
        type === 'OBJECT_TABLE' ? names.map((n: string) => ({ kind: 'drop-table', target: n }))
        : type === 'OBJECT_SCHEMA' ? names.map((n: string) => ({ kind: 'drop-schema', target: n }))
        // Running code reads views as it reads tables (a materialized view's rows go with it too).
        : type === 'OBJECT_VIEW' ? names.map((n: string) => ({ kind: 'drop-view', target: n }))
        : type === 'OBJECT_MATVIEW' ? names.map((n: string) => ({ kind: 'drop-view', target: n, materialized: true }))
        : [];
      const tables = type === 'OBJECT_TABLE' || type === 'OBJECT_INDEX' ? names : [];
      return facts({
        command: `DROP ${objectName(type)}${body.concurrent ? ' CONCURRENTLY' : ''}`,
        tables, destructive,
      });
    }
    case 'RenameStmt': {
      const table = relationName(body.relation);
      if (body.renameType === 'OBJECT_COLUMN') {
        // Of a table, a view, a materialized view or a foreign table: relationType says which.
        return facts({ command: `ALTER ${relationWords[body.relationType] ?? 'TABLE'} RENAME COLUMN`, tables: [table], destructive: [{ kind: 'rename-column', target: `${table}.${body.subname}` }] });
      }
      if (body.renameType === 'OBJECT_TABLE' || body.renameType === 'OBJECT_FOREIGN_TABLE') {
        return facts({ command: `ALTER ${relationWords[body.renameType]} RENAME`, tables: [table], destructive: [{ kind: 'rename-table', target: table }] });
      }
      if (body.renameType === 'OBJECT_VIEW' || body.renameType === 'OBJECT_MATVIEW') {
        return facts({ command: `ALTER ${relationWords[body.renameType]} RENAME`, tables: [table], destructive: [{ kind: 'rename-view', target: table, ...(body.renameType === 'OBJECT_MATVIEW' ? { materialized: true as const } : {}) }] });
      }
      return facts({ command: 'RENAME', tables: body.relation ? [table] : [] });
    }
    case 'TruncateStmt': {
      const tables = (body.relations ?? []).map((r: { RangeVar: RangeVar }) => relationName(r.RangeVar));
      return facts({ command: 'TRUNCATE', tables, destructive: tables.map((t: string) => ({ kind: 'truncate' as const, target: t })) });
    }
    case 'DeleteStmt': {
      const table = relationName(body.relation);
      const hasWhere = body.whereClause !== undefined;
      return facts({
        command: 'DELETE', tables: [table],
        destructive: hasWhere ? [] : [{ kind: 'delete-all', target: table }],
        dataChange: { kind: 'delete', table, hasWhere },
      });
    }
    case 'UpdateStmt': {
      const table = relationName(body.relation);
      return facts({ command: 'UPDATE', tables: [table], dataChange: { kind: 'update', table, hasWhere: body.whereClause !== undefined } });
    }
    case 'InsertStmt': {
      const table = relationName(body.relation);
      return facts({ command: 'INSERT', tables: [table], dataChange: { kind: 'insert', table, hasWhere: true } });
    }
    case 'MergeStmt': {
      const table = relationName(body.relation);
      return facts({ command: 'MERGE', tables: [table], dataChange: { kind: 'merge', table, hasWhere: true } });
    }
    case 'IndexStmt':
      return facts({
        command: `CREATE${body.unique ? ' UNIQUE' : ''} INDEX${body.concurrent ? ' CONCURRENTLY' : ''}`,
        tables: [relationName(body.relation)],
      });
    case 'ReindexStmt': {
      const concurrent = reindexConcurrently(body);
      return facts({ command: `REINDEX${concurrent ? ' CONCURRENTLY' : ''}`, tables: body.relation ? [relationName(body.relation)] : [] });
    }
    case 'VacuumStmt': {
      const tables = (body.rels ?? []).map((r: { VacuumRelation: { relation: RangeVar } }) => relationName(r.VacuumRelation.relation));
      return facts({ command: body.is_vacuumcmd ? 'VACUUM' : 'ANALYZE', tables });
    }
    case 'CreateStmt':
      return facts({ command: 'CREATE TABLE', tables: [relationName(body.relation)] });
    case 'TransactionStmt':
      return facts({ command: String(body.kind).replace('TRANS_STMT_', ''), transactionControl: true });
    case 'SelectStmt':
      return facts({ command: 'SELECT', readOnlyQuery: !body.intoClause });
    case 'ViewStmt':
      return facts({ command: body.replace ? 'CREATE OR REPLACE VIEW' : 'CREATE VIEW' });
    default:
      return facts({ command: genericCommand(kind, body) });
  }
}
