import type { Rule } from '../rule.js';
import { statementTimeoutSeconds } from '../statement-timeout.js';

/**
 * statement_timeout 0 is PostgreSQL's "no limit": allowed, as a plan may mean it, but said, since
 * it also lets a statement that blocks the application (a rewrite under ACCESS EXCLUSIVE) run
 * unbounded. Statements that block nobody already run without the timeout. A project that means
 * it turns the rule off in migc.config.json.
 */
export const statementTimeoutOff: Rule = {
  code: 'MG117',
  name: 'statement-timeout-off',
  summary: 'settings.statement_timeout is 0: no statement of the scripts is ever cancelled, a rewrite that blocks the application included.',
  severity: 'warning',
  check(plan, report) {
    if (!plan.spans.statementTimeout || statementTimeoutSeconds(plan.settings.statementTimeout) !== 0) return;
    report({
      span: plan.spans.statementTimeout,
      message: `settings.statement_timeout is ${plan.settings.statementTimeout}, which turns statement_timeout off in PostgreSQL: a statement holding a lock that blocks reads or writes (a table rewrite under ACCESS EXCLUSIVE) runs as long as it takes, with the application waiting behind it`,
      help: 'Leave it out (15min) or give the longest such a statement may run. Statements that block nobody (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT) and batch loops run without it anyway. If no limit is meant, say so: "rules": { "MG117": "off" } in migc.config.json.',
    });
  },
};
