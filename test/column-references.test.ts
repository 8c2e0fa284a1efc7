import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG238 on the columns an UPDATE, DELETE, INSERT or SELECT reads (src/analyze/sql/column-refs.ts),
 * checked on PostgreSQL (PGlite, and the server of MIGC_TEST_DATABASE_URL): each statement runs
 * after the schema; MG238 reports exactly those PostgreSQL refuses for a column that does not
 * exist, at the reference it names. The statements that run are the scoping rules a careless
 * resolver gets wrong: aliases in ORDER BY, whole-row references, system columns, correlated and
 * LATERAL subqueries, EXCLUDED, CTEs, joins; those refused are the fifteenth trial's (Registry's
 * reverts naming users.tenant_id, which users never had) and their kin.
 */
const schema = `
CREATE TABLE tenants (id int PRIMARY KEY, name text);
CREATE TABLE users (id int PRIMARY KEY, email text, org_id int, data jsonb);
CREATE TABLE orgs (org_id int PRIMARY KEY, title text);
CREATE VIEW user_emails AS SELECT id, email FROM users;
CREATE FUNCTION pairs() RETURNS TABLE (a int, b int) LANGUAGE sql AS $$ SELECT 1, 2 $$;
`;

/** Statements PostgreSQL runs: no MG238. */
const runs = [
  'SELECT row_to_json(u) FROM users u ORDER BY email;',
  'SELECT id AS k FROM users ORDER BY k;',
  'SELECT email AS e, count(*) FROM users GROUP BY e;',
  'SELECT DISTINCT ON (e) email AS e FROM users ORDER BY e;',
  'SELECT ctid, xmin, tableoid FROM users WHERE xmax = 0;',
  'SELECT users.* FROM users;',
  'SELECT * FROM users JOIN tenants ON tenants.id = users.org_id WHERE name = \'x\';',
  'SELECT * FROM users JOIN orgs USING (org_id) WHERE title <> \'\';',
  'SELECT * FROM users NATURAL JOIN orgs;',
  'SELECT * FROM users, LATERAL (SELECT org_id) s;',
  'SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = u.org_id AND email IS NOT NULL);',
  'SELECT (SELECT title FROM orgs WHERE orgs.org_id = users.org_id) FROM users;',
  'WITH x AS (SELECT id, email AS address FROM users) SELECT address FROM x;',
  'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r;',
  'SELECT a, b FROM pairs();',
  'SELECT email FROM user_emails;',
  'SELECT id FROM users UNION SELECT id FROM tenants ORDER BY id;',
  'SELECT s.k FROM (SELECT id AS k FROM users) s;',
  'SELECT data->>\'x\', (u).email FROM users u WHERE false;',
  'UPDATE users u SET email = t.name FROM tenants t WHERE t.id = u.org_id RETURNING u.id, email;',
  'UPDATE users SET (email, org_id) = (SELECT name, id FROM tenants WHERE tenants.id = users.org_id);',
  'DELETE FROM users USING tenants WHERE tenants.id = users.org_id AND name = \'x\' RETURNING email;',
  'INSERT INTO tenants (id, name) SELECT id, email FROM users ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE tenants.name IS NULL;',
  'INSERT INTO tenants AS t (id, name) VALUES (1, \'a\') ON CONFLICT (id) DO UPDATE SET name = t.name || excluded.name RETURNING t.id;',
  'INSERT INTO tenants (id, name) VALUES (7, current_user) ON CONFLICT DO NOTHING;',
  'SELECT count(*) FILTER (WHERE email LIKE \'%@x\') OVER (PARTITION BY org_id ORDER BY id) FROM users;',
  'SELECT sum(id) OVER w FROM users WINDOW w AS (PARTITION BY org_id);',
  'WITH c AS (SELECT org_id, count(*) FROM users GROUP BY org_id) SELECT org_id, count FROM c;',
  'SELECT n FROM (SELECT 1 AS n UNION SELECT 2) s;',
  'WITH x(a) AS (SELECT id FROM users) SELECT a FROM x;',
  'WITH moved AS (DELETE FROM users WHERE false RETURNING id, email) SELECT email FROM moved;',
  'SELECT s.b FROM (SELECT id, email FROM users) AS s(a, b);',
  // A CTE's body does not see the CTE itself (nor one after it) unless WITH RECURSIVE: its FROM
  // names the table (the thirty-eighth trial's class B, stacker.news attach_wallets).
  'WITH users AS (SELECT users.id AS uid, email FROM users WHERE email IS NOT NULL) INSERT INTO tenants (id, name) SELECT uid, email FROM users;',
  'WITH users AS (WITH firsts AS (SELECT users.email FROM users) SELECT email AS e FROM firsts) SELECT e FROM users;',
  'WITH orgs AS (SELECT org_id AS k FROM orgs), x AS (SELECT k FROM orgs) SELECT k FROM x;',
  'WITH a AS (SELECT id FROM users), users AS (SELECT id AS k FROM a) SELECT k FROM users;',
  'WITH x AS (SELECT 1 AS k) SELECT (WITH users AS (SELECT users.email AS m FROM users) SELECT max(m) FROM users) FROM x;',
  // The table an UPDATE, DELETE or INSERT writes is the table, whatever the WITH names.
  'WITH users AS (SELECT 1 AS x) UPDATE users SET email = \'z\' WHERE id = 1 RETURNING users.email;',
  'WITH users AS (SELECT 1 AS x) DELETE FROM users WHERE id = 99 RETURNING email;',
  'WITH tenants AS (SELECT id AS k FROM users) INSERT INTO tenants (id, name) SELECT k, \'n\' FROM tenants ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE tenants.name IS NULL;',
];

/** Statements PostgreSQL refuses: MG238 at the name given. */
const refused: { statement: string; at: string; reason: RegExp }[] = [
  { statement: 'DELETE FROM tenants WHERE NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = tenants.id);', at: 'tenant_id', reason: /column "tenant_id" does not exist/ },
  { statement: 'INSERT INTO tenants (id, name) SELECT COALESCE(u.tenant_id, 0), u.email FROM users u WHERE u.tenant_id IS NOT NULL;', at: 'u.tenant_id', reason: /column u.tenant_id does not exist/ },
  { statement: 'UPDATE users SET email = lower(emial) WHERE id > 0;', at: 'emial', reason: /column "emial" does not exist/ },
  { statement: 'INSERT INTO users (id, email) VALUES (1, \'a\') ON CONFLICT (id) DO UPDATE SET email = excluded.emali;', at: 'excluded.emali', reason: /column excluded.emali does not exist/ },
  { statement: 'INSERT INTO users (id) VALUES (id);', at: 'id', reason: /column "id" does not exist/ },
  { statement: 'SELECT title FROM users;', at: 'title', reason: /column "title" does not exist/ },
  { statement: 'SELECT u.title FROM users u JOIN orgs o USING (org_id);', at: 'u.title', reason: /column u.title does not exist/ },
  { statement: 'DELETE FROM users WHERE org_id IN (SELECT org_id FROM orgs WHERE name = \'x\');', at: 'name', reason: /column "name" does not exist/ },
  { statement: 'UPDATE users SET org_id = 1 WHERE tenant = 2 RETURNING id;', at: 'tenant', reason: /column "tenant" does not exist/ },
  { statement: 'SELECT id FROM users ORDER BY users.nope;', at: 'users.nope', reason: /column users.nope does not exist/ },
  { statement: 'WITH x AS (SELECT id FROM users) SELECT foo FROM x;', at: 'foo', reason: /column "foo" does not exist/ },
  { statement: 'SELECT s.nope FROM (SELECT id AS k FROM users) s;', at: 's.nope', reason: /column s.nope does not exist/ },
  { statement: 'WITH x(a) AS (SELECT id FROM users) SELECT id FROM x;', at: 'id', reason: /column "id" does not exist/ },
  { statement: 'UPDATE users SET email = c.mail FROM (SELECT id, email FROM users) c WHERE c.id = users.id;', at: 'c.mail', reason: /column c.mail does not exist/ },
  // The query after the WITH sees the CTE, not the table it hides; the CTE's body sees the table;
  // a later CTE sees an earlier one; a recursive one sees itself.
  { statement: 'WITH users AS (SELECT id AS k FROM users) SELECT users.id FROM users;', at: 'users.id', reason: /column users.id does not exist/ },
  { statement: 'WITH users AS (SELECT users.nope FROM users) SELECT 1;', at: 'users.nope', reason: /column users.nope does not exist/ },
  { statement: 'WITH x AS (SELECT 1 AS k), users AS (SELECT x.nope FROM x) SELECT 1;', at: 'x.nope', reason: /column x.nope does not exist/ },
  { statement: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.id FROM r WHERE n < 3) SELECT n FROM r;', at: 'r.id', reason: /column r.id does not exist/ },
  { statement: 'WITH RECURSIVE users AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM users WHERE n < 3) SELECT users.id FROM users;', at: 'users.id', reason: /column users.id does not exist/ },
];

async function mg238(statement: string): Promise<{ message: string; at: string }[]> {
  const files = { '1.sql': schema, '2.sql': `${statement}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG238').map((d) => ({ message: d.message, at: files['2.sql'].slice(d.span!.start, d.span!.end) }));
}

for (const { name, open } of sqlEngines()) {
  describe(`MG238 on the columns a query reads, on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
      await db.run(schema);
    });
    afterAll(() => db?.close());

    /** Runs the statement in a transaction rolled back, whatever happens. */
    const tryIt = async (statement: string) => {
      await db.run('BEGIN');
      try {
        await db.run(statement);
      } finally {
        await db.run('ROLLBACK');
      }
    };

    it.each(runs)('runs, and is not reported: %s', async (statement) => {
      await tryIt(statement);
      expect(await mg238(statement)).toEqual([]);
    });

    it.each(refused)('is refused, and reported at $at: $statement', async ({ statement, at, reason }) => {
      await expect(tryIt(statement)).rejects.toThrow(reason);
      const found = await mg238(statement);
      expect(found.map((f) => f.at)).toEqual([at]);
      expect(found[0]!.message).toMatch(/^PostgreSQL refuses this statement: column \S+ does not exist \(/);
    });
  });
}

describe('MG238 on the columns a query reads: where it does not judge', () => {
  it('a table the files did not create whole, a routine body, a rollback file', async () => {
    await loadSqlParser();
    const files = {
      '1.sql': 'CREATE TABLE users (id int PRIMARY KEY);\nSELECT nope FROM elsewhere;\nSELECT nope FROM users, elsewhere;\n',
      '2.sql': 'CREATE FUNCTION f(x int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE users SET id = x WHERE id = x; END $$;\nSELECT f(1);\n',
      '3.up.sql': 'SELECT 1;\n', '3.down.sql': 'SELECT nope FROM users;\n',
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG238')).toEqual([]);
  });

  it('a psql variable in place of a value (MusicBrainz\'s \\set RECORDING_GID ... then VALUES (:RECORDING_GID)), but a column next to it still', async () => {
    await loadSqlParser();
    const files = {
      '1.sql': 'CREATE TABLE users (id int PRIMARY KEY, gid text);\n',
      '2.sql': "\\set RECORDING_GID 'md5(''x'')'\nINSERT INTO users (id, gid) VALUES (1, :RECORDING_GID);\nUPDATE users SET gid = :RECORDING_GID WHERE id = :'id' AND :\"col\" IS NULL;\nUPDATE users SET gid = :RECORDING_GID WHERE nope = 1;\n",
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG238').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message.slice(0, 60)}`)).toEqual([
      '4 PostgreSQL refuses this statement: column nope does not exis',
    ]);
  });
});
