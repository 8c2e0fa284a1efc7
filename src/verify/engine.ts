import { randomBytes } from 'node:crypto';
import type { SqlSession } from './run-script.js';

/** A database to rehearse one plan in, created for it and thrown away after. */
export interface RehearsalDatabase extends SqlSession {
  close(): Promise<void>;
}

/** Where rehearsals run: PGlite in-process, or a real PostgreSQL server. */
export interface Engine {
  /** "PGlite 0.5.16 (PostgreSQL 18.0)", "PostgreSQL 15.18 at 127.0.0.1:5432". */
  readonly label: string;
  /** A fresh, empty database. */
  open(): Promise<RehearsalDatabase>;
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
    async open() {
      const db = await PGlite.create({ loadDataDir: dataDir });
      return {
        exec: (sql) => db.exec(sql),
        query: async <T,>(sql: string) => ({ rows: (await db.query<T>(sql)).rows }),
        close: () => db.close(),
      };
    },
    async dispose() {},
  };
}

/**
 * A real PostgreSQL server. migc creates a database of its own for each plan, named
 * migc_rehearsal_<random>, rehearses there and drops it after: it never runs plan SQL in a
 * database it did not create.
 */
export async function serverEngine(databaseUrl: string): Promise<Engine> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const url = new URL(databaseUrl);
  return {
    label: `PostgreSQL ${version} at ${url.hostname}${url.port ? `:${url.port}` : ''}`,
    async open() {
      const name = `migc_rehearsal_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const target = new URL(databaseUrl);
      target.pathname = `/${name}`;
      const client = new pg.Client({ connectionString: target.toString() });
      try {
        await client.connect();
        // Server notices (batch progress) are not errors; keep them off the terminal.
        client.on('notice', () => {});
      } catch (e) {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        throw e;
      }
      return {
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <T,>(sql: string) => ({ rows: (await client.query(sql)).rows as T[] }),
        close: async () => {
          await client.end().catch(() => undefined);
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
    dispose: () => admin.end(),
  };
}
