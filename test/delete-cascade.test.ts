import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG214 says a DELETE takes with it, through ON DELETE CASCADE, the rows of the tables that
 * reference the rows it deletes, at any depth, and not those of a key without CASCADE (the
 * fortieth trial's A; test/rename-swap.test.ts has the finding). What PostgreSQL does, shown.
 */
for (const engine of sqlEngines()) {
  describe(`ON DELETE CASCADE on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it('deletes the referencing rows at any depth, and only through CASCADE keys', async () => {
      await db.run(`CREATE TABLE documents (id int PRIMARY KEY, status text);
        CREATE TABLE labels (document_id int REFERENCES documents (id) ON DELETE CASCADE);
        CREATE TABLE pages (id int PRIMARY KEY, document_id int REFERENCES documents (id) ON DELETE CASCADE);
        CREATE TABLE words (page_id int REFERENCES pages (id) ON DELETE CASCADE);
        INSERT INTO documents VALUES (1, 'failed'), (2, 'ok');
        INSERT INTO labels VALUES (1), (2);
        INSERT INTO pages VALUES (10, 1), (20, 2);
        INSERT INTO words VALUES (10), (20);`);
      await db.run("DELETE FROM documents WHERE status = 'failed'");
      expect(rowsOf(await db.run('SELECT (SELECT count(*) FROM labels)::int AS labels, (SELECT count(*) FROM pages)::int AS pages, (SELECT count(*) FROM words)::int AS words'))).toEqual([{ labels: 1, pages: 1, words: 1 }]);
    });
  });
}
