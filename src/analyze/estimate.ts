import { formatSeconds } from '../normalize/durations.js';
import { stepStatements, type Batch, type Phase, type Statement, type Step } from '../normalize/model.js';
import { pgDurationSeconds } from '../sql/batch.js';
import type { PlanSettings } from './settings.js';
import { secondsPerRow, type StatementAnalysis } from './sql/analyze.js';
import { formatCount } from '../util/numbers.js';

/**
 * migc's own duration estimates, in one place for the report, the timeline and the checklist:
 * rows (from the size hints) times a rate per kind of work (secondsPerRow), and for a batched
 * statement its pauses too, one after each batch: ceil(rows / size) batches times the pause.
 * Lock waits, gates and waits are not in them.
 */
export type Analyses = ReadonlyMap<Statement, StatementAnalysis>;

/** What migc's estimates read: the statements' analysis and the table sizes. */
export interface EstimateInput {
  readonly analysis: Analyses;
  readonly settings: Pick<PlanSettings, 'rows'>;
}

/** The sleeping of a batched statement: its batches, the pause after each, and their total. */
export interface Pauses {
  readonly batches: number;
  readonly pause: string;
  readonly seconds: number;
}

export interface Estimate {
  /** Work and pauses together. */
  readonly seconds: number;
  readonly pauses?: Pauses;
}

/** The rows of the statement's table and how many batches of `size` walk them; undefined without a size. */
function batchesOf(statement: Statement, size: number, { analysis, settings }: EstimateInput): number | undefined {
  const table = analysis.get(statement)?.table;
  const rows = table === undefined ? undefined : settings.rows(table);
  return rows === undefined ? undefined : Math.max(1, Math.ceil(rows / size));
}

/** One statement of a step (batched when the step is): undefined when a table it works on has no size. */
export function statementEstimate(step: Step, statement: Statement, input: EstimateInput): Estimate | undefined {
  return batchedEstimate(statement, step.batch, input);
}

/** One statement, run in batches when batch is given: its work, and the pauses after its batches. */
function batchedEstimate(statement: Statement, batch: Batch | undefined, input: EstimateInput): Estimate | undefined {
  const a = input.analysis.get(statement);
  if (!a) return undefined;
  const work = a.effect === 'catalog' ? 0 : a.seconds;
  if (work === undefined) return undefined;
  if (!batch?.pause) return { seconds: work };
  const batches = batchesOf(statement, batch.size, input);
  if (batches === undefined) return undefined;
  const pauses = { batches, pause: batch.pause, seconds: batches * pgDurationSeconds(batch.pause) };
  return { seconds: work + pauses.seconds, pauses };
}

/** A step: the sum of its statements; undefined when one cannot be estimated or the step runs no SQL. */
export function stepEstimate(step: Step, input: EstimateInput): Estimate | undefined {
  const statements = stepStatements(step);
  if (statements.length === 0) return undefined;
  const each = statements.map((s) => statementEstimate(step, s, input));
  if (each.some((e) => e === undefined)) return undefined;
  return sumEstimates(each as Estimate[]);
}

/**
 * Undoing a step, as its down script runs it: a SQL rollback's statements (batched when it is).
 * Undefined when the rollback runs no SQL (a command or instructions, nothing to undo) or a table
 * it works on has no size.
 */
export function rollbackEstimate(step: Step, input: EstimateInput): Estimate | undefined {
  const r = step.rollback;
  if (r?.kind !== 'sql') return undefined;
  const each = r.statements.map((s) => batchedEstimate(s, r.batch, input));
  return each.some((e) => e === undefined) ? undefined : sumEstimates(each as Estimate[]);
}

/** Whether undoing the step does work on rows or indexes (not only the catalog): the rollbacks worth a duration. */
export function rollbackDoesWork(step: Step, input: EstimateInput): boolean {
  const r = step.rollback;
  return r?.kind === 'sql' && (r.batch !== undefined || r.statements.some((s) => (input.analysis.get(s)?.effect ?? 'catalog') !== 'catalog'));
}

/** A phase's down script: the rollbacks of its steps; undefined when one that does work cannot be estimated. */
export function phaseRollbackEstimate(phase: Phase, input: EstimateInput): Estimate | undefined {
  const working = phase.steps.filter((s) => rollbackDoesWork(s, input));
  if (!working.length) return undefined;
  const each = working.map((s) => rollbackEstimate(s, input));
  return each.some((e) => e === undefined) ? undefined : sumEstimates(each as Estimate[]);
}

/** A phase's SQL steps; undefined when it has none or one cannot be estimated. */
export function phaseEstimate(phase: Phase, input: EstimateInput): Estimate | undefined {
  const sqlSteps = phase.steps.filter((s) => s.action?.kind === 'sql');
  if (!sqlSteps.length) return undefined;
  const each = sqlSteps.map((s) => stepEstimate(s, input));
  return each.some((e) => e === undefined) ? undefined : sumEstimates(each as Estimate[]);
}

export function sumEstimates(each: readonly Estimate[]): Estimate {
  const seconds = each.reduce((a, e) => a + e.seconds, 0);
  const withPauses = each.filter((e) => e.pauses);
  if (!withPauses.length) return { seconds };
  const pauses = withPauses.map((e) => e.pauses!);
  return {
    seconds,
    pauses: {
      batches: pauses.reduce((a, p) => a + p.batches, 0),
      pause: [...new Set(pauses.map((p) => p.pause))].join(', '),
      seconds: pauses.reduce((a, p) => a + p.seconds, 0),
    },
  };
}

/** "~15min", "under a second": migc's estimate as the outputs write it. */
export function estimateText(e: Estimate): string {
  return e.seconds < 1 ? 'under a second' : `~${formatSeconds(e.seconds)}`;
}

/** "10min of pauses: 6,000 batches × 100ms", for the reader to see where the time goes. */
export function pausesText(p: Pauses): string {
  const each = p.pause.includes(',') ? `pauses of ${p.pause}` : p.pause;
  return `${formatSeconds(p.seconds)} of pauses: ${formatCount(p.batches)} batches × ${each}`;
}

/** How the estimates are made, for the report: the rates per kind of work, and the pauses. */
export function estimateMethod(): string {
  const rate = (seconds: number) => `${formatCount(Math.round(1 / seconds))} rows/s`;
  return `rows from the table sizes below, at ${rate(secondsPerRow['row changes'])} for row changes, ${rate(secondsPerRow.scan)} for scans, ${rate(secondsPerRow['index build'])} for index builds and ${rate(secondsPerRow.rewrite)} for rewrites; catalog changes count as nothing; a batched step adds its pauses, one after each batch (rows ÷ batch size batches); lock waits, gates and waits are not included`;
}
