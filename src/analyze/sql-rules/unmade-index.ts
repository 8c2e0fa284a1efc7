import { distance } from 'fastest-levenshtein';
import { alterTableCommands, node } from './ast.js';
import { tableKey } from '../sql/schema-state.js';
import type { StatementContext } from '../sql/context.js';
import { constraintOwning } from './dependents-block-drop.js';

/** An index the files made whose name is close to one a DROP INDEX IF EXISTS names: the one likely meant. */
export interface NearIndex {
  /** As indexTables keys it (tableKey). */
  readonly name: string;
  readonly table: string;
  /**
   * Why it is likely the one meant: `table`, the name dropped was the table's and the index's
   * joined (table.index: DROP INDEX takes no table, and PostgreSQL reads the first as a schema);
   * `typo`, a character or two apart; `up`, a rollback's name with words of its up's index left
   * out or added; `schema`, the bare name of an index the files made in another schema only.
   */
  readonly why: 'table' | 'typo' | 'up' | 'schema';
  /** What takes it later in the file part (a DROP TABLE, DROP INDEX or DROP COLUMN), if anything does: else it stays. */
  readonly goesWith?: 'table' | 'column' | 'drop';
}

/**
 * What a DROP INDEX IF EXISTS of `name` finds on a database the files linted made, when no
 * statement seen made an index of that name: none, so IF EXISTS skips it with a NOTICE, and takes
 * no lock. Said only where that is sure enough: in lint, in files that make their tables from the
 * first (SchemaState.tablesMadeFirst: every table they touch, they made), before any opaque
 * statement (dynamic SQL, a function migc cannot read: either may have made the index), and not
 * in a DO block or a routine's body. Undefined otherwise, or when the files made one of that name
 * (or a constraint owns it).
 *
 * `near`: the index of the files the statement most likely meant (NearIndex.why), when one is
 * clearly it. Measured on 55 real folders: a looser closeness (a third of the name's characters,
 * any words in common) named indexes that were not meant (goalert's idx_alert_logs_hb_id for
 * idx_alert_logs_alert_id), where the drop was a defensive one before a CREATE.
 */
export function unmadeIndex(ctx: StatementContext, name: string): { near?: NearIndex } | undefined {
  if (ctx.mode !== 'lint' || ctx.inDoBlock || ctx.state.tablesMadeFirst !== true || ctx.state.opaqueCount !== 0) return undefined;
  const key = tableKey(name);
  if (ctx.state.indexTables.has(key) || constraintOwning(ctx, name)) return undefined;
  // A bare name the files made under another schema, and only there: the search path migc follows
  // does not find it (thunderdome's down drops subscription_active_user_id_idx, its up made
  // thunderdome.subscription_active_user_id_idx: the twenty-fourth trial's E). Made under several,
  // MG202 says the search path may find one.
  const elsewhere = key.includes('.') ? undefined : ctx.state.qualifiedIndexes.get(key);
  if (elsewhere !== undefined) {
    const only = elsewhere.length === 1 ? elsewhere[0]! : undefined;
    const table = only !== undefined ? ctx.state.indexTables.get(only) : undefined;
    return only !== undefined && table !== undefined ? { near: { name: only, why: 'schema', table, ...goesWith(ctx, only, table) } } : undefined;
  }
  const near = nearestIndex(ctx, key);
  if (near === undefined) return {};
  const table = ctx.state.indexTables.get(near.name)!;
  return { near: { ...near, table, ...goesWith(ctx, near.name, table) } };
}

/** Words of a name: idx_neosync_api_casbin_rule is idx, neosync, api, casbin, rule. */
function words(name: string): string[] {
  return name.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
}

function nearestIndex(ctx: StatementContext, name: string): { name: string; why: NearIndex['why'] } | undefined {
  // identity_login_codes.identity_login_codes_identity_id_idx (the twenty-second round's kratos):
  // MySQL's DROP INDEX i ON t written the way PostgreSQL reads as schema.index.
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const [prefix, bare] = [name.slice(0, dot), name.slice(dot + 1)];
    const on = ctx.state.indexTables.get(bare);
    if (on !== undefined && tableKey(on) === tableKey(prefix) && ctx.state.table(prefix) !== undefined) return { name: bare, why: 'table' };
    return undefined;
  }
  const candidates = [...ctx.state.indexTables.keys()].filter((c) => !c.includes('.'));
  // A typo: one candidate a character or two away, not one that differs only in its digits (t1_idx
  // and t2_idx are two indexes; authelia's users_key1, a duplicate a bug made, is not users_key).
  if (name.length >= 6) {
    const typos = candidates.filter((c) => distance(name, c) <= 2 && c.replace(/[0-9]/g, '') !== name.replace(/[0-9]/g, ''));
    if (typos.length === 1) return { name: typos[0]!, why: 'typo' };
    if (typos.length > 1) return undefined;
  }
  // A rollback's name with words left out or added: among the indexes its up made (the
  // twenty-first trial's neosync: idx_casbin_rule for idx_neosync_api_casbin_rule).
  const made = ctx.inRollback ? ctx.madeByUp?.indexes : undefined;
  if (!made?.size) return undefined;
  const mine = words(name);
  let found: string | undefined;
  let extra = Infinity;
  let tied = false;
  for (const c of candidates) {
    if (!made.has(c)) continue;
    const theirs = words(c);
    const [fewer, more] = mine.length <= theirs.length ? [mine, theirs] : [theirs, mine];
    if (fewer.length < 2 || !fewer.every((w) => more.includes(w))) continue;
    const added = more.length - fewer.length;
    if (added < extra) [found, extra, tied] = [c, added, false];
    else if (added === extra) tied = true;
  }
  return found !== undefined && !tied ? { name: found, why: 'up' } : undefined;
}

/** What later statements of the file part take the index with: its table, one of its columns, a DROP INDEX of it. */
function goesWith(ctx: StatementContext, index: string, table: string): { goesWith?: NonNullable<NearIndex['goesWith']> } {
  const columns = new Set(ctx.state.indexColumns.get(index) ?? []);
  const named = (o: { List?: { items?: { String?: { sval?: string } }[] } }) => tableKey((o.List?.items ?? []).map((i) => i.String?.sval).join('.'));
  for (const ast of ctx.later()) {
    const [kind, body] = node(ast);
    if (kind === 'DropStmt' && body.removeType === 'OBJECT_TABLE' && (body.objects ?? []).some((o: never) => named(o) === tableKey(table))) return { goesWith: 'table' };
    if (kind === 'DropStmt' && body.removeType === 'OBJECT_INDEX' && (body.objects ?? []).some((o: never) => named(o) === index)) return { goesWith: 'drop' };
    const alter = alterTableCommands(ast);
    if (alter && tableKey(alter.table) === tableKey(table) && alter.cmds.some((c) => c.subtype === 'AT_DropColumn' && columns.has(String(c.name)))) return { goesWith: 'column' };
  }
  return {};
}
