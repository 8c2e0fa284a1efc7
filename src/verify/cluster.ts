import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { serverEngine, type Engine } from './engine.js';

/** The environment variable that names the bin folder of the PostgreSQL to rehearse on. */
export const bindirVariable = 'MIGC_PG_BINDIR';

/** A PostgreSQL installation: a bin folder with initdb and postgres. */
export interface Installation {
  readonly bindir: string;
  readonly major: number;
  /** "15.18", as `postgres --version` says. */
  readonly version: string;
}

export interface InstallationSearch {
  /** The installation of the major asked for, if one was found. */
  readonly found?: Installation;
  /** The folders looked in, in order: to say where migc looked when none was found. */
  readonly looked: readonly string[];
}

const run = (file: string, args: readonly string[], timeout = 10_000) => new Promise<{ ok: boolean; stdout: string; stderr: string }>((resolve) => {
  execFile(file, args, { timeout, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ ok: !error, stdout, stderr: stderr || (error?.message ?? '') }));
});

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** An executable's folder on PATH, if any. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return dir;
  }
  return undefined;
}

/**
 * The folders migc looks in for PostgreSQL <major>, the way users have it installed. With
 * MIGC_PG_BINDIR set, only that folder: the override says where it is, and nothing else is
 * guessed. Otherwise: Debian and Ubuntu (/usr/lib/postgresql/<major>/bin), the PGDG packages of
 * Red Hat and Fedora (/usr/pgsql-<major>/bin), Homebrew (postgresql@<major> and postgresql, on
 * Apple silicon and Intel), Postgres.app, MacPorts, a source build (/usr/local/pgsql/bin), then
 * PATH: pg_config --bindir and the folder of `postgres` (through symbolic links).
 */
export async function candidateBindirs(major: number, env: NodeJS.ProcessEnv): Promise<string[]> {
  const override = env[bindirVariable];
  if (override !== undefined && override !== '') return [override];
  const dirs = [
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
    `/Applications/Postgres.app/Contents/Versions/${major}/bin`,
    `/opt/local/lib/postgresql${major}/bin`,
    '/opt/homebrew/opt/postgresql/bin',
    '/usr/local/opt/postgresql/bin',
    '/usr/local/pgsql/bin',
  ];
  const pgConfig = onPath('pg_config', env);
  if (pgConfig) {
    const out = await run(join(pgConfig, 'pg_config'), ['--bindir']);
    if (out.ok && out.stdout.trim()) dirs.push(out.stdout.trim());
  }
  const postgres = onPath('postgres', env);
  if (postgres) {
    try {
      dirs.push(dirname(realpathSync(join(postgres, 'postgres'))));
    } catch {
      dirs.push(postgres);
    }
  }
  return [...new Set(dirs)];
}

/** What a bin folder holds: its major and version, or undefined when it is no usable installation. */
export async function inspectBindir(bindir: string): Promise<Installation | undefined> {
  if (!executable(join(bindir, 'postgres')) || !executable(join(bindir, 'initdb'))) return undefined;
  const out = await run(join(bindir, 'postgres'), ['--version']);
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", "postgres (PostgreSQL) 17beta1"
  const version = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(out.stdout);
  if (!out.ok || !version) return undefined;
  return { bindir, major: Number(version[1]), version: `${version[1]}${version[2] ?? ''}` };
}

/** The first installation of PostgreSQL <major> in the folders of candidateBindirs(). */
export async function findInstallation(major: number, env: NodeJS.ProcessEnv = process.env): Promise<InstallationSearch> {
  const looked = await candidateBindirs(major, env);
  for (const dir of looked) {
    if (!existsSync(dir)) continue;
    const found = await inspectBindir(dir);
    if (found?.major === major) return { found, looked };
  }
  return { looked };
}

/** Who runs initdb and postgres: migc's own user, or (when migc runs as root) the postgres user. */
export type ClusterUser =
  | { readonly kind: 'self' }
  | { readonly kind: 'switch'; readonly name: string; readonly uid: number; readonly gid: number };

export type ClusterUserOutcome = { readonly ok: true; readonly user: ClusterUser } | { readonly ok: false; readonly problem: string };

/**
 * PostgreSQL refuses to run as root. Run as root (a container, CI), migc runs initdb and the
 * server as the `postgres` user that the distributions' packages create, with the temporary
 * folder given to it; without such a user there is no one to run it as, and migc says so rather
 * than create a user on the machine.
 */
export async function clusterUser(env: NodeJS.ProcessEnv = process.env): Promise<ClusterUserOutcome> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: true, user: { kind: 'self' } };
  const name = env.MIGC_PG_USER || 'postgres';
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  if (!uid.ok || !gid.ok) {
    return { ok: false, problem: `migc runs as root, which PostgreSQL refuses, and there is no user "${name}" to run the local cluster as (create one, e.g. useradd --system postgres, or run migc as another user)` };
  }
  if (!onPath('setpriv', env) && !onPath('runuser', env)) {
    return { ok: false, problem: `migc runs as root, which PostgreSQL refuses, and neither setpriv nor runuser (util-linux) is on PATH to run the local cluster as "${name}"` };
  }
  return { ok: true, user: { kind: 'switch', name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } };
}

/** The command line that runs a program as the cluster's user. setpriv execs it, so its pid is the program's. */
function asUser(user: ClusterUser, file: string, args: readonly string[], env: NodeJS.ProcessEnv): [string, string[]] {
  if (user.kind === 'self') return [file, [...args]];
  if (onPath('setpriv', env)) return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', file, ...args]];
  return ['runuser', ['-u', user.name, '--', file, ...args]];
}

/**
 * Where the cluster's folder goes: the temporary folder, unless its socket path would pass
 * PostgreSQL's limit (107 bytes; macOS's tmpdir is long), or the postgres user could not reach
 * it (root's private TMPDIR): then /tmp.
 */
function temporaryParent(user: ClusterUser): string {
  const t = tmpdir();
  if (t.length > 60) return '/tmp';
  if (user.kind === 'switch') {
    try {
      const s = statSync(t);
      if (s.uid !== user.uid && (s.mode & 0o001) === 0) return '/tmp';
    } catch {
      return '/tmp';
    }
  }
  return t;
}

/** Names of the temporary folders migc's clusters live in: migc-pg<major>-<random>. */
export const clusterFolderPrefix = 'migc-pg';

export interface LocalCluster {
  readonly installation: Installation;
  /** Clusters that earlier runs left behind (killed with -9) and that this start stopped and removed. */
  readonly removedLeftovers: readonly string[];
  /** The temporary folder: data directory and the Unix socket. */
  readonly folder: string;
  /** postgres://postgres@<socket folder>:<port>/postgres */
  readonly url: string;
  /** Milliseconds initdb took, and the server start. */
  readonly timings: { readonly initdb: number; readonly start: number };
  /** Stops the server and removes the folder; safe to call more than once. */
  stop(): Promise<void>;
}

export type LocalClusterOutcome = { readonly ok: true; readonly cluster: LocalCluster } | { readonly ok: false; readonly problem: string };

const port = 5432;

/**
 * Starts a throwaway PostgreSQL cluster: initdb into a temporary folder, then the server on a
 * Unix socket in that folder only (no TCP: listen_addresses is empty), trust authentication
 * (initdb's, for local connections; no other kind can reach it), no fsync, no autovacuum (it
 * would take locks of its own during the rehearsal). The folder is made private to the user
 * that runs the server. stop() shuts it down and removes the folder; a process exit that skips
 * it (an error thrown past it) still kills the server and removes the folder.
 */
export async function startCluster(installation: Installation, user: ClusterUser, env: NodeJS.ProcessEnv = process.env): Promise<LocalClusterOutcome> {
  const parent = temporaryParent(user);
  const removedLeftovers = await removeAbandonedClusters(parent);
  const folder = await mkdtemp(join(parent, `${clusterFolderPrefix}${installation.major}-`));
  // Whose cluster it is: a later run removes it if this process is gone (killed with -9).
  await writeFile(join(folder, ownerFile), `${process.pid}\n`);
  const data = join(folder, 'data');
  let server: ChildProcess | undefined;
  let stopped = false;
  const onExit = () => {
    // Last resort, synchronous: an exit that skipped stop().
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(server.pid, 'SIGQUIT');
      } catch { /* already gone */ }
    }
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch { /* nothing more to do */ }
  };
  process.on('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()));
      server.kill('SIGINT'); // fast shutdown: ends sessions, no checkpoint wait worth speaking of
      // Through runuser the child is runuser, not the postmaster: tell the postmaster itself.
      try {
        const postmaster = Number.parseInt(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
        if (Number.isInteger(postmaster) && postmaster > 0 && postmaster !== server.pid) process.kill(postmaster, 'SIGINT');
      } catch { /* not started, or gone already */ }
      // The timer is cleared once the server is gone: left pending, it kept migc running 10 s more.
      let timer: NodeJS.Timeout | undefined;
      const quick = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000)))]);
      clearTimeout(timer);
      if (!quick) {
        server.kill('SIGKILL');
        await exited;
      }
    }
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    process.off('exit', onExit);
  };
  const fail = async (problem: string): Promise<LocalClusterOutcome> => {
    await stop();
    return { ok: false, problem };
  };

  if (user.kind === 'switch') await chown(folder, user.uid, user.gid);
  const started = performance.now();
  const [initdbFile, initdbArgs] = asUser(user, join(installation.bindir, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '-N'], env);
  const initdb = await new Promise<{ ok: boolean; output: string }>((resolve) => {
    execFile(initdbFile, initdbArgs, { cwd: folder, timeout: 120_000, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ ok: !error, output: `${stderr}${stdout}`.trim() || (error?.message ?? '') }));
  });
  if (!initdb.ok) return fail(`initdb of PostgreSQL ${installation.version} (${installation.bindir}) failed: ${lastLines(initdb.output)}`);
  const initdbMs = performance.now() - started;

  const startAt = performance.now();
  const settings = [
    'listen_addresses=', `unix_socket_directories=${folder}`, 'unix_socket_permissions=0700',
    'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'autovacuum=off',
    'max_connections=40', 'shared_buffers=32MB', 'max_wal_size=1GB', 'logging_collector=off',
  ];
  const [file, args] = asUser(user, join(installation.bindir, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])], env);
  let log = '';
  server = spawn(file, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  const spawnFailed = new Promise<string>((resolve) => {
    server!.once('error', (e) => resolve(e.message));
    server!.once('exit', (code, signal) => resolve(`the server exited (${signal ?? `code ${code}`})`));
  });
  // Ready when postmaster.pid's status line says so (PostgreSQL 10+ writes "ready").
  const ready = (async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !stopped) {
      try {
        const lines = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n');
        if (lines[7]?.trim() === 'ready') return true;
      } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  })();
  const outcome = await Promise.race([ready.then((ok) => (ok ? undefined : 'it did not become ready within 60 s')), spawnFailed]);
  if (outcome !== undefined) return fail(`the local PostgreSQL ${installation.version} server (${installation.bindir}) did not start: ${outcome}${log ? `: ${lastLines(log)}` : ''}`);
  return {
    ok: true,
    cluster: {
      installation, folder, removedLeftovers,
      url: `postgres://postgres@${encodeURIComponent(folder)}:${port}/postgres`,
      timings: { initdb: initdbMs, start: performance.now() - startAt },
      stop,
    },
  };
}

/** The file in a cluster's folder that names the migc process it belongs to. */
const ownerFile = 'migc.pid';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Folders of clusters whose migc process has ended without removing them (kill -9): their
 * server is stopped (immediate shutdown; only the postmaster whose command line names that
 * folder) and the folder removed. Only folders named migc-pg* that hold migc's owner file are
 * touched; a folder whose owner still runs (another migc verify) is left alone.
 */
export async function removeAbandonedClusters(parent: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = (await readdir(parent)).filter((e) => e.startsWith(clusterFolderPrefix));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const folder = join(parent, entry);
    const owner = Number.parseInt(await readFile(join(folder, ownerFile), 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    const postmaster = Number.parseInt((await readFile(join(folder, 'data', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
    if (Number.isInteger(postmaster) && postmaster > 0 && alive(postmaster)) {
      const command = await run('ps', ['-o', 'command=', '-p', String(postmaster)]);
      if (!command.stdout.includes(folder)) continue; // the pid is someone else's now: leave it all
      try {
        process.kill(postmaster, 'SIGQUIT');
      } catch { /* gone meanwhile */ }
      for (let i = 0; i < 200 && alive(postmaster); i++) await new Promise((r) => setTimeout(r, 25));
      if (alive(postmaster)) continue;
    }
    await rm(folder, { recursive: true, force: true }).then(() => removed.push(folder), () => undefined);
  }
  return removed;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-4).join(' / ');
}

/** A local cluster as a rehearsal engine: the server engine on its socket, and the cluster stopped with it. */
export interface ClusterEngine extends Engine {
  readonly cluster: LocalCluster;
}

export type ClusterEngineOutcome = { readonly ok: true; readonly engine: ClusterEngine } | { readonly ok: false; readonly problem: string };

/**
 * Starts a throwaway cluster of the installation and rehearses on it as on a server: a database
 * and a restricted role per plan (MG220's confinement holds here too), created and dropped on
 * the cluster's socket. Disposing of the engine (or aborting it, on a signal) stops the
 * cluster and removes its folder.
 */
export async function clusterEngine(installation: Installation, user: ClusterUser, env: NodeJS.ProcessEnv = process.env): Promise<ClusterEngineOutcome> {
  const started = await startCluster(installation, user, env);
  if (!started.ok) return started;
  const cluster = started.cluster;
  const outcome = await serverEngine({ databaseUrl: cluster.url, where: `a throwaway local cluster (${installation.bindir})` });
  if (!outcome.ok) {
    await cluster.stop();
    return { ok: false, problem: `the local PostgreSQL ${installation.version} cluster started, but ${outcome.problem}` };
  }
  const server = outcome.engine;
  return {
    ok: true,
    engine: {
      label: server.label,
      ...(server.major !== undefined ? { major: server.major } : {}),
      cluster,
      open: () => server.open(),
      async abort() {
        const done = await server.abort();
        await server.dispose();
        await cluster.stop();
        return [...done, `stopped the local cluster and removed ${cluster.folder}`];
      },
      async dispose() {
        await server.dispose();
        await cluster.stop();
      },
    },
  };
}
