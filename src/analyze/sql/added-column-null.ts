import { builtinTypeNames } from '../compat/builtins.js';
import { isNullConstant, tableKey, type SchemaState } from './schema-state.js';
import { columnType, serialInteger } from './types.js';

type ConstraintNode = { Constraint?: { contype?: string; raw_expr?: Record<string, any> } };

/**
 * What ADD COLUMN of this definition puts in the rows the table has (checked on PGlite and
 * PostgreSQL 15 in test/add-column-not-null-domain.test.ts):
 * - 'value': a DEFAULT that is not NULL, identity, a generated expression, serial, or, without a
 *   DEFAULT of the column's own, the default of its domain (one the statements seen created);
 * - 'null': nothing fills it and its type is a built-in one, an enum or a domain those statements
 *   created without a default; or its DEFAULT is NULL (NULL::int too), which a domain's default
 *   does not replace;
 * - 'unknown': nothing fills it, and its type is not known here: it may be a domain with a default.
 */
export function existingRowsGet(def: { typeName?: Parameters<typeof columnType>[0]; constraints?: ConstraintNode[] }, state: SchemaState, path: readonly string[]): 'value' | 'null' | 'unknown' {
  const constraints = def.constraints ?? [];
  if (constraints.some(({ Constraint: c }) => c?.contype === 'CONSTR_IDENTITY' || c?.contype === 'CONSTR_GENERATED')) return 'value';
  const given = constraints.find(({ Constraint: c }) => c?.contype === 'CONSTR_DEFAULT')?.Constraint;
  if (given) return isNullConstant(given.raw_expr) ? 'null' : 'value';
  const type = columnType(def.typeName);
  if (!type) return 'unknown';
  if (serialInteger(type) !== undefined) return 'value';
  if (type.array || builtinTypeNames.has(type.name) || state.enumValues.has(tableKey(type.name))) return 'null';
  const domain = state.domainOnNull(type.name, path);
  return domain ? (domain.defaulted ? 'value' : 'null') : 'unknown';
}

/**
 * The constraint of the new column's domain (one the statements seen created, or one it is over)
 * that NULL fails, with the domain that has it: a NOT NULL, or a CHECK that is false for NULL
 * (CHECK (VALUE IS NOT NULL)); `domain` is the column's type. PostgreSQL checks every row's new
 * value against the domain (`domain ... does not allow null values`, `value for domain ...
 * violates check constraint ...`). Undefined for an array of a domain, whose values are not.
 */
export function domainRefusingNull(def: { typeName?: Parameters<typeof columnType>[0] }, state: SchemaState, path: readonly string[]): { readonly domain: string; readonly refusedBy: { readonly domain: string; readonly constraint: string } } | undefined {
  const type = columnType(def.typeName);
  if (!type || type.array) return undefined;
  const domain = state.domainOnNull(type.name, path);
  return domain?.refusedBy ? { domain: domain.domain, refusedBy: domain.refusedBy } : undefined;
}
