import { styleText } from 'node:util';
import type { Diagnostic, Severity } from './diagnostic.js';
import { SourceText } from './source-text.js';

export type DiagnosticFormat = 'pretty' | 'json' | 'github';
export const diagnosticFormats: readonly DiagnosticFormat[] = ['pretty', 'json', 'github'];

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
    message: d.message,
    help: d.help ?? null,
    file: d.file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    related: (d.related ?? []).map((r) => {
      const rs = sources.get(r.file);
      const p = r.span && rs ? rs.position(r.span.start) : { line: 1, column: 1 };
      return { file: r.file, line: p.line, column: p.column, message: r.message };
    }),
  };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: Sources, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...extra, diagnostics: diagnostics.map((d) => locate(d, sources)) }, null, 2)}\n`;
}

/** GitHub Actions workflow commands: annotations on the pull request's changed lines. */
export function renderGithub(diagnostics: readonly Diagnostic[], sources: Sources): string {
  const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escapeProp = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const command: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };
  return diagnostics
    .map((d) => {
      const l = locate(d, sources);
      const props = `file=${escapeProp(l.file)},line=${l.line},col=${l.column},endLine=${l.endLine},title=${escapeProp(l.code)}`;
      const body = l.help ? `${l.message}\n${l.help}` : l.message;
      return `::${command[l.severity]} ${props}::${escapeData(body)}\n`;
    })
    .join('');
}

export interface PrettyOptions {
  color: boolean;
}

/** Compiler-style: `file:line:col severity CODE message`, a code frame, then help. */
export function renderPretty(diagnostics: readonly Diagnostic[], sources: Sources, options: PrettyOptions): string {
  const paint = (style: Parameters<typeof styleText>[0], s: string) => (options.color ? styleText(style, s) : s);
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

function codeFrame(
  src: SourceText,
  l: LocatedDiagnostic,
  mark: (s: string) => string,
  dim: (s: string) => string,
): string[] {
  const text = src.lineText(l.line).replace(/\t/g, ' ');
  const gutter = String(l.line).length;
  const pad = ' '.repeat(gutter);
  // Underline to the end of the span on the first line, at least one caret.
  const endCol = l.endLine === l.line ? l.endColumn : text.length + 1;
  const width = Math.max(1, Math.min(endCol, text.length + 1) - l.column);
  return [
    `${pad} ${dim('|')}`,
    `${dim(String(l.line))} ${dim('|')} ${text}`,
    `${pad} ${dim('|')} ${' '.repeat(l.column - 1)}${mark('^'.repeat(width))}`,
  ];
}
