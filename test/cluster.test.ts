import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { candidateBindirs, clusterEngine, clusterUser, findInstallation, inspectBindir } from '../src/verify/cluster.js';
import { cliEnv, minimalPlan, root } from './helpers.js';

/**
 * migc verify's throwaway local cluster, on this machine's PostgreSQL 15 (Debian's
 * /usr/lib/postgresql/15/bin). Under CI=true it must be there; elsewhere the tests that need it
 * are skipped. The tests run as root here and in CI, so they also prove the switch to the
 * postgres user.
 */
const bindir15 = '/usr/lib/postgresql/15/bin';
const have15 = existsSync(`${bindir15}/postgres`);
const needs15 = !have15 && !process.env.CI;

/** Whether the server of a data folder says it is ready. The server writes and removes
 * postmaster.pid as it starts and stops (initdb runs one too), so the file can go between a look
 * and a read: a file that is not there, or went, means "not ready yet". With `databases`, it must
 * also hold that many databases beyond template0, template1 and postgres. */
function serverReady(data: string, databases = 0): boolean {
  try {
    return readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim() === 'ready' && readdirSync(join(data, 'base')).length >= 3 + databases;
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code!)) return false;
    throw e;
  }
}

/** Processes whose command line names a path: a cluster left running. */
function processesUnder(path: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(path) && !l.includes(' ps '));
}

describe('finding a PostgreSQL installation', () => {
  it('needs PostgreSQL 15 in CI', () => {
    if (process.env.CI) expect(have15).toBe(true);
  });

  it.skipIf(needs15)('finds Debian\'s /usr/lib/postgresql/15/bin for major 15, with its version', async () => {
    const search = await findInstallation(15, { PATH: process.env.PATH });
    expect(search.found).toMatchObject({ bindir: bindir15, major: 15, version: expect.stringMatching(/^15\.\d+$/) });
    expect(search.looked[0]).toBe(bindir15);
  });

  it.skipIf(needs15)('MIGC_PG_BINDIR is the only place looked, and must hold the major asked for', async () => {
    expect(await findInstallation(15, { PATH: process.env.PATH, MIGC_PG_BINDIR: '/nonexistent/bin' })).toEqual({ looked: ['/nonexistent/bin'] });
    expect((await findInstallation(15, { MIGC_PG_BINDIR: bindir15 })).found?.bindir).toBe(bindir15);
    expect((await findInstallation(16, { MIGC_PG_BINDIR: bindir15 })).found).toBeUndefined();
  });

  it('looks on PATH too: pg_config --bindir, and the folder the postgres on PATH links to', async () => {
    const fake = mkdtempSync(join(tmpdir(), 'migc-path-'));
    try {
      mkdirSync(join(fake, 'path'));
      mkdirSync(join(fake, 'real'));
      writeFileSync(join(fake, 'path', 'pg_config'), `#!/bin/sh\necho ${join(fake, 'from-pg-config')}\n`, { mode: 0o755 });
      writeFileSync(join(fake, 'real', 'postgres'), '#!/bin/sh\n', { mode: 0o755 });
      symlinkSync(join(fake, 'real', 'postgres'), join(fake, 'path', 'postgres'));
      const dirs = await candidateBindirs(16, { PATH: join(fake, 'path') });
      expect(dirs.slice(0, 2)).toEqual(['/usr/lib/postgresql/16/bin', '/usr/pgsql-16/bin']);
      expect(dirs).toContain('/opt/homebrew/opt/postgresql@16/bin');
      expect(dirs.slice(-2)).toEqual([join(fake, 'from-pg-config'), join(fake, 'real')]);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  it('a folder without initdb and postgres, or with something else called postgres, is no installation', async () => {
    const fake = mkdtempSync(join(tmpdir(), 'migc-bin-'));
    try {
      expect(await inspectBindir(fake)).toBeUndefined();
      writeFileSync(join(fake, 'postgres'), '#!/bin/sh\necho "not a database"\n', { mode: 0o755 });
      writeFileSync(join(fake, 'initdb'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      expect(await inspectBindir(fake)).toBeUndefined();
      writeFileSync(join(fake, 'postgres'), '#!/bin/sh\necho "postgres (PostgreSQL) 17.2"\n', { mode: 0o755 });
      expect(await inspectBindir(fake)).toEqual({ bindir: fake, major: 17, version: '17.2' });
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});

/**
 * Runs `stop` and returns the timers that src/verify/cluster.ts set meanwhile and that neither
 * fired nor were cleared by the end: a pending timer keeps the process alive until it fires.
 */
let leftPending: string[] = [];
async function stopWatchingTimers(stop: () => Promise<void>): Promise<void> {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const pending = new Map<unknown, string>();
  const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = set(() => {
      pending.delete(timer);
      callback(...args);
    }, ms);
    const caller = new Error().stack ?? '';
    if (caller.includes('verify/cluster')) pending.set(timer, `${ms} ms timer set ${caller.split('\n').find((l) => l.includes('verify/cluster'))?.trim()}`);
    return timer;
  }) as typeof setTimeout);
  const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(timer);
    clear(timer);
  }) as typeof clearTimeout);
  try {
    await stop();
  } finally {
    setSpy.mockRestore();
    clearSpy.mockRestore();
  }
  leftPending = [...pending.values()];
}

describe.skipIf(needs15)('the throwaway cluster', () => {
  it('starts in a private temporary folder, as postgres under root, confines plan SQL like a server, and is gone after', async () => {
    const installation = (await inspectBindir(bindir15))!;
    const user = await clusterUser();
    expect(user.ok).toBe(true);
    const started = await clusterEngine(installation, user.ok ? user.user : { kind: 'self' });
    if (!started.ok) throw new Error(started.problem);
    const { engine } = started;
    const folder = engine.cluster.folder;
    try {
      expect(engine.major).toBe(15);
      expect(engine.label).toMatch(/^PostgreSQL 15\.\d+ .*at a throwaway local cluster/);
      const stat = statSync(folder);
      expect(stat.mode & 0o777).toBe(0o700);
      if (process.getuid!() === 0) expect(stat.uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()));
      // No TCP: the socket in the folder is the only way in.
      expect(readdirSync(folder)).toContain('.s.PGSQL.5432');
      const db = await engine.open();
      const [me] = (await db.query<{ user: string; superuser: string; listen: string }>("SELECT current_user AS user, current_setting('is_superuser') AS superuser, current_setting('listen_addresses') AS listen")).rows;
      expect(me).toMatchObject({ user: expect.stringMatching(/^migc_rehearsal_[0-9a-f]{12}$/), superuser: 'off', listen: '' });
      await expect(db.exec("COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toThrow(/permission denied|must be superuser|privileges/);
      await db.close();
      expect(processesUnder(folder).length).toBeGreaterThan(0);
    } finally {
      await stopWatchingTimers(engine.dispose);
    }
    expect(existsSync(folder)).toBe(false);
    expect(processesUnder(folder)).toEqual([]);
    // No timer of the cluster's left pending by the stop: one kept each migc verify running 10 s after it was done.
    expect(leftPending).toEqual([]);
  });
});

/** The real binary, with its own temporary folder so that what it leaves there is its own. */
function migc(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv(env) }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/*
 * The tests below are about which engine runs, what it says and what is left after it; they
 * rehearse without crash points (--no-crash-points) except the first, which runs the default on
 * a local cluster.
 * Crash points are proven on each engine elsewhere: every example plan's, rename-user-name's among
 * them, on PGlite and on a PostgreSQL 15 server in test/verify.test.ts, and the default run's on a
 * local cluster in test/cli.test.ts ("tries the crash points by default").
 */
describe('migc verify picks the plan\'s PostgreSQL major', () => {
  let project: string;
  let temp: string;
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'migc-major-'));
    temp = mkdtempSync(join(tmpdir(), 'migc-tmp-'));
    chmodSync(temp, 0o755); // a TMPDIR the postgres user can reach, as /tmp is (a private one is not used)
    cpSync(join(root, 'plans'), join(project, 'plans'), { recursive: true });
    cpSync(join(root, 'test/fixtures/verify'), join(project, 'broken'), { recursive: true });
  });
  afterEach(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true });
  });
  /** Nothing left in the run's temporary folder, and no process running from it. */
  const expectClean = () => {
    expect(readdirSync(temp)).toEqual([]);
    expect(processesUnder(temp)).toEqual([]);
  };

  it.skipIf(needs15)('rehearses on a local PostgreSQL 15 cluster it starts itself, without MG080, and removes it', async () => {
    const r = await migc(['verify', 'plans/rename-user-name.yaml', 'plans/email-verified.yaml', '--format', 'json'], project, { TMPDIR: temp });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.engine).toMatch(/^PostgreSQL 15\.\d+ .*throwaway local cluster \(\/usr\/lib\/postgresql\/15\/bin\)$/);
    expect(out.rehearsals.map((x: { engine: string; engineWarning: string | null }) => [x.engine === out.engine, x.engineWarning])).toEqual([[true, null], [true, null]]);
    expect(out.diagnostics.filter((d: { code: string }) => d.code === 'MG080')).toEqual([]);
    expectClean();
  });

  it.skipIf(needs15 || process.getuid?.() !== 0)('run as a user other than root, starts the cluster as that user (no switch)', async () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    execFileSync('chown', ['-R', `${uid}:${gid}`, project, temp]);
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('runuser', ['-u', 'postgres', '--', process.execPath, join(root, 'bin/migc.js'), 'verify', 'plans/rename-user-name.yaml', '--no-crash-points'], { cwd: project, env: cliEnv({ TMPDIR: temp, HOME: project }) }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
    expect(r.stderr).toMatch(/^migc: verified 1 plan on PostgreSQL 15\.\d+ .*throwaway local cluster .*: 1 passed, 0 failed: 0 errors, 0 warnings/);
    expect(r.code).toBe(0);
    expectClean();
  });

  it.skipIf(needs15 || process.getuid?.() !== 0)('as root without a user to run the cluster as, --engine local says so (exit 2); migc creates no user', async () => {
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--engine', 'local'], project, { TMPDIR: temp, MIGC_PG_USER: 'migc-no-such-user' });
    expect(r).toMatchObject({ code: 2, stderr: 'migc: --engine local: migc runs as root, which PostgreSQL refuses, and there is no user "migc-no-such-user" to run the local cluster as (create one, e.g. useradd --system postgres, or run migc as another user)\n' });
    expectClean();
  });

  it.skipIf(needs15)('removes the cluster after a failed rehearsal too', async () => {
    const r = await migc(['verify', 'broken/not-null-with-nulls.yaml'], project, { TMPDIR: temp });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED on PostgreSQL 15.');
    expect(r.stdout).toContain('contains null values');
    expectClean();
  });

  it('falls back to PGlite with MG080 when no installation of the major exists, in the output and the report', async () => {
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--report', '--no-crash-points'], project, { TMPDIR: temp, MIGC_PG_BINDIR: join(temp, 'nothing-here') });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`migc: warning: rehearsing PostgreSQL 15 plans on PGlite: MIGC_PG_BINDIR=${join(temp, 'nothing-here')} holds no PostgreSQL 15 (initdb and postgres)\n`);
    expect(r.stdout).toContain('rename-user-name: passed on PGlite (PostgreSQL 18');
    expect(r.stdout).toContain(', NOT the plan\'s PostgreSQL major (MG080)');
    expect(r.stdout).toMatch(/plans\/rename-user-name\.yaml:7:9 warning MG080 rehearsed on PGlite \(PostgreSQL 18\.\d+, in-process\), but the plan targets PostgreSQL 15: what passed on 18 may fail on 15; not on 15 because MIGC_PG_BINDIR=/);
    expect(r.stderr).toContain('1 warning');
    const report = readFileSync(join(project, 'out/rename-user-name/report.md'), 'utf8');
    expect(report).toMatch(/Times are from the rehearsal database, not production\.\n\n> \[!WARNING\]\n> Not rehearsed on the plan's PostgreSQL major \(\[MG080\]\(.*\)\): rehearsed on PGlite \(PostgreSQL 18\.\d+, in-process\), but the plan targets PostgreSQL 15: .*\.\n\n\| Phase \|/);
    expectClean();
  });

  it.skipIf(needs15)('--engine pglite: MG080\'s help says PGlite was asked for, and how to rehearse on the plan\'s major, installed or not', async () => {
    // The help depends on the plan's target (15) only: a plan with one small step keeps each PGlite run short.
    writeFileSync(join(project, 'plans/small-15.yaml'), minimalPlan.replace('phases:', 'baseline:\n  sql: CREATE TABLE t (id bigint PRIMARY KEY);\nphases:'));
    const help = async (env: Record<string, string>) => {
      const r = await migc(['verify', 'plans/small-15.yaml', '--engine', 'pglite', '--no-crash-points', '--format', 'json'], project, { TMPDIR: temp, ...env });
      expect(r.code).toBe(0);
      const found = JSON.parse(r.stdout).diagnostics.filter((d: { code: string }) => d.code === 'MG080');
      expect(found).toHaveLength(1);
      return found[0].help as string;
    };
    const installed = await help({ MIGC_PG_BINDIR: bindir15 });
    expect(installed).toMatch(/^The rehearsal ran on PGlite \(PostgreSQL 18\) because --engine pglite asked for it\. To rehearse on PostgreSQL 15, the plan's target: run migc verify --engine local \(or without --engine\), which starts a throwaway cluster of the PostgreSQL 15\.\d+ installed in \/usr\/lib\/postgresql\/15\/bin, or give --database-url of a PostgreSQL 15 server\.$/);
    expect(installed).not.toContain('Install PostgreSQL');
    const missing = await help({ MIGC_PG_BINDIR: join(temp, 'nothing-here') });
    expect(missing).toBe('The rehearsal ran on PGlite (PostgreSQL 18) because --engine pglite asked for it. To rehearse on PostgreSQL 15, the plan\'s target: install PostgreSQL 15 (Debian/Ubuntu: apt install postgresql-15; macOS: brew install postgresql@15) or set MIGC_PG_BINDIR to its bin folder, then run migc verify --engine local (or without --engine), or give --database-url of a PostgreSQL 15 server.');
    // Without --engine, the fallback's help is to install the major: nothing was asked for.
    const r = await migc(['verify', 'plans/small-15.yaml', '--no-crash-points', '--format', 'json'], project, { TMPDIR: temp, MIGC_PG_BINDIR: join(temp, 'nothing-here') });
    expect(JSON.parse(r.stdout).diagnostics.find((d: { code: string }) => d.code === 'MG080').help).toMatch(/^Install PostgreSQL 15 \(/);
    expectClean();
  }, 120_000);

  it('--engine local without the major is a usage error, exit 2; --engine with --database-url too', async () => {
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--engine', 'local'], project, { TMPDIR: temp, MIGC_PG_BINDIR: '/nonexistent' });
    expect(r).toMatchObject({ code: 2, stderr: 'migc: --engine local: MIGC_PG_BINDIR=/nonexistent holds no PostgreSQL 15 (initdb and postgres)\n' });
    const both = await migc(['verify', '--engine', 'pglite', '--database-url', 'postgres://x@127.0.0.1:9/x'], project, { TMPDIR: temp });
    expect(both).toMatchObject({ code: 2, stderr: 'migc: --engine pglite and --database-url both say where to rehearse: give one of them\n' });
    expectClean();
  });

  it('a cluster that fails to start (initdb, then the server) is removed, and --engine local exits 2 saying why', async () => {
    const bin = join(temp, 'bin');
    mkdirSync(bin);
    chmodSync(bin, 0o755);
    writeFileSync(join(bin, 'postgres'), '#!/bin/sh\n[ "$1" = --version ] && echo "postgres (PostgreSQL) 15.2" && exit 0\necho "FATAL: no such luck" >&2; exit 1\n', { mode: 0o755 });
    writeFileSync(join(bin, 'initdb'), '#!/bin/sh\necho "initdb: error: disk on fire" >&2; exit 1\n', { mode: 0o755 });
    const leftIn = () => readdirSync(temp).filter((f) => f !== 'bin');
    const local = await migc(['verify', 'plans/rename-user-name.yaml', '--engine', 'local'], project, { TMPDIR: temp, MIGC_PG_BINDIR: bin });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/^migc: --engine local: initdb of PostgreSQL 15\.2 \(.*\/bin\) failed: initdb: error: disk on fire\n$/);
    expect(leftIn()).toEqual([]);
    // initdb "succeeds" (writes nothing); the server then exits at once.
    writeFileSync(join(bin, 'initdb'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    // (--engine auto would rehearse on PGlite instead, saying the same: see the fallback test above.)
    const server = await migc(['verify', 'plans/rename-user-name.yaml', '--engine', 'local'], project, { TMPDIR: temp, MIGC_PG_BINDIR: bin });
    expect(server.code).toBe(2);
    expect(server.stderr).toMatch(/^migc: --engine local: the local PostgreSQL 15\.2 server \(.*\) did not start: the server exited \(code 1\): FATAL: no such luck\n$/);
    expect(leftIn()).toEqual([]);
    expect(processesUnder(temp)).toEqual([]);
  });

  it.skipIf(needs15)('a plan of another major falls back alone: each major gets its engine, started once', async () => {
    writeFileSync(join(project, 'plans/rename-13.yaml'), readFileSync(join(project, 'plans/rename-user-name.yaml'), 'utf8').replace('id: rename-user-name', 'id: rename-13').replace('engine: postgresql@15', 'engine: postgresql@13'));
    const r = await migc(['verify', 'plans/rename-user-name.yaml', 'plans/rename-13.yaml', '--format', 'json', '--no-crash-points'], project, { TMPDIR: temp, MIGC_PG_BINDIR: '' });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const byId = Object.fromEntries(out.rehearsals.map((x: { id: string; engine: string }) => [x.id, x.engine]));
    expect(byId['rename-13']).toMatch(/^PGlite/);
    expect(byId['rename-user-name']).toMatch(/^PostgreSQL 15\./);
    expect(out.diagnostics.filter((d: { code: string }) => d.code === 'MG080').map((d: { file: string; message: string }) => [d.file, d.message.replace(/\(looked in .*\)/, '(looked in ...)')])).toEqual([
      ['plans/rename-13.yaml', expect.stringMatching(/but the plan targets PostgreSQL 13: what passed on 18 may fail on 13; not on 13 because no PostgreSQL 13 installation found \(looked in \.\.\.\)$/)],
    ]);
    expect(r.stderr).toContain('migc: warning: rehearsing PostgreSQL 13 plans on PGlite: no PostgreSQL 13 installation found (looked in /usr/lib/postgresql/13/bin, ');
    expectClean();
  });

  it.skipIf(needs15)('kill -9 leaves the cluster running; the next run stops it and removes its folder (and nothing of a run still going)', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'verify', 'plans/rename-user-name.yaml'], { cwd: project, env: cliEnv({ TMPDIR: temp }), stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    const folders = () => readdirSync(temp).filter((d) => d.startsWith('migc-pg'));
    const ready = () => folders().some((d) => serverReady(join(temp, d, 'data')));
    while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const [left] = folders();
    expect(left).toBeDefined();
    expect(processesUnder(join(temp, left!)).length).toBeGreaterThan(0);
    // A folder that looks like a cluster of a run still going (this test's own pid) is not touched.
    mkdirSync(join(temp, 'migc-pg15-busy'));
    writeFileSync(join(temp, 'migc-pg15-busy', 'migc.pid'), `${process.pid}\n`);
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--no-crash-points'], project, { TMPDIR: temp });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`migc: warning: stopped and removed ${join(temp, left!)}, a local cluster an earlier migc verify left behind (killed)\n`);
    expect(readdirSync(temp)).toEqual(['migc-pg15-busy']);
    rmSync(join(temp, 'migc-pg15-busy'), { recursive: true });
    expectClean();
  }, 120_000);

  it.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('--database-url: a server of another major than the plan\'s gets MG080 (needs MIGC_TEST_DATABASE_URL)', async () => {
    writeFileSync(join(project, 'plans/rename-14.yaml'), readFileSync(join(project, 'plans/rename-user-name.yaml'), 'utf8').replace('id: rename-user-name', 'id: rename-14').replace('engine: postgresql@15', 'engine: postgresql@14'));
    const r = await migc(['verify', 'plans/rename-14.yaml', 'plans/rename-user-name.yaml', '--database-url', process.env.MIGC_TEST_DATABASE_URL!, '--format', 'json', '--no-crash-points'], project, { TMPDIR: temp });
    expect(r.code).toBe(0);
    const mismatches = JSON.parse(r.stdout).diagnostics.filter((d: { code: string }) => d.code === 'MG080');
    expect(mismatches.map((d: { file: string; line: number; message: string }) => [d.file, d.line, d.message])).toEqual([
      ['plans/rename-14.yaml', 7, expect.stringMatching(/^rehearsed on PostgreSQL 15\.\d+ .*at 127\.0\.0\.1:\d+, but the plan targets PostgreSQL 14: what passed on 15 may fail on 14$/)],
    ]);
    // The server was the user's choice: the help is about giving another, not installing.
    expect(mismatches[0].help).toBe('The rehearsal ran on the --database-url server, PostgreSQL 15. To rehearse on PostgreSQL 14, the plan\'s target: give --database-url of a PostgreSQL 14 server, or leave --database-url out so migc verify starts a throwaway cluster of a local PostgreSQL 14 installation.');
    expectClean();
  });

  it.skipIf(needs15)('SIGTERM while rehearsing stops the cluster, removes its folder and exits 143', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'verify'], { cwd: project, env: cliEnv({ TMPDIR: temp }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Once the cluster is up and a rehearsal database exists in it.
    const deadline = Date.now() + 60_000;
    const ready = () => readdirSync(temp).some((d) => serverReady(join(temp, d, 'data'), 1));
    while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ready()).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toMatch(/migc: SIGTERM: stopped; .*stopped the local cluster and removed /);
    expectClean();
  }, 90_000);
});
