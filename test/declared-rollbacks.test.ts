import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMigrations, type MigrationOptions } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOf, migrationOrder } from '../src/lint-files.js';
import { loadProjectConfig } from '../src/workspace/config.js';
import { cliEnv, root } from './helpers.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * Rollbacks of a layout migc does not know by name, declared with --rollbacks (or the config's
 * `rollbacks`): openreplay keeps each upgrade in db/init_dbs/postgresql/<v>/<v>.sql and its undo in
 * db/rollback_dbs/postgresql/<v>/<v>.sql. test/fixtures/lint-layouts/openreplay-rollbacks/ has that
 * shape: 1.1.0 makes tags and widens accounts.name, its rollback drops tags and narrows the name
 * back; 1.2.0's rollback also empties events, which was there before it; 1.3.0 has a rollback and
 * no up; 1.4.0 has an up and no rollback. test/fixtures/lint-layouts/updown/ keeps its downs in
 * migrations/down/, which sorts before migrations/up/.
 */
const fixtures = `${root}test/fixtures/lint-layouts`;
const openreplay = `${fixtures}/openreplay-rollbacks`;
const init = (v: string) => `db/init_dbs/postgresql/${v}/${v}.sql`;
const back = (v: string) => `db/rollback_dbs/postgresql/${v}/${v}.sql`;

async function lintFolder(cwd: string, paths: string[], options: MigrationOptions = {}) {
  const migrations = await findMigrations(paths, cwd, options);
  const result = await lint({
    files: migrations.files,
    ...(migrations.rollbacks.size > 0 ? { rollbacks: migrations.rollbacks } : {}),
    ...(migrations.declaredRollbacks.size > 0 ? { declaredRollbacks: migrations.declaredRollbacks } : {}),
  }, nodeHost(cwd));
  const at = (d: { file: string; span?: { start: number } }) => `${d.file}:${result.sources.get(d.file)?.position(d.span?.start ?? 0).line ?? 1}`;
  return {
    migrations,
    found: result.diagnostics.map((d) => `${at(d)} ${d.code} ${d.message}`),
    notes: migrations.diagnostics.map((d) => `${d.file} ${d.code} ${d.severity} ${d.message} | ${d.help}`),
  };
}

describe('the order of declared rollbacks (migrationOrder)', () => {
  it('puts each right after the up of its version, from another folder tree; one without an up where its up would be', () => {
    const files = [init('1.10.0'), back('1.9.0'), init('1.9.0'), back('1.3.0'), init('1.2.0'), back('1.2.0'), init('1.4.0')];
    const declared = new Set(files.filter((f) => f.includes('rollback_dbs')));
    expect(migrationOrder(files, declared)).toEqual([init('1.2.0'), back('1.2.0'), back('1.3.0'), init('1.4.0'), init('1.9.0'), back('1.9.0'), init('1.10.0')]);
    const migration = migrationOf(files, declared);
    expect(migration.get(back('1.9.0'))).toBe(migration.get(init('1.9.0')));
    expect(migration.get(back('1.3.0'))).not.toBe(migration.get(init('1.4.0')));
  });

  it('reads a down/ folder beside up/ as the ups\' rollbacks only when declared: undeclared, down/ sorts first', () => {
    const files = ['m/up/0001_a.sql', 'm/up/0002_b.sql', 'm/down/0002_b.sql', 'm/down/0001_a.sql'];
    expect(migrationOrder(files)).toEqual(['m/down/0001_a.sql', 'm/up/0001_a.sql', 'm/down/0002_b.sql', 'm/up/0002_b.sql']);
    expect(migrationOrder(files, new Set(['m/down/0002_b.sql', 'm/down/0001_a.sql']))).toEqual(['m/up/0001_a.sql', 'm/down/0001_a.sql', 'm/up/0002_b.sql', 'm/down/0002_b.sql']);
  });

  it('undoes a version folder of several ups as one migration, after the last of them', () => {
    const files = ['up/1.0/b.sql', 'down/1.0/undo.sql', 'up/1.0/a.sql', 'up/1.1/c.sql'];
    const declared = new Set(['down/1.0/undo.sql']);
    expect(migrationOrder(files, declared)).toEqual(['up/1.0/a.sql', 'up/1.0/b.sql', 'down/1.0/undo.sql', 'up/1.1/c.sql']);
    const migration = migrationOf(files, declared);
    expect(new Set(['up/1.0/a.sql', 'up/1.0/b.sql', 'down/1.0/undo.sql'].map((f) => migration.get(f))).size).toBe(1);
  });

  it('pairs a Flyway-named script kept in a rollback folder by its version, and files without a version by their names', () => {
    expect(migrationOrder(['db/V1__a.sql', 'db/V2__b.sql', 'db/rollback/V2__b.sql', 'db/V3__c.sql'], new Set(['db/rollback/V2__b.sql']))).toEqual(['db/V1__a.sql', 'db/V2__b.sql', 'db/rollback/V2__b.sql', 'db/V3__c.sql']);
    expect(migrationOrder(['sql/add_users.sql', 'sql/add_tags.sql', 'rollbacks/add_users.sql'], new Set(['rollbacks/add_users.sql']))).toEqual(['sql/add_tags.sql', 'sql/add_users.sql', 'rollbacks/add_users.sql']);
  });
});

describe('findMigrations with rollback patterns', () => {
  it('declares the files a glob names, or the files under a folder it names; the patterns that name none are returned', async () => {
    const byGlob = await findMigrations(['db'], openreplay, { rollbacks: ['db/rollback_dbs/**'] });
    const byFolder = await findMigrations(['db'], openreplay, { rollbacks: ['db/rollback_dbs', 'db/rollbacks/**'] });
    expect([...byGlob.declaredRollbacks].sort()).toEqual([back('1.1.0'), back('1.2.0'), back('1.3.0')]);
    expect(byFolder.declaredRollbacks).toEqual(byGlob.declaredRollbacks);
    expect(byGlob.unmatchedRollbackPatterns).toEqual([]);
    expect(byFolder.unmatchedRollbackPatterns).toEqual(['db/rollbacks/**']);
    expect(byGlob.files).toEqual([init('1.0.0'), init('1.1.0'), back('1.1.0'), init('1.2.0'), back('1.2.0'), back('1.3.0'), init('1.4.0')]);
  });

  it('leaves files that are rollbacks by name as they are, paired by name', async () => {
    const plain = await findMigrations(['.'], `${fixtures}/golang`);
    const named = await findMigrations(['.'], `${fixtures}/golang`, { rollbacks: ['*.down.sql'] });
    expect(named.files).toEqual(plain.files);
    expect(named.declaredRollbacks.size).toBe(0);
    expect(named.unmatchedRollbackPatterns).toEqual([]);
  });
});

describe('declared rollbacks, linted (openreplay\'s layout)', () => {
  it('judges each after its up: what the up made may go (no MG214), what was there before may not, a narrowing is found', async () => {
    const { found, notes } = await lintFolder(openreplay, ['db'], { rollbacks: ['db/rollback_dbs/**'] });
    expect(found).toEqual([
      `${back('1.1.0')}:5 MG212 changing accounts.name from varchar(200) to varchar(100) rewrites accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(100))`,
      `${back('1.2.0')}:5 MG214 this rollback truncates events, which its up did not make: the rollback loses what was there before the up`,
    ]);
    expect(notes).toEqual([]);
  });

  it('undeclared, each rollback is a forward migration (MG214 on what its up made), and a note names the flag with the folder\'s pattern', async () => {
    const { found, notes } = await lintFolder(openreplay, ['db']);
    expect(found).toEqual([
      `${back('1.1.0')}:4 MG214 this statement drops table tags`,
      `${back('1.1.0')}:5 MG212 changing accounts.name from varchar(200) to varchar(100) rewrites accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(100))`,
      `${back('1.2.0')}:4 MG214 this statement drops column events.at`,
      `${back('1.2.0')}:5 MG214 this statement truncates events`,
      // Read forward, its up not linted: a DROP TABLE IF EXISTS of a table no file made, in files that make theirs.
      `${back('1.3.0')}:4 MG214 this statement drops table audit_log if it exists: no file linted made it, and the files make their tables from the first, so a database they made has none; where one was made otherwise (before the history began, or by hand), what it holds is lost`,
    ]);
    expect(notes).toEqual([
      `${back('1.1.0')} MG024 info linted the 3 files of db/rollback_dbs/ as forward migrations: the folder's name says they undo others, but migc knows rollbacks only by the names of the tools it knows (x.down.sql, U<version>__x.sql, ...) | If they are rollbacks, say so: --rollbacks 'db/rollback_dbs/**' (or "rollbacks": ["db/rollback_dbs/**"] in migc.config.json). Each is then judged right after the up of its version, against the schema that up left, and may drop what it made.`,
    ]);
  });

  it('a rollback linted without its up stands alone: nothing it drops is known (no MG214), nor the type it narrows', async () => {
    const { migrations, found } = await lintFolder(openreplay, [back('1.1.0')], { rollbacks: ['db/rollback_dbs/**'] });
    expect(migrations.files).toEqual([back('1.1.0')]);
    expect(found).toEqual([`${back('1.1.0')}:5 MG212 changing accounts.name to varchar(100) may rewrite accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock: its current type is unknown here, and only a binary-compatible change (varchar widened or to text, numeric precision raised) skips the rewrite`]);
  });

  it('finds a narrowing in a down/ folder only when declared: undeclared, the down runs before the up it undoes', async () => {
    const cwd = `${fixtures}/updown`;
    const declared = await lintFolder(cwd, ['migrations'], { rollbacks: ['migrations/down/**'] });
    expect(declared.migrations.files).toEqual(['migrations/up/0001_accounts.sql', 'migrations/up/0002_longer_names.sql', 'migrations/down/0002_longer_names.sql']);
    expect(declared.found).toEqual(['migrations/down/0002_longer_names.sql:2 MG212 changing accounts.name from varchar(200) to varchar(100) rewrites accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(100))']);
    const undeclared = await lintFolder(cwd, ['migrations']);
    expect(undeclared.migrations.files).toEqual(['migrations/up/0001_accounts.sql', 'migrations/down/0002_longer_names.sql', 'migrations/up/0002_longer_names.sql']);
    expect(undeclared.found).toEqual([]);
    expect(undeclared.notes.map((n) => n.split(' | ')[0])).toEqual([`migrations/down/0002_longer_names.sql MG024 info linted the file of migrations/down/ as a forward migration: the folder's name says it undoes another, but migc knows rollbacks only by the names of the tools it knows (x.down.sql, U<version>__x.sql, ...)`]);
  });

  it('no note for a folder of rollbacks by name, nor for a folder whose name only starts like one', async () => {
    const files = { 'db/down/0001_a.down.sql': 'SELECT 1;\n', 'db/downloads/0001_b.sql': 'SELECT 1;\n', 'db/rollback-scripts/0002_c.sql': 'SELECT 1;\n' };
    const dir = mkdtempSync(join(tmpdir(), 'migc-rollback-folders-'));
    try {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      const found = await findMigrations(['db'], dir);
      expect(found.diagnostics.map((d) => `${d.file} ${d.message.split(':')[0]}`)).toEqual(['db/rollback-scripts/0002_c.sql linted the file of db/rollback-scripts/ as a forward migration']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the config\'s rollbacks', () => {
  it('is read as a list of globs; anything else is MG010 at its value', async () => {
    const config = async (text: string) => loadProjectConfig(memoryHost({ 'migc.config.json': text }), 'migc.config.json');
    expect((await config('{ "rollbacks": ["db/rollback_dbs/**"] }')).config?.rollbacks).toEqual(['db/rollback_dbs/**']);
    expect((await config('{ "rollbacks": "db/rollback_dbs/**" }')).diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(['MG010 rollbacks must be an array; got string "db/rollback_dbs/**"']);
    expect((await config('{ "rollbacks": [""] }')).diagnostics.map((d) => d.code)).toEqual(['MG010']);
  });
});

describe('migc lint --rollbacks (the real binary)', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-rollbacks-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  cpSync(`${openreplay}/db`, join(project, 'db'), { recursive: true });
  const migc = (args: string[], cwd = project) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
  type Json = { files: { file: string }[]; diagnostics: { file: string; line: number; code: string; severity: string }[] };
  const brief = (stdout: string) => {
    const out = JSON.parse(stdout) as Json;
    return { files: out.files.map((f) => f.file), diagnostics: out.diagnostics.map((d) => `${d.file}:${d.line} ${d.severity} ${d.code}`) };
  };

  it('lists each declared rollback after its up in --format json, with its findings judged as a rollback\'s', async () => {
    const r = await migc(['lint', 'db/init_dbs/postgresql', 'db/rollback_dbs/postgresql', '--rollbacks', 'db/rollback_dbs/**', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(brief(r.stdout)).toEqual({
      files: [init('1.0.0'), init('1.1.0'), back('1.1.0'), init('1.2.0'), back('1.2.0'), back('1.3.0'), init('1.4.0')],
      diagnostics: [`${back('1.1.0')}:5 error MG212`, `${back('1.2.0')}:5 warning MG214`],
    });
    expect(r.stderr).toBe('');
  });

  it('takes the config\'s rollbacks as the flag\'s, and adds the flag\'s to them; a config pattern that names nothing linted is no error', async () => {
    const flagged = await migc(['lint', 'db', '--rollbacks', 'db/rollback_dbs/**', '--format', 'json']);
    writeFileSync(join(project, 'migc.config.json'), '{ "rollbacks": ["db/rollback_dbs/postgresql/1.1.0", "db/other_rollbacks/**"] }\n');
    try {
      const configured = await migc(['lint', 'db', '--rollbacks', 'db/rollback_dbs/postgresql/1.[23].0/*.sql', '--format', 'json']);
      expect(configured.code).toBe(1);
      expect(configured.stdout).toBe(flagged.stdout);
      const only = brief((await migc(['lint', 'db', '--format', 'json'])).stdout);
      // 1.1.0's rollback is declared by the config; the others are forward migrations, and no note is given.
      expect(only.files.slice(0, 5)).toEqual([init('1.0.0'), init('1.1.0'), back('1.1.0'), init('1.2.0'), back('1.2.0')]);
      expect(only.diagnostics).toEqual([`${back('1.1.0')}:5 error MG212`, `${back('1.2.0')}:4 warning MG214`, `${back('1.2.0')}:5 warning MG214`, `${back('1.3.0')}:4 info MG214`]);
    } finally {
      rmSync(join(project, 'migc.config.json'));
    }
  });

  it('refuses a --rollbacks pattern that names none of the files linted (exit 2), saying how the paths are written', async () => {
    const r = await migc(['lint', '.', '--rollbacks', 'db/rollback_dbs/**'], join(project, 'db'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`migc: --rollbacks 'db/rollback_dbs/**' names none of the 7 .sql files linted; the files' paths are written as migc prints them, from the current folder, such as ${init('1.4.0').slice(3)} (a pattern naming a folder takes the files under it: --rollbacks 'db/rollback/**' or --rollbacks db/rollback)\n`);
    expect((await migc(['lint', 'db', '--rollbacks', ''])).code).toBe(2);
  });

  it('prints the note naming the flag with --verbose', async () => {
    const r = await migc(['lint', 'db', '--verbose']);
    expect(r.stdout).toContain(`${back('1.1.0')}:1:1 info MG024 linted the 3 files of db/rollback_dbs/ as forward migrations`);
    expect(r.stdout).toContain(`= help: If they are rollbacks, say so: --rollbacks 'db/rollback_dbs/**'`);
  });
});

/**
 * What the findings above claim, on the engines: each rollback runs after its up (and the up runs
 * again after it), it may drop what its up made, and narrowing accounts.name back to varchar(100)
 * rewrites accounts (a new relfilenode: MG212), where its up's widening did not.
 */
for (const engine of sqlEngines()) describe(`openreplay's rollbacks after their ups, on ${engine.name}`, () => {
  const sql = (file: string) => readFileSync(join(openreplay, file), 'utf8');

  it('each rollback undoes its up; the narrowing rewrites accounts, the widening does not', async () => {
    const db = await engine.open();
    try {
      const fileOf = async () => rowsOf(await db.run("SELECT pg_relation_filenode('accounts') AS f"))[0]!.f as string;
      await db.run(sql(init('1.0.0')));
      const first = await fileOf();
      await db.run(sql(init('1.1.0')));
      expect(await fileOf()).toBe(first);
      await db.run(sql(back('1.1.0')));
      expect(await fileOf()).not.toBe(first);
      expect(rowsOf(await db.run("SELECT to_regclass('tags') IS NULL AS gone"))[0]!.gone).toBe(true);
      await db.run(sql(init('1.1.0')));
      await db.run(sql(init('1.2.0')));
      await db.run(sql(back('1.2.0')));
      await db.run(sql(init('1.2.0')));
      await db.run(sql(back('1.3.0')));
      await db.run(sql(init('1.4.0')));
    } finally {
      await db.close();
    }
  });
});
