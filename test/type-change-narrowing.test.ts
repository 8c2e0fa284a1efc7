import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A column's type narrowed (MG212): what migc says a value that does not fit does, checked on
 * PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): the change fails with the error
 * MG212 names, or its USING cast cuts the value, exactly where MG212 says so; a value that fits
 * changes; and the help's count finds the one that does not, and not the one that fits.
 */
interface Case {
  readonly from: string;
  readonly to: string;
  /** A value of `from` that does not fit `to` (for a widening, the largest there is: it fits). */
  readonly misfit: string;
  /** A value that fits. */
  readonly fit: string;
  /** What MG212 says: fails (with PostgreSQL's error), cuts, or nothing of the kind. */
  readonly says: 'fails' | 'cuts' | 'nothing';
}

const cases: Case[] = [
  { from: 'integer', to: 'smallint', misfit: '40000', fit: '-32768', says: 'fails' },
  { from: 'bigint', to: 'integer', misfit: '3000000000', fit: '2147483647', says: 'fails' },
  { from: 'bigint', to: 'int2', misfit: '-40000', fit: '7', says: 'fails' },
  { from: 'serial', to: 'smallint', misfit: '40000', fit: '7', says: 'fails' },
  { from: 'numeric', to: 'integer', misfit: '2147483647.6', fit: '2147483647.4', says: 'fails' },
  { from: 'double precision', to: 'bigint', misfit: '1e19', fit: '-1e18', says: 'fails' },
  { from: 'real', to: 'smallint', misfit: '32767.5', fit: '-32768.4', says: 'fails' },
  { from: 'double precision', to: 'real', misfit: '1e39', fit: '3e38', says: 'fails' },
  { from: 'numeric(10,2)', to: 'numeric(5,2)', misfit: '1000', fit: '999.99', says: 'fails' },
  { from: 'numeric(4,2)', to: 'numeric(3,1)', misfit: '99.99', fit: '99.94', says: 'fails' },
  { from: 'numeric', to: 'numeric(4)', misfit: '9999.5', fit: '9999.4', says: 'fails' },
  { from: 'bigint', to: 'numeric(12,2)', misfit: '10000000000', fit: '9999999999', says: 'fails' },
  { from: 'double precision', to: 'numeric(6,3)', misfit: '999.9996', fit: '999.9994', says: 'fails' },
  { from: 'varchar(10)', to: 'varchar(5)', misfit: "'abcdef'", fit: "'abcde'", says: 'fails' },
  { from: 'text', to: 'varchar(3)', misfit: "'abcd'", fit: "'abc'", says: 'fails' },
  { from: 'varchar', to: 'char(2)', misfit: "'abc'", fit: "'ab'", says: 'fails' },
  { from: 'char(10)', to: 'char(4)', misfit: "'abcde'", fit: "'abcd      '", says: 'fails' },
  { from: 'varchar(10)', to: 'varchar(5) USING v::varchar(5)', misfit: "'abcdef'", fit: "'abcde'", says: 'cuts' },
  { from: 'text', to: 'char(2) USING CAST(v AS char(2))', misfit: "'abc'", fit: "'ab'", says: 'cuts' },
  // Widenings, and a lower scale with room for the carry: the largest value fits.
  { from: 'smallint', to: 'integer', misfit: '32767', fit: '-32768', says: 'nothing' },
  { from: 'integer', to: 'numeric(12,2)', misfit: '2147483647', fit: '-2147483648', says: 'nothing' },
  { from: 'numeric(5,2)', to: 'numeric(6,2)', misfit: '999.99', fit: '0', says: 'nothing' },
  { from: 'numeric(5,2)', to: 'numeric(5,1)', misfit: '999.99', fit: '0', says: 'nothing' },
  { from: 'real', to: 'double precision', misfit: '3.4e38', fit: '0', says: 'nothing' },
  { from: 'varchar(5)', to: 'varchar(10)', misfit: "'abcde'", fit: "''", says: 'nothing' },
  { from: 'varchar(5)', to: 'char(5)', misfit: "'abcde'", fit: "''", says: 'nothing' },
  // An expression in USING converts as it says: not judged.
  { from: 'varchar(10)', to: 'varchar(5) USING left(v, 5)', misfit: "'abcdef'", fit: "'abcde'", says: 'nothing' },
];

async function findings(c: Case): Promise<{ message: string; help: string }> {
  const files = { '1.sql': `CREATE TABLE t (id int, v ${c.from});\n`, '2.sql': `ALTER TABLE t ALTER COLUMN v TYPE ${c.to};\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const found = result.diagnostics.filter((d) => d.code === 'MG212');
  // A widening may be catalog-only: no finding at all.
  if (c.says === 'nothing') expect(found.length, `${c.from} to ${c.to}`).toBeLessThanOrEqual(1);
  else expect(found, `${c.from} to ${c.to}`).toHaveLength(1);
  return { message: found[0]?.message ?? '', help: found[0]?.help ?? '' };
}

/** The help's count, when it gives one. */
function countQuery(help: string): string | undefined {
  return /SELECT count\(\*\) FROM t WHERE .*?;/.exec(help)?.[0];
}

for (const { name, open } of sqlEngines()) {
  describe(`a narrowed column type on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it.each(cases)('$from to $to: MG212 says it $says, as PostgreSQL does', async (c) => {
      const { message, help } = await findings(c);
      const query = countQuery(help);
      await db.run('DROP TABLE IF EXISTS t');
      await db.run(`CREATE TABLE t (id int, v ${c.from})`);
      await db.run(`INSERT INTO t VALUES (1, ${c.misfit})`);
      const count = async () => Number(rowsOf(await db.run(query!))[0]!.count);
      if (c.says === 'nothing') {
        expect(message).not.toMatch(/does not fit|cuts/);
        expect(query).toBeUndefined();
        // The largest value there is goes through.
        await db.run(`ALTER TABLE t ALTER COLUMN v TYPE ${c.to}`);
        return;
      }
      expect(query, help).toBeDefined();
      expect(await count()).toBe(1);
      if (c.says === 'fails') {
        const error = /fails the statement, and the migration stops there \((.*)\)$/.exec(message)?.[1];
        expect(error, message).toBeDefined();
        await expect(db.run(`ALTER TABLE t ALTER COLUMN v TYPE ${c.to}`)).rejects.toThrow(error);
      } else {
        expect(message).toMatch(/its USING cast cuts every longer value to \d+ characters, silently$/);
        await db.run(`ALTER TABLE t ALTER COLUMN v TYPE ${c.to}`);
        expect(rowsOf(await db.run('SELECT v FROM t'))[0]!.v.trim()).toBe(c.misfit.slice(1, -1).slice(0, Number(/to (\d+) characters/.exec(message)![1])));
      }
      // The value that fits: not counted, and changed.
      await db.run('DROP TABLE t');
      await db.run(`CREATE TABLE t (id int, v ${c.from})`);
      await db.run(`INSERT INTO t VALUES (1, ${c.fit})`);
      expect(await count()).toBe(0);
      await db.run(`ALTER TABLE t ALTER COLUMN v TYPE ${c.to}`);
    });

    it('names each narrowed column of one statement, and counts their values in one query', async () => {
      const files = {
        '1.sql': 'CREATE TABLE t (id int, a int, b varchar(9), c bigint);\n',
        '2.sql': 'ALTER TABLE t ALTER COLUMN a TYPE smallint, ALTER COLUMN b TYPE varchar(4) USING b::varchar(4), ALTER COLUMN c TYPE numeric(30,2);\n',
      };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const [found] = result.diagnostics.filter((d) => d.code === 'MG212');
      expect(found!.message).toMatch(/; a row whose value does not fit the new type fails the statement, and the migration stops there \(t\.a: smallint out of range\); and the USING cast of t\.b cuts every longer value to 4 characters, silently$/);
      const query = countQuery(found!.help!)!;
      expect(query).toBe('SELECT count(*) FROM t WHERE a NOT BETWEEN -32768 AND 32767 OR length(b) > 4;');
      await db.run('DROP TABLE IF EXISTS t');
      await db.run(files['1.sql']);
      await db.run("INSERT INTO t VALUES (1, 1, 'abcde', 1), (2, 70000, 'a', 1), (3, 1, 'a', 1)");
      expect(Number(rowsOf(await db.run(query))[0]!.count)).toBe(2);
      await db.run('DROP TABLE t');
    });
  });
}
