import type { Diagnostic, Severity } from './diagnostic.js';
import { projectUrl, ruleDocsUrl } from './links.js';
import { locate, type Sources } from './render.js';

/**
 * SARIF 2.1.0 (OASIS), the format GitHub code scanning, GitLab and Azure DevOps read: one run
 * of migc, its rules (those the results use) with their names, summaries and documentation,
 * and one result per diagnostic, located on the plan's YAML line or the SQL file's line.
 */
export const sarifSchemaUri = 'https://json.schemastore.org/sarif-2.1.0.json';

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
}

const level: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function renderSarif(diagnostics: readonly Diagnostic[], sources: Sources, options: SarifOptions): string {
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  const index = new Map(codes.map((c, i) => [c, i]));
  const rules = codes.map((code) => {
    const info = options.rule(code);
    return {
      id: code,
      ...(info ? { name: info.name } : {}),
      shortDescription: { text: info?.summary ?? code },
      ...(info?.page ? { fullDescription: { text: info.summary } } : {}),
      helpUri: ruleDocsUrl(code),
      ...(info?.page ? { help: { text: info.page, markdown: info.page } } : {}),
      ...(info?.severity ? { defaultConfiguration: { level: level[info.severity] } } : {}),
    };
  });
  const results = diagnostics.map((d) => {
    const l = locate(d, sources);
    const region = (line: number, column: number, endLine?: number, endColumn?: number) => ({
      startLine: line, startColumn: column,
      ...(endLine !== undefined ? { endLine, endColumn: Math.max(endColumn!, endLine === line ? column : 1) } : {}),
    });
    const physical = (file: string, r: ReturnType<typeof region> | undefined) => ({
      physicalLocation: { artifactLocation: { uri: fileUri(file), uriBaseId: '%SRCROOT%' }, ...(r ? { region: r } : {}) },
    });
    const text = l.help ? `${l.message}\n${l.help}` : l.message;
    return {
      ruleId: d.code,
      ruleIndex: index.get(d.code)!,
      level: level[d.severity],
      message: { text },
      ...(d.file ? { locations: [physical(d.file, d.span && sources.has(d.file) ? region(l.line, l.column, l.endLine, l.endColumn) : undefined)] } : {}),
      ...(l.related.length ? {
        relatedLocations: l.related.map((r, i) => ({ id: i, ...physical(r.file, region(r.line, r.column)), message: { text: r.message } })),
      } : {}),
      // Accepted in the file itself (allow:, migc-ignore): code scanning shows it as suppressed, not as an open alert.
      ...(d.accepted ? { suppressions: [{ kind: 'inSource', justification: d.accepted.reason }] } : {}),
    };
  });
  const log = {
    $schema: sarifSchemaUri,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'migc', version: options.toolVersion, semanticVersion: options.toolVersion, informationUri: projectUrl, rules } },
      // Columns count UTF-16 code units, as the positions in every other format do.
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** A relative path as a URI reference: each segment percent-encoded, slashes kept. */
function fileUri(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s)).join('/');
}
