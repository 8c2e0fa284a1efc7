import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { stepStatements, type Plan } from '../normalize/model.js';
import { didYouMean } from '../util/suggest.js';
import { planRules } from './rules/index.js';
import { tableKey } from './sql/schema-state.js';
import { statementRules } from './sql-rules/index.js';

/**
 * Codes a step may allow: the SQL analysis' findings (MG2xx hazards, MG112), which depend on
 * facts a plan can know better than migc (a table's real size, a maintenance window). Plan
 * rules (MG101 to MG111) are the plan's own safety promises (a rollback for every step, a
 * verified gate before a drop): allowing one per step would defeat the tool, so an allowance
 * of one is refused; the project config can still change its severity. Input problems (MG0xx)
 * cannot be allowed or changed at all.
 */
export const allowableCodes: readonly string[] = statementRules.map((r) => r.code).sort();

/** A step's allow: must name codes of the SQL analysis. */
export function checkAllowances(plan: Plan): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    for (const a of step.allow ?? []) {
      if (allowableCodes.includes(a.code)) continue;
      const planRule = planRules.find((r) => r.code === a.code);
      const inputProblem = /^MG0\d\d$/.test(a.code);
      const guess = planRule || inputProblem ? undefined : didYouMean(a.code, allowableCodes);
      out.push({
        code: 'MG035', severity: 'error', file: plan.file, span: a.span,
        message: planRule
          ? `step "${step.id}" allows ${a.code} (${planRule.name}), a plan rule; only findings of the SQL analysis (MG2xx, MG112) can be allowed in a step`
          : inputProblem
            ? `step "${step.id}" allows ${a.code}, an input problem; input problems cannot be allowed`
            : `step "${step.id}" allows ${a.code}, which is not a rule`,
        help: planRule
          ? `Fix what ${a.code} reports (migc explain ${a.code}); to change its severity for the whole project, set "rules": { "${a.code}": "warning" } in migc.config.json.`
          : inputProblem ? `Fix the input problem ${a.code} reports (migc explain ${a.code}); nothing can turn it off.`
            : guess ? `Did you mean ${guess}? (migc explain ${guess})` : 'Allow only codes of the SQL analysis (MG2xx, MG112); see the rule list in the README.',
      });
    }
  }
  return out;
}

/**
 * The project config's severities: "off" drops a code's findings, notes included (an allowed
 * or expected finding is still that rule's); a severity replaces the rule's own, but a finding
 * already lowered to a note (allowed, expected, on a small table) stays a note.
 */
export function applyRuleSettings(diagnostics: readonly Diagnostic[], rules: Readonly<Record<string, Severity | 'off'>> | undefined): Diagnostic[] {
  if (!rules) return [...diagnostics];
  return diagnostics.flatMap((d) => {
    const setting = rules[d.code];
    if (setting === 'off') return [];
    if (setting === undefined || (d.severity === 'info' && !notesByDefault.has(d.code))) return [d];
    return [{ ...d, severity: setting }];
  });
}

/** Codes whose own severity is a note (so a note of theirs was not lowered, and takes a setting). */
const notesByDefault: ReadonlySet<string> = new Set(['MG022']);

/** The settings the SQL analysis of one plan used, with where each came from: shown in the report. */
export interface AnalysisSettings {
  readonly postgres: { readonly major: number; readonly source: string };
  /** Every table the plan's SQL touches or sizes, sorted; rows undefined when assumed large. */
  readonly tables: readonly { readonly name: string; readonly rows?: number; readonly size?: string; readonly source: string }[];
}

/** Resolved once per plan: the compiler analyses with it and the report shows it. */
export function analysisSettings(plan: Plan, config: { postgres?: number; assumeRows?: ReadonlyMap<string, number> } | undefined, defaultMajor: number): AnalysisSettings {
  const postgres = plan.engine?.major !== undefined
    ? { major: plan.engine.major, source: `the plan's engine (postgresql@${plan.engine.major})` }
    : config?.postgres !== undefined
      ? { major: config.postgres, source: 'migc.config.json (postgres)' }
      : { major: defaultMajor, source: 'migc\'s default (the plan\'s engine names no version)' };
  const touched = plan.phases.flatMap((p) => p.steps.flatMap((s) => [
    ...stepStatements(s), ...(s.rollback?.kind === 'sql' ? s.rollback.statements : []),
  ].flatMap((st) => st.facts.tables)));
  const names = [...new Set([...plan.tables.map((t) => tableKey(t.name)), ...touched.map(tableKey)])].sort();
  const tables = names.map((name) => {
    const assumed = config?.assumeRows?.get(name);
    const hint = plan.tables.find((t) => tableKey(t.name) === name);
    const size = hint?.size !== undefined ? { size: hint.size } : {};
    if (assumed !== undefined) return { name, rows: assumed, ...size, source: '--assume-rows or the config\'s assume_rows' };
    if (hint) return { name, rows: hint.rows, ...size, source: 'the plan\'s size hints (tables)' };
    return { name, source: 'no size given: assumed large' };
  });
  return { postgres, tables };
}
