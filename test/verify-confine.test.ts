import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { memoryHost } from '../src/host.js';
import { serverEngine, type ServerEngine } from '../src/verify/engine.js';
import { redactUrl, scrub, urlSecrets } from '../src/verify/redact.js';
import { rehearsePlan, type RehearsalResult } from '../src/verify/rehearse.js';
import { builtinTemplates, cliEnv, root } from './helpers.js';

/**
 * migc verify --database-url stays in its rehearsal database: plan SQL runs as a restricted
 * role, signals and crashes leave nothing (or leftovers that are found and dropped), a server
 * that never answers times out, the password is never printed. The server tests need
 * MIGC_TEST_DATABASE_URL (a superuser URL); under CI=true verify.test.ts fails without it.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;
const tag = randomBytes(4).toString('hex');

function planYaml(parts: { baseline?: string; fixtures?: string; sql?: string; rollback?: string; verify?: string }): string {
  const block = (text: string, indent: string) => `|\n${text.split('\n').map((l) => `${indent}${l}`).join('\n')}`;
  return `migc: 1
id: hostile-${tag}
title: Hostile
type: schema
risk: low
engine: postgresql@15
baseline:
  sql: ${block(parts.baseline ?? 'CREATE TABLE t (id bigint PRIMARY KEY, n integer);', '    ')}
${parts.fixtures ? `fixtures:\n  sql: ${block(parts.fixtures, '    ')}\n` : ''}phases:
  - name: expand
    kind: expand
    steps:
      - id: change
        sql: ${block(parts.sql ?? 'ALTER TABLE t ADD COLUMN note text;', '          ')}
        rollback:
          sql: ${block(parts.rollback ?? (parts.sql === undefined ? 'ALTER TABLE t DROP COLUMN note;' : 'SELECT 1;'), '            ')}
${parts.verify ? `        verify:\n          - sql: ${parts.verify}\n            expect: 0\n` : ''}`;
}

/** Compiles a plan with MG220 turned off, as a project config could: the static rule bypassed. */
async function compileBypassingRule(yaml: string) {
  const compiled = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates(), config: { rules: { MG220: 'off' } } }, memoryHost({ 'plans/p.yaml': yaml }));
  const p = compiled.plans[0]!;
  expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return p;
}

function migc(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv(env) }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

let project: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'migc-confine-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

describe('the database URL\'s password', () => {
  it('is redacted from the URL, in the userinfo and as ?password=', () => {
    expect(redactUrl('postgres://app:hunter2@db:5432/x?password=s%40cret&sslmode=require')).toBe('postgres://app:***@db:5432/x?password=***&sslmode=require');
    expect(redactUrl('not a url hunter2')).not.toMatch(/hunter2/);
    const secrets = urlSecrets('postgres://app:p%40ss@db/x?password=a+b%2Bc');
    expect(scrub('p@ss p%40ss a+b%2Bc a+b+c a b+c', secrets)).not.toMatch(/p@ss|p%40ss|a\+b|a b\+c/);
  });
});

describe('migc verify on PGlite', () => {
  it('refuses a plan whose SQL reaches outside the database, even with MG220 turned off (MG065)', async () => {
    writeFileSync(join(project, 'p.yaml'), planYaml({ verify: "SELECT length(pg_read_file('/etc/hostname')) * 0" }));
    writeFileSync(join(project, 'migc.config.json'), JSON.stringify({ rules: { MG220: 'off' } }));
    const r = await migc(['verify', 'p.yaml'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/p\.yaml:\d+:\d+ error MG065 not rehearsed: a statement in a verification of step "change" reaches outside the database: pg_read_file\(\) reads or writes files on the database server/);
    expect(r.stdout).toMatch(/refused: its SQL reaches outside the database/);
  });

  it('--clean-leftovers without --database-url is a usage error', async () => {
    writeFileSync(join(project, 'p.yaml'), planYaml({}));
    const r = await migc(['verify', 'p.yaml', '--clean-leftovers'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --database-url too/);
  });
});

describe('a server that accepts connections and never answers', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('times out within the connect timeout, says so, exits 2, and never prints the password', async () => {
    writeFileSync(join(project, 'p.yaml'), planYaml({}));
    const url = `postgres://app:Hunter2Pw@127.0.0.1:${port}/app?password=Q7secretQ7`;
    const r = await migc(['verify', 'p.yaml', '--database-url', url, '--connect-timeout', '1'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did not answer within 1 s \(connect timeout\)/);
    expect(r.stderr).toContain(`postgres://app:***@127.0.0.1:${port}/app?password=***`);
    expect(r.ms).toBeLessThan(8_000);
    expect(r.stdout + r.stderr).not.toMatch(/Hunter2Pw|Q7secretQ7|internal error|    at /);
  });

  it('gives up after the engine\'s connect timeout, rather than hanging', async () => {
    const started = Date.now();
    const outcome = await serverEngine({ databaseUrl: `postgres://app@127.0.0.1:${port}/app`, connectTimeoutMs: 1500 });
    expect(outcome.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe.skipIf(!serverUrl)('on a real PostgreSQL server: confinement (needs MIGC_TEST_DATABASE_URL)', () => {
  let admin: pg.Client;
  let engine: ServerEngine;
  const canary = `migc_vc_canary_${tag}`;
  const evilRole = `migc_vc_evil_${tag}`;
  const proof = `/tmp/migc-vc-proof-${tag}`;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${canary}`);
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    engine = outcome.engine;
  });
  afterAll(async () => {
    await engine?.dispose();
    await admin.query(`DROP DATABASE IF EXISTS ${canary}`);
    await admin.query(`DROP ROLE IF EXISTS ${evilRole}`);
    await admin.end();
  });

  async function harmless(result: RehearsalResult) {
    expect(result.ok).toBe(false);
    expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [canary])).rowCount).toBe(1);
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [evilRole])).rowCount).toBe(0);
    expect(existsSync(proof)).toBe(false);
  }

  async function rehearseBypassing(yaml: string): Promise<RehearsalResult> {
    const p = await compileBypassingRule(yaml);
    return rehearsePlan(p.plan!, new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents])), engine);
  }

  it('runs plan SQL as a role without SUPERUSER, CREATEROLE, CREATEDB or REPLICATION, a member of nothing, owning only its database and public schema, dropped after', async () => {
    const db = await engine.open();
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT r.rolname AS name, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolinherit, r.rolreplication, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships,
              (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS db_owner,
              (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') AS public_owner,
              current_database() AS db
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    const me = rows[0]!;
    expect(me).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolinherit: false, rolreplication: false, rolbypassrls: false, memberships: 0 });
    expect(me.name).toMatch(/^migc_rehearsal_[0-9a-f]{12}$/);
    expect(me.db).toBe(me.name);
    expect(me.db_owner).toBe(me.name);
    expect(me.public_owner).toBe(me.name);
    await db.close();
    expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [me.db])).rowCount).toBe(0);
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [me.name])).rowCount).toBe(0);
  });

  it('with an admin role that is no superuser (CREATEDB and CREATEROLE, as on a managed server), the rehearsal role still owns public and inherits nothing', async () => {
    const role = `migc_vc_managed_${tag}`;
    await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB CREATEROLE`);
    const url = new URL(serverUrl!);
    url.username = role;
    const outcome = await serverEngine({ databaseUrl: url.toString() });
    try {
      if (!outcome.ok) throw new Error(outcome.problem);
      const db = await outcome.engine.open();
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT r.rolname AS name, r.rolsuper, r.rolinherit, (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') AS public_owner
           FROM pg_roles r WHERE r.rolname = current_user`,
      );
      // PostgreSQL 15 lets a non-superuser hand public over only through pg_database_owner.
      expect(rows[0]).toMatchObject({ rolsuper: false, rolinherit: false, public_owner: rows[0]!.name });
      await db.query('CREATE TABLE t (id bigint PRIMARY KEY)');
      await db.close();
    } finally {
      if (outcome.ok) await outcome.engine.dispose();
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('a baseline with COPY TO PROGRAM cannot run the command, and is reported', async () => {
    const result = await rehearseBypassing(planYaml({ baseline: `CREATE TABLE t (id bigint PRIMARY KEY, n integer);\nCOPY (SELECT 1) TO PROGRAM 'touch ${proof}';` }));
    await harmless(result);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['MG063']);
    expect(result.diagnostics[0]!.message).toMatch(/baseline does not load.*(permission denied|must be superuser|pg_execute_server_program)/);
  });

  it('fixtures that create a SUPERUSER role cannot, and are reported', async () => {
    const result = await rehearseBypassing(planYaml({ fixtures: `CREATE ROLE ${evilRole} SUPERUSER LOGIN;` }));
    await harmless(result);
    expect(result.diagnostics[0]!.message).toMatch(/fixtures SQL does not load.*(must be superuser to create superusers|permission denied to create role)/);
  });

  it('a step that drops another database cannot, and is reported', async () => {
    const result = await rehearseBypassing(planYaml({ sql: `DROP DATABASE ${canary};` }));
    await harmless(result);
    expect(result.diagnostics[0]!.code).toBe('MG060');
    expect(result.diagnostics[0]!.message).toMatch(/must be owner of database/);
  });

  it('dynamic SQL the static rule cannot see (EXECUTE in a DO block) is stopped by the role, and verifications cannot read server files', async () => {
    const yaml = planYaml({
      sql: `DO $$ BEGIN EXECUTE (SELECT 'CREATE ROLE ${evilRole} SUPERUSER'); END $$;`,
      rollback: 'SELECT 1;',
    });
    const compiled = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates() }, memoryHost({ 'plans/p.yaml': yaml }));
    expect(compiled.plans[0]!.diagnostics.filter((d) => d.code === 'MG220')).toEqual([]); // invisible to the parse tree: a string a query returns
    // A constant string is read as the statement it runs (src/sql/dynamic-sql.ts): MG220 sees that one.
    const constant = yaml.replace(`(SELECT 'CREATE ROLE ${evilRole} SUPERUSER')`, `'CREATE ROLE ${evilRole} SUPERUSER'`);
    const seen = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates() }, memoryHost({ 'plans/p.yaml': constant }));
    expect(seen.plans[0]!.diagnostics.map((d) => d.code)).toContain('MG220');
    const result = await rehearseBypassing(yaml);
    await harmless(result);
    expect(result.diagnostics[0]!.message).toMatch(/step "change": (must be superuser to create superusers|permission denied to create role)/);
    const reading = await rehearseBypassing(planYaml({ verify: "SELECT length(pg_read_file('/etc/hostname')) - length(pg_read_file('/etc/hostname'))" }));
    await harmless(reading);
    expect(reading.diagnostics[0]!.message).toMatch(/permission denied for function pg_read_file/);
  });

  it('migc verify refuses a plan whose SQL reaches outside, even with MG220 turned off (MG065), and creates nothing', async () => {
    writeFileSync(join(project, 'p.yaml'), planYaml({ fixtures: `CREATE ROLE ${evilRole} SUPERUSER;` }));
    writeFileSync(join(project, 'migc.config.json'), JSON.stringify({ rules: { MG220: 'off' } }));
    const r = await migc(['verify', 'p.yaml', '--database-url', serverUrl!, '--format', 'json'], project);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.diagnostics.map((d: { code: string; line: number }) => `${d.code} ${d.line}`)).toEqual(['MG065 12']);
    expect(out.rehearsals[0].skipped).toMatch(/refused/);
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [evilRole])).rowCount).toBe(0);
  });
});

describe.skipIf(!serverUrl)('on a real PostgreSQL server: leftovers, signals, privileges, redaction (needs MIGC_TEST_DATABASE_URL)', () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
  });
  afterAll(async () => admin.end());

  const exists = async (name: string) => ({
    database: (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
    role: (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1,
  });

  /** Starts a rehearsal that sleeps in its step; resolves with the child and its database's name. */
  async function sleepingRehearsal() {
    writeFileSync(join(project, 'p.yaml'), planYaml({ sql: `SELECT pg_sleep(${20 + Number.parseInt(tag.slice(0, 2), 16) / 1000});` }));
    const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'verify', 'p.yaml', '--database-url', serverUrl!], { cwd: project, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await admin.query<{ datname: string }>(
        "SELECT datname FROM pg_stat_activity WHERE datname LIKE 'migc\\_rehearsal\\_%' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'",
        [`%pg_sleep(${20 + Number.parseInt(tag.slice(0, 2), 16) / 1000})%`],
      );
      if (rows.length) return { child, name: rows[0]!.datname, exited, stderr: () => stderr };
      if (Date.now() > deadline) throw new Error(`the rehearsal never started: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s mid-rehearsal drops its database and role and exits %i', async (signal, code) => {
    const run = await sleepingRehearsal();
    expect(await exists(run.name)).toEqual({ database: true, role: true });
    run.child.kill(signal);
    expect(await run.exited).toBe(code);
    expect(run.stderr()).toContain(`dropped database and role ${run.name}`);
    expect(await exists(run.name)).toEqual({ database: false, role: false });
  }, 60_000);

  it('a signal at any moment after it connects (probe, setup, baseline, fixtures, rehearsal) leaves nothing behind', async () => {
    writeFileSync(join(project, 'p.yaml'), planYaml({ fixtures: 'INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g;', sql: 'SELECT pg_sleep(5);' }));
    const outcome = await serverEngine({ databaseUrl: serverUrl! });
    if (!outcome.ok) throw new Error(outcome.problem);
    try {
      for (const [i, delay] of [0, 100, 400, 1000, 2500].entries()) {
        const signal = i % 2 ? 'SIGTERM' : 'SIGINT';
        // The run's connections carry this name, so its start is seen on the server.
        const app = `migc-test-${tag}-${i}`;
        const url = `${serverUrl}${serverUrl!.includes('?') ? '&' : '?'}application_name=${app}`;
        const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'verify', 'p.yaml', '--database-url', url], { cwd: project, env: cliEnv(), stdio: 'ignore' });
        const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
        for (let waited = 0; (await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [app])).rowCount === 0; waited += 20) {
          if (waited > 30_000) throw new Error('migc verify never connected');
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, delay));
        child.kill(signal);
        expect({ delay, ...(await exited) }).toEqual({ delay, code: signal === 'SIGINT' ? 130 : 143, signal: null });
        const left = await outcome.engine.leftovers();
        expect({ delay, databases: left.databases, roles: left.roles }).toEqual({ delay, databases: [], roles: [] });
      }
    } finally {
      await outcome.engine.dispose();
    }
  }, 120_000);

  it('kill -9 leaves a database and role that the next run reports, and --clean-leftovers drops (nothing else)', async () => {
    const run = await sleepingRehearsal();
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await exists(run.name)).toEqual({ database: true, role: true });
    // Named like migc's, but without its marker: reported, never dropped.
    const stranger = `migc_rehearsal_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${stranger}`);
    try {
      writeFileSync(join(project, 'p.yaml'), planYaml({}));
      const reported = await migc(['verify', 'p.yaml', '--database-url', serverUrl!], project);
      expect(reported.code).toBe(0);
      expect(reported.stderr).toContain(`left database ${run.name}`);
      expect(reported.stderr).toContain(`role ${run.name}`);
      expect(reported.stderr).toMatch(/--clean-leftovers/);
      expect(reported.stderr).toContain(`database ${stranger}`);
      expect(await exists(run.name)).toEqual({ database: true, role: true });

      const cleaned = await migc(['verify', 'p.yaml', '--database-url', serverUrl!, '--clean-leftovers'], project);
      expect(cleaned.code).toBe(0);
      expect(cleaned.stderr).toContain(`database ${run.name}`);
      expect(await exists(run.name)).toEqual({ database: false, role: false });
      expect((await exists(stranger)).database).toBe(true);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${stranger}`);
    }
  }, 90_000);

  it('a role without CREATEDB is told what it lacks (exit 2, no stack trace)', async () => {
    const role = `migc_vc_nocreatedb_${tag}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      writeFileSync(join(project, 'p.yaml'), planYaml({}));
      const url = new URL(serverUrl!);
      url.username = role;
      url.password = 'Xyzzy42secret';
      const r = await migc(['verify', 'p.yaml', '--database-url', url.toString()], project);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`role "${role}" cannot create databases.*CREATEDB`));
      expect(r.stdout + r.stderr).not.toMatch(/internal error|\n\s+at |Xyzzy42secret/);
    } finally {
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('a role with CREATEDB but no CREATEROLE rehearses as itself (and says so); one that can run server programs is refused', async () => {
    const role = `migc_vc_createdb_${tag}`;
    await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB`);
    try {
      writeFileSync(join(project, 'p.yaml'), planYaml({}));
      const url = new URL(serverUrl!);
      url.username = role;
      const ok = await migc(['verify', 'p.yaml', '--database-url', url.toString()], project);
      expect(ok.stderr).toMatch(new RegExp(`role "${role}" cannot create roles \\(no CREATEROLE\\), so plan SQL runs as that role itself`));
      expect(ok.code).toBe(0);
      await admin.query(`GRANT pg_execute_server_program TO ${role}`);
      const refused = await migc(['verify', 'p.yaml', '--database-url', url.toString()], project);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/pg_execute_server_program.*give it CREATEROLE/);
    } finally {
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('never prints the password, in messages, json output or the report, even when the server quotes it', async () => {
    const secret = `Pw${tag}Zz`;
    // A verification whose error quotes the secret back (trust auth ignores the password).
    writeFileSync(join(project, 'p.yaml'), planYaml({ verify: `SELECT ('Pw' || '${tag}Zz')::int` }));
    const url = new URL(serverUrl!);
    url.password = secret;
    const r = await migc(['verify', 'p.yaml', '--database-url', `${url.toString()}?password=${secret}`, '--format', 'json', '--report', '--out', 'out'], project);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics[0].message).toMatch(/invalid input syntax for type integer: "\*\*\*"/);
    const files = readdirSync(join(project, 'out'), { recursive: true }).map((f) => String(f)).filter((f) => /\.(md|sql|mmd)$/.test(f));
    expect(files).toContain(join(`hostile-${tag}`, 'report.md'));
    const written = files.map((f) => readFileSync(join(project, 'out', f), 'utf8')).join('\n');
    expect(written).toMatch(/Rehearsal/);
    expect(r.stdout + r.stderr + written).not.toContain(secret);
  });
});
