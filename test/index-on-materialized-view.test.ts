import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';

/** Lints files in memory: each MG201 finding as `file:message | help`. */
async function indexFindings(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG201').map((d) => `${d.file}: ${d.message} | ${d.help}`);
}

const init = [
  'CREATE TABLE models (id int PRIMARY KEY, downloads int);',
  'CREATE MATERIALIZED VIEW model_rank AS SELECT id AS model_id, rank() OVER (ORDER BY downloads DESC) AS r FROM models;',
  '',
].join('\n');

describe('MG201 on a materialized view (the ninth trial\'s class V)', () => {
  it('says what waits for the build: REFRESH, and the queries behind a plain REFRESH; not writes, which a materialized view has none of', async () => {
    const found = await indexFindings({
      '1_init.sql': init,
      '2_index.sql': "SET lock_timeout = '5s';\nCREATE UNIQUE INDEX model_rank_id ON model_rank (model_id);\nCREATE INDEX models_downloads ON models (downloads);\n",
    });
    expect(found).toEqual([
      '2_index.sql: CREATE INDEX model_rank_id takes a SHARE lock on materialized view model_rank (no size hint: assumed large): REFRESH MATERIALIZED VIEW waits until the index is built, and every query on the view queues behind a plain REFRESH (ACCESS EXCLUSIVE) that waits'
        + ' | Build it without blocking refreshes: DROP INDEX CONCURRENTLY IF EXISTS model_rank_id; CREATE UNIQUE INDEX CONCURRENTLY model_rank_id ON model_rank (model_id); each must run outside a transaction block, in a file your migration tool runs without one; the drop takes away the INVALID index a failed build leaves, so that a re-run builds it again. Existing rows that share a key fail the build (CONCURRENTLY then leaves an INVALID index to drop): look first, SELECT model_id, count(*) FROM model_rank GROUP BY model_id HAVING count(*) > 1;',
      '2_index.sql: CREATE INDEX models_downloads takes a SHARE lock on models (no size hint: assumed large): writes wait until the index is built'
        + ' | Build it without blocking writes: DROP INDEX CONCURRENTLY IF EXISTS models_downloads; CREATE INDEX CONCURRENTLY models_downloads ON models (downloads); each must run outside a transaction block, in a file your migration tool runs without one; the drop takes away the INVALID index a failed build leaves, so that a re-run builds it again.',
    ]);
  });

  it('a materialized view made in the same file is new: nothing refreshes it yet', async () => {
    expect(await indexFindings({ '1_init.sql': `${init}CREATE UNIQUE INDEX model_rank_id ON model_rank (model_id);\n` })).toEqual([]);
  });

  it('a view of the same name dropped and made a table is a table again', async () => {
    const found = await indexFindings({
      '1_init.sql': init,
      '2_swap.sql': 'DROP MATERIALIZED VIEW model_rank;\n',
      '3_table.sql': 'CREATE TABLE model_rank (model_id int, r int);\n',
      '4_index.sql': "SET lock_timeout = '5s';\nCREATE INDEX model_rank_r ON model_rank (r);\n",
    });
    expect(found.map((f) => f.split(' | ')[0])).toEqual(['4_index.sql: CREATE INDEX model_rank_r takes a SHARE lock on model_rank (no size hint: assumed large): writes wait until the index is built']);
  });
});
