import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { reportedAndRewritten } from './rewrites.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG212 and ALTER COLUMN ... TYPE from or to a domain, checked on PostgreSQL (PGlite, and the
 * server of MIGC_TEST_DATABASE_URL). ATColumnChangeRequiresRewrite reads a domain's value as its
 * base type's (a relabel), and a change to a domain with constraints checks every row: the table
 * is rewritten only then, or when the base types' change rewrites (a new user's trial: boundary's
 * `ALTER COLUMN server_id TYPE text` from a domain over text was called a rewrite). MG212 reports
 * exactly the changes after which the table has a new file (relfilenode).
 */
const domains = [
  'CREATE DOMAIN wt_timestamp AS timestamptz DEFAULT current_timestamp;',
  'CREATE DOMAIN wt_private_id AS text NOT NULL CHECK (length(trim(VALUE)) > 10);',
  'CREATE DOMAIN kms_private_id AS text NOT NULL CHECK (length(trim(VALUE)) > 0);',
  'CREATE DOMAIN short_name AS varchar(20);',
  'CREATE DOMAIN plain_text AS text;',
  'CREATE DOMAIN over_plain AS plain_text;',
  'CREATE DOMAIN over_checked AS wt_private_id;',
  'CREATE DOMAIN amount AS int;',
  'CREATE DOMAIN app.label AS text;',
].join('\n');

/** Each case's column type before, and the type it is changed to. */
const cases: { name: string; from: string; to: string; value: string }[] = [
  { name: 'a domain with a CHECK to its base type', from: 'wt_private_id', to: 'text', value: "'abcdefghijkl'" },
  { name: 'the base type to a domain with only a default', from: 'timestamptz', to: 'wt_timestamp', value: 'now()' },
  { name: 'a domain with a CHECK to another with a CHECK', from: 'wt_private_id', to: 'kms_private_id', value: "'abcdefghijkl'" },
  { name: 'the base type to a domain with a CHECK', from: 'text', to: 'wt_private_id', value: "'abcdefghijkl'" },
  { name: 'varchar(10) to a domain over varchar(20)', from: 'varchar(10)', to: 'short_name', value: "'a'" },
  { name: 'a domain over varchar(20) to varchar(10)', from: 'short_name', to: 'varchar(10)', value: "'a'" },
  { name: 'a domain over varchar(20) to text', from: 'short_name', to: 'text', value: "'a'" },
  { name: 'text to a domain over a domain over text', from: 'text', to: 'over_plain', value: "'a'" },
  { name: 'text to a domain over a domain with a CHECK', from: 'text', to: 'over_checked', value: "'abcdefghijkl'" },
  { name: 'a domain over int to bigint', from: 'amount', to: 'bigint', value: '1' },
  { name: 'int to a domain over int', from: 'int', to: 'amount', value: '1' },
  { name: 'text to a domain of another schema, qualified', from: 'text', to: 'app.label', value: "'a'" },
  { name: 'text to an array of a domain over text', from: 'text[]', to: 'plain_text[]', value: "ARRAY['a']" },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ALTER COLUMN TYPE through domains on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG212 reports exactly the changes after which the table has a new file', async () => {
      const created = `CREATE SCHEMA app;\n${domains}\n${cases.map((c, i) => `CREATE TABLE t${i} (id int PRIMARY KEY, c ${c.from});\nINSERT INTO t${i} VALUES (1, ${c.value}), (2, ${c.value});\n`).join('')}`;
      const { reported, rewritten } = await reportedAndRewritten(db, 'MG212', cases, { created, statement: (c, i) => `ALTER TABLE t${i} ALTER COLUMN c TYPE ${c.to};`, table: (i) => `t${i}` });
      expect(reported).toEqual(rewritten);
      // What the cases show, as the docs say it.
      expect(rewritten).toEqual([
        'a domain with a CHECK to another with a CHECK', 'the base type to a domain with a CHECK', 'a domain over varchar(20) to varchar(10)',
        'text to a domain over a domain with a CHECK', 'a domain over int to bigint', 'text to an array of a domain over text',
      ]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG212 on a change to a domain with constraints', () => {
  it('names the domain\'s constraints that check every row', async () => {
    const files = {
      '001_create.sql': "CREATE DOMAIN wt_private_id AS text NOT NULL CHECK (length(VALUE) > 10);\nCREATE TABLE job_run (id int PRIMARY KEY, server_id text);\n",
      '002_change.sql': "SET lock_timeout = '5s';\nALTER TABLE job_run ALTER COLUMN server_id TYPE wt_private_id;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG212').map((d) => d.message)).toEqual([
      'changing job_run.server_id from text to wt_private_id rewrites job_run (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock (every row is checked against the constraints of wt_private_id: wt_private_id_check, NOT NULL)',
    ]);
  });
});
