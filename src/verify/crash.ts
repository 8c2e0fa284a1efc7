import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { downScript, phaseHasSql, scriptFileName, upScript, type ScriptAnalysis, type ScriptBlock } from '../emit/sql/blocks.js';
import { confirmStatement, ledgerPrelude, stopKey } from '../emit/sql/ledger.js';
import type { Phase, Plan, Step } from '../normalize/model.js';
import { relationSql, walkedTable } from '../sql/batch.js';
import { parseSql } from '../sql/parser.js';
import { psqlStatements } from '../sql/psql.js';
import type { RehearsalDatabase } from './engine.js';
import { blockRanges } from './observe.js';
import { changedColumns, dataSnapshot, describeSchemaDiff, diffSnapshots, schemaSnapshot, type DataSnapshot, type SchemaSnapshot } from './snapshot.js';
import { quoteName } from '../sql/quote.js';

/*
 * Crash points: for every phase, the up script is stopped after each statement that leaves the
 * database outside a transaction (a failure inside a transaction leaves the state of the point
 * before it), and inside each batch loop after its first batch committed. From each such state
 * both ways out are taken: the down script must bring back the state from before the phase (or
 * stop at an irreversible step, when that step ran), and the up script run again must reach the
 * state a clean run reaches. A database whose down restored it is used for the next point; one
 * left past the phase is replaced by a fresh one, set up to the phase's start.
 */

export interface CrashPoint {
  readonly phase: string;
  /** "after statement 12 (step add-column)", "in the batch loop of step backfill, after its first batch". */
  readonly where: string;
  readonly ok: boolean;
  /** What went wrong, when not ok. */
  readonly problem?: string;
}

export interface CrashResult {
  readonly tried: number;
  readonly passed: number;
  readonly points: readonly CrashPoint[];
  readonly ms: number;
  /** Steps whose rollback ran (and restored the phase) at some crash point. */
  readonly rolledBack: ReadonlySet<string>;
}

export interface CrashContext {
  readonly plan: Plan;
  readonly scripts: ReadonlyMap<string, string>;
  /** The plan's SQL analysis, which the scripts were rendered with. */
  readonly analysis: ScriptAnalysis;
  /** A fresh database with the baseline and fixtures loaded, or undefined when it cannot be had. */
  readonly open: () => Promise<RehearsalDatabase | undefined>;
  readonly close: (db: RehearsalDatabase) => Promise<void>;
}

interface Sent {
  readonly text: string;
  readonly start: number;
  /** No transaction is open after it: a crash here leaves a state of its own. */
  readonly idleAfter: boolean;
  readonly setting: boolean;
  readonly source?: ScriptBlock['source'];
}

interface Snapshot {
  readonly schema: SchemaSnapshot;
  readonly data: DataSnapshot;
}

const snapshot = async (db: RehearsalDatabase): Promise<Snapshot> => ({ schema: await schemaSnapshot(db), data: await dataSnapshot(db) });

/** The queries psql sends for a script, with where each leaves the transaction and which step it belongs to. */
function split(script: string, blocks: readonly ScriptBlock[]): Sent[] {
  const parsed = psqlStatements(script);
  if (!parsed.ok) return [];
  const ranges = blockRanges(script, blocks);
  let open = false;
  return parsed.statements.map((s) => {
    const tree = parseSql(s.text);
    const ast = tree.ok && tree.statements.length === 1 ? tree.statements[0]!.ast as Record<string, { kind?: string }> : undefined;
    const kind = ast ? Object.keys(ast)[0] : undefined;
    const tx = kind === 'TransactionStmt' ? String(ast!.TransactionStmt!.kind) : undefined;
    if (tx === 'TRANS_STMT_BEGIN' || tx === 'TRANS_STMT_START') open = true;
    if (tx === 'TRANS_STMT_COMMIT' || tx === 'TRANS_STMT_ROLLBACK') open = false;
    const source = ranges.find((r) => s.start >= r.start && s.start < r.end)?.source;
    return { text: s.text, start: s.start, idleAfter: !open, setting: kind === 'VariableSetStmt', ...(source ? { source } : {}) };
  });
}

type RunOutcome = { readonly ok: true } | { readonly ok: false; readonly index: number; readonly error: string };

/** Sends the statements in order, up to and including `last`; stops at the first error, leaving no transaction open. */
async function send(db: RehearsalDatabase, sents: readonly Sent[], last = sents.length - 1): Promise<RunOutcome> {
  for (let i = 0; i <= last; i++) {
    try {
      await db.exec(sents[i]!.text);
    } catch (e) {
      await db.exec('ROLLBACK').catch(() => undefined);
      return { ok: false, index: i, error: (e as Error).message };
    }
  }
  return { ok: true };
}

/** A whole script, as an operator runs it: a stop is answered in migc_ledger and the script run again. */
async function runWhole(db: RehearsalDatabase, sents: readonly Sent[]): Promise<RunOutcome> {
  const answered = new Set<number>();
  for (;;) {
    const r = await send(db, sents);
    if (r.ok || answered.has(r.index) || !r.error.startsWith('migc: stop: ')) return r;
    const key = stopOf(sents[r.index]!.text);
    if (!key) return r;
    answered.add(r.index);
    await db.exec(confirmStatement(key));
  }
}

function stopOf(text: string) {
  const parsed = parseSql(text);
  return parsed.ok && parsed.statements.length === 1 ? stopKey(parsed.statements[0]!.ast) : undefined;
}

/** Every stop of the script answered beforehand, as an operator who did the steps by hand would have. */
async function answerAll(db: RehearsalDatabase, sents: readonly Sent[]): Promise<void> {
  if (!sents.some((s) => stopOf(s.text))) return;
  await db.exec(ledgerPrelude[0]!); // the ledger, which the script would create first
  for (const s of sents) {
    const key = stopOf(s.text);
    if (key) await db.exec(`${confirmStatement(key)} ON CONFLICT DO NOTHING`);
  }
}

/** A statement-level trigger that lets the first batch of a loop commit and fails the second. */
function batchTrap(table: string): { install: string[]; remove: string[] } {
  return {
    install: [
      "SELECT set_config('migc_crash.batches', '', false)",
      `CREATE FUNCTION public.migc_crash_batch() RETURNS trigger LANGUAGE plpgsql AS $migc_crash$
BEGIN
  IF current_setting('migc_crash.batches', true) = 'first' THEN
    RAISE EXCEPTION 'migc: crash point: the loop stopped after its first batch';
  END IF;
  PERFORM set_config('migc_crash.batches', 'first', false);
  RETURN NULL;
END
$migc_crash$`,
      `CREATE TRIGGER migc_crash_batch AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION public.migc_crash_batch()`,
    ],
    remove: [`DROP TRIGGER IF EXISTS migc_crash_batch ON ${table}`, 'DROP FUNCTION IF EXISTS public.migc_crash_batch()'],
  };
}

/**
 * The tables of a batched step's statement, as SQL: the one it changes (where the crash point's
 * trigger goes) and the one its loop walks (whose rows say whether there is a second batch): the
 * same for an UPDATE or a DELETE, the source for an INSERT ... SELECT.
 */
function batchTables(step: Step): { changed: string; walked: string } | undefined {
  if (step.action?.kind !== 'sql' || !step.batch) return undefined;
  const ast = step.action.statements[0]!.ast;
  const changed = (Object.values(ast)[0] as { relation?: { schemaname?: string; relname: string } }).relation;
  const walked = walkedTable(ast);
  return changed && walked ? { changed: relationSql(changed), walked: relationSql(walked) } : undefined;
}

/**
 * Crash points as one phrase: "after statement 11 (step x)", or for several
 * "after statements 11, 12 and 13 (step x); in the batch loop of step y, after its first batch".
 */
export function pointList(wheres: readonly string[]): string {
  const groups = new Map<string, string[]>();
  const others: string[] = [];
  for (const w of wheres) {
    const m = /^after statement (\d+)(.*)$/.exec(w);
    if (!m) {
      others.push(w);
      continue;
    }
    groups.set(m[2]!, [...(groups.get(m[2]!) ?? []), m[1]!]);
  }
  const said = [...groups].map(([what, numbers]) => numbers.length === 1
    ? `after statement ${numbers[0]}${what}`
    : `after statements ${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}${what}`);
  return [...said, ...others].join('; ');
}

/** How a state differs from the one expected, or undefined when it does not. */
function difference(expected: Snapshot, got: Snapshot, ignoreData: boolean, ignoreColumns: ReadonlySet<string> = new Set()): string | undefined {
  const schema = diffSnapshots(expected.schema, got.schema);
  if (schema.missing.length || schema.extra.length) return `the schema differs: ${describeSchemaDiff(schema, 2).text}`;
  if (ignoreData) return undefined;
  const changed = changedColumns(expected.data, got.data, ignoreColumns);
  const tables = [...new Set([...expected.data.keys(), ...got.data.keys()])].filter((t) => expected.data.has(t) !== got.data.has(t));
  if (changed.length || tables.length) return `the data differs: ${[...changed, ...tables].slice(0, 3).map(quoteName).join(', ')}`;
  return undefined;
}

export async function rehearseCrashPoints(ctx: CrashContext): Promise<{ result: CrashResult; diagnostics: Diagnostic[] }> {
  const started = performance.now();
  const { plan, scripts } = ctx;
  const points: CrashPoint[] = [];
  const rolledBack = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const scriptsOf = (phase: Phase) => {
    const up = scripts.get(scriptFileName(phase, 'up'));
    const down = scripts.get(scriptFileName(phase, 'down'));
    return up === undefined || down === undefined ? undefined : {
      up: split(up, upScript(plan, phase, ctx.analysis).blocks),
      down: split(down, downScript(plan, phase, ctx.analysis).blocks),
    };
  };

  let db: RehearsalDatabase | undefined;
  /** The phase the database stands at the start of, or -1 when it must be replaced. */
  let at = -1;
  /** The state of this database at the phase's start, and of the first one (the clean run's). */
  let dbBefore: Snapshot | undefined;
  let firstBefore: Snapshot | undefined;
  /**
   * Columns the fixtures fill differently in each new database (a default of now(), random()):
   * not compared between databases, only within one.
   */
  let volatile: ReadonlySet<string> = new Set();
  /** Exact copies of the database at a phase's start, where the engine can make them. */
  const saved = new Map<number, () => Promise<RehearsalDatabase>>();
  const replace = async (phaseIndex: number): Promise<boolean> => {
    if (db) await ctx.close(db);
    db = undefined;
    at = -1;
    const copy = saved.get(phaseIndex);
    if (copy) {
      db = await copy();
      at = phaseIndex;
      dbBefore = firstBefore;
      volatile = new Set();
      return true;
    }
    db = await ctx.open();
    if (!db) return false;
    for (let j = 0; j < phaseIndex; j++) {
      const s = scriptsOf(plan.phases[j]!);
      if (!s) continue;
      await answerAll(db, s.up);
      if (!(await runWhole(db, s.up)).ok) return false;
    }
    at = phaseIndex;
    dbBefore = await snapshot(db);
    if (firstBefore) volatile = new Set(changedColumns(firstBefore.data, dbBefore.data));
    return true;
  };
  const ready = async (phaseIndex: number) => (at === phaseIndex && db) || (await replace(phaseIndex));

  try {
    for (const [p, phase] of plan.phases.entries()) {
      if (!phaseHasSql(phase)) continue;
      const s = scriptsOf(phase);
      if (!s || !(await ready(p))) break;
      const irreversible = phase.steps.filter((x) => x.rollback?.kind === 'irreversible').map((x) => x.id);
      const lossy = phase.steps.some((x) => x.rollback?.dataLoss);
      const save = await db!.saveState?.();
      if (save) saved.set(p, save);
      const before = await snapshot(db!);
      firstBefore = before;
      dbBefore = before;
      volatile = new Set();
      await answerAll(db!, s.up);
      if (!(await runWhole(db!, s.up)).ok) break; // the main rehearsal reports the failure
      const after = await snapshot(db!);
      at = -1;
      /** Whether the database is back at the phase's start exactly, data and all: then it is used again. */
      const restored = async () => !difference(dbBefore!, await snapshot(db!), false);
      if (!irreversible.length && (await runWhole(db!, s.down)).ok && (await restored())) at = p;

      /** Steps that ran (a part committed or started) when the script stops after statement k. */
      const ranBy = (k: number) => new Set(s.up.slice(0, k + 1).filter((x) => x.idleAfter && x.source?.kind === 'step').map((x) => x.source!.stepId));
      const stepOf = (x: Sent) => (x.source?.kind === 'step' ? ` (step ${x.source.stepId})` : x.source ? ` (${x.source.kind === 'gate' ? 'gate' : x.source.stepId})` : '');
      const candidates: { where: string; k: number; trap?: string }[] = [];
      // What comes before the first step, gate or check (the ledger's prelude, an up script's guard
      // that earlier phases finished) counts as one point, after its last statement: the states in
      // between differ only in which of migc's procedures exist, and every script recreates them.
      const firstBlock = s.up.findIndex((x) => x.source !== undefined);
      s.up.forEach((x, k) => {
        const inSetup = k < firstBlock - 1;
        // The set-up's point is migc's own: a reader cannot tell that from a number alone.
        const what = !x.source && k === firstBlock - 1 ? ' (migc\'s set-up, before any step)' : stepOf(x);
        if (k < s.up.length - 1 && x.idleAfter && !x.setting && !inSetup) candidates.push({ where: `after statement ${k + 1}${what}`, k });
      });
      for (const step of phase.steps) {
        const tables = batchTables(step);
        const k = s.up.findIndex((x) => x.source?.kind === 'step' && x.source.stepId === step.id && x.text.trimStart().startsWith('DO '));
        // A loop over a table that fits in one batch has no point inside it (the point after it covers it).
        const rows = tables && k >= 0 ? Number((await db!.query<{ n: string }>(`SELECT count(*) AS n FROM ${tables.walked}`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]?.n ?? 0) : 0;
        if (tables && k >= 0 && rows > step.batch!.size) candidates.push({ where: `in the batch loop of step ${step.id}, after its first batch`, k, trap: tables.changed });
      }

      /** Brings the database to the crash point's state; false when the point cannot be reached. */
      const crash = async (c: (typeof candidates)[number]): Promise<'crashed' | 'unreachable' | string> => {
        await answerAll(db!, s.up);
        if (!c.trap) {
          const r = await send(db!, s.up, c.k);
          return r.ok ? 'crashed' : `the up script failed before the crash point: ${r.error}`;
        }
        const trap = batchTrap(c.trap);
        const before = await send(db!, s.up, c.k - 1);
        if (!before.ok) return `the up script failed before the crash point: ${before.error}`;
        for (const t of trap.install) await db!.exec(t);
        let r: RunOutcome;
        try {
          r = await send(db!, s.up.slice(c.k, c.k + 1));
        } finally {
          for (const t of trap.remove) await db!.exec(t);
        }
        if (r.ok) return 'unreachable'; // one batch held every row: the point after the loop covers it
        return r.error.includes('migc: crash point:') ? 'crashed' : `the batch loop failed: ${r.error}`;
      };

      for (const c of candidates) {
        const ran = ranBy(c.trap ? c.k : c.k);
        const irreversibleRan = irreversible.some((id) => ran.has(id));
        const fail = (problem: string) => points.push({ phase: phase.name, where: c.where, ok: false, problem });
        if (!(await ready(p))) break;
        const reached = await crash(c);
        if (reached === 'unreachable') {
          at = p; // nothing was left half done: the loop finished
          const undo = await runWhole(db!, s.down);
          if (!undo.ok || !(await restored())) at = -1;
          continue;
        }
        if (reached !== 'crashed') {
          at = -1;
          fail(reached);
          continue;
        }
        // Way out 1: the down script.
        at = -1;
        const down = await runWhole(db!, s.down);
        let problem: string | undefined;
        if (irreversibleRan) {
          if (down.ok || !/is irreversible/.test(down.error)) problem = down.ok ? 'the down script ran to its end past an irreversible step that ran' : `the down script failed: ${down.error}`;
        } else if (!down.ok) {
          problem = `the down script failed: ${down.error}`;
        } else {
          const now = await snapshot(db!);
          const d = difference(dbBefore!, now, lossy);
          if (d) problem = `after the down script, ${d} from before the phase`;
          else {
            // A rollback that loses data (as declared) leaves the database unfit for the next point.
            if (!difference(dbBefore!, now, false)) at = p;
            for (const id of ran) rolledBack.add(id);
          }
        }
        // Way out 2: the up script again, from the same crash point.
        if (!problem) {
          if (!(await ready(p))) break;
          const again = await crash(c);
          at = -1;
          if (again !== 'crashed') problem = `the crash point could not be reached again: ${again}`;
          else {
            const up = await runWhole(db!, s.up);
            if (!up.ok) problem = `running the up script again failed: ${up.error}`;
            else {
              const d = difference(after, await snapshot(db!), false, volatile);
              if (d) problem = `after running the up script again, ${d} from a clean run`;
              // From the clean run's state the down script restores the phase's start: the full
              // rehearsal checked that, so the database is used for the next point.
              else if (!irreversible.length && !lossy && (await runWhole(db!, s.down)).ok) at = p;
            }
          }
        }
        if (problem) fail(problem);
        else points.push({ phase: phase.name, where: c.where, ok: true });
      }
    }
  } finally {
    if (db) await ctx.close(db);
  }

  // One finding per phase and problem: a rollback that fails the same way from several points is one fix.
  const failures = new Map<string, { phase: string; problem: string; wheres: string[] }>();
  for (const f of points.filter((x) => !x.ok)) {
    const key = `${f.phase}\t${f.problem ?? ''}`;
    const entry = failures.get(key) ?? { phase: f.phase, problem: f.problem ?? '', wheres: [] };
    entry.wheres.push(f.where);
    failures.set(key, entry);
  }
  for (const f of failures.values()) {
    const phase = plan.phases.find((x) => x.name === f.phase)!;
    diagnostics.push({
      code: 'MG066', severity: 'error', file: plan.file, span: phase.span,
      message: `phase "${f.phase}" does not recover from a failure ${pointList(f.wheres)}: ${f.problem}`,
      help: 'A failure at any statement must leave a state that the down script undoes and that running the up script again completes. Make the step\'s statements and rollback safe to run after a partial run (IF [NOT] EXISTS for statements outside a transaction; rollbacks that undo only what is there).',
    });
  }
  return {
    result: { tried: points.length, passed: points.filter((x) => x.ok).length, points, ms: performance.now() - started, rolledBack },
    diagnostics,
  };
}
