import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';

/**
 * An extension script runs inside CREATE EXTENSION or ALTER EXTENSION UPDATE, one transaction,
 * where PostgreSQL refuses CONCURRENTLY and COMMIT (MG204 proves the first on both engines): a
 * help whose fix leaves the transaction says it cannot be made in the script, and what to do
 * instead. The thirteenth trial judged 150 such findings on TimescaleDB's update scripts
 * debatable: the locks are real, the fixes were not possible there.
 */
const install = 'CREATE TABLE t (id int PRIMARY KEY, a int, b int);\nCREATE TABLE u (id int PRIMARY KEY);\n';
const update = 'CREATE INDEX t_a_idx ON t (a);\nALTER TABLE t ADD CONSTRAINT t_b_fk FOREIGN KEY (b) REFERENCES u (id);\nCOMMENT ON TABLE t IS \'x\';\n';

async function helps(names: readonly [string, string]): Promise<Record<string, string>> {
  await loadSqlParser();
  const files = { [names[0]]: install, [names[1]]: update };
  const result = await lint({ files: [...names] }, memoryHost(files));
  return Object.fromEntries(result.diagnostics.filter((d) => d.file === names[1] && d.code !== 'MG219').map((d) => [d.code, d.help ?? '']));
}

describe('the help of a finding in an extension script', () => {
  it('says the fix cannot be made in the script, and gives it as a step after the update', async () => {
    const found = await helps(['ext--1.0.sql', 'ext--1.0--1.1.sql']);
    expect(Object.keys(found).sort()).toEqual(['MG201', 'MG208', 'MG230']);
    for (const help of Object.values(found)) {
      expect(help.startsWith('An extension script runs inside CREATE EXTENSION or ALTER EXTENSION UPDATE, one transaction, where PostgreSQL refuses CONCURRENTLY and COMMIT: the fix cannot be made in the script. On a table that may be large, leave the change out of the script and have it run after the update, as: ')).toBe(true);
      expect(help.endsWith('For a table the extension keeps small, give its size (--assume-rows): the finding becomes a note.')).toBe(true);
    }
    expect(found.MG201).toContain('DROP INDEX CONCURRENTLY IF EXISTS t_a_idx; CREATE INDEX CONCURRENTLY t_a_idx ON t (a)');
  });

  it('is the rule\'s own in a migration file', async () => {
    const found = await helps(['001_init.sql', '002_change.sql']);
    expect(Object.keys(found).sort()).toEqual(['MG201', 'MG208', 'MG230']);
    for (const help of Object.values(found)) expect(help).not.toContain('extension');
  });
});
