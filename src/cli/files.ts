import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { migrationOrder } from '../lint-files.js';

export class UsageError extends Error {}

const planExtension = /\.ya?ml$/;


/**
 * Plan files named on the command line: files as given, folders searched for *.yaml / *.yml.
 * Sorted. A .sql file named here is a mix-up with migc lint, said as such: read as a plan it
 * was "the plan must be a mapping", with the schema's description as its help.
 */
export function findPlanFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  return findFiles(paths, cwd, planExtension, (path) => (/\.sql$/i.test(path)
    ? `${path} is a SQL file, not a plan: plans are YAML (*.yaml, *.yml); migc lint ${path} checks SQL migration files`
    : undefined));
}

/** SQL migration files: files as given, folders searched for *.sql. In migration order (migrationOrder). A plan named here is said to be one. */
export async function findSqlFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  return migrationOrder(await findFiles(paths, cwd, /\.sql$/, (path) => (/\.ya?ml$/i.test(path)
    ? `${path} is a YAML file, not SQL: migc lint checks .sql migration files; migc check ${path} checks a plan`
    : undefined)));
}

async function findFiles(paths: readonly string[], cwd: string, extension: RegExp, mixUp: (path: string) => string | undefined): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or folder: ${path}`);
    if (info.isFile()) {
      const wrong = mixUp(path);
      if (wrong) throw new UsageError(wrong);
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
