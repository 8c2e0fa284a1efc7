import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMigrations } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint, type LintOptions } from '../src/lint.js';
import { drizzleJournal, drizzleSkippedEntries } from '../src/lint-drizzle.js';
import { SourceText } from '../src/diagnostics/source-text.js';
import { cliEnv, root } from './helpers.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * Drizzle's migrator (drizzle-orm 0.x): it runs the files meta/_journal.json lists, in its order,
 * each cut at `--> statement-breakpoint` and sent chunk by chunk, all the pending ones in one
 * transaction (the nineteenth trial's cosmo: a file the journal leaves out made a false MG244
 * error, a chunk without its semicolon a false MG020).
 */
const folder = `${root}test/fixtures/lint-layouts/drizzle`;

async function lintDrizzle(cwd: string, how: Pick<LintOptions, 'fileTransaction' | 'runTransaction'> = {}) {
  const migrations = await findMigrations(['.'], cwd);
  const result = await lint({ files: migrations.files, ...how, ...(migrations.drizzle ? { drizzle: migrations.drizzle } : {}) }, nodeHost(cwd));
  const found = result.diagnostics.map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.severity} ${d.code} ${d.message}`);
  return { migrations, found };
}

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A Drizzle folder of its own: the files given, and meta/_journal.json. */
function drizzleFolder(files: Record<string, string>, journal: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'migc-drizzle-'));
  temporary.push(dir);
  mkdirSync(join(dir, 'meta'));
  writeFileSync(join(dir, 'meta', '_journal.json'), journal);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const entry = (tag: string, when: number, idx = 0) => `{"idx":${idx},"version":"7","when":${when},"tag":"${tag}","breakpoints":true}`;
const journalOf = (...entries: string[]) => `{\n  "version": "7",\n  "dialect": "postgresql",\n  "entries": [\n    ${entries.join(',\n    ')}\n  ]\n}\n`;

describe('a Drizzle migrations folder', () => {
  it('lints the journal\'s entries in its order, and leaves out the files it does not list, with a note', async () => {
    const { migrations, found } = await lintDrizzle(folder);
    // The journal runs 0002_orders before 0001_email_index: the index is built on the table 0002 made.
    expect(migrations.files).toEqual(['0000_init.sql', '0002_orders.sql', '0001_email_index.sql', '0003_drop_email.sql']);
    expect([...migrations.drizzle!]).toEqual(migrations.files);
    expect(migrations.diagnostics.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      "meta/_journal.json info MG024 left out 1 file of the current folder that its meta/_journal.json does not list (0001_abandoned.sql): Drizzle's migrator runs only the journal's entries, in its order",
    ]);
    // 0001_abandoned.sql, which drops users, never runs: the later DROP COLUMN finds its table
    // (it was a false MG244 error), and no guess about the order of files is said.
    expect(found).toEqual([
      '0001_email_index.sql:2 error MG201 CREATE INDEX orders_user_id_idx takes a SHARE lock on orders (no size hint: assumed large): writes wait until the index is built',
      '0003_drop_email.sql:2 warning MG214 this statement drops column users.email',
    ]);
  });

  it('ends a statement at each --> statement-breakpoint, semicolon or not, wherever it stands on its line', async () => {
    // 0002_orders.sql: an INSERT without its semicolon before the marker, and a SET followed by
    // the marker on its own line. Read as one text, the INSERT ran into the ALTER: MG020.
    const { found } = await lintDrizzle(folder);
    expect(found.some((f) => / MG020 /.test(f))).toBe(false);
    const files = { '0000_x.sql': 'CREATE TABLE t (id int)\n--> statement-breakpoint\nINSERT INTO t VALUES (1)--> statement-breakpoint\nDROP TABLE t\n' };
    const result = await lint({ files: ['0000_x.sql'], drizzle: new Set(['0000_x.sql']) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG020')).toEqual([]);
    // Without Drizzle's marker, the same text is one statement the parser refuses.
    const plain = { '0000_x.sql': files['0000_x.sql'].replaceAll('--> statement-breakpoint', '') };
    expect((await lint({ files: ['0000_x.sql'] }, memoryHost(plain))).diagnostics.filter((d) => d.code === 'MG020')).toHaveLength(1);
  });

  it('asks for --run-transaction on stderr, and names Drizzle\'s way out of a transaction in a help', async () => {
    const { stderr } = await migc(['lint', '.', '--format', 'json'], folder);
    expect(stderr).toContain("migc: note: the files of a Drizzle journal (meta/_journal.json) run as Drizzle's migrator runs them: all the migrations pending at a deploy in one transaction; pass --run-transaction to lint them so, over the files one deploy applies (a new database's: all of them), or --file-transaction to read each as a deploy of its own");
    expect((await migc(['lint', '.', '--run-transaction', '--format', 'json'], folder)).stderr).not.toContain('migc: note:');
    const dir = drizzleFolder({ '0000_init.sql': 'CREATE TABLE t (id int);\n', '0001_index.sql': "SET lock_timeout = '5s';\nCREATE INDEX t_id_idx ON t (id);\n" }, journalOf(entry('0000_init', 1), entry('0001_index', 2, 1)));
    const { stdout } = await migc(['lint', '.', '--file-transaction', '--format', 'json'], dir);
    const mg201 = (JSON.parse(stdout) as { diagnostics: { code: string; help: string }[] }).diagnostics.find((d) => d.code === 'MG201')!;
    expect(mg201.help).toContain("each must run outside a transaction block, in a script you run yourself after Drizzle's migrate (its migrator runs every migration in a transaction, and no migration can opt out)");
  });

  it('says an entry whose file is missing, where the journal names it: Drizzle stops there', async () => {
    const journal = journalOf(entry('0000_init', 1), entry('0001_gone', 2, 1));
    const dir = drizzleFolder({ '0000_init.sql': 'CREATE TABLE t (id int);\n' }, journal);
    const { migrations } = await lintDrizzle(dir);
    expect(migrations.files).toEqual(['0000_init.sql']);
    const source = new SourceText(journal);
    expect(migrations.diagnostics.map((d) => `${d.file}:${source.position(d.span!.start).line}:${source.position(d.span!.start).column} ${d.severity} ${d.code} ${d.message} | ${d.help}`)).toEqual([
      `meta/_journal.json:6:${journal.split('\n')[5]!.indexOf('"0001_gone"') + 1} error MG024 the journal lists 0001_gone, and the current folder holds no 0001_gone.sql: Drizzle's migrator stops before it runs any migration ("No file 0001_gone.sql found") | Add 0001_gone.sql, or correct the tag (drizzle-kit drop removes a migration and its entry together).`,
    ]);
  });

  it('says a journal Drizzle cannot read, at its line and column, and lints the folder in name order', async () => {
    const journal = '{"entries": [{"tag": "0000_init", "when": 1},]}\n';
    const dir = drizzleFolder({ '0000_init.sql': 'CREATE TABLE t (id int);\n' }, journal);
    const { migrations } = await lintDrizzle(dir);
    expect(migrations.files).toEqual(['0000_init.sql']);
    expect(migrations.drizzle).toBeUndefined();
    expect(migrations.diagnostics.map((d) => `${d.span!.start} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      `${journal.indexOf(']')} error MG024 cannot read this _journal.json (value expected): Drizzle's migrator stops before it runs any migration`,
    ]);
    expect(drizzleJournal('j', '{"version": "7"}').problems.map((d) => d.message)).toEqual(["this _journal.json has no list of entries: Drizzle's migrator stops before it runs any migration"]);
    expect(drizzleJournal('j', '{"entries": [{"when": 1}]}').problems.map((d) => d.message)).toEqual(["this entry of _journal.json names no file (its \"tag\"): Drizzle's migrator stops before it runs any migration"]);
  });
});

describe('an entry whose "when" is not later than an earlier one\'s', () => {
  // drizzle-orm's pg-core dialect migrate(): it reads the newest created_at of
  // __drizzle_migrations once, and runs an entry only when its when is later (drizzle-orm #5316,
  // #5769; the trial's search found projects that lost a table so).
  const journal = journalOf(entry('0000_init', 1700000000000), entry('0001_future', 1800000000000, 1), entry('0002_real', 1700000500000, 2), entry('0003_same', 1800000000000, 3), entry('0004_next', 1800000000001, 4));
  it('is an error at its "when": every database that applied the later-stamped entry skips it, silently', () => {
    const read = drizzleJournal('meta/_journal.json', journal);
    expect(read.problems).toEqual([]);
    const source = new SourceText(journal);
    expect(drizzleSkippedEntries('meta/_journal.json', read.entries).map((d) => `${source.position(d.span!.start).line} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      '7 error MG024 0002_real has "when": 1700000500000, earlier than 0001_future\'s 1800000000000: Drizzle\'s migrator runs an entry only when its "when" is later than the newest migration the database applied, so every database that applied 0001_future skips 0002_real, silently (migrate still says it succeeded); only a new database runs it',
      '8 error MG024 0003_same has "when": 1800000000000, the same as 0001_future\'s 1800000000000: Drizzle\'s migrator runs an entry only when its "when" is later than the newest migration the database applied, so every database that applied 0001_future skips 0003_same, silently (migrate still says it succeeded); only a new database runs it',
    ]);
  });

  it('is said by lint with the folder, the files still linted in the journal\'s order', async () => {
    const files = Object.fromEntries(['0000_init', '0001_future', '0002_real', '0003_same', '0004_next'].map((t) => [`${t}.sql`, 'SELECT 1;\n']));
    const { migrations } = await lintDrizzle(drizzleFolder(files, journal));
    expect(migrations.files).toEqual(Object.keys(files));
    expect(migrations.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message.slice(0, 9)}`)).toEqual(['error MG024 0002_real', 'error MG024 0003_same']);
  });
});

describe('a COMMIT in a Drizzle migration', () => {
  // cosmo's 0066_high_jackpot.sql: BEGIN TRANSACTION ... COMMIT inside a file. Drizzle sends each
  // chunk with postgres-js or node-postgres in the transaction it began; after the COMMIT the
  // connection is in autocommit, and every later chunk (the later files too) runs on its own.
  const files = {
    '0000_a.sql': 'CREATE TABLE t1 (id int);\n--> statement-breakpoint\nBEGIN TRANSACTION;\nINSERT INTO t1 VALUES (1);\nCOMMIT;\n--> statement-breakpoint\nCREATE TABLE t2 (id int);\n',
    '0001_b.sql': 'CREATE INDEX CONCURRENTLY t1_id_idx ON t1 (id);\n',
  };
  const journal = journalOf(entry('0000_a', 1), entry('0001_b', 2, 1));

  it('ends the run\'s transaction: the files after it run outside one, where CONCURRENTLY runs (no MG204)', async () => {
    const { found } = await lintDrizzle(drizzleFolder(files, journal), { runTransaction: true });
    expect(found.filter((f) => / MG204 | MG226 /.test(f))).toEqual([
      "0000_a.sql:3 warning MG226 BEGIN in a file of a run the migration tool runs in one transaction (--run-transaction): PostgreSQL ignores it with a warning, and the COMMIT after it commits the run's transaction early",
    ]);
    // Without the COMMIT, the index is built in the run's transaction: PostgreSQL refuses it.
    const plain = { ...files, '0000_a.sql': 'CREATE TABLE t1 (id int);\n--> statement-breakpoint\nINSERT INTO t1 VALUES (1);\n' };
    const { found: inRun } = await lintDrizzle(drizzleFolder(plain, journal), { runTransaction: true });
    expect(inRun.filter((f) => / MG204 /.test(f))).toEqual(['0001_b.sql:1 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here']);
  });

  for (const engine of sqlEngines()) {
    it(`runs so on ${engine.name}: chunk by chunk after the runner's BEGIN, the index builds after the file's COMMIT and not before`, async () => {
      const db = await engine.open();
      try {
        const chunks = (text: string) => text.split('--> statement-breakpoint');
        await db.run('BEGIN');
        for (const chunk of chunks(files['0000_a.sql'])) await db.run(chunk);
        for (const chunk of chunks(files['0001_b.sql'])) await db.run(chunk);
        // The runner's own COMMIT finds no transaction: a warning, not an error.
        await db.run('COMMIT');
        expect(rowsOf(await db.run("SELECT count(*)::int AS n FROM pg_index WHERE indexrelid = 't1_id_idx'::regclass AND indisvalid"))).toEqual([{ n: 1 }]);
        await db.run('BEGIN');
        await expect(db.run('CREATE INDEX CONCURRENTLY t1_other_idx ON t1 (id)')).rejects.toThrow(/cannot run inside a transaction block/);
        await db.run('ROLLBACK');
      } finally {
        await db.close();
      }
    });
  }
});

function migc(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`${root}bin/migc.js`, ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

it('a folder of files named as sqlx migrate add names them gets the note that names --file-transaction (the twentieth trial\'s lakekeeper)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migc-sqlx-'));
  temporary.push(dir);
  writeFileSync(join(dir, '20250401163352_project.sql'), 'CREATE TABLE t (id int);\n');
  const { stderr } = await migc(['lint', '.', '--format', 'json'], dir);
  expect(stderr).toBe('migc: note: 20250401163352_project.sql is named as sqlx names its migrations (sqlx migrate add: <timestamp>_x.sql): sqlx runs each in a transaction (one that starts with -- no-transaction outside one); pass --file-transaction to lint them so, if sqlx runs them (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)\n');
  expect((await migc(['lint', '.', '--file-transaction', '--format', 'json'], dir)).stderr).toBe('');
});

it('drizzle-kit 1.0\'s folders (<timestamp>_<name>/migration.sql beside a snapshot.json, no journal) are Drizzle\'s, not Prisma\'s (the twenty-second trial\'s latitude)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migc-drizzle1-'));
  temporary.push(dir);
  for (const [name, sql] of [['20250101000000_init', 'CREATE TABLE t (id int PRIMARY KEY, a int);\n--> statement-breakpoint\nCREATE INDEX t_a ON t (a);\n'], ['20250102000000_more', 'SET lock_timeout = \'5s\';--> statement-breakpoint\nALTER TABLE t ADD COLUMN b int;\n']] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
    writeFileSync(join(dir, name, 'snapshot.json'), '{}\n');
  }
  const { migrations, found } = await lintDrizzle(dir, { runTransaction: true });
  expect([...migrations.drizzle ?? []]).toEqual(['20250101000000_init/migration.sql', '20250102000000_more/migration.sql']);
  // Cut at its breakpoints (no MG020 for the chunk without a line break), sent chunk by chunk in the run's one transaction.
  expect(found.filter((f) => / (error|warning) /.test(f))).toEqual([]);
  const { stderr } = await migc(['lint', '.', '--format', 'json'], dir);
  expect(stderr).toMatch(/^migc: note: Drizzle's migrations \(drizzle-kit 1\.0: a snapshot\.json beside each migration\.sql\) run as Drizzle's migrator runs them: all the migrations pending at a deploy in one transaction; pass --run-transaction/);
  // A Prisma folder (no snapshot.json) is Prisma's still.
  const prisma = mkdtempSync(join(tmpdir(), 'migc-prisma-'));
  temporary.push(prisma);
  mkdirSync(join(prisma, '20250101000000_init'));
  writeFileSync(join(prisma, '20250101000000_init', 'migration.sql'), 'CREATE TABLE t (id int);\n');
  expect((await findMigrations(['.'], prisma)).drizzle).toBeUndefined();
  expect((await migc(['lint', '.', '--format', 'json'], prisma)).stderr).toMatch(/^migc: note: Prisma sends each migration\.sql/);
});
