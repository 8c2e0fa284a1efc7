import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { foreignTypes } from '../src/analyze/sql-rules/unknown-type.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG234 on another database's type (BLOB, DATETIME, TINYINT...: the eighteenth trial's
 * taproot-assets, written for SQLite): checked on PostgreSQL (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL): each name MG234 calls foreign is refused (`type "blob" does not
 * exist`), the type it suggests instead is accepted, and names PostgreSQL's grammar reads as its
 * own (NCHAR, FLOAT, REAL) are neither refused nor reported.
 */
for (const { name, open } of sqlEngines()) {
  describe(`another database's types on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it.each([...foreignTypes].map(([type, { pg }]) => ({ type, pg })))('$type is refused, and MG234 says so; $pg runs', async ({ type, pg }) => {
      const statement = `CREATE TABLE t_${type} (id int, v ${type.toUpperCase()});`;
      await expect(db.run(statement)).rejects.toThrow(`type "${type}" does not exist`);
      await db.run(`CREATE TABLE t_${type} (id int, v ${pg.replace(/ \(or .*\)$/, '')}); DROP TABLE t_${type};`);
      const result = await lint({ files: ['1.sql'] }, memoryHost({ '1.sql': `${statement}\n` }));
      const found = result.diagnostics.filter((d) => d.code === 'MG234');
      expect(found.map((d) => `${d.severity} ${d.message.replace(/ is .*, not/, ' is ..., not')}`)).toEqual([`warning type ${type} is ..., not PostgreSQL's: PostgreSQL's is ${pg}`]);
    });

    it('names PostgreSQL reads as its own are no finding', async () => {
      const statement = 'CREATE TABLE own (a NCHAR(3), b FLOAT, c REAL, d BIT(2), e NATIONAL CHARACTER VARYING(9), f DOUBLE PRECISION);';
      await db.run(`${statement} DROP TABLE own;`);
      const result = await lint({ files: ['1.sql'] }, memoryHost({ '1.sql': `${statement}\n` }));
      expect(result.diagnostics.filter((d) => d.code === 'MG234')).toEqual([]);
    });
  });
}
