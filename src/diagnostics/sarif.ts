import { pathToFileURL } from 'node:url';
import { compareDiagnostics, type Diagnostic, type Severity } from './diagnostic.js';
import { projectUrl, ruleDocsUrl, rulesDocsBaseUri } from './links.js';
import { locate, withoutTrailingLine, type Sources } from './render.js';

/**
 * SARIF 2.1.0 (OASIS), the format GitHub code scanning, GitLab and Azure DevOps read: one run
 * of migc, its rules (those the results use) with their names, summaries and documentation,
 * and one result per finding in a file, located on the plan's YAML line or the SQL file's line.
 * A problem with no file (a usage error, a broken config's command-line side, an internal
 * error) is no result: code scanning rejects the whole file for a result without a location.
 * It is a tool execution notification of the run's invocation instead, which then did not
 * succeed.
 */
export const sarifSchemaUri = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Results code scanning takes in one run: over it, it rejects the whole file. */
export const maxSarifResults = 25_000;

export interface SarifRuleInfo {
  readonly name: string;
  readonly summary: string;
  /** The rule's own severity, before the project's settings. */
  readonly severity?: Severity;
  /** The text of docs/rules/<CODE>.md, shown as the rule's help. */
  readonly page?: string;
}

export interface SarifOptions {
  readonly toolVersion: string;
  /** What is known of a code; a code it does not know is still listed, by its code. */
  readonly rule: (code: string) => SarifRuleInfo | undefined;
  /**
   * A diagnostic's file as code scanning names it: relative to the repository's root, where the
   * file is named relative to the folder migc runs in; an absolute path (a file outside the
   * repository) becomes a file: URI.
   */
  readonly path?: (file: string) => string;
}

const level: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };
const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

type Region = { startLine: number; startColumn?: number; endLine?: number; endColumn?: number };

export function renderSarif(diagnostics: readonly Diagnostic[], sources: Sources, options: SarifOptions): string {
  const path = options.path ?? ((file: string) => file);
  const located = diagnostics.filter((d) => d.file).sort((a, b) => compareText(path(a.file), path(b.file)) || compareDiagnostics(a, b));
  // Over code scanning's limit, errors are kept first, then warnings, then notes; a notification says what was left out.
  const kept = located.length <= maxSarifResults ? located
    : [...located].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity]).slice(0, maxSarifResults).sort((a, b) => compareText(path(a.file), path(b.file)) || compareDiagnostics(a, b));
  const unlocated = diagnostics.filter((d) => !d.file);
  const codes = [...new Set(kept.map((d) => d.code))].sort();
  const index = new Map(codes.map((c, i) => [c, i]));
  const rules = codes.map((code) => {
    const info = options.rule(code);
    const summary = info?.summary ?? code;
    const page = info?.page !== undefined ? absoluteLinks(info.page) : `${summary}\n\nSee ${ruleDocsUrl(code)}.`;
    return {
      id: code,
      ...(info ? { name: info.name } : {}),
      shortDescription: { text: summary },
      fullDescription: { text: summary },
      helpUri: ruleDocsUrl(code),
      help: { text: page, markdown: page },
      ...(info?.severity ? { defaultConfiguration: { level: level[info.severity] } } : {}),
    };
  });
  const artifact = (file: string) => {
    const p = path(file);
    return isAbsolutePath(p) ? { uri: pathToFileURL(p).href } : { uri: fileUri(p), uriBaseId: '%SRCROOT%' };
  };
  const results = kept.map((d) => {
    const src = d.span ? sources.get(d.file) : undefined;
    const l = withoutTrailingLine(locate(d, sources), src);
    // A finding on a whole file is put on its first line: code scanning places an alert by its region's lines.
    const region: Region = src
      ? { startLine: l.line, startColumn: l.column, endLine: l.endLine, endColumn: Math.max(l.endColumn, l.endLine === l.line ? l.column : 1) }
      : { startLine: 1 };
    // Code scanning shows a related location only where the message links to it: [text](id).
    const related = l.related.map((r, i) => `\n${r.message}: [${`${path(r.file)}:${r.line}:${r.column}`.replace(/[[\]]/g, '\\$&')}](${i})`).join('');
    const text = `${l.message}${related}${l.help ? `\n${l.help}` : ''}`;
    return {
      ruleId: d.code,
      ruleIndex: index.get(d.code)!,
      level: level[d.severity],
      message: { text },
      locations: [{ physicalLocation: { artifactLocation: artifact(d.file), region } }],
      ...(l.related.length ? {
        relatedLocations: l.related.map((r, i) => ({
          id: i,
          physicalLocation: { artifactLocation: artifact(r.file), region: { startLine: r.line, startColumn: r.column } },
          message: { text: r.message },
        })),
      } : {}),
      // Accepted in the file itself (allow:, migc-ignore): a suppressed result for SARIF readers that honour
      // suppressions. GitHub code scanning does not (it opens an alert), hence such notes only with --verbose.
      ...(d.accepted ? { suppressions: [{ kind: 'inSource', justification: d.accepted.reason }] } : {}),
    };
  });
  const notifications = unlocated.map((d) => ({
    level: level[d.severity],
    message: { text: d.help ? `${d.message}\n${d.help}` : d.message },
    descriptor: { id: d.code },
  }));
  if (kept.length < located.length) {
    const left = located.length - kept.length;
    notifications.push({
      level: 'warning',
      message: { text: `${left} of ${located.length} results left out: code scanning takes at most ${maxSarifResults} a run; errors are kept first, then warnings. --format json lists them all.` },
      descriptor: { id: 'results-left-out' },
    });
  }
  const log = {
    $schema: sarifSchemaUri,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'migc', version: options.toolVersion, semanticVersion: options.toolVersion, informationUri: projectUrl, rules } },
      invocations: [{
        // The command ran to its end: no problem without a file (exit code 2) stopped it.
        executionSuccessful: !unlocated.some((d) => d.severity === 'error'),
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      }],
      // Columns count UTF-16 code units, as the positions in every other format do.
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/**
 * A rule page's Markdown with its relative links ([MG123](MG123.md)) made absolute, against the
 * page's own place on the web: code scanning shows the help on its own page, where a relative
 * link leads nowhere.
 */
function absoluteLinks(markdown: string): string {
  return markdown.replace(/\]\(([^)\s]+)\)/g, (link, target: string) =>
    /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') ? link : `](${new URL(target, rulesDocsBaseUri).href})`);
}

/** A relative path as a URI reference: each segment percent-encoded, slashes kept. */
function fileUri(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s)).join('/');
}
