import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { OutputFile } from '../emit/index.js';
import { describeCause, isFsError, lstatOrNothing, realFs, type WriteFs } from './fs.js';
import { acquireLock, lockLeftover } from './lock.js';
import { createOutputRoot, type OutputRoot } from './output-root.js';

export { checkOutputRoot, type OutputRoot } from './output-root.js';
export { lockFileName } from './lock.js';
export type { WriteFs } from './fs.js';

/**
 * The list of files migc wrote in a plan's folder. migc replaces or removes only the files it
 * names; anything else in the folder was put there by someone else and is kept.
 */
export const manifestName = '.migc-manifest';
const manifestHeader = '# Files migc wrote in this folder, one per line. migc replaces or removes only these; it keeps anything else.';

/** A plan folder being built (new) or set aside during the swap (old): `.<id>.migc-new-<hex>`. */
const swapFolder = /^\.([a-z0-9][a-z0-9_-]*)\.migc-(new|old)-[0-9a-f]{12}$/;
/** Temporary files of migc before 0.2, which wrote file by file: `<name>.<hex>.tmp`. */
const oldTemporary = /^[^.].*\.[0-9a-f]{12}\.tmp$/;
const planFolderName = /^[a-z0-9][a-z0-9_-]*$/;
const outputFileName = /^[^./\\][^/\\]*$/;

export interface WriteProblem {
  /** One line: what could not be done, to which path, why, and what state things are in. */
  readonly message: string;
}

export type PlanWriteResult =
  | {
      readonly ok: true;
      /** Files written because they are new or changed (paths relative to the output folder). */
      readonly written: readonly string[];
      readonly unchanged: readonly string[];
      /** Files migc wrote earlier that the plan no longer produces. */
      readonly removed: readonly string[];
      /** Files in the plan's folder that migc did not write, carried over into the new folder. */
      readonly kept: readonly string[];
    }
  | { readonly ok: false; readonly problem: WriteProblem };

export interface OutputFolder {
  /** Replaces the plan's folder with one holding exactly these files (and what migc did not write). */
  writePlan(id: string, files: readonly OutputFile[]): PlanWriteResult;
  /** What was cleaned up from runs that were killed: temporary folders, a folder put back. */
  readonly recovered: readonly string[];
  /** Releases the lock. */
  close(): void;
}

export interface OpenOptions {
  readonly fs?: WriteFs;
  /** How long to wait for another migc writing the same folder (default 60 s). */
  readonly lockTimeoutMs?: number;
  readonly onWait?: (message: string) => void;
}

export const defaultLockTimeoutMs = 60_000;

/**
 * Opens the output folder for writing: creates it, takes its lock (waiting for another migc
 * writing there), and cleans up after runs that were killed mid-write. Only then may plans be
 * written; close() releases the lock.
 */
export async function openOutputFolder(root: OutputRoot, options: OpenOptions = {}): Promise<{ ok: true; folder: OutputFolder } | { ok: false; problem: WriteProblem }> {
  const fs = options.fs ?? realFs;
  const show = shower(root);
  try {
    createOutputRoot(fs, root);
  } catch (e) {
    if (!isFsError(e)) throw e;
    return { ok: false, problem: { message: `cannot create ${show(e.path ?? root.real)}/: ${describeCause(e)}` } };
  }
  let release: () => void;
  try {
    const lock = await acquireLock(fs, root.real, root.display, { timeoutMs: options.lockTimeoutMs ?? defaultLockTimeoutMs, ...(options.onWait ? { onWait: options.onWait } : {}) });
    if (!lock.ok) return { ok: false, problem: { message: lock.message } };
    release = lock.release;
  } catch (e) {
    if (!isFsError(e)) throw e;
    return { ok: false, problem: { message: `cannot lock ${show(e.path ?? root.real)}: ${describeCause(e)}` } };
  }
  let recovered: string[];
  try {
    recovered = recover(fs, root, show);
  } catch (e) {
    release();
    if (!isFsError(e)) throw e;
    return { ok: false, problem: { message: `cannot clean up ${show(e.path ?? root.real)}: ${describeCause(e)}` } };
  }
  return {
    ok: true,
    folder: {
      writePlan: (id, files) => writePlan(fs, root, show, id, files),
      recovered,
      close: release,
    },
  };
}

/** A path under the output folder as the user named it: out/<id>/<file>; a swap folder shows as its plan's. */
function shower(root: OutputRoot): (path: string) => string {
  return (path) => {
    const rel = relative(root.real, path);
    if (rel === '') return root.display;
    if (rel.startsWith('..')) {
      // A folder above the output folder, being created: cut as many parts off the name the user gave.
      const up = rel.split(sep);
      const given = root.display.split('/');
      return up.every((p) => p === '..') && up.length < given.length ? given.slice(0, given.length - up.length).join('/') : path;
    }
    const [first, ...rest] = rel.split(sep);
    const plan = swapFolder.exec(first!)?.[1] ?? first!;
    return [root.display, plan, ...rest].join('/');
  };
}

/**
 * Runs killed mid-write leave, at worst, a new plan folder being built and an old one set
 * aside. Under the lock no other migc is writing, so both are leftovers: a new one is removed;
 * an old one is put back when its plan's folder is missing (the run died between the two
 * renames of the swap), and removed otherwise (the swap was complete).
 */
function recover(fs: WriteFs, root: OutputRoot, show: (p: string) => string): string[] {
  const notes: string[] = [];
  const entries = fs.readdirSync(root.real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const path = join(root.real, e.name);
    if (lockLeftover.test(e.name)) {
      fs.unlinkSync(path);
      continue;
    }
    const swap = swapFolder.exec(e.name);
    if (!swap || !e.isDirectory()) continue;
    const plan = join(root.real, swap[1]!);
    if (swap[2] === 'old' && lstatOrNothing(fs, plan) === undefined) {
      fs.renameSync(path, plan);
      notes.push(`put back ${show(plan)}/, which a killed migc had set aside`);
    } else {
      fs.rmSync(path, { recursive: true, force: true });
      notes.push(`removed a temporary folder of a killed migc beside ${show(plan)}/`);
    }
  }
  return notes;
}

interface OldFolder {
  /** Entries migc wrote (named in the manifest, or, with no manifest, named as a new output). */
  readonly ours: ReadonlyMap<string, Dirent>;
  /** Everything else, except the manifest. */
  readonly theirs: readonly Dirent[];
  readonly manifest: string | undefined;
}

function readOldFolder(fs: WriteFs, dir: string, newNames: ReadonlySet<string>): OldFolder {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifestEntry = entries.find((e) => e.name === manifestName && e.isFile());
  const manifest = manifestEntry ? fs.readFileSync(join(dir, manifestName), 'utf8') : undefined;
  // Without a manifest (a folder from migc before 0.2) only the files the plan writes again are
  // known to be migc's; old temporaries too. A renamed phase's scripts are kept, to be safe.
  const listed = manifest !== undefined ? new Set(parseManifest(manifest)) : newNames;
  const ours = new Map<string, Dirent>();
  const theirs: Dirent[] = [];
  for (const e of entries) {
    if (e.name === manifestName) continue;
    if ((listed.has(e.name) && !e.isDirectory()) || (e.isFile() && oldTemporary.test(e.name))) ours.set(e.name, e);
    else theirs.push(e);
  }
  return { ours, theirs, manifest };
}

/** The file names a .migc-manifest lists: the files migc owns in that folder. */
export function parseManifest(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#') && outputFileName.test(line));
}

function manifestText(names: readonly string[]): string {
  return `${manifestHeader}\n${[...names].sort().join('\n')}\n`;
}

/**
 * Replaces out/<id>/ as a unit. The new folder is built beside it (.<id>.migc-new-<hex>): new
 * and changed files written, unchanged ones hard-linked from the old folder (so they keep their
 * time stamps), files migc did not write linked across too. Then two renames swap the folders,
 * and the old one is removed. At every instant out/<id>/ is the whole old set or the whole new
 * set; killed between the two renames, the old folder waits beside it and the next run puts it
 * back. When nothing changed, nothing is touched.
 */
function writePlan(fs: WriteFs, root: OutputRoot, show: (p: string) => string, id: string, files: readonly OutputFile[]): PlanWriteResult {
  if (!planFolderName.test(id)) throw new Error(`invalid plan folder name ${JSON.stringify(id)}`);
  const dir = join(root.real, id);
  const names = files.map((f) => {
    const name = f.path.slice(id.length + 1);
    if (!f.path.startsWith(`${id}/`) || !outputFileName.test(name) || name === manifestName) throw new Error(`output ${f.path} is not a file in ${id}/`);
    return name;
  });
  const newNames = new Set(names);
  const refuse = (message: string): PlanWriteResult => ({ ok: false, problem: { message } });
  const failed = (e: NodeJS.ErrnoException & { code: string }, verb: string): PlanWriteResult =>
    refuse(`cannot ${verb} ${show(e.path ?? dir)}: ${describeCause(e)}; ${show(dir)}/ was left as it was`);

  let old: OldFolder | undefined;
  try {
    const info = lstatOrNothing(fs, dir);
    if (info?.isSymbolicLink()) {
      return refuse(`${show(dir)} is a symbolic link (to ${fs.readlinkSync(dir)}); migc never writes through links. Remove the link and build again: migc creates a real folder there`);
    }
    if (info && !info.isDirectory()) return refuse(`${show(dir)} is not a folder; move it away and build again`);
    if (info) old = readOldFolder(fs, dir, newNames);
  } catch (e) {
    if (!isFsError(e)) throw e;
    return failed(e, 'read');
  }

  for (const e of old?.theirs ?? []) {
    const path = `${show(dir)}/${e.name}`;
    if (newNames.has(e.name)) return refuse(`${path} was not written by migc (it is not in ${manifestName}), and the plan now writes a file of that name; move or rename yours and build again`);
    if (!e.isFile() && !e.isSymbolicLink()) {
      return refuse(`${path} ${e.isDirectory() ? 'is a folder' : 'is a special file'} that migc did not write; migc replaces ${show(dir)}/ as a whole and carries over files, not folders. Move it out of ${root.display}/ and build again`);
    }
  }

  const contents = new Map(files.map((f, i) => [names[i]!, f.contents]));
  const manifest = manifestText(names);
  const path = (name: string) => `${id}/${name}`;
  let same: Set<string>;
  try {
    same = new Set(names.filter((name) => {
      const e = old?.ours.get(name);
      return e?.isFile() && fs.readFileSync(join(dir, name), 'utf8') === contents.get(name);
    }));
  } catch (e) {
    if (!isFsError(e)) throw e;
    return failed(e, 'read');
  }
  const removed = [...old?.ours.keys() ?? []].filter((name) => !newNames.has(name));
  if (old?.manifest === manifest && same.size === names.length && removed.length === 0) {
    return { ok: true, written: [], unchanged: names.map(path), removed: [], kept: [] };
  }

  const staging = join(root.real, `.${id}.migc-new-${randomBytes(6).toString('hex')}`);
  const aside = join(root.real, `.${id}.migc-old-${randomBytes(6).toString('hex')}`);
  const written: string[] = [];
  const unchanged: string[] = [];
  let swapped = false;
  try {
    fs.mkdirSync(staging);
    for (const name of names) {
      const target = join(staging, name);
      if (same.has(name) && linkOrCopy(fs, join(dir, name), target)) unchanged.push(path(name));
      else {
        fs.writeFileSync(target, contents.get(name)!, { flag: 'wx' });
        written.push(path(name));
      }
    }
    for (const e of old?.theirs ?? []) {
      const from = join(dir, e.name);
      if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), join(staging, e.name));
      else if (!linkOrCopy(fs, from, join(staging, e.name))) fs.copyFileSync(from, join(staging, e.name), 1 /* COPYFILE_EXCL */);
    }
    fs.writeFileSync(join(staging, manifestName), manifest, { flag: 'wx' });
    if (old) {
      rename(fs, dir, aside);
      try {
        rename(fs, staging, dir);
      } catch (e) {
        rename(fs, aside, dir);
        throw e;
      }
    } else {
      rename(fs, staging, dir);
    }
    swapped = true;
  } catch (e) {
    if (!swapped) removeQuietly(fs, staging);
    if (!isFsError(e)) throw e;
    return failed(e, e.syscall === 'rename' ? 'replace' : e.syscall === 'mkdir' ? 'create' : 'write');
  }
  // The swap is done; an old folder that cannot be removed now is removed by the next run.
  if (old) removeQuietly(fs, aside);
  return { ok: true, written, unchanged, removed: removed.map(path), kept: (old?.theirs ?? []).map((e) => path(e.name)) };
}

/** A hard link (same file, same time stamps); false where the file system has none. */
function linkOrCopy(fs: WriteFs, from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    if (isFsError(e) && ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV', 'ENOSYS'].includes(e.code)) return false;
    throw e;
  }
}

/**
 * rename, with a few short retries on Windows, where a virus scanner or an indexer holding a
 * file open makes it fail for a moment (EPERM, EACCES, EBUSY). Bounded: never an endless loop.
 */
function rename(fs: WriteFs, from: string, to: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (e) {
      if (process.platform !== 'win32' || attempt >= 5 || !(isFsError(e) && ['EPERM', 'EACCES', 'EBUSY'].includes(e.code))) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
    }
  }
}

function removeQuietly(fs: WriteFs, path: string): void {
  try {
    fs.rmSync(path, { recursive: true, force: true });
  } catch {
    // left for the next run to remove
  }
}

export interface PlanToWrite {
  readonly id: string;
  readonly outputs: readonly OutputFile[];
}

export interface WriteAllResult {
  /** The output folder could not be used at all (created, locked): nothing was written. */
  readonly problem?: WriteProblem;
  readonly plans: ReadonlyMap<string, PlanWriteResult>;
  readonly recovered: readonly string[];
}

/** Opens the output folder, writes each plan (one failing does not stop the others), closes it. */
export async function writeOutputs(root: OutputRoot, plans: readonly PlanToWrite[], options: OpenOptions = {}): Promise<WriteAllResult> {
  if (plans.length === 0) return { plans: new Map(), recovered: [] };
  const opened = await openOutputFolder(root, options);
  if (!opened.ok) return { problem: opened.problem, plans: new Map(), recovered: [] };
  try {
    return { plans: new Map(plans.map((p) => [p.id, opened.folder.writePlan(p.id, p.outputs)])), recovered: opened.folder.recovered };
  } finally {
    opened.folder.close();
  }
}
