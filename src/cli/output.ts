import type { CompileResult } from '../compile.js';
import { countBySeverity, type Diagnostic } from '../diagnostics/diagnostic.js';
import { renderJson, renderPretty, type DiagnosticFormat } from '../diagnostics/render.js';

/** Where a command reads and writes: the working folder and the two streams. */
export interface Io {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly color: boolean;
}

/** Exit codes: 0 clean or warnings only, 1 a plan has errors (or --check found stale outputs), 2 usage or internal error. */
export const exitCodes = { ok: 0, planErrors: 1, usage: 2 } as const;

/**
 * A command's closing line on stderr: what it did, followed by the counts; or, when
 * --changed-since left it nothing to do, one plain sentence saying so (nothingChangedSince).
 */
export type Summary = string | { readonly plain: string };

/**
 * The closing line when --changed-since REF kept no plan (run() refuses paths with no plans at
 * all, so none kept means none changed). The exit code stays that of a clean run: 0.
 */
export function nothingChangedSince(ref: string, done: 'checked' | 'built' | 'verified', plans: number): Summary | undefined {
  return plans === 0 ? { plain: `no plan, baseline, fixture, app query file, template or config changed since ${ref}, so nothing was ${done}` } : undefined;
}

export interface CommonOptions {
  format: DiagnosticFormat;
  verbose?: boolean;
  config?: string;
  assumeRows?: string[];
  /** --changed-since REF (build, check, verify, lint). */
  changedSince?: string;
}

/**
 * Prints diagnostics in the chosen format; notes (info) only in json or with --verbose: pretty,
 * github and sarif show what needs doing (GitHub code scanning opens an alert for every SARIF
 * result, a note or a suppressed one too). json and sarif are one document on stdout and
 * nothing else there; github and sarif name files from the repository's root, as GitHub reads
 * them. Returns the exit code.
 */
export async function printDiagnostics(diagnostics: readonly Diagnostic[], sources: CompileResult['sources'], options: CommonOptions, io: Io, summary: Summary, extra: Record<string, unknown>): Promise<number> {
  const counts = countBySeverity(diagnostics);
  // A plain summary is said on stderr in every format (json's stdout is its document), with no
  // counts unless there are problems to count.
  const plain = typeof summary === 'string' ? undefined : summary.plain;
  const line = typeof summary === 'string' ? summary : summary.plain;
  const bare = plain !== undefined && diagnostics.length === 0;
  if (options.format === 'json') {
    if (plain !== undefined) io.stderr(`migc: ${plain}\n`);
    io.stdout(renderJson(diagnostics, sources, { ok: counts.error === 0, ...extra, summary: { ...(extra.summary as object | undefined), ...counts } }));
    return counts.error > 0 ? exitCodes.planErrors : exitCodes.ok;
  }
  const shown = options.verbose ? diagnostics : diagnostics.filter((d) => d.severity !== 'info');
  if (options.format === 'sarif') {
    const [{ renderSarifLog }, { repositoryPaths }] = await Promise.all([import('./format.js'), import('./repository-root.js')]);
    io.stdout(await renderSarifLog(shown, sources, await repositoryPaths(io.cwd)));
  } else if (options.format === 'github') {
    const [{ renderGithubAnnotations }, { repositoryPaths }] = await Promise.all([import('./format.js'), import('./repository-root.js')]);
    io.stdout(await renderGithubAnnotations(shown, sources, await repositoryPaths(io.cwd)));
  } else {
    const text = renderPretty(shown, sources, { color: io.color });
    if (text) io.stdout(`${text}\n`);
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const notes = counts.info && !options.verbose ? ` (${plural(counts.info, 'note')}: --verbose shows them)` : counts.info ? `, ${plural(counts.info, 'note')}` : '';
  io.stderr(bare ? `migc: ${line}\n` : `migc: ${line}: ${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}${notes}\n`);
  return counts.error > 0 ? exitCodes.planErrors : exitCodes.ok;
}
