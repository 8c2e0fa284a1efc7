import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * MG214 on DROP TABLE IF EXISTS of a table no file linted made, in files that make their tables
 * from the start (the sixteenth, eighteenth and nineteenth trials: OHDSI WebAPI drops laertes
 * tables an install older than its Flyway history may hold): a note, worded as the condition it is.
 */
async function mg214(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message}`);
}

const first = { '1.sql': 'CREATE TABLE parent (id int PRIMARY KEY);\n' };

describe('DROP TABLE IF EXISTS of a table no file made', () => {
  it('is a note in files that make their tables from the first, also after the tables they made are gone', async () => {
    expect(await mg214({ ...first, '2.sql': "SET lock_timeout = '5s';\nDROP TABLE IF EXISTS old_thing;\nDROP TABLE parent;\nDROP TABLE IF EXISTS a1, a2;\n" })).toEqual([
      '2.sql:2 info this statement drops table old_thing if it exists: no file linted made it, and the files make their tables from the first, so a database they made has none; where one was made otherwise (before the history began, or by hand), what it holds is lost',
      '2.sql:3 warning this statement drops table parent',
      '2.sql:4 info this statement drops tables a1 and a2 where they exist: no file linted made them, and the files make their tables from the first, so a database they made has none of them; where one was made otherwise (before the history began, or by hand), what it holds is lost',
    ]);
  });

  it('is said beside a table the files made, in the warning', async () => {
    expect(await mg214({ ...first, '2.sql': 'DROP TABLE IF EXISTS parent, old_two;\n' })).toEqual([
      '2.sql:1 warning this statement drops table parent and drops table old_two if it exists: no file linted made it, and the files make their tables from the first, so a database they made has none',
    ]);
  });

  it('stays a warning without IF EXISTS, in a file linted alone, and where the files alter a table before they make one; a rollback\'s is a note too', async () => {
    const drop = { '2.sql': 'DROP TABLE IF EXISTS old_thing;\n' };
    expect((await mg214({ ...first, '2.sql': 'DROP TABLE old_thing;\n' })).map((f) => f.split(' ')[1])).toEqual(['warning']);
    expect((await mg214(drop)).map((f) => f.split(' ')[1])).toEqual(['warning']);
    expect((await mg214({ '0.sql': 'ALTER TABLE legacy ADD COLUMN x int;\n', ...first, ...drop })).map((f) => f.split(' ')[1])).toEqual(['warning']);
    expect((await mg214({ '0.sql': 'CREATE INDEX legacy_x ON legacy (x);\n', ...first, ...drop })).map((f) => f.split(' ')[1])).toEqual(['warning']);
    // A rollback's too is a note, in files that make their tables from the first: on a database
    // they made there is no such table (frontier's down drops a metadata table nothing made: the
    // fortieth trial's E).
    expect((await mg214({ '1_a.up.sql': first['1.sql'], '1_a.down.sql': 'DROP TABLE IF EXISTS ghost;\n' })).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['1_a.down.sql:1 info']);
  });
});

describe('DROP SCHEMA IF EXISTS of a schema no file made', () => {
  it('is a note in files that make their tables from the first, in an up and in a rollback (the twenty-third trial\'s F: graph-node)', async () => {
    expect(await mg214({
      ...first,
      '2_meta.up.sql': 'DROP SCHEMA IF EXISTS info CASCADE;\nCREATE SCHEMA info;\nCREATE TABLE info.t (id int);\n',
      '2_meta.down.sql': 'DROP SCHEMA IF EXISTS meta CASCADE;\nDROP SCHEMA IF EXISTS info CASCADE;\n',
    })).toEqual([
      '2_meta.up.sql:1 info this statement drops schema info if it exists: no file linted made it, and the files make their tables from the first, so a database they made has none; where one was made otherwise (before the history began, or by hand), what it holds is lost',
      '2_meta.down.sql:1 info this statement drops schema meta if it exists: no file linted made it, and the files make their tables from the first, so a database they made has none; where one was made otherwise (before the history began, or by hand), what it holds is lost',
    ]);
  });

  it('stays a warning for a schema that holds a table the files know, or where the files alter a table before they make one', async () => {
    expect((await mg214({ '0.sql': 'ALTER TABLE app.legacy ADD COLUMN x int;\n', ...first, '2.sql': 'DROP SCHEMA IF EXISTS app CASCADE;\n' })).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['2.sql:1 warning']);
    expect((await mg214({ '0.sql': 'CREATE TABLE other (id int);\nALTER TABLE app.legacy ADD COLUMN x int;\n', '2.sql': 'DROP SCHEMA IF EXISTS app CASCADE;\n' })).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['2.sql:1 warning']);
  });
});

describe('a rollback that drops what is not there right after its up', () => {
  it('loses nothing, PostgreSQL refusing it: no MG214 (the twenty-third trial\'s C: graph-node\'s downs name the wrong table or schema)', async () => {
    const files = {
      '1_init.up.sql': 'CREATE SCHEMA subgraphs;\nCREATE TABLE subgraphs.subgraph_error (id int);\nCREATE TABLE subgraphs.subgraph_deployment (id int);\n',
      '2_cols.up.sql': 'ALTER TABLE subgraphs.subgraph_deployment ADD COLUMN last_healthy_block_hash bytea;\n',
      // A column of a table no file made (trieve's `orgs` for `organizations`, the twenty-fourth trial's C), IF EXISTS on the column or the table.
      '2_cols.down.sql': 'ALTER TABLE subgraphs.subgraph_error DROP COLUMN last_healthy_block_hash;\nDROP TABLE subgraph_error;\nALTER TABLE subgraphs.subgraph_deployment DROP COLUMN id;\nALTER TABLE orgs DROP COLUMN IF EXISTS registerable;\n',
      '3_reg.up.sql': 'ALTER TABLE subgraphs.subgraph_deployment ADD COLUMN registerable boolean;\n',
      '3_reg.down.sql': 'ALTER TABLE IF EXISTS orgs DROP COLUMN registerable;\n',
    };
    expect(await mg214(files)).toEqual([
      // What is there, and its up did not make, is still the loss it was.
      '2_cols.down.sql:3 warning this rollback drops column subgraphs.subgraph_deployment.id, which its up did not make: the rollback loses what was there before the up',
    ]);
  });
});

describe('DROP SCHEMA without CASCADE', () => {
  it('loses nothing: PostgreSQL drops only an empty schema, and refuses one that holds anything (the twenty-eighth trial\'s F)', async () => {
    const files = { '1.sql': 'CREATE SCHEMA tmp;\nCREATE TABLE tmp.t (id int);\nCREATE SCHEMA empty;\n', '2.sql': 'DROP SCHEMA IF EXISTS empty;\nDROP SCHEMA tmp;\nDROP SCHEMA IF EXISTS gone;\n' };
    expect(await mg214(files)).toEqual([]);
    // With CASCADE, what the schema holds goes: still reported.
    expect((await mg214({ ...files, '2.sql': 'DROP SCHEMA tmp CASCADE;\n' })).length).toBe(1);
    const db = await PGlite.create();
    try {
      await db.exec(files['1.sql']);
      await db.exec('DROP SCHEMA IF EXISTS empty;');
      await expect(db.exec('DROP SCHEMA tmp;')).rejects.toThrow(/cannot drop schema tmp because other objects depend on it/);
    } finally {
      await db.close();
    }
  });
});
