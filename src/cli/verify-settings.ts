import { applyRuleSettings } from '../analyze/settings.js';
import type { ProjectConfig } from '../compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { RehearsalResult } from '../verify/rehearse.js';

/**
 * A rehearsal's findings under the config's settings (MG061 to MG064 can be set; MG060 and
 * MG065 cannot): a plan whose only errors were turned into warnings or off passes, and one
 * whose warning was made an error fails.
 */
export function withRuleSettings(r: RehearsalResult, rules: ProjectConfig['rules']): RehearsalResult {
  if (!rules) return r;
  const diagnostics = applyRuleSettings(r.diagnostics, rules);
  const ok = hasErrors(r.diagnostics) ? !hasErrors(diagnostics) : r.ok && !hasErrors(diagnostics);
  // Setup failures lowered by a setting (MG063 "warning": plans without a baseline) pass unrehearsed, and say so.
  const unrehearsed = ok && !r.ok && r.phases.length === 0 && r.skipped === undefined;
  return { ...r, diagnostics, ok, ...(unrehearsed ? { skipped: `not rehearsed: ${[...new Set(r.diagnostics.map((d) => d.code))].join(', ')} lowered by the config` } : {}) };
}
