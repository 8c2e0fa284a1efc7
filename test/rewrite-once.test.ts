import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * An ALTER TABLE that changes the type of several columns rewrites its table once, not once per
 * column: MG212 says so in one finding that names them all (the fifteenth trial: UPchieve's
 * statement of 128 timestamp columns drew 128 findings). Held against PostgreSQL: a table_rewrite
 * event trigger counts the rewrites.
 */
const created = 'CREATE TABLE users (id int PRIMARY KEY, created_at timestamp, updated_at timestamp, score int, note varchar(10));\nINSERT INTO users VALUES (1, now(), now(), 1, \'x\');\n';
const statement = 'ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz, ALTER COLUMN updated_at TYPE timestamptz, ALTER COLUMN score TYPE bigint, ALTER COLUMN note TYPE text;';

async function findings(sql: string): Promise<string[]> {
  await loadSqlParser();
  const files = { '1.sql': created, '2.sql': `SET lock_timeout = '5s';\n${sql}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG212').map((d) => `${d.severity} ${d.message}`);
}

describe('a statement that rewrites its table for several columns', () => {
  it('is one MG212, at the first, naming the changes (note, to text, rewrites nothing)', async () => {
    expect(await findings(statement)).toEqual([
      'error changing users.created_at from timestamp to timestamptz, users.updated_at from timestamp to timestamptz and users.score from integer to bigint rewrites users (no size hint: assumed large; the files put 1 row in it, all by INSERT ... VALUES) and its indexes once, for all of them, under an ACCESS EXCLUSIVE lock',
    ]);
  });

  it('names three changes and counts the rest', async () => {
    const many = `ALTER TABLE users ${['created_at', 'updated_at'].map((c) => `ALTER COLUMN ${c} TYPE timestamptz`).join(', ')}, ALTER COLUMN score TYPE bigint, ALTER COLUMN id TYPE bigint;`;
    expect(await findings(many)).toEqual([
      'error changing users.created_at from timestamp to timestamptz, users.updated_at from timestamp to timestamptz, users.score from integer to bigint and 1 more rewrites users (no size hint: assumed large; the files put 1 row in it, all by INSERT ... VALUES) and its indexes once, for all of them, under an ACCESS EXCLUSIVE lock',
    ]);
  });

  it('of timestamps alone: one finding that rewrites unless the session is in UTC', async () => {
    expect(await findings('ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz, ALTER COLUMN updated_at TYPE timestamptz;')).toEqual([
      'error changing users.created_at from timestamp to timestamptz and users.updated_at from timestamp to timestamptz rewrites users (no size hint: assumed large; the files put 1 row in it, all by INSERT ... VALUES) and its indexes once, for all of them, under an ACCESS EXCLUSIVE lock, unless the session\'s TimeZone is UTC (then PostgreSQL 14 changes only the catalog), which nothing before it in the file sets',
    ]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`the rewrites, counted on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it('are one for the statement', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      await db.run(`CREATE TABLE rewrites (n int);
        CREATE FUNCTION count_rewrite() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rewrites VALUES (1); END $$;
        CREATE EVENT TRIGGER count_rewrites ON table_rewrite EXECUTE FUNCTION count_rewrite();`);
      try {
        await db.run("SET timezone = 'Europe/Paris'");
        await db.run(statement);
        expect(rowsOf(await db.run('SELECT count(*)::int AS n FROM rewrites'))[0]!.n).toBe(1);
      } finally {
        await db.run('DROP EVENT TRIGGER count_rewrites; RESET timezone;');
      }
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
