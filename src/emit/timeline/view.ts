import { formatSeconds } from '../../normalize/durations.js';
import { stepEstimate, type EstimateInput } from '../../analyze/estimate.js';
import type { Plan, Step } from '../../normalize/model.js';

/**
 * The timeline is drawn on relative time. Mermaid's gantt needs dates, so it reads times as
 * milliseconds (dateFormat x) with T-0 at 0 (not seconds: mermaid 11 reads a start given in
 * seconds as milliseconds); the axis shows no labels at all (a calendar date would
 * be a lie), and vertical markers at the milestones, labelled T-1w, T-0, T+1h, are the scale.
 */
export interface TimelineView {
  readonly title: string;
  /** Room for the section names left of the chart (Mermaid's 75 px cut "2. backfill (migrate)" under the bars). */
  readonly leftPadding: number;
  readonly note: string;
  readonly markers: readonly { readonly label: string; readonly id: string; readonly at: number }[];
  readonly milestones: readonly { readonly label: string; readonly id: string; readonly at: number }[];
  readonly sections: readonly {
    readonly name: string;
    readonly tasks: readonly { readonly label: string; readonly id: string; readonly tags: string; readonly start: number; readonly end: number }[];
  }[];
}

/** Words that start a directive at the beginning of a gantt line; text must never start with one. */
const directives = /^(click|call|href|section|title|gantt|dateformat|axisformat|tickinterval|todaymarker|includes|excludes|weekday|weekend|inclusiveenddates|topaxis|acctitle|accdescr|accdescription)\b/i;

/**
 * Plan text made inert in a Mermaid gantt line, in one place for every label: one line, no
 * characters Mermaid reads as syntax (':' ends a label, ';' and '#' end a statement, '%%'
 * starts a comment, '<' '>' '&' are HTML, braces and quotes start directives and strings),
 * and never a directive word first.
 */
export function mermaidText(text: string): string {
  // An apostrophe inside a word (service's) reads as the typographic one, not as a gap.
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/(\p{L})'(\p{L})/gu, '$1\u2019$2').replace(/;\s*/g, ', ').replace(/[:#%<>&{}"'`\\|[\]]/g, ' ').replace(/\s+/g, ' ').trim();
  const safe = directives.test(flat) ? `- ${flat}` : flat;
  return safe || '-';
}

/** The first words of a text, at most `max` characters, with … when cut. */
function shorten(text: string, max: number): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, cut.lastIndexOf(' ') > max / 2 ? cut.lastIndexOf(' ') : max)}…`;
}

/** The one rounding rule of the chart's labels, stated in its note. */
export const labelRounding = 'labels give the time from T-0 to the nearest minute (to the second under a minute), and each bar starts at its label\'s time';

/**
 * Seconds from T-0 as planners write it (T-1w, T-0, T+2h30min, T+1w1h), to the nearest minute
 * (to the second under a minute), every unit shown: T+1d30min never reads T+1d1h.
 */
export function relativeTime(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 0.5) return 'T-0';
  const sign = seconds < 0 ? '-' : '+';
  if (abs < 59.5) return `T${sign}${Math.round(abs)}s`;
  let minutes = Math.round(abs / 60);
  const parts: string[] = [];
  for (const [unit, size] of [['w', 10080], ['d', 1440], ['h', 60], ['min', 1]] as const) {
    const n = Math.floor(minutes / size);
    if (n) parts.push(`${n}${unit}`);
    minutes -= n * size;
  }
  return `T${sign}${parts.join('')}`;
}

/**
 * How long a step's bar is, and its label: the plan's estimate; never shorter than the pauses of
 * its batches, which no hardware shortens; migc's estimate when the plan gives none.
 */
function stepDuration(step: Step, input: EstimateInput): { seconds?: number; text: string } {
  const migc = stepEstimate(step, input);
  const planned = step.estimatedTime;
  if (planned && migc?.pauses && migc.pauses.seconds > planned.seconds) {
    return { seconds: migc.pauses.seconds, text: `${planned.text} by the plan, but ${formatSeconds(migc.pauses.seconds)} of pauses` };
  }
  if (planned) return { seconds: planned.seconds, text: planned.text };
  if (migc) return { seconds: migc.seconds, text: `${migc.seconds < 1 ? 'under a second' : `~${formatSeconds(migc.seconds)}`} by migc` };
  return { text: 'no estimate' };
}

/**
 * The true times, in seconds from T-0: each phase starts at its milestone, or after the one
 * before and its wait when those end later; each step after the one before it.
 */
export function layOut(plan: Plan, input: EstimateInput) {
  const startOf = new Map<string, number>();
  for (const m of plan.timeline) if (m.phase !== undefined && !startOf.has(m.phase)) startOf.set(m.phase, m.offsetSeconds);

  // First the true times: each phase starts at its milestone, or after the one before and its wait.
  // The first phase starts at its milestone (T-1d for a stand-up the day before), else at T-0; its
  // gate's wait has no phase before it to count from, so it ends there (a week after a deploy the
  // plan does not run) rather than pushing the phase a week past the time the plan gives it.
  let clock = startOf.get(plan.phases[0]?.name ?? '') ?? 0;
  const laidOut = plan.phases.map((phase, index) => {
    const waitSeconds = phase.gate?.wait?.seconds ?? 0;
    const waitStart = index === 0 ? clock - waitSeconds : clock;
    if (index > 0) clock = Math.max(clock + waitSeconds, startOf.get(phase.name) ?? -Infinity);
    const start = clock;
    const steps = phase.steps.map((step) => {
      const duration = stepDuration(step, input);
      const s = { step, start: clock, seconds: duration.seconds, text: duration.text };
      clock += s.seconds ?? 0;
      return s;
    });
    return { phase, waitStart, start, steps };
  });
  return { laidOut, end: clock };
}

/** Where each milestone stands: a milestone that starts a phase, where the phase really starts. */
export function milestoneTimes(plan: Plan, laidOut: ReturnType<typeof layOut>['laidOut']): number[] {
  const phaseStart = new Map(laidOut.map((l) => [l.phase.name, l.start]));
  return plan.timeline.map((m) => Math.max(m.offsetSeconds, m.phase !== undefined ? phaseStart.get(m.phase) ?? -Infinity : -Infinity));
}

/**
 * The narrowest bar still seen on a chart this long (about a sixtieth of it), rounded to the unit
 * the chart's note gives it in, so the note is exact: a 67 s minimum read "1min".
 */
export function minimumBar(rangeSeconds: number): number {
  const wanted = rangeSeconds / 60;
  const unit = wanted < 59.5 ? 1 : wanted < 86400 - 1800 ? 60 : 3600; // as formatSeconds shows it
  return Math.max(unit, Math.round(wanted / unit) * unit);
}

export function timelineView(plan: Plan, input: EstimateInput): TimelineView {
  const { laidOut, end: clock } = layOut(plan, input);

  // Then the drawing: bars too short to see on this chart (or with no estimate) get a minimum width.
  const times = [0, clock, laidOut[0]?.waitStart ?? 0, ...plan.timeline.map((m) => m.offsetSeconds)];
  const range = Math.max(...times) - Math.min(...times) || 3600;
  const minimum = minimumBar(range);
  /**
   * Where each app version starts to be live on the drawing: the first from the plan's start (it
   * runs before the plan, so through the first phase's gate and wait too), then at a gate's deploy
   * or a deploy step.
   */
  const appSwitches: { version: string; at: number }[] = plan.apps.length ? [{ version: plan.apps[0]!.version, at: Math.min(0, laidOut[0]?.waitStart ?? 0) }] : [];
  const sections = laidOut.map(({ phase, waitStart, start, steps }) => {
    const tasks: { label: string; id: string; tags: string; start: number; end: number }[] = [];
    const gate = phase.gate;
    if (gate?.wait) {
      tasks.push({ label: mermaidText(`wait ${gate.wait.text} (gate)`), id: `wait_${phase.number}`, tags: 'active, ', start: waitStart, end: Math.max(start, waitStart + minimum) });
    }
    const gateParts = [
      ...(gate?.verified.length ? [`verified ${gate.verified.map((v) => v.stepId).join(', ')}`] : []),
      // A deploy named in free text says what it deploys, cut short: "gate deployed" alone said nothing.
      ...(gate?.deploy ? [`deployed ${gate.deployVersion ? gate.deployVersion.version : shorten(gate.deploy, 40)}`] : []),
      ...(gate?.approval ? ['approved'] : []),
    ];
    if (gateParts.length) tasks.push({ label: mermaidText(`gate ${gateParts.join(', ')}`), id: `gate_${phase.number}`, tags: 'milestone, ', start, end: start });
    if (gate?.deployVersion) appSwitches.push({ version: gate.deployVersion.version, at: start });
    // Each bar starts at its true time, as its label says; a bar drawn wider than its step may
    // reach past the next one's start, which is drawn on a row of its own.
    steps.forEach(({ step, start: at, seconds, text }, i) => {
      const begin = Math.round(at);
      const end = begin + Math.max(minimum, Math.round(seconds ?? 0));
      if (step.deploy) appSwitches.push({ version: step.deploy.version, at: begin });
      tasks.push({
        label: mermaidText(`${relativeTime(at)} ${step.id} (${text})`),
        id: `step_${phase.number}_${i + 1}`,
        tags: seconds === undefined ? 'done, ' : '',
        start: begin, end,
      });
    });
    return { name: mermaidText(`${phase.number}. ${phase.name}${phase.name === phase.kind ? '' : ` (${phase.kind})`}`), tasks };
  });

  // The app versions, one bar each from where it goes live to where the next one replaces it.
  if (appSwitches.length) {
    const end = Math.max(...sections.flatMap((s) => s.tasks.map((t) => t.end)), appSwitches[0]!.at + minimum);
    const live = appSwitches.filter((s, i) => i === 0 || s.version !== appSwitches[i - 1]!.version);
    sections.push({
      name: 'App versions live',
      tasks: live.map((s, i) => ({
        label: mermaidText(`app ${s.version}${i > 0 ? ` (with ${live[i - 1]!.version} while it rolls out)` : ''}`),
        id: `app_${i + 1}`, tags: '', start: s.at, end: Math.max(live[i + 1]?.at ?? end, s.at + minimum),
      })),
    });
  }

  // A milestone that starts a phase stands where the phase really starts: after the phase
  // before it and the gate's wait, when those end later than the plan's time for it.
  const milestoneAt = milestoneTimes(plan, laidOut);

  // Vertical markers are the scale, T-0 always; one too close to another would print over it.
  const markers: { label: string; id: string; at: number }[] = [{ label: 'T-0', id: 'at_0', at: 0 }];
  for (const [i, at] of milestoneAt.entries()) {
    if (markers.some((k) => Math.abs(at - k.at) < range / 12)) continue;
    markers.push({ label: relativeTime(at), id: `at_${i + 1}`, at });
  }
  // A plan without milestones would have T-0 alone, and no scale: its end (the last step's) is one.
  if (markers.length === 1 && Math.abs(clock) >= 1) markers.push({ label: relativeTime(clock), id: 'at_end', at: clock });
  markers.sort((a, b) => a.at - b.at);

  const ms = (seconds: number) => Math.round(seconds * 1000);
  const stepSeconds = laidOut.flatMap((p) => p.steps).reduce((a, s) => a + (s.seconds ?? 0), 0);
  return {
    title: mermaidText(plan.title),
    // About 6 px a character at the section font's size (11 px), and a margin.
    leftPadding: Math.max(75, Math.min(260, Math.ceil(Math.max(...sections.map((s) => s.name.length), plan.timeline.length ? 'Milestones'.length : 0) * 6.2) + 16)),
    note: `times are milliseconds from T-0; ${labelRounding}; ${stepSeconds ? `steps: ${formatSeconds(stepSeconds)} estimated` : 'no step has an estimate'}; bars shorter than ${formatSeconds(minimum)} are drawn ${formatSeconds(minimum)} long`,
    markers: markers.map((m) => ({ ...m, at: ms(m.at) })),
    milestones: plan.timeline.map((m, i) => {
      const at = milestoneAt[i]!;
      const moved = Math.round(at) !== Math.round(m.offsetSeconds) ? ` (planned ${m.at})` : '';
      return { label: mermaidText(`${relativeTime(at)} ${m.milestone}${moved}`), id: `milestone_${i + 1}`, at: ms(at) };
    }),
    sections: sections.map((s) => ({ ...s, tasks: s.tasks.map((t) => ({ ...t, start: ms(t.start), end: ms(t.end) })) })),
  };
}
