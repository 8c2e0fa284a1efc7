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
