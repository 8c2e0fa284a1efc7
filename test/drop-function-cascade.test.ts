import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { predictLocks } from '../src/sql/locks.js';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * DROP FUNCTION ... CASCADE drops the indexes and triggers that use the function, each under an
 * ACCESS EXCLUSIVE lock on its table. On PostgreSQL (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL): the locks the DROP holds before its transaction ends, and what is gone
 * after it, must be what migc says (MG243, and the lock MG219 names).
 */
const setup = `
  CREATE TABLE posts (id bigint PRIMARY KEY, score int, published timestamp);
  CREATE TABLE votes (id bigint PRIMARY KEY, post_id bigint, score int);
  CREATE TABLE untouched (id bigint PRIMARY KEY);
  CREATE FUNCTION hot_rank(score int, published timestamp) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT score $$;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE INDEX posts_hot_idx ON posts (hot_rank(score, published));
  CREATE INDEX votes_hot_idx ON votes (id) WHERE hot_rank(score, now()::timestamp) > 0;
  CREATE TRIGGER votes_touch BEFORE UPDATE ON votes FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE TRIGGER untouched_touch BEFORE UPDATE ON untouched FOR EACH ROW EXECUTE FUNCTION touch();
`;

const exclusive = `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.granted AND l.mode = 'AccessExclusiveLock' AND c.relkind IN ('r', 'p') ORDER BY 1`;

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`DROP FUNCTION ... CASCADE on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it('drops the indexes and triggers that use the function, under ACCESS EXCLUSIVE on their tables, as migc says', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(setup);
      await expect(db.run('DROP FUNCTION hot_rank')).rejects.toThrow(/cannot drop function hot_rank\(integer,timestamp without time zone\) because other objects depend on it/);
      await db.run('BEGIN');
      await db.run('DROP FUNCTION hot_rank CASCADE');
      const afterRank = rowsOf(await db.run(exclusive)).map((r) => r.relname);
      await db.run('DROP FUNCTION touch CASCADE');
      const afterTouch = rowsOf(await db.run(exclusive)).map((r) => r.relname);
      await db.run('COMMIT');
      expect(afterRank).toEqual(['posts', 'votes']);
      expect(afterTouch).toEqual(['posts', 'untouched', 'votes']);
      expect(rowsOf(await db.run("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('posts_hot_idx', 'votes_hot_idx')"))[0]!.n).toBe(0);
      expect(rowsOf(await db.run("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname IN ('votes_touch', 'untouched_touch')"))[0]!.n).toBe(0);

      const files = { '1.sql': setup, '2.sql': "SET lock_timeout = '5s';\nDROP FUNCTION hot_rank CASCADE;\nDROP FUNCTION touch CASCADE;\n" };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const found = result.diagnostics.filter((d) => d.file === '2.sql' && d.code === 'MG243').map((d) => d.message);
      expect(found).toEqual([
        'DROP FUNCTION hot_rank CASCADE also drops index posts_hot_idx on posts and index votes_hot_idx on votes, with only a NOTICE, under an ACCESS EXCLUSIVE lock on posts and votes: the queries that used those indexes scan instead',
        'DROP FUNCTION touch CASCADE also drops trigger votes_touch on votes and trigger untouched_touch on untouched, with only a NOTICE, under an ACCESS EXCLUSIVE lock on votes and untouched: what those triggers did stops happening',
      ]);
      // The locks migc predicts for each DROP (src/sql/locks.ts), after the setup.
      const state = new SchemaState();
      const parsed = parseSql(setup);
      if (!parsed.ok) throw new Error(parsed.message);
      for (const s of parsed.statements) state.apply(s.ast, false);
      const predicted = (sql: string) => {
        const drop = parseSql(sql);
        if (!drop.ok) throw new Error(drop.message);
        const locks = predictLocks(drop.statements[0]!.ast, state).map((l) => `${l.table} ${l.mode}`).sort();
        state.apply(drop.statements[0]!.ast, false);
        return locks;
      };
      expect(predicted('DROP FUNCTION hot_rank CASCADE')).toEqual(['posts AccessExclusiveLock', 'votes AccessExclusiveLock']);
      expect(predicted('DROP FUNCTION touch CASCADE')).toEqual(['untouched AccessExclusiveLock', 'votes AccessExclusiveLock']);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG243 and rollbacks', () => {
  it('is quiet in a down file: it drops what its up made, the function and the trigger on it', async () => {
    await loadSqlParser();
    const files = {
      '1_a.up.sql': 'CREATE TABLE t (id int);\n',
      '2_b.up.sql': "SET lock_timeout = '1s';\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER t_f BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();\n",
      '2_b.down.sql': "SET lock_timeout = '1s';\nDROP FUNCTION f CASCADE;\n",
      '3_c.up.sql': "SET lock_timeout = '1s';\nCREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER t_g BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION g();\n",
      '4_d.up.sql': "SET lock_timeout = '1s';\nDROP FUNCTION g CASCADE;\n",
    };
    // In run order, as findMigrations gives them: each down after its up.
    const result = await lint({ files: ['1_a.up.sql', '2_b.up.sql', '2_b.down.sql', '3_c.up.sql', '4_d.up.sql'] }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG243').map((d) => `${d.file} ${d.message.split(',')[0]}`)).toEqual(['4_d.up.sql DROP FUNCTION g CASCADE also drops trigger t_g on t']);
  });
});
