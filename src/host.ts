import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, posix, relative, sep } from 'node:path';

/**
 * The compiler reads through a host, never from the disk directly, so the whole pipeline runs
 * in memory in tests. Paths are relative to the host's root (the project), with forward slashes.
 */
export interface Host {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
  /**
   * Where a path really is once symbolic links are followed, relative to the root with forward
   * slashes ("../x" when outside it); undefined when nothing is there.
   */
  realPath(path: string): Promise<string | undefined>;
}

/**
 * The disk, read synchronously behind the async interface: a plan and the files it names are
 * small, and a read on libuv's thread pool waits its turn behind the parser's WebAssembly compile
 * at start-up (a `check` on one plan took ~10% longer with fs/promises, measured interleaved).
 * `realpathSync.native` is the same system call as fs/promises' realpath.
 */
export function nodeHost(root: string): Host {
  const absolute = (path: string) => (posix.isAbsolute(path) || isAbsolute(path) ? path : `${root}/${path}`);
  let realRoot: string | undefined;
  return {
    async readFile(path) {
      try {
        return readFileSync(absolute(path), 'utf8');
      } catch {
        return undefined;
      }
    },
    async realPath(path) {
      realRoot ??= realPathOf(root) ?? root;
      const real = realPathOf(absolute(path));
      if (real === undefined) return undefined;
      const rel = relative(realRoot, real);
      return isAbsolute(rel) ? rel : rel.split(sep).join('/') || '.';
    },
  };
}

function realPathOf(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** Files held in memory; a folder exists when a file is in it. No links. */
export function memoryHost(files: Readonly<Record<string, string>>): Host {
  return {
    async readFile(path) {
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
    async realPath(path) {
      const normal = posix.normalize(path);
      return Object.hasOwn(files, normal) || Object.keys(files).some((f) => f.startsWith(`${normal}/`)) ? normal : undefined;
    },
  };
}
