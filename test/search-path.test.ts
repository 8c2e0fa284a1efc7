import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { qualifyRelations, searchPathSet } from '../src/analyze/sql/search-path.js';
import { readSearchPath } from '../src/analyze/sql/search-path-value.js';
import { relationName } from '../src/analyze/sql-rules/ast.js';
import { loadSqlParser, parseSql, type PgNode } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

async function findings(files: Record<string, string>, searchPath?: readonly string[]) {
  const result = await lint({ files: Object.keys(files), ...(searchPath ? { config: { searchPath } } : {}) }, memoryHost(files));
  return result.diagnostics.map((d) => {
    const at = result.sources.get(d.file)!.position(d.span?.start ?? 0);
    return `${d.file}:${at.line} ${d.code} ${d.message}`;
  });
}

const one = (sql: string): PgNode => {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.statements[0]!.ast;
};

beforeAll(loadSqlParser);

describe('SET search_path in a SQL file', () => {
  it('keys a table created under another schema by that schema: DROP INDEX app.x finds its table', async () => {
    const found = await findings({
      '1.sql': 'SET search_path TO app, public;\nCREATE TABLE users (id int, email text);\nCREATE INDEX users_email_idx ON users (email);\n',
      '2.sql': 'SET lock_timeout = \'2s\';\nDROP INDEX app.users_email_idx;\n',
    });
    expect(found).toContainEqual(expect.stringMatching(/^2\.sql:2 MG202 DROP INDEX app\.users_email_idx takes an ACCESS EXCLUSIVE lock on app\.users:/));
  });

  it('is one table whether a statement names it with its schema or through the path', async () => {
    const found = await findings({
      '1.sql': 'CREATE TABLE app.orders (id int);\n',
      '2.sql': 'BEGIN;\nSET lock_timeout = \'2s\';\nSET search_path TO app, public;\nALTER TABLE orders ADD COLUMN note text;\nCOMMENT ON COLUMN app.orders.note IS \'why\';\nCOMMIT;\n',
    });
    // Without the path, "orders" and "app.orders" were two tables: "holds orders and now locks app.orders".
    expect(found.filter((f) => f.includes('MG217'))).toEqual([]);
  });

  it('finds a bare name in the first schema of the path that has it, and creates in the first', async () => {
    await loadSqlParser();
    const state = new SchemaState();
    for (const s of ['CREATE TABLE accounts (id int)', 'CREATE TABLE app.orders (id int)']) state.apply(one(s), true);
    const knows = (key: string) => state.tables.has(key);
    const path = ['app', 'public'];
    const name = (sql: string) => relationName((Object.values(qualifyRelations(one(sql), path, knows))[0] as { relation: never }).relation);
    expect(name('ALTER TABLE orders ADD COLUMN a int')).toBe('app.orders');
    expect(name('ALTER TABLE accounts ADD COLUMN a int')).toBe('accounts'); // public's, the only one
    expect(name('ALTER TABLE unknown ADD COLUMN a int')).toBe('app.unknown'); // unknown: the first schema
    expect(name('CREATE TABLE accounts (id int)')).toBe('app.accounts'); // CREATE goes to the first schema
    expect(name('ALTER TABLE public.orders ADD COLUMN a int')).toBe('public.orders'); // qualified stays
    expect(name('ALTER TABLE pg_class ADD COLUMN a int')).toBe('pg_class'); // the catalog comes first
  });

  it('leaves a WITH query\'s names, types and functions alone, and gives the statement back when nothing changes', () => {
    const knows = () => false;
    const cte = one('WITH orders AS (SELECT 1 AS id) UPDATE items SET n = 1 FROM orders WHERE items.id = orders.id');
    const update = (qualifyRelations(cte, ['app'], knows) as { UpdateStmt: { relation: never; fromClause: { RangeVar: never }[] } }).UpdateStmt;
    expect(relationName(update.relation)).toBe('app.items');
    expect(relationName(update.fromClause[0]!.RangeVar)).toBe('orders');
    const typed = qualifyRelations(one('CREATE TABLE t (c status DEFAULT now())'), ['app'], knows) as { CreateStmt: { relation: never } };
    expect(relationName(typed.CreateStmt.relation)).toBe('app.t');
    expect(JSON.stringify(typed)).not.toMatch(/"sval":"app"/); // neither the type nor now() got a schema
    const plain = one('SELECT 1');
    expect(qualifyRelations(plain, ['app'], knows)).toBe(plain);
    const bare = one('ALTER TABLE t ADD COLUMN a int');
    expect(qualifyRelations(bare, ['public'], knows)).toBe(bare);
    expect(qualifyRelations(bare, ['pg_catalog', 'public'], knows)).toBe(bare);
    expect(qualifyRelations(bare, ['public', 'app'], knows)).toBe(bare); // neither schema has t: public's, new
    expect(qualifyRelations(bare, ['public', 'app'], (key) => key === 'app.t')).not.toBe(bare); // app's t
    expect(qualifyRelations(bare, [], knows)).toBe(bare);
  });

  it('qualifies the names DROP and COMMENT ON give as lists: relations, and the table of a trigger or column', () => {
    const knows = () => false;
    const json = (sql: string) => JSON.stringify(qualifyRelations(one(sql), ['app'], knows));
    expect(json('DROP TABLE a, b.c')).toContain('[{"String":{"sval":"app"}},{"String":{"sval":"a"}}]');
    expect(json('DROP TABLE a, b.c')).toContain('[{"String":{"sval":"b"}},{"String":{"sval":"c"}}]');
    expect(json('DROP TRIGGER tr ON t')).toContain('[{"String":{"sval":"app"}},{"String":{"sval":"t"}},{"String":{"sval":"tr"}}]');
    expect(json('COMMENT ON COLUMN t.c IS \'x\'')).toContain('[{"String":{"sval":"app"}},{"String":{"sval":"t"}},{"String":{"sval":"c"}}]');
    expect(json('DROP FUNCTION f()')).not.toContain('"sval":"app"');
  });

  it('reads SET, SET LOCAL, RESET and quoted lists; "$user" is left out', () => {
    expect(searchPathSet(one('SET search_path TO app, public'))).toEqual({ path: ['app', 'public'], local: false });
    expect(searchPathSet(one('SET LOCAL search_path = "$user", app'))).toEqual({ path: ['app'], local: true });
    // SET quotes each value it is given: one string is one schema, whatever it holds (checked on the engines below).
    expect(searchPathSet(one('SET search_path = \'app, "My Schema"\''))).toEqual({ path: ['app, "My Schema"'], local: false });
    expect(searchPathSet(one('SET search_path = App, \'B\', "C"'))).toEqual({ path: ['app', 'B', 'C'], local: false });
    expect(searchPathSet(one("SET search_path = ''"))).toEqual({ path: [], local: false });
    expect(searchPathSet(one('RESET search_path'))).toEqual({ path: ['public'], local: false });
    expect(searchPathSet(one('SET search_path TO DEFAULT'))).toEqual({ path: ['public'], local: false });
    expect(searchPathSet(one('SET lock_timeout = \'1s\''))).toBeUndefined();
    // pg_dump's way, and RESET ALL.
    expect(searchPathSet(one("SELECT pg_catalog.set_config('search_path', '', false)"))).toEqual({ path: [], local: false });
    expect(searchPathSet(one("SELECT set_config('search_path', 'app, public', true)"))).toEqual({ path: ['app', 'public'], local: true });
    // set_config's text is a list, read as a connection's: bare names in lower case; a wrong list is refused, so nothing changes.
    expect(searchPathSet(one("SELECT set_config('search_path', 'App, \"My Schema\"', false)"))).toEqual({ path: ['app', 'My Schema'], local: false });
    expect(searchPathSet(one("SELECT set_config('search_path', 'a b', false)"))).toBeUndefined();
    expect(searchPathSet(one('RESET ALL'))).toEqual({ path: ['public'], local: false });
    // Not a constant, or another function's set_config: nothing the analysis can follow.
    expect(searchPathSet(one("SELECT set_config('search_path', current_setting('x'), false)"))).toBeUndefined();
    expect(searchPathSet(one("SELECT app.set_config('search_path', 'x', false)"))).toBeUndefined();
    expect(searchPathSet(one("SELECT set_config('search_path', 'x', false) FROM t"))).toBeUndefined();
  });

  it('reads every setting a statement changes, and which lock_timeout values bound waits', async () => {
    const { settingChanges, boundsLockWaits } = await import('../src/analyze/sql/settings.js');
    expect(settingChanges(one('SET lock_timeout = 0'))).toEqual([{ name: 'lock_timeout', value: '0', local: false, items: ['0'] }]);
    expect(settingChanges(one('SET LOCAL lock_timeout TO 1.5'))).toEqual([{ name: 'lock_timeout', value: '1.5', local: true, items: ['1.5'] }]);
    expect(settingChanges(one("SELECT set_config('Lock_Timeout', '5s', false), set_config('statement_timeout', '1min', true)"))).toEqual([
      { name: 'lock_timeout', value: '5s', local: false },
      { name: 'statement_timeout', value: '1min', local: true },
    ]);
    expect(settingChanges(one('SET lock_timeout TO DEFAULT'))).toEqual([{ name: 'lock_timeout', value: undefined, local: false }]);
    expect(settingChanges(one('RESET ALL'))).toEqual([{ name: undefined, value: undefined, local: false }]);
    expect(settingChanges(one('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE'))).toEqual([]);
    expect(settingChanges(one('SELECT 1'))).toEqual([]);
    expect(['5s', '1500', ' 2 min', '0.5', 'soon'].map(boundsLockWaits)).toEqual([true, true, true, true, true]);
    expect(['0', '0ms', '0s', ' 0 min', '0.0', undefined].map(boundsLockWaits)).toEqual([false, false, false, false, false, false]);
  });

  it('ends a SET LOCAL with its transaction, and a RESET ends a SET', async () => {
    const found = await findings({
      // The same index names in both schemas, on tables of their own.
      '1.sql': ['app.', ''].map((schema) => `CREATE TABLE ${schema}t${schema ? '_app' : ''} (id int);\n` + [1, 2].map((i) => `CREATE INDEX i${i} ON ${schema}t${schema ? '_app' : ''} (id);\n`).join('')).join(''),
      '2.sql': [
        'SET lock_timeout = \'2s\';',
        'BEGIN;', 'SET LOCAL search_path TO app;', 'DROP INDEX i1;', 'COMMIT;',
        'DROP INDEX i1;',
        'SET search_path TO app;', 'DROP INDEX i2;', 'RESET search_path;', 'DROP INDEX i2;',
      ].join('\n') + '\n',
    });
    expect(found.filter((f) => f.includes('MG202')).map((f) => f.replace(/ takes.* on (\S+):.*/, ' on $1'))).toEqual([
      '2.sql:4 MG202 DROP INDEX app.i1 on app.t_app',
      '2.sql:6 MG202 DROP INDEX i1 on t',
      '2.sql:8 MG202 DROP INDEX app.i2 on app.t_app',
      '2.sql:10 MG202 DROP INDEX i2 on t',
    ]);
  });

  it('carries the path from one Liquibase changeset to the next (one connection)', async () => {
    const found = await findings({
      'changelog.sql': [
        '--liquibase formatted sql',
        '--changeset a:1',
        'SET search_path TO app;',
        'CREATE TABLE orders (id int);',
        'CREATE INDEX orders_id ON orders (id);',
        '--changeset a:2',
        'SET lock_timeout = \'2s\';',
        'DROP INDEX orders_id;',
      ].join('\n') + '\n',
    });
    expect(found).toContainEqual(expect.stringMatching(/^changelog\.sql:8 MG202 DROP INDEX app\.orders_id takes an ACCESS EXCLUSIVE lock on app\.orders:/));
  });
});

// What the server does with the same path, on a real engine: each name migc qualifies is the
// relation PostgreSQL resolves (to_regclass) or creates.
describe('SET search_path on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec('CREATE SCHEMA app; CREATE SCHEMA other; CREATE TABLE accounts (id int); CREATE TABLE app.orders (id int); CREATE TABLE other.orders (id int); CREATE TABLE other.items (id int);');
  });
  afterAll(async () => db?.close());

  it.each([
    [['app', 'public'], 'orders'],
    [['app', 'public'], 'accounts'],
    [['other', 'app', 'public'], 'orders'],
    [['app', 'other'], 'items'],
    [['public', 'app'], 'orders'],
  ])('under %j, %s', async (path, name) => {
    const state = new SchemaState();
    for (const s of ['CREATE TABLE accounts (id int)', 'CREATE TABLE app.orders (id int)', 'CREATE TABLE other.orders (id int)', 'CREATE TABLE other.items (id int)']) state.apply(one(s), true);
    const ast = qualifyRelations(one(`ALTER TABLE ${name} ADD COLUMN a int`), path, (key) => state.tables.has(key));
    const ours = relationName((ast as { AlterTableStmt: { relation: never } }).AlterTableStmt.relation);
    await db.exec(`SET search_path TO ${path.join(', ')}`);
    const server = (await db.query<{ r: string }>(`SELECT n.nspname || '.' || c.relname AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('${name}')`)).rows[0]!.r;
    await db.exec('RESET search_path');
    // migc keys a table of public without its schema.
    expect(ours).toBe(server.replace(/^public\./, ''));
  });

  it('creates where migc says: the first schema of the path', async () => {
    await db.exec('SET search_path TO other, app, public; CREATE TABLE fresh (id int); RESET search_path');
    const created = (await db.query<{ s: string }>(`SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'fresh'`)).rows[0]!.s;
    const ast = qualifyRelations(one('CREATE TABLE fresh (id int)'), ['other', 'app', 'public'], () => false);
    expect(relationName((ast as { CreateStmt: { relation: never } }).CreateStmt.relation)).toBe(`${created}.fresh`);
  });
});

/**
 * The search_path the migration tool's connection sets (--search-path, the config's search_path):
 * supabase/storage's runner connects with search_path=storage,public, and its files name their
 * tables bare (the trial's repro: 0002 drops and recreates an index 0001 made in storage).
 */
describe('the search_path of the migration tool\'s connection', () => {
  const storage = {
    '0001-init.sql': [
      'CREATE SCHEMA IF NOT EXISTS storage;',
      'CREATE TABLE storage.catalogs (id uuid PRIMARY KEY);',
      'CREATE TABLE storage.namespaces (id int PRIMARY KEY, bucket_id text, catalog_id uuid, name text);',
      'CREATE UNIQUE INDEX IF NOT EXISTS idx_namespaces_bucket_id ON storage.namespaces (bucket_id, name);',
    ].join('\n') + '\n',
    '0002-drop.sql': [
      "SET lock_timeout = '2s';",
      'DROP INDEX IF EXISTS idx_namespaces_bucket_id;',
      'ALTER TABLE storage.namespaces ADD CONSTRAINT namespaces_catalog_fkey FOREIGN KEY (catalog_id) REFERENCES storage.catalogs (id) ON DELETE CASCADE;',
      'CREATE UNIQUE INDEX IF NOT EXISTS idx_namespaces_bucket_id ON storage.namespaces (catalog_id, name);',
    ].join('\n') + '\n',
  };
  const codes = (found: string[], ...wanted: string[]) => found.filter((f) => wanted.some((c) => f.includes(` ${c} `)));

  it('looks bare names up under it: the index 0001 made is the one dropped, and the new one serves the key', async () => {
    expect(codes(await findings(storage, ['storage', 'public']), 'MG202', 'MG230')).toEqual([
      '0002-drop.sql:2 MG202 DROP INDEX storage.idx_namespaces_bucket_id takes an ACCESS EXCLUSIVE lock on storage.namespaces: reads and writes queue behind it',
    ]);
    // Without it the bare name is public's: no such index, so the CREATE ... IF NOT EXISTS seemed to
    // find storage's old one (a false MG230), and MG244 says the DROP drops nothing, naming the
    // index the files made under that name (the twenty-fourth trial's E).
    expect(codes(await findings(storage), 'MG202', 'MG230', 'MG244').map((f) => f.replace(/: every DELETE.*/, ''))).toEqual([
      '0002-drop.sql:2 MG244 DROP INDEX IF EXISTS idx_namespaces_bucket_id drops nothing on a database these files made: under the search path migc follows, the bare name means public.idx_namespaces_bucket_id, which no file linted creates, and the files make their tables from the first; they made storage.idx_namespaces_bucket_id, on storage.namespaces. If the migration tool\'s connection sets a search_path that finds it, give it to migc with --search-path. It stays: the migration leaves it in place',
      '0002-drop.sql:3 MG230 storage.namespaces (catalog_id) references storage.catalogs but has no index on (catalog_id)',
    ]);
  });

  it('is each file\'s starting path, and what RESET goes back to', async () => {
    const files = {
      '1.sql': 'CREATE TABLE users (id int, email text);\nCREATE INDEX users_email_idx ON users (email);\n',
      '2.sql': "SET lock_timeout = '2s';\nSET search_path TO public;\nRESET search_path;\nDROP INDEX users_email_idx;\n",
    };
    // 1.sql made app.users; 2.sql's RESET goes back to the connection's path, app's.
    expect(codes(await findings(files, ['app']), 'MG202').map((f) => f.replace(/ takes.* on (\S+):.*/, ' on $1'))).toEqual(['2.sql:4 MG202 DROP INDEX app.users_email_idx on app.users']);
    // Under public alone, the DROP names public's, which no file made.
    const underPublic = { ...files, '2.sql': files['2.sql'].replace('RESET search_path;\n', '') };
    expect(codes(await findings(underPublic, ['app']), 'MG202')[0]).toContain('the files linted create no index public.users_email_idx, which the bare name means under the search path migc follows, but do create app.users_email_idx');
  });

  it('reads a path as PostgreSQL reads a connection\'s: commas, bare names in lower case, quoted ones as written, "$user" left out', () => {
    expect(readSearchPath('storage,public')).toEqual(['storage', 'public']);
    expect(readSearchPath(' Storage , "My ""S""",public ')).toEqual(['storage', 'My "S"', 'public']);
    expect(readSearchPath('"$user", public')).toEqual(['public']);
    expect(readSearchPath('')).toEqual([]);
    for (const refused of ['a,,b', 'a b', '"unclosed', ',', 'a,']) expect(readSearchPath(refused), refused).toBeUndefined();
  });
});

/** Values for search_path as a connection gives them: what PostgreSQL takes (the schemas it then searches), and what it refuses. */
const pathValues = ['storage,public', ' Storage , "My ""S""",public ', '"$user", public', '', 'a,,b', 'a b', '"unclosed', ',', 'a,', '"", public', 'x"y, public'];

for (const engine of sqlEngines()) {
  describe(`search_path values on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
      await db.run('CREATE SCHEMA storage; CREATE SCHEMA "My ""S"""; CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA "x""y"; CREATE SCHEMA "a, b"; CREATE SCHEMA "B"');
    });
    afterAll(() => db?.close());

    it.each(pathValues)('reads %j as PostgreSQL does', async (value) => {
      const literal = `'${value.replace(/'/g, "''")}'`;
      const server = await db.run(`SELECT set_config('search_path', ${literal}, false), to_json(current_schemas(false)) AS schemas`).then(
        (result) => rowsOf(result)[0]!.schemas as string[], () => undefined);
      await db.run('RESET search_path');
      // current_schemas lists the schemas of the path that exist: all of them here, but "$user"'s and "".
      expect(readSearchPath(value)).toEqual(server);
    });

    // SET takes each value as one schema (a string too: 'a, b' is the schema "a, b"); a bare name in lower case.
    it.each(["SET search_path = 'a, b'", "SET search_path = A, 'B', \"storage\"", "SET search_path TO '$user', b", "SET search_path = ''", "SELECT set_config('search_path', 'A, \"a, b\"', false)"])('reads %s as PostgreSQL does', async (statement) => {
      await db.run(statement);
      const server = rowsOf(await db.run('SELECT to_json(current_schemas(false)) AS schemas'))[0]!.schemas as string[];
      await db.run('RESET search_path');
      expect(searchPathSet(one(statement))?.path).toEqual(server);
    });
  });
}

/**
 * pg_catalog is searched first whatever the path says, unless the path lists it elsewhere: a table
 * an extension script made (CREATE TABLE citus.t, ALTER TABLE citus.t SET SCHEMA pg_catalog) is
 * the one a bare `t` names, even with a public.t beside it. migc's name for a bare relation, on
 * both engines, is the relation the server resolves (to_regclass).
 */
for (const engine of sqlEngines()) {
  describe(`bare names and pg_catalog on ${engine.name}`, () => {
    const setup = [
      'CREATE SCHEMA citus', 'CREATE SCHEMA app',
      'CREATE TABLE citus.t (id int)', 'ALTER TABLE citus.t SET SCHEMA pg_catalog', 'CREATE TABLE t (id int)', 'CREATE TABLE app.t (id int)',
      'CREATE TABLE citus.pg_dist_x (id int)', 'ALTER TABLE citus.pg_dist_x SET SCHEMA pg_catalog',
      'CREATE INDEX t_id_idx ON t (id)', 'CREATE TABLE u (id int)',
    ];
    let db: SqlEngine;
    const state = new SchemaState();
    beforeAll(async () => {
      db = await engine.open();
      for (const s of setup) {
        await db.run(s);
        state.apply(qualifyRelations(one(s), ['public'], (key) => state.tables.has(key) || state.indexTables.has(key)), true);
      }
    });
    afterAll(async () => {
      // The engine's database is dropped with it; PGlite's goes with the process.
      await db?.close();
    });

    it.each([
      [['public'], 't'], [['public'], 'pg_dist_x'], [['public'], 'u'], [['public'], 't_id_idx'], [['public'], 'pg_class'],
      [['app', 'public'], 't'], [['app', 'pg_catalog'], 't'], [['pg_catalog'], 't'], [[], 't'], [['public', 'pg_catalog'], 't'],
    ])('under %j, %s', async (path, name) => {
      await db.run(`SET search_path TO ${path.length ? path.join(', ') : "''"}`);
      const server = rowsOf(await db.run(`SELECT n.nspname || '.' || c.relname AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('${name}')`))[0]?.r as string | undefined;
      await db.run('RESET search_path');
      const ast = qualifyRelations(one(`DROP TABLE ${name}`), path, (key) => state.tables.has(key) || state.indexTables.has(key));
      const ours = ((ast as { DropStmt: { objects: { List: { items: { String: { sval: string } }[] } }[] } }).DropStmt.objects[0]!.List.items).map((i) => i.String.sval).join('.');
      // migc keys public's relations, and the system catalogs, without their schema.
      expect(ours).toBe(server === undefined ? name : server.replace(/^(public|pg_catalog)\.(?=pg_class$)|^public\./, ''));
    });

    // PGlite (single-user, its own build) lets a superuser create there; a PostgreSQL server does not.
    it.runIf(engine.name !== 'PGlite')('refuses to create a table in pg_catalog, so a bare CREATE never means one there', async () => {
      await expect(db.run('CREATE TABLE pg_catalog.fresh (id int)')).rejects.toThrow(/permission denied to create "pg_catalog.fresh"/);
      await db.run('SET search_path TO pg_catalog, app');
      await expect(db.run('CREATE TABLE fresh (id int)')).rejects.toThrow(/permission denied to create "pg_catalog.fresh"/);
      await db.run('RESET search_path');
    });
  });
}

describe('a table moved into pg_catalog, named bare (the eleventh trial\'s class P)', () => {
  const move = 'CREATE SCHEMA citus;\nCREATE TABLE citus.t (id int PRIMARY KEY, a int);\nALTER TABLE citus.t SET SCHEMA pg_catalog;\n';
  const codes = (found: string[]) => found.map((f) => f.replace(/^(\S+ MG\d+).*/, '$1'));

  it('is the new, empty table: its index is not "assumed large", and dropping it drops nothing of old', async () => {
    for (const searchPath of [undefined, ['pg_catalog'], ['app', 'public']]) {
      const found = await findings({ '1.sql': `BEGIN;\n${move}CREATE INDEX t_a_idx ON t (a);\nDROP TABLE t;\nCOMMIT;\n` }, searchPath);
      expect(codes(found), JSON.stringify(searchPath)).toEqual([]);
    }
  });

  it('is one table with pg_catalog.t: MG217 does not say the transaction holds one and locks the other', async () => {
    const found = await findings({
      '1.sql': move,
      '2.sql': "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE pg_catalog.t ADD COLUMN b int;\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\n",
    });
    expect(found.filter((f) => f.includes('MG217'))).toEqual([]);
  });

  it('is no system catalog: its backfill after ADD COLUMN is judged as any table\'s (MG218)', async () => {
    const found = await findings({
      '1.sql': move,
      '2.sql': "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE pg_catalog.t ADD COLUMN c int;\nUPDATE t SET c = 0;\nCOMMIT;\n",
    });
    expect(codes(found)).toEqual(['2.sql:4 MG218', '2.sql:4 MG247']);
    // A real catalog stays one: no backfill findings on pg_catalog.pg_class (MG242 judges writes to it).
    const catalog = await findings({ '1.sql': "BEGIN;\nSET lock_timeout = '2s';\nUPDATE pg_catalog.pg_class SET relname = relname;\nCOMMIT;\n" });
    expect(codes(catalog).filter((c) => /MG112|MG218/.test(c))).toEqual([]);
  });
});
