import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { castFacts, castTableSource } from '../scripts/gen-builtin-casts.mjs';
import { root } from './helpers.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * ALTER COLUMN ... TYPE as PostgreSQL decides it, checked on PostgreSQL (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL):
 * - MG212 reports exactly the changes after which the table has a new file (relfilenode), with
 *   USING the column, or the column cast to the new type, read as no USING;
 * - MG241 reports exactly the changes PostgreSQL refuses for want of an assignment cast, on empty
 *   tables, and MG212 none of them;
 * - MG234 reports exactly the serial shorthands PostgreSQL refuses, and its help for
 *   ALTER COLUMN ... TYPE bigserial runs.
 */

/** Each file's findings of a code, as file:line. */
async function lintedLines(files: Record<string, string>, code: string, options: { postgres?: number } = {}): Promise<string[]> {
  const result = await lint({ files: Object.keys(files), ...(options.postgres ? { config: { postgres: options.postgres } } : {}) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === code).map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}`);
}

/** Rewrite cases: a column's type, and the change; each on a table of its own with a row. */
const rewrites: { column: string; change: string }[] = [
  { column: 'varchar(10)', change: 'TYPE varchar(20)' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING v' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING v::varchar(20)' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING CAST(v AS character varying(20))' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING t0.v' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING v::text' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING v::varchar(5)' },
  { column: 'varchar(10)', change: 'TYPE varchar(20) USING trim(v)' },
  { column: 'varchar(10)', change: 'TYPE text USING v' },
  { column: 'varchar(10)', change: 'TYPE text USING v::text' },
  { column: 'varchar(10)', change: 'TYPE varchar(5) USING v' },
  { column: 'text', change: 'TYPE varchar USING v::varchar' },
  { column: 'numeric(10,2)', change: 'TYPE numeric(12,2) USING v::numeric(12,2)' },
  { column: 'numeric(10,2)', change: 'TYPE numeric(12,3) USING v' },
  { column: 'cidr', change: 'TYPE inet USING v' },
  { column: 'varbit(5)', change: 'TYPE varbit(9) USING v::varbit(9)' },
  { column: 'int', change: 'TYPE bigint USING v' },
  { column: 'int', change: 'TYPE bigint USING v::bigint' },
  { column: 'int', change: 'TYPE int4 USING v::integer' },
  { column: 'timestamp', change: 'TYPE timestamptz' },
  { column: 'timestamp', change: 'TYPE timestamptz USING v' },
  { column: 'timestamp', change: 'TYPE timestamptz USING v::timestamp with time zone' },
  { column: 'timestamp', change: "TYPE timestamptz USING v AT TIME ZONE 'UTC'" },
  { column: 'timestamptz', change: 'TYPE timestamp USING v::timestamp' },
  { column: 'timestamp[]', change: 'TYPE timestamptz[]' },
  { column: 'varchar(10)[]', change: 'TYPE varchar(20)[]' },
  { column: 'varchar(10)[]', change: 'TYPE varchar(20)[] USING v' },
  { column: 'varchar[]', change: 'TYPE text[]' },
  { column: 'int[]', change: 'TYPE int[] USING v::int[]' },
  { column: 'text', change: 'TYPE text COLLATE "C" USING v' },
];

/** Types whose every pair is changed on an empty table, without USING and with USING the column alone. */
const castTypes = [
  'smallint', 'integer', 'bigint', 'numeric(10,2)', 'double precision', 'money', 'boolean', 'text', 'varchar(20)',
  'char(5)', '"char"', 'bytea', 'date', 'timestamp', 'timestamptz', 'interval', 'uuid', 'json', 'jsonb', 'xml', 'inet',
  'cidr', 'bit(8)', 'point', 'int4range', 'oid', 'integer[]', 'bigint[]', 'text[]', 'date[]',
];
const castPairs = castTypes.flatMap((from) => castTypes.filter((to) => to !== from).map((to) => ({ from, to })));

/** Serial shorthands, refused or not: each statement on its own, after `serialBase`. */
const serialBase = 'CREATE TABLE s (id varchar(255) NOT NULL, n int NOT NULL, m bigint NOT NULL);\nCREATE TYPE pair AS (a int);\nCREATE FOREIGN DATA WRAPPER w;\nCREATE SERVER srv FOREIGN DATA WRAPPER w;\n';
const serialStatements = [
  'ALTER TABLE s ALTER COLUMN id TYPE BIGSERIAL;',
  'ALTER TABLE s ALTER COLUMN n TYPE serial;',
  'ALTER TABLE s ALTER COLUMN n TYPE serial4;',
  'ALTER TABLE s ALTER COLUMN m TYPE pg_catalog.serial8;',
  'ALTER TABLE s ALTER COLUMN n TYPE smallserial;',
  'ALTER TABLE s ADD COLUMN a serial;',
  'ALTER TABLE s ADD COLUMN b bigserial, ADD COLUMN c serial2;',
  'ALTER TABLE s ADD COLUMN d pg_catalog.bigserial;',
  'ALTER TABLE s ADD COLUMN e serial[];',
  'CREATE TABLE t1 (a serial, b bigserial, c smallserial, d serial8);',
  'CREATE TABLE t2 (a "serial");',
  'CREATE FOREIGN TABLE f1 (a serial) SERVER srv;',
  'ALTER FOREIGN TABLE f1 ADD COLUMN b bigserial;',
  'SELECT 1::serial;',
  'SELECT CAST(1 AS bigserial);',
  'CREATE DOMAIN d1 AS serial;',
  'CREATE TYPE c1 AS (a serial);',
  'CREATE FUNCTION f1(x serial) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
  'CREATE FUNCTION f2(x int) RETURNS bigserial LANGUAGE sql AS $$ SELECT 1 $$;',
  'ALTER TYPE pair ADD ATTRIBUTE b serial;',
  'ALTER TYPE pair ALTER ATTRIBUTE a TYPE serial;',
  'CREATE SEQUENCE q1 AS serial;',
  'CREATE TABLE t3 AS SELECT 1::serial4 AS x;',
];

describe('the table of built-in casts (src/analyze/sql/builtin-casts.ts)', () => {
  it('is PGlite\'s pg_cast and pg_type (run node scripts/gen-builtin-casts.mjs after a PGlite upgrade)', async () => {
    const db = await PGlite.create();
    try {
      expect(readFileSync(`${root}src/analyze/sql/builtin-casts.ts`, 'utf8')).toBe(castTableSource(await castFacts((sql) => db.query(sql))));
    } finally {
      await db.close();
    }
  });

  it.runIf(process.env.MIGC_TEST_DATABASE_URL)('says what the server\'s catalog says, for the types both have', async () => {
    const [engine] = sqlEngines().slice(1);
    const server = await engine!.open();
    try {
      const db = await PGlite.create();
      const ours = await castFacts((sql) => db.query(sql));
      await db.close();
      const theirs = await castFacts(async (sql) => ({ rows: rowsOf(await server.run(sql)) }));
      const both = new Set(theirs.types.filter((t) => ours.types.includes(t)));
      expect(theirs.stringTypes).toEqual(ours.stringTypes);
      const key = (c: { source: string; target: string; context: string }) => `${c.source} ${c.target} ${c.context}`;
      const mine = ours.casts.filter((c) => both.has(c.source) && both.has(c.target)).map(key);
      const server_ = theirs.casts.filter((c) => both.has(c.source) && both.has(c.target)).map(key);
      // Every cast of the server is ours, in the same context; ours that it lacks are explicit
      // casts to a type that is not a string type: without them, too, no assignment cast (the
      // verdict of MG241 is the same). PostgreSQL 18 added bytea to and from the integers.
      expect(server_.filter((c) => !mine.includes(c))).toEqual([]);
      const extra = mine.filter((c) => !server_.includes(c));
      expect(extra.filter((c) => !c.endsWith(' e') || ours.stringTypes.includes(c.split(' ')[1]!))).toEqual([]);
      if (theirs.major < 18) expect(extra.length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ALTER COLUMN ... TYPE on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG212 reports the changes that give the table a new file, in a UTC session, USING the column read as none', async () => {
      const created = rewrites.map((c, i) => `CREATE TABLE t${i} (id int, v ${c.column});\nINSERT INTO t${i} (id) VALUES (1);\n`).join('');
      const changes = `SET lock_timeout = '5s';\nSET timezone = 'UTC';\n${rewrites.map((c, i) => `ALTER TABLE t${i} ALTER COLUMN v ${c.change.replace('t0.v', `t${i}.v`)};\n`).join('')}`;
      const reported = await lintedLines({ '001_create.sql': created, '002_change.sql': changes }, 'MG212');
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      await db.run("SET timezone = 'UTC'");
      const rewritten: string[] = [];
      for (const [i, c] of rewrites.entries()) {
        const file = async () => rowsOf(await db.run(`SELECT relfilenode FROM pg_class WHERE relname = 't${i}'`))[0]!.relfilenode;
        const before = await file();
        await db.run(`ALTER TABLE t${i} ALTER COLUMN v ${c.change.replace('t0.v', `t${i}.v`)}`);
        if ((await file()) !== before) rewritten.push(`002_change.sql:${i + 3}`);
      }
      expect(reported).toEqual(rewritten);
      // What the cases show, as the docs say it: USING the column, or it cast to the new type, keeps the file.
      expect(rewritten.map((l) => rewrites[Number(l.split(':')[1]) - 3]!.change)).toEqual([
        'TYPE varchar(20) USING v::text', 'TYPE varchar(20) USING v::varchar(5)', 'TYPE varchar(20) USING trim(v)', 'TYPE varchar(5) USING v',
        'TYPE numeric(12,3) USING v', 'TYPE bigint USING v', 'TYPE bigint USING v::bigint', "TYPE timestamptz USING v AT TIME ZONE 'UTC'",
        'TYPE timestamptz[]', 'TYPE varchar(20)[]', 'TYPE varchar(20)[] USING v', 'TYPE text[]',
      ]);
    });

    it.each([{ using: false }, { using: true }])('MG241 reports exactly the changes refused for want of an assignment cast (USING the column: $using), MG212 none of them', async ({ using }) => {
      const created = castPairs.map((p, i) => `CREATE TABLE c${i} (v ${p.from});\n`).join('');
      const changes = `SET lock_timeout = '5s';\n${castPairs.map((p, i) => `ALTER TABLE c${i} ALTER COLUMN v TYPE ${p.to}${using ? ' USING v' : ''};\n`).join('')}`;
      const files = { '001_create.sql': created, '002_change.sql': changes };
      const reported = await lintedLines(files, 'MG241');
      const rewrites_ = await lintedLines(files, 'MG212');
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      const refused: string[] = [];
      for (const [i, p] of castPairs.entries()) {
        try {
          await db.run(`ALTER TABLE c${i} ALTER COLUMN v TYPE ${p.to}${using ? ' USING v' : ''}`);
        } catch (e) {
          expect((e as Error).message, `${p.from} to ${p.to}`).toMatch(/cannot be cast automatically/);
          refused.push(`002_change.sql:${i + 2}`);
        }
      }
      expect(reported).toEqual(refused);
      expect(refused.length).toBeGreaterThan(400);
      expect(rewrites_.filter((l) => refused.includes(l))).toEqual([]);
    });

    it('MG241\'s help converts: the cast it writes works where there is one', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const created = "CREATE TABLE shards (shard_id varchar(255) NOT NULL PRIMARY KEY, doc text, at date);\nINSERT INTO shards VALUES ('42', '{\"a\": 1}', '2025-01-01');\n";
      const change = 'ALTER TABLE shards ALTER COLUMN shard_id TYPE bigint, ALTER COLUMN doc TYPE jsonb, ALTER COLUMN at TYPE integer;\n';
      const result = await lint({ files: ['1.sql', '2.sql'] }, memoryHost({ '1.sql': created, '2.sql': change }));
      const helps = result.diagnostics.filter((d) => d.code === 'MG241').map((d) => d.help ?? '');
      expect(helps).toHaveLength(3);
      await db.run(created);
      const written = helps.slice(0, 2).map((h) => /ALTER TABLE .*?;/.exec(h)![0]);
      expect(written).toEqual(['ALTER TABLE shards ALTER COLUMN shard_id TYPE bigint USING shard_id::bigint;', 'ALTER TABLE shards ALTER COLUMN doc TYPE jsonb USING doc::jsonb;']);
      for (const sql of written) await db.run(sql);
      // date to integer: no cast at all, so the help asks for an expression.
      expect(helps[2]).toMatch(/no cast from date to integer at all/);
      await expect(db.run('ALTER TABLE shards ALTER COLUMN at TYPE integer USING at::integer')).rejects.toThrow(/cannot cast type date to integer/);
    });

    it('MG234 reports exactly the serial shorthands PostgreSQL refuses', async () => {
      const files = { '001_base.sql': serialBase, '002_serials.sql': serialStatements.join('\n') + '\n' };
      const reported = await lintedLines(files, 'MG234');
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SERVER IF EXISTS srv CASCADE; DROP FOREIGN DATA WRAPPER IF EXISTS w CASCADE;');
      await db.run(serialBase);
      const refused: string[] = [];
      for (const [i, sql] of serialStatements.entries()) {
        try {
          await db.run(sql);
        } catch (e) {
          expect((e as Error).message, sql).toMatch(/type "?[a-z_.]*serial[248]?(\[\])?"? does not exist|array of serial is not implemented|sequence cannot be owned by relation/);
          refused.push(`002_serials.sql:${i + 1}`);
        }
      }
      expect(reported).toEqual(refused);
      expect(refused).toHaveLength(17);
      await db.run('DROP SERVER srv CASCADE; DROP FOREIGN DATA WRAPPER w CASCADE;');
    });

    it('MG234\'s help for ALTER COLUMN ... TYPE bigserial runs: a bigint with an identity, or with a sequence of its own', async () => {
      const created = "CREATE TABLE shards (shard_id varchar(255) NOT NULL PRIMARY KEY);\nCREATE TABLE pages (id bigint NOT NULL);\n";
      const change = 'ALTER TABLE shards ALTER COLUMN shard_id TYPE BIGSERIAL;\nALTER TABLE pages ALTER COLUMN id TYPE bigserial;\n';
      const result = await lint({ files: ['1.sql', '2.sql'] }, memoryHost({ '1.sql': created, '2.sql': change }));
      const found = result.diagnostics.filter((d) => d.code === 'MG234');
      expect(found.map((d) => d.message)).toEqual([
        'changing shards.shard_id to bigserial fails (type "bigserial" does not exist): bigserial is no type, only a shorthand PostgreSQL reads in a column of CREATE TABLE or ADD COLUMN (a bigint column with a sequence\'s default)',
        'changing pages.id to bigserial fails (type "bigserial" does not exist): bigserial is no type, only a shorthand PostgreSQL reads in a column of CREATE TABLE or ADD COLUMN (a bigint column with a sequence\'s default)',
      ]);
      expect(result.diagnostics.filter((d) => d.code === 'MG212' || d.code === 'MG241')).toEqual([]);
      const [shards, pages] = found.map((d) => d.help ?? '');
      expect(shards).toContain('(ALTER TABLE shards ALTER COLUMN shard_id TYPE bigint USING shard_id::bigint;)');
      expect(shards).toContain('ALTER TABLE shards ALTER COLUMN shard_id ADD GENERATED BY DEFAULT AS IDENTITY;');
      expect(pages).toMatch(/^It is bigint already; give it a sequence: .* CREATE SEQUENCE pages_id_seq OWNED BY pages.id; and SET DEFAULT nextval\('pages_id_seq'\)/);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      await db.run("INSERT INTO shards VALUES ('7'); INSERT INTO pages VALUES (9);");
      await db.run('ALTER TABLE shards ALTER COLUMN shard_id TYPE bigint USING shard_id::bigint; ALTER TABLE shards ALTER COLUMN shard_id ADD GENERATED BY DEFAULT AS IDENTITY;');
      await db.run("CREATE SEQUENCE pages_id_seq OWNED BY pages.id; ALTER TABLE pages ALTER COLUMN id SET DEFAULT nextval('pages_id_seq');");
      for (const t of [['shards', 'shard_id'], ['pages', 'id']] as const) {
        await db.run(`SELECT setval(pg_get_serial_sequence('${t[0]}', '${t[1]}'), (SELECT max(${t[1]}) + 1 FROM ${t[0]}), false)`);
        await db.run(`INSERT INTO ${t[0]} DEFAULT VALUES`);
      }
      expect(rowsOf(await db.run('SELECT (SELECT max(shard_id)::text FROM shards) AS s, (SELECT max(id)::text FROM pages) AS p'))[0]).toEqual({ s: '8', p: '10' });
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
