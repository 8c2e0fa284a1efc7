import { beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';

/**
 * The lock messages name the statement that took a lock so that a reader finds it at once: its
 * command with the relation it names, its line, a related location there, and why it locked a
 * relation that is not its own. They name a relation by its kind where the statement or the
 * schema state says it (a sequence, a view, a materialized view). What PostgreSQL locks is proven
 * in test/locks.test.ts and test/held-locks.test.ts; these are the words.
 */
async function findings(setup: string, change: string, code: string) {
  await loadSqlParser();
  const files = { 'm/V1__setup.sql': `SET lock_timeout = '5s';\n${setup}\n`, 'm/V2__change.sql': `SET lock_timeout = '5s';\nBEGIN;\n${change}\nCOMMIT;\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === code && d.file === 'm/V2__change.sql').map((d) => ({
    message: d.message,
    related: (d.related ?? []).map((r) => `${result.sources.get(r.file)!.position(r.span!.start).line}: ${r.message}`),
  }));
}

describe('the statement that took a lock, as MG217 names it', () => {
  it('DROP INDEX locks the index\'s table: it says so', async () => {
    expect(await findings('CREATE TABLE t (a int, b int);\nCREATE INDEX t_a_idx ON t (a);', 'DROP INDEX t_a_idx;\nCREATE INDEX t_b_idx ON t (b);', 'MG217')).toEqual([{
      message: 'CREATE INDEX does an index build of t while this transaction still holds the ACCESS EXCLUSIVE lock DROP INDEX t_a_idx (line 3) took on it as the table of the index t_a_idx: nothing can read or write t until it commits',
      related: ['3: DROP INDEX took ACCESS EXCLUSIVE on t here'],
    }]);
  });

  it('ALTER TABLE of a partitioned table locks its partitions: it says which table\'s partition', async () => {
    const setup = 'CREATE TABLE pt (a int) PARTITION BY RANGE (a);\nCREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10);';
    expect(await findings(setup, 'ALTER TABLE pt ADD COLUMN b int;\nCREATE INDEX pt1_a_idx ON pt1 (a);', 'MG217')).toEqual([{
      message: 'CREATE INDEX does an index build of pt1 while this transaction still holds the ACCESS EXCLUSIVE lock ALTER TABLE pt ADD COLUMN (line 3) took on it as a partition of pt: nothing can read or write pt1 until it commits',
      related: ['3: ALTER TABLE ADD COLUMN took ACCESS EXCLUSIVE on pt1 here'],
    }]);
  });

  it('a table held, then another locked: who took the first held', async () => {
    expect(await findings('CREATE TABLE t (a int);\nCREATE TABLE u (a int);', '\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE u ADD COLUMN b int;', 'MG217')).toEqual([{
      message: 'this transaction already holds an ACCESS EXCLUSIVE lock on t, which ALTER TABLE t ADD COLUMN (line 4) took, and now locks u, the first other table it locks before it commits: t stays blocked until then, and lock order across tables invites deadlocks',
      related: ['4: ALTER TABLE ADD COLUMN took ACCESS EXCLUSIVE on t here'],
    }]);
  });
});

describe('a relation by its kind, in the lock messages', () => {
  const held = 'CREATE TABLE t (a int);';
  const says = (finding: { message: string }[]) => finding.map((f) => /now locks (.*?): /.exec(f.message)?.[1]);

  it('a sequence, by DROP SEQUENCE or by what the files created (Lemmy\'s changeme_seq)', async () => {
    expect(says(await findings(`${held}\nCREATE SEQUENCE changeme_seq;`, 'ALTER TABLE t ADD COLUMN b int;\nDROP SEQUENCE IF EXISTS changeme_seq;', 'MG217'))).toEqual(['changeme_seq, the first other sequence it locks before it commits']);
    expect(says(await findings(`${held}\nCREATE SEQUENCE s;`, 'ALTER TABLE t ADD COLUMN b int;\nALTER TABLE s OWNER TO CURRENT_USER;', 'MG217'))).toEqual(['s, the first other sequence it locks before it commits']);
  });

  it('a view and a materialized view', async () => {
    expect(says(await findings(`${held}\nCREATE VIEW v AS SELECT 1 AS one;`, 'ALTER TABLE t ADD COLUMN b int;\nDROP VIEW v;', 'MG217'))).toEqual(['v, the first other view it locks before it commits']);
    expect(says(await findings(`${held}\nCREATE TABLE src (a int);\nCREATE MATERIALIZED VIEW m AS SELECT a FROM src;`, 'ALTER TABLE t ADD COLUMN b int;\nREFRESH MATERIALIZED VIEW m;', 'MG217'))).toEqual(['m, the first other materialized view it locks before it commits']);
  });

  it('relations of several kinds', async () => {
    expect(says(await findings(`${held}\nCREATE TABLE u (a int);\nCREATE VIEW v AS SELECT 1 AS one;`, 'ALTER TABLE t ADD COLUMN b int;\nLOCK TABLE u, v;', 'MG217'))).toEqual(['u, v, the first other relations it locks before it commits']);
  });

  it('a table is still a table', async () => {
    expect(says(await findings(`${held}\nCREATE TABLE u (a int);`, 'ALTER TABLE t ADD COLUMN b int;\nALTER TABLE u ADD COLUMN b int;', 'MG217'))).toEqual(['u, the first other table it locks before it commits']);
  });
});

describe('why a statement waits for a lock on a relation not its own (MG219)', () => {
  async function waits(setup: string, change: string) {
    await loadSqlParser();
    const files = { 'm/V1__setup.sql': `SET lock_timeout = '5s';\n${setup}\n`, 'm/V2__change.sql': `${change}\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG219' && d.file === 'm/V2__change.sql').map((d) => /waits for (.*?) with no lock_timeout/.exec(d.message)?.[1]);
  }

  it('DROP INDEX waits on the index\'s table', async () => {
    expect(await waits('CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);', 'DROP INDEX t_a_idx;')).toEqual(['an ACCESS EXCLUSIVE lock on t, the table of the index t_a_idx,']);
  });

  it('its own table needs no reason', async () => {
    expect(await waits('CREATE TABLE t (a int);', 'ALTER TABLE t ADD COLUMN b int;')).toEqual(['an ACCESS EXCLUSIVE lock on t']);
  });
});
