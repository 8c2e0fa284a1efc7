import { didYouMean } from '../../util/suggest.js';
import type { Step } from '../../normalize/model.js';
import type { Rule } from '../rule.js';

/** A gate's verified steps exist, run before the gated phase, and have something to verify. */
export const gateReferences: Rule = {
  code: 'MG107',
  name: 'gate-references',
  summary: 'Gates name steps of earlier phases that have verification queries.',
  severity: 'error',
  check(plan, report) {
    const phaseOfStep = new Map<string, number>();
    const stepById = new Map<string, Step>();
    plan.phases.forEach((p, i) => p.steps.forEach((s) => {
      if (phaseOfStep.has(s.id)) return;
      phaseOfStep.set(s.id, i);
      stepById.set(s.id, s);
    }));
    plan.phases.forEach((phase, index) => {
      for (const ref of phase.gate?.verified ?? []) {
        const at = phaseOfStep.get(ref.stepId);
        if (at === undefined) {
          const guess = didYouMean(ref.stepId, [...phaseOfStep.keys()]);
          report({ span: ref.span, message: `gate of phase "${phase.name}" names unknown step "${ref.stepId}"`, help: guess ? `Did you mean "${guess}"?` : 'Name a step id of an earlier phase.' });
          continue;
        }
        const step = stepById.get(ref.stepId)!;
        if (at >= index) {
          report({
            span: ref.span,
            message: `gate of phase "${phase.name}" requires step "${ref.stepId}", which runs ${at === index ? 'in this same phase' : 'in a later phase'}`,
            help: 'A gate can only require steps of phases that run before it.',
            related: [{ span: step.span, message: `step "${ref.stepId}" is defined here` }],
          });
        } else if (step.verify.length === 0) {
          report({
            span: ref.span,
            message: `gate of phase "${phase.name}" requires step "${ref.stepId}" to be verified, but it has no verification`,
            help: `Add verify: [{ sql: ..., expect: ... }] to step "${ref.stepId}".`,
            related: [{ span: step.span, message: `step "${ref.stepId}" is defined here` }],
          });
        }
      }
    });
  },
};
