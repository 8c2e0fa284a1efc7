import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { skippedPart } from '../src/analyze/sql/skips.js';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { lockStrength } from '../src/sql/locks.js';
import { loadSqlParser, parseSql, type PgNode } from '../src/sql/parser.js';
import { compileFiles, minimalPlan } from './helpers.js';
import { sqlEngines } from './sql-engines.js';

/**
 * Statements PostgreSQL skips with a NOTICE (IF NOT EXISTS of an object there, IF EXISTS of one
 * gone) are judged as what they do: src/analyze/sql/skips.ts. The history below runs on the real
 * server too, where every statement said to be skipped must draw a "skipping" NOTICE and take
 * exactly the locks said.
 */
const history = `
  CREATE TABLE t (id int PRIMARY KEY, x int, y int);
  CREATE INDEX t_x ON t (x);
  CREATE TABLE r (id int PRIMARY KEY);
  CREATE TABLE gone (id int);
  DROP TABLE gone;
  CREATE TABLE moved (id int);
  ALTER TABLE moved RENAME TO moved_to;
  CREATE SEQUENCE s;
  CREATE TYPE mood AS ENUM ('a');
  CREATE TYPE old_mood AS ENUM ('a');
  DROP TYPE old_mood;
  ALTER TABLE t ADD CONSTRAINT t_y_check CHECK (y > 0);
  ALTER TABLE t ADD COLUMN z int;
  CREATE INDEX t_x_incl_z ON t (x) INCLUDE (z);
  ALTER TABLE t DROP COLUMN z;
  ALTER TABLE t ADD CONSTRAINT t_x_check CHECK (x > 0);
  ALTER TABLE t DROP CONSTRAINT t_x_check;
  CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
  CREATE INDEX t_y_old ON t (y);
  ALTER INDEX t_y_old RENAME TO t_y_new;
`;

/** What is skipped: all of it, none of it, or which ALTER TABLE subcommands (or DROP objects) still run. */
type Outcome = 'whole' | 'none' | { kept: number[] } | { objects: number };

const cases: [string, Outcome][] = [
  ['CREATE INDEX IF NOT EXISTS t_x ON t (x)', 'whole'],
  ['CREATE UNIQUE INDEX IF NOT EXISTS t_x ON r (id)', 'whole'],
  ['CREATE INDEX IF NOT EXISTS t_y_new ON t (y)', 'whole'],
  // The name is what counts, not the columns: no index on (y) is built (MG230 counts none).
  ['CREATE INDEX IF NOT EXISTS t_x ON t (y)', 'whole'],
  // Relations share one namespace: an index named as a table is skipped.
  ['CREATE INDEX IF NOT EXISTS r ON t (y)', 'whole'],
  ['CREATE INDEX IF NOT EXISTS t_y_old ON t (y)', 'none'],
  ['CREATE INDEX IF NOT EXISTS never_seen ON t (y)', 'none'],
  // DROP COLUMN drops the indexes that only INCLUDE the column too.
  ['CREATE INDEX IF NOT EXISTS t_x_incl_z ON t (x)', 'none'],
  ['CREATE INDEX t_y2 ON t (y)', 'none'],
  ['CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY REFERENCES r, x int, y int)', 'whole'],
  ['CREATE TABLE IF NOT EXISTS t_x (id int)', 'whole'],
  ['CREATE TABLE IF NOT EXISTS gone (id int)', 'none'],
  ['CREATE TABLE IF NOT EXISTS never_seen (id int)', 'none'],
  ['CREATE TABLE IF NOT EXISTS moved_to AS SELECT id FROM r', 'whole'],
  ['CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT id FROM r', 'whole'],
  ['CREATE SEQUENCE IF NOT EXISTS s', 'whole'],
  ['DROP TABLE IF EXISTS gone', 'whole'],
  ['DROP TABLE IF EXISTS moved', 'whole'],
  ['DROP TABLE IF EXISTS gone, r', { objects: 1 }],
  ['DROP TABLE IF EXISTS never_seen', 'none'],
  ['DROP INDEX IF EXISTS t_y_old', 'whole'],
  ['DROP TYPE IF EXISTS old_mood', 'whole'],
  ['DROP TYPE IF EXISTS mood', 'none'],
  ['ALTER TABLE t ADD COLUMN IF NOT EXISTS x int DEFAULT random()', 'whole'],
  ['ALTER TABLE t ADD COLUMN IF NOT EXISTS x text REFERENCES r', 'whole'],
  ['ALTER TABLE t ADD COLUMN IF NOT EXISTS x int UNIQUE', 'whole'],
  ['ALTER TABLE t ADD COLUMN IF NOT EXISTS x int, ADD COLUMN w int', { kept: [1] }],
  ['ALTER TABLE t ADD COLUMN IF NOT EXISTS w int, ADD COLUMN IF NOT EXISTS w int', { kept: [0] }],
  ['ALTER TABLE t DROP COLUMN IF EXISTS z', 'whole'],
  ['ALTER TABLE t DROP COLUMN x, DROP COLUMN IF EXISTS x', { kept: [0] }],
  ['ALTER TABLE t DROP COLUMN IF EXISTS never_seen', 'none'],
  ['ALTER TABLE t DROP CONSTRAINT IF EXISTS t_x_check', 'whole'],
  ['ALTER TABLE t DROP CONSTRAINT IF EXISTS t_y_check', 'none'],
  ['ALTER TABLE IF EXISTS gone ADD COLUMN a int', 'whole'],
  ['ALTER TABLE IF EXISTS gone RENAME TO gone2', 'whole'],
  ['ALTER TABLE IF EXISTS never_seen ADD COLUMN a int', 'none'],
];

function parsed(sql: string): PgNode[] {
  const p = parseSql(sql);
  if (!p.ok) throw new Error(`${sql} does not parse`);
  return p.statements.map((s) => s.ast);
}

function stateAfter(sql: string): SchemaState {
  const state = new SchemaState();
  for (const ast of parsed(sql)) state.apply(ast, false);
  return state;
}

function outcome(sql: string, state: SchemaState): Outcome {
  const skipped = skippedPart(parsed(sql)[0]!, state);
  if (!skipped) return 'none';
  if (!skipped.runs) return 'whole';
  if (skipped.kept) return { kept: [...skipped.kept] };
  return { objects: (skipped.runs as { DropStmt: { objects: unknown[] } }).DropStmt.objects.length };
}

beforeAll(loadSqlParser);

describe('what PostgreSQL skips, as the schema state knows it', () => {
  it.each(cases)('%s: %j', (sql, expected) => {
    expect(outcome(sql, stateAfter(history))).toEqual(expected);
  });

  it('a table known only from ALTER TABLE IF EXISTS may not be there: CREATE TABLE IF NOT EXISTS runs', () => {
    const state = stateAfter('ALTER TABLE IF EXISTS legacy ADD COLUMN a int;');
    expect(outcome('CREATE TABLE IF NOT EXISTS legacy (id int)', state)).toBe('none');
    // Nor is it sure to create it: the table is not taken as new.
    for (const ast of parsed('CREATE TABLE IF NOT EXISTS legacy (id int);')) state.apply(ast, true);
    expect(state.isNew('legacy')).toBe(false);
    // An ALTER TABLE without IF EXISTS would fail on a table that is not there: then it is sure.
    for (const ast of parsed('ALTER TABLE legacy ADD COLUMN b int;')) state.apply(ast, true);
    expect(outcome('CREATE TABLE IF NOT EXISTS legacy (id int)', state)).toBe('whole');
    // Without IF EXISTS the ALTER proved the table is there.
    expect(outcome('CREATE TABLE IF NOT EXISTS legacy2 (id int)', stateAfter('ALTER TABLE legacy2 ADD COLUMN a int;'))).toBe('whole');
  });

  it('in files that make their tables from the first, CREATE TABLE IF NOT EXISTS of a table known only from ALTER TABLE IF EXISTS makes it new (the nineteenth trial\'s WebAPI)', () => {
    const state = stateAfter('CREATE TABLE parent (id int PRIMARY KEY);\nALTER TABLE IF EXISTS child DROP CONSTRAINT IF EXISTS child_fk;');
    expect(state.tablesMadeFirst).toBe(true);
    for (const ast of parsed('CREATE TABLE IF NOT EXISTS child (id int, parent_id int);')) state.apply(ast, true);
    expect(state.isNew('child')).toBe(true);
    // A history that alters a table before it makes one starts after its tables were made: not sure.
    const later = stateAfter('ALTER TABLE IF EXISTS child DROP CONSTRAINT IF EXISTS child_fk;\nCREATE TABLE parent (id int PRIMARY KEY);');
    expect(later.tablesMadeFirst).toBe(false);
    for (const ast of parsed('CREATE TABLE IF NOT EXISTS child (id int, parent_id int);')) later.apply(ast, true);
    expect(later.isNew('child')).toBe(false);
    // So does one whose first table's foreign key reaches a table no statement made.
    expect(stateAfter('CREATE TABLE tags (id int PRIMARY KEY, owner int REFERENCES x_portal_user);').tablesMadeFirst).toBe(false);
    expect(stateAfter('CREATE TABLE tags (id int PRIMARY KEY, parent int REFERENCES tags);').tablesMadeFirst).toBe(true);
  });

  it('a name PostgreSQL may give an unnamed index again is no longer known to be gone', () => {
    const state = stateAfter('CREATE TABLE t (x int); CREATE INDEX t_x_idx ON t (x); DROP INDEX t_x_idx;');
    expect(outcome('DROP INDEX IF EXISTS t_x_idx', state)).toBe('whole');
    for (const ast of parsed('CREATE INDEX ON t (x);')) state.apply(ast, false);
    expect(outcome('DROP INDEX IF EXISTS t_x_idx', state)).toBe('none');
  });

  it('a skipped statement teaches the state nothing', () => {
    const state = stateAfter(`${history}
      CREATE TABLE IF NOT EXISTS t (id bigint, other text);
      ALTER TABLE t ADD COLUMN IF NOT EXISTS x text;
      CREATE INDEX IF NOT EXISTS t_x ON r (id);
      CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT id FROM r;`);
    expect(state.table('t')?.columns.get('x')?.type?.name).toBe('int4');
    expect(state.table('t')?.columns.has('other')).toBe(false);
    expect(state.tableOfIndex('t_x')).toBe('t');
    expect(state.readsOfView('mv')).toEqual(['t']);
  });

  it('a rollback judged tentatively leaves nothing gone behind it', () => {
    const state = stateAfter('CREATE TABLE t (id int);');
    state.tentatively(() => {
      for (const ast of parsed('DROP TABLE t;')) state.apply(ast, true);
      expect(outcome('DROP TABLE IF EXISTS t', state)).toBe('whole');
    });
    expect(outcome('DROP TABLE IF EXISTS t', state)).toBe('none');
  });
});

describe('lint judges what runs', () => {
  const repro = {
    'm/001_init.up.sql': 'CREATE TABLE t (id int PRIMARY KEY, x int, y int);\nCREATE INDEX t_x ON t (x);\nCREATE TABLE gone (id int);\n',
    'm/002_again.up.sql': 'CREATE INDEX IF NOT EXISTS t_x ON t (x);\n',
    'm/003_table_again.up.sql': 'CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, x int, y int);\nCREATE INDEX t_y ON t (y);\nALTER TABLE t ALTER COLUMN y SET NOT NULL;\n',
    'm/004_col_again.up.sql': 'ALTER TABLE t ADD COLUMN IF NOT EXISTS x int DEFAULT random();\n',
    'm/005_drop_gone.up.sql': 'DROP TABLE gone;\n',
    'm/006_drop_gone_again.up.sql': 'DROP TABLE IF EXISTS gone;\n',
    'm/007_parts.up.sql': "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN IF NOT EXISTS x int DEFAULT random(),\n  ADD COLUMN w int DEFAULT random();\n",
  };

  it('keeps the lock wait of a skipped statement and drops the work it does not do', async () => {
    const files = Object.keys(repro).sort();
    const result = await lint({ files }, memoryHost(repro));
    const codes = (file: string) => result.diagnostics.filter((d) => d.file === file).map((d) => d.code);
    // CREATE INDEX IF NOT EXISTS of t_x takes its SHARE lock (MG219) but builds nothing (no MG201).
    expect(codes('m/002_again.up.sql')).toEqual(['MG219']);
    // The skipped CREATE TABLE does not make t new: what follows is judged on an existing table.
    expect(codes('m/003_table_again.up.sql')).toEqual(['MG201', 'MG219', 'MG207']);
    expect(codes('m/004_col_again.up.sql')).toEqual(['MG219']);
    expect(codes('m/006_drop_gone_again.up.sql')).toEqual([]);
    // In part: the finding is the subcommand's that runs, and points at it (line 3).
    const parts = result.diagnostics.filter((d) => d.file === 'm/007_parts.up.sql');
    expect(parts.map((d) => d.code)).toEqual(['MG205']);
    expect(parts[0]!.message).toContain('ADD COLUMN w ');
    expect(parts[0]!.span!.start).toBe(repro['m/007_parts.up.sql'].indexOf('ADD COLUMN w'));
  });
});

describe('what a skipped statement still does is judged', () => {
  it('refusals before the lookup (MG204) and the lock it holds (MG217)', async () => {
    const files = {
      'm/001.sql': 'CREATE TABLE t (id int PRIMARY KEY, x int);\nCREATE TABLE u (id int PRIMARY KEY);\nCREATE INDEX t_x ON t (x);\nDROP INDEX t_x;\n',
      'm/002.sql': "SET lock_timeout = '5s';\nBEGIN;\nDROP INDEX CONCURRENTLY IF EXISTS t_x;\nALTER TABLE u ADD COLUMN y int;\nALTER TABLE t ADD COLUMN IF NOT EXISTS x int;\nCOMMIT;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    const found = result.diagnostics.filter((d) => d.file === 'm/002.sql').map((d) => `${files['m/002.sql'].slice(0, d.span!.start).split('\n').length} ${d.code}`);
    // PostgreSQL refuses CONCURRENTLY in a transaction block before it looks for the index; the
    // skipped ADD COLUMN still takes ACCESS EXCLUSIVE on t while u's is held.
    expect(found).toEqual(['3 MG204', '5 MG217']);
  });
});

describe('plans judge what runs', () => {
  it('a step that repeats what the baseline has draws no finding for work it does not do', async () => {
    const plan = minimalPlan
      .replace('engine: postgresql@15', 'engine: postgresql@15\nbaseline:\n  file: t.baseline.sql')
      .replace('sql: ALTER TABLE t ADD COLUMN c integer;', 'sql: |\n          CREATE INDEX IF NOT EXISTS t_x ON t (x);\n          ALTER TABLE t ADD COLUMN IF NOT EXISTS x integer DEFAULT random();\n          ALTER TABLE t ADD COLUMN c integer;');
    const files = { 'plans/p.yaml': plan, 'plans/t.baseline.sql': 'CREATE TABLE t (id int PRIMARY KEY, x int);\nCREATE INDEX t_x ON t (x);\n' };
    const result = await compileFiles(files);
    const codes = result.diagnostics.map((d) => d.code);
    expect(codes).not.toContain('MG201');
    expect(codes).not.toContain('MG205');
    // The same step without the index in the baseline builds it: MG201.
    const fresh = await compileFiles({ ...files, 'plans/t.baseline.sql': 'CREATE TABLE t (id int PRIMARY KEY, x int);\n' });
    expect(fresh.diagnostics.map((d) => d.code)).toContain('MG201');
  });

  it('a step whose drops are all of what is gone raises no risk, needs no gate and loses no data (no MG111, MG103, MG114)', async () => {
    const plan = (sql: string) => minimalPlan
      .replace('engine: postgresql@15', 'engine: postgresql@15\nbaseline:\n  file: t.baseline.sql')
      .replace('name: expand\n    kind: expand', 'name: contract\n    kind: contract')
      .replace('sql: ALTER TABLE t ADD COLUMN c integer;', `sql: ${sql}`)
      .replace('sql: ALTER TABLE t DROP COLUMN c;', 'sql: SELECT 1;');
    const baseline = 'CREATE TABLE t (id int PRIMARY KEY, note text);\nCREATE TABLE scratch (id int);\nDROP TABLE scratch;\nALTER TABLE t DROP COLUMN note;\n';
    const codes = async (sql: string, base = baseline) => (await compileFiles({ 'plans/p.yaml': plan(sql), 'plans/t.baseline.sql': base })).diagnostics.map((d) => d.code);
    for (const sql of ['DROP TABLE IF EXISTS scratch;', 'ALTER TABLE t DROP COLUMN IF EXISTS note;']) {
      expect(await codes(sql), sql).toEqual([]);
    }
    // What is there is dropped: risk low is understated, the contract needs its gate, the rollback restores nothing.
    const there = await codes('DROP TABLE IF EXISTS scratch;', 'CREATE TABLE t (id int PRIMARY KEY);\nCREATE TABLE scratch (id int);\n');
    for (const code of ['MG111', 'MG103', 'MG114']) expect(there).toContain(code);
  });

  it('a DROP ... IF EXISTS of what is gone destroys nothing, in any phase (no MG102, no MG214)', async () => {
    const plan = minimalPlan
      .replace('engine: postgresql@15', 'engine: postgresql@15\nbaseline:\n  file: t.baseline.sql')
      .replace('sql: ALTER TABLE t ADD COLUMN c integer;', 'sql: DROP TABLE IF EXISTS scratch;');
    const codes = async (baseline: string) => (await compileFiles({ 'plans/p.yaml': plan, 'plans/t.baseline.sql': baseline })).diagnostics.map((d) => d.code);
    const gone = await codes('CREATE TABLE t (id int PRIMARY KEY);\nCREATE TABLE scratch (id int);\nDROP TABLE scratch;\n');
    expect(gone).not.toContain('MG102');
    expect(gone).not.toContain('MG214');
    // Still there: the drop is one, in the expand phase.
    expect(await codes('CREATE TABLE t (id int PRIMARY KEY);\nCREATE TABLE scratch (id int);\n')).toContain('MG102');
  });
});

describe.each(sqlEngines())('on %s: a skipped statement builds no index', (engine) => {
  it('CREATE INDEX IF NOT EXISTS of a name taken by an index of other columns, ADD COLUMN IF NOT EXISTS ... UNIQUE of a column there', async () => {
    const db = await engine.open();
    try {
      await db.run(history);
      const built = ['CREATE INDEX IF NOT EXISTS t_x ON t (y)', 'ALTER TABLE t ADD COLUMN IF NOT EXISTS x int UNIQUE'];
      for (const sql of built) {
        expect(outcome(sql, stateAfter(history))).toBe('whole');
        await db.run(sql);
      }
      // t's indexes are still its primary key, t_x on (x) alone and t_y_new on (y): none made, none unique on x.
      await db.run(`DO $$ BEGIN
        IF (SELECT string_agg(indexrelid::regclass::text || ' ' || indkey::text || ' ' || indisunique::text, ', ' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 't'::regclass)
           IS DISTINCT FROM 't_pkey 1 true, t_x 2 false, t_y_new 3 false' THEN
          RAISE EXCEPTION 'indexes of t changed';
        END IF;
      END $$`);
    } finally {
      await db.close();
    }
  });
});

/** Strongest lock per relation of the public schema that the session holds. */
const ownLocks = `SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relnamespace = 'public'::regnamespace`;

function strongest(rows: { relname: string; mode: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (!out[r.relname] || lockStrength(r.mode) > lockStrength(out[r.relname]!)) out[r.relname] = r.mode;
  return out;
}

describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('on a real PostgreSQL server: the skip and its locks', () => {
  const database = `migc_skips_${randomBytes(4).toString('hex')}`;
  const url = () => {
    const u = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    u.pathname = `/${database}`;
    return u.toString();
  };
  let admin: pg.Client;
  let client: pg.Client;
  const notices: string[] = [];
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: process.env.MIGC_TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    client = new pg.Client({ connectionString: url() });
    await client.connect();
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.query(history);
  });
  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it.each(cases.filter(([, o]) => o !== 'none'))('%s', async (sql) => {
    const state = stateAfter(history);
    const skipped = skippedPart(parsed(sql)[0]!, state)!;
    notices.length = 0;
    await client.query('BEGIN');
    try {
      await client.query(sql);
      const held = strongest((await client.query(ownLocks)).rows);
      // PostgreSQL says it skips (a NOTICE for each part skipped).
      expect(notices.filter((n) => n.includes('skipping')).length).toBeGreaterThan(0);
      // Skipped whole: exactly the locks it takes before it finds nothing to do.
      if (!skipped.runs) expect(held).toEqual(Object.fromEntries(skipped.locks.map((l) => [l.table, l.mode])));
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('CREATE INDEX CONCURRENTLY IF NOT EXISTS of an index there waits for SHARE UPDATE EXCLUSIVE, then builds nothing', async () => {
    const sql = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_x ON t (x)';
    expect(skippedPart(parsed(sql)[0]!, stateAfter(history))).toEqual({ locks: [{ table: 't', mode: 'ShareUpdateExclusiveLock' }] });
    const holder = new pg.Client({ connectionString: url() });
    const builder = new pg.Client({ connectionString: url() });
    await holder.connect();
    await builder.connect();
    try {
      const said: string[] = [];
      builder.on('notice', (n) => said.push(n.message ?? ''));
      const pid = (await builder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE');
      const building = builder.query(sql);
      let waiting: { mode: string }[] = [];
      for (let i = 0; i < 100 && waiting.length === 0; i++) {
        waiting = (await client.query(`SELECT l.mode FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted AND l.relation = 't'::regclass`, [pid])).rows;
        if (waiting.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting.map((w) => w.mode)).toEqual(['ShareUpdateExclusiveLock']);
      await holder.query('COMMIT');
      await building;
      expect(said.some((n) => n.includes('skipping'))).toBe(true);
    } finally {
      await holder.end();
      await builder.end();
    }
  });
});
