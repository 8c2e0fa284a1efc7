import type { Span } from '../diagnostics/diagnostic.js';

/**
 * A line of a plan whose indentation puts it nowhere: between the columns of the keys around it,
 * or deeper than a line that opens no block. yaml reports such a slip in its own terms ("Sequence
 * item without - indicator", "Nested mappings are not allowed in compact mappings"), at column 1
 * or on the line before, and then once more for each line after it that lines up with the lines
 * above (those now stand in a different mapping). This reads the lines as a person does: the
 * columns of the open mappings and lists, the keys that open a block, block scalars (`sql: |`),
 * quoted and flow values over several lines skipped.
 *
 * It is an explanation, not a parser: yaml.ts asks it only when yaml found an indentation error,
 * and uses its answer only when it points at that error's line or above.
 */
export interface IndentationSlip {
  /** 1-based line of the slip. */
  readonly line: number;
  /** The line's text from its first character, to its end. */
  readonly span: Span;
  readonly message: string;
  readonly help: string;
}

interface Level {
  readonly column: number;
  /** The line that opened this column, shown in the message: its key or item. */
  readonly line: number;
  readonly what: string;
}

export function indentationSlip(text: string): IndentationSlip | undefined {
  const lines = text.split('\n');
  const levels: Level[] = [{ column: 0, line: 0, what: '' }];
  /** The previous content line opened a block (`key:` with no value, `- key:`): the next may be deeper. */
  let opened: { line: number; what: string; column: number } | undefined;
  /** Inside a block scalar or a value over several lines: lines deeper than this column are its text. */
  let textAbove: number | undefined;
  let previous: { line: number; what: string; column: number } | undefined;
  let offset = 0;
  for (const [i, raw] of lines.entries()) {
    const start = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, '');
    const column = line.length - line.trimStart().length;
    const content = line.slice(column);
    if (content === '' || content.startsWith('#')) continue;
    if (i === 0 && content.startsWith('%')) continue;
    if (content === '---' || content === '...') continue;
    if (textAbove !== undefined) {
      if (column > textAbove) continue;
      textAbove = undefined;
    }
    const here = { line: i + 1, what: keyOf(content), column };
    const span = { start: start + column, end: start + line.length };
    if (opened && column > opened.column) {
      levels.push({ column, line: here.line, what: content.startsWith('-') ? '-' : here.what });
    } else if (opened && column === opened.column && content.startsWith('-')) {
      // A list may start in its key's column (steps:\n- id: x).
    } else {
      if (previous && column > previous.column) {
        // Deeper than a line that holds a value: yaml reads a plain value over several lines so,
        // but a key or an item there is a slip.
        if (!looksLikeKeyOrItem(content)) continue;
        return {
          line: here.line, span,
          message: `${show(here.what)} is indented ${spaces(column)}, deeper than ${show(previous.what)} on line ${previous.line} (${spaces(previous.column)}), which has a value and so holds no keys`,
          help: `Line it up with ${show(previous.what)} (${spaces(previous.column)}) to make it a key beside it; to put it under ${show(previous.what)}, move that value off its line.`,
        };
      }
      while (levels.length > 1 && levels[levels.length - 1]!.column > column) levels.pop();
      const top = levels[levels.length - 1]!;
      if (top.column !== column) {
        const above = levelAbove(lines, i, column, top);
        const near = above ?? (top.line ? top : undefined);
        return {
          line: here.line, span,
          message: `${show(here.what)} is indented ${spaces(column)}, so it lines up with no key above it${near ? `: ${show(near.what)} on line ${near.line} is indented ${spaces(near.column)}` : ''}`,
          help: near
            ? `Indent it ${spaces(near.column)}, as ${show(near.what)}, to keep it in the same mapping; keys of one mapping start in the same column.`
            : `Indent it ${spaces(top.column)}, as the keys of the mapping it belongs to; keys of one mapping start in the same column.`,
        };
      }
    }
    opened = undefined;
    // What the line opens: an item's mapping (- key: value), a block (key:), a block scalar (key: |).
    let body = content;
    let bodyColumn = column;
    while (body.startsWith('- ') || body === '-') {
      const after = body.slice(1).trimStart();
      bodyColumn += body.length - after.length;
      body = after;
      if (body === '' || body.startsWith('#')) {
        opened = { ...here, column };
        break;
      }
      if (keyOf(body) !== '') levels.push({ column: bodyColumn, line: here.line, what: keyOf(body) });
    }
    previous = { ...here, column: bodyColumn };
    if (body === '' || body.startsWith('#') || body === '-') continue;
    // An anchor or a tag before the value (phases: &p, x: !!str) belongs to whatever follows.
    const value = valueOf(body)?.replace(/^((&|!)\S*\s*)+/, '');
    if (value === undefined) {
      // Not a key: a plain or quoted value, maybe over several lines.
      if (unclosed(body)) textAbove = column;
      continue;
    }
    if (value === '' || value.startsWith('#')) opened = { ...here, column: bodyColumn };
    else if (/^[|>][-+0-9]*\s*(#.*)?$/.test(value)) textAbove = bodyColumn;
    else if (unclosed(value)) textAbove = bodyColumn;
  }
  return undefined;
}

/** The key a line starts with (`rollback` of `rollback: x`, `id` of `- id: x`), or '' if none. */
function keyOf(content: string): string {
  const body = content.replace(/^(-\s+)+/, '');
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[{][^:#]*?)\s*:(\s|$)/.exec(body);
  return m ? m[1]! : content.startsWith('-') ? '-' : '';
}

function looksLikeKeyOrItem(content: string): boolean {
  return content.startsWith('- ') || content === '-' || keyOf(content) !== '';
}

/** The value after a line's key, or undefined when the line is no key. */
function valueOf(body: string): string | undefined {
  const key = keyOf(body);
  if (key === '' || key === '-') return undefined;
  return body.slice(body.indexOf(':', key.length) + 1).trim();
}

/** A value whose quote or bracket stays open at the end of the line: the lines after it are its own. */
function unclosed(value: string): boolean {
  if (value.startsWith('"')) return !/^"(?:[^"\\]|\\.)*"/.test(value);
  if (value.startsWith("'")) return !/^'(?:[^']|'')*'/.test(value);
  if (value.startsWith('[') || value.startsWith('{')) {
    let depth = 0;
    let quote: string | undefined;
    for (const c of value) {
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
    }
    return depth > 0;
  }
  return false;
}

/**
 * The key above line `i` that the slip most likely meant to line up with: of the keys between it
 * and the mapping it falls back to, the one least indented past `column` (the nearest if several).
 */
function levelAbove(lines: readonly string[], i: number, column: number, top: Level): Level | undefined {
  let best: Level | undefined;
  for (let j = i - 1; j >= 0 && j >= top.line - 1; j--) {
    const line = lines[j]!.replace(/\r$/, '');
    const c = line.length - line.trimStart().length;
    const content = line.slice(c);
    if (content === '' || content.startsWith('#') || !looksLikeKeyOrItem(content)) continue;
    if (c <= column && !content.startsWith('-')) break;
    // An item's key (- id: x) stands past its dash.
    const key = c + content.length - content.replace(/^(-\s+)+/, '').length;
    if (key <= column) break;
    if (keyOf(content) !== '-' && (!best || key < best.column)) best = { column: key, line: j + 1, what: keyOf(content) };
  }
  return best;
}

function show(what: string): string {
  return what === '-' ? 'the list item' : what === '' ? 'this line' : `"${what}:"`;
}

function spaces(n: number): string {
  return n === 1 ? '1 space' : `${n} spaces`;
}

