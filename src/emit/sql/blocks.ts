import { gateWaitText, verificationPhase, type Batch, type Phase, type Plan, type Statement, type Step } from '../../normalize/model.js';
import type { PgNode } from '../../sql/parser.js';
import { compileBatch } from '../../sql/batch.js';
import { quoteIdent, sqlComment, sqlLiteral, terminated, visibleLines } from '../../sql/quote.js';
import { compileAssertion } from './assertion.js';
import {
  dropInvalidIndexCall, earlierPhasesGuard, forgetCall, irreversibleCall, laterPhasesGuard, ledgerEpilogue, ledgerPrelude, markCall, phaseDoneKey, placeholder, runCall, stopCall, type LedgerKey,
} from './ledger.js';
import { formatCount } from '../../util/numbers.js';
import type { StatementAnalysis } from '../../analyze/sql/analyze.js';
import { blocksNobody, locksText, planUnits, type LocksOf, type ScriptUnit } from '../../analyze/statement-timeout.js';

/*
 * What the SQL templates receive. Every string in a ScriptView is safe to put into a script as
 * it is: prose has already become `-- ` comment lines (sqlComment) or string literals
 * (sqlLiteral), and SQL is migc's own or the plan's parsed statements. Plan text reaches a script
 * in no other way.
 *
 * Every part of a step is recorded in public.migc_ledger (see ledger.ts) when it is done, in the
 * same transaction where it can be: running a script again skips what is done, and a down script
 * undoes only the steps that ran, so both can be run after a failure at any statement.
 */

/**
 * A statement a script runs: one of migc's own (text only), or one of the plan's, with the parse
 * tree read from the plan itself, which the rendered script is checked against. A CALL that
 * carries plan statements as strings has `embedded`: the same CALL with placeholders in their
 * place, and the statements' parse trees, so the check compares both.
 */
export interface ScriptStatement {
  readonly text: string;
  readonly ast?: PgNode;
  readonly embedded?: { readonly template: string; readonly asts: readonly PgNode[] };
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
  /** The ledger and its procedures, created or brought up to date, with a comment above. */
  readonly prelude: string;
  readonly blocks: readonly ScriptBlock[];
  /** The script's end: an up script records the phase as done; a down script forgets the phase's ledger rows and drops the ledger once empty. */
  readonly epilogue: string;
  /** Every statement the script runs, in order: what the rendered script is checked against. */
  readonly statements: readonly ScriptStatement[];
}

/**
 * What the scripts read of the SQL analysis: the locks each statement takes, which decide the
 * statements that run without statement_timeout (src/analyze/statement-timeout.ts). The build and
 * the rehearsal pass the same analysis, so they render the same script.
 */
export type ScriptAnalysis = ReadonlyMap<Statement, Pick<StatementAnalysis, 'locks'>>;

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

/** What a unit runs: plan statements (checked by parse tree) and migc's own SQL (assertions). */
type Embedded = { readonly plan: Statement } | { readonly own: string };

/**
 * CALL migc_run in a transaction of its own: the statements in one try, tried again on
 * lock_timeout, recorded as done in the same transaction, and skipped when already done.
 */
function runUnit(plan: Plan, key: LedgerKey, items: readonly Embedded[]): ScriptStatement[] {
  const texts = items.map((i) => ('plan' in i ? i.plan.text : i.own));
  let n = 0;
  const template = items.map((i) => ('plan' in i ? placeholder(++n) : i.own));
  const asts = items.flatMap((i) => ('plan' in i ? [i.plan.ast] : []));
  const call: ScriptStatement = { text: runCall(key, plan.settings.lockRetries, texts), embedded: { template: runCall(key, plan.settings.lockRetries, template), asts } };
  return [own('BEGIN'), call, own('COMMIT')];
}

/** The name of the index a CREATE INDEX CONCURRENTLY builds, as to_regclass reads it, if it names one. */
function concurrentIndexName(s: Statement): string | undefined {
  const index = (s.ast as { IndexStmt?: { concurrent?: boolean; idxname?: string; relation?: { schemaname?: string } } }).IndexStmt;
  if (!index?.concurrent || !index.idxname) return undefined;
  return index.relation?.schemaname ? `${quoteIdent(index.relation.schemaname)}.${quoteIdent(index.idxname)}` : quoteIdent(index.idxname);
}

/**
 * A statement that cannot run in a transaction (CONCURRENTLY, VACUUM): it cannot be skipped or
 * retried, so it is recorded as started before and done after, and an INVALID index a failed
 * build left is dropped first. Running the script again runs it again: it must be safe to (MG114).
 */
function outsideUnit(key: LedgerKey, s: Statement, lifted: (ss: ScriptStatement[]) => ScriptStatement[]): ScriptStatement[] {
  const index = concurrentIndexName(s);
  const notice = `migc: ${s.facts.command} runs outside a transaction: it is not retried on lock_timeout. If it fails, fix the cause and run this script again: what is done is skipped, and this statement runs again.`;
  return [
    own(markCall(key, false, notice)),
    ...(index ? [own(dropInvalidIndexCall(index))] : []),
    ...lifted([planStatement(s)]),
    own(markCall(key, true, '')),
  ];
}

/**
 * A step's statements as units: each run of transactional statements one migc_run call in a
 * transaction; each statement that cannot run in one on its own. Verifications ride in the last
 * transaction, so a failed check undoes the step's last part; after a statement that runs on its
 * own they are a unit of their own.
 */
function units(plan: Plan, key: Omit<LedgerKey, 'part'>, direction: 'up' | 'down', groups: readonly ScriptUnit[], checks: readonly string[]): ScriptStatement[] {
  const out: ScriptStatement[] = [];
  let part = 0;
  groups.forEach((g, i) => {
    const partKey = { ...key, part: `${direction} ${++part}` };
    const lastGroup = i === groups.length - 1;
    const lifted = g.lifted ? withoutStatementTimeout(plan) : (ss: ScriptStatement[]) => ss;
    // The checks ride in the last transaction: read-only queries, they block nobody either.
    if (g.transactional) out.push(...lifted(runUnit(plan, partKey, [...g.statements.map((p) => ({ plan: p })), ...(lastGroup ? checks.map((c) => ({ own: c })) : [])])));
    else out.push(...outsideUnit(partKey, g.statements[0]!, lifted));
  });
  if (checks.length && !groups[groups.length - 1]?.transactional) out.push(...runUnit(plan, { ...key, part: `${direction} ${++part}` }, checks.map((c) => ({ own: c }))));
  return out;
}

/** Statements run with statement_timeout off, and the plan's value set again right after them. */
function withoutStatementTimeout(plan: Plan): (ss: ScriptStatement[]) => ScriptStatement[] {
  return (ss) => [own('SET statement_timeout = 0'), ...ss, own(`SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)}`)];
}

/**
 * The comment lines that say where a step's statements run without statement_timeout, and why that
 * is safe: one line per kind of unit, which says how many units it covers when several are alike
 * (two index builds on one table are one line, not the same line twice).
 */
function liftedNotes(locksOf: LocksOf, groups: readonly ScriptUnit[]): string[] {
  const alike = new Map<string, { commands: string; transactional: boolean; locks: string; count: number }>();
  for (const g of groups.filter((u) => u.lifted)) {
    const locks = locksText(g.statements.flatMap((s) => blocksNobody(s, locksOf) ?? []));
    const commands = [...new Set(g.statements.map((s) => s.facts.command))].join(', ');
    const key = `${g.transactional}\n${commands}\n${locks}`;
    const seen = alike.get(key);
    if (seen) seen.count += 1;
    else alike.set(key, { commands, transactional: g.transactional, locks, count: 1 });
  }
  return [...alike.values()].map(({ commands, transactional, locks, count }) => {
    const what = count === 1
      ? (transactional ? `this transaction (${commands})` : commands)
      : (transactional ? `each of these ${count} transactions (${commands})` : `each of these ${count} ${commands} statements`);
    return `statement_timeout is lifted for ${what} only: ${count === 1 ? 'it holds' : 'each holds'} ${locks}, which blocks neither reads nor writes, so it may run as long as it needs; lock_timeout still bounds its waits for locks.`;
  });
}

/**
 * What makes a statement that runs outside a transaction safe to run when its step did not run,
 * as a down script runs it: IF NOT EXISTS on a CREATE INDEX, IF EXISTS on a DROP INDEX.
 */
function runsTwiceGuards(statements: readonly Statement[]): string {
  const guards = [...new Set(statements.flatMap((s) => ('IndexStmt' in s.ast ? ['IF NOT EXISTS'] : 'DropStmt' in s.ast ? ['IF EXISTS'] : [])))];
  return guards.length ? ` (${guards.join(', ')})` : '';
}

const liftedTimeout = 'statement_timeout is lifted for the loop only: it is one statement, and each batch inside it is short.';

/** A batched UPDATE or DELETE: the loop, with statement_timeout lifted around it only. */
function batchedSql(plan: Plan, statement: Statement, batch: Batch, label: string, key: LedgerKey): ScriptStatement[] {
  const loop = compileBatch({ ...statement, start: 0, end: 0 }, {
    size: batch.size, key: batch.key, label, ...(batch.pause ? { pause: batch.pause } : {}),
    ledger: { plan: key.plan, phase: key.phase, step: key.step, part: key.part },
  });
  return [own('SET statement_timeout = 0'), own(loop), own(`SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)}`)];
}

function verifications(step: Step): string[] {
  return step.verify.map((v, i) => compileAssertion(v, `verification ${i + 1} of step "${step.id}"`));
}

/** What a stop says when psql stops there: the step, and what the operator is to do. */
function stopFor(what: 'run' | 'manual', text: string): { message: string; detail: string } {
  return what === 'run'
    ? { message: 'run this command before going on', detail: text.trim() }
    : { message: 'do this by hand before going on', detail: text.trim() };
}

const stopNote = 'The script stops here until this is recorded as done in migc_ledger (the error says how); then run it again.';

function upBlocks(plan: Plan, locksOf: LocksOf, phase: Phase, step: Step): ScriptBlock[] {
  const title = `Step ${step.id}${step.description?.trim() ? `: ${firstLine(step.description)}` : ''}`;
  const source = { kind: 'step', stepId: step.id } as const;
  const key = { plan: plan.id, phase: phase.name, step: step.id };
  const action = step.action;
  if (!action) return [];
  if (action.kind !== 'sql') {
    const what = action.kind === 'run' ? labelled('Not run by this script. Before going on, run:', action.command) : labelled('Not run by this script. Before going on, by hand:', action.instructions);
    const stop = stopFor(action.kind, action.kind === 'run' ? action.command : action.instructions);
    return [block([title, ...what, stopNote], [own(stopCall({ ...key, part: 'confirmed' }, false, `step "${step.id}" of phase "${phase.name}": ${stop.message}`, stop.detail))], source)];
  }
  if (step.batch) {
    return [block(
      [title, `Batched: ${formatCount(step.batch.size)} rows per batch by ${quoteIdent(step.batch.key)}, each batch committed with its place in migc_ledger; run again after an interruption, it goes on from there.`, liftedTimeout,
        ...(step.verify.length ? ['The checks run after the last batch: if one fails, the batches stay committed; the down script undoes them, or fix the data and run this script again.'] : [])],
      [...batchedSql(plan, action.statements[0]!, step.batch, step.id, { ...key, part: 'up 1' }), ...runUnit(plan, { ...key, part: 'up 2' }, verifications(step).map((c) => ({ own: c })))],
      source,
    )];
  }
  const outside = action.statements.filter((s) => !s.facts.transactional).map((s) => s.facts.command);
  const comments = [title];
  if (outside.length) comments.push(`${[...new Set(outside)].join(', ')} cannot run inside a transaction: it runs on its own, and again when this script is run again.`);
  const groups = planUnits(plan, action.statements, locksOf);
  return [block([...comments, ...liftedNotes(locksOf, groups)], units(plan, key, 'up', groups, verifications(step)), source)];
}

function downBlocks(plan: Plan, locksOf: LocksOf, phase: Phase, step: Step): ScriptBlock[] {
  const title = `Undo step ${step.id}`;
  const source = { kind: 'step', stepId: step.id } as const;
  const key = { plan: plan.id, phase: phase.name, step: step.id };
  const forget = own(forgetCall(key));
  const r = step.rollback;
  if (!r) return [block([title, 'This step has no rollback.'], [forget], source)];
  const loss = r.dataLoss ? (r.restore?.trim() ? labelled('Data loss: yes. Restore:', r.restore) : ['Data loss: yes.']) : [];
  const onlyIfRan = 'Runs only if the step ran (migc_ledger says so).';
  switch (r.kind) {
    case 'sql':
      if (r.batch) {
        return [block([title, `Batched: ${formatCount(r.batch.size)} rows per batch by ${quoteIdent(r.batch.key)}, each batch committed.`, liftedTimeout, onlyIfRan, ...loss],
          [...batchedSql(plan, r.statements[0]!, r.batch, `undo ${step.id}`, { ...key, part: 'down 1' }), forget], source)];
      }
      const groups = planUnits(plan, r.statements, locksOf);
      // A statement that runs outside a transaction runs outside migc_run too: nothing can skip it.
      const outsideStatements = r.statements.filter((x) => !x.facts.transactional);
      const outside = [...new Set(outsideStatements.map((x) => x.facts.command))];
      const ranNote = outside.length
        ? `Its transactions run only if the step ran (migc_ledger says so); ${outside.join(', ')} runs outside a transaction, where nothing can skip it: it runs even if the step did not, so it must be safe then${runsTwiceGuards(outsideStatements)}.`
        : onlyIfRan;
      return [block([title, ranNote, ...liftedNotes(locksOf, groups), ...loss], [...units(plan, key, 'down', groups, []), forget], source)];
    case 'run':
    case 'manual': {
      const text = r.kind === 'run' ? r.command : r.instructions;
      const stop = stopFor(r.kind, text);
      return [block(
        [title, ...labelled(r.kind === 'run' ? 'Not run by this script. Before going on, run:' : 'Not run by this script. Before going on, by hand:', text), ...loss,
          'If the step ran, the script stops here until this is recorded as done in migc_ledger (the error says how); then run it again.'],
        [own(stopCall({ ...key, part: 'undone' }, true, `undo step "${step.id}" of phase "${phase.name}": ${stop.message}`, stop.detail)), forget],
        source,
      )];
    }
    case 'nothing':
      // Nothing runs and nothing stops: the ledger forgets the step, as after any rollback.
      return [block([title, ...labelled('Nothing to undo.', r.reason)], [forget], source)];
    case 'irreversible': {
      const restore = r.restore?.trim() ? `; ${r.dataLoss ? 'restore' : 'what to do'}: ${visibleLines(r.restore.trim()).join('\n')}` : '';
      const message = `migc: step "${step.id}" is irreversible${restore}`;
      return [block(
        [title, `Irreversible: if the step ran, this script stops here, before the steps before it in this phase are undone; once ${r.dataLoss ? 'its data is restored by hand' : 'it is accepted as it stays (it loses no data)'} and recorded in migc_ledger (the error says how), run it again: it goes on. If the step did not run, the script goes on.`, ...loss],
        [own(irreversibleCall(key, message)), forget],
        source,
      )];
    }
  }
}

function gateBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  const steps = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
  const key = { plan: plan.id, phase: phase.name, step: '' };
  const g = phase.gate;
  const blocks: ScriptBlock[] = [];
  const conditions = [
    ...(g?.deploy !== undefined ? [`deployed everywhere: ${g.deploy.trim()}`] : []),
    ...(g?.wait ? [gateWaitText(phase)!] : []),
    ...(g?.approval !== undefined ? [`approved by ${g.approval.trim()}`] : []),
  ];
  if (g && conditions.length) {
    blocks.push(block(
      [`Gate of phase ${phase.name}: the script stops here until the gate is recorded as met in migc_ledger (the error says how).`],
      [own(stopCall({ ...key, part: 'gate' }, false, `the gate of phase "${phase.name}": it must be met before the phase starts`, conditions.join('\n')))],
      { kind: 'gate', stepId: phase.name },
    ));
  }
  const checks = (g?.verified ?? []).flatMap((ref) => {
    const step = steps.get(ref.stepId);
    if (!step || step.verify.length === 0) return [];
    return step.verify.map((v, i) => ({ stepId: step.id, sql: compileAssertion(v, `gate check ${i + 1} of step "${step.id}" (before phase "${phase.name}")`) }));
  });
  if (checks.length) {
    const ids = [...new Set(checks.map((c) => c.stepId))];
    blocks.push(block(
      [`Gate: step${ids.length > 1 ? 's' : ''} ${ids.join(', ')} must still verify before phase ${phase.name} starts (checked once; skipped when the script is run again).`],
      runUnit(plan, { ...key, part: 'gate checks' }, checks.map((c) => ({ own: c.sql }))),
      { kind: 'gate', stepId: ids[0]! },
    ));
  }
  return blocks;
}

function gateNotes(phase: Phase): string[] {
  const g = phase.gate;
  if (!g) return [];
  return [
    ...(g.deploy !== undefined ? labelled('Gate (check before running): deployed everywhere:', g.deploy) : []),
    ...(g.wait ? [`Gate (check before running): ${gateWaitText(phase)}`] : []),
    ...(g.approval !== undefined ? labelled('Gate (check before running): approved by', g.approval) : []),
  ];
}

/** Plan-wide verifications checked at the end of this phase, each an assertion of its own. */
function planVerificationBlocks(plan: Plan, phase: Phase): ScriptBlock[] {
  return plan.verify.filter((v) => verificationPhase(plan, v) === phase).map((v) => {
    const name = `plan-wide verification ${v.number}`;
    return block(
      [`Plan-wide verification ${v.number}, checked at the end of ${v.after !== undefined ? `phase ${phase.name}` : 'the plan'}${v.description ? `: ${firstLine(v.description)}` : ''}`],
      runUnit(plan, { plan: plan.id, phase: phase.name, step: '', part: `verification ${v.number}` }, [{ own: compileAssertion(v, name) }]),
      { kind: 'verification', stepId: name },
    );
  });
}

const preludeComment = sqlComment([
  'migc_ledger records each part of a step once it is done, so this script can be run again after',
  'a failure: what is done is skipped. The down scripts read it to undo only what ran; the last',
  'one drops it with these procedures.',
]);

function scriptView(plan: Plan, phase: Phase, direction: 'up' | 'down', notes: readonly string[], blocks: readonly ScriptBlock[]): ScriptView {
  const fileName = scriptFileName(phase, direction);
  // String literals mean what PostgreSQL's parser (and so migc's analysis) read in them only with
  // standard_conforming_strings on: with it off, 'x\' AS a, '; DROP ...' runs the DROP. psql
  // follows the server's setting, so it reads the rest of the script the same way.
  const settings = [
    own('SET standard_conforming_strings = on'),
    own(`SET lock_timeout = ${sqlLiteral(plan.settings.lockTimeout)}`), own(`SET statement_timeout = ${sqlLiteral(plan.settings.statementTimeout)}`),
  ];
  const prelude = ledgerPrelude.map(own);
  // Only phases with SQL have scripts, and so rows in the ledger.
  // Phases run in order, each to its end, and are undone latest first.
  const later = direction === 'down' ? plan.phases.filter((p) => p.number > phase.number && phaseHasSql(p)).map((p) => ({ name: p.name, downScript: scriptFileName(p, 'down') })) : [];
  const earlier = direction === 'up' ? plan.phases.filter((p) => p.number < phase.number && phaseHasSql(p)).map((p) => ({ name: p.name, upScript: scriptFileName(p, 'up') })) : [];
  const guard = later.length ? [own(laterPhasesGuard(plan.id, phase.name, later))] : earlier.length ? [own(earlierPhasesGuard(plan.id, phase.name, earlier))] : [];
  const guardComment = direction === 'down'
    ? 'Phases are undone latest first: this stops, changing nothing, while a later phase of the plan is not rolled back.'
    : 'Phases run in order, each to its end: this stops, changing nothing, while an earlier phase of the plan has not finished.';
  const epilogue = direction === 'down' ? [own(ledgerEpilogue(plan.id, phase.name))] : [own(markCall(phaseDoneKey(plan.id, phase.name), true, `migc: phase ${phase.name} of plan ${plan.id} is done`))];
  const epilogueComment = direction === 'down'
    ? 'The phase is undone: its rows in migc_ledger go, and the ledger itself once no plan has rows left.'
    : `The phase ran to its end: recorded in migc_ledger, so the next phase's up script can start.`;
  const header = sqlComment([
    `${fileName}: phase ${phase.number} of ${plan.phases.length} (${phase.kind}) of plan ${plan.id}, ${direction === 'up' ? 'up' : 'rollback'}`,
    plan.title,
    `Generated by migc from ${plan.file}; change the plan, not this file.`,
    `Run with: psql -v ON_ERROR_STOP=1 -f ${fileName} "$DATABASE_URL"`,
    direction === 'up'
      ? 'Safe to run again after a failure, once its cause is fixed: the parts that are done are skipped.'
      : 'Safe to run after the up script failed at any point: it undoes only the steps that ran.',
    ...notes,
  ]);
  const render = (ss: readonly ScriptStatement[]) => ss.map((s) => terminated(s.text)).join('\n');
  return {
    fileName, direction, phase, phaseCount: plan.phases.length, header,
    settings: render(settings),
    prelude: `${preludeComment}\n${render(prelude)}${guard.length ? `\n\n${sqlComment(guardComment)}\n${render(guard)}` : ''}`,
    blocks,
    epilogue: `${sqlComment(epilogueComment)}\n${render(epilogue)}`,
    statements: [...settings, ...prelude, ...guard, ...blocks.flatMap((b) => b.statements), ...epilogue],
  };
}

export function upScript(plan: Plan, phase: Phase, analysis: ScriptAnalysis): ScriptView {
  const locksOf: LocksOf = (s) => analysis.get(s)?.locks;
  return scriptView(plan, phase, 'up', gateNotes(phase), [...gateBlocks(plan, phase), ...phase.steps.flatMap((s) => upBlocks(plan, locksOf, phase, s)), ...planVerificationBlocks(plan, phase)]);
}

export function downScript(plan: Plan, phase: Phase, analysis: ScriptAnalysis): ScriptView {
  const locksOf: LocksOf = (s) => analysis.get(s)?.locks;
  return scriptView(plan, phase, 'down', ['Rolls back this phase: the rollbacks of the steps that ran, in reverse order.'], [...phase.steps].reverse().flatMap((s) => downBlocks(plan, locksOf, phase, s)));
}
