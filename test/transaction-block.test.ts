import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { postgresMajors } from '../src/normalize/postgres-versions.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { refusedInTransactionBlock } from '../src/sql/transaction-block.js';
import { flywayRunsOutsideTransaction } from '../src/lint-flyway.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG204's list (src/sql/transaction-block.ts) against PostgreSQL itself. Each case runs its
 * statement inside BEGIN ... ROLLBACK on PGlite (PostgreSQL 18) and on the server of
 * MIGC_TEST_DATABASE_URL (PostgreSQL 15 in CI): the server refuses it (`<command> cannot run inside
 * a transaction block`) exactly when migc, linting for that server's major, reports MG204 (MG228
 * for ALTER TYPE ... ADD VALUE before 12) with the same words; and `refused(major)`, the case's
 * own claim, says which it is, so that a case cannot pass by both sides saying nothing. Run alone,
 * outside a transaction, the statement draws no MG204, and the server either runs it or fails it
 * for another reason (a tablespace directory that is not there, a publisher that does not answer).
 *
 * What neither engine can show is read from PostgreSQL's source only: ALTER TYPE ... ADD VALUE
 * before 12 (typecmds.c, AlterEnum), ALTER SUBSCRIPTION ... SET (failover) (17+) and SET
 * (two_phase = false) (18+) on an existing subscription; the version tests below pin them.
 */
interface Case {
  readonly sql: string;
  /** PostgreSQL's words for it in the error. */
  readonly command: string;
  /** Whether PostgreSQL of this major refuses it in a transaction block. */
  readonly refused: (major: number) => boolean;
  /** Run before, outside the transaction; migc reads it in a file before (what is partitioned). */
  readonly setup?: string;
  readonly cleanup?: string;
  /** Only the server can run it (and why): PGlite has no replication worker, or the case needs one. */
  readonly serverOnly?: string;
  /** Not run outside a transaction (and why): what it would do to the server. */
  readonly notRunAlone?: string;
}

const always = () => true;
const never = () => false;
const from = (major: number) => (m: number) => m >= major;
const name = `migc_tb_${randomBytes(3).toString('hex')}`;
const partitioned = 'CREATE TABLE parted (id int NOT NULL) PARTITION BY RANGE (id); CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10); CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20); CREATE INDEX parted_idx ON parted (id);';
const plain = 'CREATE TABLE plain (id int NOT NULL); CREATE INDEX plain_idx ON plain (id);';
const publisher = "CONNECTION 'host=127.0.0.1 port=1 dbname=none connect_timeout=1'";
/** A subscription created without connecting: it has a slot name (its own), and no slot was made. */
const subscription = `CREATE SUBSCRIPTION ${name}_sub ${publisher} PUBLICATION p WITH (connect = false);`;
const dropSubscription = `ALTER SUBSCRIPTION ${name}_sub DISABLE; ALTER SUBSCRIPTION ${name}_sub SET (slot_name = NONE); DROP SUBSCRIPTION ${name}_sub;`;
const noReplication = 'PGlite runs no replication worker, nor loads libpqwalreceiver';

const cases: readonly Case[] = [
  { sql: 'CREATE INDEX CONCURRENTLY plain_c ON plain (id)', command: 'CREATE INDEX CONCURRENTLY', refused: always, setup: plain },
  { sql: 'CREATE UNIQUE INDEX CONCURRENTLY plain_u ON plain (id)', command: 'CREATE INDEX CONCURRENTLY', refused: always, setup: plain },
  { sql: 'DROP INDEX CONCURRENTLY plain_idx', command: 'DROP INDEX CONCURRENTLY', refused: always, setup: plain },
  { sql: 'REINDEX TABLE CONCURRENTLY plain', command: 'REINDEX CONCURRENTLY', refused: from(12), setup: plain },
  { sql: 'REINDEX (CONCURRENTLY) INDEX plain_idx', command: 'REINDEX CONCURRENTLY', refused: from(12), setup: plain },
  { sql: 'REINDEX (CONCURRENTLY false) INDEX plain_idx', command: 'REINDEX', refused: never, setup: plain },
  { sql: 'REINDEX SCHEMA public', command: 'REINDEX SCHEMA', refused: always, setup: plain },
  { sql: 'REINDEX DATABASE postgres', command: 'REINDEX DATABASE', refused: always, notRunAlone: 'it rebuilds every index of the database' },
  { sql: 'REINDEX SYSTEM postgres', command: 'REINDEX SYSTEM', refused: always, notRunAlone: 'it rebuilds every catalog index' },
  { sql: 'REINDEX TABLE parted', command: 'REINDEX TABLE', refused: from(14), setup: partitioned },
  { sql: 'REINDEX INDEX parted_idx', command: 'REINDEX INDEX', refused: from(14), setup: partitioned },
  { sql: 'REINDEX TABLE plain', command: 'REINDEX TABLE', refused: never, setup: plain },
  { sql: 'VACUUM', command: 'VACUUM', refused: always },
  { sql: 'VACUUM (ANALYZE) plain', command: 'VACUUM', refused: always, setup: plain },
  { sql: 'ANALYZE plain', command: 'ANALYZE', refused: never, setup: plain },
  { sql: 'CLUSTER', command: 'CLUSTER', refused: always },
  { sql: 'CLUSTER parted USING parted_idx', command: 'CLUSTER', refused: from(15), setup: partitioned },
  { sql: 'CLUSTER plain USING plain_idx', command: 'CLUSTER', refused: never, setup: plain },
  { sql: 'DISCARD ALL', command: 'DISCARD ALL', refused: always },
  { sql: 'DISCARD PLANS', command: 'DISCARD PLANS', refused: never },
  { sql: `CREATE DATABASE ${name}`, command: 'CREATE DATABASE', refused: always, cleanup: `DROP DATABASE IF EXISTS ${name}` },
  { sql: `DROP DATABASE ${name}_none`, command: 'DROP DATABASE', refused: always },
  { sql: `ALTER DATABASE ${name}_none SET TABLESPACE pg_default`, command: 'ALTER DATABASE SET TABLESPACE', refused: always },
  { sql: `CREATE TABLESPACE ${name} LOCATION '/nonexistent/${name}'`, command: 'CREATE TABLESPACE', refused: always },
  { sql: `DROP TABLESPACE ${name}_none`, command: 'DROP TABLESPACE', refused: always },
  { sql: 'ALTER SYSTEM SET work_mem = \'4MB\'', command: 'ALTER SYSTEM', refused: always, notRunAlone: 'it would write the server\'s postgresql.auto.conf' },
  { sql: `COMMIT PREPARED '${name}'`, command: 'COMMIT PREPARED', refused: always },
  { sql: `ROLLBACK PREPARED '${name}'`, command: 'ROLLBACK PREPARED', refused: always },
  { sql: 'ALTER TABLE parted DETACH PARTITION parted_2 CONCURRENTLY', command: 'ALTER TABLE ... DETACH CONCURRENTLY', refused: from(14), setup: partitioned },
  { sql: 'ALTER TABLE parted DETACH PARTITION parted_2', command: 'ALTER TABLE', refused: never, setup: partitioned },
  { sql: "ALTER TYPE mood ADD VALUE 'calm'", command: 'ALTER TYPE ... ADD', refused: (m) => m < 12, setup: "CREATE TYPE mood AS ENUM ('sad')" },
  { sql: `CREATE SUBSCRIPTION ${name}_new ${publisher} PUBLICATION p`, command: 'CREATE SUBSCRIPTION ... WITH (create_slot = true)', refused: always, serverOnly: noReplication, notRunAlone: 'it would wait for a publisher that is not there' },
  { sql: `CREATE SUBSCRIPTION ${name}_new ${publisher} PUBLICATION p WITH (connect = false)`, command: 'CREATE SUBSCRIPTION', refused: never, serverOnly: noReplication, cleanup: `ALTER SUBSCRIPTION ${name}_new SET (slot_name = NONE); DROP SUBSCRIPTION IF EXISTS ${name}_new` },
  { sql: `DROP SUBSCRIPTION ${name}_sub`, command: 'DROP SUBSCRIPTION', refused: always, setup: subscription, cleanup: dropSubscription, serverOnly: noReplication, notRunAlone: 'it would ask a publisher that is not there to drop the slot' },
  {
    sql: `ALTER SUBSCRIPTION ${name}_sub REFRESH PUBLICATION`, command: 'ALTER SUBSCRIPTION ... REFRESH', refused: from(14),
    setup: `${subscription} ALTER SUBSCRIPTION ${name}_sub ENABLE;`, cleanup: dropSubscription, serverOnly: noReplication, notRunAlone: 'it would ask a publisher that is not there',
  },
  {
    sql: `ALTER SUBSCRIPTION ${name}_sub SET PUBLICATION q`, command: 'ALTER SUBSCRIPTION with refresh', refused: from(14),
    setup: `${subscription} ALTER SUBSCRIPTION ${name}_sub ENABLE;`, cleanup: dropSubscription, serverOnly: noReplication, notRunAlone: 'it would ask a publisher that is not there',
  },
  {
    sql: `ALTER SUBSCRIPTION ${name}_sub SET PUBLICATION q WITH (refresh = false)`, command: 'ALTER SUBSCRIPTION', refused: never,
    setup: subscription, cleanup: dropSubscription, serverOnly: noReplication,
  },
];

const inBlock = / cannot run inside a transaction block/;

/** What migc says of the statement in a file's BEGIN ... COMMIT (or alone), linting for `major`. */
async function migcSays(c: Case, major: number, inTransaction: boolean): Promise<string[]> {
  const files: Record<string, string> = {
    ...(c.setup ? { '1_setup.sql': `${c.setup}\n` } : {}),
    '2_case.sql': inTransaction ? `BEGIN;\n${c.sql};\nCOMMIT;\n` : `${c.sql};\n`,
  };
  const result = await lint({ files: Object.keys(files), config: { postgres: major } }, memoryHost(files));
  return result.diagnostics.filter((d) => d.file === '2_case.sql' && (d.code === 'MG204' || d.code === 'MG228')).map((d) => d.message);
}

async function runEach(db: SqlEngine, sql: string | undefined): Promise<void> {
  if (!sql) return;
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  for (const s of parsed.statements) await db.run(s.text);
}

/** The error of a statement, or undefined when it runs. */
async function errorOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function engineSuite(engineName: string, open: () => Promise<SqlEngine>) {
  const server = engineName !== 'PGlite';
  describe(`statements refused in a transaction block, on ${engineName}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    const runnable = cases.filter((c) => server || !c.serverOnly);
    it.each(runnable)('$sql', async (c) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await runEach(db, c.setup);
      try {
        await db.run('BEGIN');
        const error = await errorOf(() => db.run(c.sql));
        await db.run('ROLLBACK');
        const refusedHere = error !== undefined && inBlock.test(error);
        // The case's claim, the server's answer and migc's agree.
        expect(refusedHere, `${c.sql} on PostgreSQL ${db.major}: ${error ?? 'ran'}`).toBe(c.refused(db.major));
        if (refusedHere) expect(error).toBe(`${c.command} cannot run inside a transaction block`);
        const said = await migcSays(c, db.major, true);
        if (refusedHere) expect(said).toEqual([expect.stringContaining(`${c.command} cannot run inside a transaction block`)]);
        else expect(said).toEqual([]);
        // Alone, outside a transaction: migc says nothing, and the server does not refuse it so.
        expect(await migcSays(c, db.major, false)).toEqual([]);
        if (!c.notRunAlone) expect(await errorOf(() => db.run(c.sql)) ?? '').not.toMatch(inBlock);
      } finally {
        await runEach(db, c.cleanup);
      }
    });

    // A DO block runs as a function: `cannot be executed from a function`, in a transaction or not.
    it.each(['DISCARD ALL', 'REINDEX SCHEMA public', 'VACUUM', 'CLUSTER'])('%s in a DO block', async (sql) => {
      const block = `DO $$ BEGIN ${sql}; END $$`;
      expect(await errorOf(() => db.run(block))).toBe(`${sql.replace(' public', '')} cannot be executed from a function`);
      const files = { 'm.sql': `${block};\n` };
      const result = await lint({ files: ['m.sql'], config: { postgres: db.major } }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG204').map((d) => d.message)).toEqual([expect.stringContaining(`${sql.replace(' public', '')} cannot run inside a DO block`)]);
    });

    // A query string of several statements runs as one implicit transaction: the same refusal.
    it.each(runnable.filter((c) => c.refused === always && !c.setup && !c.notRunAlone))('$sql in a query string of several statements', async (c) => {
      expect(await errorOf(() => db.run(`SELECT 1; ${c.sql}`))).toBe(`${c.command} cannot run inside a transaction block`);
      const files = { 'm.sql': `SELECT 1;\n${c.sql};\n` };
      const result = await lint({ files: ['m.sql'], fileQueryString: true, config: { postgres: db.major } }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG204').map((d) => d.message)).toEqual([expect.stringContaining(`${c.command} cannot run inside a transaction block`)]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('what depends on the version, as PostgreSQL\'s source has it', () => {
  beforeAll(loadSqlParser);
  const refusedAt = (sql: string) => {
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    const majors: number[] = [];
    for (let m = postgresMajors.oldest; m <= postgresMajors.newest; m++) if (refusedInTransactionBlock(parsed.statements[0]!.ast, m, { partitionedTable: () => true, partitionedIndex: () => true })) majors.push(m);
    return majors.length ? `${majors[0]}-${majors[majors.length - 1]}` : 'never';
  };
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (c)', '10-18'],
    ['REINDEX SCHEMA public', '10-18'],
    ['REINDEX TABLE CONCURRENTLY t', '12-18'],
    ['REINDEX TABLE t', '14-18'],
    ['CLUSTER t USING i', '15-18'],
    ['ALTER TABLE t DETACH PARTITION p CONCURRENTLY', '14-18'],
    ["ALTER TYPE mood ADD VALUE 'calm'", '10-11'],
    ["ALTER TYPE mood RENAME VALUE 'a' TO 'b'", 'never'],
    ['ALTER SUBSCRIPTION s REFRESH PUBLICATION', '14-18'],
    ['ALTER SUBSCRIPTION s ADD PUBLICATION p WITH (copy_data = false)', '14-18'],
    ['ALTER SUBSCRIPTION s DROP PUBLICATION p WITH (refresh = false)', 'never'],
    ['ALTER SUBSCRIPTION s SET (failover = true)', '17-18'],
    ['ALTER SUBSCRIPTION s SET (two_phase = off)', '18-18'],
    ['ALTER SUBSCRIPTION s SET (two_phase = on)', 'never'],
    ["CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (create_slot = false)", 'never'],
    ["CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (create_slot)", '10-18'],
    ['DROP SUBSCRIPTION IF EXISTS s', '10-18'],
  ])('%s: refused on %s', (sql, majors) => {
    expect(refusedAt(sql)).toBe(majors);
  });

  it('ALTER TYPE ... ADD VALUE in a transaction is MG228 before 12, and not MG204 as well', async () => {
    const files = { 'm.sql': "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\n" };
    const codes = async (postgres: number) => (await lint({ files: ['m.sql'], config: { postgres } }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG204' || d.code === 'MG228').map((d) => d.code);
    expect(await codes(11)).toEqual(['MG228']);
    expect(await codes(12)).toEqual([]);
  });
});

describe('Flyway\'s own list and PostgreSQL\'s', () => {
  beforeAll(loadSqlParser);
  // What Flyway runs outside a transaction by its keywords (lint-flyway.ts) PostgreSQL refuses in
  // one, but for CREATE SUBSCRIPTION without a slot, which Flyway lists by its first words.
  it.each([
    'CREATE INDEX CONCURRENTLY i ON t (c)', 'DROP INDEX CONCURRENTLY i', 'REINDEX SCHEMA public', 'REINDEX DATABASE d', 'REINDEX SYSTEM d',
    'VACUUM t', 'DISCARD ALL', 'CREATE DATABASE d', 'DROP DATABASE d', "CREATE TABLESPACE t LOCATION '/x'", 'DROP TABLESPACE t',
    "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", 'DROP SUBSCRIPTION s', "ALTER SYSTEM SET work_mem = '4MB'",
  ])('%s: Flyway runs it outside a transaction, and PostgreSQL refuses it in one', (sql) => {
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    const ast = parsed.statements[0]!.ast;
    expect(flywayRunsOutsideTransaction(ast, 15)).toBe(true);
    expect(refusedInTransactionBlock(ast, 15)).toBeDefined();
  });

  it.each([
    'REINDEX TABLE CONCURRENTLY t', 'ALTER TABLE t DETACH PARTITION p CONCURRENTLY', 'CLUSTER', 'ALTER DATABASE d SET TABLESPACE t',
    "COMMIT PREPARED 'x'", 'ALTER SUBSCRIPTION s REFRESH PUBLICATION',
  ])('%s: PostgreSQL refuses it in a transaction, and Flyway does not know it (MG204 in a Flyway script)', async (sql) => {
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(flywayRunsOutsideTransaction(parsed.statements[0]!.ast, 15)).toBe(false);
    expect(refusedInTransactionBlock(parsed.statements[0]!.ast, 15)).toBeDefined();
    const files = { 'V2__x.sql': `${sql};\n` };
    const result = await lint({ files: ['V2__x.sql'], fileTransaction: true, config: { postgres: 15 } }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG204').length).toBe(1);
  });
});
