import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG252: a PL/pgSQL function whose body uses what its tables do not have. What the finding says is
 * checked on PostgreSQL: CREATE FUNCTION takes the body, and every call of it (here, through a
 * trigger: every write to its table) is refused.
 */
const schema = 'CREATE TABLE counts (id uuid PRIMARY KEY, user_uuid uuid UNIQUE, n int DEFAULT 0);\nCREATE TABLE notes (id uuid PRIMARY KEY, dataset_uuid uuid);\n';
const change = 'ALTER TABLE counts ADD COLUMN dataset_uuid uuid;\nALTER TABLE counts DROP COLUMN user_uuid;\n';
// trieve's counter (the twenty-fourth trial's D).
const fn = (body: string) => `CREATE OR REPLACE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $f$\n${body}\n$f$;\nCREATE TRIGGER bump AFTER INSERT OR DELETE ON notes FOR EACH ROW EXECUTE FUNCTION bump();\n`;
const upsert = "INSERT INTO counts (id, dataset_uuid, n) VALUES (NEW.id, NEW.dataset_uuid, 1) ON CONFLICT (dataset_uuid) DO UPDATE SET n = counts.n + 1;";
const decrement = 'UPDATE counts SET n = n - 1 WHERE user_uuid = OLD.dataset_uuid;';
const trieve = fn(`BEGIN\n  IF TG_OP = 'INSERT' THEN\n    ${upsert}\n  ELSE\n    ${decrement}\n  END IF;\n  RETURN NULL;\nEND`);

async function findings(files: Record<string, string>): Promise<string[]> {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG252').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`);
}

describe('MG252 function-body-fails', () => {
  it('finds the upsert no unique key covers and the column the migration dropped, at their lines in the body', async () => {
    expect(await findings({ '1.sql': schema, '2.sql': change + trieve })).toEqual([
      '2.sql:6 bump inserts into counts ON CONFLICT (dataset_uuid), and no unique key of counts is on those columns: PostgreSQL refuses this statement at every call of the function ("there is no unique or exclusion constraint matching the ON CONFLICT specification")',
      '2.sql:8 bump reads user_uuid, a column of counts an earlier statement dropped or renamed away, and no variable of the function: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")',
    ]);
    expect(await findings({ '1.sql': schema, '2.sql': `${change}${fn(`BEGIN\n  UPDATE counts SET user_uuid = NULL WHERE id = OLD.id;\n  INSERT INTO counts (id, user_uuid) VALUES (NEW.id, NULL);\n  RETURN NULL;\nEND`)}` })).toEqual([
      '2.sql:5 bump writes to counts the column user_uuid, which an earlier statement dropped or renamed away: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")',
      '2.sql:6 bump writes into counts the column user_uuid, which an earlier statement dropped or renamed away: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")',
    ]);
  });

  it('finds a dropped column written by the upsert\'s DO UPDATE SET', async () => {
    const conflictSet = fn('BEGIN\n  INSERT INTO counts (id, dataset_uuid, n) VALUES (NEW.id, NEW.dataset_uuid, 1) ON CONFLICT (id) DO UPDATE SET user_uuid = NULL;\n  RETURN NULL;\nEND');
    expect(await findings({ '1.sql': schema, '2.sql': change + conflictSet })).toEqual([
      '2.sql:5 bump writes into counts the column user_uuid, which an earlier statement dropped or renamed away: PostgreSQL refuses this statement at every call of the function ("column ... does not exist")',
    ]);
  });

  it('says until when a later migration adds the key or replaces the function (trieve did, nine days later): every call fails until then', async () => {
    const later = { '1.sql': schema, '2.sql': change + trieve };
    const until = [
      '2.sql:6 bump inserts into counts ON CONFLICT (dataset_uuid), and no unique key of counts is on those columns: PostgreSQL refuses this statement at every call of the function ("there is no unique or exclusion constraint matching the ON CONFLICT specification"), until a later migration of the files linted replaces the function or changes the table',
      '2.sql:8 bump reads user_uuid, a column of counts an earlier statement dropped or renamed away, and no variable of the function: PostgreSQL refuses this statement at every call of the function ("column ... does not exist"), until a later migration of the files linted replaces the function or changes the table',
    ];
    expect(await findings({ ...later, '3.sql': 'CREATE UNIQUE INDEX ON counts (dataset_uuid);\nALTER TABLE counts ADD COLUMN user_uuid uuid;\n' })).toEqual(until);
    expect(await findings({ ...later, '3.sql': fn('BEGIN\n  RETURN NULL;\nEND') })).toEqual(until);
  });

  it('says nothing of a key the same migration adds after the function, before any call (swh\'s upgrade scripts, in pg_dump\'s order)', async () => {
    expect(await findings({ '1.sql': schema, '2.sql': `${change}${trieve.replace(decrement, 'NULL;')}CREATE UNIQUE INDEX counts_dataset ON counts (dataset_uuid);\n` })).toEqual([]);
    expect(await findings({ '1.sql': schema, '2.sql': `${change}${trieve.replace(decrement, 'NULL;')}ALTER TABLE counts ADD CONSTRAINT counts_dataset UNIQUE (dataset_uuid);\n` })).toEqual([]);
    // A key on other columns, or a partial one, is no arbiter for it.
    expect(await findings({ '1.sql': schema, '2.sql': `${change}${trieve.replace(decrement, 'NULL;')}CREATE UNIQUE INDEX counts_dataset ON counts (dataset_uuid, n);\n` })).toHaveLength(1);
  });

  it('says nothing of a variable of that name, of a key that covers the columns, or of a column it never saw made', async () => {
    expect(await findings({ '1.sql': schema, '2.sql': change + fn(`DECLARE user_uuid uuid;\nBEGIN\n  ${decrement}\n  RETURN NULL;\nEND`) })).toEqual([]);
    expect(await findings({ '1.sql': schema, '2.sql': `${change}CREATE UNIQUE INDEX ON counts (dataset_uuid);\n${trieve.replace(decrement, 'UPDATE counts SET n = n - 1 WHERE dataset_uuid = OLD.dataset_uuid;')}` })).toEqual([]);
    // A unique index with a WHERE may be the arbiter: not judged. A column migc never saw made may be there.
    expect(await findings({ '1.sql': schema, '2.sql': `${change}CREATE UNIQUE INDEX ON counts (dataset_uuid) WHERE n > 0;\n${fn(`BEGIN\n  ${upsert}\n  UPDATE counts SET n = 1 WHERE other = 1;\n  RETURN NULL;\nEND`)}` })).toEqual([]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG252 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it('takes the function, then refuses every write the trigger runs it for', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(schema + change + trieve);
      await expect(db.run("INSERT INTO notes VALUES ('00000000-0000-0000-0000-000000000001', NULL);")).rejects.toThrow(/no unique or exclusion constraint matching the ON CONFLICT specification/);
      await db.run('ALTER TABLE notes DISABLE TRIGGER bump;');
      await db.run("INSERT INTO notes VALUES ('00000000-0000-0000-0000-000000000001', NULL);");
      await db.run('ALTER TABLE notes ENABLE TRIGGER bump;');
      await expect(db.run('DELETE FROM notes;')).rejects.toThrow(/column "user_uuid" does not exist/);
    });
    it('calls the upsert once the key is added after the function, in the same migration', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(`${schema}${change}${trieve.replace(decrement, 'NULL;')}CREATE UNIQUE INDEX counts_dataset ON counts (dataset_uuid);`);
      await db.run("INSERT INTO notes VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a');");
      expect(rowsOf(await db.run('SELECT n FROM counts'))).toEqual([{ n: 2 }]);
    });
    it('takes an upsert whose DO UPDATE SET writes a dropped column, then refuses the write that conflicts', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(schema + change + fn('BEGIN\n  INSERT INTO counts (id, dataset_uuid, n) VALUES (NEW.id, NEW.dataset_uuid, 1) ON CONFLICT (id) DO UPDATE SET user_uuid = NULL;\n  RETURN NULL;\nEND'));
      await expect(db.run("INSERT INTO notes VALUES ('00000000-0000-0000-0000-000000000001', NULL);")).rejects.toThrow(/column "user_uuid" of relation "counts" does not exist/);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
