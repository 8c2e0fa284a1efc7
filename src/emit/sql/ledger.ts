import type { PgNode } from '../../sql/parser.js';
import { dollarQuote, sqlLiteral } from '../../sql/quote.js';
import { lockRetryWaits } from '../../normalize/settings.js';

/*
 * What migc keeps in the user's database so a script can be stopped at any statement and run
 * again: public.migc_ledger, one row per part of a step that ran (or started), and five
 * procedures that read and write it. Every script creates them when missing (the first phase's up
 * script in practice) and every down script ends by dropping them all once the ledger is empty,
 * so after the last rollback nothing of migc's is left.
 *
 * A row's part says what it records:
 *   up N            the Nth part of a step (a transaction, a statement run outside one, a batch loop);
 *                   done = false while a part that cannot run in one transaction is under way
 *   down N          the Nth part of a step's rollback
 *   confirmed       a `run` or `manual` step the operator did by hand and recorded
 *   undone          the rollback of such a step, done by hand and recorded; for an irreversible
 *                   step that ran, its data restored by hand (its restore note) and recorded
 *   gate            the phase's gate (deploy, wait, approval), recorded as met (step is '')
 *   gate checks     the gate's verifications, passed (step is '')
 *   verification N  plan-wide verification N, passed at the end of the phase (step is '')
 *   phase done      the phase's up script ran to its end (step is ''): the next phase's up may start
 */

export const ledgerTable = 'public.migc_ledger';

/** Names of the procedures, as the scripts call them. */
export const procedures = {
  run: 'public.migc_run',
  mark: 'public.migc_mark',
  stop: 'public.migc_stop',
  irreversible: 'public.migc_irreversible',
  dropInvalidIndex: 'public.migc_drop_invalid_index',
  forget: 'public.migc_forget',
} as const;

/** The key of one ledger row: the plan, the phase, the step ('' for the phase itself) and the part. */
export interface LedgerKey {
  readonly plan: string;
  readonly phase: string;
  readonly step: string;
  readonly part: string;
}

const keyArgs = (k: LedgerKey) => [k.plan, k.phase, k.step, k.part].map(sqlLiteral).join(', ');

const createTable = `DO ${dollarQuote(`
BEGIN
  IF to_regclass('${ledgerTable}') IS NULL THEN
    CREATE TABLE ${ledgerTable} (
      plan_id text NOT NULL,
      phase text NOT NULL,
      step text NOT NULL,
      part text NOT NULL,
      done boolean NOT NULL,
      resume_after text,
      PRIMARY KEY (plan_id, phase, step, part)
    );
    COMMENT ON TABLE ${ledgerTable} IS 'migc: the parts of migration steps that ran; the last down script drops it';
  END IF;
END
`)}`;

/** "The step ran": a row of its own that is not a rollback's (the up parts, a confirmation). */
const ran = `EXISTS (SELECT FROM ${ledgerTable} l WHERE l.plan_id = p_plan AND l.phase = p_phase AND l.step = p_step AND l.part NOT LIKE 'down %' AND l.part <> 'undone')`;

const runProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.run}(p_plan text, p_phase text, p_step text, p_part text, p_retries integer, p_statements text[])
LANGUAGE plpgsql AS ${dollarQuote(`
DECLARE
  attempt integer := 0;
  delay double precision;
  statement text;
  what text := CASE WHEN p_step = '' THEN format('phase "%s" (%s)', p_phase, p_part) ELSE format('step "%s" (%s)', p_step, p_part) END;
BEGIN
  -- migc.skipped tells a rehearsal (migc verify) whether the statements ran, to judge their locks.
  PERFORM set_config('migc.skipped', 'on', false);
  IF EXISTS (SELECT FROM ${ledgerTable} l WHERE l.plan_id = p_plan AND l.phase = p_phase AND l.step = p_step AND l.part = p_part AND l.done) THEN
    RAISE NOTICE 'migc: % is done already: skipped', what;
    RETURN;
  END IF;
  IF p_part LIKE 'down %' AND NOT ${ran} THEN
    RAISE NOTICE 'migc: step "%" did not run: nothing to undo', p_step;
    RETURN;
  END IF;
  PERFORM set_config('migc.skipped', 'off', false);
  LOOP
    BEGIN
      FOREACH statement IN ARRAY p_statements LOOP
        EXECUTE statement;
      END LOOP;
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      -- The failed try is rolled back to here, its locks released, before waiting.
      attempt := attempt + 1;
      IF attempt > p_retries THEN
        RAISE EXCEPTION 'migc: % found no lock after % tries: %', what, attempt, SQLERRM
          USING ERRCODE = 'lock_not_available',
                HINT = 'Nothing of this part was kept. Find the session holding the lock (pg_locks), then run this script again: what is done is skipped.';
      END IF;
      delay := least(${lockRetryWaits.longestSeconds}, ${lockRetryWaits.firstSeconds} * 2 ^ (attempt - 1)) * (${lockRetryWaits.jitterFrom} + random());
      RAISE NOTICE 'migc: % hit lock_timeout (%); try % of % in % s', what, SQLERRM, attempt + 1, p_retries + 1, round(delay::numeric, 1);
      PERFORM pg_sleep(delay);
    END;
  END LOOP;
  INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (p_plan, p_phase, p_step, p_part, true)
    ON CONFLICT (plan_id, phase, step, part) DO UPDATE SET done = true, resume_after = NULL;
END
`)}`;

const markProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.mark}(p_plan text, p_phase text, p_step text, p_part text, p_done boolean, p_notice text)
LANGUAGE plpgsql AS ${dollarQuote(`
BEGIN
  IF p_notice <> '' THEN
    RAISE NOTICE '%', p_notice;
  END IF;
  IF p_done THEN
    INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (p_plan, p_phase, p_step, p_part, true)
      ON CONFLICT (plan_id, phase, step, part) DO UPDATE SET done = true, resume_after = NULL;
  ELSE
    INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (p_plan, p_phase, p_step, p_part, false)
      ON CONFLICT (plan_id, phase, step, part) DO NOTHING;
  END IF;
END
`)}`;

const stopProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.stop}(p_plan text, p_phase text, p_step text, p_part text, p_only_if_ran boolean, p_message text, p_detail text)
LANGUAGE plpgsql AS ${dollarQuote(`
BEGIN
  IF p_only_if_ran AND NOT ${ran} THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM ${ledgerTable} l WHERE l.plan_id = p_plan AND l.phase = p_phase AND l.step = p_step AND l.part = p_part) THEN
    -- The message is 'what: instruction'; once done, only the what is news.
    RAISE NOTICE 'migc: %: recorded as done, going on', split_part(p_message, ': ', 1);
    RETURN;
  END IF;
  RAISE EXCEPTION 'migc: stop: %', p_message
    USING DETAIL = p_detail,
          HINT = format('When it is done, record it, then run this script again (what is done is skipped): INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (%L, %L, %L, %L, true);', p_plan, p_phase, p_step, p_part);
END
`)}`;

/*
 * An irreversible step that ran stops the down script. Its data comes back by hand (the step's
 * restore note); the operator records that as 'undone', as for a rollback done by hand, and the
 * script run again goes on with the steps before it. Without that way on, the phase's rows would
 * stay in the ledger for good and every earlier phase's down would refuse to start.
 */
const irreversibleProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.irreversible}(p_plan text, p_phase text, p_step text, p_message text)
LANGUAGE plpgsql AS ${dollarQuote(`
BEGIN
  IF ${ran} THEN
    IF EXISTS (SELECT FROM ${ledgerTable} l WHERE l.plan_id = p_plan AND l.phase = p_phase AND l.step = p_step AND l.part = 'undone') THEN
      RAISE NOTICE 'migc: step "%" is irreversible; its restore is recorded as done: going on', p_step;
      RETURN;
    END IF;
    RAISE EXCEPTION '%', p_message
      USING HINT = format('The steps before it in this phase are not undone yet. Once its data is restored by hand (or its loss accepted), record that, then run this script again to go on with the steps before it: INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (%L, %L, %L, %L, true);', p_plan, p_phase, p_step, 'undone');
  END IF;
  RAISE NOTICE 'migc: step "%" is irreversible, but it did not run: going on', p_step;
END
`)}`;

const dropInvalidIndexProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.dropInvalidIndex}(p_index text)
LANGUAGE plpgsql AS ${dollarQuote(`
DECLARE
  found regclass := to_regclass(p_index);
BEGIN
  IF found IS NOT NULL AND EXISTS (SELECT FROM pg_index x WHERE x.indexrelid = found AND NOT x.indisvalid) THEN
    RAISE NOTICE 'migc: dropping the INVALID index % left by a build that failed, before building it again', found;
    EXECUTE format('DROP INDEX %s', found);
  END IF;
END
`)}`;

const forgetProcedure = `CREATE OR REPLACE PROCEDURE ${procedures.forget}(p_plan text, p_phase text, p_step text)
LANGUAGE plpgsql AS ${dollarQuote(`
BEGIN
  DELETE FROM ${ledgerTable} l WHERE l.plan_id = p_plan AND l.phase = p_phase AND l.step = p_step;
END
`)}`;

/** Every script starts with these: the ledger and its procedures, created or brought up to date. */
export const ledgerPrelude: readonly string[] = [
  createTable, runProcedure, markProcedure, stopProcedure, irreversibleProcedure, dropInvalidIndexProcedure, forgetProcedure,
];

/**
 * The end of every down script: the phase's rows are forgotten, and once no plan has rows left
 * the ledger and the procedures are dropped: after the last rollback, nothing of migc's remains.
 */
export function ledgerEpilogue(plan: string, phase: string): string {
  return `DO ${dollarQuote(`
BEGIN
  DELETE FROM ${ledgerTable} WHERE plan_id = ${sqlLiteral(plan)} AND phase = ${sqlLiteral(phase)};
  IF NOT EXISTS (SELECT FROM ${ledgerTable}) THEN
    DROP TABLE ${ledgerTable};
    DROP PROCEDURE ${procedures.run}(text, text, text, text, integer, text[]);
    DROP PROCEDURE ${procedures.mark}(text, text, text, text, boolean, text);
    DROP PROCEDURE ${procedures.stop}(text, text, text, text, boolean, text, text);
    DROP PROCEDURE ${procedures.irreversible}(text, text, text, text);
    DROP PROCEDURE ${procedures.dropInvalidIndex}(text);
    DROP PROCEDURE ${procedures.forget}(text, text, text);
    RAISE NOTICE 'migc: nothing left to undo: migc_ledger and its procedures dropped';
  END IF;
END
`)}`;
}

/**
 * A down script's guard: phases are undone latest first, so this phase's down stops before it
 * changes anything while a later phase of the plan still has rows in the ledger (it ran, or
 * started, and was not rolled back). Undoing an earlier phase under a later one breaks both: the
 * later down then finds the columns and constraints it undoes gone.
 */
export function laterPhasesGuard(plan: string, phase: string, later: readonly { readonly name: string; readonly downScript: string }[]): string {
  const names = `ARRAY[${later.map((p) => sqlLiteral(p.name)).join(', ')}]::text[]`;
  const order = [...later].reverse().map((p) => p.downScript).join(', then ');
  return `DO ${dollarQuote(`
DECLARE
  v_later text;
BEGIN
  SELECT l.phase INTO v_later FROM ${ledgerTable} l
   WHERE l.plan_id = ${sqlLiteral(plan)} AND l.phase = ANY (${names})
   ORDER BY array_position(${names}, l.phase) DESC LIMIT 1;
  IF v_later IS NOT NULL THEN
    RAISE EXCEPTION ${sqlLiteral(`migc: phase % of plan ${plan.replace(/%/g, '%%')} is not rolled back; it comes after phase ${phase.replace(/%/g, '%%')}, so it is undone first`)}, v_later
      USING HINT = ${sqlLiteral(`Roll back the later phases first, latest first: ${order}; then run this script again. Nothing was changed. A later phase whose down stops at an irreversible step goes on once its data is restored and recorded, as that error's hint says.`)};
  END IF;
END
`)}`;
}

const phaseDonePart = 'phase done';

/** The ledger key that says a phase's up script ran to its end. */
export const phaseDoneKey = (plan: string, phase: string): LedgerKey => ({ plan, phase, step: '', part: phaseDonePart });

/**
 * An up script's guard: phases run in order, each to its end, so this phase's up stops before it
 * changes anything while an earlier phase of the plan has not finished (its up script did not
 * reach its last line). Contracting before the backfill finished loses the data not yet copied.
 * A phase applied another way is recorded by hand, as the hint says.
 */
export function earlierPhasesGuard(plan: string, phase: string, earlier: readonly { readonly name: string; readonly upScript: string }[]): string {
  const names = `ARRAY[${earlier.map((p) => sqlLiteral(p.name)).join(', ')}]::text[]`;
  const order = earlier.map((p) => p.upScript).join(', then ');
  return `DO ${dollarQuote(`
DECLARE
  v_unfinished text;
BEGIN
  SELECT p.name INTO v_unfinished FROM unnest(${names}) WITH ORDINALITY AS p(name, n)
   WHERE NOT EXISTS (SELECT FROM ${ledgerTable} l WHERE l.plan_id = ${sqlLiteral(plan)} AND l.phase = p.name AND l.step = '' AND l.part = ${sqlLiteral(phaseDonePart)} AND l.done)
   ORDER BY p.n LIMIT 1;
  IF v_unfinished IS NOT NULL THEN
    RAISE EXCEPTION ${sqlLiteral(`migc: phase % of plan ${plan.replace(/%/g, '%%')} has not finished; it comes before phase ${phase.replace(/%/g, '%%')}, so it runs to its end first`)}, v_unfinished
      USING HINT = format(${sqlLiteral(`Run the earlier phases first, in order, each to its end: ${order}; then run this script again. Nothing was changed. If phase %s was applied another way, record it: INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (%L, %L, '', %L, true);`)}, v_unfinished, ${sqlLiteral(plan)}, v_unfinished, ${sqlLiteral(phaseDonePart)});
  END IF;
END
`)}`;
}

/**
 * A placeholder string for the nth statement a call carries: the call is built once with the
 * statements and once with these, and the checker compares the two (see check.ts).
 */
export const placeholder = (n: number) => `migc: statement ${n}`;

/** The statements of a unit, each a dollar-quoted literal on lines of its own. */
function statementArray(statements: readonly string[]): string {
  if (statements.length === 0) return "ARRAY[]::text[]";
  return `ARRAY[\n${statements.map((s) => dollarQuote(s, 'sql')).join(',\n')}\n]`;
}

/** CALL migc_run: the statements in one try, tried again on lock_timeout, recorded when done. */
export function runCall(key: LedgerKey, retries: number, statements: readonly string[]): string {
  return `CALL ${procedures.run}(${keyArgs(key)}, ${retries}, ${statementArray(statements)})`;
}

export function markCall(key: LedgerKey, done: boolean, notice: string): string {
  return `CALL ${procedures.mark}(${keyArgs(key)}, ${done}, ${sqlLiteral(notice)})`;
}

export function stopCall(key: LedgerKey, onlyIfRan: boolean, message: string, detail: string): string {
  return `CALL ${procedures.stop}(${keyArgs(key)}, ${onlyIfRan}, ${sqlLiteral(message)}, ${sqlLiteral(detail)})`;
}

export function irreversibleCall(key: Omit<LedgerKey, 'part'>, message: string): string {
  return `CALL ${procedures.irreversible}(${[key.plan, key.phase, key.step].map(sqlLiteral).join(', ')}, ${sqlLiteral(message)})`;
}

export function dropInvalidIndexCall(index: string): string {
  return `CALL ${procedures.dropInvalidIndex}(${sqlLiteral(index)})`;
}

export function forgetCall(key: Omit<LedgerKey, 'part'>): string {
  return `CALL ${procedures.forget}(${[key.plan, key.phase, key.step].map(sqlLiteral).join(', ')})`;
}

type Json = Record<string, unknown>;

/** The name of the procedure a CALL statement calls ("public.migc_run"), or undefined. */
export function calledProcedure(ast: PgNode): string | undefined {
  const call = (ast as Json).CallStmt as Json | undefined;
  const funccall = call?.funccall as Json | undefined;
  const names = (funccall?.funcname as Json[] | undefined)?.map((n) => ((n.String as Json | undefined)?.sval as string | undefined) ?? '');
  return names?.join('.');
}

/** The string arguments of a migc CALL, in order (the array's elements flattened at the end). */
export function callStrings(ast: PgNode): string[] {
  const call = (ast as Json).CallStmt as Json;
  const args = ((call.funccall as Json).args as Json[] | undefined) ?? [];
  const out: string[] = [];
  const visit = (node: Json) => {
    const c = node.A_Const as Json | undefined;
    const s = (c?.sval as Json | undefined)?.sval;
    if (c && typeof s === 'string') out.push(s);
    else if (c && c.sval !== undefined) out.push('');
    const array = node.A_ArrayExpr as Json | undefined;
    if (array) for (const e of (array.elements as Json[] | undefined) ?? []) visit(e);
    const cast = node.TypeCast as Json | undefined;
    if (cast) visit(cast.arg as Json);
  };
  for (const a of args) visit(a);
  return out;
}

/** The statements a CALL migc_run carries, or undefined when the statement is not one. */
export function runStatements(ast: PgNode): string[] | undefined {
  if (calledProcedure(ast) !== procedures.run) return undefined;
  return callStrings(ast).slice(4);
}

/** The ledger row a CALL migc_stop waits for, or undefined when the statement is not one. */
export function stopKey(ast: PgNode): LedgerKey | undefined {
  if (calledProcedure(ast) !== procedures.stop) return undefined;
  const [plan, phase, step, part] = callStrings(ast);
  return { plan: plan!, phase: phase!, step: step!, part: part! };
}

/** The statement that records a stop as answered, as the stop's hint tells the operator. */
export function confirmStatement(key: LedgerKey): string {
  return `INSERT INTO ${ledgerTable} (plan_id, phase, step, part, done) VALUES (${keyArgs(key)}, true)`;
}
