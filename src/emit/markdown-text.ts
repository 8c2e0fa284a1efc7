import MarkdownIt from 'markdown-it';

/**
 * Plan text in the Markdown outputs (report.md, checklist.md) is inert: a reviewer reading the
 * rendered file on GitHub sees what the author wrote, and nothing the author wrote becomes
 * markup that hides or dresses up the rest (an HTML comment opener would hide every later step,
 * SQL included; <details>, <img> and links can mislead).
 */

/**
 * Plain plan text (titles, names, notes, reasons, checklist items) as Markdown that renders as
 * exactly that text, on one line (a line break is <br>), wherever it is placed: a heading, a
 * list item, a table cell, a paragraph. Only what Markdown or HTML would read gets escaped, so
 * the file stays readable: every <, an & that starts a character reference, a > that starts the
 * text (a quote) or follows - (the end of the HTML comment the file starts with); a backslash
 * before punctuation; * _ ~ ` [ ] when the text has a pair that could open and close (emphasis,
 * strikethrough, code, a link), _ only at a word's edge (email_verified stays); a heading,
 * list or number marker that starts the text, and #s that end it (a heading drops them).
 */
export function markdownText(text: unknown): string {
  let s = String(text ?? '').trim()
    .replace(/\\(?=[!-/:-@[-`{-~])/g, '\\\\')
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/(^|-)>/g, '$1&gt;');
  const pairs = (c: string) => s.split(c).length > 2;
  if (pairs('*')) s = s.replace(/\*/g, '\\*');
  if (pairs('~')) s = s.replace(/~/g, '\\~');
  if (pairs('`')) s = s.replace(/`/g, '\\`');
  if (s.includes('[') && s.includes(']')) s = s.replace(/[[\]]/g, (c) => `\\${c}`);
  if (pairs('_')) s = s.replace(/_/g, (c, at: number, all: string) => (wordCharacter(all[at - 1]) && wordCharacter(all[at + 1]) ? c : `\\${c}`));
  return s
    .replace(/^(#{1,6}|[-+*]|\d{1,9}(?=[.)]))(?=[.)]?(\s|$))/, (m) => (/^\d/.test(m) ? `${m}\\` : `\\${m}`))
    .replace(/(\s)(#+)$/, '$1\\$2')
    .replace(/[ \t]*\r?\n[ \t]*/g, '<br>');
}

const wordCharacter = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

// html: true so that raw HTML is recognised, to be made text; the GFM table rule is on, as on GitHub.
const reader = new MarkdownIt('default', { html: true, linkify: false, typographer: false });

/**
 * A plan field that is Markdown (overview summary, current and target state, phase and step
 * descriptions: the README and the schema say so) keeps its Markdown, but raw HTML in it shows
 * as text. Where markdown-it finds an HTML block, the < that opens it is written &lt; (the
 * lines after it are read again: they may be Markdown); in a paragraph with inline HTML or an
 * image, every < and ![ outside its code spans (an image loads from wherever the plan points),
 * so `a < b` stays as written. Code blocks and paragraphs without HTML are left alone. Should
 * that not settle (it does), every line outside code blocks is made inert. A top-level fence
 * the text leaves open is closed, or the rest of the report would be inside it.
 */
export function markdownProse(text: unknown): string {
  let lines = String(text ?? '').replace(/\r\n?/g, '\n').trimEnd().split('\n');
  for (let round = 0; ; round++) {
    const found = scan(lines);
    if (!found.blocks.length && !found.paragraphs.length) break;
    const next = [...lines];
    for (const [from] of found.blocks) next[from] = next[from]!.replace('<', '&lt;');
    if (!found.blocks.length) {
      for (const { from, to, spans } of found.paragraphs) next.splice(from, to - from, ...inertOutsideCode(lines.slice(from, to).join('\n'), spans).split('\n'));
    }
    if (round === 50 || next.every((line, i) => line === lines[i])) {
      lines = lines.map((line, i) => (found.code.has(i) ? line : inertLine(line)));
      break;
    }
    lines = next;
  }
  const unclosed = scan(lines).unclosed;
  return [...lines, ...(unclosed ? [unclosed] : [])].join('\n');
}

function inertLine(line: string): string {
  return line.replace(/</g, '&lt;').replace(/!\[/g, '!\\[');
}

/**
 * inertLine() outside the code spans markdown-it found in the paragraph (`spans`, in order): a
 * backtick run is a span's start only where the text up to the next run of the same length
 * reads as that span's content; anything else is text, and made inert.
 */
function inertOutsideCode(text: string, spans: readonly { readonly markup: string; readonly content: string }[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '\\') {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const span = spans[next];
      if (span && span.markup === run) {
        const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
        close.lastIndex = i + run.length;
        const end = close.exec(text);
        if (end && spanContent(text.slice(i + run.length, end.index)) === span.content) {
          out += text.slice(i, end.index + run.length);
          i = end.index + run.length;
          next++;
          continue;
        }
      }
      out += run;
      i += run.length;
      continue;
    }
    out += c === '<' ? '&lt;' : c === '!' && text[i + 1] === '[' ? '!\\' : c;
    i++;
  }
  return out;
}

/** A code span's content as CommonMark reads it: line breaks as spaces, one space off each end if both have one. */
function spanContent(raw: string): string {
  const s = raw.replace(/\n/g, ' ');
  return s.length > 2 && s.startsWith(' ') && s.endsWith(' ') && s.trim() !== '' ? s.slice(1, -1) : s;
}

interface Token {
  readonly type: string;
  readonly level: number;
  readonly map: [number, number] | null;
  readonly markup: string;
  readonly content: string;
  readonly children: readonly Token[] | null;
}

/**
 * What markdown-it finds in the text: the line ranges of HTML blocks, the paragraphs (and
 * headings, table rows) holding inline HTML or an image, with their code spans, the lines of
 * code blocks, and the fence to close a top-level code block the text leaves open (one in a
 * list or a quote ends where the report's next line does).
 */
function scan(lines: readonly string[]) {
  const tokens = reader.parse(lines.join('\n'), {}) as Token[];
  const blocks: [number, number][] = [];
  const paragraphs: { from: number; to: number; spans: { markup: string; content: string }[] }[] = [];
  const code = new Set<number>();
  let unclosed: string | undefined;
  for (const t of tokens) {
    const children = t.children ?? [];
    if (t.type === 'html_block' || (t.type === 'inline' && !t.map && children.some(risky))) blocks.push(t.map ?? [0, lines.length]);
    else if (t.type === 'inline' && t.map && children.some(risky)) {
      paragraphs.push({ from: t.map[0], to: t.map[1], spans: children.filter((c) => c.type === 'code_inline').map((c) => ({ markup: c.markup, content: c.content })) });
    }
    if ((t.type === 'fence' || t.type === 'code_block') && t.map) for (let i = t.map[0]; i < t.map[1]; i++) code.add(i);
    if (t.type === 'fence' && t.level === 0 && t.map && t.map[1] === lines.length) {
      const last = lines[t.map[1] - 1]!.trim();
      const closed = t.map[1] - 1 > t.map[0] && last.length >= t.markup.length && [...last].every((c) => c === t.markup[0]);
      if (!closed) unclosed = t.markup;
    }
  }
  return { blocks, paragraphs, code, unclosed };
}

const risky = (t: Token) => t.type === 'html_inline' || t.type === 'image';
