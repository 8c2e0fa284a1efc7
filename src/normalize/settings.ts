import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { defaultPostgresMajor } from '../analyze/sql/context.js';
import type { Path } from '../load/yaml.js';
import { pgDurationSeconds } from '../sql/batch.js';
import { formatSeconds } from './durations.js';
import { engineVersionOf, planMajorProblem, postgresMajorProblem } from './postgres-versions.js';
import type { RawPlan } from './raw.js';

/** PostgreSQL's largest lock_timeout and statement_timeout: an int of milliseconds (about 24d 20h). */
export const maxTimeoutMs = 2_147_483_647;

/**
 * How migc_run waits between tries after a lock_timeout (src/emit/sql/ledger.ts): from the first
 * wait, doubling up to the longest, each times a random factor from jitterFrom to jitterFrom + 1
 * (PostgreSQL's random()).
 */
export const lockRetryWaits = { firstSeconds: 0.5, longestSeconds: 30, jitterFrom: 0.5 } as const;

/** The longest a transactional part can spend on its tries: every try's lock_timeout, and the longest waits between them. */
export function lockRetriesMs(lockTimeoutMs: number, retries: number): number {
  let waits = 0;
  for (let attempt = 1; attempt <= retries; attempt++) waits += Math.min(lockRetryWaits.longestSeconds, lockRetryWaits.firstSeconds * 2 ** (attempt - 1)) * (lockRetryWaits.jitterFrom + 1);
  return (retries + 1) * lockTimeoutMs + waits * 1000;
}

/** The longest pause between batches migc takes: longer is a unit mistaken (100min for 100ms) more often than meant. */
export const maxBatchPauseSeconds = 3600;

/** Why a batch's pause is refused (MG118), or undefined. */
export function batchPauseProblem(pause: string): { message: string; help: string } | undefined {
  if (pgDurationSeconds(pause) <= maxBatchPauseSeconds) return undefined;
  return {
    message: `batch pause ${pause} is longer than an hour between two batches: with thousands of batches the step would take weeks`,
    help: 'A pause lets replicas and autovacuum keep up: give milliseconds or seconds (pause: 100ms, pause: 2s); at most 1h. The report\'s estimate counts one pause after each batch.',
  };
}

/** The longest a plan's own times may say (an estimated_time, a gate's wait, a milestone from T-0): a year. */
export const maxPlanSeconds = 366 * 86400;

/** Why a time the plan gives is refused (MG118): longer than a year is a slip of the keyboard, and the timeline cannot draw it. */
export function planTimeProblem(what: string, text: string, seconds: number): { message: string; help: string } | undefined {
  if (Math.abs(seconds) <= maxPlanSeconds) return undefined;
  return {
    message: `${what} ${text} is more than a year${text.startsWith('T') ? ' from T-0' : ''}`,
    help: 'Give the time in the unit you mean (30min, 2h, 3d, 2w); migc takes at most a year (52w), which is already longer than a migration plan runs.',
  };
}

/**
 * What the schema lets through but a script cannot use as meant: lock_timeout 0 (PostgreSQL's
 * "no limit": the protection the scripts exist for is gone) or one the statement_timeout would
 * cancel first; a timeout PostgreSQL refuses to SET; an engine version migc does not know. Each
 * at its place in the plan. (statement_timeout 0 is allowed, and said by a rule: MG117.)
 */
export function settingsDiagnostics(raw: RawPlan, file: string, span: (path: Path) => Span, defaults: { lockTimeout: string; statementTimeout: string; lockRetries: number }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push = (code: string, severity: Diagnostic['severity'], path: Path, message: string, help: string) => out.push({ code, severity, file, span: span(path), message, help });
  const lock = raw.settings?.lock_timeout;
  const statement = raw.settings?.statement_timeout;
  const ms = (text: string) => pgDurationSeconds(text) * 1000;

  for (const [key, text] of [['lock_timeout', lock], ['statement_timeout', statement]] as const) {
    if (text !== undefined && ms(text) > maxTimeoutMs) {
      push('MG118', 'error', ['settings', key], `settings.${key} is ${text}, more than PostgreSQL accepts: its largest ${key} is ${maxTimeoutMs}ms (about 24d 20h), so SET ${key} would fail when the script starts`,
        key === 'lock_timeout' ? 'Give the longest a step may wait for a lock: a few seconds, such as 5s (the default).' : 'Give the longest a statement that blocks writes may run, such as 1h; at most 24d.');
    }
  }
  if (lock !== undefined && ms(lock) === 0) {
    push('MG116', 'error', ['settings', 'lock_timeout'], `settings.lock_timeout is ${lock}, which turns lock_timeout off in PostgreSQL: a step waiting for its lock would wait as long as the lock is held, and every query on its table would queue behind it`,
      `Give the longest a step may wait for a lock, such as lock_timeout: 5s (the default when it is left out). A step that does not get its lock in time is tried again (lock_retries), and the script stops cleanly after the last try.`);
  } else {
    const lockMs = ms(lock ?? defaults.lockTimeout);
    const statementMs = ms(statement ?? defaults.statementTimeout);
    if (statementMs > 0 && lockMs >= statementMs && lockMs <= maxTimeoutMs && statementMs <= maxTimeoutMs) {
      push('MG116', 'error', ['settings', lock !== undefined ? 'lock_timeout' : 'statement_timeout'],
        `settings.lock_timeout (${lock ?? defaults.lockTimeout}) is not shorter than statement_timeout (${statement ?? defaults.statementTimeout}): a step waiting for its lock is cancelled by statement_timeout first, so it is never tried again (lock_retries)`,
        'Keep lock_timeout short, a few seconds (5s is the default), and statement_timeout longer than it.');
    } else if (statementMs > 0 && lockMs <= maxTimeoutMs && statementMs <= maxTimeoutMs) {
      // A transactional part's tries run in one CALL, which statement_timeout bounds as a whole.
      const retries = raw.settings?.lock_retries ?? defaults.lockRetries;
      const tries = lockRetriesMs(lockMs, retries);
      if (tries > statementMs) {
        const at: Path = raw.settings?.lock_retries !== undefined ? ['settings', 'lock_retries'] : lock !== undefined ? ['settings', 'lock_timeout'] : ['settings', 'statement_timeout'];
        push('MG116', 'error', at,
          `settings.lock_timeout (${lock ?? defaults.lockTimeout}) tried ${retries + 1} times (lock_retries: ${retries}) can wait up to ${formatSeconds(tries / 1000)} with the waits between tries, longer than statement_timeout (${statement ?? defaults.statementTimeout}): a step's last tries would be cancelled by statement_timeout instead of ending with "found no lock"`,
          `Keep lock_timeout short (5s is the default) and lock_retries few (5 is the default), so that all the tries fit well within statement_timeout; or make statement_timeout longer.`);
      }
    }
  }
  const major = raw.engine === undefined ? undefined : engineVersionOf(raw.engine)?.major;
  const problem = major === undefined ? undefined : postgresMajorProblem(major);
  const tooOld = major === undefined || problem ? undefined : planMajorProblem(major);
  if (problem) {
    push('MG119', 'error', ['engine'], `engine ${raw.engine}: ${problem}`,
      `Name the major version the server runs (SHOW server_version), for example engine: postgresql@15; or write engine: postgresql for migc's default, ${defaultPostgresMajor}.`);
  } else if (tooOld) {
    push('MG119', 'error', ['engine'], `engine ${raw.engine}: ${tooOld}`,
      `Upgrade the server first (PostgreSQL 10 is past its end of life), or run the SQL by other means; migc lint --postgres 10 still judges SQL migrations for it.`);
  }
  return out;
}
