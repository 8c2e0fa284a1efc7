import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';

/**
 * The compiler reads through a host, never from the disk directly, so the whole pipeline runs
 * in memory in tests. Paths are relative to the host's root, with forward slashes.
 */
export interface Host {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
}

export function nodeHost(root: string): Host {
  return {
    async readFile(path) {
      try {
        return await readFile(posix.isAbsolute(path) ? path : `${root}/${path}`, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export function memoryHost(files: Readonly<Record<string, string>>): Host {
  return {
    async readFile(path) {
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
  };
}
