import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG112 takes an UPDATE or DELETE of a table whose keys and size migc has not seen, where one
 * column equals constants, for a change of a few rows by key (an info note), and keeps reporting
 * the other shapes. Its fixture fail-unknown-keys.sql runs on PostgreSQL (PGlite, and the server
 * of MIGC_TEST_DATABASE_URL) against the tables as Flowable's create scripts make them, the pinned
 * column a primary key, 1,000 rows each: every statement the note takes for a point change
 * touches at most two rows, and every statement still reported touches (nearly) all of them.
 */
const dir = 'test/fixtures/rules/MG112';
const fixture = `${dir}/fail-unknown-keys.sql`;

/** The fixture's tables, keyed as the create scripts the upgrade folder lacks key them; act_hi_kind is the joined one. */
const setup = `
CREATE SCHEMA flowable;
CREATE TABLE act_ge_property (name_ varchar(64) PRIMARY KEY, value_ varchar(300), rev_ integer);
CREATE TABLE flowable.act_ge_property (name_ varchar(64) PRIMARY KEY, value_ varchar(300), rev_ integer);
CREATE TABLE "ACT_RU_JOB" ("ID_" varchar(64) PRIMARY KEY, "RETRIES_" integer);
CREATE TABLE act_ru_timer (id_ integer PRIMARY KEY, retries_ integer);
CREATE TABLE act_hi_kind (kind_ varchar(64));
INSERT INTO act_hi_kind VALUES ('x');
INSERT INTO act_ge_property SELECT n, n, 1 FROM (SELECT 'k' || i AS n FROM generate_series(1, 994) i UNION ALL SELECT unnest(ARRAY['common.schema.version', 'a', 'b', 'schema.version', 'x', 'cfg.execution-related-entities-count'])) names;
INSERT INTO flowable.act_ge_property SELECT * FROM act_ge_property;
INSERT INTO "ACT_RU_JOB" SELECT 'job-' || i, 0 FROM generate_series(1, 1000) i;
INSERT INTO act_ru_timer SELECT i, 0 FROM generate_series(1, 1000) i;
CREATE TABLE touched (at text);
CREATE FUNCTION note_touched() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO touched VALUES (TG_TABLE_NAME); RETURN NULL; END $$;
CREATE TRIGGER touched AFTER UPDATE OR DELETE ON act_ge_property FOR EACH ROW EXECUTE FUNCTION note_touched();
CREATE TRIGGER touched AFTER UPDATE OR DELETE ON flowable.act_ge_property FOR EACH ROW EXECUTE FUNCTION note_touched();
CREATE TRIGGER touched AFTER UPDATE OR DELETE ON "ACT_RU_JOB" FOR EACH ROW EXECUTE FUNCTION note_touched();
CREATE TRIGGER touched AFTER UPDATE OR DELETE ON act_ru_timer FOR EACH ROW EXECUTE FUNCTION note_touched();
`;

/** MG112's findings on the fixture, linted as rules.test.ts lints it (after schema.sql), as line → severity. */
async function findings(): Promise<Map<number, string>> {
  const files = { 'plans/schema.sql': readFileSync(`${dir}/../schema.sql`, 'utf8'), 'plans/fixture.sql': readFileSync(fixture, 'utf8') };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const source = result.sources.get('plans/fixture.sql')!;
  return new Map(result.diagnostics.filter((d) => d.code === 'MG112').map((d) => [source.position(d.span!.start).line, d.severity]));
}

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG112 on tables whose keys migc has not seen, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
      await db.run(setup);
    });
    afterAll(() => db?.close());

    it('a statement taken for a point change touches at most two rows; one reported touches nearly every row', async () => {
      const text = readFileSync(fixture, 'utf8');
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(parsed.message);
      const severity = await findings();
      const seen: string[] = [];
      for (const s of parsed.statements) {
        if (!/^(update|delete)/i.test(s.text.trim())) continue;
        const line = text.slice(0, s.start).split('\n').length;
        await db.run('BEGIN');
        try {
          await db.run(s.text);
          const touched = Number(rowsOf(await db.run('SELECT count(*) AS n FROM touched'))[0]!.n);
          seen.push(`${line} ${severity.get(line) ?? 'none'} ${severity.get(line) === 'info' ? touched <= 2 : touched >= 999}`);
        } finally {
          await db.run('ROLLBACK');
        }
      }
      // Nine point changes (info), six statements reported (warning), and each touched what its finding says.
      expect(seen.filter((l) => l.endsWith(' info true')).length).toBe(9);
      expect(seen.filter((l) => l.endsWith(' warning true')).length).toBe(6);
      expect(seen.filter((l) => !/ (info|warning) true$/.test(l))).toEqual([]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG112 by what migc knows of the table', () => {
  const bump = "update act_ge_property set value_ = '7.0' where name_ = 'schema.version';\n";
  async function mg112(files: Record<string, string>, assumeRows?: number): Promise<string[]> {
    await loadSqlParser();
    const config = assumeRows === undefined ? undefined : { assumeRows: new Map([['act_ge_property', assumeRows]]) };
    const result = await lint({ files: Object.keys(files), ...(config ? { config } : {}) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG112').map((d) => `${d.file} ${d.severity}`);
  }

  it('keys and size unknown: a note', async () => {
    expect(await mg112({ '1.sql': bump })).toEqual(['1.sql info']);
  });

  it('a down migration\'s note says it is a rollback', async () => {
    await loadSqlParser();
    const files = { '1_bump.up.sql': bump, '1_bump.down.sql': bump.replace('7.0', '6.8') };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG112').map((d) => `${d.file} ${d.severity} ${d.message}`)).toEqual([
      '1_bump.up.sql info UPDATE of act_ge_property by constant values of name_ is taken for a change of a few rows by key (migc has not seen the keys of act_ge_property)',
      '1_bump.down.sql info UPDATE of act_ge_property by constant values of name_ (a rollback) is taken for a change of a few rows by key (migc has not seen the keys of act_ge_property)',
    ]);
  });

  it('a size given: judged by it, a warning when large and nothing when small', async () => {
    expect(await mg112({ '1.sql': bump }, 5_000_000)).toEqual(['1.sql warning']);
    expect(await mg112({ '1.sql': bump }, 10)).toEqual([]);
  });

  it('keys seen: nothing when the column is a key, a warning when it is not', async () => {
    const created = { '1.sql': 'CREATE TABLE act_ge_property (name_ varchar(64) PRIMARY KEY, value_ varchar(300));\n' };
    expect(await mg112({ ...created, '2.sql': bump })).toEqual([]);
    expect(await mg112({ ...created, '2.sql': "update act_ge_property set name_ = 'x' where value_ = '7.0';\n" })).toEqual(['2.sql warning']);
    // Created without any key: the column is no key (id would be taken for one, as before).
    expect(await mg112({ '1.sql': 'CREATE TABLE act_ge_property (name_ varchar(64), value_ varchar(300));\n', '2.sql': bump })).toEqual(['2.sql warning']);
  });

  it('a table the files alter, keys unknown: still a warning; a column compared with true or false is no key', async () => {
    // Dataverse: dvobject, made by the application's ORM, altered by the migrations; protocol has two values.
    const altered = { '1.sql': 'ALTER TABLE dvobject ADD COLUMN separator varchar(255);\n' };
    expect(await mg112({ ...altered, '2.sql': "UPDATE dvobject SET separator = '/' WHERE protocol = 'doi' OR protocol = 'hdl';\n" })).toEqual(['2.sql warning']);
    // Camunda 6.2 to 7.0: flags.
    expect(await mg112({ '1.sql': 'UPDATE act_ru_execution e SET is_active_ = false WHERE e.is_scope_ = true;\n' })).toEqual(['1.sql warning']);
    expect(await mg112({ '1.sql': "UPDATE act_ru_execution SET is_active_ = false WHERE is_scope_ IN ('t'::boolean);\n" })).toEqual(['1.sql warning']);
    // Another column pinned to a constant may still be the key.
    expect(await mg112({ '1.sql': "UPDATE act_ru_execution SET is_active_ = false WHERE is_scope_ = true AND id_ = 'e1';\n" })).toEqual(['1.sql info']);
  });
});
