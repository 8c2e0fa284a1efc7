/**
 * At or above this many rows, a table is large: data changes on it must be batched. A table's
 * rows come from the plan's settings (PlanSettings.rows), the one place sizes are resolved.
 */
export const largeTableRows = 100_000;
