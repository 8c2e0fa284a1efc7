import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/** What the schema state learns from one migration file carries into the next one's verdicts. */
async function codes(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}`);
}

describe('the schema state across files', () => {
  it('follows a type rename into the columns of that type', async () => {
    const first = "SET lock_timeout = '5s';\nCREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE diary (id bigint PRIMARY KEY, feeling mood);\n";
    // Changing the column to its own type (under the new name) does nothing; to another type rewrites.
    const later = "SET lock_timeout = '5s';\nALTER TABLE diary ALTER COLUMN feeling TYPE feeling;\n";
    const renamed = { '1.sql': first, '2.sql': "SET lock_timeout = '5s';\n-- migc-ignore MG213: nothing reads the type yet\nALTER TYPE mood RENAME TO feeling;\n", '3.sql': later };
    expect(await codes(renamed)).toEqual([]);
    const notRenamed = { '1.sql': first, '2.sql': "SET lock_timeout = '5s';\nCREATE TYPE feeling AS ENUM ('a');\n", '3.sql': later };
    expect(await codes(notRenamed)).toEqual(['3.sql MG212']);
  });

  it('knows the volatility a later file relies on', async () => {
    // STABLE: not inlined (its body is more volatile than declared), one value. Left VOLATILE: inlined, and random() is volatile.
    const define = (volatility: string) => `CREATE FUNCTION app.tenant() RETURNS int LANGUAGE sql ${volatility} AS $$ SELECT (random() * 10)::int $$;\n`;
    const use = "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN tenant int DEFAULT app.tenant();\n";
    const table = 'CREATE TABLE orders (id bigint PRIMARY KEY);\n';
    expect(await codes({ '1.sql': table + define('STABLE'), '2.sql': use })).toEqual([]);
    expect(await codes({ '1.sql': table + define(''), '2.sql': use })).toEqual(['2.sql MG205']);
  });
});

describe('the foreign keys the schema state tracks, for the locks on other tables', () => {
  const baseline = `
    CREATE TABLE p (id bigint PRIMARY KEY, code text UNIQUE);
    CREATE TABLE r (id bigint PRIMARY KEY, p_id bigint REFERENCES p, p_code text, FOREIGN KEY (p_code) REFERENCES p (code));
  `;
  async function stateAfter(sql: string) {
    const { loadSqlParser, parseSql } = await import('../src/sql/parser.js');
    const { SchemaState } = await import('../src/analyze/sql/schema-state.js');
    await loadSqlParser();
    const state = new SchemaState();
    const parsed = parseSql(baseline + sql);
    if (!parsed.ok) throw new Error('setup does not parse');
    for (const s of parsed.statements) state.apply(s.ast, false);
    const { predictLocks } = await import('../src/sql/locks.js');
    return {
      state,
      locks: (statement: string) => {
        const one = parseSql(statement);
        return one.ok ? predictLocks(one.statements[0]!.ast, state).map((l) => `${l.mode} ${l.table}`) : [];
      },
    };
  }

  it('names unnamed constraints as PostgreSQL does, and resolves a reference to the primary key', async () => {
    const { state } = await stateAfter('');
    const both = [
      { name: 'r_p_id_fkey', table: 'r', columns: ['p_id'], references: 'p', refColumns: ['id'], refKey: 'p_pkey', refIndex: 'p_pkey', onDelete: 'a', onUpdate: 'a' },
      { name: 'r_p_code_fkey', table: 'r', columns: ['p_code'], references: 'p', refColumns: ['code'], refKey: 'p_code_key', refIndex: 'p_code_key', onDelete: 'a', onUpdate: 'a' },
    ];
    // Asked from either end, by either spelling of the name; a table with none has none.
    expect(state.foreignKeysAt('r')).toEqual(both);
    expect(state.foreignKeysAt('public.p')).toEqual(both);
    expect(state.foreignKeysAt('unrelated')).toEqual([]);
  });

  it('names the same statement again after the state changed: once applied, tried and undone, settled', async () => {
    const { parseSql } = await import('../src/sql/parser.js');
    const { state } = await stateAfter('');
    const parsed = parseSql('ALTER TABLE p ADD UNIQUE (code)');
    if (!parsed.ok) throw new Error('does not parse');
    const ast = parsed.statements[0]!.ast;
    const named = () => JSON.stringify(state.withGeneratedNames(ast)).match(/"conname":"(\w+)"/)?.[1];
    // p_code_key is the baseline's UNIQUE; the same object asked twice gets the same answer.
    expect(named()).toBe('p_code_key1');
    expect(named()).toBe('p_code_key1');
    // Tried and undone: the answer inside sees the tried change, the one after it does not.
    expect(state.tentatively(() => (state.apply(ast, true), named()))).toBe('p_code_key2');
    expect(named()).toBe('p_code_key1');
    state.apply(ast, true);
    expect(named()).toBe('p_code_key2');
  });

  it('knows unnamed indexes and keys by the names PostgreSQL gives them (numbered past a renamed table\'s), and keeps a constraint\'s index a refused DROP INDEX names', async () => {
    // The names are PostgreSQL's: test/generated-names.test.ts checks the same statements on the engines.
    const { state } = await stateAfter(`
      CREATE INDEX ON r (p_code); CREATE INDEX ON r (p_code);
      ALTER TABLE p RENAME TO p_old; CREATE TABLE p (id bigint PRIMARY KEY, code text UNIQUE);
      CREATE UNIQUE INDEX ON r (id, p_id); ALTER TABLE r ADD UNIQUE USING INDEX r_id_p_id_idx; DROP INDEX r_id_p_id_idx;`);
    expect([state.indexTables.get('r_p_code_idx'), state.indexTables.get('r_p_code_idx1')]).toEqual(['r', 'r']);
    expect([...state.table('p')!.keyConstraints.keys()]).toEqual(['p_pkey1', 'p_code_key1']);
    expect(state.indexTables.get('r_id_p_id_idx')).toBe('r');
  });

  it('follows renames of the referenced table, of constraints and of columns', async () => {
    const { locks } = await stateAfter('ALTER TABLE p RENAME TO parent; ALTER TABLE r RENAME CONSTRAINT r_p_id_fkey TO r_parent_fk; ALTER TABLE r RENAME COLUMN p_code TO parent_code;');
    expect(locks('ALTER TABLE r DROP CONSTRAINT r_parent_fk')).toEqual(['AccessExclusiveLock r', 'AccessExclusiveLock parent']);
    expect(locks('ALTER TABLE r DROP COLUMN parent_code')).toEqual(['AccessExclusiveLock r', 'AccessExclusiveLock parent']);
    expect(locks('ALTER TABLE r DROP CONSTRAINT r_p_id_fkey')).toEqual(['AccessExclusiveLock r']);
  });

  it('forgets foreign keys dropped with their constraint, column or table (CASCADE)', async () => {
    const dropped = await stateAfter('ALTER TABLE r DROP CONSTRAINT r_p_id_fkey;');
    expect(dropped.locks('DROP TABLE r')).toEqual(['AccessExclusiveLock r', 'AccessExclusiveLock p']);
    const cascaded = await stateAfter('ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE; ALTER TABLE p DROP COLUMN code CASCADE;');
    expect(cascaded.locks('TRUNCATE p CASCADE')).toEqual(['AccessExclusiveLock p']);
    const gone = await stateAfter('DROP TABLE p CASCADE; CREATE TABLE p (id bigint PRIMARY KEY);');
    expect(gone.locks('DROP TABLE p')).toEqual(['AccessExclusiveLock p']);
  });

  it('learns foreign keys added by ALTER TABLE, inline in ADD COLUMN too, and undoes a rollback\'s', async () => {
    const { state, locks } = await stateAfter('CREATE TABLE g (id bigint PRIMARY KEY, r_id bigint); ALTER TABLE g ADD COLUMN p_id bigint REFERENCES p;');
    expect(locks('ALTER TABLE g DROP COLUMN p_id')).toEqual(['AccessExclusiveLock g', 'AccessExclusiveLock p']);
    const { parseSql } = await import('../src/sql/parser.js');
    const add = parseSql('ALTER TABLE g ADD CONSTRAINT g_r_fk FOREIGN KEY (r_id) REFERENCES r NOT VALID');
    state.tentatively(() => {
      if (add.ok) state.apply(add.statements[0]!.ast, true);
      expect(locks('TRUNCATE r CASCADE')).toEqual(['AccessExclusiveLock r', 'AccessExclusiveLock g']);
    });
    expect(locks('TRUNCATE r CASCADE')).toEqual(['AccessExclusiveLock r']);
  });

  it('knows the unique index each key depends on (the oldest of its columns), through renames, and what DROP INDEX CASCADE takes along', async () => {
    const setup = `
      CREATE TABLE q (id bigint, n int);
      CREATE UNIQUE INDEX q_n_old ON q (n);
      CREATE UNIQUE INDEX q_n_new ON q (n);
      CREATE TABLE s (q_n int REFERENCES q (n));
      ALTER INDEX q_n_old RENAME TO q_n_first;
      ALTER TABLE q RENAME COLUMN n TO m;
      ALTER TABLE p RENAME CONSTRAINT p_code_key TO p_code_uq;`;
    const { state, locks } = await stateAfter(setup);
    expect(state.foreignKeysAt('s')).toEqual([{ name: 's_q_n_fkey', table: 's', columns: ['q_n'], references: 'q', refColumns: ['m'], refIndex: 'q_n_first', onDelete: 'a', onUpdate: 'a' }]);
    expect(state.foreignKeysAt('r', { name: 'r_p_code_fkey' })).toMatchObject([{ refKey: 'p_code_uq', refIndex: 'p_code_uq' }]);
    expect(locks('DROP INDEX q_n_new CASCADE')).toEqual(['AccessExclusiveLock q']);
    expect(locks('DROP INDEX q_n_first CASCADE')).toEqual(['AccessExclusiveLock q', 'AccessExclusiveLock s']);
    expect((await stateAfter(`${setup} DROP INDEX q_n_first CASCADE;`)).locks('TRUNCATE q CASCADE')).toEqual(['AccessExclusiveLock q']);
    // A constraint that takes the index over (USING INDEX) takes its name, and the key with it.
    const adopted = await stateAfter(`${setup} ALTER TABLE q ADD CONSTRAINT q_m_key UNIQUE USING INDEX q_n_first;`);
    expect(adopted.state.foreignKeysAt('s')).toMatchObject([{ refKey: 'q_m_key', refIndex: 'q_m_key' }]);
    expect(adopted.locks('ALTER TABLE q DROP CONSTRAINT q_m_key CASCADE')).toEqual(['AccessExclusiveLock q', 'AccessExclusiveLock s']);
  });

  it('finds the tables that reference one however often they were dropped, recreated and renamed', async () => {
    // p is referenced by r, then by a, b and c; r is dropped and made again without its keys;
    // b is renamed. The lookup sees only the keys there are now, in the order of the tables.
    const { locks } = await stateAfter(`
      CREATE TABLE a (id bigint PRIMARY KEY, p_id bigint REFERENCES p);
      CREATE TABLE b (id bigint PRIMARY KEY, p_id bigint REFERENCES p);
      CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p);
      DROP TABLE r; CREATE TABLE r (id bigint PRIMARY KEY, p_id bigint);
      ALTER TABLE b RENAME TO b2;
      ALTER TABLE c DROP CONSTRAINT c_p_id_fkey;`);
    expect(locks('TRUNCATE p CASCADE')).toEqual(['AccessExclusiveLock p', 'AccessExclusiveLock a', 'AccessExclusiveLock b2']);
    expect(locks('DROP TABLE p CASCADE')).toEqual(['AccessExclusiveLock p', 'AccessExclusiveLock a', 'AccessExclusiveLock b2']);
    expect(locks('DROP TABLE r')).toEqual(['AccessExclusiveLock r']);
  });
});

describe('which table an index is on, for the locks of DROP INDEX', () => {
  async function locksAfter(sql: string, statement: string) {
    const { loadSqlParser, parseSql } = await import('../src/sql/parser.js');
    const { SchemaState } = await import('../src/analyze/sql/schema-state.js');
    const { predictLocks } = await import('../src/sql/locks.js');
    await loadSqlParser();
    const state = new SchemaState();
    const parsed = parseSql(`CREATE TABLE t (id bigint PRIMARY KEY, a int); CREATE INDEX t_a ON t (a); ${sql}`);
    if (!parsed.ok) throw new Error('setup does not parse');
    for (const s of parsed.statements) state.apply(s.ast, false);
    const one = parseSql(statement);
    return one.ok ? predictLocks(one.statements[0]!.ast, state).map((l) => `${l.mode} ${l.table}`) : [];
  }

  it('follows the index and its table through renames and drops', async () => {
    expect(await locksAfter('', 'DROP INDEX t_a')).toEqual(['AccessExclusiveLock t']);
    expect(await locksAfter('ALTER INDEX t_a RENAME TO t_a2;', 'DROP INDEX t_a2')).toEqual(['AccessExclusiveLock t']);
    expect(await locksAfter('ALTER INDEX t_a RENAME TO t_a2;', 'DROP INDEX IF EXISTS t_a')).toEqual([]);
    // ALTER TABLE renames an index too (checked on PostgreSQL: test/foreign-key-index-dropped.test.ts).
    expect(await locksAfter('ALTER TABLE t_a RENAME TO t_a2;', 'DROP INDEX t_a2')).toEqual(['AccessExclusiveLock t']);
    expect(await locksAfter('ALTER TABLE t_a RENAME TO t_a2;', 'DROP INDEX IF EXISTS t_a')).toEqual([]);
    expect(await locksAfter('ALTER TABLE t RENAME TO u;', 'DROP INDEX t_a')).toEqual(['AccessExclusiveLock u']);
    expect(await locksAfter('DROP INDEX t_a;', 'DROP INDEX IF EXISTS t_a')).toEqual([]);
    expect(await locksAfter('DROP TABLE t;', 'DROP INDEX IF EXISTS t_a')).toEqual([]);
  });
});

describe('column positions, for an INSERT without a column list', () => {
  async function positions(sql: string, rollback?: string, after?: string): Promise<string[]> {
    const { loadSqlParser, parseSql } = await import('../src/sql/parser.js');
    const { SchemaState } = await import('../src/analyze/sql/schema-state.js');
    await loadSqlParser();
    const state = new SchemaState();
    const apply = (text: string) => {
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(`does not parse: ${text}`);
      for (const s of parsed.statements) state.apply(s.ast, true);
    };
    apply(sql);
    if (rollback) state.tentatively(() => apply(rollback));
    if (after) apply(after);
    return [...state.table('t')!.columns].filter(([, c]) => c.ordinal !== undefined).sort(([, a], [, b]) => a.ordinal! - b.ordinal!).map(([name]) => name);
  }

  it('puts an added column last, after a dropped last column too, and keeps a renamed one in place', async () => {
    expect(await positions('CREATE TABLE t (a int, b int); ALTER TABLE t ADD COLUMN c int;')).toEqual(['a', 'b', 'c']);
    expect(await positions('CREATE TABLE t (a int, b int); ALTER TABLE t DROP COLUMN b; ALTER TABLE t ADD COLUMN c int, ADD COLUMN b int;')).toEqual(['a', 'c', 'b']);
    expect(await positions('CREATE TABLE t (a int, b int); ALTER TABLE t RENAME COLUMN a TO z; ALTER TABLE t ADD COLUMN c int;')).toEqual(['z', 'b', 'c']);
    // A table known only from what is done to it: its added columns in the order added.
    expect(await positions('ALTER TABLE t ADD COLUMN x int; ALTER TABLE t ADD COLUMN y int;')).toEqual(['x', 'y']);
  });

  it('forgets a rollback\'s columns and their positions', async () => {
    expect(await positions('CREATE TABLE t (a int);', 'ALTER TABLE t ADD COLUMN r int;')).toEqual(['a']);
    expect(await positions('CREATE TABLE t (a int);', 'ALTER TABLE t ADD COLUMN r int, ADD COLUMN s int;', 'ALTER TABLE t ADD COLUMN b int;')).toEqual(['a', 'b']);
  });
});

describe('what a column is involved in, as DROP COLUMN and RENAME COLUMN find it', () => {
  it('ByColumnMap knows which columns its entries involve, through overwrites, deletes and duplicates', async () => {
    const { ByColumnMap } = await import('../src/analyze/sql/by-column.js');
    const map = new ByColumnMap<{ columns: string[] }>((v) => v.columns);
    map.set('k1', { columns: ['a', 'b', 'a'] });
    map.set('k2', { columns: ['b'] });
    expect(['a', 'b', 'c'].map((c) => map.involves(c))).toEqual([true, true, false]);
    // Overwriting an entry forgets its old columns.
    map.set('k1', { columns: ['c'] });
    expect(['a', 'b', 'c'].map((c) => map.involves(c))).toEqual([false, true, true]);
    expect(map.delete('k2')).toBe(true);
    expect(map.delete('k2')).toBe(false);
    expect(['a', 'b', 'c'].map((c) => map.involves(c))).toEqual([false, false, true]);
    // Changed in place: the same object, in the same place, under its new columns.
    map.set('k3', { columns: ['d'] });
    const k1 = map.get('k1')!;
    map.changeInPlace('k1', (v) => (v.columns = ['e']));
    expect(map.get('k1')).toBe(k1);
    expect([...map.keys()]).toEqual(['k1', 'k3']);
    expect(['c', 'd', 'e'].map((c) => map.involves(c))).toEqual([false, true, true]);
    map.clear();
    expect(map.involves('c')).toBe(false);
    expect(map.size).toBe(0);
  });

  async function stateWith(sql: string) {
    const { loadSqlParser, parseSql } = await import('../src/sql/parser.js');
    const { SchemaState } = await import('../src/analyze/sql/schema-state.js');
    const { predictLocks } = await import('../src/sql/locks.js');
    await loadSqlParser();
    const state = new SchemaState();
    const apply = (text: string) => {
      const parsed = parseSql(text);
      if (!parsed.ok) throw new Error(`does not parse: ${text}`);
      for (const s of parsed.statements) state.apply(s.ast, false);
    };
    apply(sql);
    const locks = (statement: string) => {
      const one = parseSql(statement);
      return one.ok ? predictLocks(one.statements[0]!.ast, state).map((l) => `${l.mode} ${l.table}`) : [];
    };
    return { state, apply, locks };
  }
  const schema = `
    CREATE TABLE p (id bigint PRIMARY KEY);
    CREATE TABLE t (id bigint PRIMARY KEY, a int, p_id bigint, CONSTRAINT t_a_positive CHECK (a > 0), CONSTRAINT t_p FOREIGN KEY (p_id) REFERENCES p);
    CREATE INDEX t_a_idx ON t (a);
    CREATE INDEX t_a_partial ON t (id) WHERE a IS NOT NULL;
  `;

  it('drops with a column the indexes, constraints and foreign keys that involve it, and only those', async () => {
    const { state, apply, locks } = await stateWith(schema);
    apply('ALTER TABLE t DROP COLUMN a;');
    expect(state.tableOfIndex('t_a_idx')).toBeUndefined();
    expect(state.tableOfIndex('t_a_partial')).toBeUndefined();
    expect([...state.table('t')!.constraints.keys()]).toEqual(['t_pkey', 't_p']);
    expect(locks('ALTER TABLE t DROP COLUMN p_id')).toEqual(['AccessExclusiveLock t', 'AccessExclusiveLock p']);
    apply('ALTER TABLE t DROP COLUMN p_id;');
    expect(locks('ALTER TABLE t DROP CONSTRAINT t_p')).toEqual(['AccessExclusiveLock t']);
    expect(state.table('t')!.constraints.involves('p_id')).toBe(false);
  });

  it('follows a renamed column: the new name involves its key, the old one nothing', async () => {
    const { state, apply, locks } = await stateWith(schema);
    apply('ALTER TABLE t RENAME COLUMN p_id TO parent_id;');
    expect(locks('ALTER TABLE t DROP COLUMN p_id')).toEqual(['AccessExclusiveLock t']);
    expect(locks('ALTER TABLE t ALTER COLUMN parent_id TYPE numeric')).toEqual(['AccessExclusiveLock t', 'AccessExclusiveLock p']);
    expect(state.table('t')!.foreignKeys.involves('parent_id')).toBe(true);
    expect(state.table('t')!.foreignKeys.involves('p_id')).toBe(false);
  });

  it('follows a renamed column into its constraints, indexes, NOT NULL checks and one-column keys', async () => {
    const { state, apply } = await stateWith(`${schema}
      ALTER TABLE t ADD COLUMN code text;
      ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code);
      ALTER TABLE t ADD CONSTRAINT t_code_nn CHECK (code IS NOT NULL) NOT VALID;
      ALTER TABLE t VALIDATE CONSTRAINT t_code_nn;`);
    expect(state.hasValidatedNotNullCheck('t', 'code')).toBe(true);
    apply('ALTER TABLE t RENAME COLUMN a TO amount; ALTER TABLE t RENAME COLUMN code TO sku;');
    expect(state.indexColumns.involves('amount')).toBe(true);
    expect(state.indexColumns.involves('a')).toBe(false);
    expect(state.table('t')!.constraints.get('t_a_positive')?.columns).toEqual(['amount']);
    expect(state.hasValidatedNotNullCheck('t', 'sku')).toBe(true);
    expect(state.hasValidatedNotNullCheck('t', 'code')).toBe(false);
    expect([...state.table('t')!.uniqueColumns]).toContain('sku');
    expect([...state.table('t')!.uniqueColumns]).not.toContain('code');
    // Dropping the column under its new name drops what involved it.
    apply('ALTER TABLE t DROP COLUMN amount;');
    expect(state.tableOfIndex('t_a_idx')).toBeUndefined();
    expect(state.tableOfIndex('t_a_partial')).toBeUndefined();
    expect(state.table('t')!.constraints.has('t_a_positive')).toBe(false);
  });

  it('undoes what a rollback dropped, so a later DROP COLUMN finds it again', async () => {
    const { state, apply } = await stateWith(schema);
    state.tentatively(() => {
      apply('ALTER TABLE t DROP COLUMN a;');
      expect(state.indexColumns.involves('a')).toBe(false);
    });
    expect(state.indexColumns.involves('a')).toBe(true);
    expect(state.table('t')!.constraints.involves('a')).toBe(true);
    apply('ALTER TABLE t DROP COLUMN a;');
    expect(state.tableOfIndex('t_a_idx')).toBeUndefined();
  });
});

describe('a new table filled from a query, and MG205 before PostgreSQL 11', () => {
  /** The MG205 findings, not notes, of the second file, for PostgreSQL `postgres`. */
  async function mg205(sql: string, postgres: number): Promise<string[]> {
    const files = { '1.sql': 'CREATE TABLE req (datafile_id bigint NOT NULL, user_id int);\n', '2.sql': `SET lock_timeout = '5s';\n${sql}` };
    const result = await lint({ files: ['1.sql', '2.sql'], fileTransaction: true, config: { postgres } }, memoryHost(files));
    return result.diagnostics.filter((d) => d.file === '2.sql' && d.code === 'MG205' && d.severity !== 'info').map((d) => d.message);
  }
  const add = 'ALTER TABLE tmp_req ADD COLUMN creation_time timestamp DEFAULT now();\n';
  const created = 'CREATE TABLE tmp_req (datafile_id bigint NOT NULL, user_id int);\n';

  it('is rewritten by any default: it holds the rows of its query (Dataverse V5.13.0.1)', async () => {
    expect(await mg205(`${created}INSERT INTO tmp_req SELECT DISTINCT datafile_id, user_id FROM req;\n${add}`, 10)).toEqual([
      'ADD COLUMN creation_time rewrites tmp_req (no size hint: assumed large), which this migration filled from a query, under an ACCESS EXCLUSIVE lock: before PostgreSQL 11 any default is written into every row (the target is PostgreSQL 10)',
    ]);
    expect(await mg205(`CREATE TABLE tmp_req AS SELECT * FROM req;\n${add}`, 10)).toHaveLength(1);
    // Renamed into the old table's place, it is still the table the query filled.
    const swapped = `${created}INSERT INTO tmp_req SELECT * FROM req;\nDROP TABLE req;\nALTER TABLE tmp_req RENAME TO req;\n${add.replace('tmp_req', 'req')}`;
    expect(await mg205(swapped, 10)).toHaveLength(1);
  });

  it('is filled by an INSERT in a WITH clause, and by VALUES in a loop of a DO block, as by INSERT ... SELECT (stacker.news fills PayIn so: the thirty-eighth trial\'s E)', async () => {
    const filled = 'ADD COLUMN creation_time rewrites tmp_req (no size hint: assumed large), which this migration filled from a query, under an ACCESS EXCLUSIVE lock: before PostgreSQL 11 any default is written into every row (the target is PostgreSQL 10)';
    expect(await mg205(`${created}WITH r AS (SELECT * FROM req), ins AS (INSERT INTO tmp_req SELECT datafile_id, user_id FROM r) SELECT count(*) FROM r;\n${add}`, 10)).toEqual([filled]);
    expect(await mg205(`${created}WITH ins AS (INSERT INTO tmp_req SELECT datafile_id, user_id FROM req RETURNING 1) UPDATE req SET user_id = 0 WHERE false;\n${add}`, 10)).toEqual([filled]);
    expect(await mg205(`${created}DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM req LOOP INSERT INTO tmp_req VALUES (r.datafile_id, r.user_id); END LOOP; END $$;\n${add}`, 10)).toEqual([filled]);
    // VALUES in a DO block outside any loop adds its few rows, as on its own.
    expect(await mg205(`${created}DO $$ BEGIN INSERT INTO tmp_req VALUES (1, 1); END $$;\n${add}`, 10)).toEqual([]);
    expect(await mg205(`${created}WITH ins AS (INSERT INTO tmp_req VALUES (1, 1) RETURNING 1) SELECT * FROM ins;\n${add}`, 10)).toEqual([]);
  });

  it('is not, created empty, given rows by VALUES, emptied since, or from PostgreSQL 11 on', async () => {
    expect(await mg205(`${created}${add}`, 10)).toEqual([]);
    expect(await mg205(`${created}INSERT INTO tmp_req VALUES (1, 1);\n${add}`, 10)).toEqual([]);
    expect(await mg205(`${created}INSERT INTO tmp_req SELECT * FROM req;\nTRUNCATE tmp_req;\n${add}`, 10)).toEqual([]);
    expect(await mg205(`${created}INSERT INTO tmp_req SELECT * FROM req;\n${add}`, 11)).toEqual([]);
  });
});
