import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { brief, compileFiles } from './helpers.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A statement PostgreSQL refuses fails and does nothing else: lint says why it fails, once, and
 * not what it would do if it ran (a lock wait, a rewrite, a scan, a drop). Each case runs on
 * PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL), where the statement must fail
 * with the server's reason; lint must report the refusal alone on it; and once a migc-ignore
 * accepts the refusal (it runs after all, says the author), the findings of its running come
 * back: without them the case would prove nothing.
 */
interface Case {
  readonly name: string;
  /** The schema before (an earlier migration). */
  readonly setup: string;
  /** Statements before the one judged, in its transaction. */
  readonly before?: readonly string[];
  /** The statement PostgreSQL refuses. */
  readonly statement: string;
  /** Run in BEGIN ... COMMIT (else on its own). */
  readonly inTransaction: boolean;
  /** The refusal's code, and the server's reason. */
  readonly code: string;
  readonly reason: RegExp;
  /** What lint says of the statement once the refusal is accepted, besides it. */
  readonly whenItRuns: readonly string[];
  /** Linted for this version; on an engine of it or later the statement runs (MG239). */
  readonly postgres?: number;
  /**
   * A setting that lifts the refusal when on: PGlite runs as single-user mode does, with
   * allow_system_table_mods on, which no server is started with but on purpose (MG242).
   */
  readonly liftedBy?: string;
}

const table = 'CREATE TABLE t (id int PRIMARY KEY, c int, v text);\nINSERT INTO t VALUES (1, 1, \'1\');';

const cases: Case[] = [
  {
    name: 'a type that does not exist: ALTER COLUMN ... TYPE bigserial (MG234)',
    setup: table, statement: 'ALTER TABLE t ALTER COLUMN c TYPE bigserial;', inTransaction: false,
    code: 'MG234', reason: /type "bigserial" does not exist/, whenItRuns: ['MG219'],
  },
  {
    name: 'a type change with no cast and no USING (MG241)',
    setup: table, statement: 'ALTER TABLE t ALTER COLUMN v TYPE jsonb;', inTransaction: false,
    code: 'MG241', reason: /cannot be cast automatically to type jsonb/, whenItRuns: ['MG219'],
  },
  {
    name: 'a column the table does not have (MG238)',
    setup: table, statement: 'ALTER TABLE t ALTER COLUMN nope SET NOT NULL;', inTransaction: false,
    code: 'MG238', reason: /column "nope" of relation "t" does not exist/, whenItRuns: ['MG207', 'MG219'],
  },
  {
    // DROP DEFAULT runs in a pass before ADD COLUMN's; SET DEFAULT after it (`accepted`, below).
    name: 'a column the same ALTER TABLE adds, in a subcommand PostgreSQL runs before it adds it (MG238)',
    setup: table, statement: 'ALTER TABLE t ADD COLUMN n int, ALTER COLUMN n DROP DEFAULT;', inTransaction: false,
    code: 'MG238', reason: /column "n" of relation "t" does not exist/, whenItRuns: ['MG219'],
  },
  {
    name: 'an UPDATE that sets a column the table does not have (MG238)',
    setup: table, statement: 'UPDATE t SET nope = 1;', inTransaction: false,
    code: 'MG238', reason: /column "nope" of relation "t" does not exist/, whenItRuns: ['MG112', 'MG214'],
  },
  {
    name: 'an index on a column the table does not have (MG238)',
    setup: table, statement: 'CREATE INDEX t_nope ON t (nope);', inTransaction: false,
    code: 'MG238', reason: /column "nope" does not exist/, whenItRuns: ['MG201', 'MG219'],
  },
  {
    name: 'a table a foreign key references (MG237)',
    setup: `${table}\nCREATE TABLE r (id int PRIMARY KEY, t_id int REFERENCES t (id));`, statement: 'DROP TABLE t;', inTransaction: false,
    code: 'MG237', reason: /depend/, whenItRuns: ['MG214', 'MG219'],
  },
  {
    // The tenth trial's svix down migration: DROP COLUMN took the index already.
    name: 'an index DROP COLUMN dropped (MG244)',
    setup: `${table}\nCREATE INDEX t_c ON t (c);`, before: ['ALTER TABLE t DROP COLUMN c;'], statement: 'DROP INDEX t_c;', inTransaction: true,
    code: 'MG244', reason: /index "t_c" does not exist/, whenItRuns: ['MG202'],
  },
  {
    name: 'a column a view reads (MG067)',
    setup: `${table}\nCREATE VIEW tv AS SELECT c FROM t;`, statement: 'ALTER TABLE t DROP COLUMN c;', inTransaction: false,
    code: 'MG067', reason: /other objects depend on it/, whenItRuns: ['MG214', 'MG219'],
  },
  {
    name: 'CREATE INDEX CONCURRENTLY in a transaction block (MG204)',
    setup: table, statement: 'CREATE INDEX CONCURRENTLY t_c_idx ON t (c);', inTransaction: true,
    code: 'MG204', reason: /cannot run inside a transaction block/, whenItRuns: ['MG221'],
  },
  {
    name: 'CREATE INDEX CONCURRENTLY on a partitioned table (MG233)',
    setup: 'CREATE TABLE pt (a int) PARTITION BY RANGE (a);\nCREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10);', statement: 'CREATE INDEX CONCURRENTLY pt_a_idx ON pt (a);', inTransaction: false,
    code: 'MG233', reason: /cannot create index on partitioned table "pt" concurrently/, whenItRuns: ['MG221'],
  },
  {
    // The thirty-eighth trial's class J: xmtpd 00019 drops indexes of a partitioned table.
    name: 'DROP INDEX CONCURRENTLY of an index of a partitioned table (MG233)',
    setup: 'CREATE TABLE pt (a int) PARTITION BY RANGE (a);\nCREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10);\nCREATE INDEX pt_a_idx ON pt (a);', statement: 'DROP INDEX CONCURRENTLY IF EXISTS pt_a_idx;', inTransaction: false,
    code: 'MG233', reason: /cannot drop partitioned index "pt_a_idx" concurrently/, whenItRuns: [],
  },
  {
    name: 'LOCK TABLE outside a transaction block (MG223)',
    setup: table, statement: 'LOCK TABLE t;', inTransaction: false,
    code: 'MG223', reason: /LOCK TABLE can only be used in transaction blocks/, whenItRuns: ['MG219'],
  },
  {
    name: 'an enum value used in the transaction that added it (MG235)',
    setup: `CREATE TYPE mood AS ENUM ('ok');\n${table}\nALTER TABLE t ADD COLUMN m mood;`, before: ["ALTER TYPE mood ADD VALUE 'great';"],
    statement: "UPDATE t SET m = 'great';", inTransaction: true,
    code: 'MG235', reason: /unsafe use of new value/, whenItRuns: ['MG112', 'MG214'],
  },
  {
    name: 'a value for an identity column GENERATED ALWAYS (MG236)',
    setup: 'CREATE TABLE g (id int GENERATED ALWAYS AS IDENTITY, v int);', statement: 'INSERT INTO g (id, v) VALUES (1, 1);', inTransaction: false,
    code: 'MG236', reason: /cannot insert a non-DEFAULT value into column "id"/, whenItRuns: [],
  },
  {
    name: 'TRUNCATE of a system catalog (MG242)',
    setup: table, statement: 'TRUNCATE pg_description;', inTransaction: false,
    code: 'MG242', reason: /permission denied: "pg_description" is a system catalog/, whenItRuns: ['MG214', 'MG219'], liftedBy: 'allow_system_table_mods',
  },
  {
    name: 'a virtual generated column, on PostgreSQL 15 (MG239)',
    setup: table, statement: 'ALTER TABLE t ADD COLUMN w int GENERATED ALWAYS AS (c + 1) VIRTUAL;', inTransaction: false, postgres: 15,
    code: 'MG239', reason: /syntax error/, whenItRuns: ['MG219'],
  },
  {
    // Lemmy's down migrations, linted for PostgreSQL 16.
    name: 'NOT NULL as a table constraint, on PostgreSQL 15 (MG239)',
    setup: table, statement: 'ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c;', inTransaction: false, postgres: 15,
    code: 'MG239', reason: /syntax error/, whenItRuns: ['MG219'],
  },
];

/** The codes lint gives the judged statement, sorted: the file is V2, the statement on `line`. */
async function codesOn(c: Case, accepted: boolean): Promise<string[]> {
  await loadSqlParser();
  const lines = [
    ...(c.inTransaction ? ['BEGIN;'] : []),
    ...(c.before ?? []),
    ...(accepted ? [`-- migc-ignore ${c.code}: the author says it runs`] : []),
    c.statement,
    ...(c.inTransaction ? ['COMMIT;'] : []),
  ];
  const line = lines.indexOf(c.statement) + 1;
  const files = { 'm/V1__setup.sql': `SET lock_timeout = '5s';\n${c.setup}\n`, 'm/V2__change.sql': `${lines.join('\n')}\n` };
  const result = await lint({ files: Object.keys(files), ...(c.postgres ? { config: { postgres: c.postgres } } : {}) }, memoryHost(files));
  return result.diagnostics
    .filter((d) => d.file === 'm/V2__change.sql' && result.sources.get(d.file)!.position(d.span!.start).line === line)
    .map((d) => d.code).sort();
}

describe('lint says a refused statement fails, and nothing of its running', () => {
  it.each(cases)('$name', async (c) => {
    expect(await codesOn(c, false)).toEqual([c.code]);
    expect(await codesOn(c, true)).toEqual([c.code, ...c.whenItRuns].sort());
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`the statements are refused on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async (c) => {
      // A newer server takes what PostgreSQL 15 refuses: nothing to prove there.
      if (c.postgres !== undefined && db.major > c.postgres) return;
      if (c.liftedBy !== undefined && rowsOf(await db.run(`SHOW ${c.liftedBy}`))[0]?.[c.liftedBy] === 'on') return;
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP TYPE IF EXISTS mood;');
      await db.run(c.setup);
      if (c.inTransaction) await db.run('BEGIN');
      try {
        for (const s of c.before ?? []) await db.run(s);
        await expect(db.run(c.statement)).rejects.toThrow(c.reason);
      } finally {
        if (c.inTransaction) await db.run('ROLLBACK');
      }
    });
  });
}

/**
 * Statements PostgreSQL runs though a subcommand names a column the statement adds after it: it
 * runs ADD COLUMN in a pass before SET DEFAULT and SET NOT NULL (the fourteenth trial's convoy
 * migration). Lint reports no refusal, and each engine runs them.
 */
const accepted = [
  'ALTER TABLE t ADD COLUMN IF NOT EXISTS a boolean, ALTER COLUMN a SET DEFAULT false;',
  'ALTER TABLE t ALTER COLUMN b SET DEFAULT 1, ADD COLUMN b int;',
  'ALTER TABLE t ALTER COLUMN d SET NOT NULL, ADD COLUMN d int DEFAULT 0;',
];

describe('a column the same ALTER TABLE adds', () => {
  it('is no refusal for SET DEFAULT and SET NOT NULL, wherever the ADD COLUMN stands', async () => {
    await loadSqlParser();
    for (const statement of accepted) {
      const files = { '1.sql': `SET lock_timeout = '5s';\n${table}\n`, '2.sql': `SET lock_timeout = '5s';\n${statement}\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG238'), statement).toEqual([]);
    }
  });
});

for (const engine of sqlEngines()) {
  engineSuite(engine.name, engine.open);
  describe(`a column the same ALTER TABLE adds, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());
    it.each(accepted)('runs %s', async (statement) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(table);
      await db.run(statement);
    });
  });
}

describe('in a plan', () => {
  /** The codes on the step's two statements, with an allow: of the step's or not. */
  async function planCodes(allow: string): Promise<string[]> {
    const plan = `migc: 1
id: refused
title: Refused
type: schema
risk: high
engine: postgresql@15
baseline:
  sql: |
    CREATE TABLE users (id int PRIMARY KEY, n int, v text);
    CREATE VIEW user_ns AS SELECT n FROM users;
phases:
  - name: contract
    kind: contract
    steps:
      - id: change
${allow}        rollback:
          irreversible: true
          data_loss: true
          restore: from the backup
        sql: |
          ALTER TABLE users ALTER COLUMN nope SET NOT NULL;
          ALTER TABLE users DROP COLUMN n;
`;
    await loadSqlParser();
    const result = await compileFiles({ 'plans/refused.yaml': plan });
    // Each finding as "statement severity code": 1 for the type change, 2 for the drop.
    const lines = plan.split('\n');
    const statement = (line: number) => ['ALTER TABLE users ALTER COLUMN nope', 'ALTER TABLE users DROP COLUMN n'].findIndex((s) => lines[line - 1]!.includes(s)) + 1;
    return brief(result).map((l) => l.split(' ').slice(0, 3)).filter(([at]) => statement(Number(at!.split(':')[0])) > 0)
      .map(([at, severity, code]) => `${statement(Number(at!.split(':')[0]))} ${severity} ${code}`).sort();
  }

  it('a refusal alone, by a rule (MG238) or by a view (MG067, which the app-compatibility walk reports); an allow: brings the rest back', async () => {
    expect(await planCodes('')).toEqual(['1 error MG238', '2 error MG067']);
    // The walk's MG067 takes no allow:, so the drop stays refused.
    expect(await planCodes('        allow:\n          MG238: the column is made outside the plan\n          MG067: the view goes first\n')).toEqual(['1 error MG207', '1 info MG238', '2 error MG067']);
  });
});

describe('the statements after a refused one', () => {
  /** Codes by line of the second file. */
  async function byLine(sql: string): Promise<string[]> {
    await loadSqlParser();
    const files = { 'm/V1__setup.sql': `SET lock_timeout = '5s';\n${table}\nCREATE TABLE u (id int PRIMARY KEY, v text);\nCREATE TABLE r (id int PRIMARY KEY);\n`, 'm/V2__change.sql': sql };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    return result.diagnostics.filter((d) => d.file === 'm/V2__change.sql').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
  }

  it('get the once-per-session and once-per-transaction findings the refused one did not (MG219, MG217)', async () => {
    expect(await byLine('ALTER TABLE t ALTER COLUMN c TYPE bigserial;\nALTER TABLE t ADD COLUMN w int;\n')).toEqual(['1 MG234', '2 MG219']);
    expect(await byLine("SET lock_timeout = '5s';\nBEGIN;\nALTER TABLE t ADD COLUMN w int;\nALTER TABLE u ALTER COLUMN v TYPE jsonb;\nALTER TABLE r ADD COLUMN w int;\nCOMMIT;\n")).toEqual(['4 MG241', '5 MG217']);
    // Its locks still count as held after it, as its changes count in the schema: as today.
  });
});
