import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * ALTER TABLE (TYPE, VIEW) ... SET SCHEMA: on the engines, queries by the old name fail once it
 * commits, as after a rename (MG213), unless a view takes the old name in the same transaction;
 * the table takes its indexes and the sequence of its serial column along. migc's schema state
 * follows the move: later statements on the new name know the table, its column types and indexes.
 */
const before = `
  DROP VIEW IF EXISTS users; DROP SCHEMA IF EXISTS archive CASCADE; DROP TABLE IF EXISTS users; DROP TYPE IF EXISTS mood;
  CREATE TYPE mood AS ENUM ('happy');
  CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, name text, feeling mood);
  CREATE INDEX users_email_idx ON users (email);
  INSERT INTO users (email, name) VALUES ('a@example.com', 'Ann');
  CREATE SCHEMA archive;`;

const move = `
  ALTER TABLE users SET SCHEMA archive;
  ALTER TYPE mood SET SCHEMA archive;`;

const files = {
  '001_init.sql': `CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, name text);
CREATE INDEX users_email_idx ON users (email);
CREATE TYPE mood AS ENUM ('happy');
CREATE SCHEMA archive;
`,
  '002_move.sql': `ALTER TABLE users SET SCHEMA archive;
ALTER TYPE mood SET SCHEMA archive;
ALTER TABLE archive.users ALTER COLUMN name TYPE varchar(10);
DROP INDEX archive.users_email_idx;
`,
  '003_back_with_view.sql': `BEGIN;
ALTER TABLE archive.users SET SCHEMA public;
CREATE VIEW archive.users AS SELECT * FROM public.users;
COMMIT;
`,
  '004_new_moved.sql': `CREATE TABLE drafts (id int);
ALTER TABLE drafts SET SCHEMA archive;
`,
};

for (const engine of sqlEngines()) {
  describe(`SET SCHEMA on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it('breaks queries by the old name, and moves the table\'s indexes and its serial\'s sequence along', async () => {
      await db.run(before);
      await db.run(move);
      await expect(db.run('SELECT * FROM users')).rejects.toThrow(/relation "users" does not exist/);
      await expect(db.run("SELECT 'happy'::mood")).rejects.toThrow(/type "mood" does not exist/);
      expect(rowsOf(await db.run('SELECT name FROM archive.users'))).toEqual([{ name: 'Ann' }]);
      expect(rowsOf(await db.run("SELECT schemaname FROM pg_indexes WHERE indexname = 'users_email_idx'"))).toEqual([{ schemaname: 'archive' }]);
      expect(rowsOf(await db.run("SELECT schemaname FROM pg_sequences WHERE sequencename = 'users_id_seq'"))).toEqual([{ schemaname: 'archive' }]);
      // Found by the search_path, when the new schema is on it.
      await db.run('SET search_path = public, archive');
      expect(rowsOf(await db.run('SELECT name FROM users'))).toEqual([{ name: 'Ann' }]);
      await db.run('RESET search_path');
    });

    it('keeps the old name working with a view there, made in the same transaction', async () => {
      await db.run(before);
      await db.run('BEGIN; ALTER TABLE users SET SCHEMA archive; CREATE VIEW users AS SELECT * FROM archive.users; COMMIT;');
      expect(rowsOf(await db.run('SELECT name FROM users'))).toEqual([{ name: 'Ann' }]);
    });
  });
}

describe('lint across SET SCHEMA', () => {
  it('reports the move of an existing table or type (MG213), not of one the files created, nor one whose old name a view takes', async () => {
    await loadSqlParser();
    const result = await lint({ files: ['002_move.sql', '003_back_with_view.sql'] }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG213').map((d) => `${d.file} ${d.message}`)).toEqual([
      '002_move.sql moving table users to schema archive breaks every running query that names it, unless archive is on their search_path',
      '002_move.sql moving type mood to schema archive breaks every running query that names it, unless archive is on their search_path',
    ]);
    const made = await lint({ files: ['001_init.sql', '004_new_moved.sql'] }, memoryHost(files));
    expect(made.diagnostics.filter((d) => d.code === 'MG213')).toEqual([]);
  });

  it('knows the table under its new name: its columns\' types, its indexes', async () => {
    await loadSqlParser();
    const result = await lint({ files: ['001_init.sql', '002_move.sql'] }, memoryHost(files));
    const messages = result.diagnostics.filter((d) => d.file === '002_move.sql' && (d.code === 'MG212' || d.code === 'MG202')).map((d) => `${d.code} ${d.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^MG212 changing archive\.users\.name from text to varchar\(10\) rewrites archive\.users /),
      expect.stringMatching(/^MG202 DROP INDEX archive\.users_email_idx takes an ACCESS EXCLUSIVE lock on archive\.users:/),
    ]);
  });
});
