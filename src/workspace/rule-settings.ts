import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../util/suggest.js';
import { ruleCatalog } from '../diagnostics/rule-catalog.js';

/**
 * The config's "rules" keys, checked against the catalogue: a code that does not exist (a typo
 * that would silently do nothing) and a code that cannot be changed (an input problem: a plan
 * with one is never built, whatever a setting says) are errors (MG052), each at its key.
 */
export async function checkRuleSettings(file: string, codes: readonly string[], at: (code: string) => Span | undefined): Promise<Diagnostic[]> {
  const catalog = await ruleCatalog();
  const out: Diagnostic[] = [];
  for (const code of codes) {
    const entry = catalog.get(code);
    const span = at(code);
    if (!entry) {
      const guess = didYouMean(code, [...catalog.values()].filter((e) => e.configurable).map((e) => e.code));
      out.push({
        code: 'MG052', severity: 'error', file, ...(span ? { span } : {}),
        message: `rules names ${code}, which is not a migc code`,
        help: guess ? `Did you mean ${guess}? (migc explain ${guess})` : 'See the rule tables in the README for the codes that exist.',
      });
    } else if (!entry.configurable) {
      out.push({
        code: 'MG052', severity: 'error', file, ...(span ? { span } : {}),
        message: `rules sets ${code} (${entry.name}), which cannot be changed or turned off: ${entry.summary.replace(/\.$/, '')}`,
        help: `Remove "${code}" from rules and fix what it reports (migc explain ${code}). Input problems, failed rehearsals and command errors always stop the plan; rules, hazards and verify's judgements (MG061 to MG064) can be set.`,
      });
    }
  }
  return out;
}
