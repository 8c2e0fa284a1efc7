import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * MG112 leaves out a change a key bounds to a few rows: every column of a unique key pinned to
 * constants, or all but one, and that one in a short integer range (the nineteenth trial's E:
 * WebAPI's permission seeding, `role_id = 2 AND permission_id BETWEEN 34 AND 44` under
 * UNIQUE (role_id, permission_id), 24 of its 59 MG112).
 */
const schema = 'CREATE TABLE perms (id int PRIMARY KEY, role_id int NOT NULL, permission_id int NOT NULL, note text, UNIQUE (role_id, permission_id));\n'
  + 'CREATE TABLE grants (role_id int NOT NULL, scope int NOT NULL, target int NOT NULL, PRIMARY KEY (role_id, scope, target));\n';

async function mg112(statement: string): Promise<number> {
  const files = { '1_schema.sql': schema, '2_change.sql': `SET lock_timeout = '5s';\n${statement}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG112').length;
}

describe('MG112 and the keys of several columns', () => {
  it('leaves out a change every column of a unique key pins, or all but one and a short range on that one', async () => {
    expect(await mg112('DELETE FROM perms WHERE role_id = 2 AND permission_id BETWEEN 34 AND 44;')).toBe(0);
    expect(await mg112('DELETE FROM perms WHERE permission_id = 7 AND role_id IN (1, 2);')).toBe(0);
    expect(await mg112("UPDATE grants SET target = 9 WHERE role_id = 1 AND scope = 2 AND target = 3;")).toBe(0);
    expect(await mg112('DELETE FROM grants WHERE role_id = 1 AND target = 3 AND scope BETWEEN 0 AND 9;')).toBe(0);
    expect(await mg112('UPDATE perms SET note = NULL WHERE id BETWEEN 1 AND 100;')).toBe(0);
  });

  it('still reports a change a key does not bound', async () => {
    // A part of the key alone, a range too long, two columns of the key left open, a range on a column of no key.
    expect(await mg112('DELETE FROM perms WHERE role_id = 2;')).toBe(1);
    expect(await mg112('DELETE FROM perms WHERE role_id = 2 AND permission_id BETWEEN 1 AND 100000;')).toBe(1);
    expect(await mg112('DELETE FROM grants WHERE role_id = 1 AND scope BETWEEN 0 AND 9;')).toBe(1);
    expect(await mg112("UPDATE perms SET note = 'x' WHERE role_id = 1 OR permission_id BETWEEN 1 AND 5;")).toBe(1);
    expect(await mg112('DELETE FROM perms WHERE role_id = 2 AND note BETWEEN 1 AND 5;')).toBe(1);
  });
});

describe('MG112 on an UPDATE or DELETE in a WITH clause', () => {
  // The twentieth trial's lakekeeper: the task queue updated in a data-modifying CTE of an UPDATE of the task log.
  const tables = 'CREATE TABLE task (id int PRIMARY KEY, project_id text, warehouse_id int);\nCREATE TABLE task_log (id int PRIMARY KEY, project_id text, warehouse_id int);\n';
  const found = async (statement: string) => {
    const files = { '1.sql': tables, '2.sql': `SET lock_timeout = '5s';\n${statement}\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG112').map((d) => d.message);
  };

  it('judges each as the statement is judged, naming its WITH clause', async () => {
    expect(await found("WITH info AS (SELECT 1 AS warehouse_id, 'p' AS project_id), moved AS (UPDATE task SET project_id = i.project_id FROM info i WHERE task.warehouse_id = i.warehouse_id RETURNING 1) UPDATE task_log SET project_id = i.project_id FROM info i WHERE task_log.warehouse_id = i.warehouse_id;")).toEqual([
      'UPDATE in the WITH clause (moved) over task (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
      'UPDATE over task_log (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
    ]);
    expect(await found('WITH gone AS (DELETE FROM task RETURNING *) INSERT INTO task_log SELECT * FROM gone;')).toEqual([
      'DELETE in the WITH clause (gone) over task (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits',
    ]);
  });

  it('leaves out one a key bounds, as for the statement', async () => {
    expect(await found('WITH gone AS (DELETE FROM task WHERE id = 3 RETURNING *) SELECT count(*) FROM gone;')).toEqual([]);
  });
});
