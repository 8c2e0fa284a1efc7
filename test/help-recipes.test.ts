import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql, type PgNode } from '../src/sql/parser.js';
import { quoteIdentAlways } from '../src/sql/quote.js';

/**
 * The SQL a finding's help suggests must run as written on the schema it is about. Tables named
 * as ORMs name them ("Step", "tenantId": Prisma's default) must be quoted in it: unquoted,
 * PostgreSQL folds them to step and tenantid, and the recipe fails with "relation does not exist".
 * Each statement of a help text that PostgreSQL's parser reads whole (a recipe with a placeholder,
 * `(...)` or `<type>`, does not parse and is left out) is checked against a real engine: every
 * table, index, column and constraint it names exists, before or after the migration.
 */
const schema = `
  CREATE TABLE "Action" (id bigint PRIMARY KEY, "tenantId" bigint);
  CREATE TABLE "Worker" (id bigint PRIMARY KEY, "tenantId" bigint);
  CREATE TABLE "Step" (id bigint PRIMARY KEY, "actionId" bigint, "tenantId" bigint, "Name" text, "Order" int);
  CREATE INDEX "Step_Name_idx" ON "Step" ("Name");
  CREATE TABLE "Parent" (id int, "Key" int) PARTITION BY RANGE ("Key");
  CREATE TABLE "Part" PARTITION OF "Parent" FOR VALUES FROM (0) TO (10);
  CREATE MATERIALIZED VIEW "Totals" AS SELECT id FROM "Step";
  CREATE UNIQUE INDEX "Totals_id" ON "Totals" (id);
`;

const migration = `SET lock_timeout = '5s';
ALTER TABLE "Step" ADD CONSTRAINT "Step_actionId_fkey" FOREIGN KEY ("actionId") REFERENCES "Action";
ALTER TABLE "Step" ADD CONSTRAINT "Step_Order_check" CHECK ("Order" > 0);
ALTER TABLE "Step" ADD CONSTRAINT "Step_tenantId_key" UNIQUE ("tenantId");
ALTER TABLE "Step" ALTER COLUMN "Name" SET NOT NULL;
ALTER TABLE "Step" ADD COLUMN "Tag" text CHECK ("Tag" <> '');
REFRESH MATERIALIZED VIEW "Totals";
REINDEX TABLE "Step";
ALTER TABLE "Parent" DETACH PARTITION "Part";
DROP INDEX "Step_Name_idx";
CREATE INDEX "Step_Order_idx" ON "Step" ("Order" DESC, "tenantId");
ALTER TABLE "Worker" DROP CONSTRAINT "Worker_pkey";
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Worker_tenantId_key" ON "Worker" ("tenantId");
ALTER TABLE "Worker" ADD CONSTRAINT "Worker_tenantId_pkey" PRIMARY KEY USING INDEX "Worker_tenantId_key";
`;

/** Each run of text from a SQL verb to the next semicolon that parses as one whole statement. */
function recipes(help: string): { text: string; ast: PgNode }[] {
  const found: { text: string; ast: PgNode }[] = [];
  for (const m of help.matchAll(/\b(?:CREATE|ALTER|DROP|REFRESH|REINDEX|SELECT)\b[^;]*;/g)) {
    const parsed = parseSql(m[0]);
    if (parsed.ok && parsed.statements.length === 1) found.push({ text: m[0], ast: parsed.statements[0]!.ast });
  }
  return found;
}

interface Name {
  readonly kind: 'relation' | 'column' | 'constraint';
  /** The relation as SQL (every part quoted, as the parser read it); for a column or constraint, its table. */
  readonly relation: string;
  readonly name?: string;
}

type Node = Record<string, unknown>;
const relationOf = (v: Node) => [v.schemaname, v.relname].filter(Boolean).map((p) => quoteIdentAlways(String(p))).join('.');
const strings = (list: unknown) => ((list as { String?: { sval?: string } }[] | undefined) ?? []).map((n) => n.String?.sval ?? '?');

/** The names a recipe relies on: relations anywhere, and the columns and constraints of its table. */
function namesIn(ast: PgNode): Name[] {
  const names: Name[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const n = v as Node;
    if (typeof n.relname === 'string') names.push({ kind: 'relation', relation: relationOf(n) });
    for (const child of Object.values(n)) walk(child);
  };
  walk(ast);
  const [[kind, body]] = Object.entries(ast) as [[string, Node]];
  const table = body.relation ? relationOf(body.relation as Node) : undefined;
  if (!table) return names;
  const column = (name: string) => names.push({ kind: 'column', relation: table, name });
  if (kind === 'IndexStmt') for (const p of (body.indexParams as { IndexElem?: { name?: string } }[]) ?? []) if (p.IndexElem?.name) column(p.IndexElem.name);
  if (kind === 'AlterTableStmt') {
    for (const { AlterTableCmd: cmd } of (body.cmds as { AlterTableCmd: Node }[]) ?? []) {
      if (cmd.subtype === 'AT_ValidateConstraint') names.push({ kind: 'constraint', relation: table, name: String(cmd.name) });
      const c = (cmd.def as { Constraint?: Node } | undefined)?.Constraint;
      for (const col of [...strings(c?.fk_attrs), ...strings(c?.keys)]) column(col);
      const walkColumns = (v: unknown): void => {
        if (!v || typeof v !== 'object') return;
        const ref = (v as { ColumnRef?: { fields?: unknown } }).ColumnRef;
        if (ref) column(strings(ref.fields).at(-1)!);
        for (const child of Object.values(v)) walkColumns(child);
      };
      walkColumns(c?.raw_expr);
    }
  }
  return names;
}

let db: PGlite;

async function missing(names: readonly Name[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const n of names) {
    const q = n.kind === 'relation'
      ? { sql: 'SELECT to_regclass($1) IS NOT NULL AS ok', params: [n.relation] }
      : n.kind === 'column'
        ? { sql: 'SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS ok', params: [n.relation, n.name] }
        : { sql: 'SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2) AS ok', params: [n.relation, n.name] };
    const { rows } = await db.query<{ ok: boolean }>(q.sql, q.params);
    if (!rows[0]?.ok) out.add(`${n.kind} ${n.relation}${n.name ? ` ${n.name}` : ''}`);
  }
  return out;
}

beforeAll(async () => {
  await loadSqlParser();
  db = await PGlite.create();
  await db.exec(schema);
});
afterAll(() => db?.close());

describe('the SQL in findings\' help, on mixed-case names', () => {
  it('names every table, index, column and constraint as they exist', async () => {
    // The schema is linted first, as the migration before, so that its tables and columns are known.
    const result = await lint({ files: ['schema.sql', 'migration.sql'], config: { postgres: 15 } }, memoryHost({ 'schema.sql': schema, 'migration.sql': migration }));
    const checked = result.diagnostics.filter((d) => d.file === 'migration.sql').flatMap((d) => recipes(d.help ?? '').map((r) => ({ code: d.code, ...r, names: namesIn(r.ast) })));
    // Enough of the catalogue suggests runnable SQL here for the test to mean something.
    expect(new Set(checked.map((c) => c.code))).toEqual(new Set(['MG201', 'MG202', 'MG203', 'MG207', 'MG208', 'MG209', 'MG210', 'MG221', 'MG222', 'MG225', 'MG230']));
    const before = await Promise.all(checked.map((c) => missing(c.names)));
    // Constraints the migration adds (to be validated later) exist after it; the index it drops, before.
    const statements = parseSql(migration);
    if (!statements.ok) throw new Error(statements.message);
    for (const s of statements.statements) await db.exec(s.text);
    const after = await Promise.all(checked.map((c) => missing(c.names)));
    const wrong = checked.flatMap((c, i) => [...before[i]!].filter((n) => after[i]!.has(n)).map((n) => `${c.code}: ${c.text} -> no ${n}`));
    expect(wrong).toEqual([]);
    // The queries a help says to run first (rows that would fail the change) run as written.
    const queries = checked.filter((c) => 'SelectStmt' in c.ast);
    expect(new Set(queries.map((q) => q.code))).toEqual(new Set(['MG207', 'MG208', 'MG209', 'MG210']));
    const failed: string[] = [];
    for (const q of queries) await db.query(q.text).catch((e: Error) => failed.push(`${q.code}: ${q.text} -> ${e.message}`));
    expect(failed).toEqual([]);
  });
});
