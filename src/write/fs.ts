import * as nodeFs from 'node:fs';

/**
 * The file-system calls the writer makes, and nothing else: tests pass a layer that fails on
 * cue (ENOSPC, EACCES, EIO) to prove every failure ends in one clear line with the previous
 * outputs intact, which a root-run test suite cannot provoke on a real disk.
 */
export type WriteFs = Pick<typeof nodeFs,
  | 'copyFileSync' | 'linkSync' | 'lstatSync' | 'mkdirSync' | 'readFileSync' | 'readdirSync' | 'readlinkSync'
  | 'realpathSync' | 'renameSync' | 'rmSync' | 'statSync' | 'statfsSync' | 'symlinkSync' | 'unlinkSync' | 'writeFileSync'>;

export const realFs: WriteFs = nodeFs;

/** An error from the file system (it has a code such as ENOSPC), as opposed to a bug. */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);
}

/** The lstat of a path, or undefined when nothing is there. Other errors are thrown. */
export function lstatOrNothing(fs: WriteFs, path: string): nodeFs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch (e) {
    if (isFsError(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

const causes: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EEXIST: 'something is already there',
  ENOENT: 'a part of the path does not exist',
  ELOOP: 'too many levels of symbolic links',
  EBUSY: 'it is busy (in use, or a mount point)',
  EXDEV: 'it is on another file system',
  ENOTEMPTY: 'the folder is not empty',
  EFBIG: 'the file is too large',
  ETXTBSY: 'the file is busy',
};

/** "no space left on device (ENOSPC)" */
export function describeCause(e: NodeJS.ErrnoException & { code: string }): string {
  return `${causes[e.code] ?? e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*$/, '')} (${e.code})`;
}
