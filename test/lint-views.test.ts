import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * Views in plain SQL files: a view fixes what it reads, so PostgreSQL refuses to drop or retype
 * it without CASCADE (MG067, as for plans), and CASCADE drops the views built on it (MG214 names
 * them). Each case is run on PGlite too: the statement migc says is refused fails there, and the
 * views it says CASCADE drops are gone.
 */
const init = [
  'CREATE TABLE users (id int PRIMARY KEY, email text, active bool);',
  'CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;',
  'CREATE VIEW active_ids AS SELECT id FROM active_users;',
  'CREATE VIEW emails AS SELECT email FROM users;',
].join('\n') + '\n';

async function findings(second: string) {
  const files = { '1_init.sql': init, '2_change.sql': `SET lock_timeout = '2s';\n${second}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.file === '2_change.sql').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code} ${d.message}`);
}

/** Runs the files on PGlite: the error of the second, if any, and the views left. */
async function onServer(second: string): Promise<{ error?: string; views: string[] }> {
  const db = await PGlite.create();
  try {
    await db.exec(init);
    let error: string | undefined;
    try {
      await db.exec(second);
    } catch (e) {
      error = (e as Error).message;
    }
    const views = (await db.query<{ v: string }>("SELECT viewname AS v FROM pg_views WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.v);
    return { ...(error ? { error } : {}), views };
  } finally {
    await db.close();
  }
}

describe('views in SQL files', () => {
  it.each([
    ['DROP VIEW active_users;', 'cannot drop view active_users because other objects depend on it: view active_ids'],
    ['DROP TABLE users;', 'cannot drop table users because other objects depend on it: view active_users, view emails'],
    ['ALTER TABLE users DROP COLUMN active;', 'cannot drop column active of table users because other objects depend on it: view active_users'],
    ['ALTER TABLE users ALTER COLUMN email TYPE varchar(200);', 'cannot alter type of a column used by a view: view active_users, view emails depends on column email of users'],
  ])('%s is refused (MG067), as PostgreSQL refuses it', async (sql, why) => {
    expect(await findings(sql)).toContainEqual(expect.stringContaining(`2 MG067 PostgreSQL refuses this statement: ${why}`));
    expect((await onServer(sql)).error).toMatch(/depend|used by a view/);
  });

  it.each([
    ['DROP TABLE users CASCADE;', 'drops table users, and with it (CASCADE) view active_users, view emails and view active_ids, built on it', ['active_ids', 'active_users', 'emails']],
    ['DROP VIEW active_users CASCADE;', 'drops view active_users, and with it (CASCADE) view active_ids, built on it', ['active_ids', 'active_users']],
    ['ALTER TABLE users DROP COLUMN active CASCADE;', 'drops column users.active, and with it (CASCADE) view active_users and view active_ids, built on it', ['active_ids', 'active_users']],
  ])('%s names the views CASCADE drops with it (MG214), the ones PostgreSQL drops', async (sql, message, gone) => {
    const found = await findings(sql);
    expect(found).toContainEqual(`2 MG214 this statement ${message}`);
    expect(found.filter((f) => f.includes('MG067'))).toEqual([]);
    const server = await onServer(sql);
    expect(server.error).toBeUndefined();
    expect(['active_ids', 'active_users', 'emails'].filter((v) => !server.views.includes(v))).toEqual(gone);
  });

  it('a materialized view dropped is called one (MG214), apart from plain views', async () => {
    const files = {
      '1_init.sql': `${init}CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users;\nCREATE MATERIALIZED VIEW email_counts AS SELECT count(email) AS n FROM users;\n`,
      '2_change.sql': "SET lock_timeout = '2s';\nDROP MATERIALIZED VIEW user_counts, email_counts;\nDROP VIEW active_ids, emails;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => d.message)).toEqual([
      'this statement drops materialized views user_counts and email_counts',
      'this statement drops views active_ids and emails',
    ]);
  });

  it('a view dropped in a DO block whose EXECUTE after it migc cannot read is a note: the dynamic SQL may create it again (marquez, the twenty-fourth trial\'s G)', async () => {
    const block = (execute: string) => `DO $$ DECLARE d text; BEGIN\n  SELECT view_definition FROM information_schema.views WHERE table_name = 'emails' INTO d;\n  DROP VIEW emails;\n  ALTER TABLE users ADD COLUMN note text;\n${execute}END $$;`;
    const remade = await findings(block("  EXECUTE format('CREATE VIEW emails AS %s', d);\n"));
    expect(remade.filter((f) => f.includes('MG214'))).toEqual(['4 MG214 this statement drops view emails, and the block runs SQL after it that migc cannot read (an EXECUTE of a string built as it runs), which may create it again: no stored data is lost, and queries on it fail until then']);
    const server = await onServer(block("  EXECUTE format('CREATE VIEW emails AS %s', d);\n"));
    expect(server.error).toBeUndefined();
    expect(server.views).toContain('emails');
    // Without the EXECUTE, or with one migc reads (a constant string), the drop is told as before.
    expect((await findings(block(''))).filter((f) => f.includes('MG214'))).toEqual(['4 MG214 this statement drops view emails']);
    expect((await findings(block("  EXECUTE 'CREATE VIEW emails AS SELECT email FROM users';\n"))).filter((f) => f.includes('MG214'))).toEqual([]);
  });

  it('DROP FUNCTION ... CASCADE drops the views that call it and those built on them (MG243 names them), and a view made again after is a new one (pg_search, the twenty-seventh trial\'s E)', async () => {
    const made = "CREATE FUNCTION layers(i int) RETURNS TABLE (a int) LANGUAGE sql AS 'SELECT 1';\nCREATE VIEW layer_info AS SELECT * FROM layers(1);\nCREATE VIEW layer_ids AS SELECT a FROM layer_info;\n";
    const lintOf = async (second: string) => {
      const files = { '1_init.sql': init + made, '2_change.sql': `SET lock_timeout = '2s';\n${second}\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      return result.diagnostics.filter((d) => d.file === '2_change.sql').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code} ${d.message}`);
    };
    const dropped = await lintOf('DROP FUNCTION layers(int) CASCADE;');
    expect(dropped.filter((f) => f.includes('MG243'))).toEqual(['2 MG243 DROP FUNCTION layers CASCADE also drops view layer_info and view layer_ids, with only a NOTICE, under an ACCESS EXCLUSIVE lock on layer_info and layer_ids: every query on those views fails']);
    // Made again after: replaced, not lost; and the CREATE VIEW makes a new view, with no lock to wait for.
    const remade = await lintOf("DROP FUNCTION layers(int) CASCADE;\nCREATE FUNCTION layers(i int) RETURNS TABLE (a int, b int) LANGUAGE sql AS 'SELECT 1, 2';\nCREATE VIEW layer_info AS SELECT * FROM layers(1);\nCREATE VIEW layer_ids AS SELECT a FROM layer_info;");
    expect(remade.filter((f) => /MG243|MG219|MG067/.test(f))).toEqual([]);
    const db = await PGlite.create();
    try {
      await db.exec(init + made);
      await db.exec('DROP FUNCTION layers(int) CASCADE;');
      expect((await db.query<{ v: string }>("SELECT viewname AS v FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'layer%'")).rows).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('a view dropped first, in the same file or statement, is no longer in the way', async () => {
    expect((await findings('DROP VIEW active_ids;\nDROP VIEW active_users;\nDROP VIEW emails;\nDROP TABLE users;')).filter((f) => f.includes('MG067'))).toEqual([]);
    expect((await findings('DROP VIEW active_ids, active_users;')).filter((f) => f.includes('MG067'))).toEqual([]);
    expect((await onServer('DROP VIEW active_ids;\nDROP VIEW active_users;\nDROP VIEW emails;\nDROP TABLE users;')).error).toBeUndefined();
  });

  it('a rollback\'s drops are undone for the next migration: its views are still in the way there', async () => {
    const files = {
      '1_init.up.sql': init,
      '1_init.down.sql': 'DROP VIEW active_ids;\nDROP VIEW active_users;\nDROP VIEW emails;\nDROP TABLE users;\n',
      '2_drop.up.sql': 'SET lock_timeout = \'2s\';\nALTER TABLE users DROP COLUMN email;\n',
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG067').map((d) => `${d.file} ${d.message}`)).toEqual([
      '2_drop.up.sql PostgreSQL refuses this statement: cannot drop column email of table users because other objects depend on it: view active_users, view emails (drop or change them first, or use CASCADE, which drops them too)',
    ]);
  });

  it('a view over a table the files did not create is not judged: neither its query nor what depends on it', async () => {
    const refused = async (view: string, change: string) => {
      const files = { '1.sql': `${view}\n`, '2.sql': `SET lock_timeout = '2s';\n${change}\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      return result.diagnostics.filter((d) => d.code === 'MG067').map((d) => d.message);
    };
    // An earlier migration, not linted, created legacy: "table legacy does not exist" would be false.
    expect(await refused('CREATE VIEW v AS SELECT id FROM legacy;', 'SELECT 1;')).toEqual([]);
    // What the view reads of a table migc does not know is not followed (SELECT * of it could be
    // anything): no guess, so no finding, though the server would refuse these.
    expect(await refused('CREATE VIEW v AS SELECT id FROM legacy;', 'ALTER TABLE legacy DROP COLUMN id;')).toEqual([]);
    expect(await refused('CREATE VIEW v AS SELECT * FROM legacy;', 'DROP TABLE legacy;')).toEqual([]);
  });
});

describe('CREATE OR REPLACE VIEW in SQL files', () => {
  const replaced = async (first: string, second: string) => {
    const files = { '1.sql': `CREATE TYPE kind AS ENUM ('a', 'b');\nCREATE TABLE t (id int, k kind);\n${first}\n`, '2.sql': `${second}\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG067').map((d) => d.message);
  };

  it('is refused when it changes a column\'s type, and not when the type is only spelled with its schema', async () => {
    // Sirimbo's migrations cast to public.activity_timeline_kind in one file and activity_timeline_kind in the next: one type.
    expect(await replaced('CREATE VIEW v AS SELECT id, NULL::public.kind AS k FROM t;', 'CREATE OR REPLACE VIEW v AS SELECT id, NULL::kind AS k FROM t;')).toEqual([]);
    expect(await replaced('CREATE VIEW v AS SELECT id::int4 AS id FROM t;', 'CREATE OR REPLACE VIEW v AS SELECT id::pg_catalog.int4 AS id FROM t;')).toEqual([]);
    expect(await replaced('CREATE VIEW v AS SELECT id FROM t;', 'CREATE OR REPLACE VIEW v AS SELECT id::bigint AS id FROM t;')).toEqual([
      'PostgreSQL refuses this statement: CREATE OR REPLACE VIEW v fails: cannot change data type of view column "id" from int4 to int8',
    ]);
  });

  it('is one refusal, the one PostgreSQL gives (the first old column that differs, in order), with the other changes after it', async () => {
    expect(await replaced('CREATE VIEW v AS SELECT id, k FROM t;', 'CREATE OR REPLACE VIEW v AS SELECT k, id FROM t;')).toEqual([
      'PostgreSQL refuses this statement: CREATE OR REPLACE VIEW v fails: cannot change name of view column "id" to "k" (and it changes 1 more: name of view column "k" to "id")',
    ]);
    // Fewer columns: that is checked first, and alone.
    expect(await replaced('CREATE VIEW v AS SELECT id, k FROM t;', 'CREATE OR REPLACE VIEW v AS SELECT k FROM t;')).toEqual([
      'PostgreSQL refuses this statement: CREATE OR REPLACE VIEW v fails: cannot drop columns from view (it drops k); drop the view and create it again',
    ]);
  });

  it('each refusal is PostgreSQL\'s (PGlite)', async () => {
    const db = await PGlite.create();
    try {
      await db.exec("CREATE TYPE kind AS ENUM ('a', 'b'); CREATE TABLE t (id int, k kind); CREATE VIEW v AS SELECT id, NULL::public.kind AS k FROM t;");
      await db.exec('CREATE OR REPLACE VIEW v AS SELECT id, NULL::kind AS k FROM t;');
      await expect(db.exec('CREATE OR REPLACE VIEW v AS SELECT id::bigint AS id, NULL::kind AS k FROM t;')).rejects.toThrow(/cannot change data type of view column "id"/);
      await expect(db.exec('CREATE OR REPLACE VIEW v AS SELECT NULL::kind AS k, id FROM t;')).rejects.toThrow(/^cannot change name of view column "id" to "k"$/);
      await expect(db.exec('CREATE OR REPLACE VIEW v AS SELECT id FROM t;')).rejects.toThrow(/^cannot drop columns from view$/);
    } finally {
      await db.close();
    }
  });
});
