import type { Span } from '../../diagnostics/diagnostic.js';
import type { Rule } from '../rule.js';

/** Step ids and phase names are unique: gates, scripts and file names refer to them. */
export const uniqueIds: Rule = {
  code: 'MG109',
  name: 'unique-ids',
  summary: 'Step ids and phase names are unique within a plan.',
  severity: 'error',
  check(plan, report) {
    const check = (what: string, items: { name: string; span: Span }[]) => {
      const first = new Map<string, Span>();
      for (const item of items) {
        const earlier = first.get(item.name);
        if (earlier) {
          report({ span: item.span, message: `${what} "${item.name}" is used twice`, help: `Rename one of them: ${what}s must be unique in a plan.`, related: [{ span: earlier, message: 'first used here' }] });
        } else {
          first.set(item.name, item.span);
        }
      }
    };
    check('phase name', plan.phases.map((p) => ({ name: p.name, span: p.span })));
    check('step id', plan.phases.flatMap((p) => p.steps.map((s) => ({ name: s.id, span: s.span }))));
  },
};
