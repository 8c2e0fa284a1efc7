import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMigrations } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint, type LintOptions } from '../src/lint.js';
import { fileSections, migrationOrder } from '../src/lint-files.js';
import { cliEnv, root } from './helpers.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * `migc lint --run-transaction`: the up files linted are one run, in one transaction and one
 * session, as node-pg-migrate (its default, singleTransaction), Flyway with group=true and
 * authelia's runner apply the pending migrations.
 */
type How = Pick<LintOptions, 'fileTransaction' | 'runTransaction'>;

async function lintFiles(files: Record<string, string>, how: How) {
  const result = await lint({ files: migrationOrder(Object.keys(files)), ...how }, memoryHost(files));
  const line = (file: string, offset: number) => result.sources.get(file)!.position(offset).line;
  return result.diagnostics.map((d) => {
    const related = (d.related ?? []).map((r) => ` [${r.file}:${r.span ? line(r.file, r.span.start) : ''}]`).join('');
    return `${d.file}:${line(d.file, d.span?.start ?? 0)} ${d.code} ${d.message}${related}`;
  });
}

const run: How = { runTransaction: true };
const eachFile: How = { fileTransaction: true };

/** authelia's r6 reproduction: one release's two migrations, applied in one transaction. */
const release = {
  'V0002.A.up.sql': 'ALTER TABLE totp_configurations ADD COLUMN issuer text;\n',
  'V0003.B.up.sql': 'ALTER TABLE webauthn_devices ADD COLUMN aaguid text;\n',
};

describe('lint --run-transaction', () => {
  it('holds the locks one file takes while the next runs: MG217 across files, pointing at the earlier file', async () => {
    const found = await lintFiles(release, run);
    expect(found.filter((f) => / MG217 /.test(f))).toEqual([
      'V0003.B.up.sql:1 MG217 this transaction already holds an ACCESS EXCLUSIVE lock on totp_configurations, which ALTER TABLE totp_configurations ADD COLUMN (line 1 of V0002.A.up.sql) took, and now locks webauthn_devices, the first other table it locks before it commits: totp_configurations stays blocked until then, and lock order across tables invites deadlocks [V0002.A.up.sql:1]',
    ]);
    // Each file its own transaction: nothing is held from one to the next.
    expect((await lintFiles(release, eachFile)).filter((f) => / MG217 /.test(f))).toEqual([]);
  });

  it('says MG219 once for the run: one session, one missing lock_timeout', async () => {
    const mg219 = (found: string[]) => found.filter((f) => / MG219 /.test(f)).map((f) => f.slice(0, f.indexOf(' MG219')));
    expect(mg219(await lintFiles(release, run))).toEqual(['V0002.A.up.sql:1']);
    expect(mg219(await lintFiles(release, eachFile))).toEqual(['V0002.A.up.sql:1', 'V0003.B.up.sql:1']);
  });

  it('a backfill in a later file runs under the DDL lock an earlier one took (MG218)', async () => {
    const files = { '1_a.sql': "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN plan text;\n", '2_b.sql': "UPDATE users SET plan = 'free';\n" };
    expect((await lintFiles(files, run)).filter((f) => / MG218 /.test(f))).toEqual([
      '2_b.sql:1 MG218 this UPDATE runs in the same transaction as ALTER TABLE users ADD COLUMN (line 2 of 1_a.sql), which holds ACCESS EXCLUSIVE on users, so every reader and writer waits for users until the backfill commits [1_a.sql:2]',
    ]);
    expect((await lintFiles(files, eachFile)).filter((f) => / MG218 /.test(f))).toEqual([]);
  });

  it('CONCURRENTLY in any file of the run fails in its transaction (MG204), with a help that says a file of its own does not help', async () => {
    const files = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_plan_idx ON users (plan);\n' };
    const result = await lint({ files: migrationOrder(Object.keys(files)), ...run }, memoryHost(files));
    const mg204 = result.diagnostics.filter((d) => d.code === 'MG204');
    expect(mg204.map((d) => `${d.file} ${d.message}`)).toEqual(['2_b.sql CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here']);
    expect(mg204[0]!.help).toContain('The tool runs every file of the run in one transaction');
    // Read as psql runs it, alone in its file, it runs.
    expect((await lintFiles(files, {})).filter((f) => / MG204 /.test(f))).toEqual([]);
  });

  it('what earlier files of the run created stays new: uncommitted, nobody else uses it', async () => {
    const files = {
      '1_a.sql': "SET lock_timeout = '5s';\nCREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n",
      '2_b.sql': 'CREATE INDEX accounts_email_idx ON accounts (email);\nALTER TABLE accounts ADD COLUMN verified boolean NOT NULL;\n',
    };
    expect(await lintFiles(files, run)).toEqual([]);
    // Each file its own migration: the table the first made holds rows by the second.
    expect((await lintFiles(files, eachFile)).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['2_b.sql:1 MG201', '2_b.sql:1 MG219', '2_b.sql:2 MG206']);
  });

  it('SET holds for the session, SET LOCAL until a COMMIT ends the run\'s transaction (Flyway, group=true: the driver begins the next)', async () => {
    const files = {
      'V1__a.sql': "SET LOCAL lock_timeout = '1s';\nALTER TABLE accounts ADD COLUMN c int;\n",
      'V2__b.sql': 'ALTER TABLE orders ADD COLUMN c int;\nCOMMIT;\nALTER TABLE invoices ADD COLUMN c int;\n',
    };
    const found = await lintFiles(files, run);
    expect(found.map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['V2__b.sql:1 MG217', 'V2__b.sql:2 MG226', 'V2__b.sql:3 MG219']);
    expect(found[1]).toBe('V2__b.sql:2 MG226 COMMIT in a file of a run the migration tool runs in one transaction (--run-transaction): it commits the run\'s transaction before the run ends, so a failure after it leaves the run half applied; the driver (JDBC without autocommit) begins a new transaction for the statements after it');
    // A session-wide SET in the first file bounds every wait of the run.
    const session = { ...files, 'V1__a.sql': "SET lock_timeout = '1s';\nALTER TABLE accounts ADD COLUMN c int;\n" };
    expect((await lintFiles(session, run)).filter((f) => / MG219 /.test(f))).toEqual([]);
  });

  it('search_path set in one file holds in the next: one session', async () => {
    const files = {
      '1_a.sql': "SET lock_timeout = '5s';\nCREATE SCHEMA app;\nSET search_path TO app;\nCREATE TABLE accounts (id int);\n",
      '2_b.sql': "SET lock_timeout = '5s';\nCREATE INDEX accounts_id_idx ON public.accounts (id);\n",
      '3_c.sql': 'CREATE INDEX accounts_id2_idx ON accounts (id);\n',
    };
    // public.accounts was not created here: building an index on it blocks writes (MG201); the bare
    // name in 3_c is app.accounts, created in the run, under the path 1_a set.
    expect((await lintFiles(files, run)).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['2_b.sql:2 MG201']);
    // Each file in a session of its own: the bare name is public's again, and 3_c repeats 2_b's index (MG251).
    expect((await lintFiles(files, eachFile)).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['2_b.sql:2 MG201', '3_c.sql:1 MG201', '3_c.sql:1 MG219', '3_c.sql:1 MG251']);
  });

  it('a COMMIT in a node-pg-migrate file ends the run\'s transaction: the rest of that file\'s query string runs in an implicit one, each later file outside one', async () => {
    const files = {
      '1_a.sql': "-- Up Migration\nSET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN c int;\nCOMMIT;\nALTER TABLE orders ADD COLUMN c int;\n",
      // One statement alone in its query string, outside a transaction: CONCURRENTLY runs.
      '2_b.sql': '-- Up Migration\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_c_idx ON orders (c);\n',
      // Two in one string: one implicit transaction, which refuses it.
      '3_c.sql': '-- Up Migration\nALTER TABLE invoices ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_c_idx ON invoices (c);\n',
    };
    const found = await lintFiles(files, run);
    expect(found.map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['1_a.sql:4 MG226', '2_b.sql:2 MG221', '3_c.sql:3 MG204']);
    expect(found[0]).toContain('the tool sends the part as one query string, so PostgreSQL runs the rest of it in a new implicit transaction, and the files after it outside a transaction, each sent as one query string');
  });

  it('a rollback is not part of the run: judged after its up has been live, and the next up still finds the run\'s tables new', async () => {
    const files = {
      '1_a.sql': "-- Up Migration\nSET lock_timeout = '5s';\nCREATE TABLE accounts (id int);\n-- Down Migration\nALTER TABLE accounts ADD COLUMN c int;\nDROP TABLE accounts;\n",
      '2_b.sql': '-- Up Migration\nCREATE TABLE plans (id int);\nCREATE INDEX accounts_id_idx ON accounts (id);\n-- Down Migration\nDROP TABLE accounts;\nDROP TABLE plans;\n',
    };
    expect((await lintFiles(files, run)).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual([
      // The down's own session: no lock_timeout there; accounts is live by then.
      '1_a.sql:5 MG219',
      // 2_b's down drops what 1_a made, not its own up: data from before its up is lost. Its own plans is not.
      '2_b.sql:5 MG214', '2_b.sql:5 MG219',
      // Holding accounts while dropping plans (both live for the down) keeps nobody waiting who
      // could still use accounts: the down has dropped it (MG217 quiet, test/fixtures/rules/MG217/pass-held-table-dropped-first.sql).
    ]);
  });
});

describe('node-pg-migrate\'s SQL migrations', () => {
  it('are split at -- Up Migration and -- Down Migration as node-pg-migrate splits them (sqlMigration.ts getActions)', () => {
    const parts = (text: string) => fileSections(text, false).map((s) => [text.slice(s.start, s.end).trim(), s.rollback, s.sends]);
    expect(parts('-- Up Migration\nCREATE TABLE a (id int);\n\n-- Down Migration\nDROP TABLE a;\n')).toEqual([
      ['-- Up Migration\nCREATE TABLE a (id int);', false, 'one-string'],
      ['-- Down Migration\nDROP TABLE a;', true, 'one-string'],
    ]);
    // Any case, more dashes and spaces; the down first; what comes before the first marker is not run.
    expect(parts('SELECT 0;\n---- DOWN   MIGRATION\nDROP TABLE a;\n  --up migration\nCREATE TABLE a (id int);\n')).toEqual([
      ['---- DOWN   MIGRATION\nDROP TABLE a;', true, 'one-string'],
      ['--up migration\nCREATE TABLE a (id int);', false, 'one-string'],
    ]);
    // No up marker: the file is read whole, as a file of no marker (node-pg-migrate runs it all as its up).
    expect(fileSections('CREATE TABLE a (id int);\n-- Down migration is not supported\n', false)).toHaveLength(1);
  });

  it('are ordered by the number their names start with', () => {
    expect(migrationOrder(['m/1700000000010_c.sql', 'm/1700000000002_b.sql', 'm/999_a.sql'])).toEqual(['m/999_a.sql', 'm/1700000000002_b.sql', 'm/1700000000010_c.sql']);
  });

  it('the layout fixture: one run, locks held across files, the downs judged apart', async () => {
    const cwd = `${root}test/fixtures/lint-layouts/node-pg-migrate`;
    const { files, rollbacks } = await findMigrations(['.'], cwd);
    expect(files).toEqual(['1700000000000_create-accounts.sql', '1700000000001_accounts-email.sql', '1700000000002_orders-account.sql', '1700000000010_invoices-note.sql']);
    const found = async (how: How) => {
      const result = await lint({ files, rollbacks, ...how }, nodeHost(cwd));
      return result.diagnostics.map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.code}`);
    };
    expect(await found(run)).toEqual([
      '1700000000000_create-accounts.sql:6 MG219',
      '1700000000001_accounts-email.sql:6 MG219',
      '1700000000002_orders-account.sql:2 MG230',
      '1700000000002_orders-account.sql:5 MG219',
      '1700000000010_invoices-note.sql:2 MG217',
    ]);
    // Each migration a transaction and session of its own (node-pg-migrate --no-single-transaction).
    expect(await found(eachFile)).toEqual([
      '1700000000000_create-accounts.sql:6 MG219',
      '1700000000001_accounts-email.sql:2 MG201',
      '1700000000001_accounts-email.sql:2 MG219',
      '1700000000001_accounts-email.sql:6 MG219',
      '1700000000002_orders-account.sql:2 MG219',
      '1700000000002_orders-account.sql:2 MG230',
      '1700000000002_orders-account.sql:5 MG219',
      '1700000000010_invoices-note.sql:2 MG219',
    ]);
  });
});

function migc(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('migc lint --run-transaction (CLI)', () => {
  const cwd = `${root}test/fixtures/lint-layouts/node-pg-migrate`;
  it('node-pg-migrate\'s files without a flag: a note names --run-transaction, its default', async () => {
    const r = await migc(['lint', '.'], cwd);
    expect(r.stderr).toContain('migc: note: node-pg-migrate runs all the migrations of a run in one transaction (its default, singleTransaction; --no-single-transaction: each in its own, --file-transaction): pass --run-transaction to lint them so');
    expect((await migc(['lint', '.', '--run-transaction'], cwd)).stderr).not.toContain('migc: note:');
  });

  it('excludes --file-transaction and --file-query-string (exit 2)', async () => {
    for (const other of ['--file-transaction', '--file-query-string']) {
      const r = await migc(['lint', '.', '--run-transaction', other], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${other} and --run-transaction say two ways the tool runs a file`);
    }
  });
});

/**
 * What the run's transaction is on the engines, as node-pg-migrate sends it: BEGIN, then each
 * file's up part as one query string (pgm.sql), then COMMIT; every string with the simple query
 * protocol (PGlite's exec, pg's query without parameters).
 */
for (const engine of sqlEngines()) {
  describe(`one transaction over several files, on ${engine.name}`, () => {
    const upPart = (text: string) => {
      const up = fileSections(text, false).find((s) => !s.rollback)!;
      return text.slice(up.start, up.end);
    };

    it('the first file\'s ACCESS EXCLUSIVE lock is still held while the second runs, and CREATE INDEX CONCURRENTLY fails inside it', async () => {
      const db = await engine.open();
      try {
        await db.run('CREATE TABLE totp_configurations (id int); CREATE TABLE webauthn_devices (id int);');
        await db.run('BEGIN');
        await db.run(release['V0002.A.up.sql']);
        await db.run(release['V0003.B.up.sql']);
        const held = rowsOf(await db.run("SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND c.relname IN ('totp_configurations', 'webauthn_devices') AND l.mode = 'AccessExclusiveLock' ORDER BY c.relname"));
        expect(held.map((r) => `${r.relname} ${r.mode}`)).toEqual(['totp_configurations AccessExclusiveLock', 'webauthn_devices AccessExclusiveLock']);
        await expect(db.run('CREATE INDEX CONCURRENTLY IF NOT EXISTS webauthn_devices_id_idx ON webauthn_devices (id)')).rejects.toThrow(/CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
        await db.run('ROLLBACK');
      } finally {
        await db.close();
      }
    });

    it('after a COMMIT in a file, CREATE INDEX CONCURRENTLY alone in a later file\'s string runs, with another statement it fails: where migc reports MG204', async () => {
      const dir = `${root}test/fixtures/run-transaction/commit`;
      const { files, rollbacks } = await findMigrations(['.'], dir);
      const db = await engine.open();
      const failed: string[] = [];
      try {
        await db.run('CREATE TABLE accounts (id int); CREATE TABLE orders (id int); CREATE TABLE invoices (id int);');
        await db.run('BEGIN');
        for (const file of files) {
          try {
            await db.run(upPart(readFileSync(`${dir}/${file}`, 'utf8')));
          } catch (e) {
            expect(String(e)).toMatch(/CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
            failed.push(file);
          }
        }
        // node-pg-migrate's own COMMIT at the end: a warning, the file's COMMIT having ended the run's transaction.
        await db.run('COMMIT');
        // What ran outside a transaction stayed: the index of the file that ran alone.
        expect(rowsOf(await db.run("SELECT indexname FROM pg_indexes WHERE indexname IN ('orders_c_idx', 'invoices_c_idx')")).map((r) => r.indexname)).toEqual(['orders_c_idx']);
      } finally {
        await db.close();
      }
      const result = await lint({ files, rollbacks, runTransaction: true }, nodeHost(dir));
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file);
      expect(failed).toEqual(['3_two_statements.sql']);
      expect(errors).toEqual(failed);
    });
  });
}
