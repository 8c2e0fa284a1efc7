import { appCompatibility, type CompatCell, type CompatState } from '../../analyze/compat/check.js';
import type { Plan } from '../../normalize/model.js';
import type { CompatRehearsal } from '../../verify/compat.js';
import { markdownText } from '../markdown-text.js';
import { inlineCode, markdownCell } from '../templates.js';

/**
 * One matrix cell as a reader reads it: live or not, ok or the first breaking query. Markdown
 * for a table cell: the problem (it quotes the plan's SQL) is plain text there.
 */
function cellText(cell: CompatCell): string {
  const live = cell.live ? '**live**' : '';
  if (!cell.problems.length) return cell.live ? `${live}: ok` : 'ok';
  const [first] = cell.problems;
  const more = cell.problems.length > 1 ? ` (+${cell.problems.length - 1} more)` : '';
  return `${cell.live ? `${live}, **breaks**` : 'breaks'}: ${markdownCell(first!.message)} at ${inlineCode(`${first!.query.file}:${first!.query.line}`)}${more}`;
}

function stateLabel(s: CompatState): string {
  if (s.kind === 'start') return 'before the plan';
  return `${s.phase}: ${s.kind === 'rollback' ? '↩ rolled back ' : 'after '}\`${s.step}\``;
}

/**
 * The report's App versions section: the versions, the matrix of versions by schema states,
 * and for each phase whether rolling the app back to a version that ran before it is safe.
 */
export function compatView(plan: Plan) {
  const matrix = appCompatibility(plan).matrix;
  if (!matrix) return undefined;
  const forward = matrix.states.filter((s) => s.kind !== 'rollback');
  const appRollbacks = plan.phases.flatMap((phase) => {
    const states = forward.filter((s) => s.phase === phase.name);
    if (!states.length) return [];
    const index = matrix.states.indexOf(states[0]!);
    const earlier = new Set(matrix.states.slice(0, index).filter((s) => s.kind !== 'rollback').flatMap((s) => s.cells.filter((c) => c.live).map((c) => c.version)));
    const during = new Set(states.flatMap((s) => s.cells.filter((c) => c.live).map((c) => c.version)));
    return [...earlier].filter((v) => !during.has(v)).map((version) => {
      const broken = states.find((s) => s.cells.find((c) => c.version === version)!.problems.length);
      const problem = broken?.cells.find((c) => c.version === version)!.problems[0];
      return {
        phase: phase.name, version,
        text: broken
          ? `rolling the app back to ${version} breaks from after \`${broken.step}\` on (${markdownText(problem!.message)}): roll the schema back first`
          : `rolling the app back to ${version} is safe at every step`,
      };
    });
  });
  return {
    versions: plan.apps.map((a) => ({
      version: a.version, description: a.description,
      queries: `${matrix.queries.get(a.version) ?? 0} in ${a.files.map((f) => inlineCode(f)).join(', ')}`,
    })),
    header: `| Schema state | ${matrix.versions.join(' | ')} |`,
    rule: `|---|${matrix.versions.map(() => '---').join('|')}|`,
    rows: matrix.states.map((s) => ({ label: stateLabel(s), cells: s.cells.map(cellText) })),
    appRollbacks,
  };
}

/** What migc verify saw when it ran the live versions' queries on the rehearsal database. */
export function compatRehearsalView(c: CompatRehearsal) {
  const failed = c.states.flatMap((s) => s.runs.filter((r) => r.error).map((r) => ({
    state: s.label, version: r.version, query: `${r.query.file}:${r.query.line}`, error: r.error!,
  })));
  const hows = [...new Set(c.states.flatMap((s) => s.runs.map((r) => r.how.replace(/ \(the sample values hit: .*\)$/, ''))))].sort();
  return { queries: c.queries, states: c.states.length, ms: Math.round(c.ms), hows: hows.join('; '), failed, stopped: c.stopped };
}
