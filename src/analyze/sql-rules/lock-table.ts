import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { quoteName } from '../../sql/quote.js';

/** LOCK TABLE's modes, by the number libpg-query gives them, with what each blocks. */
const modes: Record<number, { name: string; blocks: string; blocksWork: boolean }> = {
  1: { name: 'ACCESS SHARE', blocks: 'only ACCESS EXCLUSIVE (ALTER TABLE, DROP, VACUUM FULL ...)', blocksWork: false },
  2: { name: 'ROW SHARE', blocks: 'EXCLUSIVE and ACCESS EXCLUSIVE locks (most ALTER TABLE forms)', blocksWork: false },
  3: { name: 'ROW EXCLUSIVE', blocks: 'CREATE INDEX (without CONCURRENTLY) and stronger DDL', blocksWork: false },
  4: { name: 'SHARE UPDATE EXCLUSIVE', blocks: 'VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and DDL', blocksWork: false },
  5: { name: 'SHARE', blocks: 'INSERT, UPDATE, DELETE and DDL (reads continue)', blocksWork: true },
  6: { name: 'SHARE ROW EXCLUSIVE', blocks: 'INSERT, UPDATE, DELETE and DDL (reads continue)', blocksWork: true },
  7: { name: 'EXCLUSIVE', blocks: 'every write and SELECT ... FOR UPDATE/SHARE (plain reads continue)', blocksWork: true },
  8: { name: 'ACCESS EXCLUSIVE', blocks: 'everything, plain SELECT included', blocksWork: true },
};

export const lockTable: StatementRule = {
  code: 'MG223',
  name: 'lock-table',
  summary: 'An explicit LOCK TABLE holds its lock until the transaction ends; SHARE and stronger modes block writes, ACCESS EXCLUSIVE blocks reads too.',
  severity: 'warning',
  kinds: ['LockStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind !== 'LockStmt') return;
    const tables: string[] = (body.relations ?? []).map((r: { RangeVar: unknown }) => relationName(r.RangeVar as never));
    const existing = tables.filter((t) => !ctx.state.isNew(t));
    if (!existing.length) return;
    const mode = modes[body.mode as number] ?? modes[8]!;
    const outside = ctx.inTransaction ? '' : '; outside a transaction block PostgreSQL refuses LOCK TABLE, and the migration fails here';
    report({
      message: `LOCK TABLE ${existing.map(quoteName).join(', ')} IN ${mode.name} MODE holds its lock until the transaction ends, blocking ${mode.blocks}${outside}`,
      help: mode.blocksWork
        ? 'Keep the transaction that takes it short (no backfill or long scan after it), set lock_timeout before it, and take the weakest mode that protects what the migration does.'
        : 'This mode blocks only DDL and maintenance; keep the transaction short and set lock_timeout before it.',
      ...(mode.blocksWork ? {} : { severity: 'info' as const }),
      ...(ctx.inTransaction ? {} : { refused: 'certain' as const }),
    });
  },
};
