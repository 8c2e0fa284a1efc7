import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG250: a foreign key that repeats another of its table. What the finding says is checked on
 * PostgreSQL: both keys are kept (each can be dropped), and with the second dropped the first
 * still refuses the same rows: the second protected nothing.
 */
const schema = 'CREATE TABLE package (id bigint PRIMARY KEY);\nCREATE TABLE scanartifact (package_id bigint REFERENCES package (id), source_id bigint REFERENCES package (id));\n';
const slip = 'ALTER TABLE scanartifact DROP CONSTRAINT scanartifact_source_id_fkey;\nALTER TABLE scanartifact ADD CONSTRAINT scanartifact_source_id_fkey FOREIGN KEY (package_id) REFERENCES package (id) ON DELETE CASCADE;\n';

async function findings(files: Record<string, string>): Promise<{ file: string; line: number | undefined; code: string; message: string }[]> {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG250' || d.code === 'MG230').map((d) => ({ file: d.file, line: d.span ? files[d.file]!.slice(0, d.span.start).split('\n').length : undefined, code: d.code, message: d.message }));
}

describe('MG250 duplicate-foreign-key', () => {
  it('names both keys, and the column a key named for another column was meant for', async () => {
    const found = await findings({ '1.sql': schema + 'CREATE INDEX ON scanartifact (package_id);\nCREATE INDEX ON scanartifact (source_id);\n', '2.sql': slip });
    expect(found).toEqual([{
      file: '2.sql',
      line: 2,
      code: 'MG250',
      message: 'foreign key scanartifact_source_id_fkey repeats scanartifact_package_id_fkey of scanartifact: both make (package_id) reference package (id). PostgreSQL checks both on every write, and the second protects nothing; its name is the one PostgreSQL gives a key on source_id, which has none: was it meant for source_id?',
    }]);
  });

  it('leaves the repeated key\'s missing index to MG230 at the first key', async () => {
    const found = await findings({ '1.sql': schema, '2.sql': slip });
    expect(found.map((f) => `${f.file}:${f.line} ${f.code}`)).toEqual(['1.sql:2 MG230', '2.sql:2 MG250']);
  });

  it('does not take a key dropped and made again in one statement, or keys on other columns or tables, for a repeat', async () => {
    const found = await findings({
      '1.sql': 'CREATE TABLE package (id bigint PRIMARY KEY, code text UNIQUE);\nCREATE TABLE other (id bigint PRIMARY KEY);\nCREATE TABLE s (p bigint REFERENCES package REFERENCES other, q bigint REFERENCES package, c text REFERENCES package (code));\nCREATE INDEX ON s (p);\nCREATE INDEX ON s (q);\nCREATE INDEX ON s (c);\n',
      '2.sql': 'ALTER TABLE s DROP CONSTRAINT s_p_fkey, ADD CONSTRAINT s_p_fkey FOREIGN KEY (p) REFERENCES package ON DELETE CASCADE;\n',
    });
    expect(found).toEqual([]);
  });

  it('does not take a key added to take another\'s place for a repeat: ON DELETE changed without a long lock, the old key dropped after', async () => {
    const found = await findings({
      '1.sql': 'CREATE TABLE package (id bigint PRIMARY KEY);\nCREATE TABLE s (p bigint REFERENCES package);\nCREATE INDEX ON s (p);\n',
      '2.sql': 'ALTER TABLE s ADD CONSTRAINT s_p_cascade FOREIGN KEY (p) REFERENCES package ON DELETE CASCADE NOT VALID;\n',
      '3.sql': 'ALTER TABLE s VALIDATE CONSTRAINT s_p_cascade;\nALTER TABLE s DROP CONSTRAINT s_p_fkey;\n',
    });
    expect(found).toEqual([]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG250 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it('keeps both keys, and the first alone refuses what both did', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(schema + slip);
      await expect(db.run('INSERT INTO scanartifact (package_id) VALUES (7);')).rejects.toThrow(/foreign key/);
      // The second key is there to be dropped; without it the first still refuses the row.
      await db.run('ALTER TABLE scanartifact DROP CONSTRAINT scanartifact_source_id_fkey;');
      await expect(db.run('INSERT INTO scanartifact (package_id) VALUES (7);')).rejects.toThrow(/scanartifact_package_id_fkey/);
      // And source_id, the column the second key's name was written for, has none.
      await expect(db.run('INSERT INTO scanartifact (source_id) VALUES (7);')).resolves.toBeDefined();
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
