/**
 * The normalized plan: the one model every stage after validation reads (rules, emitters,
 * rehearsal). Built once by normalize(); read-only from then on. Spans point into plan.file.
 */
import type { Span } from '../diagnostics/diagnostic.js';
import type { PgNode } from '../sql/parser.js';
import type { StatementFacts } from '../sql/facts.js';

export type PlanType = 'schema' | 'data' | 'code' | 'infrastructure';
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';
export type PhaseKind = 'expand' | 'migrate' | 'contract';
export type Level = 'low' | 'medium' | 'high';
/** How hard rolling back is, as planners say it. */
export type RollbackComplexity = 'trivial' | 'easy' | 'hard' | 'manual-restore';

export const riskLevels: readonly RiskLevel[] = ['low', 'medium', 'high', 'critical'];
export const phaseKinds: readonly PhaseKind[] = ['expand', 'migrate', 'contract'];

export interface Plan {
  readonly file: string;
  readonly id: string;
  readonly title: string;
  readonly type: PlanType;
  readonly risk: RiskLevel;
  /** Undefined only for a plan without SQL (code, infrastructure): it targets no database. */
  readonly engine?: { readonly name: 'postgresql'; readonly major?: number; /** Named with it (postgresql@14.3): a verdict depends on it (MG240). */ readonly minor?: number };
  readonly owner?: string;
  readonly overview: { readonly summary?: string; readonly estimatedDowntime?: string; readonly rollbackComplexity?: RollbackComplexity };
  readonly currentState?: string;
  readonly targetState?: string;
  /** Size hints, sorted by table name. */
  readonly tables: readonly TableHint[];
  readonly baseline?: Baseline;
  readonly fixtures?: Fixtures;
  readonly settings: {
    readonly lockTimeout: string;
    readonly statementTimeout: string;
    /** How often a transactional unit of a script is tried again after a lock_timeout. */
    readonly lockRetries: number;
  };
  readonly preMigration: PreMigration;
  readonly phases: readonly Phase[];
  /** Plan-wide verifications, each checked at the end of one phase's up script. */
  readonly verify: readonly PlanVerification[];
  readonly codeChanges: readonly CodeChange[];
  readonly rollbackPlan: readonly RollbackPlanEntry[];
  readonly timeline: readonly Milestone[];
  readonly risks: readonly Risk[];
  /** Application versions, in release order: the first runs when the plan starts. */
  readonly apps: readonly AppVersion[];
  readonly spans: { readonly id: Span; readonly risk: Span; readonly preMigration?: Span; readonly engine?: Span; readonly statementTimeout?: Span };
}

/** An application version and the queries it sends, read from the files it names. */
export interface AppVersion {
  readonly version: string;
  readonly description?: string;
  /** The files, relative to the plan's folder, as written. */
  readonly files: readonly string[];
  readonly queries: readonly AppQuery[];
  /** The version: value in the plan. */
  readonly span: Span;
}

/** One query of an app version, with the file (relative to the plan's folder) and line it is on. */
export interface AppQuery {
  readonly file: string;
  readonly line: number;
  /** As the file has it, with :name parameters numbered $1, $2 ... (as the parse tree has them). */
  readonly text: string;
  readonly ast: PgNode;
}

/** A deploy that names an app version: in a gate (before the phase) or as a step of its own. */
export interface Deploy {
  readonly version: string;
  readonly note?: string;
  readonly span: Span;
}

export interface TableHint {
  /** The table, as the analysis keys tables (`public.` left out; a quoted name as written). */
  readonly name: string;
  /** The key as the plan writes it. */
  readonly written: string;
  readonly rows: number;
  readonly size?: string;
  /** The key in tables:. */
  readonly span: Span;
}

export interface Baseline {
  /** The file it came from, relative to the plan's folder, or undefined when inline. */
  readonly file?: string;
  readonly sql: string;
  /** Its statements, located in the plan (at the file: value when the SQL is in a file). */
  readonly statements: readonly Statement[];
}

/** Rows for rehearsals: SQL run after the baseline, then rows generated per table. */
export interface Fixtures {
  readonly file?: string;
  readonly sql?: string;
  /** The statements of sql, located in the plan (at the file: value when it is a file). */
  readonly statements?: readonly Statement[];
  readonly generate: readonly { readonly table: string; readonly rows: number }[];
}

export interface PreMigration {
  readonly backup?: { readonly command: string; readonly verify?: string };
  readonly diskSpace?: string;
  readonly notify: readonly string[];
  readonly stagingTest?: string;
  readonly tasks: readonly string[];
}

export interface Phase {
  /** 1-based position, used in file names (01-expand.up.sql). */
  readonly number: number;
  readonly name: string;
  readonly kind: PhaseKind;
  readonly description?: string;
  readonly gate?: Gate;
  readonly steps: readonly Step[];
  readonly span: Span;
  readonly kindSpan: Span;
}

export interface Gate {
  readonly verified: readonly { readonly stepId: string; readonly span: Span }[];
  /** The deploy as a reader reads it: free text, or the version with its note. */
  readonly deploy?: string;
  /** The deploy's app version, when the plan names one (deploy: { version: v2.15 }). */
  readonly deployVersion?: Deploy;
  readonly wait?: Duration;
  readonly approval?: string;
  readonly span: Span;
}

export interface Duration {
  readonly text: string;
  readonly seconds: number;
}

export interface Step {
  readonly id: string;
  readonly phase: string;
  readonly phaseKind: PhaseKind;
  readonly description?: string;
  /** Undefined when the step names no action (reported by normalize). */
  readonly action?: Action;
  readonly batch?: Batch;
  /** Undefined when the step has no rollback (reported by rule MG104). */
  readonly rollback?: Rollback;
  readonly verify: readonly Verification[];
  readonly estimatedTime?: Duration;
  /** Findings of the SQL analysis the step accepts, with the reason. */
  readonly allow?: readonly { readonly code: string; readonly reason: string; readonly span: Span }[];
  /** The app version this (run or manual) step deploys; its rollback deploys the one before again. */
  readonly deploy?: Deploy;
  readonly span: Span;
}

export type Action = SqlAction | RunAction | ManualAction;

export interface SqlAction {
  readonly kind: 'sql';
  readonly statements: readonly Statement[];
  readonly span: Span;
}

export interface RunAction {
  readonly kind: 'run';
  readonly command: string;
  readonly span: Span;
}

export interface ManualAction {
  readonly kind: 'manual';
  readonly instructions: string;
  readonly span: Span;
}

export interface Statement {
  readonly text: string;
  /** Where the statement stands in the plan file. */
  readonly span: Span;
  /** Where an offset into text is in the plan file (a block scalar's lines are indented there). */
  readonly fileOffset?: (offset: number) => number;
  readonly ast: PgNode;
  readonly facts: StatementFacts;
}

export interface Batch {
  readonly size: number;
  readonly key: string;
  readonly pause?: string;
  readonly span: Span;
}

export type Rollback =
  | (RollbackCommon & { readonly kind: 'sql'; readonly statements: readonly Statement[]; readonly batch?: Batch })
  | (RollbackCommon & { readonly kind: 'run'; readonly command: string })
  | (RollbackCommon & { readonly kind: 'manual'; readonly instructions: string })
  /** Undoing the step needs nothing done (the down script goes on); why, as the plan says it. */
  | (RollbackCommon & { readonly kind: 'nothing'; readonly reason: string })
  | (RollbackCommon & { readonly kind: 'irreversible' });

interface RollbackCommon {
  /** Whether undoing the step (or being unable to) loses data. */
  readonly dataLoss: boolean;
  readonly restore?: string;
  readonly span: Span;
}

export interface Verification {
  /** A single read-only query, without its trailing semicolon. */
  readonly sql: string;
  readonly expect: Expectation;
  readonly description?: string;
  readonly span: Span;
}

/** A plan-wide verification: checked at the end of the phase named in after, or of the plan. */
export interface PlanVerification extends Verification {
  /** The phase named in after, as written; undefined for the end of the plan. */
  readonly after?: string;
  readonly afterSpan?: Span;
  /** 1-based position among the plan-wide verifications, for messages. */
  readonly number: number;
}

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export interface Expectation {
  readonly operator: ComparisonOperator;
  readonly value: number | boolean;
  /** As a reader would write it: "= 1", "> 0", "= true". */
  readonly text: string;
}

export interface CodeChange {
  readonly file: string;
  readonly change: string;
  readonly deployPhase: string;
  readonly span: Span;
}

export interface RollbackPlanEntry {
  readonly phase: string;
  readonly how: string;
  readonly dataLoss: boolean;
  readonly span: Span;
}

export interface Milestone {
  readonly at: string;
  /** Offset from T-0 in seconds (negative before). */
  readonly offsetSeconds: number;
  readonly milestone: string;
  readonly phase?: string;
  readonly span: Span;
  readonly phaseSpan?: Span;
}

export interface Risk {
  readonly risk: string;
  readonly likelihood?: Level;
  readonly impact?: Level;
  readonly mitigation: string;
}

/**
 * A gate's wait as every output says it: since the previous phase; the first phase has none, so
 * its wait counts from its gate's deploy (a week after v4.1 is live everywhere), or simply comes
 * before it starts.
 */
export function gateWaitText(phase: Phase): string | undefined {
  const g = phase.gate;
  if (!g?.wait) return undefined;
  if (phase.number > 1) return `at least ${g.wait.text} since the previous phase`;
  return g.deploy !== undefined ? `at least ${g.wait.text} since the deploy` : `at least ${g.wait.text} waited before this first phase starts`;
}

/** Statements a step runs (none for command and manual steps). */
export function stepStatements(step: Step): readonly Statement[] {
  return step.action?.kind === 'sql' ? step.action.statements : [];
}

/** Whether the plan runs any SQL: steps, rollbacks, verifications, baseline or fixtures. */
export function planHasSql(plan: Plan): boolean {
  return plan.baseline !== undefined || plan.fixtures !== undefined || plan.verify.length > 0
    || plan.phases.some((p) => p.steps.some((s) => s.action?.kind === 'sql' || s.rollback?.kind === 'sql' || s.verify.length > 0));
}

/** Whether a phase has SQL scripts: a step or a rollback of it runs SQL. */
export function phaseRunsSql(phase: Phase): boolean {
  return phase.steps.some((s) => s.action?.kind === 'sql' || s.rollback?.kind === 'sql');
}

/**
 * The phase whose up script checks a plan-wide verification: the one named in after, or the
 * last phase with SQL of its own (the end of the plan, as far as a script can see it).
 */
export function verificationPhase(plan: Plan, v: PlanVerification): Phase | undefined {
  if (v.after !== undefined) return plan.phases.find((p) => p.name === v.after);
  const withSql = plan.phases.filter(phaseRunsSql);
  return withSql[withSql.length - 1];
}

/** Whether a step's rollback admits that data is lost. */
export function losesData(step: Step): boolean {
  return step.rollback?.dataLoss === true;
}
