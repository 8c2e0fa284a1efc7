import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';

/**
 * MG235 claims what the server does: a value ALTER TYPE ... ADD VALUE added is refused until its
 * transaction commits, wherever the statement reads it as the enum. Each SQL fixture of MG235 runs
 * statement by statement on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): a fail
 * fixture must fail with "unsafe use of new value" at the very line MG235 points at, and a pass
 * fixture must run to its end.
 */
const dir = 'test/fixtures/rules/MG235';
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();

/** The line MG235 reports in a fixture for a PostgreSQL major version, or undefined. */
async function reportedLine(file: string, text: string, postgres: number): Promise<number | undefined> {
  const result = await lint({ files: [file], config: { postgres } }, memoryHost({ [file]: text }));
  const found = result.diagnostics.filter((d) => d.code === 'MG235');
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0] ? result.sources.get(file)!.position(found[0].span!.start).line : undefined;
}

/** Runs a file's statements one by one; the first failure's line and message. */
async function firstFailure(run: (sql: string) => Promise<unknown>, text: string): Promise<{ line: number; message: string } | undefined> {
  const parsed = parseSql(text);
  if (!parsed.ok) throw new Error(parsed.message);
  for (const s of parsed.statements) {
    try {
      await run(s.text);
    } catch (e) {
      return { line: text.slice(0, s.start).split('\n').length, message: (e as Error).message };
    }
  }
  return undefined;
}

type Runner = { run: (sql: string) => Promise<unknown>; close: () => Promise<void>; major: number };

/**
 * fail-*: MG235 on every version from 12; fail-until-16-*: on 12 to 16 only (from 17, values added
 * to a type the transaction created are usable); pass-*: never.
 */
function expectedToFail(fixture: string, postgres: number): boolean {
  return fixture.startsWith('fail-until-16-') ? postgres <= 16 : fixture.startsWith('fail-');
}

/** The server's major version: what MG235 is judged for. */
async function majorOf(query: (sql: string) => Promise<{ rows: unknown[] }>): Promise<number> {
  const { rows } = await query('SHOW server_version_num');
  return Math.floor(Number((rows[0] as { server_version_num: string }).server_version_num) / 10000);
}

function engineSuite(name: string, open: () => Promise<Runner>) {
  describe(`MG235's fixtures on ${name}`, () => {
    let db: Runner;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(fixtures)('%s', async (fixture) => {
      const text = readFileSync(`${dir}/${fixture}`, 'utf8');
      const line = await reportedLine(`${dir}/${fixture}`, text, db.major);
      // Each fixture on an empty database of its own.
      await db.run('ROLLBACK; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const failure = await firstFailure(db.run, text);
      if (expectedToFail(fixture, db.major)) {
        expect(line).toBeDefined();
        expect(failure?.message).toMatch(/unsafe use of new value/);
        expect(failure?.line).toBe(line);
      } else {
        expect(line).toBeUndefined();
        expect(failure).toBeUndefined();
      }
    });
  });
}

engineSuite('PGlite', async () => {
  const db = await PGlite.create();
  return { run: (sql) => db.exec(sql), close: () => db.close(), major: await majorOf((sql) => db.query(sql)) };
});

if (process.env.MIGC_TEST_DATABASE_URL) {
  const admin = new pg.Client({ connectionString: process.env.MIGC_TEST_DATABASE_URL });
  const created: string[] = [];
  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const d of created) await admin.query(`DROP DATABASE IF EXISTS ${d}`);
    await admin.end();
  });
  engineSuite('a real PostgreSQL server', async () => {
    const database = `migc_enum_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${database}`);
    created.push(database);
    const url = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    return { run: (sql) => client.query(sql), close: () => client.end(), major: await majorOf((sql) => client.query(sql)) };
  });
}
