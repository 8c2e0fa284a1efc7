/**
 * The PostgreSQL majors migc knows, the one source of the range for a plan's engine, the config's
 * postgres and `migc lint --postgres`: its SQL parser is PostgreSQL 18's (libpg-query 18), and
 * its version-dependent verdicts go back to 10 (defaults that rewrite before 11, SET NOT NULL's
 * scan before 12). schema/plan.schema.json and schema/config.schema.json say the same range
 * (test/settings-validation.test.ts keeps them so).
 */
export const postgresMajors = { oldest: 10, newest: 18 } as const;

/**
 * The oldest major a plan can target: migc's scripts run each step through procedures (CALL
 * migc_run, with the COMMIT of each try inside), which PostgreSQL 11 introduced. `migc lint`
 * judges SQL for 10 as well; only the scripts need 11.
 */
export const oldestPlanMajor = 11;

/** Why a plan cannot target a major it names, or undefined when it can (postgresMajorProblem first). */
export function planMajorProblem(major: number): string | undefined {
  return major < oldestPlanMajor ? `PostgreSQL ${major} cannot run migc's scripts: each step runs through a procedure (CALL), which PostgreSQL ${oldestPlanMajor} introduced` : undefined;
}

/** "PostgreSQL 10 to 18", for messages and help. */
export const postgresMajorsText = `PostgreSQL ${postgresMajors.oldest} to ${postgresMajors.newest}`;

/** Why a major version cannot be targeted, or undefined when migc knows it. */
export function postgresMajorProblem(major: number): string | undefined {
  if (Number.isInteger(major) && major >= postgresMajors.oldest && major <= postgresMajors.newest) return undefined;
  const why = major > postgresMajors.newest ? ` (its SQL parser is PostgreSQL ${postgresMajors.newest}'s)` : '';
  return `PostgreSQL ${major} is not a version migc knows: it knows ${postgresMajorsText}${why}`;
}

/**
 * A PostgreSQL version as a user names it: a major (15), or a major and its minor release (14.3)
 * when a verdict depends on the minor (MG240). From PostgreSQL 10 on, a version has these two
 * parts only.
 */
export interface PostgresVersion {
  readonly major: number;
  readonly minor?: number;
}

/** "15" or "14.3" read as a version; undefined for anything else (the caller says what it wanted). */
export function readPostgresVersion(text: string): PostgresVersion | undefined {
  const parts = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!parts) return undefined;
  return parts[2] === undefined ? { major: Number(parts[1]) } : { major: Number(parts[1]), minor: Number(parts[2]) };
}

/** A version as PostgreSQL writes it: 15, 14.3. */
export function postgresVersionText(version: PostgresVersion): string {
  return version.minor === undefined ? `${version.major}` : `${version.major}.${version.minor}`;
}

/** The version a plan's engine names (postgresql@15, postgresql@14.3); undefined for postgresql alone. */
export function engineVersionOf(engine: string): PostgresVersion | undefined {
  const at = engine.indexOf('@');
  return at < 0 ? undefined : readPostgresVersion(engine.slice(at + 1));
}
