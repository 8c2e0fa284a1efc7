import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Io } from './output.js';
import { UsageError } from './files.js';
import type { OutputRoot, PlanToWrite, PlanWriteResult } from '../write/write.js';

/** The options of commands that write: build, and verify --report. */
export interface WriteFlags {
  readonly out: string;
  readonly allowOutside?: boolean;
  readonly lockTimeout?: string;
}

/** --out, checked before any work: a dangerous or impossible output folder is a usage error (exit 2). */
export async function outputRoot(flags: WriteFlags, io: Io): Promise<OutputRoot> {
  const { checkOutputRoot } = await import('../write/output-root.js');
  const checked = checkOutputRoot({ out: flags.out, cwd: io.cwd, ...(flags.allowOutside ? { allowOutside: true } : {}) });
  if (!checked.ok) throw new UsageError(checked.message);
  lockTimeoutMs(flags); // a bad value fails now, not after compiling
  return checked.root;
}

function lockTimeoutMs(flags: WriteFlags): number | undefined {
  if (flags.lockTimeout === undefined) return undefined;
  const seconds = Number(flags.lockTimeout);
  if (!/^\d+(\.\d+)?$/.test(flags.lockTimeout) || !Number.isFinite(seconds)) throw new UsageError(`--lock-timeout takes seconds, for example 60; got ${flags.lockTimeout}`);
  return seconds * 1000;
}

export interface WrittenPlans {
  /** Per plan id; a plan missing here was not written (the folder could not be opened). */
  readonly results: ReadonlyMap<string, PlanWriteResult>;
  /** Whether anything could not be written: the command exits 2. */
  readonly failed: boolean;
  /** What could not be written, one line each (also printed on stderr). */
  readonly problems: readonly string[];
}

/**
 * Writes the plans' outputs and says, one line each on stderr, what could not be written and
 * why (the previous outputs stay as they were), which files migc kept because it did not write
 * them, and what it cleaned up after a killed run.
 */
export async function writePlans(root: OutputRoot, plans: readonly PlanToWrite[], flags: WriteFlags, io: Io): Promise<WrittenPlans> {
  const { writeOutputs } = await import('../write/write.js');
  const timeout = lockTimeoutMs(flags);
  const all = await writeOutputs(root, plans, { ...(timeout !== undefined ? { lockTimeoutMs: timeout } : {}), onWait: (m) => io.stderr(`migc: ${m}\n`) });
  for (const note of all.recovered) io.stderr(`migc: note: ${note}\n`);
  if (all.problem) {
    io.stderr(`migc: ${all.problem.message}; nothing was written\n`);
    return { results: all.plans, failed: true, problems: [`${all.problem.message}; nothing was written`] };
  }
  const problems: string[] = [];
  for (const [, r] of all.plans) {
    if (!r.ok) {
      io.stderr(`migc: ${r.problem.message}\n`);
      problems.push(r.problem.message);
    } else {
      for (const kept of r.kept) io.stderr(`migc: note: kept ${root.display}/${kept}: migc did not write it\n`);
    }
  }
  return { results: all.plans, failed: problems.length > 0, problems };
}

/**
 * Write problems as diagnostics (MG092) for the documents of --format json, sarif and github,
 * which must carry every error; pretty output has printed them on stderr already.
 */
export function writeProblemDiagnostics(written: WrittenPlans, format: string): Diagnostic[] {
  if (format === 'pretty') return [];
  return written.problems.map((message) => ({ code: 'MG092', severity: 'error', file: '', message }));
}
