import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CompileResult } from '../compile.js';
import { ConfigError, configFileName, projectConfig } from './config.js';
import { diagnosticFormats } from '../diagnostics/render.js';
import { exitCodes, printDiagnostics, type CommonOptions, type Io } from './output.js';
import { templateFileName, templateNames, type TemplateName, type TemplateSources } from '../emit/template-names.js';
import { nodeHost } from '../host.js';
import { findPlanFiles, UsageError } from './files.js';
import { outputRoot, writePlans, type WriteFlags } from './write-outputs.js';

export { exitCodes, type Io } from './output.js';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const version = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')).version as string;
  let exitCode: number = exitCodes.ok;
  const program = new Command('migc')
    .description('Compile migration plans (YAML) into a review report, runnable SQL, a timeline and checklists; fail when a plan is unsafe.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run migc --help for usage)');

  const formatOption = () =>
    new Option('--format <format>', 'how to print problems: pretty (compiler style), json, or github (Actions annotations)').choices(diagnosticFormats).default('pretty');
  const verboseOption = () => new Option('--verbose', 'also print notes (info): allowances, expected drops in contract phases');
  const configOption = () => new Option('--config <file>', `project settings (default: ${configFileName} if present)`);
  const allowOutsideOption = () => new Option('--allow-outside', 'allow an output folder outside the project (the folder migc runs in)');
  const lockTimeoutOption = () => new Option('--lock-timeout <seconds>', 'how long to wait for another migc writing the same output folder (default 60)');
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
    .action(async (paths: string[], options: CommonOptions & WriteFlags & { templates?: string }) => {
      exitCode = await build(paths, options, io);
    });

  program
    .command('verify')
    .description('rehearse plans on a real PostgreSQL: load the baseline, run every phase up, roll each back (checking schema and data), and run them up again')
    .argument('[paths...]', 'plan files or folders to search for *.yaml', ['plans'])
    .option('--database-url <url>', 'rehearse on this PostgreSQL server (13+), in databases migc creates and drops (default: PGlite, in-process)')
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
    .action(async (paths: string[], options: CommonOptions & WriteFlags & { databaseUrl?: string; connectTimeout?: number; cleanLeftovers?: boolean; report?: boolean; crashPoints?: boolean; templates?: string }) => {
      if (options.report) await outputRoot(options, io); // a bad --out fails before the rehearsal
      const templates = await loadTemplates(await templatesFolder(options.templates, io), io);
      const compiled = await run(paths, templates, options, io);
      const { verify } = await import('./verify.js');
      exitCode = await verify(compiled, templates, {
        format: options.format, verbose: options.verbose === true, out: options.out,
        ...(options.allowOutside ? { allowOutside: true } : {}), ...(options.lockTimeout !== undefined ? { lockTimeout: options.lockTimeout } : {}),
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
        ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}), ...(options.cleanLeftovers ? { cleanLeftovers: true } : {}),
        ...(options.report ? { report: true } : {}), ...(options.crashPoints === false ? { crashPoints: false } : {}),
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
    .action(async (paths: string[], options: CommonOptions) => {
      exitCode = await check(paths, options, io);
    });

  program
    .command('lint')
    .description('check plain .sql migration files (Flyway, golang-migrate, dbmate, ...) for the same PostgreSQL hazards, in file order')
    .argument('<paths...>', '.sql files, or folders searched for *.sql')
    .option('--postgres <major>', 'PostgreSQL major version the migrations run on (default: the config\'s, else 14)')
    .option('--assume-rows <table=rows>', 'size of a table (repeatable); tables without one are assumed large', (v: string, prev: string[] = []) => [...prev, v])
    .option('--file-transaction', 'each file runs in one transaction (Flyway, dbmate); default: statement by statement, as psql does')
    .addOption(formatOption())
    .addOption(verboseOption())
    .addOption(configOption())
    .action(async (paths: string[], options: CommonOptions & { postgres?: string; assumeRows?: string[]; fileTransaction?: boolean }) => {
      const { lintCommand } = await import('./lint.js');
      exitCode = await lintCommand(paths, options, io);
    });

  program
    .command('explain')
    .description('print the documentation of a rule: the problem, the lock it takes, the safe recipe')
    .argument('<code>', 'a rule code, for example MG201')
    .action(async (code: string) => {
      exitCode = await explain(code, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; anything else is a usage error.
      return e.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (e instanceof UsageError) {
      io.stderr(`migc: ${e.message}\n`);
      return exitCodes.usage;
    }
    if (e instanceof ConfigError) return exitCodes.usage;
    io.stderr(`migc: internal error: ${(e as Error).stack ?? e}\nPlease report this with the plan that caused it.\n`);
    return exitCodes.usage;
  }
  return exitCode;
}

async function loadTemplates(dir: string | undefined, io: Io): Promise<TemplateSources> {
  const sources: Partial<Record<TemplateName, { file: string; text: string }>> = {};
  for (const name of templateNames) {
    const fileName = templateFileName(name);
    const custom = dir === undefined ? undefined : await readFile(resolve(io.cwd, dir, fileName), 'utf8').catch(() => undefined);
    sources[name] = custom !== undefined
      ? { file: `${dir!.replace(/\/$/, '')}/${fileName}`, text: custom }
      : { file: `templates/${fileName}`, text: await readFile(`${packageRoot}templates/${fileName}`, 'utf8') };
  }
  return sources as TemplateSources;
}

/**
 * The compiler is imported only by the commands that compile (--help and --version stay
 * instant), and the SQL parser's WebAssembly starts compiling first, on a background thread,
 * while the YAML and schema modules load.
 */
async function run(paths: string[], templates: TemplateSources | undefined, options: { config?: string; assumeRows?: string[] }, io: Io): Promise<CompileResult> {
  const parser = import('../sql/parser.js').then((m) => m.loadSqlParser());
  const files = await findPlanFiles(paths, io.cwd);
  if (files.length === 0) throw new UsageError(`no plan files (*.yaml, *.yml) in ${paths.join(', ')}`);
  const { withAssumedRows } = await import('./config.js');
  const config = withAssumedRows(await projectConfig(options.config, io), options.assumeRows, (m) => new UsageError(m));
  const { compile } = await import('../compile.js');
  await parser;
  return compile({ files, ...(templates ? { templates } : {}), ...(config ? { config } : {}) }, nodeHost(io.cwd));
}

async function explain(code: string, io: Io): Promise<number> {
  const page = await readFile(`${packageRoot}docs/rules/${code.toUpperCase()}.md`, 'utf8').catch(() => undefined);
  if (page !== undefined) {
    io.stdout(page);
    return exitCodes.ok;
  }
  const { readdir } = await import('node:fs/promises');
  const { didYouMean } = await import('../util/suggest.js');
  const codes = (await readdir(`${packageRoot}docs/rules`)).map((f) => f.replace(/\.md$/, ''));
  const guess = didYouMean(code.toUpperCase(), codes);
  io.stderr(`migc: no rule ${code}${guess ? `; did you mean ${guess}?` : ''} (codes are listed in the README)\n`);
  return exitCodes.usage;
}

function report(result: CompileResult, options: CommonOptions, io: Io, summary: string, extra: Record<string, unknown>): number {
  return printDiagnostics(result.diagnostics, result.sources, options, io, summary, { ...extra, summary: { plans: result.plans.length } });
}

async function check(paths: string[], options: CommonOptions, io: Io): Promise<number> {
  const result = await run(paths, undefined, options, io);
  const plural = result.plans.length === 1 ? 'plan' : 'plans';
  return report(result, options, io, `checked ${result.plans.length} ${plural}`, {
    plans: result.plans.map((p) => ({ file: p.file, id: p.id ?? null, ok: p.ok })),
  });
}

/** The --templates folder, checked to exist. */
async function templatesFolder(dir: string | undefined, io: Io): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const { stat } = await import('node:fs/promises');
  const info = await stat(resolve(io.cwd, dir)).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--templates ${dir} is not a folder`);
  return dir;
}

async function build(paths: string[], options: CommonOptions & WriteFlags & { templates?: string }, io: Io): Promise<number> {
  const root = await outputRoot(options, io);
  const templates = await loadTemplates(await templatesFolder(options.templates, io), io);
  const result = await run(paths, templates, options, io);
  const ready = result.plans.filter((p) => p.ok && p.id !== undefined);
  const { results, failed: writeFailed } = await writePlans(root, ready.map((p) => ({ id: p.id!, outputs: p.outputs })), options, io);
  let written = 0;
  let unchanged = 0;
  let built = 0;
  const planOutputs = [];
  for (const p of result.plans) {
    const w = p.ok && p.id !== undefined ? results.get(p.id) : undefined;
    if (w?.ok) {
      built++;
      written += w.written.length;
      unchanged += w.unchanged.length;
      planOutputs.push({ file: p.file, id: p.id, ok: true, outputs: p.outputs.map((o) => `${root.display}/${o.path}`) });
    } else {
      planOutputs.push({ file: p.file, id: p.id ?? null, ok: false, outputs: [], ...(p.ok ? { error: w && !w.ok ? w.problem.message : 'not written' } : {}) });
    }
  }
  const withErrors = result.plans.filter((p) => !p.ok).length;
  const notWritten = ready.length - built;
  const summary = `built ${built} of ${result.plans.length} plan${result.plans.length === 1 ? '' : 's'} into ${root.display}/ (${written} written, ${unchanged} unchanged)${withErrors ? `; ${withErrors} with errors left as they were` : ''}${notWritten ? `; ${notWritten} could not be written` : ''}`;
  const code = report(result, options, io, summary, { plans: planOutputs });
  return writeFailed ? exitCodes.usage : code;
}
