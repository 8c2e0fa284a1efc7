import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG112 takes `key = (SELECT ...)`, of a subquery that refers to no column of the row, for one
 * row at most (the twenty-ninth trial's A: ccd-definition-store's definition updates): the
 * subquery gives one value, or PostgreSQL refuses the statement where it finds more than one row.
 * A correlated subquery gives a value per row, and may pick a row of each group. Shown on PGlite
 * and the server of MIGC_TEST_DATABASE_URL: the rows each UPDATE changes, against what lint says.
 */
const setup = 'CREATE TABLE fields (id int PRIMARY KEY, reference text, type_id int, position int);\nINSERT INTO fields SELECT g, \'r\' || g, g % 3, 0 FROM generate_series(1, 300) g;\n';

async function mg112(update: string): Promise<boolean> {
  const files = { '1.sql': setup, '2.sql': `SET lock_timeout = '5s';\n${update}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.some((d) => d.code === 'MG112' && d.severity === 'warning');
}

for (const engine of sqlEngines()) {
  describe(`a key equal to a scalar subquery, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
      await db.run(setup);
    });
    afterAll(() => db?.close());

    const changed = async (update: string) => {
      await db.run('BEGIN');
      try {
        return rowsOf(await db.run(`${update} RETURNING id`)).length;
      } finally {
        await db.run('ROLLBACK');
      }
    };

    it('uncorrelated: one row, or an error where the subquery finds several; no MG112', async () => {
      const one = "UPDATE fields SET position = 1 WHERE id = (SELECT id FROM fields WHERE reference = 'r3' AND type_id = 0)";
      expect(await changed(one)).toBe(1);
      expect(await mg112(`${one};`)).toBe(false);
      await expect(changed("UPDATE fields SET position = 1 WHERE id = (SELECT id FROM fields WHERE type_id = 0)")).rejects.toThrow(/more than one row returned by a subquery/);
    });

    it('correlated: a row of each group, MG112 warns', async () => {
      const many = 'UPDATE fields f SET position = 1 WHERE id = (SELECT max(i.id) FROM fields i WHERE i.type_id = f.type_id)';
      expect(await changed(many)).toBe(3);
      expect(await mg112(`${many};`)).toBe(true);
    });
  });
}
