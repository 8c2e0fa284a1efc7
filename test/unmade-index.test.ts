import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * DROP INDEX IF EXISTS of a name no file made, in files that make their tables from the first
 * (src/analyze/sql-rules/unmade-index.ts): on a database the files made it drops nothing. MG202's
 * lock warning becomes a note worded as a condition; where the name is close to an index the files
 * did make (a typo, table.index, a rollback's name with words of its up's index left out), MG244
 * says the index meant, a warning when it stays, a note when a later statement of the file takes
 * it anyway. The engine suite below runs each case and checks the index meant is (or is not) there.
 */
async function linted(files: Record<string, string>) {
  await loadSqlParser();
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics
    .filter((d) => d.code === 'MG244' || d.code === 'MG202')
    .map((d) => ({ at: `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}`, code: d.code, severity: d.severity, message: d.message, help: d.help ?? '' }));
}

interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  /** "file:line code severity" of each MG202 and MG244. */
  readonly found: readonly string[];
  readonly message?: RegExp;
  /** The index meant, and whether it is still there after all the files ran (lint's order: each up, then its down). */
  readonly meant?: { readonly index: string; readonly there: boolean };
}

const cases: Case[] = [
  {
    // The twenty-first trial's neosync.
    name: 'a rollback drops its up\'s index by a shorter name, then the table: a note that names the index meant',
    files: {
      '001_rbac.up.sql': 'CREATE TABLE casbin_rule (p_type varchar(32), v0 varchar(255));\nCREATE INDEX IF NOT EXISTS "idx_neosync_api_casbin_rule" ON casbin_rule (p_type, v0);\n',
      '001_rbac.down.sql': 'DROP INDEX IF EXISTS idx_casbin_rule;\nDROP TABLE IF EXISTS casbin_rule;\n',
    },
    found: ['001_rbac.down.sql:1 MG244 info'],
    message: /^DROP INDEX IF EXISTS idx_casbin_rule drops nothing on a database these files made: .* Did you mean idx_neosync_api_casbin_rule, on casbin_rule, which its up made\? It goes with its table later in the file, so the rollback loses nothing by it$/,
    meant: { index: 'idx_neosync_api_casbin_rule', there: false },
  },
  {
    name: 'the same rollback without the DROP TABLE: the index stays, a warning',
    files: {
      '001_a.up.sql': 'CREATE TABLE casbin_rule (p_type varchar(32), v0 varchar(255));\n',
      '002_rbac.up.sql': 'CREATE INDEX "idx_neosync_api_casbin_rule" ON casbin_rule (p_type, v0);\n',
      '002_rbac.down.sql': 'DROP INDEX IF EXISTS idx_casbin_rule;\n',
    },
    found: ['002_rbac.down.sql:1 MG244 warning'],
    message: /It stays: the rollback leaves it in place$/,
    meant: { index: 'idx_neosync_api_casbin_rule', there: true },
  },
  {
    // The twenty-second round's kratos: MySQL's DROP INDEX i ON t, written as PostgreSQL reads schema.index.
    name: 'table.index: PostgreSQL reads the table as a schema',
    files: {
      '001_a.up.sql': 'CREATE TABLE codes (id int, flow_id int);\n',
      '002_b.up.sql': 'CREATE INDEX IF NOT EXISTS codes_flow_id_idx ON codes (flow_id);\n',
      '002_b.down.sql': 'DROP INDEX IF EXISTS codes.codes_flow_id_idx;\n',
    },
    found: ['002_b.down.sql:1 MG244 warning'],
    message: /PostgreSQL reads codes\.codes_flow_id_idx as index codes_flow_id_idx in a schema codes \(DROP INDEX names no table\)/,
    meant: { index: 'codes_flow_id_idx', there: true },
  },
  {
    name: 'a typo in an up, CONCURRENTLY: a warning with the name to write',
    files: {
      '001_a.sql': 'CREATE TABLE users (id int, email text);\nCREATE INDEX users_email_idx ON users (email);\n',
      '002_b.sql': 'DROP INDEX CONCURRENTLY IF EXISTS users_emial_idx;\n',
    },
    found: ['002_b.sql:1 MG244 warning'],
    message: /Did you mean users_email_idx, on users\?/,
    meant: { index: 'users_email_idx', there: true },
  },
  {
    // The twenty-second round's formbricks: createdAt for created_at, before DROP COLUMN of the index's column.
    name: 'a near name whose index a later DROP COLUMN takes: a note',
    files: {
      '001_a.sql': 'CREATE TABLE "Survey" (id int, "environmentId" int, updated_at timestamptz);\nCREATE INDEX "Survey_environmentId_updated_at_idx" ON "Survey" ("environmentId", updated_at);\n',
      '002_b.sql': 'DROP INDEX IF EXISTS "Survey_environmentId_updatedAt_idx";\nALTER TABLE "Survey" DROP COLUMN IF EXISTS "environmentId";\n',
    },
    found: ['002_b.sql:1 MG244 info'],
    message: /It goes with its column later in the file/,
    meant: { index: 'Survey_environmentId_updated_at_idx', there: false },
  },
  {
    // authelia's users_key1: a duplicate an old bug made, not a typo of users_key.
    name: 'names that differ only in digits are not a typo: MG202\'s note',
    files: {
      '001_a.sql': 'CREATE TABLE t1 (id int, e int);\nCREATE INDEX t1_e_idx ON t1 (e);\n',
      '002_b.sql': 'DROP INDEX IF EXISTS t2_e_idx;\n',
    },
    found: ['002_b.sql:1 MG202 info'],
    message: /^DROP INDEX IF EXISTS t2_e_idx: no file linted creates it, and the files make their tables from the first, so on a database they made IF EXISTS skips it and takes no lock; where it exists \(made outside these files\), it takes an ACCESS EXCLUSIVE lock on its table/,
  },
  {
    // goalert's idx_alert_logs_hb_id beside idx_alert_logs_alert_id: a defensive drop before a CREATE.
    name: 'an up that drops a name no file made, before making it: MG202\'s note, no index named',
    files: {
      '001_a.sql': 'CREATE TABLE alert_logs (id int, alert_id int, hb_id int);\nCREATE INDEX idx_alert_logs_alert_id ON alert_logs (alert_id);\n',
      '002_b.sql': 'DROP INDEX IF EXISTS idx_alert_logs_hb_id;\nCREATE INDEX idx_alert_logs_hb_id ON alert_logs (hb_id);\n',
    },
    found: ['002_b.sql:1 MG202 info'],
  },
];

describe('DROP INDEX IF EXISTS of an index no file made', () => {
  it.each(cases)('$name', async (c) => {
    const found = await linted(c.files);
    expect(found.map((f) => `${f.at} ${f.code} ${f.severity}`)).toEqual(c.found);
    if (c.message) expect(found[0]!.message).toMatch(c.message);
    if (c.meant) expect(found[0]!.help).toMatch(new RegExp(`^Name the index the files made: DROP INDEX (CONCURRENTLY )?IF EXISTS "?${c.meant.index}"?;`));
  });

  it('stays a warning on its table where the files do not make their tables from the first', async () => {
    const found = await linted({ '001_a.sql': 'ALTER TABLE users ADD COLUMN e int;\n', '002_b.sql': 'DROP INDEX IF EXISTS users_e_idx;\n' });
    expect(found.map((f) => `${f.at} ${f.code} ${f.severity}`)).toEqual(['002_b.sql:1 MG202 warning']);
    expect(found[0]!.message).toMatch(/if it exists \(when it does not, IF EXISTS skips it and takes no lock\)/);
  });

  it('stays a warning after a statement migc cannot read (dynamic SQL may have made the index)', async () => {
    const found = await linted({
      '001_a.sql': "CREATE TABLE users (id int, email text);\nDO $$ BEGIN EXECUTE 'CREATE INDEX users_emial_idx ON users (email)'; END $$;\n",
      '002_b.sql': 'DROP INDEX IF EXISTS users_emial_idx;\n',
    });
    expect(found.map((f) => `${f.at} ${f.code} ${f.severity}`)).toEqual(['002_b.sql:1 MG202 warning']);
  });

  it('without IF EXISTS, no finding of this kind (PostgreSQL refuses the name: the run fails where it is tried)', async () => {
    const found = await linted({ '001_a.sql': 'CREATE TABLE users (id int, email text);\nCREATE INDEX users_email_idx ON users (email);\n', '002_b.sql': 'DROP INDEX users_emial_idx;\n' });
    expect(found.map((f) => `${f.at} ${f.code} ${f.severity}`)).toEqual(['002_b.sql:1 MG202 warning']);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`the cases on ${name}: the statement drops nothing, and the index meant is there or not as said`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async (c) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      // Lint's order: each up, then its down; CONCURRENTLY alone, outside a transaction.
      for (const sql of Object.values(c.files)) for (const statement of sql.split(';\n').filter((s) => s.trim())) await db.run(statement);
      const indexes = rowsOf(await db.run("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")).map((r) => r.indexname);
      if (c.meant) expect(indexes.includes(c.meant.index)).toBe(c.meant.there);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
