import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { emitPlan } from '../src/emit/index.js';
import { compileTemplates } from '../src/emit/templates.js';
import { memoryHost } from '../src/host.js';
import { builtinTemplates, cliEnv, minimalPlan, root } from './helpers.js';

/**
 * Settings are resolved once per plan (PlanSettings) and read by the plan rules, the SQL
 * analysis, the emitters and verify: these are the disagreements that were measured when each
 * re-derived them.
 */

/** A one-statement UPDATE of users, declared low risk: large users makes it medium (MG111) and wants batches (MG112). */
const unbatchedUpdate = minimalPlan
  .replace('id: minimal', 'id: unbatched')
  .replace('kind: expand', 'kind: migrate')
  .replace('sql: ALTER TABLE t ADD COLUMN c integer;', 'sql: UPDATE users SET active = true WHERE active IS NULL;')
  .replace('sql: ALTER TABLE t DROP COLUMN c;', 'sql: UPDATE users SET active = NULL WHERE active;')
  .replace('        rollback:', '        verify:\n          - sql: SELECT count(*) FROM users WHERE active IS NULL\n            expect: 0\n        rollback:');

const codes = (r: Awaited<ReturnType<typeof compile>>) => r.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code);

describe('table sizes: one answer for every rule', () => {
  it('without a size, users is large: MG111 (risk) and MG112 (batches) both say so', async () => {
    const r = await compile({ files: ['plans/p.yaml'] }, memoryHost({ 'plans/p.yaml': unbatchedUpdate }));
    expect(codes(r)).toContain('MG111');
    expect(codes(r)).toContain('MG112');
  });

  it('--assume-rows users=40 makes users small for MG111 as for MG112', async () => {
    const r = await compile({ files: ['plans/p.yaml'], config: { assumeRows: new Map([['users', 40]]) } }, memoryHost({ 'plans/p.yaml': unbatchedUpdate }));
    expect(codes(r)).not.toContain('MG112');
    expect(codes(r)).not.toContain('MG111');
  });

  it('the plan\'s own size hint counts for both, and --assume-rows over it, both ways', async () => {
    const hinted = unbatchedUpdate.replace('phases:', 'tables:\n  users: { rows: 40 }\nphases:');
    const small = await compile({ files: ['plans/p.yaml'] }, memoryHost({ 'plans/p.yaml': hinted }));
    expect(codes(small)).not.toContain('MG111');
    expect(codes(small)).not.toContain('MG112');
    // The command line says users is large after all: both rules hear it.
    const large = await compile({ files: ['plans/p.yaml'], config: { assumeRows: new Map([['users', 5_000_000]]) } }, memoryHost({ 'plans/p.yaml': hinted }));
    expect(codes(large)).toContain('MG111');
    expect(codes(large)).toContain('MG112');
  });

  it('public.users in the SQL is the users of --assume-rows', async () => {
    const qualified = unbatchedUpdate.replace('UPDATE users SET active = true', 'UPDATE public.users SET active = true');
    const r = await compile({ files: ['plans/p.yaml'], config: { assumeRows: new Map([['users', 40]]) } }, memoryHost({ 'plans/p.yaml': qualified }));
    expect(codes(r)).not.toContain('MG111');
    expect(r.plans[0]!.settings!.tables.find((t) => t.name === 'users')).toMatchObject({ rows: 40, source: '--assume-rows or the config\'s assume_rows' });
  });
});

describe('the target version: the report shows the one the analysis used', () => {
  const unversioned = minimalPlan.replace('engine: postgresql@15', 'engine: postgresql');
  const report = (r: Awaited<ReturnType<typeof compile>>) => r.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;

  it('a plan naming no version, the config naming 16: analysed with 16 and shown as 16, with its source', async () => {
    const r = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates(), config: { postgres: 16 } }, memoryHost({ 'plans/p.yaml': unversioned }));
    expect(r.plans[0]!.settings!.postgres).toEqual({ major: 16, source: 'migc.config.json (postgres)' });
    expect(report(r)).toContain('| Engine | PostgreSQL 16 |');
    expect(report(r)).toContain('- Target: PostgreSQL 16, from migc.config.json (postgres)');
  });

  it('no version anywhere: migc\'s default, named as such in the Engine row too', async () => {
    const r = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates() }, memoryHost({ 'plans/p.yaml': unversioned }));
    const major = r.plans[0]!.settings!.postgres.major;
    expect(report(r)).toContain(`| Engine | PostgreSQL ${major} |`);
  });

  it('the emitter takes the version from the settings, not from the plan', async () => {
    const r = await compile({ files: ['plans/p.yaml'], templates: builtinTemplates() }, memoryHost({ 'plans/p.yaml': minimalPlan }));
    const p = r.plans[0]!;
    const templates = compileTemplates(builtinTemplates()).templates!;
    const settings = { ...p.settings!, postgres: { major: 17, source: 'a test' } };
    const out = emitPlan({ plan: p.plan!, templates, findings: [], analysis: p.analysis!, settings });
    const text = out.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    expect(text).toContain('| Engine | PostgreSQL 17 |');
    expect(text).not.toContain('PostgreSQL 15');
  });

  it('emitPlan cannot be called without the analysis or the settings (a type error)', () => {
    const call = (input: Parameters<typeof emitPlan>[0]) => input;
    // @ts-expect-error the analysis is required: without it the Lock budget and per-statement tables vanish
    call({ plan: undefined as never, templates: undefined as never, findings: [], settings: undefined as never });
    // @ts-expect-error the settings are required: without them the report cannot say which version it judged
    call({ plan: undefined as never, templates: undefined as never, findings: [], analysis: new Map() });
    expect(true).toBe(true);
  });
});

/** The real binary, as a user runs it (npm test builds dist/ first). */
function migc(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('migc verify --report writes the report build writes, plus the Rehearsal section', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'migc-settings-'));
    cpSync(join(root, 'plans'), join(project, 'plans'), { recursive: true });
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('keeps the Lock budget, the per-statement tables and the analysis settings', async () => {
    const built = await migc(['build', 'plans/email-verified.yaml', '--out', 'built', '--assume-rows', 'users=5000000'], project);
    expect(built.code, built.stderr).toBe(0);
    const verified = await migc(['verify', 'plans/email-verified.yaml', '--report', '--out', 'verified', '--assume-rows', 'users=5000000'], project);
    expect(verified.code, verified.stderr).toBe(0);
    const before = readFileSync(join(project, 'built/add-email-verified/report.md'), 'utf8');
    const after = readFileSync(join(project, 'verified/add-email-verified/report.md'), 'utf8');
    expect(before).toContain('## Lock budget');
    expect(before).toContain('5,000,000');
    // The rehearsal's timings differ run to run: everything else is the build's report. The
    // rehearsal adds its Rehearsal section and, under App versions, the line on the queries it ran.
    expect(after).toMatch(/^On the database \(`migc verify`\): \d+ runs of the live versions' queries/m);
    const withoutRehearsal = after.replace(/## Rehearsal\n[\s\S]*?\n(?=## )/, "").replace(/^On the database \(`migc verify`\): .*\n\n/m, '');
    expect(after).toContain('## Rehearsal');
    expect(withoutRehearsal).toBe(before);
  }, 60_000);
});
