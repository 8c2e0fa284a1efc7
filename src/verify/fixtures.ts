import { quoteIdentAlways, sqlLiteral, quoteIdent } from '../sql/quote.js';
import type { SqlSession } from './run-script.js';

interface ColumnInfo {
  name: string;
  type: string;
  category: string;
  typmod: number;
  notnull: boolean;
  filled: boolean;
}

interface ForeignKey {
  column: string;
  parent: string;
  parentColumn: string;
}

export class FixtureError extends Error {}


/** A value for row g of a column, from its type: deterministic, unique where the type allows. */
function valueFor(c: ColumnInfo, table: string): string | undefined {
  const t = c.type;
  if (/^(smallint)$/.test(t)) return '(g % 32000)::smallint';
  if (/^(integer|bigint|numeric|real|double precision)/.test(t)) return `g::${t}`;
  if (/^(text|character varying|character)/.test(t)) {
    const max = /\((\d+)\)/.exec(t)?.[1];
    const raw = /email/.test(c.name) ? `'user' || g || '@example.com'` : `${sqlLiteral(`${c.name} `)} || g`;
    return max ? `left(${raw}, ${max})::${t}` : `(${raw})::${t}`;
  }
  if (t === 'boolean') return '(g % 2 = 0)';
  if (/^timestamp/.test(t)) return `(timestamp '2024-01-01' + g * interval '1 minute')::${t}`;
  if (t === 'date') return `date '2024-01-01' + (g % 3650)`;
  if (/^time/.test(t)) return `(time '00:00' + g * interval '1 second')::${t}`;
  if (t === 'interval') return `g * interval '1 second'`;
  if (t === 'uuid') return 'md5(g::text)::uuid';
  if (t === 'json' || t === 'jsonb') return `json_build_object('n', g)::${t}`;
  if (c.category === 'E') return `(enum_range(NULL::${t}))[1 + g % cardinality(enum_range(NULL::${t}))]`;
  void table;
  return undefined;
}

/**
 * Inserts `rows` generated rows into a table, after the rows it already has. Columns with a
 * default (identity, serial, DEFAULT now()) take it; nullable columns are NULL in every fifth
 * row, so backfills have NULLs to fill; a single-column foreign key takes existing parent keys.
 */
export async function generateRows(session: SqlSession, table: string, rows: number): Promise<void> {
  const regclass = `${sqlLiteral(table)}::regclass`;
  const exists = await session.query<{ ok: boolean }>(`SELECT to_regclass(${sqlLiteral(table)}) IS NOT NULL AS ok`);
  if (!exists.rows[0]!.ok) throw new FixtureError(`fixtures name table ${table}, which the baseline does not create`);
  const { rows: columns } = await session.query<ColumnInfo>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory::text AS category, a.atttypmod AS typmod,
            a.attnotnull AS notnull,
            (d.adbin IS NOT NULL OR a.attidentity <> '' OR a.attgenerated <> '') AS filled
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ${regclass} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
  );
  const { rows: fks } = await session.query<ForeignKey>(
    `SELECT a.attname AS column, k.confrelid::regclass::text AS parent, pa.attname AS "parentColumn"
       FROM pg_constraint k
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
       JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
      WHERE k.conrelid = ${regclass} AND k.contype = 'f' AND cardinality(k.conkey) = 1`,
  );
  const start = Number((await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const names: string[] = [];
  const values: string[] = [];
  const ctes: string[] = [];
  for (const c of columns) {
    if (c.filled) continue;
    const fk = fks.find((f) => f.column === c.name);
    let value: string | undefined;
    if (fk) {
      const keys = `fk_${ctes.length}`;
      ctes.push(`${keys} AS (SELECT array_agg(${quoteIdentAlways(fk.parentColumn)} ORDER BY ${quoteIdentAlways(fk.parentColumn)}) AS k FROM ${fk.parent})`);
      value = `${keys}.k[1 + (g - 1) % cardinality(${keys}.k)]`;
    } else {
      value = valueFor(c, table);
    }
    if (value === undefined) {
      if (c.notnull) throw new FixtureError(`cannot generate values of type ${c.type} for ${table}.${quoteIdent(c.name)}; give these rows as fixtures sql instead`);
      continue;
    }
    names.push(quoteIdentAlways(c.name));
    values.push(c.notnull || fk ? value : `CASE WHEN g % 5 = 0 THEN NULL ELSE ${value} END`);
  }
  const from = [`generate_series(${start + 1}, ${start + rows}) AS g`, ...ctes.map((_, i) => `fk_${i}`)].join(', ');
  const sql = names.length
    ? `${ctes.length ? `WITH ${ctes.join(', ')} ` : ''}INSERT INTO ${table} (${names.join(', ')}) SELECT ${values.join(', ')} FROM ${from}`
    : `INSERT INTO ${table} SELECT FROM generate_series(1, ${rows})`;
  await session.exec(sql);
}

/** Orders tables so that parents (referenced by foreign keys) are filled before children. */
export async function fillOrder(session: SqlSession, tables: readonly string[]): Promise<string[]> {
  // Each listed table's name as PostgreSQL prints it, and the tables it references.
  const info = new Map<string, { name: string | null; parents: string[] }>();
  for (const t of tables) {
    const { rows } = await session.query<{ name: string | null; parents: string[] | null }>(
      `SELECT to_regclass(${sqlLiteral(t)})::text AS name,
              (SELECT array_agg(confrelid::regclass::text) FROM pg_constraint WHERE conrelid = to_regclass(${sqlLiteral(t)}) AND contype = 'f') AS parents`,
    );
    info.set(t, { name: rows[0]!.name, parents: rows[0]!.parents ?? [] });
  }
  const ordered: string[] = [];
  const visit = (t: string, path: Set<string>) => {
    if (ordered.includes(t) || path.has(t)) return;
    path.add(t);
    for (const parent of info.get(t)!.parents) {
      const listed = tables.find((x) => info.get(x)!.name === parent);
      if (listed) visit(listed, path);
    }
    ordered.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return ordered;
}
