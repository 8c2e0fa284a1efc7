import { quoteIdentAlways, quoteName } from '../sql/quote.js';
import type { SqlSession } from './run-script.js';

/**
 * The schema as sorted lines of text, in a normal form that PostgreSQL 15 and PGlite
 * (PostgreSQL 18) agree on: column order is ignored (a rollback that re-adds a column puts it
 * last), and NOT NULL is read from the column, not from pg_constraint (18 lists it there, 15 not).
 */
export type SchemaSnapshot = readonly string[];

const userSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'";

const queries: readonly string[] = [
  `SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${userSchemas} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
  `SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
          || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
          || CASE WHEN a.attidentity <> '' THEN ' identity=' || a.attidentity::text ELSE '' END
          || CASE WHEN a.attgenerated <> '' THEN ' generated=' || a.attgenerated::text ELSE '' END
          || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE ${userSchemas} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped`,
  `SELECT 'constraint ' || n.nspname || '.' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
          || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END AS line
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${userSchemas} AND k.contype <> 'n'`,
  `SELECT 'index ' || n.nspname || '.' || i.relname || ' ' || pg_get_indexdef(x.indexrelid)
          || CASE WHEN x.indisvalid THEN '' ELSE ' (invalid)' END AS line
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
    WHERE ${userSchemas}`,
  `SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || t.tgname || ' ' || pg_get_triggerdef(t.oid) AS line
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${userSchemas} AND NOT t.tgisinternal`,
  `SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
          || coalesce(pg_get_function_result(p.oid), 'procedure') || ' md5=' || md5(p.prosrc) AS line
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE ${userSchemas}`,
  `SELECT 'view ' || n.nspname || '.' || c.relname || ' ' || pg_get_viewdef(c.oid) AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${userSchemas} AND c.relkind IN ('v', 'm')`,
  `SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE ${userSchemas} GROUP BY n.nspname, t.typname`,
];

export async function schemaSnapshot(session: SqlSession): Promise<SchemaSnapshot> {
  const lines: string[] = [];
  for (const q of queries) {
    const { rows } = await session.query<{ line: string }>(q);
    lines.push(...rows.map((r) => r.line.replace(/\s+/g, ' ').trim()));
  }
  return lines.sort();
}

/** Lines only in a, and only in b: empty both ways when the schemas are equal. */
export function diffSnapshots(a: SchemaSnapshot, b: SchemaSnapshot): { missing: string[]; extra: string[] } {
  const inA = new Set(a);
  const inB = new Set(b);
  return { missing: a.filter((l) => !inB.has(l)), extra: b.filter((l) => !inA.has(l)) };
}

/** Every user table's row count and a checksum per column, by "schema.table". */
export type DataSnapshot = ReadonlyMap<string, { readonly rows: number; readonly columns: ReadonlyMap<string, string> }>;

/**
 * Per column, so a rollback that (as declared) loses one column's values does not hide what
 * happens to the others. Values are read in primary-key order where the table has one, so a
 * value moved to another row is a change; without a key, a column is compared as a multiset.
 */
export async function dataSnapshot(session: SqlSession): Promise<DataSnapshot> {
  const { rows: columns } = await session.query<{ schema: string; table: string; column: string; key: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE ${userSchemas} AND c.relkind IN ('r', 'p')`,
  );
  const tables = new Map<string, { columns: string[]; key: string[] }>();
  for (const c of columns) {
    const name = `${c.schema}.${c.table}`;
    const t = tables.get(name) ?? { columns: [], key: [] };
    t.columns.push(c.column);
    if (c.key) t.key.push(c.column);
    tables.set(name, t);
  }
  const result = new Map<string, { rows: number; columns: Map<string, string> }>();
  for (const [name, t] of [...tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Name order from JavaScript, not the server's collation: the same on every engine.
    const cols = [...t.columns].sort();
    const order = t.key.sort().map((k) => quoteIdentAlways(k));
    const sums = cols.map((c, i) => {
      const v = `coalesce(${quoteIdentAlways(c)}::text, '<null>')`;
      return `md5(coalesce(string_agg(${v}, E'\\n' ORDER BY ${[...order, v].join(', ')}), '')) AS c${i}`;
    });
    const [schema, table] = name.split(/\.(.*)/s) as [string, string];
    const { rows } = await session.query<Record<string, string>>(
      `SELECT count(*) AS n${sums.length ? `, ${sums.join(', ')}` : ''} FROM ${quoteIdentAlways(schema)}.${quoteIdentAlways(table)}`,
    );
    const row = rows[0]!;
    result.set(name, { rows: Number(row.n), columns: new Map(cols.map((c, i) => [c, String(row[`c${i}`])])) });
  }
  return result;
}

/**
 * Columns ("schema.table.column") whose values differ between two data snapshots, among the
 * tables and columns present in both; a table whose row count changed counts as all its
 * columns. Columns in `ignore` are left out.
 */
export function changedColumns(before: DataSnapshot, after: DataSnapshot, ignore: ReadonlySet<string> = new Set()): string[] {
  const changed: string[] = [];
  for (const [table, b] of before) {
    const a = after.get(table);
    if (!a) continue;
    for (const [column, sum] of b.columns) {
      const key = `${table}.${column}`;
      if (ignore.has(key) || !a.columns.has(column)) continue;
      if (a.rows !== b.rows || a.columns.get(column) !== sum) changed.push(key);
    }
  }
  return changed.sort();
}

/** A schema line's object: its kind and qualified name ("constraint public.orders.orders_fk"). */
function objectOf(line: string): string {
  // A function is named with its arguments, which hold spaces: "function public.f(a integer, b text)".
  if (line.startsWith('function ')) return line.slice(0, line.indexOf(') ') + 1 || line.length);
  return line.split(' ', 2).join(' ');
}

/**
 * The names of the objects a schema difference is about, as SQL writes them: the last part of
 * each object's qualified name ("users_name_idx" of "index public.users_name_idx").
 */
export function diffObjectNames(diff: { missing: readonly string[]; extra: readonly string[] }): string[] {
  return [...new Set([...diff.missing, ...diff.extra].map((l) => objectOf(l).replace(/^\S+ /, '').replace(/\(.*$/, '').split('.').pop()!).filter(Boolean))];
}

/**
 * A schema line's object as a message names it, its name as SQL writes it (the line keeps the
 * catalog's names as they are): `index public."User_email_idx"`, `function public.f(a integer)`.
 */
function shownObject(object: string): string {
  const space = object.indexOf(' ');
  const name = object.slice(space + 1);
  const paren = name.indexOf('(');
  return `${object.slice(0, space)} ${paren < 0 ? quoteName(name) : `${quoteName(name.slice(0, paren))}${name.slice(paren)}`}`;
}

/** A schema line as a message shows it: its object named as SQL writes it, then the catalog's definition. */
function shownLine(line: string): string {
  const object = objectOf(line);
  return `${shownObject(object)}${line.slice(object.length)}`;
}

/** A line without its validity: what a VALIDATE (or a failed CREATE INDEX CONCURRENTLY) changes. */
function withoutValidity(line: string): string {
  return line.replace(/ \((not validated|invalid)\)$/, '').replace(/ NOT VALID$/, '');
}

const isUnvalidated = (line: string) => / \((not validated|invalid)\)$/.test(line);

/**
 * How the schema after a rollback differs from the one before, as a reader wants it: an object
 * found on both sides is one change ("was NOT VALID before and is validated now"), not a missing
 * line and a left-behind one; at most `limit` items. `help` says how to fix the changes it knows.
 */
export function describeSchemaDiff(diff: { missing: readonly string[]; extra: readonly string[] }, limit = 3): { text: string; help: string[] } {
  const before = new Map(diff.missing.map((l) => [objectOf(l), l]));
  const paired = new Set<string>();
  const parts: string[] = [];
  const help = new Set<string>();
  for (const now of diff.extra) {
    const object = objectOf(now);
    const was = before.get(object);
    if (was === undefined || paired.has(object)) continue;
    paired.add(object);
    if (withoutValidity(was) === withoutValidity(now)) {
      const kind = object.startsWith('index ') ? 'index' : 'constraint';
      if (isUnvalidated(was)) {
        parts.push(`${shownObject(object)} was ${kind === 'index' ? 'invalid' : 'NOT VALID'} before and is valid after the rollback`);
        if (kind === 'constraint') help.add('A VALIDATE CONSTRAINT is not undone by a rollback that does nothing: make the rollback of the step that validates drop the constraint and add it again with NOT VALID (ALTER TABLE ... DROP CONSTRAINT name, ADD CONSTRAINT name ... NOT VALID), or validate in the phase that adds the constraint, whose rollback drops it.');
      } else {
        parts.push(`${shownObject(object)} was valid before and is ${kind === 'index' ? 'invalid' : 'NOT VALID'} after the rollback`);
        if (kind === 'constraint') help.add('A rollback that adds the constraint back with NOT VALID leaves it unvalidated: add ALTER TABLE ... VALIDATE CONSTRAINT name after it in the rollback, or keep the constraint in the step (do not drop it) so that its rollback need not add it back.');
      }
    } else {
      parts.push(`${shownObject(object)} changed: was ${was.slice(object.length + 1)}, is ${now.slice(object.length + 1)}`);
    }
  }
  const rest = [...diff.missing.filter((l) => !paired.has(objectOf(l))).map((l) => `missing ${shownLine(l)}`), ...diff.extra.filter((l) => !paired.has(objectOf(l))).map((l) => `left behind ${shownLine(l)}`)];
  const all = [...parts, ...rest];
  return { text: all.slice(0, limit).join('; ') + (all.length > limit ? `; and ${all.length - limit} more` : ''), help: [...help] };
}
