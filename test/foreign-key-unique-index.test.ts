import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG230 takes a unique index whose columns are all columns of the foreign key as serving it
 * (Synapse's locks_mode: UNIQUE (lock_name, lock_key) under a key on (lock_name, lock_key,
 * token)), and not a non-unique one on those columns. On the engines, the check a DELETE on the
 * referenced table runs on the referencing one (ri_triggers.c: SELECT 1 FROM ONLY t x WHERE $1 =
 * a AND ... FOR KEY SHARE OF x, a prepared plan) is an index scan on the unique index, reading at
 * most one row; through the non-unique index it reads every row of the prefix.
 */
const tables = (index: string) => `
  CREATE TABLE locks (lock_name text NOT NULL, lock_key text NOT NULL, token text NOT NULL);
  CREATE UNIQUE INDEX locks_key ON locks (lock_name, lock_key, token);
  CREATE TABLE locks_mode (lock_name text NOT NULL, lock_key text NOT NULL, token text NOT NULL);
  ${index}
  ALTER TABLE locks_mode ADD CONSTRAINT locks_mode_foreign FOREIGN KEY (lock_name, lock_key, token) REFERENCES locks (lock_name, lock_key, token);`;

const unique = 'CREATE UNIQUE INDEX locks_mode_key ON locks_mode (lock_key, lock_name);';
const nonUnique = 'CREATE INDEX locks_mode_key ON locks_mode (lock_key, lock_name);';

/**
 * 20,000 rows, each its own (lock_name, lock_key); with the non-unique index, 5,000 more share
 * one ('shared', 'shared'), with other tokens.
 */
const rows = (shared: boolean) => `
  INSERT INTO locks SELECT g::text, g::text, g::text FROM generate_series(1, 20000) g;
  INSERT INTO locks_mode SELECT g::text, g::text, g::text FROM generate_series(1, 20000) g;
  ${shared ? "INSERT INTO locks SELECT 'shared', 'shared', g::text FROM generate_series(1, 5001) g; INSERT INTO locks_mode SELECT 'shared', 'shared', g::text FROM generate_series(1, 5000) g;" : ''}
  ANALYZE locks; ANALYZE locks_mode;
  SET plan_cache_mode = force_generic_plan;
  PREPARE ri_check(text, text, text) AS SELECT 1 FROM ONLY public.locks_mode x
    WHERE $1 OPERATOR(pg_catalog.=) lock_name AND $2 OPERATOR(pg_catalog.=) lock_key AND $3 OPERATOR(pg_catalog.=) token FOR KEY SHARE OF x;`;

async function mg230(sql: string): Promise<number> {
  const result = await lint({ files: ['001.sql'] }, memoryHost({ '001.sql': sql }));
  return result.diagnostics.filter((d) => d.code === 'MG230').length;
}

for (const engine of sqlEngines()) {
  describe(`a foreign key served by an index on some of its columns, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());

    const plan = async (args: string) => rowsOf(await db.run(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE ri_check(${args})`)).map((r) => r['QUERY PLAN'] as string).join('\n');

    it('a unique one: the check is an index scan on it that reads one row, and MG230 says nothing', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DEALLOCATE ALL;');
      await db.run(tables(unique) + rows(false));
      const text = await plan("'5', '5', '6'");
      expect(text).toMatch(/Index Scan using locks_mode_key on locks_mode x/);
      expect(text).toMatch(/Index Cond: \(\(lock_key = \$2\) AND \(lock_name = \$1\)\)/);
      expect(text).toMatch(/Rows Removed by Filter: 1\b/);
      expect(await mg230(tables(unique))).toBe(0);
    });

    it('a non-unique one: the check reads every row of the prefix, and MG230 reports the key', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DEALLOCATE ALL;');
      await db.run(tables(nonUnique) + rows(true));
      const text = await plan("'shared', 'shared', '5001'");
      expect(text).toMatch(/Index Scan using locks_mode_key on locks_mode x/);
      expect(text).toMatch(/Rows Removed by Filter: 5000\b/);
      expect(await mg230(tables(nonUnique))).toBe(1);
    });
  });
}
