import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG255's claim on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): the foreign key
 * is taken, and a DELETE of a referenced row that a row points at fails exactly where MG255 says
 * so (sourcebot's members, the thirty-sixth trial's M1).
 */
const cases: { name: string; child: string }[] = [
  { name: 'SET NULL on a NOT NULL column', child: 'CREATE TABLE m (id int PRIMARY KEY, org_id int NOT NULL REFERENCES orgs ON DELETE SET NULL);' },
  { name: 'SET DEFAULT on a NOT NULL column without a default', child: 'CREATE TABLE m (id int PRIMARY KEY, org_id int NOT NULL REFERENCES orgs ON DELETE SET DEFAULT);' },
  { name: 'SET NULL on a nullable column', child: 'CREATE TABLE m (id int PRIMARY KEY, org_id int REFERENCES orgs ON DELETE SET NULL);' },
  { name: 'SET DEFAULT on a NOT NULL column with a default', child: 'CREATE TABLE m (id int PRIMARY KEY, org_id int NOT NULL DEFAULT 2 REFERENCES orgs ON DELETE SET DEFAULT);' },
  { name: 'SET NULL (b) of the nullable column of two', child: 'CREATE TABLE m (a int NOT NULL, b int, FOREIGN KEY (a, b) REFERENCES pairs (x, y) ON DELETE SET NULL (b));' },
];
const setup = 'CREATE TABLE orgs (id int PRIMARY KEY);\nINSERT INTO orgs VALUES (1), (2);\nCREATE TABLE pairs (x int, y int, PRIMARY KEY (x, y));\nINSERT INTO pairs VALUES (1, 1);\n';

async function mg255(child: string): Promise<boolean> {
  const files = { '1.sql': setup, '2.sql': `${child}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.some((d) => d.code === 'MG255');
}

for (const engine of sqlEngines()) {
  describe(`MG255 on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async ({ child }) => {
      await db.run(`DROP TABLE IF EXISTS m, orgs, pairs; ${setup} ${child}`);
      await db.run('INSERT INTO m VALUES (1, 1);');
      let failed = false;
      try {
        await db.run(child.includes('pairs') ? 'DELETE FROM pairs' : 'DELETE FROM orgs WHERE id = 1');
      } catch (e) {
        expect((e as Error).message).toMatch(/violates not-null constraint/);
        failed = true;
      }
      expect(await mg255(child)).toBe(failed);
    });
  });
}
