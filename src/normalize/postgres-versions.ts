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
