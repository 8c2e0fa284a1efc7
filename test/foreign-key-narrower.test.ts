import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG249: a foreign key column of a narrower integer type than the key it references. What the
 * finding says is checked on PostgreSQL: once the key passes the column's largest value, a row
 * that references it cannot be written ("integer out of range"), and one that fits can.
 */
const schema = 'CREATE TABLE vuln (id bigserial PRIMARY KEY);\nCREATE TABLE vulnerability_alias (vulnerability integer REFERENCES vuln (id), alias integer NOT NULL, PRIMARY KEY (vulnerability, alias));\n';

describe('MG249 foreign-key-narrower', () => {
  it('names both columns, their types and the largest value the column holds', async () => {
    await loadSqlParser();
    const result = await lint({ files: ['1.sql'] }, memoryHost({ '1.sql': schema }));
    expect(result.diagnostics.filter((d) => d.code === 'MG249').map((d) => d.message)).toEqual([
      'vulnerability_alias.vulnerability (integer) references vuln.id (bigint): once vuln.id passes 2,147,483,647, no row can reference the rows after it (integer out of range), and widening vulnerability then rewrites vulnerability_alias',
    ]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG249 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it('refuses a reference to a key past the integer range, and takes one within it', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(schema);
      await db.run('INSERT INTO vuln (id) VALUES (7), (2147483648);');
      await expect(db.run('INSERT INTO vulnerability_alias VALUES (7, 1);')).resolves.toBeDefined();
      await expect(db.run('INSERT INTO vulnerability_alias VALUES (2147483648, 1);')).rejects.toThrow(/integer out of range/);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
