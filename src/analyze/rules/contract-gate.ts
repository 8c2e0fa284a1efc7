import type { DestructionKind } from '../../sql/facts.js';
import { destructionsRun, type Rule } from '../rule.js';
import { quoteName } from '../../sql/quote.js';

/**
 * What the app versions' queries use: a column, table or view dropped or renamed breaks a query
 * that names it, which the static check reports (MG123, MG124). The rows a TRUNCATE or a DELETE
 * empties are not named by any query that breaks, so the check proves nothing about them.
 */
const namedByQueries: ReadonlySet<DestructionKind> = new Set(['drop-column', 'drop-table', 'drop-view', 'rename-column', 'rename-table', 'rename-view']);

/**
 * A contract phase that destroys something must be gated on the verification of the phase
 * that moved the data away: the latest migrate phase before it, or a contract phase after that
 * one (itself gated so), which carries the proof on; with no migrate phase, any earlier phase.
 * When nothing moves (the app just stopped reading a column), the proof that the data is no
 * longer used is the app versions' queries, checked on every schema state the plan goes through:
 * a plan with apps: and a baseline needs no gate for what those queries would name.
 */
export const contractGate: Rule = {
  code: 'MG103',
  name: 'contract-gate',
  summary: 'A destructive contract phase is gated on the verified migrate phase before it.',
  severity: 'error',
  check(plan, report, _settings, analysis) {
    plan.phases.forEach((phase, index) => {
      if (phase.kind !== 'contract') return;
      const destroys = phase.steps.some((s) => s.action?.kind === 'sql' && s.action.statements.some((st) => destructionsRun(st, analysis).length > 0));
      if (!destroys) return;
      const earlier = plan.phases.slice(0, index);
      const migrate = [...earlier].reverse().find((p) => p.kind === 'migrate');
      const candidates = migrate ? earlier.slice(earlier.indexOf(migrate)) : earlier;
      const verified = new Set(phase.gate?.verified.map((v) => v.stepId) ?? []);
      const ok = candidates.some((p) => p.steps.some((s) => verified.has(s.id)));
      if (ok) return;
      const destructions = phase.steps.flatMap((s) => (s.action?.kind === 'sql' ? s.action.statements : []).flatMap((st) => destructionsRun(st, analysis)));
      const appsProveUnused = plan.apps.length > 0 && plan.baseline !== undefined && destructions.every((d) => namedByQueries.has(d.kind));
      if (appsProveUnused) return;
      // A gate proves migrated data through a step that moved it: the verified data changes of the
      // candidates; failing those, any verified step of a migrate phase among them. An expand
      // step (a column added, an index built) proves nothing about the data, so it is never offered.
      const verifiedSteps = candidates.flatMap((p) => p.steps.filter((s) => s.verify.length > 0).map((s) => ({ s, p })));
      const moved = verifiedSteps.filter(({ s }) => s.action?.kind === 'sql' && s.action.statements.some((st) => st.facts.dataChange !== undefined));
      const verifiable = (moved.length ? moved : verifiedSteps.filter(({ p }) => p.kind !== 'expand')).map(({ s }) => s.id);
      const targets = [...new Set(destructions.map((d) => quoteName(d.target)))];
      // Dropping what the app no longer reads moves nothing: the app versions' queries are the proof.
      const byApps = destructions.every((d) => namedByQueries.has(d.kind))
        ? ` If nothing moves (the code just stopped using ${targets.length === 1 ? 'it' : 'them'}), list the app versions and their queries (apps:) and a baseline instead: migc then checks that no version that can be live uses ${targets.length === 1 ? 'it' : 'them'} once dropped.`
        : '';
      report({
        span: phase.gate?.span ?? phase.span,
        message: migrate
          ? `contract phase "${phase.name}" destroys data but its gate does not require migrate phase "${migrate.name}" to be verified`
          : earlier.length
            ? `contract phase "${phase.name}" destroys data but its gate requires no earlier step to be verified`
            : `contract phase "${phase.name}" destroys data with nothing before it to prove the data is no longer needed`,
        help: verifiable.length
          ? `Add gate: { verified: [${verifiable.join(', ')}] } so the contract runs only after the data has been proven migrated.`
          : `No earlier step shows that the data of ${targets.join(', ')} has moved or is no longer used: add a migrate phase with a step that moves it and a verification that counts what is left to move (expect: 0), and list that step in this phase's gate.verified.${byApps}`,
      });
    });
  },
};
