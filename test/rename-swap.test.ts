import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A live table renamed and a new table created under its old name in the same transaction (a
 * copy-and-swap, the seventeenth trial's graphile-worker `jobs`): the running code's queries name
 * the new table from the moment it commits. MG213 reports the swap exactly when the new table
 * lacks a column the old one had, and names those columns; checked on PostgreSQL (PGlite, and the
 * server of MIGC_TEST_DATABASE_URL): a query naming one fails after the swap, the others run.
 */
const before = 'CREATE TABLE jobs (id bigint PRIMARY KEY, queue_name text, payload json, run_at timestamptz);\nCREATE TABLE events (id bigint PRIMARY KEY, body text);\n';
const swap = `SET lock_timeout = '5s';
BEGIN;
LOCK TABLE jobs;
ALTER TABLE jobs RENAME TO jobs_legacy;
CREATE TABLE jobs (id bigint PRIMARY KEY, queue_id int, payload json);
INSERT INTO jobs (id, payload) SELECT id, payload FROM jobs_legacy;
DROP TABLE jobs_legacy;
ALTER TABLE events RENAME TO events_old;
CREATE TABLE events (id bigint PRIMARY KEY, body text, extra int);
ALTER TABLE events_old RENAME TO events_older;
CREATE VIEW events_old AS SELECT 1 AS one;
COMMIT;
`;

for (const { name, open } of sqlEngines()) {
  describe(`a table swapped for a new one under its name, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    it('MG213 names the columns the new table lacks, which the running queries then fail on', async () => {
      const files = { '1.sql': before, '2.sql': swap };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG213').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`)).toEqual([
        '4 renaming table jobs to jobs_legacy and creating a new jobs without its columns queue_name and run_at breaks every running query that names them, the moment this commits: the old name now stands for the new table',
      ]);
      await db.run(before);
      const running = ['SELECT id, queue_name FROM jobs', 'SELECT run_at FROM jobs', 'SELECT payload FROM jobs', 'SELECT body FROM events'];
      for (const q of running) await db.run(q);
      await db.run(swap);
      await expect(db.run(running[0]!)).rejects.toThrow(/column "queue_name" does not exist/);
      await expect(db.run(running[1]!)).rejects.toThrow(/column "run_at" does not exist/);
      await db.run(running[2]!);
      await db.run(running[3]!);
    });
  });
}

describe('a table dropped after an INSERT ... SELECT copied its rows (MG214)', () => {
  const lintMg214 = async (files: Record<string, string>) => {
    await loadSqlParser();
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message}`);
  };
  const old = 'CREATE TABLE assets (id bigint PRIMARY KEY, name text, amount int);\n';

  it('every column copied (a table rebuilt, as SQLite-minded migrations do): a note, no data is lost', async () => {
    const rebuild = 'CREATE TABLE new_assets (id bigint PRIMARY KEY, name text NOT NULL, amount bigint);\nINSERT INTO new_assets (id, name, amount) SELECT id, name, amount::bigint FROM assets;\nDROP TABLE assets;\nALTER TABLE new_assets RENAME TO assets;\n';
    expect(await lintMg214({ '1.sql': old, '2.sql': rebuild })).toEqual(['2.sql:3 info this statement drops table assets, whose every row was copied into new_assets first: no data is lost']);
    expect(await lintMg214({ '1.sql': old, '2.sql': rebuild.replace('(id, name, amount) SELECT id, name, amount::bigint', 'SELECT *') })).toEqual(['2.sql:3 info this statement drops table assets, whose every row was copied into new_assets first: no data is lost']);
  });

  it('some columns left out: a warning naming them; a copy with a WHERE, or rows written after it, is no copy of every row', async () => {
    const partial = 'CREATE TABLE new_assets (id bigint PRIMARY KEY, name text);\nINSERT INTO new_assets (id, name) SELECT id, name FROM assets;\nDROP TABLE assets;\n';
    expect(await lintMg214({ '1.sql': old, '2.sql': partial })).toEqual(['2.sql:3 warning this statement drops table assets (its rows were copied into new_assets first, without its column amount, lost with it)']);
    const plain = '2.sql:3 warning this statement drops table assets';
    expect(await lintMg214({ '1.sql': old, '2.sql': partial.replace('FROM assets;', 'FROM assets WHERE amount > 0;') })).toEqual([plain]);
    expect(await lintMg214({ '1.sql': old, '2.sql': partial.replace('DROP TABLE', "INSERT INTO assets VALUES (9, 'late', 1);\nDROP TABLE") })).toEqual([plain.replace(':3', ':4')]);
    expect(await lintMg214({ '1.sql': old, '2.sql': partial.replace('DROP TABLE', 'DELETE FROM new_assets WHERE id = 1;\nDROP TABLE') })).toEqual([plain.replace(':3', ':4')]);
  });

  it('copies through an expression that keeps values apart, of the non-NULL values, or into another table are copies; a division or another WHERE is not (the twenty-fourth trial\'s A)', async () => {
    const base = 'CREATE TABLE files (id bigint PRIMARY KEY, size int, sort_order int, user_id uuid, tokens int, other int, x int, kind text);\nCREATE TABLE usage (file_id bigint, tokens int, other int);\n';
    const changes = [
      'ALTER TABLE files ADD COLUMN size_bytes bigint, ADD COLUMN display_order text, ADD COLUMN owner_id text, ADD COLUMN half int;',
      'UPDATE files SET size_bytes = size * 1024;',
      'ALTER TABLE files DROP COLUMN size;',
      "UPDATE files SET display_order = 'a' || sort_order::text;",
      'ALTER TABLE files DROP COLUMN sort_order;',
      'UPDATE files SET owner_id = user_id WHERE user_id IS NOT NULL;',
      'ALTER TABLE files DROP COLUMN user_id;',
      'INSERT INTO usage (file_id, tokens, other) SELECT id, tokens, other FROM files WHERE tokens IS NOT NULL OR other IS NOT NULL;',
      'ALTER TABLE files DROP COLUMN tokens;',
      'ALTER TABLE files DROP COLUMN kind;',
      'UPDATE files SET half = x / 2;',
      'ALTER TABLE files DROP COLUMN x;',
    ];
    expect(await lintMg214({ '1.sql': base, '2.sql': `${changes.join('\n')}\n` })).toEqual([
      '2.sql:3 info this statement drops column files.size, whose every value an UPDATE copied into size_bytes (through an expression that keeps every value apart): no data is lost',
      '2.sql:5 info this statement drops column files.sort_order, whose every value an UPDATE copied into display_order (through an expression that keeps every value apart): no data is lost',
      '2.sql:7 info this statement drops column files.user_id, whose every value an UPDATE copied into owner_id: no data is lost',
      '2.sql:9 info this statement drops column files.tokens, whose every value was copied into usage first: no data is lost',
      // Not among the columns copied; nor is a value halved.
      '2.sql:10 warning this statement drops column files.kind',
      // Halved: computed from it, not a copy.
      '2.sql:12 warning this statement drops column files.x (an UPDATE computed half from its every value first: what the expression leaves out of it is lost)',
    ]);
    // Times zero, another WHERE, or a NOT NULL test joined by AND (a row left out may hold a value): no copy.
    const noCopy = [['UPDATE files SET half = size * 0;', 'size'], ['UPDATE files SET half = x WHERE x > 0;', 'x'], ['UPDATE files SET half = x WHERE x IS NOT NULL AND size IS NOT NULL;', 'x']];
    for (const [update, column] of noCopy) {
      const found = await lintMg214({ '1.sql': base, '2.sql': `ALTER TABLE files ADD COLUMN half int;\n${update}\nALTER TABLE files DROP COLUMN ${column};\n` });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^2\\.sql:3 warning this statement drops column files\\.${column}( \\(an UPDATE computed half from its every value first: what the expression leaves out of it is lost\\))?$`));
    }
    // Rows written to the original after the copy into another table end it.
    expect(await lintMg214({ '1.sql': base, '2.sql': 'INSERT INTO usage (file_id, tokens) SELECT id, tokens FROM files;\nINSERT INTO files (id, tokens) VALUES (9, 1);\nALTER TABLE files DROP COLUMN tokens;\n' })).toEqual(['2.sql:3 warning this statement drops column files.tokens']);
  });

  it('a column an UPDATE computed another from, through an expression, then dropped: the warning says where its values went (shelf)', async () => {
    const base = 'CREATE TABLE t (id int PRIMARY KEY, b text, c text, j jsonb);\n';
    expect(await lintMg214({ '1.sql': base, '2.sql': "UPDATE t SET j = jsonb_build_object('raw', b::text);\nALTER TABLE t DROP COLUMN b;\n" })).toEqual([
      '2.sql:1 warning this statement updates every row of t, overwriting j',
      '2.sql:2 warning this statement drops column t.b (an UPDATE computed j from its every value first: what the expression leaves out of it is lost)',
    ]);
    // An expression of two columns, or a WHERE that leaves rows out, is no such fill; nor is one written to again.
    for (const update of ["UPDATE t SET j = jsonb_build_object('b', b, 'c', c);", "UPDATE t SET j = to_jsonb(b) WHERE c = 'x';", "UPDATE t SET j = to_jsonb(b);\nUPDATE t SET b = 'y';"]) {
      expect((await lintMg214({ '1.sql': base, '2.sql': `${update}\nALTER TABLE t DROP COLUMN b;\n` })).at(-1)).toMatch(/drops column t\.b$/);
    }
  });

  it('a serial key left out of the copy, where the new table numbers its rows with a serial of its own: numbered anew, a note (firefly)', async () => {
    const serial = 'CREATE TABLE messages (seq serial PRIMARY KEY, message_id uuid NOT NULL, body text);\n';
    const rebuild = (newTable: string) => `BEGIN;\nALTER TABLE messages RENAME TO messages_old;\n${newTable}\nINSERT INTO messages (message_id, body) SELECT message_id, body FROM messages_old;\nDROP TABLE messages_old;\nCOMMIT;\n`;
    expect(await lintMg214({ '1.sql': serial, '2.sql': rebuild('CREATE TABLE messages (seq serial PRIMARY KEY, ns text, message_id uuid NOT NULL, body text);') })).toEqual([
      "2.sql:5 info this statement drops table messages_old, whose every row was copied into messages first (its column seq numbered anew by messages's own sequence: the old numbers are gone): no data is lost",
    ]);
    // A new table whose seq is a plain column (or has no seq): the old numbers are lost with the table.
    expect(await lintMg214({ '1.sql': serial, '2.sql': rebuild('CREATE TABLE messages (seq int, ns text, message_id uuid NOT NULL, body text);') })).toEqual([
      '2.sql:5 warning this statement drops table messages_old (its rows were copied into messages first, without its column seq, lost with it)',
    ]);
    // Another table references the old numbers: they are lost to it.
    const referenced = `${serial}CREATE TABLE reads (message_seq int REFERENCES messages (seq));\n`;
    expect(await lintMg214({ '1.sql': referenced, '2.sql': rebuild('CREATE TABLE messages (seq serial PRIMARY KEY, ns text, message_id uuid NOT NULL, body text);').replace('DROP TABLE messages_old;', 'DROP TABLE messages_old CASCADE;') })).toEqual([
      '2.sql:5 warning this statement drops table messages_old (its rows were copied into messages first, without its column seq, lost with it)',
    ]);
  });

  it('a call migc cannot read into before the copy: counted, and the note says which columns it knows; one after it ends the copy (latitude)', async () => {
    const call = 'CREATE FUNCTION mk(d date) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN EXECUTE format(\'CREATE TABLE IF NOT EXISTS %I (id int)\', \'p_\' || to_char(d, \'YYYY_MM\')); END $f$;\n';
    const copy = 'CREATE TABLE new_assets (id bigint PRIMARY KEY, name text, amount int);\nINSERT INTO new_assets SELECT * FROM assets;\n';
    expect(await lintMg214({ '1.sql': old, '2.sql': `${call}DO $$ BEGIN PERFORM mk(current_date); END $$;\n${copy}DROP TABLE assets;\n` })).toEqual([
      '2.sql:5 info this statement drops table assets, whose every row was copied into new_assets first (every column migc knows of: a statement before the copy that migc cannot read into, such as a call of a function that runs dynamic SQL, may have added another): no data migc knows of is lost',
    ]);
    expect(await lintMg214({ '1.sql': old, '2.sql': `${call}${copy}DO $$ BEGIN PERFORM mk(current_date); END $$;\nDROP TABLE assets;\n` })).toEqual(['2.sql:5 warning this statement drops table assets']);
  });
});

it('a column or table dropped after the same transaction emptied its table: the DELETE was the loss, and is the finding (Langfuse)', async () => {
  await loadSqlParser();
  const files = {
    '1.sql': 'CREATE TABLE memberships (id bigint PRIMARY KEY, role text);\nCREATE TABLE logs (id bigint PRIMARY KEY);\n',
    '2.sql': 'BEGIN;\nDELETE FROM memberships;\nALTER TABLE memberships DROP COLUMN role;\nTRUNCATE logs;\nDROP TABLE logs;\nCOMMIT;\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`)).toEqual([
    '2 this statement deletes every row of memberships',
    '4 this statement truncates logs',
  ]);
});

it('a CREATE TABLE AS backup is a copy; a rollback that rebuilds a table without its up\'s column, or drops the up\'s table under another name, loses nothing from before the up (taproot-assets)', async () => {
  await loadSqlParser();
  const files = {
    '000001_base.up.sql': 'CREATE TABLE forwards (id bigint PRIMARY KEY, amt int);\nCREATE TABLE policies (id bigint PRIMARY KEY, rfq text);\n',
    '000001_base.down.sql': 'DROP TABLE forwards;\nDROP TABLE policies;\n',
    '000002_max.up.sql': 'ALTER TABLE policies ADD COLUMN max_amt bigint;\nCREATE TEMP TABLE forwards_backup AS SELECT * FROM forwards;\nDROP TABLE forwards;\nCREATE TABLE forwards (id bigint PRIMARY KEY, amt int);\nINSERT INTO forwards SELECT * FROM forwards_backup;\n',
    '000002_max.down.sql': 'ALTER TABLE policies RENAME TO policies_old;\nCREATE TABLE policies (id bigint PRIMARY KEY, rfq text);\nINSERT INTO policies (id, rfq) SELECT id, rfq FROM policies_old;\nDROP TABLE policies_old;\n',
    '000003_new.up.sql': 'CREATE TABLE extra (id bigint PRIMARY KEY);\n',
    '000003_new.down.sql': 'ALTER TABLE extra RENAME TO extra_gone;\nDROP TABLE extra_gone;\n',
  };
  const result = await lint({ files: Object.keys(files), fileQueryString: true }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message}`)).toEqual([
    '000002_max.up.sql:3 info this statement drops table forwards, whose every row was copied into forwards_backup first: no data is lost',
    '000002_max.down.sql:4 info this statement drops table policies_old, whose every row was copied into policies first: no data is lost',
  ]);
});

it('a table renamed in the transaction keeps the locks taken on it before: a LOCK TABLE before the copy-and-swap is the one MG217 would name, and it is told by MG223', async () => {
  await loadSqlParser();
  const lockFirst = { '1.sql': before, '2.sql': swap };
  const renameFirst = { '1.sql': before, '2.sql': swap.replace('LOCK TABLE jobs;\n', '') };
  const found = async (files: Record<string, string>) => (await lint({ files: Object.keys(files) }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG217' || d.code === 'MG223').map((d) => `${d.code} ${d.message}`);
  const locked = await found(lockFirst);
  expect(locked).toHaveLength(1);
  expect(locked[0]).toMatch(/^MG223 LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE holds its lock until the transaction ends/);
  expect((await found(renameFirst)).filter((f) => f.startsWith('MG217 INSERT reads jobs_legacy'))).toHaveLength(1);
  expect((await found(renameFirst)).find((f) => f.startsWith('MG217 INSERT reads jobs_legacy'))).toMatch(/the ACCESS EXCLUSIVE lock ALTER TABLE jobs RENAME \(line 3\) took/);
});

it('a table emptied and refilled from another later in the transaction: MG214 says from which (ListenBrainz\'s oauth tokens, the sixteenth trial\'s C)', async () => {
  await loadSqlParser();
  const files = {
    '1.sql': 'CREATE TABLE spotify_auth (user_id int, token text);\nCREATE TABLE oauth (user_id int, token text);\n',
    '2.sql': 'BEGIN;\nTRUNCATE TABLE oauth;\nINSERT INTO oauth (user_id, token) SELECT user_id, token FROM spotify_auth;\nCOMMIT;\nTRUNCATE TABLE oauth;\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`)).toEqual([
    '2 this statement truncates oauth (refilled from spotify_auth later in the transaction: what was written to it otherwise is lost)',
    '5 this statement truncates oauth',
  ]);
});

it('a table emptied and filled again from a copy of its every row the transaction took first loses nothing: a note (WebAPI\'s dedupe, the nineteenth trial\'s H)', async () => {
  await loadSqlParser();
  const schema = 'CREATE TABLE cc_cohort (cc_id int, cohort_id int);\n';
  const dedupe = 'BEGIN;\nSELECT DISTINCT cc_id, cohort_id INTO cc_tmp FROM cc_cohort;\nDELETE FROM cc_cohort;\nINSERT INTO cc_cohort SELECT cc_id, cohort_id FROM cc_tmp;\nDROP TABLE cc_tmp;\nCOMMIT;\n';
  const mg214 = async (second: string) => {
    const files = { '1.sql': schema, '2.sql': second };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message} | ${d.help}`);
  };
  expect(await mg214(dedupe)).toEqual([
    '3 info this statement deletes every row of cc_cohort, whose every row was copied into cc_tmp first (one of each duplicate) and is put back from it later in the transaction: no data is lost | Nothing to do: the transaction commits whole, so readers see the table as it was or as it is after.',
  ]);
  // A copy of some columns, a copy taken with DISTINCT ON (one row of each group), or no transaction around them: the loss is told.
  expect((await mg214(dedupe.replace('DISTINCT cc_id, cohort_id', 'cc_id'))).map((f) => f.split(' | ')[0])).toEqual(['3 warning this statement deletes every row of cc_cohort (refilled from cc_tmp later in the transaction: what was written to it otherwise is lost)']);
  expect((await mg214(dedupe.replace('DISTINCT', 'DISTINCT ON (cc_id)'))).map((f) => f.split(' ')[1])).toEqual(['warning']);
  expect((await mg214(dedupe.replace('BEGIN;\n', '').replace('COMMIT;\n', ''))).map((f) => f.split(' ')[1])).toEqual(['warning']);
});

it('a table whose rows went whole into a value of another (json_agg(st)) loses nothing when dropped: a note (the twentieth trial\'s pocket-id)', async () => {
  await loadSqlParser();
  const schema = 'CREATE TABLE kv (key text PRIMARY KEY, value text);\nCREATE TABLE signup_tokens (id int PRIMARY KEY, token text);\n';
  const mg214 = async (copy: string) => {
    const files = { '1.sql': schema, '2.sql': `BEGIN;\n${copy}\nDROP TABLE signup_tokens;\nCOMMIT;\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.severity} ${d.message}`);
  };
  expect(await mg214("INSERT INTO kv (key, value) SELECT 'signup_tokens_migrated', json_agg(st)::text FROM signup_tokens st HAVING count(*) > 0;")).toEqual(['info this statement drops table signup_tokens, whose every row was copied into kv first: no data is lost']);
  expect(await mg214("INSERT INTO kv (key, value) SELECT 'token:' || id, to_jsonb(signup_tokens)::text FROM signup_tokens;")).toEqual(['info this statement drops table signup_tokens, whose every row was copied into kv first: no data is lost']);
  // A column of it only, or a HAVING over a count of a column copied, is no copy of every row.
  expect(await mg214("INSERT INTO kv (key, value) SELECT 'tokens', json_agg(token) FROM signup_tokens HAVING count(*) > 0;")).toEqual(['warning this statement drops table signup_tokens']);
});

it('an UPDATE that sets constants on a table whose only row the files put there (a version stamp) is a note (the twenty-first trial\'s tt-rss: 140 warnings)', async () => {
  await loadSqlParser();
  const mg214 = async (seed: string, update = 'UPDATE ttrss_version SET schema_version = 2;') => {
    const files = { '1.sql': `CREATE TABLE ttrss_version (schema_version integer NOT NULL);\n${seed}`, '2.sql': `${update}\n` };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.severity} ${d.message}`);
  };
  expect(await mg214('INSERT INTO ttrss_version VALUES (0);\n')).toEqual(['info this statement updates every row of ttrss_version (its one row, the only one the files put in it, set to constants), overwriting schema_version']);
  // Two rows, rows from a query, a value computed from the row, or none put there at all: the warning.
  const warned = ['warning this statement updates every row of ttrss_version, overwriting schema_version'];
  expect(await mg214('INSERT INTO ttrss_version VALUES (0), (1);\n')).toEqual(warned);
  expect(await mg214('INSERT INTO ttrss_version SELECT 0 FROM pg_class;\n')).toEqual(warned);
  expect(await mg214('INSERT INTO ttrss_version VALUES (0);\n', 'UPDATE ttrss_version SET schema_version = schema_version + 1;')).toEqual(['warning this statement updates every row of ttrss_version, rewriting schema_version from its own value']);
  expect(await mg214('')).toEqual(warned);
  // A table of several columns seeded with one row (an admin user): an UPDATE of some of its columns overwrites what the application wrote since.
  const users = { '1.sql': "CREATE TABLE users (id int PRIMARY KEY, role text);\nINSERT INTO users VALUES (1, 'admin');\n", '2.sql': "UPDATE users SET role = 'member';\n" };
  const seeded = await lint({ files: Object.keys(users) }, memoryHost(users));
  expect(seeded.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.severity} ${d.message}`)).toEqual(['warning this statement updates every row of users, overwriting role']);
});

it('the same constants set on the same columns of every row as an earlier file did are told once, at the first (the twenty-first trial\'s tt-rss: a version bump in 140 files)', async () => {
  await loadSqlParser();
  const files = {
    '3.sql': 'UPDATE ttrss_version SET schema_version = 3;\n',
    '4.sql': 'UPDATE ttrss_version SET schema_version = 4;\n',
    '5.sql': 'UPDATE ttrss_version SET schema_version = schema_version + 1;\nUPDATE ttrss_entries SET lang = \'\';\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file} ${d.severity} ${d.message}`)).toEqual([
    '3.sql warning this statement updates every row of ttrss_version, overwriting schema_version',
    '4.sql info this statement updates every row of ttrss_version, overwriting schema_version (to constants, as 3.sql did: told there)',
    // A value computed from the row, or another table: told as before.
    '5.sql warning this statement updates every row of ttrss_version, rewriting schema_version from its own value',
    '5.sql warning this statement updates every row of ttrss_entries, overwriting lang',
  ]);
});

it('MG112 tells the same repeated version bump once too, at the first (the twenty-second trial\'s R1: tt-rss, 140 warnings)', async () => {
  await loadSqlParser();
  const files = {
    '3.sql': 'UPDATE ttrss_version SET schema_version = 3;\n',
    '4.sql': 'UPDATE ttrss_version SET schema_version = 4;\n',
    '5.sql': 'UPDATE ttrss_version SET schema_version = schema_version + 1;\nUPDATE ttrss_version SET schema_version = 6 WHERE schema_version = 5;\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG112').map((d) => `${d.file} ${d.severity} ${d.message.replace(/^UPDATE over ttrss_version \(no size hint: assumed large\) in one statement holds row locks on every row it touches until it commits/, '…')}`)).toEqual([
    '3.sql warning …',
    '4.sql info … (constants on the same columns of every row, as 3.sql set: told there)',
    // A value computed from the row, or a WHERE (here on one column's constant: a note, as before): told as before.
    '5.sql warning …',
    '5.sql info UPDATE of ttrss_version by constant values of schema_version is taken for a change of a few rows by key (migc has not seen the keys of ttrss_version)',
  ]);
});

it('a DELETE of a live table says what ON DELETE CASCADE takes with it, at any depth (the fortieth trial\'s A: readur\'s failed documents)', async () => {
  await loadSqlParser();
  const files = {
    '1.sql': 'CREATE TABLE documents (id int PRIMARY KEY, status text);\nCREATE TABLE labels (document_id int REFERENCES documents (id) ON DELETE CASCADE);\nCREATE TABLE notes (document_id int REFERENCES documents (id));\nCREATE TABLE pages (id int PRIMARY KEY, document_id int REFERENCES documents (id) ON DELETE CASCADE);\nCREATE TABLE words (page_id int REFERENCES pages (id) ON DELETE CASCADE);\n',
    '2.sql': "DELETE FROM documents WHERE status = 'failed';\nDELETE FROM notes WHERE document_id = 1;\nDELETE FROM pages WHERE id > 10;\n",
    // New in the same migration: its children hold no row yet.
    '3.sql': "CREATE TABLE drafts (id int PRIMARY KEY);\nCREATE TABLE draft_parts (draft_id int REFERENCES drafts (id) ON DELETE CASCADE);\nDELETE FROM drafts WHERE id = 1;\n",
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.message}`)).toEqual([
    '2.sql:1 warning this statement deletes, through ON DELETE CASCADE, the rows of labels, pages and words that reference the rows it deletes',
    '2.sql:3 warning this statement deletes, through ON DELETE CASCADE, the rows of words that reference the rows it deletes',
  ]);
});
