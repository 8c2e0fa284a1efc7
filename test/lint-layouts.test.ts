import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMigrations } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { dbmateRefusal, fileSections, outsideTransactionHow, flywayCallbacksLeftOut, notFlywayNamed, refineryUnversioned, separateHistories, flywayConfExecuteInTransaction, isAutocommitFile, isPrismaMigration, isRollbackFile, isSentAsOneQueryString, liquibaseChangelog, migrationOrder, orderedByName, pairedUnderscoreDowns, popxLeftOut, sqitchChanges, sqitchCoreSettings, zdbLeftOut } from '../src/lint-files.js';
import { temporalManifest } from '../src/lint-temporal.js';
import { compareExtensionVersions, extensionScriptOf } from '../src/extension-scripts.js';
import { compareDotlessVersions, upgradeStepChains, upgradeStepOf } from '../src/upgrade-steps.js';
import { SourceText } from '../src/diagnostics/source-text.js';
import { cliEnv, root } from './helpers.js';

/**
 * test/fixtures/lint-layouts/<tool>/: one migration folder per tool's layout (Flyway, golang-migrate,
 * dbmate, goose, diesel, sql-migrate, tern, Postgrator, yoyo, ...), linted in the order the tool
 * runs it, each down after its own up.
 */
const fixtures = `${root}test/fixtures/lint-layouts`;

async function lintFolder(dir: string, options: { fileTransaction?: boolean } = {}) {
  const cwd = `${fixtures}/${dir}`;
  const migrations = await findMigrations(['.'], cwd);
  const { files } = migrations;
  const result = await lint({ files, rollbacks: migrations.rollbacks, ...options }, nodeHost(cwd));
  const line = (d: (typeof result.diagnostics)[number]) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.code}`;
  // MG221 (a CONCURRENTLY build not safe to re-run) holds whatever the layout: the fixtures' builds
  // are written CREATE INDEX CONCURRENTLY IF NOT EXISTS, and are told apart (mg221) from what the
  // layout decides (found).
  const found = result.diagnostics.filter((d) => d.code !== 'MG221').map((d) => `${line(d)} ${d.message.replace(/ rewrites (events|users).*/, '').replace(/ with no lock_timeout set before it .*/, '')}`);
  const mg221 = result.diagnostics.filter((d) => d.code === 'MG221').map(line);
  return { files, found, mg221, layout: migrations.diagnostics };
}

describe('a down file judged against what its own up made (MG214)', () => {
  // harness: two migrations share version 0059, and golang-migrate-style tools run both ups before
  // either down; each down drops what its own up added. 0061's down empties tables that were
  // there before its up, which a rollback loses.
  const files = {
    '0001_init.up.sql': 'CREATE TABLE events (id int PRIMARY KEY);\nCREATE TABLE pullreqs (id int PRIMARY KEY);\n',
    '0059_add_additions.up.sql': "SET lock_timeout = '5s';\nALTER TABLE pullreqs ADD COLUMN additions int;\n",
    '0059_add_additions.down.sql': "SET lock_timeout = '5s';\nALTER TABLE pullreqs DROP COLUMN additions;\n",
    '0059_event_timestamp.up.sql': "SET lock_timeout = '5s';\nALTER TABLE events ADD COLUMN at bigint;\nCREATE TABLE event_log (id int);\n",
    '0059_event_timestamp.down.sql': "SET lock_timeout = '5s';\nDROP TABLE event_log;\nALTER TABLE events DROP COLUMN at;\n",
    '0061_coderef.up.sql': "SET lock_timeout = '5s';\nALTER TABLE events ADD COLUMN ref text;\n",
    '0061_coderef.down.sql': "SET lock_timeout = '5s';\nTRUNCATE events CASCADE;\nALTER TABLE events DROP COLUMN ref;\n",
    // A down whose up is not linted: nothing to judge it against.
    '0099_orphan.down.sql': "SET lock_timeout = '5s';\nDROP TABLE pullreqs;\n",
  };
  it('reports what a down loses beyond its up, whichever up of its version ran last', async () => {
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG214').map((d) => `${d.file} ${d.message}`)).toEqual([
      '0061_coderef.down.sql this rollback truncates events, which its up did not make: the rollback loses what was there before the up',
    ]);
  });
});

describe('migrationOrder', () => {
  it('orders Flyway versions part by part as numbers, undo after its version, repeatables last', () => {
    const names = ['R__views.sql', 'V10__d.sql', 'V2__c.sql', 'U10__d.sql', 'V1.10__b.sql', 'V1.9__a.sql', 'V1__init.sql', 'V1_5__u.sql', 'U3__orphan.sql', 'R__a_first.sql'];
    const expected = ['V1__init.sql', 'V1_5__u.sql', 'V1.9__a.sql', 'V1.10__b.sql', 'V2__c.sql', 'U3__orphan.sql', 'V10__d.sql', 'U10__d.sql', 'R__a_first.sql', 'R__views.sql'];
    expect(migrationOrder(names.map((n) => `db/${n}`))).toEqual(expected.map((n) => `db/${n}`));
    // The same whatever order the files were found in.
    expect(migrationOrder([...names].reverse().map((n) => `db/${n}`))).toEqual(expected.map((n) => `db/${n}`));
  });

  it('puts Flyway\'s callbacks where migrate runs them: beforeMigrate first, afterVersioned, beforeRepeatables, afterMigrateApplied, afterMigrate last', () => {
    const names = ['afterMigrate.sql', 'R__b.sql', 'afterMigrateApplied__x.sql', 'V2__b.sql', 'beforeRepeatables.sql', 'afterVersioned.sql', 'beforeMigrate__b.sql', 'beforeMigrate__a.sql', 'V1__a.sql', 'R__a.sql', 'afterMigrate__grants.sql'];
    expect(migrationOrder(names)).toEqual(['beforeMigrate__a.sql', 'beforeMigrate__b.sql', 'V1__a.sql', 'V2__b.sql', 'afterVersioned.sql', 'beforeRepeatables.sql', 'R__a.sql', 'R__b.sql', 'afterMigrateApplied__x.sql', 'afterMigrate.sql', 'afterMigrate__grants.sql']);
    // Event names as Flyway matches them, exactly: these are plain files without a version.
    expect(migrationOrder(['aftermigrate.sql', 'V1__a.sql', 'beforeMigrateX.sql'])).toEqual(['V1__a.sql', 'aftermigrate.sql', 'beforeMigrateX.sql']);
    // Those run around each migration, once: beforeEachMigrate before the versioned scripts, afterEachMigrate after them.
    expect(migrationOrder(['V2__b.sql', 'afterVersioned.sql', 'afterEachMigrate.sql', 'V1__a.sql', 'beforeEachMigrate.sql', 'beforeMigrate.sql'])).toEqual(['beforeMigrate.sql', 'beforeEachMigrate.sql', 'V1__a.sql', 'V2__b.sql', 'afterEachMigrate.sql', 'afterVersioned.sql']);
    expect(flywayCallbacksLeftOut(['beforeEachMigrate.sql', 'beforeEachMigrateStatement.sql', 'afterMigrate.sql', 'db/afterMigrateError__x.sql', 'beforeClean.sql', 'aftermigrateerror.sql'])).toEqual(['beforeEachMigrateStatement.sql', 'db/afterMigrateError__x.sql', 'beforeClean.sql']);
  });

  it('runs a schema copied in as 0_schema.sql before the upgrades, where a file without a version would come last (the README\'s advice for upgrade folders)', async () => {
    expect(migrationOrder(['upgrade/1.sql', 'schema.sql'])).toEqual(['upgrade/1.sql', 'schema.sql']);
    expect(migrationOrder(['upgrade/1.sql', 'base/0_schema.sql'])).toEqual(['base/0_schema.sql', 'upgrade/1.sql']);
    await loadSqlParser();
    const files = { 'base/0_schema.sql': 'CREATE TABLE t (id int PRIMARY KEY, c varchar(20));\n', 'upgrade/1.sql': "SET lock_timeout = '5s';\nALTER TABLE t ALTER COLUMN c TYPE varchar(40);\n" };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    // Judged from the type the schema made: a varchar widened changes only the catalog.
    expect(result.diagnostics.map((d) => d.code)).toEqual([]);
  });

  it('pairs a golang-migrate or sqlx down with its up by version, whatever their titles say', () => {
    // ente's migrations: by name the down (collection_drop_...) sorted before its up.
    const names = ['m/64_collection_drop_pub_magic_metadata.down.sql', 'm/65_shared.up.sql', 'm/64_collection_pub_magic_metadata.up.sql', 'm/063_kex.down.sql', 'm/63_kex.up.sql'];
    expect(migrationOrder(names)).toEqual(['m/63_kex.up.sql', 'm/063_kex.down.sql', 'm/64_collection_pub_magic_metadata.up.sql', 'm/64_collection_drop_pub_magic_metadata.down.sql', 'm/65_shared.up.sql']);
  });

  it('pairs x_up.sql and x_down.sql (harness, maragudk/migrate), the down after its up; a lone _down.sql is a migration', () => {
    const names = ['p/0021_webhook_internal_down.sql', 'p/0021_webhook_internal_up.sql', 'p/0020_init.up.sql', 'p/0022_scale_down.sql'];
    expect(migrationOrder(names)).toEqual(['p/0020_init.up.sql', 'p/0021_webhook_internal_up.sql', 'p/0021_webhook_internal_down.sql', 'p/0022_scale_down.sql']);
    expect([...pairedUnderscoreDowns(names)]).toEqual(['p/0021_webhook_internal_down.sql']);
  });

  it('pairs a Flyway undo with its version across folders, whatever its description', () => {
    expect(migrationOrder(['undo/U2__drop_it.sql', 'main/V2__add_it.sql', 'main/V1__init.sql', 'main/V3__more.sql'])).toEqual(['main/V1__init.sql', 'main/V2__add_it.sql', 'undo/U2__drop_it.sql', 'main/V3__more.sql']);
  });

  it('orders timestamps, plain numbers and dotted versions numerically, files without a version after them', () => {
    expect(migrationOrder(['m/v1.10_b.sql', 'm/v1.2_a.sql', 'm/v1.2.1_c.sql'])).toEqual(['m/v1.2_a.sql', 'm/v1.2.1_c.sql', 'm/v1.10_b.sql']);
    expect(migrationOrder(['m/10_c.sql', 'm/9_b.sql', 'm/001_a.sql', 'm/seed.sql', 'm/0010_d.sql'])).toEqual(['m/001_a.sql', 'm/9_b.sql', 'm/0010_d.sql', 'm/10_c.sql', 'm/seed.sql']);
    expect(migrationOrder(['m/20240101120000_b.sql', 'm/20231231235959_a.sql', 'm/202401011200000000000001_long.sql'])).toEqual(['m/20231231235959_a.sql', 'm/20240101120000_b.sql', 'm/202401011200000000000001_long.sql']);
  });

  it('puts each down right after its up: golang-migrate, sqlx, diesel; a down without an up where its up would be', () => {
    expect(migrationOrder(['m/2_x.down.sql', 'm/2_x.up.sql', 'm/10_y.up.sql', 'm/1_init.sql', 'm/1_init.down.sql', 'm/3_gone.down.sql'])).toEqual(['m/1_init.sql', 'm/1_init.down.sql', 'm/2_x.up.sql', 'm/2_x.down.sql', 'm/3_gone.down.sql', 'm/10_y.up.sql']);
    expect(migrationOrder(['d/2024-01-10-090000_b/down.sql', 'd/2024-01-10-090000_b/up.sql', 'd/2024-01-01-120000_a/up.sql', 'd/00000000000000_setup/up.sql', 'd/2024-01-01-120000_a/down.sql'])).toEqual(['d/00000000000000_setup/up.sql', 'd/2024-01-01-120000_a/up.sql', 'd/2024-01-01-120000_a/down.sql', 'd/2024-01-10-090000_b/up.sql', 'd/2024-01-10-090000_b/down.sql']);
  });

  it('puts yoyo\'s .rollback.sql after its migration, and Postgrator\'s undo after its do by version, whatever their names', () => {
    // By name alone, x.rollback.sql sorts before x.sql: the rollback was judged before what it undoes.
    expect(migrationOrder(['y/0002_b.rollback.sql', 'y/0002_b.sql', 'y/0001_a.rollback.sql', 'y/0001_a.sql', 'y/0010_c.sql'])).toEqual(['y/0001_a.sql', 'y/0001_a.rollback.sql', 'y/0002_b.sql', 'y/0002_b.rollback.sql', 'y/0010_c.sql']);
    expect(migrationOrder(['p/10.do.sql', 'p/002.undo.index.sql', 'p/002.do.add-index.sql', 'p/001.undo.sql', 'p/001.do.init.sql', 'p/9.do.x.y.sql'])).toEqual(['p/001.do.init.sql', 'p/001.undo.sql', 'p/002.do.add-index.sql', 'p/002.undo.index.sql', 'p/9.do.x.y.sql', 'p/10.do.sql']);
  });

  it('pairs a Flyway-named down file with its up: V5__x.down.sql after V5__x.sql (or V5__x.up.sql)', () => {
    expect(migrationOrder(['m/V5__widen.down.sql', 'm/V5__widen.sql', 'm/V6__next.sql', 'm/V4__init.sql'])).toEqual(['m/V4__init.sql', 'm/V5__widen.sql', 'm/V5__widen.down.sql', 'm/V6__next.sql']);
    expect(migrationOrder(['m/V5__widen.down.sql', 'm/V5__widen.up.sql'])).toEqual(['m/V5__widen.up.sql', 'm/V5__widen.down.sql']);
    expect(isRollbackFile('m/V5__widen.down.sql')).toBe(true);
  });

  it('judges a Flyway-named down against what its up left: the narrowing back is found', async () => {
    const files = {
      'V1__init.sql': 'CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric(14,2));\n',
      'V2__widen.sql': "SET lock_timeout = '5s';\nALTER TABLE payments ALTER COLUMN amount TYPE numeric(16,2);\n",
      'V2__widen.down.sql': "SET lock_timeout = '5s';\nALTER TABLE payments ALTER COLUMN amount TYPE numeric(14,2);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.map((d) => `${d.file} ${d.code} ${d.message.replace(/ rewrites payments.*/, '')}`)).toEqual([
      'V2__widen.down.sql MG212 changing payments.amount from numeric(16,2) to numeric(14,2)',
    ]);
  });

  it('does not pair downs across folders or names: same version elsewhere is another migration', () => {
    expect(migrationOrder(['b/1_x.down.sql', 'a/1_x.up.sql', 'a/1_y.down.sql'])).toEqual(['a/1_x.up.sql', 'a/1_y.down.sql', 'b/1_x.down.sql']);
  });

  it('orders a folder that mixes layouts as one history', () => {
    const names = ['db/seed.sql', 'db/R__views.sql', 'db/V2__b.sql', 'db/1_a.down.sql', 'db/1_a.up.sql', 'db/structure/3_c/up.sql', 'db/structure/3_c/down.sql', 'db/U2__b.sql'];
    expect(migrationOrder(names)).toEqual(['db/1_a.up.sql', 'db/1_a.down.sql', 'db/V2__b.sql', 'db/U2__b.sql', 'db/structure/3_c/up.sql', 'db/structure/3_c/down.sql', 'db/seed.sql', 'db/R__views.sql']);
  });

  it('orders version folders as versions: temporal-sql-tool\'s v1.2/ before v1.10/, as its files would be', () => {
    const folders = ['t/v1.10/narrow.sql', 't/v1.2/widen.sql', 't/v1.1/schema.sql', 't/v1.0/schema.sql', 't/v1.9/a.sql', 't/v1.9/b.sql'];
    const expected = ['t/v1.0/schema.sql', 't/v1.1/schema.sql', 't/v1.2/widen.sql', 't/v1.9/a.sql', 't/v1.9/b.sql', 't/v1.10/narrow.sql'];
    expect(migrationOrder(folders)).toEqual(expected);
    expect(migrationOrder([...folders].reverse())).toEqual(expected);
    // The same history as Flyway file names, in the same order.
    expect(migrationOrder(['f/V1.10__narrow.sql', 'f/V1.2__widen.sql', 'f/V1.1__schema.sql'])).toEqual(['f/V1.1__schema.sql', 'f/V1.2__widen.sql', 'f/V1.10__narrow.sql']);
  });

  it('orders nested version folders level by level, with or without a v, and numbered folders as numbers', () => {
    expect(migrationOrder(['s/v10/v1.0/x.sql', 's/v2/v1.10/x.sql', 's/v2/v1.2/x.sql', 's/v1/v3/x.sql', 's/v2/v1.2/sub/x.sql']))
      .toEqual(['s/v1/v3/x.sql', 's/v2/v1.2/sub/x.sql', 's/v2/v1.2/x.sql', 's/v2/v1.10/x.sql', 's/v10/v1.0/x.sql']);
    expect(migrationOrder(['n/10/a.sql', 'n/9/a.sql', 'n/1.10/a.sql', 'n/1.9/a.sql'])).toEqual(['n/1.9/a.sql', 'n/1.10/a.sql', 'n/9/a.sql', 'n/10/a.sql']);
    expect(migrationOrder(['d/2024_01_10/a.sql', 'd/2024_01_02/a.sql', 'd/2023_12_31/a.sql', 'd/10_later/a.sql', 'd/9_first/a.sql']))
      .toEqual(['d/9_first/a.sql', 'd/10_later/a.sql', 'd/2023_12_31/a.sql', 'd/2024_01_02/a.sql', 'd/2024_01_10/a.sql']);
  });

  it('puts version folders before folders without a version, as versioned files come before the others', () => {
    expect(migrationOrder(['m/seed/a.sql', 'm/v1.10/a.sql', 'm/Extra/a.sql', 'm/v1.2/a.sql', 'm/1.3/a.sql']))
      .toEqual(['m/v1.2/a.sql', 'm/1.3/a.sql', 'm/v1.10/a.sql', 'm/Extra/a.sql', 'm/seed/a.sql']);
  });

  it('reads leading zeros as the number they write, and breaks a tie of equal versions by name', () => {
    expect(migrationOrder(['z/v010/a.sql', 'z/v02/a.sql', 'z/v9/a.sql'])).toEqual(['z/v02/a.sql', 'z/v9/a.sql', 'z/v010/a.sql']);
    // v1, v01 and v1.0 are one version to a tool that reads numbers: by name, the same on every machine.
    const equal = ['e/v1/a.sql', 'e/v01/a.sql', 'e/1/a.sql', 'e/v1_fix/a.sql'];
    expect(migrationOrder(equal)).toEqual(['e/1/a.sql', 'e/v01/a.sql', 'e/v1/a.sql', 'e/v1_fix/a.sql']);
    expect(migrationOrder([...equal].reverse())).toEqual(migrationOrder(equal));
  });

  it('orders by the folders\' versions, then by the file\'s own; Flyway\'s scripts by their own version whatever folder holds them', () => {
    expect(migrationOrder(['f/v1.10/V2__b.sql', 'f/v1.2/V3__c.sql', 'f/v1.2/V1__a.sql'])).toEqual(['f/v1.2/V1__a.sql', 'f/v1.10/V2__b.sql', 'f/v1.2/V3__c.sql']);
    expect(migrationOrder(['g/v1.10/001_x.up.sql', 'g/v1.2/001_x.up.sql', 'g/v1.2/001_x.down.sql'])).toEqual(['g/v1.2/001_x.up.sql', 'g/v1.2/001_x.down.sql', 'g/v1.10/001_x.up.sql']);
    // A version folder runs whole before the next, its versioned files first; files at the top
    // (no folder version) before the folders; folders without a version add nothing.
    const mixed = ['h/v1.10/001_a.sql', 'h/v1.2/schema.sql', 'h/v1.2/002_x.sql', 'h/v1.0/schema.sql', 'h/005_top.sql', 'h/misc/v1.1/b.sql', 'h/seed.sql'];
    expect(migrationOrder(mixed)).toEqual(['h/005_top.sql', 'h/v1.0/schema.sql', 'h/misc/v1.1/b.sql', 'h/v1.2/002_x.sql', 'h/v1.2/schema.sql', 'h/v1.10/001_a.sql', 'h/seed.sql']);
    expect(migrationOrder([...mixed].reverse())).toEqual(migrationOrder(mixed));
    // The folders every file shares order nothing: the same files under v12/ are in the same order.
    expect(migrationOrder(mixed.map((f) => `v12/${f}`))).toEqual(migrationOrder(mixed).map((f) => `v12/${f}`));
    // A Prisma folder still goes by name, its parents' versions first; diesel's folder is its version.
    expect(migrationOrder(['p/v2/20250625_b/migration.sql', 'p/v1/20250625_b/migration.sql', 'p/v1/20250625120000_a/migration.sql']))
      .toEqual(['p/v1/20250625120000_a/migration.sql', 'p/v1/20250625_b/migration.sql', 'p/v2/20250625_b/migration.sql']);
    expect(migrationOrder(['d/v10/1_a/up.sql', 'd/v9/2_b/up.sql', 'd/v9/10_c/up.sql'])).toEqual(['d/v9/2_b/up.sql', 'd/v9/10_c/up.sql', 'd/v10/1_a/up.sql']);
    // crates.io: 2014's plain versions, then 2017's dashed ones (diesel reads 2017-08-31-230457 as
    // 20170831230457), then a plain one of 2018: one sequence, not all the dashed ones first.
    expect(migrationOrder(['m/2017-08-31-230457_invitations/up.sql', 'm/20180101000000_late/up.sql', 'm/20140926174020_crates/up.sql', 'm/2017-01-02-000000_emails/down.sql', 'm/2017-01-02-000000_emails/up.sql']))
      .toEqual(['m/20140926174020_crates/up.sql', 'm/2017-01-02-000000_emails/up.sql', 'm/2017-01-02-000000_emails/down.sql', 'm/2017-08-31-230457_invitations/up.sql', 'm/20180101000000_late/up.sql']);
    // graph-node's timestamps of other lengths, in diesel's text order (the twenty-third trial's D):
    // a one-digit day, five time digits, no `_` at all (the whole name is the version).
    expect(migrationOrder(['g/2023-06-01-000000_d/up.sql', 'g/2023-05-23-1715-update-assignment/up.sql', 'g/2020-12-7-190800_b/up.sql', 'g/2022-03-09-07000_e/up.sql', 'g/2020-12-10-000000_c/up.sql', 'g/2018-01-01-000000_a/up.sql']))
      .toEqual(['g/2018-01-01-000000_a/up.sql', 'g/2020-12-10-000000_c/up.sql', 'g/2020-12-7-190800_b/up.sql', 'g/2022-03-09-07000_e/up.sql', 'g/2023-05-23-1715-update-assignment/up.sql', 'g/2023-06-01-000000_d/up.sql']);
  });

  it('lints version folders in version order: v1.10/ narrowing what v1.2/ widened is found', async () => {
    const files = {
      'v1.1/schema.sql': 'CREATE TABLE t (id int PRIMARY KEY, x varchar(10));\n',
      'v1.2/widen.sql': "SET lock_timeout = '5s';\nALTER TABLE t ALTER COLUMN x TYPE varchar(20);\n",
      'v1.10/narrow.sql': "SET lock_timeout = '5s';\nALTER TABLE t ALTER COLUMN x TYPE varchar(15);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.map((d) => `${d.file} ${d.code} ${d.message.replace(/ rewrites t.*/, '')}`)).toEqual([
      'v1.10/narrow.sql MG212 changing t.x from varchar(20) to varchar(15)',
    ]);
  });

  it('knows which files it could only order by name: several without a version in one folder', () => {
    const files = migrationOrder([
      'm/v1.13/backfill.sql', 'm/v1.13/add_index.sql', 'm/v1.0/schema.sql', 'm/v1.2/001_x.sql', 'm/v1.2/002_y.sql',
      'p/20240101000000_a/migration.sql', 'p/20240201000000_b/migration.sql', 'f/R__a.sql', 'f/R__b.sql',
      'g/x.up.sql', 'g/x.down.sql', 'y/a.sql', 'y/a.rollback.sql', 'y/b.sql', 'seed.sql', 'structure.sql',
    ]);
    // Versioned files, Prisma's folders, Flyway's repeatables and an up with its down are no guess.
    expect(orderedByName(files)).toEqual([
      { folder: 'm/v1.13', files: ['m/v1.13/add_index.sql', 'm/v1.13/backfill.sql'] },
      { folder: '', files: ['seed.sql', 'structure.sql'] },
      { folder: 'y', files: ['y/a.sql', 'y/b.sql'] },
    ]);
  });

  // Its speed on many files is measured in bench/ (lint on 2,000 files), not asserted here: a
  // timed test fails on a busy machine.
  it('orders 20,000 files, each down after its up', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => [`m/${10_000 - i}_x.up.sql`, `m/${10_000 - i}_x.down.sql`]).flat();
    const ordered = migrationOrder(names);
    expect(ordered.slice(0, 3)).toEqual(['m/1_x.up.sql', 'm/1_x.down.sql', 'm/2_x.up.sql']);
    expect(ordered.slice(-2)).toEqual(['m/10000_x.up.sql', 'm/10000_x.down.sql']);
    expect(ordered.length).toBe(20_000);
  });
});

describe('what a name or a marker says', () => {
  it('knows rollback files by name', () => {
    expect(['m/1_x.down.sql', 'm/2024-01-01-000000_x/down.sql', 'm/U1.2__x.sql', 'm/0001_x.rollback.sql', 'm/001.undo.sql', 'm/002.undo.drop-x.sql'].map(isRollbackFile)).toEqual([true, true, true, true, true, true]);
    expect(['m/1_x.up.sql', 'm/down_payments.sql', 'm/V1__down.sql', 'm/Undo__x.sql', 'm/breakdown.sql', 'm/001.do.sql', 'm/rollback.sql', 'm/x.undo.sql', 'm/1_undo.sql'].map(isRollbackFile)).toEqual([false, false, false, false, false, false, false, false, false]);
  });

  it('knows Postgrator\'s files by name: sent as one query string, in no transaction of Postgrator\'s', () => {
    expect(['m/001.do.sql', 'm/2.undo.sql', 'm/0003.do.add.users.sql'].map(isSentAsOneQueryString)).toEqual([true, true, true]);
    expect(['m/001_do.sql', 'm/x.do.sql', 'm/001.redo.sql', 'm/001.sql'].map(isSentAsOneQueryString)).toEqual([false, false, false, false]);
  });

  it('splits sql-migrate files by direction: what comes before the first marker is not run, the parts of a direction are one, notransaction holds for its direction', () => {
    // sql-migrate appends every Up part's statements to one list, run in one transaction (ParseMigration, applyMigrations).
    const file = '-- header\n-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- +migrate Down\nDROP INDEX i;\n-- +migrate Up\nSELECT 1;\n';
    const parts = (s: { start: number; end: number; ranges?: readonly { start: number; end: number }[] }) => (s.ranges ?? [s]).map((r) => file.slice(r.start, r.end).split('\n')[0]);
    expect(fileSections(file, false).map((s) => [parts(s), s.rollback, s.noTransaction, s.oneQueryString])).toEqual([
      [['-- +migrate Up notransaction', '-- +migrate Up'], false, true, false],
      [['-- +migrate Down'], true, false, false],
    ]);
    // Parts of a direction one after the other are one stretch of the file; a Down first stays first.
    const adjacent = '-- +migrate Down\nDROP TABLE u;\n-- +migrate Up\nCREATE TABLE t (id int);\n-- +migrate Up\nCREATE TABLE u (id int);\n-- +migrate Down\nDROP TABLE t;\n';
    expect(fileSections(adjacent, false).map((s) => [s.rollback, s.ranges?.length ?? 1, adjacent.slice(s.start, s.end)])).toEqual([
      [true, 2, adjacent],
      [false, 1, '-- +migrate Up\nCREATE TABLE t (id int);\n-- +migrate Up\nCREATE TABLE u (id int);\n'],
    ]);
    // sql-migrate reads exactly '-- +migrate ' at the start of a line, Up and Down spelled so.
    expect(fileSections('  -- +migrate Up\nSELECT 1;\n-- +migrate down\nSELECT 2;\n', false)).toHaveLength(1);
    // It splits the rest into words: 'Down;' is no command, so what follows stays in the Up
    // (ovh/cds has one); extra spaces are fine, and notransaction must be a word of its own.
    const semicolon = '-- +migrate Up\nSELECT 1;\n-- +migrate Down;\nDROP TABLE t;\n';
    expect(fileSections(semicolon, false).map((s) => [semicolon.slice(s.start, s.end).split('\n')[0], s.rollback])).toEqual([['-- +migrate Up', false]]);
    expect(fileSections('-- +migrate  Up   notransaction\nSELECT 1;\n-- +migrate Down notransactions\nSELECT 2;\n', false).map((s) => [s.rollback, s.noTransaction])).toEqual([[false, true], [true, false]]);
  });

  it('splits tern files at ---- create above / drop below ----; disable-tx holds for the part it is in', () => {
    // tern reads it in the part it runs (Migration.disableTx(direction)).
    const file = '---- tern: disable-tx ----\nCREATE INDEX CONCURRENTLY i ON t (c);\n---- create above / drop below ----\nDROP INDEX CONCURRENTLY i;\n';
    expect(fileSections(file, false).map((s) => [file.slice(s.start, s.end).split('\n')[0], s.rollback, s.noTransaction])).toEqual([
      ['---- tern: disable-tx ----', false, true],
      ['---- create above / drop below ----', true, false],
    ]);
    const down = 'CREATE TABLE t (id int);\n---- create above / drop below ----\n---- tern: disable-tx ----\nDROP TABLE t;\n';
    expect(fileSections(down, false).map((s) => s.noTransaction)).toEqual([false, true]);
    const plain = 'CREATE TABLE t (id int);\n---- create above / drop below ----\nDROP TABLE t;\n';
    expect(fileSections(plain, false).map((s) => [s.rollback, s.noTransaction])).toEqual([[false, false], [true, false]]);
  });

  it('reads Atlas\'s -- atlas:txmode none among the opening comments: statement by statement, outside a transaction (chainloop)', () => {
    expect(fileSections('-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false).map((s) => [s.noTransaction, s.oneQueryString])).toEqual([[true, false]]);
    expect(fileSections('-- Create index "i" to table: "t"\n-- atlas:txmode none\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false)[0]!.noTransaction).toBe(true);
    expect(fileSections('-- atlas:txmode file\nCREATE INDEX i ON t (c);\n', false)[0]!.noTransaction).toBe(false);
    // After the first statement it is a comment, not a directive.
    expect(fileSections('CREATE INDEX i ON t (c);\n-- atlas:txmode none\n', false)[0]!.noTransaction).toBe(false);
  });

  it('reads yoyo\'s -- transactional: false among the opening comments, Graphile Migrate\'s --! no-transaction as the body\'s first line; a yoyo rollback takes its migration\'s', () => {
    expect(fileSections('-- Add an index\n-- depends: 0001_init\n-- transactional: false\n\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false)[0]!.noTransaction).toBe(true);
    // yoyo takes blank and indented lines before it (its comment_or_empty).
    expect(fileSections('\n  -- transactional: false\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false)[0]!.noTransaction).toBe(true);
    // Graphile reads only the first line of the body: after a comment it is a comment.
    expect(fileSections('--! Previous: sha1:abc\n--! Hash: sha1:def\n\n-- Enter migration here\n--! no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false)[0]!.noTransaction).toBe(false);
    expect(fileSections('--! no-transaction (an enum value)\nALTER TYPE mood ADD VALUE \'c\';\n', false)[0]!.noTransaction).toBe(true);
    // Graphile Migrate sends the file as one query string ("must contain exactly one statement"); yoyo statement by statement.
    expect(fileSections('--! Previous: sha1:abc\n--! Hash: sha1:def\n\n--! no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false).map((s) => [s.noTransaction, s.oneQueryString])).toEqual([[true, true]]);
    expect(fileSections('-- transactional: false\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false).map((s) => [s.noTransaction, s.oneQueryString])).toEqual([[true, false]]);
    expect(fileSections('SELECT 1;\n-- transactional: false\n', false)[0]!.noTransaction).toBe(false);
    expect(fileSections('DROP INDEX CONCURRENTLY i;\n', true, '-- transactional: false\nCREATE INDEX CONCURRENTLY i ON t (c);\n')[0]!.noTransaction).toBe(true);
    expect(fileSections('DROP INDEX CONCURRENTLY i;\n', true, 'CREATE INDEX CONCURRENTLY i ON t (c);\n')[0]!.noTransaction).toBe(false);
    // yoyo reads no directive in a rollback file: its migration's decides.
    expect(fileSections('-- transactional: false\nDROP INDEX CONCURRENTLY i;\n', true, 'CREATE INDEX i ON t (c);\n')[0]!.noTransaction).toBe(false);
  });

  it('knows popx\'s .autocommit. files by name, with or without a dialect', () => {
    expect(['m/20241029153900000001_identities.autocommit.up.sql', 'm/1_x.postgres.autocommit.down.sql', 'm/1_x.autocommit.down.sql'].map(isAutocommitFile)).toEqual([true, true, true]);
    expect(['m/1_x.up.sql', 'm/1_autocommit.up.sql', 'm/x.autocommit.up.sql', 'm/1_x.autocommit.sql', 'm/1_x.a.b.autocommit.up.sql'].map(isAutocommitFile)).toEqual([false, false, false, false, false]);
  });

  it('knows which popx files popx does not run on PostgreSQL: another database\'s, and the generic one of a version and direction that has a .postgres. file', () => {
    expect(popxLeftOut([
      'm/1_a.up.sql', 'm/1_a.postgres.up.sql', 'm/1_a.down.sql',
      // Whatever its name after the version, and with .autocommit. on either side.
      'm/2_generic.autocommit.up.sql', 'm/2_specific.pg.up.sql', 'm/2_x.down.sql', 'm/2_x.postgresql.autocommit.down.sql',
      'm/3_b.mysql.up.sql', 'm/3_b.cockroach.autocommit.up.sql', 'm/3_b.crdb.down.sql', 'm/3_b.sqlite.down.sql', 'm/3_b.mariadb.up.sql', 'm/3_b.up.sql', 'm/3_b.down.sql',
      // Another folder is another project; a name popx does not take for a dialect is another tool's file.
      'other/1_a.up.sql', 'm/4_add.users.up.sql', 'm/4_add.users.down.sql',
    ])).toEqual([
      { file: 'm/3_b.mysql.up.sql', kind: 'dialect', dialect: 'mysql' },
      { file: 'm/3_b.cockroach.autocommit.up.sql', kind: 'dialect', dialect: 'cockroach' },
      { file: 'm/3_b.crdb.down.sql', kind: 'dialect', dialect: 'cockroach' },
      { file: 'm/3_b.sqlite.down.sql', kind: 'dialect', dialect: 'sqlite3' },
      { file: 'm/3_b.mariadb.up.sql', kind: 'dialect', dialect: 'mariadb' },
      { file: 'm/1_a.up.sql', kind: 'replaced', by: 'm/1_a.postgres.up.sql' },
      { file: 'm/2_generic.autocommit.up.sql', kind: 'replaced', by: 'm/2_specific.pg.up.sql' },
      { file: 'm/2_x.down.sql', kind: 'replaced', by: 'm/2_x.postgresql.autocommit.down.sql' },
    ]);
    // Generic files alone, another tool's names: nothing left out.
    expect(popxLeftOut(['m/1_a.up.sql', 'm/1_a.down.sql', 'm/V1__x.sql', 'm/1_x.autocommit.up.sql'])).toEqual([]);
  });

  it('reads postgres-migrations\' disable-transaction marker anywhere in a file, as the tool tests for it: the file outside a transaction, one query string', () => {
    const marked = '-- a note first\n-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n';
    expect(fileSections(marked, false)).toEqual([{ start: 0, end: marked.length, rollback: false, noTransaction: true, oneQueryString: true }]);
    expect(fileSections('-- postgres-migrations ignore\nCREATE INDEX i ON t (c);\n', false)[0]!.noTransaction).toBe(false);
  });

  it('knows Prisma\'s <version>_<name>/migration.sql by name, and orders the folders by name, as Prisma does', () => {
    expect(['prisma/migrations/20240101000000_init/migration.sql', 'm/0_init/migration.sql', '20240101000000_init/migration.sql'].map(isPrismaMigration)).toEqual([true, true, true]);
    expect(['migration.sql', 'm/init/migration.sql', 'm/20240101000000_init/migrations.sql', 'm/20240101000000_init.sql'].map(isPrismaMigration)).toEqual([false, false, false, false]);
    // Prisma sorts its folders as strings: Langfuse's 20250625_x runs after 20250625120000_y, not
    // before every 14-digit timestamp as a number would have it.
    expect(migrationOrder(['p/20250626000000_c/migration.sql', 'p/20250625_b/migration.sql', 'p/20250625120000_a/migration.sql', 'p/0_init/migration.sql']))
      .toEqual(['p/0_init/migration.sql', 'p/20250625120000_a/migration.sql', 'p/20250625_b/migration.sql', 'p/20250626000000_c/migration.sql']);
  });

  it('reads sqlx\'s -- no-transaction only at the very start of a file, as sqlx does', () => {
    expect(fileSections('-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n', false).map((s) => [s.noTransaction, s.oneQueryString])).toEqual([[true, true]]);
    expect(fileSections('-- no-transaction\nDROP INDEX CONCURRENTLY i;\n', true).map((s) => [s.rollback, s.noTransaction])).toEqual([[true, true]]);
    for (const text of ['\n-- no-transaction\nSELECT 1;\n', ' -- no-transaction\nSELECT 1;\n', '-- No-Transaction\nSELECT 1;\n', 'SELECT 1; -- no-transaction\n']) {
      expect(fileSections(text, false).map((s) => s.noTransaction)).toEqual([false]);
    }
  });

  it('reads Flyway script config files', () => {
    expect(flywayConfExecuteInTransaction('# comment\nexecuteInTransaction=false\n')).toBe(false);
    expect(flywayConfExecuteInTransaction('executeInTransaction = FALSE')).toBe(false);
    expect(flywayConfExecuteInTransaction('executeInTransaction=true\n')).toBe(true);
    expect(flywayConfExecuteInTransaction('# executeInTransaction=false\nencoding=UTF-8\n')).toBeUndefined();
    expect(flywayConfExecuteInTransaction('executeInTransaction=no\n')).toBeUndefined();
  });

  it('splits dbmate and goose files into their up and down parts, with their transaction options', () => {
    const dbmate = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- migrate:down\nDROP INDEX i;\n';
    expect(fileSections(dbmate, false).map((s) => [dbmate.slice(s.start, s.end).split('\n')[0], s.rollback, s.noTransaction])).toEqual([
      ['-- migrate:up transaction:false', false, true],
      ['-- migrate:down', true, false],
    ]);
    const goose = '-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;\n-- +GOOSE DOWN\nSELECT 2;\n';
    expect(fileSections(goose, false).map((s) => [s.rollback, s.noTransaction])).toEqual([[false, true], [true, true]]);
    // goose's markers start their line; an indented one is not a marker.
    expect(fileSections('-- +goose Up\nSELECT 1;\n  -- +goose Down\nSELECT 2;\n', false)).toHaveLength(1);
    expect(fileSections('SELECT 1;\n', true)).toEqual([{ start: 0, end: 10, rollback: true, noTransaction: false, oneQueryString: false }]);
    // dbmate runs a section with one Exec (one query string); goose statement by statement.
    expect(fileSections(dbmate, false).map((s) => s.oneQueryString)).toEqual([true, true]);
    expect(fileSections(goose, false).map((s) => s.oneQueryString)).toEqual([false, false]);
  });
});

describe('Liquibase formatted SQL', () => {
  it('keeps every offset: a --changeset line reads as a semicolon, rollback lines only in the rollback view', () => {
    const text = '--liquibase formatted sql\r\n--changeset a:1 runInTransaction:false\r\nCREATE TABLE t (id int)\r\n--rollback DROP TABLE t;\r\n--changeset a:2 dbms:!postgresql\r\nselect 1 from dual;\r\n';
    const file = liquibaseChangelog(text)!;
    expect(file.forward.length).toBe(text.length);
    expect(file.rollback.length).toBe(text.length);
    const semicolon = (line: string) => `;${' '.repeat(line.length - 1)}`;
    expect(file.forward.split('\r\n')).toEqual([' '.repeat(25), semicolon('--changeset a:1 runInTransaction:false'), 'CREATE TABLE t (id int)', '--rollback DROP TABLE t;', semicolon('--changeset a:2 dbms:!postgresql'), ' '.repeat('select 1 from dual;'.length), '']);
    expect(file.rollback.split('\r\n')[3]).toBe(`${' '.repeat(11)}DROP TABLE t;`);
    // Changeset 2 does not run on PostgreSQL: no section.
    expect(file.sections.map((s) => [text.slice(s.start, s.end).split('\r\n')[0], s.rollback, s.toolTransaction])).toEqual([
      ['--changeset a:1 runInTransaction:false', false, false],
      ['--changeset a:1 runInTransaction:false', true, false],
    ]);
    expect(liquibaseChangelog('-- liquibase is great\n--changeset a:1\nSELECT 1;')).toBeUndefined();
  });
});

describe('Sqitch plans', () => {
  const plan = [
    '%syntax-version=1.0.0',
    '%project=shop',
    '',
    '# a comment',
    'users 2024-05-13T17:21:58Z Ann <ann@example.com> # users',
    '+ accounts [users] 2024-05-14T09:00:00Z Ann <ann@example.com>',
    '@v1.0 2024-05-16T09:00:00Z Ann <ann@example.com> # first release',
    '- accounts 2024-05-17T09:00:00Z Ann <ann@example.com>',
    '@v1.0.1 2024-05-18T09:00:00Z Ann <ann@example.com>',
    'users [users@v1.0] 2024-05-20T09:00:00Z Ann <ann@example.com> # reworked',
    '@v2 2024-05-21T09:00:00Z Ann <ann@example.com>',
    'users [users@v2] 2024-05-22T09:00:00Z Ann <ann@example.com> # reworked again',
  ].join('\r\n');

  it('lists the changes in plan order, a reworked change\'s earlier versions named after the first tag whose deploy script exists', () => {
    const changes = sqitchChanges(plan, (script) => ['users@v1.0.1', 'users@v1.0', 'users@v2'].includes(script));
    expect(changes.map((c) => [c.name, c.script])).toEqual([['users', 'users@v1.0'], ['accounts', 'accounts'], ['users', 'users@v2'], ['users', 'users']]);
    // Without a script for the first tag, Sqitch takes the next tag's.
    expect(sqitchChanges(plan, (script) => script === 'users@v1.0.1').map((c) => c.script)).toEqual(['users@v1.0.1', 'accounts', 'users@v2', 'users']);
    // Each change knows its line, for a finding about it.
    const first = changes[0]!;
    expect(plan.slice(first.start, first.end)).toBe('users 2024-05-13T17:21:58Z Ann <ann@example.com> # users');
  });

  it('reads sqitch.conf\'s [core] settings that place the project, and nothing from other sections', () => {
    const conf = '[core]\n\tengine = pg\n\t# plan_file = other.plan\n\t top_dir = ./sql\n[engine "pg"]\n\ttop_dir = elsewhere\n[deploy]\n\tverify = true\n';
    expect(sqitchCoreSettings(conf)).toEqual({ top_dir: './sql' });
    expect(sqitchCoreSettings('[core]\ndeploy_dir = "db/up"\nrevert_dir=db/down\n; plan_file = x\n')).toEqual({ deploy_dir: 'db/up', revert_dir: 'db/down' });
  });
});

describe('lint over each tool\'s layout', () => {
  it('a folder of one file per database (gocryptotrader\'s goose: postgres.sql beside sqlite3.sql): the other databases\' files are left out, with one note', async () => {
    const { databaseFilesLeftOut } = await import('../src/lint-files.js');
    const files = ['m/20190916104959_audit/postgres.sql', 'm/20190916104959_audit/sqlite3.sql', 'm/20191210124551_script/postgres.sql', 'm/20191210124551_script/mysql.sql', 'other/sqlite3.sql'];
    expect(databaseFilesLeftOut(files).map((l) => l.file)).toEqual(['m/20190916104959_audit/sqlite3.sql', 'm/20191210124551_script/mysql.sql']);
  });

  it('Flyway: V1.10 after V1.9, V10 after V2, an undo judged after its version and not kept for the next', async () => {
    const { files, found } = await lintFolder('flyway');
    expect(files).toEqual(['V1__init.sql', 'V1_5__widen_note.sql', 'V1.9__narrow_note.sql', 'V1.10__widen_note_again.sql', 'V2__kind.sql', 'U3__orphan_undo.sql', 'V10__local_time.sql', 'U10__local_time.sql', 'V11__index_at.sql', 'V12__index_note.sql', 'R__recent_events.sql']);
    expect(found).toEqual([
      'V1.9__narrow_note.sql:2 MG212 changing events.note from varchar(300) to varchar(200)',
      // A U file without its V stands at its version: after V1.10's varchar(400). U10 has its V10,
      // so the folder is Flyway's (refinery refuses two migrations of one version): U3 is an undo
      // whose V is missing, judged as a rollback there and not kept for V10.
      'U3__orphan_undo.sql:2 MG212 changing events.note from varchar(400) to varchar(350)',
      'V10__local_time.sql:2 MG212 changing events.at from timestamptz to timestamp',
      'U10__local_time.sql:2 MG212 changing events.at from timestamp to timestamptz',
    ]);
  });

  // refinery (Rust) names migrations as Flyway does, but its U<version>__ is a migration run forward
  // (non-contiguous versions), where Flyway's is the undo of its V: a U without a V of its version
  // is refinery's. The fourteenth trial (peerdb) found refinery missing from the README.
  it('refinery: a U file without a V of its version runs forward; where a U has its V, the folder is Flyway\'s', async () => {
    const files = {
      'm/V1__init.sql': "SET lock_timeout = '5s';\nCREATE TABLE flows (id int PRIMARY KEY);\n",
      'm/U2__add_name.sql': "SET lock_timeout = '5s';\nALTER TABLE flows ADD COLUMN name text;\n",
      'm/V3__name_index.sql': "SET lock_timeout = '5s';\nUPDATE flows SET name = 'x' WHERE id = 1;\n",
      'm/V4__drop_name.sql': "SET lock_timeout = '5s';\nALTER TABLE flows DROP COLUMN name;\n",
    };
    expect([...refineryUnversioned(Object.keys(files))]).toEqual(['m/U2__add_name.sql']);
    const ordered = migrationOrder(Object.keys(files));
    expect(ordered).toEqual(['m/V1__init.sql', 'm/U2__add_name.sql', 'm/V3__name_index.sql', 'm/V4__drop_name.sql']);
    const result = await lint({ files: ordered }, memoryHost(files));
    // U2 added the column V3 sets (no MG238); V4 drops it (MG214).
    expect(result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}`)).toEqual(['m/V4__drop_name.sql MG214']);
    // A U with the V of its version: refinery refuses two migrations of one version, so the folder
    // is Flyway's, and U2, without its V, an undo whose V is missing (crowd.dev's mistyped
    // U1746554597, the thirty-ninth trial's B): a rollback, whose column V3 does not see.
    const flyway = { ...files, 'm/U4__drop_name.sql': "SET lock_timeout = '5s';\nALTER TABLE flows ADD COLUMN name text;\n" };
    expect([...refineryUnversioned(Object.keys(flyway))]).toEqual([]);
    const { orphanUndos } = await import('../src/lint-files.js');
    expect(orphanUndos(Object.keys(flyway))).toEqual([{ file: 'm/U2__add_name.sql', nearest: 'm/V1__init.sql' }]);
    const asFlyway = await lint({ files: migrationOrder(Object.keys(flyway)) }, memoryHost(flyway));
    expect(asFlyway.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}${d.rollback ? ' rollback' : ''}`)).toEqual(['m/V3__name_index.sql MG238', 'm/V4__drop_name.sql MG238']);
  });

  it('files that share a version are linted in name order, with one note saying the order is a guess (MusicBrainz\'s dated scripts)', async () => {
    const { files, layout } = await lintFolder('dated-ties');
    expect(files).toEqual(['20130317-track.sql', '20130318-foreign-keys.sql', '20130318-reduplicate.sql', '20130319-check.sql']);
    expect(layout.map((d) => `${d.file} ${d.code} ${d.severity} ${d.message}`)).toEqual([
      '20130318-foreign-keys.sql MG024 info 2 files of the current folder share a version with another (20130318 in the current folder: 20130318-foreign-keys.sql, 20130318-reduplicate.sql): each tie is linted in name order, so their order is a guess',
    ]);
    // Not a tie: an up and its down, Flyway's scripts (Flyway refuses two of one version), a popx split migration's parts.
    const { versionTies } = await import('../src/lint-files.js');
    expect(versionTies(['1_a.up.sql', '1_a.down.sql', 'V1__a.sql', 'V1__b.sql', '20240101000000000001_x.up.sql', '20240101000000000002_x.up.sql'])).toEqual([]);
    expect(versionTies(['db/1_a.sql', 'db/1_b.sql', 'db/2_c.sql', 'other/2_d.sql'])).toEqual([{ folder: 'db', ties: [{ version: '1', files: ['db/1_a.sql', 'db/1_b.sql'] }] }]);
  });

  it('Flyway callbacks: beforeMigrate first, beforeEachMigrate once before the migrations, afterMigrate after the repeatables, each said in a note; those run around each statement or on errors left out with a note', async () => {
    const { files, found, layout } = await lintFolder('flyway-callbacks');
    expect(files).toEqual(['beforeMigrate.sql', 'beforeEachMigrate.sql', 'V1__init.sql', 'V2__widen_note.sql', 'R__recent_events.sql', 'afterMigrate__narrow_note.sql', 'afterMigrate__refresh_counts.sql']);
    expect(layout.map((d) => `${d.file} ${d.code} ${d.message}`)).toEqual([
      'afterMigrate__narrow_note.sql MG024 linted 4 Flyway callbacks where migrate runs them (beforeMigrate.sql before the migrations; beforeEachMigrate.sql once before the migrations (Flyway runs it before each); afterMigrate__narrow_note.sql and afterMigrate__refresh_counts.sql last): Flyway runs them at every migrate, also when no migration is pending',
      'afterMigrateError__alert.sql MG024 left out 2 Flyway callbacks (afterMigrateError__alert.sql, beforeEachMigrateStatement.sql): Flyway runs them around each statement, on an error, or for another command, not in the migrations\' order',
    ]);
    // Judged after the repeatable view that reads the column, and after the refresh's view exists.
    expect(found.filter((f) => f.startsWith('afterMigrate')).map((f) => f.slice(0, f.indexOf(':', f.indexOf(' ')) + 1 || undefined))).toEqual([
      'afterMigrate__narrow_note.sql:1 MG067 PostgreSQL refuses this statement:',
      'afterMigrate__refresh_counts.sql:2 MG219 REFRESH MATERIALIZED VIEW waits for an ACCESS EXCLUSIVE lock on event_counts',
      'afterMigrate__refresh_counts.sql:2 MG222 REFRESH MATERIALIZED VIEW event_counts holds an ACCESS EXCLUSIVE lock on the view while its whole query runs:',
    ]);
    // A callback named on the command line is linted, whatever Flyway does with it.
    expect((await findMigrations(['beforeEachMigrateStatement.sql'], `${fixtures}/flyway-callbacks`)).files).toEqual(['beforeEachMigrateStatement.sql']);
  });

  // The thirteenth trial (DSpace): update-sequences.sql, a script run by hand, beside the Flyway
  // scripts. Flyway (and refinery) skip a .sql file named none of their ways.
  it('Flyway: a file beside the scripts named none of Flyway\'s ways is left out with a note, unless named on the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-flyway-names-'));
    try {
      mkdirSync(join(dir, 'seeds'));
      const files: Record<string, string> = {
        'V1__init.sql': 'CREATE TABLE a (id int PRIMARY KEY);\n', 'V2__more.sql': 'CREATE TABLE b (id int PRIMARY KEY);\n', 'R__view.sql': 'CREATE OR REPLACE VIEW av AS SELECT id FROM a;\n',
        // Flyway runs a versioned script without a description too (Dataverse's V6.1.0.6.sql).
        'V2.1.sql': 'CREATE TABLE c (id int PRIMARY KEY);\n',
        'afterMigrate.sql': 'SELECT 1;\n', 'update-sequences.sql': 'DROP TABLE a;\n', 'seeds/seed.sql': 'INSERT INTO b VALUES (1);\n',
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      const found = await findMigrations(['.'], dir);
      expect(found.files).toEqual(['V1__init.sql', 'V2__more.sql', 'V2.1.sql', 'R__view.sql', 'afterMigrate.sql']);
      expect(found.diagnostics.filter((d) => d.message.includes('Flyway does not run')).map((d) => `${d.file} ${d.code} ${d.severity} ${d.message}`)).toEqual([
        'seeds/seed.sql MG024 info left out 2 files (seeds/seed.sql, update-sequences.sql) that Flyway does not run: beside its scripts, their names are none of Flyway\'s (V<version>__x.sql, U<version>__x.sql, R__x.sql, a callback), and Flyway skips them',
      ]);
      expect((await findMigrations(['update-sequences.sql', 'V1__init.sql'], dir)).files).toEqual(['V1__init.sql', 'update-sequences.sql']);
      // Without a versioned script, no folder is Flyway's: every file is read. A folder beside
      // Flyway's location (not under it) is another tool's: read too.
      expect(notFlywayNamed(['R__view.sql', 'seed.sql', '001_init.sql'])).toEqual([]);
      expect(notFlywayNamed(['db/flyway/V1__a.sql', 'db/flyway/2.1/x.sql', 'db/flyway/seed.sql', 'db/goose/001_init.sql', 'db/README.sql'])).toEqual(['db/flyway/2.1/x.sql', 'db/flyway/seed.sql']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Flyway: each migration starts with what beforeEachMigrate set, SET LOCAL too when both run in the migration\'s transaction', async () => {
    // Flyway runs beforeEachMigrate on the migration's connection, in its transaction: its
    // search_path finds app.accounts for V2's bare name, and its SET LOCAL lock_timeout holds.
    const inTransaction = await lintFolder('flyway-before-each', { fileTransaction: true });
    expect(inTransaction.files).toEqual(['beforeEachMigrate.sql', 'V1__accounts.sql', 'V2__narrow_name.sql']);
    expect(inTransaction.found).toEqual(['V2__narrow_name.sql:2 MG212 changing app.accounts.name from varchar(200) to varchar(100) rewrites app.accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(100))']);
    // Statement by statement, the SET LOCAL has no transaction to last in (PostgreSQL warns and
    // does nothing); the session's search_path still holds.
    const alone = await lintFolder('flyway-before-each');
    expect(alone.found).toEqual([
      'V2__narrow_name.sql:2 MG212 changing app.accounts.name from varchar(200) to varchar(100) rewrites app.accounts (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(100))',
      'V2__narrow_name.sql:2 MG219 ALTER TABLE ALTER COLUMN TYPE waits for an ACCESS EXCLUSIVE lock on app.accounts',
    ]);
  });

  it('Flyway under --file-transaction: a script whose .conf says executeInTransaction=false runs statement by statement', async () => {
    const { found } = await lintFolder('flyway', { fileTransaction: true });
    // V11 and V12 both set lock_timeout before CREATE INDEX CONCURRENTLY: Flyway refuses V12 for
    // the mix (MG026; test/tool-transactions.test.ts); V11's .conf settles it.
    expect(found.filter((f) => f.includes('MG204') || f.includes('MG026')).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['V12__index_note.sql:2 MG026']);
  });

  it('golang-migrate: a down that narrows what its up widened is found, and later files see the up, not the down', async () => {
    const { files, found } = await lintFolder('golang');
    expect(files).toEqual(['1_init.up.sql', '1_init.down.sql', '2_widen.up.sql', '2_widen.down.sql', '9_narrow_without_down.up.sql', '10_widen_again.up.sql', '11_down_without_up.down.sql']);
    expect(found).toEqual([
      // A down runs after its up has been live: dropping the table waits for its lock like any other.
      '1_init.down.sql:1 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events',
      '2_widen.up.sql:3 MG212 changing events.at from timestamptz to timestamp',
      '2_widen.down.sql:2 MG212 changing events.note from varchar(200) to varchar(100)',
      '2_widen.down.sql:3 MG212 changing events.at from timestamp to timestamptz',
      // 1_init.down.sql dropped events and 2_widen.down.sql narrowed it back: neither lasts.
      '9_narrow_without_down.up.sql:2 MG212 changing events.note from varchar(200) to varchar(50)',
    ]);
  });

  it('golang-migrate in plain name order, as before, judged the down before its up', async () => {
    const cwd = `${fixtures}/golang`;
    const files = ['2_widen.down.sql', '2_widen.up.sql'];
    const result = await lint({ files: ['1_init.up.sql', ...files] }, nodeHost(cwd));
    expect(result.diagnostics.filter((d) => d.file === '2_widen.down.sql').map((d) => d.message)).not.toContainEqual(expect.stringContaining('varchar(200) to varchar(100)'));
  });

  // The fifteenth trial's U3: MG201's help under dbmate said "a file your migration tool runs
  // without one", where dbmate's own way is a marker that says transaction:false.
  it('a help that asks for CONCURRENTLY says how the file\'s tool runs a migration outside a transaction', async () => {
    const helpFor = async (name: string, text: string) => {
      const files = { '000_init.sql': 'CREATE TABLE t (id int PRIMARY KEY, a int);\n', [name]: text };
      const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
      return result.diagnostics.find((d) => d.code === 'MG201')!.help!;
    };
    const index = "SET lock_timeout = '5s';\nCREATE INDEX t_a ON t (a);\n";
    expect(await helpFor('20240101000000_i.sql', `-- migrate:up\n${index}-- migrate:down\n`)).toContain('alone in a migration of its own whose marker says -- migrate:up transaction:false (dbmate) (the tool sends a file as one query string');
    expect(await helpFor('20240101000000_i.sql', `-- +goose Up\n${index}`)).toContain('in a migration of its own with -- +goose NO TRANSACTION (goose);');
    expect(await helpFor('V2__i.sql', index)).toContain('in a script of its own (Flyway runs a script whose every statement cannot run in a transaction outside one');
    // A tool the file does not tell: the words of any tool.
    expect(await helpFor('002_i.sql', index)).toContain('in a file your migration tool runs without one;');
    expect(outsideTransactionHow('001_x.sql', 'SELECT 1;\n')).toBeUndefined();
  });

  // The fifteenth trial (UPchieve): files whose down marker is indented, which dbmate reads as a
  // comment, and then refuses the file for want of a down block (dbmate's migration.go).
  it('dbmate: a file dbmate refuses before it runs any of it is an MG024 error, saying why', () => {
    expect(dbmateRefusal('-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n')).toBeUndefined();
    expect(dbmateRefusal('-- a comment\n\n-- migrate:up\nSELECT 1;\n-- migrate:down\n')).toBeUndefined();
    // Two up blocks, each with its down (dbmate 2.21).
    expect(dbmateRefusal('-- migrate:up\nSELECT 1;\n-- migrate:down\n-- migrate:up transaction:false\nSELECT 2;\n-- migrate:down\n')).toBeUndefined();
    expect(dbmateRefusal('-- migrate:up\nCREATE TABLE a (id int);\n    -- migrate:down\nDROP TABLE a;\n')).toEqual({ offset: 0, reason: "it requires each migration to define a down block with '-- migrate:down'" });
    expect(dbmateRefusal('CREATE TABLE x (id int);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n')).toEqual({ offset: 0, reason: "it does not support statements preceding the '-- migrate:up' block" });
    expect(dbmateRefusal('-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:down\nSELECT 3;\n')).toEqual({ offset: 50, reason: "it requires every '-- migrate:down' to be preceded by a '-- migrate:up'" });
    expect(dbmateRefusal('-- migrate:down\nDROP TABLE a;\n')?.reason).toBe("it requires each migration to define an up block with '-- migrate:up'");
    // No marker of dbmate's: another tool's file.
    expect(dbmateRefusal('CREATE TABLE a (id int);\n-- the migrate: step\n')).toBeUndefined();
  });

  // The fifteenth trial (UPchieve's down): PostgreSQL parses a query string whole before it runs
  // any of it, so a syntax error in a part sent as one runs nothing of the part.
  it('dbmate: after a syntax error in a part, nothing else of the part is reported, and the MG020 says why; a part sent statement by statement is judged', async () => {
    const files = {
      'db/migrations/20240101000000_t.sql': '-- migrate:up\nCREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (id int, parent_id int REFERENCES parent);\nCREATE INDEX child_parent ON child (parent_id);\n-- migrate:down\nDROP TABLE child;\nDROP TABLE parent;\n',
      'db/migrations/20240102000000_typo.sql': "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE child ADD COLUMN note text;\n-- migrate:down\nSET lock_timeout = '5s';\nALTER TABLE child DROP COLUMN IF NOT EXISTS parent_id;\nDROP TABLE parent;\n",
    };
    const codes = async (fileTransaction: boolean) => {
      const result = await lint({ files: migrationOrder(Object.keys(files)), fileTransaction }, memoryHost(files));
      return result.diagnostics.filter((d) => d.file.endsWith('_typo.sql')).map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code} ${d.message}`);
    };
    expect(await codes(true)).toEqual([
      '6 MG020 SQL syntax error: syntax error at or near "NOT" (nothing of this part runs: the tool sends it as one query string, which PostgreSQL parses whole before it runs any of it; its other findings show once it parses)',
    ]);
    // Read as psql runs it, statement by statement: the DROP TABLE runs, and fails on the key.
    expect((await codes(false)).map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['6 MG020', '7 MG237']);
  });

  it('dbmate: transaction:false takes a section out of the tool\'s transaction, but dbmate sends it as one query string; the other section stays in one', async () => {
    const dropped = '20240101120000_init.sql:5 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events';
    // dbmate sends each part as it is: the up's last statement needs no semicolon before -- migrate:down.
    const noSemicolon = '20240104120000_no_semicolon.sql:3 MG212 changing events.note from varchar(200) to varchar(20)';
    expect((await lintFolder('dbmate')).found).toEqual([dropped, '20240103120000_widen_note.sql:8 MG212 ignored (events is small in every environment): changing events.note from varchar(200) to varchar(100)', noSemicolon]);
    expect((await lintFolder('dbmate', { fileTransaction: true })).found).toEqual([
      dropped,
      // SET lock_timeout and CREATE INDEX CONCURRENTLY in one string: PostgreSQL runs them as one
      // implicit transaction and refuses the index (dbmate issues 182 and 285; checked with psql -c).
      '20240102120000_index_at.sql:3 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '20240102120000_index_at.sql:7 MG204 DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '20240103120000_widen_note.sql:8 MG212 ignored (events is small in every environment): changing events.note from varchar(200) to varchar(100)',
      noSemicolon,
    ]);
  });

  it('goose: -- +goose NO TRANSACTION, and the Down part judged as a rollback', async () => {
    const expected = [
      '00001_init.sql:5 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events', '00002_index_at.sql:8 MG212 changing events.note from varchar(100) to varchar(50)',
      // StatementEnd ends the block's last statement, which has no semicolon: no syntax error, and the Down part is read on its own.
      '00003_block_without_semicolon.sql:6 MG212 changing events.note from varchar(100) to varchar(40)',
    ];
    expect((await lintFolder('goose')).found).toEqual(expected);
    expect((await lintFolder('goose')).mg221).toEqual(['00002_index_at.sql:4 MG221']);
    expect((await lintFolder('goose', { fileTransaction: true })).found).toEqual(expected);
  });

  it('popx: an .autocommit. file runs outside the tool\'s transaction, as one query string', async () => {
    const { files, found } = await lintFolder('popx', { fileTransaction: true });
    expect(files.slice(0, 4)).toEqual(['20240101000000000000_init.up.sql', '20240101000000000000_init.down.sql', '20240102000000000001_index_at.autocommit.up.sql', '20240102000000000001_index_at.autocommit.down.sql']);
    expect(found.filter((f) => / MG20[4]| MG226/.test(f))).toEqual([
      // Alone in its .autocommit. file, CONCURRENTLY runs; after a SET in the same string, it does not.
      '20240103000000000001_index_note.postgres.autocommit.up.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      // A plain up file is in popx's transaction.
      '20240104000000000000_index_id_at.up.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '20240104000000000000_index_id_at.down.sql:2 MG204 DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
    // Without --file-transaction every statement runs on its own, as psql -f runs it.
    expect((await lintFolder('popx')).found.filter((f) => / MG204/.test(f))).toEqual([]);
  });

  // The seventeenth trial (keto): a table one part made, indexed by the next, was "assumed large".
  it('popx: what an up part of a split migration made stays new for the parts after it, which popx runs back to back; not for the next migration', async () => {
    const files = {
      'm/20210623162417000000_rt.postgres.up.sql': 'CREATE TABLE rt (nid uuid NOT NULL, object text NOT NULL, PRIMARY KEY (nid, object));\n',
      'm/20210623162417000001_rt.postgres.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX rt_object_idx ON rt (object);\n",
      'm/20220101000000000000_idx.postgres.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX rt_nid_idx ON rt (nid);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)), fileTransaction: true }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}`)).toEqual(['m/20220101000000000000_idx.postgres.up.sql MG201']);
  });

  it('popx: a split migration (versions of a timestamp and a part) is one migration: its ups, then its downs latest first, each judged after the ones before it', async () => {
    const { files, found } = await lintFolder('popx-split', { fileTransaction: true });
    expect(files).toEqual([
      '20240101000000000000_identities.up.sql', '20240101000000000000_identities.down.sql',
      '20240201000000000000_requests.up.sql', '20240201000000000001_requests.up.sql', '20240201000000000002_requests.up.sql', '20240201000000000003_requests.up.sql',
      '20240201000000000003_requests.down.sql', '20240201000000000002_requests.down.sql', '20240201000000000001_requests.down.sql', '20240201000000000000_requests.down.sql',
      '20240301000000000000_codes.up.sql', '20240301000000000001_codes.up.sql', '20240301000000000002_codes.up.sql',
      '20240301000000000002_codes.down.sql', '20240301000000000001_codes.down.sql', '20240301000000000000_codes.down.sql',
    ]);
    // Down 2 drops login_requests after down 3 dropped the table that references it (no MG237);
    // downs 0 and 1 drop what later parts' ups made, and down 3 what up 1 made: the migration's
    // own (no MG214). Down 1 of codes drops the table after down 2 dropped the view that reads
    // it (no MG237). Down 0 of codes also drops identities.state, which the requests migration
    // made: lost on rollback.
    expect(found.filter((f) => !/ MG219 /.test(f))).toEqual([
      '20240301000000000000_codes.down.sql:1 MG214 this rollback drops column identities.state, which its up did not make: the rollback loses what was there before the up',
    ]);
    // The same in one run's transaction: its downs are judged as a chain too.
    const run = await findMigrations(['.'], `${fixtures}/popx-split`);
    const inRun = await lint({ files: run.files, runTransaction: true }, nodeHost(`${fixtures}/popx-split`));
    expect(inRun.diagnostics.filter((d) => d.code !== 'MG219' && d.severity !== 'info').map((d) => `${d.file} ${d.code}`)).toEqual(['20240301000000000000_codes.down.sql MG214']);
    // A version of another length is no split migration: each down follows its own up.
    expect(migrationOrder(['m/20240201000001_requests.up.sql', 'm/20240201000000_requests.down.sql', 'm/20240201000000_requests.up.sql', 'm/20240201000001_requests.down.sql'])).toEqual([
      'm/20240201000000_requests.up.sql', 'm/20240201000000_requests.down.sql', 'm/20240201000001_requests.up.sql', 'm/20240201000001_requests.down.sql',
    ]);
    // Parts of one timestamp under other names (kratos's ..._identity_login_code and ..._identity_registration_code) are migrations of their own.
    expect(migrationOrder(['m/20240201000000000001_b.down.sql', 'm/20240201000000000000_a.up.sql', 'm/20240201000000000001_b.up.sql', 'm/20240201000000000000_a.down.sql'])).toEqual([
      'm/20240201000000000000_a.up.sql', 'm/20240201000000000000_a.down.sql', 'm/20240201000000000001_b.up.sql', 'm/20240201000000000001_b.down.sql',
    ]);
  });

  it('popx: on PostgreSQL, a version\'s .postgres. file replaces its generic one, and files for other databases are left out, each said in a note', async () => {
    const { files, found, layout } = await lintFolder('popx-dialects', { fileTransaction: true });
    expect(files).toEqual([
      '20240101000000000000_init.up.sql', '20240101000000000000_init.down.sql',
      '20240201000000000000_idx.postgres.autocommit.up.sql', '20240201000000000000_idx.autocommit.down.sql',
      '20240301000000000000_add_codes.postgres.up.sql', '20240301000000000000_codes.down.sql',
    ]);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      '20240201000000000000_idx.up.sql info MG024 left out 20240201000000000000_idx.up.sql: on PostgreSQL, Ory popx runs 20240201000000000000_idx.postgres.autocommit.up.sql instead (of the files of a version and direction, it runs the one named for the database, not the generic one)',
      '20240301000000000000_codes.up.sql info MG024 left out 20240301000000000000_codes.up.sql: on PostgreSQL, Ory popx runs 20240301000000000000_add_codes.postgres.up.sql instead (of the files of a version and direction, it runs the one named for the database, not the generic one)',
      '20240301000000000000_codes.cockroach.up.sql info MG024 left out 3 files of the current folder named for other databases (.cockroach., .mysql., .sqlite3.): Ory popx runs them on that database only',
    ]);
    // Neither the generic plain CREATE INDEX (MG201) nor the MySQL file's syntax (MG020): PostgreSQL sees neither.
    expect(found).toEqual([]);
  });

  it('zdb: in a folder with files named for PostgreSQL (-postgres.sql, -postgresql.sql), the twins for other databases are left out with a note (the thirty-seventh trial\'s C)', async () => {
    const { files, found, layout } = await lintFolder('zdb', { fileTransaction: true });
    expect(files).toEqual(['2021-04-07-1-billing-anchor-postgres.sql', '2021-06-27-1-public-postgresql.sql', '2022-01-14-1-idx.sql']);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      '2021-04-07-1-billing-anchor-sqlite.sql info MG024 left out 5 files of the current folder named for other databases (-maria.sql, -mariadb.sql, -mysql.sql, -sqlite.sql, -sqlite3.sql): zdb runs them on that database only',
    ]);
    // Neither SQLite's AUTOINCREMENT nor MySQL's MODIFY COLUMN (MG020), nor SQLite's json() (MG239): PostgreSQL sees none.
    expect(found).toEqual([]);
  });

  it('zdb: a name for another database counts only in a folder that holds one for PostgreSQL', () => {
    expect(zdbLeftOut([
      'db/migrate/2021-1-a-postgres.sql', 'db/migrate/2021-1-a-sqlite.sql', 'db/migrate/2021-2-b-psql.sql', 'db/migrate/2021-3-c-mysql.sql', 'db/migrate/2021-4-generic.sql',
      // Another folder without a file for PostgreSQL: a migration about MySQL, kept.
      'other/001_move-from-mysql.sql', 'other/002_x.sql',
      // Not the suffix zdb reads: kept.
      'db/migrate/2021-5-sqlite.down.sql', 'db/migrate/2021-6-sqlite_stats.sql',
    ])).toEqual([
      { file: 'db/migrate/2021-1-a-sqlite.sql', kind: 'dialect', dialect: 'sqlite' },
      { file: 'db/migrate/2021-3-c-mysql.sql', kind: 'dialect', dialect: 'mysql' },
    ]);
  });

  it('Activiti: upgrade steps <prefix>.<from>.to.<to>.<component>.sql go as their chain does, each component whole (engine, history, identity), a note where the chain breaks (the thirty-seventh trial\'s D)', async () => {
    const { files, found, layout } = await lintFolder('activiti', { fileTransaction: true });
    const p = 'act.postgres.upgradestep';
    // In name order 510.to.511 (drop column d) came before 52.to.510, which adds it: MG238.
    expect(files).toEqual([`${p}.50.to.52.engine.sql`, `${p}.52.to.510.engine.sql`, `${p}.510.to.511.engine.sql`, `${p}.52.to.53.history.sql`, `${p}.514.to.515.history.sql`, `${p}.53.to.54.identity.sql`]);
    expect(found.filter((f) => / MG238 /.test(f))).toEqual([]);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      `${p}.50.to.52.engine.sql info MG024 linted 6 files of the current folder named ${p}.<from>.to.<to>.<component>.sql as the runner takes them, not in name order: each component whole (engine, history, identity first, as Activiti's runner upgrades them), each step after the one whose <to> is its <from>; at 1 place no step leads on (52.to.53.history then 514.to.515.history), and the order there is a guess: the lowest <from> next, its digits read as a version without dots (52 before 514)`,
    ]);
  });

  it('upgrade steps: a gap another component\'s steps bridge is no guess; steps that never link keep name order; each prefix its own chain', () => {
    const p = 'db/activiti.postgres.upgradestep';
    const chains = upgradeStepChains([`${p}.515.to.5151.engine.sql`, `${p}.514.to.515.history.sql`, `${p}.5151.to.516.history.sql`, `${p}.514.to.515.engine.sql`]);
    expect(chains).toEqual([{ folder: 'db', prefix: 'activiti.postgres.upgradestep', breaks: [], files: [`${p}.514.to.515.engine.sql`, `${p}.515.to.5151.engine.sql`, `${p}.514.to.515.history.sql`, `${p}.5151.to.516.history.sql`] }]);
    // No step's <to> is another's <from>: no chain, name order and its note (orderedByName).
    expect(upgradeStepChains(['m/a.1.to.2.sql', 'm/a.5.to.6.sql'])).toEqual([]);
    expect(orderedByName(migrationOrder(['m/a.5.to.6.sql', 'm/a.1.to.2.sql']))).toEqual([{ folder: 'm', files: ['m/a.1.to.2.sql', 'm/a.5.to.6.sql'] }]);
    // Two prefixes in one folder: each a chain, standing where its first file by name would; other files by name around them.
    expect(migrationOrder(['m/zz.sql', 'm/flowable.pg.6200.to.6300.engine.sql', 'm/activiti.pg.510.to.511.engine.sql', 'm/flowable.pg.6120.to.6200.engine.sql', 'm/activiti.pg.59.to.510.engine.sql', 'm/b.sql'])).toEqual([
      'm/activiti.pg.59.to.510.engine.sql', 'm/activiti.pg.510.to.511.engine.sql', 'm/b.sql', 'm/flowable.pg.6120.to.6200.engine.sql', 'm/flowable.pg.6200.to.6300.engine.sql', 'm/zz.sql',
    ]);
    // Not a step: a version that does not start with a digit, or words between.
    expect([upgradeStepOf('m/a.v1.to.v2.sql'), upgradeStepOf('m/a.1.to.x.2.sql'), upgradeStepOf('m/1.to.2.sql')]).toEqual([undefined, undefined, undefined]);
    expect(upgradeStepOf('m/activiti.postgres.upgradestep.7100.to.710-M6.engine.sql')).toEqual({ prefix: 'activiti.postgres.upgradestep', from: '7100', to: '710-M6', component: 'engine' });
  });

  it('upgrade steps: where the chain breaks, versions compare without their dots, the first digit the major (5.2 before 5.14 before 5.16.3.0, 7.99.0 before 8.0.0)', () => {
    expect(['800', '51630', '514', '52', '7990', '59900', '50'].sort(compareDotlessVersions)).toEqual(['50', '52', '514', '51630', '59900', '7990', '800']);
    expect(compareDotlessVersions('710-M6', '710')).toBeGreaterThan(0);
  });

  it('a script for PostgreSQL alone (Synapse\'s x.sql.postgres) is read in its place; one for another database (x.sql.sqlite) is left out with a note; x.sql.orig is no SQL file', async () => {
    const { files, found, layout } = await lintFolder('synapse');
    expect(files).toEqual(['73/01_create.sql', '73/02_stream.sql.postgres', '74/01_fill.sql']);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      '73/02_stream.sql.sqlite info MG024 left out 1 file of 73/ named for another database (.sql.sqlite): migc lints .sql files, and .sql.postgres ones, which run on PostgreSQL',
    ]);
    expect(found).toContain('73/02_stream.sql.postgres:2 MG219 ALTER TABLE ADD COLUMN waits for an ACCESS EXCLUSIVE lock on events');
    // Named on the command line, a file is read whatever its name.
    expect((await findMigrations(['73/02_stream.sql.sqlite'], `${fixtures}/synapse`)).files).toEqual(['73/02_stream.sql.sqlite']);
  });

  it('temporal-sql-tool: the files each version\'s manifest.json lists, in its order, versions in version order; the others left out with a note', async () => {
    const { files, found, layout } = await lintFolder('temporal');
    expect(files).toEqual([
      'versioned/v1.0/schema.sql', 'versioned/v1.2/combined_v1.1_v1.2.sql',
      // The manifest's order, not the names': the column is added before it is filled.
      'versioned/v1.9/b_add_note.sql', 'versioned/v1.9/a_fill_note.sql', 'versioned/v1.10/narrow_note.sql',
    ]);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      'versioned/v1.1/manifest.json info MG024 left out 1 file of versioned/v1.1/ that its manifest.json does not list (add_bool.sql): temporal-sql-tool runs only the files of SchemaUpdateCqlFiles',
    ]);
    // The rewrite is found in the combined file that runs, not in add_bool.sql, which does not;
    // v1.10 narrows the column v1.9 added (MG238 would say the column was unknown).
    expect(found.filter((f) => !/ MG219 | MG112 /.test(f))).toEqual([
      'versioned/v1.2/combined_v1.1_v1.2.sql:2 MG205 ADD COLUMN temporalbool01 rewrites executions_visibility (no size hint: assumed large) under an ACCESS EXCLUSIVE lock: a stored generated column is computed for every row',
      'versioned/v1.10/narrow_note.sql:2 MG212 changing executions_visibility.note from varchar(100) to varchar(50) rewrites executions_visibility (no size hint: assumed large) and its indexes under an ACCESS EXCLUSIVE lock; a row whose value does not fit the new type fails the statement, and the migration stops there (value too long for type character varying(50))',
    ]);
  });

  it('Prisma: migration.sql is sent as one query string, in no transaction of Prisma\'s: CONCURRENTLY alone runs, its own BEGIN ... COMMIT is no nesting', async () => {
    const { files, found } = await lintFolder('prisma', { fileTransaction: true });
    expect(files).toEqual(['20240101000000_init', '20240102000000_index_at', '20240103000000_index_note', '20240104000000_kind_enum', '20240105000000_drop_index_at'].map((d) => `${d}/migration.sql`));
    expect(found.filter((f) => / MG20[4]| MG226/.test(f))).toEqual([
      // After a SET in the same string, PostgreSQL runs both as one implicit transaction.
      '20240103000000_index_note/migration.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
    // The enum's rewrite is still found inside the file's own transaction.
    expect(found).toContain('20240104000000_kind_enum/migration.sql:6 MG212 changing events.kind from "Kind" to "Kind_new" through its USING expression');
    expect((await lintFolder('prisma')).found.filter((f) => / MG20[4]| MG226/.test(f))).toEqual([]);
  });

  it('sqlx: a file that starts with -- no-transaction runs outside sqlx\'s transaction, as one query string', async () => {
    const { files, found } = await lintFolder('sqlx', { fileTransaction: true });
    expect(files).toEqual(['20240101000000_init.sql', '20240102000000_index_at.sql', '20240103000000_index_note.sql', '20240104000000_index_id_at.sql', '20240105000000_index_kind.up.sql', '20240105000000_index_kind.down.sql']);
    expect(found.filter((f) => / MG20[4]| MG226/.test(f))).toEqual([
      '20240103000000_index_note.sql:4 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      // The marker after a blank line is a comment: sqlx runs the file in its transaction.
      '20240104000000_index_id_at.sql:3 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
  });

  it('golang-migrate with --file-query-string (its postgres driver sends each file as one query string): several statements are one implicit transaction, one statement runs alone', async () => {
    const files = {
      'm/1_init.up.sql': 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, note varchar(100));\n',
      // One statement: no transaction block, CONCURRENTLY runs.
      'm/2_index_at.up.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON events (at);\n',
      'm/2_index_at.down.sql': 'DROP INDEX CONCURRENTLY IF EXISTS events_at_idx;\n',
      // Several: one transaction, so the backfill holds the ADD COLUMN's ACCESS EXCLUSIVE lock (MG218), and CONCURRENTLY fails
      // (MG204, and no MG217 for an index build that never starts).
      'm/3_kind.up.sql': "SET lock_timeout = '5s';\nALTER TABLE events ADD COLUMN kind text;\nUPDATE events SET kind = 'a';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS events_kind_idx ON events (kind);\n",
      // The file's own BEGIN ... COMMIT inside the string: no nesting, no warning from PostgreSQL.
      'm/4_note.up.sql': "SET lock_timeout = '5s';\nBEGIN;\nALTER TABLE events ADD COLUMN note2 text;\nCOMMIT;\n",
    };
    const run = async (options: { fileQueryString?: boolean }) => {
      const result = await lint({ files: migrationOrder(Object.keys(files)), ...options }, memoryHost(files));
      return result.diagnostics.filter((d) => /MG20[4]|MG21[78]|MG226/.test(d.code)).map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
    };
    expect(await run({ fileQueryString: true })).toEqual(['m/3_kind.up.sql:3 MG218', 'm/3_kind.up.sql:4 MG204']);
    // Read as psql runs them, statement by statement, the backfill and the index are each on their own.
    expect(await run({})).toEqual([]);
  });

  it('Sqitch: deploy scripts in the plan\'s order, each revert judged after its deploy, verify scripts and unplanned ones left out', async () => {
    const { files, found, layout } = await lintFolder('sqitch');
    // Plan order, not name order (accounts references users); the reworked view's earlier version is user_names@v1.1.
    expect(files).toEqual(['deploy/users.sql', 'revert/users.sql', 'deploy/accounts.sql', 'revert/accounts.sql', 'deploy/widen_note.sql', 'revert/widen_note.sql', 'deploy/user_names@v1.1.sql', 'revert/user_names@v1.1.sql', 'deploy/user_names.sql', 'revert/user_names.sql']);
    expect(found.filter((f) => !f.includes('MG219'))).toEqual([
      // The revert narrows back what its deploy widened: judged against the schema the deploy left.
      'revert/widen_note.sql:2 MG212 changing users.note from varchar(200) to varchar(100)',
      // The reworked view's revert takes the note back out with CREATE OR REPLACE VIEW, which
      // PostgreSQL refuses (checked on PGlite): the revert must drop the view and create it again.
      'revert/user_names.sql:2 MG067 PostgreSQL refuses this statement: CREATE OR REPLACE VIEW user_names fails: cannot drop columns from view (it drops note); drop the view and create it again',
    ]);
    // Reverts are rollbacks: their drops of what their deploy created are no MG214.
    expect(found.some((f) => f.includes('MG214'))).toBe(false);
    expect(layout.map((d) => `${d.file} ${d.severity} ${d.code} ${d.message}`)).toEqual([
      'sqitch.plan error MG024 change audit has no deploy script deploy/audit.sql: sqitch deploy stops there',
      'sqitch.plan info MG024 left out 3 verify scripts (verify/): Sqitch runs them to check a deployed change, not as migrations',
      'deploy/old_draft.sql warning MG024 deploy/old_draft.sql is not a script of a change in sqitch.plan: sqitch never runs it, so migc lint leaves it out',
      // The fifteenth trial (BeeeOn): the project's pgTAP tests and app queries were linted as migrations.
      'queries/find_user.sql info MG024 left out 2 .sql files outside the deploy, revert and verify folders of the Sqitch project sqitch.plan (queries/find_user.sql, test/users.sql): sqitch never runs them (tests, queries, a schema dump)',
    ]);
    // Named on the command line beside the project, a file is read after the project's changes.
    const named = await findMigrations(['.', 'queries/find_user.sql'], `${fixtures}/sqitch`);
    expect(named.files.slice(-2)).toEqual(['revert/user_names.sql', 'queries/find_user.sql']);
  });

  it('Liquibase formatted SQL: each changeset its own transaction and migration, --rollback lines its rollback, dbms: honoured', async () => {
    const { files, found } = await lintFolder('liquibase');
    expect(files).toEqual(['001_books.sql', '002_authors.sql']);
    expect(found.map((f) => f.replace(/ rewrites book.*/, ''))).toEqual([
      // Changeset 1's rollback drops the table it created, which has been live since.
      '001_books.sql:8 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on book',
      // Changeset 2's rollback narrows what it widened (the forward widening is catalog-only).
      '001_books.sql:13 MG212 changing book.note from varchar(200) to varchar(100)',
      // Changeset 4 runs in Liquibase's transaction; changeset 3 says runInTransaction:false (and
      // its statement ends at the next --changeset line, without a semicolon).
      '001_books.sql:20 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      // The /* liquibase rollback */ block of changeset 6.
      '001_books.sql:28 MG212 changing book.title from text to varchar(10)',
      // The SET lock_timeout of changeset 1 holds for the changesets after it on its connection;
      // the next file is checked on its own.
      '002_authors.sql:5 MG219 ALTER TABLE ADD COLUMN waits for an ACCESS EXCLUSIVE lock on book',
      '002_authors.sql:5 MG230 book (author_id) references author but has no index on (author_id): every DELETE on author, and every UPDATE of its key, scans book',
    ]);
    // Changeset 5 is for Oracle and H2 only: its SQL is no syntax error here.
    expect(found.some((f) => f.includes('MG020'))).toBe(false);
  });

  it('Liquibase: a file without the formatted-sql header is plain SQL; its --changeset lines are comments', async () => {
    const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': '--changeset ann:1\nCREATE INDEX CONCURRENTLY i ON t (a);\n' }));
    expect(result.diagnostics.map((d) => d.code)).not.toContain('MG204');
  });

  // Before these layouts were read, each down part ran forward: DROP TABLE events in the first
  // migration dropped the table the next ones change, and their widening was "may rewrite".
  it('sql-migrate: each Down part judged as a rollback after its Up; notransaction takes its direction out of the transaction', async () => {
    const widened = '10_widen_note.sql:7 MG212 changing events.note from varchar(200) to varchar(100)';
    const dropped = '1_init.sql:6 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events';
    expect((await lintFolder('sql-migrate')).found).toEqual([dropped, widened]);
    expect((await lintFolder('sql-migrate', { fileTransaction: true })).found).toEqual([
      dropped,
      // The Down has no notransaction: sql-migrate runs it in a transaction, where CONCURRENTLY fails.
      '2_index_at.sql:7 MG204 DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      widened,
    ]);
  });

  // The fourteenth trial (convoy): a file of several Up parts and several Down parts. sql-migrate
  // runs each direction's parts as one migration, in one transaction on one session.
  it('sql-migrate: the parts of one direction are one migration, one transaction, one session', async () => {
    const files = {
      '1_init.sql': '-- +migrate Up\nCREATE TABLE t (id int PRIMARY KEY);\nCREATE TABLE u (id int PRIMARY KEY);\n',
      '2_change.sql': [
        '-- +migrate Up', "SET lock_timeout = '2s';", 'ALTER TABLE t ADD COLUMN c int;',
        '-- +migrate Up', 'UPDATE t SET c = 1;',
        '-- +migrate Up', 'ALTER TABLE u ADD COLUMN c int;',
        '-- +migrate Down', 'ALTER TABLE t ADD COLUMN IF NOT EXISTS old_c text;',
        '-- +migrate Down', "UPDATE t SET old_c = 'x';",
        '-- +migrate Down', 'ALTER TABLE t DROP COLUMN c;', '',
      ].join('\n'),
    };
    const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
    const found = result.diagnostics.filter((d) => d.file === '2_change.sql' && d.severity !== 'info').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.code}`);
    // The Up: an unbatched UPDATE (MG112) in the transaction of the ADD COLUMN (MG218), and u
    // locked while t's lock is still held (MG217); the session's lock_timeout holds for every Up
    // part (no MG219). The Down: the session without a lock_timeout is told once (MG219), at its
    // first lock; the UPDATE of the column its first part added is no refusal (no MG238), but a
    // backfill in its transaction (MG218); dropping the column its up added loses nothing (no MG214).
    // The Up's UPDATE sets the column its first part added to a constant: ADD COLUMN ... DEFAULT would do (MG247).
    expect(found).toEqual(['5 MG218', '5 MG247', '7 MG217', '9 MG219', '11 MG218']);
  });

  it('tern: the part below ---- create above / drop below ---- judged as a rollback; disable-tx holds for its own part', async () => {
    const widened = '010_widen_note.sql:7 MG212 changing events.note from varchar(200) to varchar(100)';
    const dropped = '001_init.sql:5 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events';
    expect((await lintFolder('tern')).found).toEqual([dropped, widened]);
    expect((await lintFolder('tern', { fileTransaction: true })).found).toEqual([
      dropped,
      // The down has no disable-tx of its own: tern runs it in a transaction, where CONCURRENTLY fails.
      '002_index_at.sql:8 MG204 DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      widened,
    ]);
  });

  it('Postgrator: an undo judged after its do; a file is one query string, so CONCURRENTLY runs only alone', async () => {
    const { files, found } = await lintFolder('postgrator', { fileTransaction: true });
    expect(files).toEqual(['001.do.init.sql', '001.undo.init.sql', '002.do.index-at.sql', '003.do.sql', '010.do.widen-note.sql', '010.undo.widen-note.sql']);
    expect(found).toEqual([
      '001.undo.init.sql:1 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events',
      '002.do.index-at.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '010.undo.widen-note.sql:2 MG212 changing events.note from varchar(200) to varchar(100)',
    ]);
  });

  it('yoyo: a .rollback.sql judged after its migration, -- transactional: false holding for both', async () => {
    const expected = ['0001_init.rollback.sql:1 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events', '0010_widen_note.rollback.sql:2 MG212 changing events.note from varchar(200) to varchar(100)'];
    expect((await lintFolder('yoyo')).found).toEqual(expected);
    expect((await lintFolder('yoyo', { fileTransaction: true })).found).toEqual(expected);
  });

  it('Graphile Migrate: its :NAME placeholders are replaced before the SQL is sent, so they are no syntax error there', async () => {
    const body = 'grant all on schema app_private to :DATABASE_OWNER;\ngrant usage on schema app_public to :DATABASE_VISITOR;\n';
    const codes = async (files: Record<string, string>) => (await lint({ files: Object.keys(files) }, memoryHost(files))).diagnostics.map((d) => `${d.file} ${d.code}`);
    expect(await codes({ 'migrations/committed/000001.sql': `--! Previous: -\n--! Hash: sha1:abc\n\n${body}` })).toEqual([]);
    expect(await codes({ 'migrations/current.sql': body })).toEqual([]);
    // Elsewhere psql would send :DATABASE_OWNER as it is (unset): the server rejects it.
    expect(await codes({ 'db/1_grant.sql': body })).toEqual(['db/1_grant.sql MG020', 'db/1_grant.sql MG020']);
  });

  it('a template placeholder where the parser stops ({{ ... }}, gobuffalo pop; ${name}, Flyway; $%NAME%$, Synapse) is said to be one, with how to lint such files', async () => {
    const files = { 'm/20210710035447_alter_users.up.sql': '-- alter user schema\n\nALTER TABLE {{ index .Options "Namespace" }}.users ADD COLUMN phone text;\n', 'm/2_x.up.sql': 'SELECT {1};\n' };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    const [template, other] = result.diagnostics;
    expect(`${template!.file}:${result.sources.get(template!.file)!.position(template!.span!.start).line}:${result.sources.get(template!.file)!.position(template!.span!.start).column} ${template!.code} ${template!.message}`)
      .toBe('m/20210710035447_alter_users.up.sql:3:13 MG020 SQL syntax error: syntax error at or near "{": a template placeholder ({{ ... }})');
    expect(template!.help).toMatch(/^The file is a template its migration tool renders before it runs it .*Render the files/);
    // Any other syntax error keeps the plain help.
    expect(other!.help).toMatch(/^Fix the statement/);
    // Flyway's ${name} and Synapse's $%NAME%$ are placeholders too; migc fills in ${name} given its value (test/placeholders.test.ts).
    const more = { 'V1__x.sql': 'SELECT * FROM ${schema}.users;\n', '73/01_x.sql': 'CREATE TABLE t (\n  id $%AUTO_INCREMENT_PRIMARY_KEY%$,\n  x int\n);\n' };
    const placeholders = (await lint({ files: Object.keys(more) }, memoryHost(more))).diagnostics;
    expect(placeholders.map((d) => `${d.file} ${d.message} | ${d.help}`)).toEqual([
      'V1__x.sql SQL syntax error: syntax error at or near "$": a template placeholder (${...}) | The file is a template its migration tool renders before it runs it (Flyway replaces ${schema} with a placeholder\'s value, Liquibase with a changelog property\'s): give migc the value your deployment uses, --placeholder schema=<value> (or "placeholders" in migc.config.json), and it reads the file as the server gets it.',
      '73/01_x.sql SQL syntax error: syntax error at or near "$": a template placeholder ($%...%$) | The file is a template its migration tool renders before it runs it (Synapse replaces $%AUTO_INCREMENT_PRIMARY_KEY%$ when it runs its schema files): migc reads SQL as the server gets it. Render the files with the values your deployment uses, and lint the rendered copies.',
    ]);
    // A variable no \set gives a value, which psql -v or the tool fills in (the seventeenth
    // trial's graphile-worker): a placeholder, not a statement that "would fail on the server too".
    const variables = { '000001.sql': 'CREATE TABLE :GRAPHILE_WORKER_SCHEMA.jobs (id int);\nSELECT 1::int;\nSELECT 2 ::int;\n' };
    const variable = (await lint({ files: Object.keys(variables) }, memoryHost(variables))).diagnostics;
    expect(variable.map((d) => `${d.message} | ${d.help!.slice(0, 120)}`)).toEqual([
      'SQL syntax error: syntax error at or near ":": a template placeholder (:NAME) | The file is a template its migration tool renders before it runs it (psql -v GRAPHILE_WORKER_SCHEMA=... fills in :GRAPHI',
    ]);
  });

  it('diesel: <version>/down.sql is the rollback of up.sql beside it', async () => {
    const { files, found, layout } = await lintFolder('diesel');
    // diesel's version is the folder name up to its first _, dashes removed: its older plain
    // timestamps and its dashed ones are one sequence. A .sql file beside the folders is not one.
    expect(files).toEqual([
      '00000000000000_diesel_initial_setup/up.sql', '00000000000000_diesel_initial_setup/down.sql',
      '2024-01-01-120000_create_events/up.sql', '2024-01-01-120000_create_events/down.sql',
      '2024-01-10-090000_widen_note/up.sql', '2024-01-10-090000_widen_note/down.sql',
      '2024-02-01-000000_only_up/up.sql',
      '20240215000000_plain_version/up.sql', '20240215000000_plain_version/down.sql',
      '2024-03-01-000000_index_note/up.sql', '2024-03-01-000000_index_note/down.sql',
    ]);
    expect(layout.map((d) => `${d.file} ${d.code} ${d.severity} ${d.message}`)).toEqual([
      'seed.sql MG024 info left out seed.sql: beside the migration folders of the current folder (<version>_<name>/up.sql), it is not a migration: diesel runs those folders only',
    ]);
    expect(found).toEqual(['2024-01-01-120000_create_events/down.sql:1 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events', '2024-01-10-090000_widen_note/down.sql:2 MG212 changing events.note from varchar(200) to varchar(100)']);
  });

  it('diesel under --file-transaction: a migration whose metadata.toml says run_in_transaction = false runs outside one, as one query string', async () => {
    const { found } = await lintFolder('diesel', { fileTransaction: true });
    // 2024-03-01's CREATE and DROP INDEX CONCURRENTLY are each alone in their file: no MG204.
    expect(found).toEqual(['2024-01-01-120000_create_events/down.sql:1 MG219 DROP TABLE waits for an ACCESS EXCLUSIVE lock on events', '2024-01-10-090000_widen_note/down.sql:2 MG212 changing events.note from varchar(200) to varchar(100)']);
    const mg204 = async (metadata: string | undefined, up = 'CREATE INDEX CONCURRENTLY i ON t (id);\n') => {
      const files: Record<string, string> = { 'm/2024-01-01-000000_t/up.sql': 'CREATE TABLE t (id int);\n', 'm/2024-01-02-000000_i/up.sql': up, 'm/2024-01-02-000000_i/down.sql': 'DROP INDEX CONCURRENTLY i;\n' };
      if (metadata !== undefined) files['m/2024-01-02-000000_i/metadata.toml'] = metadata;
      const result = await lint({ files: migrationOrder(Object.keys(files).filter((f) => f.endsWith('.sql'))), fileTransaction: true }, memoryHost(files));
      return result.diagnostics.filter((d) => d.code === 'MG204' || d.code === 'MG024').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}:${result.sources.get(d.file)!.position(d.span!.start).column} ${d.code} ${d.severity} ${d.message}`);
    };
    const both = ['m/2024-01-02-000000_i/up.sql:1:1 MG204', 'm/2024-01-02-000000_i/down.sql:1:1 MG204'];
    expect((await mg204(undefined)).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(both);
    expect((await mg204('run_in_transaction = true\n')).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(both);
    expect(await mg204('run_in_transaction = false\n')).toEqual([]);
    // diesel reads the key with serde's default for a missing field: a file that does not set it is false.
    expect(await mg204('# nothing\n')).toEqual([]);
    // Outside a transaction diesel sends the file with one batch_execute: several statements are one implicit transaction.
    expect((await mg204('run_in_transaction = false\n', "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (id);\n")).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['m/2024-01-02-000000_i/up.sql:2:1 MG204']);
    // A file diesel cannot read: an error at its line and column, and the migration read as in a transaction.
    expect(await mg204('run_in_transaction = fals\n')).toEqual([
      'm/2024-01-02-000000_i/metadata.toml:1:22 MG024 error diesel cannot read this metadata.toml (invalid value) and refuses to run its migration',
      ...both.map((b) => `${b} error CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here`.replace('down.sql:1:1 MG204 error CREATE', 'down.sql:1:1 MG204 error DROP')),
    ]);
    expect((await mg204('run_in_transaction = [false]\n'))[0]).toBe('m/2024-01-02-000000_i/metadata.toml:1:1 MG024 error run_in_transaction must be true or false (got an array); diesel refuses to run the migration');
    expect((await mg204('# x\nrun_in_transaction = "no"\n'))[0]).toBe('m/2024-01-02-000000_i/metadata.toml:2:1 MG024 error run_in_transaction must be true or false (got "no"); diesel refuses to run the migration');
  });

  it('a rollback judges what its up created as live (it runs after the up has been in use), and the next migration too', async () => {
    const files = {
      'm/1_a.up.sql': 'CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n',
      'm/1_a.down.sql': "SET lock_timeout = '5s';\nCREATE INDEX a_id2 ON a (id);\n",
      'm/2_b.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX a_id3 ON a (id);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    // A failed up in a transaction undoes itself: a down runs later, on a table that holds rows.
    // (a_id3 repeats a_id: MG251, which judges no rollback.)
    expect(result.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['m/1_a.down.sql MG201', 'm/2_b.up.sql MG201', 'm/2_b.up.sql MG251']);
  });

  it('a down that drops an index before dropping its table is no MG202: the table\'s drop takes both', async () => {
    const files = {
      'm/1_a.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n",
      'm/1_a.down.sql': "SET lock_timeout = '5s';\nDROP INDEX a_id;\nDROP TABLE a;\n",
      'm/2_b.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE b (id int);\nCREATE INDEX b_id ON b (id);\n",
      'm/2_b.down.sql': "SET lock_timeout = '5s';\nDROP INDEX b_id;\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['m/2_b.down.sql MG202']);
  });

  it('a down that drops the index its up built on an existing table locks that table (MG202)', async () => {
    const files = {
      'm/1_a.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_at_idx ON users (at);\n",
      'm/1_a.down.sql': "SET lock_timeout = '5s';\nDROP INDEX users_at_idx;\n",
      'm/2_b.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE b (id int, at timestamptz);\nCREATE INDEX b_at_idx ON b (at);\n",
      'm/2_b.down.sql': "SET lock_timeout = '5s';\nDROP INDEX b_at_idx;\nDROP TABLE b;\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    // b is the up's own table: new for its rollback, so its index's lock keeps nobody waiting.
    expect(result.diagnostics.filter((d) => d.code === 'MG202').map((d) => `${d.file} ${d.message}`)).toEqual(['m/1_a.down.sql DROP INDEX users_at_idx takes an ACCESS EXCLUSIVE lock on users: reads and writes queue behind it']);
  });

  it('within a down, later statements see what earlier ones did; the next migration does not', async () => {
    const files = {
      'm/1_a.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE other (id int);\n",
      // The down re-creates the table, then indexes it: a new, empty table needs no CONCURRENTLY.
      'm/1_a.down.sql': "SET lock_timeout = '5s';\nCREATE TABLE old_audit (id int);\nCREATE INDEX old_audit_id ON old_audit (id);\n",
      'm/2_b.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX old_audit_id2 ON old_audit (id);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}`)).toEqual(['m/2_b.up.sql MG201']);
  });
});

describe('transactions a file opens and closes (MG226), and the one its tool wraps it in', () => {
  const lintText = async (name: string, text: string, fileTransaction = true) => {
    const result = await lint({ files: [name], fileTransaction }, memoryHost({ [name]: text }));
    return result.diagnostics.filter((d) => d.code === 'MG226' || d.code === 'MG204').map((d) => `${result.sources.get(name)!.position(d.span!.start).line} ${d.code} ${d.severity} ${d.message.split(':')[0]}`);
  };

  it('under --file-transaction, BEGIN, COMMIT and ROLLBACK in a wrapped file are the tool\'s transaction\'s', async () => {
    expect(await lintText('m/V1__a.sql', 'BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n')).toEqual([
      '1 MG226 warning BEGIN in a file the migration tool already runs in a transaction (--file-transaction)',
    ]);
    expect(await lintText('m/V1__a.sql', 'CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n')).toEqual([
      '2 MG226 warning COMMIT in a file the migration tool runs in a transaction (--file-transaction)',
    ]);
    expect(await lintText('m/V1__a.sql', 'CREATE TABLE a (id int);\nROLLBACK;\n')).toEqual([
      '2 MG226 error ROLLBACK in a file the migration tool runs in a transaction (--file-transaction)',
    ]);
    // An unterminated BEGIN in a wrapped file: the tool's COMMIT ends it; the BEGIN is the finding.
    expect(await lintText('m/V1__a.sql', 'BEGIN;\nCREATE TABLE a (id int);\n')).toEqual([
      '1 MG226 warning BEGIN in a file the migration tool already runs in a transaction (--file-transaction)',
    ]);
    // After the file's COMMIT the driver opens the next transaction: CONCURRENTLY still fails
    // (Liquibase's changeset; a Flyway script of both kinds is MG026, see test/tool-transactions.test.ts).
    expect(await lintText('m/changelog.sql', "--liquibase formatted sql\n--changeset a:1\nSET lock_timeout = '5s';\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);\n")).toEqual([
      '4 MG226 warning COMMIT in a file the migration tool runs in a transaction (--file-transaction)',
      '5 MG204 error CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
    ]);
  });

  it('a part the tool runs outside a transaction has its own BEGIN ... COMMIT judged as psql would', async () => {
    // goose sends statement by statement: BEGIN ... COMMIT is the file's own, and fine.
    expect(await lintText('m/00001_a.sql', '-- +goose NO TRANSACTION\n-- +goose Up\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (id);\n')).toEqual([]);
    expect(await lintText('m/00001_a.sql', '-- +goose NO TRANSACTION\n-- +goose Up\nBEGIN;\nCREATE TABLE a (id int);\n')).toEqual(['3 MG226 error the file ends inside the transaction begun at line 3']);
    // dbmate sends a transaction:false part as one string: a COMMIT there ends the implicit transaction, quietly.
    expect(await lintText('m/20240101000000_a.sql', '-- migrate:up transaction:false\nCREATE TABLE a (id int);\nCOMMIT;\n-- migrate:down\nDROP TABLE a;\n')).toEqual([]);
    // Each dbmate part is run on its own: a BEGIN left open in the up is open at the up's end.
    expect(await lintText('m/20240101000000_a.sql', '-- migrate:up transaction:false\nBEGIN;\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n')).toEqual(['2 MG226 error the file ends inside the transaction begun at line 2']);
  });

  it('without --file-transaction: nested BEGIN, stray COMMIT and ROLLBACK, SAVEPOINT outside, an open BEGIN at the end', async () => {
    expect(await lintText('m/1.sql', 'BEGIN;\nBEGIN;\nCOMMIT;\nCOMMIT;\nROLLBACK;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nBEGIN;\nSELECT 1;\n', false)).toEqual([
      '2 MG226 warning BEGIN inside the transaction begun at line 1',
      '4 MG226 warning COMMIT with no transaction open',
      '5 MG226 error ROLLBACK with no transaction open',
      '6 MG226 error SAVEPOINT with no transaction open',
      '7 MG226 error ROLLBACK TO SAVEPOINT with no transaction open',
      '8 MG226 error the file ends inside the transaction begun at line 8',
    ]);
    // COMMIT AND CHAIN starts the next transaction at once; PREPARE TRANSACTION is not judged.
    expect(await lintText('m/1.sql', 'BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nCOMMIT;\n', false)).toEqual([]);
  });

  it('-- migc-ignore MG226 before the BEGIN covers the open transaction at the end', async () => {
    const result = await lint({ files: ['m/1.sql'] }, memoryHost({ 'm/1.sql': '-- migc-ignore MG226: the deploy script appends the COMMIT\nBEGIN;\nSELECT 1;\n' }));
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['MG226 info']);
  });
});

describe('migc lint (the real binary) on a Flyway folder', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-layouts-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  cpSync(`${fixtures}/flyway`, join(project, 'db'), { recursive: true });
  const migc = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: project, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });

  it('orders Flyway files by version and honours the .conf beside a script', async () => {
    const r = await migc(['lint', 'db', '--file-transaction', '--format', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: { file: string; code: string }[]; files: { file: string }[] };
    expect(out.files.map((f) => f.file).slice(0, 6)).toEqual(['db/V1__init.sql', 'db/V1_5__widen_note.sql', 'db/V1.9__narrow_note.sql', 'db/V1.10__widen_note_again.sql', 'db/V2__kind.sql', 'db/U3__orphan_undo.sql']);
    // U10 has its V10: the folder is Flyway's, and U3, without a V3, an undo whose V is missing (MG024).
    expect(out.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['db/U3__orphan_undo.sql MG024', 'db/V1.9__narrow_note.sql MG212', 'db/U3__orphan_undo.sql MG212', 'db/V10__local_time.sql MG212', 'db/U10__local_time.sql MG212', 'db/V11__index_at.sql MG221', 'db/V12__index_note.sql MG026', 'db/V12__index_note.sql MG221']);
    expect(r.stderr).toBe('');
  });

  it('reads the .conf beside a script named on the command line, in version order whatever the argument order', async () => {
    const r = await migc(['lint', 'db/V12__index_note.sql', 'db/V11__index_at.sql', '--file-transaction']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('db/V12__index_note.sql:2:1 error MG026 Flyway runs CREATE INDEX CONCURRENTLY outside a transaction but the statement at line 1 inside one');
    expect(r.stdout).not.toContain('V11__index_at.sql:2:1 error');
    // The two IF NOT EXISTS builds are MG221's warnings.
    expect(r.stderr).toBe('migc: linted 2 files: 1 error, 2 warnings\n');
  });
});

describe('findMigrations on version folders (temporal-sql-tool\'s layout, without its manifests)', () => {
  it('orders the folders by version, and notes the files of a folder it could only order by name', async () => {
    const project = mkdtempSync(join(tmpdir(), 'migc-versions-'));
    try {
      for (const [file, sql] of [['v1.0/schema.sql', 'CREATE TABLE t (id int);'], ['v1.10/b.sql', 'SELECT 1;'], ['v1.10/a.sql', 'SELECT 1;'], ['v1.2/001_x.sql', 'SELECT 1;'], ['v1.2/002_y.sql', 'SELECT 1;']] as const) {
        mkdirSync(join(project, 'versioned', file, '..'), { recursive: true });
        writeFileSync(join(project, 'versioned', file), sql);
      }
      const found = await findMigrations(['versioned'], project);
      expect(found.files).toEqual(['versioned/v1.0/schema.sql', 'versioned/v1.2/001_x.sql', 'versioned/v1.2/002_y.sql', 'versioned/v1.10/a.sql', 'versioned/v1.10/b.sql']);
      expect(found.diagnostics).toEqual([{
        code: 'MG024', severity: 'info', file: 'versioned/v1.10/a.sql',
        message: 'linted 2 files of versioned/v1.10/ in name order (a.sql, b.sql): their names carry no version, so the order is a guess',
        help: 'Nothing to do if your tool runs them in name order. If it runs them in another (a manifest, a master changelog), give them versions (001_x.sql, 002_y.sql): migc orders by the names alone.',
      }]);
      // One file per folder, or versions in the names: nothing was guessed.
      expect((await findMigrations(['versioned/v1.2', 'versioned/v1.0'], project)).diagnostics).toEqual([]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('a folder whose whole order is a guess (the thirty-seventh trial\'s D)', () => {
  it('is said on stderr without --verbose; a folder where only some files are ordered by name is not', async () => {
    const project = mkdtempSync(join(tmpdir(), 'migc-guessed-'));
    const run = (args: string[]) => new Promise<string>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', ...args], { cwd: project, env: cliEnv() }, (_error, _stdout, stderr) => resolve(stderr));
    });
    try {
      for (const file of ['upgrade/b.sql', 'upgrade/a.sql', 'mixed/001_x.sql', 'mixed/a.sql', 'mixed/b.sql']) {
        mkdirSync(join(project, file, '..'), { recursive: true });
        writeFileSync(join(project, file), 'SELECT 1;\n');
      }
      expect((await findMigrations(['upgrade', 'mixed'], project)).guessedFolders).toEqual([{ folder: 'upgrade', files: 2 }]);
      expect(await run(['upgrade'])).toContain('migc: note: the 2 files of upgrade/ carry no version in their names, so migc lints them in name order, a guess (MG024); if your runner takes another order, lint copies renamed to sort in it (001_x.sql, 002_y.sql)\n');
      expect(await run(['mixed'])).not.toContain('migc: note:');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('temporal-sql-tool\'s manifest.json', () => {
  const at = (text: string, d: { span?: { start: number } }) => { const p = new SourceText(text).position(d.span!.start); return `${p.line}:${p.column}`; };
  const read = (text: string, folder = 'v1.3') => {
    const { files, problems } = temporalManifest(`${folder}/manifest.json`, folder, text);
    return { files: files.map((f) => f.name), problems: problems.map((d) => `${at(text, d)} ${d.severity} ${d.code} ${d.message} | ${d.help}`) };
  };
  const manifest = (rest: string) => `{\n  "CurrVersion": "1.3",\n  "MinCompatibleVersion": "1.0",\n  "Description": "x",\n${rest}\n}\n`;

  it('reads the list as Go\'s json.Unmarshal does: keys in any case, the last of several', () => {
    expect(read(manifest('  "SchemaUpdateCqlFiles": ["b.sql", "a.sql"]'))).toEqual({ files: ['b.sql', 'a.sql'], problems: [] });
    expect(read(manifest('  "schemaupdatecqlfiles": ["a.sql"],\n  "SchemaUpdateCqlFiles": ["c.sql"]'))).toEqual({ files: ['c.sql'], problems: [] });
    expect(read('{"CurrVersion": "v1.3", "MinCompatibleVersion": "1.0", "SchemaUpdateCqlFiles": [], "AllowNoCqlFiles": true}')).toEqual({ files: [], problems: [] });
  });

  it('says what temporal-sql-tool refuses, at its line and column, with the fix', () => {
    expect(read(manifest('  "SchemaUpdateCqlFiles": ["a.sql",]')).problems).toEqual([
      '5:36 error MG024 cannot read this manifest.json (value expected): temporal-sql-tool stops at version 1.3 | Fix the JSON: one object in braces, keys and strings in double quotes, a comma between items and none after the last, no comments.',
    ]);
    expect(read(manifest('  "SchemaUpdateCqlFiles": []')).problems).toEqual([
      '5:27 error MG024 this manifest.json lists no file in SchemaUpdateCqlFiles ("manifest missing SchemaUpdateCqlFiles"): temporal-sql-tool stops at version 1.3 | List the version\'s .sql files in SchemaUpdateCqlFiles, in the order they run, or add "AllowNoCqlFiles": true for a version that runs none.',
    ]);
    expect(read(manifest('  "SchemaUpdateCqlFiles": ["a.sql", 2]')).problems[0]).toMatch(/^5:37 error MG024 SchemaUpdateCqlFiles must be a list of file names \(got a number here\)/);
    expect(read(manifest('  "SchemaUpdateCqlFiles": ["a.sql"]'), 'v1.4').problems[0]).toMatch(/^2:18 error MG024 this manifest.json says CurrVersion "1.3" in folder v1.4\/ \("manifest version doesn't match with dirname"\): temporal-sql-tool stops at version 1.4 \| Write "CurrVersion": "1.4"/);
    expect(read('{"CurrVersion": "1.3", "SchemaUpdateCqlFiles": ["a.sql"]}').problems[0]).toMatch(/^1:1 error MG024 this manifest.json has no MinCompatibleVersion/);
    expect(read('["a.sql"]').problems[0]).toMatch(/^1:1 error MG024 this manifest.json is not a JSON object/);
    expect(read('').problems[0]).toMatch(/^1:1 error MG024 cannot read this manifest.json/);
  });
});

describe('migc lint (the real binary) on temporal-sql-tool\'s folders', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-temporal-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  cpSync(`${fixtures}/temporal`, project, { recursive: true });
  const migc = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: project, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });

  it('a manifest that names a missing file, or that is not JSON, is an error at its place, never a crash; a folder whose manifest cannot be read keeps its files', async () => {
    writeFileSync(join(project, 'versioned/v1.9/manifest.json'), '{\n  "CurrVersion": "1.9",\n  "MinCompatibleVersion": "0.1",\n  "SchemaUpdateCqlFiles": ["b_add_note.sql", "a_fill_nots.sql"]\n}\n');
    writeFileSync(join(project, 'versioned/v1.10/manifest.json'), '{\n  "CurrVersion": "1.10"\n  "SchemaUpdateCqlFiles": ["narrow_note.sql"]\n}\n');
    const r = await migc(['lint', 'versioned', '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+|TypeError|Error:/);
    expect(r.stdout).toContain('versioned/v1.9/manifest.json:4:46 error MG024 SchemaUpdateCqlFiles lists a_fill_nots.sql, which is not in versioned/v1.9/: temporal-sql-tool stops at version 1.9 ("error reading file")');
    expect(r.stdout).toContain('help: Add a_fill_nots.sql to versioned/v1.9/, or correct its name in the manifest.');
    expect(r.stdout).toContain('versioned/v1.9/manifest.json:1:1 info MG024 left out 1 file of versioned/v1.9/ that its manifest.json does not list (a_fill_note.sql)');
    expect(r.stdout).toContain('versioned/v1.10/manifest.json:3:3 error MG024 cannot read this manifest.json (comma expected): temporal-sql-tool stops at version 1.10');
  });

  it('leaves another program\'s manifest.json alone: one in a version folder without .sql files that lists none', async () => {
    mkdirSync(join(project, 'web/v2'), { recursive: true });
    writeFileSync(join(project, 'web/v2/manifest.json'), '{"name": "app", "icons": []}\n');
    writeFileSync(join(project, 'web/001_init.sql'), 'CREATE TABLE t (id int);\n');
    const r = await migc(['lint', 'web', '--verbose']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
  });
});

describe('migc lint (the real binary) on a Sqitch project whose sqitch.conf places it in sql/', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-sqitch-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  cpSync(`${fixtures}/sqitch`, join(project, 'sql'), { recursive: true });
  rmSync(join(project, 'sql', 'sqitch.conf'));
  writeFileSync(join(project, 'sqitch.conf'), '[core]\n\tengine = pg\n\t# plan_file = sqitch.plan\n\t top_dir = ./sql\n[engine "pg"]\n\ttarget = dev\n');
  // A stale plan at the top, as real projects have: Sqitch reads sql/sqitch.plan (top_dir's).
  writeFileSync(join(project, 'sqitch.plan'), '%project=old\nusers 2020-01-01T00:00:00Z Ann <ann@example.com>\n');
  const migc = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: project, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });

  it('lints the plan\'s changes in its order, each revert after its deploy, and shows the plan line of a change without a script', async () => {
    const json = await migc(['lint', '.', '--format', 'json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as { diagnostics: { file: string; code: string; severity: string }[]; files: { file: string }[] };
    expect(out.files.map((f) => f.file)).toEqual(['sql/deploy/users.sql', 'sql/revert/users.sql', 'sql/deploy/accounts.sql', 'sql/revert/accounts.sql', 'sql/deploy/widen_note.sql', 'sql/revert/widen_note.sql', 'sql/deploy/user_names@v1.1.sql', 'sql/revert/user_names@v1.1.sql', 'sql/deploy/user_names.sql', 'sql/revert/user_names.sql']);
    expect(out.diagnostics.filter((d) => d.code === 'MG024').map((d) => `${d.file} ${d.severity}`)).toEqual(['sql/deploy/old_draft.sql warning', 'sql/queries/find_user.sql info', 'sql/sqitch.plan info', 'sql/sqitch.plan error']);
    const pretty = await migc(['lint', '.']);
    expect(pretty.stdout).toContain('sql/sqitch.plan:12:1 error MG024 change audit has no deploy script sql/deploy/audit.sql: sqitch deploy stops there\n   |\n12 | audit 2024-05-23T09:00:00Z');
    // The errors: audit's missing script (MG024), the revert that narrows the note back (MG212),
    // and the reworked view's revert that PostgreSQL refuses (MG067, alone on it: a refused statement
    // waits for no lock that matters). The warnings: the unnamed script and seven MG219, one of them the
    // reworked view's CREATE OR REPLACE VIEW (ACCESS EXCLUSIVE on the view), three the reverts'
    // drops of what their deploys created, live by the time a revert runs, one the accounts
    // deploy's CREATE TABLE ... REFERENCES users (SHARE ROW EXCLUSIVE on users, an earlier change's).
    expect(pretty.stderr).toBe('migc: linted 10 files: 3 errors, 8 warnings (2 notes: --verbose shows them)\n');
  });

  it('given only the deploy folder, finds the plan above it and lints the deploy scripts in its order', async () => {
    const r = await migc(['lint', 'sql/deploy', '--format', 'json']);
    const out = JSON.parse(r.stdout) as { files: { file: string }[] };
    expect(out.files.map((f) => f.file)).toEqual(['sql/deploy/users.sql', 'sql/deploy/accounts.sql', 'sql/deploy/widen_note.sql', 'sql/deploy/user_names@v1.1.sql', 'sql/deploy/user_names.sql']);
  });

  it('takes MG024 settings from migc.config.json', async () => {
    writeFileSync(join(project, 'migc.config.json'), '{ "rules": { "MG024": "off" } }\n');
    try {
      const r = await migc(['lint', '.', '--format', 'json']);
      expect((JSON.parse(r.stdout) as { diagnostics: { code: string }[] }).diagnostics.filter((d) => d.code === 'MG024')).toEqual([]);
    } finally {
      rmSync(join(project, 'migc.config.json'));
    }
  });
});

describe('the .sql files migc plans name are their inputs, not migrations', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-plan-inputs-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'plans/apps'), { recursive: true });
  mkdirSync(join(project, 'db'), { recursive: true });
  writeFileSync(join(project, 'plans/p.yaml'), 'migc: 1\nid: p\ntitle: P\ntype: schema\nrisk: low\nengine: postgresql@15\nbaseline:\n  file: users.baseline.sql\napps:\n  - version: v1\n    queries: apps/v1.sql\nphases: []\n');
  writeFileSync(join(project, 'plans/users.baseline.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
  writeFileSync(join(project, 'plans/apps/v1.sql'), 'SELECT * FROM users WHERE id = :id;\n');
  // Not a plan: YAML that names a .sql file is no reason to leave it out.
  writeFileSync(join(project, 'plans/other.yaml'), 'baseline:\n  file: seed.sql\n');
  writeFileSync(join(project, 'plans/seed.sql'), 'INSERT INTO users VALUES (1);\n');
  writeFileSync(join(project, 'db/001_init.sql'), 'CREATE TABLE t (id int);\n');

  it('leaves a plan\'s baseline and app queries out, with a note, and lints the rest', async () => {
    const found = await findMigrations(['.'], project);
    expect(found.files).toEqual(['db/001_init.sql', 'plans/seed.sql']);
    expect(found.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`)).toContainEqual(expect.stringMatching(/^info MG024 left out 2 \.sql files that migc plans beside them name/));
  });

  it('a folder of plans only is a usage error that points at migc check', async () => {
    rmSync(join(project, 'plans/other.yaml'));
    rmSync(join(project, 'plans/seed.sql'));
    await expect(findMigrations(['plans'], project)).rejects.toThrow(/no SQL migrations in plans: its 2 \.sql files are named by the migc plans there .*migc check plans checks the plans/);
  });
});

describe('the files of a folder, as paths from where migc runs', () => {
  const work = mkdtempSync(join(tmpdir(), 'migc-find-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const put = (path: string) => {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), 'SELECT 1;\n');
  };
  for (const path of ['db/migrations/001_a.sql', 'db/migrations/nested/002_b.sql', 'db/migrations/node_modules/pkg/003_c.sql', 'db/node_modules/004_d.sql', 'db/005_e.sql']) put(path);

  // In migration order (by version), not by path.
  it('from the folder itself, a parent or a sibling; node_modules left out wherever it is', async () => {
    expect((await findMigrations(['.'], join(work, 'db/migrations'))).files).toEqual(['001_a.sql', 'nested/002_b.sql']);
    expect((await findMigrations(['db'], work)).files).toEqual(['db/migrations/001_a.sql', 'db/migrations/nested/002_b.sql', 'db/005_e.sql']);
    expect((await findMigrations(['..'], join(work, 'db/migrations/nested'))).files).toEqual(['../001_a.sql', '002_b.sql']);
    mkdirSync(join(work, 'app'));
    expect((await findMigrations(['../db/migrations'], join(work, 'app'))).files).toEqual(['../db/migrations/001_a.sql', '../db/migrations/nested/002_b.sql']);
  });
});

describe('migrations written as templates, and folders that are histories of their own', () => {
  const work = mkdtempSync(join(tmpdir(), 'migc-templates-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const put = (path: string) => {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), 'CREATE TABLE {{.Prefix}}_jobs (id int);\n');
  };
  for (const path of ['sets/jobs/000001_create.up.tmpl', 'sets/jobs/000002_alter.up.tmpl', 'sets/warehouse/000001_init.up.sql', 'sets/warehouse/V2__more.sql.j2', 'sets/warehouse/init.sql.tmpl', 'chart/templates/_helpers.tpl', 'chart/notes.txt.tmpl', 'only/000001_a.up.tmpl']) put(path);

  it('leaves out a migration template (a version, or .sql, before a template ending) with a note per folder; other templates are not migrations', async () => {
    const found = await findMigrations(['sets', 'chart'], work);
    expect(found.files).toEqual(['sets/warehouse/000001_init.up.sql']);
    expect(found.diagnostics.map((d) => `${d.code} ${d.severity} ${d.file}: ${d.message}`)).toEqual([
      'MG024 info sets/jobs/000001_create.up.tmpl: left out 2 migration templates of sets/jobs/ (000001_create.up.tmpl, 000002_alter.up.tmpl): its tool fills them in before running them, and migc reads SQL as the server gets it',
      'MG024 info sets/warehouse/V2__more.sql.j2: left out 2 migration templates of sets/warehouse/ (V2__more.sql.j2, init.sql.tmpl): its tool fills them in before running them, and migc reads SQL as the server gets it',
    ]);
  });

  it('a folder of templates only is a usage error that says what to do', async () => {
    await expect(findMigrations(['only'], work)).rejects.toThrow('no SQL migrations in only: its migration is a template (000001_a.up.tmpl) that the migration tool fills in before it runs it; render it with the values your deployment uses, and lint the rendered copy');
  });

  it('knows folders that each hold a migration of one version as histories of their own', () => {
    expect(separateHistories(['jobs/000001_a.up.sql', 'jobs/000002_b.up.sql', 'reports/000001_a.up.sql', 'reports/000001_a.down.sql', 'node/000003_c.up.sql'])).toEqual({ version: '1', folders: ['jobs', 'reports'] });
    // The lowest shared version is named; leading zeros are not the version.
    expect(separateHistories(['a/0007_x.up.sql', 'b/07_y.up.sql', 'a/0003_z.up.sql', 'c/3_w.sql'])).toEqual({ version: '3', folders: ['a', 'c'] });
    // One folder (harness's two 0059s), version folders (Synapse's delta/25/), Flyway's locations, a down alone: one history.
    expect(separateHistories(['m/0059_a.up.sql', 'm/0059_b.up.sql'])).toBeUndefined();
    expect(separateHistories(['delta/25/01_a.sql', 'delta/26/01_b.sql'])).toBeUndefined();
    expect(separateHistories(['db/V1__a.sql', 'more/V1__b.sql'])).toBeUndefined();
    expect(separateHistories(['a/0001_x.up.sql', 'b/0001_x.down.sql'])).toBeUndefined();
    // A runner of the project's own counting each folder's files (claircore's indexer/ and matcher/), postgrator's.
    expect(separateHistories(['indexer/01-init.sql', 'indexer/02-more.sql', 'matcher/01-init.sql'])).toEqual({ version: '1', folders: ['indexer', 'matcher'] });
    expect(separateHistories(['a/001.do.sql', 'a/001.undo.sql', 'b/001.do.sql'])).toEqual({ version: '1', folders: ['a', 'b'] });
    // Names without a version are no history's count.
    expect(separateHistories(['a/init.sql', 'b/init.sql'])).toBeUndefined();
  });
});

/**
 * PostgreSQL extension scripts (test/fixtures/lint-layouts/extension/, as citus writes them):
 * `<ext>--<version>.sql` installs, `<ext>--<from>--<to>.sql` updates, or goes back to an older
 * version. CREATE EXTENSION and ALTER EXTENSION ... UPDATE run all the scripts one command needs in
 * one transaction, with search_path set to the control file's schema (PostgreSQL's "Packaging
 * Related Objects into an Extension": Extension Updates).
 */
describe('PostgreSQL extension scripts', () => {
  const dir = `${fixtures}/extension`;

  it('orders versions as their authors number them, an install before its updates, a downgrade after the update it undoes', () => {
    expect(compareExtensionVersions('9.1-1', '9.2-1')).toBeLessThan(0);
    expect(compareExtensionVersions('9.2-1', '10.0-1')).toBeLessThan(0);
    expect(compareExtensionVersions('10.0-1', '11.0-1')).toBeLessThan(0);
    expect(compareExtensionVersions('8.0-9', '8.0-10')).toBeLessThan(0);
    expect(compareExtensionVersions('1.2', '1.10')).toBeLessThan(0);
    expect(compareExtensionVersions('1.0', '1.0')).toBe(0);
    const names = ['citus--10.0-4--10.1-1.sql', 'citus--8.0-1.sql', 'downgrades/citus--10.1-1--10.0-4.sql', 'citus--9.5-1--10.0-4.sql', 'citus--8.0-9--8.0-10.sql', 'citus--8.0-1--8.0-9.sql', 'citus--9.5-2--9.5-1.sql', 'citus--9.5-1--9.5-2.sql', 'citus--8.0-10--9.5-1.sql'];
    const expected = ['citus--8.0-1.sql', 'citus--8.0-1--8.0-9.sql', 'citus--8.0-9--8.0-10.sql', 'citus--8.0-10--9.5-1.sql', 'citus--9.5-1--9.5-2.sql', 'citus--9.5-2--9.5-1.sql', 'citus--9.5-1--10.0-4.sql', 'citus--10.0-4--10.1-1.sql', 'downgrades/citus--10.1-1--10.0-4.sql'];
    expect(migrationOrder(names.map((n) => `sql/${n}`))).toEqual(expected.map((n) => `sql/${n}`));
    expect(migrationOrder([...names].reverse().map((n) => `sql/${n}`))).toEqual(expected.map((n) => `sql/${n}`));
    expect(names.filter((n) => isRollbackFile(n))).toEqual(['downgrades/citus--10.1-1--10.0-4.sql', 'citus--9.5-2--9.5-1.sql']);
    // Names a migration folder may hold are no extension scripts: no version after the `--`, or no name before it.
    for (const name of ['0001--init.sql', 'add--users.sql', 'x--1.0-.sql', 'x---1.0.sql', 'x--1.0--2.0--3.0.sql']) expect(extensionScriptOf(name), name).toBeUndefined();
  });

  it('starts from an installed extension when the first script is an update: a type it drops IF EXISTS ... CASCADE may be there (pg_search, the twenty-eighth trial\'s re-check of M1)', async () => {
    const updates = {
      'myext--1.0--1.1.sql': 'CREATE TABLE myext.cache (id int);\n',
      'myext--1.1--1.2.sql': 'DROP TYPE IF EXISTS myext.icu CASCADE;\nCREATE TYPE myext.icu;\n',
    };
    const found = async (files: Record<string, string>) => (await lint({ files: Object.keys(files), fileTransaction: true, config: { searchPath: ['myext'] } }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG214').map((d) => d.file);
    expect(await found(updates)).toEqual(['myext--1.1--1.2.sql']);
    // With its install script first, the files make the extension from the first: a database they made has no such type.
    expect(await found({ 'myext--1.0.sql': 'CREATE TABLE myext.base (id int);\n', ...updates })).toEqual([]);
  });

  it('is linted as one run: the chain in version order, the downgrade judged after its update, MG220 only for another library', async () => {
    const { files, diagnostics } = await findMigrations(['.'], dir);
    // Their order is known, not guessed by name (no MG024 note).
    expect(diagnostics).toEqual([]);
    expect(files).toEqual(['myext--1.0.sql', 'myext--1.0--1.1.sql', 'myext--1.1--1.2.sql', 'myext--1.2--1.1.sql', 'myext--1.2--1.10.sql']);
    const result = await lint({ files, runTransaction: true, config: { searchPath: ['pg_catalog'] } }, nodeHost(dir));
    const found = result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.code} ${d.message.replace(/ with no lock_timeout set before it .*/, '')}`);
    expect(found).toEqual([
      // '$libdir/other' is not myext's library; 'MODULE_PATHNAME' and '$libdir/myext' are.
      'myext--1.0--1.1.sql:8 MG220 this statement reaches outside the database: a function in LANGUAGE c runs code in the server\'s process, with its rights on the host',
      // The downgrade is ALTER EXTENSION myext UPDATE TO '1.1' of its own, after 1.1--1.2 ran: it drops only what that made.
      'myext--1.2--1.1.sql:2 MG219 ALTER TABLE DROP COLUMN waits for an ACCESS EXCLUSIVE lock on pg_catalog.pg_dist_thing',
      'myext--1.2--1.10.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
    ]);
  });

  it('keeps MG220 for the same LANGUAGE c function in a file not named as an extension script', async () => {
    const fn = "CREATE FUNCTION f() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', $$f$$;\n";
    const codes = async (file: string) => (await lint({ files: [file] }, memoryHost({ [file]: fn }))).diagnostics.map((d) => d.code);
    expect(await codes('myext--1.0.sql')).toEqual([]);
    expect(await codes('001_functions.sql')).toEqual(['MG220']);
    // '$libdir/<name>' and the bare name are the extension's own library only in its own scripts.
    const other = "CREATE FUNCTION f() RETURNS void LANGUAGE c AS '$libdir/myext', $$f$$;\n";
    expect((await lint({ files: ['otherext--1.0.sql'] }, memoryHost({ 'otherext--1.0.sql': other }))).diagnostics.map((d) => d.code)).toEqual(['MG220']);
  });

  it('says on stderr how to lint them, unless a search path is given with --run-transaction or --file-transaction', async () => {
    const run = (args: string[]) => new Promise<string>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', '.', ...args], { cwd: dir, env: cliEnv() }, (_error, _stdout, stderr) => resolve(stderr));
    });
    const note = 'migc: note: myext--1.0.sql and the others are named as the scripts of PostgreSQL extension myext: CREATE EXTENSION and ALTER EXTENSION ... UPDATE run every script one command needs (the chain of updates from the installed version to the new one) in one transaction, with search_path set to the schema of the extension\'s control file, then pg_catalog: pass --run-transaction --search-path <the control file\'s schema, or the one CREATE EXTENSION ... SCHEMA installs it in when the file names none> to lint them so, or --file-transaction --search-path <schema> to read each script as a command of its own (a whole history, in CI) (the downgrade scripts are read as rollbacks of the updates they undo, each after its update)\n';
    expect(await run([])).toContain(note);
    // A folder of many scripts: lint the chain one command runs (the twenty-second trial's pg_partman, 88 scripts in one run).
    const added = [3, 4, 5, 6, 7, 8].map((v) => `myext--1.1${v - 1}--1.1${v}.sql`);
    for (const f of added) writeFileSync(join(dir, f), 'SELECT 1;\n');
    expect(await run([])).toContain(`each after its update). Lint the scripts one command runs, not the whole folder at once: over ${readdirSync(dir).filter((f) => f.endsWith('.sql')).length} scripts in one run, what the first made is new to all the others, and a lock one takes is held in every later one; for an update, the chain from the oldest release your users run to the new one: migc lint --run-transaction --search-path <schema> <those scripts>\n`);
    for (const f of added) rmSync(join(dir, f));
    // Each script a command of its own, a whole history (the twenty-seventh trial's N3): no note.
    expect(await run(['--file-transaction', '--search-path', 'pg_catalog'])).not.toContain('migc: note:');
    expect(await run(['--file-transaction'])).toContain(note);
    expect(await run(['--run-transaction'])).toContain(note);
    expect(await run(['--run-transaction', '--search-path', 'pg_catalog'])).not.toContain('migc: note:');
  });
});
