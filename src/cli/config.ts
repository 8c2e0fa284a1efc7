import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ProjectConfig } from '../compile.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { SourceText } from '../diagnostics/source-text.js';
import type { Io } from './output.js';

export const configFileName = 'migc.config.json';

/**
 * Reads migc.config.json (or --config FILE). JSON is YAML, so it is read with the plan loader
 * and its problems point at their line like a plan's; the (small) schema is compiled only when
 * a config exists, keeping start-up fast for projects without one.
 */
export async function loadConfig(cwd: string, path: string | undefined): Promise<{ config?: ProjectConfig; diagnostics: Diagnostic[]; source?: [string, SourceText] }> {
  const file = path ?? configFileName;
  const text = await readFile(resolve(cwd, file), 'utf8').catch(() => undefined);
  if (text === undefined) {
    return path === undefined ? { diagnostics: [] } : { diagnostics: [{ code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the --config path.' }] };
  }
  const { loadYaml, keySpan, spanAt } = await import('../load/yaml.js');
  const { loaded, diagnostics } = loadYaml(file, text);
  const source: [string, SourceText] = [file, new SourceText(text)];
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, source };
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const schema = JSON.parse(await readFile(new URL('../../schema/config.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv2020.default({ allErrors: true }).compile(schema);
  if (!validate(loaded.value)) {
    for (const e of validate.errors ?? []) {
      const at = e.instancePath.split('/').slice(1);
      const extra = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      diagnostics.push({
        code: 'MG010', severity: 'error', file, span: extra ? keySpan(loaded.doc, [...at, extra]) ?? spanAt(loaded.doc, at) : spanAt(loaded.doc, at),
        message: `${at.join('.') || 'the config'} ${extra ? `has an unknown property "${extra}"` : e.message}`,
        help: 'See schema/config.schema.json: postgres, rules, assume_rows, allow_files_outside, svg.',
      });
    }
    return { diagnostics, source };
  }
  const raw = loaded.value as { postgres?: number; rules?: Record<string, 'error' | 'warning' | 'info' | 'off'>; assume_rows?: Record<string, number>; allow_files_outside?: string[]; svg?: boolean };
  if (raw.rules && Object.keys(raw.rules).length) {
    const { checkRuleSettings } = await import('./rule-settings.js');
    diagnostics.push(...await checkRuleSettings(file, Object.keys(raw.rules), (code) => keySpan(loaded.doc, ['rules', code])));
    if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, source };
  }
  return {
    config: {
      ...(raw.postgres !== undefined ? { postgres: raw.postgres } : {}),
      ...(raw.rules ? { rules: raw.rules } : {}),
      ...(raw.allow_files_outside ? { allowFilesOutside: raw.allow_files_outside } : {}),
      ...(raw.svg !== undefined ? { svg: raw.svg } : {}),
      ...(raw.assume_rows ? { assumeRows: new Map(Object.entries(raw.assume_rows).map(([t, n]) => [t.replace(/^public\./, ''), n])) } : {}),
    },
    diagnostics,
    source,
  };
}

/** --assume-rows users=40 (repeatable) over the config's assume_rows. */
export function withAssumedRows(config: ProjectConfig | undefined, flags: readonly string[] | undefined, usage: (message: string) => Error): ProjectConfig | undefined {
  if (!flags?.length) return config;
  const rows = new Map(config?.assumeRows ?? []);
  for (const flag of flags) {
    const m = /^([A-Za-z_][\w.]*)=(\d+)$/.exec(flag);
    if (!m) throw usage(`--assume-rows takes table=rows, for example users=40; got ${flag}`);
    rows.set(m[1]!.replace(/^public\./, ''), Number(m[2]));
  }
  return { ...config, assumeRows: rows };
}

/** The project's migc.config.json (or --config FILE); a broken one stops the command (exit 2). */
export async function projectConfig(path: string | undefined, io: Io): Promise<ProjectConfig | undefined> {
  const loaded = await loadConfig(io.cwd, path);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new ConfigError(loaded.diagnostics, new Map(loaded.source ? [loaded.source] : []));
  return loaded.config;
}

/** A broken config: the command prints its problems in the chosen --format and exits 2. */
export class ConfigError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[], readonly sources: ReadonlyMap<string, SourceText>) {
    super('the project config has errors');
  }
}
