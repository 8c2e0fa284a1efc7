import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { issuesUrl } from '../diagnostics/links.js';
import { diagnosticFormats, renderGithub, renderJson, type DiagnosticFormat, type Sources } from '../diagnostics/render.js';
import { ChangedSinceError } from './changed-since.js';
import { ConfigError } from './config.js';
import { UsageError } from './files.js';
import type { Io } from './output.js';

const packageRoot = new URL('../../', import.meta.url);

/**
 * --format when none is given: GitHub Actions annotations inside a GitHub Actions job
 * (GITHUB_ACTIONS=true), compiler-style text elsewhere.
 */
export function defaultFormat(env: NodeJS.ProcessEnv = process.env): DiagnosticFormat {
  return env.GITHUB_ACTIONS === 'true' ? 'github' : 'pretty';
}

/**
 * Colour for pretty output: NO_COLOR (any non-empty value, no-color.org) turns it off, whatever
 * else is set; FORCE_COLOR (set, other than 0 or false) on, for a pipe that shows colours (a CI
 * log); otherwise only on a terminal that is not TERM=dumb.
 */
export function colorWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force && force !== '0' && force !== 'false') return true;
  return isTTY && env.TERM !== 'dumb';
}

/**
 * The format a command line asks for, read before (or without) commander: a usage error found
 * while parsing must still come out in that format. An unknown value counts as none.
 */
export function formatInArgv(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DiagnosticFormat {
  let chosen: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--format') chosen = argv[i + 1];
    else if (a.startsWith('--format=')) chosen = a.slice('--format='.length);
  }
  return diagnosticFormats.includes(chosen as DiagnosticFormat) ? chosen as DiagnosticFormat : defaultFormat(env);
}

/** The package's version, for SARIF's tool description. */
export async function toolVersion(): Promise<string> {
  return JSON.parse(await readFile(new URL('package.json', packageRoot), 'utf8')).version as string;
}

/**
 * SARIF with each code's name, summary, severity and docs page from the catalogue, and files named
 * from the repository's root (see repositoryPaths).
 */
export async function renderSarifLog(diagnostics: readonly Diagnostic[], sources: Sources, path: (file: string) => string): Promise<string> {
  const [{ renderSarif }, { ruleCatalog }, version] = await Promise.all([import('../diagnostics/sarif.js'), import('../diagnostics/rule-catalog.js'), toolVersion()]);
  const catalog = await ruleCatalog();
  const pages = new Map<string, string>();
  for (const code of new Set(diagnostics.map((d) => d.code))) {
    const page = await readFile(new URL(`docs/rules/${code}.md`, packageRoot), 'utf8').catch(() => undefined);
    if (page !== undefined) pages.set(code, page);
  }
  return renderSarif(diagnostics, sources, {
    toolVersion: version,
    path,
    rule: (code) => {
      const e = catalog.get(code);
      const page = pages.get(code);
      return e ? { name: e.name, summary: e.summary, ...(e.severity ? { severity: e.severity } : {}), ...(page !== undefined ? { page } : {}) } : undefined;
    },
  });
}

/** GitHub annotations titled with each code and its rule's name, files named from the repository's root. */
export async function renderGithubAnnotations(diagnostics: readonly Diagnostic[], sources: Sources, path: (file: string) => string): Promise<string> {
  const { ruleCatalog } = await import('../diagnostics/rule-catalog.js');
  const catalog = await ruleCatalog();
  return renderGithub(diagnostics, sources, { path, ruleName: (code) => catalog.get(code)?.name });
}

/**
 * A command that could not run (exit 2), in the format asked for: pretty prints `migc: ...` on
 * stderr as before; json, sarif and github print a whole document (or annotations) on stdout,
 * errors included, so a CI parser always gets something to read.
 */
export async function printFailure(problems: readonly Diagnostic[], sources: Sources, format: DiagnosticFormat, io: Io): Promise<void> {
  if (format === 'pretty') {
    const located = problems.filter((d) => d.file);
    if (located.length) {
      const { renderPretty } = await import('../diagnostics/render.js');
      io.stderr(renderPretty(located, sources, { color: io.color }));
    }
    for (const d of problems.filter((p) => !p.file)) io.stderr(`migc: ${d.message}\n${d.help ? `migc: ${d.help}\n` : ''}`);
    return;
  }
  if (format === 'json') io.stdout(renderJson(problems, sources, { ok: false, summary: { error: problems.filter((d) => d.severity === 'error').length, warning: problems.filter((d) => d.severity === 'warning').length, info: problems.filter((d) => d.severity === 'info').length } }));
  else {
    const { repositoryPaths } = await import('./repository-root.js');
    const path = await repositoryPaths(io.cwd);
    if (format === 'sarif') {
      io.stdout(await renderSarifLog(problems, sources, path));
      return;
    }
    io.stdout(await renderGithubAnnotations(problems, sources, path));
    // Also a plain line on stderr: the job log shows it even where annotations are not read.
    for (const d of problems) io.stderr(`migc: ${d.message}\n`);
  }
}

/** An output that cannot be written (MG092): the command exits 2. */
export class WriteFailure extends Error {}

/** A problem with the command line as a diagnostic (MG090): no file, no span. */
export function usageProblem(message: string, help?: string): Diagnostic {
  return { code: 'MG090', severity: 'error', file: '', message, ...(help ? { help } : {}) };
}

/**
 * Turns what stopped a command (a usage error, a broken config, commander's complaint, a bug)
 * into output in the requested format; returns exit code 2. Commander has already written its
 * own message on stderr.
 */
export async function reportFailure(e: unknown, argv: readonly string[], io: Io): Promise<number> {
  const format = formatInArgv(argv);
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return 0; // --help, --version
    if (format !== 'pretty') await printFailure([usageProblem(e.message.replace(/^error: /, ''), 'Run migc --help for usage.')], new Map(), format, { ...io, stderr: () => {} });
    return 2;
  }
  if (e instanceof ConfigError) {
    await printFailure(e.diagnostics, e.sources, format, io);
    return 2;
  }
  if (e instanceof UsageError) {
    await printFailure([usageProblem(e.message)], new Map(), format, io);
    return 2;
  }
  if (e instanceof ChangedSinceError) {
    await printFailure([{ code: 'MG091', severity: 'error', file: '', message: e.message }], new Map(), format, io);
    return 2;
  }
  if (e instanceof Error && 'problem' in e && e.constructor.name === 'SvgUnavailable') {
    await printFailure([(e as Error & { problem: Diagnostic }).problem], new Map(), format, io);
    return 2;
  }
  if (e instanceof WriteFailure) {
    await printFailure([{ code: 'MG092', severity: 'error', file: '', message: e.message }], new Map(), format, io);
    return 2;
  }
  const report = `Please report this at ${issuesUrl} with the plan that caused it.`;
  const internal: Diagnostic = { code: 'MG093', severity: 'error', file: '', message: `internal error: ${(e as Error)?.message ?? String(e)}`, help: report };
  if (format === 'pretty') io.stderr(`migc: internal error: ${(e as Error).stack ?? e}\n${report}\n`);
  else await printFailure([internal], new Map(), format, io);
  return 2;
}
