import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG251: a CREATE INDEX that repeats an index the table has. What the finding says is checked on
 * PostgreSQL: both indexes are kept, and a write fills both.
 */
const schema = 'CREATE TABLE af_workspace (id bigint PRIMARY KEY, owner int, a int, b int, UNIQUE (a, b));\n';

async function findings(changes: string): Promise<string[]> {
  await loadSqlParser();
  const files = { '1.sql': schema, '2.sql': changes };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG251').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`);
}

describe('MG251 duplicate-index', () => {
  it('names the index repeated: a unique constraint\'s, the primary key\'s, another CREATE INDEX\'s (the twenty-fourth trial\'s H: appflowy)', async () => {
    expect(await findings([
      'ALTER TABLE af_workspace ADD COLUMN publish_namespace text UNIQUE;',
      'CREATE INDEX IF NOT EXISTS publish_namespace_idx ON af_workspace (publish_namespace);',
      'CREATE INDEX ON af_workspace (id);',
      'CREATE INDEX ON af_workspace (owner);',
      'CREATE INDEX owner_again ON af_workspace (owner);',
      'CREATE INDEX ON af_workspace (a, b);',
    ].join('\n'))).toEqual([
      '2 index publish_namespace_idx repeats af_workspace_publish_namespace_key (the index of the constraint of that name): both are B-trees on af_workspace (publish_namespace). PostgreSQL builds this one (reading every row) and then updates both on every write, where one serves every lookup',
      '3 index af_workspace_id_idx repeats af_workspace_pkey (the index of the constraint of that name): both are B-trees on af_workspace (id). PostgreSQL builds this one (reading every row) and then updates both on every write, where one serves every lookup',
      '5 index owner_again repeats af_workspace_owner_idx: both are B-trees on af_workspace (owner). PostgreSQL builds this one (reading every row) and then updates both on every write, where one serves every lookup',
      '6 index af_workspace_a_b_idx repeats af_workspace_a_b_key (the index of the constraint of that name): both are B-trees on af_workspace (a, b). PostgreSQL builds this one (reading every row) and then updates both on every write, where one serves every lookup',
    ]);
  });

  it('reads a quoted index name that holds a dot as one name: Prisma 2\'s "User.x_unique", dropped, is no longer there (the twenty-eighth trial\'s A)', async () => {
    const files = {
      '1.sql': 'CREATE TABLE "User" (id int PRIMARY KEY, "accountId" int, "orgId" int);\nCREATE UNIQUE INDEX "User.accountId_orgId_unique" ON "User"("accountId", "orgId");\n',
      '2.sql': 'DROP INDEX "User.accountId_orgId_unique";\nALTER TABLE "User" RENAME COLUMN "orgId" TO "workspaceId";\nCREATE UNIQUE INDEX "User.accountId_workspaceId_unique" ON "User"("accountId", "workspaceId");\n',
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG251')).toEqual([]);
    // Not dropped, the same index is repeated.
    const kept = await lint({ files: Object.keys(files) }, memoryHost({ ...files, '2.sql': files['2.sql'].replace('DROP INDEX', '-- DROP INDEX') }));
    expect(kept.diagnostics.filter((d) => d.code === 'MG251').length).toBe(1);
  });

  it('does not take another order, ordering, method, WHERE, expression or INCLUDE, a unique index over a plain one, an index dropped or renamed away, or one built to take another\'s place, for a repeat', async () => {
    expect(await findings([
      'CREATE INDEX owner_idx ON af_workspace (owner);',
      'CREATE UNIQUE INDEX owner_unique ON af_workspace (owner);',
      'CREATE INDEX ON af_workspace (b, a);',
      'CREATE INDEX ON af_workspace (owner DESC);',
      'CREATE INDEX ON af_workspace USING hash (owner);',
      'CREATE INDEX ON af_workspace (owner) WHERE owner > 0;',
      'CREATE INDEX ON af_workspace ((owner + 1));',
      'CREATE INDEX ON af_workspace (owner) INCLUDE (a);',
      'DROP INDEX owner_unique;',
      'DROP INDEX owner_idx;',
      'CREATE INDEX owner_idx ON af_workspace (owner);',
      // A rebuild by hand: the new index beside the old one, the old dropped, the new given its name.
      'CREATE INDEX CONCURRENTLY owner_idx_new ON af_workspace (owner);',
      'DROP INDEX CONCURRENTLY owner_idx;',
      'ALTER INDEX owner_idx_new RENAME TO owner_idx;',
    ].join('\n'))).toEqual([]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG251 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it('keeps both indexes, and a write fills both', async () => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(`${schema}ALTER TABLE af_workspace ADD COLUMN publish_namespace text UNIQUE;\nCREATE INDEX publish_namespace_idx ON af_workspace (publish_namespace);\n`);
      await db.run("INSERT INTO af_workspace (id, publish_namespace) SELECT g, 'ns-' || g FROM generate_series(1, 2000) g;");
      const sizes = rowsOf(await db.run("SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS size FROM pg_index WHERE indrelid = 'af_workspace'::regclass AND indkey::text = (SELECT attnum::text FROM pg_attribute WHERE attrelid = 'af_workspace'::regclass AND attname = 'publish_namespace') ORDER BY 1;"));
      expect(sizes.map((r) => r.name)).toEqual(['af_workspace_publish_namespace_key', 'publish_namespace_idx']);
      // Each holds an entry for every row: more than its first page.
      for (const r of sizes) expect(Number(r.size)).toBeGreaterThan(8192 * 2);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
