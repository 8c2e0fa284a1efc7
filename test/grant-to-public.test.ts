import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG254's claims on PostgreSQL: a role that has been granted nothing (made after the GRANT, as
 * PUBLIC takes in every role made later) can do what the finding says once the GRANT has run,
 * and could not before; after a GRANT MG254 lets pass, it still cannot write.
 */
const setup = "CREATE SCHEMA pdb;\nCREATE TABLE pdb.cache (id int PRIMARY KEY, v int);\nINSERT INTO pdb.cache VALUES (1, 1);\nCREATE SEQUENCE pdb.ids;\n";

/** What a role granted nothing tries, as what each finding says it may do. */
const cases: { grant: string; act: string; warned: boolean }[] = [
  { grant: 'GRANT ALL ON SCHEMA pdb TO PUBLIC', act: 'CREATE FUNCTION pdb.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$', warned: true },
  { grant: 'GRANT CREATE ON SCHEMA pdb TO PUBLIC', act: 'CREATE TABLE pdb.mine (id int)', warned: true },
  { grant: 'GRANT ALL ON TABLE pdb.cache TO PUBLIC', act: 'DELETE FROM pdb.cache', warned: true },
  { grant: 'GRANT UPDATE (v) ON pdb.cache TO PUBLIC', act: 'UPDATE pdb.cache SET v = 2', warned: true },
  { grant: 'GRANT UPDATE ON SEQUENCE pdb.ids TO PUBLIC', act: "SELECT setval('pdb.ids', 1)", warned: true },
  { grant: 'GRANT USAGE ON SCHEMA pdb TO PUBLIC', act: 'CREATE TABLE pdb.mine (id int)', warned: false },
  { grant: 'GRANT USAGE ON SCHEMA pdb TO PUBLIC; GRANT SELECT ON pdb.cache TO PUBLIC', act: 'DELETE FROM pdb.cache', warned: false },
  { grant: 'GRANT USAGE ON SCHEMA pdb TO PUBLIC; GRANT USAGE ON SEQUENCE pdb.ids TO PUBLIC', act: "SELECT setval('pdb.ids', 1)", warned: false },
];

async function warned(grant: string): Promise<boolean> {
  await loadSqlParser();
  const files = { '1.sql': setup, '2.sql': `${grant};\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.some((d) => d.code === 'MG254');
}

for (const engine of sqlEngines()) {
  describe(`MG254's claims on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$grant', async ({ grant, act, warned: expected }) => {
      expect(await warned(grant)).toBe(expected);
      // All in one transaction, rolled back: the role and the schema are never seen by another session.
      const attempt = async (savepoint: string) => {
        await db.run(`SAVEPOINT ${savepoint}; SET LOCAL ROLE migc_test_nobody;`);
        try {
          await db.run(act);
          return 'done';
        } catch (e) {
          expect((e as Error).message).toMatch(/permission denied/);
          return 'refused';
        } finally {
          await db.run(`ROLLBACK TO SAVEPOINT ${savepoint}; RESET ROLE;`);
        }
      };
      await db.run('BEGIN');
      try {
        await db.run(setup);
        // Schema USAGE is what reaching an object in it needs: given here, so each attempt is about the GRANT tried.
        await db.run('CREATE ROLE migc_test_nobody NOLOGIN; GRANT USAGE ON SCHEMA pdb TO migc_test_nobody;');
        expect(await attempt('before')).toBe('refused');
        await db.run(grant);
        expect(await attempt('after')).toBe(expected ? 'done' : 'refused');
      } finally {
        await db.run('ROLLBACK');
      }
    });
  });
}
