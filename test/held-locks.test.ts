import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { lockStrength } from '../src/sql/locks.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG217 and MG218 say which locks a transaction still holds when a scan, a copy or a backfill
 * starts, and whom they keep waiting. Each case runs its statements in one transaction on
 * PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL) and reads pg_locks just before
 * the last one: the tables held at SHARE or stronger must be those expected, and the finding
 * lint gives the last statement must name them so (or none, where none is expected).
 */
const setup = `
  CREATE TABLE users (uuid varchar(40) PRIMARY KEY);
  CREATE TABLE ciphers (uuid varchar(40) PRIMARY KEY, user_uuid varchar(40), favorite boolean);
  CREATE TABLE p (id int PRIMARY KEY);
  CREATE TABLE c (id int PRIMARY KEY, p_id int, note text);
  INSERT INTO users VALUES ('u');
  INSERT INTO ciphers VALUES ('c', 'u', true);
  INSERT INTO p VALUES (1);
  INSERT INTO c VALUES (1, 1, 'x');
  CREATE TABLE "Document" (id int PRIMARY KEY, "dataId" int);
  CREATE TABLE "DocumentData" (id int PRIMARY KEY, "documentId" int CONSTRAINT "DocumentData_documentId_fkey" REFERENCES "Document" (id));
  INSERT INTO "Document" VALUES (1, NULL);
  INSERT INTO "DocumentData" VALUES (1, 1);
`;

interface Case {
  readonly name: string;
  /** The statements of one transaction; the last is the one judged. */
  readonly statements: readonly string[];
  /** The strongest lock held at SHARE or stronger on each table before the last statement (pg_locks). */
  readonly held: Record<string, string>;
  /**
   * The finding on the last statement: its code, what its message says, and the line of the
   * statement that took the lock, where its related location points (the transaction's first
   * statement is on line 3); or none.
   */
  readonly finding?: { readonly code: string; readonly says: string; readonly takenAt?: number | readonly number[] };
}

const cases: Case[] = [
  {
    name: 'CREATE TABLE ... REFERENCES then a copy into it (vaultwarden\'s favorites)',
    statements: [
      'CREATE TABLE favorites (user_uuid varchar(40) NOT NULL REFERENCES users (uuid), cipher_uuid varchar(40) NOT NULL REFERENCES ciphers (uuid), PRIMARY KEY (user_uuid, cipher_uuid))',
      'INSERT INTO favorites (user_uuid, cipher_uuid) SELECT user_uuid, uuid FROM ciphers WHERE favorite AND user_uuid IS NOT NULL',
    ],
    held: { favorites: 'AccessExclusiveLock', users: 'ShareRowExclusiveLock', ciphers: 'ShareRowExclusiveLock' },
    finding: { code: 'MG217', says: 'INSERT copies rows out of ciphers while this transaction still holds SHARE ROW EXCLUSIVE on users and ciphers, which CREATE TABLE favorites (line 3; users and ciphers, each as the referenced table of a foreign key it adds) took: writes to users and ciphers wait until the copy is done', takenAt: 3 },
  },
  {
    name: 'a foreign key added NOT VALID, then validated in the same transaction',
    statements: ['ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID', 'ALTER TABLE c VALIDATE CONSTRAINT c_p_id_fkey'],
    held: { c: 'ShareRowExclusiveLock', p: 'ShareRowExclusiveLock' },
    finding: { code: 'MG217', says: 'does a scan of c while this transaction still holds SHARE ROW EXCLUSIVE on c and p, which ALTER TABLE c ADD CONSTRAINT (line 3; p as the referenced table of a foreign key it adds) took: writes to c and p wait until it commits', takenAt: 3 },
  },
  {
    name: 'an index built on the referenced table while the foreign key\'s lock is held',
    statements: ['ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID', 'CREATE INDEX c_note_idx ON c (note)'],
    held: { c: 'ShareRowExclusiveLock', p: 'ShareRowExclusiveLock' },
    // CREATE INDEX blocks writes to c itself: only p is held for it.
    finding: { code: 'MG217', says: 'CREATE INDEX does an index build of c while this transaction still holds SHARE ROW EXCLUSIVE on p, which ALTER TABLE c ADD CONSTRAINT (line 3; p as the referenced table of a foreign key it adds) took: writes to p wait until it commits', takenAt: 3 },
  },
  {
    // Counted, not listed (musicbrainz's schema changes held ten tables, taken by eight statements:
    // messages of 1,800 characters; the twenty-fourth trial's N5): each taker is a note of its own.
    name: 'a scan while five triggers made earlier in the transaction stop writes to five tables',
    statements: [
      ...['users', 'ciphers', 'p', '"Document"', '"DocumentData"'].map((t, i) => `CREATE TRIGGER t${i} BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()`),
      'ALTER TABLE c ADD CONSTRAINT c_note_check CHECK (note IS NOT NULL)',
    ],
    held: { users: 'ShareRowExclusiveLock', ciphers: 'ShareRowExclusiveLock', p: 'ShareRowExclusiveLock', Document: 'ShareRowExclusiveLock', DocumentData: 'ShareRowExclusiveLock' },
    finding: { code: 'MG217', says: 'ALTER TABLE ADD CONSTRAINT does a scan of c while this transaction still holds locks that stop writes on 5 tables (users, ciphers, p and 2 more), which 5 earlier statements (each at a note) took: writes to them wait until it commits', takenAt: [3, 4, 5, 6, 7] },
  },
  {
    name: 'a backfill after CREATE INDEX on its table',
    statements: ['CREATE INDEX c_note_idx ON c (note)', "UPDATE c SET note = 'y'"],
    held: { c: 'ShareLock' },
    finding: { code: 'MG218', says: 'CREATE INDEX c_note_idx ON c (line 3), which holds SHARE on c, so every writer waits for c until the backfill commits', takenAt: 3 },
  },
  {
    // documenso's reverse_document_data_relation: the ALTER TABLE is of "DocumentData", the lock
    // the backfill waits behind is on "Document", the table its foreign key references.
    name: 'a backfill of the table a dropped foreign key referenced',
    statements: ['ALTER TABLE "DocumentData" DROP CONSTRAINT "DocumentData_documentId_fkey"', 'UPDATE "Document" SET "dataId" = 1'],
    held: { Document: 'AccessExclusiveLock', DocumentData: 'AccessExclusiveLock' },
    finding: { code: 'MG218', says: 'this UPDATE runs in the same transaction as ALTER TABLE "DocumentData" DROP CONSTRAINT (line 3), which holds ACCESS EXCLUSIVE on "Document" as the referenced table of the foreign key "DocumentData_documentId_fkey" it drops, so every reader and writer waits for "Document"', takenAt: 3 },
  },
  {
    name: 'an index built on the table a dropped foreign key referenced',
    statements: ['ALTER TABLE "DocumentData" DROP CONSTRAINT "DocumentData_documentId_fkey"', 'ALTER TABLE "DocumentData" ADD COLUMN note text', 'CREATE INDEX ON "Document" ("dataId")'],
    held: { Document: 'AccessExclusiveLock', DocumentData: 'AccessExclusiveLock' },
    finding: { code: 'MG217', says: 'CREATE INDEX does an index build of "Document" while this transaction still holds the ACCESS EXCLUSIVE lock ALTER TABLE "DocumentData" DROP CONSTRAINT (line 3) took on it as the referenced table of the foreign key "DocumentData_documentId_fkey" it drops: nothing can read or write "Document" until it commits', takenAt: 3 },
  },
  {
    // The referencing end: a key of another table dropped with the referenced one's column.
    name: 'a backfill of the table whose foreign key a DROP COLUMN ... CASCADE took along',
    statements: ['ALTER TABLE "Document" DROP COLUMN id CASCADE', 'UPDATE "DocumentData" SET "documentId" = NULL'],
    held: { Document: 'AccessExclusiveLock', DocumentData: 'AccessExclusiveLock' },
    finding: { code: 'MG218', says: 'this UPDATE runs in the same transaction as ALTER TABLE "Document" DROP COLUMN (line 3), which holds ACCESS EXCLUSIVE on "DocumentData" as the referencing table of the foreign key "DocumentData_documentId_fkey" it drops, so every reader and writer waits for "DocumentData"', takenAt: 3 },
  },
  {
    name: 'an index built on a new table that nobody has filled',
    statements: ['CREATE TABLE cc (id int PRIMARY KEY, p_id int REFERENCES p)', 'CREATE INDEX cc_p_idx ON cc (p_id)'],
    held: { cc: 'AccessExclusiveLock', p: 'ShareRowExclusiveLock' },
  },
  {
    // stacker.news attach_wallets (the thirty-eighth trial's B): the CTE named users reads the
    // table users; the query after it reads the CTEs users and wallets, which are no tables.
    name: 'a copy through CTEs, one named like the table it reads',
    statements: [
      'ALTER TABLE ciphers ADD CONSTRAINT ciphers_user_fk FOREIGN KEY (user_uuid) REFERENCES users (uuid)',
      'WITH users AS (SELECT users.uuid AS user_uuid FROM users), wallets AS (INSERT INTO p (id) SELECT length(user_uuid) + 100 FROM users RETURNING id) INSERT INTO c (id, p_id) SELECT wallets.id, wallets.id FROM users JOIN wallets ON length(users.user_uuid) + 100 = wallets.id',
    ],
    held: { ciphers: 'ShareRowExclusiveLock', users: 'ShareRowExclusiveLock' },
    finding: { code: 'MG217', says: 'INSERT copies rows out of users while this transaction still holds SHARE ROW EXCLUSIVE on ciphers and users, which ALTER TABLE ciphers ADD CONSTRAINT (line 3; users as the referenced table of the foreign key ciphers_user_fk it adds) took: writes to ciphers and users wait until the copy is done', takenAt: 3 },
  },
  {
    name: 'a second index on the same table',
    statements: ['CREATE INDEX c_note_idx ON c (note)', 'CREATE INDEX c_p_idx ON c (p_id)'],
    held: { c: 'ShareLock' },
  },
];

const heldQuery = `SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.granted AND c.relkind IN ('r', 'p')`;

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`locks held through a transaction, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$name', async ({ statements, held, finding }) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(setup);
      await db.run('BEGIN');
      try {
        for (const s of statements.slice(0, -1)) await db.run(s);
        const seen: Record<string, string> = {};
        for (const r of rowsOf(await db.run(heldQuery))) {
          if (lockStrength(r.mode!) >= lockStrength('ShareLock') && (!seen[r.relname!] || lockStrength(r.mode!) > lockStrength(seen[r.relname!]!))) seen[r.relname!] = r.mode!;
        }
        expect(seen).toEqual(held);
        await db.run(statements[statements.length - 1]!);
      } finally {
        await db.run('ROLLBACK');
      }
      const files = { 'm/V1__setup.sql': setup, 'm/V2__change.sql': `SET lock_timeout = '5s';\nBEGIN;\n${statements.join(';\n')};\nCOMMIT;\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const last = 3 + statements.length - 1;
      const found = result.diagnostics
        .filter((d) => (d.code === 'MG217' || d.code === 'MG218') && d.file === 'm/V2__change.sql')
        .map((d) => ({ code: d.code, line: result.sources.get(d.file!)!.position(d.span!.start).line, message: d.message }));
      if (!finding) {
        expect(found).toEqual([]);
        return;
      }
      expect(found).toHaveLength(1);
      expect(found[0]!.code).toBe(finding.code);
      expect(found[0]!.line).toBe(last);
      expect(found[0]!.message).toContain(finding.says);
      const related = result.diagnostics.find((d) => d.code === finding.code && d.file === 'm/V2__change.sql')!.related ?? [];
      expect(related.map((r) => result.sources.get(r.file)!.position(r.span!.start).line)).toEqual(finding.takenAt === undefined ? [] : [finding.takenAt].flat());
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

/**
 * MG219 counts the SHARE ROW EXCLUSIVE CREATE TABLE ... REFERENCES takes on the referenced table:
 * it waits behind a transaction that has written that table (not one that only read it). Two
 * sessions are needed: on the server only.
 */
/**
 * Two sessions on a database of their own on the server (MIGC_TEST_DATABASE_URL), made before the
 * describe's tests with `sql` run in it, and closed after: what one session's lock does to the other.
 */
function twoSessions(sql: string): { readonly first: () => pg.Client; readonly second: () => pg.Client } {
  let clients: pg.Client[] = [];
  let engine: SqlEngine;
  beforeAll(async () => {
    await loadSqlParser();
    engine = await sqlEngines()[1]!.open();
    const { rows } = await (engine.run('SELECT current_database() AS db') as Promise<{ rows: { db: string }[] }>);
    const url = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    url.pathname = `/${rows[0]!.db}`;
    clients = [new pg.Client({ connectionString: url.toString() }), new pg.Client({ connectionString: url.toString() })];
    for (const c of clients) await c.connect();
    await engine.run(sql);
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await engine?.close();
  });
  return { first: () => clients[0]!, second: () => clients[1]! };
}

describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('CREATE TABLE ... REFERENCES waits for the referenced table, on a real PostgreSQL server', () => {
  const sessions = twoSessions(setup);

  it.each([
    ["INSERT INTO users VALUES ('w')", true],
    ['SELECT count(*) FROM users', false],
  ] as const)('behind a transaction that ran %s: waits %s', async (sql, waits) => {
    const [writer, creator] = [sessions.first(), sessions.second()];
    await writer.query('BEGIN');
    await writer.query(sql);
    await creator.query("SET lock_timeout = '300ms'");
    const outcome = await creator.query('CREATE TABLE receipts (id int PRIMARY KEY, user_uuid varchar(40) REFERENCES users (uuid))').then(() => 'created', (e: Error) => e.message);
    await writer.query('ROLLBACK');
    await creator.query('DROP TABLE IF EXISTS receipts');
    expect(outcome).toBe(waits ? 'canceling statement due to lock timeout' : 'created');
    // And lint says so, before lock_timeout is set, for a table an earlier file created.
    const files = { 'm/V1__setup.sql': setup, 'm/V2__receipts.sql': 'CREATE TABLE receipts (id int PRIMARY KEY, user_uuid varchar(40) REFERENCES users (uuid));\n' };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG219').map((d) => d.message)).toEqual([
      'CREATE TABLE waits for a SHARE ROW EXCLUSIVE lock on users, the referenced table of a foreign key it adds, with no lock_timeout set before it in its session: while it waits behind a long query, every write to users queues behind it (reads go on)',
    ]);
  });
});

/**
 * MG203 says REINDEX blocks nearly every query on the table, not only writes and the reads that
 * use the index: planning a query locks each index of its table (the fourteenth trial's class E).
 * Two sessions: on the server only.
 */
describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('REINDEX blocks what MG203 says, on a real PostgreSQL server', () => {
  const table = 'CREATE TABLE r (id int PRIMARY KEY, v int);\nCREATE INDEX r_v ON r (v);\nINSERT INTO r SELECT g, g FROM generate_series(1, 1000) g;\nANALYZE r;\n';
  const sessions = twoSessions(table);

  it.each(['REINDEX INDEX r_v', 'REINDEX TABLE r'])('while %s runs, a write and a read by primary key both wait', async (reindex) => {
    const [reindexer, reader] = [sessions.first(), sessions.second()];
    await reindexer.query('BEGIN');
    await reindexer.query(reindex);
    await reader.query("SET lock_timeout = '300ms'");
    const outcomes = [];
    for (const sql of ['INSERT INTO r VALUES (5001, 1)', 'SELECT count(*) FROM r WHERE id = 5']) outcomes.push(await reader.query(sql).then(() => 'ran', (e: Error) => e.message));
    await reindexer.query('ROLLBACK');
    expect(outcomes).toEqual(['canceling statement due to lock timeout', 'canceling statement due to lock timeout']);
    const files = { 'm/V1__setup.sql': table, 'm/V2__reindex.sql': `SET lock_timeout = '5s';\n${reindex};\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG203').map((d) => d.message)[0]).toContain('and nearly every query on it');
  });
});

/**
 * MG217 says that a materialized view dropped and made again by its query in one transaction
 * keeps every query on it waiting until the transaction commits (the thirtieth trial's M1:
 * planx's and nexus's rebuilds): a reader waits on the old view's lock, then reads the new one.
 * Two sessions: on the server only.
 */
describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('a materialized view rebuilt in one transaction blocks its readers, on a real PostgreSQL server', () => {
  const table = 'CREATE TABLE accounts (address text PRIMARY KEY, balance numeric);\nINSERT INTO accounts SELECT g::text, g FROM generate_series(1, 1000) g;\nCREATE MATERIALIZED VIEW accounts_list AS SELECT address, balance FROM accounts;\n';
  const rebuild = 'DROP MATERIALIZED VIEW accounts_list;\nCREATE MATERIALIZED VIEW accounts_list AS SELECT address, balance, balance > 500 AS rich FROM accounts;\n';
  const sessions = twoSessions(table);

  it('a SELECT waits until the rebuild commits, then reads the new view; lint says so at the CREATE', async () => {
    const [rebuilder, reader] = [sessions.first(), sessions.second()];
    await rebuilder.query('BEGIN');
    for (const s of rebuild.trim().split('\n')) await rebuilder.query(s);
    await reader.query("SET lock_timeout = '300ms'");
    const during = await reader.query('SELECT count(*) FROM accounts_list').then(() => 'ran', (e: Error) => e.message);
    await rebuilder.query('COMMIT');
    const after = await reader.query('SELECT count(*) AS n FROM accounts_list WHERE rich');
    expect(during).toBe('canceling statement due to lock timeout');
    expect(after.rows[0].n).toBe('500');
    const files = { 'm/V1__setup.sql': table, 'm/V2__rebuild.sql': `SET lock_timeout = '5s';\nBEGIN;\n${rebuild}COMMIT;\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG217').map((d) => [result.sources.get(d.file!)!.position(d.span!.start).line, d.message])).toEqual([
      [4, 'CREATE MATERIALIZED VIEW runs its query to fill accounts_list while this transaction still holds the ACCESS EXCLUSIVE lock DROP MATERIALIZED VIEW accounts_list (line 3) took, on the materialized view of that name it replaces: every query on accounts_list waits until the query is done and the transaction commits'],
    ]);
  });
});
