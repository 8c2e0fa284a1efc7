import type { PlanSettings } from '../analyze/settings.js';
import type { StatementAnalysis } from '../analyze/sql/analyze.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Plan, Statement } from '../normalize/model.js';
import { checklistView } from './checklist/view.js';
import { reportView, type ReportFinding } from './report/view.js';
import { downScript, phaseHasSql, upScript } from './sql/blocks.js';
import { checkScript } from './sql/check.js';
import type { Templates } from './templates.js';
import { timelineView } from './timeline/view.js';

/** A file to write, relative to the output folder, with forward slashes. */
export interface OutputFile {
  readonly path: string;
  readonly contents: string;
}

/** Markdown and Mermaid: no trailing spaces, at most one blank line in a row, one final newline. */
function finish(text: string): string {
  return `${withoutTrailingBlanks(text).replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** SQL is left as written (a string literal may span lines); only the end is made one newline. */
function finishSql(text: string): string {
  return `${text.trimEnd()}\n`;
}

/**
 * Spaces and tabs at the end of each line removed. Not /[ \t]+$/gm: that pattern retries from every
 * blank of a run that does not end a line, quadratic in the run's length (a plan's string of
 * 100,000 spaces took minutes). Here each line's end is scanned back over its own blanks only.
 */
function withoutTrailingBlanks(text: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 10;
    // The line terminators of a multiline $ : LF, CR, U+2028, U+2029.
    if (c !== 10 && c !== 13 && c !== 0x2028 && c !== 0x2029) continue;
    let end = i;
    while (end > from && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    parts.push(text.slice(from, end), text.slice(i, i + 1));
    from = i + 1;
  }
  return parts.join('');
}

/**
 * Everything the emitters read for one plan. What every report needs is required, so no caller
 * can leave out the analysis (the Lock budget, the per-statement tables) or the settings (the
 * engine version the analysis used) by accident; only the rehearsal is optional, as only
 * `migc verify --report` has one.
 */
export interface EmitInput {
  readonly plan: Plan;
  readonly templates: Templates;
  /** The plan's findings, located, as the report lists them. */
  readonly findings: readonly ReportFinding[];
  /** Locks, effects and durations of every statement, from the SQL analysis. */
  readonly analysis: ReadonlyMap<Statement, StatementAnalysis>;
  /** The settings the plan was analysed with: the target version and table sizes. */
  readonly settings: PlanSettings;
  /** The rehearsal's results (migc verify --report). */
  readonly rehearsal?: unknown;
}

/**
 * Every artefact of one plan, from the one plan model, into <plan id>/. Each SQL script is
 * checked after rendering: it must run exactly the statements migc meant, or the plan gets an
 * error (MG051) and none of its files are written.
 */
export function emitPlan({ plan, templates, findings, analysis, settings, rehearsal }: EmitInput): { outputs: OutputFile[]; diagnostics: Diagnostic[] } {
  const dir = plan.id;
  const timeline = finish(templates['timeline.mmd'](timelineView(plan, { analysis, settings })));
  const files: OutputFile[] = [
    { path: `${dir}/report.md`, contents: finish(templates['report.md']({ ...reportView(plan, findings, { analysis, settings }), timeline, rehearsal })) },
    { path: `${dir}/checklist.md`, contents: finish(templates['checklist.md'](checklistView(plan, { analysis, settings }))) },
    { path: `${dir}/timeline.mmd`, contents: timeline },
  ];
  const diagnostics: Diagnostic[] = [];
  for (const phase of plan.phases) {
    if (!phaseHasSql(phase)) continue;
    for (const view of [upScript(plan, phase, analysis), downScript(plan, phase, analysis)]) {
      const template = view.direction === 'up' ? templates['phase.up.sql'] : templates['phase.down.sql'];
      const contents = finishSql(template({ ...view, plan }));
      const check = checkScript(contents, view.statements);
      if (check.ok) files.push({ path: `${dir}/${view.fileName}`, contents });
      else {
        diagnostics.push({
          code: 'MG051', severity: 'error', file: template.file,
          message: `${view.fileName} of plan "${plan.id}" would run SQL that is not the plan's: ${check.problem}`,
          help: 'Write every part of the view: {{settings}}, {{prelude}}, each block\'s {{heading}} and {{sql}}, and {{epilogue}}, which are ready to write as they are. Put plan text into a SQL script only as {{comment ...}} lines or a {{literal ...}}, and no psql backslash command or SQL of your own. Start from the built-in template.',
          related: [{ file: plan.file, ...(phase.span ? { span: phase.span } : {}), message: `phase "${phase.name}"` }],
        });
      }
    }
  }
  if (diagnostics.length) return { outputs: [], diagnostics };
  return { outputs: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), diagnostics };
}
