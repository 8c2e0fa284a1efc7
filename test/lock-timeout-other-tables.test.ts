import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG219 names the strongest lock a statement waits for, and the weaker locks it takes on other
 * tables that still stop writes: ADD COLUMN ... REFERENCES takes ACCESS EXCLUSIVE on its table and
 * SHARE ROW EXCLUSIVE on the table it references (the twenty-eighth trial's C: kamu's tasks and
 * task_events). Checked on PostgreSQL: pg_locks shows both while the statement's transaction is open.
 */
const setup = 'CREATE TABLE task_events (event_id bigint PRIMARY KEY);\nCREATE TABLE tasks (id int PRIMARY KEY);\n';
const change = 'ALTER TABLE tasks ADD COLUMN last_event_id bigint REFERENCES task_events (event_id)';

describe('MG219 and the other tables a statement locks', () => {
  it('names the referenced table of ADD COLUMN ... REFERENCES beside its own', async () => {
    await loadSqlParser();
    const files = { '1.sql': setup, '2.sql': `${change};\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG219').map((d) => d.message)).toEqual([
      'ALTER TABLE ADD COLUMN waits for an ACCESS EXCLUSIVE lock on tasks with no lock_timeout set before it in its session: while it waits behind a long query, every query on tasks, plain SELECT included, queues behind it; it takes a SHARE ROW EXCLUSIVE lock on task_events (the referenced table of a foreign key it adds) too, and writes to it queue behind it as well',
    ]);
  });
});

for (const engine of sqlEngines()) {
  describe(`the locks of ADD COLUMN ... REFERENCES on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it('are ACCESS EXCLUSIVE on its table and SHARE ROW EXCLUSIVE on the referenced one', async () => {
      await db.run('BEGIN');
      try {
        await db.run('CREATE SCHEMA lt; SET LOCAL search_path = lt;');
        await db.run(setup);
        // Locks taken by the statement alone: what setup took is on tables made in the same transaction, so it is read apart.
        await db.run('COMMIT; BEGIN; SET LOCAL search_path = lt;');
        await db.run(change);
        const locks = rowsOf(await db.run("SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'lt' AND c.relkind = 'r' AND l.pid = pg_backend_pid() ORDER BY 1, 2"));
        expect(locks.map((r) => `${r.relname} ${r.mode}`)).toEqual(expect.arrayContaining(['task_events ShareRowExclusiveLock', 'tasks AccessExclusiveLock']));
      } finally {
        await db.run('ROLLBACK; DROP SCHEMA IF EXISTS lt CASCADE;');
      }
    });
  });
}
