import {
  Composer, Lexer, Parser, YAMLParseError, type YAMLError, isAlias, isCollection, isMap, isPair, isScalar, isSeq, visit,
  type CST, type Document, type Node as YamlNode, type Scalar,
} from 'yaml';
import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { maxLibraryMessageLength, quoteForMessage } from '../diagnostics/quote.js';
import { SourceText } from '../diagnostics/source-text.js';
import { indentationSlip } from './indentation.js';
import { inputLimits, megabytes, utf8Length } from './limits.js';
import { formatCount } from '../util/numbers.js';

/** A plan file parsed to YAML with its source ranges kept, and its plain JS value. */
export interface LoadedFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  /** The JS value, or undefined when the YAML could not be read. */
  readonly value: unknown;
}

export type Path = readonly (string | number)[];

/** A key written twice in one mapping: where each is, and the key just before the second when it has no value. */
interface DuplicateKey {
  readonly key: string;
  readonly first: readonly [number, number];
  readonly second: readonly [number, number];
  /** `rollback:` with nothing after it, then `sql:` at the same indent: the usual cause. */
  readonly emptyBefore?: string;
}

function duplicateKeys(doc: Document.Parsed): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, readonly [number, number]>();
      map.items.forEach((pair, i) => {
        if (!isScalar(pair.key) || !pair.key.range) return;
        const key = String(pair.key.value);
        const at = [pair.key.range[0], pair.key.range[1]] as const;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, at);
          return;
        }
        const before = map.items[i - 1];
        const empty = before && isScalar(before.key) && (before.value === null || (isScalar(before.value) && before.value.value === null)) ? String(before.key.value) : undefined;
        found.push({ key, first, second: at, ...(empty !== undefined ? { emptyBefore: empty } : {}) });
      });
    },
  });
  return found.sort((a, b) => a.second[0] - b.second[0]);
}

/** More aliases than this in one file is refused ("billion laughs" expansion). */
export const maxAliasCount = inputLimits.aliasCount;

const yamlOptions = { prettyErrors: false, uniqueKeys: true, strict: true, keepSourceTokens: false } as const;

export function loadYaml(file: string, text: string): { loaded: LoadedFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const bytes = utf8Length(text);
  if (bytes > inputLimits.planBytes) {
    diagnostics.push({
      code: 'MG004', severity: 'error', file, span: { start: 0, end: 0 },
      message: `the file is ${megabytes(bytes)}; a plan may be at most ${megabytes(inputLimits.planBytes)}`,
      help: 'Split the migration into several plans, or move long SQL into a baseline or fixtures file beside the plan.',
    });
    return { loaded: { file, text, doc: emptyDocument(), value: undefined }, diagnostics };
  }
  const { doc, tooDeep, tokens } = parseLimited(text);
  if (tooDeep !== undefined) {
    diagnostics.push({
      code: 'MG005', severity: 'error', file, span: { start: tooDeep, end: Math.min(text.length, tooDeep + 1) },
      message: `YAML nested more than ${inputLimits.nestingDepth} levels deep`,
      help: 'A plan nests about 6 levels (phases, steps, rollback, sql); check the indentation and closing brackets here.',
    });
    return { loaded: { file, text, doc, value: undefined }, diagnostics };
  }
  // yaml may place an error at end of input one past the last character: keep spans in the file.
  const clamp = (pos: [number, number]): Span => {
    const start = Math.min(pos[0], text.length);
    return { start, end: Math.min(Math.max(pos[1], start), text.length) };
  };
  let duplicates: DuplicateKey[] | undefined;
  const reported = new Set<DuplicateKey>();
  // An indentation slip is one problem to the reader, however many lines yaml stops at for it.
  // Lines are counted only for a file yaml found errors in.
  const source = doc.errors.length ? new SourceText(text) : undefined;
  // In the order of the text: yaml lists some errors of a line after those of the lines below it.
  const inOrder = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  // A [ or { never closed is where the problem is, though yaml stops lines below it.
  const open = source && inOrder[0] ? unclosedFlow(file, tokens, source, inOrder[0]) : undefined;
  const slip = source && !open ? indentationProblem(text, source, doc.errors) : undefined;
  // After the first syntax error, most of yaml's next ones follow from it (an unclosed [ gave one
  // per line to the end of the file): they are named in its help, not reported each.
  let firstSyntax: Diagnostic | undefined = open ?? (slip ? { ...slip.diagnostic, file } : undefined);
  if (firstSyntax) diagnostics.push(firstSyntax);
  const followers: number[] = [...(slip?.below ?? [])];
  for (const e of inOrder) {
    // The error the unclosed bracket's message names already.
    if (open && e === inOrder[0]) continue;
    if (slip?.explains.has(e)) continue;
    const span = clamp(e.pos);
    if (e.code === 'DUPLICATE_KEY') {
      // yaml points at the map (often the end of the line before); the second key is what to show.
      duplicates ??= duplicateKeys(doc);
      const dup = duplicates.find((d) => d.second[0] >= span.start && !reported.has(d)) ?? duplicates.find((d) => !reported.has(d));
      if (dup) {
        reported.add(dup);
        diagnostics.push({
          code: 'MG002', severity: 'error', file, span: { start: dup.second[0], end: dup.second[1] },
          message: `duplicate key ${quoteForMessage(dup.key)} (first at line ${source!.position(dup.first[0]).line})`,
          help: dup.emptyBefore !== undefined
            ? `"${dup.emptyBefore}" just above has no value: if ${quoteForMessage(dup.key)} belongs under it, indent it further than "${dup.emptyBefore}:". Otherwise each key may appear once in a mapping: merge the two or rename one.`
            : 'Each key may appear once in a mapping; merge the two entries or rename one.',
        });
        continue;
      }
      // yaml points at the key's first character; the key runs to the colon.
      const key = /^[^:\n]*/.exec(text.slice(span.start, span.start + 10_000))![0].trim();
      diagnostics.push({
        code: 'MG002', severity: 'error', file, span: { start: span.start, end: span.start + key.length },
        message: `duplicate key ${quoteForMessage(key)}`,
        help: 'Each key may appear once in a mapping; merge the two entries or rename one.',
      });
    } else if (e.code === 'RESOURCE_EXHAUSTION') {
      // The nesting limit above keeps yaml's composer from running out of stack; kept as a backstop.
      diagnostics.push({
        code: 'MG005', severity: 'error', file, span,
        message: `YAML too deeply nested to read (${firstLine(e.message)})`,
        help: 'Check the indentation and closing brackets here.',
      });
    } else if (firstSyntax) {
      followers.push(source!.position(span.start).line);
    } else {
      firstSyntax = { code: 'MG001', severity: 'error', file, span, message: `YAML syntax: ${firstLine(e.message)}`, help: yamlHelp(e.code) };
      diagnostics.push(firstSyntax);
    }
  }
  const lines = [...new Set(followers)];
  if (lines.length) {
    const said = lines.length > 6
      ? `${lines.length} more lines (${lines.slice(0, 5).join(', ')}, ...)`
      : `line${lines.length === 1 ? '' : 's'} ${lines.slice(0, -1).join(', ')}${lines.length > 1 ? ' and ' : ''}${lines[lines.length - 1]}`;
    const first = firstSyntax!;
    diagnostics[diagnostics.indexOf(first)] = { ...first, help: `${first.help} yaml also stopped on ${said}, which may follow from this one: fix it and check again.` };
  }
  for (const w of doc.warnings) {
    diagnostics.push({ code: 'MG001', severity: 'warning', file, span: clamp(w.pos), message: `YAML: ${firstLine(w.message)}` });
  }
  let value: unknown;
  if (doc.errors.length === 0) {
    const problem = aliasProblem(file, text, doc) ?? collectionKey(file, doc);
    if (problem) diagnostics.push(problem);
    else {
      try {
        value = doc.toJS({ maxAliasCount: 10 * maxAliasCount });
      } catch (e) {
        // aliasProblem() has refused every alias toJS could trip on; kept as a backstop.
        diagnostics.push({
          code: 'MG006', severity: 'error', file, span: firstAlias(doc) ?? { start: 0, end: 0 },
          message: `aliases cannot be expanded: ${firstLine((e as Error).message)}`,
          help: 'Write the repeated values out instead of nesting aliases.',
        });
      }
    }
  }
  return { loaded: { file, text, doc, value }, diagnostics };
}

/**
 * A mapping key that is itself a mapping or a list (`{ a: 1 }: x`, `? [a]`): no plan key is, and
 * toJS would turn it into a string with a warning on stderr. Refused at the key instead.
 */
function collectionKey(file: string, doc: Document.Parsed): Diagnostic | undefined {
  let found: Diagnostic | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      const range = pair.key.range;
      found = {
        code: 'MG001', severity: 'error', file, span: { start: range?.[0] ?? 0, end: range?.[1] ?? 0 },
        message: 'YAML syntax: a mapping key must be a plain value, not a mapping or a list',
        help: 'Write the key as a word (id: ..., name: ...); a key in braces or brackets is usually a missing line break or quote.',
      };
      return visit.BREAK;
    },
  });
  return found;
}

/** The document of a file that was not read (too large, too deep): later stages find nothing in it. */
function emptyDocument(): Document.Parsed {
  return new Composer(yamlOptions).compose([], true, 0).next().value as Document.Parsed;
}

const collectionTokens = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * parseDocument, with the nesting checked while the text is parsed: yaml's parser keeps its
 * own stack, but its composer (and every walk after it) recurses once per level, so a few
 * thousand levels exhaust the call stack. Stops at the first collection past the limit and
 * returns its offset.
 */
function parseLimited(text: string): { doc: Document.Parsed; tooDeep?: number; tokens: readonly CST.Token[] } {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  let tooDeep: number | undefined;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack also holds the document and the scalar being read: count collections only,
    // and only when the stack could be too deep, so the check costs nothing on real plans.
    if (parser.stack.length > inputLimits.nestingDepth + 1 && parser.stack.filter((t) => collectionTokens.has(t.type)).length > inputLimits.nestingDepth) {
      tooDeep = parser.stack.findLast((t) => collectionTokens.has(t.type))!.offset;
      break;
    }
  }
  if (tooDeep !== undefined) return { doc: emptyDocument(), tooDeep, tokens: [] };
  for (const token of parser.end()) tokens.push(token);
  // As parseDocument does: the first document, and an error if there is a second.
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(yamlOptions).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'a second YAML document begins here; a plan file holds one'));
      break;
    }
  }
  return { doc: doc!, tokens };
}

/**
 * The first [ or { that yaml's parser leaves open (its closing bracket is not among the
 * collection's tokens), when it comes before yaml's first error: that error (a line, or many,
 * below it: "Flow map in block collection must be sufficiently indented and end with a }") is
 * about it. Reported at the bracket, with where yaml stopped.
 */
function unclosedFlow(file: string, tokens: readonly CST.Token[], source: SourceText, first: YAMLError): Diagnostic | undefined {
  let open: CST.FlowCollection | undefined;
  const walk = (token: CST.Token | undefined): void => {
    if (!token || open) return;
    if (token.type === 'document') return walk(token.value);
    if (token.type === 'flow-collection' && !token.end.some((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end')) {
      open = token;
      return;
    }
    if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        if ('key' in item) walk(item.key ?? undefined);
        walk(item.value);
      }
    }
  };
  for (const token of tokens) walk(token);
  if (!open || open.start.offset > first.pos[0]) return undefined;
  const bracket = open.start.source;
  const close = bracket === '[' ? ']' : '}';
  const stopped = source.position(Math.min(first.pos[0], source.text.length));
  return {
    code: 'MG001', severity: 'error', file, span: { start: open.start.offset, end: open.start.offset + 1 },
    message: `YAML syntax: this ${bracket} is not closed (yaml stopped at line ${stopped.line}: ${firstLine(first.message)})`,
    help: `Close it with ${close} (a ${bracket === '[' ? 'flow sequence' : 'flow mapping'} may go on over several lines, each indented more than its key), or remove it and write the value as indented lines below its key.`,
    related: [{ file, span: { start: Math.min(first.pos[0], source.text.length), end: Math.min(first.pos[1], source.text.length) }, message: 'yaml stopped here' }],
  };
}

function firstAlias(doc: Document.Parsed): Span | undefined {
  let first: Span | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.range) first = { start: node.range[0], end: node.range[1] };
      return visit.BREAK;
    },
  });
  return first;
}

/**
 * Aliases (*name) repeat the node their anchor (&name) marks. Refuses too many of them, an
 * alias with no anchor before it, one inside the node it names (a cycle), and aliases that
 * together would expand the plan past its limit: a few aliases of a large block, or aliases of
 * aliases ("billion laughs"), can turn a small file into gigabytes of plan and of output.
 * The expanded size is measured on the YAML nodes, without building the expansion.
 */
function aliasProblem(file: string, text: string, doc: Document.Parsed): Diagnostic | undefined {
  const aliases: { node: YamlNode & { source: string }; span: Span }[] = [];
  visit(doc, {
    Alias(_, node) {
      aliases.push({ node, span: node.range ? { start: node.range[0], end: node.range[1] } : { start: 0, end: 0 } });
    },
  });
  if (aliases.length === 0) return undefined;
  if (aliases.length > maxAliasCount) {
    return {
      code: 'MG003', severity: 'error', file, span: aliases[0]!.span,
      message: `${aliases.length} aliases in one file (at most ${maxAliasCount})`,
      help: 'Write the repeated values out; deeply nested aliases can expand to gigabytes.',
    };
  }
  const limit = Math.max(inputLimits.expansionFactor * text.length, inputLimits.expansionFloor);
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  // Characters of scalars plus one per entry; depth is bounded by the nesting limit, and each
  // alias is followed once (its size is remembered), so this is linear in the file.
  const sizeOf = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return Infinity;
    inProgress.add(node);
    let size = 1;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      size = target === undefined ? 0 : sizeOf(target);
    } else if (isScalar(node)) {
      size = node.range ? Math.max(1, node.range[1] - node.range[0]) : String(node.value).length;
    } else if (isCollection(node)) {
      for (const item of node.items) {
        size += isPair(item) ? 1 + sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        if (size > limit) break;
      }
    }
    inProgress.delete(node);
    sizes.set(node, size);
    return size;
  };
  for (const { node, span } of aliases) {
    const target = (node as unknown as { resolve(d: Document.Parsed): unknown }).resolve(doc);
    if (target === undefined) {
      return {
        code: 'MG001', severity: 'error', file, span,
        message: `alias ${quoteForMessage(`*${node.source}`)} has no anchor before it`,
        help: `An alias repeats a value marked earlier in the file with &${node.source}; define the anchor first, or write the value out.`,
      };
    }
  }
  const total = sizeOf(doc.contents);
  if (total <= limit) return undefined;
  // Point at the alias that expands the most (the first one that names a cycle, if any).
  let worst = aliases[0]!;
  let worstSize = -1;
  for (const a of aliases) {
    const s = sizeOf(a.node);
    if (s > worstSize) {
      worst = a;
      worstSize = s;
    }
  }
  return {
    code: 'MG006', severity: 'error', file, span: worst.span,
    message: worstSize === Infinity
      ? `alias ${quoteForMessage(`*${worst.node.source}`)} is inside the node it names, so it never ends`
      : `aliases would expand the plan past ${formatCount(limit)} characters (the limit: ${inputLimits.expansionFactor} times the file's size, or ${megabytes(inputLimits.expansionFloor)})`,
    help: 'Write the repeated values out, or repeat only short values; an alias of a large block, or aliases of aliases, multiply the plan and every output.',
  };
}

/** yaml's errors inside a [ or { left open above them. */
/** yaml's errors that an indentation slip brings about. */
const indentationCodes = new Set(['BAD_INDENT', 'MISSING_CHAR', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

/**
 * When yaml stops at the indentation, the line that slipped, said in the reader's terms, in place
 * of yaml's errors it explains: those at or above it (yaml may stop on the line before, at the
 * value the slipped line seems to continue) and the indentation errors below it, which follow from
 * it as often as not (the lines after it line up with a mapping it left).
 */
function indentationProblem(text: string, source: SourceText, errors: readonly YAMLError[]): { diagnostic: Omit<Diagnostic, 'file'>; explains: Set<YAMLError>; below: number[] } | undefined {
  const indentation = errors.filter((e) => indentationCodes.has(e.code));
  if (indentation.length === 0) return undefined;
  const slip = indentationSlip(text);
  const lineOf = (e: YAMLError) => source.position(Math.min(e.pos[0], text.length)).line;
  // yaml stops on the slipped line, the line before it, or a line or two after it.
  if (!slip || !indentation.some((e) => lineOf(e) >= slip.line - 1 && lineOf(e) <= slip.line + 2)) return undefined;
  const explained = indentation.filter((e) => lineOf(e) >= slip.line - 1);
  return {
    diagnostic: { code: 'MG001', severity: 'error', span: slip.span, message: `YAML indentation: ${slip.message}`, help: slip.help },
    explains: new Set(explained),
    below: explained.map(lineOf).filter((l) => l > slip.line),
  };
}

/**
 * yaml's message without its code frame and position (the diagnostic gives both). Its own words
 * are kept whole; the cap only keeps user input it quotes (a tag of a megabyte) from flooding.
 */
function firstLine(message: string): string {
  return quoteForMessage(message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), { quotes: false, max: maxLibraryMessageLength });
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
