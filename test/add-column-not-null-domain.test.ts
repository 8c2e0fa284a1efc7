import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG206 and ADD COLUMN of a domain type, checked on PostgreSQL (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL): every existing row gets the column's default, else the domain's own,
 * else NULL, and the value is checked against the domain's constraints (its own and those of the
 * domains it is over). A domain that refuses NULL (NOT NULL, or a CHECK that is false for NULL)
 * without a default then refuses the statement on a table with a row, and succeeds on an empty
 * one. MG206 reports exactly the ADD COLUMNs PostgreSQL refuses on a table of one row, save those
 * marked `unclaimed` (refused too, but not worked out).
 */
const domains = `
CREATE DOMAIN d_nn AS int NOT NULL;
CREATE DOMAIN d_check AS int CHECK (VALUE IS NOT NULL);
CREATE DOMAIN d_positive AS int CHECK (VALUE > 0);
CREATE DOMAIN d_nn_default AS int NOT NULL DEFAULT 1;
CREATE DOMAIN d_over AS d_nn;
CREATE DOMAIN d_over_check AS d_check;
CREATE DOMAIN d_base_default AS int DEFAULT 7;
CREATE DOMAIN d_over_default AS d_base_default NOT NULL;
CREATE DOMAIN d_base_later AS int;
CREATE DOMAIN d_over_later AS d_base_later NOT NULL;
ALTER DOMAIN d_base_later SET DEFAULT 5;
CREATE DOMAIN d_nn_default_null AS int NOT NULL DEFAULT NULL;
CREATE DOMAIN d_over_default_null AS d_nn_default DEFAULT NULL;
CREATE DOMAIN d_default_dropped AS int NOT NULL DEFAULT 1;
ALTER DOMAIN d_default_dropped DROP DEFAULT;
CREATE DOMAIN d_default_set AS int NOT NULL;
ALTER DOMAIN d_default_set SET DEFAULT 3;
CREATE DOMAIN d_not_valid AS int;
ALTER DOMAIN d_not_valid ADD CONSTRAINT present CHECK (VALUE IS NOT NULL) NOT VALID;
CREATE DOMAIN d_check_dropped AS int CONSTRAINT present CHECK (VALUE IS NOT NULL);
ALTER DOMAIN d_check_dropped DROP CONSTRAINT present;
CREATE DOMAIN d_nn_dropped AS int NOT NULL;
ALTER DOMAIN d_nn_dropped DROP NOT NULL;
CREATE DOMAIN d_and AS int CHECK (VALUE > 0 AND VALUE IS NOT NULL);
CREATE DOMAIN d_or AS int CHECK (VALUE > 0 OR VALUE IS NOT NULL);
CREATE DOMAIN d_not AS int CHECK (NOT (VALUE IS NULL));
CREATE DOMAIN d_distinct AS text CHECK (VALUE IS DISTINCT FROM NULL);
CREATE DOMAIN d_is_true AS int CHECK ((VALUE > 0) IS TRUE);
CREATE DOMAIN d_coalesce AS int CHECK (coalesce(VALUE, 0) > 0);
CREATE DOMAIN d_in AS text CHECK (VALUE IN ('a', 'b'));
CREATE DOMAIN d_renamed AS int CONSTRAINT a CHECK (VALUE IS NOT NULL);
ALTER DOMAIN d_renamed RENAME CONSTRAINT a TO b;
CREATE SCHEMA app;
CREATE DOMAIN app.d_moved AS int NOT NULL;
`;

const cases: { name: string; column: string; unclaimed?: string }[] = [
  { name: 'NOT NULL, no default', column: 'd_nn' },
  { name: 'CHECK (VALUE IS NOT NULL), no default', column: 'd_check' },
  { name: 'CHECK (VALUE > 0), which NULL passes', column: 'd_positive' },
  { name: "NOT NULL, the domain's default", column: 'd_nn_default' },
  { name: "NOT NULL, the domain's default replaced by the column's DEFAULT NULL", column: 'd_nn_default DEFAULT NULL' },
  { name: 'NOT NULL, the column DEFAULT NULL::int', column: 'd_nn_default DEFAULT NULL::int' },
  { name: 'NOT NULL, a column default', column: 'd_nn DEFAULT 1' },
  { name: 'over a NOT NULL domain', column: 'd_over' },
  { name: 'over a domain with CHECK (VALUE IS NOT NULL)', column: 'd_over_check' },
  { name: 'NOT NULL over a domain with a default (copied when it was made)', column: 'd_over_default' },
  { name: 'NOT NULL over a domain given a default after it was made', column: 'd_over_later' },
  { name: 'NOT NULL, DEFAULT NULL', column: 'd_nn_default_null' },
  { name: "over a domain with a default, DEFAULT NULL of its own", column: 'd_over_default_null' },
  { name: 'NOT NULL, its default dropped', column: 'd_default_dropped' },
  { name: 'NOT NULL, a default set by ALTER DOMAIN', column: 'd_default_set' },
  { name: 'CHECK (VALUE IS NOT NULL) added NOT VALID', column: 'd_not_valid' },
  { name: 'CHECK (VALUE IS NOT NULL) dropped', column: 'd_check_dropped' },
  { name: 'NOT NULL dropped', column: 'd_nn_dropped' },
  { name: 'CHECK (VALUE > 0 AND VALUE IS NOT NULL)', column: 'd_and' },
  { name: 'CHECK (VALUE > 0 OR VALUE IS NOT NULL), which NULL passes', column: 'd_or' },
  { name: 'CHECK (NOT (VALUE IS NULL))', column: 'd_not' },
  { name: 'CHECK (VALUE IS DISTINCT FROM NULL)', column: 'd_distinct' },
  { name: 'CHECK ((VALUE > 0) IS TRUE)', column: 'd_is_true' },
  { name: 'CHECK (coalesce(VALUE, 0) > 0)', column: 'd_coalesce', unclaimed: 'the values a CHECK compares are not worked out' },
  { name: "CHECK (VALUE IN ('a', 'b')), which NULL passes", column: 'd_in' },
  { name: 'a CHECK renamed', column: 'd_renamed' },
  { name: 'a domain in another schema', column: 'app.d_moved' },
  { name: 'an array of a NOT NULL domain', column: 'd_nn[]' },
  { name: 'a stored generated column of a NOT NULL domain', column: 'd_nn GENERATED ALWAYS AS (id) STORED' },
];

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`ADD COLUMN of a domain that may refuse NULL on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
      await db.run(domains);
    });
    afterAll(() => db?.close());

    it('MG206 reports exactly the columns PostgreSQL refuses on a table with a row; on an empty one each succeeds', async () => {
      const refused: string[] = [];
      const errors: string[] = [];
      for (const c of cases) {
        await db.run('DROP TABLE IF EXISTS t, e; CREATE TABLE t (id int); INSERT INTO t VALUES (1); CREATE TABLE e (id int);');
        try {
          await db.run(`ALTER TABLE t ADD COLUMN c ${c.column};`);
        } catch (e) {
          refused.push(c.name);
          errors.push((e as Error).message);
        }
        await db.run(`ALTER TABLE e ADD COLUMN c ${c.column};`);
      }
      expect(errors.every((m) => /^(domain \S+ does not allow null values|value for domain \S+ violates check constraint "\w+")$/.test(m))).toBe(true);
      expect(errors).toContain('domain d_over does not allow null values');
      expect(errors).toContain('value for domain d_over_check violates check constraint "d_check_check"');

      const files = { '001_create.sql': `CREATE TABLE t (id int);\n${domains}`, '002_add.sql': `SET lock_timeout = '5s';\n${cases.map((c) => `ALTER TABLE t ADD COLUMN c ${c.column};\n`).join('')}` };
      const result = await lint({ files: Object.keys(files), config: { postgres: db.major } }, memoryHost(files));
      const reported = result.diagnostics.filter((d) => d.code === 'MG206').map((d) => cases[result.sources.get(d.file)!.position(d.span!.start).line - 2]!.name);
      expect(reported).toEqual(refused.filter((r) => !cases.find((c) => c.name === r)!.unclaimed));
      expect(refused.filter((r) => cases.find((c) => c.name === r)!.unclaimed)).toEqual(cases.filter((c) => c.unclaimed).map((c) => c.name));
      // What the cases show, as the docs say it.
      expect(refused).toEqual([
        'NOT NULL, no default', 'CHECK (VALUE IS NOT NULL), no default', "NOT NULL, the domain's default replaced by the column's DEFAULT NULL",
        'NOT NULL, the column DEFAULT NULL::int', 'over a NOT NULL domain', 'over a domain with CHECK (VALUE IS NOT NULL)',
        'NOT NULL over a domain given a default after it was made', 'NOT NULL, DEFAULT NULL', 'over a domain with a default, DEFAULT NULL of its own',
        'NOT NULL, its default dropped', 'CHECK (VALUE IS NOT NULL) added NOT VALID', 'CHECK (VALUE > 0 AND VALUE IS NOT NULL)', 'CHECK (NOT (VALUE IS NULL))',
        'CHECK (VALUE IS DISTINCT FROM NULL)', 'CHECK ((VALUE > 0) IS TRUE)', 'CHECK (coalesce(VALUE, 0) > 0)', 'a CHECK renamed', 'a domain in another schema',
      ]);
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);

describe('MG206 on a column of a domain that refuses NULL', () => {
  const mg206 = async (created: string, added: string, options: { assumeRows?: ReadonlyMap<string, number> } = {}) => {
    const files = { '001_create.sql': `CREATE TABLE users (id int);\n${created}`, '002_add.sql': `SET lock_timeout = '5s';\n${added}\n` };
    const result = await lint({ files: Object.keys(files), config: { postgres: 15, ...(options.assumeRows ? { assumeRows: options.assumeRows } : {}) } }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG206');
  };

  it('names the domain and why', async () => {
    const found = await mg206('CREATE DOMAIN positive AS numeric(10,2) NOT NULL;\nCREATE DOMAIN price AS positive CHECK (VALUE < 1000);\n', 'ALTER TABLE users ADD COLUMN amount price;');
    expect(found.map((d) => d.message)).toEqual([
      'ADD COLUMN amount of domain price fails on users as soon as it has a row: it is over positive, which is NOT NULL, and neither the column nor the domain has a default, which leaves every existing row NULL',
    ]);
    expect(found[0]!.help).toContain('or add it as numeric(10,2), nullable,');
    const check = await mg206("CREATE DOMAIN code AS text CONSTRAINT code_present CHECK (VALUE IS NOT NULL AND VALUE <> '') DEFAULT 'x';\n", 'ALTER TABLE users ADD COLUMN code code DEFAULT NULL;');
    expect(check.map((d) => d.message)).toEqual([
      "ADD COLUMN code of domain code fails on users as soon as it has a row: the CHECK constraint code_present is false for NULL, and the column's DEFAULT NULL, which the domain's own default does not replace, gives every existing row NULL",
    ]);
  });

  it('and a column of its own NOT NULL with DEFAULT NULL; not one whose domain has a default', async () => {
    expect((await mg206('', 'ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT NULL;')).map((d) => d.message)).toEqual(['ADD COLUMN tier ... NOT NULL with DEFAULT NULL fails on users as soon as it has a row']);
    expect(await mg206('CREATE DOMAIN tier AS text DEFAULT \'free\';\n', 'ALTER TABLE users ADD COLUMN tier tier NOT NULL;')).toEqual([]);
    // A domain not created in the files may have a default: only the column's own NOT NULL is judged.
    expect(await mg206('', 'ALTER TABLE users ADD COLUMN tier some_domain;')).toEqual([]);
    expect(await mg206('', 'ALTER TABLE users ADD COLUMN tier some_domain NOT NULL;')).toHaveLength(1);
  });

  it('not on a table with no row', async () => {
    expect(await mg206('CREATE DOMAIN d AS int NOT NULL;\n', 'ALTER TABLE users ADD COLUMN c d;', { assumeRows: new Map([['users', 0]]) })).toEqual([]);
    expect(await mg206('CREATE DOMAIN d AS int NOT NULL;\n', 'BEGIN;\nTRUNCATE users;\nALTER TABLE users ADD COLUMN c d;\nCOMMIT;')).toEqual([]);
  });
});
