import type { PgNode } from './parser.js';

/**
 * A statement PostgreSQL refuses inside a transaction block: it calls PreventInTransactionBlock
 * (PreventTransactionChain in 10) for it, which raises `<command> cannot run inside a
 * transaction block` inside BEGIN ... COMMIT and in the implicit transaction of a query string of
 * several statements (10: `cannot be executed from a function or multi-command string`), and
 * `<command> cannot be executed from a function` in a function, procedure or DO block.
 */
export interface TransactionBlockRefusal {
  /** The statement as PostgreSQL's error names it: "REINDEX SCHEMA", "ALTER TABLE ... DETACH CONCURRENTLY". */
  readonly command: string;
  /** When PostgreSQL refuses it only if the catalog says so, what it has to say (DROP SUBSCRIPTION: the subscription has a slot). */
  readonly unless?: string;
  /** Why a form that runs in a transaction elsewhere is refused here: a partitioned table's. */
  readonly partitioned?: true;
  /** MG228 reports it (ALTER TYPE ... ADD VALUE before 12), with what it knows of enums. */
  readonly reportedBy?: 'MG228';
}

/** What the statements seen know of the catalog: whether a table or index is partitioned. */
export interface PartitionedRelations {
  partitionedTable(name: string): boolean;
  partitionedIndex(name: string): boolean;
}

/** schema.name or name, as facts.ts's relationName writes it (not imported: facts.ts asks this module). */
function relationName(rv: { schemaname?: string; relname?: string }): string {
  return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname ?? '?';
}

const nothingKnown: PartitionedRelations = { partitionedTable: () => false, partitionedIndex: () => false };

/**
 * The statements PostgreSQL 10 to 18 refuse inside a transaction block, read from its source: every
 * call of PreventInTransactionBlock under src/backend/commands and src/backend/tcop/utility.c in
 * each major (docs/rules/MG204.md lists them with file and line). The walsender's calls
 * (BASE_BACKUP, START_REPLICATION, CREATE_REPLICATION_SLOT) are replication-protocol commands, not
 * SQL, and are left out. `postgres`: the major the statement is judged for; a form the major does
 * not have (REINDEX CONCURRENTLY before 12) is MG239's, and is not refused here.
 */
export function refusedInTransactionBlock(ast: PgNode, postgres: number, known: PartitionedRelations = nothingKnown): TransactionBlockRefusal | undefined {
  for (const kind in ast) {
    const body = (ast as Record<string, any>)[kind];
    switch (kind) {
      // utility.c, ProcessUtilitySlow (T_IndexStmt), 10+.
      case 'IndexStmt':
        return body.concurrent === true ? { command: 'CREATE INDEX CONCURRENTLY' } : undefined;
      // utility.c, ExecDropStmt, 10+.
      case 'DropStmt':
        return body.removeType === 'OBJECT_INDEX' && body.concurrent === true ? { command: 'DROP INDEX CONCURRENTLY' } : undefined;
      case 'ReindexStmt':
        return reindex(body, postgres, known);
      // vacuum.c, vacuum(): VACUUM, not ANALYZE alone; 10+.
      case 'VacuumStmt':
        return body.is_vacuumcmd === true ? { command: 'VACUUM' } : undefined;
      // cluster.c, cluster(): without a table it clusters every table it can, each in a
      // transaction of its own (10+); a partitioned table partition by partition (15+).
      case 'ClusterStmt':
        if (!body.relation) return { command: 'CLUSTER' };
        return postgres >= 15 && known.partitionedTable(relationName(body.relation)) ? { command: 'CLUSTER', partitioned: true } : undefined;
      // discard.c, DiscardAll, 10+.
      case 'DiscardStmt':
        return body.target === 'DISCARD_ALL' ? { command: 'DISCARD ALL' } : undefined;
      // utility.c, standard_ProcessUtility, 10+.
      case 'CreatedbStmt':
        return { command: 'CREATE DATABASE' };
      case 'DropdbStmt':
        return { command: 'DROP DATABASE' };
      case 'CreateTableSpaceStmt':
        return { command: 'CREATE TABLESPACE' };
      case 'DropTableSpaceStmt':
        return { command: 'DROP TABLESPACE' };
      case 'AlterSystemStmt':
        return { command: 'ALTER SYSTEM' };
      // dbcommands.c, AlterDatabase: SET TABLESPACE moves the database's files (movedb), 10+.
      case 'AlterDatabaseStmt':
        return options(body.options).has('tablespace') ? { command: 'ALTER DATABASE SET TABLESPACE' } : undefined;
      // utility.c, standard_ProcessUtility (T_TransactionStmt), 10+.
      case 'TransactionStmt':
        return body.kind === 'TRANS_STMT_COMMIT_PREPARED' ? { command: 'COMMIT PREPARED' }
          : body.kind === 'TRANS_STMT_ROLLBACK_PREPARED' ? { command: 'ROLLBACK PREPARED' }
          : undefined;
      case 'AlterTableStmt':
        // utility.c, ProcessUtilitySlow (T_AlterTableStmt), 14+.
        return postgres >= 14 && (body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { concurrent?: boolean } } } }) =>
          c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd.def?.PartitionCmd?.concurrent === true)
          ? { command: 'ALTER TABLE ... DETACH CONCURRENTLY' } : undefined;
      // typecmds.c, AlterEnum, 10 and 11 (12 lets it run, the new value unusable until COMMIT):
      // ADD VALUE, not RENAME VALUE; allowed when the type was created in the same transaction.
      case 'AlterEnumStmt':
        return postgres < 12 && body.newVal && !body.oldVal
          ? { command: 'ALTER TYPE ... ADD', unless: 'the type was created in the same transaction', reportedBy: 'MG228' } : undefined;
      // subscriptioncmds.c, CreateSubscription, 10+: creating the replication slot cannot be
      // rolled back. create_slot is true unless said false, or connect = false.
      case 'CreateSubscriptionStmt': {
        const o = options(body.options);
        const createSlot = o.get('create_slot') ?? (o.get('connect') === false ? false : true);
        return createSlot ? { command: 'CREATE SUBSCRIPTION ... WITH (create_slot = true)' } : undefined;
      }
      // subscriptioncmds.c, DropSubscription, 10+: dropping the slot cannot be rolled back.
      case 'DropSubscriptionStmt':
        return { command: 'DROP SUBSCRIPTION', unless: 'the subscription has no replication slot (ALTER SUBSCRIPTION ... SET (slot_name = NONE))' };
      case 'AlterSubscriptionStmt':
        return alterSubscription(body, postgres);
      default:
        return undefined;
    }
  }
  return undefined;
}

/** REINDEX: indexcmds.c, ExecReindex (14+; utility.c before), and ReindexPartitions (14+). */
function reindex(body: Record<string, any>, postgres: number, known: PartitionedRelations): TransactionBlockRefusal | undefined {
  // Checked first, before the kind of object (12+; the parser reads it in either place; 14+ take
  // CONCURRENTLY false).
  if (postgres >= 12 && reindexConcurrently(body)) return { command: 'REINDEX CONCURRENTLY' };
  switch (body.kind) {
    // Each table in a transaction of its own, 10+.
    case 'REINDEX_OBJECT_SCHEMA': return { command: 'REINDEX SCHEMA' };
    case 'REINDEX_OBJECT_SYSTEM': return { command: 'REINDEX SYSTEM' };
    case 'REINDEX_OBJECT_DATABASE': return { command: 'REINDEX DATABASE' };
    // A partitioned table or index, partition by partition, 14+ (13 and before skip it with a warning).
    case 'REINDEX_OBJECT_TABLE':
      return postgres >= 14 && body.relation && known.partitionedTable(relationName(body.relation)) ? { command: 'REINDEX TABLE', partitioned: true } : undefined;
    case 'REINDEX_OBJECT_INDEX':
      return postgres >= 14 && body.relation && known.partitionedIndex(relationName(body.relation)) ? { command: 'REINDEX INDEX', partitioned: true } : undefined;
    default:
      return undefined;
  }
}

/**
 * ALTER SUBSCRIPTION, subscriptioncmds.c, AlterSubscription: REFRESH PUBLICATION, and SET, ADD or
 * DROP PUBLICATION with refresh (its default), 14+; SET (failover), 17+; SET (two_phase = false),
 * 18+ (what the slot on the publisher is told cannot be rolled back).
 */
function alterSubscription(body: Record<string, any>, postgres: number): TransactionBlockRefusal | undefined {
  if (postgres < 14) return undefined;
  const o = options(body.options);
  switch (body.kind) {
    case 'ALTER_SUBSCRIPTION_REFRESH':
      return { command: 'ALTER SUBSCRIPTION ... REFRESH' };
    case 'ALTER_SUBSCRIPTION_SET_PUBLICATION':
    case 'ALTER_SUBSCRIPTION_ADD_PUBLICATION':
    case 'ALTER_SUBSCRIPTION_DROP_PUBLICATION':
      return o.get('refresh') !== false ? { command: 'ALTER SUBSCRIPTION with refresh' } : undefined;
    case 'ALTER_SUBSCRIPTION_OPTIONS':
      if (postgres >= 18 && o.get('two_phase') === false) return { command: 'ALTER SUBSCRIPTION ... SET (two_phase)' };
      if (postgres >= 17 && o.has('failover')) return { command: 'ALTER SUBSCRIPTION ... SET (failover)' };
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a REINDEX rebuilds concurrently: CONCURRENTLY after the object type, or among its
 * parenthesized options as PostgreSQL reads them (`REINDEX (CONCURRENTLY false)` does not).
 */
export function reindexConcurrently(body: { params?: readonly { DefElem?: { defname?: string; arg?: Record<string, any> } }[] }): boolean {
  return options(body.params).get('concurrently') === true;
}

/**
 * A statement's options (WITH (...), REINDEX (...)) by name, each with its value as PostgreSQL's
 * defGetBoolean reads it (define.c: no value is true; 1 or 0; true/false, on/off in any case), or
 * undefined for a value that is not a boolean.
 */
function options(list: readonly { DefElem?: { defname?: string; arg?: Record<string, any> } }[] | undefined): Map<string, boolean | undefined> {
  const found = new Map<string, boolean | undefined>();
  for (const o of list ?? []) if (o.DefElem?.defname) found.set(o.DefElem.defname, booleanValue(o.DefElem.arg));
  return found;
}

function booleanValue(arg: Record<string, any> | undefined): boolean | undefined {
  if (arg === undefined) return true;
  if (arg.Integer) return arg.Integer.ival === 1 ? true : (arg.Integer.ival ?? 0) === 0 ? false : undefined;
  if (arg.Boolean) return arg.Boolean.boolval === true;
  // `off` is read as a type name (two_phase = off).
  const word: unknown = arg.String?.sval ?? arg.TypeName?.names?.[arg.TypeName.names.length - 1]?.String?.sval;
  if (typeof word !== 'string') return undefined;
  const w = word.toLowerCase();
  return w === 'true' || w === 'on' ? true : w === 'false' || w === 'off' ? false : undefined;
}
