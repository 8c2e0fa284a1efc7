import { randomBytes } from 'node:crypto';
import { PGlite, type Extension } from '@electric-sql/pglite';
import pg from 'pg';

/** A PostgreSQL a test runs SQL on, with its major version (what a rule is judged for). */
export interface SqlEngine {
  run(sql: string): Promise<unknown>;
  close(): Promise<void>;
  readonly major: number;
}

/**
 * The engines a test that claims what PostgreSQL does runs on: PGlite always, and the server of
 * MIGC_TEST_DATABASE_URL when it is set, in a database of its own that close() drops.
 */
export function sqlEngines(options: { readonly pgliteExtensions?: Record<string, Extension> } = {}): { readonly name: string; open(): Promise<SqlEngine> }[] {
  const engines = [{ name: 'PGlite', open: () => openPglite(options.pgliteExtensions) }];
  const url = process.env.MIGC_TEST_DATABASE_URL;
  if (url) engines.push({ name: 'a real PostgreSQL server', open: () => openServer(url) });
  return engines;
}

/** PGlite, with the contrib extensions given loaded (a test still runs CREATE EXTENSION, as on the server). */
async function openPglite(extensions?: Record<string, Extension>): Promise<SqlEngine> {
  const db = await PGlite.create(extensions ? { extensions } : {});
  return { run: (sql) => db.exec(sql), close: () => db.close(), major: await majorOf((sql) => db.query(sql)) };
}

async function openServer(url: string): Promise<SqlEngine> {
  const database = `migc_engine_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const own = new URL(url);
  own.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: own.toString() });
  await client.connect();
  return {
    run: (sql) => client.query(sql),
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
    major: await majorOf((sql) => client.query(sql)),
  };
}

async function majorOf(query: (sql: string) => Promise<{ rows: unknown[] }>): Promise<number> {
  const { rows } = await query('SHOW server_version_num');
  return Math.floor(Number((rows[0] as { server_version_num: string }).server_version_num) / 10000);
}

/** The rows of the last statement's result, as PGlite's exec and pg's query give them (none for a statement without rows). */
export function rowsOf(result: unknown): Record<string, any>[] {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return (last as { rows?: Record<string, any>[] } | undefined)?.rows ?? [];
}

/**
 * Runs the files' statements one by one, in order, as psql without ON_ERROR_STOP would: each
 * statement PostgreSQL refuses is kept, as `file:line` (the line lint's findings name) with its
 * error, and the next statement runs all the same. The SQL parser must be loaded.
 */
export async function refusedStatements(db: SqlEngine, files: Readonly<Record<string, string>>): Promise<{ readonly at: string; readonly message: string }[]> {
  const { parseSql } = await import('../src/sql/parser.js');
  const refused: { at: string; message: string }[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseSql(text);
    if (!parsed.ok) throw new Error(parsed.message);
    for (const s of parsed.statements) {
      try {
        await db.run(s.text);
      } catch (e) {
        refused.push({ at: `${file}:${text.slice(0, s.start).split('\n').length}`, message: (e as Error).message });
      }
    }
  }
  return refused;
}
