import type { AnalysisSettings } from '../analyze/settings.js';
import type { StatementAnalysis } from '../analyze/sql/analyze.js';
import type { Plan, Statement } from '../normalize/model.js';
import { checklistView } from './checklist/view.js';
import { reportView, type ReportFinding } from './report/view.js';
import { downScript, phaseHasSql, upScript } from './sql/blocks.js';
import type { Templates } from './templates.js';
import { timelineView } from './timeline/view.js';

/** A file to write, relative to the output folder, with forward slashes. */
export interface OutputFile {
  readonly path: string;
  readonly contents: string;
}

/** Markdown and Mermaid: no trailing spaces, at most one blank line in a row, one final newline. */
function finish(text: string): string {
  return `${text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').replace(/\s+$/, '')}\n`;
}

/** SQL is left as written (a string literal may span lines); only the end is made one newline. */
function finishSql(text: string): string {
  return `${text.replace(/\s+$/, '')}\n`;
}

/** Every artefact of one plan, from the one plan model, into <plan id>/. */
export interface EmitExtras {
  /** The rehearsal's results (migc verify --report). */
  readonly rehearsal?: unknown;
  /** Locks, effects and durations of every statement, from the SQL analysis. */
  readonly analysis?: ReadonlyMap<Statement, StatementAnalysis>;
  /** The target version and table sizes the analysis used. */
  readonly settings?: AnalysisSettings;
}

export function emitPlan(plan: Plan, templates: Templates, findings: readonly ReportFinding[], { rehearsal, analysis, settings }: EmitExtras = {}): OutputFile[] {
  const dir = plan.id;
  const timeline = finish(templates['timeline.mmd'](timelineView(plan)));
  const files: OutputFile[] = [
    { path: `${dir}/report.md`, contents: finish(templates['report.md']({ ...reportView(plan, findings, { ...(analysis ? { analysis } : {}), ...(settings ? { settings } : {}) }), timeline, rehearsal })) },
    { path: `${dir}/checklist.md`, contents: finish(templates['checklist.md'](checklistView(plan))) },
    { path: `${dir}/timeline.mmd`, contents: timeline },
  ];
  for (const phase of plan.phases) {
    if (!phaseHasSql(phase)) continue;
    for (const view of [upScript(plan, phase), downScript(plan, phase)]) {
      const template = view.direction === 'up' ? templates['phase.up.sql'] : templates['phase.down.sql'];
      files.push({ path: `${dir}/${view.fileName}`, contents: finishSql(template({ ...view, plan })) });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
