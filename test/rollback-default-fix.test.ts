import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';

/**
 * MG129's fix for a default a rollback leaves changed: the default the column had before the
 * step, written out from the tree migc keeps of it. Run on PostgreSQL (PGlite), the fix must put
 * back the very default the baseline gave.
 */
const baseline = `CREATE SEQUENCE order_numbers;
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  due timestamptz DEFAULT now() + interval '1 day',
  code text DEFAULT 'o-' || nextval('order_numbers'::regclass)::text,
  note text DEFAULT 'it''s new' COLLATE "C",
  tags jsonb DEFAULT '{"a": [1, 2]}'::jsonb,
  flag boolean DEFAULT (NOT false)
);`;

function plan(column: string): string {
  return `migc: 1
id: fixture
title: Fixture plan
type: schema
risk: low
engine: postgresql@15
baseline:
  sql: |
${baseline.split('\n').map((l) => `    ${l}`).join('\n')}
phases:
  - name: expand
    kind: expand
    steps:
      - id: change-default
        sql: ALTER TABLE orders ALTER COLUMN ${column} DROP DEFAULT;
        rollback:
          sql: SELECT 1;
`;
}

describe('the fix MG129 prints for a default the rollback leaves changed', () => {
  let db: PGlite;
  beforeAll(() => {
    db = new PGlite();
  });
  afterAll(() => db.close());

  it.each(['due', 'code', 'note', 'tags', 'flag'])('puts back the default of %s as the baseline had it', async (column) => {
    const result = await compile({ files: ['plans/p.yaml'] }, memoryHost({ 'plans/p.yaml': plan(column) }));
    const finding = result.diagnostics.find((d) => d.code === 'MG129' && d.help?.includes('SET DEFAULT'));
    expect(finding?.help).toMatch(new RegExp(`^ALTER TABLE orders ALTER COLUMN ${column} SET DEFAULT .+;$`));
    await db.exec(`DROP TABLE IF EXISTS orders; DROP SEQUENCE IF EXISTS order_numbers; ${baseline}`);
    const defaultOf = async () => (await db.query<{ d: string }>(`SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef JOIN pg_attribute ON attrelid = adrelid AND attnum = adnum WHERE adrelid = 'orders'::regclass AND attname = $1`, [column])).rows[0]?.d;
    const before = await defaultOf();
    expect(before).toBeDefined();
    await db.exec(`ALTER TABLE orders ALTER COLUMN ${column} DROP DEFAULT;`);
    expect(await defaultOf()).toBeUndefined();
    await db.exec(finding!.help!);
    expect(await defaultOf()).toBe(before);
  });
});
