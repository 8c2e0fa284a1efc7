import { verificationPhase, type Batch, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import type { PgNode } from '../../sql/parser.js';
import { compileBatch } from '../../sql/batch.js';
import { dollarQuote, sqlComment, sqlLiteral, terminated, visibleLines } from '../../sql/quote.js';
import { compileAssertion } from './assertion.js';

/*
 * What the SQL templates receive. Every string in a ScriptView is safe to put into a script as
 * it is: prose has already become `-- ` comment lines (sqlComment), and SQL is migc's own or the
 * plan's parsed statements. Plan text reaches a script in no other way.
 */

/**
 * A statement a script runs: one of migc's own (text only), or one of the plan's, with the parse
 * tree read from the plan itself, which the rendered script is checked against.
 */
export interface ScriptStatement {
  readonly text: string;
  readonly ast?: PgNode;
}

/** A commented piece of a script: a step's transaction, a lone statement, a gate check. */
export interface ScriptBlock {
  /** The comment above the block: `-- ` lines, ready to write. */
  readonly heading: string;
  /** The statements the block runs, in order, without their semicolons. */
  readonly statements: readonly ScriptStatement[];
  /** The statements as the script holds them, each ending in a semicolon; empty when none. */
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
  /** The file's opening comment: what it is, where it comes from, how to run it, the gate's conditions. */
  readonly header: string;
  /** SET standard_conforming_strings, lock_timeout and statement_timeout, each ending in a semicolon. */
  readonly settings: string;
  readonly blocks: readonly ScriptBlock[];
  /** Every statement the script runs, in order: what the rendered script is checked against. */
  readonly statements: readonly ScriptStatement[];
}

export function scriptFileName(phase: Phase, direction: 'up' | 'down'): string {
  return `${String(phase.number).padStart(2, '0')}-${phase.name}.${direction}.sql`;
}

/** Whether a phase needs SQL scripts at all (a code-only phase has none). */
export function phaseHasSql(phase: Phase): boolean {
  return phase.steps.some((s) => s.action?.kind === 'sql' || s.rollback?.kind === 'sql');
}

/** The first line of a text, as a reader sees lines. */
const firstLine = (text: string) => visibleLines(text.trim())[0]!;

/** "lead text" when the text is one line; otherwise the lead, then the text's lines indented. */
function labelled(lead: string, text: string): string[] {
  const lines = visibleLines(text.trim());
  return lines.length === 1 ? [`${lead} ${lines[0]}`] : [lead, ...lines.map((l) => `  ${l}`)];
}

const own = (text: string): ScriptStatement => ({ text });
const planStatement = (s: Statement): ScriptStatement => ({ text: s.text, ast: s.ast });

function block(comments: readonly string[], statements: readonly ScriptStatement[], source: ScriptBlock['source']): ScriptBlock {
  return { heading: sqlComment(comments), statements, sql: statements.map((s) => terminated(s.text)).join('\n'), source };
}

/**
 * Statements grouped as PostgreSQL requires: runs of transactional statements share one
 * BEGIN ... COMMIT; a statement that cannot run in a transaction (CONCURRENTLY, VACUUM)
 * stands alone, and so do its neighbours' transactions around it.
 */
function transactionGroups(statements: readonly Statement[], extraInLast: readonly ScriptStatement[]): ScriptStatement[] {
  const groups: { transactional: boolean; sql: ScriptStatement[] }[] = [];
  for (const s of statements) {
    const last = groups[groups.length - 1];
    if (s.facts.transactional && last?.transactional) last.sql.push(planStatement(s));
    else groups.push({ transactional: s.facts.transactional, sql: [planStatement(s)] });
  }
  // Verifications ride in the last transaction, so a failed check undoes the step it checks.
  const last = groups[groups.length - 1];
  if (last?.transactional) last.sql.push(...extraInLast);
  const out = groups.flatMap((g) => (g.transactional ? [own('BEGIN'), ...g.sql, own('COMMIT')] : g.sql));
  if (last && !last.transactional && extraInLast.length) out.push(...extraInLast);
  return out;
}

const liftedTimeout = 'statement_timeout is lifted for the loop only: it is one statement, and each batch inside it is short.';

/** A batched UPDATE or DELETE: the loop, with statement_timeout lifted around it only. */
function batchedSql(plan: Plan, statement: Statement, batch: Batch, label: string): ScriptStatement[] {
  const loop = compileBatch({ ...statement, start: 0, end: 0 }, { size: batch.size, key: batch.key, label, ...(batch.pause ? { pause: batch.pause } : {}) });
  return [own('SET statement_timeout = 0'), own(loop), own(`SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)}`)];
}

function verifications(step: Step): ScriptStatement[] {
  return step.verify.map((v, i) => own(compileAssertion(v, `verification ${i + 1} of step "${step.id}"`)));
}

function upBlocks(plan: Plan, step: Step): ScriptBlock[] {
  const title = `Step ${step.id}${step.description?.trim() ? `: ${firstLine(step.description)}` : ''}`;
  const source = { kind: 'step', stepId: step.id } as const;
  const action = step.action;
  if (!action) return [];
  if (action.kind !== 'sql') {
    const what = action.kind === 'run' ? labelled('Not run by this script. Before going on, run:', action.command) : labelled('Not run by this script. Before going on, by hand:', action.instructions);
    return [block([title, ...what], [], source)];
  }
  if (step.batch) {
    return [block(
      [title, `Batched: ${step.batch.size} rows per batch by ${step.batch.key}, each batch committed; safe to re-run after an interruption.`, liftedTimeout],
      [...batchedSql(plan, action.statements[0]!, step.batch, step.id), ...verifications(step)],
      source,
    )];
  }
  const outside = action.statements.filter((s) => !s.facts.transactional).map((s) => s.facts.command);
  const comments = [title];
  if (outside.length) comments.push(`${[...new Set(outside)].join(', ')} cannot run inside a transaction: it runs on its own.`);
  return [block(comments, transactionGroups(action.statements, verifications(step)), source)];
}

function downBlocks(plan: Plan, step: Step): ScriptBlock[] {
  const title = `Undo step ${step.id}`;
  const source = { kind: 'step', stepId: step.id } as const;
  const r = step.rollback;
  if (!r) return [block([title, 'This step has no rollback.'], [], source)];
  const loss = r.dataLoss ? (r.restore?.trim() ? labelled('Data loss: yes. Restore:', r.restore) : ['Data loss: yes.']) : [];
  switch (r.kind) {
    case 'sql':
      if (r.batch) {
        return [block([title, `Batched: ${r.batch.size} rows per batch by ${r.batch.key}, each batch committed.`, liftedTimeout, ...loss], batchedSql(plan, r.statements[0]!, r.batch, `undo ${step.id}`), source)];
      }
      return [block([title, ...loss], transactionGroups(r.statements, []), source)];
    case 'run':
      return [block([title, ...labelled('Not run by this script. Before going on, run:', r.command), ...loss], [], source)];
    case 'manual':
      return [block([title, ...labelled('Not run by this script. Before going on, by hand:', r.instructions), ...loss], [], source)];
    case 'irreversible': {
      // The message is a literal: the restore text keeps its lines (E'...\n...') and cannot end it.
      const restore = r.restore?.trim() ? `; restore: ${visibleLines(r.restore.trim()).join('\n')}` : '';
      const message = `migc: step "${step.id}" is irreversible${restore}`;
      return [block(
        [title, 'Irreversible: this script stops here; the steps before it in this phase are not undone.', ...loss],
        [own(`DO ${dollarQuote(` BEGIN RAISE EXCEPTION ${sqlLiteral(message.replace(/%/g, '%%'))}; END `)}`)],
        source,
      )];
    }
  }
}

function gateBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  const steps = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
  return (phase.gate?.verified ?? []).flatMap((ref) => {
    const step = steps.get(ref.stepId);
    if (!step || step.verify.length === 0) return [];
    return [block(
      [`Gate: step ${step.id} must still verify before phase ${phase.name} starts.`],
      step.verify.map((v, i) => own(compileAssertion(v, `gate check ${i + 1} of step "${step.id}" (before phase "${phase.name}")`))),
      { kind: 'gate', stepId: step.id },
    )];
  });
}

function gateNotes(phase: Phase): string[] {
  const g = phase.gate;
  if (!g) return [];
  return [
    ...(g.deploy !== undefined ? labelled('Gate (check before running): deployed everywhere:', g.deploy) : []),
    ...(g.wait ? [`Gate (check before running): at least ${g.wait.text} since the previous phase`] : []),
    ...(g.approval !== undefined ? labelled('Gate (check before running): approved by', g.approval) : []),
  ];
}

/** Plan-wide verifications checked at the end of this phase, each an assertion of its own. */
function planVerificationBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  return plan.verify.filter((v) => verificationPhase(plan, v) === phase).map((v) => {
    const name = `plan-wide verification ${v.number}`;
    return block(
      [`Plan-wide verification ${v.number}, checked at the end of ${v.after !== undefined ? `phase ${phase.name}` : 'the plan'}${v.description ? `: ${firstLine(v.description)}` : ''}`],
      [own(compileAssertion(v, name))],
      { kind: 'verification', stepId: name },
    );
  });
}

function scriptView(plan: Plan, phase: Phase, direction: 'up' | 'down', notes: readonly string[], blocks: readonly ScriptBlock[]): ScriptView {
  const fileName = scriptFileName(phase, direction);
  // String literals mean what PostgreSQL's parser (and so migc's analysis) read in them only with
  // standard_conforming_strings on: with it off, 'x\' AS a, '; DROP ...' runs the DROP. psql
  // follows the server's setting, so it reads the rest of the script the same way.
  const settings = [
    own('SET standard_conforming_strings = on'),
    own(`SET lock_timeout = ${sqlLiteral(plan.settings.lockTimeout)}`), own(`SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)}`),
  ];
  const header = sqlComment([
    `${fileName}: phase ${phase.number} of ${plan.phases.length} (${phase.kind}) of plan ${plan.id}, ${direction === 'up' ? 'up' : 'rollback'}`,
    plan.title,
    `Generated by migc from ${plan.file}; change the plan, not this file.`,
    `Run with: psql -v ON_ERROR_STOP=1 -f ${fileName} "$DATABASE_URL"`,
    ...notes,
  ]);
  return {
    fileName, direction, phase, phaseCount: plan.phases.length, header,
    settings: settings.map((s) => terminated(s.text)).join('\n'), blocks,
    statements: [...settings, ...blocks.flatMap((b) => b.statements)],
  };
}

export function upScript(plan: Plan, phase: Phase): ScriptView {
  return scriptView(plan, phase, 'up', gateNotes(phase), [...gateBlocks(plan, phase), ...phase.steps.flatMap((s) => upBlocks(plan, s)), ...planVerificationBlocks(plan, phase)]);
}

export function downScript(plan: Plan, phase: Phase): ScriptView {
  return scriptView(plan, phase, 'down', ['Rolls back this phase: the steps\' rollbacks in reverse order.'], [...phase.steps].reverse().flatMap((s) => downBlocks(plan, s)));
}
