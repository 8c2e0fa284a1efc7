import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWatch, watchCommand, type RunningWatch } from '../src/cli/watch.js';
import type { Rebuild } from '../src/workspace/session.js';
import { cliEnv, minimalPlan, root } from './helpers.js';

/**
 * migc watch on real files in a temporary project, edited the ways editors save. Conditions
 * are polled with a timeout; no sleep is an assertion.
 */

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function plan(id: string, title: string, extra = ''): string {
  return minimalPlan.replace('id: minimal', `id: ${id}`).replace('title: Minimal plan', `title: ${title}`).replace('phases:', `${extra}phases:`);
}

let project: string;
let running: RunningWatch | undefined;
let rebuilds: Rebuild[];
let stdout: string;
let stderr: string;

async function watch(paths = ['plans'], flags: Record<string, unknown> = {}) {
  rebuilds = [];
  stdout = '';
  stderr = '';
  running = await startWatch(paths, { out: 'out', ...flags }, {
    cwd: project, color: false, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t),
  }, { onRebuild: (r) => rebuilds.push(r) });
  await running.ready;
  return running;
}

const report = (id: string) => readFileSync(join(project, 'out', id, 'report.md'), 'utf8');
const rebuildsOf = (file: string) => rebuilds.filter((r) => r.files.includes(file));

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'migc-watch-'));
  mkdirSync(join(project, 'plans'));
  mkdirSync(join(project, 'shared'));
  writeFileSync(join(project, 'shared/base.sql'), 'CREATE TABLE t (id integer);\n');
  writeFileSync(join(project, 'plans/a.yaml'), plan('plan-a', 'Plan A', 'baseline:\n  file: ../shared/base.sql\n'));
  writeFileSync(join(project, 'plans/b.yaml'), plan('plan-b', 'Plan B'));
  writeFileSync(join(project, 'plans/c.yaml'), plan('plan-c', 'Plan C', 'baseline:\n  file: ../shared/base.sql\n'));
});

afterEach(async () => {
  await running?.close();
  running = undefined;
  rmSync(project, { recursive: true, force: true });
});

/** A save of another plan, waited for: events are delivered in order, so every rebuild the save before it caused has happened. */
async function sentinel(n: number) {
  writeFileSync(join(project, 'plans/b.yaml'), plan('plan-b', `Plan B ${n}`));
  await until('the sentinel rebuild', () => report('plan-b').includes(`# Plan B ${n}`) && rebuildsOf('plans/b.yaml').length >= n);
  await running!.session.settled();
}

describe('migc watch: editors\' save patterns, one rebuild each', () => {
  it('builds everything once, then a save in place rebuilds that plan only, once', async () => {
    await watch();
    expect(rebuilds).toHaveLength(1);
    expect(rebuilds[0]!.line).toMatch(/^built 3 plans in \d+ ms: 0 errors, 0 warnings$/);
    expect(report('plan-a')).toContain('# Plan A');
    writeFileSync(join(project, 'plans/a.yaml'), plan('plan-a', 'Plan A in place', 'baseline:\n  file: ../shared/base.sql\n'));
    await until('the new report', () => report('plan-a').includes('# Plan A in place'));
    await sentinel(1);
    expect(rebuildsOf('plans/a.yaml')).toHaveLength(2); // the first build and this save
    const line = rebuildsOf('plans/a.yaml')[1]!;
    expect(line.files).toEqual(['plans/a.yaml']);
    expect(line.line).toMatch(/^plans\/a\.yaml \(plan-a\): rebuilt in \d+ ms: 0 errors, 0 warnings$/);
    expect(stderr).toContain(`migc: ${line.line}\n`);
  });

  it('a temporary file renamed over the plan (vim, JetBrains, atomic writers) is one rebuild', async () => {
    await watch();
    const tmp = join(project, 'plans/.a.yaml.tmp-1234');
    writeFileSync(tmp, plan('plan-a', 'Plan A renamed over', 'baseline:\n  file: ../shared/base.sql\n'));
    renameSync(tmp, join(project, 'plans/a.yaml'));
    await until('the new report', () => report('plan-a').includes('# Plan A renamed over'));
    await sentinel(1);
    expect(rebuildsOf('plans/a.yaml')).toHaveLength(2);
    expect(rebuilds.flatMap((r) => r.removed)).toEqual([]);
    expect(rebuilds.flatMap((r) => r.files).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('truncate, then write: one rebuild, and the empty file never replaced the outputs', async () => {
    await watch();
    const path = join(project, 'plans/a.yaml');
    truncateSync(path, 0);
    writeFileSync(path, plan('plan-a', 'Plan A truncated', 'baseline:\n  file: ../shared/base.sql\n'));
    await until('the new report', () => report('plan-a').includes('# Plan A truncated'));
    await sentinel(1);
    expect(rebuildsOf('plans/a.yaml')).toHaveLength(2);
  });

  it('outputs are never partial: read while a plan is saved half, then whole, they are always one complete version', async () => {
    await watch();
    const before = report('plan-a');
    const after = plan('plan-a', 'Plan A written slowly', 'baseline:\n  file: ../shared/base.sql\n');
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        // Each read is of one plan folder, which src/write swaps whole.
        try {
          seen.add(report('plan-a'));
        } catch {
          seen.add('<missing>');
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Half the file, a pause longer than the quiet period (the watcher sees it and rebuilds), then the rest.
    const fd = openSync(join(project, 'plans/a.yaml'), 'w');
    writeSync(fd, after.slice(0, after.indexOf('    steps:')));
    await until('the half-written plan\'s rebuild, with errors', () => rebuildsOf('plans/a.yaml').find((r) => r.errors > 0));
    expect(report('plan-a')).toBe(before);
    writeSync(fd, after.slice(after.indexOf('    steps:')));
    closeSync(fd);
    await until('the whole plan\'s report', () => report('plan-a').includes('# Plan A written slowly'));
    reading = false;
    await reader;
    const final = report('plan-a');
    expect([...seen].every((s) => s === before || s === final)).toBe(true);
    expect(seen.has(before)).toBe(true);
    // The errors were printed, with the plan's line.
    expect(stdout).toMatch(/plans\/a\.yaml:\d+:\d+ error MG/);
    expect(rebuildsOf('plans/a.yaml').find((r) => r.errors > 0)!.line).toContain('out/plan-a/ left as it was');
  });
});

describe('migc watch: the real binary, one status line per save', () => {
  it('sed -i, a write in place, a rename over, truncate then write, and a save that changes nothing: one line each, problems printed once', async () => {
    cpSync(join(root, 'test/fixtures/invoice-region'), join(project, 'plans'), { recursive: true });
    const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'watch', 'plans'], { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until('the first build', () => err.includes('watching for changes'), 30_000);
      const file = join(project, 'plans/invoice-region.yaml');
      const lines = (of: string) => err.split('\n').filter((l) => l.startsWith(`migc: ${of}: `));
      const linesOfSeveral = () => err.split('\n').filter((l) => /^migc: rebuilt \d+ plans /.test(l));
      let sentinels = 0;
      /**
       * Each save is followed, after more than the session's second look (recheckMs, 75 ms), by a
       * save of another plan: once that one's line is out, every line the first save caused is.
       */
      const save = async (what: string, edit: () => void, expected: RegExp | undefined) => {
        const before = lines('plans/invoice-region.yaml (invoice-region)').length;
        edit();
        if (expected) await until(`the line of ${what}`, () => lines('plans/invoice-region.yaml (invoice-region)').length > before, 15_000);
        await new Promise((r) => setTimeout(r, 400));
        sentinels += 1;
        writeFileSync(join(project, 'plans/b.yaml'), plan('plan-b', `Plan B ${sentinels}`));
        // Its own line, or one line for it and the plan again (the plan's result printed twice).
        await until(`sentinel ${sentinels}`, () => lines('plans/b.yaml (plan-b)').length + linesOfSeveral().length >= sentinels, 15_000);
        expect(linesOfSeveral(), 'the plan rebuilt again with the sentinel').toEqual([]);
        const after = lines('plans/invoice-region.yaml (invoice-region)').slice(before);
        expect(after, `the status lines of ${what}`).toHaveLength(expected ? 1 : 0);
        if (expected) expect(after[0]).toMatch(expected);
      };
      const sed = (script: string) => () => {
        const r = spawnSync('sed', ['-i', script, file]);
        expect(r.status).toBe(0);
      };
      // The plan's own unbatched rollback is a warning (MG112) either way.
      const broken = /rebuilt in \d+ ms: 1 error, \d+ warnings?; out\/invoice-region\/ left as it was$/;
      const good = /rebuilt in \d+ ms: 0 errors, \d+ warnings?$/;
      for (const round of [1, 2]) {
        const mg020 = (out.match(/ error MG020 /g) ?? []).length;
        await save(`sed -i introducing an SQL error (${round})`, sed('s/^          UPDATE invoices i$/          UPDTE invoices i/'), broken);
        expect((out.match(/ error MG020 /g) ?? []).length, 'MG020 printed once').toBe(mg020 + 1);
        await save(`sed -i fixing it (${round})`, sed('s/^          UPDTE invoices i$/          UPDATE invoices i/'), good);
      }
      const text = readFileSync(file, 'utf8');
      await save('a sed -i that changes nothing', sed('s/^no such line$/x/'), undefined);
      await save('a write of the same text', () => writeFileSync(file, text), undefined);
      await save('a write in place', () => writeFileSync(file, text.replace('title: Give every', 'title: Give each')), good);
      const tmp = join(project, 'plans/.invoice-region.yaml.tmp-1');
      await save('a temporary file renamed over', () => {
        writeFileSync(tmp, text.replace('ADD COLUMN region text;', 'ADD COLUM region text;'));
        renameSync(tmp, file);
      }, /rebuilt in \d+ ms: 1 error/);
      await save('truncate, then write', () => {
        truncateSync(file, 0);
        writeFileSync(file, text);
      }, good);
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 90_000);
});

describe('migc watch: what a change rebuilds', () => {
  it('a baseline change rebuilds the plans that read it, not the others', async () => {
    await watch();
    writeFileSync(join(project, 'shared/base.sql'), 'CREATE TABLE t (id integer, c integer);\n');
    const r = await until('the rebuild', () => rebuilds[1]);
    expect(r.files).toEqual(['plans/a.yaml', 'plans/c.yaml']);
    expect(r.line).toMatch(/^rebuilt 2 plans in \d+ ms/);
  });

  it('a baseline or config saved as it was rebuilds nothing; a plan with errors is not printed again when another plan rebuilds', async () => {
    writeFileSync(join(project, 'migc.config.json'), '{ "assume_rows": { "t": 10 } }');
    await watch();
    writeFileSync(join(project, 'plans/c.yaml'), plan('plan-c', 'Plan C', 'baseline:\n  file: ../shared/base.sql\n').replace('kind: expand', 'kind: expnad'));
    await until('plan C\'s error', () => rebuildsOf('plans/c.yaml').find((r) => r.errors > 0));
    writeFileSync(join(project, 'shared/base.sql'), readFileSync(join(project, 'shared/base.sql'), 'utf8'));
    writeFileSync(join(project, 'migc.config.json'), readFileSync(join(project, 'migc.config.json'), 'utf8'));
    await new Promise((r) => setTimeout(r, 300)); // past the session's second look
    await sentinel(1);
    await sentinel(2);
    expect(rebuilds.map((r) => r.files)).toEqual([['plans/a.yaml', 'plans/b.yaml', 'plans/c.yaml'], ['plans/c.yaml'], ['plans/b.yaml'], ['plans/b.yaml']]);
    expect(stdout.match(/ error MG010 /g)).toHaveLength(1);
  });

  it('a template change rebuilds all; a config change too', async () => {
    mkdirSync(join(project, 'tpl'));
    writeFileSync(join(project, 'tpl/checklist.md.hbs'), readFileSync(join(root, 'templates/checklist.md.hbs'), 'utf8'));
    await watch(['plans'], { templates: 'tpl' });
    writeFileSync(join(project, 'tpl/checklist.md.hbs'), `${readFileSync(join(root, 'templates/checklist.md.hbs'), 'utf8')}\nEdited checklist.\n`);
    await until('the new checklists', () => ['plan-a', 'plan-b', 'plan-c'].every((id) => readFileSync(join(project, 'out', id, 'checklist.md'), 'utf8').includes('Edited checklist.')));
    expect(rebuilds[1]!.files).toEqual(['plans/a.yaml', 'plans/b.yaml', 'plans/c.yaml']);
    await running!.session.settled();
    writeFileSync(join(project, 'migc.config.json'), JSON.stringify({ assume_rows: { t: 10 } }));
    await until('the rebuild after the config', () => rebuilds[2]);
    expect(rebuilds[2]!.files).toEqual(['plans/a.yaml', 'plans/b.yaml', 'plans/c.yaml']);
    expect(report('plan-b')).toMatch(/\| `?t`? \| 10 \|/);
  });

  it('a broken config keeps the previous settings and says so; fixed, it applies', async () => {
    await watch();
    writeFileSync(join(project, 'migc.config.json'), '{ "postgress": 16 }');
    await until('the config\'s problem', () => stderr.includes('migc.config.json has errors: the previous settings stay'));
    expect(stdout).toContain('unknown property "postgress"');
    writeFileSync(join(project, 'migc.config.json'), '{ "assume_rows": { "t": 10 } }');
    await until('the rebuild', () => rebuilds.find((r) => r.files.length === 3 && rebuilds.indexOf(r) > 0));
  });

  it('an added plan is built, a removed one leaves its outputs and says so, a renamed one is built under its new name', async () => {
    await watch();
    writeFileSync(join(project, 'plans/d.yaml'), plan('plan-d', 'Plan D'));
    await until('plan D\'s outputs', () => existsSync(join(project, 'out/plan-d/report.md')));
    expect(running!.session.preview.plans().map((p) => p.file)).toEqual(['plans/a.yaml', 'plans/b.yaml', 'plans/c.yaml', 'plans/d.yaml']);

    unlinkSync(join(project, 'plans/d.yaml'));
    await until('the removal', () => rebuilds.find((r) => r.removed.includes('plans/d.yaml')));
    expect(stderr).toContain('plans/d.yaml removed: out/plan-d/ is left as it was');
    expect(existsSync(join(project, 'out/plan-d/report.md'))).toBe(true);
    expect(running!.session.preview.plans().map((p) => p.id)).toEqual(['plan-a', 'plan-b', 'plan-c']);

    renameSync(join(project, 'plans/c.yaml'), join(project, 'plans/c2.yaml'));
    await until('the renamed plan', () => running!.session.preview.plans().some((p) => p.file === 'plans/c2.yaml' && p.ok));
    await running!.session.settled();
    expect(running!.session.preview.plans().map((p) => p.file)).toEqual(['plans/a.yaml', 'plans/b.yaml', 'plans/c2.yaml']);
  });

  it('a second plan with the same id: both fail (MG040), the first keeps its outputs; renamed, both build', async () => {
    await watch();
    const before = report('plan-b');
    writeFileSync(join(project, 'plans/e.yaml'), plan('plan-b', 'Plan E'));
    await until('the clash', () => running!.session.preview.plans().filter((p) => p.diagnostics.some((d) => d.code === 'MG040')).length === 2);
    expect(report('plan-b')).toBe(before);
    writeFileSync(join(project, 'plans/e.yaml'), plan('plan-e', 'Plan E'));
    await until('both built', () => running!.session.preview.plans().every((p) => p.ok) && existsSync(join(project, 'out/plan-e/report.md')));
  });
});

describe('migc watch: a new user\'s edits (renames, new plans, templates, config)', () => {
  it('a plan saved during the watch, then renamed with mv, is gone under its old name, not an unreadable plan', async () => {
    await watch();
    // The save makes the session look at the file again later (its second look), which drops
    // it from the workspace's file cache: the rename's build then reads the old name as gone
    // before the old name's unlink is reported.
    writeFileSync(join(project, 'plans/c.yaml'), plan('plan-c', 'Plan C saved', 'baseline:\n  file: ../shared/base.sql\n'));
    await until('the save', () => report('plan-c').includes('# Plan C saved'));
    await new Promise((r) => setTimeout(r, 200)); // past the second look
    await running!.session.settled();
    renameSync(join(project, 'plans/c.yaml'), join(project, 'plans/c-renamed.yaml'));
    await until('the old name removed', () => rebuilds.find((r) => r.removed.includes('plans/c.yaml')));
    await new Promise((r) => setTimeout(r, 300)); // the watcher's late unlink, and the second look
    await running!.session.settled();
    expect(running!.session.preview.plans().map((p) => p.file)).toEqual(['plans/a.yaml', 'plans/b.yaml', 'plans/c-renamed.yaml']);
    expect(running!.session.preview.plans().every((p) => p.ok)).toBe(true);
    expect(stdout).not.toContain('MG000');
    expect(stderr).toContain('plans/c.yaml removed; plans/c-renamed.yaml has its id: out/plan-c/ is built from it now');
    expect(rebuilds.every((r) => r.errors === 0)).toBe(true);

    // A plan added during the watch, saved, then deleted: removed too.
    writeFileSync(join(project, 'plans/d.yaml'), plan('plan-d', 'Plan D'));
    await until('plan D', () => existsSync(join(project, 'out/plan-d/report.md')));
    writeFileSync(join(project, 'plans/d.yaml'), plan('plan-d', 'Plan D saved'));
    await until('plan D saved', () => report('plan-d').includes('# Plan D saved'));
    await new Promise((r) => setTimeout(r, 200));
    unlinkSync(join(project, 'plans/d.yaml'));
    await until('plan D removed', () => !running!.session.preview.plans().some((p) => p.file === 'plans/d.yaml'));
    await running!.session.settled();
    expect(stdout).not.toContain('MG000');
    expect(stderr).toContain('plans/d.yaml removed: out/plan-d/ is left as it was');
  });

  it('a baseline moved away and back (git stash, git checkout, an editor\'s rename) rebuilds the plans that read it, both times; a config removed and written again is read', async () => {
    // Two files watched outside the plans' folder from the start: chokidar, watching several
    // files by name, does not report one that is removed and created again.
    writeFileSync(join(project, 'shared/other.sql'), 'CREATE TABLE u (id integer);\n');
    writeFileSync(join(project, 'plans/b.yaml'), plan('plan-b', 'Plan B', 'baseline:\n  file: ../shared/other.sql\n'));
    writeFileSync(join(project, 'migc.config.json'), '{ "postgres": 15 }');
    await watch();
    expect(running!.session.dependencies()).toEqual(['shared/base.sql', 'shared/other.sql']);
    for (const round of [1, 2]) {
      renameSync(join(project, 'shared/base.sql'), join(project, 'base.sql.away'));
      await until(`the missing baseline (${round})`, () => running!.session.preview.plans().filter((p) => p.diagnostics.some((d) => d.code === 'MG034')).length === 2);
      await new Promise((r) => setTimeout(r, 300)); // longer than an editor's rename over the file
      renameSync(join(project, 'base.sql.away'), join(project, 'shared/base.sql'));
      await until(`the baseline back (${round})`, () => running!.session.preview.plans().every((p) => p.ok), 5_000);
    }
    writeFileSync(join(project, 'shared/base.sql'), 'CREATE TABLE t (id integer, c2 integer);\n');
    await until('the edit after', () => rebuilds.some((r, i) => i > 4 && r.files.join() === 'plans/a.yaml,plans/c.yaml'), 5_000);
    unlinkSync(join(project, 'migc.config.json'));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(project, 'migc.config.json'), '{ "postgres": 15, "rules": { "MG201": "warnign" } }');
    await until('the config back, with its problem', () => running!.session.preview.problems().length === 1, 5_000);
  });

  it('a new plan with errors says nothing was written, not that its never-built outputs were kept', async () => {
    await watch();
    // A rule's error: the plan has an id, and out/plan-e/ has never been written.
    const unsafe = plan('plan-e', 'Plan E').replace('ALTER TABLE t ADD COLUMN c integer;', 'CREATE INDEX t_c ON t (c);').replace('ALTER TABLE t DROP COLUMN c;', 'DROP INDEX CONCURRENTLY IF EXISTS t_c;');
    writeFileSync(join(project, 'plans/e.yaml'), unsafe);
    const line = await until('plan E\'s line', () => rebuildsOf('plans/e.yaml')[0]);
    expect(line.line).toMatch(/^plans\/e\.yaml \(plan-e\): rebuilt in \d+ ms: 1 error, \d+ warnings?; nothing written$/);
    expect(existsSync(join(project, 'out/plan-e'))).toBe(false);
    // On a line about several plans (a config change rebuilds all) it names the plan, since the others were written.
    writeFileSync(join(project, 'migc.config.json'), '{ "postgres": 15 }');
    const several = await until('the line of several plans', () => rebuilds.find((r) => r.files.length === 4));
    expect(several.line).toMatch(/^rebuilt 4 plans in \d+ ms: 1 error, \d+ warnings?; nothing written for plans\/e\.yaml$/);
    // Never built, yet the preview's index can say what it is: its errors are a rule's.
    expect(running!.session.preview.plans().find((p) => p.file === 'plans/e.yaml')).toMatchObject({ ok: false, errors: 1, phases: 1, risk: 'low', outputs: new Map() });
    // Once it builds and is written, a later error keeps those outputs, and says so.
    writeFileSync(join(project, 'plans/e.yaml'), plan('plan-e', 'Plan E'));
    await until('plan E\'s outputs', () => existsSync(join(project, 'out/plan-e/report.md')));
    writeFileSync(join(project, 'plans/e.yaml'), plan('plan-e', 'Plan E').replace('ALTER TABLE t ADD COLUMN c integer;', 'ALTER TABLE t ADD COLUMN c integer'.replace('ADD', 'ADDD')));
    const kept = await until('plan E\'s error', () => rebuildsOf('plans/e.yaml').slice(2).find((r) => r.errors > 0));
    expect(kept.line).toMatch(/^plans\/e\.yaml \(plan-e\): rebuilt in \d+ ms: 1 error, 0 warnings; out\/plan-e\/ left as it was$/);
  });

  it('a broken template is printed, counted and shown in the preview; fixed, every plan builds again', async () => {
    mkdirSync(join(project, 'tpl'));
    const checklist = readFileSync(join(root, 'templates/checklist.md.hbs'), 'utf8');
    writeFileSync(join(project, 'tpl/checklist.md.hbs'), checklist);
    await watch(['plans'], { templates: 'tpl' });
    const heard: string[][] = [];
    running!.session.preview.subscribe((ids) => heard.push([...ids]));
    writeFileSync(join(project, 'tpl/checklist.md.hbs'), `{{#if plan}\n${checklist}`);
    const broken = await until('the rebuild', () => rebuilds[1]);
    expect(broken.errors).toBe(1);
    expect(broken.line).toMatch(/^rebuilt 3 plans in \d+ ms: 1 error, 0 warnings; the templates have errors, so no plan is built: out\/ is left as it was$/);
    expect(stdout).toMatch(/tpl\/checklist\.md\.hbs:1:\d+ error MG050 /);
    const problems = running!.session.preview.problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'MG050', file: 'tpl/checklist.md.hbs', line: 1, severity: 'error' });
    expect(running!.session.preview.plans().map((p) => [p.ok, p.errors])).toEqual([[false, 0], [false, 0], [false, 0]]);
    expect(heard.length).toBeGreaterThan(0);
    // Fixed: the problem goes, the plans build (and the template's error is not printed again).
    const printed = (stdout.match(/ error MG050 /g) ?? []).length;
    writeFileSync(join(project, 'tpl/checklist.md.hbs'), `${checklist}\nFixed.\n`);
    await until('the fix', () => rebuilds[2]);
    await running!.session.settled();
    expect(running!.session.preview.problems()).toEqual([]);
    expect(running!.session.preview.plans().every((p) => p.ok)).toBe(true);
    expect(readFileSync(join(project, 'out/plan-a/checklist.md'), 'utf8')).toContain('Fixed.');
    expect((stdout.match(/ error MG050 /g) ?? []).length).toBe(printed);
  });

  it('a config with errors is a problem the preview shows until it is fixed', async () => {
    await watch();
    let told = 0;
    running!.session.preview.subscribe(() => (told += 1));
    writeFileSync(join(project, 'migc.config.json'), '{ "postgres": 15, "rules": { "MG201": "warnign" } }');
    await until('the config\'s problem', () => running!.session.preview.problems().length === 1);
    expect(running!.session.preview.problems()[0]).toMatchObject({ code: 'MG010', file: 'migc.config.json', line: 1, severity: 'error' });
    expect(told).toBe(1);
    writeFileSync(join(project, 'migc.config.json'), '{ "postgres": 15 }');
    await until('the fix', () => running!.session.preview.problems().length === 0);
    await running!.session.settled();
    expect(running!.session.preview.plans().every((p) => p.ok)).toBe(true);
  });

  it('--serve on a port in use stops at once with exit 2, before building or writing anything', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    let out = '';
    let err = '';
    try {
      const code = await watchCommand(['plans'], { out: 'out', serve: true, port }, { cwd: project, color: false, stdout: (t) => (out += t), stderr: (t) => (err += t) });
      expect(code).toBe(2);
    } finally {
      taken.close();
    }
    expect(err).toBe(`migc: cannot start the preview on port ${port}: port ${port} on 127.0.0.1 is in use: give another with --port N, or --port 0 for any free port\n`);
    expect(out).toBe('');
    expect(existsSync(join(project, 'out'))).toBe(false);
  });
});

describe('migc watch: the preview source', () => {
  it('keeps the last good outputs under errors, counts revisions, and tells subscribers which plans changed', async () => {
    await watch();
    const heard: string[][] = [];
    const unsubscribe = running!.session.preview.subscribe((ids) => heard.push([...ids]));
    const a0 = running!.session.preview.plans().find((p) => p.file === 'plans/a.yaml')!;
    expect(a0).toMatchObject({ id: 'plan-a', ok: true, errors: 0, phases: 1, risk: 'low', revision: 1 });
    expect(a0.outputs.get('report.md')).toContain('# Plan A');
    expect([...a0.outputs.keys()]).toContain('01-expand.up.sql');

    writeFileSync(join(project, 'plans/a.yaml'), plan('plan-a', 'Plan A', 'baseline:\n  file: ../shared/base.sql\n').replace('kind: expand', 'kind: expnad'));
    const broken = await until('the error', () => running!.session.preview.plans().find((p) => p.file === 'plans/a.yaml' && !p.ok));
    expect(broken).toMatchObject({ id: 'plan-a', errors: 1, revision: 2, phases: 1 });
    expect(broken.outputs.get('report.md')).toBe(a0.outputs.get('report.md'));
    expect(broken.diagnostics[0]).toMatchObject({ code: 'MG010', file: 'plans/a.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(heard).toEqual([['plan-a']]);
    // The other plans were not rebuilt: same revision.
    expect(running!.session.preview.plans().find((p) => p.id === 'plan-b')!.revision).toBe(1);
    unsubscribe();
  });
});

describe('migc watch: the command', () => {
  it('--serve prints the preview address and serves each save; Ctrl-C ends a watch with exit 0 and nothing half-written', async () => {
    cpSync(join(root, 'plans/email-verified.yaml'), join(project, 'plans/email-verified.yaml'));
    cpSync(join(root, 'plans/users.baseline.sql'), join(project, 'plans/users.baseline.sql'));
    cpSync(join(root, 'plans/apps'), join(project, 'plans/apps'), { recursive: true });
    const run = (args: string[]) => {
      const child = spawn(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: project, env: cliEnv() });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      return { child, exited, out: () => out, err: () => err };
    };
    // --serve: the real binary prints the preview's address, serves the plans, and serves a save.
    const served = run(['watch', '--serve', '--port', '0']);
    await until('the preview address', () => /preview: http:\/\/127\.0\.0\.1:\d+\//.test(served.out()), 30_000);
    const url = /preview: (\S+)/.exec(served.out())![1]!;
    await until('the first build', () => served.err().includes('watching for changes'), 30_000);
    const index = await fetch(url);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('plans/email-verified.yaml');
    const page = `${url}plan/plans/email-verified.yaml`;
    const before = await fetch(page).then((r) => r.text());
    expect(before).toContain('Replace users.verification_date');
    const edited = readFileSync(join(project, 'plans/email-verified.yaml'), 'utf8').replace(/^title: .*$/m, 'title: Served after a save');
    writeFileSync(join(project, 'plans/email-verified.yaml'), edited);
    const deadline = Date.now() + 30_000;
    while (!(await fetch(page).then((r) => r.text())).includes('Served after a save')) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the page to show the save');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await fetch(`${url}../../etc/passwd`)).status).toBe(404);
    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);

    const watching = run(['watch']);
    await until('the watch to start', () => watching.err().includes('watching for changes'), 30_000);
    writeFileSync(join(project, 'plans/a.yaml'), plan('plan-a', 'Plan A before Ctrl-C', 'baseline:\n  file: ../shared/base.sql\n'));
    watching.child.kill('SIGINT');
    expect(await watching.exited).toBe(0);
    expect(watching.err()).toContain('migc: watch stopped');
    // No temporary folder or lock is left; every plan folder is complete.
    const left = readdirSync(join(project, 'out'));
    expect(left.filter((f) => f.startsWith('.'))).toEqual([]);
    for (const id of left) expect(readdirSync(join(project, 'out', id))).toContain('report.md');
  }, 60_000);
});
