import type { TemplateSources } from './emit/template-names.js';
import type { Host } from './host.js';
import type { ProjectConfig } from './workspace/config.js';
import { createWorkspace, type CompileResult } from './workspace/workspace.js';

export type { ProjectConfig } from './workspace/config.js';
export { allDiagnostics, linkPlans, type CompileResult, type PlanResult } from './workspace/workspace.js';

export interface CompileOptions {
  /** Plan files, relative to the host's root, forward slashes. */
  readonly files: readonly string[];
  /** Emit artefacts (build) or only check. Emitting needs templates. */
  readonly templates?: TemplateSources;
  /** The project's settings (migc.config.json): target PostgreSQL version, rule severities. */
  readonly config?: ProjectConfig;
}

/**
 * One-shot compile, for tests and scripts: a workspace used once. The pipeline (load ->
 * validate -> normalize -> analyze -> emit) and its caches live in src/workspace/.
 */
export function compile(options: CompileOptions, host: Host): Promise<CompileResult> {
  return createWorkspace({ host, files: options.files, ...(options.templates ? { templates: options.templates } : {}), ...(options.config ? { config: options.config } : {}) }).build();
}
