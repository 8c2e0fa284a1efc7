import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Diagnostic } from './diagnostics/diagnostic.js';

/**
 * temporal-sql-tool (temporalio/temporal, tools/common/schema/updatetask.go) updates a schema from
 * `versioned/vX.Y/` folders, in version order; in each, it runs the files its `manifest.json` lists
 * in `SchemaUpdateCqlFiles`, in that order, and no other. It reads the manifest with Go's
 * json.Unmarshal (keys matched exactly, else without regard to case) and refuses the update at a
 * manifest it cannot read, whose `CurrVersion` is not the folder's version, whose
 * `MinCompatibleVersion` is empty, or whose list is empty unless `AllowNoCqlFiles` is true.
 */

/** The folders temporal-sql-tool takes for versions (versionDirectoryRegex): `v1.0`, `v1.10`. */
export const temporalVersionFolder = /^v[\d.]+/;

/** A file the manifest lists, with the place of its name in the manifest (for a missing file). */
export interface ListedFile {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export type TemporalManifest = { readonly files: readonly ListedFile[]; readonly problems: readonly Diagnostic[] };

/**
 * What a version folder's manifest.json lists, and what temporal-sql-tool would refuse in it (MG024
 * errors at the place, with the fix). `file`: the manifest's path; `folder`: its folder's name (`v1.3`).
 */
export function temporalManifest(file: string, folder: string, text: string): TemporalManifest {
  const problem = (start: number, end: number, message: string, help: string): TemporalManifest => ({
    files: [], problems: [{ code: 'MG024', severity: 'error', file, span: { start, end }, message: `${message}: temporal-sql-tool stops at version ${folder.slice(1)}`, help }],
  });
  const read = strictJson(text);
  if ('why' in read) return problem(read.start, read.end, `cannot read this manifest.json (${read.why})`, 'Fix the JSON: one object in braces, keys and strings in double quotes, a comma between items and none after the last, no comments.');
  const { root } = read;
  if (root.type !== 'object') return problem(root.offset, root.offset + 1, 'this manifest.json is not a JSON object', manifestHelp);
  const version = property(root, 'CurrVersion');
  const current = version?.type === 'string' ? String(version.value).replace(/^v/, '') : undefined;
  if (current !== folder.slice(1)) {
    const at = version ?? root;
    const says = version === undefined ? 'has no CurrVersion' : `says CurrVersion ${text.slice(version.offset, version.offset + version.length)}`;
    return problem(at.offset, at.offset + (version ? version.length : 1), `this manifest.json ${says} in folder ${folder}/ ("manifest version doesn't match with dirname")`, `Write "CurrVersion": "${folder.slice(1)}", the folder's version.`);
  }
  const minimum = property(root, 'MinCompatibleVersion');
  if (minimum?.type !== 'string' || minimum.value === '') {
    const at = minimum ?? root;
    return problem(at.offset, at.offset + (minimum ? minimum.length : 1), 'this manifest.json has no MinCompatibleVersion ("invalid MinCompatibleVersion in manifest")', 'Write the oldest schema version the server still works with, as "MinCompatibleVersion": "1.0".');
  }
  const list = property(root, 'SchemaUpdateCqlFiles');
  const allowNone = property(root, 'AllowNoCqlFiles')?.value === true;
  if (list !== undefined && list.type !== 'null' && (list.type !== 'array' || list.children!.some((c) => c.type !== 'string'))) {
    const wrong = list.type === 'array' ? list.children!.find((c) => c.type !== 'string')! : list;
    return problem(wrong.offset, wrong.offset + wrong.length, `SchemaUpdateCqlFiles must be a list of file names (got ${wrong.type === 'array' ? 'a list' : `${wrong.type === 'object' ? 'an' : 'a'} ${wrong.type}`} here)`, manifestHelp);
  }
  const names = list?.type === 'array' ? list.children! : [];
  if (names.length === 0 && !allowNone) {
    const at = list ?? root;
    return problem(at.offset, at.offset + (list ? list.length : 1), 'this manifest.json lists no file in SchemaUpdateCqlFiles ("manifest missing SchemaUpdateCqlFiles")', 'List the version\'s .sql files in SchemaUpdateCqlFiles, in the order they run, or add "AllowNoCqlFiles": true for a version that runs none.');
  }
  return { files: names.map((n) => ({ name: String(n.value), start: n.offset, end: n.offset + n.length })), problems: [] };
}

const manifestHelp = 'A manifest is an object: {"CurrVersion": "1.3", "MinCompatibleVersion": "1.0", "Description": "...", "SchemaUpdateCqlFiles": ["a.sql", "b.sql"]}.';

/** A key of an object as Go's json.Unmarshal sets a struct field: its name in any case; of several, the last. */
function property(object: Node, key: string): Node | undefined {
  const pairs = (object.children ?? []).filter((p) => String(p.children?.[0]?.value).toLowerCase() === key.toLowerCase());
  return pairs.at(-1)?.children?.[1];
}

/**
 * A JSON text as a strict reader (Go's json.Unmarshal, JavaScript's JSON.parse) reads it: its tree,
 * or where the first error is and what it is, in words (jsonc-parser's PropertyNameExpected:
 * "property name expected").
 */
export function strictJson(text: string): { readonly root: Node } | { readonly start: number; readonly end: number; readonly why: string } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first && root) return { root };
  const at = first?.offset ?? 0;
  return { start: at, end: Math.min(at + Math.max(first?.length ?? 1, 1), text.length), why: first ? printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : 'no JSON value' };
}
