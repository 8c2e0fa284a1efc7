import { citext } from '@electric-sql/pglite/contrib/citext';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * ALTER COLUMN ... TYPE to and from citext (the extension's type), checked on PostgreSQL (PGlite
 * with its citext extension, and the server of MIGC_TEST_DATABASE_URL) by the files (relfilenodes)
 * of the table and each index, and the table's sequential scans. The extension's casts WITHOUT
 * FUNCTION (text and varchar to citext; citext to text, varchar and bpchar) relabel: no rewrite,
 * but citext has its own operator class, so every index with the column as a key is built again;
 * a valid CHECK on the column is validated again (a scan). char(n) to citext calls a function, and
 * citext to varchar(n) checks the length: rewrites. civitai changed six text columns so (the ninth trial).
 */
const baseline = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE parent (key text PRIMARY KEY);
CREATE TABLE users (id int PRIMARY KEY, email text, name text, login varchar(64), nick citext, handle citext, code char(8), note text CHECK (note <> ''),
  ref text REFERENCES parent (key));
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_login ON users (login);
CREATE INDEX users_nick ON users (nick);
CREATE INDEX users_lower_name ON users (lower(name));
INSERT INTO parent SELECT 'k' || g FROM generate_series(1, 50) g;
INSERT INTO users SELECT g, 'e' || g, 'n' || g, 'l' || g, 'k' || g, 'h' || g, 'c' || g, 'x', 'k' || g FROM generate_series(1, 50) g;
`;
const everything = ['users', 'users_email_key', 'users_login', 'users_lower_name', 'users_nick', 'users_pkey'];

/** A statement, what PostgreSQL gives a new file (sorted), and whether it scans users (a CHECK validated again). */
const cases: { statement: string; changed: string[]; scans?: true }[] = [
  { statement: 'ALTER TABLE users ALTER COLUMN email TYPE citext', changed: ['users_email_key'] },
  { statement: 'ALTER TABLE users ALTER COLUMN name TYPE citext', changed: ['users_lower_name'] },
  { statement: 'ALTER TABLE users ALTER COLUMN login TYPE citext', changed: ['users_login'] },
  { statement: 'ALTER TABLE users ALTER COLUMN nick TYPE text', changed: ['users_nick'] },
  { statement: 'ALTER TABLE users ALTER COLUMN nick TYPE varchar', changed: ['users_nick'] },
  { statement: 'ALTER TABLE users ALTER COLUMN nick TYPE bpchar', changed: ['users_nick'] },
  { statement: 'ALTER TABLE users ALTER COLUMN handle TYPE public.citext', changed: [] },
  { statement: 'ALTER TABLE users ALTER COLUMN handle TYPE text', changed: [] },
  { statement: 'ALTER TABLE users ALTER COLUMN note TYPE citext', changed: [], scans: true },
  // A foreign key from it to text compares through citext's binary cast to text: not checked again.
  { statement: 'ALTER TABLE users ALTER COLUMN ref TYPE citext', changed: [] },
  { statement: 'ALTER TABLE users ALTER COLUMN code TYPE citext', changed: everything },
  { statement: 'ALTER TABLE users ALTER COLUMN nick TYPE varchar(100)', changed: everything },
];

/** What MG212 says of the statement: the relations it says get a new file (sorted), and whether it says a scan. */
function reported(messages: string[]): { changed: string[]; scans: boolean } {
  const said = new Set<string>();
  let scans = false;
  for (const m of messages) {
    const rebuilt = /rebuilds its index(?:es)? (.+?) on users /.exec(m);
    if (rebuilt) for (const name of rebuilt[1]!.split(', ')) said.add(name);
    else if (/ rewrites users .* and its indexes /.test(m)) for (const name of everything) said.add(name);
    if (/ reads every row| validates? .* again/.test(m)) scans = true;
    if (!rebuilt && !/ rewrites users /.test(m) && !scans) throw new Error(`an MG212 message this test does not read: ${m}`);
  }
  return { changed: [...said].sort(), scans };
}

// PGlite loads citext's files; both engines run the baseline's CREATE EXTENSION.
const engines = sqlEngines({ pgliteExtensions: { citext } });

for (const engine of engines) {
  describe(`ALTER COLUMN ... TYPE to and from citext on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$statement', async ({ statement, changed, scans }) => {
      await db.run('DROP TABLE IF EXISTS users, parent;');
      await db.run(baseline);
      const files = async () => new Map(rowsOf(await db.run("SELECT relname, relfilenode FROM pg_class WHERE relname LIKE 'users%' AND relkind IN ('r', 'i')")).map((r) => [r.relname as string, r.relfilenode as number]));
      // The statistics of a transaction are flushed after it: asked for in one of their own.
      const seqScans = async () => {
        await db.run('SELECT pg_stat_force_next_flush()');
        return Number(rowsOf(await db.run("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'users'"))[0]!.seq_scan);
      };
      const before = await files();
      const scansBefore = await seqScans();
      await db.run(statement);
      const after = await files();
      expect([...before].filter(([relation, file]) => after.get(relation) !== file).map(([relation]) => relation).sort()).toEqual(changed);
      // A rewrite, and an index build, read the table too: the scan is said of the statements that build nothing.
      if (changed.length === 0) expect((await seqScans()) > scansBefore).toBe(scans === true);

      const sources = { '001_create.sql': baseline, '002_change.sql': `SET lock_timeout = '5s';\n${statement};\n` };
      const result = await lint({ files: Object.keys(sources), config: { postgres: db.major } }, memoryHost(sources));
      expect(reported(result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '002_change.sql').map((d) => d.message))).toEqual({ changed, scans: scans === true });
    });
  });
}
