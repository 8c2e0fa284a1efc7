import { verificationPhase, type Batch, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import { compileBatch } from '../../sql/batch.js';
import { dollarTag, sqlLiteral } from '../../sql/quote.js';
import { compileAssertion } from './assertion.js';

/** A commented piece of a script: a step's transaction, a lone statement, a gate check. */
export interface ScriptBlock {
  readonly comments: readonly string[];
  readonly sql: string;
  /** The step the block runs (or undoes), or the phase's gate check. */
  readonly source: { readonly kind: 'step'; readonly stepId: string } | { readonly kind: 'gate'; readonly stepId: string }
    /** A plan-wide verification; stepId names it ("plan-wide verification 1") for messages. */
    | { readonly kind: 'verification'; readonly stepId: string };
}

export interface ScriptView {
  readonly fileName: string;
  readonly direction: 'up' | 'down';
  readonly phase: Phase;
  readonly phaseCount: number;
  readonly notes: readonly string[];
  readonly blocks: readonly ScriptBlock[];
}

export function scriptFileName(phase: Phase, direction: 'up' | 'down'): string {
  return `${String(phase.number).padStart(2, '0')}-${phase.name}.${direction}.sql`;
}

/** Whether a phase needs SQL scripts at all (a code-only phase has none). */
export function phaseHasSql(phase: Phase): boolean {
  return phase.steps.some((s) => s.action?.kind === 'sql' || s.rollback?.kind === 'sql');
}

const firstLine = (text: string) => text.trim().split('\n')[0]!;

/**
 * Statements grouped as PostgreSQL requires: runs of transactional statements share one
 * BEGIN ... COMMIT; a statement that cannot run in a transaction (CONCURRENTLY, VACUUM)
 * stands alone, and so do its neighbours' transactions around it.
 */
function transactionGroups(statements: readonly Statement[], extraInLast: readonly string[]): string[] {
  const groups: { transactional: boolean; sql: string[] }[] = [];
  for (const s of statements) {
    const last = groups[groups.length - 1];
    if (s.facts.transactional && last?.transactional) last.sql.push(`${s.text};`);
    else groups.push({ transactional: s.facts.transactional, sql: [`${s.text};`] });
  }
  // Verifications ride in the last transaction, so a failed check undoes the step it checks.
  const last = groups[groups.length - 1];
  if (last?.transactional) last.sql.push(...extraInLast);
  const out = groups.map((g) => (g.transactional ? ['BEGIN;', ...g.sql, 'COMMIT;'].join('\n') : g.sql.join('\n')));
  if (last && !last.transactional && extraInLast.length) out.push(...extraInLast);
  return out;
}

/** A batched UPDATE or DELETE: the loop, with statement_timeout lifted around it only. */
function batchedSql(plan: Plan, statement: Statement, batch: Batch, label: string): string {
  const loop = compileBatch({ ...statement, start: 0, end: 0 }, { size: batch.size, key: batch.key, label, ...(batch.pause ? { pause: batch.pause } : {}) });
  return [
    "SET statement_timeout = 0; -- the loop is one statement; each batch inside it is short",
    `${loop};`,
    `SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)};`,
  ].join('\n');
}

function verifications(step: Step): string[] {
  return step.verify.map((v, i) => `${compileAssertion(v, `verification ${i + 1} of step "${step.id}"`)};`);
}

function upBlocks(plan: Plan, step: Step): ScriptBlock[] {
  const title = `Step ${step.id}${step.description ? `: ${firstLine(step.description)}` : ''}`;
  const action = step.action;
  if (!action) return [];
  if (action.kind !== 'sql') {
    const what = action.kind === 'run' ? `run: ${action.command}` : `by hand: ${firstLine(action.instructions)}`;
    return [{ comments: [title, `Not run by this script. Before going on, ${what}`], sql: '', source: { kind: 'step', stepId: step.id } }];
  }
  if (step.batch) {
    return [{
      comments: [title, `Batched: ${step.batch.size} rows per batch by ${step.batch.key}, each batch committed; safe to re-run after an interruption.`],
      sql: [batchedSql(plan, action.statements[0]!, step.batch, step.id), ...verifications(step)].join('\n'),
      source: { kind: 'step', stepId: step.id },
    }];
  }
  const outside = action.statements.filter((s) => !s.facts.transactional).map((s) => s.facts.command);
  const comments = [title];
  if (outside.length) comments.push(`${[...new Set(outside)].join(', ')} cannot run inside a transaction: it runs on its own.`);
  return [{ comments, sql: transactionGroups(action.statements, verifications(step)).join('\n'), source: { kind: 'step', stepId: step.id } }];
}

function downBlocks(plan: Plan, step: Step): ScriptBlock[] {
  const title = `Undo step ${step.id}`;
  const source = { kind: 'step', stepId: step.id } as const;
  const r = step.rollback;
  if (!r) return [{ comments: [title, 'This step has no rollback.'], sql: '', source }];
  const loss = r.dataLoss ? [`Data loss: yes.${r.restore ? ` Restore: ${firstLine(r.restore)}` : ''}`] : [];
  switch (r.kind) {
    case 'sql':
      if (r.batch) {
        return [{ comments: [title, `Batched: ${r.batch.size} rows per batch by ${r.batch.key}, each batch committed.`, ...loss], sql: batchedSql(plan, r.statements[0]!, r.batch, `undo ${step.id}`), source }];
      }
      return [{ comments: [title, ...loss], sql: transactionGroups(r.statements, []).join('\n'), source }];
    case 'run':
      return [{ comments: [title, `Not run by this script. Before going on, run: ${r.command}`, ...loss], sql: '', source }];
    case 'manual':
      return [{ comments: [title, `Not run by this script. Before going on, by hand: ${firstLine(r.instructions)}`, ...loss], sql: '', source }];
    case 'irreversible': {
      const message = `migc: step "${step.id}" is irreversible${r.restore ? `; restore: ${firstLine(r.restore)}` : ''}`;
      const tag = dollarTag('migc', message);
      return [{
        comments: [title, 'Irreversible: this script stops here; the steps before it in this phase are not undone.', ...loss],
        sql: `DO ${tag} BEGIN RAISE EXCEPTION ${sqlLiteral(message.replace(/%/g, '%%'))}; END ${tag};`,
        source,
      }];
    }
  }
}

function gateBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  const steps = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
  return (phase.gate?.verified ?? []).flatMap((ref) => {
    const step = steps.get(ref.stepId);
    if (!step || step.verify.length === 0) return [];
    return [{
      comments: [`Gate: step ${step.id} must still verify before phase ${phase.name} starts.`],
      sql: step.verify.map((v, i) => `${compileAssertion(v, `gate check ${i + 1} of step "${step.id}" (before phase "${phase.name}")`)};`).join('\n'),
      source: { kind: 'gate', stepId: step.id },
    }];
  });
}

function gateNotes(phase: Phase): string[] {
  const g = phase.gate;
  if (!g) return [];
  return [
    ...(g.deploy ? [`Gate (check before running): deployed everywhere: ${g.deploy}`] : []),
    ...(g.wait ? [`Gate (check before running): at least ${g.wait.text} since the previous phase`] : []),
    ...(g.approval ? [`Gate (check before running): approved by ${g.approval}`] : []),
  ];
}

/** Plan-wide verifications checked at the end of this phase, each an assertion of its own. */
function planVerificationBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  return plan.verify.filter((v) => verificationPhase(plan, v) === phase).map((v) => {
    const name = `plan-wide verification ${v.number}`;
    return {
      comments: [`Plan-wide verification ${v.number}, checked at the end of ${v.after !== undefined ? `phase ${phase.name}` : 'the plan'}${v.description ? `: ${firstLine(v.description)}` : ''}`],
      sql: `${compileAssertion(v, name)};`,
      source: { kind: 'verification', stepId: name },
    };
  });
}

export function upScript(plan: Plan, phase: Phase): ScriptView {
  return {
    fileName: scriptFileName(phase, 'up'), direction: 'up', phase, phaseCount: plan.phases.length,
    notes: gateNotes(phase),
    blocks: [...gateBlocks(plan, phase), ...phase.steps.flatMap((s) => upBlocks(plan, s)), ...planVerificationBlocks(plan, phase)],
  };
}

export function downScript(plan: Plan, phase: Phase): ScriptView {
  return {
    fileName: scriptFileName(phase, 'down'), direction: 'down', phase, phaseCount: plan.phases.length,
    notes: ['Rolls back this phase: the steps\' rollbacks in reverse order.'],
    blocks: [...phase.steps].reverse().flatMap((s) => downBlocks(plan, s)),
  };
}
