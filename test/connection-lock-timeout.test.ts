import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint, type LintOptions } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadProjectConfig, readLockTimeout } from '../src/workspace/config.js';
import { cliEnv, root } from './helpers.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * `migc lint --lock-timeout 15s` (and "lock_timeout" in migc.config.json): the lock_timeout the
 * migration tool's connection sets before it runs the files (GoAlert's runner sends
 * `SET lock_timeout = 15000` at connect), which bounds every lock wait until a file sets it
 * otherwise: MG219 is not said of them.
 */
async function mg219Lines(files: Record<string, string>, options: Omit<LintOptions, 'files'>): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)), ...options }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG219').map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span!.start).line}`);
}

const connection = (value: string) => ({ config: { lockTimeout: readLockTimeout(value)! } });

describe('the lock_timeout the tool\'s connection sets', () => {
  const files = {
    '1_a.sql': 'ALTER TABLE alerts ADD COLUMN note text;\n',
    '2_b.sql': 'SET lock_timeout = 0;\nALTER TABLE alerts DROP COLUMN note;\n',
    '3_c.sql': '-- +migrate Up\nALTER TABLE users ADD COLUMN tier text;\n-- +migrate Down\nALTER TABLE users DROP COLUMN tier;\n',
  };

  it('bounds every session\'s waits, a down part\'s too, until a file turns it off', async () => {
    expect(await mg219Lines(files, { fileTransaction: true })).toEqual(['1_a.sql:1', '2_b.sql:2', '3_c.sql:2', '3_c.sql:4']);
    expect(await mg219Lines(files, { fileTransaction: true, ...connection('15s') })).toEqual(['2_b.sql:2']);
    // Statement by statement, and in one run's transaction, alike.
    expect(await mg219Lines(files, connection('15000'))).toEqual(['2_b.sql:2']);
    expect(await mg219Lines({ '1_a.sql': files['1_a.sql'], '2_b.sql': 'ALTER TABLE users ADD COLUMN x int;\n' }, { runTransaction: true, ...connection('1min') })).toEqual([]);
    // 0 is no timeout: as if none were given.
    expect(await mg219Lines(files, { fileTransaction: true, ...connection('0') })).toEqual(['1_a.sql:1', '2_b.sql:2', '3_c.sql:2', '3_c.sql:4']);
  });

  it('a Liquibase changelog and Flyway\'s beforeEachMigrate callback start from it too', async () => {
    const changelog = '--liquibase formatted sql\n--changeset a:1\nALTER TABLE users ADD COLUMN tier text;\n';
    expect(await mg219Lines({ 'changelog.sql': changelog }, {})).toEqual(['changelog.sql:3']);
    expect(await mg219Lines({ 'changelog.sql': changelog }, connection('5s'))).toEqual([]);
    const flyway = { 'beforeEachMigrate.sql': 'SET search_path = public;\n', 'V1__a.sql': 'ALTER TABLE users ADD COLUMN tier text;\n' };
    expect(await mg219Lines(flyway, { fileTransaction: true })).toEqual(['V1__a.sql:1']);
    expect(await mg219Lines(flyway, { fileTransaction: true, ...connection('5s') })).toEqual([]);
  });

  for (const engine of sqlEngines()) {
    it(`is read as PostgreSQL reads the setting (${engine.name})`, async () => {
      const db = await engine.open();
      try {
        for (const value of ['15s', '15 s', '1.5s', '500ms', '15000', '1min', '1 h', '2d', '0', '0.4', '0.6', '100us', '600us', '2147483647', '2147483648', '25d', '15S', '15x', '-1', '', 's']) {
          const read = readLockTimeout(value);
          const said = await db.run(`SET lock_timeout = '${value}'; SHOW lock_timeout`).then((r) => r, (e: Error) => e);
          if (said instanceof Error) {
            expect(read, value).toBeUndefined();
            await db.run('ROLLBACK').catch(() => undefined);
            continue;
          }
          expect(read, value).toBeDefined();
          const shown = rowsOf(said).at(-1)!.lock_timeout;
          expect(read!.bounds, `${value}: PostgreSQL shows ${shown}`).toBe(shown !== '0');
        }
      } finally {
        await db.close();
      }
    });
  }

  it('is "lock_timeout" in migc.config.json: a string or milliseconds; one PostgreSQL refuses is MG010 at its line', async () => {
    const read = (text: string) => loadProjectConfig(memoryHost({ 'migc.config.json': text }), undefined);
    expect((await read('{ "lock_timeout": "15s" }')).config?.lockTimeout).toEqual({ value: '15s', bounds: true });
    expect((await read('{ "lock_timeout": 15000 }')).config?.lockTimeout).toEqual({ value: '15000', bounds: true });
    const bad = await read('{\n  "lock_timeout": "15x"\n}');
    expect(bad.config).toBeUndefined();
    expect(bad.diagnostics).toMatchObject([{ code: 'MG010', severity: 'error', message: expect.stringContaining('lock_timeout "15x": PostgreSQL reads a lock_timeout as milliseconds') }]);
    expect(bad.sources.get('migc.config.json')!.position(bad.diagnostics[0]!.span!.start).line).toBe(2);
  });

  it('is the CLI flag --lock-timeout, over the config; a value PostgreSQL refuses is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-lock-timeout-'));
    const migc = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', '.', ...args], { cwd: dir, env: cliEnv({}) }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }));
    });
    try {
      writeFileSync(join(dir, '1_a.sql'), files['1_a.sql']);
      expect((await migc()).stdout).toContain('MG219');
      expect((await migc('--lock-timeout', '15s'))).toMatchObject({ code: 0, stdout: '' });
      writeFileSync(join(dir, 'migc.config.json'), '{ "lock_timeout": "15s" }\n');
      expect((await migc())).toMatchObject({ code: 0, stdout: '' });
      expect((await migc('--lock-timeout', '0')).stdout).toContain('MG219');
      const refused = await migc('--lock-timeout', '15x');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--lock-timeout 15x: PostgreSQL reads a lock_timeout as milliseconds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
