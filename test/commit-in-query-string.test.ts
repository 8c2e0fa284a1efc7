import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * A COMMIT inside a file the tool sends as one query string (Prisma, golang-migrate): PostgreSQL
 * runs the string in an implicit transaction, which the COMMIT ends, and the rest in a new one.
 * A failure after it leaves what is above applied; the tool's re-run starts from the top (the
 * thirty-eighth trial's D: stacker.news commits an ALTER TYPE ... ADD VALUE so that the statements
 * after it may use the value).
 */
const file = "ALTER TYPE kind ADD VALUE 'clink'; COMMIT;\nCREATE TABLE wallet (id int, kinds kind[]);\nSELECT 1 / 0;\n";

for (const engine of sqlEngines()) {
  describe(`a COMMIT in one query string, on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it('leaves what is above it applied when a statement after it fails, and the re-run fails at the ADD VALUE', async () => {
      await db.run("DROP TABLE IF EXISTS wallet; DROP TYPE IF EXISTS kind; CREATE TYPE kind AS ENUM ('lnd');");
      await expect(db.run(file)).rejects.toThrow(/division by zero/);
      expect(rowsOf(await db.run("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) AS labels FROM pg_enum WHERE enumtypid = 'kind'::regtype"))).toEqual([{ labels: 'lnd,clink' }]);
      expect(rowsOf(await db.run("SELECT to_regclass('wallet') IS NULL AS gone"))).toEqual([{ gone: true }]);
      await expect(db.run(file)).rejects.toThrow(/enum label "clink" already exists/);
    });
  });
}

describe('MG226 on a COMMIT inside one query string', () => {
  const mg226 = async (files: Record<string, string>, options: { fileTransaction?: boolean; fileQueryString?: boolean }) => {
    const result = await lint({ files: migrationOrder(Object.keys(files)), ...options }, memoryHost(files));
    return result.diagnostics.filter((d) => d.code === 'MG226').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`);
  };
  const base = "CREATE TYPE kind AS ENUM ('lnd');\n";

  it('says the file is left half applied on a failure after it, and names what fails on the re-run (Prisma; golang-migrate)', async () => {
    const said = 'COMMIT in a file the migration tool sends as one query string: it commits the statements above it on their own, so a failure after it leaves the migration half applied, recorded as failed (or not at all), and a re-run of the file starts again from the top';
    expect(await mg226({ 'p/20240101000000_init/migration.sql': base, 'p/20240102000000_clink/migration.sql': file }, { fileTransaction: true })).toEqual([
      `p/20240102000000_clink/migration.sql:1 ${said}, where its ALTER TYPE ... ADD VALUE without IF NOT EXISTS (line 1) fails the second time`,
    ]);
    const rerunnable = "ALTER TYPE kind ADD VALUE IF NOT EXISTS 'clink';\nCOMMIT;\nCREATE TABLE IF NOT EXISTS wallet (id int);\n";
    expect(await mg226({ 'm/1_init.up.sql': base, 'm/2_clink.up.sql': rerunnable }, { fileQueryString: true })).toEqual([`m/2_clink.up.sql:2 ${said}`]);
  });

  it('says nothing of a COMMIT that ends the string, nor of statements sent one by one', async () => {
    expect(await mg226({ 'm/1_init.up.sql': base, 'm/2_clink.up.sql': "ALTER TYPE kind ADD VALUE 'clink';\nCOMMIT;\n" }, { fileQueryString: true })).toEqual([]);
    // psql's way: each statement on its own; the COMMIT has no transaction to end (its own warning, as before).
    expect((await mg226({ 'm/1_init.up.sql': base, 'm/2_clink.up.sql': file }, {})).map((f) => f.replace(/ with no transaction open.*/, ''))).toEqual(['m/2_clink.up.sql:1 COMMIT']);
  });
});
