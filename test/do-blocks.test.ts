import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { doBlockBody } from '../src/sql/plpgsql.js';
import { brief, compileFiles, oneStepPlan } from './helpers.js';

/**
 * Statements inside DO blocks (src/sql/plpgsql.ts): PostgreSQL's PL/pgSQL parser reads the body,
 * and its static SQL statements are judged where they stand in the file and learnt from, in lint
 * and in plans. A block migc cannot read whole (dynamic SQL, another language, a body the parser
 * refuses) leaves the schema unknown, as any DO block did before. The blocks below run on a real
 * PostgreSQL server where the test claims what the server does.
 */

/** The tables the blocks work on, an earlier migration's: existing, so their locks matter. */
const schema = [
  'CREATE TABLE orders (id bigint NOT NULL, customer text, total numeric);',
  'CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint, sku text);',
].join('\n') + '\n';

/** A conditional primary key, as schema dumps and ORMs write it. */
const conditionalKey = `SET lock_timeout = '2s';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_pkey') THEN
    ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
  END IF;
END $$;
UPDATE orders SET total = 0 WHERE id = 7;
`;

const indexInBlock = `SET lock_timeout = '2s';
DO $$
BEGIN
  CREATE INDEX items_sku_idx ON items (sku);
END $$;
`;

const concurrentlyInBlock = `SET lock_timeout = '2s';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'items_sku_order_idx') THEN
    CREATE INDEX CONCURRENTLY items_sku_order_idx ON items (sku, order_id);
  END IF;
END $$;
`;

/** Nested blocks, an EXCEPTION handler, a FOR loop: every statement is found. */
const nested = `SET lock_timeout = '2s';
DO $$
DECLARE
  r record;
BEGIN
  BEGIN
    ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
  EXCEPTION
    WHEN duplicate_object THEN
      CREATE INDEX IF NOT EXISTS items_order_idx ON items (order_id);
  END;
  FOR r IN SELECT id FROM orders LOOP
    UPDATE items SET sku = upper(sku) WHERE order_id = r.id;
  END LOOP;
END $$;
`;

async function lintFiles(files: Record<string, string>, options: { fileTransaction?: boolean } = {}) {
  const all = { '1_schema.sql': schema, ...files };
  const result = await lint({ files: Object.keys(all), ...options }, memoryHost(all));
  return result.diagnostics.filter((d) => d.file !== '1_schema.sql').map((d) => {
    const at = result.sources.get(d.file)!.position(d.span!.start);
    const block = d.related?.[0]?.span ? result.sources.get(d.file)!.position(d.related[0].span.start).line : undefined;
    return { at: `${at.line}:${at.column}`, code: d.code, severity: d.severity, message: d.message, help: d.help ?? '', block, note: d.related?.[0]?.message };
  });
}

const short = (f: { at: string; code: string }) => `${f.at} ${f.code}`;

describe('DO blocks in lint', () => {
  it('judges a statement in an IF branch where it stands, and learns the primary key it adds', async () => {
    const found = await lintFiles({ '2_key.sql': conditionalKey });
    // The key's index is built under ACCESS EXCLUSIVE: reported at the ALTER, line 4 column 5.
    const key = found.find((f) => f.code === 'MG210');
    expect(key).toMatchObject({ at: '4:5', block: 2 });
    expect(key!.note).toContain('in a branch, loop or EXCEPTION handler');
    // The UPDATE by key is not a backfill now that the key is known (MG112 fired before).
    expect(found.map(short)).not.toContain('7:1 MG112');
  });

  it('reports CREATE INDEX in a block, with help that takes CONCURRENTLY out of the block', async () => {
    const found = await lintFiles({ '2_index.sql': indexInBlock });
    const index = found.find((f) => f.code === 'MG201');
    expect(index).toMatchObject({ at: '4:3', block: 2, note: 'inside this DO block: one statement to the server, in one transaction' });
    expect(index!.help).toContain('Inside a DO block PostgreSQL refuses CONCURRENTLY: run that statement outside the block');
  });

  it('says PostgreSQL refuses CONCURRENTLY inside a block (MG204), in or out of a transaction', async () => {
    for (const fileTransaction of [false, true]) {
      const found = await lintFiles({ '2_index.sql': concurrentlyInBlock }, { fileTransaction });
      expect(found.find((f) => f.code === 'MG204')).toMatchObject({
        at: '4:5', severity: 'error',
        message: 'CREATE INDEX CONCURRENTLY cannot run inside a DO block: PostgreSQL refuses it there (the block runs as a function, in a transaction), and the migration fails here',
      });
    }
  });

  it('finds statements in nested blocks, EXCEPTION handlers and loops', async () => {
    const found = (await lintFiles({ '2_nested.sql': nested })).map(short);
    expect(found).toContain('7:5 MG208'); // the foreign key validates items
    expect(found).toContain('10:7 MG201'); // the index built in the handler
    expect(found).toContain('13:5 MG218'); // the UPDATE in the loop, a whole-table one to migc, under the key's lock
  });

  it('takes a key equal to a variable or parameter of the body for one row, outside a loop (stacker.news\'s bump(item_id): the thirty-eighth trial\'s A)', async () => {
    const fn = (body: string, language = 'plpgsql') => `SET lock_timeout = '2s';\nCREATE FUNCTION bump(item_id bigint) RETURNS int AS $$\n${body}\n$$ LANGUAGE ${language};\nSELECT bump(27);\n`;
    const mg112 = async (sql: string) => (await lintFiles({ '2_bump.sql': sql })).filter((f) => f.code === 'MG112').length;
    expect(await mg112(fn('BEGIN UPDATE items SET sku = upper(sku) WHERE id = item_id; RETURN 0; END'))).toBe(0);
    expect(await mg112(fn('DECLARE target bigint := item_id + 1; BEGIN DELETE FROM items WHERE id = target; RETURN 0; END'))).toBe(0);
    expect(await mg112(fn('UPDATE items SET sku = upper(sku) WHERE id = item_id RETURNING 0;', 'sql'))).toBe(0);
    expect(await mg112(fn('DECLARE r record; BEGIN SELECT * INTO r FROM orders WHERE id = item_id; UPDATE items SET sku = r.customer WHERE items.id = r.id; RETURN 0; END'))).toBe(0);
    // An array variable holds any number of keys (musicbrainz's `WHERE id = any(empty_tag_ids)`); ARRAY[v] holds one.
    expect(await mg112(fn('DECLARE ids bigint[]; BEGIN SELECT array_agg(id) INTO ids FROM orders; DELETE FROM items WHERE id = any(ids); RETURN 0; END'))).toBe(1);
    expect(await mg112(fn('BEGIN DELETE FROM items WHERE id = any(ARRAY[item_id]); RETURN 0; END'))).toBe(0);
    // Not a key: every row the WHERE matches.
    expect(await mg112(fn('BEGIN UPDATE items SET sku = upper(sku) WHERE order_id = item_id; RETURN 0; END'))).toBe(1);
    // In a loop the variable takes another value each pass: the passes add up to every row.
    expect(await mg112(fn('DECLARE r record; BEGIN FOR r IN SELECT id FROM items LOOP UPDATE items SET sku = upper(sku) WHERE id = r.id; END LOOP; RETURN 0; END'))).toBe(1);
    // A column of the table qualified with its name is the column, not a variable of the same name.
    expect(await mg112(fn('BEGIN UPDATE items SET sku = upper(sku) WHERE id = items.order_id; RETURN 0; END'))).toBe(1);
  });

  it('takes a loop that commits each pass, in a block run on its own, for the batching it is: no MG112 or MG218 (the twenty-second trial\'s B)', async () => {
    // formance ledger's backfill: a key range per pass over a table of its own, a COMMIT after each.
    const committing = `SET lock_timeout = '2s';
DO $$
DECLARE _max int;
BEGIN
  ALTER TABLE items ADD COLUMN customer text;
  SELECT count(*) FROM items INTO _max;
  FOR i IN 1.._max BY 1000 LOOP
    UPDATE items SET customer = o.customer FROM orders o WHERE o.id = items.order_id AND items.id >= i;
    IF i % 2 = 0 THEN COMMIT; END IF;
  END LOOP;
END $$;
`;
    const alone = (await lintFiles({ '2_fill.sql': committing })).map(short);
    expect(alone.filter((f) => / MG(112|218)$/.test(f))).toEqual([]);
    // In the transaction a tool wraps the file in, PostgreSQL refuses the COMMIT (MG226), and the passes add up in one transaction.
    const wrapped = await lintFiles({ '2_fill.sql': committing }, { fileTransaction: true });
    // Under the ALTER TABLE's lock, the UPDATE is MG218's (its row locks add nothing: the twenty-fifth trial's A).
    expect(wrapped.map(short)).toEqual(expect.arrayContaining(['9:23 MG226', '8:5 MG218']));
    expect(wrapped.map(short)).not.toContain('8:5 MG112');
    // A loop without a COMMIT adds its passes up, alone too; without the ALTER TABLE, MG112 says so.
    const plain = (await lintFiles({ '2_fill.sql': committing.replace('IF i % 2 = 0 THEN COMMIT; END IF;', 'NULL;') })).map(short);
    expect(plain).toEqual(expect.arrayContaining(['8:5 MG218']));
    const noDdl = await lintFiles({ '2_fill.sql': committing.replace('IF i % 2 = 0 THEN COMMIT; END IF;', 'NULL;').replace('  ALTER TABLE items ADD COLUMN customer text;\n', '') });
    expect(noDdl.find((f) => f.code === 'MG112')!.message).toMatch(/run in a loop of a DO block, holds row locks on every row it touches pass after pass, until the block's transaction commits$/);
  });

  it('does not take a branch that ends with RETURN for what precedes the statements after it (the twenty-second trial\'s D)', async () => {
    // formance ledger's shape: a work table dropped, and the block left, when it is empty.
    const block = `SET lock_timeout = '2s';
DO $$
BEGIN
  CREATE TABLE scratch AS SELECT id, sku FROM items;
  ALTER TABLE scratch ADD FOREIGN KEY (id) REFERENCES items (id);
  IF (SELECT count(*) FROM scratch) = 0 THEN
    DROP TABLE scratch;
    RETURN;
  END IF;
  UPDATE items SET sku = scratch.sku FROM scratch WHERE items.id = scratch.id;
  DROP TABLE scratch;
END $$;
`;
    const found = await lintFiles({ '2_scratch.sql': block });
    // The UPDATE waits behind no ACCESS EXCLUSIVE of the branch's DROP: the foreign key's SHARE ROW EXCLUSIVE on items is what the block holds there.
    expect(found.find((f) => f.code === 'MG218')?.message).toMatch(/^this UPDATE runs in the same transaction as ALTER TABLE scratch ADD CONSTRAINT \(line 5\), which holds SHARE ROW EXCLUSIVE on items/);
    // The last DROP drops the work table the block made (new: nothing lost), not one the branch dropped already.
    expect(found.filter((f) => f.code === 'MG214')).toEqual([]);
    // Without the RETURN, the branch may fall through: as before, the DROP in it precedes what follows.
    const through = await lintFiles({ '2_scratch.sql': block.replace('    RETURN;\n', '') });
    expect(through.find((f) => f.code === 'MG218')?.message).toMatch(/DROP TABLE scratch \(line 7\), which holds ACCESS EXCLUSIVE on items/);
  });

  it('learns what a block creates, so later statements see it', async () => {
    const created = `SET lock_timeout = '2s';
DO $$ BEGIN
  CREATE TABLE audit (id bigint PRIMARY KEY, note text);
EXCEPTION WHEN duplicate_table THEN NULL;
END $$;
CREATE INDEX audit_note_idx ON audit (note);
`;
    // A table created in the same file is new and empty: indexing it blocks nobody.
    expect((await lintFiles({ '2_audit.sql': created })).map(short)).not.toContain('6:1 MG201');
    // Without the block's table learnt, it is an existing table of unknown size.
    const opaque = created.replace('DO $$', () => 'DO LANGUAGE sql $$');
    expect((await lintFiles({ '2_audit.sql': opaque })).map(short)).toContain('6:1 MG201');
  });

  it('judges the static statements of a block with dynamic SQL too', async () => {
    const dynamic = `SET lock_timeout = '2s';
DO $$ BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN note text', current_setting('app.table'));
  CREATE INDEX orders_customer_idx ON orders (customer);
END $$;
`;
    expect((await lintFiles({ '2_dynamic.sql': dynamic })).map(short)).toContain('4:3 MG201');
  });

  it('leaves a block in another language, or one PL/pgSQL refuses, unjudged', async () => {
    const sql = `SET lock_timeout = '2s';\nDO LANGUAGE sql $$ CREATE INDEX orders_customer_idx ON orders (customer) $$;\n`;
    const broken = `SET lock_timeout = '2s';\nDO $$ BEGIN CREATE INDEX orders_customer_idx ON orders (customer) END $$;\n`;
    const perl = `SET lock_timeout = '2s';\nDO LANGUAGE plperl $$ spi_exec_query('CREATE INDEX i ON orders (customer)'); $$;\n`;
    for (const text of [sql, broken, perl]) expect(await lintFiles({ '2_other.sql': text })).toEqual([]);
  });

  it('places statements after non-ASCII text, and in a single-quoted body', async () => {
    const text = `SET lock_timeout = '2s';
-- Größe: ü, 日本, 🚀
DO $body$ BEGIN RAISE NOTICE 'Ünïcödé 🚀'; CREATE INDEX items_sku_idx ON items (sku); END $body$;
DO 'BEGIN RAISE NOTICE ''déjà''; CREATE INDEX items_order_idx ON items (order_id); END';
`;
    const found = await lintFiles({ '2_text.sql': text });
    const source = text.split('\n');
    const indexes = found.filter((f) => f.code === 'MG201');
    expect(indexes.map((f) => f.at)).toEqual([
      `3:${source[2]!.indexOf('CREATE INDEX') + 1}`,
      `4:${source[3]!.indexOf('CREATE INDEX') + 1}`,
    ]);
  });

  it('puts a block in the transaction around it: a file\'s BEGIN, or its own', async () => {
    const inFileTransaction = `SET lock_timeout = '2s';
BEGIN;
ALTER TABLE orders ADD COLUMN note text DEFAULT 'x';
DO $$ BEGIN
  CREATE INDEX items_sku_idx ON items (sku);
END $$;
COMMIT;
`;
    // ADD COLUMN holds ACCESS EXCLUSIVE on orders while the block builds an index on items.
    expect((await lintFiles({ '2_tx.sql': inFileTransaction })).map(short)).toContain('5:3 MG217');
    // Outside a transaction, the block is a transaction of its own: nothing is held from before.
    expect((await lintFiles({ '2_tx.sql': inFileTransaction.replace('BEGIN;\n', '').replace('COMMIT;\n', '') })).map(short)).not.toContain('5:3 MG217');
  });

  it('ends the block\'s transaction at a COMMIT in its body', async () => {
    const text = `SET lock_timeout = '2s';
DO $$ BEGIN
  ALTER TABLE orders ADD COLUMN note text;
  COMMIT;
  CREATE INDEX items_sku_idx ON items (sku);
END $$;
`;
    const found = (await lintFiles({ '2_commit.sql': text })).map(short);
    expect(found).toContain('5:3 MG201');
    expect(found).not.toContain('5:3 MG217');
    expect(found.filter((f) => f.endsWith('MG217'))).toEqual([]);
    // Without the COMMIT, the index is built while ADD COLUMN's lock is held.
    expect((await lintFiles({ '2_commit.sql': text.replace('  COMMIT;\n', '') })).map(short)).toContain('4:3 MG217');
  });

  it('says a COMMIT in a block fails inside a transaction block (MG226), and not outside one', async () => {
    const text = `SET lock_timeout = '2s';
BEGIN;
DO $$ BEGIN
  UPDATE orders SET total = 0 WHERE customer IS NULL;
  commit;
END $$;
COMMIT;
`;
    const refused = (await lintFiles({ '2_commit.sql': text })).find((f) => f.code === 'MG226');
    expect(refused).toMatchObject({ at: '5:3', severity: 'error', message: 'COMMIT inside a DO block that runs in the transaction begun at line 2: PostgreSQL refuses it ("invalid transaction termination"), and the migration fails here' });
    const alone = text.replace('BEGIN;\n', '').replace('COMMIT;\n', '');
    expect((await lintFiles({ '2_commit.sql': alone })).filter((f) => f.code === 'MG226')).toEqual([]);
    expect((await lintFiles({ '2_commit.sql': alone }, { fileTransaction: true })).find((f) => f.code === 'MG226')?.message)
      .toContain('in the transaction the migration tool wraps the file in');
  });

  it('honours migc-ignore before the block and inside its body', async () => {
    const text = `SET lock_timeout = '2s';
-- migc-ignore MG201: items has a few hundred rows
DO $$ BEGIN
  CREATE INDEX items_sku_idx ON items (sku);
  -- migc-ignore MG208: checked by hand
  ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
END $$;
`;
    const found = await lintFiles({ '2_ignore.sql': text });
    expect(found.filter((f) => f.code === 'MG201' || f.code === 'MG208').map((f) => `${f.code} ${f.severity}`)).toEqual(['MG201 info', 'MG208 info']);
  });
});

describe('DO blocks in plans', () => {
  const plan = (baseline: string, sql: string) => oneStepPlan('do-blocks', baseline, sql);
  const baseline = [
    'CREATE TABLE items (id bigint PRIMARY KEY, sku text);',
    "DO $$ BEGIN CREATE TYPE tier AS ENUM ('a', 'b'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
  ].join('\n');

  it('judges a step\'s block at its line and column in the plan', async () => {
    const result = await compileFiles({ 'plans/p.yaml': plan(baseline, 'DO $$ BEGIN\n  CREATE INDEX items_sku_idx ON items (sku);\nEND $$;') });
    // The step's SQL starts on line 17: the CREATE INDEX is on line 18, at column 13.
    expect(brief(result)).toContainEqual(expect.stringMatching(/^18:13 \w+ MG201 CREATE INDEX items_sku_idx takes a SHARE lock/));
  });

  it('keeps the schema known after a block it reads whole, and not after dynamic SQL', async () => {
    const step = 'ALTER TABLE items ADD COLUMN t tier, ADD COLUMN level levels;';
    const known = brief(await compileFiles({ 'plans/p.yaml': plan(baseline, step) }));
    // tier is the baseline block's; levels is nobody's, and the baseline is the whole schema.
    expect(known.filter((d) => d.includes('MG234'))).toEqual([expect.stringContaining('type levels does not exist: it is not built in')]);
    const dynamic = `${baseline}\nDO $$ BEGIN EXECUTE 'CREATE TYPE levels AS ENUM (''x'')'; END $$;`;
    expect(brief(await compileFiles({ 'plans/p.yaml': plan(dynamic, step) })).filter((d) => d.includes('MG234'))).toEqual([]);
  });

  it('refuses a COMMIT in a step\'s block (MG021): migc runs the step in a transaction', async () => {
    const result = await compileFiles({ 'plans/p.yaml': plan(baseline, 'DO $$ BEGIN\n  UPDATE items SET sku = NULL WHERE id = 1;\n  COMMIT;\nEND $$;') });
    expect(brief(result)).toContainEqual(expect.stringMatching(/^19:13 error MG021 COMMIT inside a DO block that runs in the step's transaction: PostgreSQL refuses it/));
  });

  it('shows in the report the locks, work and time of the statements inside a step\'s block', async () => {
    const sized = plan(`${baseline}\nCREATE TABLE owners (id bigint PRIMARY KEY);\nALTER TABLE items ADD COLUMN owner_id bigint;\nCREATE INDEX items_owner_idx ON items (owner_id);`,
      'DO $$ BEGIN\n  ALTER TABLE items ADD CONSTRAINT items_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;')
      .replace('engine: postgresql@15', 'engine: postgresql@15\ntables:\n  items: { rows: 2000000 }\n  owners: { rows: 1000 }')
      .replace('        rollback:', '        allow:\n          MG208: the test reads the report\n        rollback:');
    const result = await compileFiles({ 'plans/p.yaml': sized }, { emit: true });
    const report = result.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    // Before DO blocks were read, the row said "none on tables | catalog | milliseconds".
    expect(report).toMatch(/\| `DO \$\$ BEGIN ALTER TABLE items ADD CONSTRAINT items_owner_fk [^|]*` \| SHARE ROW EXCLUSIVE on items, SHARE ROW EXCLUSIVE on owners \| scan \| ~2s \|/);
  });

  it('keeps statement_timeout on a block whatever it locks: its row changes do not show in its own facts', async () => {
    const result = await compileFiles({ 'plans/p.yaml': plan(`${baseline}\nALTER TABLE items ADD CONSTRAINT items_sku_check CHECK (sku <> '') NOT VALID;`, 'DO $$ BEGIN\n  ALTER TABLE items VALIDATE CONSTRAINT items_sku_check;\nEND $$;') }, { emit: true });
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    expect(up).toContain('VALIDATE CONSTRAINT items_sku_check');
    expect(up).not.toContain('statement_timeout is lifted');
    // The same statement outside a block blocks nobody, and runs without the timeout.
    const plain = await compileFiles({ 'plans/p.yaml': plan(`${baseline}\nALTER TABLE items ADD CONSTRAINT items_sku_check CHECK (sku <> '') NOT VALID;`, 'ALTER TABLE items VALIDATE CONSTRAINT items_sku_check;') }, { emit: true });
    expect(plain.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents).toContain('statement_timeout is lifted');
  });

  it('reports CONCURRENTLY in a step\'s block as refused', async () => {
    const result = await compileFiles({ 'plans/p.yaml': plan(baseline, 'DO $$ BEGIN\n  CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);\nEND $$;') });
    expect(brief(result)).toContainEqual(expect.stringMatching(/^18:13 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a DO block/));
  });
});

describe('the PL/pgSQL body reader', () => {
  beforeAll(loadSqlParser);
  const read = (text: string) => {
    const parsed = parseSql(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return doBlockBody(parsed.statements[0]!.ast, parsed.statements[0]!.text);
  };

  it('takes out SELECT ... INTO and INSERT ... RETURNING INTO, and still finds the statement', () => {
    const text = "DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM items; INSERT INTO items VALUES (1) RETURNING id INTO n; END $$";
    const body = read(text)!;
    expect(body.complete).toBe(true);
    expect(body.statements.map((s) => text.slice(s.start, s.end))).toEqual(['SELECT count(*) INTO n FROM items', 'INSERT INTO items VALUES (1) RETURNING id']);
    expect(body.statements.map((s) => Object.keys(s.ast)[0])).toEqual(['SelectStmt', 'InsertStmt']);
    // An offset into the statement as PL/pgSQL runs it, in the text: "items" after the INTO taken out.
    const select = body.statements[0]!;
    expect(text.slice(select.locate!(select.text.indexOf('items')), select.locate!(select.text.indexOf('items') + 5))).toBe('items');
  });

  it('tells which statements are conditional, and which follow a COMMIT', () => {
    const body = read(`DO $$ BEGIN
  ALTER TABLE a ADD c int;
  IF true THEN ALTER TABLE b ADD c int; ELSE ALTER TABLE b ADD d int; END IF;
  COMMIT;
  CASE WHEN false THEN DROP TABLE x; END CASE;
  WHILE false LOOP DROP TABLE y; END LOOP;
  BEGIN DROP TABLE z; EXCEPTION WHEN others THEN DROP TABLE w; END;
  CALL p();
END $$`)!;
    expect(body.statements.map((s) => `${s.text}${s.conditional ? ' ?' : ''}${s.afterTransactionEnd ? ' after commit' : ''}`)).toEqual([
      'ALTER TABLE a ADD c int', 'ALTER TABLE b ADD c int ?', 'ALTER TABLE b ADD d int ?', 'DROP TABLE x ? after commit',
      'DROP TABLE y ?', 'DROP TABLE z', 'DROP TABLE w ?', 'CALL p()',
    ]);
  });

  it('reads blocks nested thousands deep without running out of stack', () => {
    const depth = 3000;
    const body = read(`DO $$ BEGIN ${'IF true THEN '.repeat(depth)}CREATE INDEX i ON t (a); ${'END IF; '.repeat(depth)}END $$`)!;
    expect(body.statements.map((s) => `${s.text}${s.conditional ? ' ?' : ''}`)).toEqual(['CREATE INDEX i ON t (a) ?']);
    // Deeper than PostgreSQL's PL/pgSQL parser goes: the block is left unread, and the parser works on.
    expect(read(`DO $$ BEGIN ${'IF true THEN '.repeat(60_000)}NULL; ${'END IF; '.repeat(60_000)}END $$`)).toBeUndefined();
    expect(read('DO $$ BEGIN CREATE INDEX i ON t (a); END $$')!.statements).toHaveLength(1);
  });

  it('is incomplete with EXECUTE, FOR ... IN EXECUTE or OPEN ... FOR EXECUTE of SQL not known at lint time', () => {
    for (const dynamic of ["EXECUTE 'x'", 'EXECUTE q', 'FOR r IN EXECUTE q LOOP END LOOP', 'OPEN c FOR EXECUTE q']) {
      expect(read(`DO $$ DECLARE r record; c refcursor; q text := current_setting('app.query'); BEGIN ${dynamic}; END $$`)?.complete).toBe(false);
    }
    // Known SQL counts as the statements it runs (test/dynamic-sql.test.ts).
    expect(read("DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$")?.complete).toBe(true);
    expect(read('DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 LOOP END LOOP; END $$')?.complete).toBe(true);
  });
});

/**
 * What the tests above claim of the server, checked on PostgreSQL: the blocks run as written (the
 * conditional key exists afterwards, the nested block runs twice), CONCURRENTLY is refused inside
 * a block whether a transaction is open or not, and a COMMIT in a block's body commits.
 */
describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('the blocks on a real PostgreSQL server', () => {
  const database = `migc_do_blocks_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let db: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: process.env.MIGC_TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    await db.query(schema);
  });
  afterAll(async () => {
    await db?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin?.end();
  });
  const error = async (sql: string) => db.query(sql).then(() => undefined, (e: Error) => e.message);

  it('runs the blocks as written, twice over', async () => {
    for (let run = 0; run < 2; run++) {
      expect(await error(conditionalKey)).toBeUndefined();
      expect(await error(nested)).toBeUndefined();
    }
    const made = await db.query("SELECT conname AS name FROM pg_constraint WHERE conname IN ('orders_pkey', 'items_order_fk') UNION ALL SELECT indexname FROM pg_indexes WHERE indexname = 'items_order_idx' ORDER BY 1");
    // The second run's handler built the index: what a handler does, when it runs.
    expect(made.rows.map((r) => r.name)).toEqual(['items_order_fk', 'items_order_idx', 'orders_pkey']);
    expect(await error(indexInBlock)).toBeUndefined();
  });

  it('refuses CONCURRENTLY inside a block, in a transaction or not', async () => {
    // The block alone, as psql sends it: refused as a function's statement.
    const block = concurrentlyInBlock.replace("SET lock_timeout = '2s';\n", '');
    expect(await error(block)).toBe('CREATE INDEX CONCURRENTLY cannot be executed from a function');
    // In a transaction (BEGIN, or a query string of several statements), refused for that first.
    expect(await error(concurrentlyInBlock)).toBe('CREATE INDEX CONCURRENTLY cannot run inside a transaction block');
    expect(await error(`BEGIN; ${block}; COMMIT;`)).toBe('CREATE INDEX CONCURRENTLY cannot run inside a transaction block');
    await db.query('ROLLBACK');
  });

  it('refuses a COMMIT in a block inside a transaction block, and in a procedure\'s EXCEPTION block as migc runs steps', async () => {
    expect(await error("BEGIN; DO $$ BEGIN UPDATE orders SET total = 0 WHERE customer IS NULL; commit; END $$; COMMIT;")).toBe('invalid transaction termination');
    await db.query('ROLLBACK');
    await db.query("CREATE PROCEDURE run_step(s text) LANGUAGE plpgsql AS $$ BEGIN BEGIN EXECUTE s; EXCEPTION WHEN lock_not_available THEN NULL; END; END $$");
    expect(await error("CALL run_step('DO $d$ BEGIN UPDATE items SET sku = NULL WHERE id = 1; COMMIT; END $d$')")).toBe('invalid transaction termination');
  });

  it('commits at a COMMIT in a block outside a transaction', async () => {
    const message = await error("DO $$ BEGIN ALTER TABLE orders ADD COLUMN committed text; COMMIT; RAISE EXCEPTION 'after'; END $$");
    expect(message).toBe('after');
    const columns = await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'committed'");
    expect(columns.rowCount).toBe(1);
  });
});
