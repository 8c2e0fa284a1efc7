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
          || pg_get_function_result(p.oid) || ' md5=' || md5(p.prosrc) AS line
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
