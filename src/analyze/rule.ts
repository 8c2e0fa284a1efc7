import type { Diagnostic, RelatedLocation, Severity, Span } from '../diagnostics/diagnostic.js';
import type { Plan } from '../normalize/model.js';
import type { PlanSettings } from './settings.js';
import type { StatementAnalysis } from './sql/analyze.js';
import type { Statement } from '../normalize/model.js';
import type { Destruction } from '../sql/facts.js';

/** The SQL analysis of every statement (its locks, effect and duration), as the rules read it. */
export type PlanStatements = ReadonlyMap<Statement, StatementAnalysis>;

/**
 * What a statement of a plan destroys as PostgreSQL runs it: nothing when it skips the statement
 * whole (a DROP ... IF EXISTS of what is gone, a DROP COLUMN IF EXISTS of a column gone:
 * src/analyze/sql/skips.ts), as the analysis found.
 */
export function destructionsRun(statement: Statement, statements: PlanStatements): readonly Destruction[] {
  return statements.get(statement)?.skipped ? [] : statement.facts.destructive;
}

/** What a rule reports: the rest (code, severity, file) comes from the rule and the plan. */
export interface Finding {
  readonly span: Span;
  readonly message: string;
  readonly help?: string;
  readonly related?: readonly { readonly span: Span; readonly message: string }[];
  /** When this finding is surer or graver than the rule's usual one (a certain failure). */
  readonly severity?: Severity;
}

export interface Rule {
  /** Stable, never reused; docs/rules/<code>.md explains it. */
  readonly code: string;
  /** kebab-case name, for reading. */
  readonly name: string;
  readonly summary: string;
  readonly severity: Severity;
  /**
   * Judges the plan with its settings (table sizes, target version) and the SQL analysis of its
   * statements (locks, durations): never re-derive them.
   */
  check(plan: Plan, report: (finding: Finding) => void, settings: PlanSettings, statements: PlanStatements): void;
}

export function runRules(plan: Plan, rules: readonly Rule[], settings: PlanSettings, statements: PlanStatements): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of rules) {
    rule.check(plan, (f) => {
      const related: RelatedLocation[] | undefined = f.related?.map((r) => ({ file: plan.file, span: r.span, message: r.message }));
      diagnostics.push({
        code: rule.code, severity: f.severity ?? rule.severity, file: plan.file, span: f.span, message: f.message,
        ...(f.help ? { help: f.help } : {}),
        ...(related?.length ? { related } : {}),
      });
    }, settings, statements);
  }
  return diagnostics;
}
