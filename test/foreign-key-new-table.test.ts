import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint, type LintOptions } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG230 judges a foreign key declared on a new table (CREATE TABLE's REFERENCES and FOREIGN KEY,
 * an ALTER TABLE of a table the same migration created) once every file linted has run: a
 * warning when no index serves it then, a note when only a later migration built one (the table
 * fills until it runs; generated migrations often index it in the next file). A key added to a
 * table an earlier migration made keeps the file-local judgement: that table holds rows, and the
 * DELETEs scan it until the file that indexes it runs.
 */
const base = "SET lock_timeout = '5s';\nCREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);\n";

async function lintFiles(texts: readonly string[], options: Omit<LintOptions, 'files'> = {}) {
  await loadSqlParser();
  const files = Object.fromEntries(texts.map((t, i) => [`${String(i).padStart(3, '0')}.sql`, t]));
  return lint({ files: Object.keys(files), ...options }, memoryHost(files));
}

/** MG230's findings as `file:line severity message-start`, in the order lint gives them. */
async function findings(texts: readonly string[], options: Omit<LintOptions, 'files'> = {}): Promise<string[]> {
  const result = await lintFiles(texts, options);
  return result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.file}:${result.sources.get(d.file!)!.position(d.span!.start).line} ${d.severity} ${d.message.replace(/ references .*/, '')}`);
}

describe('MG230 and the size hints', () => {
  const create = "SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n";
  const mg230 = async (texts: readonly string[], sizes: Record<string, number>) => {
    const result = await lintFiles(texts, { config: { assumeRows: new Map(Object.entries(sizes)) } });
    return result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.severity} ${d.message.replace(/^.*, scans /, '')}`);
  };

  it('a small referencing table (its scan is short) or a referenced table of a few rows (few deletes: a tenant, a lookup table) makes it a note that says why', async () => {
    expect(await mg230([base, create], { invoices: 500 })).toEqual(['info invoices (invoices holds 500 rows by its size hint: each scan is short)']);
    expect(await mg230([base, create], { users: 1 })).toEqual(['info invoices (users holds 1 row by its size hint: few are ever deleted)']);
    // A referenced table of thousands of rows may see deletes all day (sessions): still a warning.
    expect(await mg230([base, create], { users: 5_000 })).toEqual(['warning invoices']);
    expect(await mg230([base, create], { invoices: 100_000 })).toEqual(['warning invoices']);
    // A key added to an existing table, and an index dropped under a key, alike.
    const added = "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN user_id bigint;\nALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n";
    expect(await mg230([base, added], { users: 3 })).toEqual(['info orders (users holds 3 rows by its size hint: few are ever deleted)']);
    // A table the transaction emptied has no row now, and no size hint: it fills again.
    expect(await mg230([base, "SET lock_timeout = '5s';\nBEGIN;\nTRUNCATE orders;\nALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);\nCOMMIT;\n"], {})).toEqual(['warning orders']);
    expect(await mg230([base, create + 'CREATE INDEX invoices_user_id_idx ON invoices (user_id);\n', "SET lock_timeout = '5s';\nDROP INDEX invoices_user_id_idx;\n"], { invoices: 20 })).toEqual(['info invoices (invoices holds 20 rows by its size hint: each scan is short)']);
  });
});

describe('MG230 on a new table, judged once the run has ended', () => {
  it('a statement migc cannot read after the key may have built an index: the finding stands and says so (cas-cif calls a helper of its own after each CREATE TABLE)', async () => {
    const create = "SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n";
    const unread = 'a statement after it that migc cannot read through (a CALL, a call of a function the files do not define, a DO block or function body whose SQL is built as it runs) may have built one or dropped the key';
    for (const after of ["SELECT private.upsert_timestamp_columns('public', 'invoices');", 'CALL add_audit(\'invoices\');', "DO $$ DECLARE r record; BEGIN FOR r IN SELECT column_name FROM information_schema.columns WHERE table_name = 'invoices' AND column_name LIKE '%_id' LOOP EXECUTE format('CREATE INDEX ON invoices (%I)', r.column_name); END LOOP; END $$;"]) {
      const result = await lintFiles([base, create + after]);
      expect(result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.severity} ${d.message}`), after).toEqual([
        `warning invoices (user_id) references users, and no index on (user_id) is seen by the time the files linted have run; ${unread}: if none did, every DELETE on users, and every UPDATE of its key, scans invoices`,
      ]);
    }
    // A helper told the table and the key's column by name builds its index, as its arguments say (oVirt's fn_db_create_index).
    expect(await findings([base, `${create}SELECT fn_db_create_index('idx_invoices_user_id', 'invoices', 'user_id');\n`])).toEqual([]);
    expect(await findings([base, `${create}SELECT fn_db_add_column('invoices', 'note', 'text');\n`])).toEqual(['001.sql:2 warning invoices (user_id)']);
    // Before the key, it tells nothing of the key's index; a function the files define is read.
    expect(await findings([base, `SELECT private.upsert_timestamp_columns('public', 'invoices');\n${create}`])).toEqual(['001.sql:3 warning invoices (user_id)']);
    const defined = "CREATE FUNCTION stamp(t text) RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;\n";
    expect(await findings([base, `${defined}${create}SELECT stamp('invoices');\n`])).toEqual(['001.sql:3 warning invoices (user_id)']);
    // A built-in of a newer PostgreSQL is no helper migc cannot read (instant's pg_input_is_valid, 16; the thirty-seventh trial's B).
    for (const call of ["SELECT pg_input_is_valid('1', 'uuid');", 'SELECT uuidv7();', "SELECT any_value(id) FROM users;"]) {
      expect(await lintFiles([base, create, call]).then((r) => r.diagnostics.filter((d) => d.code === 'MG230').map((d) => d.message.includes('cannot read through'))), call).toEqual([false]);
    }
    // An index built after it, seen, serves the key all the same.
    expect(await findings([base, `${create}SELECT private.upsert_timestamp_columns('public', 'invoices');\nCREATE INDEX ON invoices (user_id);\n`])).toEqual([]);
  });

  it('a key declared in CREATE TABLE is served in time by an index its own migration builds; by one a later file builds, after a note (the harness layout: 0001 creates, 0002 indexes)', async () => {
    const create = "SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n";
    const index = 'CREATE INDEX invoices_user_id_idx ON invoices (user_id);\n';
    expect(await findings([base, create + index])).toEqual([]);
    expect(await findings([base, `SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);\n${index}ALTER TABLE invoices ADD FOREIGN KEY (user_id) REFERENCES users;\n`])).toEqual([]);
    const later = await lintFiles([base, create, `SET lock_timeout = '5s';\n${index}`]);
    expect(later.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.file} ${d.severity} ${d.message}`)).toEqual([
      '001.sql info invoices (user_id) references users but has no index on (user_id) until a later migration builds one: as the new table fills until that one runs, every DELETE on users, and every UPDATE of its key, scans invoices',
    ]);
    expect(await findings([base, create])).toEqual(['001.sql:2 warning invoices (user_id)']);
  });

  it('the parts of a popx split migration are one migration: an index a later part builds comes in time', async () => {
    await loadSqlParser();
    const files = {
      '20190100000001000000_users.up.sql': base,
      '20190100000002000000_invoices.up.sql': 'CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n',
      '20190100000002000001_invoices.up.sql': 'CREATE INDEX invoices_user_id_idx ON invoices (user_id);\n',
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG230')).toEqual([]);
    const apart = { ...files, '20190100000003000000_index.up.sql': files['20190100000002000001_invoices.up.sql'] };
    delete (apart as Record<string, string>)['20190100000002000001_invoices.up.sql'];
    const later = await lint({ files: Object.keys(apart) }, memoryHost(apart));
    expect(later.diagnostics.filter((d) => d.code === 'MG230').map((d) => d.severity)).toEqual(['info']);
  });


  it('a key added to a table an earlier migration created keeps the file-local look-ahead: the index in the next file comes too late', async () => {
    const files = [
      base,
      "SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);\n",
      "SET lock_timeout = '5s';\nALTER TABLE invoices ADD CONSTRAINT invoices_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n",
      "CREATE INDEX CONCURRENTLY invoices_user_id_idx ON invoices (user_id);\n",
    ];
    expect(await findings(files)).toEqual(['002.sql:2 warning invoices (user_id)']);
    // It says that a later migration builds the index, and that the DELETEs scan until it runs.
    const message = async (texts: readonly string[]) => (await lintFiles(texts)).diagnostics.find((d) => d.code === 'MG230')?.message;
    expect(await message(files)).toBe('invoices (user_id) references users but has no index on (user_id) until a later migration builds one: until it runs, every DELETE on users, and every UPDATE of its key, scans invoices');
    expect(await message(files.slice(0, 3))).toBe('invoices (user_id) references users but has no index on (user_id): every DELETE on users, and every UPDATE of its key, scans invoices');
    // Built and dropped again: no index once the run has ended.
    expect(await message([...files, 'DROP INDEX CONCURRENTLY invoices_user_id_idx;\n'])).toBe('invoices (user_id) references users but has no index on (user_id): every DELETE on users, and every UPDATE of its key, scans invoices');
  });

  it('a later RENAME COLUMN renames the key\'s columns: the index a later migration builds on the new names serves it (fider: idea_id, then post_id)', async () => {
    const message = async (texts: readonly string[]) => (await lintFiles(texts)).diagnostics.filter((d) => d.code === 'MG230').map((d) => d.message);
    const files = [
      base,
      "SET lock_timeout = '5s';\nCREATE TABLE ideas (id bigint NOT NULL, tenant_id bigint NOT NULL, PRIMARY KEY (id), UNIQUE (id, tenant_id));\nCREATE TABLE comments (id bigint PRIMARY KEY, idea_id bigint NOT NULL, tenant_id bigint NOT NULL);\n",
      // Unnamed: the key is found under the name PostgreSQL gives it.
      "SET lock_timeout = '5s';\nALTER TABLE comments ADD FOREIGN KEY (idea_id, tenant_id) REFERENCES ideas (id, tenant_id) NOT VALID;\n",
      "SET lock_timeout = '5s';\nALTER TABLE comments RENAME COLUMN idea_id TO post_id;\n",
    ];
    const index = 'CREATE INDEX CONCURRENTLY comments_post_idx ON comments (tenant_id, post_id);\n';
    expect(await message([...files, index])).toEqual(['comments (idea_id, tenant_id) references ideas but has no index on (idea_id, tenant_id) until a later migration builds one: until it runs, every DELETE on ideas, and every UPDATE of its key, scans comments']);
    // Without the index, or with one on the old name (refused by PostgreSQL: no such column), none serves it.
    expect(await message(files)).toEqual(['comments (idea_id, tenant_id) references ideas but has no index on (idea_id, tenant_id): every DELETE on ideas, and every UPDATE of its key, scans comments']);
    // Renamed back before the index: the key's columns are its first names again.
    expect(await message([...files, "SET lock_timeout = '5s';\nALTER TABLE comments RENAME COLUMN post_id TO idea_id;\n", 'CREATE INDEX CONCURRENTLY comments_idea_idx ON comments (idea_id, tenant_id);\n'])).toEqual(['comments (idea_id, tenant_id) references ideas but has no index on (idea_id, tenant_id) until a later migration builds one: until it runs, every DELETE on ideas, and every UPDATE of its key, scans comments']);
  });

  it('the finding takes its place among its file\'s findings, and its file\'s ok, after the settings', async () => {
    const create = 'CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX invoices_id_idx ON users (id);\n';
    const result = await lintFiles([base, create, "SET lock_timeout = '5s';\nCREATE TABLE notes (id bigint);\n"], { config: { rules: { MG230: 'error' } } });
    const source = result.sources.get('001.sql')!;
    expect(result.diagnostics.filter((d) => d.file === '001.sql').map((d) => `${source.position(d.span!.start).line} ${d.code} ${d.severity}`)).toEqual([
      '1 MG219 warning',
      '1 MG230 error',
      '2 MG201 error',
      // users (id) is its primary key's already.
      '2 MG251 warning',
    ]);
    expect(result.diagnostics.map((d) => d.file)).toEqual([...result.diagnostics.map((d) => d.file)].sort());
    expect(result.files.map((f) => `${f.file} ${f.ok}`)).toEqual(['000.sql true', '001.sql false', '002.sql true']);
  });

  it('a migc-ignore before the CREATE TABLE holds; without a reason it is reported only when the key stands', async () => {
    const ignored = (comment: string) => `SET lock_timeout = '5s';\n${comment}\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n`;
    const accepted = await lintFiles([base, ignored('-- migc-ignore MG230: users rows are never deleted')]);
    expect(accepted.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.severity} ${d.accepted?.reason}`)).toEqual(['info users rows are never deleted']);
    const indexed = "CREATE INDEX invoices_user_id_idx ON invoices (user_id);\n";
    expect((await lintFiles([base, ignored('-- migc-ignore MG230') + indexed])).diagnostics.map((d) => d.code)).not.toContain('MG035');
    expect((await lintFiles([base, ignored('-- migc-ignore MG230')])).diagnostics.map((d) => d.code)).toContain('MG035');
    // Indexed by a later migration: the note stands, and the ignore without a reason is reported.
    expect((await lintFiles([base, ignored('-- migc-ignore MG230'), `SET lock_timeout = '5s';\n${indexed}`])).diagnostics.map((d) => d.code)).toContain('MG035');
  });

  it('a rollback\'s CREATE TABLE is not judged: its changes are undone before the run ends', async () => {
    await loadSqlParser();
    const files = {
      '000_base.up.sql': base,
      '001_invoices.up.sql': "SET lock_timeout = '5s';\nDROP TABLE IF EXISTS old_invoices;\n",
      '001_invoices.down.sql': "SET lock_timeout = '5s';\nCREATE TABLE old_invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG230')).toEqual([]);
  });
});

/**
 * What the rule says of the keys of new tables is what PostgreSQL has once the files have run:
 * each history runs on the engines, file after file, and the keys no non-partial index serves
 * (its leading columns the key's, in any order) are exactly those MG230 reports. The histories
 * check the names PostgreSQL gives unnamed keys and UNIQUE constraints, which DROP CONSTRAINT uses.
 */
const histories: { name: string; files: string[] }[] = [
  { name: 'indexed in the next file', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));', 'CREATE INDEX invoices_user_id_idx ON invoices (user_id);'] },
  { name: 'never indexed', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), order_id bigint, CONSTRAINT invoices_order_fk FOREIGN KEY (order_id) REFERENCES orders);'] },
  { name: 'indexed, then the index replaced by a partial one', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX invoices_user_id_idx ON invoices (user_id);', 'DROP INDEX invoices_user_id_idx;\nCREATE INDEX invoices_user_id_some_idx ON invoices (user_id) WHERE id > 0;'] },
  { name: 'an unnamed UNIQUE dropped by the name PostgreSQL gave it', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), n int, UNIQUE (user_id, n));', 'ALTER TABLE invoices DROP CONSTRAINT invoices_user_id_n_key;'] },
  { name: 'a two-column primary key serves its leading column only', files: ['CREATE TABLE lines (order_id bigint REFERENCES orders, user_id bigint REFERENCES users, PRIMARY KEY (order_id, user_id));'] },
  { name: 'an unnamed key dropped by the name PostgreSQL gave it', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));', 'ALTER TABLE invoices DROP CONSTRAINT invoices_user_id_fkey;'] },
  { name: 'column and table renamed, then indexed', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, customer bigint REFERENCES users (id));\nALTER TABLE invoices RENAME COLUMN customer TO user_id;', 'ALTER TABLE invoices RENAME TO bills;\nCREATE INDEX bills_user_id_idx ON bills (user_id);'] },
  { name: 'keys added after the tables (Prisma), one indexed in the next file', files: ['CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);\nALTER TABLE invoices ADD CONSTRAINT invoices_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE invoices ADD COLUMN order_id bigint REFERENCES orders (id);', 'CREATE INDEX invoices_user_id_idx ON invoices (user_id);'] },
];

/** The foreign keys (as `table (columns)`, and by name) that a non-partial index serves, or that none does. */
const keysQuery = (served: boolean) => `
  SELECT c.conrelid::regclass::text || ' (' || (SELECT string_agg(a.attname, ', ' ORDER BY array_position(c.conkey, a.attnum)) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) || ')' AS key, c.conname
  FROM pg_constraint c
  WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    AND ${served ? '' : 'NOT'} EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid AND i.indpred IS NULL AND i.indnkeyatts >= cardinality(c.conkey)
        AND (SELECT array_agg(k ORDER BY k) FROM unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) k) = (SELECT array_agg(k ORDER BY k) FROM unnest(c.conkey) k))
  ORDER BY 1`;

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG230 on new tables against ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it.each([
      { where: 'user_id IS NOT NULL', serves: true },
      { where: 'user_id IS NOT NULL AND order_id IS NOT NULL', serves: false },
      { where: 'id > 0', serves: false },
    ])('a partial index WHERE $where serves the key\'s lookup: $serves (MG230 says the same)', async ({ where, serves }) => {
      const index = `CREATE INDEX invoices_user_id_idx ON invoices (user_id) WHERE ${where};`;
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(`CREATE TABLE users (id bigint PRIMARY KEY); CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), order_id bigint); ${index}`);
      // The lookup the key's trigger makes when a users row is deleted, planned for any value.
      await db.run("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; PREPARE key_lookup (bigint) AS SELECT 1 FROM ONLY invoices x WHERE user_id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x;");
      const plan = rowsOf(await db.run('EXPLAIN EXECUTE key_lookup (1)')).map((r) => String(r['QUERY PLAN'])).join('\n');
      await db.run('DEALLOCATE key_lookup; RESET enable_seqscan; RESET plan_cache_mode;');
      expect(plan.includes('invoices_user_id_idx')).toBe(serves);
      const files = [base, `SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), order_id bigint);\n${index}\n`];
      expect((await findings(files)).length === 0).toBe(serves);
    });
    it.each(histories)('$name', async ({ files }) => {
      const texts = [base, ...files.map((f) => `SET lock_timeout = '5s';\n${f}\n`)];
      const result = await lintFiles(texts);
      const mg230 = result.diagnostics.filter((d) => d.code === 'MG230');
      const reported = mg230.filter((d) => d.severity === 'warning').map((d) => d.message.replace(/ references .*/, ''));
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const keys = async (served: boolean, column = 'key') => rowsOf(await db.run(keysQuery(served))).map((r) => String(r[column])).sort();
      // The tables are created by the history's first file: its keys then, and once all have run.
      await db.run(texts[0]!);
      await db.run(texts[1]!);
      const afterTheirMigration = await keys(false, 'conname');
      for (const t of texts.slice(2)) await db.run(t);
      expect(reported.sort()).toEqual(await keys(false));
      // The notes: keys without an index once their own migration has run, served by one once
      // all have (by the constraint's name: a note names the table as declared, and some are renamed since).
      const servedLater = (await keys(true, 'conname')).filter((k) => afterTheirMigration.includes(k));
      expect(mg230.filter((d) => d.severity === 'info' && /until a later migration builds one/.test(d.message))).toHaveLength(servedLater.length);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

it('an index seen built by a later migration counts, whatever helper call ran between (the twentieth trial\'s lakekeeper)', async () => {
  const files = {
    '0.sql': "CREATE TABLE project (project_id text PRIMARY KEY);\nCREATE TABLE warehouse (warehouse_id int PRIMARY KEY, project_id text, warehouse_name text);\nCREATE FUNCTION helper(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS x int', t); END $$;\n",
    '1.sql': "SET lock_timeout = '5s';\nALTER TABLE warehouse ADD CONSTRAINT warehouse_project_id_fk FOREIGN KEY (project_id) REFERENCES project (project_id) NOT VALID;\n",
    '2.sql': "SELECT helper('other');\n",
    '3.sql': "SET lock_timeout = '5s';\nALTER TABLE warehouse ADD CONSTRAINT unique_warehouse_name_in_project UNIQUE (project_id, warehouse_name);\n",
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG230').map((d) => d.message)).toEqual([
    'warehouse (project_id) references project but has no index on (project_id) until a later migration builds one: until it runs, every DELETE on project, and every UPDATE of its key, scans warehouse',
  ]);
});

it('the same key added again by a later migration (Prisma drops and adds it to change ON DELETE) is said where it was first, a note after (the twentieth trial\'s openpanel)', async () => {
  const files = {
    '0.sql': 'CREATE TABLE organizations (id text PRIMARY KEY);\nCREATE TABLE clients (id text PRIMARY KEY, "organizationId" text);\n',
    '1.sql': 'ALTER TABLE clients ADD CONSTRAINT "clients_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES organizations (id) NOT VALID;\n',
    '2.sql': 'ALTER TABLE clients DROP CONSTRAINT "clients_organizationId_fkey";\nALTER TABLE clients ADD CONSTRAINT "clients_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES organizations (id) ON DELETE CASCADE NOT VALID;\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.file} ${d.severity} ${d.message}`)).toEqual([
    '1.sql warning clients ("organizationId") references organizations but has no index on ("organizationId"): every DELETE on organizations, and every UPDATE of its key, scans clients',
    '2.sql info clients ("organizationId") references organizations but has no index on ("organizationId") (said for 1.sql already: the key is added again): every DELETE on organizations, and every UPDATE of its key, scans clients',
  ]);
});
