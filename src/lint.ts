import { analyzeSqlFile, ignoresIn, standingFindings, withIgnores, type PendingFinding, type RunTransaction, type SessionSettings } from './analyze/sql/analyze.js';
import { defaultPostgresMajor } from './analyze/sql/context.js';
import { madeTogether, SchemaState, type MadeObjects } from './analyze/sql/schema-state.js';
import { viewsOf } from './analyze/compat/views.js';
import { applyRuleSettings } from './analyze/settings.js';
import { withAppStopped, type ProjectConfig } from './workspace/config.js';
import { compareDiagnostics, type Diagnostic, type Span } from './diagnostics/diagnostic.js';
import { SourceText } from './diagnostics/source-text.js';
import type { Host } from './host.js';
import { sqlFileTooLarge } from './load/limits.js';
import { dbmateRefusal, dieselMetadataPath, fileSections, outsideTransactionHow, statementBreaks, flywayCallbackEvent, flywayConfExecuteInTransaction, isFlywayScript, isGraphileMigration, isGraphilePlaceholder, isRollbackFile, migrationOf, isSentAsOneQueryString, liquibaseChangelog, popxSplitGroup, refineryUnversioned, yoyoMigrationOf } from './lint-files.js';
import { flywayScriptTransaction } from './lint-flyway.js';
import { originalSpan, placeholderAt, renderedValueAt, renderPlaceholders, type RenderedText } from './lint-placeholders.js';
import { extensionScriptOf, renderExtensionScript } from './extension-scripts.js';
import { quoteIdent } from './sql/quote.js';
import { dieselMetadata, type DieselMetadata } from './lint-diesel.js';
import { statementFacts } from './sql/facts.js';
import { loadSqlParser, parseEachStatement, parseSql, type ParsedStatement, type ParseOutcome } from './sql/parser.js';
import { copiesFromStdin, psqlSqlOnly, type PsqlOnly } from './sql/psql.js';

export interface LintOptions {
  /**
   * .sql files in the order they run, each rollback after its up: migrationOrder() (src/lint-files.ts)
   * orders a folder's files as the migration tools do. Rollbacks are known by name (isRollbackFile).
   */
  readonly files: readonly string[];
  /** Files their layout makes rollbacks though their names do not (a Sqitch project's revert/ scripts). */
  readonly rollbacks?: ReadonlySet<string>;
  /**
   * Files the user declared rollbacks (--rollbacks; findMigrations leaves out those already
   * rollbacks by name or layout): each is the rollback of the ups of its version, paired as
   * migrationOrder() pairs them (migrationOf), and follows them in `files`.
   */
  readonly declaredRollbacks?: ReadonlySet<string>;
  readonly config?: ProjectConfig;
  /**
   * Each file runs in one transaction (Flyway's and dbmate's default), not statement by statement;
   * except the files and parts their tool runs outside one: dbmate's `transaction:false`, goose's
   * `-- +goose NO TRANSACTION`, a Flyway script whose `<script>.conf` says executeInTransaction=false
   * or that holds statements Flyway runs outside a transaction (src/lint-flyway.ts; mixed with
   * others, MG026), a diesel migration whose metadata.toml says run_in_transaction = false
   * (src/lint-diesel.ts; sent as one query string),
   * popx's `.autocommit.` files, sqlx's files that start with `-- no-transaction`, Prisma's
   * `migration.sql`, postgres-migrations' files that hold `-- postgres-migrations
   * disable-transaction`. dbmate, popx, sqlx, Prisma and postgres-migrations send such a part as one query string, which
   * PostgreSQL runs as one implicit transaction when it holds several statements.
   */
  readonly fileTransaction?: boolean;
  /**
   * Each file is sent to the server as one query string, in no transaction of the tool's
   * (golang-migrate's postgres driver): PostgreSQL runs a string of several statements as one
   * implicit transaction, and a file of one statement as that statement alone.
   */
  readonly fileQueryString?: boolean;
  /**
   * The up files linted are one run in one transaction, in order (node-pg-migrate's default
   * singleTransaction, Flyway's group=true, authelia's runner): one session, one transaction the
   * tool opens before the first and commits after the last. Locks taken in one file are held in
   * the next (MG217, MG218), MG219 is said once for the run, CONCURRENTLY anywhere fails (MG204),
   * and what earlier files created stays new (uncommitted: nobody else sees it). A COMMIT in a
   * file ends the run's transaction as the tool's way of sending leaves it (node-pg-migrate sends
   * each file as one query string: the files after it run outside a transaction). A file's own
   * opt-out markers are not read. Rollbacks are not part of the run: each is judged as under
   * fileTransaction, after its up has been live.
   */
  readonly runTransaction?: boolean;
  /**
   * The up files linted run back to back in one upgrade, each as its tool sends it (fileTransaction,
   * fileQueryString, or statement by statement), with nothing between them: what earlier files
   * created is still new (no application version uses it yet, and nothing wrote to it but the
   * upgrade), as in one run's transaction, but each file commits (locks are not held from file to
   * file, and CONCURRENTLY runs where its file lets it). MusicBrainz's upgrade.sh, Flowable's and
   * Camunda's engine upgrades. Rollbacks are not part of the run, as under runTransaction. Implied
   * by runTransaction.
   */
  readonly oneRun?: boolean;
  /**
   * The files that run back to back in one deploy, by a key they share (--one-run-per-commit: the
   * git commit that added them): consecutive up files with the same key are one run, as under
   * oneRun; a file without a key, or with another, starts a migration of its own.
   */
  readonly runOf?: ReadonlyMap<string, string>;
  /**
   * The files a Drizzle journal lists (src/lint-drizzle.ts): Drizzle's migrator sends each chunk
   * between `--> statement-breakpoint` markers as a query of its own, in its transaction; after a
   * COMMIT in one, the rest runs statement by statement, outside a transaction (postgres-js and
   * node-postgres begin none).
   */
  readonly drizzle?: ReadonlySet<string>;
}

export interface LintResult {
  readonly files: readonly { readonly file: string; readonly ok: boolean }[];
  /** Every table the files name, by the key tables are sized by (tableKey): what --assume-rows can size. */
  readonly tables: ReadonlySet<string>;
  /** The names of the placeholders filled in, in lower case: a value given that fills none is a typo or another folder's. */
  readonly placeholdersFilled: ReadonlySet<string>;
  /**
   * Without a search path given (config.searchPath, --search-path): the first file that SETs one
   * for its session (not public alone, not empty) while other files set none, so that their bare
   * names are looked up on the connection's path, which migc takes as PostgreSQL's default.
   */
  readonly searchPathSetBy?: { readonly file: string; readonly path: readonly string[]; readonly others: number };
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceText>;
}

/**
 * The same hazard catalogue as for plans, over plain SQL migration files (Flyway, golang-migrate,
 * dbmate, goose, diesel, Rails structure dumps), in order: what earlier files did to the schema is
 * known to later ones, but only what a migration creates itself counts as new and empty.
 *
 * A rollback (a down file, or the down part of a dbmate or goose file) is judged against the
 * schema as its up left it, as when it is run, and tentatively: its changes are undone, for the
 * next migration runs after the up, not after the down. What the up created is no longer new for
 * its rollback: a down runs after its up has been live (a failed up in a transaction undoes
 * itself), so the tables it made hold rows by then, and locking or scanning them is felt.
 *
 * The downs of a popx split migration (popxSplitGroup), which follow its ups latest first, are
 * judged as one chain, as popx runs them: each against the schema the group's ups and the downs
 * before it left, in a transaction of its own (what those downs made is no longer new), and the
 * chain is undone after its last down. Each may drop what any of the group's ups made.
 */
export async function lint(options: LintOptions, host: Host): Promise<LintResult> {
  await loadSqlParser();
  const state = new SchemaState();
  // Extension scripts whose first is an update (pg_search--0.15.0--0.15.1.sql, its install script
  // generated at build time and not among them): the history starts on an installed extension,
  // whose tables and types were made before it, whatever the first script creates.
  const first = options.files.length > 0 ? extensionScriptOf(options.files[0]!) : undefined;
  if (first?.from !== undefined && options.files.every((f) => extensionScriptOf(f) !== undefined)) state.tablesMadeFirst = false;
  const sources = new Map<string, SourceText>();
  /** Each file's findings, in the order of the files. */
  const perFile: { file: string; own: Diagnostic[] }[] = [];
  /** Findings that wait for the end of the run (a foreign key a later file may index, MG230). */
  const pending: PendingFinding[] = [];
  const tables = new Set<string>();
  /**
   * The files whose placeholders were rendered (--placeholder): the analysis reads the rendered
   * text, and every span it reports is mapped back to the file's own at the end (originalSpan).
   */
  const renderedFiles = new Map<string, RenderedText>();
  /** The psql variables (`:name`) a --placeholder value named, read as set (lower case): filled as far as the warning of an unused value goes. */
  const psqlVariablesGiven = new Set<string>();
  const texts = await Promise.all(options.files.map((f) => host.readFile(f)));
  const indexOf = new Map(options.files.map((f, i) => [f, i]));
  // Flyway's per-script config, read only when it can matter: under --file-transaction, beside a Flyway script.
  const confs = options.fileTransaction ? await Promise.all(options.files.map((f) => (isFlywayScript(f) ? host.readFile(`${f}.conf`) : undefined))) : [];
  // diesel's metadata.toml, read as the .conf is: under --file-transaction, beside an up.sql or down.sql.
  const diesel = options.fileTransaction ? await dieselMetadataOf(options.files, host) : new Map<string, { text: string; says: DieselMetadata }>();
  const dieselProblems = new Set<string>();
  // What each migration's ups made (a down and its up share a migration: migrationOf), for its
  // rollbacks: what they may drop without losing older data (MG214).
  const migrationOfFile = migrationOf(options.files, options.declaredRollbacks);
  const madeBy = new Map<string, MadeObjects>();
  const made = (file: string, objects: MadeObjects) => {
    const migration = migrationOfFile.get(file) ?? file;
    madeBy.set(migration, madeTogether(madeBy.get(migration), objects));
  };
  let previous: { file: string; rollback: boolean } | undefined;
  /** The downs of a popx split migration judged so far, their changes kept until the last (beginTentatively). */
  let chain: { group: string; undo: () => void } | undefined;
  /** The up files as one run in one transaction (runTransaction): what each leaves to the next. */
  const run: RunTransaction | undefined = options.runTransaction ? { lineIn: (f, offset) => sources.get(f)?.position(offset).line ?? 1 } : undefined;
  /** The tool's connection sets a lock_timeout (--lock-timeout): every session starts with lock waits bounded. */
  const connectionLockTimeout = options.config?.lockTimeout?.bounds === true;
  /** Files run back to back (oneRun, or one run's transaction): what earlier files created stays new. */
  const backToBack = run !== undefined || options.oneRun === true;
  /** In a run, nothing is settled: where what the files counted so far had made ends (madeInRun). */
  let madeBefore = state.madeMark();
  /** What the file made in a run in one transaction: what was made since the file before. */
  const madeInRun = (file: string) => {
    made(file, state.madeSince(madeBefore));
    madeBefore = state.madeMark();
  };
  /**
   * What Flyway's beforeEachMigrate callback leaves set (lock_timeout, search_path, TimeZone):
   * Flyway runs it before every migration, on the migration's connection and in its transaction,
   * so each migration after it starts with its settings, SET LOCAL included when it runs in a transaction.
   */
  let beforeEach: SessionSettings | undefined;
  /** The path each file set for its session first (searchPathSetBy), and the forward files that set none. */
  const pathSetBy = new Map<string, readonly string[]>();
  const withoutPath = new Set<string>();
  // refinery's U<version>__ migrations, run forward: not Flyway's undo scripts (refineryUnversioned).
  const unversioned = refineryUnversioned(options.files);
  for (const [i, file] of options.files.entries()) {
    const text = texts[i];
    const rollbackFile = (isRollbackFile(file) && !unversioned.has(file)) || options.rollbacks?.has(file) === true || options.declaredRollbacks?.has(file) === true;
    // A down of a popx split migration after another of its downs: judged after that one ran.
    const group = rollbackFile ? popxSplitGroup(file) : undefined;
    const chained = group !== undefined && chain?.group === group;
    if (chain && !chained) {
      chain.undo();
      chain = undefined;
    }
    // What the previous migration created is no longer new (the next one may run months later);
    // a rollback file follows its up and judges what the up left, after it has been live. In one
    // run's transaction it stays new: uncommitted, nobody else sees it (a rollback settles it for
    // itself, tentatively); so it does in files run back to back in one upgrade (oneRun): no
    // application version uses it yet, and only the upgrade wrote to it.
    // The up parts of a popx split migration run back to back in one migrate (popxSplitGroup):
    // what an earlier part made stays new for the next (the seventeenth trial's keto: a table one
    // part made and the next indexed was "assumed large").
    const split = rollbackFile ? undefined : popxSplitGroup(file);
    const sameSplit = split !== undefined && previous !== undefined && !previous.rollback && popxSplitGroup(previous.file) === split;
    // Added by the same commit as the file before (runOf): applied with it, in one deploy.
    const runKey = options.runOf?.get(file);
    const sameDeploy = runKey !== undefined && previous !== undefined && options.runOf!.get(previous.file) === runKey;
    const inRunNow = backToBack || sameDeploy;
    if (chained) {
      // Nothing to settle: the down before, in the chain, made it new, and is settled tentatively below.
    } else if (inRunNow || sameSplit) {
      if (previous && !previous.rollback) madeInRun(previous.file);
    } else {
      const settled = state.settle();
      if (previous && !previous.rollback) made(previous.file, settled);
    }
    previous = { file, rollback: rollbackFile };
    if (text === undefined) {
      perFile.push({ file, own: [{ code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the path and that the file is readable.' }] });
      continue;
    }
    sources.set(file, new SourceText(text));
    const tooLarge = sqlFileTooLarge(file, text, { start: 0, end: 0 });
    if (tooLarge) {
      perFile.push({ file, own: [tooLarge] });
      continue;
    }
    // psql (and Flyway) skip a byte order mark at the start of a file; read it as they do, offsets kept.
    const bom = text.charCodeAt(0) === 0xfeff;
    const unrendered = bom ? ` ${text.slice(1)}` : text;
    // Flyway's ${name} placeholders filled in with the values given, as Flyway does before the
    // server sees the file; lines keep their numbers (no value holds a line break).
    // An extension script's @extschema@ is filled in by CREATE and ALTER EXTENSION (with the
    // schema the search path given names first); any other file's ${name} by Flyway.
    const rendered = extensionScriptOf(file)
      ? renderExtensionScript(unrendered, quoteIdent(options.config?.searchPath?.[0] ?? 'public'))
      : renderPlaceholders(unrendered, options.config?.placeholders ?? new Map(), file);
    if (rendered) renderedFiles.set(file, rendered);
    const source = rendered?.text ?? unrendered;
    // Until the end, the text analysed: a message's line (the run's lineIn) is the same in both,
    // and the analysis's offsets are its.
    if (rendered) sources.set(file, new SourceText(source));
    // A Liquibase changelog is read as Liquibase runs it: the SQL its changesets run forward, and
    // their rollbacks (the --rollback lines), each a view of the file with offsets kept.
    const liquibase = liquibaseChangelog(source);
    // A psql variable the runner sets (psql -v eg_version=...: Evergreen's upgrade scripts, the
    // thirty-third trial) is read as set when --placeholder names it.
    const graphile = isGraphileMigration(file, source);
    const given = options.config?.placeholders;
    const setByRunner = given?.size ? (name: string) => given.has(name.toLowerCase()) || (graphile && isGraphilePlaceholder(name)) : graphile ? isGraphilePlaceholder : undefined;
    const { sql, parsed, skipped, names: psqlNames, directives, javaSteps } = readAsPsql(liquibase?.forward ?? source, setByRunner);
    if (given?.size) for (const name of psqlNames) if (given.has(name.toLowerCase())) psqlVariablesGiven.add(name.toLowerCase());
    const own: Diagnostic[] = [...skippedNotes(file, skipped), ...javaStepNote(file, javaSteps), ...delimiterNote(file, directives)];
    if (bom) own.push({ code: 'MG022', severity: 'info', file, span: { start: 0, end: 1 }, message: 'skipped the byte order mark (U+FEFF) at the start of the file', help: 'psql and Flyway skip it; a tool that sends the file to the server as it is (golang-migrate, dbmate) fails on it. Save the file as plain UTF-8 to be safe with any tool.' });
    // The parts of a file a tool runs apart (goose's, dbmate's up and down) and goose's and
    // sql-migrate's StatementEnd end a statement, with or without its semicolon.
    const up = yoyoMigrationOf(file);
    // A yoyo rollback's directives are its migration's (none when it has none).
    const sections = liquibase?.sections ?? fileSections(sql, rollbackFile, up === undefined ? undefined : (texts[indexOf.get(up) ?? -1] ?? ''));
    const breaks = liquibase ? [] : statementBreaks(sql, sections.flatMap((s) => s.ranges ?? [s]));
    // dbmate reads its markers before it runs anything, and refuses a file they do not make a
    // migration of (the fifteenth trial: a file with no down block, an indented marker).
    const refusal = liquibase ? undefined : dbmateRefusal(sql);
    const outside = liquibase ? undefined : options.drizzle?.has(file) ? drizzleOutside : outsideTransactionHow(file, sql);
    if (refusal) {
      const lineEnd = sql.indexOf('\n', refusal.offset);
      own.push({
        code: 'MG024', severity: 'error', file, span: { start: refusal.offset, end: lineEnd < 0 ? sql.length : lineEnd },
        message: `dbmate refuses this file before it runs any of it: ${refusal.reason}`,
        help: "Give every '-- migrate:up' its '-- migrate:down' (an empty one will do), each marker at the very start of its line (an indented one is a comment to dbmate), and nothing but comments before the first '-- migrate:up'.",
      });
    }
    const forward = breaks.length > 0 && crossesBreak(parsed, breaks) ? readStatements(...reparsedWithBreaks(sql, breaks)) : readStatements(sql, parsed);
    const back = liquibase ? readStatements(liquibase.rollback, parseSql(liquibase.rollback)) : undefined;
    // A statement the parser rejects is reported, and the others are judged all the same (but
    // in a part sent as one query string, below). Where each MG020 stands in `own`, by offset.
    const syntaxErrorAt = new Map<number, number>();
    for (const e of [...forward.errors, ...(back?.errors ?? [])]) {
      if (!syntaxErrorAt.has(e.offset)) syntaxErrorAt.set(e.offset, own.length);
      // Liquibase's rollback text has offsets of its own: its errors are the rollback's.
      const ofRollback = back !== undefined && !forward.errors.includes(e);
      // A placeholder where the parser stops: a template the tool fills in before the server sees it.
      const template = templatePlaceholderAt(source, e.offset);
      // Or inside a value given for one: the value is what to check.
      const inValue = rendered ? renderedValueAt(rendered, e.offset) : undefined;
      // A line that starts with another language's comment (`//`, `#`): some runners drop such lines.
      const foreign = template || inValue ? undefined : foreignCommentAt(sql, e.offset);
      own.push({
        code: 'MG020', severity: 'error', file, span: { start: e.offset, end: Math.min(e.offset + (template ? template.length : 1), source.length) },
        message: `SQL syntax error: ${e.message}${template ? `: a template placeholder (${template.shape})` : inValue ? `, in the value given for \${${inValue.name}}` : ''}${olderParser(options.config?.postgres)}`,
        help: template
          ? template.help
          : inValue
            ? `The value given for \${${inValue.name}} (--placeholder or "placeholders" in migc.config.json) is written into the SQL as it is, as Flyway writes it: give the value your deployment uses, quoted as the SQL around the placeholder needs.`
            : foreign
              ? `${foreign} starts no comment in PostgreSQL's SQL (only -- and /* ... */ do): the server refuses this line. A runner that drops such lines before it sends the file (Openfire's upgrade runner drops lines that start with //, # or REM) never sends it: if yours does, lint a copy without them; otherwise write the comment with --.`
              : 'Fix the statement; migc reads SQL with PostgreSQL\'s own parser, so this would fail on the server too.',
        ...(ofRollback ? { rollback: true as const } : {}),
      });
    }
    if (forward.statements) {
      const postgres = options.config?.postgres ?? defaultPostgresMajor;
      // A Drizzle file named as Prisma's (drizzle-kit 1.0's <timestamp>_<name>/migration.sql) is Drizzle's.
      const oneQueryString = isSentAsOneQueryString(file) && !options.drizzle?.has(file);
      // Flyway (under --file-transaction) runs a script outside a transaction when its .conf
      // says so, or when it reads statements in it that cannot run in one (src/lint-flyway.ts).
      const flyway = options.fileTransaction === true && isFlywayScript(file);
      const confSays = confs[i] === undefined ? undefined : flywayConfExecuteInTransaction(confs[i]);
      const flywayRuns = flyway && confSays === undefined ? flywayScriptTransaction(forward.statements, postgres) : undefined;
      if (flywayRuns?.kind === 'mixed') {
        // A `-- migc-ignore MG026: reason` before the statement it is reported on holds, as for any finding.
        const at = forward.statements.indexOf(flywayRuns.outside);
        const ignores = ignoresIn(sql, at > 0 ? forward.statements[at - 1]!.end : 0, flywayRuns.outside.start);
        const span = { start: flywayRuns.outside.start, end: flywayRuns.outside.end };
        for (const d of applyRuleSettings([withIgnores(flywayMixedScript(file, flywayRuns.outside, flywayRuns.inside, sources.get(file)!), ignores, span)], options.config?.rules)) own.push(d);
      }
      const dieselPath = dieselMetadataPath(file);
      const metadata = dieselPath === undefined ? undefined : diesel.get(dieselPath);
      const dieselSays = metadata?.says;
      if (dieselSays && 'problem' in dieselSays && !dieselProblems.has(dieselPath!)) {
        // Said once, with the first file of its migration linted.
        dieselProblems.add(dieselPath!);
        sources.set(dieselPath!, new SourceText(metadata!.text));
        for (const d of applyRuleSettings([dieselSays.problem], options.config?.rules)) own.push(d);
      }
      // diesel runs a migration whose metadata.toml says run_in_transaction = false with one
      // batch_execute outside a transaction: one query string.
      const dieselOutside = dieselSays !== undefined && 'runInTransaction' in dieselSays && !dieselSays.runInTransaction;
      const fileNoTransaction = confSays === false || (flywayRuns !== undefined && flywayRuns.kind !== 'transaction') || oneQueryString || dieselOutside;
      // Liquibase runs a file's changesets one after the other on one connection.
      const event = flywayCallbackEvent(file);
      const inTransaction = options.fileTransaction === true && !fileNoTransaction;
      const session: SessionSettings | undefined = liquibase || event === 'beforeEachMigrate' ? { lockTimeoutSet: connectionLockTimeout, lockTimeoutReported: false }
        : beforeEach && event === undefined && isFlywayScript(file) ? startedBy(beforeEach, inTransaction) : undefined;
      if (event === 'beforeEachMigrate') beforeEach = session;
      for (const section of sections) {
        const [viewSql, view] = section.inRollbackView ? [liquibase!.rollback, back!.statements] : [sql, forward.statements];
        if (!view) continue;
        // What a part holds; a tool runs nothing before its first marker (sql-migrate, node-pg-migrate).
        const statements = sections.length === 1 && section.start === 0 && !section.ranges ? view
          : view.filter((s) => (section.ranges ?? [section]).some((r) => s.start >= r.start && s.start < r.end));
        // A Liquibase changeset is a migration of its own: what the ones before it created is not
        // new; nor is what an up part created for its down part (goose, dbmate), run another day.
        if (group !== undefined && section.rollback) {
          // Settled before the chain, or tentatively within it (below).
        } else if (inRunNow && section.rollback) {
          if (!rollbackFile) madeInRun(file);
        } else if (section.newMigration || section.rollback) {
          const settledParts = state.settle();
          if (!rollbackFile) made(file, settledParts);
        }
        // In a run, an up part is one more part of the run's transaction.
        const inRun = run !== undefined && !section.rollback;
        // The tool sends the part as one query string, which PostgreSQL parses whole before it
        // runs any of it: after a syntax error in it, nothing of the part runs (the fifteenth
        // trial's dbmate down: its DROP TABLE judged as if the DROP COLUMN with a typo before it
        // had not run, and with the typo fixed it would have).
        const sentWhole = !run && (options.fileQueryString === true || (options.fileTransaction === true && (section.oneQueryString || oneQueryString || dieselOutside)));
        const brokenAt = sentWhole && !section.inRollbackView ? forward.errors.find((e) => (section.ranges ?? [section]).some((r) => e.offset >= r.start && e.offset < r.end)) : undefined;
        const madeByUp = section.rollback ? madeBy.get(migrationOfFile.get(file) ?? file) : undefined;
        const analyze = () => analyzeSqlFile(file, statements, viewSql, {
          postgres,
          ...(options.config?.postgres === undefined ? { postgresAssumed: true } : {}),
          ...(options.config?.postgresMinor !== undefined ? { postgresMinor: options.config.postgresMinor } : {}),
          ...(options.config?.assumeRows ? { assumeRows: options.config.assumeRows } : {}),
          ...(options.config?.searchPath ? { searchPath: options.config.searchPath } : {}),
          // A rollback of a run: a transaction of its own.
          ...(section.toolTransaction || run || (options.fileTransaction && !section.noTransaction && !fileNoTransaction) ? { fileTransaction: true } : {}),
          ...(sentWhole ? { oneQueryString: true } : {}),
          ...(outside !== undefined ? { outsideTransaction: outside } : {}),
          ...(psqlNames.size ? { psqlNames } : {}),
          ...(options.config?.appStopped ? { appStopped: true } : {}),
          // What a COMMIT in the file leaves open depends on how the tool sends its statements.
          ...(section.toolTransaction || flyway || (run && isFlywayScript(file)) ? { toolSends: 'driver-transaction' as const } : section.sends ? { toolSends: section.sends } : options.drizzle?.has(file) ? { toolSends: 'each-statement' as const } : {}),
          ...(inRun ? { run } : {}),
          ...(section.rollback ? { rollback: true } : {}),
          ...(section.rollback && rollbackFile ? { rollbackFile: true } : {}),
          ...(section.rollback && group !== undefined ? { rollbackChained: true } : {}),
          ...(madeByUp ? { madeByUp } : {}),
          // Comments before its own part are another part's.
          ...(sections.length > 1 ? { from: section.start } : {}),
          // A rollback runs another day, in a session of its own; each starts with what the
          // tool's connection sets (a lock_timeout: config.lockTimeout).
          ...(session && !section.rollback ? { session } : connectionLockTimeout ? { session: { lockTimeoutSet: true, lockTimeoutReported: false } } : {}),
          tablesNamed: tables,
          pending,
          ...(!section.rollback ? { onSessionSearchPath: (path: readonly string[]) => { if (!pathSetBy.has(file)) pathSetBy.set(file, path); } } : {}),
        }, state);
        if (!section.rollback && !pathSetBy.has(file)) withoutPath.add(file);
        // A rollback of a run settles what the run made for itself: it runs after its up has been live.
        // A down of a split migration stays applied for the next down of the chain, which runs
        // another day: what it made is settled for that one (in a run, what the run made, first).
        let judged: Diagnostic[];
        if (group !== undefined && section.rollback) {
          if (chain?.group !== group) {
            const undoState = state.beginTentatively();
            const undoViews = viewsOf(state).beginTentatively();
            chain = { group, undo: () => { undoViews(); undoState(); } };
          }
          // What the down before made is no longer new (it ran another day); before the first
          // down, what a run made (outside a run, settled above already: this finds nothing new).
          state.settleTentatively();
          judged = analyze();
        } else {
          judged = section.rollback ? state.tentatively(() => {
            if (inRunNow) state.settleTentatively();
            return analyze();
          }) : analyze();
        }
        if (brokenAt) {
          // What the part would do is judged once its syntax error is fixed: its statements are
          // still learnt (the files after it see the schema it makes), and the MG020 says why
          // nothing else of the part is reported.
          judged = [];
          const at = syntaxErrorAt.get(brokenAt.offset)!;
          const d = own[at]!;
          own[at] = { ...d, message: `${d.message} (nothing of this part runs: the tool sends it as one query string, which PostgreSQL parses whole before it runs any of it; its other findings show once it parses)` };
        }
        const findings = applyRuleSettings(options.config?.appStopped ? withAppStopped(judged, options.config.rules) : judged, options.config?.rules);
        for (const d of findings) own.push(d); // not push(...): a large file has more findings than a call takes arguments
      }
    }
    // Every finding placed in a rollback (a down file, a down part) says so, the parser's (MG020)
    // and the layout's too, not only the analysis's: a CI that reports on the ups alone sets
    // them apart (the thirty-seventh trial's G: ens's down files' MG020 had no marker).
    const rollbackRanges = sections.filter((s) => s.rollback && !s.inRollbackView).flatMap((s) => s.ranges ?? [s]);
    if (rollbackRanges.length) {
      for (const [k, d] of own.entries()) {
        if (!d.rollback && d.file === file && d.span && rollbackRanges.some((r) => d.span!.start >= r.start && d.span!.start < r.end)) own[k] = { ...d, rollback: true };
      }
    }
    perFile.push({ file, own });
  }
  chain?.undo();
  // Every file has run: what waited for the end of the run is judged on the schema they leave,
  // and placed among its file's findings.
  const pendingStanding = standingFindings(pending);
  const standing = applyRuleSettings(options.config?.appStopped ? withAppStopped(pendingStanding, options.config.rules) : pendingStanding, options.config?.rules);
  if (standing.length) {
    const ownOf = new Map(perFile.map((f) => [f.file, f.own]));
    for (const d of standing) ownOf.get(d.file!)?.push(d);
  }
  const diagnostics: Diagnostic[] = [];
  const files: { file: string; ok: boolean }[] = [];
  // Placeholders rendered: every position said in the rendered text is said in the file's own,
  // which renders show (code frames, line and column in every format).
  for (const file of renderedFiles.keys()) sources.set(file, new SourceText(texts[indexOf.get(file)!]!));
  const inFile = (file: string, span: Span | undefined) => {
    const rendered = span && renderedFiles.get(file);
    return rendered ? originalSpan(rendered, span) : span;
  };
  const inFiles = (d: Diagnostic): Diagnostic => ({
    ...d,
    ...(d.span ? { span: inFile(d.file, d.span) } : {}),
    ...(d.related ? { related: d.related.map((r) => (r.span ? { ...r, span: inFile(r.file, r.span)! } : r)) } : {}),
  });
  for (const { file, own: found } of perFile) {
    const own = renderedFiles.size > 0 ? found.map(inFiles) : found;
    own.sort(compareDiagnostics);
    // One by one: push(...own) overflows the call stack past some hundred thousand findings. The
    // same finding twice at one place (a function whose body makes two like statements, judged at
    // its call: cas-cif's, the thirty-fifth trial's R) is said once.
    let last: Diagnostic | undefined;
    for (const d of own) {
      if (last && d.code === last.code && d.message === last.message && d.span?.start === last.span?.start && d.span?.end === last.span?.end && d.severity === last.severity) continue;
      diagnostics.push(d);
      last = d;
    }
    files.push({ file, ok: !own.some((d) => d.severity === 'error') });
  }
  const placeholdersFilled = new Set([...[...renderedFiles.values()].flatMap((r) => r.replaced.map((p) => p.name.toLowerCase())), ...psqlVariablesGiven]);
  // A path set for the session in the connection (beforeEachMigrate) or a run reaches the others.
  // pg_catalog is searched first whether named or not: `SET search_path = public, pg_catalog`
  // (old pg_dump output: stellar's first migration, the thirty-sixth trial's N1) is the default.
  const setters = [...pathSetBy].filter(([file, path]) => path.length > 0 && path.filter((p) => p !== 'pg_catalog').join(',') !== 'public' && flywayCallbackEvent(file) !== 'beforeEachMigrate');
  for (const [file] of pathSetBy) withoutPath.delete(file);
  const searchPathSetBy = options.config?.searchPath === undefined && !options.runTransaction && !beforeEach && setters.length > 0 && withoutPath.size > 0
    ? { file: setters[0]![0], path: setters[0]![1], others: withoutPath.size } : undefined;
  return { files, tables, placeholdersFilled, diagnostics, sources, ...(searchPathSetBy ? { searchPathSetBy } : {}) };
}

/** The metadata.toml of each diesel migration among the files that has one, and what it says. */
async function dieselMetadataOf(files: readonly string[], host: Host): Promise<Map<string, { text: string; says: DieselMetadata }>> {
  const paths = [...new Set(files.flatMap((f) => dieselMetadataPath(f) ?? []))];
  const texts = await Promise.all(paths.map((p) => host.readFile(p)));
  const read = new Map<string, { text: string; says: DieselMetadata }>();
  for (const [i, path] of paths.entries()) {
    const text = texts[i];
    if (text !== undefined) read.set(path, { text, says: dieselMetadata(path, text) });
  }
  return read;
}

/**
 * A Flyway script that mixes statements Flyway runs outside a transaction with others (MG026):
 * Flyway refuses it unless mixed=true, and then runs it all outside a transaction, as lint judges it.
 */
/**
 * The settings a Flyway migration starts with after beforeEachMigrate (`each`, as it left them):
 * in the migration's transaction, what was in force at its end; outside one, what it SET for
 * the session (a SET LOCAL there lasted only for its own statement's implicit transaction).
 */
function startedBy(each: SessionSettings, inTransaction: boolean): SessionSettings {
  const end = inTransaction ? each.atEnd : undefined;
  return {
    lockTimeoutSet: end?.lockTimeoutSet ?? each.lockTimeoutSet,
    lockTimeoutReported: false,
    ...((end?.searchPath ?? each.searchPath) ? { searchPath: end?.searchPath ?? each.searchPath } : {}),
    ...((end?.timeZoneUtc ?? each.timeZoneUtc) ? { timeZoneUtc: true } : {}),
  };
}

function flywayMixedScript(file: string, outside: ParsedStatement, inside: ParsedStatement, source: SourceText): Diagnostic {
  const command = 'AlterEnumStmt' in outside.ast ? 'ALTER TYPE ... ADD VALUE' : statementFacts(outside.ast).command;
  const base = file.slice(file.lastIndexOf('/') + 1);
  return {
    code: 'MG026', severity: 'error', file, span: { start: outside.start, end: outside.end },
    message: `Flyway runs ${command} outside a transaction but the statement at line ${source.position(inside.start).line} inside one, and refuses a script that mixes both ("Detected both transactional and non-transactional statements within the same migration") unless mixed=true; with mixed=true it runs the whole script outside a transaction, as migc lints it`,
    help: `Move ${command} to a script of its own, which Flyway runs outside a transaction. With mixed=true (flyway.conf, -mixed) or executeInTransaction=false in ${base}.conf, each statement commits on its own: a failure part way leaves the script half applied, so write it to be run again (IF NOT EXISTS); a project that sets mixed=true can turn this code down in its config (rules: { MG026: warning }).`,
  };
}

/**
 * A template placeholder at `offset`, which a migration tool replaces before the server sees the
 * file: `{{ ... }}` (gobuffalo pop, Go's text/template, Jinja), `${name}` (Flyway's placeholders,
 * Liquibase's changelog properties; one left here had no value given), `$%NAME%$` (Synapse's
 * schema files). Text only: the SQL around it does not parse.
 */
function templatePlaceholderAt(text: string, offset: number): { readonly length: number; readonly shape: string; readonly help: string } | undefined {
  const rendersCopies = (tool: string) => `The file is a template its migration tool renders before it runs it (${tool}): migc reads SQL as the server gets it. Render the files with the values your deployment uses, and lint the rendered copies.`;
  if (text.startsWith('{{', offset)) return { length: 2, shape: '{{ ... }}', help: rendersCopies('gobuffalo pop fills in {{ index .Options "Namespace" }}, for one') };
  // A ${name} migc renders itself when given its value (src/lint-placeholders.ts).
  const flyway = placeholderAt(text, offset);
  if (flyway) {
    const placeholder = text.slice(offset, flyway.end);
    return {
      length: placeholder.length, shape: '${...}',
      help: `The file is a template its migration tool renders before it runs it (Flyway replaces ${placeholder} with a placeholder's value, Liquibase with a changelog property's): give migc the value your deployment uses, --placeholder ${flyway.name}=<value> (or "placeholders" in migc.config.json), and it reads the file as the server gets it.`,
    };
  }
  const synapse = /^\$%\w+%\$/.exec(text.slice(offset, offset + 200));
  if (synapse) return { length: synapse[0].length, shape: '$%...%$', help: rendersCopies(`Synapse replaces ${synapse[0]} when it runs its schema files`) };
  // A variable no \set of the file gives a value (a `::` cast is not one): psql -v passes it, or
  // the tool fills it in (graphile-worker's :GRAPHILE_WORKER_SCHEMA; the seventeenth trial).
  const variable = text.startsWith('::', offset - 1) ? null : /^:[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(offset, offset + 200));
  if (variable) return { length: variable[0].length, shape: ':NAME', help: `${rendersCopies(`psql -v ${variable[0].slice(1)}=... fills in ${variable[0]}, and so do tools that run such files, graphile-worker's :GRAPHILE_WORKER_SCHEMA for one`)} Or say the runner sets it: --placeholder ${variable[0].slice(1)}=<value> (or "placeholders" in migc.config.json), and migc reads ${variable[0]} as set.` };
  return undefined;
}

/** Whether the parser failed, or read a statement across a break (statementBreaks). */
function crossesBreak(parsed: ParseOutcome, breaks: readonly number[]): boolean {
  return !parsed.ok || parsed.statements.some((st) => breaks.some((b) => st.start < b && b < st.end));
}

/** The text with each break's line read as a semicolon, offsets kept, and what the parser makes of it. */
function reparsedWithBreaks(sql: string, breaks: readonly number[]): [string, ParseOutcome] {
  let text = sql;
  for (const b of breaks) {
    const eol = text.indexOf('\n', b);
    const end = eol < 0 ? text.length : text[eol - 1] === '\r' ? eol - 1 : eol;
    text = `${text.slice(0, b)};${' '.repeat(Math.max(0, end - b - 1))}${text.slice(end)}`;
  }
  return [text, parseSql(text)];
}

/** The statements of a text, and the ones the parser rejects: the others are judged all the same. */
function readStatements(sql: string, parsed: ParseOutcome): { statements?: readonly ParsedStatement[]; errors: readonly { message: string; offset: number }[] } {
  if (parsed.ok) return { statements: parsed.statements, errors: [] };
  const each = parseEachStatement(sql);
  return each ? { statements: each.statements, errors: each.errors } : { errors: [{ message: parsed.message, offset: parsed.offset }] };
}

/**
 * A file as psql runs it: its meta-commands (\set ON_ERROR_STOP on) and COPY ... FROM STDIN
 * data are not SQL and are left out, offsets kept. Most files hold neither: they are parsed as
 * they are, and only a file with a backslash, COPY FROM STDIN or a syntax error is read again.
 */
function readAsPsql(text: string, placeholder?: (name: string) => boolean): { sql: string; parsed: ParseOutcome; skipped: PsqlOnly[]; names: ReadonlySet<string>; directives: readonly DelimiterLine[]; javaSteps: readonly DelimiterLine[] } {
  if (!text.includes('\\')) {
    const parsed = parseSql(text);
    if (parsed.ok && !parsed.statements.some((s) => copiesFromStdin(s.ast))) return { sql: text, parsed, skipped: [], names: noNames, directives: [], javaSteps: [] };
  }
  const psqlOnly = psqlSqlOnly(text, placeholder ? { placeholder } : {});
  const { skipped, names } = psqlOnly;
  let sql = psqlOnly.sql;
  let parsed = parseSql(sql);
  // Activiti's and Flowable's Java upgrade steps, in a file the parser refuses as written.
  const javaSteps: DelimiterLine[] = [];
  if (!parsed.ok && javaStepLine.test(sql)) {
    sql = sql.replace(new RegExp(javaStepLine.source, 'gm'), (line: string, offset: number) => {
      javaSteps.push({ start: offset + line.indexOf('execute'), end: offset + line.trimEnd().length, text: line.trim() });
      return line.replace(/[^\r]/g, ' ');
    });
    parsed = parseSql(sql);
  }
  // A script runner's delimiter directives, in a file the parser refuses as written: no statement starts with `delimiter`.
  if (!parsed.ok && delimiterDirective.test(sql)) {
    const read = withoutDelimiterDirectives(sql);
    return { sql: read.sql, parsed: parseSql(read.sql), skipped, names, directives: read.lines, javaSteps };
  }
  return { sql, parsed, skipped, names, directives: [], javaSteps };
}

/**
 * A line Activiti's and Flowable's schema runner (DbSqlSession.executeSchemaResource) runs as a
 * Java upgrade step, `execute java <class>`, its line trimmed: it never reaches the server (the
 * thirty-seventh trial's E). Only with a dotted class name after it, as the runner's lines are
 * written: a real EXECUTE statement is never taken for one.
 */
const javaStepLine = /^[ \t]*execute java [A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+[ \t]*\r?$/m;

/** The note for a file read with Activiti's `execute java` steps skipped, at the first. */
function javaStepNote(file: string, lines: readonly DelimiterLine[]): Diagnostic[] {
  if (lines.length === 0) return [];
  const first = lines[0]!;
  return [{
    code: 'MG022', severity: 'info', file, span: { start: first.start, end: first.end },
    message: `skipped ${first.text} as a script runner's directive: Activiti's (and Flowable's) schema runner runs that Java upgrade step itself, and what it does to the schema and the data is unknown to migc${lines.length > 1 ? ` (${lines.length} such lines skipped)` : ''}`,
    help: 'The line never reaches the server: the runner calls the class instead. Read the class to know what it changes; a tool that sends the file as it is (psql, Flyway) fails on the line.',
  }];
}

/**
 * The comment marker of another language (`//`, `#`) where a syntax error stands, when it starts
 * its line (after blanks): the twenty-seventh trial's Openfire, whose runner drops such lines.
 */
function foreignCommentAt(sql: string, offset: number): string | undefined {
  const lineStart = sql.lastIndexOf('\n', offset - 1) + 1;
  if (sql.slice(lineStart, offset).trim() !== '') return undefined;
  return sql.startsWith('//', offset) ? '//' : sql.startsWith('#', offset) ? '#' : undefined;
}

/** A line that is a script runner's `delimiter X` directive, alone on its line. */
const delimiterDirective = /^[ \t]*delimiter[ \t]+\S+[ \t]*\r?$/im;

/** A line of a runner's delimiter directive, or the line that ends a statement with its delimiter. */
interface DelimiterLine {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * A script as a runner that reads the MySQL client's `delimiter X` directive sends it
 * (DolphinScheduler's upgrade runner, and MyBatis's ScriptRunner, in their PostgreSQL scripts
 * too; the twenty-fifth trial's B): the lines after the directive, up to a line that is X alone
 * (or ends with X), are one statement, and the server sees neither the directive nor X.
 * `delimiter ;` goes back to plain semicolons. Read so, offsets and lines kept: the directive's
 * line blanked out, X written as a semicolon. The runners read the script line by line, as this
 * does.
 */
function withoutDelimiterDirectives(sql: string): { sql: string; lines: DelimiterLine[] } {
  const lines: DelimiterLine[] = [];
  let out = '';
  let delimiter: string | undefined;
  let at = 0;
  for (const line of sql.split('\n')) {
    const directive = /^[ \t]*delimiter[ \t]+(\S+)[ \t]*\r?$/i.exec(line);
    const body = line.replace(/\r$/, '');
    if (directive) {
      delimiter = directive[1] === ';' ? undefined : directive[1];
      lines.push({ start: at, end: at + body.length, text: body.trim() });
      out += line.replace(/[^\r]/g, ' ');
    } else if (delimiter !== undefined && body.trimEnd().endsWith(delimiter)) {
      const end = body.trimEnd().length;
      const start = end - delimiter.length;
      lines.push({ start: at + start, end: at + end, text: delimiter });
      out += `${line.slice(0, start)};${' '.repeat(delimiter.length - 1)}${line.slice(end)}`;
    } else {
      out += line;
    }
    out += '\n';
    at += line.length + 1;
  }
  return { sql: out.slice(0, -1), lines };
}

/** The note for a file read with a runner's delimiter directives, at the first. */
function delimiterNote(file: string, lines: readonly DelimiterLine[]): Diagnostic[] {
  if (lines.length === 0) return [];
  const first = lines[0]!;
  return [{
    code: 'MG022', severity: 'info', file, span: { start: first.start, end: first.end },
    message: `read ${first.text} as a script runner's directive: the lines after it, up to its delimiter, are one statement (${lines.length} line${lines.length === 1 ? '' : 's'} of directives and delimiters skipped)`,
    help: 'A runner that reads the MySQL client\'s delimiter directive (DolphinScheduler\'s upgrade runner, MyBatis\'s ScriptRunner) sends neither the directive nor the delimiter to the server; migc reads the file as it does. A tool that sends the file as it is (psql, Flyway, golang-migrate) fails on them.',
  }];
}

const noNames: ReadonlySet<string> = new Set();

/** The major version of PostgreSQL whose parser migc reads SQL with (libpg-query). */
const parserMajor = 18;

/**
 * Said after a syntax error when the server given is older than the parser: PostgreSQL 18's
 * grammar may stop at another word than the server's (the nineteenth trial's G: `ALTER TYPE ...
 * DROP VALUE IF EXISTS` is "at or near IF" to 18, "at or near VALUE" to 15).
 */
function olderParser(postgres: number | undefined): string {
  return postgres !== undefined && postgres < parserMajor ? ` (as PostgreSQL ${parserMajor}'s parser reads it; PostgreSQL ${postgres} may stop at another word)` : '';
}

/** Drizzle's migrator runs every migration in its transaction, and no marker opts one out. */
const drizzleOutside = "a script you run yourself after Drizzle's migrate (its migrator runs every migration in a transaction, and no migration can opt out)";

/** One note per file for each kind of text skipped, at the first place it was skipped. */
function skippedNotes(file: string, skipped: readonly PsqlOnly[]): Diagnostic[] {
  const notes: Diagnostic[] = [];
  const meta = skipped.filter((p) => p.kind === 'meta');
  if (meta.length > 0) {
    const commands = [...new Set(meta.map((m) => `\\${m.command}`))];
    const first = meta[0]!;
    notes.push({
      code: 'MG022', severity: 'info', file, span: { start: first.start, end: first.end },
      message: meta.length === 1 ? `skipped the psql meta-command ${first.text}` : `skipped ${meta.length} psql meta-commands (${commands.slice(0, 5).join(', ')}${commands.length > 5 ? ', ...' : ''})`,
      help: 'psql runs meta-commands itself; migc lints the SQL around them. Only psql knows them: a tool that sends the file to the server (Flyway, golang-migrate) would fail on them.',
    });
  }
  const data = skipped.filter((p) => p.kind === 'copy-data');
  if (data.length > 0) {
    const lines = data.reduce((n, d) => n + d.lines, 0);
    const first = data[0]!;
    notes.push({
      code: 'MG022', severity: 'info', file, span: { start: first.start, end: Math.max(first.start, Math.min(first.end - 1, first.start + 200)) },
      message: `skipped ${lines} line${lines === 1 ? '' : 's'} of COPY ... FROM STDIN data${data.length > 1 ? ` in ${data.length} blocks` : ''}`,
      help: 'psql sends the lines after COPY ... FROM STDIN, up to a line \\., to the server as data; migc does not lint data.',
    });
  }
  return notes;
}
