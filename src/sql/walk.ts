/**
 * Whether `visit` answers true for an object of a parse tree (libpg-query's JSON: objects and
 * arrays), looked at depth first, each object before what it holds; the walk stops at the first.
 */
export function someNode(value: unknown, visit: (node: Record<string, unknown>) => boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => someNode(v, visit));
  if (value === null || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  if (visit(o)) return true;
  for (const key in o) if (someNode(o[key], visit)) return true;
  return false;
}

/** Calls `visit` on every object of a parse tree, each before what it holds. */
export function forEachNode(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  someNode(value, (o) => {
    visit(o);
    return false;
  });
}
