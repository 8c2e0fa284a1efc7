import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG242 says a write to a system catalog needs a superuser (a role that owns the table the row
 * is about is not enough: hosted PostgreSQL gives no superuser), and that DDL and TRUNCATE on a
 * catalog are refused even to one. Checked on PGlite and the server of MIGC_TEST_DATABASE_URL.
 */
async function mg242Lines(sql: string): Promise<number[]> {
  const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': sql }));
  return result.diagnostics.filter((d) => d.code === 'MG242').map((d) => result.sources.get('m.sql')!.position(d.span!.start).line);
}

async function failure(db: SqlEngine, sql: string): Promise<string | undefined> {
  try {
    await db.run(sql);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A setting's value (PGlite's exec returns a list of results, pg's query one). */
async function setting(db: SqlEngine, name: string): Promise<string> {
  const result = (await db.run(`SHOW ${name}`)) as { rows: Record<string, string>[] } | { rows: Record<string, string>[] }[];
  return (Array.isArray(result) ? result.at(-1)! : result).rows[0]![name]!;
}

for (const engine of sqlEngines()) {
  describe(`MG242 on ${engine.name}`, () => {
    let db: SqlEngine;
    // Roles belong to the whole server: a name of its own, dropped after.
    const role = `migc_app_${randomBytes(3).toString('hex')}`;
    beforeAll(async () => {
      db = await engine.open();
      await db.run(`CREATE ROLE ${role}; CREATE TABLE c7 (id int PRIMARY KEY, n int); ALTER TABLE c7 OWNER TO ${role};`);
    });
    afterAll(async () => {
      await db?.run(`RESET ROLE; DROP TABLE IF EXISTS c7; DROP ROLE IF EXISTS ${role};`);
      await db?.close();
    });

    const writes = [
      "UPDATE pg_index SET indisready = FALSE WHERE indrelid = 'c7'::regclass",
      "UPDATE pg_catalog.pg_attribute SET attnotnull = TRUE WHERE attrelid = 'c7'::regclass AND attname = 'n'",
      "DELETE FROM pg_constraint WHERE conrelid = 'c7'::regclass",
    ];

    it('a role that owns the table cannot write the catalog rows about it: permission denied', async () => {
      expect(await mg242Lines(`${writes.join(';\n')};\n`)).toEqual([1, 2, 3]);
      for (const sql of writes) {
        await db.run(`SET ROLE ${role}`);
        expect(await failure(db, sql)).toMatch(/permission denied for table pg_(index|attribute|constraint)/);
        await db.run('RESET ROLE');
      }
      // A superuser may: the write goes through, without ALTER's checks (the index stops being kept up).
      await db.run('CREATE INDEX c7_n ON c7 (n)');
      expect(await failure(db, "UPDATE pg_index SET indisready = FALSE WHERE indexrelid = 'c7_n'::regclass")).toBeUndefined();
      await db.run('DROP INDEX c7_n');
    });

    it('ALTER TABLE and TRUNCATE on a catalog are refused even to a superuser', async () => {
      const refused = ['ALTER TABLE pg_class ADD COLUMN note text', 'TRUNCATE pg_description'];
      expect(await mg242Lines(`${refused.join(';\n')};\n`)).toEqual([1, 2]);
      // PGlite runs as PostgreSQL's single-user mode does, with allow_system_table_mods on (a server
      // cannot be started so but on purpose): there the refusal is lifted, which says what refuses.
      if (await setting(db, 'allow_system_table_mods') === 'on') {
        expect(await failure(db, 'TRUNCATE pg_description')).toBeUndefined();
        return;
      }
      for (const sql of refused) expect(await failure(db, sql)).toMatch(/is a system catalog/);
    });

    it('reading a catalog, and pg_settings (a view: its UPDATE is set_config), are for every role; no MG242', async () => {
      const fine = ["SELECT indexrelid FROM pg_index WHERE indrelid = 'c7'::regclass", "UPDATE pg_settings SET setting = '5s' WHERE name = 'lock_timeout'"];
      expect(await mg242Lines(`${fine.join(';\n')};\n`)).toEqual([]);
      await db.run(`SET ROLE ${role}`);
      for (const sql of fine) expect(await failure(db, sql)).toBeUndefined();
      await db.run('RESET ROLE');
    });
  });
}
