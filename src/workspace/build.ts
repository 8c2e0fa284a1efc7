import type { PlanWriteResult } from '../write/write.js';
import type { CompileResult } from './workspace.js';

export interface PlanOutcome {
  readonly file: string;
  readonly id: string | null;
  readonly ok: boolean;
  /** The files written (or unchanged), as the user finds them: <out>/<id>/<file>. */
  readonly outputs: readonly string[];
  /** Why an error-free plan was not written. */
  readonly error?: string;
}

export interface BuildOutcome {
  readonly plans: readonly PlanOutcome[];
  readonly built: number;
  readonly written: number;
  readonly unchanged: number;
  /** Plans with errors: nothing written, previous outputs left as they were. */
  readonly withErrors: number;
  /** Error-free plans that could not be written. */
  readonly notWritten: number;
}

/** What a build did, plan by plan, from the compile result and what the writer reported. */
export function buildOutcome(result: CompileResult, written: ReadonlyMap<string, PlanWriteResult>, outDisplay: string): BuildOutcome {
  let built = 0;
  let files = 0;
  let unchanged = 0;
  const plans: PlanOutcome[] = [];
  for (const p of result.plans) {
    const w = p.ok && p.id !== undefined ? written.get(p.id) : undefined;
    if (w?.ok) {
      built++;
      files += w.written.length;
      unchanged += w.unchanged.length;
      plans.push({ file: p.file, id: p.id!, ok: true, outputs: p.outputs.map((o) => `${outDisplay}/${o.path}`) });
    } else {
      plans.push({ file: p.file, id: p.id ?? null, ok: false, outputs: [], ...(p.ok ? { error: w && !w.ok ? w.problem.message : 'not written' } : {}) });
    }
  }
  const ready = result.plans.filter((p) => p.ok && p.id !== undefined).length;
  return { plans, built, written: files, unchanged, withErrors: result.plans.filter((p) => !p.ok).length, notWritten: ready - built };
}
