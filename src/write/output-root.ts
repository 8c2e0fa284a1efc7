import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isFsError, lstatOrNothing, realFs, type WriteFs } from './fs.js';

/** The output folder, checked: where it really is, and how to name it to the user. */
export interface OutputRoot {
  /** The real path (symbolic links resolved) the writer works in. */
  readonly real: string;
  /** The folder as the user gave it, without a trailing slash, for messages. */
  readonly display: string;
}

export interface OutputRootOptions {
  /** --out as given. */
  readonly out: string;
  /** The project: the folder migc runs in. */
  readonly cwd: string;
  /** --allow-outside: the user accepts an output folder outside the project. */
  readonly allowOutside?: boolean;
  readonly fs?: WriteFs;
  /** The home folder (tests); default os.homedir(). */
  readonly home?: string;
}

export type OutputRootCheck = { readonly ok: true; readonly root: OutputRoot } | { readonly ok: false; readonly message: string };

/**
 * File systems that hold no files (statfs magic numbers): writing there either fails in odd
 * ways or does something other than store a file. Node's recursive mkdir spins forever under
 * /proc, which is how `--out /proc/x` once hung migc at full CPU.
 */
const pseudoFileSystems: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'], [0x62656570, 'configfs'], [0x65735543, 'fusectl'], [0x42494e4d, 'binfmt_misc'],
]);
const systemFolders = ['/proc', '/sys', '/dev'];

/**
 * Checks --out before anything is written: it must be a folder (or not exist yet, under a
 * folder), on a real file system, never / or the home folder, and inside the project unless
 * --allow-outside says otherwise. Links are resolved first, so `out -> /elsewhere` counts as
 * /elsewhere. Nothing is created here.
 */
export function checkOutputRoot(options: OutputRootOptions): OutputRootCheck {
  const fs = options.fs ?? realFs;
  const display = options.out.length > 1 ? options.out.replace(/[\\/]+$/, '') : options.out;
  const given = resolve(options.cwd, options.out);
  const refuse = (why: string) => ({ ok: false as const, message: `--out ${display} ${why}` });
  try {
    // The deepest part that exists, resolved through links; the rest is created later.
    let existing = given;
    const missing: string[] = [];
    while (!exists(fs, existing)) {
      const parent = dirname(existing);
      if (parent === existing) return refuse('does not exist, nor does any folder above it');
      missing.unshift(basename(existing));
      existing = parent;
    }
    const realExisting = fs.realpathSync(existing);
    const info = fs.statSync(realExisting);
    if (!info.isDirectory()) {
      return refuse(missing.length ? `cannot be created: ${shown(options.cwd, existing)} is not a folder` : 'is not a folder');
    }
    const real = join(realExisting, ...missing);
    const fsType = pseudoFileSystems.get(fileSystemType(fs, realExisting));
    if (fsType !== undefined || systemFolders.some((f) => real === f || real.startsWith(`${f}/`))) {
      return refuse(`is ${fsType ? `on a ${fsType} file system` : 'a system folder'} (${real}), which does not hold ordinary files; give a folder in your project, such as out`);
    }
    const link = real !== given ? ` (a link to ${real})` : '';
    if (dirname(real) === real) return refuse(`is the root of the file system${link}; migc creates a folder per plan there. Give a folder in your project, such as out`);
    const home = realOrSelf(fs, options.home ?? homedir());
    if (real === home) return refuse(`is your home folder${link}; migc creates a folder per plan there. Give a folder in your project, such as out`);
    const project = realOrSelf(fs, options.cwd);
    if (real === project) return refuse(`is the project folder itself${link}; migc creates a folder per plan there, beside your own. Give a folder inside it, such as out`);
    const rel = relative(project, real);
    if ((rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) && !options.allowOutside) {
      return refuse(`is outside the project${link}: migc writes inside the folder it runs in (${project}). Give a folder inside it, or pass --allow-outside to write there`);
    }
    return { ok: true, root: { real, display } };
  } catch (e) {
    if (!isFsError(e)) throw e;
    return refuse(`cannot be checked: ${e.message}`);
  }
}

/** Whether anything (a link included) is at path; a file where a folder should be means no. */
function exists(fs: WriteFs, path: string): boolean {
  try {
    return lstatOrNothing(fs, path) !== undefined;
  } catch (e) {
    if (isFsError(e) && e.code === 'ENOTDIR') return false;
    throw e;
  }
}

/** statfs's type, or -1 where the platform does not say (the path checks below still apply). */
function fileSystemType(fs: WriteFs, path: string): number {
  try {
    return Number(fs.statfsSync(path).type);
  } catch {
    return -1;
  }
}

function realOrSelf(fs: WriteFs, path: string): string {
  try {
    return fs.realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * Creates the output folder, one part at a time: each part is made once, and anything odd
 * (a part that exists but is not a folder, a parent that vanishes, a file system that answers
 * ENOENT to mkdir as /proc does) is an error, never a retry. Then checks that the folder really
 * is where checkOutputRoot said: a link swapped in meanwhile is refused.
 */
export function createOutputRoot(fs: WriteFs, root: OutputRoot): void {
  const parts: string[] = [];
  let p = root.real;
  while (lstatOrNothing(fs, p) === undefined) {
    parts.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const part of parts) {
    try {
      fs.mkdirSync(part);
    } catch (e) {
      if (!(isFsError(e) && e.code === 'EEXIST' && fs.lstatSync(part).isDirectory())) throw e;
    }
  }
  const info = fs.lstatSync(root.real);
  if (!info.isDirectory() || fs.realpathSync(root.real) !== root.real) {
    throw Object.assign(new Error(`${root.real} changed while migc was writing`), { code: 'ELOOP', path: root.real });
  }
}
