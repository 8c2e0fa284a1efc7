import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { stepStatements, type Plan, type Statement, type Step } from '../normalize/model.js';
import { didYouMean } from '../util/suggest.js';
import { planRules } from './rules/index.js';
import { tableKey } from './sql/schema-state.js';
import { statementRules } from './sql-rules/index.js';
import { defaultPostgresMajor } from './sql/context.js';
import { largeTableRows } from './tables.js';
import { postgresVersionText } from '../normalize/postgres-versions.js';

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

/** One table's size as the analysis sees it, with where it came from. */
export interface TableSetting {
  readonly name: string;
  /** Undefined when nothing gives a size: the table is assumed large. */
  readonly rows?: number;
  readonly size?: string;
  readonly source: string;
  /** Whether the plan's statements name the table (a size hint may name one they do not). */
  readonly named: boolean;
}

/**
 * Everything a plan is judged and emitted with, resolved once per plan from the plan, the
 * project config and the command line (--assume-rows): the plan rules, the SQL analysis, the
 * emitters and verify read this object and nothing else, so they cannot disagree.
 */
export interface PlanSettings {
  /** The target PostgreSQL major version (and minor release, when named: 14.3) and where it came from. */
  readonly postgres: { readonly major: number; readonly minor?: number; readonly source: string; readonly assumed?: true };
  /** Every table the plan's SQL touches or sizes, sorted; rows undefined when assumed large. */
  readonly tables: readonly TableSetting[];
  /** Rows in a table (any spelling: public.users is users); undefined when assumed large. */
  rows(table: string): number | undefined;
  /** At or above largeTableRows, or of unknown size. */
  isLarge(table: string): boolean;
  /** The project's severity per rule code, or "off". */
  readonly rules: Readonly<Record<string, Severity | 'off'>>;
  /** The plan's allowances (a step's allow:), per step: code to reason. The analysis turns findings they name into notes. */
  readonly allowances: ReadonlyMap<Step, ReadonlyMap<string, string>>;
}

/** What the project says (migc.config.json and the command line) that settings are resolved from. */
export interface SettingsInput {
  readonly postgres?: number;
  /** The config's minor release of postgres ("14.3"). */
  readonly postgresMinor?: number;
  readonly rules?: Readonly<Record<string, Severity | 'off'>>;
  readonly assumeRows?: ReadonlyMap<string, number>;
}

/** Object types whose name a statement's facts list among its tables, though they are not tables. */
const notTables: ReadonlySet<string> = new Set(['OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_TYPE', 'OBJECT_FOREIGN_TABLE']);

/**
 * The tables a statement names, for the settings' table sizes: its facts' relations, less those
 * the statement itself says are something else (DROP INDEX, ALTER INDEX, ALTER VIEW, ALTER
 * SEQUENCE ... RENAME, REINDEX INDEX, a view's column renamed): their names are no table and
 * have no size. The parse tree says what kind of object is named; nothing is guessed from names.
 */
export function tablesNamed(statement: Pick<Statement, 'ast' | 'facts'>): readonly string[] {
  const [kind, body] = Object.entries(statement.ast)[0] as [string, Record<string, unknown>];
  const says = (type: unknown) => typeof type === 'string' && notTables.has(type);
  switch (kind) {
    case 'DropStmt': return body.removeType === 'OBJECT_TABLE' ? statement.facts.tables : [];
    case 'AlterTableStmt': return says(body.objtype) ? [] : statement.facts.tables;
    case 'RenameStmt': return says(body.renameType) || says(body.relationType) ? [] : statement.facts.tables;
    case 'ReindexStmt': return body.kind === 'REINDEX_OBJECT_TABLE' ? statement.facts.tables : [];
    default: return statement.facts.tables;
  }
}

/** Resolved once per plan (in the analyze stage); see PlanSettings. */
export function resolvePlanSettings(plan: Plan, config: SettingsInput | undefined, defaultMajor: number = defaultPostgresMajor): PlanSettings {
  const postgres = plan.engine?.major !== undefined
    ? { major: plan.engine.major, ...(plan.engine.minor !== undefined ? { minor: plan.engine.minor } : {}), source: `the plan's engine (postgresql@${postgresVersionText({ ...plan.engine, major: plan.engine.major })})` }
    : config?.postgres !== undefined
      ? { major: config.postgres, ...(config.postgresMinor !== undefined ? { minor: config.postgresMinor } : {}), source: 'migc.config.json (postgres)' }
      : { major: defaultMajor, source: 'migc\'s default (the plan\'s engine names no version)', assumed: true as const };
  const touched = plan.phases.flatMap((p) => p.steps.flatMap((s) => [
    ...stepStatements(s), ...(s.rollback?.kind === 'sql' ? s.rollback.statements : []),
  ].flatMap(tablesNamed)));
  const named = new Set(touched.map(tableKey));
  const names = [...new Set([...plan.tables.map((t) => tableKey(t.name)), ...named])].sort();
  const tables: TableSetting[] = names.map((name) => {
    const assumed = config?.assumeRows?.get(name);
    const hint = plan.tables.find((t) => tableKey(t.name) === name);
    const size = hint?.size !== undefined ? { size: hint.size } : {};
    const is = { named: named.has(name) };
    if (assumed !== undefined) return { name, rows: assumed, ...size, source: '--assume-rows or the config\'s assume_rows', ...is };
    if (hint) return { name, rows: hint.rows, ...size, source: 'the plan\'s size hints (tables)', ...is };
    return { name, source: 'no size given: assumed large', ...is };
  });
  const byName = new Map(tables.map((t) => [t.name, t]));
  // A table named only by a statement the facts did not list (a rule's own lookup) still gets
  // the project's and the plan's size, through the same precedence.
  const rows = (table: string): number | undefined => {
    const key = tableKey(table);
    const known = byName.get(key);
    if (known) return known.rows;
    return config?.assumeRows?.get(key) ?? plan.tables.find((t) => tableKey(t.name) === key)?.rows;
  };
  const allowances = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s, new Map((s.allow ?? []).map((a) => [a.code, a.reason]))] as const));
  return {
    postgres,
    tables,
    rows,
    isLarge: (table) => (rows(table) ?? Infinity) >= largeTableRows,
    rules: config?.rules ?? {},
    allowances,
  };
}
