import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { maxMessageLength } from '../src/diagnostics/render.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG239 says an older PostgreSQL refuses SQL that migc's PostgreSQL 18 parser reads. Each case
 * is a statement using a feature with the major it arrived in (the release notes', cited in
 * src/analyze/sql-rules/newer-than-target.ts) and, where the help gives one, the rewrite for an
 * older target:
 * - linted for the majors just before and at its version, MG239 reports it exactly before;
 * - on each engine (PGlite 18; the PostgreSQL 15 server of MIGC_TEST_DATABASE_URL), linted for
 *   that engine's major, MG239 reports it exactly when the engine refuses it, and the engine
 *   accepts the rewrite.
 */
const setup = `
  CREATE TABLE t (id int PRIMARY KEY, a int, b int, j jsonb);
  CREATE TABLE s (id int, a int, t_id int, u_id int, note text);
  CREATE INDEX t_b_idx ON t (b);
  ALTER TABLE t ADD CONSTRAINT t_id_a UNIQUE (id, a);
  CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
  CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE INDEX events_id ON ONLY events (id);
  CREATE INDEX events_2023_id ON events_2023 (id);
  CREATE TYPE mood AS ENUM ('happy', 'sad');
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
  ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) STORED;
  ALTER TABLE s ADD CONSTRAINT s_t_fkey FOREIGN KEY (t_id) REFERENCES t;
`;

interface Case {
  readonly sql: string;
  readonly since: number;
  /** What the help says to write instead, statement by statement (run on every engine: it must be valid there). */
  readonly rewrite?: readonly string[];
}

const cases: readonly Case[] = [
  // 18
  { sql: 'ALTER TABLE t ADD COLUMN v int GENERATED ALWAYS AS (a * 2)', since: 18, rewrite: ['ALTER TABLE t ADD COLUMN v int GENERATED ALWAYS AS (a * 2) STORED'] },
  { sql: 'CREATE TABLE gen (a int, v int GENERATED ALWAYS AS (a + 1) VIRTUAL)', since: 18, rewrite: ['CREATE TABLE gen (a int, v int GENERATED ALWAYS AS (a + 1) STORED)'] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT ENFORCED', since: 18, rewrite: ['ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID'] },
  { sql: 'ALTER TABLE s ADD COLUMN w_id int REFERENCES t NOT ENFORCED', since: 18, rewrite: ['ALTER TABLE s ADD COLUMN w_id int', 'ALTER TABLE s ADD CONSTRAINT s_w_id_fkey FOREIGN KEY (w_id) REFERENCES t NOT VALID'] },
  { sql: 'ALTER TABLE s ALTER CONSTRAINT s_t_fkey NOT ENFORCED', since: 18, rewrite: ['ALTER TABLE s DROP CONSTRAINT s_t_fkey'] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT a_not_null NOT NULL a', since: 18, rewrite: ['ALTER TABLE t ALTER COLUMN a SET NOT NULL'] },
  { sql: 'CREATE TABLE nn (a int, NOT NULL a)', since: 18, rewrite: ['CREATE TABLE nn (a int NOT NULL)'] },
  // 17
  { sql: 'ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (a + 2)', since: 17, rewrite: ['ALTER TABLE t DROP COLUMN g, ADD COLUMN g int GENERATED ALWAYS AS (a + 2) STORED'] },
  { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a RETURNING t.id', since: 17, rewrite: ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a'] },
  { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE', since: 17, rewrite: ['DELETE FROM t WHERE NOT EXISTS (SELECT 1 FROM s WHERE t.id = s.id)'] },
  { sql: `SELECT * FROM JSON_TABLE('[{"a": 1}]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) AS jt`, since: 17, rewrite: [`SELECT * FROM jsonb_to_recordset('[{"a": 1}]'::jsonb) AS jt(a int)`] },
  { sql: `SELECT JSON_VALUE(j, '$.a' RETURNING int), JSON_EXISTS(j, '$.a') FROM t`, since: 17, rewrite: [`SELECT (j ->> 'a')::int, jsonb_path_exists(j, '$.a') FROM t`] },
  { sql: `SELECT JSON('{"a": 1}'), JSON_SCALAR(1), JSON_SERIALIZE(j) FROM t`, since: 17, rewrite: [`SELECT '{"a": 1}'::json, to_json(1), j::text FROM t`] },
  // 16
  { sql: `SELECT JSON_OBJECT('a': 1), JSON_ARRAY(1, 2)`, since: 16, rewrite: [`SELECT json_build_object('a', 1), json_build_array(1, 2)`] },
  { sql: 'UPDATE t SET j = JSON_OBJECT(\'id\': id RETURNING jsonb) WHERE id = 1', since: 16, rewrite: [`UPDATE t SET j = jsonb_build_object('id', id) WHERE id = 1`] },
  { sql: 'CREATE VIEW agg AS SELECT JSON_ARRAYAGG(id), JSON_OBJECTAGG(id: a) FROM t', since: 16, rewrite: ['CREATE VIEW agg AS SELECT json_agg(id), json_object_agg(id, a) FROM t'] },
  { sql: `SELECT '{}' IS JSON`, since: 16, rewrite: [`SELECT jsonb_typeof('{}'::jsonb) IS NOT NULL`] },
  // Written in lower case, and inside a DO block: the key word is found in any case, and a DO
  // block's statements are judged as the file's are.
  { sql: `DO $$ BEGIN UPDATE t SET j = json_object('id': id) WHERE id = 1; END $$`, since: 16, rewrite: [`DO $$ BEGIN UPDATE t SET j = json_build_object('id', id) WHERE id = 1; END $$`] },
  // 15
  { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)', since: 15, rewrite: ['INSERT INTO t (id, a) SELECT id, a FROM s ON CONFLICT (id) DO UPDATE SET a = excluded.a'] },
  { sql: 'CREATE UNIQUE INDEX CONCURRENTLY t_a_b ON t (a, b) NULLS NOT DISTINCT', since: 15, rewrite: ['CREATE UNIQUE INDEX CONCURRENTLY t_a_b ON t (a, b)', 'CREATE UNIQUE INDEX t_a_b_null ON t (a) WHERE b IS NULL'] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT t_b UNIQUE NULLS NOT DISTINCT (b)', since: 15, rewrite: ['ALTER TABLE t ADD CONSTRAINT t_b UNIQUE (b)', 'CREATE UNIQUE INDEX t_b_null ON t ((b IS NULL)) WHERE b IS NULL'] },
  { sql: 'ALTER TABLE s ADD CONSTRAINT s_u_fkey FOREIGN KEY (t_id, u_id) REFERENCES t (id, a) ON DELETE SET NULL (u_id)', since: 15 },
  { sql: 'ALTER TABLE s SET ACCESS METHOD heap', since: 15 },
  // 14
  { sql: 'ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY', since: 14, rewrite: ['ALTER TABLE events DETACH PARTITION events_2023'] },
  { sql: 'REINDEX (VERBOSE, CONCURRENTLY) INDEX t_b_idx', since: 14, rewrite: ['REINDEX (VERBOSE) INDEX CONCURRENTLY t_b_idx'] },
  { sql: 'REINDEX (TABLESPACE pg_default) TABLE s', since: 14, rewrite: ['REINDEX TABLE s'] },
  { sql: 'CREATE OR REPLACE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()', since: 14, rewrite: ['DROP TRIGGER IF EXISTS t_touch ON t', 'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()'] },
  { sql: 'CREATE FUNCTION one() RETURNS int LANGUAGE sql RETURN 1', since: 14, rewrite: ['CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'] },
  { sql: 'CREATE TABLE notes (body text COMPRESSION pglz)', since: 14, rewrite: ['CREATE TABLE notes (body text)'] },
  { sql: 'ALTER TABLE s ALTER COLUMN note SET COMPRESSION pglz', since: 14 },
  // 13
  { sql: 'ALTER TABLE t ALTER COLUMN g DROP EXPRESSION', since: 13 },
  // 12
  { sql: 'CREATE TABLE gen (a int, v int GENERATED ALWAYS AS (a + 1) STORED)', since: 12, rewrite: ['CREATE TABLE gen (a int, v int)'] },
  { sql: 'REINDEX INDEX CONCURRENTLY t_b_idx', since: 12, rewrite: ['CREATE INDEX CONCURRENTLY t_b_idx_new ON t (b)', 'DROP INDEX CONCURRENTLY t_b_idx', 'ALTER INDEX t_b_idx_new RENAME TO t_b_idx'] },
  { sql: 'REINDEX (VERBOSE) INDEX CONCURRENTLY t_b_idx', since: 12 },
  { sql: 'REINDEX INDEX CONCURRENTLY t_id_a', since: 12, rewrite: ['CREATE UNIQUE INDEX CONCURRENTLY t_id_a_new ON t (id, a)', 'ALTER TABLE t DROP CONSTRAINT t_id_a, ADD CONSTRAINT t_id_a UNIQUE USING INDEX t_id_a_new'] },
  { sql: 'CREATE TABLE plain (a int) USING heap', since: 12, rewrite: ['CREATE TABLE plain (a int)'] },
  // 11
  { sql: 'CREATE TABLE buckets (id int) PARTITION BY HASH (id)', since: 11, rewrite: ['CREATE TABLE buckets (id int) PARTITION BY LIST ((id % 8))'] },
  { sql: 'CREATE TABLE events_other PARTITION OF events DEFAULT', since: 11 },
  { sql: 'CREATE INDEX events_at ON ONLY events (at)', since: 11, rewrite: ['CREATE INDEX CONCURRENTLY events_2023_at ON events_2023 (at)'] },
  { sql: 'CREATE INDEX events_at ON events (at)', since: 11, rewrite: ['CREATE INDEX CONCURRENTLY events_2023_at ON events_2023 (at)'] },
  { sql: 'ALTER INDEX events_id ATTACH PARTITION events_2023_id', since: 11 },
  { sql: 'CREATE INDEX CONCURRENTLY t_a ON t (a) INCLUDE (b)', since: 11, rewrite: ['CREATE INDEX CONCURRENTLY t_a ON t (a, b)'] },
  { sql: 'CREATE PROCEDURE tidy() LANGUAGE sql AS $$ DELETE FROM s WHERE id IS NULL $$', since: 11, rewrite: ['CREATE FUNCTION tidy() RETURNS void LANGUAGE sql AS $$ DELETE FROM s WHERE id IS NULL $$'] },
  // 10: migc's oldest target; never reported.
  { sql: 'ALTER TABLE s ADD COLUMN n bigint GENERATED BY DEFAULT AS IDENTITY', since: 10 },
  { sql: 'CREATE STATISTICS s_stats (dependencies) ON id, a FROM s', since: 10 },
  { sql: `ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'`, since: 10 },
  { sql: 'CREATE TABLE t_copy (LIKE t INCLUDING ALL)', since: 10 },
];

/** MG239's messages on the statement, linted for a target after the setup (whose tables it knows). */
async function reported(sql: string, postgres: number): Promise<string[]> {
  const result = await lint({ files: ['setup.sql', 'm.sql'], config: { postgres } }, memoryHost({ 'setup.sql': setup, 'm.sql': `${sql};\n` }));
  const found = result.diagnostics.filter((d) => d.code === 'MG239' && d.file === 'm.sql');
  // The renderers cut a longer help: the way to write it would be lost.
  for (const d of found) expect(d.help!.length).toBeLessThanOrEqual(maxMessageLength);
  return found.map((d) => d.message);
}

describe('MG239 reports a feature exactly for targets older than its version', () => {
  it.each(cases)('$since: $sql', async ({ sql, since }) => {
    if (since > 10) expect((await reported(sql, since - 1)).join('\n')).toMatch(new RegExp(`^PostgreSQL ${since - 1} refuses this: .* arrived in PostgreSQL ${since}$`, 'm'));
    expect(await reported(sql, since)).toEqual([]);
    expect(await reported(sql, 18)).toEqual([]);
  });
});

describe('MG239 and a target older than the feature', () => {
  it('names the older feature when both are newer: a virtual generated column for PostgreSQL 11 is a generated column', async () => {
    expect(await reported('CREATE TABLE gen (a int, v int GENERATED ALWAYS AS (a + 1))', 11)).toEqual(['PostgreSQL 11 refuses this: generated columns arrived in PostgreSQL 12']);
  });
  it('reports REINDEX CONCURRENTLY and CALL for PostgreSQL 10, with a fix that is not the blocking form', async () => {
    const result = await lint({ files: ['m.sql'], config: { postgres: 10 } }, memoryHost({ 'm.sql': 'REINDEX INDEX CONCURRENTLY users_email_idx;\nCALL tidy();\n' }));
    const found = result.diagnostics.filter((d) => d.code === 'MG239');
    expect(found.map((d) => d.message)).toEqual(['PostgreSQL 10 refuses this: REINDEX ... CONCURRENTLY arrived in PostgreSQL 12', 'PostgreSQL 10 refuses this: procedures (CALL) arrived in PostgreSQL 11']);
    expect(found[0]!.help).toMatch(/^Plain REINDEX is no fix: .*CREATE INDEX CONCURRENTLY/);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG239 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    const fresh = async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(setup);
    };
    it.each(cases)('$since: $sql', async ({ sql, since, rewrite }) => {
      const found = await reported(sql, db.major);
      await fresh();
      let refused: string | undefined;
      try {
        await db.run(sql);
      } catch (e) {
        refused = (e as Error).message;
      }
      // Refused, and for a reason of the syntax or the feature: not some mistake of the setup.
      if (refused !== undefined) expect(refused).toMatch(/syntax error|not supported|does not exist|unrecognized|not allowed/);
      expect({ reported: found.length > 0, refused: refused !== undefined }).toEqual({ reported: since > db.major, refused: since > db.major });
      if (rewrite) {
        await fresh();
        for (const statement of rewrite) await db.run(statement);
      }
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
