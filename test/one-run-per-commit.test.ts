import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, root } from './helpers.js';

/**
 * `migc lint --one-run-per-commit`: the files one git commit added run back to back, as a deploy
 * applies them (the twentieth trial's openpanel: `reset_pw` creates a table and `reset_pw_2`, added
 * in the same commit, adds a NOT NULL column without a default to it; every deployment runs both
 * on an empty table, and PostgreSQL takes it).
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(): { dir: string; commit(files: Record<string, string>, message: string): void; run(...args: string[]): void } {
  const dir = mkdtempSync(join(tmpdir(), 'migc-commit-runs-'));
  dirs.push(dir);
  const run = (...args: string[]) => { execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }); };
  run('init', '-q');
  return {
    dir, run,
    commit(files, message) {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      run('add', '-A');
      run('commit', '-qm', message);
    },
  };
}

function migc(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

const codes = (stdout: string) => (JSON.parse(stdout) as { diagnostics: { file: string; line?: number; code: string }[] }).diagnostics.filter((d) => d.code !== 'MG219').map((d) => `${d.file}:${d.line} ${d.code}`);

describe('lint --one-run-per-commit', () => {
  const lock = "SET lock_timeout = '5s';\n";
  const files = {
    init: { 'db/20240101000000_init/migration.sql': 'CREATE TABLE accounts (id text PRIMARY KEY);\n' },
    together: {
      'db/20241210091648_reset_pw/migration.sql': 'CREATE TABLE reset_password (id text PRIMARY KEY);\n',
      'db/20241210091731_reset_pw_2/migration.sql': `${lock}ALTER TABLE reset_password ADD COLUMN account_id text NOT NULL;\n`,
    },
    later: { 'db/20250101000000_more/migration.sql': `${lock}ALTER TABLE reset_password ADD COLUMN token text NOT NULL;\n` },
  };

  it('reads the files one commit added as one run: the table the first made is new for the next, and live for a later commit\'s', async () => {
    const r = repo();
    r.commit(files.init, 'init');
    r.commit(files.together, 'reset passwords');
    r.commit(files.later, 'tokens');
    const each = await migc(['lint', 'db', '--file-transaction', '--format', 'json'], r.dir);
    expect(codes(each.stdout)).toEqual(['db/20241210091731_reset_pw_2/migration.sql:2 MG206', 'db/20250101000000_more/migration.sql:2 MG206']);
    const byCommit = await migc(['lint', 'db', '--file-transaction', '--one-run-per-commit', '--format', 'json'], r.dir);
    expect(codes(byCommit.stdout)).toEqual(['db/20250101000000_more/migration.sql:2 MG206']);
    expect(byCommit.stderr).toBe('');
    // From outside the clone, the files' own repository is read (the fortieth trial's D).
    const outside = mkdtempSync(join(tmpdir(), 'migc-outside-'));
    dirs.push(outside);
    const fromOutside = await migc(['lint', join(r.dir, 'db'), '--file-transaction', '--one-run-per-commit', '--format', 'json'], outside);
    expect(fromOutside.stderr).toBe('');
    expect(codes(fromOutside.stdout).map((c) => c.replace(/^.*\/db\//, 'db/'))).toEqual(['db/20250101000000_more/migration.sql:2 MG206']);
  });

  it('follows a folder moved with git mv, and takes the files not committed yet for one run', async () => {
    const r = repo();
    r.commit({ 'old/20240101000000_init/migration.sql': files.init['db/20240101000000_init/migration.sql'] }, 'init');
    r.commit(Object.fromEntries(Object.entries(files.together).map(([k, v]) => [k.replace('db/', 'old/'), v])), 'reset passwords');
    r.run('mv', 'old', 'db');
    r.run('commit', '-qm', 'move');
    // The move is no commit of theirs: reset_pw_2 still runs with reset_pw, and not with init.
    const moved = await migc(['lint', 'db', '--file-transaction', '--one-run-per-commit', '--format', 'json'], r.dir);
    expect(codes(moved.stdout)).toEqual([]);
    for (const [name, text] of Object.entries(files.later)) writeFileSync(join(r.dir, name.replace('/migration.sql', '.sql')), text);
    writeFileSync(join(r.dir, 'db/20250102000000_more2.sql'), `${lock}ALTER TABLE reset_password ADD COLUMN code text NOT NULL;\n`);
    const pending = await migc(['lint', 'db', '--file-transaction', '--one-run-per-commit', '--format', 'json'], r.dir);
    // The two uncommitted files are one run of their own, after the committed ones: the first is told, and the second's table is no newer.
    expect(codes(pending.stdout)).toEqual(['db/20250101000000_more.sql:2 MG206', 'db/20250102000000_more2.sql:2 MG206']);
  });

  it('says a commit that added many files on stderr, and refuses to mix with --one-run; outside git it is MG091', async () => {
    const r = repo();
    r.commit(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`db/${String(i).padStart(3, '0')}_x.sql`, `SELECT ${i};\n`])), 'import');
    const many = await migc(['lint', 'db', '--one-run-per-commit', '--format', 'json'], r.dir);
    expect(many.stderr).toMatch(/^migc: note: commit [0-9a-f]{12} added 21 of the files linted, read as one run \(--one-run-per-commit\): what the earlier of them create stays new and empty for the later; if it imported an older history rather than adding one release, lint without --one-run-per-commit\n/);
    const both = await migc(['lint', 'db', '--one-run-per-commit', '--one-run'], r.dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--one-run-per-commit and --one-run say two ways the files make runs');
    const outside = mkdtempSync(join(tmpdir(), 'migc-no-git-'));
    dirs.push(outside);
    writeFileSync(join(outside, '001_x.sql'), 'SELECT 1;\n');
    const noGit = await migc(['lint', '.', '--one-run-per-commit'], outside);
    expect(noGit.code).toBe(2);
    expect(noGit.stderr).toMatch(/^migc: --one-run-per-commit: .* is not inside a git repository/);
  });
});

describe('lint --one-run-per-folder', () => {
  it('reads the files of one folder as one run: what a version folder\'s first file makes is new for the next, and live for a later folder (Yuniql, the forty-first trial\'s B)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-folder-runs-'));
    dirs.push(dir);
    const files = {
      'v0.00/01-init.sql': 'CREATE TABLE t (id int PRIMARY KEY, n int);\n',
      'v0.01/01-create-tables.sql': 'CREATE TABLE u (id int PRIMARY KEY, n int);\n',
      'v0.01/02-create-index.sql': "SET lock_timeout = '5s';\nCREATE INDEX u_n ON u (n);\nCREATE INDEX t_n ON t (n);\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const byFolder = await migc(['lint', '.', '--file-transaction', '--one-run-per-folder', '--format', 'json'], dir);
    expect(codes(byFolder.stdout)).toEqual(['v0.01/02-create-index.sql:3 MG201']);
    expect(codes((await migc(['lint', '.', '--file-transaction', '--format', 'json'], dir)).stdout)).toEqual(['v0.01/02-create-index.sql:2 MG201', 'v0.01/02-create-index.sql:3 MG201', 'v0.01/02-create-index.sql:3 MG217']);
    const both = await migc(['lint', '.', '--one-run-per-folder', '--one-run-per-commit'], dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--one-run-per-folder and --one-run-per-commit say two ways the files make runs');
  });
});
