import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG229 is about the names a statement gives: PostgreSQL cuts a name over 63 bytes, and the object
 * is then called otherwise than the migration wrote. A later statement that refers to the long
 * name (DROP, the old name of a RENAME, a table it reads) is cut the same way and finds the object,
 * so it draws nothing (a new user's trial: DROP TRIGGER and ALTER INDEX ... RENAME in rollbacks).
 */
const long = {
  table: 'customer_subscription_billing_adjustment_history_entries_archived',
  index: 'users_name_index_for_the_search_page_and_the_admin_customer_lookup',
  trigger: 'trg_update_test_item_last_modified_on_pattern_template_test_item',
  column: 'name_as_the_customer_typed_it_on_the_signup_form_before_any_cleanup',
};
const files = {
  '1_create.sql': [
    `CREATE TABLE ${long.table} (id int PRIMARY KEY, name text);`,
    `CREATE INDEX ${long.index} ON ${long.table} (name);`,
    `CREATE TRIGGER ${long.trigger} BEFORE UPDATE ON ${long.table} FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();`,
    '',
  ].join('\n'),
  '2_refer.sql': [
    "SET lock_timeout = '5s';",
    `DROP TRIGGER IF EXISTS ${long.trigger} ON ${long.table};`,
    `ALTER INDEX ${long.index} RENAME TO users_name_search_idx;`,
    `SELECT count(*) FROM ${long.table};`,
    `ALTER TABLE ${long.table} RENAME COLUMN name TO ${long.column};`,
    '',
  ].join('\n'),
};

describe('MG229 reports the names a statement gives, not those it refers to', () => {
  beforeAll(() => loadSqlParser());

  it('on the CREATE and the RENAME TO, not on DROP TRIGGER, ALTER INDEX <old> RENAME or a SELECT', async () => {
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    const found = result.diagnostics.filter((d) => d.code === 'MG229').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message.split(' is ')[0]}`);
    expect(found).toEqual([
      `1_create.sql:1 ${long.table}`, `1_create.sql:2 ${long.index}`, `1_create.sql:3 ${long.trigger}`,
      `2_refer.sql:5 ${long.column}`,
    ]);
  });

  for (const engine of sqlEngines()) {
    describe(`on ${engine.name}`, () => {
      let db: SqlEngine;
      beforeAll(async () => {
        db = await engine.open();
      });
      afterAll(() => db?.close());

      it('the references find what the long names made', async () => {
        await db.run(files['1_create.sql']);
        await db.run(files['2_refer.sql']);
        const found = await db.run(`SELECT
          (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'trg_update_test_item%')::int AS triggers,
          (SELECT count(*) FROM pg_class WHERE relname = 'users_name_search_idx')::int AS renamed,
          (SELECT attname FROM pg_attribute WHERE attrelid = '${long.table.slice(0, 63)}'::regclass AND attname LIKE 'name_as%') AS column_kept`);
        const row = (Array.isArray(found) ? found.at(-1) : found) as { rows: { triggers: number; renamed: number; column_kept: string }[] };
        expect(row.rows[0]).toEqual({ triggers: 0, renamed: 1, column_kept: long.column.slice(0, 63) });
      });
    });
  }
});
