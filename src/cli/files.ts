import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { besideFolderMigrations, databaseSuffix, flywayCallbackEvent, flywayCallbacksLeftOut, isRollbackFile, leftOutOnPostgres, migrationOrder, notFlywayNamed, orderedByName, orphanUndos, pairedUnderscoreDowns, rollbackLookingFolders, sqitchChanges, sqitchCoreSettings, versionTies } from '../lint-files.js';
import { upgradeStepChains } from '../upgrade-steps.js';
import { shellWord } from '../util/shell.js';

export class UsageError extends Error {}

/** The version of a Flyway script's name as written: `V1746546438__x.sql` is 1746546438. */
function flywayVersion(file: string): string {
  return /^[VU](\d+(?:[._]\d+)*)/.exec(posix.basename(file))?.[1] ?? '';
}

const planExtension = /\.ya?ml$/;


/**
 * Plan files named on the command line: files as given, folders searched for *.yaml / *.yml.
 * Sorted. A .sql file named here is a mix-up with migc lint, said as such: read as a plan it
 * was "the plan must be a mapping", with the schema's description as its help.
 */
export async function findPlanFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  return (await findFiles(paths, cwd, planExtension, (path) => (/\.sql$/i.test(path)
    ? `${path} is a SQL file, not a plan: plans are YAML (*.yaml, *.yml); migc lint ${path} checks SQL migration files`
    : undefined))).files;
}

/** The SQL migrations of the paths given to migc lint, as their tools run them. */
export interface Migrations {
  /** The .sql files to lint, in the order their tools run them, each rollback after its up. */
  readonly files: readonly string[];
  /** Files their layout makes rollbacks though their names alone do not: a Sqitch project's revert/ scripts, a `_down.sql` beside its `_up.sql`. */
  readonly rollbacks: ReadonlySet<string>;
  /**
   * Files the user's rollback patterns name (MigrationOptions.rollbacks) that are not rollbacks
   * already (by name, or a Sqitch project's layout): each follows the ups of its version.
   */
  readonly declaredRollbacks: ReadonlySet<string>;
  /** The rollback patterns that name none of the files. */
  readonly unmatchedRollbackPatterns: readonly string[];
  /** What the layout says about files it leaves out or cannot find (MG024). */
  readonly diagnostics: readonly Diagnostic[];
  /** The texts those diagnostics point into (sqitch.plan). */
  readonly sources: ReadonlyMap<string, string>;
  /** The files a Drizzle journal lists (src/lint-drizzle.ts): Drizzle's migrator runs them. */
  readonly drizzle?: ReadonlySet<string>;
  /**
   * The folders whose every file is linted in name order, a guess (orderedByName): the whole
   * folder's order may be wrong, which the CLI says on stderr (the thirty-seventh trial's D).
   */
  readonly guessedFolders: readonly { readonly folder: string; readonly files: number }[];
}

/** How to read the files found. */
export interface MigrationOptions {
  /**
   * Globs over the paths as migc prints them (--rollbacks, the config's `rollbacks`;
   * src/rollback-patterns.ts): the files they name are rollbacks, each paired with the up of its
   * version (migrationOrder). Without any, a folder whose name says rollbacks gets a note that names the flag.
   */
  readonly rollbacks?: readonly string[];
}

/**
 * SQL migration files: files as given, folders searched for *.sql. A plan named here is said to
 * be one. Files are in migration order (migrationOrder), except a Sqitch project's: a folder with
 * sqitch.plan beside deploy/ (or a sqitch.conf whose [core] places them) runs the deploy scripts
 * in the plan's order, each change's revert script after it as its rollback; its verify scripts
 * and the scripts the plan does not name are not migrations, and are left out with a note. Other
 * files follow a project's, in migration order. What the tools do not run on PostgreSQL is left
 * out with a note too: popx's and zdb's files for other databases and the generic ones a `.postgres.` file
 * replaces, and the files of a temporal-sql-tool version folder its manifest.json does not list
 * (the listed ones in the manifest's order).
 */
export async function findMigrations(paths: readonly string[], cwd: string, options: MigrationOptions = {}): Promise<Migrations> {
  const found = await findFiles(paths, cwd, /\.sql(?:\.[a-z0-9]+)?$/i, (path) => (/\.ya?ml$/i.test(path)
    ? `${path} is a YAML file, not SQL: migc lint checks .sql migration files; migc check ${path} checks a plan`
    : undefined), layoutFiles);
  const { layout } = found;
  // After .sql, a database's name: PostgreSQL's are read (Synapse's x.sql.postgres), the others'
  // left out with a note; any other ending (x.sql.bak) is not a SQL file.
  const suffixed = forOtherDatabases(found.files, paths, cwd);
  // The files named on the command line are read whatever their names say.
  const given = suffixed.given;
  const sqlFiles = found.files.filter((f) => /\.sql$/i.test(f) || databaseSuffix(f) === 'postgres' || suffixed.given.has(f));
  const inputs = found.yaml.length ? await planInputs(found.yaml, cwd) : new Set<string>();
  const planFiles = sqlFiles.filter((f) => !inputs.has(f));
  const leftOut = sqlFiles.length - planFiles.length;
  if (leftOut > 0 && planFiles.length === 0) {
    throw new UsageError(`no SQL migrations in ${paths.join(', ')}: its ${leftOut} .sql file${leftOut === 1 ? ' is' : 's are'} named by the migc plans there (a baseline, fixtures, app queries); migc check ${paths.join(' ')} checks the plans`);
  }
  if (sqlFiles.length === 0 && found.templates.length > 0) {
    const n = found.templates.length;
    throw new UsageError(`no SQL migrations in ${paths.join(', ')}: ${n === 1 ? 'its migration is a template' : `its ${n} migrations are templates`} (${posix.basename(found.templates[0]!)}${n > 1 ? ', ...' : ''}) that the migration tool fills in before it runs ${n === 1 ? 'it' : 'them'}; render ${n === 1 ? 'it' : 'them'} with the values your deployment uses, and lint the rendered cop${n === 1 ? 'y' : 'ies'}`);
  }
  const inputsNote: Diagnostic[] = leftOut ? [{
    code: 'MG024', severity: 'info', file: found.files.find((f) => inputs.has(f))!,
    message: `left out ${leftOut} .sql file${leftOut === 1 ? '' : 's'} that migc plans beside ${leftOut === 1 ? 'it' : 'them'} name (a baseline, fixtures, an app version's queries): a plan's inputs, not migrations`,
    help: 'Nothing to do: migc check reads them with the plan that names them.',
  }] : [];
  // What the tools do not run: popx's and zdb's files for other databases, or replaced by PostgreSQL's;
  // the files temporal-sql-tool's manifests do not list (in the manifests' order, those they do).
  const loose = new Set(besideFolderMigrations(planFiles));
  const looseNotes: Diagnostic[] = [...loose].map((file) => ({
    code: 'MG024', severity: 'info', file,
    message: `left out ${posix.basename(file)}: beside the migration folders of ${posix.dirname(file) === '.' ? 'the current folder' : `${posix.dirname(file)}/`} (<version>_<name>/up.sql), it is not a migration: diesel runs those folders only`,
    help: `Nothing to do if another tool runs it (a seed): lint it on its own with migc lint ${file}. If it should be a migration, move it into a folder of its own as up.sql.`,
  }));
  const callbacks = flywayCallbackNotes(planFiles.filter((f) => !loose.has(f)), given);
  const perDatabase = otherDatabasesFiltered(planFiles.filter((f) => !loose.has(f) && !callbacks.leftOut.has(f)));
  const temporal = await drizzleJournals(layout, await temporalManifests(layout, perDatabase.files, cwd), cwd);
  const files = temporal.files;
  const patterns = options.rollbacks ?? [];
  const named = patterns.length > 0 ? (await import('../rollback-patterns.js')).filesMatching(files, patterns) : { matched: new Set<string>(), unmatched: [] };
  const projects = await sqitchProjects(paths, layout, cwd);
  // A file its name (or its _up.sql beside it) makes a rollback stays as it is: paired by name.
  const underscoreDowns = pairedUnderscoreDowns(files);
  const declared = new Set([...named.matched].filter((f) => !isRollbackFile(f) && !underscoreDowns.has(f)));
  const order = (some: readonly string[]) => inManifestOrder(migrationOrder(some, declared), temporal.lists);
  const guessedFolders: { folder: string; files: number }[] = [];
  const guesses = (ordered: readonly string[]) => {
    const guessable = ordered.filter((f) => !temporal.lists.has(posix.dirname(f)) && !declared.has(f));
    guessedFolders.push(...wholeFoldersGuessed(ordered, guessable));
    return [...orderGuesses(guessable), ...stepChainNotes(guessable)];
  };
  // An undo whose V is missing never runs as named (a version mistyped): a warning.
  const orphans: Diagnostic[] = orphanUndos(files).map(({ file, nearest }) => ({
    code: 'MG024', severity: 'warning', file,
    message: `${posix.basename(file)} undoes no versioned script: there is no V of its version, and Flyway runs an undo only after its V (flyway undo), so it never runs as named; migc lints it as a rollback where its V would stand`,
    help: nearest ? `If it undoes ${posix.basename(nearest)}, give it that version: U${flywayVersion(nearest)}__... (a typo in the version?).` : 'Give it the version of the V script it undoes.',
  }));
  const layoutNotes = [...inputsNote, ...suffixed.diagnostics, ...templateNotes(found.templates), ...looseNotes, ...callbacks.diagnostics, ...perDatabase.diagnostics, ...temporal.diagnostics, ...orphans];
  const hints = (all: readonly string[], rollbacks: ReadonlySet<string>) => (patterns.length > 0 ? [] : rollbackFolderHints(all, rollbacks));
  if (projects.length === 0) {
    const ordered = order(files);
    return { files: ordered, rollbacks: underscoreDowns, declaredRollbacks: declared, unmatchedRollbackPatterns: named.unmatched, diagnostics: [...layoutNotes, ...guesses(ordered), ...hints(ordered, underscoreDowns)], sources: temporal.sources, guessedFolders, ...drizzleOf(temporal) };
  }
  const inFolder = (file: string, folder: string) => file.startsWith(`${folder}/`);
  const taken = new Set<string>();
  const ordered: string[] = [];
  const rollbacks = new Set<string>();
  const diagnostics: Diagnostic[] = [...layoutNotes];
  const sources = new Map<string, string>(temporal.sources);
  for (const project of projects) {
    const plan = await readFile(resolve(cwd, project.plan), 'utf8').catch(() => undefined);
    if (plan === undefined) continue;
    const found = new Set(files.filter((f) => [project.deploy, project.revert, project.verify].some((d) => inFolder(f, d))));
    for (const f of found) taken.add(f);
    sources.set(project.plan, plan);
    const script = (folder: string, name: string) => toPosix(join(folder, `${name}.sql`));
    // What deploy/ holds on disk, whether or not the paths given take it in: a reworked change's
    // earlier version is named after the first tag whose deploy script exists, as Sqitch finds it.
    const deployScripts = new Set((await readdir(resolve(cwd, project.deploy), { recursive: true })).map((p) => toPosix(join(project.deploy, p))));
    const changes = sqitchChanges(plan, (name) => deployScripts.has(script(project.deploy, name)));
    const named = new Set<string>();
    for (const change of changes) {
      const deploy = script(project.deploy, change.script);
      const revert = script(project.revert, change.script);
      named.add(deploy).add(revert).add(script(project.verify, change.script));
      if (found.has(deploy)) ordered.push(deploy);
      else if (!deployScripts.has(deploy)) {
        diagnostics.push({ code: 'MG024', severity: 'error', file: project.plan, span: { start: change.start, end: change.end }, message: `change ${change.name} has no deploy script ${deploy}: sqitch deploy stops there`, help: `Write ${deploy}, or remove the change from ${project.plan} (sqitch rework or sqitch add keeps them in step).` });
      }
      if (found.has(revert)) {
        ordered.push(revert);
        rollbacks.add(revert);
      }
    }
    const verify = [...found].filter((f) => inFolder(f, project.verify) && !inFolder(f, project.deploy) && !inFolder(f, project.revert));
    if (verify.length > 0) {
      diagnostics.push({ code: 'MG024', severity: 'info', file: project.plan, message: `left out ${verify.length} verify script${verify.length === 1 ? '' : 's'} (${project.verify}/): Sqitch runs them to check a deployed change, not as migrations`, help: 'Nothing to do: a verify script should only read (SELECT ... WHERE false), and is rolled back.' });
    }
    for (const f of [...found].sort()) {
      if (named.has(f) || verify.includes(f)) continue;
      diagnostics.push({ code: 'MG024', severity: 'warning', file: f, message: `${f} is not a script of a change in ${project.plan}: sqitch never runs it, so migc lint leaves it out`, help: `Add the change to ${project.plan} (sqitch add), or delete the file if it is left over from a renamed change.` });
    }
  }
  // A Sqitch project's scripts are what its plan says they are, whatever a pattern names.
  for (const f of taken) declared.delete(f);
  // Other files beside the project (its tests, app queries, a schema dump) are none of its
  // migrations: sqitch never runs them. Left out with a note, unless named on the command line
  // (then read after the project's changes).
  const outside = files.filter((f) => !taken.has(f));
  const notRun = outside.filter((f) => !given.has(f)).sort();
  if (notRun.length > 0) {
    const listed = notRun.length > 4 ? `${notRun.slice(0, 3).join(', ')} and ${notRun.length - 3} more` : notRun.join(', ');
    const one = notRun.length === 1;
    diagnostics.push({
      code: 'MG024', severity: 'info', file: notRun[0]!,
      message: `left out ${notRun.length} .sql file${one ? '' : 's'} outside the deploy, revert and verify folders of ${projects.length === 1 ? `the Sqitch project ${projects[0]!.plan}` : 'the Sqitch projects'} (${listed}): sqitch never runs ${one ? 'it' : 'them'} (tests, queries, a schema dump)`,
      help: `Nothing to do if ${one ? 'it is' : 'they are'} no migration. Lint one on its own with migc lint ${shellWord(notRun[0]!)}; named on the command line beside the project, a file is read after the project's changes.`,
    });
  }
  const others = order(outside.filter((f) => given.has(f)));
  for (const down of pairedUnderscoreDowns(others)) rollbacks.add(down);
  diagnostics.push(...guesses(others), ...hints([...ordered, ...others], rollbacks));
  return { files: [...ordered, ...others], rollbacks, declaredRollbacks: declared, unmatchedRollbackPatterns: named.unmatched, diagnostics, sources, guessedFolders, ...drizzleOf(temporal) };
}

function drizzleOf(layout: ListedLayout): { drizzle?: ReadonlySet<string> } {
  return layout.drizzle && layout.drizzle.size > 0 ? { drizzle: layout.drizzle } : {};
}

/**
 * A note (MG024) for each folder whose name says its files are rollbacks (rollback_dbs/, down/,
 * undo/: rollbackLookingFolders) when no pattern declared any: migc knows rollbacks by the names
 * of the tools it knows, and reads these as forward migrations, so a down that drops what its up
 * made is MG214. The note names the flag, with the folder's pattern.
 */
function rollbackFolderHints(files: readonly string[], rollbacks: ReadonlySet<string>): Diagnostic[] {
  return rollbackLookingFolders(files, (f) => isRollbackFile(f) || rollbacks.has(f)).map(({ folder, files: some }) => {
    const pattern = `${folder.replace(/[*?[\]{}()!+@\\]/g, '\\$&')}/**`;
    return {
      code: 'MG024', severity: 'info', file: some[0]!,
      message: some.length === 1
        ? `linted the file of ${folder}/ as a forward migration: the folder's name says it undoes another, but migc knows rollbacks only by the names of the tools it knows (x.down.sql, U<version>__x.sql, ...)`
        : `linted the ${some.length} files of ${folder}/ as forward migrations: the folder's name says they undo others, but migc knows rollbacks only by the names of the tools it knows (x.down.sql, U<version>__x.sql, ...)`,
      help: `If ${some.length === 1 ? 'it is a rollback' : 'they are rollbacks'}, say so: --rollbacks ${shellWord(pattern)} (or "rollbacks": [${JSON.stringify(pattern)}] in migc.config.json). Each is then judged right after the up of its version, against the schema that up left, and may drop what it made.`,
    };
  });
}

/**
 * A note (MG024) for each folder whose files carry no version, ordered by name among themselves:
 * no tool migc knows says their order (a master changelog is not read; a folder with
 * temporal-sql-tool's manifest.json is left out by the caller), so the user is told it was guessed.
 */
function orderGuesses(ordered: readonly string[]): Diagnostic[] {
  return [...versionTieNotes(ordered), ...orderedByName(ordered).map(({ folder, files }): Diagnostic => {
    const names = files.map((f) => f.slice(folder.length === 0 ? 0 : folder.length + 1));
    const listed = names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    return {
      code: 'MG024', severity: 'info', file: files[0]!,
      message: `linted ${files.length} files of ${folder === '' ? 'the current folder' : `${folder}/`} in name order (${listed}): their names carry no version, so the order is a guess`,
      help: 'Nothing to do if your tool runs them in name order. If it runs them in another (a manifest, a master changelog), give them versions (001_x.sql, 002_y.sql): migc orders by the names alone.',
    };
  })];
}

/** The folders of `ordered` all of whose files `guessable` holds and orderedByName orders by name. */
function wholeFoldersGuessed(ordered: readonly string[], guessable: readonly string[]): { folder: string; files: number }[] {
  const inFolder = (folder: string) => ordered.filter((f) => posix.dirname(f) === (folder === '' ? '.' : folder)).length;
  return orderedByName(guessable).filter(({ folder, files }) => files.length === inFolder(folder)).map(({ folder, files }) => ({ folder, files: files.length }));
}

/**
 * A note (MG024) for each chain of upgrade steps (Activiti's `<prefix>.<from>.to.<to>.<component>.sql`:
 * upgradeStepChains) that breaks: the steps are linted as the chain goes, and where no step leads
 * from one version to the next, the order is a guess. A chain that never breaks is the runner's
 * order, and is not told.
 */
function stepChainNotes(ordered: readonly string[]): Diagnostic[] {
  return upgradeStepChains(ordered).filter((c) => c.breaks.length > 0).map(({ folder, prefix, files, breaks }): Diagnostic => {
    const versions = (f: string) => f.slice(f.lastIndexOf('/') + 1 + prefix.length + 1).replace(/\.sql$/, '');
    const gaps = breaks.map((b) => `${versions(b.before)} then ${versions(b.after)}`);
    const listed = gaps.length > 3 ? `${gaps.slice(0, 3).join('; ')}; and ${gaps.length - 3} more` : gaps.join('; ');
    return {
      code: 'MG024', severity: 'info', file: files[0]!,
      message: `linted ${files.length} files of ${folder === '' ? 'the current folder' : `${folder}/`} named ${prefix}.<from>.to.<to>.<component>.sql as the runner takes them, not in name order: each component whole (engine, history, identity first, as Activiti's runner upgrades them), each step after the one whose <to> is its <from>; at ${breaks.length} place${breaks.length === 1 ? '' : 's'} no step leads on (${listed}), and the order there is a guess: the lowest <from> next, its digits read as a version without dots (52 before 514)`,
      help: 'Check those places against your runner\'s version list. To impose another order, lint copies renamed to sort in it (<nn>_<name>.sql), as the README\'s Order says.',
    };
  });
}

/**
 * One note (MG024) for the migrations that share versions (versionTies), however many folders
 * hold them: each tie is run in name order, which may not be the order the project's runner
 * takes (Synapse's runner takes name order; a script that lists MusicBrainz's dated files does not).
 */
function versionTieNotes(ordered: readonly string[]): Diagnostic[] {
  const folders = versionTies(ordered);
  if (folders.length === 0) return [];
  const ties = folders.flatMap((f) => f.ties.map((t) => ({ ...t, folder: f.folder })));
  const count = ties.reduce((n, t) => n + t.files.length, 0);
  const first = ties[0]!;
  const names = first.files.map((f) => f.slice(first.folder.length === 0 ? 0 : first.folder.length + 1)).join(', ');
  const where = folders.length === 1 ? (first.folder === '' ? 'the current folder' : `${first.folder}/`) : `${folders.length} folders`;
  return [{
    code: 'MG024', severity: 'info', file: first.files[0]!,
    message: `${count} files of ${where} share ${ties.length === 1 ? 'a version' : `${ties.length} versions`} with another (${first.version} in ${first.folder === '' ? 'the current folder' : `${first.folder}/`}: ${names}${ties.length > 1 ? `; and ${ties.length - 1} more` : ''}): each tie is linted in name order, so their order is a guess`,
    help: 'Nothing to do if your runner takes them in name order (golang-migrate, goose and sqlx refuse two migrations of one version). A script of your own that lists them in another order runs them so: a finding that depends on which of them ran first (a table one creates and the other uses) may then be wrong; read those with the order in mind.',
  }];
}

/**
 * Flyway's SQL callbacks (`beforeMigrate.sql`, `afterMigrate__grants.sql`): those migrate runs
 * around the migrations are linted where it runs them (migrationOrder), once, with a note that they
 * run on every migrate; the others (beforeEachMigrateStatement, afterMigrateError, beforeClean,
 * ...) are left out with a note, unless named on the command line (`given`); so are the files
 * beside Flyway's scripts that Flyway does not run, named none of its ways (notFlywayNamed).
 */
function flywayCallbackNotes(files: readonly string[], given: ReadonlySet<string>): { leftOut: Set<string>; diagnostics: Diagnostic[] } {
  const leftOut = new Set(flywayCallbacksLeftOut(files).filter((f) => !given.has(f)));
  // Beside Flyway's scripts, a file named none of its ways is not a migration: Flyway skips it.
  const unnamed = notFlywayNamed(files).filter((f) => !given.has(f)).sort();
  const linted = files.filter((f) => flywayCallbackEvent(f) !== undefined && !leftOut.has(f));
  const names = (some: readonly string[], paths = false) => {
    const base = some.map((f) => (paths ? f : posix.basename(f))).sort();
    return base.length > 4 ? `${base.slice(0, 3).join(', ')} and ${base.length - 3} more` : base.join(', ');
  };
  const diagnostics: Diagnostic[] = [];
  if (linted.length > 0) {
    diagnostics.push({
      code: 'MG024', severity: 'info', file: linted.sort()[0]!,
      message: `linted ${linted.length} Flyway callback${linted.length === 1 ? '' : 's'} where migrate runs ${linted.length === 1 ? 'it' : 'them'} (${callbackPlaces(linted)}): Flyway runs ${linted.length === 1 ? 'it' : 'them'} at every migrate, also when no migration is pending`,
      help: 'Nothing to do. Write a callback to run again and again (CREATE OR REPLACE, IF NOT EXISTS, GRANT): it runs at every deploy, against the newest schema.',
    });
  }
  if (leftOut.size > 0) {
    const some = [...leftOut].sort();
    diagnostics.push({
      code: 'MG024', severity: 'info', file: some[0]!,
      message: `left out ${some.length} Flyway callback${some.length === 1 ? '' : 's'} (${names(some)}): Flyway runs ${some.length === 1 ? 'it' : 'them'} around each statement, on an error, or for another command, not in the migrations' order`,
      help: `Lint ${some.length === 1 ? 'it' : 'them'} on ${some.length === 1 ? 'its' : 'their'} own: migc lint ${some[0]}`,
    });
  }
  if (unnamed.length > 0) {
    const one = unnamed.length === 1;
    diagnostics.push({
      code: 'MG024', severity: 'info', file: unnamed[0]!,
      message: `left out ${unnamed.length} file${one ? '' : 's'} (${names(unnamed, true)}) that Flyway does not run: beside its scripts, ${one ? 'its name is' : 'their names are'} none of Flyway's (V<version>__x.sql, U<version>__x.sql, R__x.sql, a callback), and Flyway skips ${one ? 'it' : 'them'}`,
      help: `Nothing to do if another tool or a person runs ${one ? 'it' : 'them'}: lint ${one ? 'it' : 'them'} on ${one ? 'its' : 'their'} own with migc lint ${shellWord(unnamed[0]!)}. If ${one ? 'it is' : 'they are'} meant to be ${one ? 'a migration' : 'migrations'}, name ${one ? 'it' : 'each'} V<next version>__<description>.sql (with validateMigrationNaming=true Flyway refuses such names instead of skipping them).`,
    });
    for (const f of unnamed) leftOut.add(f);
  }
  return { leftOut, diagnostics };
}

/**
 * The files found that the command line names itself (not a folder that holds them), as paths
 * relative to cwd: a file named so is read whatever its name says.
 */
function namedOnCommandLine(files: readonly string[], paths: readonly string[], cwd: string): Set<string> {
  const named = new Set(paths.map((p) => toPosix(relative(cwd, resolve(cwd, p)))));
  return new Set(files.filter((f) => named.has(f)));
}

/** Where migrate runs the events of these callbacks, in its order: `beforeMigrate.sql before the migrations; ...`. */
function callbackPlaces(callbacks: readonly string[]): string {
  const places: readonly (readonly [string, string])[] = [
    ['beforeMigrate', 'before the migrations'], ['beforeEachMigrate', 'once before the migrations (Flyway runs it before each)'],
    ['afterEachMigrate', 'once after the versioned scripts (Flyway runs it after each)'], ['afterVersioned', 'after the versioned scripts'], ['beforeRepeatables', 'before the repeatable scripts'],
    ['afterMigrateApplied', 'after the migrations'], ['afterMigrate', 'last'],
  ];
  return places.flatMap(([event, place]) => {
    const files = callbacks.filter((f) => flywayCallbackEvent(f) === event).map((f) => posix.basename(f)).sort();
    const listed = files.length > 2 ? `${files[0]} and ${files.length - 1} more` : files.join(' and ');
    return files.length > 0 ? [`${listed} ${place}`] : [];
  }).join('; ');
}

/**
 * The files of the folders walked named for another database after their `.sql` (`x.sql.sqlite`):
 * left out, one note (MG024) per folder. A file named on the command line is read whatever its name (`given`).
 */
function forOtherDatabases(files: readonly string[], paths: readonly string[], cwd: string): { given: Set<string>; diagnostics: Diagnostic[] } {
  const given = namedOnCommandLine(files, paths, cwd);
  const byFolder = new Map<string, { files: string[]; databases: Set<string> }>();
  for (const file of files) {
    const database = databaseSuffix(file);
    if (database === undefined || database === 'postgres' || given.has(file)) continue;
    const folder = posix.dirname(file);
    const entry = byFolder.get(folder) ?? { files: [], databases: new Set<string>() };
    entry.files.push(file);
    entry.databases.add(file.slice(file.lastIndexOf('.')));
    byFolder.set(folder, entry);
  }
  const diagnostics: Diagnostic[] = [...byFolder].map(([folder, { files: some, databases }]) => ({
    code: 'MG024', severity: 'info', file: some[0]!,
    message: `left out ${some.length} file${some.length === 1 ? '' : 's'} of ${folder === '.' ? 'the current folder' : `${folder}/`} named for another database (${[...databases].sort().map((d) => `.sql${d}`).join(', ')}): migc lints .sql files, and .sql.postgres ones, which run on PostgreSQL`,
    help: 'Nothing to do: migc lints what runs on PostgreSQL.',
  }));
  return { given, diagnostics };
}

/** The files that place a Sqitch project: its plan and its config. */
const sqitchFiles: ReadonlySet<string> = new Set(['sqitch.plan', 'sqitch.conf']);
/**
 * drizzle-kit 1.0's migrations: a folder per migration, `<timestamp>_<name>/migration.sql` with
 * its `snapshot.json` beside it, and no journal (the twenty-second trial's latitude, named
 * Prisma's until then). Drizzle's migrator runs them in folder order, as migc does, each cut at its
 * `--> statement-breakpoint`s, all pending ones in one transaction: they are Drizzle's files.
 */
function drizzleFolders(layout: readonly string[], before: ListedLayout): ListedLayout {
  const snapshots = new Set(layout.filter((f) => posix.basename(f) === 'snapshot.json').map((f) => posix.dirname(f)));
  if (snapshots.size === 0) return before;
  const drizzle = new Set(before.files.filter((f) => posix.basename(f) === 'migration.sql' && snapshots.has(posix.dirname(f))));
  return drizzle.size === 0 ? before : { ...before, drizzle };
}

/** The files a layout is read from: Sqitch's, temporal-sql-tool's manifest.json, Drizzle's meta/_journal.json and snapshot.json. */
const layoutFiles: ReadonlySet<string> = new Set([...sqitchFiles, 'manifest.json', '_journal.json', 'snapshot.json']);

/**
 * The files the runners that pick per database run on PostgreSQL (leftOutOnPostgres: Ory popx,
 * zdb): the others are left out, each said in a note (MG024), so that nothing goes unlinted
 * without a word: a generic file replaced by the one for PostgreSQL, by name; the files for other
 * databases, one note per runner and folder.
 */
function otherDatabasesFiltered(files: readonly string[]): { files: string[]; diagnostics: Diagnostic[] } {
  const runners = leftOutOnPostgres(files);
  if (runners.length === 0) return { files: [...files], diagnostics: [] };
  const out = new Set(runners.flatMap((r) => r.left.map((l) => l.file)));
  const diagnostics: Diagnostic[] = [];
  const base = (f: string) => posix.basename(f);
  for (const { runner, left, mark, folder: folderOf } of runners) {
    for (const l of left) {
      if (l.kind !== 'replaced') continue;
      diagnostics.push({
        code: 'MG024', severity: 'info', file: l.file,
        message: `left out ${base(l.file)}: on PostgreSQL, ${runner} runs ${base(l.by)} instead (of the files of a version and direction, it runs the one named for the database, not the generic one)`,
        help: `Nothing to do: ${runner} runs the generic file on the databases that have no file of their own for this version.`,
      });
    }
    const byFolder = new Map<string, { files: string[]; dialects: Set<string> }>();
    for (const l of left) {
      if (l.kind !== 'dialect') continue;
      // One note per folder of migrations: of the folders of a migration each, their parent.
      const folder = folderOf ? folderOf(l.file) || '.' : posix.dirname(l.file);
      const entry = byFolder.get(folder) ?? { files: [], dialects: new Set<string>() };
      entry.files.push(l.file);
      entry.dialects.add(l.dialect);
      byFolder.set(folder, entry);
    }
    for (const [folder, { files: some, dialects }] of byFolder) {
      const names = [...dialects].sort().map(mark).join(', ');
      diagnostics.push({
        code: 'MG024', severity: 'info', file: some[0]!,
        message: `left out ${some.length} file${some.length === 1 ? '' : 's'} of ${folder === '.' ? 'the current folder' : `${folder}/`} named for other databases (${names}): ${runner} runs them on that database only`,
        help: 'Nothing to do: migc lints what runs on PostgreSQL.',
      });
    }
  }
  return { files: files.filter((f) => !out.has(f)), diagnostics };
}

/**
 * What temporal-sql-tool's manifests and Drizzle's journals say: the files to lint, each listing
 * folder's files in its order, and what to tell.
 */
interface ListedLayout {
  readonly files: readonly string[];
  /** Each version folder with a manifest, each folder with a Drizzle journal: its listed files, in order. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: Map<string, string>;
  /** The files a Drizzle journal lists. */
  readonly drizzle?: ReadonlySet<string>;
}

/**
 * temporal-sql-tool's version folders (`vX.Y/` holding a manifest.json, src/lint-temporal.ts): the
 * files each manifest lists are linted in its order, those it does not list are left out with a
 * note, a listed file that does not exist and a manifest temporal-sql-tool would refuse are errors
 * (MG024) at their place in the manifest. A folder whose manifest cannot be used keeps its files,
 * linted as before, in name order.
 */
async function temporalManifests(layout: readonly string[], files: readonly string[], cwd: string): Promise<ListedLayout> {
  const manifests = layout.filter((f) => posix.basename(f) === 'manifest.json');
  if (manifests.length === 0) return { files, lists: new Map(), diagnostics: [], sources: new Map() };
  const { temporalManifest, temporalVersionFolder } = await import('../lint-temporal.js');
  const lists = new Map<string, string[]>();
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const all = new Set(files);
  const added: string[] = [];
  for (const manifest of manifests) {
    const folder = posix.dirname(manifest);
    if (!temporalVersionFolder.test(posix.basename(folder))) continue;
    const text = await readFile(resolve(cwd, manifest), 'utf8').catch((e: NodeJS.ErrnoException) => e);
    const besideSql = files.some((f) => posix.dirname(f) === folder);
    if (typeof text !== 'string') {
      if (besideSql) diagnostics.push({ code: 'MG024', severity: 'error', file: manifest, message: `cannot read ${manifest} (${text.code ?? text.message}): temporal-sql-tool stops at version ${posix.basename(folder).slice(1)}; migc lints the folder's files in name order`, help: 'Check that the file is readable.' });
      continue;
    }
    // Another program's manifest.json (a web app's v2/): neither beside .sql files nor naming a list of them.
    if (!besideSql && !/schemaupdatecqlfiles/i.test(text)) continue;
    sources.set(manifest, text);
    const read = temporalManifest(manifest, posix.basename(folder), text);
    diagnostics.push(...read.problems);
    if (read.problems.length > 0) continue;
    const listed: string[] = [];
    for (const name of read.files) {
      const file = posix.normalize(posix.join(folder, name.name));
      if (listed.includes(file)) {
        diagnostics.push({ code: 'MG024', severity: 'warning', file: manifest, span: { start: name.start, end: name.end }, message: `SchemaUpdateCqlFiles lists ${name.name} twice: temporal-sql-tool runs it twice, migc lints it once`, help: 'List each file once, unless it is written to run again (IF NOT EXISTS).' });
        continue;
      }
      if (!all.has(file) && !(await stat(resolve(cwd, file)).catch(() => undefined))?.isFile()) {
        diagnostics.push({ code: 'MG024', severity: 'error', file: manifest, span: { start: name.start, end: name.end }, message: `SchemaUpdateCqlFiles lists ${name.name}, which is not in ${folder}/: temporal-sql-tool stops at version ${posix.basename(folder).slice(1)} ("error reading file")`, help: `Add ${name.name} to ${folder}/, or correct its name in the manifest.` });
        continue;
      }
      if (!all.has(file)) added.push(file);
      listed.push(file);
    }
    lists.set(folder, listed);
    const unlisted = files.filter((f) => posix.dirname(f) === folder && !listed.includes(f));
    if (unlisted.length > 0) {
      const names = unlisted.map((f) => posix.basename(f));
      const shown = names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
      diagnostics.push({
        code: 'MG024', severity: 'info', file: manifest,
        message: `left out ${unlisted.length} file${unlisted.length === 1 ? '' : 's'} of ${folder}/ that its manifest.json does not list (${shown}): temporal-sql-tool runs only the files of SchemaUpdateCqlFiles`,
        help: 'Nothing to do if they are kept for reference (a combined file that replaces them runs instead); if one should run, add it to SchemaUpdateCqlFiles.',
      });
    }
  }
  const leftOut = (f: string) => lists.has(posix.dirname(f)) && !lists.get(posix.dirname(f))!.includes(f);
  return { files: [...files.filter((f) => !leftOut(f)), ...added], lists, diagnostics, sources };
}

/**
 * Drizzle's migration folders (`<folder>/meta/_journal.json`, src/lint-drizzle.ts): the files the
 * journal's entries name are linted in its order, the folder's other files are left out with a
 * note; an entry whose file is missing, a journal Drizzle cannot read, and an entry Drizzle skips
 * on databases that applied an earlier one are errors (MG024) at their place in the journal.
 */
async function drizzleJournals(layout: readonly string[], before: ListedLayout, cwd: string): Promise<ListedLayout> {
  const journals = layout.filter((f) => posix.basename(f) === '_journal.json' && posix.basename(posix.dirname(f)) === 'meta');
  if (journals.length === 0) return drizzleFolders(layout, before);
  const { drizzleJournal, drizzleSkippedEntries } = await import('../lint-drizzle.js');
  const lists = new Map(before.lists);
  const diagnostics = [...before.diagnostics];
  const sources = new Map(before.sources);
  const drizzle = new Set<string>();
  const { files } = before;
  for (const journal of journals) {
    const folder = posix.dirname(posix.dirname(journal));
    const inFolder = (f: string) => posix.dirname(f) === folder;
    const text = await readFile(resolve(cwd, journal), 'utf8').catch((e: NodeJS.ErrnoException) => e);
    if (typeof text !== 'string') {
      diagnostics.push({ code: 'MG024', severity: 'error', file: journal, message: `cannot read ${journal} (${text.code ?? text.message}): Drizzle's migrator stops before it runs any migration; migc lints the folder's files in name order`, help: 'Check that the file is readable.' });
      continue;
    }
    sources.set(journal, text);
    const read = drizzleJournal(journal, text);
    diagnostics.push(...read.problems);
    if (read.problems.length > 0) continue;
    const listed: string[] = [];
    const folderFiles = new Set(files.filter(inFolder));
    for (const entry of read.entries) {
      const file = folder === '.' ? `${entry.tag}.sql` : `${folder}/${entry.tag}.sql`;
      if (!folderFiles.has(file)) {
        diagnostics.push({ code: 'MG024', severity: 'error', file: journal, span: { start: entry.start, end: entry.end }, message: `the journal lists ${entry.tag}, and ${folder === '.' ? 'the current folder' : `${folder}/`} holds no ${entry.tag}.sql: Drizzle's migrator stops before it runs any migration ("No file ${entry.tag}.sql found")`, help: `Add ${entry.tag}.sql, or correct the tag (drizzle-kit drop removes a migration and its entry together).` });
        continue;
      }
      if (listed.includes(file)) continue;
      listed.push(file);
      drizzle.add(file);
    }
    diagnostics.push(...drizzleSkippedEntries(journal, read.entries));
    lists.set(folder, listed);
    const unlisted = [...folderFiles].filter((f) => !listed.includes(f));
    if (unlisted.length > 0) {
      const names = unlisted.map((f) => posix.basename(f));
      const shown = names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
      const one = unlisted.length === 1;
      diagnostics.push({
        code: 'MG024', severity: 'info', file: journal,
        message: `left out ${unlisted.length} file${one ? '' : 's'} of ${folder === '.' ? 'the current folder' : `${folder}/`} that its meta/_journal.json does not list (${shown}): Drizzle's migrator runs only the journal's entries, in its order`,
        help: `Nothing to do if ${one ? 'it is' : 'they are'} left over (a migration generated on a branch and dropped, a file edited by hand instead): delete ${one ? 'it' : 'them'} to keep the folder clear. If one should run, generate it again with drizzle-kit generate, which adds its entry.`,
      });
    }
  }
  const leftOut = (f: string) => lists.has(posix.dirname(f)) && !lists.get(posix.dirname(f))!.includes(f);
  return { files: files.filter((f) => !leftOut(f)), lists, diagnostics, sources, drizzle };
}

/**
 * The files in migration order, with the files each manifest lists in its order, in the places
 * they took (a version folder's files are together: migrationOrder).
 */
function inManifestOrder(ordered: readonly string[], lists: ReadonlyMap<string, readonly string[]>): string[] {
  if (lists.size === 0) return [...ordered];
  const result = [...ordered];
  const present = new Set(ordered);
  for (const listed of lists.values()) {
    const inList = new Set(listed);
    const slots = ordered.flatMap((f, i) => (inList.has(f) ? [i] : []));
    const inOrder = listed.filter((f) => present.has(f));
    for (const [k, i] of slots.entries()) result[i] = inOrder[k]!;
  }
  return result;
}

interface SqitchProject {
  readonly plan: string;
  readonly deploy: string;
  readonly revert: string;
  readonly verify: string;
}

/**
 * The Sqitch projects among the paths: sqitch.plan beside a deploy/ folder, or a sqitch.conf
 * whose [core] top_dir, plan_file, deploy_dir, revert_dir or verify_dir place them elsewhere;
 * found under the folders given, or above a deploy/, revert/ or verify/ folder given.
 */
async function sqitchProjects(paths: readonly string[], layout: readonly string[], cwd: string): Promise<SqitchProject[]> {
  const candidates = new Set(layout);
  for (const path of paths) {
    if (!['deploy', 'revert', 'verify'].includes(basename(resolve(cwd, path)))) continue;
    for (const name of sqitchFiles) candidates.add(toPosix(relative(cwd, join(dirname(resolve(cwd, path)), name))));
  }
  const isDir = async (p: string) => (await stat(resolve(cwd, p)).catch(() => undefined))?.isDirectory() === true;
  const projects = new Map<string, SqitchProject>();
  const at = (folder: string, p: string) => toPosix(relative(cwd, resolve(cwd, folder, p))) || '.';
  for (const file of [...candidates].sort()) {
    if (basename(file) !== 'sqitch.conf') continue;
    const conf = await readFile(resolve(cwd, file), 'utf8').catch(() => undefined);
    if (conf === undefined) continue;
    const folder = dirname(file);
    const core = sqitchCoreSettings(conf);
    const top = core.top_dir ?? '.';
    const project = {
      plan: at(folder, core.plan_file ?? join(top, 'sqitch.plan')),
      deploy: at(folder, core.deploy_dir ?? join(top, 'deploy')),
      revert: at(folder, core.revert_dir ?? join(top, 'revert')),
      verify: at(folder, core.verify_dir ?? join(top, 'verify')),
    };
    if (await isDir(project.deploy)) projects.set(project.deploy, project);
  }
  for (const file of [...candidates].sort()) {
    if (basename(file) !== 'sqitch.plan') continue;
    const folder = dirname(file);
    const deploy = at(folder, 'deploy');
    if (projects.has(deploy) || !(await isDir(deploy))) continue;
    projects.set(deploy, { plan: toPosix(file), deploy, revert: at(folder, 'revert'), verify: at(folder, 'verify') });
  }
  return [...projects.values()].sort((a, b) => (a.plan < b.plan ? -1 : a.plan > b.plan ? 1 : 0));
}

async function findFiles(paths: readonly string[], cwd: string, extension: RegExp, mixUp: (path: string) => string | undefined, layoutNames?: ReadonlySet<string>): Promise<{ files: string[]; layout: string[]; yaml: string[]; templates: string[] }> {
  const found = new Set<string>();
  const layout = new Set<string>();
  /** Migrations written as templates (isMigrationTemplate): not SQL until their tool renders them. */
  const templates = new Set<string>();
  /** YAML files in the folders walked: migc plans among them name files that are not migrations. */
  const yaml = new Set<string>();
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or folder: ${path}`);
    if (info.isFile()) {
      const wrong = mixUp(path);
      if (wrong) throw new UsageError(wrong);
      found.add(toPosix(relative(cwd, full)));
      continue;
    }
    const entries = await readdir(full, { recursive: true, withFileTypes: true });
    // Each folder's path from cwd, worked out once for all its files (undefined: under node_modules,
    // left out): path.relative() resolves both its paths, costly on a folder of thousands of files.
    const folders = new Map<string, string | undefined>();
    const fromCwd = (folder: string): string | undefined => {
      if (!folders.has(folder)) folders.set(folder, folder.split(sep).includes('node_modules') ? undefined : toPosix(relative(cwd, folder)));
      return folders.get(folder);
    };
    for (const e of entries) {
      if (!e.isFile()) continue;
      const isLayout = layoutNames?.has(e.name) === true;
      const isYaml = /\.ya?ml$/i.test(e.name);
      const isTemplate = isMigrationTemplate(e.name);
      if (!isLayout && !isYaml && !isTemplate && !extension.test(e.name)) continue;
      const folder = fromCwd(e.parentPath ?? (e as unknown as { path: string }).path);
      if (folder === undefined) continue;
      (isLayout ? layout : isTemplate ? templates : isYaml && !extension.test(e.name) ? yaml : found).add(folder === '' ? e.name : `${folder}/${e.name}`);
    }
  }
  return { files: [...found].sort(), layout: [...layout].sort(), yaml: [...yaml].sort(), templates: [...templates].sort() };
}

/** The endings of template files: Go's text/template, Jinja, ERB, Mustache, Handlebars, EEx, Liquid, Nunjucks. */
const templateEnding = /\.(?:tmpl|tpl|gotmpl|j2|jinja2?|erb|mustache|hbs|eex|liquid|njk|template)$/i;

/**
 * A migration its tool renders before it runs it (rudder-server's 000001_create_tables.up.tmpl,
 * x.sql.j2): a template ending after a name that is SQL (x.sql.tmpl) or starts as a migration's
 * does (a version, or Flyway's V1__ and U1__). Not SQL as written: left out of lint with a note.
 */
function isMigrationTemplate(name: string): boolean {
  const ending = templateEnding.exec(name);
  if (!ending) return false;
  const stem = name.slice(0, ending.index);
  return /\.sql$/i.test(stem) || /^(?:\d+|[VU]\d+(?:[._]\d+)*__)/.test(stem);
}

/** A note (MG024) for each folder whose migration templates lint leaves out. */
function templateNotes(templates: readonly string[]): Diagnostic[] {
  const byFolder = new Map<string, string[]>();
  for (const file of templates) byFolder.set(posix.dirname(file), [...(byFolder.get(posix.dirname(file)) ?? []), file]);
  return [...byFolder].map(([folder, some]) => ({
    code: 'MG024', severity: 'info', file: some[0]!,
    message: `left out ${some.length} migration template${some.length === 1 ? '' : 's'} of ${folder === '.' ? 'the current folder' : `${folder}/`} (${some.slice(0, 2).map((f) => posix.basename(f)).join(', ')}${some.length > 2 ? ', ...' : ''}): its tool fills ${some.length === 1 ? 'it' : 'them'} in before ${some.length === 1 ? 'it runs it' : 'running them'}, and migc reads SQL as the server gets it`,
    help: `Render ${some.length === 1 ? 'it' : 'them'} with the values your deployment uses (as the tool does), and lint the rendered cop${some.length === 1 ? 'y' : 'ies'} with the other migrations.`,
  }));
}

/**
 * The files the migc plans among these YAML files name (baseline, fixtures, app queries), as
 * paths from cwd: a plan's inputs, which `migc check` reads, not migrations (an app's query file
 * has :name placeholders, a syntax error to psql). A YAML file that is not a plan names nothing.
 */
async function planInputs(yaml: readonly string[], cwd: string): Promise<Set<string>> {
  const inputs = new Set<string>();
  for (const file of yaml) {
    const text = await readFile(resolve(cwd, file), 'utf8').catch(() => undefined);
    // A plan's first key is `migc: 1` (the schema requires it); other YAML is left unparsed.
    if (text === undefined || !/^migc:/m.test(text)) continue;
    const [{ loadYaml }, { planNamedFiles }] = await Promise.all([import('../load/yaml.js'), import('../named-files.js')]);
    const { loaded } = loadYaml(file, text);
    for (const name of planNamedFiles(loaded.value)) inputs.add(posix.normalize(posix.join(posix.dirname(file), name.replace(/\\/g, '/'))));
  }
  return inputs;
}

/** A path with forward slashes, as migc prints and matches paths on every system. */
export function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** The --templates folder, checked to exist. */
export async function templatesFolder(dir: string | undefined, cwd: string): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const info = await stat(resolve(cwd, dir)).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--templates ${dir} is not a folder`);
  return dir;
}
