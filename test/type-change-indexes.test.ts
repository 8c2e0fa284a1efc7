import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * What ALTER COLUMN ... TYPE does to the indexes of a table it does not rewrite, checked on
 * PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL) by the files (relfilenodes) of
 * the table and each index before and after. PostgreSQL re-creates every index that involves the
 * column and keeps the file only of one with no expression and no WHERE whose keys keep their
 * operator class and collation (CheckIndexCompatible in indexcmds.c); indexes of other columns
 * are left alone; a rewrite builds every index again. MG212 names exactly the indexes built again.
 */
const baseline = `
CREATE TABLE uploads (id int PRIMARY KEY, ns varchar(64) UNIQUE, dest text, status text, ts timestamp, ip cidr, amt numeric(10,2), bits varbit(8), tx text,
  vc varchar(20), ts3 timestamp(3), tz0 timestamptz(0), tm time(2), iv interval(3), b bit(4), x xml, o int4);
CREATE INDEX uploads_dest_ns ON uploads ((dest || '_' || ns));
CREATE INDEX uploads_ns ON uploads (ns);
CREATE INDEX uploads_ns_paren ON uploads ((ns));
CREATE INDEX uploads_ns_c ON uploads ((ns COLLATE "C"));
CREATE INDEX uploads_ns_pattern ON uploads (ns varchar_pattern_ops);
CREATE INDEX uploads_ns_hash ON uploads USING hash (ns);
CREATE INDEX uploads_ns_where ON uploads (ns) WHERE status = 'x';
CREATE INDEX uploads_status_where_ns ON uploads (status) WHERE ns <> '';
CREATE INDEX uploads_ns_lower_status ON uploads (ns, lower(status));
CREATE INDEX uploads_status_incl_ns ON uploads (status) INCLUDE (ns);
CREATE INDEX uploads_status ON uploads (status);
CREATE INDEX uploads_ts ON uploads (ts);
CREATE INDEX uploads_ip ON uploads (ip);
CREATE INDEX uploads_amt ON uploads (amt);
CREATE INDEX uploads_bits ON uploads (bits);
CREATE INDEX uploads_tx ON uploads (tx);
CREATE INDEX uploads_lower_tx ON uploads (lower(tx));
CREATE INDEX uploads_status_incl_ns_where ON uploads (status) INCLUDE (ns) WHERE status = 'x';
CREATE INDEX uploads_lower_status_incl_ns ON uploads (lower(status)) INCLUDE (ns);
CREATE INDEX uploads_status_incl_ts ON uploads (status) INCLUDE (ts);
CREATE INDEX uploads_status_incl_tx ON uploads (status) INCLUDE (tx);
CREATE INDEX uploads_tx_c ON uploads (tx COLLATE "C");
CREATE INDEX uploads_tx_hash ON uploads USING hash (tx);
CREATE INDEX uploads_vc ON uploads (vc);
CREATE INDEX uploads_ts3 ON uploads (ts3);
CREATE INDEX uploads_tz0 ON uploads (tz0);
CREATE INDEX uploads_tm ON uploads (tm);
CREATE INDEX uploads_iv ON uploads (iv);
CREATE INDEX uploads_b ON uploads (b);
CREATE INDEX uploads_o ON uploads (o);
INSERT INTO uploads SELECT g, 'n' || g, 'd' || g, 's', now(), '10.0.0.0/8', g, B'1', 't' || g, 'v' || g, now(), now(), now(), '1 day', B'1010', '<a/>', g FROM generate_series(1, 100) g;
`;

/**
 * The indexes with an expression or a WHERE that involve ns, in their keys or only in INCLUDE:
 * what any change of its type builds again.
 */
const computedOnNs = ['uploads_dest_ns', 'uploads_lower_status_incl_ns', 'uploads_ns_lower_status', 'uploads_ns_where', 'uploads_status_incl_ns_where', 'uploads_status_where_ns'];
const everything = [
  'uploads', 'uploads_amt', 'uploads_b', 'uploads_bits', 'uploads_dest_ns', 'uploads_ip', 'uploads_iv', 'uploads_lower_status_incl_ns', 'uploads_lower_tx', 'uploads_ns', 'uploads_ns_c',
  'uploads_ns_hash', 'uploads_ns_key', 'uploads_ns_lower_status', 'uploads_ns_paren', 'uploads_ns_pattern', 'uploads_ns_where', 'uploads_o', 'uploads_pkey', 'uploads_status',
  'uploads_status_incl_ns', 'uploads_status_incl_ns_where', 'uploads_status_incl_ts', 'uploads_status_incl_tx', 'uploads_status_where_ns', 'uploads_tm', 'uploads_ts', 'uploads_ts3',
  'uploads_tx', 'uploads_tx_c', 'uploads_tx_hash', 'uploads_tz0', 'uploads_vc',
].sort();

/** A statement (after SET timezone when `utc`), and the relations it gives a new file, as PostgreSQL does (sorted). */
const cases: { statement: string; utc?: true; changed: string[] }[] = [
  // Binary-compatible: the table and its plain indexes keep their files, whatever their access
  // method or operator class; the indexes with an expression or a WHERE on the column do not.
  { statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE varchar(128)', changed: computedOnNs },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE text', changed: computedOnNs },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE varchar(128) USING ns::varchar(128)', changed: computedOnNs },
  // The type it has: the same re-creation.
  { statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE varchar(64)', changed: computedOnNs },
  { statement: 'ALTER TABLE uploads ALTER COLUMN tx TYPE varchar', changed: ['uploads_lower_tx'] },
  // No index with an expression or a WHERE on the column: nothing built again.
  { statement: 'ALTER TABLE uploads ALTER COLUMN ip TYPE inet', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN amt TYPE numeric(12,2)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN amt TYPE numeric', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN bits TYPE varbit(16)', changed: [] },
  // A new collation: every index whose key takes the column's collation (the unique constraint's
  // too), not one that gives it its own COLLATE nor one that only INCLUDEs the column (unless it
  // has an expression or a WHERE, as any change).
  {
    statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE text COLLATE "C"',
    changed: [...computedOnNs, 'uploads_ns', 'uploads_ns_hash', 'uploads_ns_key', 'uploads_ns_paren', 'uploads_ns_pattern'].sort(),
  },
  // timestamp to timestamptz under UTC: no rewrite, but another operator class: every index with
  // the column as a key; not one that only INCLUDEs it (its keys' classes are what is compared).
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts TYPE timestamptz', utc: true, changed: ['uploads_ts'] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamptz(6)', utc: true, changed: ['uploads_ts3'] },
  // Another binary-compatible change to a type with its own operator class: the same, with no
  // time zone to ask, and a key's own COLLATE does not keep its index.
  { statement: 'ALTER TABLE uploads ALTER COLUMN tx TYPE bpchar', changed: ['uploads_lower_tx', 'uploads_tx', 'uploads_tx_c', 'uploads_tx_hash'] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN vc TYPE bpchar', changed: ['uploads_vc'] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN b TYPE varbit', changed: ['uploads_b'] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN o TYPE oid', changed: ['uploads_o'] },
  // A fractional-second precision raised, made 6 or dropped: a relabelling (TemporalSimplify, interval_support).
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamp(6)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamp', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts TYPE timestamp(6)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN tz0 TYPE timestamptz(3)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN tm TYPE time(5)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN iv TYPE interval(6)', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN iv TYPE interval', changed: [] },
  { statement: 'ALTER TABLE uploads ALTER COLUMN x TYPE text', changed: [] },
  // Rewrites: every index of the table, those of other columns too.
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts TYPE timestamptz', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN id TYPE bigint', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ns TYPE varchar(128), ALTER COLUMN id TYPE bigint', changed: everything },
  // char(n) pads (a function call), a precision lowered rounds, bit(4) to varbit(8) is a length
  // check, and timestamp to timestamptz(2) rounds after converting, even under UTC.
  { statement: 'ALTER TABLE uploads ALTER COLUMN tx TYPE char(10)', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamp(1)', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts TYPE timestamp(3)', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN iv TYPE interval(1)', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN b TYPE varbit(8)', changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamptz(2)', utc: true, changed: everything },
  { statement: 'ALTER TABLE uploads ALTER COLUMN ts3 TYPE timestamptz(6)', changed: everything },
];

/** What MG212 says of a statement: the relations it says get a new file (sorted). */
function reported(messages: string[]): string[] {
  const said = new Set<string>();
  for (const m of messages) {
    const rebuilt = /rebuilds its index(?:es)? (.+?) on uploads /.exec(m);
    if (rebuilt) for (const name of rebuilt[1]!.split(', ')) said.add(name);
    else if (/ rewrites uploads .* and its indexes /.test(m)) for (const name of everything) said.add(name);
    else throw new Error(`an MG212 message this test does not read: ${m}`);
  }
  return [...said].sort();
}

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ALTER COLUMN ... TYPE and the table's indexes on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$statement (UTC: $utc)', async ({ statement, utc, changed }) => {
      await db.run('RESET timezone; DROP TABLE IF EXISTS uploads;');
      await db.run(baseline);
      const files = async () => new Map(rowsOf(await db.run("SELECT relname, relfilenode FROM pg_class WHERE relname LIKE 'uploads%' AND relkind IN ('r', 'i')")).map((r) => [r.relname as string, r.relfilenode as number]));
      const before = await files();
      await db.run(`${utc ? "SET timezone = 'UTC'; " : "SET timezone = 'Europe/Berlin'; "}${statement}`);
      const after = await files();
      const seen = [...before].filter(([relation, file]) => after.get(relation) !== file).map(([relation]) => relation).sort();
      expect(seen).toEqual(changed);

      const migration = `SET lock_timeout = '5s';\n${utc ? "SET timezone = 'UTC';\n" : ''}${statement};\n`;
      const sources = { '001_create.sql': baseline, '002_change.sql': migration };
      const result = await lint({ files: Object.keys(sources), config: { postgres: db.major } }, memoryHost(sources));
      expect(reported(result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '002_change.sql').map((d) => d.message))).toEqual(changed);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('the shape of an index follows it', () => {
  /** The indexes MG212 says are built again, and those it says are kept. */
  const mg212 = async (sql: string) => {
    const sources = { '001_create.sql': sql, '002_change.sql': "SET lock_timeout = '5s';\nALTER TABLE app.jobs ALTER COLUMN ns TYPE text;\n" };
    const result = await lint({ files: Object.keys(sources), config: { postgres: 15 } }, memoryHost(sources));
    return result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '002_change.sql').map((d) => [/rebuilds its index(?:es)? (.+?) on /.exec(d.message)?.[1], /its plain index(?:es)? (.+?) (?:is|are) kept/.exec(d.message)?.[1]]);
  };
  const create = 'CREATE SCHEMA app;\nCREATE TABLE app.uploads (id int, ns varchar(64), status text);\n';

  it('through a rename of the index, of its table and a move of the table', async () => {
    expect(await mg212(`${create}CREATE INDEX uploads_lower_ns ON app.uploads (lower(ns));\nCREATE INDEX uploads_ns ON app.uploads (ns);\nALTER INDEX app.uploads_lower_ns RENAME TO jobs_lower_ns;\nALTER INDEX app.uploads_ns RENAME TO jobs_ns;\nALTER TABLE app.uploads RENAME TO jobs;\n`)).toEqual([['app.jobs_lower_ns', 'app.jobs_ns']]);
    expect(await mg212(`${create.replace('app.uploads', 'uploads')}CREATE INDEX uploads_ns_where ON uploads (ns) WHERE status = 'x';\nCREATE INDEX uploads_ns ON uploads ((ns));\nALTER TABLE uploads RENAME TO jobs;\nALTER TABLE jobs SET SCHEMA app;\n`)).toEqual([['app.uploads_ns_where', 'app.uploads_ns']]);
  });

  it('and not to a plain index made again under its name', async () => {
    expect(await mg212(`${create}CREATE INDEX jobs_ns ON app.uploads (lower(ns));\nDROP INDEX app.jobs_ns;\nALTER TABLE app.uploads RENAME TO jobs;\nCREATE INDEX jobs_ns ON app.jobs (ns);\n`)).toEqual([]);
  });
});

describe('what MG212 says of a change that rewrites no table', () => {
  const messages = async (sql: string, change: string) => {
    const sources = { '001_create.sql': sql, '002_change.sql': `SET lock_timeout = '5s';\n${change}\n` };
    const result = await lint({ files: Object.keys(sources), config: { postgres: 15 } }, memoryHost(sources));
    return result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '002_change.sql').map((d) => d.message);
  };

  it('a new operator class without a time zone to ask', async () => {
    expect(await messages('CREATE TABLE jobs (id int, code text);\nCREATE INDEX jobs_code ON jobs (code);\n', 'ALTER TABLE jobs ALTER COLUMN code TYPE bpchar;')).toEqual([
      'changing jobs.code from text to bpchar rewrites no table but rebuilds its index jobs_code on jobs (no size hint: assumed large) under an ACCESS EXCLUSIVE lock: the new type has its own operator class, so PostgreSQL builds every index with the column as a key again',
    ]);
  });

  it('a plain index that only INCLUDEs the column is named as kept', async () => {
    const sql = "CREATE TABLE jobs (id int, ns varchar(64), status text);\nCREATE INDEX jobs_status_ns ON jobs (status) INCLUDE (ns);\nCREATE INDEX jobs_lower_status_ns ON jobs (lower(status)) INCLUDE (ns);\n";
    expect(await messages(sql, 'ALTER TABLE jobs ALTER COLUMN ns TYPE varchar(128);')).toEqual([
      'changing jobs.ns from varchar(64) to varchar(128) rewrites no table but rebuilds its index jobs_lower_status_ns on jobs (no size hint: assumed large) under an ACCESS EXCLUSIVE lock: PostgreSQL builds again every index involving the column that has an expression or a WHERE, and keeps only plain ones (its plain index jobs_status_ns is kept)',
    ]);
    // Through a rename of the column: the INCLUDE follows it.
    expect(await messages(`${sql}ALTER TABLE jobs RENAME COLUMN ns TO namespace;\n`, 'ALTER TABLE jobs ALTER COLUMN namespace TYPE varchar(128);')).toHaveLength(1);
  });
});

/**
 * A change that rewrites no table still adds again every constraint that involves the column, and
 * validates those that were valid: a CHECK always, a foreign key when its comparison of the column
 * goes through a function where it did not (timestamp to timestamptz, to bpchar). That reads every
 * row under the ACCESS EXCLUSIVE lock. Checked by the table's sequential scans (pg_stat_user_tables)
 * and its file: MG212 says it reads every row exactly where PostgreSQL scans a table it does not rewrite.
 */
const constrained = `
CREATE TABLE parent (t timestamp PRIMARY KEY, x text UNIQUE, v varchar(20) UNIQUE);
CREATE TABLE checked (id int PRIMARY KEY, ns varchar(64) CHECK (length(ns) > 0), pair varchar(10), other int, nv varchar(10), plain varchar(10),
  t timestamp REFERENCES parent (t), y varchar(10) REFERENCES parent (x), v varchar(10) REFERENCES parent (v), tnv timestamp, CONSTRAINT pair_ok CHECK (pair <> '' AND other > 0));
ALTER TABLE checked ADD CONSTRAINT nv_ok CHECK (nv <> '') NOT VALID;
ALTER TABLE checked ADD CONSTRAINT tnv_fkey FOREIGN KEY (tnv) REFERENCES parent (t) NOT VALID;
INSERT INTO parent SELECT timestamp '2024-01-01' + g * interval '1 s', 'x' || g, 'v' || g FROM generate_series(1, 100) g;
INSERT INTO checked SELECT g, 'n' || g, 'p', 1, 'n', 'p', t, x, v, t FROM generate_series(1, 100) g JOIN parent ON t = timestamp '2024-01-01' + g * interval '1 s';
`;
const constraintCases: { statement: string; utc?: true; scanned: boolean }[] = [
  { statement: 'ALTER TABLE checked ALTER COLUMN ns TYPE varchar(128)', scanned: true },
  { statement: 'ALTER TABLE checked ALTER COLUMN ns TYPE text COLLATE "C"', scanned: true },
  { statement: 'ALTER TABLE checked ALTER COLUMN pair TYPE varchar(20)', scanned: true },
  { statement: 'ALTER TABLE checked ALTER COLUMN nv TYPE varchar(20)', scanned: false },
  { statement: 'ALTER TABLE checked ALTER COLUMN plain TYPE varchar(20)', scanned: false },
  { statement: 'ALTER TABLE checked ALTER COLUMN t TYPE timestamptz', utc: true, scanned: true },
  { statement: 'ALTER TABLE checked ALTER COLUMN y TYPE bpchar', scanned: true },
  { statement: 'ALTER TABLE checked ALTER COLUMN v TYPE varchar(20)', scanned: false },
  { statement: 'ALTER TABLE checked ALTER COLUMN tnv TYPE timestamptz', utc: true, scanned: false },
  // The recipe: the CHECK dropped and added again NOT VALID in the same statement.
  { statement: 'ALTER TABLE checked DROP CONSTRAINT checked_ns_check, ALTER COLUMN ns TYPE varchar(128), ADD CONSTRAINT checked_ns_check CHECK (length(ns) > 0) NOT VALID', scanned: false },
];

function constraintSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ALTER COLUMN ... TYPE and the table's constraints on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it.each(constraintCases)('$statement (UTC: $utc)', async ({ statement, utc, scanned }) => {
      await db.run('RESET timezone; DROP TABLE IF EXISTS checked, parent;');
      await db.run(constrained);
      const read = async () => {
        await db.run('SELECT pg_stat_force_next_flush()');
        return rowsOf(await db.run("SELECT s.seq_scan::int AS scans, pg_relation_filenode('checked') AS file FROM pg_stat_user_tables s WHERE s.relname = 'checked'"))[0]!;
      };
      const before = await read();
      await db.run(`SET timezone = '${utc ? 'UTC' : 'Europe/Berlin'}'; ${statement}`);
      const after = await read();
      expect(after.file).toBe(before.file);
      expect(after.scans > before.scans).toBe(scanned);

      const migration = `SET lock_timeout = '5s';\n${utc ? "SET timezone = 'UTC';\n" : ''}${statement};\n`;
      const sources = { '001_create.sql': constrained, '002_change.sql': migration };
      const result = await lint({ files: Object.keys(sources), config: { postgres: db.major } }, memoryHost(sources));
      const said = result.diagnostics.filter((d) => d.code === 'MG212' && d.file === '002_change.sql').map((d) => d.message);
      expect(said.some((m) => / reads every row .*to validate /.test(m))).toBe(scanned);
      expect(said.every((m) => / rewrites no table but reads every row of checked /.test(m))).toBe(true);
    });
  });
}

for (const engine of sqlEngines()) constraintSuite(engine.name, engine.open);
