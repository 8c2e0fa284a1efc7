import { nodeHost } from '../host.js';
import { projectConfig } from './config.js';
import { findSqlFiles, UsageError } from './files.js';
import { printDiagnostics, type CommonOptions, type Io } from './output.js';

export async function lintCommand(paths: string[], options: CommonOptions & { postgres?: string; assumeRows?: string[]; fileTransaction?: boolean }, io: Io): Promise<number> {
  const files = await findSqlFiles(paths, io.cwd);
  if (files.length === 0) throw new UsageError(`no .sql files in ${paths.join(', ')}`);
  const config = (await projectConfig(options, io)) ?? {};
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
