import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { migrationOrder } from '../lint-files.js';

export class UsageError extends Error {}

const planExtension = /\.ya?ml$/;

/** Plan files named on the command line: files as given, folders searched for *.yaml / *.yml. Sorted. */
export function findPlanFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  return findFiles(paths, cwd, planExtension);
}

/** SQL migration files: files as given, folders searched for *.sql. In migration order (migrationOrder). */
export async function findSqlFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  return migrationOrder(await findFiles(paths, cwd, /\.sql$/));
}

async function findFiles(paths: readonly string[], cwd: string, extension: RegExp): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or folder: ${path}`);
    if (info.isFile()) {
      found.add(toPosix(relative(cwd, full)));
      continue;
    }
    const entries = await readdir(full, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile() || !extension.test(e.name)) continue;
      const full = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      if (full.split(sep).includes('node_modules')) continue;
      found.add(toPosix(relative(cwd, full)));
    }
  }
  return [...found].sort();
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** The --templates folder, checked to exist. */
export async function templatesFolder(dir: string | undefined, cwd: string): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  const info = await stat(resolve(cwd, dir)).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--templates ${dir} is not a folder`);
  return dir;
}
