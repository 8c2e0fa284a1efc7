import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG236's claims, on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): each SQL
 * fixture runs statement by statement, after the fixtures' schema.sql (its tables existing, as
 * rules.test.ts lints them, with three rows each). The statements PostgreSQL refuses are exactly
 * those MG236 reports as errors (an identity GENERATED ALWAYS given a value). After the file, the
 * next INSERT that takes the default (INSERT ... DEFAULT VALUES) fails on a duplicate key in
 * exactly the tables MG236 warns of, and succeeds in every other table whose id has a sequence
 * (a serial, an identity, a nextval() default), and in the tables warned of once the help's
 * setval() has run.
 */
const dir = 'test/fixtures/rules/MG236';
const schemaFile = 'test/fixtures/rules/schema.sql';
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => ({ fixture: f, file: `${dir}/${f}` }));

/** The table a warning is about: `into items.id` (an INSERT's values), `sessions.id now takes` / `becomes` (a new sequence on its values). */
const warnedTable = (message: string) => (/into (\w+)\.id/.exec(message) ?? /^(\w+)\.id (?:now takes|becomes)/.exec(message))![1]!;

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG236's fixtures on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(fixtures)('$file', async ({ fixture, file }) => {
      const text = readFileSync(file, 'utf8');
      const schema = readFileSync(schemaFile, 'utf8');
      const result = await lint({ files: [schemaFile, file] }, memoryHost({ [schemaFile]: schema, [file]: text }));
      const found = result.diagnostics.filter((d) => d.code === 'MG236');
      const line = (offset: number) => text.slice(0, offset).split('\n').length;
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(schema);
      // Rows in the existing tables, ids 1 to 3; their other columns free, so DEFAULT VALUES goes in.
      await db.run('ALTER TABLE users ALTER COLUMN email DROP NOT NULL; ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL, ALTER COLUMN quantity DROP NOT NULL;');
      for (const table of ['users', 'orders', 'sessions']) await db.run(`INSERT INTO ${table} (id) VALUES (1), (2), (3)`);
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(parsed.message);
      const refused: number[] = [];
      for (const s of parsed.statements) {
        try {
          await db.run(s.text);
        } catch (e) {
          expect((e as Error).message).toMatch(/cannot insert a non-DEFAULT value into column "id"/);
          refused.push(line(s.start));
        }
      }
      expect(found.filter((d) => d.severity === 'error').map((d) => line(d.span!.start))).toEqual(refused);
      const warned = found.filter((d) => d.severity === 'warning').map((d) => warnedTable(d.message));
      // Every table whose id takes a value from a sequence when an INSERT leaves it out.
      const sequenced = rowsOf(await db.run("SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id' AND (column_default LIKE 'nextval(%' OR is_identity = 'YES') ORDER BY table_name")).map((r) => r.table_name as string);
      const collided: string[] = [];
      for (const table of sequenced) {
        try {
          await db.run(`INSERT INTO ${table} DEFAULT VALUES`);
        } catch (e) {
          expect((e as Error).message).toMatch(/duplicate key value violates unique constraint/);
          collided.push(table);
        }
      }
      expect([...warned].sort()).toEqual(collided);
      // The help's statement moves the sequence: the next default is free.
      for (const d of found.filter((f) => f.severity === 'warning')) {
        await db.run(d.help!.replace(/^After the INSERT: |^After it, move the sequence past the values: /, ''));
        await db.run(`INSERT INTO ${warnedTable(d.message)} DEFAULT VALUES`);
      }
      expect(found.length > 0).toBe(fixture.startsWith('fail-'));
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

/**
 * Fixed values into the unique serial or identity column of a table an earlier migration made
 * (the twenty-fifth trial's M1): the application's rows drew from the same sequence in between.
 * Said when, however many rows the application drew (none to four here), either the INSERT fails
 * on a duplicate key (it drew one of the values) or one of the application's next defaults does
 * (the sequence has yet to pass them), and the help's setval, run right after the INSERT, frees
 * the next defaults. Not said where neither can happen, where a later migration moves the
 * sequence, nor where migc does not judge (ON CONFLICT, a column that is not unique).
 */
const earlierCases: { name: string; init: string; seed: string; later?: string; warned: boolean; judged?: false }[] = [
  { name: 'serial, ids 1 and 2', init: 'CREATE TABLE t (id serial PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b');", warned: true },
  { name: 'identity BY DEFAULT, id 3, no column list', init: 'CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);', seed: "INSERT INTO t VALUES (3, 'a');", warned: true },
  { name: 'a sequence of the files, id 2', init: "CREATE SEQUENCE s;\nCREATE TABLE t (id bigint DEFAULT nextval('s') UNIQUE, v text);", seed: "INSERT INTO t (id, v) VALUES (2, 'a');", warned: true },
  { name: 'serial, ids the sequence never draws (0, -1)', init: 'CREATE TABLE t (id serial PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (0, 'a'), (-1, 'b');", warned: false },
  { name: 'a sequence STARTing past the ids', init: "CREATE SEQUENCE s START WITH 1000;\nCREATE TABLE t (id bigint DEFAULT nextval('s') PRIMARY KEY, v text);", seed: "INSERT INTO t (id, v) VALUES (5, 'a');", warned: false },
  { name: 'a later migration moves the sequence (setval by column)', init: 'CREATE TABLE t (id serial PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b');", later: "SELECT setval(pg_get_serial_sequence('t', 'id'), (SELECT max(id) FROM t));", warned: false },
  { name: "a later migration's DO block moves it (PERFORM setval under IF)", init: 'CREATE TABLE t (id serial PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b');", later: "DO $$ BEGIN\n  IF (SELECT max(id) FROM t) IS NOT NULL THEN\n    PERFORM setval('t_id_seq', (SELECT max(id) FROM t));\n  END IF;\nEND $$;", warned: false },
  { name: 'a later migration restarts the identity past them', init: 'CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a');", later: 'ALTER TABLE t ALTER COLUMN id RESTART WITH 1000;', warned: false },
  { name: 'ON CONFLICT: not judged', init: 'CREATE TABLE t (id serial PRIMARY KEY, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a') ON CONFLICT DO NOTHING;", warned: false, judged: false },
  { name: 'a column with no unique key: not judged', init: 'CREATE TABLE t (id serial, v text);', seed: "INSERT INTO t (id, v) VALUES (1, 'a');", warned: false, judged: false },
];

for (const engine of sqlEngines()) {
  describe(`MG236 on a table an earlier migration made, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(earlierCases)('$name', async ({ init, seed, later, warned, judged }) => {
      const files: Record<string, string> = { '001_init.sql': `${init}\n`, '002_seed.sql': `${seed}\n`, ...(later ? { '003_later.sql': `${later}\n` } : {}) };
      const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
      const found = result.diagnostics.filter((d) => d.code === 'MG236');
      expect(found.map((d) => `${d.file} ${d.severity}`)).toEqual(warned ? ['002_seed.sql warning'] : []);
      if (judged === false) return;
      // However many rows the application drew between the migrations: the seed fails (it drew
      // one of the values), or one of the application's next defaults does (its sequence has yet
      // to pass them). A later migration's setval (or the help's, right after the INSERT) frees
      // the defaults; a seed of values the application drew fails whatever follows it.
      for (let drawnByApp = 0; drawnByApp <= 4; drawnByApp++) {
        for (const withHelp of warned ? [false, true] : [false]) {
          await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
          await db.run(files['001_init.sql']!);
          for (let i = 0; i < drawnByApp; i++) await db.run("INSERT INTO t (v) VALUES ('app')");
          const fails = async (sql: string) => {
            try {
              await db.run(sql);
              return false;
            } catch (e) {
              expect((e as Error).message).toMatch(/duplicate key value violates unique constraint/);
              return true;
            }
          };
          const seedFailed = await fails(files['002_seed.sql']!);
          if (seedFailed) {
            expect(warned || !/ids the sequence never draws|STARTing past/.test(init + seed)).toBe(true);
            continue;
          }
          if (withHelp) await db.run(found[0]!.help!.slice(found[0]!.help!.indexOf('SELECT setval(')));
          if (files['003_later.sql']) await db.run(files['003_later.sql']);
          let defaultsFailed = false;
          for (let i = 0; i < 6 && !defaultsFailed; i++) defaultsFailed = await fails("INSERT INTO t (v) VALUES ('app')");
          expect(defaultsFailed, `${drawnByApp} rows drawn${withHelp ? ', with the help' : ''}`).toBe(warned && !withHelp);
        }
      }
    });
  });
}

describe('MG236 on a table an earlier migration made: GENERATED ALWAYS', () => {
  it('is refused there too, an error', async () => {
    const files = {
      '001_init.sql': 'CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text);\n',
      '002_seed.sql': "INSERT INTO events (id, kind) VALUES (1, 'x');\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG236').map((d) => `${d.file} ${d.severity}`)).toEqual(['002_seed.sql error']);
  });
});

/**
 * The values a fresh sequence never hands out cannot collide: MG236 is said exactly when one of
 * the next defaults (as many as it takes to pass the values written) hits a value written.
 */
const drawCases = [
  { name: 'serial, 0 below its 1', create: 'CREATE TABLE t (id serial PRIMARY KEY, v text)', values: [0n] },
  { name: 'serial, 3 among its draws', create: 'CREATE TABLE t (id serial PRIMARY KEY, v text)', values: [0n, 3n] },
  { name: 'smallserial, -5 below its MINVALUE 1', create: 'CREATE TABLE t (id smallserial PRIMARY KEY, v text)', values: [-5n] },
  { name: 'identity START 10 INCREMENT 5, 12 between its steps', create: 'CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY, v text)', values: [12n, 9n] },
  { name: 'identity START 10 INCREMENT 5, 20 on its third draw', create: 'CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY, v text)', values: [20n] },
  { name: 'descending identity, positive values', create: 'CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1) PRIMARY KEY, v text)', values: [1n, 0n] },
  { name: 'descending identity, -3 on its third draw', create: 'CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1) PRIMARY KEY, v text)', values: [-3n] },
  { name: 'CREATE SEQUENCE START 100, 5 below it', create: "CREATE SEQUENCE s START WITH 100; CREATE TABLE t (id bigint PRIMARY KEY DEFAULT nextval('s'), v text)", values: [5n] },
  { name: 'CREATE SEQUENCE START 100, 102 among its draws', create: "CREATE SEQUENCE s START WITH 100; CREATE TABLE t (id bigint PRIMARY KEY DEFAULT nextval('s'), v text)", values: [102n] },
  { name: 'CYCLE brings it back to MINVALUE: 2 is drawn after 4', create: "CREATE SEQUENCE s MINVALUE 1 MAXVALUE 4 START WITH 3 CYCLE; CREATE TABLE t (id bigint PRIMARY KEY DEFAULT nextval('s'), v text)", values: [2n] },
  { name: 'ALTER SEQUENCE after CREATE: no longer read, judged as before', create: "CREATE SEQUENCE s START WITH 100; ALTER SEQUENCE s RESTART WITH 1; CREATE TABLE t (id bigint PRIMARY KEY DEFAULT nextval('s'), v text)", values: [1n] },
];

for (const engine of sqlEngines()) {
  describe(`MG236 and the values a sequence draws, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(drawCases)('$name', async ({ create, values }) => {
      const insert = `INSERT INTO t (id, v) VALUES ${values.map((v) => `(${v}, 'x')`).join(', ')}`;
      const file = `${create};\n${insert};\n`;
      const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': file }));
      const warned = result.diagnostics.some((d) => d.code === 'MG236');
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(`${create}; ${insert};`);
      // Enough defaults to pass every value written (and, for CYCLE, to come round once).
      let collided = false;
      for (let i = 0; i < 6 && !collided; i++) {
        try {
          await db.run("INSERT INTO t (v) VALUES ('default')");
        } catch (e) {
          expect((e as Error).message).toMatch(/duplicate key value violates unique constraint/);
          collided = true;
        }
      }
      expect(warned).toBe(collided);
    });
  });
}

describe('MG236 on values not written as constants', () => {
  it('judges them as before: an expression, a cast, a query', async () => {
    for (const insert of ["INSERT INTO t (id, v) VALUES (1 - 1, 'x')", "INSERT INTO t (id, v) VALUES (0::int, 'x')", "INSERT INTO t (id, v) SELECT 1 - 1, 'x'", "INSERT INTO t (id, v) SELECT o.id, 'x' FROM t AS o"]) {
      const file = `CREATE TABLE t (id serial PRIMARY KEY, v text);\n${insert};\n`;
      const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': file }));
      expect(result.diagnostics.filter((d) => d.code === 'MG236').length, insert).toBe(1);
    }
    // A query's targets are read as a row's values: a constant the serial never draws, or its own nextval(), collides with nothing.
    for (const insert of ["INSERT INTO t (id, v) SELECT 0, 'x'", "INSERT INTO t (id, v) SELECT nextval('t_id_seq'), 'x'"]) {
      const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': `CREATE TABLE t (id serial PRIMARY KEY, v text);\n${insert};\n` }));
      expect(result.diagnostics.filter((d) => d.code === 'MG236'), insert).toEqual([]);
    }
    // A constant written as a string is read as the integer PostgreSQL reads it.
    const quoted = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': "CREATE TABLE t (id serial PRIMARY KEY, v text);\nINSERT INTO t (id, v) VALUES ('0', 'x');\n" }));
    expect(quoted.diagnostics.filter((d) => d.code === 'MG236')).toEqual([]);
  });
});

/**
 * A new sequence on a column an earlier migration's table holds values in (hatchet's
 * 20240215162148_v0_10_2, whose "order" is not unique): said unless a later migration of the run
 * moves it, and then the next default is past the rows; the application's rows go in between the
 * migrations, as in production.
 */
const swapFiles = {
  '001_init.sql': 'CREATE TABLE "StepRun" (id uuid PRIMARY KEY, "order" SMALLSERIAL NOT NULL);\n',
  '002_swap_sequence.sql': 'CREATE SEQUENCE step_run_order_seq;\nALTER TABLE "StepRun" ALTER COLUMN "order" TYPE BIGINT;\nALTER SEQUENCE step_run_order_seq OWNED BY "StepRun"."order";\nALTER TABLE "StepRun" ALTER COLUMN "order" SET DEFAULT nextval(\'step_run_order_seq\'::regclass);\n',
};
const swapCases: { name: string; extra: Record<string, string>; warned: boolean }[] = [
  { name: 'no setval in any file', extra: {}, warned: true },
  { name: 'a later migration moves it (setval by name)', extra: { '003_fix.sql': 'SELECT setval(\'step_run_order_seq\', (SELECT max("order") FROM "StepRun"));\n' }, warned: false },
  { name: 'a later migration restarts it past the rows', extra: { '003_fix.sql': 'ALTER SEQUENCE step_run_order_seq RESTART WITH 100;\n' }, warned: false },
  { name: 'a later migration restarts it at its start: still 1', extra: { '003_fix.sql': 'ALTER SEQUENCE step_run_order_seq RESTART;\n' }, warned: true },
  { name: 'a later migration sets START WITH without RESTART: still 1', extra: { '003_fix.sql': 'ALTER SEQUENCE step_run_order_seq START WITH 100;\n' }, warned: true },
  { name: 'a later migration sets START WITH and RESTART', extra: { '003_fix.sql': 'ALTER SEQUENCE step_run_order_seq START WITH 100 RESTART;\n' }, warned: false },
];

for (const engine of sqlEngines()) {
  describe(`MG236 and a new sequence on a column with values, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(swapCases)('$name', async ({ extra, warned }) => {
      const files: Record<string, string> = { ...swapFiles, ...extra };
      const result = await lint({ files: migrationOrder(Object.keys(files)), fileTransaction: true }, memoryHost(files));
      const found = result.diagnostics.filter((d) => d.code === 'MG236');
      expect(found.map((d) => `${d.file}:${result.sources.get(d.file!)!.position(d.span!.start).line}`)).toEqual(warned ? ['002_swap_sequence.sql:4'] : []);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(files['001_init.sql']!);
      // The application's rows: "order" 1 to 5.
      for (let i = 0; i < 5; i++) await db.run('INSERT INTO "StepRun" (id) VALUES (gen_random_uuid())');
      for (const f of Object.keys(files).sort().slice(1)) await db.run(files[f]!);
      const drawn = rowsOf(await db.run('INSERT INTO "StepRun" (id) VALUES (gen_random_uuid()) RETURNING "order"'))[0]!.order;
      const same = rowsOf(await db.run(`SELECT count(*)::int AS n FROM "StepRun" WHERE "order" = ${drawn}`))[0]!.n;
      // Said exactly when the new row's "order" is one an old row has.
      expect(same > 1).toBe(warned);
      if (warned) expect(String(drawn)).toBe('1');
    });
  });
}

describe('MG236 and a sequence drawn from before', () => {
  it('does not judge a sequence an earlier migration attached to a column: the application has drawn from it since', async () => {
    const files = {
      '001_init.sql': "CREATE SEQUENCE ids;\nCREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('ids'));\nCREATE TABLE b (id bigint PRIMARY KEY);\n",
      '002_share.sql': "ALTER TABLE b ALTER COLUMN id SET DEFAULT nextval('ids');\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG236')).toEqual([]);
    // Made and attached in the same migration as it is shared: still fresh, and said.
    const one = { '001_init.sql': 'CREATE TABLE b (id bigint PRIMARY KEY);\n', '002_share.sql': "CREATE SEQUENCE ids;\nCREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('ids'));\nALTER TABLE b ALTER COLUMN id SET DEFAULT nextval('ids');\n" };
    const again = await lint({ files: migrationOrder(Object.keys(one)) }, memoryHost(one));
    expect(again.diagnostics.filter((d) => d.code === 'MG236').map((d) => d.file)).toEqual(['002_share.sql']);
  });
});

describe('MG236 and a new sequence in a rollback', () => {
  it('judges a down part by the statements after it in that part', async () => {
    const down = (fix: string) => ({
      '001_init.sql': 'CREATE TABLE t (id bigint PRIMARY KEY);\n',
      '002_identity.sql': `-- +goose Up\nALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;\nSELECT setval(pg_get_serial_sequence('t', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM t), false);\n-- +goose Down\nALTER TABLE t ALTER COLUMN id DROP IDENTITY;\nCREATE SEQUENCE t_id_seq OWNED BY t.id;\nALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('t_id_seq');\n${fix}`,
    });
    const found = async (files: Record<string, string>) => (await lint({ files: migrationOrder(Object.keys(files)), fileTransaction: true }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG236').map((d) => d.message.slice(0, 40));
    expect(await found(down(''))).toEqual(['t.id now takes its default from t_id_seq']);
    expect(await found(down("SELECT setval('t_id_seq', (SELECT max(id) FROM t));\n"))).toEqual([]);
  });
});
