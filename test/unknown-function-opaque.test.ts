import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { sqlEngines } from './sql-engines.js';

/**
 * A SELECT (or a DO block's PERFORM) of a function migc cannot follow may change any table: a
 * helper the runner loads before the migrations (oVirt's fn_db_add_column, defined in a file that
 * is not linted), an extension's function, a VOLATILE function whose body migc cannot read. After
 * one, what migc knows of the tables is no longer certain, so it does not say that PostgreSQL
 * refuses what the helper may have made possible (MG238, MG244, MG230). The twelfth trial's class A.
 */
async function codes(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
}

const base = "SET lock_timeout = '5s';\nCREATE TABLE cluster (id int PRIMARY KEY, name text);\nCREATE TABLE vm_static (vm_guid uuid PRIMARY KEY);\n";
const upgrade = [
  "SET lock_timeout = '5s';",
  "SELECT fn_db_add_column('cluster', 'mac_pool_id', 'uuid');",
  "UPDATE cluster SET mac_pool_id = '00000000-0000-0000-0000-000000000000' WHERE mac_pool_id IS NULL;",
  'CREATE TABLE vm_backups (id uuid PRIMARY KEY, vm_id uuid REFERENCES vm_static (vm_guid));',
  "SELECT fn_db_create_index('idx_vm_backups_vm_id', 'vm_backups', 'vm_id');",
  '',
].join('\n');
const helpers = readFileSync(new URL('./fixtures/helper-functions/common_sp.sql', import.meta.url), 'utf8');

describe('a function migc cannot follow', () => {
  it('leaves the tables uncertain: no refusal of the column a helper added, and the backfill after it is judged', async () => {
    expect(await codes({ '001_base.sql': base, '002_upgrade.sql': upgrade })).toEqual(['002_upgrade.sql:3 MG112']);
    // With the helper linted first, migc follows its body: its dynamic SQL is opaque as well.
    expect(await codes({ '000_helpers.sql': helpers, '001_base.sql': base, '002_upgrade.sql': upgrade })).toEqual(['002_upgrade.sql:3 MG112']);
    // So is a PERFORM of it in a DO block.
    const perform = upgrade.replace("SELECT fn_db_add_column('cluster', 'mac_pool_id', 'uuid');", () => "DO $$ BEGIN PERFORM fn_db_add_column('cluster', 'mac_pool_id', 'uuid'); END $$;");
    expect(await codes({ '001_base.sql': base, '002_upgrade.sql': perform })).toEqual(['002_upgrade.sql:3 MG112']);
  });

  it('a built-in function, or one the files made STABLE, changes nothing: the column is still missing', async () => {
    const missing = "SET lock_timeout = '5s';\nSELECT setval('s', 10), pg_advisory_lock(1), now();\nSELECT label(1);\nUPDATE cluster SET mac_pool_id = NULL;\n";
    const stable = "SET lock_timeout = '5s';\nCREATE SEQUENCE s;\nCREATE FUNCTION label(int) RETURNS text STABLE LANGUAGE sql AS $$ SELECT 'x' $$;\n";
    expect(await codes({ '001_base.sql': base + stable, '002_upgrade.sql': missing })).toEqual(['002_upgrade.sql:4 MG238']);
  });

  for (const engine of sqlEngines()) {
    it(`the upgrade runs after the helpers (${engine.name})`, async () => {
      const db = await engine.open();
      try {
        await db.run(helpers);
        await db.run(base);
        await db.run(upgrade);
        await db.run("SELECT mac_pool_id FROM cluster; SELECT 'idx_vm_backups_vm_id'::regclass;");
      } finally {
        await db.close();
      }
    });
  }
});
