import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG253 on Arroyo's V10 (the twenty-sixth trial's M1): a column that referenced pipeline
 * definitions renamed away, a new pipeline_id that references pipelines, and the old ids copied
 * into it. What the finding says is checked on PostgreSQL: the UPDATE is refused at a definition
 * id that is no pipeline's, and where every definition id is also a pipeline's it succeeds and
 * links rows to the wrong pipelines; the help's UPDATE through the definitions links the right
 * ones, and its query counts the rows the UPDATE as written fails on.
 */
const base = [
  'CREATE TABLE pipelines (id bigint PRIMARY KEY);',
  'CREATE TABLE pipeline_definitions (id bigint PRIMARY KEY, pipeline_id bigint REFERENCES pipelines);',
  'CREATE TABLE connection_table_pipelines (id bigint PRIMARY KEY, pipeline_id bigint REFERENCES pipeline_definitions (id));',
].join('\n');
const rename = 'ALTER TABLE connection_table_pipelines RENAME COLUMN pipeline_id TO pipeline_definition_id;\nALTER TABLE connection_table_pipelines ADD COLUMN pipeline_id bigint REFERENCES pipelines (id);\n';
const copy = 'UPDATE connection_table_pipelines SET pipeline_id = pipeline_definition_id;\n';

async function found(files: Record<string, string>) {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG253').map((d) => ({ at: `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}`, message: d.message, help: d.help! }));
}

describe('MG253 foreign-key-crossed', () => {
  it('finds the copy of one table\'s ids into a key on another, and names both keys', async () => {
    const [f, ...rest] = await found({ '1.sql': `${base}\n`, '2.sql': rename + copy });
    expect(rest).toEqual([]);
    expect(f!.at).toBe('2.sql:3');
    expect(f!.message).toContain('whose foreign key connection_table_pipelines_pipeline_id_fkey1 references pipelines(id), to pipeline_definition_id, whose foreign key references pipeline_definitions(id)');
  });

  it('says nothing where the values are the same ids: the same table, a key shared with it, a column with no key, a cast of the same column', async () => {
    const shared = 'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE profiles (id bigint PRIMARY KEY REFERENCES users (id));\nCREATE TABLE s (id bigint PRIMARY KEY, user_id bigint REFERENCES users, note bigint);\n';
    expect(await found({ '1.sql': shared, '2.sql': 'ALTER TABLE s ADD COLUMN owner_id bigint REFERENCES users;\nUPDATE s SET owner_id = user_id;\n' })).toEqual([]);
    expect(await found({ '1.sql': shared, '2.sql': 'ALTER TABLE s ADD COLUMN profile_id bigint REFERENCES profiles;\nUPDATE s SET profile_id = user_id::bigint;\n' })).toEqual([]);
    expect(await found({ '1.sql': shared, '2.sql': 'ALTER TABLE s ADD COLUMN profile_id bigint REFERENCES profiles;\nUPDATE s SET profile_id = note;\n' })).toEqual([]);
    // The new table took the old one's ids (goalert's schedules from schedule; openmeter's groups from the lines, through a join).
    const copiedIds = 'CREATE TABLE schedule (id text PRIMARY KEY);\nCREATE TABLE actions (id bigint PRIMARY KEY, schedule_id text REFERENCES schedule (id));\n';
    const carried = 'CREATE TABLE schedules (id uuid PRIMARY KEY);\nINSERT INTO schedules (id) SELECT id::uuid FROM schedule;\nALTER TABLE actions RENAME COLUMN schedule_id TO old_schedule_id;\nALTER TABLE actions ADD COLUMN schedule_id uuid REFERENCES schedules (id);\nUPDATE actions SET schedule_id = old_schedule_id::uuid WHERE old_schedule_id IS NOT NULL;\n';
    expect(await found({ '1.sql': copiedIds, '2.sql': carried })).toEqual([]);
    expect(await found({ '1.sql': copiedIds, '2.sql': carried.replace('SELECT id::uuid FROM schedule', 'SELECT s.id::uuid FROM schedule AS s JOIN actions AS a ON a.old_schedule_id = s.id') })).toEqual([]);
    expect((await found({ '1.sql': copiedIds, '2.sql': carried.replace('SELECT id::uuid FROM schedule', 'SELECT gen_random_uuid() FROM schedule') })).length).toBe(1);
    // A table made in the same migration holds no rows to fail on.
    expect(await found({ '1.sql': `${base}\n${rename}${copy}` })).toEqual([]);
  });
});

for (const engine of sqlEngines()) {
  describe(`MG253's claims on ${engine.name}`, () => {
    let db: SqlEngine;
    let help: string;
    beforeAll(async () => {
      db = await engine.open();
      help = (await found({ '1.sql': `${base}\n`, '2.sql': rename + copy }))[0]!.help;
    });
    afterAll(() => db?.close());
    const setUp = async (definitions: [number, number][]) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(base);
      await db.run('INSERT INTO pipelines VALUES (1), (2)');
      await db.run(`INSERT INTO pipeline_definitions VALUES ${definitions.map(([d, p]) => `(${d}, ${p})`).join(', ')}`);
      await db.run(`INSERT INTO connection_table_pipelines VALUES ${definitions.map(([d], i) => `(${i + 1}, ${d})`).join(', ')}`);
      await db.run(rename);
    };
    const links = async () => rowsOf(await db.run('SELECT pipeline_definition_id AS d, pipeline_id AS p FROM connection_table_pipelines ORDER BY id')).map((r) => [Number(r.d), Number(r.p)]);

    it('the UPDATE as written is refused at a definition id that is no pipeline\'s; the help counts those rows', async () => {
      // Pipeline 1 has definitions 1 and 2, pipeline 2 has definition 3: no pipeline 3.
      await setUp([[1, 1], [2, 1], [3, 2]]);
      const failing = help.slice(help.indexOf('SELECT count(*)'), help.lastIndexOf(';'));
      expect(Number(rowsOf(await db.run(failing))[0]!.count)).toBe(1);
      await expect(db.run(copy)).rejects.toThrow(/violates foreign key constraint "connection_table_pipelines_pipeline_id_fkey1"/);
    });

    it('where the ids overlap it succeeds and links the wrong pipelines; the help\'s UPDATE links the right ones', async () => {
      // Definition 1 is pipeline 2's, definition 2 pipeline 1's.
      await setUp([[1, 2], [2, 1]]);
      await db.run(copy);
      expect(await links()).toEqual([[1, 1], [2, 2]]);
      await db.run(help.slice(help.indexOf('UPDATE '), help.indexOf(';') + 1));
      expect(await links()).toEqual([[1, 2], [2, 1]]);
    });
  });
}
