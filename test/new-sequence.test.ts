import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * Sequences a migration makes are new until it ends, as its tables and views are: nobody else
 * draws from them, so locking one keeps nobody waiting (MG219, MG217). An old sequence renamed is
 * not one the migration made: it has handed out values already (MG236 does not say "the same
 * migration created" of it). The eleventh trial's class S, from citus's install script.
 */
async function findings(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)), fileTransaction: true }, memoryHost(files));
  return result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
}

const install = 'CREATE SCHEMA app;\nCREATE TABLE app.old_placement (placementid bigserial PRIMARY KEY, shardid bigint NOT NULL);\nINSERT INTO app.old_placement (shardid) VALUES (1), (2), (3);\n';

describe('sequences the migration made', () => {
  it('are new: moving, altering or renaming one waits for nobody, and holding its lock blocks nobody', async () => {
    expect(await findings({
      '1_install.sql': install,
      '2_upgrade.sql': "CREATE SEQUENCE app.s;\nALTER SEQUENCE app.s SET SCHEMA public;\nALTER SEQUENCE public.s RENAME TO t;\nALTER SEQUENCE t INCREMENT BY 2;\nSET lock_timeout = '5s';\nALTER TABLE app.old_placement ADD COLUMN note text;\n",
    })).toEqual([]);
    // A sequence an earlier migration made is live: the same statements wait for it, and hold it.
    expect(await findings({
      '1_install.sql': `${install}CREATE SEQUENCE app.s;\n`,
      '2_upgrade.sql': "ALTER SEQUENCE app.s SET SCHEMA public;\nSET lock_timeout = '5s';\nALTER TABLE app.old_placement ADD COLUMN note text;\n",
    })).toEqual(['2_upgrade.sql:1 MG219', '2_upgrade.sql:3 MG217']);
  });

  it('a table\'s own serial, locked while the table is held, keeps no one more waiting; one another table\'s default draws from does (the twenty-fifth trial\'s D: cow)', async () => {
    const tables = 'CREATE TABLE solver_competitions (id serial PRIMARY KEY, x int);\nCREATE TABLE auctions (id serial PRIMARY KEY, x int);\nCREATE TABLE bids (id int DEFAULT nextval(\'auctions_id_seq\'), x int);\n';
    const drop = "SET lock_timeout = '5s';\nALTER TABLE solver_competitions ALTER COLUMN id DROP DEFAULT;\nDROP SEQUENCE solver_competitions_id_seq;\n";
    expect(await findings({ '1.sql': tables, '2.sql': drop })).toEqual([]);
    const shared = "SET lock_timeout = '5s';\nALTER TABLE auctions ALTER COLUMN id DROP DEFAULT;\nALTER SEQUENCE auctions_id_seq OWNED BY NONE;\n";
    expect(await findings({ '1.sql': tables, '2.sql': shared })).toEqual(['2.sql:3 MG217']);
  });

  it('an old sequence renamed and named by a new table\'s DEFAULT is not fresh: no MG236; one made here is', async () => {
    const renamed = "ALTER SEQUENCE app.old_placement_placementid_seq RENAME TO placement_placementid_seq;\nCREATE TABLE app.placement (placementid bigint PRIMARY KEY DEFAULT nextval('app.placement_placementid_seq'::regclass), shardid bigint NOT NULL);\nINSERT INTO app.placement SELECT placementid, shardid FROM app.old_placement;\n";
    expect((await findings({ '1_install.sql': install, '2_upgrade.sql': `SET lock_timeout = '5s';\n${renamed}` })).filter((f) => f.endsWith('MG236'))).toEqual([]);
    const made = renamed.replace('ALTER SEQUENCE app.old_placement_placementid_seq RENAME TO placement_placementid_seq;', 'CREATE SEQUENCE app.placement_placementid_seq;');
    expect((await findings({ '1_install.sql': install, '2_upgrade.sql': `SET lock_timeout = '5s';\n${made}` })).filter((f) => f.endsWith('MG236'))).toEqual(['2_upgrade.sql:4 MG236']);
  });

  for (const engine of sqlEngines()) {
    it(`the renamed sequence goes on past the rows; a new one collides (${engine.name})`, async () => {
      const db = await engine.open();
      try {
        await db.run(install);
        await db.run("BEGIN; ALTER SEQUENCE app.old_placement_placementid_seq RENAME TO placement_placementid_seq; CREATE TABLE app.placement (placementid bigint PRIMARY KEY DEFAULT nextval('app.placement_placementid_seq'::regclass), shardid bigint NOT NULL); INSERT INTO app.placement SELECT placementid, shardid FROM app.old_placement; COMMIT;");
        expect(String(rowsOf(await db.run('INSERT INTO app.placement (shardid) VALUES (4) RETURNING placementid')).at(-1)!.placementid)).toBe('4');
        await db.run("BEGIN; CREATE SEQUENCE app.fresh; CREATE TABLE app.placement2 (placementid bigint PRIMARY KEY DEFAULT nextval('app.fresh'::regclass), shardid bigint NOT NULL); INSERT INTO app.placement2 SELECT placementid, shardid FROM app.old_placement; COMMIT;");
        await expect(db.run('INSERT INTO app.placement2 (shardid) VALUES (4)')).rejects.toThrow(/duplicate key/);
      } finally {
        await db.close();
      }
    });
  }
});
