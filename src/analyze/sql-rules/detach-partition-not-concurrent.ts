import { alterTableCommands, relationName } from './ast.js';
import { leaveDoBlock, type StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

export const detachPartitionNotConcurrent: StatementRule = {
  code: 'MG225',
  name: 'detach-partition-not-concurrent',
  summary: 'DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the partitioned table (PostgreSQL 14+ can detach concurrently).',
  severity: 'warning',
  kinds: ['AlterTableStmt'],
  check(ctx, report) {
    if (ctx.postgres < 14) return;
    const alter = alterTableCommands(ctx.ast);
    if (!alter || ctx.state.isNew(alter.table)) return;
    for (const cmd of alter.cmds) {
      const partition = cmd.def?.PartitionCmd;
      if (cmd.subtype !== 'AT_DetachPartition' || !partition || partition.concurrent) continue;
      const name = relationName(partition.name);
      report({
        message: `DETACH PARTITION ${quoteName(name)} takes an ACCESS EXCLUSIVE lock on ${quoteName(alter.table)}: every query on the partitioned table queues behind it`,
        help: `Use ALTER TABLE ${quoteName(alter.table)} DETACH PARTITION ${quoteName(name)} CONCURRENTLY; (PostgreSQL 14+, outside a transaction block, not on a table with a default partition).${leaveDoBlock(ctx)}`,
      });
    }
  },
};
