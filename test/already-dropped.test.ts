import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { refusedStatements, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG244: a DROP of what an earlier statement seen already dropped (by name, with its column, its
 * table or a function CASCADE dropped, or renamed away), in folders of several files. Each case is
 * linted, then its files run statement by statement, in lint's order, on PostgreSQL (PGlite, and
 * the server of MIGC_TEST_DATABASE_URL): the statements that fail must be exactly those MG244
 * reports, each failing because the object does not exist. The cases where migc does not judge
 * (a down file of its own against what its up dropped) say so apart, below.
 */
interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  /** "file:line" of each MG244, in order. */
  readonly reported: readonly string[];
  /** Each MG244's message names the statement that dropped it (and where). */
  readonly by?: readonly RegExp[];
  /** "file:line" of the statements PostgreSQL refuses for another reason (MG237's). */
  readonly refusedOtherwise?: readonly string[];
}

const cases: Case[] = [
  {
    // The tenth trial's svix down migration, as a later migration.
    name: 'DROP COLUMN in a later file takes the index an earlier file made on the column',
    files: {
      '001_a.up.sql': 'CREATE TABLE t (id int, e int);\n',
      '002_b.up.sql': 'CREATE INDEX t_e ON t (e);\n',
      '003_c.up.sql': 'ALTER TABLE t DROP COLUMN e;\nDROP INDEX t_e;\n',
    },
    reported: ['003_c.up.sql:2'],
    by: [/^PostgreSQL refuses this statement: index t_e does not exist: ALTER TABLE t DROP COLUMN \(line 1\) dropped it with column e,/],
  },
  {
    name: 'an index on an expression of the column, and one a function CASCADE dropped',
    files: {
      '001_a.sql': "CREATE TABLE t (id int, v text, s int);\nCREATE INDEX t_lower ON t (lower(v));\nCREATE FUNCTION f(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';\nCREATE INDEX t_f ON t (f(s));\n",
      '002_b.sql': 'ALTER TABLE t DROP COLUMN v;\nDROP INDEX t_lower;\nDROP FUNCTION f CASCADE;\nDROP INDEX t_f;\n',
    },
    reported: ['002_b.sql:2', '002_b.sql:4'],
    by: [/ALTER TABLE t DROP COLUMN \(line 1\) dropped it with column v,/, /DROP FUNCTION f \(line 3\) dropped it with function f \(CASCADE\),/],
  },
  {
    name: 'a table dropped in one file, dropped again in the next (the message names the file)',
    files: {
      '001_a.sql': 'CREATE TABLE t (id int);\n',
      '002_b.sql': 'DROP TABLE t;\n',
      '003_c.sql': 'DROP TABLE t;\n',
    },
    reported: ['003_c.sql:1'],
    by: [/DROP TABLE t \(line 1 of 002_b\.sql\) dropped it,/],
  },
  {
    // svix's shape: the down undoes the up in the wrong order.
    name: 'a down file of its own that drops the column before the index its up made',
    files: {
      '001_a.up.sql': 'CREATE TABLE t (id int);\n',
      '002_b.up.sql': 'ALTER TABLE t ADD COLUMN e int;\nCREATE INDEX t_e ON t (e);\n',
      '002_b.down.sql': 'ALTER TABLE t DROP COLUMN e;\nDROP INDEX t_e;\n',
    },
    reported: ['002_b.down.sql:2'],
  },
  {
    // ente's first down migration: its DROP TABLE users is refused, so users' index is still there.
    name: 'a DROP TABLE PostgreSQL refuses (a foreign key references the table) drops no index',
    files: {
      '001_a.sql': 'CREATE TABLE t (id int PRIMARY KEY, c int);\nCREATE INDEX t_c ON t (c);\nCREATE TABLE r (t_id int REFERENCES t (id));\nCREATE TABLE s (id int, c int);\nCREATE INDEX t_s_c ON s (c);\n',
      '002_b.sql': 'DROP TABLE t;\nDROP TABLE s;\nDROP INDEX t_c;\nDROP INDEX t_s_c;\n',
    },
    reported: ['002_b.sql:4'],
    by: [/DROP TABLE s \(line 2\) dropped it with its table s,/],
    refusedOtherwise: ['002_b.sql:1'],
  },
  {
    // MusicBrainz renames each old index to the same temporary name, then drops it.
    name: 'an index migc never saw made, renamed to a name dropped before: the name is there again',
    files: {
      '001_a.sql': "CREATE TABLE t (id int, c int);\nCREATE INDEX t_c ON t (c);\nDO $$ BEGIN EXECUTE 'CREATE INDEX t_unseen ON t (id)'; END $$;\n",
      '002_b.sql': 'DROP INDEX t_c;\nALTER INDEX t_unseen RENAME TO t_c;\nDROP INDEX t_c;\n',
    },
    reported: [],
  },
  {
    name: 'a unique constraint makes an index of a name dropped before (which it then owns: MG237)',
    files: {
      '001_a.sql': 'CREATE TABLE t (id int, c int);\nCREATE INDEX t_c ON t (c);\n',
      '002_b.sql': 'DROP INDEX t_c;\nALTER TABLE t ADD CONSTRAINT t_c UNIQUE (c);\nDROP INDEX t_c;\n',
    },
    reported: [],
    refusedOtherwise: ['002_b.sql:3'],
  },
  {
    name: 'dropped, then made again by dynamic SQL migc cannot read: not judged',
    files: {
      '001_a.sql': 'CREATE TABLE t (id int, c int);\nCREATE INDEX t_c ON t (c);\n',
      '002_b.sql': "DROP INDEX t_c;\nDO $$ BEGIN EXECUTE 'CREATE INDEX t_c ON t (c)'; END $$;\nDROP INDEX t_c;\n",
    },
    reported: [],
  },
  {
    name: 'a rename away, then the same name made again, then dropped: no finding',
    files: {
      '001_a.sql': 'CREATE TABLE t (id int, c int);\nCREATE INDEX t_c ON t (c);\n',
      '002_b.sql': 'ALTER INDEX t_c RENAME TO t_c_old;\nCREATE INDEX t_c ON t (c);\nDROP INDEX t_c;\nDROP INDEX t_c_old;\n',
    },
    reported: [],
  },
];

async function linted(files: Record<string, string>) {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const found = result.diagnostics.filter((d) => d.code === 'MG244');
  return {
    result,
    at: found.map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}`),
    messages: found.map((d) => d.message),
    /** Every code on the lines MG244 reports. */
    onReported: result.diagnostics.filter((d) => found.some((f) => f.file === d.file && f.span!.start === d.span!.start)).map((d) => d.code),
  };
}

describe('MG244 across files', () => {
  it.each(cases)('$name', async (c) => {
    const { at, messages, onReported } = await linted(c.files);
    expect(at).toEqual(c.reported);
    for (const [i, by] of (c.by ?? []).entries()) expect(messages[i]).toMatch(by);
    // The refusal is said alone on its statement (MG202's lock, MG219's wait give way).
    expect(onReported).toEqual(c.reported.map(() => 'MG244'));
  });

  it('a down file of its own is not judged against what its up dropped: some tools run it at another point of the history', async () => {
    const { at } = await linted({
      '001_a.up.sql': 'CREATE TABLE t (id int, c int);\nCREATE INDEX t_c ON t (c);\n',
      '002_b.up.sql': 'DROP INDEX t_c;\n',
      '002_b.down.sql': 'DROP INDEX t_c;\n',
    });
    expect(at).toEqual([]);
  });

  it('DROP ... IF EXISTS of what is gone: no finding (PostgreSQL skips it), and no lock', async () => {
    const { result, at } = await linted({
      '001_a.sql': 'CREATE TABLE t (id int, e int);\nCREATE INDEX t_e ON t (e);\n',
      '002_b.sql': "SET lock_timeout = '5s';\nALTER TABLE t DROP COLUMN e;\nDROP INDEX IF EXISTS t_e;\n",
    });
    expect(at).toEqual([]);
    expect(result.diagnostics.filter((d) => d.file === '002_b.sql' && result.sources.get(d.file)!.position(d.span!.start).line === 3)).toEqual([]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG244's cases on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async (c) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      // Lint's order: each up, then its down.
      const refused = await refusedStatements(db, c.files);
      const failed = refused.filter((r) => /does not exist/.test(r.message));
      for (const { message } of failed) expect(message).toMatch(/^(index|table) "t(_\w+)?" does not exist/);
      const otherwise = refused.filter((r) => !failed.includes(r)).map((r) => r.at);
      expect(failed.map((r) => r.at)).toEqual(c.reported);
      expect(otherwise).toEqual(c.refusedOtherwise ?? []);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
