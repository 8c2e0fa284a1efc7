import { formatSeconds } from '../../normalize/durations.js';
import type { Plan } from '../../normalize/model.js';

/**
 * Mermaid gantt needs absolute dates; plans speak in T-0 offsets. T-0 is drawn on a fixed
 * placeholder date, so the file is the same on every machine and every day.
 */
export const timelineAnchor = Date.UTC(2000, 0, 3, 0, 0, 0);
/** Steps with no estimate are drawn this long (and labelled "no estimate"). */
const unestimatedStepSeconds = 60;

export interface TimelineView {
  readonly title: string;
  readonly anchorLabel: string;
  readonly axisFormat: string;
  readonly milestones: readonly { readonly label: string; readonly id: string; readonly at: string }[];
  readonly sections: readonly {
    readonly name: string;
    readonly tasks: readonly { readonly label: string; readonly id: string; readonly start: string; readonly end: string }[];
  }[];
}

function stamp(offsetSeconds: number): string {
  return new Date(timelineAnchor + Math.round(offsetSeconds * 1000)).toISOString().slice(0, 19).replace('T', ' ');
}

/** Mermaid gantt labels end at ':' and break on '#' or ';'. */
function label(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function timelineView(plan: Plan): TimelineView {
  const startOf = new Map<string, number>();
  for (const m of plan.timeline) if (m.phase !== undefined && !startOf.has(m.phase)) startOf.set(m.phase, m.offsetSeconds);
  let clock = 0;
  let span = 0;
  let stepSeconds = 0;
  const sections = plan.phases.map((phase) => {
    clock = Math.max(clock + (phase.gate?.wait?.seconds ?? 0), startOf.get(phase.name) ?? -Infinity);
    const tasks = phase.steps.map((step) => {
      const seconds = step.estimatedTime?.seconds ?? unestimatedStepSeconds;
      const task = {
        label: label(`${step.id} (${step.estimatedTime ? step.estimatedTime.text : 'no estimate'})`),
        id: `step_${step.id.replace(/-/g, '_')}`,
        start: stamp(clock),
        end: stamp(clock + seconds),
      };
      clock += seconds;
      stepSeconds += step.estimatedTime?.seconds ?? 0;
      return task;
    });
    span = Math.max(span, Math.abs(clock));
    return { name: label(`${phase.number}. ${phase.name}${phase.name === phase.kind ? '' : ` (${phase.kind})`}`), tasks };
  });
  const offsets = plan.timeline.map((m) => m.offsetSeconds);
  const range = Math.max(span, ...offsets.map(Math.abs), 0) + Math.abs(Math.min(0, ...offsets));
  return {
    title: label(`${plan.title} (T-0 drawn on ${new Date(timelineAnchor).toUTCString().slice(5, 11)})`),
    anchorLabel: `T-0 is drawn at ${stamp(0).slice(0, 16)}, a placeholder date; read times as offsets from it (steps: ${formatSeconds(stepSeconds)} estimated)`,
    axisFormat: range > 2 * 86400 ? '%b %d' : '%H:%M',
    milestones: plan.timeline.map((m, i) => ({ label: label(`${m.at} ${m.milestone}`), id: `milestone_${i + 1}`, at: stamp(m.offsetSeconds) })),
    sections,
  };
}
