import { quoteName } from '../sql/quote.js';
import { shellWord } from '../util/shell.js';

/**
 * At or above this many rows, a table is large: data changes on it must be batched. A table's
 * rows come from the plan's settings (PlanSettings.rows), the one place sizes are resolved.
 */
export const largeTableRows = 100_000;

/**
 * The most rows a size may say (tables' rows, the config's assume_rows, --assume-rows): a
 * PostgreSQL table holds at most 2^32 - 1 pages of at most 1,163 rows (32 kB pages), under
 * 5 * 10^12; a larger number is a typo. schema/plan.schema.json and config.schema.json say the same.
 */
export const maxTableRows = 5_000_000_000_000;

/**
 * `--assume-rows users=N` for a table, as a help writes the flag: the name as PostgreSQL reads it
 * (readTableName: `"User"` for the table "User", since User is the table user) and the word as the
 * shell passes it (`'"User"=N'`: without the single quotes the shell drops the double ones).
 */
export function assumeRowsFlag(table: string, rows: string): string {
  return `--assume-rows ${shellWord(`${quoteName(table)}=${rows}`)}`;
}

/**
 * A table as a key of a plan's `tables:` (and the config's assume_rows): the key is the table's
 * name as the analysis keys it (tableKey), not SQL, so "User" is `User` there; a YAML double-quoted
 * key (JSON's form) when the plain one would not read back (a space, a quote, a colon).
 */
export function sizeHintKey(table: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$.]*$/.test(table) ? table : JSON.stringify(table);
}
