import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../src/write/lock.js';
import { checkOutputRoot, lockFileName, manifestName, openOutputFolder, writeOutputs, type OutputRoot, type PlanWriteResult, type WriteFs } from '../src/write/write.js';

let dir: string;
let project: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migc-write-'));
  project = join(dir, 'project');
  mkdirSync(project);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const v1 = [{ path: 'p/report.md', contents: '# r\n' }, { path: 'p/01-a.up.sql', contents: 'SELECT 1;\n' }, { path: 'p/01-a.down.sql', contents: 'SELECT 2;\n' }];
const v2 = [{ path: 'p/report.md', contents: '# r2\n' }, { path: 'p/01-b.up.sql', contents: 'SELECT 3;\n' }, { path: 'p/01-b.down.sql', contents: 'SELECT 4;\n' }];

function root(out = 'out'): OutputRoot {
  const checked = checkOutputRoot({ out, cwd: project });
  if (!checked.ok) throw new Error(checked.message);
  return checked.root;
}

async function write(files: typeof v1, options: { fs?: WriteFs; out?: string } = {}): Promise<PlanWriteResult> {
  const result = await writeOutputs(root(options.out), [{ id: 'p', outputs: files }], options.fs ? { fs: options.fs } : {});
  if (result.problem) throw new Error(result.problem.message);
  return result.plans.get('p')!;
}

/** The plan folder's files and contents, without the manifest. */
function folder(path = join(project, 'out/p')): Record<string, string> {
  return Object.fromEntries(readdirSync(path).filter((f) => f !== manifestName && !statSync(join(path, f)).isDirectory()).sort().map((f) => [f, readFileSync(join(path, f), 'utf8')]));
}
const asFolder = (files: typeof v1) => Object.fromEntries(files.map((f) => [f.path.slice(2), f.contents]).sort());
/** Everything in the output folder that is not a plan folder: temporaries, locks. */
const strays = () => readdirSync(join(project, 'out')).filter((f) => f !== 'p');

describe('the output folder (--out)', () => {
  const refused = (options: Parameters<typeof checkOutputRoot>[0]) => {
    const r = checkOutputRoot(options);
    return r.ok ? 'accepted' : r.message;
  };

  it('accepts a folder inside the project, existing or not, and resolves it', () => {
    expect(checkOutputRoot({ out: 'out', cwd: project })).toEqual({ ok: true, root: { real: join(fs.realpathSync(project), 'out'), display: 'out' } });
    expect(checkOutputRoot({ out: 'build/deep/out/', cwd: project })).toMatchObject({ ok: true, root: { display: 'build/deep/out' } });
    expect(checkOutputRoot({ out: join(project, 'abs'), cwd: project }).ok).toBe(true);
  });

  it('refuses /, the home folder and a folder outside the project; --allow-outside allows only the last', () => {
    expect(refused({ out: '/', cwd: project })).toBe('--out / is the root of the file system; migc creates a folder per plan there. Give a folder in your project, such as out');
    expect(refused({ out: '/', cwd: project, allowOutside: true })).toMatch(/root of the file system/);
    const home = join(dir, 'home');
    mkdirSync(home);
    expect(refused({ out: home, cwd: project, home, allowOutside: true })).toMatch(/is your home folder/);
    expect(refused({ out: '..', cwd: project, home })).toMatch(/^--out \.\. is outside the project: migc writes inside the folder it runs in \(.*\)\. Give a folder inside it, or pass --allow-outside to write there$/);
    expect(refused({ out: '../../x', cwd: project })).toMatch(/is outside the project/);
    expect(refused({ out: '.', cwd: project })).toBe('--out . is the project folder itself; migc creates a folder per plan there, beside your own. Give a folder inside it, such as out');
    expect(refused({ out: join(dir, 'elsewhere'), cwd: project, allowOutside: true })).toBe('accepted');
  });

  it('follows a link to the output folder before judging it', () => {
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(project, 'out'));
    expect(refused({ out: 'out', cwd: project })).toMatch(/^--out out is outside the project \(a link to .*elsewhere\)/);
    mkdirSync(join(project, 'real-out'));
    symlinkSync(join(project, 'real-out'), join(project, 'linked-out'));
    expect(checkOutputRoot({ out: 'linked-out', cwd: project })).toMatchObject({ ok: true, root: { real: join(fs.realpathSync(project), 'real-out') } });
    symlinkSync(project, join(dir, 'project-link'));
    expect(refused({ out: '/', cwd: join(dir, 'project-link') })).toMatch(/root of the file system/);
    expect(checkOutputRoot({ out: 'out2', cwd: join(dir, 'project-link') }).ok).toBe(true); // the project itself reached by a link
  });

  it('refuses a path that is not a folder, or lies under a file', () => {
    writeFileSync(join(project, 'file'), '');
    expect(refused({ out: 'file', cwd: project })).toBe('--out file is not a folder');
    expect(refused({ out: 'file/sub/out', cwd: project })).toBe('--out file/sub/out cannot be created: file is not a folder');
  });

  it('refuses /proc, /sys and /dev at once, without looping', () => {
    const started = Date.now();
    expect(refused({ out: '/proc/x', cwd: project, allowOutside: true })).toMatch(/^--out \/proc\/x is on a proc file system/);
    expect(refused({ out: '/sys/x/y', cwd: project, allowOutside: true })).toMatch(/is on a sysfs file system|a system folder/);
    expect(refused({ out: '/dev/x', cwd: project, allowOutside: true })).toMatch(/a system folder|file system/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('creates the folder part by part and fails, not spins, where mkdir answers ENOENT as /proc does', async () => {
    const procLike: WriteFs = { ...fs, mkdirSync: ((p: fs.PathLike) => { throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${p}'`), { code: 'ENOENT', path: String(p), syscall: 'mkdir' }); }) as typeof fs.mkdirSync };
    const r = await openOutputFolder(root('a/b/out'), { fs: procLike });
    expect(r).toEqual({ ok: false, problem: { message: 'cannot create a/: a part of the path does not exist (ENOENT)' } });
  });
});

describe('writing a plan folder', () => {
  it('writes, then touches nothing when nothing changed, and leaves no temporary files', async () => {
    expect(await write(v1)).toEqual({ ok: true, written: ['p/report.md', 'p/01-a.up.sql', 'p/01-a.down.sql'], unchanged: [], removed: [], kept: [] });
    const before = statSync(join(project, 'out/p/report.md'));
    expect(await write(v1)).toEqual({ ok: true, written: [], unchanged: ['p/report.md', 'p/01-a.up.sql', 'p/01-a.down.sql'], removed: [], kept: [] });
    expect(statSync(join(project, 'out/p/report.md')).ino).toBe(before.ino);
    expect(folder()).toEqual(asFolder(v1));
    expect(strays()).toEqual([]); // the lock is gone too
  });

  it('lists what it wrote in a manifest with deterministic content', async () => {
    await write(v1);
    expect(readFileSync(join(project, 'out/p', manifestName), 'utf8')).toBe(
      '# Files migc wrote in this folder, one per line. migc replaces or removes only these; it keeps anything else.\n01-a.down.sql\n01-a.up.sql\nreport.md\n');
  });

  it('replaces the folder as a whole: new files in, its old files out, unchanged files kept as they were', async () => {
    await write(v1);
    const down = statSync(join(project, 'out/p/01-a.down.sql'));
    const next = [v1[0]!, v1[1]!, v2[1]!, { path: 'p/01-a.down.sql', contents: 'SELECT 2;\n' }];
    expect(await write(next.map((f) => (f.path === 'p/report.md' ? { ...f, contents: '# changed\n' } : f)))).toMatchObject({ written: ['p/report.md', 'p/01-b.up.sql'], unchanged: ['p/01-a.up.sql', 'p/01-a.down.sql'] });
    expect(statSync(join(project, 'out/p/01-a.down.sql')).mtimeMs).toBe(down.mtimeMs);
    expect(await write(v2)).toMatchObject({ ok: true, removed: ['p/01-a.down.sql', 'p/01-a.up.sql'] });
    expect(folder()).toEqual(asFolder(v2));
  });

  it('keeps files it did not write, and says so', async () => {
    await write(v1);
    writeFileSync(join(project, 'out/p/05-hotfix.up.sql'), 'SELECT 5;\n');
    symlinkSync('report.md', join(project, 'out/p/latest.md'));
    expect(await write(v2)).toMatchObject({ ok: true, kept: ['p/05-hotfix.up.sql', 'p/latest.md'] });
    expect(folder()).toEqual({ ...asFolder(v2), '05-hotfix.up.sql': 'SELECT 5;\n', 'latest.md': '# r2\n' });
    expect(lstatSync(join(project, 'out/p/latest.md')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(project, 'out/p', manifestName), 'utf8')).not.toContain('hotfix');
  });

  it('refuses, and changes nothing, when a file it did not write has the name of a new output, or a folder is in the way', async () => {
    await write(v1);
    writeFileSync(join(project, 'out/p/01-b.up.sql'), 'mine\n');
    expect(await write(v2)).toEqual({ ok: false, problem: { message: `out/p/01-b.up.sql was not written by migc (it is not in ${manifestName}), and the plan now writes a file of that name; move or rename yours and build again` } });
    rmSync(join(project, 'out/p/01-b.up.sql'));
    mkdirSync(join(project, 'out/p/notes'));
    expect(await write(v2)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/^out\/p\/notes is a folder that migc did not write; migc replaces out\/p\/ as a whole/) } });
    expect(folder()).toEqual(asFolder(v1));
    expect(strays()).toEqual([]);
  });

  it('adopts a folder from an older migc (no manifest): keeps files it cannot tell are its own, removes old temporaries', async () => {
    mkdirSync(join(project, 'out/p'), { recursive: true });
    writeFileSync(join(project, 'out/p/report.md'), 'old\n');
    writeFileSync(join(project, 'out/p/05-hotfix.up.sql'), 'SELECT 5;\n');
    writeFileSync(join(project, 'out/p/report.md.0123456789ab.tmp'), 'half');
    expect(await write(v1)).toMatchObject({ ok: true, removed: ['p/report.md.0123456789ab.tmp'], kept: ['p/05-hotfix.up.sql'] });
    expect(folder()).toEqual({ ...asFolder(v1), '05-hotfix.up.sql': 'SELECT 5;\n' });
  });

  it('never writes through a link in place of the plan folder', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'report.md'), 'precious\n');
    writeFileSync(join(elsewhere, '01-x.up.sql'), 'precious\n');
    mkdirSync(join(project, 'out'));
    symlinkSync(elsewhere, join(project, 'out/p'));
    expect(await write(v1)).toEqual({ ok: false, problem: { message: `out/p is a symbolic link (to ${elsewhere}); migc never writes through links. Remove the link and build again: migc creates a real folder there` } });
    expect(folder(elsewhere)).toEqual({ '01-x.up.sql': 'precious\n', 'report.md': 'precious\n' });
    expect(strays()).toEqual([]);
  });

  it('refuses a file where the plan folder should be (ENOTDIR), as root too', async () => {
    mkdirSync(join(project, 'out'));
    writeFileSync(join(project, 'out/p'), 'a file');
    expect(await write(v1)).toEqual({ ok: false, problem: { message: 'out/p is not a folder; move it away and build again' } });
    expect(readFileSync(join(project, 'out/p'), 'utf8')).toBe('a file');
  });

  it('writes other plans when one cannot be written', async () => {
    mkdirSync(join(project, 'out'));
    writeFileSync(join(project, 'out/p'), 'a file');
    const r = await writeOutputs(root(), [{ id: 'p', outputs: v1 }, { id: 'q', outputs: v1.map((f) => ({ ...f, path: f.path.replace('p/', 'q/') })) }]);
    expect(r.plans.get('p')?.ok).toBe(false);
    expect(r.plans.get('q')?.ok).toBe(true);
  });
});

/** A file system that fails the n-th change it is asked to make (mkdir, write, link, rename, ...). */
function failingAt(n: number, code: string): { fs: WriteFs; calls: () => number } {
  let count = 0;
  const fail = <F extends (...args: never[]) => unknown>(name: string, f: F): F => ((...args: Parameters<F>) => {
    count++;
    if (count === n) throw Object.assign(new Error(`${code}: failed, ${name} '${String(args[0])}'`), { code, path: String(args[0]), syscall: name });
    return f(...args);
  }) as F;
  return {
    fs: {
      ...fs,
      mkdirSync: fail('mkdir', fs.mkdirSync), writeFileSync: fail('open', fs.writeFileSync), linkSync: fail('link', fs.linkSync),
      renameSync: fail('rename', fs.renameSync), symlinkSync: fail('symlink', fs.symlinkSync), copyFileSync: fail('copyfile', fs.copyFileSync),
    },
    calls: () => count,
  };
}

describe('when the disk fails', () => {
  it('ENOSPC while writing a file: one line naming the file and the cause, the old folder intact, nothing left behind', async () => {
    await write(v1);
    writeFileSync(join(project, 'out/p/05-hotfix.up.sql'), 'mine\n');
    // changes: lock (1), staging mkdir (2), report.md (3)
    const r = await write(v2, failingAt(3, 'ENOSPC'));
    expect(r).toEqual({ ok: false, problem: { message: 'cannot write out/p/report.md: no space left on device (ENOSPC); out/p/ was left as it was' } });
    expect(folder()).toEqual({ ...asFolder(v1), '05-hotfix.up.sql': 'mine\n' });
    expect(strays()).toEqual([]);
  });

  it('EACCES on the output folder itself: cannot lock it, nothing written', async () => {
    const r = await writeOutputs(root(), [{ id: 'p', outputs: v1 }], { fs: failingAt(2, 'EACCES').fs }); // 1: mkdir out, 2: the lock
    expect(r.problem?.message).toBe(`cannot lock out/${lockFileName}: permission denied (EACCES)`);
    expect(readdirSync(join(project, 'out'))).toEqual([]);
  });

  it.each(['ENOSPC', 'EACCES', 'EIO', 'EROFS', 'EDQUOT'])('%s at every step of a swap leaves the whole old or the whole new folder, and the next run cleans up', async (code) => {
    const kept = { '05-hotfix.up.sql': 'mine\n' };
    const counting = failingAt(Number.POSITIVE_INFINITY, code);
    await write(v1);
    writeFileSync(join(project, 'out/p/05-hotfix.up.sql'), 'mine\n');
    await write(v2, { fs: counting.fs });
    const steps = counting.calls();
    expect(steps).toBeGreaterThan(6);
    for (let n = 1; n <= steps; n++) {
      rmSync(join(project, 'out'), { recursive: true });
      await write(v1);
      writeFileSync(join(project, 'out/p/05-hotfix.up.sql'), 'mine\n');
      const r = await writeOutputs(root(), [{ id: 'p', outputs: v2 }], { fs: failingAt(n, code).fs });
      const message = r.problem?.message ?? (r.plans.get('p')!.ok ? undefined : (r.plans.get('p') as { problem: { message: string } }).problem.message);
      const now = folder();
      if (message !== undefined) {
        expect(message, `step ${n}`).toMatch(new RegExp(`^cannot \\w+ out(/p)?(/[^ ]+)?: .* \\(${code}\\)`));
        expect(message).not.toMatch(/migc-(new|old)|\n/);
        expect(now, `step ${n}: ${message}`).toEqual({ ...asFolder(v1), ...kept });
      } else {
        expect(now, `step ${n}`).toEqual({ ...asFolder(v2), ...kept }); // failed only in the clean-up after the swap
      }
      await write(v2);
      expect(folder()).toEqual({ ...asFolder(v2), ...kept });
      expect(strays(), `step ${n}`).toEqual([]);
    }
  });
});

describe('after a killed run', () => {
  it('puts back a folder set aside between the two renames of a swap, and removes temporaries', async () => {
    await write(v1);
    const out = join(project, 'out');
    fs.renameSync(join(out, 'p'), join(out, '.p.migc-old-0123456789ab'));
    mkdirSync(join(out, '.p.migc-new-0123456789ab'));
    writeFileSync(join(out, '.p.migc-new-0123456789ab/report.md'), 'half');
    writeFileSync(join(out, `${lockFileName}.0123456789ab`), '');
    const opened = await openOutputFolder(root());
    expect(opened.ok && opened.folder.recovered).toEqual(['removed a temporary folder of a killed migc beside out/p/', 'put back out/p/, which a killed migc had set aside']);
    if (opened.ok) opened.folder.close();
    expect(folder()).toEqual(asFolder(v1));
    expect(strays()).toEqual([]);
  });

  it('removes an old folder set aside when the swap had completed', async () => {
    await write(v1);
    fs.cpSync(join(project, 'out/p'), join(project, 'out/.p.migc-old-0123456789ab'), { recursive: true });
    expect(await write(v2)).toMatchObject({ ok: true });
    expect(strays()).toEqual([]);
  });
});

describe('the lock', () => {
  function deadPid(): Promise<number> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('exit', () => resolve(child.pid!));
    });
  }

  it('takes over a lock whose process is gone', async () => {
    mkdirSync(join(project, 'out'));
    writeFileSync(join(project, 'out', lockFileName), JSON.stringify({ pid: await deadPid(), host: (await import('node:os')).hostname(), nonce: 'x' }));
    expect(await write(v1)).toMatchObject({ ok: true });
    expect(existsSync(join(project, 'out', lockFileName))).toBe(false);
  });

  it('waits for a live one, says so, and gives up after the timeout with who holds it', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      mkdirSync(join(project, 'out'));
      writeFileSync(join(project, 'out', lockFileName), JSON.stringify({ pid: holder.pid, host: (await import('node:os')).hostname(), nonce: 'x' }));
      const waits: string[] = [];
      const started = Date.now();
      const r = await writeOutputs(root(), [{ id: 'p', outputs: v1 }], { lockTimeoutMs: 300, onWait: (m) => waits.push(m) });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(waits).toEqual([`out/ is locked by another migc (pid ${holder.pid}); waiting up to 0.3 s`]);
      expect(r.problem?.message).toBe(`out/ is locked by another migc (pid ${holder.pid}): gave up after 0.3 s (--lock-timeout). If no migc is running, delete out/${lockFileName}`);
      expect(existsSync(join(project, 'out/p'))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('serialises writers in one process and across the release', async () => {
    mkdirSync(join(project, 'out'));
    const first = await acquireLock(fs, join(project, 'out'), 'out', { timeoutMs: 5000 });
    expect(first.ok).toBe(true);
    let secondGot = false;
    const second = acquireLock(fs, join(project, 'out'), 'out', { timeoutMs: 5000, pollMs: 5 }).then((r) => {
      secondGot = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(secondGot).toBe(false);
    if (first.ok) first.release();
    const r = await second;
    expect(r.ok).toBe(true);
    if (r.ok) r.release();
    expect(existsSync(join(project, 'out', lockFileName))).toBe(false);
  });
});
