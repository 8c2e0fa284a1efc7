import type { Rule } from '../rule.js';

/**
 * A contract phase that destroys something must be gated on the verification of the phase
 * that moved the data away: the latest migrate phase before it, or a contract phase after that
 * one (itself gated so), which carries the proof on; with no migrate phase, any earlier phase.
 */
export const contractGate: Rule = {
  code: 'MG103',
  name: 'contract-gate',
  summary: 'A destructive contract phase is gated on the verified migrate phase before it.',
  severity: 'error',
  check(plan, report) {
    plan.phases.forEach((phase, index) => {
      if (phase.kind !== 'contract') return;
      const destroys = phase.steps.some((s) => s.action?.kind === 'sql' && s.action.statements.some((st) => st.facts.destructive.length > 0));
      if (!destroys) return;
      const earlier = plan.phases.slice(0, index);
      const migrate = [...earlier].reverse().find((p) => p.kind === 'migrate');
      const candidates = migrate ? earlier.slice(earlier.indexOf(migrate)) : earlier;
      const verified = new Set(phase.gate?.verified.map((v) => v.stepId) ?? []);
      const ok = candidates.some((p) => p.steps.some((s) => verified.has(s.id)));
      if (ok) return;
      const verifiable = candidates.flatMap((p) => p.steps.filter((s) => s.verify.length > 0).map((s) => s.id));
      report({
        span: phase.gate?.span ?? phase.span,
        message: migrate
          ? `contract phase "${phase.name}" destroys data but its gate does not require migrate phase "${migrate.name}" to be verified`
          : earlier.length
            ? `contract phase "${phase.name}" destroys data but its gate requires no earlier step to be verified`
            : `contract phase "${phase.name}" destroys data with nothing before it to prove the data is no longer needed`,
        help: verifiable.length
          ? `Add gate: { verified: [${verifiable.join(', ')}] } so the contract runs only after the data has been proven migrated.`
          : 'Add a migrate phase whose steps verify the data was moved (or is unused), and list them in this phase\'s gate.verified.',
      });
    });
  },
};
