import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * An index of a partitioned table (the thirty-eighth trial's class J: xmtpd 00019 drops three,
 * and MG202 told it to use DROP INDEX CONCURRENTLY). What PostgreSQL does with one, checked on
 * PGlite and the server of MIGC_TEST_DATABASE_URL, and what lint says of it: MG202 names the lock
 * on every partition and gives no CONCURRENTLY for it, MG233 reports DROP INDEX CONCURRENTLY as
 * refused, MG251 gives the plain drop for a repeated index; MG203's REINDEX ... CONCURRENTLY runs
 * on one (14+).
 */
const schema = `
CREATE TABLE m (node int NOT NULL, seq bigint NOT NULL, topic bytea) PARTITION BY LIST (node);
CREATE TABLE m_1 PARTITION OF m FOR VALUES IN (1);
CREATE TABLE m_2 PARTITION OF m FOR VALUES IN (2) PARTITION BY RANGE (seq);
CREATE TABLE m_2a PARTITION OF m_2 FOR VALUES FROM (0) TO (100);
CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX m_topic_idx ON m (topic);
CREATE INDEX m_seq_idx ON m (seq);
`;

async function findings(migration: string, code: string) {
  await loadSqlParser();
  const files = { '1.sql': schema, '2.sql': `SET lock_timeout = '5s';\n${migration}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === code && d.file === '2.sql');
}

for (const { name, open } of sqlEngines()) {
  describe(`an index of a partitioned table, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    /** Runs the schema and the statements in a transaction rolled back (or, with `alone`, each on its own and the schema dropped after). */
    const tryIt = async (statements: readonly string[], alone = false) => {
      await db.run(schema);
      try {
        if (alone) {
          for (const s of statements) await db.run(s);
          return [];
        }
        await db.run('BEGIN');
        try {
          const results = [];
          for (const s of statements) results.push(await db.run(s));
          return results;
        } finally {
          await db.run('ROLLBACK');
        }
      } finally {
        await db.run('DROP TABLE IF EXISTS m, t CASCADE');
      }
    };

    it('refuses DROP INDEX CONCURRENTLY of it, and a partition\'s index while attached, CONCURRENTLY or not', async () => {
      await expect(tryIt(['DROP INDEX CONCURRENTLY IF EXISTS m_topic_idx'], true)).rejects.toThrow(/cannot drop partitioned index "m_topic_idx" concurrently/);
      await expect(tryIt(['DROP INDEX CONCURRENTLY m_2_topic_idx'], true)).rejects.toThrow(/cannot drop partitioned index "m_2_topic_idx" concurrently/);
      await expect(tryIt(['DROP INDEX CONCURRENTLY m_1_topic_idx'], true)).rejects.toThrow(/cannot drop index m_1_topic_idx because index m_topic_idx requires it/);
      await expect(tryIt(['DROP INDEX m_1_topic_idx'])).rejects.toThrow(/cannot drop index m_1_topic_idx because index m_topic_idx requires it/);
    });

    it('drops it without CONCURRENTLY, as MG202\'s help says, under ACCESS EXCLUSIVE on the table and every partition', async () => {
      const [finding] = await findings('DROP INDEX IF EXISTS m_topic_idx;', 'MG202');
      expect(finding!.message).toBe('DROP INDEX m_topic_idx takes an ACCESS EXCLUSIVE lock on partitioned table m and every partition of it: reads and writes queue behind it');
      expect(finding!.help).not.toContain('DROP INDEX CONCURRENTLY');
      expect(finding!.help).toContain('DROP INDEX IF EXISTS m_topic_idx; (no CONCURRENTLY)');
      expect(finding!.help).toContain("SET lock_timeout = '2s';");
      const results = await tryIt([
        "SET LOCAL lock_timeout = '2s'",
        'DROP INDEX IF EXISTS m_topic_idx',
        "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace ORDER BY 1",
      ]);
      expect(rowsOf(results.at(-1))).toEqual(['m', 'm_1', 'm_2', 'm_2a'].map((relname) => ({ relname, mode: 'AccessExclusiveLock' })));
    });

    it('MG202 gives CONCURRENTLY only for the other indexes a DROP INDEX names', async () => {
      const [finding] = await findings('DROP INDEX t_a_idx, m_seq_idx;', 'MG202');
      expect(finding!.help).toMatch(/^Use DROP INDEX CONCURRENTLY t_a_idx; \(one index per statement.*\)\. PostgreSQL cannot drop an index of a partitioned table CONCURRENTLY \(m_seq_idx\)/);
      await expect(tryIt(['DROP INDEX CONCURRENTLY t_a_idx', 'DROP INDEX m_seq_idx'], true)).resolves.toEqual([]);
    });

    it('MG233 reports DROP INDEX CONCURRENTLY of it as refused', async () => {
      const found = await findings('DROP INDEX CONCURRENTLY IF EXISTS m_topic_idx;', 'MG233');
      expect(found.map((f) => [f.severity, f.message])).toEqual([['error', 'DROP INDEX CONCURRENTLY m_topic_idx, an index of partitioned table m: PostgreSQL refuses it, and the migration fails here']]);
      expect(found[0]!.help).toContain('DROP INDEX IF EXISTS m_topic_idx; (no CONCURRENTLY)');
      // Of a plain table's index, nothing.
      expect(await findings('DROP INDEX CONCURRENTLY IF EXISTS t_a_idx;', 'MG233')).toEqual([]);
    });

    it('MG251 on a repeated index of it gives the plain drop', async () => {
      const [finding] = await findings('CREATE INDEX m_seq_again ON m (seq);', 'MG251');
      expect(finding!.help).toMatch(/^Leave it out: m_seq_idx serves the same queries\. Where it was built already, in a migration of its own: PostgreSQL cannot drop an index of a partitioned table CONCURRENTLY/);
      expect(finding!.help).not.toContain('DROP INDEX CONCURRENTLY');
      expect(finding!.help).toContain('DROP INDEX m_seq_again; (no CONCURRENTLY)');
      await expect(tryIt(['CREATE INDEX m_seq_again ON m (seq)', 'DROP INDEX m_seq_again'])).resolves.toHaveLength(2);
    });

    it('MG212 on a type change that rebuilds it gives the plain drop and the build partition by partition, which run', async () => {
      await loadSqlParser();
      const files = {
        '1.sql': `${schema}CREATE INDEX m_lower_idx ON m (lower(encode(topic, 'hex')));\nALTER TABLE m ADD COLUMN name varchar(10);\nCREATE INDEX m_name_lower_idx ON m (lower(name));\n`,
        '2.sql': "SET lock_timeout = '5s';\nALTER TABLE m ALTER COLUMN name TYPE varchar(20);\n",
      };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const [finding] = result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '2.sql');
      expect(finding!.help).not.toContain('DROP INDEX CONCURRENTLY');
      expect(finding!.help).toContain('PostgreSQL cannot drop or build an index of a partitioned table CONCURRENTLY: DROP INDEX m_name_lower_idx; with a short lock_timeout (and a retry), then CREATE INDEX ... ON ONLY m (...), CREATE INDEX CONCURRENTLY on each partition and ALTER INDEX ... ATTACH PARTITION');
      await db.run(schema);
      const statements = [
        'ALTER TABLE m ADD COLUMN name varchar(10)',
        'CREATE INDEX m_name_lower_idx ON m (lower(name))',
        'DROP INDEX m_name_lower_idx',
        'ALTER TABLE m ALTER COLUMN name TYPE varchar(20)',
        'CREATE INDEX m_name_lower_idx ON ONLY m (lower(name))',
        'CREATE INDEX CONCURRENTLY m_1_name_lower_idx ON m_1 (lower(name))',
        'ALTER INDEX m_name_lower_idx ATTACH PARTITION m_1_name_lower_idx',
        'CREATE INDEX m_2_name_lower_idx ON ONLY m_2 (lower(name))',
        'CREATE INDEX CONCURRENTLY m_2a_name_lower_idx ON m_2a (lower(name))',
        'ALTER INDEX m_2_name_lower_idx ATTACH PARTITION m_2a_name_lower_idx',
        'ALTER INDEX m_name_lower_idx ATTACH PARTITION m_2_name_lower_idx',
      ];
      try {
        for (const statement of statements) await db.run(statement);
        expect(rowsOf(await db.run("SELECT indisvalid FROM pg_index WHERE indexrelid = 'm_name_lower_idx'::regclass"))).toEqual([{ indisvalid: true }]);
      } finally {
        await db.run('DROP TABLE IF EXISTS m, t CASCADE');
      }
    });

    it('runs REINDEX INDEX and REINDEX TABLE CONCURRENTLY of it (14+), as MG203\'s help says', async () => {
      expect(db.major).toBeGreaterThanOrEqual(14);
      const [index] = await findings('REINDEX INDEX m_topic_idx;', 'MG203');
      const [table] = await findings('REINDEX TABLE m;', 'MG203');
      expect(index!.help).toContain('REINDEX INDEX CONCURRENTLY m_topic_idx;');
      expect(table!.help).toContain('REINDEX TABLE CONCURRENTLY m;');
      await expect(tryIt(['REINDEX INDEX CONCURRENTLY m_topic_idx', 'REINDEX TABLE CONCURRENTLY m'], true)).resolves.toEqual([]);
    });
  });
}
