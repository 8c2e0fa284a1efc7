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

/**
 * Two long names cut to the same 63 bytes are one name (the nineteenth trial's cosmo: a primary
 * key and a foreign key of one table, the foreign key's ADD in drizzle-kit's DO block that
 * swallows duplicate_object, so it was never made). A lone cut name is a note; a collision, an error.
 */
const pk = 'federated_graphs_to_feature_flag_schema_versions_federated_graph_id_base_composition_schema_version_id_pk';
const fk = 'federated_graphs_to_feature_flag_schema_versions_federated_graph_id_federated_graphs_id_fk';
const collide = {
  '1_tables.sql': `CREATE TABLE graphs (id int PRIMARY KEY);\nCREATE TABLE links (graph_id int NOT NULL, version_id int NOT NULL, CONSTRAINT "${pk}" PRIMARY KEY (graph_id, version_id));\n`,
  '2_fk.sql': `SET lock_timeout = '5s';\nALTER TABLE links ADD CONSTRAINT "${fk}" FOREIGN KEY (graph_id) REFERENCES graphs (id) NOT VALID;\n`,
  '3_guarded.sql': `SET lock_timeout = '5s';\nDO $$ BEGIN\n ALTER TABLE links ADD CONSTRAINT "${fk}" FOREIGN KEY (graph_id) REFERENCES graphs (id) NOT VALID;\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n`,
};

describe('MG229 on two long names cut to one', () => {
  beforeAll(() => loadSqlParser());
  const mg229 = async (files: Record<string, string>) => {
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG229').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message.slice(d.message.indexOf(' is '))}`);
  };

  it('is an error where the second is given: PostgreSQL refuses it, or a DO block\'s handler swallows the refusal', async () => {
    const cut = pk.slice(0, 63);
    expect(await mg229(collide)).toEqual([
      `1_tables.sql:2 info  is 105 bytes: PostgreSQL truncates it to the 63 bytes ${cut}, with only a NOTICE (which migration tools rarely show)`,
      `2_fk.sql:2 error  is 90 bytes: PostgreSQL truncates it to ${cut}, the name ${pk} was cut to as well, so it refuses this foreign key (constraint ${cut} for relation links already exists)`,
      `3_guarded.sql:3 error  is 90 bytes: PostgreSQL truncates it to ${cut}, the name ${pk} was cut to as well, so it refuses this foreign key (constraint ${cut} for relation links already exists); in this DO block, a handler that catches it (EXCEPTION WHEN duplicate_object THEN null, as drizzle-kit writes) swallows the refusal: the foreign key is never made, and the migration succeeds`,
    ]);
  });

  it('takes the same long name again for the same object, and a constraint name on another table, as no collision', async () => {
    const index = `CREATE INDEX IF NOT EXISTS ${long.index} ON graphs (id);\n`;
    const other = `CREATE TABLE nodes (graph_id int NOT NULL, CONSTRAINT "${fk}" FOREIGN KEY (graph_id) REFERENCES graphs (id));\n`;
    const found = await mg229({ '1_tables.sql': collide['1_tables.sql'], '2_again.sql': index + index, '3_other.sql': other });
    // The second CREATE INDEX IF NOT EXISTS finds the index the first made, and is skipped.
    expect(found.map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['1_tables.sql:2 info', '2_again.sql:1 info', '3_other.sql:1 info']);
  });

  it('is an error for two relations of one schema, and for two constraints of one statement', async () => {
    const twoIndexes = `CREATE TABLE t (a int, b int);\nCREATE INDEX ${long.index}_on_a ON t (a);\nCREATE INDEX ${long.index}_on_b ON t (b);\n`;
    expect((await mg229({ '1.sql': twoIndexes })).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['1.sql:2 info', '1.sql:3 error']);
    const oneStatement = `CREATE TABLE t (a int, CONSTRAINT "${pk}" CHECK (a > 0), CONSTRAINT "${pk}_again" CHECK (a < 9));\n`;
    // A statement PostgreSQL refuses is said alone: its note is left out.
    expect((await mg229({ '1.sql': oneStatement })).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['1.sql:1 error']);
  });

  for (const engine of sqlEngines()) {
    it(`runs so on ${engine.name}: the bare ADD is refused, the guarded one leaves no foreign key`, async () => {
      const db = await engine.open();
      try {
        await db.run(collide['1_tables.sql']);
        await expect(db.run(collide['2_fk.sql'])).rejects.toThrow(/already exists/);
        await db.run(collide['3_guarded.sql']);
        const rows = await db.run("SELECT string_agg(contype::text, ',' ORDER BY contype) AS kinds FROM pg_constraint WHERE conrelid = 'links'::regclass AND contype IN ('p', 'f')");
        const last = (Array.isArray(rows) ? rows.at(-1) : rows) as { rows: { kinds: string }[] };
        expect(last.rows[0]).toEqual({ kinds: 'p' });
        await expect(db.run(`CREATE TABLE t (a int); CREATE INDEX ${long.index}_on_a ON t (a); CREATE INDEX ${long.index}_on_b ON t (a);`)).rejects.toThrow(/already exists/);
      } finally {
        await db.close();
      }
    });
  }
});
