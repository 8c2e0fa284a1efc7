import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';
import { compileFiles } from './helpers.js';

/**
 * MG212 between timestamp and timestamptz: PostgreSQL 12 and later convert every row (a rewrite)
 * unless the session's TimeZone is UTC, when only the catalog changes. Each case runs on
 * PostgreSQL (PGlite 18, and the server of MIGC_TEST_DATABASE_URL): the ALTERs after which the
 * table has a new file (relfilenode) are exactly those MG212 reports, for a table an earlier
 * migration made.
 */
const created = 'CREATE TABLE events (id int PRIMARY KEY, at timestamp, seen timestamptz, due timestamp);\nINSERT INTO events VALUES (1, now(), now(), now());\n';
const cases: { name: string; sql: string }[] = [
  {
    name: 'a zone other than UTC (the server\'s default is not known), and a SET LOCAL that ended with its transaction',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'Europe/Berlin';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\nBEGIN;\nSET LOCAL timezone = 'UTC';\nCOMMIT;\nALTER TABLE events ALTER COLUMN seen TYPE timestamp without time zone;\n",
  },
  {
    name: 'UTC set by SET, SET LOCAL in the same transaction, SET TIME ZONE',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\nSET TIME ZONE 'Europe/Berlin';\nBEGIN;\nSET LOCAL timezone = 'Etc/UTC';\nALTER TABLE events ALTER COLUMN seen TYPE timestamp;\nCOMMIT;\nSET TIME ZONE 'UTC';\nALTER TABLE events ALTER COLUMN due TYPE timestamp with time zone;\n",
  },
  {
    name: 'UTC, then RESET ALL',
    sql: "SET lock_timeout = '5s';\nSET timezone = 'UTC';\nRESET ALL;\nSET lock_timeout = '5s';\nSET timezone = 'America/New_York';\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\n",
  },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`timestamp and timestamptz on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async ({ sql }) => {
      const files = { '001_events.sql': created, '002_change.sql': sql };
      const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
      const reported = result.diagnostics.filter((d) => d.code === 'MG212').map((d) => result.sources.get(d.file)!.position(d.span!.start).line);
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(created);
      const parsed = parseSql(sql);
      if (!parsed.ok) throw new Error(parsed.message);
      const rewritten: number[] = [];
      // The table's file before each statement, compared after it (run() returns no rows: the check is a DO block that raises).
      for (const s of parsed.statements) {
        await db.run("CREATE TEMP TABLE IF NOT EXISTS before_file AS SELECT relfilenode AS n FROM pg_class WHERE relname = 'events'; TRUNCATE before_file; INSERT INTO before_file SELECT relfilenode FROM pg_class WHERE relname = 'events';");
        await db.run(s.text);
        try {
          await db.run("DO $$ BEGIN IF (SELECT n FROM before_file) <> (SELECT relfilenode FROM pg_class WHERE relname = 'events') THEN RAISE EXCEPTION 'rewritten'; END IF; END $$;");
        } catch (e) {
          expect((e as Error).message).toMatch(/rewritten/);
          rewritten.push(sql.slice(0, s.start).split('\n').length);
        }
      }
      expect(reported).toEqual(rewritten);
    });
  });
}

/**
 * The same in a plan: a step's SET LOCAL timezone = 'UTC' (MG212's own advice) lasts the step's
 * transaction, a SET the rest of the step; neither is assumed to reach another step (a script run
 * again after a failure skips the steps that are done, their SET with them: the step with the SET
 * comes last here, as the script's one session would carry it on). The emitted up script runs on
 * each engine in a session whose zone is not UTC: the tables it rewrites are exactly those MG212
 * reports, and the report's effect says a rewrite for those alone.
 */
const planSteps: { id: string; sql: string }[] = [
  { id: 'local-utc', sql: "SET LOCAL timezone = 'UTC';\nALTER TABLE e1 ALTER COLUMN at TYPE timestamptz;" },
  { id: 'no-zone', sql: 'ALTER TABLE e2 ALTER COLUMN at TYPE timestamptz;' },
  { id: 'local-ended', sql: "SET LOCAL timezone = 'UTC';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS e3_id ON e3 (id);\nALTER TABLE e3 ALTER COLUMN at TYPE timestamptz;" },
  { id: 'back-to-berlin', sql: "SET LOCAL timezone = 'UTC';\nSET LOCAL timezone = 'Europe/Berlin';\nALTER TABLE e4 ALTER COLUMN at TYPE timestamptz;" },
  { id: 'session-utc', sql: "SET timezone = 'Etc/UTC';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS e5_id ON e5 (id);\nALTER TABLE e5 ALTER COLUMN at TYPE timestamptz;" },
];
const planTables = planSteps.map((_, i) => `e${i + 1}`);
const planBaseline = planTables.map((t) => `CREATE TABLE ${t} (id int PRIMARY KEY, at timestamp);\n`).join('');
const indent = (text: string, by: string) => text.split('\n').map((l) => `${by}${l}`).join('\n');
const zonePlan = `migc: 1
id: zones
title: Zones
type: schema
risk: low
engine: postgresql@15
tables: { ${planTables.map((t) => `${t}: { rows: 1000000 }`).join(', ')} }
baseline:
  file: zones.baseline.sql
phases:
  - name: expand
    kind: expand
    steps:
${planSteps.map((s) => `      - id: ${s.id}
        allow: { MG212: a test of which steps rewrite }
        sql: |
${indent(s.sql, '          ')}
        rollback:
          irreversible: true
          data_loss: false
          restore: the test runs the up script only
`).join('')}`;

describe('timestamp and timestamptz in a plan', () => {
  it('reports MG212 for the steps whose zone is not UTC, and says catalog for the others', async () => {
    await loadSqlParser();
    const result = await compileFiles({ 'plans/zones.yaml': zonePlan, 'plans/zones.baseline.sql': planBaseline }, { emit: true });
    const mg212 = result.diagnostics.filter((d) => d.code === 'MG212').map((d) => /ALTER TABLE (e\d)/.exec(result.sources.get(d.file)!.text.slice(d.span!.start, d.span!.end))?.[1]);
    expect(mg212).toEqual(['e2', 'e3', 'e4']);
    expect(result.diagnostics.filter((d) => d.code === 'MG212')[0]!.message).toContain('which nothing before it in the step sets');
    const report = result.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    for (const t of planTables) {
      const row = report.split('\n').find((l) => l.startsWith(`| \`ALTER TABLE ${t} ALTER COLUMN at`));
      expect(row, t).toContain(mg212.includes(t) ? '| rewrite |' : '| catalog |');
    }
  });
});

function planEngineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`the emitted up script of a plan that sets the zone, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());
    it('rewrites exactly the tables MG212 reports', async () => {
      const result = await compileFiles({ 'plans/zones.yaml': zonePlan, 'plans/zones.baseline.sql': planBaseline }, { emit: true });
      const script = result.plans[0]!.outputs.find((o) => o.path.endsWith('01-expand.up.sql'))!.contents;
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(planBaseline);
      await db.run(`${planTables.map((t) => `INSERT INTO ${t} VALUES (1, now());`).join('\n')}\nSET timezone = 'Europe/Berlin';`);
      const files = async () => new Map(rowsOf(await db.run(`SELECT relname, relfilenode FROM pg_class WHERE relname IN (${planTables.map((t) => `'${t}'`).join(', ')})`)).map((r) => [r.relname as string, r.relfilenode as number]));
      const before = await files();
      const parsed = parseSql(script);
      if (!parsed.ok) throw new Error(parsed.message);
      // One statement at a time, as psql sends them (CONCURRENTLY must be sent alone).
      for (const s of parsed.statements) await db.run(s.text);
      const after = await files();
      const rewritten = planTables.filter((t) => before.get(t) !== after.get(t));
      expect(rewritten).toEqual(['e2', 'e3', 'e4']);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
for (const engine of sqlEngines()) planEngineSuite(engine.name, engine.open);
