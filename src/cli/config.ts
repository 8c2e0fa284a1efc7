import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceText } from '../diagnostics/source-text.js';
import { nodeHost } from '../host.js';
import { loadProjectConfig, withAssumedRows, type ProjectConfig } from '../workspace/config.js';
import { UsageError } from './files.js';
import type { Io } from './output.js';

export { configFileName } from '../workspace/config.js';

/**
 * The command's settings: the project's migc.config.json (or --config FILE), loaded and checked
 * by the core, with --assume-rows over it. A broken config stops the command (exit 2) with its
 * problems printed; a malformed --assume-rows is a usage error.
 */
export async function projectConfig(options: { config?: string; assumeRows?: readonly string[] }, io: Io): Promise<ProjectConfig | undefined> {
  const loaded = await loadProjectConfig(nodeHost(io.cwd), options.config);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new ConfigError(loaded.diagnostics, loaded.sources);
  const flagged = withAssumedRows(loaded.config, options.assumeRows);
  if (!flagged.ok) throw new UsageError(flagged.message);
  return flagged.config;
}

/** A broken config: the command prints its problems in the chosen --format and exits 2. */
export class ConfigError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[], readonly sources: ReadonlyMap<string, SourceText>) {
    super('the project config has errors');
  }
}
