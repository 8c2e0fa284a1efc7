import type { Plan } from '../normalize/model.js';
import { tableKey } from './sql/schema-state.js';

/** At or above this many rows, a table is large: data changes on it must be batched. */
export const largeTableRows = 100_000;

/** The size hint for a table as a statement names it (public.users matches a hint for users). */
export function tableRows(plan: Plan, table: string): number | undefined {
  const exact = plan.tables.find((t) => t.name === table);
  if (exact) return exact.rows;
  return plan.tables.find((t) => tableKey(t.name) === tableKey(table))?.rows;
}

/** Tables without a hint are assumed large: it is the safe assumption for production. */
export function isLargeTable(plan: Plan, table: string): boolean {
  return (tableRows(plan, table) ?? Infinity) >= largeTableRows;
}
