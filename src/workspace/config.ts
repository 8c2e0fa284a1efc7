import type { AjvError } from '../validate/generated/plan-validator.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { SourceText } from '../diagnostics/source-text.js';
import type { Host } from '../host.js';
import { packageFile } from './package-files.js';
import { maxTableRows } from '../analyze/tables.js';
import { formatCount } from '../util/numbers.js';
import { readTableName } from '../sql/table-name.js';
import { postgresMajorProblem, readPostgresVersion } from '../normalize/postgres-versions.js';
import type { SearchPath } from '../analyze/sql/search-path.js';
import { readSearchPath } from '../analyze/sql/search-path-value.js';
import { placeholderNameProblem, placeholderValueProblem, type PlaceholderValues } from '../lint-placeholders.js';

export const configFileName = 'migc.config.json';

/** The project's settings (migc.config.json, then the command line over it). */
export interface ProjectConfig {
  /** PostgreSQL major version for plans whose engine names none. */
  readonly postgres?: number;
  /** Its minor release, when the config names it ("14.3"): a verdict depends on it (MG240). */
  readonly postgresMinor?: number;
  /** Severity per rule code, or "off". */
  readonly rules?: Readonly<Record<string, Severity | 'off'>>;
  /** Rows per table, over plans' size hints (--assume-rows). */
  readonly assumeRows?: ReadonlyMap<string, number>;
  /** Folders outside the project, relative to it, whose files plans may name (allow_files_outside). */
  readonly allowFilesOutside?: readonly string[];
  /** Draw timelines to SVG on every build, as --svg does. */
  readonly svg?: boolean;
  /** For lint: the search_path the migration tool's connection sets (--search-path, search_path). */
  readonly searchPath?: SearchPath;
  /** For lint: whether the migration tool's connection sets a lock_timeout that bounds lock waits (--lock-timeout, lock_timeout). */
  readonly lockTimeout?: { readonly value: string; readonly bounds: boolean };
  /** For lint: values of Flyway's ${name} placeholders, by name in lower case (--placeholder, placeholders). */
  readonly placeholders?: PlaceholderValues;
  /** For lint: globs naming the files that are rollbacks of a layout migc does not know by name (--rollbacks, rollbacks). */
  readonly rollbacks?: readonly string[];
  /** For lint: the application is stopped while the migrations run (--app-stopped, app_stopped): appStoppedRules. */
  readonly appStopped?: boolean;
}

/**
 * The severities lint takes when the application is stopped while the migrations run (an upgrade
 * at start-up, a maintenance window): nothing waits behind a lock, no running code uses an old
 * name, no write is blocked by a build or a validation (a validation's scan is the constraint's
 * price, which its NOT VALID recipe only spreads for a running application). A rewrite still
 * lengthens the downtime, and what PostgreSQL refuses still fails: those stay. The config's own "rules" win over these.
 */
export const appStoppedRules: Readonly<Record<string, Severity | 'off'>> = {
  MG219: 'off', MG217: 'off', MG218: 'off', MG112: 'info', MG213: 'info',
  MG201: 'info', MG202: 'info', MG203: 'info', MG207: 'info', MG208: 'info', MG209: 'info', MG210: 'info', MG211: 'info',
};

/**
 * Lint's findings as the application stopped takes them (appStoppedRules): a finding that says
 * the statement fails on rows the table may hold (a CHECK a row violates) still stops the upgrade,
 * and stays a warning where its code becomes a note (readur's CHECK on language codes, which a
 * supported 'chi_sim' violates: the fortieth trial's C). The codes the config's own rules set
 * are left to them.
 */
export function withAppStopped(diagnostics: readonly Diagnostic[], own: Readonly<Record<string, Severity | 'off'>> | undefined): Diagnostic[] {
  return diagnostics.flatMap((d) => {
    const stopped = appStoppedRules[d.code];
    if (stopped === undefined || own?.[d.code] !== undefined) return [d];
    if (stopped === 'off') return [];
    if (d.severity === 'info') return [d];
    return [{ ...d, severity: d.failsOnRows === 'will' ? d.severity : d.failsOnRows && stopped === 'info' ? 'warning' : stopped }];
  });
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
  const read = loadYaml(file, text);
  let diagnostics = read.diagnostics.map((d) => asConfigSyntax(d, file, text));
  // YAML's words for text that is not JSON ("Block collections are not allowed within flow
  // collections" for a missing comma) mean little in a JSON file: JSON's own, but for an unclosed
  // bracket, which the YAML reader names at the bracket with how to close it.
  if (!isYamlConfig(file) && diagnostics.some((d) => d.code === 'MG025') && !read.diagnostics.some(isUnclosedBracket)) {
    const notJson = await strictJsonProblem(file, text);
    if (notJson) diagnostics = [notJson, ...diagnostics.filter((d) => d.code !== 'MG025')];
  }
  const { loaded } = read;
  const sources = new Map([[file, new SourceText(text)]]);
  // YAML reads more than JSON (unquoted keys, comments, `key: value` lines): a .json config must be JSON.
  if (!diagnostics.some((d) => d.severity === 'error') && !isYamlConfig(file) && read.loaded.value !== null && read.loaded.value !== undefined) {
    const notJson = await strictJsonProblem(file, text);
    if (notJson) diagnostics.push(notJson);
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  if (loaded.value === null || loaded.value === undefined) {
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: { start: 0, end: text.length },
      message: 'the config holds no settings: it is empty or only comments',
      help: 'Write {} for no settings, or the settings as an object ({ "postgres": 15 }), or delete the file.',
    });
    return { file, diagnostics, sources };
  }
  const { validate, schema } = await configValidator();
  // postgres in a shape the schema's words say badly ("must be integer,string"): said here, at its value.
  const postgresShape = postgresShapeProblem((loaded.value as { postgres?: unknown }).postgres);
  if (postgresShape) diagnostics.push({ code: 'MG010', severity: 'error', file, span: spanAt(loaded.doc, ['postgres']), ...postgresShape });
  if (!validate(loaded.value)) {
    const { schemaDiagnostics } = await import('../validate/schema.js');
    const errors = (validate.errors ?? []).filter((e) => !postgresShape || e.instancePath !== '/postgres');
    const found = schemaDiagnostics(errors, { file, doc: loaded.doc, value: loaded.value, schema, subject: 'the config' });
    diagnostics.push(...found.map((d) => withSettingHelp(d, schema, !isYamlConfig(file))));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  const raw = loaded.value as { postgres?: number | string; rules?: Record<string, Severity | 'off'>; assume_rows?: Record<string, number>; allow_files_outside?: string[]; svg?: boolean; search_path?: string; lock_timeout?: string | number; placeholders?: Record<string, string>; rollbacks?: string[]; app_stopped?: boolean };
  if (raw.rules && Object.keys(raw.rules).length) {
    // A code that does not exist or cannot be changed would silently do nothing: MG052 at its key.
    const { checkRuleSettings } = await import('./rule-settings.js');
    diagnostics.push(...await checkRuleSettings(file, Object.keys(raw.rules), (code) => keySpan(loaded.doc, ['rules', code])));
    if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  }
  // Table names are read as PostgreSQL reads them, as --assume-rows reads them (src/sql/table-name.ts).
  for (const key of Object.keys(raw.assume_rows ?? {})) {
    if (readTableName(key) !== undefined) continue;
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: keySpan(loaded.doc, ['assume_rows', key]) ?? { start: 0, end: 0 },
      message: `assume_rows names ${JSON.stringify(key)}, which is not a table name`,
      help: 'Write the table as SQL names it: users (an unquoted name is read in lower case), app.orders with its schema, and a table created with a quoted name in double quotes inside the key: "\\"User\\"": 100.',
    });
  }
  // A placeholder's name and value as --placeholder takes them (src/lint-placeholders.ts).
  for (const [name, value] of Object.entries(raw.placeholders ?? {})) {
    const nameProblem = placeholderNameProblem(name);
    const valueProblem = nameProblem ? undefined : placeholderValueProblem(value);
    if (!nameProblem && !valueProblem) continue;
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: (nameProblem ? keySpan(loaded.doc, ['placeholders', name]) : spanAt(loaded.doc, ['placeholders', name])) ?? { start: 0, end: 0 },
      message: `placeholders ${JSON.stringify(name)}: ${nameProblem ?? valueProblem}`,
      help: 'Write each placeholder as its name and the value your deployment gives it, on one line: "placeholders": { "schema": "app" } fills ${schema}.',
    });
  }
  const searchPath = raw.search_path === undefined ? undefined : readSearchPath(raw.search_path);
  if (raw.search_path !== undefined && !searchPath) {
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: spanAt(loaded.doc, ['search_path']),
      message: `search_path ${JSON.stringify(raw.search_path)}: ${searchPathProblem}`,
      help: searchPathHelp,
    });
  }
  const lockTimeout = raw.lock_timeout === undefined ? undefined : readLockTimeout(String(raw.lock_timeout));
  if (raw.lock_timeout !== undefined && !lockTimeout) {
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: spanAt(loaded.doc, ['lock_timeout']),
      message: `lock_timeout ${JSON.stringify(raw.lock_timeout)}: ${lockTimeoutProblem}`,
      help: 'Write it as the migration tool\'s connection sets it, for example "lock_timeout": "15s" (or 15000, in milliseconds).',
    });
  }
  // A string ("14.3", "15") the schema took in its shape; its major must be one migc knows, as a number's must.
  const version = typeof raw.postgres === 'string' ? readPostgresVersion(raw.postgres) : raw.postgres === undefined ? undefined : { major: raw.postgres };
  const versionProblem = typeof raw.postgres === 'string' && version ? postgresMajorProblem(version.major) : undefined;
  if (versionProblem) {
    diagnostics.push({
      code: 'MG010', severity: 'error', file, span: spanAt(loaded.doc, ['postgres']),
      message: `postgres ${JSON.stringify(raw.postgres)}: ${versionProblem}`,
      help: postgresHelp,
    });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { file, diagnostics, sources };
  return {
    file,
    config: {
      ...(version !== undefined ? { postgres: version.major } : {}),
      ...(version?.minor !== undefined ? { postgresMinor: version.minor } : {}),
      ...(raw.rules ? { rules: raw.rules } : {}),
      ...(raw.allow_files_outside ? { allowFilesOutside: raw.allow_files_outside } : {}),
      ...(raw.svg !== undefined ? { svg: raw.svg } : {}),
      ...(searchPath ? { searchPath } : {}),
      ...(lockTimeout ? { lockTimeout } : {}),
      ...(raw.placeholders ? { placeholders: new Map(Object.entries(raw.placeholders).map(([name, value]) => [name.toLowerCase(), value])) } : {}),
      ...(raw.rollbacks ? { rollbacks: raw.rollbacks } : {}),
      ...(raw.app_stopped ? { appStopped: true } : {}),
      ...(raw.assume_rows ? { assumeRows: new Map(Object.entries(raw.assume_rows).map(([t, n]) => [readTableName(t)!, n])) } : {}),
    },
    diagnostics,
    sources,
  };
}

/**
 * A lock_timeout as PostgreSQL reads the setting: a whole or decimal number of milliseconds, or
 * with a unit of time (ms, s, min, h, d; PostgreSQL takes the units in this case only). Undefined
 * for a value the server refuses. `bounds`: not 0, so lock waits give up.
 */
export function readLockTimeout(text: string): { readonly value: string; readonly bounds: boolean } | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * millisecondsPer[m[2] ?? 'ms']!;
  // PostgreSQL rounds to whole milliseconds (rint: half to even), and refuses more than 2^31 - 1.
  if (ms > 2147483647) return undefined;
  return { value: text.trim(), bounds: ms > 0.5 };
}

const millisecondsPer: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

export const lockTimeoutProblem = 'PostgreSQL reads a lock_timeout as milliseconds, or a number with a unit: us, ms, s, min, h or d (15s, 500ms, 1min), up to 2147483647ms; 0 is no timeout';

/** Why PostgreSQL refuses a search_path (readSearchPath): its own words, and where they come from. */
export const searchPathProblem = 'PostgreSQL refuses it ("List syntax is invalid"): schema names separated by commas, none empty, a name with a space or a comma in double quotes';
export const searchPathHelp = 'Write it as the migration tool\'s connection sets it, for example "search_path": "storage, public" (a name with capitals or spaces in double quotes: "\\"My Schema\\", public").';

const isYamlConfig = (file: string) => /\.ya?ml$/i.test(file);

const postgresHelp = 'For example "postgres": 15, or "postgres": "14.3" with its minor release (a string). Name the version the server runs: SHOW server_version says it.';

/** A config's postgres that is a number with a fraction, or anything else that is no version: what is wrong, and how to write it. */
function postgresShapeProblem(value: unknown): { message: string; help: string } | undefined {
  if (typeof value === 'number' && !Number.isInteger(value)) {
    return { message: `postgres ${value} is a number with a fraction: as a number, a minor release cannot be told apart (14.10 reads 14.1)`, help: `Write it as a string: "postgres": "${value}".` };
  }
  if (value === undefined || typeof value === 'number' || (typeof value === 'string' && readPostgresVersion(value))) return undefined;
  return { message: `postgres ${JSON.stringify(value)} is not a PostgreSQL version`, help: postgresHelp };
}

/** The YAML reader's MG001 for a bracket never closed: named at the bracket, with how to close it. */
const isUnclosedBracket = (d: Diagnostic) => d.code === 'MG001' && d.help?.startsWith('Close it with ') === true;

const jsonHelp = 'The config is JSON: one object in braces, keys and strings in double quotes, a comma between items and none after the last; the settings are listed in migc\'s README (--config).';

/**
 * The first place where a config the YAML reader took is not JSON, as MG025, with what JSON wants
 * there (jsonc-parser, strict: no comments, no trailing commas). Undefined when it is JSON.
 */
async function strictJsonProblem(file: string, whole: string): Promise<Diagnostic | undefined> {
  // A byte order mark (an editor's "UTF-8 with BOM") is not the config's text; offsets stay the file's.
  const skip = whole.startsWith('\uFEFF') ? 1 : 0;
  const text = whole.slice(skip);
  // Most configs are JSON: JSON.parse says so without loading the parser that finds the place.
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    // Not JSON: where, and why, below.
  }
  const { parse, ParseErrorCode } = await import('jsonc-parser');
  const errors: { error: number; offset: number; length: number }[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  let first = errors[0];
  if (!first) return undefined;
  // 015: JSON's number ends at the 0, and the parser wants a comma before the 15.
  const leadingZero = first.error === ParseErrorCode.CommaExpected && /(?:^|[^\d.])0$/.test(text.slice(0, first.offset)) && /^\d/.test(text.slice(first.offset));
  if (leadingZero) first = { error: ParseErrorCode.InvalidNumberFormat, offset: first.offset - 1, length: /^\d*/.exec(text.slice(first.offset))![0].length + 1 };
  const found = text.slice(first.offset, first.offset + Math.max(first.length, 1));
  const before = text.slice(0, first.offset).trimEnd();
  const afterComma = before.endsWith(',');
  const keyPlace = before.endsWith('{') || afterComma;
  let what: string;
  let help = jsonHelp;
  switch (first.error) {
    case ParseErrorCode.InvalidSymbol:
    case ParseErrorCode.InvalidCommentToken:
      if (found.startsWith('#') || found.startsWith('/')) {
        what = 'a comment';
        help = 'JSON has no comments: remove the line (a "$comment" is no setting either; say it in the commit or a README).';
      } else if (found.startsWith("'")) {
        what = `${found} is in single quotes: JSON's strings and keys take double quotes`;
      } else if (keyPlace || first.offset === 0) {
        what = `${found} is a key without double quotes`;
      } else {
        what = `${found} is not a JSON value (a string in double quotes, a number, true, false, null, an object or an array)`;
      }
      break;
    case ParseErrorCode.PropertyNameExpected:
    case ParseErrorCode.ValueExpected:
      what = afterComma && /^[}\]]/.test(found) ? 'a comma after the last item, which JSON does not allow' : first.error === ParseErrorCode.PropertyNameExpected ? 'a key in double quotes is expected here' : 'a value is expected here';
      break;
    case ParseErrorCode.CommaExpected:
      what = 'a comma is missing before this item';
      break;
    case ParseErrorCode.ColonExpected:
      what = 'a colon is expected after the key';
      break;
    case ParseErrorCode.InvalidNumberFormat:
      what = `${found} is not a number as JSON writes one (no leading zero, no leading or trailing dot)`;
      break;
    case ParseErrorCode.EndOfFileExpected:
      what = 'text after the config\'s object: the file holds one object';
      break;
    default:
      what = `${JSON.stringify(found)} is not valid JSON here`;
  }
  return { code: 'MG025', severity: 'error', file, span: { start: skip + first.offset, end: skip + first.offset + Math.max(first.length, 1) }, message: `JSON syntax: ${what}`, help };
}

/** Codes of the plan loader for text it cannot read: for the config, MG025 says the same of its JSON. */
const syntaxCodes: ReadonlySet<string> = new Set(['MG001', 'MG003', 'MG005', 'MG006']);

/**
 * A problem the plan loader found in the config's text, labelled for the config: the file is JSON
 * (a .yaml or .yml config, which the loader reads as well, is YAML), and the plan's help (a block
 * scalar for multi-line SQL) means nothing in it. Duplicate keys keep their own code (MG002).
 */
function asConfigSyntax(d: Diagnostic, file: string, text: string): Diagnostic {
  if (!syntaxCodes.has(d.code)) return d;
  const json = !isYamlConfig(file);
  const language = json ? 'JSON' : 'YAML';
  const what = d.message.replace(/^YAML( syntax| indentation)?: /, '');
  const line = d.span ? text.slice(text.lastIndexOf('\n', d.span.start - 1) + 1, text.indexOf('\n', d.span.start) === -1 ? text.length : text.indexOf('\n', d.span.start)) : '';
  const comment = json && /^\s*(\/\/|\/\*|#)/.test(line);
  // The help of an unclosed bracket (MG001) says how to close it; the rest is about plans.
  const bracket = isUnclosedBracket(d) ? `${d.help!.replace(/ yaml also stopped.*$/, '').replace(/, or remove it and write the value as indented lines below its key\.$/, '.')} ` : '';
  const help = comment
    ? 'JSON has no comments: remove the line (a "$comment" is no setting either; say it in the commit or a README).'
    : json
      ? `${bracket}${jsonHelp}`
      : `${bracket}The config is YAML: one mapping of the settings listed in migc's README (--config).`;
  return { ...d, code: 'MG025', message: `${language} syntax: ${what}`, help };
}

/**
 * The help of a config setting's problem (MG010, MG011): what to write, with an example from the
 * config schema, then what the setting does. The plan's messages are about its YAML; a config's
 * reader needs the JSON to type.
 */
function withSettingHelp(found: Diagnostic, schema: Record<string, unknown>, json: boolean): Diagnostic {
  // JSON's words for what the schema's messages call a mapping and a list.
  const d = json ? { ...found, message: found.message.replace(/\ba mapping\b/g, 'an object').replace(/\ba list\b/g, 'an array') } : found;
  if (d.message.startsWith('the config must be ')) return { ...d, help: 'Write the settings as one object, for example { "postgres": 15, "rules": { "MG219": "off" } }.' };
  const properties = (schema.properties ?? {}) as Record<string, { description?: string; examples?: unknown[] }>;
  const setting = /^(?:unknown property "[^"]*" in )?(?:the config|([a-z_$]+))/.exec(d.message)?.[1];
  if (d.code === 'MG011') {
    const examples = Object.entries(properties).filter(([name]) => name !== '$schema').map(([name, p]) => `"${name}": ${inlineJson(p.examples?.[0])}`);
    return { ...d, help: `${d.help} The settings are: { ${examples.join(', ')} }.` };
  }
  const own = setting ? properties[setting] : undefined;
  if (!own?.examples?.length) return d;
  // A guess at the value meant ("Did you mean "off"?") says what to write already.
  if (d.help !== undefined && d.help !== own.description) return d;
  return { ...d, help: `For example "${setting}": ${inlineJson(own.examples[0])}. ${own.description ?? ''}`.trim() };
}

/** A value as JSON on one line, spaced as a person writes it: { "MG219": "off" }. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
}

type Validator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };
let validator: Promise<{ validate: Validator; schema: Record<string, unknown> }> | undefined;

/** Compiled once per process: watch reloads the config on every save of it. */
function configValidator(): Promise<{ validate: Validator; schema: Record<string, unknown> }> {
  validator ??= (async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020.js');
    const schema = JSON.parse(await packageFile('schema/config.schema.json')) as Record<string, unknown>;
    return { validate: new Ajv2020.default({ allErrors: true, allowUnionTypes: true }).compile(schema) as Validator, schema };
  })();
  return validator;
}

/**
 * --assume-rows users=40 (repeatable) over the config's assume_rows; a malformed flag is a result,
 * not a throw. The name is read as PostgreSQL reads it (readTableName): `Users=40` sizes the
 * table `CREATE TABLE Users` made, users; `"User"=40` the one `CREATE TABLE "User"` made.
 */
export function withAssumedRows(config: ProjectConfig | undefined, flags: readonly string[] | undefined): { ok: true; config: ProjectConfig | undefined } | { ok: false; message: string } {
  if (!flags?.length) return { ok: true, config };
  const rows = new Map(config?.assumeRows ?? []);
  for (const flag of flags) {
    const assumed = assumedRows(flag);
    if (!assumed) return { ok: false, message: `--assume-rows takes table=rows, for example users=40 (or "User"=40 for a table created with a quoted name); got ${flag}` };
    if (assumed.rows > maxTableRows) return { ok: false, message: `--assume-rows ${flag}: at most ${formatCount(maxTableRows)} rows, more than any PostgreSQL table holds` };
    rows.set(assumed.table, assumed.rows);
  }
  return { ok: true, config: { ...config, assumeRows: rows } };
}

/** One --assume-rows flag, `table=rows`: the table's key (readTableName) and the rows; undefined when malformed. */
export function assumedRows(flag: string): { table: string; rows: number } | undefined {
  const m = /^(.+)=(\d+)$/s.exec(flag);
  const table = m ? readTableName(m[1]!) : undefined;
  return table === undefined ? undefined : { table, rows: Number(m![2]) };
}
