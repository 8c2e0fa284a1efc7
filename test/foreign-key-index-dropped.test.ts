import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG230 also reports the statement that removes the last index serving a foreign key that stays:
 * DROP INDEX, DROP CONSTRAINT of the PRIMARY KEY or UNIQUE constraint whose index served it, DROP
 * COLUMN of another column of that index. Judged once the run has ended, as the keys of new
 * tables are: an index a later statement or file builds serves the key again. Renames of the
 * index (ALTER INDEX, ALTER TABLE ... RENAME of an index, RENAME CONSTRAINT, ADD ... USING INDEX),
 * of the table and of its columns are followed, so a later drop finds the index under its name.
 *
 * Each history runs on the engines, statement by statement (CONCURRENTLY runs only outside a
 * transaction block); the keys no non-partial index serves once it has run are exactly those
 * MG230 reports, and each is reported where the history says.
 */
const base = "SET lock_timeout = '5s';\nCREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, placed_at timestamptz, note text);\n";
/** orders (user_id) references users, served by orders_user_id_idx: a table an earlier migration created, indexed before its key. */
const keyed = "SET lock_timeout = '5s';\nCREATE INDEX orders_user_id_idx ON orders (user_id);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n";

const histories: { name: string; files: string[]; at: string[] }[] = [
  { name: 'DROP INDEX of the last index on the key', files: [keyed, 'DROP INDEX orders_user_id_idx;'], at: ['002.sql:2'] },
  { name: 'DROP INDEX CONCURRENTLY, then CREATE INDEX CONCURRENTLY on the same columns in the next file', files: [keyed, 'DROP INDEX CONCURRENTLY orders_user_id_idx;', 'CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);'], at: [] },
  { name: 'DROP INDEX of one of two indexes that serve the key', files: [`${keyed}CREATE INDEX orders_user_placed_idx ON orders (user_id, placed_at);`, 'DROP INDEX orders_user_id_idx;'], at: [] },
  { name: 'replaced by a partial index on another condition', files: [keyed, 'DROP INDEX orders_user_id_idx;\nCREATE INDEX orders_user_recent_idx ON orders (user_id) WHERE placed_at IS NOT NULL;'], at: ['002.sql:2'] },
  { name: 'DROP COLUMN of another column of the index: PostgreSQL drops the index, the key stays', files: ["SET lock_timeout = '5s';\nCREATE INDEX orders_user_placed_idx ON orders (user_id, placed_at);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);", 'ALTER TABLE orders DROP COLUMN note, DROP COLUMN placed_at;'], at: ['002.sql:2'] },
  { name: 'DROP COLUMN of the key\'s column: the key goes too', files: [keyed, 'ALTER TABLE orders DROP COLUMN user_id;'], at: [] },
  { name: 'DROP CONSTRAINT of the UNIQUE constraint whose index served the key', files: ["SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_note_key UNIQUE (user_id, note);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);", 'ALTER TABLE orders DROP CONSTRAINT orders_user_note_key;'], at: ['002.sql:2'] },
  { name: 'the primary key dropped and added again on other leading columns', files: ["SET lock_timeout = '5s';\nCREATE TABLE members (user_id bigint, team bigint, PRIMARY KEY (user_id, team));", 'ALTER TABLE members ADD CONSTRAINT members_user_fk FOREIGN KEY (user_id) REFERENCES users (id);', 'ALTER TABLE members DROP CONSTRAINT members_pkey, ADD PRIMARY KEY (team, user_id);'], at: ['003.sql:2'] },
  { name: 'the primary key dropped, and added again as it was in a later file', files: ["SET lock_timeout = '5s';\nCREATE TABLE members (user_id bigint, team bigint, PRIMARY KEY (user_id, team));", 'ALTER TABLE members ADD CONSTRAINT members_user_fk FOREIGN KEY (user_id) REFERENCES users (id);', 'ALTER TABLE members DROP CONSTRAINT members_pkey;', 'ALTER TABLE members ADD PRIMARY KEY (user_id, team);'], at: [] },
  { name: 'the key dropped in a later file', files: [keyed, 'DROP INDEX orders_user_id_idx;', 'ALTER TABLE orders DROP CONSTRAINT orders_user_fk;'], at: [] },
  { name: 'ALTER INDEX ... RENAME, then DROP INDEX of the new name', files: [`${keyed}ALTER INDEX orders_user_id_idx RENAME TO orders_by_user;`, 'DROP INDEX orders_by_user;'], at: ['002.sql:2'] },
  { name: 'ALTER INDEX ... RENAME, then DROP INDEX IF EXISTS of the old name: nothing dropped', files: [`${keyed}ALTER INDEX orders_user_id_idx RENAME TO orders_by_user;`, 'DROP INDEX IF EXISTS orders_user_id_idx;'], at: [] },
  { name: 'ALTER TABLE ... RENAME of the index, then DROP INDEX of the new name', files: [`${keyed}ALTER TABLE orders_user_id_idx RENAME TO orders_by_user;`, 'DROP INDEX orders_by_user;'], at: ['002.sql:2'] },
  { name: 'RENAME CONSTRAINT of a UNIQUE constraint renames its index: DROP INDEX of the old name drops nothing', files: ["SET lock_timeout = '5s';\nALTER TABLE orders ADD CONSTRAINT orders_user_note_key UNIQUE (user_id, note);\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE orders RENAME CONSTRAINT orders_user_note_key TO orders_user_note_unique;", 'DROP INDEX IF EXISTS orders_user_note_key;', 'ALTER TABLE orders DROP CONSTRAINT orders_user_note_unique;'], at: ['003.sql:2'] },
  { name: 'ADD CONSTRAINT ... USING INDEX gives the index the constraint\'s name', files: ["SET lock_timeout = '5s';\nCREATE UNIQUE INDEX orders_user_id_id_idx ON orders (user_id, id);\nALTER TABLE orders ADD CONSTRAINT orders_user_id_id_key UNIQUE USING INDEX orders_user_id_id_idx;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);", 'DROP INDEX IF EXISTS orders_user_id_id_idx;', 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_id_key;'], at: ['003.sql:2'] },
  { name: 'the table and the column renamed, then the index dropped', files: [keyed, 'ALTER TABLE orders RENAME TO purchases;\nALTER TABLE purchases RENAME COLUMN user_id TO buyer_id;', 'DROP INDEX orders_user_id_idx;'], at: ['003.sql:2'] },
  { name: 'the key\'s column renamed, then dropped: the key and its index go together', files: [keyed, 'ALTER TABLE orders RENAME COLUMN user_id TO buyer_id;', 'ALTER TABLE orders DROP COLUMN buyer_id;'], at: [] },
  { name: 'the key\'s column renamed, indexed anew under its new name, then that index\'s other column dropped', files: [keyed, 'ALTER TABLE orders RENAME COLUMN user_id TO buyer_id;\nCREATE INDEX orders_buyer_placed_idx ON orders (buyer_id, placed_at);\nDROP INDEX orders_user_id_idx;', 'ALTER TABLE orders DROP COLUMN placed_at;'], at: ['003.sql:2'] },
  { name: 'a new table\'s key whose index is dropped is reported once, where the table declares it', files: ["SET lock_timeout = '5s';\nCREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX invoices_user_id_idx ON invoices (user_id);", 'DROP INDEX invoices_user_id_idx;'], at: ['001.sql:2'] },
  // Unnamed indexes and keys, dropped by the names PostgreSQL gave them (src/sql/generated-names.ts).
  { name: 'an unnamed index dropped by the name PostgreSQL gave it', files: ['CREATE INDEX ON orders (user_id);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);', 'DROP INDEX orders_user_id_idx;'], at: ['002.sql:2'] },
  { name: 'two unnamed indexes of one column: the second is numbered, and dropping it leaves the first', files: ['CREATE INDEX ON orders (user_id);\nCREATE INDEX ON orders (user_id);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);', 'DROP INDEX orders_user_id_idx1;'], at: [] },
  { name: 'two unnamed indexes of one column, both dropped', files: ['CREATE INDEX ON orders (user_id);\nCREATE INDEX ON orders (user_id);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);', 'DROP INDEX orders_user_id_idx, orders_user_id_idx1;'], at: ['002.sql:2'] },
  { name: 'a long table\'s unnamed index and key, under names cut to 63 bytes: the index dropped, then the key', files: ['CREATE TABLE order_line_items_kept_for_the_quarterly_tax_reports (id bigint PRIMARY KEY, purchasing_user_id bigint REFERENCES users (id));\nCREATE INDEX ON order_line_items_kept_for_the_quarterly_tax_reports (purchasing_user_id);', 'DROP INDEX order_line_items_kept_for_the_quarterly__purchasing_user_id_idx;', 'ALTER TABLE order_line_items_kept_for_the_quarterly_tax_reports DROP CONSTRAINT order_line_items_kept_for_the_quarterly_purchasing_user_id_fkey;'], at: [] },
  { name: 'a long table\'s unnamed index dropped, its key kept', files: ['CREATE TABLE order_line_items_kept_for_the_quarterly_tax_reports (id bigint PRIMARY KEY, purchasing_user_id bigint REFERENCES users (id));\nCREATE INDEX ON order_line_items_kept_for_the_quarterly_tax_reports (purchasing_user_id);', 'DROP INDEX order_line_items_kept_for_the_quarterly__purchasing_user_id_idx;'], at: ['001.sql:2'] },
];

const unindexedKeys = `
  SELECT c.conrelid::regclass::text || ' (' || (SELECT string_agg(a.attname, ', ' ORDER BY array_position(c.conkey, a.attnum)) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) || ')' AS key
  FROM pg_constraint c
  WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid AND i.indpred IS NULL AND i.indnkeyatts >= cardinality(c.conkey)
        AND (SELECT array_agg(k ORDER BY k) FROM unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) k) = (SELECT array_agg(k ORDER BY k) FROM unnest(c.conkey) k))
  ORDER BY 1`;

async function lintHistory(files: readonly string[]) {
  await loadSqlParser();
  const texts = [base, ...files.map((f) => (f.startsWith('SET ') ? `${f}\n` : `SET lock_timeout = '5s';\n${f}\n`))];
  const named = Object.fromEntries(texts.map((t, i) => [`${String(i).padStart(3, '0')}.sql`, t]));
  return { texts, result: await lint({ files: Object.keys(named) }, memoryHost(named)) };
}

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG230 on an index dropped under a foreign key, against ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it.each(histories)('$name', async ({ files, at }) => {
      const { texts, result } = await lintHistory(files);
      const mg230 = result.diagnostics.filter((d) => d.code === 'MG230');
      expect(mg230.map((d) => `${d.file}:${result.sources.get(d.file!)!.position(d.span!.start).line}`)).toEqual(at);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      for (const text of texts) {
        const parsed = parseSql(text);
        if (!parsed.ok) throw new Error(parsed.message);
        for (const s of parsed.statements) await db.run(s.text);
      }
      const reported = mg230.map((d) => d.message.replace(/ references .*/, ''));
      expect(reported.sort()).toEqual(rowsOf(await db.run(unindexedKeys)).map((r) => String(r.key)).sort());
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG230 on an index dropped under a foreign key, in the rule\'s words', () => {
  it('names the index removed, and the replacement the help builds has a free name (the dropped one is still there before the drop)', async () => {
    const { result } = await lintHistory([keyed, 'DROP INDEX orders_user_id_idx;']);
    expect(result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.message} | ${d.help}`)).toEqual([
      'orders (user_id) references users, and DROP INDEX removes orders_user_id_idx, its last index on (user_id); none is built again by the time the files linted have run: every DELETE on users, and every UPDATE of its key, scans orders | Build the replacement before the drop: DROP INDEX CONCURRENTLY IF EXISTS orders_user_id_idx1; CREATE INDEX CONCURRENTLY orders_user_id_idx1 ON orders (user_id); (or drop the foreign key too, if nothing needs it).',
    ]);
  });

  it('a DO block after the drop that builds the index from a constant is read: the drop is not reported', async () => {
    const { result } = await lintHistory([keyed, 'DROP INDEX orders_user_id_idx;', "DO $$ BEGIN EXECUTE 'CREATE INDEX orders_user_id_idx ON orders (user_id)'; END $$;"]);
    expect(result.diagnostics.filter((d) => d.code === 'MG230')).toEqual([]);
  });

  it('a DO block after the drop whose SQL is built as it runs may build the index unseen: the drop is reported, and says so', async () => {
    const { result } = await lintHistory([keyed, 'DROP INDEX orders_user_id_idx;', "DO $$ DECLARE r record; BEGIN FOR r IN SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' AND column_name LIKE '%_id' LOOP EXECUTE format('CREATE INDEX ON orders (%I)', r.column_name); END LOOP; END $$;"]);
    expect(result.diagnostics.filter((d) => d.code === 'MG230').map((d) => `${d.severity} ${d.message}`)).toEqual([
      'warning orders (user_id) references users, and DROP INDEX removes orders_user_id_idx, its last index on (user_id); none is seen built again by the time the files linted have run, though a statement after it that migc cannot read through (a CALL, a call of a function the files do not define, a DO block or function body whose SQL is built as it runs) may have built one or dropped the key: if none did, every DELETE on users, and every UPDATE of its key, scans orders',
    ]);
  });

  it('a drop in a rollback is not reported: its changes are undone before the run ends', async () => {
    await loadSqlParser();
    const files = { '000_base.up.sql': base, '001_key.up.sql': keyed, '001_key.down.sql': "SET lock_timeout = '5s';\nDROP INDEX orders_user_id_idx;\n" };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG230')).toEqual([]);
  });
});

describe.each(sqlEngines())('a DROP INDEX of a constraint\'s index is refused and changes nothing, on $name', (engineSpec) => {
  let db: SqlEngine;
  beforeAll(async () => {
    db = await engineSpec.open();
  });
  afterAll(() => db?.close());

  // The key's index is its UNIQUE constraint's (unnamed: PostgreSQL's name), or a primary key's.
  const cases = [
    { name: 'a UNIQUE constraint\'s', setup: 'CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), UNIQUE (user_id, id));', drop: 'DROP INDEX invoices_user_id_id_key;' },
    { name: 'a primary key\'s', setup: 'CREATE TABLE memberships (user_id bigint REFERENCES users (id), team bigint, PRIMARY KEY (user_id, team));', drop: 'DROP INDEX memberships_pkey;' },
  ];
  it.each(cases)('$name: the key it serves stays served, and MG230 says nothing', async ({ setup, drop }) => {
    const { texts, result } = await lintHistory([setup, drop]);
    expect(result.diagnostics.filter((d) => d.code === 'MG230')).toEqual([]);
    await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    for (const text of texts.slice(0, -1)) await db.run(text);
    await expect(db.run(drop)).rejects.toThrow(/requires it/);
    expect(rowsOf(await db.run(unindexedKeys))).toEqual([]);
  });
});
