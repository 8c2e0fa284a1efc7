import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { appStoppedRules } from '../src/workspace/config.js';
import { cliEnv, root } from './helpers.js';

/**
 * `migc lint --app-stopped` (and "app_stopped" in migc.config.json): the application is stopped
 * while the migrations run, so the lock and blocking rules are off or notes (appStoppedRules, as
 * the README's section says them), what costs downtime or fails stays, and the config's own
 * "rules" win over it. Four new users' trials copied that config from the README by hand.
 */
it('turns the lock and blocking rules down, keeps rewrites and refusals, and yields to the config\'s rules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'migc-app-stopped-'));
  const codes = (stdout: string) => (JSON.parse(stdout) as { diagnostics: { code: string; severity: string }[] }).diagnostics.map((d) => `${d.code} ${d.severity}`).sort();
  const migc = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', '.', '--format', 'json', ...args], { cwd: dir, env: cliEnv({}) }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
  try {
    writeFileSync(join(dir, '1_a.sql'), 'CREATE TABLE alerts (id bigint PRIMARY KEY, note varchar(20), n int);\n');
    writeFileSync(join(dir, '2_b.sql'), 'CREATE INDEX alerts_n ON alerts (n);\nALTER TABLE alerts ALTER COLUMN note TYPE varchar(10);\nALTER TABLE alerts DROP COLUMN nope;\nALTER TABLE alerts ADD CONSTRAINT alerts_n_check CHECK (n > 0);\n');
    const running = codes((await migc()).stdout);
    expect(running).toEqual(['MG201 error', 'MG209 error', 'MG212 error', 'MG219 warning', 'MG238 error']);
    // A validation's scan is the constraint's price: its NOT VALID recipe helps only a running application.
    // What it says fails on rows the table may hold stops the upgrade all the same: a warning
    // (readur's CHECK that a supported language code violates, the fortieth trial's C).
    const stopped = codes((await migc('--app-stopped')).stdout);
    expect(stopped).toEqual(['MG201 info', 'MG209 warning', 'MG212 error', 'MG238 error']);
    writeFileSync(join(dir, 'migc.config.json'), '{ "app_stopped": true }\n');
    expect(codes((await migc()).stdout)).toEqual(stopped);
    writeFileSync(join(dir, 'migc.config.json'), '{ "app_stopped": true, "rules": { "MG201": "warning" } }\n');
    expect(codes((await migc()).stdout)).toEqual(['MG201 warning', 'MG209 warning', 'MG212 error', 'MG238 error']);
    writeFileSync(join(dir, 'migc.config.json'), '{ "app_stopped": true, "rules": { "MG209": "info" } }\n');
    expect(codes((await migc()).stdout)).toEqual(['MG201 info', 'MG209 info', 'MG212 error', 'MG238 error']);
    // A unique index over rows that may share a key, NULLs under SET NOT NULL: warnings too; a column every row holds NULL in keeps its error.
    rmSync(join(dir, 'migc.config.json'));
    writeFileSync(join(dir, '2_b.sql'), 'CREATE UNIQUE INDEX alerts_note ON alerts (note);\nALTER TABLE alerts ALTER COLUMN n SET NOT NULL;\nALTER TABLE alerts ADD COLUMN m int;\nALTER TABLE alerts ALTER COLUMN m SET NOT NULL;\n');
    expect(codes((await migc('--app-stopped')).stdout)).toEqual(['MG201 warning', 'MG207 error', 'MG207 warning']);
    // A view dropped (no stored rows): no query of the application fails while it is stopped, a
    // note; a table dropped loses its rows, a warning still (iDempiere's -pre and -post files:
    // the thirty-third trial's B).
    writeFileSync(join(dir, '2_b.sql'), '');
    writeFileSync(join(dir, '2_b.sql'), 'CREATE VIEW alert_notes AS SELECT id, note FROM alerts;\n');
    writeFileSync(join(dir, '3_c.sql'), 'DROP VIEW alert_notes;\nDROP TABLE alerts;\n');
    expect(codes((await migc('--app-stopped')).stdout)).toEqual(['MG214 info', 'MG214 warning']);
    expect(codes((await migc()).stdout)).toEqual(['MG214 warning', 'MG214 warning', 'MG219 warning']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('is the README\'s list', async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('#### Migrations run while the application is stopped'));
  const block = /```json\n([\s\S]*?)```/.exec(section)![1]!;
  expect((JSON.parse(block) as { rules: Record<string, string> }).rules).toEqual(appStoppedRules);
});
