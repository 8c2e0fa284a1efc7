import type { RenderedPlaceholder, RenderedText } from './lint-placeholders.js';

/**
 * PostgreSQL extension scripts, by their names (PostgreSQL's "Packaging Related Objects into an
 * Extension"): `<extension>--<version>.sql` installs a version (CREATE EXTENSION), and
 * `<extension>--<from>--<to>.sql` updates one version to another (ALTER EXTENSION ... UPDATE), or
 * goes back to an older one (a downgrade script, citus's downgrades/). PostgreSQL runs the whole
 * chain of scripts one command needs in one transaction, with search_path set to the control file's
 * schema. Names only: no SQL is read here.
 */

/** What an extension script's name says. */
export interface ExtensionScript {
  readonly extension: string;
  /** The version it updates from; undefined for an install script. */
  readonly from?: string;
  /** The version it installs or updates (or goes back) to. */
  readonly to: string;
  /** It goes from a version to an older one: it undoes the update `<to>--<from>`. */
  readonly downgrade: boolean;
}

/**
 * A name PostgreSQL's extension loader would take, kept to what extension authors write: the
 * extension's name starts with a letter (pg_stat_statements, uuid-ossp, citus_columnar), a version
 * with a digit (1.4, 9.2-1, 11.1-0). PostgreSQL forbids `--` in both, and a version starting or
 * ending with `-`. Versions named otherwise (hstore's old `unpackaged`) are not taken: a migration
 * folder's `x--y.sql` is not mistaken for one.
 */
const extensionName = /^[A-Za-z][A-Za-z0-9_-]*$/;
const versionName = /^\d[A-Za-z0-9_.-]*$/;

/** The extension script a file is, by its name, or undefined. */
export function extensionScriptOf(file: string): ExtensionScript | undefined {
  // Most names are no extension script's: one look for its "--" first.
  if (!file.includes('--')) return undefined;
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (!base.endsWith('.sql')) return undefined;
  const names = base.slice(0, -'.sql'.length).split('--');
  if (names.length < 2 || names.length > 3 || !extensionName.test(names[0]!) || names[0]!.endsWith('-')) return undefined;
  const versions = names.slice(1);
  if (!versions.every((v) => versionName.test(v) && !v.endsWith('-'))) return undefined;
  if (versions.length === 1) return { extension: names[0]!, to: versions[0]!, downgrade: false };
  const [from, to] = versions as [string, string];
  return { extension: names[0]!, from, to, downgrade: compareExtensionVersions(to, from) < 0 };
}

/**
 * Versions as extension authors number them, part by part (at `.`, `-` and `_`), digits as
 * numbers: 9.1-1 < 9.2-1 < 10.0-1 < 11.0-1, 8.0-9 < 8.0-10. PostgreSQL itself does not order
 * versions (the control file and the update scripts say which follows which); authors' numbers do.
 * A part that is not a number compares as text after the numbers; equal parts, the shorter first.
 */
export function compareExtensionVersions(a: string, b: string): number {
  const as = a.split(/[._-]/);
  const bs = b.split(/[._-]/);
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = comparePart(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  return as.length - bs.length || (a < b ? -1 : a > b ? 1 : 0);
}

function comparePart(a: string, b: string): number {
  const numeric = (s: string) => /^\d+$/.test(s);
  if (numeric(a) && numeric(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  }
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order extension scripts run in, one extension after another by name: an install script,
 * then the updates from its version, as the update chain goes (by the version updated from, then
 * the one updated to: 9.4-1--9.4-2 before 9.4-1--9.5-1 before 9.4-2--9.4-3); a downgrade stands
 * right after the update it undoes (`10.1-1--10.0-4` after `10.0-4--10.1-1`), or where that
 * update would. Negative when `a` runs first.
 */
export function compareExtensionScripts(a: ExtensionScript, b: ExtensionScript): number {
  if (a.extension !== b.extension) return a.extension < b.extension ? -1 : 1;
  const [aLow, aHigh] = span(a);
  const [bLow, bHigh] = span(b);
  const low = compareExtensionVersions(aLow, bLow);
  if (low !== 0) return low;
  // An install script of a version comes before the updates from it.
  if ((aHigh === undefined) !== (bHigh === undefined)) return aHigh === undefined ? -1 : 1;
  const high = aHigh === undefined || bHigh === undefined ? 0 : compareExtensionVersions(aHigh, bHigh);
  return high || Number(a.downgrade) - Number(b.downgrade);
}

/** The versions an update joins, older first (a downgrade's reversed); an install script's version alone. */
function span(s: ExtensionScript): [string, string | undefined] {
  if (s.from === undefined) return [s.to, undefined];
  return s.downgrade ? [s.to, s.from] : [s.from, s.to];
}

/** The key a downgrade and the update it undoes share: `<extension>:<older>--<newer>`. */
export function extensionUpdateKey(s: ExtensionScript): string {
  const [low, high] = span(s);
  return high === undefined ? `${s.extension}:${low}` : `${s.extension}:${low}--${high}`;
}

/**
 * The script's text as CREATE and ALTER EXTENSION run it: PostgreSQL replaces `@extschema@` with
 * the extension's schema (quoted as an identifier when it needs quotes), and from PostgreSQL 16
 * `@extschema:<name>@` with the schema of a required extension and `@extowner@` with the role that
 * runs the command, before it parses the script (PostgreSQL's "Packaging Related Objects into an
 * Extension"). `schema`: the extension's schema, quoted as an identifier (the search path the user gave names it first);
 * a required extension's is taken to be the same, and the owner is `postgres`. Undefined when the
 * script has none of them. Where each was is kept, so findings point at the file as written.
 */
export function renderExtensionScript(text: string, quotedSchema: string): RenderedText | undefined {
  if (!text.includes('@ext')) return undefined;
  const replaced: RenderedPlaceholder[] = [];
  let rendered = '';
  let copied = 0;
  for (let at = text.indexOf('@ext'); at !== -1; at = text.indexOf('@ext', at + 1)) {
    const token = extensionPlaceholderAt(text, at);
    if (token === undefined) continue;
    const value = token.name === 'extowner' ? 'postgres' : quotedSchema;
    rendered += text.slice(copied, at);
    replaced.push({ name: token.name, start: at, end: token.end, renderedStart: rendered.length, renderedEnd: rendered.length + value.length });
    rendered += value;
    copied = token.end;
    at = token.end - 1;
  }
  return replaced.length === 0 ? undefined : { text: rendered + text.slice(copied), replaced };
}

/** `@extschema@`, `@extowner@` or `@extschema:<name>@` at `at`: its name and where it ends. */
function extensionPlaceholderAt(text: string, at: number): { readonly name: string; readonly end: number } | undefined {
  for (const name of ['extschema', 'extowner']) {
    if (text.startsWith(`@${name}@`, at)) return { name, end: at + name.length + 2 };
  }
  if (!text.startsWith('@extschema:', at)) return undefined;
  const close = text.indexOf('@', at + '@extschema:'.length);
  const required = close === -1 ? '' : text.slice(at + '@extschema:'.length, close);
  return extensionName.test(required) ? { name: 'extschema', end: close + 1 } : undefined;
}
