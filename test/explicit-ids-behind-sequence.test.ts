import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG236's claims, on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): each SQL
 * fixture runs statement by statement. The statements PostgreSQL refuses are exactly those MG236
 * reports as errors (an identity GENERATED ALWAYS given a value). After the file, the next INSERT
 * that takes the default (INSERT ... DEFAULT VALUES) fails on a duplicate key in exactly the
 * tables MG236 warns of, and succeeds in every other table the fixture fills with a sequence, and
 * in the tables warned of once the help's setval() has run.
 */
const dir = 'test/fixtures/rules/MG236';
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => ({ fixture: f, file: `${dir}/${f}` }));

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG236's fixtures on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(fixtures)('$file', async ({ fixture, file }) => {
      const text = readFileSync(file, 'utf8');
      const result = await lint({ files: [file] }, memoryHost({ [file]: text }));
      const found = result.diagnostics.filter((d) => d.code === 'MG236');
      const line = (offset: number) => text.slice(0, offset).split('\n').length;
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(parsed.message);
      const refused: number[] = [];
      const sequenced: string[] = [];
      for (const s of parsed.statements) {
        const created = /^CREATE TABLE (\w+) \(id [^,]*(serial|IDENTITY)/.exec(s.text);
        if (created) sequenced.push(created[1]!);
        try {
          await db.run(s.text);
        } catch (e) {
          expect((e as Error).message).toMatch(/cannot insert a non-DEFAULT value into column "id"/);
          refused.push(line(s.start));
        }
      }
      expect(found.filter((d) => d.severity === 'error').map((d) => line(d.span!.start))).toEqual(refused);
      const warned = found.filter((d) => d.severity === 'warning').map((d) => /into (\w+)\.id/.exec(d.message)![1]!);
      const collided: string[] = [];
      for (const table of sequenced) {
        try {
          await db.run(`INSERT INTO ${table} DEFAULT VALUES`);
        } catch (e) {
          expect((e as Error).message).toMatch(/duplicate key value violates unique constraint/);
          collided.push(table);
        }
      }
      expect(warned).toEqual(collided);
      // The help's statement moves the sequence: the next default is free.
      for (const d of found.filter((f) => f.severity === 'warning')) {
        await db.run(d.help!.replace(/^After the INSERT: /, ''));
        await db.run(`INSERT INTO ${/into (\w+)\.id/.exec(d.message)![1]} DEFAULT VALUES`);
      }
      expect(found.length > 0).toBe(fixture.startsWith('fail-'));
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG236 on a table an earlier migration made', () => {
  it('does not judge fixed ids there (where its sequence stands is not known), but still the refusal of GENERATED ALWAYS', async () => {
    const files = {
      '001_init.sql': 'CREATE TABLE countries (id serial PRIMARY KEY, name text);\nCREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text);\n',
      '002_seed.sql': "INSERT INTO countries (id, name) VALUES (1, 'Norway');\nINSERT INTO events (id, kind) VALUES (1, 'x');\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG236').map((d) => `${d.file} ${d.severity}`)).toEqual(['002_seed.sql error']);
  });
});
