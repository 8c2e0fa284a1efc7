import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { assumedRows, loadProjectConfig, withAssumedRows } from '../src/workspace/config.js';
import { readTableName } from '../src/sql/table-name.js';
import { quoteName } from '../src/sql/quote.js';
import { assumeRowsFlag } from '../src/analyze/sql/context.js';

/** --assume-rows names are read as PostgreSQL reads a table's name: the size lands on the table the files made. */
describe('--assume-rows names', () => {
  it('folds an unquoted name to lower case and takes a quoted one as written, as PostgreSQL does', () => {
    expect(['users', 'Users', 'USERS', 'public.Users', 'PUBLIC.users', '"users"', 'public."users"'].map(readTableName)).toEqual(Array(7).fill('users'));
    expect(['"User"', 'public."User"', '"public"."User"'].map(readTableName)).toEqual(['User', 'User', 'User']);
    expect(['App.Orders', '"App".Orders', 'app."Orders"', '"a""b"', '_x$1', 'Ünïcode', '"with space"'].map(readTableName))
      .toEqual(['app.orders', 'App.orders', 'app.Orders', 'a"b', '_x$1', 'Ünïcode', 'with space']);
    // "Public" is another schema than public.
    expect(readTableName('"Public".users')).toBe('Public.users');
  });

  it('refuses what is no name: empty, unclosed or zero-length quotes, a leading digit, three parts, stray text', () => {
    for (const text of ['', '"', '"User', '""', '1users', 'a.b.c', 'users.', '.users', 'us ers', '"User"x', 'a..b', 'users;']) {
      expect(readTableName(text), text).toBeUndefined();
    }
  });

  it('reads a key back as messages write it (quoteName): quoted only where SQL needs it', () => {
    for (const key of ['users', 'User', 'app.Orders', 'a"b', 'with space', '_x$1', 'order', 'app.order', 'Ünïcode']) expect(readTableName(quoteName(key))).toBe(key);
    expect(['users', 'User', 'app.Orders', 'a"b', 'order'].map(quoteName)).toEqual(['users', '"User"', 'app."Orders"', '"a""b"', '"order"']);
  });

  it('writes the flag a help suggests as the shell passes it back: the double quotes kept inside single ones', () => {
    expect(['users', 'app.orders', 'User', 'app.User', 'with space', "it's"].map((t) => assumeRowsFlag(t, 'N'))).toEqual([
      '--assume-rows users=N', '--assume-rows app.orders=N', `--assume-rows '"User"=N'`, `--assume-rows 'app."User"=N'`,
      `--assume-rows '"with space"=N'`, `--assume-rows '"it'\\''s"=N'`,
    ]);
  });

  it('--assume-rows takes Users=10 for users and "User"=10 for the quoted table; a malformed name is a usage problem', () => {
    const flagged = withAssumedRows(undefined, ['Users=10', '"User"=20', 'public."Order"=30', 'App.Items=40']);
    expect(flagged.ok && [...flagged.config!.assumeRows!]).toEqual([['users', 10], ['User', 20], ['Order', 30], ['app.items', 40]]);
    expect(assumedRows('a=b=1')).toBeUndefined();
    expect(withAssumedRows(undefined, ['"User=10'])).toEqual({ ok: false, message: '--assume-rows takes table=rows, for example users=40 (or "User"=40 for a table created with a quoted name); got "User=10' });
    // Over the config's sizes (keyed as the config is read: see below).
    const over = withAssumedRows({ assumeRows: new Map([['users', 5], ['Other', 7]]) }, ['USERS=6']);
    expect(over.ok && [...over.config!.assumeRows!]).toEqual([['users', 6], ['Other', 7]]);
  });

  it("reads the config's assume_rows names as --assume-rows reads them; a key that is no name is MG010 at the key", async () => {
    const config = async (assume: string) => loadProjectConfig(memoryHost({ 'migc.config.json': `{\n  "assume_rows": ${assume}\n}\n` }), 'migc.config.json');
    const read = await config('{ "Users": 10, "\\"User\\"": 20, "public.Orders": 30, "App.\\"Items\\"": 40 }');
    expect(read.diagnostics).toEqual([]);
    expect([...read.config!.assumeRows!]).toEqual([['users', 10], ['User', 20], ['orders', 30], ['app.Items', 40]]);
    const bad = await config('{ "users": 1, "a.b.c": 2, "\\"open": 3 }');
    expect(bad.config).toBeUndefined();
    expect(bad.diagnostics.map((d) => `${d.code} ${d.span?.start} ${d.message}`)).toEqual([
      'MG010 33 assume_rows names "a.b.c", which is not a table name',
      'MG010 45 assume_rows names "\\"open", which is not a table name',
    ]);
  });

  it('sizes the table the files made: Users=40 makes an index on users a note, "User"=40 one on "User"', async () => {
    const files = {
      '001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE TABLE "User" (id int PRIMARY KEY, email text);\n',
      '002_idx.sql': "SET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON Users (email);\nCREATE INDEX \"User_email_idx\" ON \"User\" (email);\n",
    };
    const run = async (flags: string[]) => {
      const flagged = withAssumedRows(undefined, flags);
      const result = await lint({ files: migrationOrder(Object.keys(files)), ...(flagged.ok && flagged.config ? { config: flagged.config } : {}) }, memoryHost(files));
      return { found: result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message.replace(/ takes a SHARE lock on (\S+).*/, ' on $1')}`), tables: [...result.tables].sort() };
    };
    const none = await run([]);
    expect(none.found).toEqual(['error MG201 CREATE INDEX users_email_idx on users', 'error MG201 CREATE INDEX "User_email_idx" on "User"']);
    // The tables the files name, as they are sized: not the indexes' names.
    expect(none.tables).toEqual(['User', 'users']);
    expect((await run(['Users=40'])).found).toEqual(['info MG201 CREATE INDEX users_email_idx on users', 'error MG201 CREATE INDEX "User_email_idx" on "User"']);
    expect((await run(['"User"=40'])).found).toEqual(['error MG201 CREATE INDEX users_email_idx on users', 'info MG201 CREATE INDEX "User_email_idx" on "User"']);
    // User folds to user, which is neither table.
    expect((await run(['User=40'])).found).toEqual(none.found);
  });

  // The sixteenth trial (Rallly): MG201 became a note on a small table, and MG202 stayed a warning.
  it('makes a DROP INDEX on a small table a note, as the CREATE INDEX: MG202 as MG201', async () => {
    const files = {
      '001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\nCREATE TABLE big (id int, note text);\nCREATE INDEX big_note_idx ON big (note);\n',
      '002_drop.sql': "SET lock_timeout = '5s';\nDROP INDEX users_email_idx;\nDROP INDEX big_note_idx;\n",
    };
    const flagged = withAssumedRows(undefined, ['users=40']);
    const result = await lint({ files: migrationOrder(Object.keys(files)), ...(flagged.ok && flagged.config ? { config: flagged.config } : {}) }, memoryHost(files));
    expect(result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message.split(' takes')[0]}`)).toEqual(['info MG202 DROP INDEX users_email_idx', 'warning MG202 DROP INDEX big_note_idx']);
  });

  it('makes a backfill after DDL in its transaction a note on a small table (MG218), but not a copy into it (the twenty-second trial\'s H)', async () => {
    const files = {
      '001_init.sql': 'CREATE TABLE pipeline (id int PRIMARY KEY, status text);\nCREATE TABLE big (id int PRIMARY KEY, status text);\n',
      '002_backfill.sql': "SET lock_timeout = '5s';\nBEGIN;\nALTER TABLE pipeline ADD COLUMN s text;\nUPDATE pipeline SET s = 'in_use' WHERE status = 'running';\nINSERT INTO pipeline (id, status) SELECT id, status FROM big;\nALTER TABLE big ADD COLUMN s text;\nUPDATE big SET s = 'in_use' WHERE status = 'running';\nCOMMIT;\n",
    };
    const flagged = withAssumedRows(undefined, ['pipeline=200']);
    const result = await lint({ files: migrationOrder(Object.keys(files)), ...(flagged.ok && flagged.config ? { config: flagged.config } : {}) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG218').map((d) => `${d.severity} ${d.message.split(' runs in')[0]} ${d.message.split('waits for ')[1]?.split(' ')[0]}`)).toEqual([
      'info this UPDATE pipeline',
      'warning this INSERT pipeline',
      'warning this UPDATE big',
    ]);
  });

  it('knows the tables named only by later statements, inside DO blocks and under a search_path', async () => {
    const files = {
      '001.sql': "UPDATE accounts SET plan = 'free';\nDO $$ BEGIN UPDATE ledger SET x = 1; END $$;\nSET search_path TO app;\nCREATE TABLE items (id int);\nDROP INDEX some_idx;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect([...result.tables].sort()).toEqual(['accounts', 'app.items', 'ledger']);
  });
});

describe('a table the files wrote only by INSERT ... VALUES', () => {
  it('is still assumed large without a hint, and the message says how many rows the files put in it (crowd.dev\'s activityTypes: the thirty-ninth trial\'s A)', async () => {
    const files = {
      '1.sql': "CREATE TABLE kinds (id int PRIMARY KEY, label text);\nINSERT INTO kinds VALUES (1, 'a'), (2, 'b');\nINSERT INTO kinds VALUES (3, 'c');\nCREATE TABLE events (id int PRIMARY KEY, kind int);\nINSERT INTO events SELECT g, 1 FROM generate_series(1, 10) g;\n",
      '2.sql': "SET lock_timeout = '5s';\nUPDATE kinds SET label = upper(label);\nUPDATE events SET kind = 2;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG112').map((d) => d.message.replace(/ in one statement.*/, ''))).toEqual([
      'UPDATE over kinds (no size hint: assumed large; the files put 3 rows in it, all by INSERT ... VALUES)',
      'UPDATE over events (no size hint: assumed large)',
    ]);
  });
});
