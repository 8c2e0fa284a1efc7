import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CompileResult, ProjectConfig } from '../compile.js';
import { configFileName, projectConfig } from './config.js';
import { defaultFormat, reportFailure } from './format.js';
import { diagnosticFormats } from '../diagnostics/render.js';
import { projectUrl } from '../diagnostics/links.js';
import { exitCodes, nothingChangedSince, printDiagnostics, type CommonOptions, type Io, type Summary } from './output.js';
import type { TemplateSources } from '../emit/template-names.js';
import { nodeHost } from '../host.js';
import { findMigrations, findPlanFiles, templatesFolder, UsageError } from './files.js';
import { outputRoot, writePlans, writeProblemDiagnostics, type WriteFlags } from './write-outputs.js';

export { exitCodes, type Io } from './output.js';
export { colorWanted } from './format.js';

/** Starts loading PostgreSQL's parser (bin/migc.js, for the commands that read SQL, before they need it). */
export function startSqlParser(): Promise<void> {
  return import('../sql/parser.js').then((m) => m.loadSqlParser());
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const version = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')).version as string;
  let exitCode: number = exitCodes.ok;
  const program = new Command('migc')
    .description('Compile migration plans (YAML) into a review report, runnable SQL, a timeline and checklists; fail when a plan is unsafe.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run migc --help for usage)')
    .addHelpText('after', helpEpilogue);

  const formatOption = () =>
    new Option('--format <format>', 'how to print problems: pretty (compiler style), json, github (Actions annotations; the default when GITHUB_ACTIONS=true) or sarif (code scanning)').choices(diagnosticFormats).default(defaultFormat());
  const verboseOption = () => new Option('--verbose', 'also print notes (info): allowances, expected drops in contract phases');
  const configOption = () => new Option('--config <file>', `project settings (default: ${configFileName} if present)`);
  const allowOutsideOption = () => new Option('--allow-outside', 'allow an output folder outside the project (the folder migc runs in)');
  const lockTimeoutOption = () => new Option('--lock-timeout <seconds>', 'how long to wait for another migc writing the same output folder (default 60)');
  const changedSinceOption = () => new Option('--changed-since <ref>', 'only plans changed since this git ref, or naming a file that changed (all when the config or templates changed)');
  const assumeRowsOption = () => new Option('--assume-rows <table=rows>', 'size of a table, over the plans\' size hints (repeatable)').argParser((v: string, prev: string[] = []) => [...prev, v]);

  program
    .command('build')
    .description('check plans and write their outputs to <out>/<plan id>/ (plans with errors write nothing)')
    .argument('[paths...]', 'plan files or folders to search for *.yaml', ['plans'])
    .option('-o, --out <dir>', 'output folder, inside the project', 'out')
    .addOption(allowOutsideOption())
    .addOption(lockTimeoutOption())
    .option('-t, --templates <dir>', 'folder of templates overriding the built-in ones (report.md.hbs, ...)')
    .addOption(formatOption())
    .addOption(verboseOption())
    .addOption(configOption())
    .addOption(assumeRowsOption())
    .addOption(changedSinceOption())
    .option('--check', 'write nothing; exit 1 when the output folder differs from what the plans compile to (stale, missing or extra files)')
    .option('--summary <file>', 'also write a Markdown summary for a pull-request comment (under 60,000 characters)')
    .option('--svg', 'also draw each timeline to timeline.svg beside report.md, with the system\'s Chromium ($MIGC_CHROMIUM overrides)')
    .action(async (paths: string[], options: CommonOptions & WriteFlags & { templates?: string; check?: boolean; summary?: string; svg?: boolean }) => {
      exitCode = await build(paths, options, io);
    });

  program
    .command('verify')
    .description('rehearse plans on a real PostgreSQL: load the baseline, run every phase up, roll each back (checking schema and data), and run them up again; stop each phase after every statement and check both ways out (crash points); run the live app versions\' queries at every schema state')
    .argument('[paths...]', 'plan files or folders to search for *.yaml', ['plans'])
    .option('--database-url <url>', 'rehearse on this PostgreSQL server (13+), in databases migc creates and drops')
    .addOption(new Option('--engine <engine>', 'without --database-url: local (a throwaway cluster of the plan\'s PostgreSQL major, installed here; MIGC_PG_BINDIR names its bin folder), pglite (PostgreSQL 18, in-process), or auto: local when installed, else PGlite with a warning').choices(['auto', 'local', 'pglite']).default('auto'))
    .option('--connect-timeout <seconds>', 'with --database-url: how long to wait for the server to answer (default 10)', (v: string) => {
      const n = Number(v);
      if (!(n > 0 && n <= 3600)) throw new InvalidArgumentError('a number of seconds, more than 0 and at most 3600');
      return n;
    })
    .option('--clean-leftovers', 'with --database-url: drop rehearsal databases and roles left behind by earlier runs that were killed')
    .option('--report', 'also write <out>/<plan id>/ with a Rehearsal section in report.md')
    .option('--no-crash-points', 'skip the crash points: a failure injected after each statement, then down and up again checked')
    .option('-o, --out <dir>', 'output folder for --report', 'out')
    .addOption(allowOutsideOption())
    .addOption(lockTimeoutOption())
    .option('-t, --templates <dir>', 'folder of templates overriding the built-in ones')
    .addOption(formatOption())
    .addOption(verboseOption())
    .addOption(configOption())
    .addOption(assumeRowsOption())
    .addOption(changedSinceOption())
    .action(async (paths: string[], options: CommonOptions & WriteFlags & { databaseUrl?: string; engine?: 'auto' | 'local' | 'pglite'; connectTimeout?: number; cleanLeftovers?: boolean; report?: boolean; crashPoints?: boolean; templates?: string }) => {
      if (options.report) await outputRoot(options, io); // a bad --out fails before the rehearsal
      const templates = await loadTemplates(options.templates, io);
      const compiled = await run(paths, templates, options, io);
      const { verify } = await import('./verify.js');
      exitCode = await verify(compiled, {
        format: options.format, verbose: options.verbose === true, out: options.out, ...(options.config ? { config: options.config } : {}),
        ...(options.allowOutside ? { allowOutside: true } : {}), ...(options.lockTimeout !== undefined ? { lockTimeout: options.lockTimeout } : {}),
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}), ...(options.engine ? { engine: options.engine } : {}),
        ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}), ...(options.cleanLeftovers ? { cleanLeftovers: true } : {}),
        ...(options.report ? { report: true } : {}), ...(options.crashPoints === false ? { crashPoints: false } : {}),
        ...(options.changedSince !== undefined ? { changedSince: options.changedSince } : {}),
      }, io);
    });

  program
    .command('check')
    .description('check plans and report problems, writing nothing')
    .argument('[paths...]', 'plan files or folders to search for *.yaml', ['plans'])
    .addOption(formatOption())
    .addOption(verboseOption())
    .addOption(configOption())
    .addOption(assumeRowsOption())
    .addOption(changedSinceOption())
    .action(async (paths: string[], options: CommonOptions) => {
      exitCode = await check(paths, options, io);
    });

  program
    .command('watch')
    .description('build, then rebuild the plans each save affects, until Ctrl-C; with --serve, also a live preview')
    .argument('[paths...]', 'plan files or folders to search for *.yaml', ['plans'])
    .option('-o, --out <dir>', 'output folder, inside the project', 'out')
    .addOption(allowOutsideOption())
    .addOption(lockTimeoutOption())
    .option('-t, --templates <dir>', 'folder of templates overriding the built-in ones')
    .option('--serve', 'also serve a live preview of the outputs on 127.0.0.1 and print its URL')
    .option('--port <n>', 'the preview\'s port (default 4400; 0 picks a free one)', (v: string) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('a port number, 0 to 65535');
      return n;
    })
    .addOption(verboseOption())
    .addOption(configOption())
    .addOption(assumeRowsOption())
    .action(async (paths: string[], options: CommonOptions & WriteFlags & { templates?: string; serve?: boolean; port?: number }) => {
      const { watchCommand } = await import('./watch.js');
      exitCode = await watchCommand(paths, options, io);
    });

  program
    .command('lint')
    .description('check plain .sql migration files (Flyway, golang-migrate, dbmate, ...) for the same PostgreSQL hazards, in file order')
    .argument('<paths...>', '.sql files, or folders searched for *.sql')
    .option('--postgres <version>', 'PostgreSQL version the migrations run on: a major (15), or with its minor release (14.3) (default: the config\'s, else 14)')
    .option('--assume-rows <table=rows>', 'size of a table (repeatable); tables without one are assumed large', (v: string, prev: string[] = []) => [...prev, v])
    .option('--file-transaction', 'each file runs in one transaction, or as its tool runs it (Flyway, dbmate, goose, sql-migrate, tern, yoyo, ...); default: statement by statement, as psql does')
    .option('--file-query-string', 'each file is sent as one query string, one implicit transaction when it holds several statements (golang-migrate)')
    .option('--run-transaction', 'the up files given are one run in one transaction, in order (node-pg-migrate\'s default, Flyway with group=true): locks are held from file to file, and what earlier files created stays new')
    .option('--app-stopped', 'the application is stopped while the migrations run (an upgrade at start-up, a maintenance window): nothing waits behind a lock, so the lock and blocking rules are off or notes; rewrites, scans and refusals stay (the config\'s "rules" win over it; "app_stopped" in migc.config.json)')
    .option('--one-run', 'the up files given run back to back in one upgrade, each file as its tool sends it (MusicBrainz\'s upgrade.sh; one release\'s files of an engine that upgrades itself at start): what earlier files created stays new and empty. Give it one release\'s files, not the whole history: over a history it takes every table for new')
    .option('--one-run-per-commit', 'the files one git commit added run back to back in one deploy (a migration and the next, generated together): what the earlier of them create stays new and empty for the later; files not committed yet are one run too. Needs git; read over a whole history')
    .option('--one-run-per-folder', 'the files of one folder run back to back in one deploy (Yuniql\'s version folders, v0.01/, v0.02/, ...): what the earlier of them create stays new and empty for the later; each folder is a release of its own. Read over a whole history')
    .option('--lock-timeout <value>', 'the lock_timeout the migration tool\'s connection sets before the files run, for example 15s: lock waits are bounded until a file sets it otherwise (default: the config\'s, else none)')
    .option('--search-path <schemas>', 'the search_path the migration tool\'s connection sets, for example storage,public: where bare names are looked up until a file sets one (default: the config\'s, else PostgreSQL\'s: public)')
    .option('--rollbacks <glob>', 'the files that are rollbacks, in a layout migc does not know by name (repeatable), for example \'db/rollback_dbs/**\': each is judged right after the up of its version', (v: string, prev: string[] = []) => [...prev, v])
    .option('--placeholder <name=value>', 'the value of a Flyway ${name} placeholder, filled in before the SQL is read, as Flyway does (repeatable; over the config\'s placeholders)', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--changed-since <ref>', 'report only on the files changed since this git ref (all when the config changed); every file is still read, in order, for the schema'))
    .addOption(formatOption())
    .addOption(verboseOption())
    .addOption(configOption())
    .action(async (paths: string[], options: CommonOptions & { postgres?: string; assumeRows?: string[]; fileTransaction?: boolean; fileQueryString?: boolean; runTransaction?: boolean; oneRun?: boolean; oneRunPerCommit?: boolean; oneRunPerFolder?: boolean; searchPath?: string; lockTimeout?: string; placeholder?: string[]; rollbacks?: string[]; appStopped?: boolean }) => {
      const { lintCommand } = await import('./lint.js');
      exitCode = await lintCommand(paths, options, io);
    });

  program
    .command('explain')
    .description('print the documentation of a rule: the problem, the lock it takes, the safe recipe; without a code, list the codes')
    .argument('[code]', 'a rule code, for example MG201 (or 201)')
    .action(async (code: string | undefined) => {
      exitCode = await explain(code, io);
    });

  // No command: the help, on stdout as git and npm print theirs, and exit 2 (usage), not 0: a
  // script that runs `migc $COMMAND` with the variable empty did nothing it was asked to.
  if (argv.length === 0) {
    program.outputHelp();
    return exitCodes.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    // --help and --version end here with 0; anything else exits 2, reported in the --format asked for.
    return reportFailure(e, argv, io);
  }
  return exitCode;
}

/** After the commands in --help: where to start, the exit codes, where the documentation is. */
const helpEpilogue = `
Examples:
  migc build                     check plans/*.yaml and write their files to out/<plan id>/
  migc check plans/x.yaml        check one plan, write nothing
  migc verify                    rehearse the plans on PostgreSQL: up, down, up again
  migc lint db/migrations        check plain .sql migration files
  migc explain MG201             a rule's page: the problem, the lock, the safe recipe
  migc help build                a command's options

Exit codes: 0 clean or warnings only; 1 a plan or SQL file has errors (verify: a rehearsal
failed; build --check: an output is out of date); 2 usage or internal error (migc alone too).

Documentation: README.md, docs/ and ${projectUrl}`;

/** The --templates folder (checked to exist) over the built-in templates; loaded by the core. */
async function loadTemplates(dir: string | undefined, io: Io): Promise<TemplateSources> {
  const { loadTemplateSources } = await import('../workspace/templates.js');
  return loadTemplateSources(nodeHost(io.cwd), await templatesFolder(dir, io.cwd));
}

/**
 * Every compiling command is this adapter: find the plan files, load the config (the core
 * checks it), and build a workspace once. The compiler is imported only by the commands that
 * compile (--help and --version stay instant), and the SQL parser's WebAssembly starts
 * compiling first, on a background thread, while the YAML and schema modules load.
 */
async function run(paths: string[], templates: TemplateSources | undefined, options: { config?: string; assumeRows?: string[]; changedSince?: string; templates?: string }, io: Io): Promise<CompileResult & { readonly config?: ProjectConfig }> {
  const parser = import('../sql/parser.js').then((m) => m.loadSqlParser());
  let files = await findPlanFiles(paths, io.cwd);
  if (files.length === 0) {
    // A folder of SQL migrations given to build or check: say which command reads those.
    const sql = await findMigrations(paths, io.cwd).then((m) => m.files, () => []);
    throw new UsageError(`no plan files (*.yaml, *.yml) in ${paths.join(', ')}${sql.length ? `; it holds ${sql.length} .sql file${sql.length === 1 ? '' : 's'}: migc lint ${paths.join(' ')} checks SQL migrations` : ''}`);
  }
  if (options.changedSince !== undefined) files = await (await import('./changed-since.js')).plansChangedSince(files, { ref: options.changedSince, cwd: io.cwd, ...(options.config ? { config: options.config } : {}), ...(options.templates ? { templates: options.templates } : {}) });
  const config = await projectConfig(options, io);
  const { createWorkspace } = await import('../workspace/workspace.js');
  await parser;
  const result = await createWorkspace({ host: nodeHost(io.cwd), files, ...(templates ? { templates } : {}), ...(config ? { config } : {}) }).build();
  return { ...result, ...(config ? { config } : {}) };
}

/** A code as the user may type it: mg207, MG207 or 207. */
function normalCode(code: string): string {
  const c = code.trim().toUpperCase();
  return /^\d{3}$/.test(c) ? `MG${c}` : c;
}

async function explain(code: string | undefined, io: Io): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  const codes = (await readdir(`${packageRoot}docs/rules`)).filter((f) => /^MG\d{3}\.md$/.test(f)).map((f) => f.replace(/\.md$/, '')).sort();
  if (code === undefined) {
    // Every page opens "# MG201 index-not-concurrent", a blank line, then its summary.
    const rows = await Promise.all(codes.map(async (c) => {
      const [title = '', , summary = ''] = (await readFile(`${packageRoot}docs/rules/${c}.md`, 'utf8')).split('\n');
      return `${title.replace(/^# /, '').padEnd(40)} ${summary}`;
    }));
    io.stdout(`${rows.join('\n')}\n\nmigc explain <CODE> prints a code's page.\n`);
    return exitCodes.ok;
  }
  const wanted = normalCode(code);
  if (codes.includes(wanted)) {
    io.stdout(await readFile(`${packageRoot}docs/rules/${wanted}.md`, 'utf8'));
    return exitCodes.ok;
  }
  const { didYouMean } = await import('../util/suggest.js');
  const guess = didYouMean(wanted, codes);
  io.stderr(`migc: no rule ${code}${guess ? `; did you mean ${guess}?` : ''} (migc explain lists the codes)\n`);
  return exitCodes.usage;
}

function report(result: CompileResult, options: CommonOptions, io: Io, summary: Summary, extra: Record<string, unknown>): Promise<number> {
  return printDiagnostics(result.diagnostics, result.sources, options, io, summary, { ...extra, summary: { plans: result.plans.length } });
}

async function check(paths: string[], options: CommonOptions, io: Io): Promise<number> {
  const result = await run(paths, undefined, options, io);
  const plural = result.plans.length === 1 ? 'plan' : 'plans';
  const nothing = options.changedSince !== undefined ? nothingChangedSince(options.changedSince, 'checked', result.plans.length) : undefined;
  return report(result, options, io, nothing ?? `checked ${result.plans.length} ${plural}`, {
    plans: result.plans.map((p) => ({ file: p.file, id: p.id ?? null, ok: p.ok })),
  });
}

async function build(paths: string[], options: CommonOptions & WriteFlags & { templates?: string; check?: boolean; summary?: string; svg?: boolean }, io: Io): Promise<number> {
  const root = await outputRoot(options, io);
  const templates = await loadTemplates(options.templates, io);
  const compiled = await run(paths, templates, options, io);
  let result: CompileResult = compiled;
  if (options.svg || compiled.config?.svg) result = await (await import('../emit/svg.js')).drawTimelines(result);
  if (options.summary) await (await import('./summary.js')).writeSummaryFile(result, { summary: options.summary, out: root.display, cwd: io.cwd });
  if (options.check) return (await import('./check-outputs.js')).runBuildCheck(result, root, { ...options, paths }, io);
  const ready = result.plans.filter((p) => p.ok && p.id !== undefined);
  const writes = await writePlans(root, ready.map((p) => ({ id: p.id!, outputs: p.outputs })), options, io);
  const { results, failed: writeFailed } = writes;
  const { buildOutcome } = await import('../workspace/build.js');
  const done = buildOutcome(result, results, root.display);
  const n = result.plans.length;
  const summary = `built ${done.built} of ${n} plan${n === 1 ? '' : 's'} into ${root.display}/ (${done.written} written, ${done.unchanged} unchanged)${done.withErrors ? `; ${done.withErrors} with errors left as they were` : ''}${done.notWritten ? `; ${done.notWritten} could not be written` : ''}`;
  const nothing = options.changedSince !== undefined ? nothingChangedSince(options.changedSince, 'built', n) : undefined;
  const code = await report({ ...result, diagnostics: [...result.diagnostics, ...writeProblemDiagnostics(writes, options.format)] }, options, io, nothing ?? summary, { plans: done.plans.map((p) => ({ file: p.file, id: p.id, ok: p.ok, outputs: p.outputs, ...(p.error ? { error: p.error } : {}) })) });
  return writeFailed ? exitCodes.usage : code;
}
