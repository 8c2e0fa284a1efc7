import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * What waits on a materialized view a migration locks (the thirty-eighth trial's class F:
 * stacker.news's user_stats_views, where MG217 said "writes to spender_growth_days wait"):
 * nothing writes a materialized view but REFRESH MATERIALIZED VIEW, so MG217 says "refreshes of"
 * it wait, and MG219 that REFRESH MATERIALIZED VIEW queues; a table beside it keeps "writes to".
 * Checked on PGlite and the server of MIGC_TEST_DATABASE_URL: a write to one is refused, and
 * REFRESH takes EXCLUSIVE (CONCURRENTLY) or ACCESS EXCLUSIVE, both of which conflict with the
 * SHARE lock CREATE INDEX holds; on a server, a REFRESH of it waits while a plain read goes on.
 */
const init = [
  'CREATE TABLE items (id int PRIMARY KEY, day date);',
  'CREATE MATERIALIZED VIEW spender_growth_days AS SELECT now()::date AS day;',
  'CREATE MATERIALIZED VIEW item_growth_days AS SELECT now()::date AS day;',
  '',
].join('\n');

async function findings(migration: string, fileTransaction = true): Promise<string[]> {
  await loadSqlParser();
  const files = { '1_init.sql': init, '2_index.sql': migration };
  const result = await lint({ files: migrationOrder(Object.keys(files)), ...(fileTransaction ? { fileTransaction: true } : {}) }, memoryHost(files));
  return result.diagnostics.filter((d) => ['MG217', 'MG219'].includes(d.code) && d.file === '2_index.sql').map((d) => `${d.code} ${d.message}`);
}

describe('MG217 and MG219 on a materialized view', () => {
  it('MG217: refreshes of the view wait, not writes; writes to a table still', async () => {
    const found = await findings("SET lock_timeout = '5s';\nCREATE UNIQUE INDEX IF NOT EXISTS spender_growth_days_idx ON spender_growth_days(day);\nCREATE INDEX items_day ON items (day);\nCREATE UNIQUE INDEX IF NOT EXISTS item_growth_day_idx ON item_growth_days(day);\n");
    expect(found.filter((f) => f.startsWith('MG217'))).toEqual([
      'MG217 CREATE INDEX does an index build of items while this transaction still holds SHARE on spender_growth_days, which CREATE UNIQUE INDEX spender_growth_days_idx ON spender_growth_days (line 2) took: refreshes of spender_growth_days wait until it commits (plain reads go on)',
      'MG217 CREATE UNIQUE INDEX does an index build of item_growth_days while this transaction still holds SHARE on items, which CREATE INDEX items_day ON items (line 3) took: writes to items wait until it commits (plain reads go on)',
    ]);
  });

  it('MG219: REFRESH MATERIALIZED VIEW queues behind the waiting CREATE INDEX, reads go on', async () => {
    const found = await findings('CREATE UNIQUE INDEX IF NOT EXISTS spender_growth_days_idx ON spender_growth_days(day);\n', false);
    expect(found).toEqual([
      'MG219 CREATE UNIQUE INDEX waits for a SHARE lock on spender_growth_days with no lock_timeout set before it in its session: while it waits behind a long query, REFRESH MATERIALIZED VIEW spender_growth_days queues behind it (reads go on)',
    ]);
  });
});

for (const { name, open } of sqlEngines()) {
  describe(`what waits on a materialized view, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
      await db.run(init);
    });
    afterAll(() => db?.close());

    const locksOf = async (statement: string) => {
      await db.run('BEGIN');
      try {
        await db.run(statement);
        const result = await db.run("SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND c.relname = 'spender_growth_days' ORDER BY 1");
        return rowsOf(result).map((r) => r.mode);
      } finally {
        await db.run('ROLLBACK');
      }
    };

    it('refuses a write to it', async () => {
      await expect(db.run("INSERT INTO spender_growth_days VALUES ('2025-01-01')")).rejects.toThrow(/cannot change materialized view "spender_growth_days"/);
      await expect(db.run('DELETE FROM spender_growth_days')).rejects.toThrow(/cannot change materialized view "spender_growth_days"/);
    });

    it('CREATE INDEX takes SHARE on it; REFRESH takes ACCESS EXCLUSIVE, and CONCURRENTLY EXCLUSIVE, both in conflict with SHARE', async () => {
      expect(await locksOf('CREATE UNIQUE INDEX spender_growth_days_idx ON spender_growth_days (day)')).toContain('ShareLock');
      await db.run('CREATE UNIQUE INDEX spender_growth_days_idx ON spender_growth_days (day)');
      expect(await locksOf('REFRESH MATERIALIZED VIEW spender_growth_days')).toContain('AccessExclusiveLock');
      expect(await locksOf('REFRESH MATERIALIZED VIEW CONCURRENTLY spender_growth_days')).toContain('ExclusiveLock');
      await db.run('DROP INDEX spender_growth_days_idx');
    });
  });
}

describe.runIf(process.env.MIGC_TEST_DATABASE_URL)('on a real PostgreSQL server, while a transaction holds SHARE on a materialized view', () => {
  let holder: SqlEngine;
  let other: import('pg').Client;
  beforeAll(async () => {
    const pg = (await import('pg')).default;
    holder = await sqlEngines()[1]!.open();
    await holder.run(init);
    const database = rowsOf(await holder.run('SELECT current_database() AS d'))[0]!.d as string;
    const url = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    other = new pg.Client({ connectionString: url.toString() });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await holder?.close();
  });

  it('a REFRESH of it waits (CONCURRENTLY or not), a plain read goes on', async () => {
    await holder.run('CREATE UNIQUE INDEX spender_growth_days_idx ON spender_growth_days (day)');
    await holder.run('BEGIN');
    try {
      await holder.run('CREATE INDEX spender_growth_days_day ON spender_growth_days (day)');
      await other.query("SET lock_timeout = '200ms'");
      await expect(other.query('SELECT count(*) FROM spender_growth_days')).resolves.toBeDefined();
      await expect(other.query('REFRESH MATERIALIZED VIEW spender_growth_days')).rejects.toThrow(/lock timeout/);
      await expect(other.query('REFRESH MATERIALIZED VIEW CONCURRENTLY spender_growth_days')).rejects.toThrow(/lock timeout/);
    } finally {
      await holder.run('ROLLBACK');
    }
  });
});
