import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSeconds } from '../src/normalize/durations.js';
import { minimumBar } from '../src/emit/timeline/view.js';
import { cliEnv, compileFiles, root } from './helpers.js';

/**
 * A new user's plan (test/fixtures/trial/orders-fk.yaml): a foreign key on a 50M-row table, its
 * index built first, orphans deleted in batches (irreversible), the key validated; the steps
 * partly estimated by the plan. What its outputs say, read as the reviewer and on-call would.
 */
const dir = `${root}test/fixtures/trial/`;
const ordersFk = readFileSync(`${dir}orders-fk.yaml`, 'utf8');
/** The plan's baseline (kept here, not as a .sql fixture, which the fuzzer would pick up). */
const shopBaseline = `CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, total_cents bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
`;

async function build(plan: string) {
  const r = await compileFiles({ 'plans/orders-fk.yaml': plan, 'plans/shop.baseline.sql': shopBaseline }, { emit: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const file = (name: string) => r.plans[0]!.outputs.find((o) => o.path === `orders-customer-fk/${name}`)!.contents;
  return { report: file('report.md'), timeline: file('timeline.mmd'), checklist: file('checklist.md'), up: file('02-cleanup.up.sql'), down: file('02-cleanup.down.sql') };
}

describe('the checklist on rolling back a phase with an irreversible step', () => {
  it('names every place the down script stops, in the order it meets them, and how to go on', async () => {
    const { checklist } = await build(ordersFk);
    const line = checklist.split('\n').find((l) => l.startsWith('- [ ] If this fails:') && l.includes('02-cleanup.down.sql'))!;
    // validate-fk (a rollback by hand) comes last in the phase, so the down script meets it first.
    expect(line).toContain('If a step it undoes ran, the down script stops before undoing `validate-fk` by hand, then at `delete-orphans`, which cannot be undone, until its data is restored; record each as the error says, then run the script again.');
  });
});

describe('estimates when the plan estimates only some steps', () => {
  it('say for how many steps the plan\'s sum holds, and do not compare it with migc\'s for all of them', async () => {
    const { report, checklist } = await build(ordersFk);
    // index-customer-id 40min and validate-fk 10min; add-fk-not-valid and delete-orphans not estimated.
    expect(report).toContain('| Estimated time | 50min by the plan (2 of 4 steps); ~20min by migc from the size hints');
    expect(report).toContain('Estimated time: 40min by the plan (1 of 2 steps); ~3min by migc from the size hints.');
    expect(report).toContain('Estimated time: 10min by the plan (1 of 2 steps); ~18min by migc from the size hints (8min of pauses: 5,000 batches × 100ms).');
    expect(checklist).toContain('Estimated time: 10min by the plan (1 of 2 steps); ~18min by migc');
    // A step the plan estimates is still compared: 40min against ~3min.
    expect(report).toContain('Estimated time: 40min by the plan; ~3min by migc from the size hints (**the estimates differ**: check the step\'s estimate and the size hints).');
  });
});

describe('counts in prose', () => {
  it('a batch size reads 10,000 in the report and the scripts\' comments, as every other count does', async () => {
    const { report, up } = await build(ordersFk);
    expect(report).toContain('Runs in batches of 10,000 rows by `id`');
    expect(up).toContain('-- Batched: 10,000 rows per batch by id');
    expect(`${report}\n${up}`).not.toMatch(/\b\d{4,} rows\b/);
  });
});

describe('the timeline\'s minimum bar width', () => {
  it('is what its note says: a 67 s minimum was noted "1min"', async () => {
    const { timeline } = await build(ordersFk);
    expect(timeline).toContain('bars shorter than 1min are drawn 1min long');
    // add-fk-not-valid takes under a second: drawn at the minimum.
    const bar = /add-fk-not-valid \(under a second by migc\) :step_1_2, (\d+), (\d+)/.exec(timeline)!;
    expect(Number(bar[2]) - Number(bar[1])).toBe(60_000);
  });

  it('is a whole number of the unit the note writes it in, for any length of chart', () => {
    const seconds = (text: string) => [...text.matchAll(/(\d+)(ms|s|min|h|d)/g)].reduce((a, [, n, u]) => a + Number(n) * { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[u as 'ms']!, 0);
    for (let range = 10; range < 10 * 604800; range = Math.ceil(range * 1.37)) {
      const m = minimumBar(range);
      expect(seconds(formatSeconds(m)), `range ${range}`).toBe(m);
      expect(m).toBeGreaterThanOrEqual(range / 60 / 2);
    }
  });
});

/**
 * The new user's plan run as the on-call engineer runs it, with psql on PostgreSQL: up, then
 * down through a rollback done by hand and an irreversible step, each recorded as its error says.
 */
const serverUrl = process.env.MIGC_TEST_DATABASE_URL;
describe.skipIf(!serverUrl)('the plan\'s scripts with psql on PostgreSQL (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
  const db = `migc_trial_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const url = () => { const u = new URL(serverUrl!); u.pathname = `/${db}`; return u.toString(); };
  let dir = '';
  const psql = (args: string[], target = url()) => new Promise<{ status: number; out: string }>((done) => {
    execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args, target], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      done({ status: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
  const script = (name: string) => psql(['-f', join(dir, name)]);
  const hintInsert = (out: string) => /(INSERT INTO public\.migc_ledger .*;)$/m.exec(out)?.[1];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migc-trial-'));
    const r = await compileFiles({ 'plans/orders-fk.yaml': ordersFk, 'plans/shop.baseline.sql': shopBaseline }, { emit: true });
    for (const o of r.plans[0]!.outputs.filter((x) => x.path.endsWith('.sql'))) writeFileSync(join(dir, basename(o.path)), o.contents);
    expect((await psql(['-c', `CREATE DATABASE ${db}`], serverUrl)).status).toBe(0);
    const rows = "INSERT INTO customers (name, email) SELECT 'c' || g, 'c' || g || '@x' FROM generate_series(1, 200) g; INSERT INTO orders (customer_id, total_cents) SELECT (g % 250) + 1, g FROM generate_series(1, 3000) g;";
    expect((await psql(['-c', shopBaseline, '-c', rows])).status).toBe(0);
  });
  afterAll(async () => {
    await psql(['-c', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], serverUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes up, then down past the rollback done by hand and the irreversible delete once each is recorded, and leaves nothing of migc\'s', async () => {
    for (const f of ['01-expand.up.sql', '02-cleanup.up.sql']) expect((await script(f)).status).toBe(0);
    // The down stops before undoing validate-fk by hand; recorded, it says so in one line and goes on.
    const manual = await script('02-cleanup.down.sql');
    expect(manual.status).toBe(3);
    expect(manual.out).toContain('ERROR:  migc: stop: undo step "validate-fk" of phase "cleanup": do this by hand before going on');
    expect((await psql(['-c', hintInsert(manual.out)!])).status).toBe(0);
    // Then at the irreversible delete: the orphans are gone until restored by hand.
    const irreversible = await script('02-cleanup.down.sql');
    expect(irreversible.status).toBe(3);
    expect(irreversible.out).toContain('NOTICE:  migc: undo step "validate-fk" of phase "cleanup": recorded as done, going on');
    expect(irreversible.out).toContain('ERROR:  migc: step "delete-orphans" is irreversible; restore: Restore the deleted orders from orders-before-fk.dump');
    // The earlier phase refuses while this one is not rolled back.
    expect((await script('01-expand.down.sql')).status).toBe(3);
    expect((await psql(['-c', hintInsert(irreversible.out)!])).status).toBe(0);
    const rest = await script('02-cleanup.down.sql');
    expect(rest.status, rest.out).toBe(0);
    const first = await script('01-expand.down.sql');
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain('NOTICE:  migc: nothing left to undo: migc_ledger and its procedures dropped');
    const left = await psql(['-At', '-c', "SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_fk'", '-c', "SELECT count(*) FROM pg_class WHERE relname IN ('migc_ledger', 'orders_customer_id_idx')"]);
    expect(left.out.trim().split('\n')).toEqual(['0', '0']);
    // And up again from there.
    for (const f of ['01-expand.up.sql', '02-cleanup.up.sql']) expect((await script(f)).status).toBe(0);
  });
});

describe('the timeline\'s gate milestones', () => {
  it('say what a deploy named in free text deploys, cut short, with its apostrophes kept', async () => {
    const withDeploy = (text: string) => ordersFk.replace('      verified: [add-fk-not-valid]\n', `      verified: [add-fk-not-valid]\n      deploy: ${text}\n`);
    const { timeline } = await build(withDeploy("billing's app v5.1 (stops orphans)"));
    expect(timeline).toContain('    gate verified add-fk-not-valid, deployed billing’s app v5.1 (stops orphans) :milestone, gate_2,');
    const long = await build(withDeploy('every service of the payments platform in every region, one region at a time'));
    expect(long.timeline).toContain('    gate verified add-fk-not-valid, deployed every service of the payments platform… :milestone, gate_2,');
  });
});

describe('migc verify\'s table, as printed', () => {
  it('keeps its columns aligned past "irreversible (1)" and says what a - means', async () => {
    const project = mkdtempSync(join(tmpdir(), 'migc-trial-verify-'));
    try {
      mkdirSync(join(project, 'plans'));
      writeFileSync(join(project, 'plans/orders-fk.yaml'), ordersFk);
      writeFileSync(join(project, 'plans/shop.baseline.sql'), shopBaseline);
      const r = await new Promise<{ code: number; stdout: string }>((done) => {
        execFile(process.execPath, [join(root, 'bin/migc.js'), 'verify', '--no-crash-points'], { cwd: project, env: cliEnv() }, (error, stdout) => {
          done({ code: error ? Number(error.code ?? 1) : 0, stdout });
        });
      });
      expect(r.code, r.stdout).toBe(0);
      const rows = r.stdout.split('\n');
      const header = rows.find((l) => l.startsWith('  phase '))!;
      const cleanup = rows.find((l) => l.startsWith('  2 cleanup '))!;
      expect(cleanup).toMatch(/irreversible \(1\) +-$/);
      expect(cleanup.length - 1).toBe(header.indexOf('again')); // the - of "again" under its heading
      expect(rows.find((l) => l.startsWith('  validate-fk '))).toMatch(/^ {2}validate-fk +ok +- /);
      expect(r.stdout).toContain('  (up or down -: nothing of it ran there: a step or rollback done by hand, run or manual, or one the rehearsal did not reach)');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the report\'s rollback plan', () => {
  it('says where the down scripts stop and how to go on, latest first', async () => {
    const { report } = await build(ordersFk);
    const section = report.split('## Rollback plan')[1]!.split('\n## ')[0]!;
    expect(section).toContain('A down script stops, when the step ran, before undoing `validate-fk` (phase cleanup) by hand; at the irreversible `delete-orphans` (phase cleanup) until its data is restored. Once each is done, record it with the `INSERT` its error gives and run the script again: it goes on from there.');
  });
});

describe('the timeline\'s section names', () => {
  it('get room left of the chart: Mermaid\'s default 75 px cut "2. cleanup (migrate)" under the bars', async () => {
    const { timeline } = await build(ordersFk);
    const padding = Number(/^---\nconfig:\n {2}gantt:\n {4}leftPadding: (\d+)\n---\ngantt\n/.exec(timeline)?.[1]);
    expect(padding).toBeGreaterThanOrEqual('2. cleanup (migrate)'.length * 6);
    expect(timeline).toContain('    section 2. cleanup (migrate)\n');
  });
});

describe('the timeline\'s scale', () => {
  it('marks the end of the last step when the plan has no milestones, so T-0 is not the only mark', async () => {
    const { timeline } = await build(ordersFk);
    // The steps end where validate-fk (T+57min, 10min) does.
    expect(timeline).toContain('    T-0 :vert, at_0, 0, 0s\n    T+1h7min :vert, at_end, 4000000, 0s\n');
  });
});
