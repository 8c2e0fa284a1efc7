import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { nodeHost, type Host } from '../host.js';
import { projectConfig } from './config.js';
import { findMigrations, toPosix, UsageError } from './files.js';
import { SourceText } from '../diagnostics/source-text.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { largeTableRows } from '../analyze/tables.js';
import { formatCount } from '../util/numbers.js';
import { printDiagnostics, type CommonOptions, type Io } from './output.js';
import { postgresMajorProblem, readPostgresVersion, type PostgresVersion } from '../normalize/postgres-versions.js';
import { applyRuleSettings } from '../analyze/settings.js';
import { assumedRows, lockTimeoutProblem, readLockTimeout, searchPathProblem, type ProjectConfig } from '../workspace/config.js';
import type { SearchPath } from '../analyze/sql/search-path.js';
import { readSearchPath } from '../analyze/sql/search-path-value.js';
import { separateHistories, toolSendsNote } from '../lint-files.js';
import { extensionScriptOf } from '../extension-scripts.js';
import { withPlaceholderFlags } from '../lint-placeholders.js';
import { shellWord } from '../util/shell.js';
import { tableKey } from '../analyze/sql/schema-state.js';

export async function lintCommand(paths: string[], options: CommonOptions & { postgres?: string; assumeRows?: string[]; fileTransaction?: boolean; fileQueryString?: boolean; runTransaction?: boolean; oneRun?: boolean; oneRunPerCommit?: boolean; oneRunPerFolder?: boolean; searchPath?: string; lockTimeout?: string; placeholder?: string[]; rollbacks?: string[]; appStopped?: boolean }, io: Io): Promise<number> {
  const ways = [options.fileTransaction && '--file-transaction', options.fileQueryString && '--file-query-string', options.runTransaction && '--run-transaction'].filter((w): w is string => typeof w === 'string');
  if (ways.length > 1) throw new UsageError(`${ways.join(' and ')} say ${ways.length === 2 ? 'two' : 'three'} ways the tool runs a file: give the one your migration tool does (golang-migrate: --file-query-string; node-pg-migrate, Drizzle, Flyway with group=true: --run-transaction; Flyway, diesel, Hasura, Atlas, dbmate, goose, sqlx, Prisma, sql-migrate, tern, yoyo, Graphile Migrate, Postgrator, Ory popx, postgres-migrations: --file-transaction; the README's "Which flag for your tool" has the table)`);
  if (options.oneRunPerCommit && (options.oneRun || options.runTransaction)) throw new UsageError(`--one-run-per-commit and ${options.oneRun ? '--one-run' : '--run-transaction'} say two ways the files make runs: --one-run-per-commit groups the files by the git commit that added them; ${options.oneRun ? '--one-run' : '--run-transaction'} makes all the files given one run`);
  if (options.oneRunPerFolder && (options.oneRun || options.runTransaction || options.oneRunPerCommit)) throw new UsageError(`--one-run-per-folder and ${options.oneRun ? '--one-run' : options.runTransaction ? '--run-transaction' : '--one-run-per-commit'} say two ways the files make runs: --one-run-per-folder groups the files by their folder; ${options.oneRunPerCommit ? '--one-run-per-commit groups them by the git commit that added them' : `${options.oneRun ? '--one-run' : '--run-transaction'} makes all the files given one run`}`);
  if (options.rollbacks?.some((p) => p.trim() === '')) throw new UsageError('--rollbacks takes a glob naming the rollback files, for example --rollbacks \'db/rollback_dbs/**\'; got an empty one');
  const loaded = (await projectConfig(options, io)) ?? {};
  // The application stopped while the migrations run: its severities, under the config's own rules.
  // The stopped application's severities are lint's to apply, finding by finding (withAppStopped).
  const config = options.appStopped || loaded.appStopped ? { ...loaded, appStopped: true } : loaded;
  // A config kept beside the migrations is not the project's (read from the folder migc runs
  // in): said, not silently ignored (the sixteenth trial's memos: 7 errors and 65 warnings
  // instead of 3 and 9).
  if (options.config === undefined && !existsSync(resolve(io.cwd, 'migc.config.json'))) {
    for (const beside of [...new Set(paths.map((p) => join(p, 'migc.config.json')))].filter((f) => existsSync(resolve(io.cwd, f)))) {
      io.stderr(`migc: warning: ${toPosix(beside)} is not read: migc reads migc.config.json from the folder it runs in; run it there, or pass --config ${shellWord(toPosix(beside))}\n`);
    }
  }
  // --rollbacks adds to the config's rollbacks, as --assume-rows adds to its assume_rows.
  const rollbackPatterns = [...(config.rollbacks ?? []), ...(options.rollbacks ?? [])];
  const migrations = await findMigrations(paths, io.cwd, { rollbacks: rollbackPatterns });
  const { files } = migrations;
  if (files.length === 0 && migrations.diagnostics.length === 0) throw new UsageError(`no .sql files in ${paths.join(', ')}`);
  const unmatched = migrations.unmatchedRollbackPatterns.filter((p) => options.rollbacks?.includes(p) === true);
  if (unmatched.length > 0) throw new UsageError(unmatchedRollbacks(unmatched, files));
  const version = options.postgres !== undefined ? postgresOption(options.postgres) : undefined;
  const searchPath = options.searchPath !== undefined ? searchPathOption(options.searchPath) : undefined;
  const lockTimeout = options.lockTimeout !== undefined ? lockTimeoutOption(options.lockTimeout) : undefined;
  const placeholders = withPlaceholderFlags(config.placeholders, options.placeholder);
  if (!placeholders.ok) throw new UsageError(placeholders.message);
  // --changed-since: every file is read, in order, for the schema it leaves; only those changed are judged.
  const judged = options.changedSince !== undefined
    ? await (await import('./changed-since.js')).migrationsChangedSince(files, { ref: options.changedSince, cwd: io.cwd, ...(options.config ? { config: options.config } : {}) })
    : undefined;
  if (judged?.size === 0) {
    return printDiagnostics([], new Map(), options, io, { plain: `no migration file (or its .conf, metadata.toml, or the config) changed since ${options.changedSince} among the ${files.length} read, so nothing was linted` }, { files: [], summary: { files: 0 } });
  }
  // --one-run-per-commit: the commit that added each file (git), and the commits that added many.
  const runs = options.oneRunPerCommit ? await (await import('./commit-runs.js')).commitRuns(files, io.cwd) : undefined;
  // --one-run-per-folder: each folder's files, one release (Yuniql's version folders: the forty-first trial's B).
  const folderRuns = options.oneRunPerFolder ? new Map(files.map((f) => [f, f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '.'])) : undefined;
  const { lint } = await import('../lint.js');
  const preloaded = preloadedHost(files, io.cwd);
  const result = await lint({
    files,
    ...(migrations.rollbacks.size > 0 ? { rollbacks: migrations.rollbacks } : {}),
    ...(migrations.declaredRollbacks.size > 0 ? { declaredRollbacks: migrations.declaredRollbacks } : {}),
    // --postgres names the whole version: a minor the config named for its own major is not kept.
    config: {
      ...(version === undefined ? config : { ...withoutMinor(config), postgres: version.major, ...(version.minor !== undefined ? { postgresMinor: version.minor } : {}) }),
      ...(searchPath ? { searchPath } : {}),
      ...(lockTimeout ? { lockTimeout } : {}),
      ...(placeholders.values ? { placeholders: placeholders.values } : {}),
    },
    ...(options.fileTransaction ? { fileTransaction: true } : {}),
    ...(options.fileQueryString ? { fileQueryString: true } : {}),
    ...(options.runTransaction ? { runTransaction: true } : {}),
    ...(options.oneRun ? { oneRun: true } : {}),
    ...(migrations.drizzle ? { drizzle: migrations.drizzle } : {}),
    ...(runs ? { runOf: runs.commitOf } : folderRuns ? { runOf: folderRuns } : {}),
  }, preloaded.host);
  if (runs?.renamesUnread !== undefined) {
    const { why, largest } = runs.renamesUnread;
    io.stderr(`migc: note: --one-run-per-commit: git could not follow renames (${why}): a file moved counts from the commit that moved it${largest ? `; commit ${largest.commit.slice(0, 12)} added ${largest.files} of the files linted, the most of any: if it moved them, they are read as one run, and their findings are not per commit` : ''}\n`);
  }
  for (const { commit, files: n } of runs?.large ?? []) {
    io.stderr(`migc: note: commit ${commit.slice(0, 12)} added ${n} of the files linted, read as one run (--one-run-per-commit): what the earlier of them create stays new and empty for the later; if it imported an older history rather than adding one release, lint without --one-run-per-commit\n`);
  }
  for (const warning of await unusedAssumedRows(options.assumeRows ?? [], result.tables)) io.stderr(`migc: warning: ${warning}\n`);
  // A --placeholder that fills nothing is a typo (the config's are the project's, for other folders too).
  for (const flag of options.placeholder ?? []) {
    const name = flag.slice(0, flag.indexOf('='));
    if (!result.placeholdersFilled.has(name.toLowerCase())) io.stderr(`migc: warning: --placeholder ${flag}: no file linted holds \${${name}}, so this value is not used\n`);
  }
  const extension = extensionScriptsNote(files, { runTransaction: options.runTransaction === true, fileTransaction: options.fileTransaction === true, searchPath: (searchPath ?? config.searchPath) !== undefined });
  const hint = extension ?? flagHint(files, preloaded.texts, options, migrations.drizzle, io.cwd);
  if (hint) io.stderr(`migc: note: ${hint}\n`);
  // A Sqitch plan orders its changes, deploy and revert paired: no separate histories (cas-cif's
  // digit-led change names, the thirty-fifth trial's Q).
  const sqitch = [...migrations.sources.keys()].some((f) => f === 'sqitch.plan' || f.endsWith('/sqitch.plan') || f.endsWith('.plan'));
  const histories = sqitch ? undefined : separateHistories(files);
  if (histories) io.stderr(`migc: note: ${historiesNote(histories)}\n`);
  // A whole folder in name order, a guess (the thirty-seventh trial's D): shown without --verbose.
  for (const { folder, files: n } of migrations.guessedFolders) {
    io.stderr(`migc: note: the ${n} files of ${folder === '' ? 'the current folder' : `${folder}/`} carry no version in their names, so migc lints them in name order, a guess (MG024); if your runner takes another order, lint copies renamed to sort in it (001_x.sql, 002_y.sql)\n`);
  }
  const templated = templatedNames(files, preloaded.texts);
  if (templated) io.stderr(`migc: note: ${templated}\n`);
  const setBy = result.searchPathSetBy;
  if (setBy) {
    const path = setBy.path.join(', ');
    io.stderr(`migc: note: ${setBy.file} sets search_path to ${path} for its session, and ${setBy.others === 1 ? '1 other file sets' : `${setBy.others} other files set`} none: migc looks their bare names up on PostgreSQL's default path (public); if the role or the connection your runner uses sets one, say which: --search-path ${shellWord(setBy.path.join(','))} (or "search_path" in migc.config.json)\n`);
  }
  // What the layout said (a Sqitch plan's missing script, the files it leaves out) comes first.
  const layout = applyRuleSettings(migrations.diagnostics, config.rules);
  const sources = new Map(result.sources);
  for (const [file, text] of migrations.sources) sources.set(file, new SourceText(text));
  const all = [...[...layout].sort(compareDiagnostics), ...result.diagnostics];
  if (!judged) {
    const code = await printDiagnostics(all, sources, options, io, `linted ${files.length} file${files.length === 1 ? '' : 's'}`, {
      files: result.files, summary: { files: files.length, ...assumedLargeSummary(all), ...lockTimeoutSummary(all), ...rollbackSummary(all) },
    });
    return withRollbackNote(all, io, withLockTimeoutNote(all, io, withAssumedLargeNote(all, io, code, options.format), options.format), options.format);
  }
  // What is said of a file not changed is not the change's: left out, whatever a later file did.
  const kept = all.filter((d) => !d.file || judged.has(d.file));
  const code = await printDiagnostics(kept, sources, options, io, `linted ${judged.size} file${judged.size === 1 ? '' : 's'} changed since ${options.changedSince} (of ${files.length} read in order for the schema)`, {
    files: result.files.filter((f) => judged.has(f.file)), summary: { files: judged.size, read: files.length, ...assumedLargeSummary(kept), ...lockTimeoutSummary(kept), ...rollbackSummary(kept) },
  });
  return withRollbackNote(kept, io, withLockTimeoutNote(kept, io, withAssumedLargeNote(kept, io, code, options.format), options.format), options.format);
}

/** The tables a note names, the most findings first; the rest are counted. */
const assumedListed = 5;
/** Fewer findings say it each in its own message (and help): a note sums up a folder's (tables taken for large, MG219). */
const tallyNoted = 10;

/** The errors and warnings that take a table for large because nothing gives its size, by table, most first. */
function assumedLarge(diagnostics: readonly Diagnostic[]): { findings: number; tables: [string, number][] } {
  const byTable = new Map<string, number>();
  let findings = 0;
  for (const d of diagnostics) {
    if (d.severity === 'info' || !d.assumedLarge?.length) continue;
    findings++;
    // One table under both its names (af_workspace and public.af_workspace: the twenty-fourth trial's N3), each counted once per finding.
    for (const t of new Set(d.assumedLarge.map(tableKey))) byTable.set(t, (byTable.get(t) ?? 0) + 1);
  }
  return { findings, tables: [...byTable].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

/**
 * For --format json's summary: the findings that take a table for large, and how many on each
 * table, most first (the note's figures, which the pretty and github formats print on stderr: the
 * twenty-second trial's N5, CI reading the JSON). Left out when there are none.
 */
function assumedLargeSummary(diagnostics: readonly Diagnostic[]): { assumedLarge?: { findings: number; tables: Record<string, number> } } {
  const { findings, tables } = assumedLarge(diagnostics);
  return findings === 0 ? {} : { assumedLarge: { findings, tables: Object.fromEntries(tables) } };
}

/** The errors and warnings that are MG219's (no lock_timeout before a lock), and the files they are in. */
function lockTimeoutUnset(diagnostics: readonly Diagnostic[]): { findings: number; files: number } {
  const files = new Set<string>();
  let findings = 0;
  for (const d of diagnostics) {
    if (d.code !== 'MG219' || d.severity === 'info') continue;
    findings++;
    if (d.file) files.add(d.file);
  }
  return { findings, files: files.size };
}

/**
 * For --format json's summary: the MG219 findings and their files (the note's figures, which the
 * pretty and github formats print on stderr: the twenty-ninth trial, CI reading the JSON, never
 * saw the --lock-timeout hint). Left out when there are none.
 */
function lockTimeoutSummary(diagnostics: readonly Diagnostic[]): { lockTimeoutUnset?: { findings: number; files: number } } {
  const unset = lockTimeoutUnset(diagnostics);
  return unset.findings === 0 ? {} : { lockTimeoutUnset: unset };
}

/**
 * After the findings and their summary line, on stderr, in the formats that print that line
 * (pretty, and github, the default in GitHub Actions, whose log shows stderr): how many errors and warnings take a table for large because
 * nothing gives its size, on which tables most, and how to give a size (a small table's findings
 * then become notes). Which tables are small only the project knows: none is proposed. Metadata tables a project keeps small (a settings table, one
 * row per queue) drew a quarter of the fourteenth trial's findings this way.
 */
function withAssumedLargeNote(diagnostics: readonly Diagnostic[], io: Io, code: number, format: CommonOptions['format']): number {
  if (format !== undefined && format !== 'pretty' && format !== 'github') return code;
  const { findings, tables } = assumedLarge(diagnostics);
  // Not when the output failed (a reader that went away: exit 141, nothing more said).
  if (findings < tallyNoted || (code !== 0 && code !== 1)) return code;
  const listed = tables.slice(0, assumedListed);
  const more = tables.length - listed.length;
  io.stderr(`migc: note: ${findings} finding${findings === 1 ? ' takes' : 's take'} a table for large (${formatCount(largeTableRows)} rows or more) because nothing gives its size: ${listed.map(([t, n]) => `${t} (${n})`).join(', ')}${more > 0 ? ` and ${more} more` : ''}. Say the size of those your application keeps small, and their findings become notes: "assume_rows": { "<table>": <rows> } in migc.config.json, or --assume-rows <table>=<rows>\n`);
  return code;
}

/**
 * After the findings, on stderr, in the formats that print the summary line: when ten or more
 * errors and warnings are MG219's (no lock_timeout before a lock), that the tool's connection may
 * set one, and how to say so. sim's migrate script sets lock_timeout on its session before Drizzle
 * runs the files: 269 MG219 warnings, all false for that runner, until --lock-timeout 5s (the
 * twenty-third trial's note).
 */
function withLockTimeoutNote(diagnostics: readonly Diagnostic[], io: Io, code: number, format: CommonOptions['format']): number {
  if ((format !== undefined && format !== 'pretty' && format !== 'github') || (code !== 0 && code !== 1)) return code;
  const { findings, files } = lockTimeoutUnset(diagnostics);
  if (findings < tallyNoted) return code;
  io.stderr(`migc: note: ${findings} findings in ${files} file${files === 1 ? '' : 's'} are MG219's: no lock_timeout set before a statement that waits for a lock. If your migration tool's connection (or the script that runs it) sets one before the files run, say so: --lock-timeout 5s (or "lock_timeout" in migc.config.json), and these findings go\n`);
  return code;
}

/** The errors and warnings found in rollbacks (Diagnostic.rollback: down files, down parts). */
function inRollbacks(diagnostics: readonly Diagnostic[]): { error: number; warning: number } {
  const counts = { error: 0, warning: 0 };
  for (const d of diagnostics) if (d.rollback && d.severity !== 'info') counts[d.severity]++;
  return counts;
}

/** For --format json's summary: the errors and warnings of `error` and `warning` found in rollbacks; absent when none. */
function rollbackSummary(diagnostics: readonly Diagnostic[]): { rollbacks?: { error: number; warning: number } } {
  const counts = inRollbacks(diagnostics);
  return counts.error + counts.warning === 0 ? {} : { rollbacks: counts };
}

/**
 * After the findings, on stderr, in the formats that print the summary line: how many of the
 * errors and warnings are in rollbacks, which run only when a release is undone (stellar's
 * sql-migrate Down parts drew half its findings, instant's 190 of 401: the thirty-sixth and
 * thirty-eighth trials), and how to set them apart.
 */
function withRollbackNote(diagnostics: readonly Diagnostic[], io: Io, code: number, format: CommonOptions['format']): number {
  if ((format !== undefined && format !== 'pretty' && format !== 'github') || (code !== 0 && code !== 1)) return code;
  const { error, warning } = inRollbacks(diagnostics);
  if (error + warning < tallyNoted) return code;
  io.stderr(`migc: note: ${error} of the errors and ${warning} of the warnings are in rollbacks (down files and down parts), which run only when a release is undone; --format json marks each ("rollback": true) for a CI that reports on the ups alone\n`);
  return code;
}

/**
 * A --rollbacks pattern that names none of the files linted would change nothing without a word,
 * and the rollbacks it meant would be read as forward migrations: a usage error, with the paths
 * as the patterns are matched against (a pattern written from another folder, or with a leading
 * slash, names none). The config's patterns are the project's, for other folders too, and are
 * not checked.
 */
function unmatchedRollbacks(patterns: readonly string[], files: readonly string[]): string {
  const example = files.length > 0 ? `; the files' paths are written as migc prints them, from the current folder, such as ${files[files.length - 1]}` : '';
  return `--rollbacks ${patterns.map(shellWord).join(', --rollbacks ')} name${patterns.length === 1 ? 's' : ''} none of the ${files.length} .sql file${files.length === 1 ? '' : 's'} linted${example} (a pattern naming a folder takes the files under it: --rollbacks 'db/rollback/**' or --rollbacks db/rollback)`;
}

/**
 * An --assume-rows name that sizes no table the files name is a typo or a name folded otherwise
 * than meant (`User=40` is user, not the quoted "User"), and would size nothing without a word:
 * said, with the table meant when one is close. The config's assume_rows is the project's, for
 * other folders too, and is not checked here.
 */
async function unusedAssumedRows(flags: readonly string[], tables: ReadonlySet<string>): Promise<string[]> {
  const warnings: string[] = [];
  const names = [...tables].sort();
  for (const flag of flags) {
    const assumed = assumedRows(flag);
    if (!assumed || tables.has(assumed.table)) continue;
    const { didYouMean } = await import('../util/suggest.js');
    // The SQL lexer decides which names are reserved words: loaded only for a flag that sizes nothing.
    const [{ quoteName }, { assumeRowsFlag }] = await Promise.all([import('../sql/quote.js'), import('../analyze/sql/context.js')]);
    const folded = names.filter((t) => t.toLowerCase() === assumed.table.toLowerCase());
    const meant = folded.length === 1 ? folded[0] : didYouMean(assumed.table, names);
    const suggestion = meant === undefined ? '' : `; did you mean ${assumeRowsFlag(meant, String(assumed.rows))}?`;
    warnings.push(`--assume-rows ${flag}: the files name no table ${quoteName(assumed.table)}, so this size is not used${suggestion}`);
  }
  return warnings;
}

/**
 * How a tool sends a file is said by a flag, and without one files are read statement by statement,
 * as psql runs them: for the files whose names or markers tell their tool (toolSendsNote), a file's
 * statements then share no transaction and MG204, MG217 and MG218 go unsaid. Said once, on stderr,
 * for the first such file, when neither flag is given.
 */
function flagHint(files: readonly string[], texts: ReadonlyMap<string, string>, options: { fileTransaction?: boolean; fileQueryString?: boolean; runTransaction?: boolean }, drizzle: ReadonlySet<string> | undefined, cwd: string): string | undefined {
  if (options.fileTransaction || options.fileQueryString || options.runTransaction) return undefined;
  // Drizzle's migrator runs every migration pending in one transaction: a fresh database's whole
  // history, or the files one deploy adds.
  if (drizzle && drizzle.size > 0) return `${[...drizzle].some((f) => f.endsWith('/migration.sql')) ? "Drizzle's migrations (drizzle-kit 1.0: a snapshot.json beside each migration.sql)" : 'the files of a Drizzle journal (meta/_journal.json)'} run as Drizzle's migrator runs them: all the migrations pending at a deploy in one transaction; pass --run-transaction to lint them so, over the files one deploy applies (a new database's: all of them), or --file-transaction to read each as a deploy of its own (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)`;
  // Atlas keeps atlas.sum beside its files, whose names are sqlx's (<timestamp>_x.sql).
  const atlas = files.find((f) => existsSync(resolve(cwd, dirname(f), 'atlas.sum')));
  if (atlas) return `${toPosix(join(dirname(atlas), 'atlas.sum'))}: Atlas runs each migration file in a transaction (atlas migrate apply's default, --tx-mode file; a file whose header says -- atlas:txmode none outside one, statement by statement): pass --file-transaction to lint them so, or --run-transaction for --tx-mode all, over the files one deploy applies (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)`;
  const all = new Set(files);
  for (const file of files) {
    const tool = toolSendsNote(file, texts.get(file), all);
    if (tool) return `${tool.says}: pass ${tool.flag} to lint them so (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)`;
  }
  // golang-migrate, sqlx and popx share these names, and run them apart: the note names both flags.
  const shared = files.find((f) => /(?:^|\/)\d+_[^/]*\.(?:up|down)\.sql$/.test(f));
  // sqlx's simple migrations: `<timestamp>_x.sql` as `sqlx migrate add` names them (the twentieth trial's lakekeeper went without a word).
  const sqlx = files.find((f) => /(?:^|\/)\d{14}_[^/.]*\.sql$/.test(f));
  if (!shared && sqlx) return `${sqlx.slice(sqlx.lastIndexOf('/') + 1)} is named as sqlx names its migrations (sqlx migrate add: <timestamp>_x.sql): sqlx runs each in a transaction (one that starts with -- no-transaction outside one); pass --file-transaction to lint them so, if sqlx runs them (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)`;
  if (shared) return `${shared.slice(shared.lastIndexOf('/') + 1)} is named as golang-migrate, sqlx and Ory popx name their files: golang-migrate sends each file as one query string (pass --file-query-string), sqlx and popx run each in a transaction (pass --file-transaction); a runner of your own that runs all pending files in one transaction: --run-transaction (the README's "Which flag for your tool" has the others); without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql`;
  return undefined;
}

/**
 * Files whose quoted names hold template placeholders (`"{{.Schema}}".accounts`: formance ledger's
 * Go templates, the twenty-second trial's N7) parse, and would be linted without a word under
 * names no database has: said once, on stderr, with how many files. A placeholder the parser
 * stops at is MG020's, whose help says the same.
 */
function templatedNames(files: readonly string[], texts: ReadonlyMap<string, string>): string | undefined {
  const placeholder = /"[^"\n]*\{\{[^"\n]*\}\}[^"\n]*"/;
  const found: { file: string; name: string }[] = [];
  for (const file of files) {
    const m = placeholder.exec(texts.get(file) ?? '');
    if (m) found.push({ file, name: m[0] });
  }
  if (found.length === 0) return undefined;
  const first = found[0]!;
  return `${first.file}${found.length > 1 ? ` and ${found.length - 1} other file${found.length === 2 ? '' : 's'}` : ''} hold template placeholders in quoted names (${first.name}): their tool fills them in before the server sees the SQL, and migc lints the names as written. Render the files with the values your deployment uses, and lint the rendered copies`;
}

/**
 * Files all named as PostgreSQL extension scripts (`citus--8.0-1.sql`, `citus--8.0-1--8.0-2.sql`:
 * extensionScriptOf) are run by CREATE EXTENSION and ALTER EXTENSION ... UPDATE: every script one
 * command needs, in one transaction, with search_path set to the control file's schema (then
 * pg_catalog). Said once, on stderr, unless a search path is given with --run-transaction (the
 * scripts one command runs) or --file-transaction (each script a command of its own).
 */
function extensionScriptsNote(files: readonly string[], given: { readonly runTransaction: boolean; readonly fileTransaction: boolean; readonly searchPath: boolean }): string | undefined {
  // --file-transaction reads each script as a command of its own (ALTER EXTENSION ... UPDATE from
  // one version to the next): a whole history in CI (the twenty-seventh trial's N3).
  if (((given.runTransaction || given.fileTransaction) && given.searchPath) || files.length === 0) return undefined;
  const scripts = files.map(extensionScriptOf);
  if (scripts.some((s) => s === undefined)) return undefined;
  const names = [...new Set(scripts.map((s) => s!.extension))].sort();
  const first = files[0]!.slice(files[0]!.lastIndexOf('/') + 1);
  return `${first} ${files.length > 1 ? 'and the others are named as the scripts' : 'is named as a script'} of PostgreSQL extension${names.length > 1 ? 's' : ''} ${names.join(', ')}: CREATE EXTENSION and ALTER EXTENSION ... UPDATE run every script one command needs (the chain of updates from the installed version to the new one) in one transaction, with search_path set to the schema of the extension's control file, then pg_catalog: pass --run-transaction --search-path <the control file's schema, or the one CREATE EXTENSION ... SCHEMA installs it in when the file names none> to lint them so, or --file-transaction --search-path <schema> to read each script as a command of its own (a whole history, in CI) (the downgrade scripts are read as rollbacks of the updates they undo, each after its update)${files.length > 10 ? `. Lint the scripts one command runs, not the whole folder at once: over ${files.length} scripts in one run, what the first made is new to all the others, and a lock one takes is held in every later one; for an update, the chain from the oldest release your users run to the new one: migc lint --run-transaction --search-path <schema> <those scripts>` : ''}`;
}

/** Said when the files given hold several histories (separateHistories): lint reads them as one. */
function historiesNote({ version, folders }: { readonly version: string; readonly folders: readonly string[] }): string {
  const named = folders.slice(0, 3).map((f) => (f === '' ? 'the current folder' : `${f}/`));
  const list = folders.length > 3 ? `${named.join(', ')} and ${folders.length - 3} other folder${folders.length === 4 ? '' : 's'}` : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  return `${list} each hold a migration of version ${version}: no tool runs two migrations of one version in one history, so each folder is a history of its own, run apart, while migc lints the files given as one history, in version order; lint each folder by itself (migc lint ${folders[0] === '' ? '.' : folders[0]}, ...)`;
}

/**
 * --postgres: a major version migc knows, in the same range (and words) as a plan's engine, or a
 * major and its minor release (14.3) when a verdict depends on it (MG240).
 */
function postgresOption(text: string): PostgresVersion {
  const version = readPostgresVersion(text);
  if (!version) throw new UsageError(`--postgres takes a PostgreSQL version such as 15, or 14.3 with its minor release; got ${text}`);
  const problem = postgresMajorProblem(version.major);
  if (problem) throw new UsageError(`--postgres ${text}: ${problem}`);
  return version;
}

/** --search-path: the path as PostgreSQL reads it from a connection option (-c search_path=storage,public). */
function searchPathOption(text: string): SearchPath {
  const path = readSearchPath(text);
  if (!path) throw new UsageError(`--search-path ${text}: ${searchPathProblem}; for example --search-path storage,public`);
  return path;
}

/** --lock-timeout: the lock_timeout as PostgreSQL reads the setting (readLockTimeout). */
function lockTimeoutOption(text: string): NonNullable<ProjectConfig['lockTimeout']> {
  const value = readLockTimeout(text);
  if (!value) throw new UsageError(`--lock-timeout ${text}: ${lockTimeoutProblem}; for example --lock-timeout 15s`);
  return value;
}

function withoutMinor(config: ProjectConfig): ProjectConfig {
  const { postgresMinor: _, ...rest } = config;
  return rest;
}

/**
 * The files to lint read in one synchronous pass before linting: for thousands of small files,
 * open-read-close in a loop costs a fraction of as many pending promises (each an open, a stat, a
 * read and a close scheduled apart). Anything else (a Flyway script's .conf) is read as usual.
 */
function preloadedHost(files: readonly string[], cwd: string): { host: Host; texts: ReadonlyMap<string, string> } {
  const host = nodeHost(cwd);
  const texts = new Map<string, string>();
  for (const file of files) {
    try {
      texts.set(file, readFileSync(isAbsolute(file) ? file : `${cwd}/${file}`, 'utf8'));
    } catch {
      // Unreadable: the host's own read reports it as it always has.
    }
  }
  return { host: { ...host, readFile: (path) => (texts.has(path) ? Promise.resolve(texts.get(path)) : host.readFile(path)) }, texts };
}
