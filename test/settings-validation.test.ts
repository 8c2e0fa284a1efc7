import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxTableRows } from '../src/analyze/tables.js';
import { inputCodes } from '../src/diagnostics/codes.js';
import { withAssumedRows } from '../src/workspace/config.js';
import { postgresMajors, postgresMajorsText } from '../src/normalize/postgres-versions.js';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';
import { brief, cliEnv, compileFiles, minimalPlan, root } from './helpers.js';

/**
 * Plan settings and inputs the schema once let through although the scripts cannot use them as
 * meant: each is refused (or, for statement_timeout 0, said) at its line and column.
 */
const withSettings = (settings: string, plan = minimalPlan) => plan.replace('phases:', `${settings.trimEnd()}\nphases:`);
const check = async (plan: string) => brief(await compileFiles({ 'plans/p.yaml': plan }));

describe('lock_timeout and statement_timeout', () => {
  it.each(['0', '0ms', '0s', '00min', '0h'])('lock_timeout "%s" is refused: it turns the timeout off', async (value) => {
    const found = await check(withSettings(`settings:\n  lock_timeout: "${value}"`));
    expect(found).toEqual([`8:17 error MG116 settings.lock_timeout is ${value}, which turns lock_timeout off in PostgreSQL: a step waiting for its lock would wait as long as the lock is held, and every query on its table would queue behind it`]);
  });

  it('a bare 0 is no duration the schema takes, and its help says why not 0', async () => {
    const result = await compileFiles({ 'plans/p.yaml': withSettings('settings:\n  lock_timeout: 0') });
    expect(brief(result)).toEqual(['8:17 error MG010 settings.lock_timeout must be a string; got number 0']);
    expect(result.diagnostics[0]!.help).toContain('Not 0, which turns it off in PostgreSQL');
  });

  it('a lock_timeout not shorter than statement_timeout is refused where it is written, or at the statement_timeout that undercuts the default', async () => {
    expect(await check(withSettings('settings:\n  lock_timeout: 15min'))).toEqual([
      '8:17 error MG116 settings.lock_timeout (15min) is not shorter than statement_timeout (15min): a step waiting for its lock is cancelled by statement_timeout first, so it is never tried again (lock_retries)',
    ]);
    expect((await check(withSettings('settings:\n  statement_timeout: 3s')))).toEqual([
      '8:22 error MG116 settings.lock_timeout (5s) is not shorter than statement_timeout (3s): a step waiting for its lock is cancelled by statement_timeout first, so it is never tried again (lock_retries)',
    ]);
    expect(await check(withSettings('settings:\n  lock_timeout: 2s\n  statement_timeout: 3s\n  lock_retries: 0'))).toEqual([]);
  });

  it('all the tries of a part (lock_timeout each, and the waits between) must fit in statement_timeout: one CALL runs them', async () => {
    expect(await check(withSettings('settings:\n  lock_timeout: 1min\n  lock_retries: 20'))).toEqual([
      '9:17 error MG116 settings.lock_timeout (1min) tried 21 times (lock_retries: 20) can wait up to 32min with the waits between tries, longer than statement_timeout (15min): a step\'s last tries would be cancelled by statement_timeout instead of ending with "found no lock"',
    ]);
    // 6 tries of 2min 30s fill 15min before any wait; 6 of 2min and the waits (at most 23.25 s) fit.
    expect((await check(withSettings('settings:\n  lock_timeout: 150s')))[0]).toMatch(/^8:17 error MG116 settings.lock_timeout \(150s\) tried 6 times \(lock_retries: 5\) can wait up to 15min/);
    expect(await check(withSettings('settings:\n  lock_timeout: 2min'))).toEqual([]);
    expect(await check(withSettings('settings:\n  lock_timeout: 2s\n  statement_timeout: 3s')))
      .toEqual([expect.stringMatching(/^8:17 error MG116 settings.lock_timeout \(2s\) tried 6 times .* up to 35s /)]);
  });

  it('statement_timeout 0 is a warning, and the scripts then lift nothing around statements that block nobody', async () => {
    const plan = withSettings('settings:\n  statement_timeout: 0s', minimalPlan.replace('sql: ALTER TABLE t ADD COLUMN c integer;', 'sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c);').replace('sql: ALTER TABLE t DROP COLUMN c;', 'sql: DROP INDEX CONCURRENTLY IF EXISTS t_c_idx;'));
    const result = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
    expect(brief(result).filter((d) => d.includes('MG11'))).toEqual([
      '8:22 warning MG117 settings.statement_timeout is 0s, which turns statement_timeout off in PostgreSQL: a statement holding a lock that blocks reads or writes (a table rewrite under ACCESS EXCLUSIVE) runs as long as it takes, with the application waiting behind it',
    ]);
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    expect(up).toContain("SET statement_timeout = '0s';");
    expect(up).not.toContain('statement_timeout is lifted');
    expect(up.match(/SET statement_timeout/g)).toHaveLength(1);
  });

  it('MG117 can be turned off in migc.config.json; MG116 cannot', async () => {
    const { compile } = await import('../src/compile.js');
    const { memoryHost } = await import('../src/host.js');
    const files = { 'plans/p.yaml': withSettings('settings:\n  statement_timeout: 0s'), 'migc.config.json': '{ "rules": { "MG117": "off" } }' };
    const { loadProjectConfig } = await import('../src/workspace/config.js');
    const host = memoryHost(files);
    const loaded = await loadProjectConfig(host, 'migc.config.json');
    expect(loaded.diagnostics).toEqual([]);
    const off = await compile({ files: ['plans/p.yaml'], config: loaded.config! }, host);
    expect(off.diagnostics.map((d) => d.code)).toEqual([]);
    const refused = await loadProjectConfig(memoryHost({ 'migc.config.json': '{ "rules": { "MG116": "off" } }' }), 'migc.config.json');
    expect(refused.diagnostics.map((d) => d.code)).toEqual(['MG052']);
  });

  it.each([
    ['statement_timeout', '25d', '8:22'],
    ['statement_timeout', '2147484s', '8:22'],
    ['lock_timeout', '99999999999999999999ms', '8:17'],
  ])('%s %s is more than PostgreSQL accepts', async (key, value, at) => {
    const found = await check(withSettings(`settings:\n  ${key}: ${value}`));
    expect(found[0]).toBe(`${at} error MG118 settings.${key} is ${value}, more than PostgreSQL accepts: its largest ${key} is 2147483647ms (about 24d 20h), so SET ${key} would fail when the script starts`);
  });

  it('the longest timeouts PostgreSQL accepts pass', async () => {
    expect(await check(withSettings('settings:\n  lock_timeout: 2147483646ms\n  statement_timeout: 2147483647ms\n  lock_retries: 0'))).toEqual([]);
  });
});

describe('the engine version', () => {
  it.each(['postgresql@99', 'postgresql@19', 'postgresql@9', 'postgresql@0'])('%s is refused, with the versions migc knows', async (engine) => {
    const found = await check(minimalPlan.replace('engine: postgresql@15', `engine: ${engine}`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^6:9 error MG119 engine ${engine}: PostgreSQL \\d+ is not a version migc knows: it knows PostgreSQL 10 to 18`));
  });

  it.each(['postgresql@19.1', 'postgresql@9.6'])('%s is refused by its major', async (engine) => {
    const found = await check(minimalPlan.replace('engine: postgresql@15', `engine: ${engine}`));
    expect(found.join('\n')).toMatch(new RegExp(`MG119 engine ${engine.replace('.', '\\.')}: PostgreSQL ${engine.slice(11).split('.')[0]} is not a version migc knows`));
  });
  it.each(['postgresql@14.', 'postgresql@14.3.1', 'postgresql@'])('%s is not an engine', async (engine) => {
    expect((await check(minimalPlan.replace('engine: postgresql@15', `engine: ${engine}`))).join('\n')).toContain('MG010');
  });
  it.each(['postgresql@11', 'postgresql@18', 'postgresql', 'postgresql@14.3'])('%s is taken', async (engine) => {
    expect(await check(minimalPlan.replace('engine: postgresql@15', `engine: ${engine}`))).toEqual([]);
  });

  it('postgresql@10 is known, but cannot run the scripts: they CALL procedures, which came in 11 (migc lint still judges SQL for 10)', async () => {
    expect(await check(minimalPlan.replace('engine: postgresql@15', 'engine: postgresql@10'))).toEqual([
      "6:9 error MG119 engine postgresql@10: PostgreSQL 10 cannot run migc's scripts: each step runs through a procedure (CALL), which PostgreSQL 11 introduced",
    ]);
  });

  it('a plan without a version of its own that takes 10 from the config is refused the same way, at its engine', async () => {
    const found = brief(await compile({ files: ['plans/p.yaml'], config: { postgres: 10 } }, memoryHost({ 'plans/p.yaml': minimalPlan.replace('engine: postgresql@15', 'engine: postgresql') })));
    expect(found).toEqual(["6:9 error MG119 engine postgresql takes its version from migc.config.json (postgres): PostgreSQL 10 cannot run migc's scripts: each step runs through a procedure (CALL), which PostgreSQL 11 introduced"]);
  });

  it('has one range: the schemas, the code list and the messages say the same', () => {
    const plan = JSON.parse(readFileSync(`${root}schema/plan.schema.json`, 'utf8'));
    const config = JSON.parse(readFileSync(`${root}schema/config.schema.json`, 'utf8'));
    expect(plan.properties.engine.description).toContain(postgresMajorsText);
    expect(config.properties.postgres.description).toContain(postgresMajorsText);
    expect([config.properties.postgres.minimum, config.properties.postgres.maximum]).toEqual([postgresMajors.oldest, postgresMajors.newest]);
    expect(inputCodes.find((c) => c.code === 'MG119')!.summary).toContain(postgresMajorsText);
  });
});

describe('sizes', () => {
  it.each([
    ['1e20', '8:18 error MG010 tables.users.rows must be <= 5000000000000'],
    ['5000000000001', '8:18 error MG010 tables.users.rows must be <= 5000000000000'],
    ['1.5', '8:18 error MG010 tables.users.rows must be a whole number; got number 1.5'],
    ['-1', '8:18 error MG010 tables.users.rows must be >= 0'],
  ])('rows: %s is refused', async (rows, expected) => {
    expect(await check(withSettings(`tables:\n  users: { rows: ${rows} }`))).toEqual([expected]);
  });

  it('one bound for rows: the plan schema, the config schema and --assume-rows', async () => {
    const plan = JSON.parse(readFileSync(`${root}schema/plan.schema.json`, 'utf8'));
    const config = JSON.parse(readFileSync(`${root}schema/config.schema.json`, 'utf8'));
    expect(plan.properties.tables.additionalProperties.properties.rows.maximum).toBe(maxTableRows);
    expect(config.properties.assume_rows.additionalProperties.maximum).toBe(maxTableRows);
    expect(withAssumedRows(undefined, [`users=${maxTableRows}`]).ok).toBe(true);
    expect(withAssumedRows(undefined, ['users=99999999999999999999'])).toEqual({ ok: false, message: '--assume-rows users=99999999999999999999: at most 5,000,000,000,000 rows, more than any PostgreSQL table holds' });
  });

  it('rows up to what a table can hold pass', async () => {
    expect(await check(withSettings('tables:\n  t: { rows: 5000000000000 }'))).toEqual([]);
  });

  it.each([['0', 'must be >= 1'], ['1e20', 'must be <= 9007199254740991'], ['2.5', 'must be a whole number; got number 2.5']])('batch size %s is refused', async (size, expected) => {
    const plan = minimalPlan.replace('sql: ALTER TABLE t ADD COLUMN c integer;', `sql: UPDATE t SET c = 1 WHERE c IS NULL\n        batch: { size: ${size} }`);
    const found = await check(plan);
    expect(found.filter((d) => d.includes('MG010'))).toEqual([`13:24 error MG010 phases[0].steps[0].batch.size ${expected}`]);
  });
});

describe('batch pauses', () => {
  const batched = (pause: string) => minimalPlan.replace('sql: ALTER TABLE t ADD COLUMN c integer;', `sql: UPDATE t SET c = 1 WHERE c IS NULL\n        batch: { size: 1000, pause: ${pause} }`);
  it.each(['61min', '2h', '1d'])('a pause of %s is refused', async (pause) => {
    expect((await check(batched(pause))).filter((d) => d.includes('MG118'))).toEqual([`13:37 error MG118 batch pause ${pause} is longer than an hour between two batches: with thousands of batches the step would take weeks`]);
  });
  it.each(['0', '100ms', '1h'])('a pause of %s is taken', async (pause) => {
    expect((await check(batched(pause))).filter((d) => d.includes('MG118'))).toEqual([]);
  });
});

describe('migc lint --postgres', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'migc-lint-postgres-'));
    writeFileSync(join(dir, 'a.sql'), 'ALTER TABLE t ADD COLUMN c integer;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lint = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', 'a.sql', ...args], { cwd: dir, env: cliEnv() }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
    });
  });

  it('takes the same range as a plan\'s engine, with the same words', async () => {
    const high = await lint(['--postgres', '99']);
    expect(high.code).toBe(2);
    expect(high.stderr).toContain('--postgres 99: PostgreSQL 99 is not a version migc knows: it knows PostgreSQL 10 to 18 (its SQL parser is PostgreSQL 18\'s)');
    const low = await lint(['--postgres', '9']);
    expect(low.code).toBe(2);
    expect(low.stderr).toContain('--postgres 9: PostgreSQL 9 is not a version migc knows: it knows PostgreSQL 10 to 18');
    const hex = await lint(['--postgres', '0x0f']);
    expect(hex.code).toBe(2);
    expect(hex.stderr).toContain('--postgres takes a PostgreSQL version such as 15, or 14.3 with its minor release; got 0x0f');
    for (const bad of ['14.', '14.3.1', '.3']) expect((await lint(['--postgres', bad])).stderr).toContain(`got ${bad}`);
    expect((await lint(['--postgres', '19.1'])).stderr).toContain('--postgres 19.1: PostgreSQL 19 is not a version migc knows');
    expect((await lint(['--postgres', '18'])).code).toBe(0);
    expect((await lint(['--postgres', '10'])).code).toBe(0);
  });

  it('takes --search-path as PostgreSQL reads a connection\'s, and refuses a list it refuses', async () => {
    const bad = await lint(['--search-path', 'storage,,public']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--search-path storage,,public: PostgreSQL refuses it ("List syntax is invalid")');
    expect((await lint(['--search-path', 'storage,public'])).code).toBe(0);
  });

  it('takes a minor release, from --postgres or the config, and MG240 judges it', async () => {
    writeFileSync(join(dir, 'cic.sql'), 'SET lock_timeout = \'1s\';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c);\n');
    const cic = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', 'cic.sql', ...args], { cwd: dir, env: cliEnv() }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
    try {
      const flagged = await cic(['--postgres', '14.3']);
      expect(flagged.code).toBe(1);
      expect(flagged.stdout).toContain('error MG240 PostgreSQL 14.3 can build the index t_c_idx on t with rows missing');
      expect((await cic(['--postgres', '14.4'])).stdout).not.toContain('MG240');
      expect((await cic(['--postgres', '14'])).stdout).not.toContain('MG240');
      writeFileSync(join(dir, 'migc.config.json'), '{ "postgres": "14.2" }\n');
      expect((await cic([])).stdout).toContain('error MG240 PostgreSQL 14.2 can build');
      // --postgres names the whole version: the config's minor is not kept under another.
      expect((await cic(['--postgres', '14'])).stdout).not.toContain('MG240');
    } finally {
      rmSync(join(dir, 'migc.config.json'), { force: true });
      rmSync(join(dir, 'cic.sql'));
    }
  });

  it.each([
    ['"19.1"', /migc\.config\.json:1:15 error MG010 postgres "19\.1": PostgreSQL 19 is not a version migc knows/],
    ['14.3', /migc\.config\.json:1:15 error MG010 postgres 14\.3 is a number with a fraction: as a number, a minor release cannot be told apart \(14\.10 reads 14\.1\)\n[^]*help: Write it as a string: "postgres": "14\.3"/],
    ['"abc"', /migc\.config\.json:1:15 error MG010 postgres "abc" is not a PostgreSQL version\n[^]*help: For example "postgres": 15, or "postgres": "14\.3" with its minor release \(a string\)\. Name the version the server runs: SHOW server_version says it\./],
    ['true', /migc\.config\.json:1:15 error MG010 postgres true is not a PostgreSQL version/],
  ])('refuses a config whose postgres is %s', async (value, expected) => {
    writeFileSync(join(dir, 'migc.config.json'), `{ "postgres": ${value} }\n`);
    try {
      const r = await lint([]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
    } finally {
      rmSync(join(dir, 'migc.config.json'));
    }
  });

  it('refuses a config whose postgres is out of the range', async () => {
    writeFileSync(join(dir, 'migc.config.json'), '{ "postgres": 99 }\n');
    try {
      const r = await lint([]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/migc\.config\.json:1:15 error MG\d+ postgres must be <= 18/);
    } finally {
      rmSync(join(dir, 'migc.config.json'));
    }
  });
});
