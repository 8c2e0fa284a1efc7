/**
 * Which app versions can be live in each schema state of a plan, and whether each version's
 * queries resolve there: the compatibility matrix, and the errors it implies.
 *
 * The liveness model (README, "App versions"): a version must work on every schema state in
 * which it can be live.
 * - Before the plan, the first version of apps: runs.
 * - A deploy rolls out while the schema stays as it is: during it both the versions that ran
 *   and the new one serve traffic. A gate's deploy happens before its phase starts, so the new
 *   version is live on the state the phase starts from (the state after the previous phase)
 *   together with the old one, and alone from the phase's first step on. A deploy step does
 *   the same at its place in the phase.
 * - A phase's down script runs its steps' rollbacks in reverse, from the end of the phase.
 *   While it runs, the versions that ran during the phase may still be live, and the app may
 *   already have been rolled back to the versions that ran before the phase (rollback plans
 *   say "deploy v2.13, then run the down script"): every state of the way down must serve both.
 */
import type { Diagnostic, Span } from '../../diagnostics/diagnostic.js';
import type { AppQuery, Phase, Plan, Statement, Step } from '../../normalize/model.js';
import { SchemaState } from '../sql/schema-state.js';
import { resolveQuery, type ResolveContext } from './resolve.js';
import { ViewCatalog } from './views.js';

/** A schema state of the plan: before it, after a step, or after a step's rollback on the way down. */
export interface CompatState {
  /** "start", "step:<id>" or "rollback:<id>". */
  readonly id: string;
  readonly kind: 'start' | 'step' | 'rollback';
  readonly phase?: string;
  readonly step?: string;
  /** As a reader reads it: "before the plan", "after add-column", "after rolling back add-column". */
  readonly label: string;
  /** Where the state comes from in the plan: the step's SQL or its rollback. */
  readonly span: Span;
  readonly cells: readonly CompatCell[];
}

export interface CompatCell {
  readonly version: string;
  /** Whether the version can be live on this state (then it must work). */
  readonly live: boolean;
  /** The deploy that makes it live here, when a deploy does (a gate or a deploy step). */
  readonly deployedAt?: Span;
  readonly problems: readonly CompatProblem[];
}

export interface CompatProblem {
  readonly query: AppQuery;
  readonly message: string;
}

export interface CompatMatrix {
  readonly versions: readonly string[];
  readonly states: readonly CompatState[];
  /** How many queries each version has, by version. */
  readonly queries: ReadonlyMap<string, number>;
}

export interface CompatResult {
  /** Undefined when the plan lists no apps, or they cannot be checked (no baseline). */
  readonly matrix?: CompatMatrix;
  readonly diagnostics: readonly Diagnostic[];
}

const cache = new WeakMap<Plan, CompatResult>();

/** The matrix and its findings, computed once per plan (the report reads it again). */
export function appCompatibility(plan: Plan): CompatResult {
  let result = cache.get(plan);
  if (!result) cache.set(plan, (result = compute(plan)));
  return result;
}

interface Column {
  readonly id: string;
  readonly kind: CompatState['kind'];
  readonly phase?: string;
  readonly step?: string;
  readonly label: string;
  readonly span: Span;
  /** Problems of every version's queries here, by version. */
  readonly problems: ReadonlyMap<string, CompatProblem[]>;
  /** Versions live here, with the deploy that made each live here, if one did. */
  readonly live: Map<string, Span | undefined>;
  /** The statement after which a problem first shows, by `problemKey` (the state's own span when unknown). */
  readonly culprits?: ReadonlyMap<string, Span>;
}

/** A problem of a version's query, as one key. */
const problemKey = (version: string, p: CompatProblem) => `${version}\t${where(p.query)}\t${p.message}`;

function compute(plan: Plan): CompatResult {
  const diagnostics: Diagnostic[] = [];
  const report = (code: string, severity: Diagnostic['severity'], span: Span, message: string, help: string) =>
    diagnostics.push({ code, severity, file: plan.file, span, message, help });

  const versions = plan.apps.map((a) => a.version);
  const known = new Set<string>();
  for (const app of plan.apps) {
    if (known.has(app.version)) report('MG121', 'error', app.span, `app version ${app.version} is listed twice`, 'List each version once, in release order.');
    known.add(app.version);
  }
  const deploys = plan.phases.flatMap((p) => [
    ...(p.gate?.deployVersion ? [p.gate.deployVersion] : []),
    ...p.steps.flatMap((s) => (s.deploy ? [s.deploy] : [])),
  ]);
  if (plan.apps.length) {
    for (const d of deploys) {
      if (!known.has(d.version)) report('MG121', 'error', d.span, `deploy names app version ${d.version}, which apps: does not list`, `List it under apps: with its queries, or name one of ${versions.join(', ')}.`);
    }
    for (const p of plan.phases) {
      if (p.gate?.deploy !== undefined && !p.gate.deployVersion) {
        report('MG122', 'warning', p.gate.span, `the gate of phase "${p.name}" names its deploy in free text, so migc cannot tell which app version runs from here`,
          `Name the version: deploy: { version: ${versions[versions.length - 1]}, note: "${p.gate.deploy.replace(/"/g, "'")}" }.`);
      }
    }
  }
  if (!plan.apps.length && !plan.baseline) return { diagnostics };
  if (!plan.baseline) {
    report('MG125', 'warning', plan.apps[0]!.span, 'the app versions\' queries cannot be checked: the plan has no baseline',
      'Add baseline: { file: <schema>.sql } (the schema before the migration): migc needs it to know the tables and columns the queries use.');
    return { diagnostics };
  }

  // The walk runs with a baseline even without apps: what views refuse (MG067) needs no app.
  const state = new SchemaState();
  const views = new ViewCatalog();
  const unknownObjectsMayExist = plan.baseline.statements.some((s) => 'CreateExtensionStmt' in s.ast);
  for (const s of plan.baseline.statements) {
    views.apply(s.ast, state, unknownObjectsMayExist);
    state.apply(s.ast, false);
  }
  state.settle();
  const ctx: ResolveContext = { state, unknownObjectsMayExist, views };

  const columns: Column[] = [];
  const problemsHere = (): Map<string, CompatProblem[]> => new Map(plan.apps.map((app) => [
    app.version, app.queries.flatMap((query) => resolveQuery(query.ast, ctx).map((message) => ({ query, message }))),
  ]));
  const evaluate = (c: Omit<Column, 'problems' | 'live'>, live: Iterable<string>, problems = problemsHere()): Column => {
    const column: Column = { ...c, problems, live: new Map([...live].map((v) => [v, undefined])) };
    columns.push(column);
    return column;
  };
  /**
   * Applies a step's (or rollback's) statements one by one: the problems after them, and after
   * which statement each new one first shows, so a finding points at the statement that breaks
   * the query. A problem there before the first statement has no culprit among them.
   */
  const apply = (statements: readonly Statement[]) => {
    let problems = problemsHere();
    const seen = new Set([...problems].flatMap(([version, ps]) => ps.map((p) => problemKey(version, p))));
    const culprits = new Map<string, Span>();
    for (const s of statements) {
      for (const why of views.apply(s.ast, state, unknownObjectsMayExist)) {
        report('MG067', 'error', s.span, `PostgreSQL refuses this statement: ${why}`,
          'A view fixes the columns it reads: drop or replace the view first (in the same step), or keep what it reads; CREATE OR REPLACE VIEW may only add columns at the end.');
      }
      state.apply(s.ast, true);
      problems = problemsHere();
      for (const [version, ps] of problems) {
        for (const p of ps) {
          const key = problemKey(version, p);
          if (!seen.has(key)) culprits.set(key, s.span);
          seen.add(key);
        }
      }
    }
    return { problems, culprits };
  };

  let current = new Set(versions.slice(0, 1));
  let last = evaluate({ id: 'start', kind: 'start', label: 'before the plan', span: plan.apps[0]?.span ?? plan.spans.id }, current);
  /** A deploy: the new version joins the state that is there while it rolls out, then runs alone. */
  const deploy = (version: string, at: Span) => {
    if (!last.live.has(version)) last.live.set(version, at);
    current = new Set([version]);
  };

  for (const phase of plan.phases) {
    const before = new Set(current);
    if (phase.gate?.deployVersion) deploy(phase.gate.deployVersion.version, phase.gate.deployVersion.span);
    const during = new Set(current);
    for (const step of phase.steps) {
      if (step.deploy) {
        deploy(step.deploy.version, step.deploy.span);
        during.add(step.deploy.version);
      }
      if (step.action?.kind !== 'sql') continue;
      const { problems, culprits } = apply(step.action.statements);
      last = evaluate({ id: `step:${step.id}`, kind: 'step', phase: phase.name, step: step.id, label: `after ${step.id}`, span: step.action.span, culprits }, current, problems);
    }
    rollDown(phase, new Set([...during, ...before]));
  }

  /** The phase's down script, from its end: each rollback's state, undone afterwards. */
  function rollDown(phase: Phase, live: ReadonlySet<string>): void {
    state.tentatively(() => views.tentatively(() => {
      for (const step of [...phase.steps].reverse()) {
        const r = step.rollback;
        if (!r || r.kind === 'irreversible') return; // the down script stops here
        if (r.kind !== 'sql') continue;
        const { problems, culprits } = apply(r.statements);
        evaluate({ id: `rollback:${step.id}`, kind: 'rollback', phase: phase.name, step: step.id, label: `after rolling back ${step.id}`, span: r.span, culprits }, live, problems);
      }
    }));
  }

  if (!plan.apps.length) return { diagnostics };
  reportBreaks(plan, columns, diagnostics);
  const states: CompatState[] = columns.map((c) => ({
    id: c.id, kind: c.kind, label: c.label, span: c.span,
    ...(c.phase !== undefined ? { phase: c.phase } : {}), ...(c.step !== undefined ? { step: c.step } : {}),
    cells: versions.filter((v, i) => versions.indexOf(v) === i).map((version) => {
      const deployedAt = c.live.get(version);
      return { version, live: c.live.has(version), ...(deployedAt ? { deployedAt } : {}), problems: c.problems.get(version) ?? [] };
    }),
  }));
  return {
    matrix: { versions: [...new Set(versions)], states, queries: new Map(plan.apps.map((a) => [a.version, a.queries.length])) },
    diagnostics,
  };
}

const where = (q: AppQuery) => `${q.file}:${q.line}`;

/** Which deploy a span is: "at the gate of phase "backfill"" or "by step "deploy-v3"". */
function deployPlace(plan: Plan, at: Span): string {
  for (const phase of plan.phases) {
    if (phase.gate?.deployVersion?.span === at) return `at the gate of phase "${phase.name}"`;
    const step = phase.steps.find((s) => s.deploy?.span === at);
    if (step) return `by step "${step.id}"`;
  }
  return 'here';
}

/** The queries of one finding, as `file:line`, at most five named. */
export function queryList(problems: readonly { readonly query: AppQuery }[]): string {
  const all = problems.map((p) => where(p.query));
  return all.length > 5 ? `${all.slice(0, 5).join(', ')} and ${all.length - 5} more` : all.join(', ');
}

/**
 * One error per live version and problem at the first state where it breaks, naming every query
 * it breaks there (a dropped table breaks all of a version's queries on it: one finding, not one
 * per query), at the deploy or the statement that breaks them.
 */
function reportBreaks(plan: Plan, columns: readonly Column[], diagnostics: Diagnostic[]): void {
  const seen = new Set<string>();
  const stepOf = (id: string | undefined): Step | undefined => plan.phases.flatMap((p) => p.steps).find((s) => s.id === id);
  // What already breaks on the baseline for the version running then is the baseline's (MG123 there), not a rollback's.
  const start = columns.find((c) => c.kind === 'start');
  const atStart = new Set([...(start?.live.keys() ?? [])].flatMap((version) => (start!.problems.get(version) ?? []).map((p) => problemKey(version, p))));
  for (const c of columns) {
    const code = c.kind === 'rollback' ? 'MG124' : 'MG123';
    for (const [version, deployedAt] of c.live) {
      const groups = new Map<string, { span: Span; reason: string; problems: CompatProblem[] }>();
      for (const p of c.problems.get(version) ?? []) {
        const key = `${code}\t${problemKey(version, p)}`;
        if (seen.has(key) || (code === 'MG124' && atStart.has(problemKey(version, p)))) continue;
        seen.add(key);
        const span = deployedAt ?? c.culprits?.get(problemKey(version, p)) ?? c.span;
        const group = `${span.start}\t${span.end}\t${p.message}`;
        const g = groups.get(group) ?? { span, reason: p.message, problems: [] };
        g.problems.push(p);
        groups.set(group, g);
      }
      for (const { span, reason, problems } of groups.values()) {
        const queries = `${problems.length === 1 ? '' : `${problems.length} queries: `}${queryList(problems)}`;
        const when = c.kind === 'start' ? 'on the schema before the plan' : c.kind === 'step' ? `after step "${c.step}"` : `after rolling back step "${c.step}"`;
        const schema = c.kind === 'start' ? 'the schema before the plan' : `the schema as it is ${c.label.replace(/^after /, 'after step ').replace(/^after step (\S+)$/, 'after step "$1"')}`;
        const message = deployedAt
          ? `app ${version} is deployed ${deployPlace(plan, deployedAt)} onto ${schema}, where ${problems.length === 1 ? 'its query breaks' : 'its queries break'}: ${reason} (${queries})`
          : `app ${version} breaks ${when}: ${reason} (${queries})`;
        const help = deployedAt
          ? `A deploy rolls out on the schema as it is, before the steps after it: deploy ${version} only once the schema has what its queries use (move the deploy to the gate of a later phase, or the step that gives it to an earlier phase), or, if no step of the plan gives it, fix the query or the baseline.`
          : c.kind === 'rollback'
            ? `While phase "${c.phase}" is rolled back, the versions that ran during it and before it can be live: make the rollback of "${c.step}" and the ones before it give back what ${version} uses (same names, same types, nullable or with a default).`
            : c.kind === 'start'
              ? `${version}, the first version in apps:, runs before the plan, on the baseline: no step is involved. Bring the baseline up to date with the schema in production, or fix the query.`
              : `${version} can be live here: keep what it uses until a deploy has replaced it (a later phase whose gate deploys a version that does not use it), or ${stepOf(c.step)?.action?.kind === 'sql' ? 'add a step that keeps both forms working (a new column kept in sync by a trigger, a default)' : 'change the step'}.`;
        diagnostics.push({ code, severity: 'error', file: plan.file, span, message, help });
      }
    }
  }
}
