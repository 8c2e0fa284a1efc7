import { alterTableCommands, relationName } from './ast.js';
import { learn, learnedKinds, seenTable } from './seen-tables.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

export const attachPartitionScan: StatementRule = {
  code: 'MG232',
  name: 'attach-partition-scan',
  summary: 'ATTACH PARTITION scans the whole partition to check its bound, under an ACCESS EXCLUSIVE lock on it, unless a validated CHECK constraint already implies the bound.',
  severity: 'error',
  kinds: learnedKinds,
  check(ctx, report) {
    const alter = alterTableCommands(ctx.ast);
    for (const cmd of alter?.cmds ?? []) {
      const partition = cmd.def?.PartitionCmd;
      if (cmd.subtype !== 'AT_AttachPartition' || !partition) continue;
      const name = relationName(partition.name);
      const severity = severityFor(ctx, name, 'error');
      if (!severity) continue;
      const seen = seenTable(ctx, name);
      // Which CHECK implies the bound is PostgreSQL's proof to make; a validated one is the recipe's sign.
      if (seen && seen.validatedChecks.size > 0) continue;
      const locks = ctx.postgres >= 12 ? `an ACCESS EXCLUSIVE lock on ${quoteName(name)} (and SHARE UPDATE EXCLUSIVE on ${quoteName(alter!.table)})` : `ACCESS EXCLUSIVE locks on ${quoteName(name)} and ${quoteName(alter!.table)}`;
      report({
        message: `ATTACH PARTITION ${quoteName(name)} scans ${sizeNote(ctx, name)} to check every row against the partition bound, holding ${locks}${seen?.created ? ': it has no validated CHECK constraint that could spare the scan' : ''}`,
        help: `First ALTER TABLE ${quoteName(name)} ADD CONSTRAINT ${quoteIdent(`${name.replace(/^.*\./, '')}_bound`)} CHECK (<the bound, as an expression on the partition key, NOT NULL included>) NOT VALID; then VALIDATE CONSTRAINT it (no write lock), ATTACH PARTITION (no scan), and drop the CHECK. A default partition is scanned too unless it has such a check excluding the new bound.`,
        severity,
      });
    }
    learn(ctx);
  },
};
