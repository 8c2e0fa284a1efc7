import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findSqlFiles } from '../src/cli/files.js';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { fileSections, flywayConfSaysNoTransaction, isRollbackFile, migrationOrder } from '../src/lint-files.js';
import { root } from './helpers.js';

/**
 * test/fixtures/lint-layouts/<tool>/: one migration folder per tool's layout (Flyway, golang-migrate,
 * dbmate, goose, diesel), linted in the order the tool runs it, each down after its own up.
 */
const fixtures = `${root}test/fixtures/lint-layouts`;

async function lintFolder(dir: string, options: { fileTransaction?: boolean } = {}) {
  const cwd = `${fixtures}/${dir}`;
  const files = await findSqlFiles(['.'], cwd);
  const result = await lint({ files, ...options }, nodeHost(cwd));
  const found = result.diagnostics.map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.code} ${d.message.replace(/ rewrites events.*/, '')}`);
  return { files, found };
}

describe('migrationOrder', () => {
  it('orders Flyway versions part by part as numbers, undo after its version, repeatables last', () => {
    const names = ['R__views.sql', 'V10__d.sql', 'V2__c.sql', 'U10__d.sql', 'V1.10__b.sql', 'V1.9__a.sql', 'V1__init.sql', 'V1_5__u.sql', 'U3__orphan.sql', 'R__a_first.sql'];
    const expected = ['V1__init.sql', 'V1_5__u.sql', 'V1.9__a.sql', 'V1.10__b.sql', 'V2__c.sql', 'U3__orphan.sql', 'V10__d.sql', 'U10__d.sql', 'R__a_first.sql', 'R__views.sql'];
    expect(migrationOrder(names.map((n) => `db/${n}`))).toEqual(expected.map((n) => `db/${n}`));
    // The same whatever order the files were found in.
    expect(migrationOrder([...names].reverse().map((n) => `db/${n}`))).toEqual(expected.map((n) => `db/${n}`));
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

  it('does not pair downs across folders or names: same version elsewhere is another migration', () => {
    expect(migrationOrder(['b/1_x.down.sql', 'a/1_x.up.sql', 'a/1_y.down.sql'])).toEqual(['a/1_x.up.sql', 'a/1_y.down.sql', 'b/1_x.down.sql']);
  });

  it('orders a folder that mixes layouts as one history', () => {
    const names = ['db/seed.sql', 'db/R__views.sql', 'db/V2__b.sql', 'db/1_a.down.sql', 'db/1_a.up.sql', 'db/structure/3_c/up.sql', 'db/structure/3_c/down.sql', 'db/U2__b.sql'];
    expect(migrationOrder(names)).toEqual(['db/1_a.up.sql', 'db/1_a.down.sql', 'db/V2__b.sql', 'db/U2__b.sql', 'db/structure/3_c/up.sql', 'db/structure/3_c/down.sql', 'db/seed.sql', 'db/R__views.sql']);
  });

  it('is fast: 20,000 files in well under a second', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => [`m/${10_000 - i}_x.up.sql`, `m/${10_000 - i}_x.down.sql`]).flat();
    const started = performance.now();
    const ordered = migrationOrder(names);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(ordered.slice(0, 3)).toEqual(['m/1_x.up.sql', 'm/1_x.down.sql', 'm/2_x.up.sql']);
  });
});

describe('what a name or a marker says', () => {
  it('knows rollback files by name', () => {
    expect(['m/1_x.down.sql', 'm/2024-01-01-000000_x/down.sql', 'm/U1.2__x.sql'].map(isRollbackFile)).toEqual([true, true, true]);
    expect(['m/1_x.up.sql', 'm/down_payments.sql', 'm/V1__down.sql', 'm/Undo__x.sql', 'm/breakdown.sql'].map(isRollbackFile)).toEqual([false, false, false, false, false]);
  });

  it('reads Flyway script config files', () => {
    expect(flywayConfSaysNoTransaction('# comment\nexecuteInTransaction=false\n')).toBe(true);
    expect(flywayConfSaysNoTransaction('executeInTransaction = FALSE')).toBe(true);
    expect(flywayConfSaysNoTransaction('executeInTransaction=true\n')).toBe(false);
    expect(flywayConfSaysNoTransaction('# executeInTransaction=false\nencoding=UTF-8\n')).toBe(false);
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
    expect(fileSections('SELECT 1;\n', true)).toEqual([{ start: 0, end: 10, rollback: true, noTransaction: false }]);
  });
});

describe('lint over each tool\'s layout', () => {
  it('Flyway: V1.10 after V1.9, V10 after V2, an undo judged after its version and not kept for the next', async () => {
    const { files, found } = await lintFolder('flyway');
    expect(files).toEqual(['V1__init.sql', 'V1_5__widen_note.sql', 'V1.9__narrow_note.sql', 'V1.10__widen_note_again.sql', 'V2__kind.sql', 'U3__orphan_undo.sql', 'V10__local_time.sql', 'U10__local_time.sql', 'V11__index_at.sql', 'V12__index_note.sql', 'R__recent_events.sql']);
    expect(found).toEqual([
      'V1.9__narrow_note.sql:2 MG212 changing events.note from varchar(300) to varchar(200)',
      // An undo without its V file stands at its version: after V1.10's varchar(400).
      'U3__orphan_undo.sql:2 MG212 changing events.note from varchar(400) to varchar(350)',
      'V10__local_time.sql:2 MG212 changing events.at from timestamptz to timestamp',
      'U10__local_time.sql:2 MG212 changing events.at from timestamp to timestamptz',
    ]);
  });

  it('Flyway under --file-transaction: a script whose .conf says executeInTransaction=false runs statement by statement', async () => {
    const { found } = await lintFolder('flyway', { fileTransaction: true });
    expect(found.filter((f) => f.includes('MG204'))).toEqual(['V12__index_note.sql:2 MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here']);
  });

  it('golang-migrate: a down that narrows what its up widened is found, and later files see the up, not the down', async () => {
    const { files, found } = await lintFolder('golang');
    expect(files).toEqual(['1_init.up.sql', '1_init.down.sql', '2_widen.up.sql', '2_widen.down.sql', '9_narrow_without_down.up.sql', '10_widen_again.up.sql', '11_down_without_up.down.sql']);
    expect(found).toEqual([
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

  it('dbmate: transaction:false on a section runs it statement by statement under --file-transaction; the other section stays in one', async () => {
    expect((await lintFolder('dbmate')).found).toEqual(['20240103120000_widen_note.sql:8 MG212 ignored (events is small in every environment): changing events.note from varchar(200) to varchar(100)']);
    expect((await lintFolder('dbmate', { fileTransaction: true })).found).toEqual([
      '20240102120000_index_at.sql:7 MG204 DROP INDEX CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it, and the migration fails here',
      '20240103120000_widen_note.sql:8 MG212 ignored (events is small in every environment): changing events.note from varchar(200) to varchar(100)',
    ]);
  });

  it('goose: -- +goose NO TRANSACTION, and the Down part judged as a rollback', async () => {
    const expected = ['00002_index_at.sql:8 MG212 changing events.note from varchar(100) to varchar(50)'];
    expect((await lintFolder('goose')).found).toEqual(expected);
    expect((await lintFolder('goose', { fileTransaction: true })).found).toEqual(expected);
  });

  it('diesel: <version>/down.sql is the rollback of up.sql beside it', async () => {
    const { files, found } = await lintFolder('diesel');
    expect(files[0]).toBe('00000000000000_diesel_initial_setup/up.sql');
    expect(found).toEqual(['2024-01-10-090000_widen_note/down.sql:2 MG212 changing events.note from varchar(200) to varchar(100)']);
  });

  it('a rollback does not make the tables its up created old, nor the next migration\'s new', async () => {
    const files = {
      'm/1_a.up.sql': 'CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n',
      'm/1_a.down.sql': "SET lock_timeout = '5s';\nCREATE INDEX a_id2 ON a (id);\n",
      'm/2_b.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX a_id3 ON a (id);\n",
    };
    const result = await lint({ files: migrationOrder(Object.keys(files)) }, memoryHost(files));
    // The down runs against what its up created; the next migration may run months later.
    expect(result.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['m/2_b.up.sql MG201']);
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

describe('migc lint (the real binary) on a Flyway folder', () => {
  const project = mkdtempSync(join(tmpdir(), 'migc-layouts-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  cpSync(`${fixtures}/flyway`, join(project, 'db'), { recursive: true });
  const migc = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: project, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });

  it('orders Flyway files by version and honours the .conf beside a script', async () => {
    const r = await migc(['lint', 'db', '--file-transaction', '--format', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: { file: string; code: string }[]; files: { file: string }[] };
    expect(out.files.map((f) => f.file).slice(0, 6)).toEqual(['db/V1__init.sql', 'db/V1_5__widen_note.sql', 'db/V1.9__narrow_note.sql', 'db/V1.10__widen_note_again.sql', 'db/V2__kind.sql', 'db/U3__orphan_undo.sql']);
    expect(out.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual(['db/V1.9__narrow_note.sql MG212', 'db/U3__orphan_undo.sql MG212', 'db/V10__local_time.sql MG212', 'db/U10__local_time.sql MG212', 'db/V12__index_note.sql MG204']);
    expect(r.stderr).toBe('');
  });

  it('reads the .conf beside a script named on the command line, in version order whatever the argument order', async () => {
    const r = await migc(['lint', 'db/V12__index_note.sql', 'db/V11__index_at.sql', '--file-transaction']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('db/V12__index_note.sql:2:1 error MG204 CREATE INDEX CONCURRENTLY cannot run inside a transaction block');
    expect(r.stdout).not.toContain('V11__index_at.sql:2:1 error MG204');
    expect(r.stderr).toBe('migc: linted 2 files: 1 error, 0 warnings\n');
  });
});
