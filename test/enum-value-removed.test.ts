import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { sqlEngines } from './sql-engines.js';

/**
 * MG245: Prisma's migration for an enum value removed casts the column through text to a new
 * enum; a row still holding the removed label fails the cast, and the migration with it.
 */
const install = "CREATE TYPE \"Role\" AS ENUM ('ADMIN', 'USER', 'ITEM');\nCREATE TABLE \"Account\" (id int PRIMARY KEY, role \"Role\" NOT NULL DEFAULT 'USER', roles \"Role\"[] NOT NULL DEFAULT '{}');\n";
const removal = [
  "CREATE TYPE \"Role_new\" AS ENUM ('ADMIN', 'USER');",
  'ALTER TABLE "Account" ALTER COLUMN role DROP DEFAULT, ALTER COLUMN roles DROP DEFAULT;',
  'ALTER TABLE "Account" ALTER COLUMN role TYPE "Role_new" USING (role::text::"Role_new"), ALTER COLUMN roles TYPE "Role_new"[] USING (roles::text[]::"Role_new"[]);',
  'ALTER TYPE "Role" RENAME TO "Role_old";',
  'ALTER TYPE "Role_new" RENAME TO "Role";',
  'DROP TYPE "Role_old";',
  '',
].join('\n');

async function mg245(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)), fileTransaction: true }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG245').map((d) => d.message);
}

describe('MG245 enum-value-removed', () => {
  it('says which labels a row may still hold, for the column and for an array of the enum', async () => {
    expect(await mg245({ '1_init/migration.sql': install, '2_remove_item/migration.sql': removal })).toEqual([
      'changing "Account".role from "Role" to "Role_new" fails if any row still holds \'ITEM\', which "Role_new" does not have (invalid input value for enum): the whole migration stops there',
      'changing "Account".roles from "Role"[] to "Role_new"[] fails if any row still holds \'ITEM\', which "Role_new" does not have (invalid input value for enum): the whole migration stops there',
    ]);
    // In the migration that made the table there is no row to hold it.
    expect(await mg245({ '1_init/migration.sql': install + removal })).toEqual([]);
    // An UPDATE earlier in the migration may have moved the rows: not judged.
    expect(await mg245({ '1_init/migration.sql': install, '2_remove_item/migration.sql': `UPDATE "Account" SET role = 'USER' WHERE role = 'ITEM';\n${removal}` })).toEqual([]);
  });

  for (const engine of sqlEngines()) {
    it(`fails on a row holding the label, and only then (${engine.name})`, async () => {
      const db = await engine.open();
      try {
        for (const [row, fails] of [["(1, 'ITEM', '{}')", true], ["(1, 'USER', '{ITEM}')", true], ["(1, 'USER', '{ADMIN}')", false]] as const) {
          await db.run(install);
          await db.run(`INSERT INTO "Account" VALUES ${row}`);
          const ran = db.run(`BEGIN;\n${removal}COMMIT;`);
          if (fails) {
            await expect(ran, row).rejects.toThrow(/invalid input value for enum "Role_new": "ITEM"/);
            await db.run('ROLLBACK');
          } else await ran;
          await db.run('DROP TABLE "Account"; DROP TYPE IF EXISTS "Role"; DROP TYPE IF EXISTS "Role_new";');
        }
      } finally {
        await db.close();
      }
    });
  }
});
