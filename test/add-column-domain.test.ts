import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { reportedAndRewritten } from './rewrites.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG205 and ADD COLUMN of a domain type, checked on PostgreSQL (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL): a column of a domain with constraints (its own, or those of the domain
 * it is over) is computed for every row and checked against them, which rewrites the table even
 * without a default or with a constant one (ATExecAddColumn: DomainHasConstraints). MG205 reports
 * exactly the ADD COLUMNs after which the table has a new file (relfilenode).
 */

/** What each case's domain went through (in the first file), and the column added of it (in the second). */
const cases: { name: string; domains: string; column: string }[] = [
  { name: 'CHECK, no default', domains: 'CREATE DOMAIN d_check AS int CHECK (VALUE > 0);', column: 'd_check' },
  { name: 'CHECK, a constant default', domains: 'CREATE DOMAIN d_check_default AS int CHECK (VALUE > 0);', column: 'd_check_default DEFAULT 1' },
  { name: 'no constraint, a constant default', domains: 'CREATE DOMAIN d_plain AS int;', column: 'd_plain DEFAULT 1' },
  { name: 'NOT NULL, a constant default', domains: 'CREATE DOMAIN d_not_null AS int NOT NULL;', column: 'd_not_null DEFAULT 1' },
  { name: 'NULL (no constraint)', domains: 'CREATE DOMAIN d_null AS int NULL;', column: 'd_null DEFAULT 1' },
  { name: 'over a domain with a CHECK', domains: 'CREATE DOMAIN d_base AS int CHECK (VALUE > 0);\nCREATE DOMAIN d_over AS d_base;', column: 'd_over DEFAULT 1' },
  { name: 'a named CHECK dropped', domains: 'CREATE DOMAIN d_named AS int CONSTRAINT positive CHECK (VALUE > 0);\nALTER DOMAIN d_named DROP CONSTRAINT positive;', column: 'd_named DEFAULT 1' },
  { name: 'an unnamed CHECK dropped by the name PostgreSQL gave it', domains: 'CREATE DOMAIN d_unnamed AS int CHECK (VALUE > 0);\nALTER DOMAIN d_unnamed DROP CONSTRAINT d_unnamed_check;', column: 'd_unnamed DEFAULT 1' },
  { name: 'two unnamed CHECKs, the second dropped', domains: 'CREATE DOMAIN d_two AS int CHECK (VALUE > 0) CHECK (VALUE < 9);\nALTER DOMAIN d_two DROP CONSTRAINT d_two_check1;', column: 'd_two DEFAULT 1' },
  { name: 'two unnamed CHECKs, both dropped', domains: 'CREATE DOMAIN d_both AS int CHECK (VALUE > 0) CHECK (VALUE < 9);\nALTER DOMAIN d_both DROP CONSTRAINT d_both_check1;\nALTER DOMAIN d_both DROP CONSTRAINT d_both_check;', column: 'd_both DEFAULT 1' },
  { name: 'a CHECK added by ALTER DOMAIN', domains: 'CREATE DOMAIN d_added AS int;\nALTER DOMAIN d_added ADD CHECK (VALUE > 0);', column: 'd_added DEFAULT 1' },
  { name: 'a CHECK added NOT VALID', domains: 'CREATE DOMAIN d_not_valid AS int;\nALTER DOMAIN d_not_valid ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;', column: 'd_not_valid DEFAULT 1' },
  { name: 'NOT NULL dropped', domains: 'CREATE DOMAIN d_dropped_nn AS int NOT NULL;\nALTER DOMAIN d_dropped_nn DROP NOT NULL;', column: 'd_dropped_nn DEFAULT 1' },
  { name: 'NOT NULL set by ALTER DOMAIN', domains: 'CREATE DOMAIN d_set_nn AS int;\nALTER DOMAIN d_set_nn SET NOT NULL;', column: 'd_set_nn DEFAULT 1' },
  { name: 'a CHECK renamed, then dropped by its new name', domains: 'CREATE DOMAIN d_renamed_con AS int CONSTRAINT a CHECK (VALUE > 0);\nALTER DOMAIN d_renamed_con RENAME CONSTRAINT a TO b;\nALTER DOMAIN d_renamed_con DROP CONSTRAINT b;', column: 'd_renamed_con DEFAULT 1' },
  { name: 'the domain renamed', domains: 'CREATE DOMAIN d_old AS int CHECK (VALUE > 0);\nALTER DOMAIN d_old RENAME TO d_new;', column: 'd_new DEFAULT 1' },
  { name: 'the domain moved to another schema', domains: 'CREATE DOMAIN d_moved AS int CHECK (VALUE > 0);\nALTER DOMAIN d_moved SET SCHEMA app;', column: 'app.d_moved DEFAULT 1' },
  { name: 'the domain dropped and made again without a constraint', domains: 'CREATE DOMAIN d_again AS int CHECK (VALUE > 0);\nDROP DOMAIN d_again;\nCREATE DOMAIN d_again AS int;', column: 'd_again DEFAULT 1' },
  { name: 'an array of a domain with a CHECK', domains: 'CREATE DOMAIN d_element AS int CHECK (VALUE > 0);', column: 'd_element[]' },
  { name: "information_schema's cardinal_number (a CHECK)", domains: '', column: 'information_schema.cardinal_number DEFAULT 1' },
  { name: "information_schema's sql_identifier (no constraint)", domains: '', column: 'information_schema.sql_identifier' },
  { name: 'a CHECK, a volatile default', domains: 'CREATE DOMAIN d_volatile AS float8 CHECK (VALUE >= 0);', column: 'd_volatile DEFAULT random()' },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ADD COLUMN of a domain type on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG205 reports exactly the columns after which the table has a new file', async () => {
      const created = `CREATE SCHEMA app;\n${cases.map((c, i) => `CREATE TABLE t${i} (id int);\nINSERT INTO t${i} VALUES (1), (2), (3);\n${c.domains}\n`).join('')}`;
      const { reported, rewritten } = await reportedAndRewritten(db, 'MG205', cases, { created, statement: (c, i) => `ALTER TABLE t${i} ADD COLUMN c ${c.column};`, table: (i) => `t${i}` });
      expect(reported).toEqual(rewritten);
      // What the cases show, as the docs say it.
      expect(rewritten).toEqual([
        'CHECK, no default', 'CHECK, a constant default', 'NOT NULL, a constant default', 'over a domain with a CHECK',
        'two unnamed CHECKs, the second dropped', 'a CHECK added by ALTER DOMAIN', 'a CHECK added NOT VALID', 'NOT NULL set by ALTER DOMAIN',
        'the domain renamed', 'the domain moved to another schema', "information_schema's cardinal_number (a CHECK)", 'a CHECK, a volatile default',
      ]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG205 on a column of a domain with constraints', () => {
  it('says why, and what to do instead', async () => {
    const files = {
      '001_create.sql': 'CREATE TABLE users (id int);\nCREATE DOMAIN positive AS numeric(10,2) CHECK (VALUE > 0);\nCREATE DOMAIN price AS positive NOT NULL;\n',
      '002_add.sql': "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN amount price DEFAULT 1;\n",
    };
    const result = await lint({ files: Object.keys(files), config: { postgres: 15 } }, memoryHost(files));
    const found = result.diagnostics.filter((d) => d.code === 'MG205');
    expect(found.map((d) => d.message)).toEqual([
      "ADD COLUMN amount rewrites users (no size hint: assumed large) under an ACCESS EXCLUSIVE lock: its type price is a domain that is NOT NULL and is over positive, whose constraints it inherits: PostgreSQL computes the new column for every row to check it against the domain's constraints, even without a default or with a constant one",
    ]);
    expect(found[0]!.help).toContain('ALTER TABLE users ADD COLUMN amount numeric(10,2) ...;');
  });
});
