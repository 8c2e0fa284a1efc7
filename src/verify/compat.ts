/**
 * The dynamic half of the app-version check: during `migc verify`, walk the same schema states
 * as the static check (src/analyze/compat/check.ts) on a rehearsal database of its own, and
 * after each step and each rollback run every live version's queries there. Reads are planned
 * (EXPLAIN; with parameters EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+, PREPARE before); writes
 * are executed with sample values inside a transaction that is rolled back. What the database
 * says is compared with the static verdict: a break the static check missed is MG126, a break
 * it reported that the database does not see is MG127.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { appCompatibility, queryList, type CompatState } from '../analyze/compat/check.js';
import type { AppQuery, Phase, Plan, Statement } from '../normalize/model.js';
import type { RehearsalDatabase } from './engine.js';

export interface CompatRun {
  readonly state: string;
  readonly version: string;
  readonly query: AppQuery;
  /** The database's error, or undefined when the query ran (or was planned). */
  readonly error?: string;
  /** How it was run: EXPLAIN, EXPLAIN (GENERIC_PLAN), PREPARE, or executed and rolled back. */
  readonly how: string;
}

export interface CompatRehearsal {
  /** States reached, in order; a step that failed ends the walk (MG060 says why). */
  readonly states: readonly { readonly id: string; readonly label: string; readonly runs: readonly CompatRun[] }[];
  /** Queries run in all, and how long the walk took. */
  readonly queries: number;
  readonly ms: number;
  /** Why the walk stopped early, if it did. */
  readonly stopped?: string;
  readonly diagnostics: readonly Diagnostic[];
}

/** Errors a sample value can cause on a query that is fine: a duplicate, a missing parent row, a failed check. */
const sampleValueErrors = /duplicate key value|violates foreign key constraint|violates check constraint/;

/**
 * Walks the plan's schema states on `db` (the baseline and fixtures loaded), running the live
 * versions' queries at each; undefined when the plan lists no apps (or no baseline).
 */
export async function rehearseCompatibility(plan: Plan, db: RehearsalDatabase): Promise<CompatRehearsal | undefined> {
  const { matrix } = appCompatibility(plan);
  if (!matrix) return undefined;
  const started = performance.now();
  const diagnostics: Diagnostic[] = [];
  const major = Number((await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? 0) / 10000 | 0;
  const byId = new Map(matrix.states.map((s) => [s.id, s]));
  const states: { id: string; label: string; runs: CompatRun[] }[] = [];
  let queries = 0;
  let counter = 0;

  const runStatements = async (statements: readonly Statement[]): Promise<string | undefined> => {
    let open = false;
    try {
      for (const s of statements) {
        if (s.facts.transactional && !open) {
          await db.exec('BEGIN');
          open = true;
        } else if (!s.facts.transactional && open) {
          await db.exec('COMMIT');
          open = false;
        }
        await db.exec(s.text);
      }
      if (open) await db.exec('COMMIT');
      return undefined;
    } catch (e) {
      if (open) await db.exec('ROLLBACK').catch(() => undefined);
      return (e as Error).message;
    }
  };

  /** Runs one query the way the issue asks, never leaving anything behind. */
  const runQuery = async (query: AppQuery): Promise<{ error?: string; how: string }> => {
    const kind = Object.keys(query.ast)[0];
    const hasParams = JSON.stringify(query.ast).includes('"ParamRef"');
    const name = `migc_compat_${++counter}`;
    const read = kind === 'SelectStmt' && !JSON.stringify(query.ast).match(/"(InsertStmt|UpdateStmt|DeleteStmt)"/);
    const how = read ? (!hasParams ? 'EXPLAIN' : major >= 16 ? 'EXPLAIN (GENERIC_PLAN)' : 'PREPARE') : 'executed with sample values, rolled back';
    await db.exec('BEGIN');
    try {
      if (read && how !== 'PREPARE') {
        await db.exec(`${how} ${query.text}`);
      } else {
        await db.exec(`PREPARE ${name} AS ${query.text}`);
        if (!read) {
          const types = (await db.query<{ t: string | null }>(`SELECT array_to_string(parameter_types::text[], ',') AS t FROM pg_prepared_statements WHERE name = '${name}'`)).rows[0]?.t ?? '';
          const values = types ? types.split(',').map(sampleValue) : [];
          await db.exec(`EXECUTE ${name}${values.length ? `(${values.join(', ')})` : ''}`);
        }
      }
      return { how };
    } catch (e) {
      const message = (e as Error).message;
      return sampleValueErrors.test(message) ? { how: `${how} (the sample values hit: ${message})` } : { error: message, how };
    } finally {
      await db.exec('ROLLBACK').catch(() => undefined);
      await db.exec(`DEALLOCATE ${name}`).catch(() => undefined);
    }
  };

  const check = async (id: string): Promise<void> => {
    const state = byId.get(id);
    if (!state) return;
    const runs: CompatRun[] = [];
    for (const cell of state.cells) {
      if (!cell.live) continue;
      for (const query of plan.apps.find((a) => a.version === cell.version)?.queries ?? []) {
        queries++;
        runs.push({ state: id, version: cell.version, query, ...(await runQuery(query)) });
      }
    }
    states.push({ id, label: state.label, runs });
    judge(state, runs);
  };

  /**
   * Compares the database's verdict with the static one, once per version and query. The queries
   * of a version that fail at the same state for the same reason are one finding, as MG123 groups
   * them: one schema change that breaks ten queries is one thing for a reviewer to fix.
   */
  const judged = new Set<string>();
  const judge = (state: CompatState, runs: readonly CompatRun[]) => {
    const when = state.kind === 'start' ? 'before the plan' : state.kind === 'step' ? `after step "${state.step}"` : `after rolling back step "${state.step}"`;
    const missed = new Map<string, CompatRun[]>();
    const wrong = new Map<string, { runs: CompatRun[]; reason: string }>();
    for (const run of runs) {
      const key = `${run.version}\t${run.query.file}:${run.query.line}`;
      const staticProblems = state.cells.find((c) => c.version === run.version)?.problems.filter((p) => p.query === run.query) ?? [];
      if (run.error && !staticProblems.length && !judged.has(`missed\t${key}`)) {
        judged.add(`missed\t${key}`);
        // PostgreSQL names the relation of an INSERT's or UPDATE's column and not of a read's: one cause.
        const cause = run.error.replace(/^(column "[^"]*") of relation "[^"]*"/, '$1');
        const group = `${run.version}\t${cause}`;
        missed.set(group, [...(missed.get(group) ?? []), { ...run, error: cause }]);
      } else if (!run.error && staticProblems.length && !judged.has(`wrong\t${key}`)) {
        judged.add(`wrong\t${key}`);
        const group = `${run.version}\t${staticProblems[0]!.message}`;
        wrong.set(group, { runs: [...(wrong.get(group)?.runs ?? []), run], reason: staticProblems[0]!.message });
      }
    }
    for (const group of missed.values()) {
      const { version, error } = group[0]!;
      const one = group.length === 1;
      diagnostics.push({
        code: 'MG126', severity: 'error', file: plan.file, span: state.span,
        message: one
          ? `app ${version}'s query at ${queryList(group)} fails on the database ${when}, though the static check passed it: ${error}`
          : `app ${version}'s queries fail on the database ${when}, though the static check passed them: ${error} (${group.length} queries: ${queryList(group)})`,
        help: `The database is right: keep what ${version} uses while it can be live. Please also report the ${one ? 'query' : 'queries'} to migc, so the static check learns the case.`,
      });
    }
    for (const { runs: group, reason } of wrong.values()) {
      const { version } = group[0]!;
      const how = [...new Set(group.map((r) => r.how))].join('; ');
      const one = group.length === 1;
      diagnostics.push({
        code: 'MG127', severity: 'warning', file: plan.file, span: state.span,
        message: one
          ? `the static check says app ${version}'s query at ${queryList(group)} breaks ${when} (${reason}), but it ran on the database (${how})`
          : `the static check says app ${version}'s queries break ${when} (${reason}), but they ran on the database (${how}) (${group.length} queries: ${queryList(group)})`,
        help: 'Check the static finding; if the query does run, please report the case to migc.',
      });
    }
  };

  let stopped: string | undefined;
  const stepFailed = (phase: Phase, what: string, error: string) => {
    stopped = `phase "${phase.name}" ${what} failed (${error}): the app versions were not checked past it`;
  };

  await check('start');
  walk: for (const phase of plan.phases) {
    const done: typeof phase.steps[number][] = [];
    for (const step of phase.steps) {
      if (step.action?.kind !== 'sql') continue;
      const error = await runStatements(step.action.statements);
      if (error) {
        stepFailed(phase, `step "${step.id}"`, error);
        break walk;
      }
      done.push(step);
      await check(`step:${step.id}`);
    }
    // The phase's down script, from its end, then its steps again to go on.
    const redo: typeof done = [];
    for (const step of [...phase.steps].reverse()) {
      const r = step.rollback;
      if (!r || r.kind === 'irreversible') break;
      if (r.kind !== 'sql') continue;
      const error = await runStatements(r.statements);
      if (error) {
        stepFailed(phase, `rollback of "${step.id}"`, error);
        break walk;
      }
      if (step.action?.kind === 'sql') redo.unshift(step);
      await check(`rollback:${step.id}`);
    }
    for (const step of redo) {
      const error = step.action?.kind === 'sql' ? await runStatements(step.action.statements) : undefined;
      if (error) {
        stepFailed(phase, `step "${step.id}" (run again after its rollback)`, error);
        break walk;
      }
    }
  }
  return { states, queries, ms: performance.now() - started, ...(stopped ? { stopped } : {}), diagnostics };
}

/** A value of a parameter's type for executing a write: typical, valid, and not NULL. */
function sampleValue(type: string): string {
  const t = type.trim().replace(/^"|"$/g, '');
  if (/^(smallint|integer|bigint|numeric|real|double precision|money)/.test(t)) return '1';
  if (t === 'boolean') return 'false';
  if (/^timestamp|^date|^time/.test(t)) return 'now()';
  if (t === 'interval') return "'1 day'";
  if (t === 'uuid') return "'00000000-0000-4000-8000-000000000000'";
  if (t === 'json' || t === 'jsonb') return "'{}'";
  if (t === 'bytea') return "'\\x00'";
  if (t.endsWith('[]')) return "'{}'";
  if (/^(text|character varying|character|name|citext)/.test(t)) return "'migc-compat-sample'";
  return 'NULL';
}
