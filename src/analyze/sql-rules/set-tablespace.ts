import { node, relationName } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { shellWord } from '../../util/shell.js';

export const setTablespace: StatementRule = {
  code: 'MG224',
  name: 'set-tablespace',
  summary: 'SET TABLESPACE copies the table or index file by file under an ACCESS EXCLUSIVE lock.',
  severity: 'error',
  kinds: ['AlterTableStmt', 'AlterTableMoveAllStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    if (kind === 'AlterTableMoveAllStmt') {
      report({
        message: `ALTER ... ALL IN TABLESPACE ${quoteIdent(body.orig_tablespacename)} SET TABLESPACE ${quoteIdent(body.new_tablespacename)} copies every such relation, each under an ACCESS EXCLUSIVE lock`,
        help: 'Move large relations one at a time with pg_repack --tablespace (tables) or by building a new index CONCURRENTLY in the new tablespace, in a maintenance window otherwise.',
      });
      return;
    }
    if (kind !== 'AlterTableStmt' || !(body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => c.AlterTableCmd?.subtype === 'AT_SetTableSpace')) return;
    const name = relationName(body.relation);
    const target = (body.cmds as { AlterTableCmd?: { subtype?: string; name?: string } }[]).find((c) => c.AlterTableCmd?.subtype === 'AT_SetTableSpace')!.AlterTableCmd!.name!;
    if (body.objtype === 'OBJECT_INDEX') {
      const table = ctx.state.newIndexes.get(tableKey(name));
      if (table !== undefined) return;
      report({
        message: `ALTER INDEX ${quoteName(name)} SET TABLESPACE ${quoteIdent(target)} copies the index under an ACCESS EXCLUSIVE lock on it: queries on its table wait (planning locks every index)`,
        help: `Build a replacement with CREATE INDEX CONCURRENTLY ... TABLESPACE ${quoteIdent(target)}, then DROP INDEX CONCURRENTLY ${quoteName(name)} (and rename), or use pg_repack.`,
      });
      return;
    }
    const severity = severityFor(ctx, name, 'error');
    if (!severity) return;
    report({
      message: `SET TABLESPACE ${quoteIdent(target)} copies every data file of ${sizeNote(ctx, name)} under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole copy (its indexes stay where they are)`,
      help: `Use pg_repack --tablespace=${shellWord(target)} for ${quoteName(name)}, which copies it without holding a long lock, or run it in a maintenance window.`,
      severity,
    });
  },
};
