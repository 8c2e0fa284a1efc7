import type { Rule } from '../rule.js';

/** Milestones are listed in time order, and phases they start follow the plan's phase order. */
export const timelineOrder: Rule = {
  code: 'MG110',
  name: 'timeline-order',
  summary: 'Timeline milestones are chronological and start phases in plan order.',
  severity: 'error',
  check(plan, report) {
    const timeline = plan.timeline;
    for (let i = 1; i < timeline.length; i++) {
      const prev = timeline[i - 1]!;
      const m = timeline[i]!;
      if (m.offsetSeconds < prev.offsetSeconds) {
        report({
          span: m.span,
          message: `milestone ${m.at} is listed after ${prev.at}`,
          help: 'List milestones in chronological order.',
          related: [{ span: prev.span, message: `${prev.at} is here` }],
        });
      }
    }
    const index = new Map(plan.phases.map((p, i) => [p.name, i]));
    const starts = timeline.filter((m) => m.phase !== undefined && index.has(m.phase));
    for (const a of starts) {
      for (const b of starts) {
        if (a.offsetSeconds < b.offsetSeconds && index.get(a.phase!)! > index.get(b.phase!)!) {
          report({
            span: b.phaseSpan!,
            message: `phase "${b.phase}" starts at ${b.at}, after phase "${a.phase}" at ${a.at}, but the plan runs it first`,
            help: 'Make the milestones start phases in the order the plan lists them.',
            related: [{ span: a.phaseSpan!, message: `phase "${a.phase}" starts at ${a.at}` }],
          });
        }
      }
    }
  },
};
