import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { brief, compileFiles, oneStepPlan } from './helpers.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A function or procedure a migration creates and then calls (src/analyze/sql/routines.ts): the
 * call runs its body, so the body's statements are judged at the call as a DO block's are, in the
 * caller's transaction, and learnt from. What the tests say PostgreSQL does (a body runs in the
 * caller's transaction; CONCURRENTLY is refused in a function) is checked on PGlite and, with
 * MIGC_TEST_DATABASE_URL, on the server.
 */

/** An earlier migration's tables: existing, so their size matters. */
const schema = 'CREATE TABLE ticket (id bigserial PRIMARY KEY, ticket_id text);\nCREATE TABLE oauth_access_token (id int);\n';

/** The pattern of reportportal's migrations: create, call, drop. */
const cleanup = `CREATE OR REPLACE FUNCTION cleanup() RETURNS void AS $$
BEGIN
  IF (SELECT count(*) FROM oauth_access_token) = 0 THEN
    EXECUTE 'DROP TABLE oauth_access_token';
  END IF;
  UPDATE ticket SET ticket_id = lower(ticket_id);
END;
$$ LANGUAGE plpgsql;
SELECT cleanup();
DROP FUNCTION IF EXISTS cleanup;
`;

async function lintFiles(files: Record<string, string>, options: { fileTransaction?: boolean } = {}) {
  const all = { '1_schema.sql': schema, ...files };
  const result = await lint({ files: Object.keys(all), ...options }, memoryHost(all));
  const where = (file: string, offset: number) => {
    const at = result.sources.get(file)!.position(offset);
    return `${file}:${at.line}:${at.column}`;
  };
  return result.diagnostics.filter((d) => d.file !== '1_schema.sql' && d.severity !== 'info').map((d) => ({
    at: where(d.file, d.span!.start), code: d.code, message: d.message, help: d.help ?? '',
    related: d.related?.[0] ? `${where(d.related[0].file, d.related[0].span!.start)} ${d.related[0].message}` : undefined,
  }));
}

const short = (f: { at: string; code: string }) => `${f.at} ${f.code}`;

describe('a function the files create and call, in lint', () => {
  it('judges the body at the call: the UPDATE where it is written, the EXECUTE\'d DROP TABLE at the EXECUTE', async () => {
    const found = await lintFiles({ '2_cleanup.sql': cleanup });
    expect(found.map(short)).toEqual([
      '2_cleanup.sql:4:5 MG214', // DROP TABLE, run by the EXECUTE
      '2_cleanup.sql:4:5 MG219', // its ACCESS EXCLUSIVE wait, no lock_timeout
      '2_cleanup.sql:6:3 MG112', // the UPDATE of every row
      '2_cleanup.sql:6:3 MG214',
    ]);
    const update = found.find((f) => f.code === 'MG112')!;
    expect(update.message).toBe('UPDATE over ticket (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits');
    expect(update.related).toBe("2_cleanup.sql:9:1 in the body of function cleanup(), run by this call in the caller's transaction");
    // The DROP stands in an IF branch: it may not run.
    expect(found.find((f) => f.code === 'MG214')!.related).toContain('in a branch, loop or handler, or a call made for each row');
  });

  it('finds what a DO block with the same statements finds', async () => {
    const block = 'DO $$\nBEGIN\n  IF (SELECT count(*) FROM oauth_access_token) = 0 THEN\n    EXECUTE \'DROP TABLE oauth_access_token\';\n  END IF;\n  UPDATE ticket SET ticket_id = lower(ticket_id);\nEND;\n$$;\n';
    const codes = (found: { at: string; code: string }[]) => found.map((f) => `${f.at.split(':').slice(1).join(':')} ${f.code}`);
    expect(codes(await lintFiles({ '2_cleanup.sql': cleanup }))).toEqual(codes(await lintFiles({ '2_block.sql': block })));
  });

  it('judges nothing of a function never called, nor of one dropped before the call', async () => {
    const created = cleanup.replace('SELECT cleanup();\n', '');
    expect(await lintFiles({ '2_cleanup.sql': created })).toEqual([]);
    const dropped = `${created}SELECT cleanup();\n`;
    expect(await lintFiles({ '2_cleanup.sql': dropped })).toEqual([]);
    // Dropped by its arguments, or replaced by a body that does nothing.
    expect(await lintFiles({ '2_cleanup.sql': cleanup.replace('DROP FUNCTION IF EXISTS cleanup;\n', 'DROP FUNCTION cleanup();\nSELECT cleanup();\n').replace('SELECT cleanup();\nDROP', 'DROP') })).toEqual([]);
    const replaced = `${cleanup.replace('SELECT cleanup();\nDROP FUNCTION IF EXISTS cleanup;\n', '')}CREATE OR REPLACE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;\nSELECT cleanup();\n`;
    expect(await lintFiles({ '2_cleanup.sql': replaced })).toEqual([]);
  });

  it('learns what the body does: a later statement sees the column it added', async () => {
    const adds = `CREATE FUNCTION add_note() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  ALTER TABLE oauth_access_token ADD COLUMN note text;
END $$;
SET lock_timeout = '2s';
SELECT add_note();
ALTER TABLE oauth_access_token DROP COLUMN note;
`;
    // Without the call the column is not there, and PostgreSQL refuses the DROP COLUMN (MG238).
    expect((await lintFiles({ '2_note.sql': adds.replace('SELECT add_note();', 'SELECT 1;') })).map(short)).toContain('2_note.sql:7:1 MG238');
    expect((await lintFiles({ '2_note.sql': adds })).map(short)).not.toContain('2_note.sql:7:1 MG238');
  });

  it('takes a call made for each row as a loop, and a call in FROM as one call', async () => {
    const fn = 'CREATE FUNCTION touch(t_id bigint) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE ticket SET ticket_id = upper(ticket_id);\nEND $$;\n';
    const perRow = (await lintFiles({ '2_touch.sql': `${fn}SELECT touch(id) FROM ticket;\n` })).find((f) => f.code === 'MG112')!;
    expect(perRow.message).toBe("UPDATE over ticket (no size hint: assumed large), in function touch() run many times (a loop, or a call for each row), holds row locks on every row it touches pass after pass, until the caller's transaction commits");
    const once = (await lintFiles({ '2_touch.sql': `${fn}SELECT * FROM touch(1);\n` })).find((f) => f.code === 'MG112')!;
    expect(once.message).toContain('in one statement');
  });

  it('reads a PERFORM in a DO block, a procedure\'s CALL, a LANGUAGE sql body and a function another calls', async () => {
    const perform = `CREATE FUNCTION cleanup() RETURNS void LANGUAGE sql AS $$
  UPDATE ticket SET ticket_id = lower(ticket_id);
$$;
CREATE PROCEDURE purge() LANGUAGE plpgsql AS $$
BEGIN
  PERFORM cleanup();
END $$;
DO $$ BEGIN PERFORM cleanup(); END $$;
`;
    // The DO block's PERFORM (line 8) runs the LANGUAGE sql body.
    expect((await lintFiles({ '2_calls.sql': perform })).filter((f) => f.code === 'MG112').map((f) => `${f.at} ${f.related}`)).toEqual([
      "2_calls.sql:2:3 2_calls.sql:8:13 in the body of function cleanup(), run by this call in the caller's transaction",
    ]);
    // The procedure's CALL runs it through the procedure's PERFORM (line 6).
    const called = await lintFiles({ '2_calls.sql': perform.replace('DO $$ BEGIN PERFORM cleanup(); END $$;', 'CALL purge();') });
    expect(called.filter((f) => f.code === 'MG112').map((f) => `${f.at} ${f.related}`)).toEqual([
      "2_calls.sql:2:3 2_calls.sql:6:3 in the body of function cleanup(), run by this call in the caller's transaction",
    ]);
  });

  it('tells overloads apart by how many arguments the call passes', async () => {
    const overloads = `CREATE FUNCTION fix() RETURNS void LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION fix(upper_case boolean, only_id bigint DEFAULT NULL) RETURNS void LANGUAGE sql AS 'UPDATE ticket SET ticket_id = upper(ticket_id)';
SELECT fix();
`;
    expect(await lintFiles({ '2_fix.sql': overloads })).toEqual([]);
    // The UPDATE in the second one's single-quoted body, where it is written.
    const column = overloads.split('\n')[1]!.indexOf('UPDATE') + 1;
    for (const call of ['SELECT fix(true);', 'SELECT fix(true, 7);']) {
      expect((await lintFiles({ '2_fix.sql': overloads.replace('SELECT fix();', call) })).map(short), call).toContain(`2_fix.sql:2:${column} MG112`);
    }
  });

  it('reports a body\'s finding once, however often the function is called', async () => {
    const twice = cleanup.replace('SELECT cleanup();\n', 'SELECT cleanup();\nSELECT cleanup();\n');
    expect((await lintFiles({ '2_cleanup.sql': twice })).map(short)).toEqual((await lintFiles({ '2_cleanup.sql': cleanup })).map(short));
  });

  it('judges a function that calls itself once, and stops', async () => {
    const recursive = `CREATE FUNCTION again(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket SET ticket_id = lower(ticket_id);
  IF n > 0 THEN PERFORM again(n - 1); END IF;
END $$;
SELECT again(3);
`;
    expect((await lintFiles({ '2_again.sql': recursive })).map(short)).toEqual(['2_again.sql:3:3 MG112', '2_again.sql:3:3 MG214']);
  });

  it('places at the call the statements of a function another migration created, pointing at its CREATE', async () => {
    const create = cleanup.replace('SELECT cleanup();\nDROP FUNCTION IF EXISTS cleanup;\n', '');
    const found = await lintFiles({ '2_create.sql': create, '3_call.sql': "SET lock_timeout = '2s';\nSELECT cleanup();\n" });
    expect(found.map(short)).toEqual(['3_call.sql:2:1 MG112', '3_call.sql:2:1 MG214', '3_call.sql:2:1 MG214']);
    expect(found[0]!.related).toBe("2_create.sql:1:1 the body of function cleanup(), created here, runs at this call in the caller's transaction");
  });

  it('says PostgreSQL refuses CONCURRENTLY in a function (MG204)', async () => {
    const concurrently = "CREATE FUNCTION build() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  CREATE INDEX CONCURRENTLY ticket_id_idx ON ticket (ticket_id);\nEND $$;\nSELECT build();\n";
    for (const fileTransaction of [false, true]) {
      expect((await lintFiles({ '2_build.sql': concurrently }, { fileTransaction })).find((f) => f.code === 'MG204')).toMatchObject({
        at: '2_build.sql:3:3',
        message: "CREATE INDEX CONCURRENTLY cannot run inside function build(): PostgreSQL refuses it in a function (which runs in the caller's transaction), and the migration fails at the call",
      });
    }
  });
});

describe('a function a plan creates and calls', () => {
  const plan = (sql: string) => oneStepPlan('routines', 'CREATE TABLE ticket (id bigserial PRIMARY KEY, ticket_id text);', sql);

  it('judges the body\'s statements at their line in the plan', async () => {
    const sql = 'CREATE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE ticket SET ticket_id = lower(ticket_id);\nEND $$;\nSELECT cleanup();';
    const found = brief(await compileFiles({ 'plans/p.yaml': plan(sql) }));
    // The step's SQL starts on line 16: the UPDATE is on line 18, at column 13.
    expect(found).toContainEqual(expect.stringMatching(/^18:13 \w+ MG112 UPDATE over ticket/));
    const uncalled = brief(await compileFiles({ 'plans/p.yaml': plan(sql.replace('\nSELECT cleanup();', '')) }));
    expect(uncalled.filter((d) => d.includes('MG112'))).toEqual([]);
  });
});

describe('what PostgreSQL does with a function\'s body', () => {
  const engines = sqlEngines();
  const open: SqlEngine[] = [];
  beforeAll(async () => {
    for (const e of engines) open.push(await e.open());
  });
  afterAll(async () => {
    for (const e of open) await e.close();
  });

  it('runs it in the caller\'s transaction, in PL/pgSQL and in SQL', async () => {
    for (const [i, db] of open.entries()) {
      await db.run(`CREATE TABLE ticket (id int);
CREATE FUNCTION add_plpgsql() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ticket VALUES (1); END $$;
CREATE FUNCTION add_sql() RETURNS void LANGUAGE sql AS $$ INSERT INTO ticket VALUES (2) $$;`);
      await db.run('BEGIN; SELECT add_plpgsql(); SELECT add_sql(); ROLLBACK;');
      expect(rowsOf(await db.run('SELECT count(*)::int AS n FROM ticket')), engines[i]!.name).toEqual([{ n: 0 }]);
    }
  });

  it('refuses CREATE INDEX CONCURRENTLY in a function: "cannot be executed from a function"', async () => {
    for (const [i, db] of open.entries()) {
      await db.run(`CREATE TABLE t (a int);
CREATE FUNCTION build_plpgsql() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE INDEX CONCURRENTLY t_a_idx ON t (a); END $$;
CREATE FUNCTION build_sql() RETURNS void LANGUAGE sql AS $$ CREATE INDEX CONCURRENTLY t_a_idx ON t (a) $$;`);
      for (const call of ['SELECT build_plpgsql()', 'SELECT build_sql()']) {
        await expect(db.run(call), `${engines[i]!.name}: ${call}`).rejects.toThrow(/CREATE INDEX CONCURRENTLY cannot be executed from a function/);
      }
    }
  });
});
