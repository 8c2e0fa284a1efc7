import { styleText } from 'node:util';
import type { Diagnostic, Severity } from './diagnostic.js';
import { SourceText } from './source-text.js';
import { formatCount } from '../util/numbers.js';

export type DiagnosticFormat = 'pretty' | 'json' | 'github' | 'sarif';
export const diagnosticFormats: readonly DiagnosticFormat[] = ['pretty', 'json', 'github', 'sarif'];

/**
 * The version of the --format json document (docs/json-output.md, schema/output.schema.json).
 * Adding a property keeps it; renaming, removing or retyping one raises it.
 */
export const jsonOutputVersion = 1;

/** The texts diagnostics point into, by file path, for computing lines and code frames. */
export type Sources = ReadonlyMap<string, SourceText>;

export interface LocatedDiagnostic {
  code: string;
  severity: Severity;
  message: string;
  help: string | null;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related: { file: string; line: number; column: number; message: string }[];
}

/** Resolves offsets to 1-based lines and columns (1:1 where a diagnostic has no span). */
export function locate(d: Diagnostic, sources: Sources): LocatedDiagnostic {
  const src = sources.get(d.file);
  const start = d.span && src ? src.position(d.span.start) : { line: 1, column: 1 };
  const end = d.span && src ? src.position(d.span.end) : start;
  return {
    code: d.code,
    severity: d.severity,
    message: capped(d.message),
    help: d.help === undefined ? null : capped(d.help),
    file: d.file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    related: (d.related ?? []).map((r) => {
      const rs = sources.get(r.file);
      const p = r.span && rs ? rs.position(r.span.start) : { line: 1, column: 1 };
      return { file: r.file, line: p.line, column: p.column, message: capped(r.message) };
    }),
  };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: Sources, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ version: jsonOutputVersion, ...extra, diagnostics: diagnostics.map((d) => locate(d, sources)) }, null, 2)}\n`;
}

/** A workflow command's message, escaped as the Actions runner unescapes it (% first). */
export function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also `:` and `,`, which end a value. */
export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub Actions workflow commands: annotations on the pull request's changed lines. A problem
 * without a file (a usage error) is an annotation on the run, with no file property; one without
 * a span has no line, so it shows on the file rather than on its first line.
 */
export function renderGithub(diagnostics: readonly Diagnostic[], sources: Sources): string {
  const command: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };
  return diagnostics
    .map((d) => {
      const l = locate(d, sources);
      const where = !d.file ? [] : d.span && sources.has(d.file)
        ? [`file=${escapeGithubProperty(l.file)}`, `line=${l.line}`, `col=${l.column}`, `endLine=${l.endLine}`, ...(l.endLine === l.line ? [`endColumn=${l.endColumn}`] : [])]
        : [`file=${escapeGithubProperty(l.file)}`];
      const props = [...where, `title=${escapeGithubProperty(l.code)}`].join(',');
      const body = l.help ? `${l.message}\n${l.help}` : l.message;
      return `::${command[l.severity]} ${props}::${escapeGithubData(body)}\n`;
    })
    .join('');
}

export interface PrettyOptions {
  color: boolean;
}

/** Compiler-style: `file:line:col severity CODE message`, a code frame, then help. */
export function renderPretty(diagnostics: readonly Diagnostic[], sources: Sources, options: PrettyOptions): string {
  // validateStream: false: the caller has decided (TTY, NO_COLOR, FORCE_COLOR); Node 22 would check again against stdout.
  const paint = (style: Parameters<typeof styleText>[0], s: string) => (options.color ? styleText(style, s, { validateStream: false } as never) : s);
  const severityStyle: Record<Severity, 'red' | 'yellow' | 'cyan'> = { error: 'red', warning: 'yellow', info: 'cyan' };
  const blocks: string[] = [];
  for (const d of diagnostics) {
    const l = locate(d, sources);
    const lines = [
      `${paint('bold', `${l.file}:${l.line}:${l.column}`)} ${paint(['bold', severityStyle[l.severity]], l.severity)} ${paint('dim', l.code)} ${l.message}`,
    ];
    const src = sources.get(d.file);
    if (src && d.span) lines.push(...codeFrame(src, l, (s) => paint(severityStyle[l.severity], s), (s) => paint('dim', s)));
    for (const r of l.related) lines.push(`  ${paint('dim', '=')} note: ${r.file}:${r.line}:${r.column} ${r.message}`);
    if (l.help) lines.push(`  ${paint('dim', '=')} help: ${l.help}`);
    blocks.push(lines.join('\n'));
  }
  return blocks.length ? `${blocks.join('\n\n')}\n` : '';
}

/**
 * The code frame of a diagnostic as the pretty output shows it (source line and carets), without
 * colour; undefined when it has no place in a source. The live preview shows it under the message.
 */
export function plainCodeFrame(d: Diagnostic, sources: Sources): string | undefined {
  const src = sources.get(d.file);
  if (!src || !d.span) return undefined;
  const same = (s: string) => s;
  return codeFrame(src, locate(d, sources), same, same).join('\n');
}

/** Longest source text a code frame shows of one line, in display columns. */
export const maxFrameWidth = 160;
/** Source shown before the span when a long line is cut. */
const frameContextBefore = 40;
/** Longest message or help a renderer prints: a backstop for messages that quote input. */
export const maxMessageLength = 500;

function codeFrame(
  src: SourceText,
  l: LocatedDiagnostic,
  mark: (s: string) => string,
  dim: (s: string) => string,
): string[] {
  const line = src.lineText(l.line);
  const gutter = String(l.line).length;
  const pad = ' '.repeat(gutter);
  // The span on this line, in UTF-16 offsets into it; a span running on to later lines is
  // underlined to the end of its first line (the frame shows one line).
  const from = Math.min(l.column - 1, line.length);
  const to = Math.max(from, Math.min(l.endLine === l.line ? l.endColumn - 1 : line.length, line.length));
  // A long line is cut to a window around the start of the span, with an ellipsis on each cut side.
  let start = 0;
  let end = line.length;
  if (line.length > maxFrameWidth / 2 && (line.length > 2 * maxFrameWidth || displayWidth(line) > maxFrameWidth)) {
    start = from - frameContextBefore;
    if (start < 0) start = 0;
    end = start;
    let width = 0;
    while (end < line.length && width < maxFrameWidth) {
      width += displayWidth(String.fromCodePoint(line.codePointAt(end)!));
      end += line.codePointAt(end)! > 0xffff ? 2 : 1;
    }
    start = onCodePoint(line, start);
  }
  const before = start > 0 ? '…' : '';
  const after = end < line.length ? '…' : '';
  const shown = printable(line.slice(start, end));
  const caretAt = displayWidth(before) + displayWidth(printable(line.slice(start, Math.max(start, from))));
  const underlined = displayWidth(printable(line.slice(Math.max(start, from), Math.min(end, to))));
  return [
    `${pad} ${dim('|')}`,
    `${dim(String(l.line))} ${dim('|')} ${before}${shown}${after}`,
    `${pad} ${dim('|')} ${' '.repeat(caretAt)}${mark('^'.repeat(Math.max(1, underlined)))}`,
  ];
}

/** An offset moved back off the low half of a surrogate pair, so a cut never splits a character. */
function onCodePoint(text: string, at: number): number {
  const c = text.charCodeAt(at);
  return at > 0 && c >= 0xdc00 && c <= 0xdfff ? at - 1 : at;
}

/**
 * Source text as it is safe to print on a terminal, one character for one: a tab becomes a
 * space, control characters their visible symbols (␛ for escape), and line separators and
 * bidirectional overrides a replacement character, so a hostile file can neither move the
 * cursor, recolour the terminal nor reorder what the reader sees.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code === 9) return ' ';
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

/**
 * Columns a text takes on a terminal: combining marks and zero-width characters take none,
 * East Asian wide characters and emoji two, so the caret stays under the span.
 */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (/[\p{Mn}\p{Me}\u200b-\u200f\ufe00-\ufe0f]/u.test(ch)) continue;
    if (
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd) ||
      /\p{Emoji_Presentation}/u.test(ch)
    ) width += 2;
    else width += 1;
  }
  return width;
}

/** A message or help cut to maxMessageLength characters. */
function capped(text: string): string {
  if (text.length <= maxMessageLength) return text;
  return `${text.slice(0, onCodePoint(text, maxMessageLength))}… (${formatCount(text.length)} characters)`;
}
