/**
 * Codes for problems found before the rules run: reading the file, YAML, the schema, SQL
 * syntax and the shape of steps. Rules carry their own codes (src/analyze/rules/).
 * Stable and never reused; each has a page in docs/rules/<code>.md.
 */
import { postgresMajorsText } from '../normalize/postgres-versions.js';

export interface CodeInfo {
  readonly code: string;
  readonly name: string;
  readonly summary: string;
}

export const inputCodes: readonly CodeInfo[] = [
  { code: 'MG000', name: 'unreadable-input', summary: 'A plan file or folder named on the command line cannot be read.' },
  { code: 'MG001', name: 'yaml-syntax', summary: 'The file is not valid YAML.' },
  { code: 'MG002', name: 'duplicate-key', summary: 'A key appears twice in the same mapping.' },
  { code: 'MG003', name: 'alias-limit', summary: 'Too many YAML aliases: refused to guard against expansion attacks.' },
  { code: 'MG004', name: 'file-too-large', summary: 'A plan or SQL file is larger than migc reads (10 MB for a plan, 16 MB for SQL).' },
  { code: 'MG005', name: 'nesting-too-deep', summary: 'YAML nested more than 64 levels deep.' },
  { code: 'MG006', name: 'alias-expansion', summary: 'YAML aliases that would expand the plan past twice its size (or 1 MB), or that name themselves.' },
  { code: 'MG010', name: 'schema', summary: 'The plan (or the project config) does not match its schema: a missing property, a wrong type or an invalid value.' },
  { code: 'MG011', name: 'unknown-property', summary: 'A property the schema does not know, usually a typo.' },
  { code: 'MG012', name: 'engine-required', summary: 'A plan that runs SQL names its engine (engine: postgresql@15); only plans without SQL may leave it out.' },
  { code: 'MG020', name: 'sql-syntax', summary: 'SQL that PostgreSQL\'s parser rejects.' },
  { code: 'MG021', name: 'transaction-control', summary: 'BEGIN, COMMIT or ROLLBACK written inside a step: migc writes the transactions.' },
  { code: 'MG022', name: 'psql-only', summary: 'A psql meta-command, COPY data or a byte order mark in a SQL file: lint skips it, as psql does.' },
  { code: 'MG023', name: 'psql-divergence', summary: 'Plan SQL that psql would not run as PostgreSQL\'s parser reads it: COPY FROM STDIN, a psql variable, a different split.' },
  { code: 'MG024', name: 'migration-layout', summary: 'What a migration tool\'s layout says about the files to lint: a Sqitch change without its deploy script, a script no change names, verify scripts and the files outside a project\'s folders left out, files without a version ordered by name, upgrade steps ordered as their chain goes, a migc plan\'s input files left out, a diesel metadata.toml diesel cannot read, popx and zdb files that do not run on PostgreSQL, a .sql file beside diesel\'s migration folders, files a temporal-sql-tool manifest does not list, a manifest the tool refuses, files a Drizzle journal does not list, a journal entry Drizzle stops at or skips, SQL files named for another database (x.sql.sqlite), Flyway\'s callbacks, files beside Flyway\'s scripts that Flyway does not run, a file dbmate refuses, migrations written as templates, a folder named for rollbacks whose files nothing declared rollbacks.' },
  { code: 'MG025', name: 'config-syntax', summary: 'The project config (migc.config.json, or the file --config names) is not valid JSON (or YAML, for a .yaml file).' },
  { code: 'MG026', name: 'flyway-mixed-script', summary: 'A Flyway script mixes statements Flyway runs outside a transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...) with others: Flyway refuses it unless mixed=true, and then runs the whole script outside a transaction.' },
  { code: 'MG030', name: 'step-action', summary: 'A step must give exactly one of sql, run or manual.' },
  { code: 'MG031', name: 'rollback-shape', summary: 'A rollback must give exactly one way back, or be irreversible with data_loss and restore.' },
  { code: 'MG032', name: 'batch-shape', summary: 'A batched step runs exactly one UPDATE, DELETE or INSERT ... SELECT from one table.' },
  { code: 'MG033', name: 'verification-query', summary: 'A verification is a single read-only SELECT.' },
  { code: 'MG034', name: 'rehearsal-sql', summary: 'The baseline and fixtures are inline SQL or readable files beside the plan.' },
  { code: 'MG035', name: 'suppression', summary: 'An allowance (allow: in a plan, -- migc-ignore in SQL) names no rule or gives no reason.' },
  { code: 'MG036', name: 'file-outside-project', summary: 'A file a plan names (baseline, fixtures, app queries) is outside the project, or a link to a file outside it.' },
  { code: 'MG040', name: 'duplicate-plan-id', summary: 'Two plans share an id, so their outputs would overwrite each other.' },
  { code: 'MG050', name: 'template', summary: 'An output template (--templates) does not compile or fails to render.' },
  { code: 'MG051', name: 'script-statements', summary: 'A rendered SQL script would run something other than the plan\'s statements and migc\'s own (a template let text out of a comment).' },
  { code: 'MG052', name: 'rule-setting', summary: 'The config\'s rules name a code that does not exist, or one that cannot be changed (an input problem or a failed check).' },
  { code: 'MG053', name: 'output-out-of-date', summary: 'migc build --check: a committed output file differs from what its plan compiles to, is missing, or is no longer produced.' },
  { code: 'MG054', name: 'diagram-render', summary: 'migc build --svg: a Mermaid diagram of the plan does not render (a syntax error in a custom template, or a renderer failure).' },
  { code: 'MG055', name: 'svg-renderer-missing', summary: 'migc build --svg needs Chromium (or Chrome) and @mermaid-js/mermaid-cli, and one of them cannot be found or started.' },
  { code: 'MG060', name: 'rehearsal-failed', summary: 'A statement failed when the plan was rehearsed on a real database (migc verify).' },
  { code: 'MG061', name: 'rollback-leaves-schema', summary: 'Rolling back a phase does not restore the schema it started from (migc verify).' },
  { code: 'MG062', name: 'rollback-changes-data', summary: 'Rolling back a phase changes data that no step declares losing (migc verify).' },
  { code: 'MG063', name: 'rehearsal-setup', summary: 'The plan cannot be rehearsed: no baseline, or the baseline or fixtures do not load (migc verify).' },
  { code: 'MG064', name: 'lock-prediction-mismatch', summary: 'A statement took other locks on the database than migc\'s analysis predicted (migc verify).' },
  { code: 'MG065', name: 'rehearsal-refused', summary: 'migc verify does not rehearse a plan whose SQL reaches outside the database (MG220), even when that finding is allowed or turned off.' },
  { code: 'MG066', name: 'crash-point-unrecoverable', summary: 'A phase does not recover from a failure at some statement: after it, the down script does not restore the phase\'s start, or running the up script again does not complete it (migc verify).' },
  // Views the app-compatibility walk learns (src/analyze/compat/views.ts).
  { code: 'MG067', name: 'view-refuses-change', summary: 'A step (or a migration file, in lint) drops or retypes a column, table or view that a view depends on (without CASCADE), or replaces a view with other columns, or creates one whose query does not resolve: PostgreSQL refuses it.' },
  { code: 'MG080', name: 'rehearsal-major-mismatch', summary: 'The plan was rehearsed on another PostgreSQL major than it targets (PGlite, or a --database-url server of another version) (migc verify).' },
  // Plan settings the schema lets through but a script cannot use as meant (src/normalize/settings.ts).
  { code: 'MG116', name: 'lock-timeout-ineffective', summary: 'settings.lock_timeout is 0, which turns it off in PostgreSQL, or its tries (lock_retries) do not fit in statement_timeout, which would cancel them first.' },
  { code: 'MG118', name: 'setting-out-of-range', summary: 'A duration migc cannot use: a timeout over PostgreSQL\'s largest (2147483647 ms, about 24 days), a batch pause over an hour, a time in the plan over a year.' },
  { code: 'MG119', name: 'postgres-version-unknown', summary: `The plan's engine names a PostgreSQL major version migc does not know (it knows ${postgresMajorsText}), or 10, which cannot run its scripts (they CALL procedures, new in 11).` },
  // App-version compatibility (src/analyze/compat, src/verify/compat.ts).
  { code: 'MG120', name: 'app-queries', summary: 'An app version\'s query file cannot be read, or holds no query PostgreSQL\'s parser accepts.' },
  { code: 'MG121', name: 'app-version-unknown', summary: 'A deploy names an app version that apps: does not list, or apps: lists a version twice.' },
  { code: 'MG122', name: 'deploy-version-unnamed', summary: 'A gate\'s deploy is free text in a plan with apps:, so migc cannot tell which version runs after it.' },
  { code: 'MG123', name: 'app-query-breaks', summary: 'A query of an app version that can be live does not resolve: on the baseline (the version running before the plan), after a step, or where a deploy brings the version onto a schema it cannot use.' },
  { code: 'MG124', name: 'rollback-breaks-app', summary: 'After a rollback, a query of an app version that can be live then (the one rolled back to, or the one still running) breaks.' },
  { code: 'MG125', name: 'app-check-impossible', summary: 'The plan lists app versions but has no baseline, so their queries cannot be checked.' },
  { code: 'MG126', name: 'compat-missed', summary: 'A live app version\'s query failed on the database although the static check passed it (migc verify).' },
  { code: 'MG127', name: 'compat-wrong', summary: 'The static check said a live app version\'s query breaks, but it ran on the database (migc verify).' },
];

/** Problems with the command itself rather than a plan: reported in every --format, with exit code 2. */
export const commandCodes: readonly CodeInfo[] = [
  { code: 'MG090', name: 'usage', summary: 'The command line cannot be carried out: a path that does not exist, no plan files, an option value or output folder that is refused.' },
  { code: 'MG091', name: 'changed-since', summary: '--changed-since (build, check, verify, lint) cannot tell what changed, or lint --one-run-per-commit which commit added a file: not inside a git repository, an unknown ref, or git is missing.' },
  { code: 'MG092', name: 'output-not-written', summary: 'An output folder or file cannot be written (permissions, disk, a lock held by another migc); what was there is left as it was.' },
  { code: 'MG093', name: 'internal-error', summary: 'migc failed in a way it does not expect: a bug, to be reported with the plan that caused it.' },
  { code: 'MG094', name: 'database-unavailable', summary: 'migc verify cannot rehearse anywhere: the database server cannot be reached or refuses the role, or PGlite cannot start.' },
];

/**
 * Findings among the input and verify codes that are judgements, not broken input, so the
 * config may set them: a lint note, verify's findings, the rehearsal's engine, and the app
 * versions' checks once their queries are read.
 */
const configurableInputCodes: ReadonlySet<string> = new Set(['MG022', 'MG024', 'MG026', 'MG061', 'MG062', 'MG063', 'MG064', 'MG080', 'MG122', 'MG123', 'MG124', 'MG125', 'MG126', 'MG127']);

/**
 * Codes the config's rules cannot change or turn off: a plan with one of these cannot be
 * compiled (or rehearsed, or written) correctly, so nothing is built from it whatever a setting
 * says. Every other code (plan rules, hazards, notes, verify's judgements) takes a severity or
 * "off" in migc.config.json.
 */
export const fixedCodes: ReadonlySet<string> = new Set([
  ...inputCodes.map((c) => c.code).filter((c) => !configurableInputCodes.has(c)),
  ...commandCodes.map((c) => c.code),
]);
