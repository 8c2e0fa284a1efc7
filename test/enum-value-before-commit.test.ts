import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

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

/**
 * fail-*: MG235 on every version from 12; fail-until-16-*: on 12 to 16 only (from 17, values added
 * to a type the transaction created are usable); pass-*: never.
 */
function expectedToFail(fixture: string, postgres: number): boolean {
  return fixture.startsWith('fail-until-16-') ? postgres <= 16 : fixture.startsWith('fail-');
}

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG235's fixtures on ${name}`, () => {
    let db: SqlEngine;
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

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
