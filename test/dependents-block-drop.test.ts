import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG237, MG238 and MG244 say PostgreSQL refuses a statement. Each SQL fixture of theirs runs statement
 * by statement on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): the statements
 * that fail are exactly those the rule reports, each with the server's reason in its message.
 */
const rules = [
  { code: 'MG237', reason: /depend|requires it|cannot truncate a table referenced in a foreign key constraint/ },
  { code: 'MG238', reason: /column .* does not exist/ },
  { code: 'MG244', reason: /^(index|table|view|sequence|type) ".*" does not exist/ },
];
const fixtures = rules.flatMap((r) => readdirSync(`test/fixtures/rules/${r.code}`).filter((f) => f.endsWith('.sql')).sort().map((f) => ({ ...r, fixture: f, file: `test/fixtures/rules/${r.code}/${f}` })));

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG237's, MG238's and MG244's fixtures on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(fixtures)('$file', async ({ code, reason, fixture, file }) => {
      const text = readFileSync(file, 'utf8');
      const result = await lint({ files: [file] }, memoryHost({ [file]: text }));
      const found = result.diagnostics.filter((d) => d.code === code);
      // The refusals (errors): MG244's warnings and notes on a DROP INDEX IF EXISTS that drops nothing are no refusal.
      const reported = found.filter((d) => d.severity === 'error').map((d) => result.sources.get(file)!.position(d.span!.start).line);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(parsed.message);
      const failed: number[] = [];
      for (const s of parsed.statements) {
        try {
          await db.run(s.text);
        } catch (e) {
          expect((e as Error).message).toMatch(reason);
          failed.push(text.slice(0, s.start).split('\n').length);
        }
      }
      expect(reported).toEqual(failed);
      expect(found.length > 0).toBe(fixture.startsWith('fail-'));
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('an index a foreign key depends on, in a later migration', () => {
  const first = "SET lock_timeout = '5s';\nCREATE TABLE teams (id bigint NOT NULL);\nCREATE UNIQUE INDEX teams_id ON teams (id);\nCREATE UNIQUE INDEX teams_id_2 ON teams (id);\nCREATE TABLE members (team_id bigint REFERENCES teams (id));\n";
  async function codes(drop: string): Promise<string[]> {
    await loadSqlParser();
    const files = { '1.sql': first, '2.sql': `SET lock_timeout = '5s';\n${drop}\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.file === '2.sql').map((d) => `${d.code} ${d.help}`);
  }

  it('is refused, which MG237 says, not MG202 (CONCURRENTLY is refused too); another index of its columns is MG202\'s', async () => {
    expect(await codes('DROP INDEX teams_id;')).toEqual([expect.stringMatching(/^MG237 Drop the foreign key first \(ALTER TABLE members DROP CONSTRAINT members_team_id_fkey;\)/)]);
    expect(await codes('DROP INDEX teams_id_2;')).toEqual([expect.stringMatching(/^MG202 Use DROP INDEX CONCURRENTLY teams_id_2;/)]);
    // CASCADE runs, dropping the key too, under the lock MG202 speaks of; CONCURRENTLY takes no
    // CASCADE, so the key goes first.
    expect(await codes('DROP INDEX teams_id CASCADE;')).toEqual([expect.stringMatching(/^MG202 Drop first the foreign key CASCADE drops \(ALTER TABLE members DROP CONSTRAINT members_team_id_fkey;\): DROP INDEX CONCURRENTLY takes no CASCADE\. Then use DROP INDEX CONCURRENTLY teams_id;/)]);
  });
});
