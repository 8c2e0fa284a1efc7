import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, minimalPlan, root } from './helpers.js';

/**
 * What migc writes and reads, and where, with the real binary: the output folder, links, the
 * lock, a build killed mid-write, two builds at once, files a plan names outside the project.
 */
function migc(args: string[], cwd: string, env: Record<string, string> = {}, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv(env), timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let project: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migc-cli-write-'));
  project = join(dir, 'project');
  mkdirSync(join(project, 'plans'), { recursive: true });
  writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder's regular files and contents, hidden ones included, sub-folders left out. */
function snapshot(path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).filter((f) => statSync(join(path, f)).isFile()).sort().map((f) => [f, readFileSync(join(path, f), 'utf8')]));
}

describe('where migc build writes', () => {
  it('refuses --out /, the home folder, and a folder outside the project unless --allow-outside', async () => {
    expect(await migc(['build', '--out', '/'], project)).toMatchObject({ code: 2, stdout: '', stderr: 'migc: --out / is the root of the file system; migc creates a folder per plan there. Give a folder in your project, such as out\n' });
    const home = join(dir, 'home');
    mkdirSync(home);
    expect(await migc(['build', '--out', home, '--allow-outside'], project, { HOME: home })).toMatchObject({ code: 2, stderr: expect.stringContaining('is your home folder') });
    const outside = join(dir, 'elsewhere');
    const r = await migc(['build', '--out', outside], project);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/^migc: --out .*elsewhere is outside the project: .* pass --allow-outside to write there\n$/) });
    expect(existsSync(outside)).toBe(false);
    expect(await migc(['build', '--out', outside, '--allow-outside'], project)).toMatchObject({ code: 0 });
    expect(snapshot(join(outside, 'minimal'))).toHaveProperty(['report.md']);
    expect(await migc(['build', '--out', '../x'], project)).toMatchObject({ code: 2 });
    expect(await migc(['verify', '--report', '--out', '../x'], project)).toMatchObject({ code: 2, stderr: expect.stringContaining('is outside the project') });
  });

  it('refuses an output folder that is a link to a folder outside the project', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(project, 'out'));
    expect(await migc(['build'], project)).toMatchObject({ code: 2, stderr: expect.stringContaining(`migc: --out out is outside the project (a link to ${elsewhere})`) });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('never writes, overwrites or deletes through a plan folder that is a link', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'report.md'), 'precious\n');
    writeFileSync(join(elsewhere, '01-old.up.sql'), 'precious\n');
    mkdirSync(join(project, 'out'));
    symlinkSync(elsewhere, join(project, 'out/minimal'));
    const r = await migc(['build'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`migc: out/minimal is a symbolic link (to ${elsewhere}); migc never writes through links. Remove the link and build again: migc creates a real folder there\n`
      + 'migc: built 0 of 1 plan into out/ (0 written, 0 unchanged); 1 could not be written: 0 errors, 0 warnings\n');
    expect(snapshot(elsewhere)).toEqual({ '01-old.up.sql': 'precious\n', 'report.md': 'precious\n' });
  });

  it('--out /proc/x ends at once with one line, not a spinning process', async () => {
    const started = Date.now();
    const r = await migc(['build', '--out', '/proc/x'], project, {}, 20_000);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^migc: --out \/proc\/x is on a proc file system/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a file where a folder should be: one line with the path and the cause, exit 2, other plans written', async () => {
    writeFileSync(join(project, 'plans/other.yaml'), minimalPlan.replace('id: minimal', 'id: other'));
    mkdirSync(join(project, 'out'));
    writeFileSync(join(project, 'out/minimal'), 'not a folder');
    const r = await migc(['build'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^migc: out\/minimal is not a folder; move it away and build again\nmigc: built 1 of 2 plans into out\/ \(\d+ written, 0 unchanged\); 1 could not be written/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(project, 'out/other/report.md'))).toBe(true);
    writeFileSync(join(project, 'not-a-folder'), '');
    expect(await migc(['build', '--out', 'not-a-folder/out'], project)).toMatchObject({ code: 2, stderr: 'migc: --out not-a-folder/out cannot be created: not-a-folder is not a folder\n' });
  });

  it('keeps a file it did not write, says so, and removes only scripts it wrote', async () => {
    await migc(['build'], project);
    writeFileSync(join(project, 'out/minimal/05-hotfix.up.sql'), 'SELECT 5;\n');
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan.replace('name: expand', 'name: add'));
    const r = await migc(['build'], project);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^migc: note: kept out\/minimal\/05-hotfix\.up\.sql: migc did not write it\n/);
    expect(Object.keys(snapshot(join(project, 'out/minimal')))).toEqual(['.migc-manifest', '01-add.down.sql', '01-add.up.sql', '05-hotfix.up.sql', 'checklist.md', 'report.md', 'timeline.mmd']);
    expect(readFileSync(join(project, 'out/minimal/05-hotfix.up.sql'), 'utf8')).toBe('SELECT 5;\n');
  });

  it('waits for a live lock and gives up after --lock-timeout; takes over a dead one', async () => {
    await migc(['build'], project);
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(project, 'out/.migc.lock'), JSON.stringify({ pid: holder.pid, host: hostname(), nonce: 'n' }));
      const r = await migc(['build', '--lock-timeout', '0.5'], project);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`migc: out/ is locked by another migc (pid ${holder.pid}); waiting up to 0.5 s\n`);
      expect(r.stderr).toContain(`migc: out/ is locked by another migc (pid ${holder.pid}): gave up after 0.5 s (--lock-timeout). If no migc is running, delete out/.migc.lock; nothing was written\n`);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => holder.once('exit', r));
    expect(await migc(['build'], project)).toMatchObject({ code: 0 }); // its owner is dead now
    expect(existsSync(join(project, 'out/.migc.lock'))).toBe(false);
    expect(await migc(['build', '--lock-timeout', 'soon'], project)).toMatchObject({ code: 2, stderr: 'migc: --lock-timeout takes seconds, for example 60; got soon\n' });
  });
});

describe('files a plan names', () => {
  const withBaseline = (file: string) => minimalPlan.replace('phases:', `baseline:\n  file: ${file}\nphases:`);

  it('refuses a path out of the project, and a link to a file outside it, without reading them', async () => {
    const secret = join(dir, 'secret.sql');
    writeFileSync(secret, 'TOP SECRET not sql\n');
    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('../../secret.sql'));
    let r = await migc(['check'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('plans/minimal.yaml:8:9 error MG036 baseline file "../../secret.sql" is outside the project');
    expect(r.stdout).not.toContain('SECRET');

    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('../../../../../../../../etc/passwd'));
    r = await migc(['check'], project);
    expect(r.stdout).toContain('error MG036 baseline file "../../../../../../../../etc/passwd" is outside the project');
    expect(r.stdout).not.toMatch(/root:|MG020/);

    symlinkSync(secret, join(project, 'plans/linked.sql'));
    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('linked.sql'));
    r = await migc(['build'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error MG036 baseline file "linked.sql" is a link to ../secret.sql, which is outside the project');
    expect(r.stdout).not.toContain('SECRET');
    expect(existsSync(join(project, 'out'))).toBe(false);
  });

  it('reads files through links that stay inside, and from folders the config allows', async () => {
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared/users.sql'), 'CREATE TABLE t (id bigint);\n');
    mkdirSync(join(project, 'schemas'));
    writeFileSync(join(project, 'schemas/t.sql'), 'CREATE TABLE t (id bigint);\n');
    symlinkSync(join(project, 'schemas/t.sql'), join(project, 'plans/t.sql'));
    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('t.sql'));
    expect(await migc(['check'], project)).toMatchObject({ code: 0 });

    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('../../shared/users.sql'));
    expect((await migc(['check'], project)).stdout).toContain('MG036');
    writeFileSync(join(project, 'migc.config.json'), JSON.stringify({ allow_files_outside: ['../shared'] }));
    expect(await migc(['check'], project)).toMatchObject({ code: 0 });
    symlinkSync(join(dir, 'shared/users.sql'), join(project, 'plans/shared-link.sql'));
    writeFileSync(join(project, 'plans/minimal.yaml'), withBaseline('shared-link.sql'));
    expect(await migc(['check'], project)).toMatchObject({ code: 0 });
  });
});

describe('names that become files', () => {
  it('check catches a phase name too long for a file name, which build would fail on', async () => {
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan.replace('name: expand', `name: ${'p'.repeat(300)}`));
    const r = await migc(['check'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error MG010 phases[0].name is 300 characters long; at most 63 are allowed');
    expect((await migc(['build'], project)).code).toBe(1);
  });

  it.each(['con', 'nul', 'aux', 'prn', 'com1', 'lpt9'])('refuses the plan id %s, a Windows device name', async (id) => {
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan.replace('id: minimal', `id: ${id}`));
    const r = await migc(['check'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error MG010 id cannot be "${id}"`);
  });
});

/** Plans whose every output differs between version a and b, b with a renamed phase. */
function writePlans(count: number, version: 'a' | 'b', folder = 'plans'): void {
  mkdirSync(join(project, folder), { recursive: true });
  for (let i = 0; i < count; i++) {
    const id = `plan-${String(i).padStart(3, '0')}`;
    let text = minimalPlan.replace('id: minimal', `id: ${id}`).replace('title: Minimal plan', `title: Plan ${i} version ${version}`);
    if (version === 'b') text = text.replace('name: expand', 'name: widen').replaceAll('ADD COLUMN c integer', 'ADD COLUMN d integer').replaceAll('DROP COLUMN c', 'DROP COLUMN d');
    writeFileSync(join(project, folder, `${id}.yaml`), text);
  }
}

describe('a build killed or raced', () => {
  it('kill -9 at random moments while writing: every plan folder is wholly old or wholly new, and the next build leaves no temporaries', async () => {
    const count = 40;
    rmSync(join(project, 'plans/minimal.yaml'));
    const versions: Record<'a' | 'b', Record<string, Record<string, string>>> = { a: {}, b: {} };
    for (const v of ['a', 'b'] as const) {
      writePlans(count, v);
      expect((await migc(['build', '--out', `ref-${v}`], project)).code).toBe(0);
      for (const id of readdirSync(join(project, `ref-${v}`))) versions[v][id] = snapshot(join(project, `ref-${v}`, id));
    }
    writePlans(count, 'a');
    expect((await migc(['build'], project)).code).toBe(0);
    const out = join(project, 'out');
    const ids = Object.keys(versions.a);
    let killedWhileWriting = 0;
    let mixed = 0;
    for (let round = 0; round < 5; round++) {
      const next = round % 2 === 0 ? 'b' : 'a';
      writePlans(count, next);
      const child = spawn(process.execPath, [join(root, 'bin/migc.js'), 'build'], { cwd: project, env: cliEnv(), stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      // Wait until it writes (it holds the lock, or the first plan's report was replaced), then kill it a random moment later.
      const deadline = Date.now() + 30_000;
      let exitedEarly = false;
      child.once('exit', () => { exitedEarly = true; });
      const firstReport = join(out, ids[0]!, 'report.md');
      const before = statSync(firstReport).ino;
      const writing = () => existsSync(join(out, '.migc.lock')) || statSync(firstReport, { throwIfNoEntry: false })?.ino !== before;
      while (!writing() && Date.now() < deadline && !exitedEarly) await new Promise((r) => setImmediate(r));
      const wait = Date.now() + Math.random() * 120;
      while (Date.now() < wait); // busy: a timer would be too coarse
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        killedWhileWriting++;
      }
      await exited;
      let news = 0;
      let gaps = 0;
      for (const id of ids) {
        const path = join(out, id);
        if (!existsSync(path)) {
          // Killed between the two renames of a swap: the whole old folder waits beside it.
          const aside = readdirSync(out).find((f) => f.startsWith(`.${id}.migc-old-`));
          expect(aside, `${id} is missing, with no old folder beside it`).toBeDefined();
          expect(snapshot(join(out, aside!))).toEqual(versions[next === 'a' ? 'b' : 'a'][id]);
          gaps++;
          continue;
        }
        const now = snapshot(path);
        const whole = JSON.stringify(now) === JSON.stringify(versions.a[id]) || JSON.stringify(now) === JSON.stringify(versions.b[id]);
        if (!whole) mixed++;
        expect(whole, `round ${round}: ${id} mixes versions: ${Object.keys(now).join(', ')}`).toBe(true);
        if (JSON.stringify(now) === JSON.stringify(versions[next][id])) news++;
      }
      // The next build finishes the job and cleans up after the killed one.
      const r = await migc(['build'], project);
      expect(r.code).toBe(0);
      expect(readdirSync(out).filter((f) => f.startsWith('.')), `round ${round}`).toEqual([]);
      for (const id of ids) expect(snapshot(join(out, id))).toEqual(versions[next][id]);
      if (process.env.MIGC_TEST_VERBOSE) console.log(`round ${round}: ${news} of ${ids.length} plans new, ${gaps} set aside`);
    }
    expect(mixed).toBe(0);
    expect(killedWhileWriting).toBeGreaterThan(0);
  }, 240_000);

  it('two builds at once, one with renamed phases: both finish, and every plan folder is one whole version', async () => {
    rmSync(join(project, 'plans/minimal.yaml'));
    const count = 30;
    const versions: Record<'a' | 'b', Record<string, Record<string, string>>> = { a: {}, b: {} };
    for (const v of ['a', 'b'] as const) {
      writePlans(count, v, `plans-${v}`);
      expect((await migc(['build', `plans-${v}`, '--out', `ref-${v}`], project)).code).toBe(0);
      for (const id of readdirSync(join(project, `ref-${v}`))) versions[v][id] = snapshot(join(project, `ref-${v}`, id));
    }
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([migc(['build', 'plans-a'], project), migc(['build', 'plans-b'], project)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      for (const id of Object.keys(versions.a)) {
        const now = JSON.stringify(snapshot(join(project, 'out', id)));
        expect(now === JSON.stringify(versions.a[id]) || now === JSON.stringify(versions.b[id]), `round ${round}: ${id} mixes versions: ${now.slice(0, 300)}`).toBe(true);
      }
      expect(readdirSync(join(project, 'out')).filter((f) => f.startsWith('.'))).toEqual([]);
    }
  }, 120_000);
});

describe('a folder from an older migc', () => {
  it('is adopted: its files replaced, a hand-added script and old temporaries dealt with', async () => {
    await migc(['build'], project);
    rmSync(join(project, 'out/minimal/.migc-manifest'));
    writeFileSync(join(project, 'out/minimal/05-hotfix.up.sql'), 'mine\n');
    writeFileSync(join(project, 'out/minimal/report.md.0123456789ab.tmp'), 'half');
    renameSync(join(project, 'out/minimal/checklist.md'), join(project, 'out/minimal/checklist.old'));
    const r = await migc(['build'], project);
    expect(r.code).toBe(0);
    expect(Object.keys(snapshot(join(project, 'out/minimal')))).toEqual(['.migc-manifest', '01-expand.down.sql', '01-expand.up.sql', '05-hotfix.up.sql', 'checklist.md', 'checklist.old', 'report.md', 'timeline.mmd']);
  });
});
