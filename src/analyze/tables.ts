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

