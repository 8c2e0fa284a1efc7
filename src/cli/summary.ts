import type { CompileResult, PlanResult } from '../compile.js';
import { countBySeverity, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import type { Sources } from '../diagnostics/render.js';
import { reportView } from '../emit/report/view.js';
import { riskLevels } from '../normalize/model.js';
import { formatCount } from '../util/numbers.js';

/** A pull-request comment holds 65,536 characters; the summary keeps well under. */
export const summaryCap = 60_000;

export interface SummaryOptions {
  /** The output folder as the user named it (out), for the reports' paths. */
  readonly out: string;
  /** Where report links point: a URL prefix (a repository's blob/<sha>/), or nothing for paths relative to the project. */
  readonly linkBase?: string;
  /** Files built or checked per plan id: a plan missing here has no report to link to. */
  readonly reported: ReadonlySet<string>;
  readonly cap?: number;
}

interface PlanLine {
  readonly plan: PlanResult;
  readonly counts: Record<Severity, number>;
  readonly rank: number;
  readonly row: string;
  readonly details: string;
}

/**
 * A Markdown summary of a build for a pull-request comment: one table row per plan (risk,
 * phases, findings by severity, ACCESS EXCLUSIVE lock windows, steps that lose data, a link to
 * the report), then the findings of each plan that has some. Plans with errors come first,
 * then warnings, then by risk, so a cut keeps what matters. Past the cap the findings are cut
 * first, then the rows; what was left out is said, with its counts.
 */
export function renderSummary(result: Pick<CompileResult, 'plans' | 'sources'>, options: SummaryOptions): string {
  const cap = options.cap ?? summaryCap;
  const lines = result.plans.map((p) => planLine(p, result.sources, options)).sort((a, b) => a.rank - b.rank || (a.plan.file < b.plan.file ? -1 : 1));
  const total = countBySeverity(result.plans.flatMap((p) => p.diagnostics));
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const verdict = total.error ? '❌' : total.warning ? '⚠️' : '✅';
  const head = [
    `## ${verdict} migc: ${plural(result.plans.length, 'plan')}, ${plural(total.error, 'error')}, ${plural(total.warning, 'warning')}, ${plural(total.info, 'note')}`,
    '',
    '| Plan | Risk | Phases | Errors | Warnings | Notes | Exclusive lock windows | Data-loss steps | Report |',
    '|---|---|---|---:|---:|---:|---|---|---|',
  ].join('\n');
  const foot = (omittedRows: PlanLine[], omittedDetails: number) => {
    const parts: string[] = [];
    if (omittedRows.length) {
      const c = countBySeverity(omittedRows.flatMap((l) => l.plan.diagnostics));
      parts.push(`_${plural(omittedRows.length, 'more plan')} not listed (${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}): the summary stops at ${formatCount(cap)} characters. The job log and the reports have them all._`);
    }
    if (omittedDetails) parts.push(`_Findings of ${plural(omittedDetails, 'plan')} not shown here, to stay under the size of a comment: see the job log or the plans' reports._`);
    return parts.length ? `\n${parts.join('\n\n')}\n` : '';
  };
  // Room for the footnotes whatever they say (their counts are short).
  const reserve = 600;
  let rows = lines.length;
  let details = lines.filter((l) => l.details).length;
  const compose = () => {
    const shown = lines.slice(0, rows);
    const withDetails = shown.filter((l) => l.details).slice(0, details);
    const body = `${head}\n${shown.map((l) => l.row).join('\n')}\n`;
    const findings = withDetails.length ? `\n### Findings\n\n${withDetails.map((l) => l.details).join('\n')}` : '';
    return { text: body + findings, omittedRows: lines.slice(rows), omittedDetails: shown.filter((l) => l.details).length - withDetails.length };
  };
  let c = compose();
  while (c.text.length + reserve > cap && details > 0) { details--; c = compose(); }
  while (c.text.length + reserve > cap && rows > 0) { rows--; c = compose(); }
  return `${c.text}${foot(c.omittedRows, c.omittedDetails)}`;
}

function planLine(p: PlanResult, sources: Sources, options: SummaryOptions): PlanLine {
  const counts = countBySeverity(p.diagnostics);
  const plan = p.plan;
  const view = plan && p.ok && p.analysis && p.settings ? reportView(plan, [], { analysis: p.analysis, settings: p.settings }) : undefined;
  const risk = plan?.risk ?? '?';
  const riskRank = plan ? riskLevels.length - riskLevels.indexOf(plan.risk) : riskLevels.length + 1;
  const rank = (counts.error ? 0 : counts.warning ? 1000 : 2000) + riskRank;
  const name = p.id ? `${code(p.id)}<br>${escapeCell(p.file)}` : escapeCell(p.file);
  const locks = view?.lockBudget.length ? view.lockBudget.map((w) => `${escapeCell(w.step)}: ${escapeCell(w.tables)} (${escapeCell(w.estimate)})`).join('<br>') : view ? 'none' : '-';
  const loss = view?.dataLossSteps.length ? view.dataLossSteps.map((s) => escapeCell(s.step)).join(', ') : view ? 'none' : '-';
  const phases = plan ? escapeCell(plan.phases.map((ph) => ph.kind).join(' → ')) : '-';
  const reportPath = p.id !== undefined && options.reported.has(p.id) ? `${options.out}/${p.id}/report.md` : undefined;
  const link = reportPath ? `[report](${options.linkBase ? `${options.linkBase.replace(/\/?$/, '/')}${reportPath}` : reportPath})` : '-';
  const row = `| ${name} | ${escapeCell(risk)} | ${phases} | ${counts.error || 0} | ${counts.warning || 0} | ${counts.info || 0} | ${locks} | ${loss} | ${link} |`;
  const shown = p.diagnostics.filter((d) => d.severity !== 'info');
  const details = shown.length ? findingList(p, shown, sources) : '';
  return { plan: p, counts, rank, row, details };
}

/** A plan's errors and warnings, folded so the table stays readable. At most 50 per plan. */
function findingList(p: PlanResult, shown: readonly Diagnostic[], sources: Sources): string {
  const max = 50;
  const src = sources.get(p.file);
  const items = shown.slice(0, max).map((d) => {
    const line = d.span && src ? src.position(d.span.start).line : undefined;
    return `- **${d.severity}** ${d.code}${line ? ` (line ${line})` : ''}: ${escapeText(oneLine(d.message))}`;
  });
  if (shown.length > max) items.push(`- … and ${shown.length - max} more`);
  const c = countBySeverity(shown);
  return `<details><summary>${escapeText(p.file)}: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}</summary>\n\n${items.join('\n')}\n\n</details>\n`;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/**
 * Plan text in Markdown or inside an HTML element (<summary>): HTML's own characters as
 * entities (a backslash does not escape inside HTML), Markdown's with a backslash, so no tag,
 * table break, link or emphasis comes from a plan; @ gets a zero-width space (no mentions).
 */
function escapeText(s: string): string {
  return s
    .replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b');
}

function escapeCell(s: string): string {
  return escapeText(oneLine(s));
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

/**
 * --summary FILE: writes the summary (atomically, inside the project). Report links point at
 * the commit on GitHub when the job runs there (GITHUB_SERVER_URL, GITHUB_REPOSITORY,
 * GITHUB_SHA), else at paths in the project; MIGC_REPORT_BASE_URL overrides both (a URL
 * where the output folder's parent is published, such as a CI artefact server).
 */
export async function writeSummaryFile(result: CompileResult, options: { readonly summary: string; readonly out: string; readonly cwd: string; readonly env?: NodeJS.ProcessEnv }): Promise<void> {
  const env = options.env ?? process.env;
  const linkBase = env.MIGC_REPORT_BASE_URL
    || (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_SHA ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/blob/${env.GITHUB_SHA}/` : undefined);
  const text = renderSummary(result, {
    out: options.out.replace(/\/+$/, ''),
    reported: new Set(result.plans.filter((p) => p.ok && p.id !== undefined).map((p) => p.id!)),
    ...(linkBase ? { linkBase } : {}),
  });
  const { writeProjectFile } = await import('../write/file.js');
  const written = writeProjectFile({ cwd: options.cwd, path: options.summary, contents: text, option: '--summary' });
  if (!written.ok) {
    const { WriteFailure } = await import('./format.js');
    throw new WriteFailure(written.message);
  }
}
