import { alterTableCommands, node, relationName } from './ast.js';
import { severityFor, sizeNote, type StatementRule } from '../sql/context.js';

export const rewriteCommand: StatementRule = {
  code: 'MG216',
  name: 'rewrite-command',
  summary: 'VACUUM FULL, CLUSTER and SET LOGGED / UNLOGGED rewrite the whole table under ACCESS EXCLUSIVE.',
  severity: 'error',
  kinds: ['VacuumStmt', 'ClusterStmt', 'AlterTableStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    const found: { table: string; what: string }[] = [];
    if (kind === 'VacuumStmt' && (body.options ?? []).some((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'full')) {
      for (const r of body.rels ?? []) found.push({ table: relationName(r.VacuumRelation.relation), what: 'VACUUM FULL' });
      if (!body.rels?.length) found.push({ table: 'every table', what: 'VACUUM FULL' });
    }
    if (kind === 'ClusterStmt') found.push({ table: body.relation ? relationName(body.relation) : 'every clustered table', what: 'CLUSTER' });
    for (const cmd of alterTableCommands(ctx.ast)?.cmds ?? []) {
      if (cmd.subtype === 'AT_SetLogged' || cmd.subtype === 'AT_SetUnLogged') {
        found.push({ table: alterTableCommands(ctx.ast)!.table, what: cmd.subtype === 'AT_SetLogged' ? 'SET LOGGED' : 'SET UNLOGGED' });
      }
    }
    for (const f of found) {
      const severity = f.table.startsWith('every') ? this.severity : severityFor(ctx, f.table, this.severity);
      if (!severity) continue;
      report({
        severity,
        message: `${f.what} rewrites ${f.table.startsWith('every') ? f.table : sizeNote(ctx, f.table)} while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the whole copy`,
        help: f.what === 'VACUUM FULL' || f.what === 'CLUSTER'
          ? 'To reclaim space or reorder without blocking, use pg_repack or pg_squeeze; plain VACUUM (no FULL) runs alongside reads and writes.'
          : 'Plan a maintenance window sized from a rehearsal on a production-sized copy.',
      });
    }
  },
};
