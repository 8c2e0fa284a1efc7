import type { PgNode } from '../../sql/parser.js';

/**
 * A run-time setting a statement changes: `SET [SESSION|LOCAL] name = value`, `SET name TO
 * DEFAULT`, `RESET name`, `RESET ALL` (`name` undefined: every setting), or a SELECT of
 * `[pg_catalog.]set_config('name', 'value', is_local)` with constant arguments (what pg_dump and
 * some migration tools write). `value` is the setting's text as the server stores it (a list's
 * items joined by ", "), undefined when the statement puts the default back. `local` when it
 * lasts only until the transaction ends (SET LOCAL, set_config(..., true)). `items`: SET's values
 * one by one, each an item of a list setting whatever it holds (PostgreSQL quotes each: `SET
 * search_path = 'a, b'` names one schema, "a, b"); set_config's text is read as a list instead.
 */
export interface SettingChange {
  readonly name: string | undefined;
  readonly value: string | undefined;
  readonly local: boolean;
  readonly items?: readonly string[];
}

/** The settings a statement changes, in order; empty for any other statement, or when a value is not a constant. */
export function settingChanges(ast: PgNode): readonly SettingChange[] {
  if ('VariableSetStmt' in ast) {
    const set = ast.VariableSetStmt as { kind?: string; name?: string; args?: readonly PgNode[]; is_local?: boolean };
    const local = set.is_local === true;
    switch (set.kind) {
      case 'VAR_SET_VALUE': {
        const values = (set.args ?? []).map(constantText);
        return values.every((v) => v !== undefined) ? [{ name: set.name, value: values.join(', '), local, items: values }] : [];
      }
      case 'VAR_SET_DEFAULT':
      case 'VAR_RESET':
        return [{ name: set.name, value: undefined, local }];
      case 'VAR_RESET_ALL':
        return [{ name: undefined, value: undefined, local: false }];
      default:
        return []; // SET ... FROM CURRENT (functions only), SET TRANSACTION ...
    }
  }
  if ('SelectStmt' in ast) {
    // Most SELECTs read tables: set_config stands alone, without FROM.
    if ((ast.SelectStmt as { fromClause?: unknown }).fromClause) return [];
    const select = ast.SelectStmt as { targetList?: readonly { ResTarget?: { val?: PgNode } }[]; fromClause?: unknown; op?: string };
    if (select.fromClause || (select.op && select.op !== 'SETOP_NONE')) return [];
    const changes: SettingChange[] = [];
    for (const target of select.targetList ?? []) {
      const call = (target.ResTarget?.val as { FuncCall?: { funcname?: readonly { String?: { sval?: string } }[]; args?: readonly PgNode[] } } | undefined)?.FuncCall;
      const names = call?.funcname?.map((n) => n.String?.sval);
      if (!call || names?.at(-1) !== 'set_config' || (names.length === 2 && names[0] !== 'pg_catalog') || names.length > 2 || call.args?.length !== 3) continue;
      const [name, value, local] = call.args.map(constantText);
      if (name === undefined || value === undefined || (local !== 'true' && local !== 'false')) continue;
      changes.push({ name: name.toLowerCase(), value, local: local === 'true' });
    }
    return changes;
  }
  return [];
}

/** A constant's text as a setting takes it: a string, a number, true or false. */
function constantText(node: PgNode): string | undefined {
  const c = (node as { A_Const?: { sval?: { sval?: string }; ival?: { ival?: number }; fval?: { fval?: string }; boolval?: { boolval?: boolean }; isnull?: boolean } }).A_Const;
  if (!c || c.isnull) return undefined;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return String(c.ival.ival ?? 0); // the parser leaves a zero out
  if (c.fval) return c.fval.fval;
  if (c.boolval) return String(c.boolval.boolval ?? false);
  return undefined;
}

/**
 * Whether a lock_timeout value bounds lock waits: any duration but zero (which turns the timeout
 * off, as does the default). A timeout's text is a number with an optional unit ('5s', '1500',
 * '0ms'); this reads that text, not SQL.
 */
export function boundsLockWaits(value: string | undefined): boolean {
  if (value === undefined) return false;
  const number = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*[a-z]*\s*$/i.exec(value)?.[1];
  // Text that is no number the analysis can read is taken as a timeout (the server refuses a
  // value it cannot read either, and the statement fails).
  return number === undefined || Number(number) !== 0;
}

/**
 * Whether a TimeZone setting is UTC, where PostgreSQL 12 and later change a column between
 * timestamp and timestamptz in the catalog only (ATColumnChangeRequiresRewrite asks whether the
 * session's zone has offset 0 all year): UTC and its aliases. Checked on PGlite: UTC and Etc/UTC
 * rewrite nothing, Europe/Berlin rewrites. Zones are names, not SQL: read case-insensitively.
 */
export function isUtcZone(value: string | undefined): boolean {
  return value !== undefined && utcZones.has(value.trim().toLowerCase());
}

const utcZones = new Set(['utc', 'etc/utc', 'uct', 'etc/uct', 'gmt', 'etc/gmt', 'universal', 'etc/universal', 'zulu', 'etc/zulu', 'greenwich', 'etc/greenwich', 'gmt0', 'etc/gmt0', 'gmt+0', 'gmt-0', 'etc/gmt+0', 'etc/gmt-0']);
