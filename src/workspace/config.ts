import type { AjvError } from '../validate/generated/plan-validator.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { SourceText } from '../diagnostics/source-text.js';
import type { Host } from '../host.js';
import { packageFile } from './package-files.js';
import { maxTableRows } from '../analyze/tables.js';
import { formatCount } from '../util/numbers.js';

export const configFileName = 'migc.config.json';

/** The project's settings (migc.config.json, then the command line over it). */
export interface ProjectConfig {
  /** PostgreSQL major version for plans whose engine names none. */
  readonly postgres?: number;
  /** Severity per rule code, or "off". */
  readonly rules?: Readonly<Record<string, Severity | 'off'>>;
  /** Rows per table, over plans' size hints (--assume-rows). */
  readonly assumeRows?: ReadonlyMap<string, number>;
  /** Folders outside the project, relative to it, whose files plans may name (allow_files_outside). */
  readonly allowFilesOutside?: readonly string[];
  /** Draw timelines to SVG on every build, as --svg does. */
  readonly svg?: boolean;
}

export interface LoadedConfig {
  /** Undefined when there is no config file, or when it has errors. */
  readonly config?: ProjectConfig;
  /** The file read (relative to the project), when there was one. */
  readonly file?: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The config's text, for rendering its diagnostics. */
  readonly sources: ReadonlyMap<string, SourceText>;
}

/**
 * Reads migc.config.json (or the file given) through the host. JSON is YAML, so it is read
 * with the plan loader and its problems point at their line like a plan's; the (small) schema
 * is compiled only when a config exists, keeping start-up fast for projects without one.
 * Problems are returned, never thrown: the CLI decides they stop the command, watch keeps the
 * previous config.
 */
export async function loadProjectConfig(host: Host, path: string | undefined): Promise<LoadedConfig> {
  const file = path ?? configFileName;
  const text = await host.readFile(file);
  if (text === undefined) {
    return path === undefined
      ? { diagnostics: [], sources: new Map() }
      : { file, diagnostics: [{ code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the --config path.' }], sources: new Map() };
  }
  const { loadYaml, keySpan, spanAt } = await import('../load/yaml.js');
  const { loaded, diagnostics } = loadYaml(file, text);
  const sources = new Map([[file, new SourceText(text)]]);
  if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  const { validate, schema } = await configValidator();
  if (!validate(loaded.value)) {
    const { schemaDiagnostics } = await import('../validate/schema.js');
    diagnostics.push(...schemaDiagnostics(validate.errors ?? [], { file, doc: loaded.doc, value: loaded.value, schema, subject: 'the config' }));
    return { file, diagnostics, sources };
  }
  const raw = loaded.value as { postgres?: number; rules?: Record<string, Severity | 'off'>; assume_rows?: Record<string, number>; allow_files_outside?: string[]; svg?: boolean };
  if (raw.rules && Object.keys(raw.rules).length) {
    // A code that does not exist or cannot be changed would silently do nothing: MG052 at its key.
    const { checkRuleSettings } = await import('./rule-settings.js');
    diagnostics.push(...await checkRuleSettings(file, Object.keys(raw.rules), (code) => keySpan(loaded.doc, ['rules', code])));
    if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  }
  return {
    file,
    config: {
      ...(raw.postgres !== undefined ? { postgres: raw.postgres } : {}),
      ...(raw.rules ? { rules: raw.rules } : {}),
      ...(raw.allow_files_outside ? { allowFilesOutside: raw.allow_files_outside } : {}),
      ...(raw.svg !== undefined ? { svg: raw.svg } : {}),
      ...(raw.assume_rows ? { assumeRows: new Map(Object.entries(raw.assume_rows).map(([t, n]) => [t.replace(/^public\./, ''), n])) } : {}),
    },
    diagnostics,
    sources,
  };
}

type Validator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };
let validator: Promise<{ validate: Validator; schema: Record<string, unknown> }> | undefined;

/** Compiled once per process: watch reloads the config on every save of it. */
function configValidator(): Promise<{ validate: Validator; schema: Record<string, unknown> }> {
  validator ??= (async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020.js');
    const schema = JSON.parse(await packageFile('schema/config.schema.json')) as Record<string, unknown>;
    return { validate: new Ajv2020.default({ allErrors: true }).compile(schema) as Validator, schema };
  })();
  return validator;
}

/** --assume-rows users=40 (repeatable) over the config's assume_rows; a malformed flag is a result, not a throw. */
export function withAssumedRows(config: ProjectConfig | undefined, flags: readonly string[] | undefined): { ok: true; config: ProjectConfig | undefined } | { ok: false; message: string } {
  if (!flags?.length) return { ok: true, config };
  const rows = new Map(config?.assumeRows ?? []);
  for (const flag of flags) {
    const m = /^([A-Za-z_][\w.]*)=(\d+)$/.exec(flag);
    if (!m) return { ok: false, message: `--assume-rows takes table=rows, for example users=40; got ${flag}` };
    if (Number(m[2]) > maxTableRows) return { ok: false, message: `--assume-rows ${flag}: at most ${formatCount(maxTableRows)} rows, more than any PostgreSQL table holds` };
    rows.set(m[1]!.replace(/^public\./, ''), Number(m[2]));
  }
  return { ok: true, config: { ...config, assumeRows: rows } };
}
