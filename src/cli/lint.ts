import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { nodeHost } from '../host.js';
import { withAssumedRows } from './config.js';
import { UsageError } from './files.js';
import { printDiagnostics, projectConfig, type CommonOptions, type Io } from './main.js';

/** .sql files named, or found in folders, in migration order: sorted by path. */
async function findSqlFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or folder: ${path}`);
    if (info.isFile()) {
      found.add(relative(cwd, full).split(sep).join('/'));
      continue;
    }
    for (const e of await readdir(full, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.sql')) found.add(relative(cwd, join(e.parentPath, e.name)).split(sep).join('/'));
    }
  }
  return [...found].sort();
}

export async function lintCommand(paths: string[], options: CommonOptions & { postgres?: string; assumeRows?: string[]; fileTransaction?: boolean }, io: Io): Promise<number> {
  const files = await findSqlFiles(paths, io.cwd);
  if (files.length === 0) throw new UsageError(`no .sql files in ${paths.join(', ')}`);
  const config = withAssumedRows(await projectConfig(options.config, io), options.assumeRows, (m) => new UsageError(m)) ?? {};
  const postgres = options.postgres !== undefined ? Number(options.postgres) : config.postgres;
  if (postgres !== undefined && !(Number.isInteger(postgres) && postgres >= 9 && postgres < 100)) throw new UsageError(`--postgres takes a major version such as 15; got ${options.postgres}`);
  const { lint } = await import('../lint.js');
  const result = await lint({
    files,
    config: { ...config, ...(postgres !== undefined ? { postgres } : {}) },
    ...(options.fileTransaction ? { fileTransaction: true } : {}),
  }, nodeHost(io.cwd));
  return printDiagnostics(result.diagnostics, result.sources, options, io, `linted ${files.length} file${files.length === 1 ? '' : 's'}`, {
    files: result.files, summary: { files: files.length },
  });
}
