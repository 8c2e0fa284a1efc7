import type { PgNode } from './parser.js';

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
  /** False for statements PostgreSQL refuses to run inside a transaction block. */
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
}

export interface DataChange {
  readonly kind: 'update' | 'delete' | 'insert' | 'merge';
  readonly table: string;
  readonly hasWhere: boolean;
}

type RangeVar = { schemaname?: string; relname?: string; alias?: { aliasname?: string } };

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

const dropObjectNames: Record<string, string> = {
  OBJECT_TABLE: 'TABLE', OBJECT_INDEX: 'INDEX', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_SEQUENCE: 'SEQUENCE', OBJECT_SCHEMA: 'SCHEMA', OBJECT_TYPE: 'TYPE', OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_TRIGGER: 'TRIGGER', OBJECT_EXTENSION: 'EXTENSION', OBJECT_DOMAIN: 'DOMAIN',
};

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

/** Commands whose parse-tree kinds abbreviate them: "CREATE TRIGGER", not "CREATE TRIG". */
const readableCommands: Readonly<Record<string, string>> = {
  CreateTrigStmt: 'CREATE TRIGGER', AlterSeqStmt: 'ALTER SEQUENCE', CreateSeqStmt: 'CREATE SEQUENCE',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW', CreateFunctionStmt: 'CREATE FUNCTION',
};

const genericCommands = new Map<string, string>();

/** "VariableSetStmt" -> "VARIABLE SET", computed once per kind. */
function genericCommand(kind: string): string {
  let name = genericCommands.get(kind);
  if (name === undefined) {
    name = kind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
    genericCommands.set(kind, name);
  }
  return name;
}

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
  const [kind, body] = Object.entries(ast)[0] as [string, Record<string, any>];
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
      // DETACH PARTITION ... CONCURRENTLY (14+), like CREATE INDEX CONCURRENTLY, refuses a transaction block.
      const concurrent = cmds.some((c: { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }) =>
        c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent === true);
      return facts({ command: `ALTER ${what}${sub ? ` ${sub}` : ''}${concurrent ? ' CONCURRENTLY' : ''}`, tables: [table], destructive, transactional: !concurrent });
    }
    case 'DropStmt': {
      const names = (body.objects ?? []).map(listName);
      const type: string = body.removeType;
      const destructive: Destruction[] =
        type === 'OBJECT_TABLE' ? names.map((n: string) => ({ kind: 'drop-table', target: n }))
        : type === 'OBJECT_SCHEMA' ? names.map((n: string) => ({ kind: 'drop-schema', target: n }))
        // Running code reads views as it reads tables (a materialized view's rows go with it too).
        : type === 'OBJECT_VIEW' || type === 'OBJECT_MATVIEW' ? names.map((n: string) => ({ kind: 'drop-view', target: n }))
        : [];
      const tables = type === 'OBJECT_TABLE' || type === 'OBJECT_INDEX' ? names : [];
      return facts({
        command: `DROP ${dropObjectNames[type] ?? type.replace('OBJECT_', '')}${body.concurrent ? ' CONCURRENTLY' : ''}`,
        tables, destructive, transactional: !body.concurrent,
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
        return facts({ command: `ALTER ${relationWords[body.renameType]} RENAME`, tables: [table], destructive: [{ kind: 'rename-view', target: table }] });
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
        tables: [relationName(body.relation)], transactional: !body.concurrent,
      });
    case 'ReindexStmt': {
      const concurrent = (body.params ?? []).some((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname === 'concurrently');
      return facts({ command: `REINDEX${concurrent ? ' CONCURRENTLY' : ''}`, tables: body.relation ? [relationName(body.relation)] : [], transactional: !concurrent });
    }
    case 'VacuumStmt': {
      const tables = (body.rels ?? []).map((r: { VacuumRelation: { relation: RangeVar } }) => relationName(r.VacuumRelation.relation));
      return facts({ command: body.is_vacuumcmd ? 'VACUUM' : 'ANALYZE', tables, transactional: !body.is_vacuumcmd });
    }
    case 'CreateStmt':
      return facts({ command: 'CREATE TABLE', tables: [relationName(body.relation)] });
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return facts({ command: kind.replace(/Stmt$/, '').toUpperCase(), transactional: false });
    case 'TransactionStmt':
      return facts({ command: String(body.kind).replace('TRANS_STMT_', ''), transactionControl: true });
    case 'SelectStmt':
      return facts({ command: 'SELECT', readOnlyQuery: !body.intoClause });
    case 'ViewStmt':
      return facts({ command: body.replace ? 'CREATE OR REPLACE VIEW' : 'CREATE VIEW' });
    default:
      // Kinds whose parse-tree names abbreviate the command (CreateTrigStmt, AlterSeqStmt).
      if (readableCommands[kind]) return facts({ command: readableCommands[kind]! });
      return facts({ command: genericCommand(kind) });
  }
}
