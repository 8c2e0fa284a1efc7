import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, type CompileResult } from '../src/compile.js';
import { templateFileName, templateNames, type TemplateSources } from '../src/emit/template-names.js';
import { memoryHost } from '../src/host.js';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Set UPDATE_GOLDEN=1 to rewrite golden files instead of comparing with them. */
export const updateGolden = process.env.UPDATE_GOLDEN === '1';

export function builtinTemplates(): TemplateSources {
  return Object.fromEntries(
    templateNames.map((name) => [name, { file: `templates/${templateFileName(name)}`, text: readFileSync(`${root}templates/${templateFileName(name)}`, 'utf8') }]),
  ) as unknown as TemplateSources;
}

/** Compiles plans held in memory: { 'plans/a.yaml': '...' }. */
export function compileFiles(files: Record<string, string>, options: { emit?: boolean } = {}): Promise<CompileResult> {
  const planFiles = Object.keys(files).filter((f) => /\.ya?ml$/.test(f)).sort();
  return compile({ files: planFiles, ...(options.emit ? { templates: builtinTemplates() } : {}) }, memoryHost(files));
}

/** Diagnostics as `line:column severity CODE message`, for compact assertions. */
export function brief(result: CompileResult): string[] {
  return result.diagnostics.map((d) => {
    const p = d.span ? result.sources.get(d.file)!.position(d.span.start) : { line: 1, column: 1 };
    return `${p.line}:${p.column} ${d.severity} ${d.code} ${d.message}`;
  });
}

/** A small valid plan; tests replace parts of it. */
export const minimalPlan = `migc: 1
id: minimal
title: Minimal plan
type: schema
risk: low
engine: postgresql@15
phases:
  - name: expand
    kind: expand
    steps:
      - id: add-column
        sql: ALTER TABLE t ADD COLUMN c integer;
        rollback:
          sql: ALTER TABLE t DROP COLUMN c;
`;

/**
 * Variables that change what migc prints: the default --format (GITHUB_ACTIONS), colour
 * (NO_COLOR, FORCE_COLOR, TERM), the summary's links (GITHUB_SERVER_URL, ..., MIGC_REPORT_BASE_URL),
 * hints about shallow clones (GITHUB_ACTIONS). CI is cleared too, so that no tool a test starts
 * behaves differently on a CI runner.
 */
function changesOutput(name: string): boolean {
  return name === 'CI' || name === 'NO_COLOR' || name === 'FORCE_COLOR' || name === 'TERM' || name === 'MIGC_REPORT_BASE_URL' || name.startsWith('GITHUB_');
}

/**
 * The environment for the CLI in a test (a spawned bin/migc.js, or main() in a child): the
 * caller's without the variables above, with NO_COLOR=1, then `extra` (a test of colour or of
 * GitHub Actions sets what it tests here). The suite then prints the same inside a GitHub
 * Actions job as on a laptop.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!changesOutput(name)) env[name] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * A plan of one step in one expand phase, with `baseline` and the step's `sql` (indented into the
 * YAML): the step's SQL starts on line 16 plus the baseline's lines beyond the first.
 */
export function oneStepPlan(id: string, baseline: string, sql: string): string {
  return `migc: 1
id: ${id}
title: ${id}
type: schema
risk: low
engine: postgresql@15
baseline:
  sql: |
${baseline.split('\n').map((l) => `    ${l}`).join('\n')}
phases:
  - name: expand
    kind: expand
    steps:
      - id: change
        sql: |
${sql.split('\n').map((l) => `          ${l}`).join('\n')}
        rollback:
          nothing_to_undo: The test does not roll back.
`;
}
