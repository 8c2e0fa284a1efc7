import type { Severity } from './diagnostic.js';
import { commandCodes, fixedCodes, inputCodes } from './codes.js';

export interface CatalogEntry {
  readonly code: string;
  readonly name: string;
  readonly summary: string;
  /** A rule's own severity; input, verify and command codes have none of their own. */
  readonly severity?: Severity;
  /** Whether migc.config.json's rules may change its severity or turn it off. */
  readonly configurable: boolean;
}

/**
 * Every code migc can report, by code: input problems, plan rules, SQL hazards, verify's
 * findings and problems with the command. Loaded only when needed (the config names rules,
 * or --format sarif lists them), since it imports every rule.
 */
export async function ruleCatalog(): Promise<ReadonlyMap<string, CatalogEntry>> {
  const [{ planRules }, { statementRules }] = await Promise.all([import('../analyze/rules/index.js'), import('../analyze/sql-rules/index.js')]);
  const entries: CatalogEntry[] = [
    ...[...inputCodes, ...commandCodes].map((c) => ({ code: c.code, name: c.name, summary: c.summary, configurable: !fixedCodes.has(c.code) })),
    ...[...planRules, ...statementRules].map((r) => ({ code: r.code, name: r.name, summary: r.summary, severity: r.severity, configurable: true })),
  ];
  return new Map(entries.sort((a, b) => (a.code < b.code ? -1 : 1)).map((e) => [e.code, e]));
}
