import { createHash } from 'node:crypto';
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

/**
 * A located diagnostic whose span ends at the start of a later line (a YAML node's span takes its
 * line break) ends instead at the end of the line before: GitHub shows an alert or annotation
 * on a pull request only when all its lines are in the diff, and that last line holds none of it.
 */
export function withoutTrailingLine(l: LocatedDiagnostic, src: SourceText | undefined): LocatedDiagnostic {
  if (!src || l.endLine <= l.line || l.endColumn !== 1) return l;
  const endLine = l.endLine - 1;
  return { ...l, endLine, endColumn: src.lineText(endLine).length + 1 };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: Sources, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ version: jsonOutputVersion, ...extra, diagnostics: diagnostics.map((d) => ({ ...locate(d, sources), ...(d.rollback ? { rollback: true } : {}) })) }, null, 2)}\n`;
}

/** A workflow command's message, escaped as the Actions runner unescapes it (% first). */
export function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also `:` and `,`, which end a value. */
export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Annotations of one kind (error, warning, notice) GitHub shows for a step; the rest are counted, not shown. */
export const annotationsPerKind = 10;

export interface GithubOptions {
  /**
   * A diagnostic's file as GitHub names it: relative to the repository's root (the runner
   * reads a relative path so), where the file is named relative to the folder migc runs in.
   */
  readonly path?: (file: string) => string;
  /** A code's rule name (create-index-blocking), for the annotation's title beside the code. */
  readonly ruleName?: (code: string) => string | undefined;
}

/**
 * GitHub Actions workflow commands: annotations on the pull request's changed lines. A problem
 * without a file (a usage error) is an annotation on the run, with no file property; one without
 * a span has no line, so it shows on the file rather than on its first line.
 *
 * GitHub shows 10 annotations of each kind a step, in the order printed, and drops the rest
 * (actions/toolkit's docs/problem-matchers.md; the runner's ExecutionContext). So errors come
 * first, then warnings, then notes, each kind by file, line, column and code; what is past a
 * kind's 10 is listed in the log as plain lines with its place (an annotation past the limit
 * would leave only its message there), and a last notice says how many were not annotations
 * and where they all are.
 */
export function renderGithub(diagnostics: readonly Diagnostic[], sources: Sources, options: GithubOptions = {}): string {
  const path = options.path ?? ((file: string) => file);
  const command: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };
  const located = diagnostics.map((d) => ({ d, l: withoutTrailingLine(locate(d, sources), d.span ? sources.get(d.file) : undefined), file: path(d.file) }));
  located.sort((a, b) => severityOrder[a.l.severity] - severityOrder[b.l.severity] || compareText(a.file, b.file)
    || a.l.line - b.l.line || a.l.column - b.l.column || compareText(a.l.code, b.l.code) || compareText(a.l.message, b.l.message));
  const counts = { error: 0, warning: 0, info: 0 };
  for (const { l } of located) counts[l.severity]++;
  const over = counts.error > annotationsPerKind || counts.warning > annotationsPerKind || counts.info > annotationsPerKind;
  // The closing notice takes one of the notes' places when something is left out.
  const room: Record<Severity, number> = { error: annotationsPerKind, warning: annotationsPerKind, info: over ? annotationsPerKind - 1 : annotationsPerKind };
  const annotations: string[] = [];
  const rest: string[] = [];
  const left = { error: 0, warning: 0, info: 0 };
  for (const { d, l, file } of located) {
    if (room[l.severity] > 0) {
      room[l.severity]--;
      const where = !d.file ? [] : d.span && sources.has(d.file)
        ? [`file=${escapeGithubProperty(file)}`, `line=${l.line}`, `col=${l.column}`, `endLine=${l.endLine}`, ...(l.endLine === l.line ? [`endColumn=${l.endColumn}`] : [])]
        : [`file=${escapeGithubProperty(file)}`];
      const name = options.ruleName?.(l.code);
      const props = [...where, `title=${escapeGithubProperty(name ? `${l.code} ${name}` : l.code)}`].join(',');
      // Related places (where a duplicate id was first used, the step a gate names) as pretty's notes say them.
      const related = l.related.map((r) => `\n${r.message}: ${path(r.file)}:${r.line}:${r.column}`).join('');
      const body = `${l.message}${related}${l.help ? `\n${l.help}` : ''}`;
      annotations.push(`::${command[l.severity]} ${props}::${escapeGithubData(body)}\n`);
    } else {
      left[l.severity]++;
      const where = !d.file ? 'migc' : d.span && sources.has(d.file) ? `${file}:${l.line}:${l.column}` : file;
      rest.push(`${oneLine(where)} ${l.severity} ${l.code} ${oneLine(l.message)}${l.help ? ` (${oneLine(l.help)})` : ''}`);
    }
  }
  if (!over) return annotations.join('');
  const leftOut = left.error + left.warning + left.info;
  const kinds = [[left.error, 'error'], [left.warning, 'warning'], [left.info, 'note']] as const;
  const said = kinds.filter(([n]) => n > 0).map(([n, word]) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`).join(', ');
  const listing = `migc: ${said} past GitHub's ${annotationsPerKind} annotations of a kind per step, so not annotated:\n${rest.join('\n')}\n`;
  const title = `migc: ${formatCount(leftOut)} finding${leftOut === 1 ? '' : 's'} not annotated`;
  const notice = `Not annotated: ${said} (GitHub shows ${annotationsPerKind} errors, ${annotationsPerKind} warnings and ${annotationsPerKind} notices of a step). This step's log lists them with their files and lines, after the annotations; migc --format sarif, uploaded to code scanning, shows every finding on its file.`;
  return `${annotations.join('')}${inertInActions(listing)}::notice title=${escapeGithubProperty(title)}::${escapeGithubData(notice)}\n`;
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text on one log line: line breaks and other control characters shown, not acted on. */
function oneLine(text: string): string {
  return printable(text.replace(/\r?\n/g, ' '));
}

/**
 * Text for a GitHub Actions log that the runner does not read as workflow commands: a line of it
 * starting with `::` would be one (`::add-mask::`, `::error::`), and the text quotes plan names,
 * messages and database errors. `::stop-commands::TOKEN` turns commands off until `::TOKEN::`;
 * the token is the text's own hash, which the text cannot hold.
 */
export function inertInActions(text: string): string {
  const token = createHash('sha256').update(text).digest('hex').slice(0, 32);
  return `::stop-commands::${token}\n${text}${text.endsWith('\n') ? '' : '\n'}::${token}::\n`;
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
/**
 * Longest message or help a renderer prints, in every format: a backstop for messages that quote
 * input (a value quoted is cut at 80 characters already, src/diagnostics/quote.ts). Lists a message
 * builds are cut where it builds them (andListAtMost): a lock on three tables, each with why, is
 * about 500 characters, and the fourteenth trial found such messages cut at 500.
 */
export const maxMessageLength = 1000;

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
  // Below U+0300 (where combining marks start) every character takes one column: most lines of
  // SQL are all such, and the checks below cost a regular expression per character.
  let width = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x300) return width + wideAwareWidth(text.slice(i));
    width++;
  }
  return width;
}

const zeroWidth = /[\p{Mn}\p{Me}\u200b-\u200f\ufe00-\ufe0f]/u;
const emojiPresentation = /\p{Emoji_Presentation}/u;

function wideAwareWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (zeroWidth.test(ch)) continue;
    if (
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd) ||
      emojiPresentation.test(ch)
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
