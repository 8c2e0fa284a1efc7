import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';

/** A plan file parsed to YAML with its source ranges kept, and its plain JS value. */
export interface LoadedFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  /** The JS value, or undefined when the YAML could not be read. */
  readonly value: unknown;
}

export type Path = readonly (string | number)[];

/** More aliases than this in one file is refused ("billion laughs" expansion). */
export const maxAliasCount = 50;

export function loadYaml(file: string, text: string): { loaded: LoadedFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, keepSourceTokens: false });
  for (const e of doc.errors) {
    const span = { start: e.pos[0], end: Math.max(e.pos[1], e.pos[0]) };
    if (e.code === 'DUPLICATE_KEY') {
      // yaml points at the key's first character; the key runs to the colon.
      const key = /^[^:\n]*/.exec(text.slice(span.start))![0].trim();
      diagnostics.push({
        code: 'MG002', severity: 'error', file, span: { start: span.start, end: span.start + key.length },
        message: `duplicate key ${JSON.stringify(key)}`,
        help: 'Each key may appear once in a mapping; merge the two entries or rename one.',
      });
    } else {
      diagnostics.push({
        code: 'MG001', severity: 'error', file, span,
        message: `YAML syntax: ${firstLine(e.message)}`,
        help: yamlHelp(e.code),
      });
    }
  }
  for (const w of doc.warnings) {
    diagnostics.push({ code: 'MG001', severity: 'warning', file, span: { start: w.pos[0], end: w.pos[1] }, message: `YAML: ${firstLine(w.message)}` });
  }
  let value: unknown;
  if (doc.errors.length === 0) {
    const aliases = countAliases(doc);
    if (aliases.count > maxAliasCount) {
      diagnostics.push({
        code: 'MG003', severity: 'error', file, span: aliases.first,
        message: `${aliases.count} aliases in one file (at most ${maxAliasCount})`,
        help: 'Write the repeated values out; deeply nested aliases can expand to gigabytes.',
      });
    } else {
      try {
        value = doc.toJS({ maxAliasCount: 10 * maxAliasCount });
      } catch (e) {
        diagnostics.push({
          code: 'MG003', severity: 'error', file, span: aliases.first,
          message: `aliases expand too far: ${(e as Error).message}`,
          help: 'Write the repeated values out instead of nesting aliases.',
        });
      }
    }
  }
  return { loaded: { file, text, doc, value }, diagnostics };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function yamlHelp(code: string): string {
  switch (code) {
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'Check the indentation and closing brackets or quotes on this line and the one above.';
    case 'TAB_AS_INDENT':
      return 'YAML indentation must use spaces, not tabs.';
    case 'MULTIPLE_DOCS':
      return 'A plan file holds one plan; move the second document (after ---) to its own file.';
    default:
      return 'Fix the YAML syntax here; a multi-line SQL value is easiest as a block scalar (sql: |).';
  }
}

function countAliases(doc: Document.Parsed): { count: number; first?: Span } {
  let count = 0;
  let first: Span | undefined;
  visit(doc, {
    Alias(_, node) {
      count++;
      if (!first && node.range) first = { start: node.range[0], end: node.range[1] };
    },
  });
  return { count, first };
}

/** The YAML node at a path, or undefined where the path does not exist (or runs through an alias). */
export function nodeAt(doc: Document.Parsed, path: Path): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isAlias(node)) return undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      node = pair?.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      return undefined;
    }
  }
  return node as YamlNode | undefined;
}

function rangeSpan(node: { range?: [number, number, number] | null } | null | undefined): Span | undefined {
  return node?.range ? { start: node.range[0], end: node.range[1] } : undefined;
}

/** Span of the value at a path, falling back to the nearest ancestor that exists. */
export function spanAt(doc: Document.Parsed, path: Path): Span {
  for (let n = path.length; n >= 0; n--) {
    const span = n === path.length ? rangeSpan(nodeAt(doc, path)) : keySpan(doc, path.slice(0, n + 1)) ?? rangeSpan(nodeAt(doc, path.slice(0, n)));
    if (span) return span;
  }
  return { start: 0, end: 0 };
}

/** Span of the key of the mapping entry at a path (the `rollback` in `rollback: ...`). */
export function keySpan(doc: Document.Parsed, path: Path): Span | undefined {
  const key = path[path.length - 1];
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  return pair && isScalar(pair.key) ? rangeSpan(pair.key) : undefined;
}

/**
 * Maps an offset in a scalar's string value to an offset in the file, so that an error inside
 * a multi-line SQL block points at the right line and column of the plan file.
 */
export function scalarOffsetMapper(text: string, doc: Document.Parsed, path: Path): (valueOffset: number) => number {
  const node = nodeAt(doc, path);
  if (!isScalar(node) || !node.range || typeof node.value !== 'string') {
    const at = spanAt(doc, path).start;
    return () => at;
  }
  const scalar = node as Scalar<string>;
  const value = scalar.value;
  const [start, end] = scalar.range!;
  const block = scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED';
  let src = start;
  let indent = Infinity;
  if (block) {
    // Content starts on the line after the header (`|`, `|-`, `>2` ...).
    const nl = text.indexOf('\n', start);
    src = nl < 0 ? end : nl + 1;
    const explicit = /^[|>][+-]?([1-9])|^[|>]([1-9])[+-]?/.exec(text.slice(start, start + 3));
    if (explicit) {
      // The indicator counts from the indentation of the mapping that holds the key.
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      indent = /^[ -]*/.exec(text.slice(lineStart, start))![0].length + Number(explicit[1] ?? explicit[2]);
    } else {
      for (let p = src; p < end; ) {
        const lineEnd = text.indexOf('\n', p) < 0 ? end : text.indexOf('\n', p);
        const lead = /^ */.exec(text.slice(p, lineEnd))![0].length;
        if (p + lead < lineEnd) {
          indent = lead;
          break;
        }
        p = lineEnd + 1;
      }
    }
  } else if (scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') {
    src = start + 1;
  }
  // Walk value and source together; after each source line break skip the indentation.
  const map: number[] = new Array(value.length + 1);
  let s = src;
  const skipIndent = () => {
    let n = 0;
    while (s < end && text[s] === ' ' && n < indent) {
      s++;
      n++;
    }
  };
  if (block) skipIndent();
  for (let v = 0; v < value.length; v++) {
    map[v] = Math.min(s, end);
    if (text[s] === '\n' || (text[s] === '\r' && text[s + 1] === '\n')) {
      s += text[s] === '\r' ? 2 : 1;
      skipIndent();
    } else {
      s++;
    }
  }
  map[value.length] = Math.min(s, end);
  return (valueOffset) => map[Math.max(0, Math.min(valueOffset, value.length))]!;
}
