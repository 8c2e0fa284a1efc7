import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { quoteColumn, quoteName } from '../src/sql/quote.js';
import { describeSchemaDiff } from '../src/verify/snapshot.js';
import { disagreement } from '../src/verify/observe.js';
import { cliEnv, minimalPlan, root } from './helpers.js';

/**
 * Findings name tables, columns and indexes as SQL writes them: quoted only where they must be.
 * Unquoted, the "User" a Prisma project makes reads as the table user (a reserved word, too), and
 * a help that says `--assume-rows User=N` sizes that other table.
 */

/** Lints files in memory: each finding as `CODE message` and its help. */
async function lintFiles(files: Record<string, string>): Promise<{ code: string; message: string; help: string }[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
  return result.diagnostics.map((d) => ({ code: d.code, message: d.message, help: d.help ?? '' }));
}

/** The real binary in a shell, as a user types a command line (the help's quotes included). */
function shell(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `"${process.execPath}" "${join(root, 'bin/migc.js')}" ${command}`], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The --assume-rows flag a help suggests, with N replaced by a small size. */
function suggestedFlag(help: string): string {
  const m = /--assume-rows ('[^']*(?:'\\''[^']*)*'|\S+?=N)(?= if)/.exec(help);
  expect(m, help).not.toBeNull();
  return `--assume-rows ${m![1]!.replace('=N', '=50')}`;
}

describe('quoteName and quoteColumn: SQL\'s spelling of a name the analysis keys', () => {
  it('leaves lower-case names bare and quotes the others, part by part', () => {
    expect(['users', 'app.orders', 'User', 'app.User', 'order', 'app.order', 'my table', 'a"b', "it's", 'Ünïcode', 'user$1']
      .map(quoteName)).toEqual(['users', 'app.orders', '"User"', 'app."User"', '"order"', 'app."order"', '"my table"', '"a""b"', '"it\'s"', '"Ünïcode"', 'user$1']);
    expect([quoteColumn('users', 'email'), quoteColumn('User', 'emailAddress'), quoteColumn('app.Order', 'id'), quoteColumn('order', 'select')])
      .toEqual(['users.email', '"User"."emailAddress"', 'app."Order".id', '"order"."select"']);
  });
});

describe('lint findings name tables as SQL writes them', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'migc-names-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('the Prisma demo: "User" and "User"."emailAddress" in the messages, and an --assume-rows the shell and PostgreSQL read back', async () => {
    writeFileSync(join(folder, '001.sql'), 'CREATE TABLE "User" (id int PRIMARY KEY, "emailAddress" text);\n');
    writeFileSync(join(folder, '002.sql'), 'CREATE INDEX "User_email_idx" ON "User" ("emailAddress");\nALTER TABLE "User" ALTER COLUMN "emailAddress" SET NOT NULL;\nUPDATE "User" SET "emailAddress" = lower("emailAddress");\n');
    const r = await shell('lint .', folder);
    expect(r.code).toBe(1);
    const findings = r.stdout.split('\n').filter((l) => /^002\.sql:\d+:\d+ /.test(l));
    expect(findings).toEqual([
      '002.sql:1:1 error MG201 CREATE INDEX "User_email_idx" takes a SHARE lock on "User" (no size hint: assumed large): writes wait until the index is built',
      '002.sql:1:1 warning MG219 CREATE INDEX waits for a SHARE lock on "User" with no lock_timeout set before it in its session: while it waits behind a long query, every write to "User" queues behind it (reads go on); so does 1 later statement of this file (line 2)',
      '002.sql:2:1 error MG207 SET NOT NULL on "User"."emailAddress" scans "User" (no size hint: assumed large) while holding an ACCESS EXCLUSIVE lock, and fails if a row holds NULL there',
      '002.sql:3:1 warning MG112 UPDATE over "User" (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
      '002.sql:3:1 warning MG214 this statement updates every row of "User", rewriting "emailAddress" from its own value',
    ]);
    const help = r.stdout.split('\n').find((l) => l.includes('help: Update in batches'))!;
    expect(help).toContain(`give the table's size with --assume-rows '"User"=N' if it is small`);
    // Typed as the help writes it, the flag sizes "User": its findings become notes, and no warning says the name sizes nothing.
    const sized = await shell(`lint . ${suggestedFlag(help)}`, folder);
    expect(sized.stderr).not.toContain('migc: warning');
    expect(sized.stdout).not.toMatch(/ (error|warning) MG(201|207|112) /);
    // The bare name the help used to suggest sizes the table user, which the files do not make.
    const bare = await shell('lint . --assume-rows User=50', folder);
    expect(bare.stderr).toContain(`migc: warning: --assume-rows User=50: the files name no table "user", so this size is not used; did you mean --assume-rows '"User"=50'?`);
    expect(bare.stdout).toContain('warning MG112');
  });

  it('a reserved word, a schema-qualified mixed-case name, a space and quotes: each quoted, and each flag reads back', async () => {
    const tables = {
      order: 'CREATE TABLE "order" (id int PRIMARY KEY, total int);',
      'app.Order': 'CREATE SCHEMA app;\nCREATE TABLE app."Order" (id int PRIMARY KEY, "createdAt" timestamptz);',
      'my table': 'CREATE TABLE "my table" (id int PRIMARY KEY, "the note" text);',
      "it's": `CREATE TABLE "it's" (id int PRIMARY KEY, "say ""hi""" text);`,
    };
    for (const [table, create] of Object.entries(tables)) {
      const sql = quoteName(table);
      rmSync(folder, { recursive: true, force: true });
      folder = mkdtempSync(join(tmpdir(), 'migc-names-'));
      writeFileSync(join(folder, '001.sql'), `${create}\n`);
      writeFileSync(join(folder, '002.sql'), `UPDATE ${sql} SET id = id + 1;\n`);
      const r = await shell('lint .', folder);
      const found = r.stdout.split('\n').filter((l) => l.startsWith('002.sql:'));
      expect(found, table).toEqual([
        `002.sql:1:1 warning MG112 UPDATE over ${sql} (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits`,
        `002.sql:1:1 warning MG214 this statement updates every row of ${sql}, rewriting id from its own value`,
      ]);
      const help = r.stdout.split('\n').find((l) => l.includes('help: Update in batches'))!;
      const sized = await shell(`lint . ${suggestedFlag(help)}`, folder);
      expect(sized.stderr, `${table}: ${suggestedFlag(help)}`).not.toContain('migc: warning');
      expect(sized.stdout, table).not.toContain('warning MG112');
    }
  });

  it('the names every kind of finding shows: tables, columns, indexes, constraints, views, types', async () => {
    const found = await lintFiles({
      '001.sql': [
        'CREATE SCHEMA app;',
        'CREATE TABLE app."Order" (id int PRIMARY KEY, "createdAt" timestamptz, note text);',
        'CREATE TABLE "order" (id int PRIMARY KEY, "Total" int, "userId" int);',
        'CREATE TABLE "User" (id int PRIMARY KEY, "emailAddress" text);',
        'CREATE TABLE "my table" (id int PRIMARY KEY, "the note" text);',
        'CREATE TABLE users (id int PRIMARY KEY, email text);',
        'CREATE VIEW "ActiveUsers" AS SELECT id, "emailAddress" FROM "User";',
        'CREATE TYPE "Role" AS ENUM (\'admin\');',
      ].join('\n'),
      '002.sql': [
        "SET lock_timeout = '5s';",
        'ALTER TABLE app."Order" ALTER COLUMN "createdAt" SET NOT NULL;',
        'ALTER TABLE "order" ADD CONSTRAINT "order_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" (id);',
        'ALTER TABLE "order" ALTER COLUMN "Total" TYPE bigint;',
        'ALTER TABLE "my table" ADD COLUMN "The Flag" boolean NOT NULL;',
        'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
        'DROP INDEX "User_pkey";',
        'ALTER TABLE "User" DROP COLUMN "emailAddress";',
        'ALTER TABLE app."Order" RENAME COLUMN note TO "Note";',
        'ALTER TYPE "Role" RENAME TO "UserRole";',
      ].join('\n'),
    });
    const messages = found.map((f) => `${f.code} ${f.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      'MG207 SET NOT NULL on app."Order"."createdAt" scans app."Order" (no size hint: assumed large) while holding an ACCESS EXCLUSIVE lock, and fails if a row holds NULL there',
      'MG208 ADD FOREIGN KEY "order_userId_fkey" checks every row of "order" (no size hint: assumed large) while blocking writes to "order" and "User" (SHARE ROW EXCLUSIVE)',
      'MG212 changing "order"."Total" from integer to bigint rewrites "order" (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock',
      'MG206 ADD COLUMN "The Flag" ... NOT NULL without a default fails on "my table" as soon as it has a row',
      'MG207 SET NOT NULL on users.email scans users (no size hint: assumed large) while holding an ACCESS EXCLUSIVE lock, and fails if a row holds NULL there',
      'MG237 PostgreSQL refuses this statement: cannot drop index "User_pkey" because constraint "User_pkey" on table "User" requires it (CASCADE does not help)',
      'MG067 PostgreSQL refuses this statement: cannot drop column "emailAddress" of table "User" because other objects depend on it: view "ActiveUsers" (drop or change it first, or use CASCADE, which drops it too)',
      'MG213 renaming column app."Order".note to "Note" breaks every running query that uses the old name',
      'MG213 renaming type "Role" to "UserRole" breaks every running query that uses the old name',
    ]));
    // No message or help names a mixed-case or spaced name bare (outside the SQL it quotes).
    for (const f of found) {
      for (const text of [f.message, f.help]) expect(text, text).not.toMatch(/(?<!["\w])(Order|User|Total|emailAddress|createdAt|ActiveUsers|Role|my table|The Flag)(?!["\w])/);
    }
  });
});

describe('plan findings', () => {
  it('MG112\'s help in a plan names the tables: key as the plan writes it, and the table as SQL does', async () => {
    const plan = (table: string) => minimalPlan
      .replace('kind: expand', 'kind: migrate')
      .replace('sql: ALTER TABLE t ADD COLUMN c integer;', `sql: 'UPDATE ${quoteName(table).replace(/'/g, "''")} SET id = id + 1 WHERE id > 0;'`)
      .replace('sql: ALTER TABLE t DROP COLUMN c;', `sql: 'UPDATE ${quoteName(table).replace(/'/g, "''")} SET id = id - 1 WHERE id > 1;'`);
    const help = async (table: string) => {
      const r = await compile({ files: ['plans/p.yaml'] }, memoryHost({ 'plans/p.yaml': plan(table) }));
      const f = r.diagnostics.find((d) => d.code === 'MG112');
      expect(f, JSON.stringify(r.diagnostics.map((d) => `${d.code} ${d.message}`))).toBeDefined();
      return `${f!.message} / ${f!.help}`;
    };
    expect(await help('User')).toContain('UPDATE over "User" (no size hint: assumed large)');
    expect(await help('User')).toContain('say so in tables: { User: { rows: N } }');
    expect(await help('app.User')).toContain('say so in tables: { app.User: { rows: N } }');
    expect(await help('my table')).toContain('say so in tables: { "my table": { rows: N } }');
    expect(await help('users')).toContain('say so in tables: { users: { rows: N } }');
  });
});

describe('verify\'s messages', () => {
  it('a schema difference names its objects as SQL does, the catalog\'s definition as it is', () => {
    const { text } = describeSchemaDiff({
      missing: ['index public.User_email_idx CREATE INDEX "User_email_idx" ON public."User" USING btree ("emailAddress")', 'column public.order.total integer'],
      extra: ['trigger public.Order.Audit CREATE TRIGGER "Audit" AFTER INSERT ON public."Order" FOR EACH ROW EXECUTE FUNCTION audit()'],
    });
    expect(text).toBe('missing index public."User_email_idx" CREATE INDEX "User_email_idx" ON public."User" USING btree ("emailAddress"); missing column public."order".total integer; left behind trigger public."Order"."Audit" CREATE TRIGGER "Audit" AFTER INSERT ON public."Order" FOR EACH ROW EXECUTE FUNCTION audit()');
  });

  it('a lock disagreement names the table as SQL does', () => {
    const said = disagreement([{ table: 'User', mode: 'AccessExclusiveLock' }], new Set(), [{ mode: 'ShareLock', relation: 'app.my table' }], new Set(['public.User']));
    expect(said).toBe('predicted AccessExclusiveLock on public."User", but it held no lock; took ShareLock on app."my table", predicted none');
  });
});

describe('a message names what a statement locks, three tables at most', () => {
  // The fourteenth trial (convoy): a type change of a key a dozen tables reference named each, with
  // why it is locked, and the message was cut in the middle at the length limit.
  it('names three tables with why each is locked, and how many more; the statement shows the rest', async () => {
    const referencing = Array.from({ length: 6 }, (_, i) => `CREATE TABLE a${i + 1} (id bigint PRIMARY KEY, account_id int REFERENCES accounts (id));`);
    const found = await lintFiles({
      '1_init.sql': ['CREATE TABLE accounts (id int PRIMARY KEY);', ...referencing, ''].join('\n'),
      '2_widen.sql': 'ALTER TABLE accounts ALTER COLUMN id TYPE bigint;\n',
    });
    const message = found.find((f) => f.code === 'MG219')!.message;
    expect(message).toBe('ALTER TABLE ALTER COLUMN TYPE waits for an ACCESS EXCLUSIVE lock on accounts, a1 (the referencing table of the foreign key a1_account_id_fkey its type change rebuilds), a2 (the referencing table of the foreign key a2_account_id_fkey its type change rebuilds) and 4 more with no lock_timeout set before it in its session: while it waits behind a long query, every query on those 7 tables, plain SELECT included, queues behind it');
    for (const f of found) expect(`${f.message} ${f.help}`).not.toContain(' characters)');
  });
});
