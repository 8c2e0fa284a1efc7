/**
 * Which .sql files are migrations and which are rollbacks, in what order the migration tools run
 * them, and which ones a tool runs outside a transaction. Names only (and comment lines for the
 * transaction opt-outs): no SQL is read here.
 */

import type { ToolSends } from './analyze/sql/context.js';
import { compareExtensionScripts, extensionScriptOf, extensionUpdateKey, type ExtensionScript } from './extension-scripts.js';
import { upgradeStepChains } from './upgrade-steps.js';

/** What a file's name says about it. */
interface Named {
  readonly file: string;
  /** Where its kind runs among the others (Rank). */
  readonly rank: Rank;
  /** Version parts as digit strings without leading zeros ("1.10" is ["1", "10"]); empty when its name has none. */
  readonly version: readonly string[];
  /**
   * The versions of the folders it is in (temporal-sql-tool's v1.10/), below the folder all the
   * files share; folders without a version are left out. Compared before its own version. None
   * for Flyway's scripts, which Flyway runs by their own version whatever folder holds them, nor
   * for the folder that is the migration (diesel's, Prisma's).
   */
  readonly folders: readonly (readonly string[])[];
  /** Files with the same pair key are one migration: its up(s) and its down(s). */
  readonly pair: string;
  readonly rollback: boolean;
  /** A PostgreSQL extension script (citus--9.2-1--9.3-1.sql): ordered as its update chain goes. */
  readonly extension?: ExtensionScript;
  /**
   * An upgrade step of a chain (Activiti's `<prefix>.52.to.53.engine.sql`: upgradeStepChains): its
   * place in the chain, and the chain's first file by name, where the chain stands among other files.
   */
  readonly step?: { readonly index: number; readonly anchor: string };
}

/**
 * Flyway's versioned and undo scripts: `V<version>__<description>.sql`, `U<version>__...`; the
 * description may be left out with its separator (Dataverse's `V6.1.0.6.sql`, which Flyway runs).
 */
const flyway = /^([VU])(\d+(?:[._]\d+)*)(?:__.*)?\.sql$/;
const flywayRepeatable = /^R__.*\.sql$/;

/**
 * Where a file's kind runs, as Flyway's migrate runs its callbacks around the migrations
 * (DbMigrate.migrate): beforeMigrate, the versioned scripts (and, in other layouts, the files
 * with a version, then those without), afterVersioned, beforeRepeatables, the repeatable R__
 * scripts by name, afterMigrateApplied, afterMigrate.
 */
const Rank = {
  beforeMigrate: 0, beforeEachMigrate: 1, versioned: 2, unversioned: 3, afterEachMigrate: 4, afterVersioned: 5, beforeRepeatables: 6, repeatable: 7,
  afterMigrateApplied: 8, afterMigrate: 9,
} as const;
type Rank = (typeof Rank)[keyof typeof Rank];

/**
 * Flyway's SQL callbacks, `<event>.sql` or `<event>__<description>.sql`, event names exactly as
 * Flyway's Event.fromId matches them. Those its migrate runs around the migrations, with their
 * place (Rank): once (beforeMigrate, afterMigrate, ...), or around each migration, linted once
 * (beforeEachMigrate before the first, whose types and domains the migrations may use;
 * afterEachMigrate after the versioned scripts). The others it runs around each statement, on an
 * error, or for another command (clean, validate, undo, ...): see flywayCallbacksLeftOut.
 */
const flywayCallback = /^([a-zA-Z]+)(?:__.*)?\.sql$/;
const flywayRunsOnce: Readonly<Record<string, Rank>> = {
  beforeMigrate: Rank.beforeMigrate, beforeEachMigrate: Rank.beforeEachMigrate, afterEachMigrate: Rank.afterEachMigrate, afterVersioned: Rank.afterVersioned,
  beforeRepeatables: Rank.beforeRepeatables, afterMigrateApplied: Rank.afterMigrateApplied, afterMigrate: Rank.afterMigrate,
};
const flywayOtherEvents: ReadonlySet<string> = new Set([
  'beforeClean', 'afterClean', 'afterCleanError', 'beforeEachMigrateStatement', 'afterEachMigrateStatement',
  'afterEachMigrateStatementError', 'afterEachMigrateError', 'afterMigrateError', 'beforeUndo', 'beforeEachUndo',
  'beforeEachUndoStatement', 'afterEachUndoStatement', 'afterEachUndoStatementError', 'afterEachUndo', 'afterEachUndoError', 'afterUndo',
  'afterUndoError', 'beforeValidate', 'afterValidate', 'afterValidateError', 'beforeBaseline', 'afterBaseline', 'afterBaselineError',
  'beforeRepair', 'afterRepair', 'afterRepairError', 'beforeInfo', 'afterInfo', 'afterInfoError', 'afterMigrateOperationFinish',
  'afterInfoOperationFinish', 'createSchema', 'beforeConnect',
]);

/** The Flyway callback event a file is named for (`afterMigrate__grants.sql` is afterMigrate), if it is one. */
export function flywayCallbackEvent(file: string): string | undefined {
  const event = flywayCallback.exec(baseName(file))?.[1];
  return event !== undefined && (event in flywayRunsOnce || flywayOtherEvents.has(event)) ? event : undefined;
}

/**
 * The Flyway callbacks migrate does not run around the migrations (beforeEachMigrateStatement,
 * afterMigrateError, beforeClean, ...): migc, which lints each file once in order, leaves them out.
 */
export function flywayCallbacksLeftOut(files: readonly string[]): string[] {
  return files.filter((f) => {
    const event = flywayCallbackEvent(f);
    return event !== undefined && !(event in flywayRunsOnce);
  });
}
/** A leading version: 001, 20240101120000, 2024-01-01-120000 (diesel), v1.10, 1_2. */
const leadingVersion = /^[vV]?(\d+(?:[._-]\d+)*)/;

/** yoyo: the migration a `<name>.rollback.sql` undoes is `<name>.sql` beside it. */
export function yoyoMigrationOf(file: string): string | undefined {
  return file.endsWith('.rollback.sql') ? `${file.slice(0, -'.rollback.sql'.length)}.sql` : undefined;
}

/** Postgrator: `<version>.do[.<name>].sql` and its undo `<version>.undo[.<name>].sql`. */
const postgrator = /^(\d+)\.(do|undo)(?:\.[^/]*)?\.sql$/;

/**
 * Is this file a rollback? golang-migrate's and sqlx's `*.down.sql`, diesel's `<version>/down.sql`,
 * Flyway's undo `U<version>__*.sql`, yoyo's `*.rollback.sql`, Postgrator's `<version>.undo.sql`,
 * a PostgreSQL extension's downgrade script (`citus--10.1-1--10.0-4.sql`: to an older version). (dbmate, goose, sql-migrate and tern write the down in the same file as the up, after a marker:
 * see fileSections.)
 */
export function isRollbackFile(file: string): boolean {
  const base = baseName(file);
  return base === 'down.sql' || base.endsWith('.down.sql') || base.endsWith('.rollback.sql') || flyway.exec(base)?.[1] === 'U' || postgrator.exec(base)?.[2] === 'undo'
    || extensionScriptOf(base)?.downgrade === true;
}

/** Which of a `_up.sql` and `_down.sql` pair the file is, if it is one (`downs`: pairedUnderscoreDowns). */
function underscorePairOf(file: string, downs: ReadonlySet<string>): 'up' | 'down' | undefined {
  if (downs.has(file)) return 'down';
  return file.endsWith('_up.sql') && downs.has(`${file.slice(0, -'_up.sql'.length)}_down.sql`) ? 'up' : undefined;
}

/**
 * Downs named `<name>_down.sql` beside a `<name>_up.sql` (harness's maragudk/migrate layout:
 * its pattern `^([\w-]+).up.sql$` leaves the dot unescaped, so `x_up.sql` runs as x's up and
 * `x_down.sql` as its down). Only a pair counts: alone, `0042_scale_down.sql` is a migration.
 */
export function pairedUnderscoreDowns(files: readonly string[]): Set<string> {
  const all = new Set(files);
  return new Set(files.filter((f) => f.endsWith('_down.sql') && all.has(`${f.slice(0, -'_down.sql'.length)}_up.sql`)));
}

/**
 * `root`: how many leading folders all the files share (their versions order nothing);
 * `underscorePair`: the file is one of a `_up.sql` and `_down.sql` pair (pairedUnderscoreDowns).
 */
function describe(file: string, root: number, underscorePair?: 'up' | 'down', unversioned = false): Named {
  const slash = file.lastIndexOf('/');
  const dir = slash < 0 ? '' : file.slice(0, slash);
  // A script for PostgreSQL alone (Synapse's 01_x.sql.postgres) is named as its plain .sql would be.
  const base = withoutDatabaseSuffix(file.slice(slash + 1));
  const folders = (segments: readonly string[]) => segments.slice(root).flatMap((segment) => {
    const v = leadingVersion.exec(segment);
    return v ? [parts(v[1]!)] : [];
  });
  const dirs = dir === '' ? [] : dir.split('/');
  // diesel: <version>_<name>/up.sql and down.sql; the folder is the migration. (Prisma's
  // <version>_<name>/migration.sql has no version of its own: Prisma runs its folders in name
  // order, not by number, and so do the files without a version.)
  if (base === 'up.sql' || base === 'down.sql') {
    const folder = baseName(dir);
    // diesel's version is the name up to its first `_`, dashes removed (migrations_internals'
    // version_from_string): 2017-08-31-230457_x/ is 20170831230457, after 20140926174020_y/.
    // diesel orders versions as text, Hasura (the same layout) as numbers: the same order for
    // the timestamps both write, all of one length. A timestamp's digits (eight or more) padded
    // with zeros to one length compare as numbers in diesel's text order, for the timestamps of
    // other lengths too (graph-node's 2020-12-7-190800_x, 20201271908 after 20201210...;
    // 2023-05-23-1715-x, no `_` at all, its name the version: the twenty-third trial's D, four
    // migrations read first). Short versions (1_a, 10_b) go by number.
    const version = folder.split('_')[0]!.replaceAll('-', '');
    const digits = /^\d+/.exec(version)?.[0];
    const key = digits === undefined ? folder : digits.length >= 8 ? digits.padEnd(Math.max(20, digits.length), '0') : digits === version ? digits : folder;
    return versioned(file, key, folders(dirs.slice(0, -1)), `d:${dir}`, base === 'down.sql');
  }
  const f = flyway.exec(base);
  // A Flyway-named file can still be a down by its suffix (V5__widen.down.sql beside V5__widen.sql).
  if (f) return { file, rank: Rank.versioned, version: parts(f[2]!), folders: [], pair: `f:${parts(f[2]!).join('.')}`, rollback: (f[1] === 'U' && !unversioned) || base.endsWith('.down.sql') };
  if (flywayRepeatable.test(base)) return { file, rank: Rank.repeatable, version: [], folders: [], pair: `r:${file}`, rollback: false };
  const event = flywayCallbackEvent(base);
  if (event !== undefined && event in flywayRunsOnce) return { file, rank: flywayRunsOnce[event]!, version: [], folders: [], pair: `c:${file}`, rollback: false };
  if (isPrismaMigration(file)) return { file, rank: Rank.unversioned, version: [], folders: folders(dirs.slice(0, -1)), pair: `s:${file}`, rollback: false };
  // Postgrator pairs a do and an undo by version, whatever their names say.
  const p = postgrator.exec(base);
  if (p) return versioned(file, p[1]!, folders(dirs), `p:${dir}/${parts(p[1]!).join('.')}`, p[2] === 'undo');
  // A PostgreSQL extension's scripts run as its update chain goes; a downgrade undoes the update
  // between the same two versions, in whichever folder (citus keeps them in downgrades/).
  const extension = extensionScriptOf(base);
  if (extension) return { file, rank: Rank.unversioned, version: [], folders: folders(dirs), pair: `e:${extensionUpdateKey(extension)}`, rollback: extension.downgrade, extension };
  const rollback = base.endsWith('.down.sql') || base.endsWith('.rollback.sql') || underscorePair === 'down';
  // A part of a popx split migration: the group is the migration (popxSplitGroup).
  const split = popxSplitGroup(file);
  if (split !== undefined) return versioned(file, base, folders(dirs), split, rollback);
  const stem = underscorePair ? base.replace(/_(up|down)\.sql$/, '') : base.replace(/(\.up|\.down|\.rollback)?\.sql$/, '');
  // golang-migrate and sqlx pair <version>_<title>[.up].sql and .down.sql by version, whatever
  // the titles say (ente's 64_collection_pub_magic_metadata.up.sql has 64_collection_drop_..._metadata.down.sql).
  const byVersion = /^(\d+)_/.exec(stem);
  return versioned(file, stem, folders(dirs), byVersion ? `v:${dir}/${byVersion[1]!.replace(/^0+(?=\d)/, '')}` : `s:${dir}/${stem}`, rollback);
}

function versioned(file: string, name: string, folders: readonly (readonly string[])[], pair: string, rollback: boolean): Named {
  const v = leadingVersion.exec(name);
  const version = v ? parts(v[1]!) : [];
  return { file, rank: v || folders.length > 0 ? Rank.versioned : Rank.unversioned, version, folders, pair, rollback };
}

function parts(version: string): string[] {
  return version.split(/[._-]/).map((p) => p.replace(/^0+(?=\d)/, ''));
}

/** Digit strings without leading zeros, compared as numbers of any length. */
function compareNumber(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function compareVersions(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareNumber(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareNamed(a: Named, b: Named): number {
  if (a.extension && b.extension && a.rank === b.rank) return compareFolders(a.folders, b.folders) || compareExtensionScripts(a.extension, b.extension) || comparePaths(a.file, b.file);
  return a.rank - b.rank || compareFolders(a.folders, b.folders)
    // In a folder, the files with a version come before those without, as they do at the top.
    || (b.version.length > 0 ? 1 : 0) - (a.version.length > 0 ? 1 : 0)
    || compareVersions(a.version, b.version) || comparePaths(a.step?.anchor ?? a.file, b.step?.anchor ?? b.file)
    // Two steps of one chain (the same anchor): as the chain goes.
    || (a.step && b.step ? a.step.index - b.step.index : 0) || comparePaths(a.file, b.file);
}

/** Folders' versions, outermost first: v1/v2/ before v1/v10/; fewer first when the rest is equal. */
function compareFolders(a: readonly (readonly string[])[], b: readonly (readonly string[])[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareVersions(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Paths folder by folder, as the files' own names compare: two folders (or names) that start
 * with a version (v1.10, 1.10, 10_x, 2024-01-02-120000_x) compare by it, part by part as numbers
 * (temporal-sql-tool's v1.2/ before v1.10/), and come before those that do not; the rest by
 * name. A Prisma migration's folder compares by name, as Prisma sorts them. Equal versions
 * (v01 and v1) fall back to the name, so the order is the same on every machine.
 */
function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    const prisma = (s: readonly string[]) => i === s.length - 2 && s[i + 1] === 'migration.sql';
    if (prisma(as) || prisma(bs)) return compareStrings(x, y);
    const vx = leadingVersion.exec(x);
    const vy = leadingVersion.exec(y);
    if (vx && vy) return compareVersions(parts(vx[1]!), parts(vy[1]!)) || compareStrings(x, y);
    if (vx || vy) return vx ? -1 : 1;
    return compareStrings(x, y);
  }
  return as.length - bs.length || compareStrings(a, b);
}

/**
 * Files in the order the migration tools run them, each rollback right after its own up:
 * - versions compare part by part as numbers (Flyway's V2 before V10, V1.9 before V1.10, `_` as
 *   `.`; timestamps 20240101120000_x; 001_x); a folder `<version>_x/` of up.sql and down.sql
 *   (diesel, Hasura) by the name up to its first `_` without dashes, as diesel reads it
 *   (2017-08-31-230457_x/ is 20170831230457, after 20140926174020_y/);
 * - the versions of the folders a file is in come first (temporal-sql-tool's v1.2/ before
 *   v1.10/, each folder whole, its versioned files first), below the folders all the files
 *   share; folders without a version add nothing, and Flyway's scripts go by their own version
 *   alone, as Flyway finds them in any folder;
 * - files without a version follow, in name order; Flyway's repeatable R__ files come last, by name;
 * - a PostgreSQL extension's scripts (`citus--8.0-1.sql`, `citus--8.0-1--8.0-2.sql`) among them
 *   as its update chain goes, a downgrade right after the update it undoes (compareExtensionScripts);
 * - upgrade steps named `<prefix>.<from>.to.<to>[.<component>].sql` (Activiti's) that link into a
 *   chain, per folder and prefix: each component's steps as the chain goes (upgradeStepChains),
 *   standing together where the chain's first file by name would;
 * - Flyway's callbacks that migrate runs around the migrations stand where it runs them:
 *   beforeMigrate first, then beforeEachMigrate (once), afterEachMigrate (once) and afterVersioned
 *   after the versioned scripts, beforeRepeatables before the repeatable ones, afterMigrateApplied
 *   and then afterMigrate last (Rank);
 * - a down (`x.down.sql`, diesel's `down.sql`, Flyway's `U<version>__`) follows the up it undoes
 *   (`x.up.sql` or `x.sql` in the same folder, `up.sql` in the same folder, `V<version>__`); a
 *   down without an up stands where its up would; the parts of a popx split migration
 *   (popxSplitGroup) are one migration: its ups, then its downs latest first, as popx rolls back;
 *   a file of `declaredRollbacks` (--rollbacks) follows the ups of its version (withDeclaredRollbacks);
 * - ties (files without a version, a Flyway version in several folders) are broken by path,
 *   folder by folder, versions in folder names compared as numbers (comparePaths).
 * The order is the same on every machine.
 * One sort of the migrations: O(n log n) in the number of files.
 */
export function migrationOrder(files: readonly string[], declaredRollbacks?: ReadonlySet<string>): string[] {
  const migrations = new Map<string, { first: Named; ups: Named[]; downs: Named[] }>();
  for (const named of describeAll(files, declaredRollbacks)) {
    let m = migrations.get(named.pair);
    if (!m) migrations.set(named.pair, (m = { first: named, ups: [], downs: [] }));
    (named.rollback ? m.downs : m.ups).push(named);
  }
  const ordered: string[] = [];
  const keyOf = (m: { ups: Named[]; downs: Named[] }) => (m.ups.length > 0 ? m.ups : m.downs).reduce((a, b) => (compareNamed(a, b) <= 0 ? a : b));
  const list = [...migrations.values()].map((m) => ({ key: keyOf(m), m }));
  list.sort((a, b) => compareNamed(a.key, b.key));
  for (const { m } of list) {
    for (const n of m.ups.sort(compareNamed)) ordered.push(n.file);
    m.downs.sort(compareNamed);
    // popx rolls back the latest version first: a split migration's downs, last part first.
    if (m.downs.length > 1 && popxSplitGroup(m.downs[0]!.file) !== undefined) m.downs.reverse();
    for (const n of m.downs) ordered.push(n.file);
  }
  return ordered;
}

/**
 * Ory's split migrations (Kratos and Hydra, converted from fizz): a popx version of 20 digits is a
 * timestamp of 14 and a part of 6 (20191100000002000000_requests ... 20191100000002000004_requests),
 * one part per statement. The parts' downs were split from the fizz migration's down as they
 * came, so a part's down does not undo its own part's up: run in popx's order, latest version
 * first, the downs undo the parts' ups together (down 4 drops what up 1 made, down 3 what up 0
 * made). The parts of one timestamp and one name are one migration: its ups in version order,
 * then its downs latest first, each judged after the ones before it (src/lint.ts). Parts of one
 * timestamp under different names (kratos's 20230707133700000000_identity_login_code and
 * ..000001_identity_registration_code) are migrations of their own. The group's key (a pair
 * key, as migrationOf() gives it), or undefined for any other file.
 */
export function popxSplitGroup(file: string): string | undefined {
  const slash = file.lastIndexOf('/');
  const m = popxName.exec(file.slice(slash + 1));
  if (!m || m[1]!.length !== 20) return undefined;
  return `x:${slash < 0 ? '' : file.slice(0, slash)}/${m[1]!.slice(0, 14)}_${m[2]!}`;
}

/**
 * Each file's migration, as migrationOrder() pairs them: a down and the up it undoes share one
 * (several ups of one version share it too, as golang-migrate runs them).
 */
export function migrationOf(files: readonly string[], declaredRollbacks?: ReadonlySet<string>): ReadonlyMap<string, string> {
  return new Map(describeAll(files, declaredRollbacks).map((named) => [named.file, named.pair]));
}

/** What each file's name says (describe), the files declared rollbacks paired with their ups (withDeclaredRollbacks). */
function describeAll(files: readonly string[], declaredRollbacks: ReadonlySet<string> | undefined): Named[] {
  const root = sharedFolders(files);
  const downs = pairedUnderscoreDowns(files);
  const unversioned = refineryUnversioned(files);
  const steps = new Map(upgradeStepChains(files).flatMap((chain) => {
    const anchor = [...chain.files].sort()[0]!;
    return chain.files.map((file, index) => [file, { index, anchor }] as const);
  }));
  const named = files.map((file) => {
    const n = describe(file, root, underscorePairOf(file, downs), unversioned.has(file));
    const step = steps.get(file);
    return step ? { ...n, step } : n;
  });
  return declaredRollbacks && declaredRollbacks.size > 0 ? withDeclaredRollbacks(named, declaredRollbacks) : named;
}

/**
 * Rollbacks of a layout migc does not know by name, declared by the user (--rollbacks, the
 * config's `rollbacks`): openreplay's `rollback_dbs/postgresql/<v>/<v>.sql` undoes
 * `init_dbs/postgresql/<v>/<v>.sql`. Each is paired by version, as the order reads versions: the
 * versions of its folders and its own (rollbackKey), with the ups of the same key, whose
 * migrations become one (a version folder of several ups is undone by its rollback as a whole);
 * it then follows them and may drop what they made. One with no up of its key is a migration of
 * its own, and stands where its up would. A file already a rollback by its name stays as it is.
 */
function withDeclaredRollbacks(named: readonly Named[], declared: ReadonlySet<string>): Named[] {
  const isDeclared = (n: Named) => !n.rollback && declared.has(n.file);
  const keys = new Set(named.filter(isDeclared).map(rollbackKey));
  const upsOf = new Map<string, Named[]>();
  for (const n of named) {
    if (n.rollback || declared.has(n.file) || !keys.has(rollbackKey(n))) continue;
    upsOf.set(rollbackKey(n), [...(upsOf.get(rollbackKey(n)) ?? []), n]);
  }
  // Each up's migration joins that of the last up of its key (compareNamed), downs by name included.
  const joined = new Map<string, string>();
  const pairOf = new Map<string, string>();
  for (const [key, ups] of upsOf) {
    const last = ups.reduce((a, b) => (compareNamed(a, b) >= 0 ? a : b));
    pairOf.set(key, last.pair);
    for (const up of ups) joined.set(up.pair, last.pair);
  }
  return named.map((n) => {
    if (isDeclared(n)) return { ...n, rollback: true, pair: pairOf.get(rollbackKey(n)) ?? `b:${rollbackKey(n)}` };
    const pair = joined.get(n.pair);
    return pair === undefined ? n : { ...n, pair };
  });
}

/**
 * What pairs a declared rollback with its up: the versions of its folders and its own
 * (`1.17.0/1.17.0.sql` under init_dbs/ and under rollback_dbs/; `0005_undo.sql` and
 * `0005_create.sql`), or, for a file with no version at all, its name (`add_users.sql`).
 */
function rollbackKey(n: Named): string {
  if (n.version.length === 0 && n.folders.length === 0) return `name:${baseName(n.file).replace(/\.sql$/i, '')}`;
  return `version:${n.folders.map((f) => f.join('.')).join('/')}:${n.version.join('.')}`;
}

/**
 * Histories that lint would read as one: folders without a version of their own that each hold an
 * up migration of the same version, by golang-migrate's, goose's or sqlx's names (rudder-server's
 * sql/migrations/jobsdb/ and warehouse/ each start at 000001), postgrator's, or a runner of the
 * project's own (claircore's indexer/ and matcher/ each start at 01-init.sql, the twenty-third
 * trial's N2). Those tools refuse two migrations of one version in one history, and a runner that
 * counts its files keeps a count per folder, so each folder is a history of its own, with its own
 * version table, run apart. The version and the folders that hold it, for the lowest such version,
 * or undefined. Not Flyway's scripts (one history across its locations), nor folders that carry a
 * version themselves (Synapse's delta/25/, temporal-sql-tool's v1.2/), nor other layouts.
 */
export function separateHistories(files: readonly string[]): { readonly version: string; readonly folders: readonly string[] } | undefined {
  const root = sharedFolders(files);
  const downs = pairedUnderscoreDowns(files);
  const foldersOf = new Map<string, { version: readonly string[]; folders: Set<string> }>();
  for (const file of files) {
    const named = describe(file, root, underscorePairOf(file, downs));
    if (named.rollback || named.rank !== Rank.versioned || named.version.length === 0 || !/^[vsp]:/.test(named.pair) || named.folders.length > 0) continue;
    const key = named.version.join('.');
    const entry = foldersOf.get(key) ?? { version: named.version, folders: new Set<string>() };
    entry.folders.add(file.slice(0, Math.max(0, file.lastIndexOf('/'))));
    foldersOf.set(key, entry);
  }
  const shared = [...foldersOf.entries()].filter(([, e]) => e.folders.size > 1).sort((a, b) => compareVersions(a[1].version, b[1].version));
  if (shared.length === 0) return undefined;
  const [version, { folders }] = shared[0]!;
  return { version, folders: [...folders].sort() };
}

/**
 * The forward migrations of a folder that share their version with another (MusicBrainz's dated
 * scripts: 20130318-foreign-keys.sql and 20130318-reduplicate-tracklists.sql), ordered among
 * themselves by path, which may not be the order their runner takes: per folder, in the order of
 * its first file, each shared version (as written in the first file's name) with its files. Not
 * rollbacks (paired with their ups), Flyway's scripts (Flyway refuses two of one version),
 * a popx split migration's parts (one migration), nor files in version folders alone.
 */
export function versionTies(ordered: readonly string[]): { folder: string; ties: { version: string; files: string[] }[] }[] {
  const downs = pairedUnderscoreDowns(ordered);
  const byFolder = new Map<string, Map<string, string[]>>();
  for (const file of ordered) {
    const named = describe(file, 0, underscorePairOf(file, downs));
    if (named.rollback || named.rank !== Rank.versioned || named.version.length === 0 || named.pair.startsWith('f:') || popxSplitGroup(file) !== undefined) continue;
    const slash = file.lastIndexOf('/');
    const folder = slash < 0 ? '' : file.slice(0, slash);
    const versions = byFolder.get(folder) ?? new Map<string, string[]>();
    byFolder.set(folder, versions);
    const key = named.version.join('.');
    versions.set(key, [...(versions.get(key) ?? []), file]);
  }
  const out: { folder: string; ties: { version: string; files: string[] }[] }[] = [];
  for (const [folder, versions] of byFolder) {
    const ties = [...versions.values()].filter((f) => f.length > 1).map((f) => ({ version: leadingVersion.exec(baseName(f[0]!))?.[1] ?? '', files: f }));
    if (ties.length > 0) out.push({ folder, ties });
  }
  return out;
}

/**
 * The files whose place migc could only guess: in each folder, the files without a version of
 * their own (`schema.sql`, `add_index.sql`), when there are several, ordered among themselves by
 * name. Not Prisma's migration.sql (Prisma runs its folders by name), Flyway's callbacks, its repeatables (run
 * by name, after the versioned ones), a rollback that follows its up, nor the upgrade steps of a
 * chain (upgradeStepChains: where their chain breaks is told apart). `ordered`: files in
 * migration order (migrationOrder); folders in the order of their first file.
 */
export function orderedByName(ordered: readonly string[]): { folder: string; files: string[] }[] {
  const byFolder = new Map<string, string[]>();
  const chained = new Set(upgradeStepChains(ordered).flatMap((c) => c.files));
  for (const file of ordered) {
    const named = describe(file, 0);
    if (chained.has(file) || (named.rank !== Rank.versioned && named.rank !== Rank.unversioned) || named.version.length > 0 || named.extension !== undefined || isPrismaMigration(file) || isRollbackFile(file)) continue;
    const slash = file.lastIndexOf('/');
    const folder = slash < 0 ? '' : file.slice(0, slash);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file]);
  }
  return [...byFolder].filter(([, f]) => f.length > 1).map(([folder, f]) => ({ folder, files: f }));
}

/**
 * Folder names that say their files undo others, as projects name such folders: openreplay's
 * `rollback_dbs/`, `db/rollback/`, `SQL/rollbacks/`, `migrations/down/` beside the ups,
 * `migrations/undo/` (Flyway's undo scripts kept apart), `revert/` (Sqitch's, when its plan is not
 * among the paths), with or without a word after `_` or `-`.
 */
const rollbackFolderName = /^(?:rollbacks?|downs?|undos?|reverts?)(?:[_-][a-z0-9_-]*)?$/i;

/**
 * The folders whose name says their files are rollbacks (rollbackFolderName), each with its
 * files (at any depth) that are not rollbacks by name or layout (`isRollback`): without
 * --rollbacks they are read as forward migrations. For each file, the outermost such folder of
 * its path; folders in the order of their first file.
 */
export function rollbackLookingFolders(files: readonly string[], isRollback: (file: string) => boolean): { folder: string; files: string[] }[] {
  const byFolder = new Map<string, string[]>();
  for (const file of files) {
    if (isRollback(file)) continue;
    const segments = file.split('/').slice(0, -1);
    const at = segments.findIndex((segment) => rollbackFolderName.test(segment));
    if (at < 0) continue;
    const folder = segments.slice(0, at + 1).join('/');
    const some = byFolder.get(folder);
    if (some) some.push(file);
    else byFolder.set(folder, [file]);
  }
  return [...byFolder].map(([folder, some]) => ({ folder, files: some }));
}

/** How many leading folders all the files share. */
function sharedFolders(files: readonly string[]): number {
  if (files.length === 0) return 0;
  const first = files[0]!.split('/').slice(0, -1);
  let shared = first.length;
  for (const file of files) {
    const dirs = file.split('/');
    let i = 0;
    while (i < shared && i < dirs.length - 1 && dirs[i] === first[i]) i++;
    shared = i;
  }
  return shared;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * diesel's `<version>_<name>/up.sql` or `down.sql`: the folder is the migration, and its
 * `metadata.toml` may say run_in_transaction = false (src/lint-diesel.ts). The path of that file,
 * or undefined for a file of another layout.
 */
export function dieselMetadataPath(file: string): string | undefined {
  const slash = file.lastIndexOf('/');
  const base = file.slice(slash + 1);
  if (slash <= 0 || (base !== 'up.sql' && base !== 'down.sql')) return undefined;
  const dir = file.slice(0, slash);
  return dieselFolder.test(baseName(dir)) ? `${dir}/metadata.toml` : undefined;
}

/**
 * A diesel migration's folder: its version (digits, and the dashes of diesel's timestamps:
 * 2024-01-01-120000), an underscore, its name. Not `0-init-schema/up.sql` (formance ledger's own
 * runner, which sends a file as one query string outside a transaction: the twenty-second
 * trial's N1, where the diesel note led to 36 false errors).
 */
const dieselFolder = /^\d[\d-]*_/;

/**
 * Hasura's `<version>_<name>/up.sql` or `down.sql`: diesel's layout, but its version is a
 * millisecond timestamp of 13 digits (`hasura migrate create`), where diesel's are dashed or of 14
 * (the thirtieth trial's N1: planx's 832 files were called diesel's).
 */
function isHasuraMigration(file: string): boolean {
  const parts = file.split('/');
  return parts.length >= 2 && (parts.at(-1) === 'up.sql' || parts.at(-1) === 'down.sql') && /^\d{13}_/.test(parts.at(-2)!);
}

/**
 * refinery's unversioned migrations among the files: `U<version>__<name>.sql` with no
 * `V<version>__` of the same version. refinery names its migrations as Flyway does, but its `U` is
 * a migration run forward whose version need not follow the last one applied (refinery's README,
 * "Non-contiguous VS Contiguous migrations"), where Flyway's is the undo of the `V` of its version,
 * never without one. Versions compare as numbers part by part (1.10 is not 1.1), in any folder.
 */
export function refineryUnversioned(files: readonly string[]): Set<string> {
  const { orphans, paired } = flywayUndos(files);
  // Where any U has its V, the folder is Flyway's: a U without one is an undo whose V is missing
  // (a version mistyped: crowd.dev's U1746554597 of V1746546438, the thirty-ninth trial's B),
  // still a rollback (orphanUndos says so).
  return paired > 0 ? new Set() : new Set(orphans);
}

/** The `U<version>__` scripts without a `V<version>__` of their version, and how many have one. */
function flywayUndos(files: readonly string[]): { orphans: string[]; paired: number; versions: Map<string, string> } {
  const undos: [string, string][] = [];
  const versions = new Map<string, string>();
  for (const file of files) {
    const f = flyway.exec(baseName(file));
    if (!f || baseName(file).endsWith('.down.sql')) continue;
    const version = parts(f[2]!).join('.');
    if (f[1] === 'V') versions.set(version, file);
    else undos.push([file, version]);
  }
  const orphans = undos.filter(([, version]) => !versions.has(version)).map(([file]) => file);
  return { orphans, paired: undos.length - orphans.length, versions };
}

/**
 * Flyway's undo scripts that undo no versioned script, in a folder where others do (so not
 * refinery's forward `U` migrations): Flyway runs an undo only after its `V`, so the file never
 * runs as named. Each with the versioned script nearest its version, the one it likely meant.
 */
export function orphanUndos(files: readonly string[]): { file: string; nearest?: string }[] {
  const { orphans, paired, versions } = flywayUndos(files);
  if (paired === 0) return [];
  const numeric = (v: string) => Number(v.split('.')[0]);
  return orphans.map((file) => {
    const v = numeric(parts(flyway.exec(baseName(file))![2]!).join('.'));
    let nearest: string | undefined;
    let best = Infinity;
    for (const [version, script] of versions) {
      const d = Math.abs(numeric(version) - v);
      if (d < best) [best, nearest] = [d, script];
    }
    return { file, ...(nearest ? { nearest } : {}) };
  });
}

/** Flyway Teams' baseline migrations, `B<version>__x.sql`: run instead of the V scripts up to their version on an empty database. */
const flywayBaseline = /^B\d+(?:[._]\d+)*(?:__.*)?\.sql$/;

/**
 * The `.sql` files Flyway (or refinery, which names migrations alike) does not run, in a folder
 * that holds a versioned script (`V<version>__`) or under one: those named none of its ways (versioned, undo,
 * repeatable, baseline, a callback). Flyway skips them (with validateMigrationNaming=true it
 * refuses the folder instead), and so does refinery: DSpace keeps `update-sequences.sql`, a
 * script run by hand, beside its Flyway scripts.
 */
export function notFlywayNamed(files: readonly string[]): string[] {
  // Flyway's location: a folder that holds a versioned script, and the folders under it (Flyway
  // scans a location's subfolders too: dhis2 keeps one per release). Other folders linted with it
  // are another tool's, or another project's.
  const locations = new Set<string>();
  for (const f of files) if (flyway.exec(baseName(f))?.[1] === 'V') locations.add(folderOf(f));
  if (locations.size === 0) return [];
  const inLocation = (f: string) => {
    for (let dir = folderOf(f); ; dir = folderOf(dir)) {
      if (locations.has(dir)) return true;
      if (dir === '') return false;
    }
  };
  return files.filter((f) => f.endsWith('.sql') && !isFlywayScript(f) && !flywayBaseline.test(baseName(f)) && inLocation(f));
}

/** The folder of a path as lint names files ('' for a file of the current folder). */
function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Is `file` a Flyway script, whose `<file>.conf` may say executeInTransaction=false? */
export function isFlywayScript(file: string): boolean {
  const base = baseName(file);
  return flyway.test(base) || flywayRepeatable.test(base) || flywayCallbackEvent(base) !== undefined;
}

/**
 * Flyway's script config file (`V1__x.sql.conf`): what it says of executeInTransaction, which
 * overrides what Flyway reads from the script's statements (src/lint-flyway.ts), or undefined.
 */
export function flywayConfExecuteInTransaction(conf: string): boolean | undefined {
  for (const line of conf.split(/\r?\n/)) {
    const m = /^\s*(?:flyway\.)?executeInTransaction\s*[=:]\s*(\S*)\s*$/.exec(line);
    // Flyway takes true or false (ConfigUtils.removeBoolean) and refuses any other value.
    if (m) return m[1]!.toLowerCase() === 'true' ? true : m[1]!.toLowerCase() === 'false' ? false : undefined;
  }
  return undefined;
}

/**
 * Ory's popx (Kratos, Hydra, Keto) runs `<version>_<name>[.<dialect>].autocommit.(up|down).sql`
 * outside a transaction, sending the file to the server as one query string.
 */
export function isAutocommitFile(file: string): boolean {
  return /^\d+_[^.]+(?:\.[a-z0-9]+)?\.autocommit\.(?:up|down)\.sql$/.test(baseName(file));
}

/**
 * The .sql files beside the migration folders of diesel's layout (`<folder>/<version>_x/up.sql`):
 * diesel runs the folders that hold an up.sql and nothing else in <folder> (migrations_internals'
 * migrations_directories skips files), so a loose `<folder>/seed.sql` is not one of its
 * migrations. Names only.
 */
export function besideFolderMigrations(files: readonly string[]): string[] {
  const holders = new Set(files.filter((f) => baseName(f) === 'up.sql' && folderOf(f) !== '').map((f) => folderOf(folderOf(f))));
  return files.filter((f) => holders.has(folderOf(f)) && baseName(f) !== 'up.sql' && baseName(f) !== 'down.sql');
}

/** popx's names (MigrationFileRegexp): `<version>_<name>[.<dialect>][.autocommit].(up|down).sql`. */
const popxName = /^(\d+)_([^.]+)(?:\.([a-z0-9]+))?(\.autocommit)?\.(up|down)\.sql$/;

/**
 * The dialects pop knows (AvailableDialects, and their synonyms as pop.CanonicalDialect reads
 * them): a popx file named for one runs on that database only. popx ignores a name of another.
 */
const popDialects: Readonly<Record<string, string>> = {
  postgres: 'postgres', postgresql: 'postgres', pg: 'postgres', pgx: 'postgres',
  cockroach: 'cockroach', cockroachdb: 'cockroach', crdb: 'cockroach',
  mysql: 'mysql', mariadb: 'mariadb', sqlite3: 'sqlite3', sqlite: 'sqlite3',
};

/**
 * A SQL file named for one database after its `.sql` (Synapse's `x.sql.postgres` and
 * `x.sql.sqlite`): the database's name as pop reads them (popDialects), else undefined.
 */
export function databaseSuffix(file: string): string | undefined {
  const m = /\.sql\.([a-z0-9]+)$/i.exec(file);
  return m ? popDialects[m[1]!.toLowerCase()] : undefined;
}

/** The name without a `.postgres` (or `.postgresql`, `.pg`) after its `.sql`. */
function withoutDatabaseSuffix(base: string): string {
  return databaseSuffix(base) === 'postgres' ? base.slice(0, base.lastIndexOf('.')) : base;
}

/** The database a popx file is named for (`.postgres.`, `.mysql.`, ...), or undefined for a generic one or another layout. */
function popxDialect(file: string): string | undefined {
  const m = popxName.exec(baseName(file));
  const named = m?.[3];
  return named === undefined || named === 'autocommit' ? undefined : popDialects[named];
}

/** A popx file popx does not run on PostgreSQL, and why. */
export type PopxLeftOut =
  /** Named for another database (`.mysql.`, `.cockroach.`, `.sqlite3.`): popx runs it there only. */
  | { readonly file: string; readonly kind: 'dialect'; readonly dialect: string }
  /** A generic file whose version has a file for PostgreSQL in the same direction: popx runs that one instead. */
  | { readonly file: string; readonly kind: 'replaced'; readonly by: string };

/**
 * The files Ory's popx (Kratos, Hydra, Keto) does not run on PostgreSQL. It runs one migration per
 * version and direction (MigrationBox, Migrations.sortAndFilter): of the files applicable to the
 * database, those named for its dialect and the generic ones, the more specific wins, so a
 * `<version>_x.postgres[.autocommit].up.sql` replaces `<version>_x[.autocommit].up.sql`, whatever
 * their names after the version; a file named for another database runs there only. Files of
 * one folder are compared (popx reads one folder per project). Names only.
 */
export function popxLeftOut(files: readonly string[]): PopxLeftOut[] {
  const left: PopxLeftOut[] = [];
  /** Per folder, version and direction: the generic files and the ones for PostgreSQL. */
  const groups = new Map<string, { generic: string[]; postgres: string[] }>();
  for (const file of files) {
    const m = popxName.exec(baseName(file));
    if (!m) continue;
    const named = m[3] === undefined || m[3] === 'autocommit' ? undefined : m[3];
    const dialect = named === undefined ? undefined : popDialects[named];
    // A name popx does not take for a dialect (1_add.users.up.sql): another tool's file, left as it is.
    if (named !== undefined && dialect === undefined) continue;
    if (dialect !== undefined && dialect !== 'postgres') {
      left.push({ file, kind: 'dialect', dialect });
      continue;
    }
    const key = `${file.slice(0, file.length - baseName(file).length)}\0${m[1]}\0${m[5]}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { generic: [], postgres: [] }));
    (dialect === 'postgres' ? group.postgres : group.generic).push(file);
  }
  for (const { generic, postgres } of groups.values()) {
    if (postgres.length === 0) continue;
    for (const file of generic) left.push({ file, kind: 'replaced', by: postgres[0]! });
  }
  return left;
}

/**
 * zdb's names for one database (arp242/zdb's Migrate, goatcounter's runner): `<name>-postgres.sql`,
 * `-postgresql.sql` or `-psql.sql` run on PostgreSQL; `-sqlite.sql`, `-sqlite3.sql`, `-maria.sql`,
 * `-mariadb.sql` and `-mysql.sql` on that database only. The name as written after the `-`.
 */
const zdbName = /-(postgres|postgresql|psql|sqlite|sqlite3|maria|mariadb|mysql)\.sql$/;

/**
 * The files zdb does not run on PostgreSQL: in a folder that holds a file named for PostgreSQL
 * (zdbName), those named for another database (the thirty-seventh trial's C, goatcounter's
 * `-sqlite.sql` twins). A folder without one keeps its files: `x-mysql.sql` alone may be another
 * tool's migration about MySQL. Names only.
 */
export function zdbLeftOut(files: readonly string[]): PopxLeftOut[] {
  return namedForOthers(files, zdbName);
}

/** A file named for its database alone, in a migration's folder: `postgres.sql` beside `sqlite3.sql`. */
const databaseFileName = /^(postgres|postgresql|psql|sqlite|sqlite3|maria|mariadb|mysql)\.sql$/;

/**
 * The files named for another database alone (`sqlite3.sql`, `mysql.sql`) in a folder that holds
 * one named for PostgreSQL (`postgres.sql`): gocryptotrader keeps each goose migration as a
 * folder of one file per database, and its goose fork runs the driver's (the forty-second
 * trial's E: its SQLite files linted as PostgreSQL, 190 false findings).
 */
export function databaseFilesLeftOut(files: readonly string[]): PopxLeftOut[] {
  return namedForOthers(files, databaseFileName);
}

/**
 * The files whose name (`named`: its first group, the database) is for another database than
 * PostgreSQL, in a folder that holds one named for PostgreSQL (postgres, postgresql, psql).
 */
function namedForOthers(files: readonly string[], named: RegExp): PopxLeftOut[] {
  const dialectOf = (file: string) => named.exec(baseName(file))?.[1];
  const postgres = (dialect: string | undefined) => dialect === 'postgres' || dialect === 'postgresql' || dialect === 'psql';
  const folders = new Set(files.filter((f) => postgres(dialectOf(f))).map(folderOf));
  return files.flatMap((file): PopxLeftOut[] => {
    const dialect = dialectOf(file);
    return dialect !== undefined && !postgres(dialect) && folders.has(folderOf(file)) ? [{ file, kind: 'dialect', dialect }] : [];
  });
}

/**
 * The files a runner that picks per database (Ory popx, zdb, a folder of one file per database)
 * does not run on PostgreSQL, per runner, with how a file's name says its database (`.mysql.` for
 * popx, `-sqlite.sql` for zdb, `sqlite3.sql`).
 */
export function leftOutOnPostgres(files: readonly string[]): { readonly runner: string; readonly left: readonly PopxLeftOut[]; readonly mark: (dialect: string) => string; readonly folder?: (file: string) => string }[] {
  return [
    { runner: 'Ory popx', left: popxLeftOut(files), mark: (d: string) => `.${d}.` },
    { runner: 'zdb', left: zdbLeftOut(files), mark: (d: string) => `-${d}.sql` },
    { runner: 'a runner that keeps a file per database in each migration\'s folder (gocryptotrader\'s goose)', left: databaseFilesLeftOut(files), mark: (d: string) => `${d}.sql`, folder: (f: string) => folderOf(folderOf(f)) },
  ].filter((r) => r.left.length > 0);
}

/**
 * Prisma Migrate's `<version>_<name>/migration.sql`: Prisma sends the script to PostgreSQL as one
 * query string, in no transaction of its own (its generated scripts carry their own BEGIN ...
 * COMMIT): several statements run as one implicit transaction, and a CONCURRENTLY statement works
 * only alone in its migration.
 */
export function isPrismaMigration(file: string): boolean {
  const slash = file.lastIndexOf('/');
  return file.slice(slash + 1) === 'migration.sql' && slash > 0 && leadingVersion.test(baseName(file.slice(0, slash)));
}

/**
 * Postgrator sends a migration file to the server as one query string, in no transaction of its
 * own: PostgreSQL runs its statements as one implicit transaction (Postgrator's README says so).
 */
export function isPostgratorMigration(file: string): boolean {
  return postgrator.test(baseName(file));
}

/**
 * Files the tool sends to the server as one query string outside a transaction of its own:
 * popx's `.autocommit.` files, Prisma's and Postgrator's migrations.
 */
export function isSentAsOneQueryString(file: string): boolean {
  return isAutocommitFile(file) || isPrismaMigration(file) || isPostgratorMigration(file);
}

/**
 * What a file's name or markers say beyond doubt about the tool that runs it, when that tool sends
 * it in a way only a flag tells lint (see the README's "Which flag for your tool"): the words of
 * the note that says so, or undefined. Prisma and Postgrator send a file as one query string;
 * diesel, Flyway, dbmate, goose, sql-migrate, tern, Graphile Migrate, popx (known by its
 * `.autocommit.` files and the ones named for a database), postgres-migrations (known by its
 * disable-transaction marker) and yoyo (known by its `.rollback.sql`) run each file, or each part,
 * in a transaction of their own. sqlx's and golang-migrate's names are alike, and golang-migrate
 * wants the other flag: no note for them. node-pg-migrate (known by its `-- Up Migration` marker)
 * runs all the files of a run in one transaction by default: its note names --run-transaction.
 * `others`: all the files, to pair a yoyo rollback.
 */
export function toolSendsNote(file: string, text: string | undefined, others: ReadonlySet<string>): { readonly says: string; readonly flag: '--file-transaction' | '--run-transaction' } | undefined {
  const says = fileTransactionTool(file, text, others);
  if (says) return { says, flag: '--file-transaction' };
  if (text !== undefined && nodePgMigrateMarker('up').test(text)) return { says: 'node-pg-migrate runs all the migrations of a run in one transaction (its default, singleTransaction; --no-single-transaction: each in its own, --file-transaction)', flag: '--run-transaction' };
  return undefined;
}

/** The words of toolSendsNote for the tools that want --file-transaction. */
function fileTransactionTool(file: string, text: string | undefined, others: ReadonlySet<string>): string | undefined {
  if (isPrismaMigration(file)) return 'Prisma sends each migration.sql to the server as one query string';
  if (isPostgratorMigration(file)) return 'Postgrator sends each file to the server as one query string';
  if (isHasuraMigration(file)) return 'Hasura runs each migration\'s up.sql and down.sql in a transaction';
  if (dieselMetadataPath(file)) return 'diesel runs each migration\'s up.sql and down.sql in a transaction (unless its metadata.toml says run_in_transaction = false)';
  if (flyway.test(baseName(file)) || flywayRepeatable.test(baseName(file))) return 'Flyway runs each script in a transaction';
  if (isAutocommitFile(file) || popxDialect(file) !== undefined) return isAutocommitFile(file) ? 'Ory popx runs each migration that is not .autocommit. in a transaction' : 'gobuffalo pop and Ory popx run each migration in a transaction (popx not its .autocommit. ones)';
  const yoyo = yoyoMigrationOf(file);
  if (yoyo !== undefined && others.has(yoyo)) return 'yoyo runs each migration in a transaction';
  if (text === undefined) return undefined;
  if (isGraphileMigration(file, text)) return 'Graphile Migrate runs each migration in a transaction';
  if (text.includes(postgresMigrationsNoTransaction)) return `postgres-migrations runs each file without "${postgresMigrationsNoTransaction}" in a transaction`;
  const tool = markerTool(text);
  if (tool) return `${tool} runs each part of a file (the up, the down) in a transaction`;
  return undefined;
}

/** The tool whose markers split the file in parts (dbmate, goose, sql-migrate, tern), if any. */
function markerTool(text: string): 'dbmate' | 'goose' | 'sql-migrate' | 'tern' | undefined {
  return new RegExp(dbmateMarker.source, 'm').test(text) ? 'dbmate' : /^--\s*\+goose\s+up\b/im.test(text) ? 'goose'
    : new RegExp(sqlMigrateMarker.source, 'm').test(text) ? 'sql-migrate' : text.includes(ternSeparator) ? 'tern' : undefined;
}

/** How each tool of markerTool runs a migration outside a transaction (outsideTransactionHow). */
const markerToolOutside: Readonly<Record<NonNullable<ReturnType<typeof markerTool>>, string>> = {
  dbmate: 'a migration of its own whose marker says -- migrate:up transaction:false (dbmate)',
  goose: 'a migration of its own with -- +goose NO TRANSACTION (goose)',
  'sql-migrate': 'a migration of its own whose marker says -- +migrate Up notransaction (sql-migrate)',
  tern: 'a migration of its own with ---- tern: disable-tx ---- (tern)',
};

/**
 * How the tool that runs the file runs a migration outside a transaction, in its own words, for a
 * help that asks for CONCURRENTLY (MG201, MG202): the fifteenth trial's dbmate user read "a file
 * your migration tool runs without one" and had to find `transaction:false` alone. Undefined
 * where the file does not tell the tool, or the tool has no such way.
 */
export function outsideTransactionHow(file: string, text: string): string | undefined {
  if (flyway.test(baseName(file)) || flywayRepeatable.test(baseName(file))) return 'a script of its own (Flyway runs a script whose every statement cannot run in a transaction outside one, or one whose .sql.conf says executeInTransaction=false)';
  if (isGraphileMigration(file, text)) return 'a migration of its own that starts with --! no-transaction (Graphile Migrate)';
  if (text.includes(postgresMigrationsNoTransaction)) return `a file of its own with ${postgresMigrationsNoTransaction} (postgres-migrations)`;
  if (dieselMetadataPath(file)) return 'a migration of its own whose metadata.toml says run_in_transaction = false (diesel)';
  if (text.includes('-- atlas:')) return 'a file of its own whose header says -- atlas:txmode none (Atlas)';
  const tool = markerTool(text);
  return tool ? markerToolOutside[tool] : undefined;
}

/** A part of a file as its migration tool runs it: the up part, or the down part after a marker. */
export interface FileSection {
  readonly start: number;
  readonly end: number;
  /**
   * The stretches of the file the part is, when it is more than one (sql-migrate's Up parts with
   * a Down part between them: one migration); start and end then span them all.
   */
  readonly ranges?: readonly { readonly start: number; readonly end: number }[];
  readonly rollback: boolean;
  /** The tool runs this part outside a transaction whatever --file-transaction says. */
  readonly noTransaction: boolean;
  /**
   * Outside a transaction, the tool sends the part to the server as one query string (dbmate runs
   * it with one Exec), which PostgreSQL runs as one implicit transaction when it holds several
   * statements; goose and Flyway send statement by statement.
   */
  readonly oneQueryString: boolean;
  /** The tool runs this part in a transaction of its own whatever --file-transaction says (a Liquibase changeset). */
  readonly toolTransaction?: boolean;
  /**
   * How the tool sends the part's statements inside its transaction, when its markers tell the
   * tool (goose and sql-migrate: each statement on its own; dbmate: the part as one query string):
   * what a COMMIT in the part leaves open after it (see FileAnalysisOptions.toolSends).
   */
  readonly sends?: ToolSends;
  /** This part is a migration of its own (a Liquibase changeset): what earlier parts created is no longer new. */
  readonly newMigration?: boolean;
  /** Its statements are in the rollback view of the file (LiquibaseFile.rollback), not in its SQL. */
  readonly inRollbackView?: boolean;
}

/**
 * node-pg-migrate's SQL migrations: `-- Up Migration` and `-- Down Migration` (its
 * createMigrationCommentRegex: `^\s*--[\s-]*up\s+migration`, case-insensitive, at the start of
 * any line; `\s` may take in the blank lines before it, where node-pg-migrate starts the part).
 */
function nodePgMigrateMarker(direction: 'up' | 'down'): RegExp {
  return new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
}

/**
 * Where a tool ends a statement whatever its text: at the start of each part of a file after the
 * first (its marker line: goose's `-- +goose Down`, dbmate's `-- migrate:down`, ...), which the
 * tool runs apart, and at goose's and sql-migrate's `-- +goose StatementEnd` (`-- +migrate
 * StatementEnd`), which ends the statement it sends, semicolon or not, and at Drizzle's `-->
 * statement-breakpoint`, which ends the chunk it sends. Offsets of the marker comments, each at
 * the start of its line (Drizzle's wherever it stands).
 */
export function statementBreaks(text: string, sections: readonly { readonly start: number }[]): number[] {
  const breaks = new Set<number>();
  for (const { start } of sections) {
    if (start === 0) continue;
    // node-pg-migrate's part may start at the blank lines before its marker.
    let at = start;
    while (at < text.length && (text[at] === '\n' || text[at] === '\r' || text[at] === ' ' || text[at] === '\t')) at++;
    if (text.startsWith('--', at)) breaks.add(at);
  }
  if (/\+(?:goose|migrate)\s+StatementEnd/i.test(text)) for (const m of text.matchAll(statementEnd)) breaks.add(m.index!);
  // Drizzle cuts a file at every `--> statement-breakpoint`, wherever it stands (String.split).
  for (let at = text.indexOf(drizzleBreakpoint); at >= 0; at = text.indexOf(drizzleBreakpoint, at + drizzleBreakpoint.length)) breaks.add(at);
  return [...breaks].sort((a, b) => a - b);
}
const statementEnd = /^--\s*\+(?:goose|migrate)\s+StatementEnd\b/gim;
/** Where Drizzle cuts a file into the chunks it sends one by one, wherever it stands in the text. */
const drizzleBreakpoint = '--> statement-breakpoint';

/** dbmate: `-- migrate:up transaction:false` and `-- migrate:down`, on lines of their own. */
const dbmateMarker = /^--\s*migrate:(up|down)\b([^\n]*)$/gm;

/**
 * Why dbmate refuses a file of its markers before it runs any of it (its migration.go, since 2022:
 * ErrParseMissingDown, ErrParseUnexpectedStmt, ErrParseMultipleDown, ErrParseMissingUp), with the
 * offset to point at; undefined when it takes the file, or when the file has no marker of dbmate's.
 * A file may hold several up blocks, each with its own down (dbmate 2.21 and later).
 */
export function dbmateRefusal(text: string): { readonly offset: number; readonly reason: string } | undefined {
  if (!text.includes('migrate:')) return undefined;
  const markers = [...text.matchAll(dbmateMarker)].map((m) => ({ kind: m[1]!, at: m.index! }));
  if (markers.length === 0) return undefined;
  const ups = markers.filter((m) => m.kind === 'up');
  if (ups.length === 0) return { offset: markers[0]!.at, reason: "it requires each migration to define an up block with '-- migrate:up'" };
  // dbmate's statementsPrecedeMigrateBlocks: a line before the first up that is neither blank nor a comment.
  const before = text.slice(0, ups[0]!.at).split('\n');
  let offset = 0;
  for (const line of before) {
    if (line.trim() !== '' && !/^\s*--/.test(line)) return { offset, reason: "it does not support statements preceding the '-- migrate:up' block" };
    offset += line.length + 1;
  }
  for (const [i, up] of ups.entries()) {
    const end = ups[i + 1]?.at ?? text.length;
    const downs = markers.filter((m) => m.kind === 'down' && m.at > up.at && m.at < end);
    if (downs.length === 0) return { offset: up.at, reason: "it requires each migration to define a down block with '-- migrate:down'" };
    if (downs.length > 1) return { offset: downs[1]!.at, reason: "it requires every '-- migrate:down' to be preceded by a '-- migrate:up'" };
  }
  return undefined;
}
/** goose: `-- +goose Up`, `-- +goose Down`, `-- +goose NO TRANSACTION` (case-insensitive, no leading spaces). */
const gooseDown = /^--\s*\+goose\s+down\b/im;
const gooseNoTransaction = /^--\s*\+goose\s+no\s+transaction\b/im;
/**
 * postgres-migrations (ThomWright's npm package): a file that holds this text anywhere is sent as
 * one query string outside a transaction; the others as one query string inside START
 * TRANSACTION ... COMMIT.
 */
const postgresMigrationsNoTransaction = '-- postgres-migrations disable-transaction';
/** sqlx: a file whose very first bytes are `-- no-transaction` runs outside a transaction (sqlx tests `starts_with`). */
const sqlxNoTransaction = '-- no-transaction';
/**
 * sql-migrate: `-- +migrate Up` and `-- +migrate Down`, optionally with `notransaction`, at the
 * very start of their line and spelled so. sql-migrate tests the prefix `-- +migrate ` and splits
 * the rest into words: `Down;` is no command (the lines after it stay in the part before).
 */
const sqlMigrateMarker = /^-- \+migrate[ \t]+(Up|Down)(?=[ \t\r]|$)([^\n]*)$/gm;
/** tern: the up is above this text, the down below it (tern splits at its first occurrence). */
const ternSeparator = '---- create above / drop below ----';
/** tern runs a part (the up or the down) that has this line outside a transaction, statement by statement. */
const ternDisableTx = /^---- tern: disable-tx ----$/m;
/**
 * yoyo: `-- transactional: false` among the comment and blank lines that open a migration runs
 * it, and its rollback, outside a transaction, statement by statement.
 */
const yoyoNoTransaction = /^\s*--\s*transactional\s*:\s*false\s*$/i;
/**
 * Atlas: `-- atlas:txmode none` among the comments at the head of a file runs it outside a
 * transaction, statement by statement (atlas migrate apply's default --tx-mode file wraps each
 * other file in one): chainloop's CONCURRENTLY files (the thirty-first trial's A).
 */
const atlasTxModeNone = /^--\s*atlas:txmode\s+none\b/i;
/**
 * Graphile Migrate: `--! no-transaction` as the first line of the body (after the `--! Previous:`,
 * `--! Hash:` headers and the blank line that ends them) runs the migration outside a
 * transaction, sent as one query string (its README: "must contain exactly one statement").
 */
const graphileNoTransaction = /^--!\s*no-transaction\b/;
const graphileHeader = /^--! [A-Z][a-zA-Z0-9_]*(?::.*)?$/;

/**
 * The parts of a file: dbmate's, goose's, sql-migrate's and tern's files hold the up and the
 * down, after `-- migrate:down`, `-- +goose Down`, `-- +migrate Down` or tern's `---- create
 * above / drop below ----`; dbmate's `transaction:false` on a section's marker, goose's `-- +goose
 * NO TRANSACTION` (for both parts), sql-migrate's `notransaction` and tern's `---- tern:
 * disable-tx ----` run them outside a transaction; so does sqlx for a file that starts with `--
 * no-transaction`, sending it as one query string, as postgres-migrations does with a file that
 * holds `-- postgres-migrations disable-transaction` and Graphile Migrate with `--! no-transaction`
 * among a file's opening comments, and yoyo's `-- transactional: false` there (for a yoyo
 * `.rollback.sql`, `upText`, its migration's, says it), statement by statement. Other files are one
 * part (popx's `.autocommit.` files, Prisma's and Postgrator's migrations: see
 * isSentAsOneQueryString). Only comment lines are read: these markers are comments to PostgreSQL.
 */
export function fileSections(text: string, rollbackFile: boolean, upText?: string): FileSection[] {
  if (text.includes('migrate:')) {
    const markers = [...text.matchAll(dbmateMarker)];
    if (markers.length > 0) {
      const sections: FileSection[] = [];
      const options = (m: RegExpMatchArray) => /\btransaction\s*:\s*false\b/i.test(m[2]!);
      // dbmate runs a part with one Exec, in its transaction or not.
      if (markers[0]!.index! > 0) sections.push({ start: 0, end: markers[0]!.index!, rollback: rollbackFile, noTransaction: false, oneQueryString: true, sends: 'one-string' });
      for (const [i, m] of markers.entries()) {
        sections.push({ start: m.index!, end: markers[i + 1]?.index ?? text.length, rollback: rollbackFile || m[1] === 'down', noTransaction: options(m), oneQueryString: true, sends: 'one-string' });
      }
      return sections;
    }
  }
  if (/\+goose/i.test(text)) {
    const noTransaction = gooseNoTransaction.test(text);
    const down = gooseDown.exec(text)?.index;
    // goose runs each statement with its own ExecContext (runSQLMigration), in its transaction or not.
    if (down !== undefined) return [{ start: 0, end: down, rollback: rollbackFile, noTransaction, oneQueryString: false, sends: 'each-statement' }, { start: down, end: text.length, rollback: true, noTransaction, oneQueryString: false, sends: 'each-statement' }];
    return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction, oneQueryString: false, sends: 'each-statement' }];
  }
  if (text.includes('-- +migrate ')) {
    const markers = [...text.matchAll(sqlMigrateMarker)];
    if (markers.length > 0) {
      // sql-migrate skips what comes before the first marker; the option holds for its direction.
      const noTransaction = { Up: false, Down: false };
      for (const m of markers) if (m[2]!.trim().split(/\s+/).includes('notransaction')) noTransaction[m[1] as 'Up' | 'Down'] = true;
      // Every part of one direction is one migration: sql-migrate appends the statements of each
      // `-- +migrate Up` to one list (ParseMigration), and runs that list in one transaction on one
      // session (applyMigrations); so for Down. One section per direction, in the order the first
      // marker of each comes; a direction whose parts another direction's part separates is
      // several stretches of the file (ranges).
      const sections: FileSection[] = [];
      for (const direction of markers[0]![1] === 'Up' ? ['Up', 'Down'] as const : ['Down', 'Up'] as const) {
        const ranges: { start: number; end: number }[] = [];
        for (const [i, m] of markers.entries()) {
          if (m[1] !== direction) continue;
          const end = markers[i + 1]?.index ?? text.length;
          const last = ranges[ranges.length - 1];
          if (last && last.end === m.index) last.end = end;
          else ranges.push({ start: m.index!, end });
        }
        if (ranges.length === 0) continue;
        sections.push({
          start: ranges[0]!.start, end: ranges[ranges.length - 1]!.end, ...(ranges.length > 1 ? { ranges } : {}), rollback: rollbackFile || direction === 'Down',
          // sql-migrate runs each statement with its own Exec on the transaction (applyMigrations).
          noTransaction: noTransaction[direction], oneQueryString: false, sends: 'each-statement',
        });
      }
      return sections;
    }
  }
  if (/migration/i.test(text)) {
    const parts = nodePgMigrateParts(text, rollbackFile);
    if (parts) return parts;
  }
  const separator = text.indexOf(ternSeparator);
  if (separator >= 0) {
    // tern reads disable-tx in the part it runs (Migration.disableTx(direction)).
    return [
      { start: 0, end: separator, rollback: rollbackFile, noTransaction: ternDisableTx.test(text.slice(0, separator)), oneQueryString: false },
      { start: separator, end: text.length, rollback: true, noTransaction: ternDisableTx.test(text.slice(separator)), oneQueryString: false },
    ];
  }
  // postgres-migrations sends a file with this text anywhere in it as one query string, with no
  // transaction around it (runMigration: migration.sql.includes(...)).
  if (text.includes(postgresMigrationsNoTransaction)) return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: true, oneQueryString: true }];
  // sqlx runs such a file with one execute() on the connection: one query string.
  if (text.startsWith(sqlxNoTransaction)) return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: true, oneQueryString: true }];
  if (text.includes('atlas:txmode') && headerSays(text, atlasTxModeNone)) return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: true, oneQueryString: false }];
  // yoyo reads the directive in the migration only, for its .rollback.sql too (upText).
  if ((upText ?? text).includes('transactional') && headerSays(upText ?? text, yoyoNoTransaction)) return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: true, oneQueryString: false }];
  if (graphileNoTransaction.test(graphileBodyStart(text))) return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: true, oneQueryString: true }];
  return [{ start: 0, end: text.length, rollback: rollbackFile, noTransaction: false, oneQueryString: false }];
}

/**
 * node-pg-migrate's parts of a `.sql` migration (sqlMigration.ts getActions): the up from its
 * marker to the down's marker when that follows (else to the end), the down from its marker to the
 * up's when that follows (else to the end); text before the first marker is not run. Each part is
 * sent with one query (pgm.sql): one query string. SQL migrations have no way to run outside a
 * transaction (pgm.noTransaction() is for JavaScript ones). Undefined without an up marker: a
 * file with a down marker alone runs whole as its up (the down part included), as a file of no
 * marker is read, and a comment that happens to say "down migration" splits nothing.
 */
function nodePgMigrateParts(text: string, rollbackFile: boolean): FileSection[] | undefined {
  const up = text.search(nodePgMigrateMarker('up'));
  if (up < 0) return undefined;
  const down = text.search(nodePgMigrateMarker('down'));
  const part = (start: number, end: number, rollback: boolean): FileSection => ({ start, end, rollback: rollbackFile || rollback, noTransaction: false, oneQueryString: true, sends: 'one-string' });
  const sections = [part(up, down > up ? down : text.length, false)];
  if (down >= 0) sections.push(part(down, up > down ? up : text.length, true));
  return sections.sort((a, b) => a.start - b.start);
}

/** Does a line of the comments and blank lines that open the text match (as yoyo reads them)? */
function headerSays(text: string, directive: RegExp): boolean {
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const trimmed = text.slice(at, end < 0 ? text.length : end).trim();
    if (directive.test(trimmed)) return true;
    if (trimmed !== '' && !trimmed.startsWith('--')) return false;
    if (end < 0) break;
    at = end + 1;
  }
  return false;
}

/**
 * A Graphile Migrate migration: a committed one (`migrations/committed/000001.sql`, which opens
 * with its `--! Previous:` header), or the one being written (`migrations/current.sql`, or the
 * files of `migrations/current/`).
 */
export function isGraphileMigration(file: string, text: string): boolean {
  return text.startsWith('--! Previous:') || /(^|\/)committed\/\d+[^/]*\.sql$/.test(file) || /(^|\/)migrations\/current(\.sql$|\/)/.test(file);
}

/**
 * Graphile Migrate replaces `:NAME` placeholders (`:DATABASE_OWNER`, `:DATABASE_NAME`, and the
 * ones its settings list, capitals, digits and underscores) with their values before it sends the
 * SQL: read as names, not as psql variables that psql would leave in place.
 */
export function isGraphilePlaceholder(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}

/** The first line of a Graphile Migrate file's body: after its `--! Key: value` headers and the blank line after them. */
function graphileBodyStart(text: string): string {
  if (!text.startsWith('--!')) return '';
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  let i = 0;
  while (i < lines.length && graphileHeader.test(lines[i]!)) i++;
  if (i > 0 && lines[i] === '') i++;
  return lines[i] ?? '';
}

/** A change of a Sqitch plan (sqitch.plan), in the order `sqitch deploy` runs it. */
export interface SqitchChange {
  readonly name: string;
  /** Its line in sqitch.plan (offsets), for a finding about it. */
  readonly start: number;
  readonly end: number;
  /**
   * Its scripts' name, without folder or `.sql`: the change's name, or `name@tag` for a version
   * of a reworked change before its last (Sqitch keeps those as deploy/name@tag.sql).
   */
  readonly script: string;
}

/**
 * The changes of a Sqitch plan in order. A line is a pragma (`%syntax-version=1.0.0`), a comment
 * (`#`), a tag (`@v1.0 2024-05-13T17:21:58Z ...`) or a change (`name [dependencies] timestamp
 * planner <email> # note`, optionally after `+`). A change whose name comes again later in the
 * plan was reworked: its earlier versions' scripts are named after a tag between the two, the
 * first of them whose deploy script exists, as Sqitch looks them up. `-` lines (a revert in the
 * plan, from Sqitch's early days) are not followed.
 */
export function sqitchChanges(plan: string, hasDeployScript: (script: string) => boolean): SqitchChange[] {
  const lines: ({ kind: 'tag'; name: string } | { kind: 'change'; name: string; start: number; end: number })[] = [];
  let offset = 0;
  for (const raw of plan.split('\n')) {
    const start = offset;
    offset += raw.length + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('%') || line.startsWith('-')) continue;
    const word = line.replace(/^\+\s*/, '').split(/\s/, 1)[0]!;
    if (word.startsWith('@')) lines.push({ kind: 'tag', name: word.slice(1) });
    else lines.push({ kind: 'change', name: word, start, end: start + raw.replace(/\r$/, '').length });
  }
  const changes: SqitchChange[] = [];
  for (const [i, l] of lines.entries()) {
    if (l.kind !== 'change') continue;
    const next = lines.findIndex((m, j) => j > i && m.kind === 'change' && m.name === l.name);
    let script = l.name;
    if (next !== -1) {
      const tags = lines.slice(i + 1, next).filter((m) => m.kind === 'tag').map((m) => `${l.name}@${m.name}`);
      script = tags.find(hasDeployScript) ?? tags[0] ?? l.name;
    }
    changes.push({ name: l.name, start: l.start, end: l.end, script });
  }
  return changes;
}

/**
 * sqitch.conf's `[core]` settings that place a project: `top_dir` (where deploy/, revert/,
 * verify/ and sqitch.plan are), `plan_file`, `deploy_dir`, `revert_dir`, `verify_dir`. Paths as
 * written (relative to the folder of sqitch.conf). Git-config syntax: `[section]` and
 * `[section "sub"]` headers, `key = value`, `#` and `;` comments.
 */
export function sqitchCoreSettings(conf: string): Partial<Record<'top_dir' | 'plan_file' | 'deploy_dir' | 'revert_dir' | 'verify_dir', string>> {
  const settings: Partial<Record<'top_dir' | 'plan_file' | 'deploy_dir' | 'revert_dir' | 'verify_dir', string>> = {};
  let section = '';
  for (const raw of conf.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    const m = /^([A-Za-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (section !== 'core' || !m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'top_dir' || key === 'plan_file' || key === 'deploy_dir' || key === 'revert_dir' || key === 'verify_dir') settings[key] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return settings;
}

/**
 * A Liquibase "formatted SQL" changelog (its first line `--liquibase formatted sql`) as Liquibase
 * runs it on PostgreSQL: each `--changeset author:id` up to the next is a migration of its own,
 * in a transaction of its own unless it says `runInTransaction:false`, skipped when its `dbms:`
 * leaves PostgreSQL out. Its rollback is the SQL of its `--rollback` lines (or of a
 * `/* liquibase rollback ... *\/` block). Two views of the file, each as long as the file so that
 * every offset and line stays where it is: `forward`, the SQL Liquibase runs forward, where each
 * `--changeset` line reads as a semicolon (Liquibase ends a changeset's last statement there,
 * with or without one), and `rollback`, only the rollback SQL, the rest blanked. Text before
 * the first changeset is not run. Liquibase reads these markers line by line, and so does this.
 */
export interface LiquibaseFile {
  readonly forward: string;
  readonly rollback: string;
  readonly sections: readonly FileSection[];
}

const liquibaseHeader = /^\uFEFF?\s*--\s*liquibase\s+formatted\s+sql\b/i;
const changesetLine = /^--\s*changeset\s+\S+(.*)$/i;
const rollbackLine = /^--\s*rollback\b/i;
const rollbackBlock = /^\/\*\s*liquibase\s+rollback\b/i;

export function liquibaseChangelog(text: string): LiquibaseFile | undefined {
  if (!liquibaseHeader.test(text)) return undefined;
  const forward: string[] = [];
  const rollback: string[] = [];
  const sections: FileSection[] = [];
  const blank = (line: string) => ' '.repeat(line.length);
  let current: { start: number; runs: boolean; transaction: boolean; hasRollback: boolean } | undefined;
  const close = (end: number) => {
    if (!current?.runs) return;
    const common = { start: current.start, end, noTransaction: !current.transaction, oneQueryString: false, toolTransaction: current.transaction };
    sections.push({ ...common, rollback: false, newMigration: true });
    if (current.hasRollback) sections.push({ ...common, rollback: true, inRollbackView: true });
  };
  let offset = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const start = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, '');
    const cr = raw.length > line.length ? '\r' : '';
    const changeset = changesetLine.exec(line);
    if (changeset && !inBlock) {
      close(start);
      const attributes = new Map([...changeset[1]!.matchAll(/(\w+):(\S+)/g)].map((m) => [m[1]!.toLowerCase(), m[2]!.toLowerCase()]));
      current = { start, runs: runsOnPostgres(attributes.get('dbms')), transaction: attributes.get('runintransaction') !== 'false', hasRollback: false };
      const semicolon = `;${blank(line).slice(1)}${cr}`;
      forward.push(semicolon);
      rollback.push(semicolon);
      continue;
    }
    // Text before the first changeset, and a changeset that does not run on PostgreSQL, are
    // blanked in both views: nothing there runs (and another database's SQL is no error here).
    if (!current?.runs) {
      forward.push(blank(line) + cr);
      rollback.push(blank(line) + cr);
      continue;
    }
    if (!inBlock && rollbackBlock.test(line)) {
      inBlock = true;
      forward.push(raw);
      rollback.push(blank(line) + cr);
      continue;
    }
    if (inBlock) {
      const end = line.indexOf('*/');
      const sql = end === -1 ? line : line.slice(0, end);
      forward.push(raw);
      rollback.push(sql + blank(line.slice(sql.length)) + cr);
      current.hasRollback ||= sql.trim() !== '';
      inBlock = end === -1;
      continue;
    }
    const back = rollbackLine.exec(line);
    if (back) {
      const rest = line.slice(back[0].length);
      // "--rollback not required" and "--rollback empty" say there is nothing to run.
      const sql = /^\s*(not\s+required|empty)\s*$/i.test(rest) ? '' : rest;
      forward.push(raw);
      rollback.push(blank(line.slice(0, line.length - sql.length)) + sql + cr);
      current.hasRollback ||= sql.trim() !== '';
      continue;
    }
    forward.push(raw);
    rollback.push(blank(line) + cr);
  }
  close(text.length);
  return { forward: forward.join('\n'), rollback: rollback.join('\n'), sections };
}

/** A changeset's `dbms:` (`postgresql`, `!oracle`, `h2,postgresql`, `all`, `none`): does it run on PostgreSQL? */
function runsOnPostgres(dbms: string | undefined): boolean {
  if (dbms === undefined) return true;
  const names = dbms.split(',').map((d) => d.trim());
  if (names.includes('!postgresql') || names.includes('none')) return false;
  const positive = names.filter((n) => !n.startsWith('!'));
  return positive.length === 0 || positive.includes('postgresql') || positive.includes('all');
}
