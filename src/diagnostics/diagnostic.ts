/**
 * One type for every problem migc reports: YAML syntax, schema, SQL syntax and rule findings.
 * Positions are UTF-16 offsets into the file's text; line and column are computed only when a
 * renderer needs them, from the same text (see SourceText).
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Span {
  /** Offset of the first character. */
  readonly start: number;
  /** Offset just past the last character (start === end for a point). */
  readonly end: number;
}

export interface RelatedLocation {
  readonly file: string;
  readonly span?: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** How to fix it, in one or two sentences. */
  readonly help?: string;
  /** Path as the user gave it (relative, with forward slashes). */
  readonly file: string;
  readonly span?: Span;
  readonly related?: readonly RelatedLocation[];
  /**
   * A finding the author accepted where it stands, with the reason they wrote (a step's
   * `allow: { MG201: reason }`, a `-- migc-ignore MG201: reason` comment): kept as a note, and
   * in SARIF as a suppressed result, so code scanning does not open an alert for it.
   */
  readonly accepted?: { readonly reason: string };
  /**
   * The tables the finding takes for large because nothing gives their size ("no size hint:
   * assumed large"), as SQL names them: lint sums them up after its findings. Not in any output format.
   */
  readonly assumedLarge?: readonly string[];
  /**
   * Found in a rollback (lint: a down file, or the down part of a file): --format json says so
   * (`rollback: true`), for a CI that reports on the ups alone (stellar's sql-migrate Down parts
   * drew half of its findings: the thirty-sixth trial's R).
   */
  readonly rollback?: true;
  /** The finding says the statement fails on rows the table may hold (StatementFinding.failsOnRows). Not in any output format. */
  readonly failsOnRows?: 'may' | 'will';
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order for output: file, position, then code, so renders are byte-identical. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const as = a.span?.start ?? -1;
  const bs = b.span?.start ?? -1;
  if (as !== bs) return as - bs;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  if (a.severity !== b.severity) return severityRank[a.severity] - severityRank[b.severity];
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return counts;
}
