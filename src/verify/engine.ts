import { randomBytes } from 'node:crypto';
import type { SqlSession } from './run-script.js';
import { redactUrl } from './redact.js';

/** A database to rehearse one plan in, created for it and thrown away after. */
export interface RehearsalDatabase extends SqlSession {
  close(): Promise<void>;
  /**
   * Saves the database as it is now, for exact copies of it later (crash points start many runs
   * from one phase's start). Only where copying is cheap (PGlite); otherwise the caller rebuilds.
   */
  saveState?(): Promise<() => Promise<RehearsalDatabase>>;
}

/** Where rehearsals run: PGlite in-process, or a real PostgreSQL server. */
export interface Engine {
  /** "PGlite 0.5.16 (PostgreSQL 18.0)", "PostgreSQL 15.18 at 127.0.0.1:5432". */
  readonly label: string;
  /** The PostgreSQL major it runs (15, 18): compared with the plan's target. */
  readonly major?: number;
  /** A fresh, empty database. */
  open(): Promise<RehearsalDatabase>;
  /**
   * Drops whatever is open now (databases, roles) and refuses to open more: for SIGINT and
   * SIGTERM. Says what it dropped, and what it could not.
   */
  abort(): Promise<string[]>;
  dispose(): Promise<void>;
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, in this process. A cold start takes ~2.5 s, so
 * one empty cluster is started once per run and each plan gets a copy of its data directory
 * (~0.3 s). The copy lives in memory: migc writes nothing outside its output folder.
 */
export async function pgliteEngine(): Promise<Engine> {
  const { PGlite } = await import('@electric-sql/pglite');
  const template = await PGlite.create();
  const version = (await template.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const dataDir = await template.dumpDataDir('none');
  await template.close();
  return {
    label: `PGlite (PostgreSQL ${version}, in-process)`,
    major: Number.parseInt(version, 10),
    async open() {
      const wrap = (db: InstanceType<typeof PGlite>): RehearsalDatabase => ({
        exec: (sql) => db.exec(sql),
        query: async <T,>(sql: string) => ({ rows: (await db.query<T>(sql)).rows }),
        close: () => db.close(),
        async saveState() {
          const saved = await db.dumpDataDir('none');
          return async () => wrap(await PGlite.create({ loadDataDir: saved }));
        },
      });
      return wrap(await PGlite.create({ loadDataDir: dataDir }));
    },
    abort: async () => [],
    async dispose() {},
  };
}

/** Names migc gives its rehearsal databases and roles; nothing else is ever dropped. */
export const rehearsalNamePattern = /^migc_rehearsal_[0-9a-f]{12}$/;

/**
 * The COMMENT migc puts on each rehearsal database and role. The admin session's backend pid
 * says whose it is: while that session lives, the rehearsal is in use; once it has ended (the
 * run finished, crashed or was killed), what is left is a leftover.
 */
const markerPrefix = 'migc verify rehearsal, created by admin session pid ';
const marker = (pid: number) => `${markerPrefix}${pid}; safe to drop once that session has ended`;

export interface ServerEngineOptions {
  readonly databaseUrl: string;
  /** How long to wait for the server to answer a connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How long migc's own setup and clean-up queries may take (default 60 s). */
  readonly statementTimeoutMs?: number;
  /** How the label names the server (default: the URL's host and port). */
  readonly where?: string;
}

/** How plan SQL runs on this server. */
export type Confinement =
  | { readonly kind: 'restricted role' }
  | { readonly kind: 'own role'; readonly role: string };

export interface Leftovers {
  /** Databases and roles migc created in runs that have ended. */
  readonly databases: readonly string[];
  readonly roles: readonly string[];
  /** Named like migc's, but without its marker (older migc, or someone else's): never dropped. */
  readonly unmarked: readonly string[];
}

export interface ServerEngine extends Engine {
  readonly confinement: Confinement;
  leftovers(): Promise<Leftovers>;
  /** Finds the leftovers again and drops them; says what was dropped, and what could not be and why. */
  dropLeftovers(): Promise<{ dropped: string[]; failed: string[] }>;
}

export type ServerEngineOutcome =
  | { readonly ok: true; readonly engine: ServerEngine }
  | { readonly ok: false; readonly problem: string };

const quoteName = (name: string) => {
  if (!rehearsalNamePattern.test(name)) throw new Error(`refusing to touch ${name}: not a migc rehearsal name`);
  return `"${name}"`;
};

interface RoleFacts {
  name: string;
  superuser: boolean;
  createrole: boolean;
  createdb: boolean;
  serverPrograms: boolean;
  serverFiles: boolean;
}

/**
 * A real PostgreSQL server. For each plan migc creates a role and a database of its own, both
 * named migc_rehearsal_<random>: the role has no SUPERUSER, CREATEROLE, CREATEDB or
 * REPLICATION, inherits nothing and is a member of nothing, and owns only that database; the
 * plan's SQL runs logged in as that role, so it cannot reach the server's host, its files,
 * other databases or other roles. migc's own setup and clean-up run on the URL's connection.
 *
 * A URL role that cannot create roles (no CREATEROLE, not superuser) rehearses as itself, but
 * only when it is no member of the roles that reach the host (pg_execute_server_program,
 * pg_read_server_files, pg_write_server_files): such a role cannot do more harm than the
 * restricted one, except create and drop databases of its own.
 */
export async function serverEngine(options: ServerEngineOptions): Promise<ServerEngineOutcome> {
  const { default: pg } = await import('pg');
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const shown = redactUrl(options.databaseUrl);
  let url: URL;
  try {
    url = new URL(options.databaseUrl);
  } catch {
    return { ok: false, problem: `${shown}: expected postgres://user:password@host:port/database` };
  }
  const where = options.where ?? `${url.hostname}${url.port ? `:${url.port}` : ''}`;

  const adminClient = () => new pg.Client({
    connectionString: options.databaseUrl, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true,
    statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + 5_000,
  });
  const connect = async (client: InstanceType<typeof pg.Client>, what: string): Promise<string | undefined> => {
    const started = Date.now();
    try {
      await client.connect();
      client.on('error', () => {}); // a dropped connection fails the next query, which reports it
      return undefined;
    } catch (e) {
      await client.end().catch(() => undefined);
      const message = (e as Error).message;
      if (/timeout/i.test(message) || Date.now() - started >= connectTimeoutMs - 50) {
        return `${what} did not answer within ${connectTimeoutMs / 1000} s (connect timeout): check the host and port are a PostgreSQL server and reachable, or give --connect-timeout more seconds`;
      }
      return `cannot reach ${what}: ${message}`;
    }
  };

  const admin = adminClient();
  const failed = await connect(admin, `the database at ${shown}`);
  if (failed) return { ok: false, problem: failed };
  const fail = async (problem: string): Promise<ServerEngineOutcome> => {
    await admin.end().catch(() => undefined);
    return { ok: false, problem };
  };

  let version: string;
  let versionNumber: number;
  let me: RoleFacts;
  let adminPid: number;
  try {
    version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    versionNumber = Number((await admin.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n);
    adminPid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    me = (await admin.query<RoleFacts>(
      `SELECT rolname AS name, rolsuper AS superuser, rolcreaterole AS createrole, rolcreatedb AS createdb,
              pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') AS "serverPrograms",
              pg_has_role(current_user, 'pg_read_server_files', 'USAGE') OR pg_has_role(current_user, 'pg_write_server_files', 'USAGE') AS "serverFiles"
         FROM pg_roles WHERE rolname = current_user`,
    )).rows[0]!;
  } catch (e) {
    return fail(`cannot read the server's version and the role's privileges at ${where}: ${(e as Error).message}`);
  }
  if (!me.superuser && !me.createdb) {
    return fail(`role "${me.name}" cannot create databases, and migc verify rehearses each plan in a database of its own: give the role CREATEDB (ALTER ROLE "${me.name}" CREATEDB) and CREATEROLE, or use another role; never a production server's`);
  }
  let confinement: Confinement;
  if (me.superuser || me.createrole) confinement = { kind: 'restricted role' };
  else if (me.serverPrograms || me.serverFiles) {
    return fail(`role "${me.name}" can run programs or read and write files on the server host (a member of pg_execute_server_program, pg_read_server_files or pg_write_server_files) and cannot create a restricted role to rehearse as (no CREATEROLE): give it CREATEROLE, or use a role without those memberships`);
  } else confinement = { kind: 'own role', role: me.name };

  /** The URL, for another database on the same server. */
  const urlFor = (database: string) => {
    const u = new URL(options.databaseUrl);
    u.pathname = `/${database}`;
    return u.toString();
  };

  /** Rehearsals open now, for clean-up on signals; each with the setup that may still run. */
  const open = new Map<string, { client?: InstanceType<typeof pg.Client>; setup: Promise<unknown> }>();
  let aborted = false;

  /** Drops one rehearsal's database and role; returns problems, never throws. */
  const dropNow = async (client: InstanceType<typeof pg.Client>, name: string): Promise<string[]> => {
    const problems: string[] = [];
    await client.query(`DROP DATABASE IF EXISTS ${quoteName(name)} WITH (FORCE)`).catch((e: Error) => problems.push(`database ${name}: ${e.message}`));
    if (confinement.kind === 'restricted role') {
      await client.query(`DROP ROLE IF EXISTS ${quoteName(name)}`).catch((e: Error) => problems.push(`role ${name}: ${e.message}`));
    }
    return problems;
  };
  /**
   * Each rehearsal is dropped once: a signal can arrive while a rehearsal is closing, and two
   * sessions dropping one role at once fail ("tuple concurrently deleted"). The second caller
   * waits for the first one's drop and shares its outcome.
   */
  const dropping = new Map<string, Promise<string[]>>();
  const drop = (client: InstanceType<typeof pg.Client>, name: string): Promise<string[]> => {
    let pending = dropping.get(name);
    if (!pending) {
      pending = dropNow(client, name);
      dropping.set(name, pending);
    }
    return pending;
  };

  const openDatabase = async (): Promise<RehearsalDatabase> => {
    if (aborted) throw new Error('migc verify is stopping: no new rehearsal');
    const name = `migc_rehearsal_${randomBytes(6).toString('hex')}`;
    const password = randomBytes(24).toString('hex');
    const entry: { client?: InstanceType<typeof pg.Client>; setup: Promise<unknown> } = { setup: Promise.resolve() };
    open.set(name, entry);
    const setup = (async () => {
      if (confinement.kind === 'restricted role') {
        await admin.query(`CREATE ROLE ${quoteName(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 2 PASSWORD '${password}'`);
        await admin.query(`COMMENT ON ROLE ${quoteName(name)} IS '${marker(adminPid)}'`);
        // CREATE DATABASE ... OWNER needs the creator to be a member of the owner (a superuser is).
        if (!me.superuser) await admin.query(`GRANT ${quoteName(name)} TO CURRENT_USER`);
        await admin.query(`CREATE DATABASE ${quoteName(name)} OWNER ${quoteName(name)}`);
      } else {
        await admin.query(`CREATE DATABASE ${quoteName(name)}`);
      }
      await admin.query(`COMMENT ON DATABASE ${quoteName(name)} IS '${marker(adminPid)}'`);
      await admin.query(`REVOKE ALL ON DATABASE ${quoteName(name)} FROM PUBLIC`);
      if (confinement.kind === 'restricted role') {
        // The role inherits nothing, not even pg_database_owner's ownership of public (15+):
        // it gets the schema itself.
        const inside = new pg.Client({ connectionString: urlFor(name), connectionTimeoutMillis: connectTimeoutMs, statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + 5_000 });
        const problem = await connect(inside, `the rehearsal database ${name}`);
        if (problem) throw new Error(problem);
        try {
          if (me.superuser) await inside.query(`ALTER SCHEMA public OWNER TO ${quoteName(name)}`);
          else {
            // Not a superuser (a managed server's admin role), migc may alter public only as
            // pg_database_owner, which PostgreSQL 15 grants through the database's owner only when
            // that role inherits: for this one statement it does. Before 15, public belongs to the
            // bootstrap superuser and stays so; every role may create in it there.
            await admin.query(`ALTER ROLE ${quoteName(name)} INHERIT`);
            try {
              const { rows } = await inside.query<{ shared: boolean }>(`SELECT nspowner = to_regrole('pg_database_owner') AS shared FROM pg_namespace WHERE nspname = 'public'`);
              if (rows[0]?.shared) await inside.query(`ALTER SCHEMA public OWNER TO ${quoteName(name)}`);
            } finally {
              await admin.query(`ALTER ROLE ${quoteName(name)} NOINHERIT`);
            }
          }
        } finally {
          await inside.end().catch(() => undefined);
        }
      }
    })();
    entry.setup = setup.catch(() => undefined);
    try {
      await setup;
    } catch (e) {
      await drop(admin, name);
      open.delete(name);
      throw new Error(`cannot create the rehearsal database ${name}: ${(e as Error).message}`);
    }
    const target = new URL(urlFor(name));
    if (confinement.kind === 'restricted role') {
      target.username = name;
      target.password = password;
      for (const p of ['password', 'user']) target.searchParams.delete(p);
    }
    const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    entry.client = client;
    const problem = await connect(client, `the rehearsal database ${name} as ${confinement.kind === 'restricted role' ? 'the rehearsal role' : `role ${confinement.role}`}`);
    if (problem) {
      await drop(admin, name);
      open.delete(name);
      const hint = confinement.kind === 'restricted role'
        ? `; migc logs in as a role it creates, with a password: pg_hba.conf must allow password login (scram-sha-256 or md5) from this host for roles named migc_rehearsal_*`
        : '';
      throw new Error(`${problem}${hint}`);
    }
    // Server notices (batch progress) are not errors; keep them off the terminal.
    client.on('notice', () => {});
    let closed = false;
    return {
      exec: async (sql) => {
        await client.query(sql);
      },
      query: async <T,>(sql: string) => ({ rows: (await client.query(sql)).rows as T[] }),
      close: async () => {
        if (closed) return;
        closed = true;
        await client.end().catch(() => undefined);
        const problems = await drop(admin, name); // or waits for abort()'s drop of it
        open.delete(name);
        if (problems.length) throw new Error(`cannot drop the rehearsal ${problems.join('; ')}`);
      },
    };
  };

  const engine: ServerEngine = {
    label: `PostgreSQL ${version} at ${where}`,
    major: Math.floor(versionNumber / 10_000),
    confinement,
    open: openDatabase,
    async abort() {
      aborted = true;
      const names = [...open.keys()];
      if (!names.length) return [];
      // Let a CREATE in flight finish, or it would create what was just dropped.
      await Promise.race([Promise.all([...open.values()].map((e) => e.setup)), new Promise((r) => setTimeout(r, 5_000))]);
      for (const e of open.values()) e.client?.end().catch(() => undefined);
      // A fresh session: the admin one may be waiting on a query.
      const cleaner = adminClient();
      const usable = (await connect(cleaner, 'the database, to clean up,')) === undefined ? cleaner : admin;
      const report: string[] = [];
      for (const name of names) {
        const problems = await drop(usable, name);
        open.delete(name);
        report.push(problems.length ? `could not drop ${problems.join('; ')}` : `dropped ${confinement.kind === 'restricted role' ? 'database and role' : 'database'} ${name}`);
      }
      if (usable === cleaner) await cleaner.end().catch(() => undefined);
      return report;
    },
    async leftovers() {
      const { rows } = await admin.query<{ kind: 'database' | 'role'; name: string; comment: string | null }>(
        `SELECT 'database' AS kind, d.datname AS name, shobj_description(d.oid, 'pg_database') AS comment
           FROM pg_database d WHERE d.datname LIKE 'migc\\_rehearsal\\_%'
         UNION ALL
         SELECT 'role', r.rolname, shobj_description(r.oid, 'pg_authid')
           FROM pg_roles r WHERE r.rolname LIKE 'migc\\_rehearsal\\_%'
          ORDER BY 1, 2`,
      );
      const { rows: live } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
      const alive = new Set(live.map((r) => r.pid));
      const databases: string[] = [];
      const roles: string[] = [];
      const unmarked: string[] = [];
      for (const r of rows) {
        if (open.has(r.name)) continue;
        const pid = r.comment?.startsWith(markerPrefix) ? Number.parseInt(r.comment.slice(markerPrefix.length), 10) : undefined;
        if (pid === undefined || !rehearsalNamePattern.test(r.name)) {
          unmarked.push(`${r.kind} ${r.name}`);
          continue;
        }
        // The run that made it is still connected: in use (by another migc verify, maybe). A
        // session still running in it after its run was killed does not make it any less left over.
        if (alive.has(pid)) continue;
        (r.kind === 'database' ? databases : roles).push(r.name);
      }
      return { databases, roles, unmarked };
    },
    async dropLeftovers() {
      const found = await engine.leftovers();
      const dropped: string[] = [];
      const failed: string[] = [];
      for (const name of found.databases) {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteName(name)} WITH (FORCE)`)
          .then(() => dropped.push(`database ${name}`), (e: Error) => failed.push(`database ${name}: ${e.message}`));
      }
      for (const name of found.roles) {
        await admin.query(`DROP ROLE IF EXISTS ${quoteName(name)}`)
          .then(() => dropped.push(`role ${name}`), (e: Error) => failed.push(`role ${name}: ${e.message}`));
      }
      return { dropped, failed };
    },
    dispose: () => admin.end().catch(() => undefined),
  };

  // One rehearsal database up front: a server that cannot give one (pg_hba.conf refuses the
  // rehearsal role, say) is one clear message, not a failure per plan.
  try {
    const probe = await openDatabase();
    await probe.close();
  } catch (e) {
    return fail((e as Error).message);
  }
  return { ok: true, engine };
}
