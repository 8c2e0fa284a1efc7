import { node } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

export const domainConstraintValidates: StatementRule = {
  code: 'MG231',
  name: 'domain-constraint-validates',
  summary: 'ALTER DOMAIN ADD CONSTRAINT without NOT VALID checks every row of every column of that domain while blocking writes to those tables.',
  severity: 'warning',
  kinds: ['AlterDomainStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'AlterDomainStmt') return;
    const domain = (body.typeName ?? []).map((n: { String?: { sval?: string } }) => n.String?.sval).join('.');
    // subtype C: ADD CONSTRAINT; O: SET NOT NULL, which checks every row too and has no NOT VALID form.
    if (body.subtype === 'C' && body.def?.Constraint && !body.def.Constraint.skip_validation) {
      report({
        message: `ALTER DOMAIN ${quoteName(domain)} ADD CONSTRAINT checks every row of every table with a column of type ${quoteName(domain)}, holding a SHARE lock on each: their writes wait for the whole check`,
        help: `Add it NOT VALID (ALTER DOMAIN ${quoteName(domain)} ADD CONSTRAINT ... NOT VALID;), which checks only new values, and run ALTER DOMAIN ${quoteName(domain)} VALIDATE CONSTRAINT ... on its own at a quiet time, with lock_timeout set: it takes the same SHARE locks for the whole check.`,
      });
    }
    if (body.subtype === 'O') {
      report({
        message: `ALTER DOMAIN ${quoteName(domain)} SET NOT NULL checks every row of every table with a column of type ${quoteName(domain)}, holding a SHARE lock on each: their writes wait for the whole check`,
        help: `Add a CHECK (VALUE IS NOT NULL) NOT VALID constraint to ${quoteName(domain)} and VALIDATE it separately instead.`,
      });
    }
  },
};
