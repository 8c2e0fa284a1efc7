import { readFile, realpath } from 'node:fs/promises';
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

export function nodeHost(root: string): Host {
  const absolute = (path: string) => (posix.isAbsolute(path) || isAbsolute(path) ? path : `${root}/${path}`);
  let realRoot: Promise<string> | undefined;
  return {
    async readFile(path) {
      try {
        return await readFile(absolute(path), 'utf8');
      } catch {
        return undefined;
      }
    },
    async realPath(path) {
      realRoot ??= realpath(root).catch(() => root);
      try {
        const rel = relative(await realRoot, await realpath(absolute(path)));
        return isAbsolute(rel) ? rel : rel.split(sep).join('/') || '.';
      } catch {
        return undefined;
      }
    },
  };
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
