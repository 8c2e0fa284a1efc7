import type { PgNode } from '../../sql/parser.js';
import { node } from './ast.js';
import { tableKey } from '../sql/schema-state.js';
import { isLarge, leaveDoBlock, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { constraintOwning, dependingOnIndex } from './dependents-block-drop.js';
import { unmadeIndex } from './unmade-index.js';

export const dropIndexNotConcurrent: StatementRule = {
  code: 'MG202',
  name: 'drop-index-not-concurrent',
  summary: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table.',
  severity: 'warning',
  kinds: ['DropStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'DropStmt' || body.removeType !== 'OBJECT_INDEX' || body.concurrent) return;
    const names: string[] = (body.objects ?? []).map((o: { List?: { items?: { String?: { sval?: string } }[] } }) => (o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
    // DROP INDEX locks the index's table, however new the index: only an index on a table created
    // in this plan or file (new, so nobody waits on it) keeps nobody waiting. A rollback's up may
    // have built the index on a busy table; the rollback runs after the index has been in use.
    const tableOf = (n: string) => ctx.state.indexTables.get(tableKey(n));
    // A table dropped later in the same file part or step takes its indexes with it, under the
    // same ACCESS EXCLUSIVE lock: dropping an index first (as down migrations often do) adds no
    // wait of its own that CONCURRENTLY would spare.
    const droppedLater = tablesDroppedLater(ctx.later());
    // Nor does one on a table an earlier statement of the transaction holds in ACCESS EXCLUSIVE
    // (ALTER TABLE ... DROP CONSTRAINT, then DROP INDEX): the lock is the transaction's already,
    // and what holding it costs is MG217's and MG218's to say. Unless that statement is itself a
    // DROP INDEX this rule reports: made CONCURRENTLY, each of them, nothing takes the lock.
    const heldAlready = (table: string) => {
      if (!ctx.inTransaction || !ctx.earlier.holdsAccessExclusiveOnExisting(table)) return false;
      const by = ctx.earlier.firstLocking(table, 'AccessExclusiveLock')?.ast;
      const [byKind, byBody] = by ? node(by) : [undefined, undefined];
      return !(byKind === 'DropStmt' && byBody.removeType === 'OBJECT_INDEX');
    };
    // The index a constraint owns cannot be dropped at all, CONCURRENTLY or not, nor without
    // CASCADE one a foreign key depends on: MG237 says so.
    const cascade = body.behavior === 'DROP_CASCADE';
    // IF EXISTS of an index no file made, where the files make their tables from the first: on a
    // database they made there is none (unmadeIndex). One whose name is close to an index they did
    // make is MG244's to tell (the name is likely wrong); the others a note worded as a condition.
    const unmade = new Map(body.missing_ok === true ? names.filter((n) => tableOf(n) === undefined).map((n) => [n, unmadeIndex(ctx, n)] as const) : []);
    const existing = names.filter((n) => {
      const table = tableOf(n);
      return (table === undefined || (!ctx.state.isNew(table) && !droppedLater.has(tableKey(table)) && !heldAlready(table))) && !constraintOwning(ctx, n) && (cascade || dependingOnIndex(ctx, n).length === 0) && !unmade.get(n)?.near;
    });
    if (!existing.length) return;
    const absent = existing.every((n) => unmade.get(n) !== undefined);
    const it = existing.length === 1 ? 'it' : 'them';
    // The table, when the statements seen created the index.
    const tables = [...new Set(existing.map(tableOf))];
    const unknown = existing.filter((n) => tableOf(n) === undefined);
    // A bare name (public's) the files linted created under another schema: the tool's connection may set a search_path that finds it there.
    const elsewhere = ctx.mode === 'lint' && unknown.length === 1 && !unknown[0]!.includes('.') ? [...(ctx.state.qualifiedIndexes.get(unknown[0]!) ?? [])].sort() : [];
    const unseen = !tables.includes(undefined) ? ''
      : elsewhere.length ? ` (the files linted create no index ${quoteName(`public.${unknown[0]}`)}, which the bare name means under the search path migc follows, but do create ${elsewhere.map(quoteName).join(' and ')}: if the migration tool's connection sets a search_path, give it to migc with --search-path)`
      : ` (${ctx.mode === 'plan' ? 'the plan does' : 'the files linted do'} not create ${existing.length === 1 ? 'it' : 'them all'}, so which table is not known)`;
    // An index of a partitioned table: DROP INDEX takes the lock on the table and on every
    // partition (it drops each partition's index too), and CONCURRENTLY is refused for it.
    const partitioned = existing.filter((n) => {
      const table = tableOf(n);
      return table !== undefined && ctx.state.table(table)?.partitioned === true;
    });
    const plain = existing.filter((n) => !partitioned.includes(n));
    const everyPartition = partitioned.length ? ' and every partition of it' : '';
    const on = tables.length === 1 && tables[0] !== undefined ? `${partitioned.length ? 'partitioned table ' : ''}${quoteName(tables[0])}${everyPartition}` : `${existing.length === 1 ? 'its table' : 'their tables'}${unseen}${partitioned.length ? ' (and every partition of a partitioned one)' : ''}`;
    // CASCADE drops the foreign keys that depend on an index; CONCURRENTLY takes no CASCADE, and
    // without it is refused while they are there: they are dropped first.
    const keys = plain.flatMap((n) => dependingOnIndex(ctx, n));
    const use = keys.length ? `Drop first the foreign ${keys.length === 1 ? 'key' : 'keys'} CASCADE drops (${keys.map((fk) => `ALTER TABLE ${quoteName(fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)};`).join(' ')}): DROP INDEX CONCURRENTLY takes no CASCADE. Then use` : 'Use';
    // IF EXISTS of an index the files did not create: there may be none, and then no lock is taken.
    const mayBeGone = body.missing_ok === true && unknown.length === existing.length ? (existing.length === 1 ? ', if it exists (when it does not, IF EXISTS skips it and takes no lock),' : ', if they exist (IF EXISTS skips any that does not, with no lock),') : '';
    const ifExists = body.missing_ok === true ? 'IF EXISTS ' : '';
    // Tables their size hints say are small: a note, as MG201's on them (the sixteenth trial's
    // Rallly: 39 warnings, 12 in a migration its authors named for its small tables).
    const small = tables.every((t) => t !== undefined && !isLarge(ctx, t));
    const concurrently = !plain.length ? ''
      : ctx.mode === 'plan'
        ? `${use} DROP INDEX CONCURRENTLY ${ifExists}${plain.map(quoteName).join(', ')}; (one index per statement, outside a transaction: migc arranges that in plans).`
        : `${use} DROP INDEX CONCURRENTLY ${ifExists}${plain.map(quoteName).join(', ')}; (one index per statement, outside a transaction block: ${ctx.outsideTransaction ?? 'a file of its own that your migration tool runs without a transaction'}).`;
    const help = [concurrently, partitioned.length ? partitionedDropHelp(partitioned.map(quoteName), ifExists) : ''].filter(Boolean).join(' ');
    report({
      ...(small || absent ? { severity: 'info' as const } : {}),
      message: absent
        ? `DROP INDEX IF EXISTS ${existing.map(quoteName).join(', ')}: no file linted creates ${it}, and the files make their tables from the first, so on a database they made IF EXISTS skips ${it} and takes no lock; where ${existing.length === 1 ? 'it exists' : 'they exist'} (made outside these files), it takes an ACCESS EXCLUSIVE lock on ${existing.length === 1 ? 'its table' : 'their tables'}: reads and writes queue behind it`
        : `DROP INDEX ${existing.map(quoteName).join(', ')}${mayBeGone} takes an ACCESS EXCLUSIVE lock on ${on}: reads and writes queue behind it`,
      help: `${help}${plain.length ? leaveDoBlock(ctx) : ''}`,
    });
  },
};

/**
 * What to do instead of DROP INDEX CONCURRENTLY for an index of a partitioned table: PostgreSQL
 * refuses that ("cannot drop partitioned index ... concurrently"), and refuses to drop the
 * partitions' indexes one by one while they belong to it ("index ... requires it"); checked on
 * PGlite and PostgreSQL 15 (test/partitioned-index-drop.test.ts). The plain DROP INDEX is quick
 * once it has its locks: a short lock_timeout keeps the wait for them short, and a retry tries again.
 */
export function partitionedDropHelp(names: readonly string[], ifExists = ''): string {
  const one = names.length === 1;
  return `PostgreSQL cannot drop ${one ? 'an index' : 'indexes'} of a partitioned table CONCURRENTLY (${names.join(', ')}), nor the partitions' indexes one by one while they belong to ${one ? 'it' : 'them'}: drop ${one ? 'it' : 'them'} with DROP INDEX ${ifExists}${names.join(', ')}; (no CONCURRENTLY) and a short lock_timeout set before (SET lock_timeout = '2s';), retrying when it times out, so that reads and writes queue behind it for at most that long; once it has the locks, the drop takes a moment.`;
}

/** The tables the statements after this one drop (DROP TABLE), by key. */
function tablesDroppedLater(later: readonly PgNode[]): Set<string> {
  const dropped = new Set<string>();
  for (const ast of later) {
    const [kind, body] = node(ast);
    if (kind !== 'DropStmt' || body.removeType !== 'OBJECT_TABLE') continue;
    for (const o of body.objects ?? []) dropped.add(tableKey((o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval).join('.')));
  }
  return dropped;
}
