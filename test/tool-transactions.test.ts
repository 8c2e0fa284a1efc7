import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMigrations } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { flywayRunsOutsideTransaction, flywayScriptTransaction } from '../src/lint-flyway.js';
import { loadSqlParser, parseSql, type ParsedStatement } from '../src/sql/parser.js';
import { root } from './helpers.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * How `migc lint --file-transaction` models the transaction a migration tool runs a file in:
 * Flyway's scripts that it runs outside a transaction for what they hold, and what a COMMIT in a
 * file the tool wraps leaves open after it, tool by tool. test/fixtures/tool-transactions/<case>/
 * holds one migration folder per case.
 */
const fixtures = `${root}test/fixtures/tool-transactions`;

async function lintCase(dir: string, options: { fileTransaction?: boolean; fileQueryString?: boolean; postgres?: number } = { fileTransaction: true }) {
  const cwd = `${fixtures}/${dir}`;
  const { files, rollbacks } = await findMigrations(['.'], cwd);
  const { postgres, ...how } = options;
  const result = await lint({ files, rollbacks, ...how, ...(postgres ? { config: { postgres } } : {}) }, nodeHost(cwd));
  // MG221 (a CONCURRENTLY build not safe to re-run) holds in and out of a transaction: the
  // fixtures' builds are written IF NOT EXISTS, and these cases are about the transactions.
  return result.diagnostics.filter((d) => d.code !== 'MG221').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.severity} ${d.code} ${d.message}`);
}

function statementsOf(sql: string): readonly ParsedStatement[] {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.statements;
}

describe('which statements Flyway runs outside a transaction (PostgreSQLParser.detectCanExecuteInTransaction)', () => {
  beforeAll(() => loadSqlParser());
  const outside = (sql: string, postgres = 15) => flywayRunsOutsideTransaction(statementsOf(sql)[0]!.ast, postgres);

  it('its list, read from the parse tree', () => {
    for (const sql of [
      'CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)', 'DROP INDEX CONCURRENTLY IF EXISTS i',
      'REINDEX SCHEMA public', 'REINDEX (VERBOSE) DATABASE app', 'REINDEX SYSTEM app', 'VACUUM', 'VACUUM (ANALYZE) t', 'DISCARD ALL',
      'CREATE DATABASE app', 'DROP DATABASE IF EXISTS app', "CREATE TABLESPACE fast LOCATION '/ssd'", 'DROP TABLESPACE fast',
      "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", 'DROP SUBSCRIPTION s', "ALTER SYSTEM SET work_mem = '64MB'",
    ]) expect(outside(sql), sql).toBe(true);
  });

  it('what it does not list runs in the script\'s transaction, even where PostgreSQL refuses it there', () => {
    for (const sql of [
      'CREATE INDEX i ON t (a)', 'DROP INDEX i', 'REINDEX INDEX CONCURRENTLY i', 'REINDEX TABLE t', 'ANALYZE t', 'DISCARD PLANS',
      'ALTER TABLE p DETACH PARTITION c CONCURRENTLY', "ALTER TYPE mood RENAME VALUE 'a' TO 'b'", 'CREATE TABLE t (id int)', "SET lock_timeout = '5s'",
    ]) expect(outside(sql), sql).toBe(false);
  });

  it('ALTER TYPE ... ADD VALUE outside a transaction only before PostgreSQL 12, as Flyway asks the server', () => {
    expect(outside("ALTER TYPE mood ADD VALUE 'x'", 11)).toBe(true);
    expect(outside("ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'x' AFTER 'a'", 11)).toBe(true);
    expect(outside("ALTER TYPE mood ADD VALUE 'x'", 12)).toBe(false);
  });

  it('a script is run in a transaction, outside one, or mixed; a mixed one names the first of each kind', () => {
    expect(flywayScriptTransaction(statementsOf('CREATE TABLE t (id int); CREATE INDEX i ON t (id);'), 15).kind).toBe('transaction');
    expect(flywayScriptTransaction(statementsOf('VACUUM t; CREATE INDEX CONCURRENTLY i ON t (id);'), 15).kind).toBe('none');
    const mixed = flywayScriptTransaction(statementsOf("SET lock_timeout = '5s'; SELECT 1; CREATE INDEX CONCURRENTLY i ON t (id);"), 15);
    expect(mixed.kind === 'mixed' && [mixed.outside.text, mixed.inside.text]).toEqual(['CREATE INDEX CONCURRENTLY i ON t (id)', "SET lock_timeout = '5s'"]);
  });
});

describe('Flyway scripts under --file-transaction', () => {
  it('a script of CREATE INDEX CONCURRENTLY alone runs outside a transaction: no MG204 (the trial\'s r4)', async () => {
    expect(await lintCase('flyway-concurrently-alone')).toEqual([]);
  });

  it('a script of statements Flyway runs outside a transaction only (VACUUM, DROP/CREATE INDEX CONCURRENTLY)', async () => {
    expect(await lintCase('flyway-outside-only')).toEqual([]);
  });

  it('a script that mixes both kinds is MG026, and is judged as mixed=true runs it: outside a transaction', async () => {
    expect(await lintCase('flyway-mixed')).toEqual([
      'V2__idx.sql:2 error MG026 Flyway runs CREATE INDEX CONCURRENTLY outside a transaction but the statement at line 1 inside one, and refuses a script that mixes both ("Detected both transactional and non-transactional statements within the same migration") unless mixed=true; with mixed=true it runs the whole script outside a transaction, as migc lints it',
    ]);
    // A project that sets mixed=true turns it down in its config.
    const cwd = `${fixtures}/flyway-mixed`;
    const result = await lint({ files: ['V1__t.sql', 'V2__idx.sql'], fileTransaction: true, config: { rules: { MG026: 'warning' } } }, nodeHost(cwd));
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['MG026 warning', 'MG221 warning']);
  });

  it('a -- migc-ignore MG026 comment before the statement it is reported on turns it into a note; without a reason it is MG035', async () => {
    const mixed = "SET lock_timeout = '5s';\n-- migc-ignore MG026: mixed=true in flyway.conf\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n";
    const found = async (text: string) => (await lint({ files: ['V2__idx.sql'], fileTransaction: true }, memoryHost({ 'V2__idx.sql': text }))).diagnostics.filter((d) => d.code !== 'MG221').map((d) => `${d.code} ${d.severity} ${d.message}`);
    expect(await found(mixed)).toEqual([expect.stringMatching(/^MG026 info ignored \(mixed=true in flyway\.conf\): Flyway runs CREATE INDEX CONCURRENTLY outside a transaction/)]);
    expect(await found(mixed.replace(': mixed=true in flyway.conf', ''))).toEqual(['MG035 error migc-ignore MG026 gives no reason']);
    // Before another statement, it is that statement's.
    expect(await found(`-- migc-ignore MG026: mixed=true in flyway.conf\n${mixed.replace(/-- migc-ignore.*\n/, '')}`)).toEqual([expect.stringMatching(/^MG026 error Flyway runs CREATE INDEX CONCURRENTLY outside a transaction/)]);
  });

  it('without --file-transaction, Flyway\'s scripts are read as psql runs them: no MG026', async () => {
    expect(await lintCase('flyway-mixed', {})).toEqual([]);
  });

  it('executeInTransaction=true in the .conf keeps the script in a transaction, and REINDEX INDEX CONCURRENTLY is not on Flyway\'s list', async () => {
    expect(await lintCase('flyway-in-transaction')).toEqual([
      'V2__idx.sql:1 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      'V3__reindex.sql:2 error MG204 REINDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
  });

  it('with --postgres 11, a script of ALTER TYPE ... ADD VALUE only runs outside a transaction: no MG228 (kestra\'s V1_8 and others)', async () => {
    expect(await lintCase('flyway-enum', { fileTransaction: true, postgres: 11 })).toEqual([
      'V3__add_value_and_table.sql:1 error MG026 Flyway runs ALTER TYPE ... ADD VALUE outside a transaction but the statement at line 2 inside one, and refuses a script that mixes both ("Detected both transactional and non-transactional statements within the same migration") unless mixed=true; with mixed=true it runs the whole script outside a transaction, as migc lints it',
    ]);
    // From 12 Flyway runs them in the script's transaction, where PostgreSQL takes them.
    expect(await lintCase('flyway-enum', { fileTransaction: true, postgres: 15 })).toEqual([]);
    // The same text in a file of no tool migc knows stays in the tool's transaction: MG228 on 11.
    const text = readFileSync(`${fixtures}/flyway-enum/V2__add_values.sql`, 'utf8');
    const result = await lint({ files: ['m/0002_add_values.sql'], fileTransaction: true, config: { postgres: 11 } }, memoryHost({ 'm/0002_add_values.sql': text }));
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['MG228 error', 'MG228 error']);
  });
});

describe('a COMMIT in a file the tool runs in a transaction, tool by tool', () => {
  // The trial's r1 (heroiclabs/nakama's sql-migrate fork): CREATE TABLE; COMMIT; CREATE INDEX CONCURRENTLY; BEGIN.
  const commitWarning = 'COMMIT in a file the migration tool runs in a transaction (--file-transaction): it commits the tool\'s transaction before the file ends, so a failure after it leaves the migration half applied and not recorded as run';

  it('sql-migrate and goose send each statement on its own: after the COMMIT, autocommit until the BEGIN, which the tool\'s COMMIT ends', async () => {
    const next = '; the tool sends each statement on its own, so the ones after it run outside a transaction, each committed as it runs, until a BEGIN';
    expect(await lintCase('commit-sql-migrate')).toEqual([`20240101000000-x.sql:3 warning MG226 ${commitWarning}${next}`]);
    expect(await lintCase('commit-goose')).toEqual([`20240101000000_x.sql:3 warning MG226 ${commitWarning}${next}`]);
  });

  it('dbmate sends the part as one query string: the rest of it runs in a new implicit transaction', async () => {
    expect(await lintCase('commit-dbmate')).toEqual([
      `20240101000000_x.sql:3 warning MG226 ${commitWarning}; the tool sends the part as one query string, so PostgreSQL runs the rest of it in a new implicit transaction`,
      '20240101000000_x.sql:4 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: the tool sends the part as one query string, and after the COMMIT at line 3 PostgreSQL runs the rest of it in a new implicit transaction, where it refuses this statement; the migration fails here',
    ]);
  });

  it('Liquibase (JDBC without autocommit): the driver begins a new transaction before the next statement', async () => {
    expect(await lintCase('commit-liquibase')).toEqual([
      `changelog.sql:4 warning MG226 ${commitWarning}; the driver (JDBC without autocommit) begins a new transaction for the statements after it`,
      'changelog.sql:5 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: after the COMMIT at line 4 the driver (JDBC without autocommit) begins a new transaction before the next statement, where PostgreSQL refuses this one; the migration fails here',
      'changelog.sql:6 warning MG226 BEGIN after the COMMIT at line 4: the driver (JDBC without autocommit) has begun a new transaction before it, so PostgreSQL ignores it with a warning',
    ]);
  });

  it('a tool migc cannot tell: a new transaction is assumed, as before, and the messages say so', async () => {
    expect(await lintCase('commit-unknown-tool')).toEqual([
      `20240101000000_x.sql:2 warning MG226 ${commitWarning}`,
      '20240101000000_x.sql:3 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: after the COMMIT at line 2 migc takes the tool to run the next statements in a new transaction (as a JDBC driver without autocommit does), where PostgreSQL refuses this one; a tool that sends each statement on its own (goose, sql-migrate) would run it outside one',
      '20240101000000_x.sql:4 warning MG226 BEGIN after the COMMIT at line 2: migc takes the tool to have begun a new transaction before it (as a JDBC driver without autocommit does), where PostgreSQL ignores it with a warning; a tool that sends each statement on its own (goose, sql-migrate) would begin one here',
    ]);
  });

  it('golang-migrate (--file-query-string) sends the file as one string, in no transaction of its own: the rest after the COMMIT is one implicit transaction', async () => {
    expect(await lintCase('commit-golang-migrate', { fileQueryString: true })).toEqual([
      // Above the COMMIT only what runs twice (IF NOT EXISTS): a re-run stops at nothing, but the file is half applied.
      '1_x.up.sql:2 warning MG226 COMMIT in a file the migration tool sends as one query string: it commits the statements above it on their own, so a failure after it leaves the migration half applied, recorded as failed (or not at all), and a re-run of the file starts again from the top',
      '1_x.up.sql:3 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '1_x.up.sql:4 error MG226 the file ends inside the transaction begun at line 4: nothing commits it, so when the session ends PostgreSQL rolls it back; unless a statement failed, psql exits with 0 all the same, and a migration tool may record the migration as run',
    ]);
  });
});

describe('postgres-migrations under --file-transaction', () => {
  it('a file with -- postgres-migrations disable-transaction is one query string outside a transaction; the others are in one', async () => {
    expect(await lintCase('postgres-migrations')).toEqual([
      // Outside a transaction the DO block may commit: no MG226. Each UPDATE still locks its rows until its COMMIT.
      '0003-backfill.sql:5 warning MG112 UPDATE over objects (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
      '0003-backfill.sql:7 warning MG112 UPDATE over objects (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
      // One query string of two statements: an implicit transaction.
      '0004-two-statements.sql:4 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '0005-unmarked.sql:2 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
  });
});

/**
 * The same folder run as postgres-migrations runs it (runMigration: START TRANSACTION, the file as
 * one query, COMMIT; or the file alone when it holds the marker), on PGlite and the server of
 * MIGC_TEST_DATABASE_URL: the files the server refuses are the files migc reports an error in.
 */
for (const engine of sqlEngines()) {
  describe(`postgres-migrations' files on ${engine.name}`, () => {
    it('fail exactly where migc lint --file-transaction reports an error', async () => {
      const dir = `${fixtures}/postgres-migrations`;
      const { files } = await findMigrations(['.'], dir);
      const db = await engine.open();
      const failed: string[] = [];
      try {
        for (const file of files) {
          const sql = readFileSync(`${dir}/${file}`, 'utf8');
          const wrapped = !sql.includes('-- postgres-migrations disable-transaction');
          try {
            if (wrapped) await db.run('START TRANSACTION');
            await db.run(sql);
            if (wrapped) await db.run('COMMIT');
          } catch {
            failed.push(file);
            if (wrapped) await db.run('ROLLBACK');
          }
        }
      } finally {
        await db.close();
      }
      const errors = (await lintCase('postgres-migrations')).filter((d) => / error /.test(d)).map((d) => d.slice(0, d.indexOf(':')));
      expect(failed).toEqual(['0004-two-statements.sql', '0005-unmarked.sql']);
      expect(errors).toEqual(failed);
    });
  });
}

/**
 * What the server does with the trial's r1 as each kind of tool sends it, on PGlite and the server
 * of MIGC_TEST_DATABASE_URL; every string is sent with the simple query protocol (PGlite's exec, pg's
 * query without parameters), as the tools' drivers send a statement without parameters.
 */
const create = 'CREATE TABLE IF NOT EXISTS t (id int)';
const concurrently = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id_idx ON t (id)';
const refused = /CREATE INDEX CONCURRENTLY cannot run inside a transaction block/;

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`a COMMIT inside the tool's transaction, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    const fresh = () => db.run('ROLLBACK; DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS u;');
    const tableExists = async (table: string) => {
      await db.run(`SELECT 1 FROM ${table}`);
      return true;
    };

    it('each statement sent on its own (goose, sql-migrate): after COMMIT the index builds outside a transaction; BEGIN opens one the tool\'s COMMIT ends', async () => {
      await fresh();
      await db.run('BEGIN'); // the tool's
      await db.run(create);
      await db.run('COMMIT');
      await db.run(concurrently);
      await db.run('BEGIN');
      // In a transaction block again: SAVEPOINT is taken (it is refused outside one).
      await db.run('SAVEPOINT s');
      await db.run('CREATE TABLE u (id int)');
      await db.run('COMMIT'); // the tool's
      expect(await tableExists('u')).toBe(true);
      await expect(db.run('SAVEPOINT s')).rejects.toThrow(/SAVEPOINT can only be used in transaction blocks/);
    });

    it('the part sent as one query string in the tool\'s transaction (dbmate): the rest after COMMIT is an implicit transaction, and CONCURRENTLY is refused', async () => {
      await fresh();
      await db.run('BEGIN'); // the tool's
      await expect(db.run(`${create}; COMMIT; ${concurrently}; BEGIN;`)).rejects.toThrow(refused);
      await db.run('ROLLBACK');
      // What the COMMIT committed stays.
      expect(await tableExists('t')).toBe(true);
    });

    // lint reports nothing else of a part sent as one query string that does not parse (test/lint-layouts.test.ts).
    it('a query string with a syntax error anywhere runs none of it: PostgreSQL parses it whole first', async () => {
      await fresh();
      await expect(db.run('CREATE TABLE u (id int); ALTER TABLE u DROP COLUMN IF NOT EXISTS id;')).rejects.toThrow(/syntax error at or near "NOT"/);
      await expect(tableExists('u')).rejects.toThrow(/relation "u" does not exist/);
    });

    it('the file as one query string in no transaction of the tool\'s (golang-migrate): refused the same', async () => {
      await fresh();
      await expect(db.run(`${create}; COMMIT; ${concurrently}; BEGIN;`)).rejects.toThrow(refused);
    });

    it('JDBC without autocommit (Flyway, Liquibase) sends BEGIN again before the next statement: refused', async () => {
      await fresh();
      await db.run('BEGIN');
      await db.run(create);
      await db.run('COMMIT');
      await db.run('BEGIN'); // pgjdbc's, as the session is idle and autocommit is off
      await expect(db.run(concurrently)).rejects.toThrow(refused);
      await db.run('ROLLBACK');
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
