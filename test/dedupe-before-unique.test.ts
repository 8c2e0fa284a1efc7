import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A unique index built right after a DELETE that kept one row of each group sharing its columns,
 * in the same transaction, finds no duplicate: MG201 and MG210 do not say it fails on them
 * (firefly's 000082, 000099 and 000108, the twenty-ninth trial's E). Each case runs on PGlite and
 * the server of MIGC_TEST_DATABASE_URL on a table with duplicates, NULLs among them: the build
 * succeeds exactly when lint leaves the clause out.
 */
const setup = 'CREATE TABLE apis (seq int PRIMARY KEY, ns text, id text, note text);\n';
// Duplicates of (ns, id) that differ in note, and two rows of NULL ns (a unique index takes NULLs for distinct).
const rows = "INSERT INTO apis VALUES (1, 'a', 'x', 'p'), (2, 'a', 'x', 'q'), (3, 'a', 'y', 'p'), (4, 'b', 'x', 'p'), (5, 'b', 'x', 'q'), (6, NULL, 'z', 'p'), (7, NULL, 'z', 'q');";
const index = 'CREATE UNIQUE INDEX apis_ns_id ON apis (ns, id);';
/** `told`: lint says the build fails on rows that share a key; `fails`: it does, on these rows. */
const cases: { name: string; dedupe: string; told: boolean; fails: boolean }[] = [
  { name: 'NOT IN the max of each group', dedupe: 'DELETE FROM apis WHERE seq NOT IN (SELECT MAX(seq) FROM apis GROUP BY ns, id);', told: false, fails: false },
  { name: 'NOT IN the min of each group of fewer columns', dedupe: 'DELETE FROM apis WHERE seq NOT IN (SELECT min(seq) FROM apis GROUP BY id);', told: false, fails: false },
  { name: 'a self-join on the columns, keeping the greatest key', dedupe: 'DELETE FROM apis a USING apis b WHERE a.seq < b.seq AND a.ns = b.ns AND a.id = b.id;', told: false, fails: false },
  { name: 'row_number() over a partition by the columns', dedupe: 'DELETE FROM apis WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY ns, id ORDER BY seq) AS rn FROM apis) d WHERE rn > 1);', told: false, fails: false },
  { name: 'grouped by more columns than the index', dedupe: 'DELETE FROM apis WHERE seq NOT IN (SELECT MAX(seq) FROM apis GROUP BY ns, id, note);', told: true, fails: true },
  { name: 'a dedupe, then a row written again', dedupe: "DELETE FROM apis WHERE seq NOT IN (SELECT MAX(seq) FROM apis GROUP BY ns, id);\nINSERT INTO apis VALUES (8, 'a', 'y', 'q');", told: true, fails: true },
  { name: 'a DELETE of some rows', dedupe: "DELETE FROM apis WHERE ns = 'b';", told: true, fails: true },
];

/** Whether the build fails on the rows, after the DELETE, in one transaction. */
async function buildFails(db: SqlEngine, dedupe: string): Promise<boolean> {
  await db.run(`DROP TABLE IF EXISTS apis; ${setup} ${rows}`);
  try {
    await db.run(`BEGIN;\n${dedupe}\n${index}\nCOMMIT;`);
    return false;
  } catch (e) {
    await db.run('ROLLBACK');
    expect((e as Error).message).toMatch(/could not create unique index/);
    return true;
  }
}

async function saysItFails(dedupe: string): Promise<boolean> {
  const files = { '1.sql': setup, '2.sql': `SET lock_timeout = '5s';\nBEGIN;\n${dedupe}\n${index}\nCOMMIT;\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const mg201 = result.diagnostics.filter((d) => d.code === 'MG201');
  expect(mg201).toHaveLength(1);
  return mg201[0]!.message.includes('fails if existing rows share a key');
}

for (const engine of sqlEngines()) {
  describe(`a unique index after a de-duplicating DELETE, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$name', async ({ dedupe, told, fails }) => {
      expect(await buildFails(db, dedupe)).toBe(fails);
      expect(await saysItFails(dedupe)).toBe(told);
    });
  });
}

/**
 * A unique key on a column this migration added and nothing filled (no default, or DEFAULT NULL):
 * every row holds NULL there, and NULLs never collide (nr-spar's only_one_default_source, the
 * thirty-fifth trial's U). The build succeeds on a table with rows, and MG210 does not say it fails.
 */
for (const engine of sqlEngines()) {
  describe(`a unique key on a column added NULL, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(['boolean', 'boolean DEFAULT NULL'])('ADD COLUMN c %s, then ADD UNIQUE (c)', async (column) => {
      const change = `ALTER TABLE apis ADD COLUMN c ${column};\nALTER TABLE apis ADD CONSTRAINT apis_c UNIQUE (c);\n`;
      await db.run(`DROP TABLE IF EXISTS apis; ${setup} ${rows}`);
      await db.run(`BEGIN;\n${change}ROLLBACK;`);
      const files = { '1.sql': setup, '2.sql': `SET lock_timeout = '5s';\n${change}` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const mg210 = result.diagnostics.filter((d) => d.code === 'MG210');
      expect(mg210).toHaveLength(1);
      expect(mg210[0]!.message).not.toContain('fails if existing rows share a key');
    });
  });
}
