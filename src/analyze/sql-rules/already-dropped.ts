import { node, relationName } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { unmadeIndex } from './unmade-index.js';
import { statementFacts } from '../../sql/facts.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';
import { commandNamed } from './statement-locks.js';
import type { DroppedBy } from '../sql/schema-state.js';

/** What DROP names, and the word PostgreSQL's error uses for it ("index "t_e" does not exist"). */
const dropped: Record<string, { what: 'relation' | 'type' | 'schema' | 'on relation'; word: string; keyword: string }> = {
  OBJECT_TABLE: { what: 'relation', word: 'table', keyword: 'TABLE' },
  OBJECT_INDEX: { what: 'relation', word: 'index', keyword: 'INDEX' },
  OBJECT_VIEW: { what: 'relation', word: 'view', keyword: 'VIEW' },
  OBJECT_MATVIEW: { what: 'relation', word: 'materialized view', keyword: 'MATERIALIZED VIEW' },
  OBJECT_SEQUENCE: { what: 'relation', word: 'sequence', keyword: 'SEQUENCE' },
  OBJECT_TYPE: { what: 'type', word: 'type', keyword: 'TYPE' },
  OBJECT_DOMAIN: { what: 'type', word: 'type', keyword: 'DOMAIN' },
  OBJECT_SCHEMA: { what: 'schema', word: 'schema', keyword: 'SCHEMA' },
  // What is dropped with its table, named ON it: PostgreSQL says the table ("relation") does not exist.
  OBJECT_TRIGGER: { what: 'on relation', word: 'relation', keyword: 'TRIGGER' },
  OBJECT_RULE: { what: 'on relation', word: 'relation', keyword: 'RULE' },
  OBJECT_POLICY: { what: 'on relation', word: 'relation', keyword: 'POLICY' },
};

/**
 * A DROP (without IF EXISTS) of a relation, index, type or schema an earlier statement seen made
 * gone for sure: dropped by name, along with something else (the schema state follows what goes
 * with a column, a constraint, a table, an identity, a type or a schema, and the views CASCADE
 * takes), or renamed away, and nothing created since; or a DROP TRIGGER, RULE or POLICY ... ON
 * such a table; or a DROP TRIGGER of a trigger dropped already (by name, or with its function).
 * PostgreSQL refuses it ("index "t_e" does not exist"). DROP ... IF EXISTS skips it with a NOTICE
 * (src/analyze/sql/skips.ts). Not judged where the drop before was in a DO block or a routine's
 * body (a branch may have skipped it), after an opaque statement (dynamic SQL may have made the
 * name again), nor in a down file of its own against what other files dropped: some tools run it
 * at another point of the history than right after its up (MG238's reasoning).
 */
export const alreadyDropped: StatementRule = {
  code: 'MG244',
  name: 'already-dropped',
  summary: 'A DROP (without IF EXISTS) of a table, index, view, sequence, type or schema an earlier statement already dropped, by name or along with something else (a constraint\'s index, a column\'s or a table\'s indexes and owned sequences, a table\'s row type, the views CASCADE takes, what is in a schema), or renamed away, and nothing created since, or of a trigger, rule or policy on such a table, or of a trigger dropped already (by name, or with its function): PostgreSQL refuses it. Also a DROP INDEX IF EXISTS of a name no file made, close to an index they did (a typo, table.index, a down migration\'s name for its up\'s index, the bare name of one made in another schema), in files that make their tables from the first: it drops nothing, and the index meant stays.',
  severity: 'error',
  kinds: ['DropStmt'],
  check(ctx, report) {
    if (ctx.inDoBlock) return;
    const [, body] = node(ctx.ast);
    const kind = dropped[body.removeType as string];
    if (!kind) return;
    if (body.missing_ok) {
      if (body.removeType === 'OBJECT_INDEX') misnamedIndex(ctx, body, report);
      return;
    }
    const parts = (o: any): string[] => (kind.what === 'schema' ? [o] : kind.what === 'type' ? o.TypeName?.names : o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?');
    // PostgreSQL stops at the first name that is not there.
    for (const o of body.objects ?? []) {
      // A trigger, rule or policy is named after its table's name: what must exist is the table.
      const all = parts(o);
      const own = kind.what === 'on relation' ? all.slice(0, -1) : all;
      const name = own.join('.');
      // A schema-qualified name whose schema is gone: PostgreSQL says the schema does not exist.
      // Not where the search path has the schema: the name may be written bare (lint qualified
      // it), and PostgreSQL looks for it in the path's other schemas.
      const schema = kind.what !== 'schema' && own.length === 2 && !ctx.searchPath?.includes(own[0]!) ? own[0]! : undefined;
      const schemaBy = schema !== undefined ? ctx.state.goneFor('schema', schema) : undefined;
      const tableBy = schemaBy ?? ctx.state.goneFor(kind.what === 'on relation' ? 'relation' : kind.what, name);
      // Its table there, a trigger dropped (by name or with its function) or renamed away.
      const triggerBy = !tableBy && body.removeType === 'OBJECT_TRIGGER' ? ctx.state.triggerGoneFor(name, all.at(-1)!) : undefined;
      const by = tableBy ?? triggerBy;
      if (!by) continue;
      if (ctx.rollbackFile && (by.at?.file === undefined || by.at.file !== ctx.file)) return;
      const [word, missing] = schemaBy ? ['schema', schema!] : triggerBy ? ['trigger', `${all.at(-1)!}`] : [kind.word, name];
      const table = triggerBy ? ` for table ${quoteName(name)}` : '';
      const what = kind.what === 'on relation' ? `${quoteName(all.at(-1)!)} ON ${quoteName(name)}` : quoteName(all.join('.'));
      report({
        refused: 'certain',
        message: `PostgreSQL refuses this statement: ${word} ${triggerBy ? quoteIdent(missing) : quoteName(missing)}${table} does not exist: ${dropper(by, ctx.file)} ${by.how ?? 'dropped it'}, and no statement since made it again`,
        help: `Leave out the DROP of ${what}: ${tableBy && kind.what === 'on relation' ? 'it went with its table, which' : 'it'} is gone already. Where the migration may run when it is still there (a database the earlier migrations did not reach), write DROP ${kind.keyword} IF EXISTS.`,
      });
      return;
    }
  },
};

/**
 * DROP INDEX IF EXISTS of a name no file made, in files that make their tables from the first,
 * close to the name of an index they did make (unmadeIndex): it drops nothing, and the index
 * meant stays (the twenty-first trial's neosync: a down migration that dropped idx_casbin_rule,
 * where its up made idx_neosync_api_casbin_rule). A warning where the index meant is still there
 * when the file part ends, a note where a later DROP TABLE takes it anyway.
 */
function misnamedIndex(ctx: StatementContext, body: Record<string, any>, report: Parameters<StatementRule['check']>[1]): void {
  for (const o of body.objects ?? []) {
    const name = (o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval).join('.');
    const near = unmadeIndex(ctx, name)?.near;
    if (!near) continue;
    const concurrently = body.concurrent ? 'CONCURRENTLY ' : '';
    const what = ctx.inRollback ? 'the rollback' : 'the migration';
    const why = near.why === 'table'
      ? `PostgreSQL reads ${quoteName(name)} as index ${quoteIdent(near.name)} in a schema ${quoteIdent(name.slice(0, name.lastIndexOf('.')))} (DROP INDEX names no table), where the files make no index. The index meant is likely ${quoteName(near.name)}, on ${quoteName(near.table)}`
      : near.why === 'schema'
        ? `under the search path migc follows, the bare name means ${quoteName(`public.${name}`)}, which no file linted creates, and the files make their tables from the first; they made ${quoteName(near.name)}, on ${quoteName(near.table)}. If the migration tool's connection sets a search_path that finds it, give it to migc with --search-path.`
        : `no file linted creates an index ${quoteName(name)}, and the files make their tables from the first. Did you mean ${quoteName(near.name)}, on ${quoteName(near.table)}${near.why === 'up' ? ', which its up made' : ''}?`;
    const fate = near.goesWith === undefined ? `It stays: ${what} leaves it in place`
      : near.goesWith === 'drop' ? `A later DROP INDEX of the file drops it, so ${what} loses nothing by it`
      : `It goes with its ${near.goesWith} later in the file, so ${what} loses nothing by it`;
    report({
      severity: near.goesWith === undefined ? 'warning' : 'info',
      message: `DROP INDEX ${concurrently}IF EXISTS ${quoteName(name)} drops nothing on a database these files made: ${why}${near.why === 'table' ? '.' : ''} ${fate}`,
      help: `Name the index the files made: DROP INDEX ${concurrently}IF EXISTS ${quoteName(near.name)};${near.goesWith === undefined ? '' : ` (or leave the DROP INDEX out: what drops its ${near.goesWith === 'drop' ? 'index' : near.goesWith} later takes it).`} If ${quoteName(name)} is made outside these files (by hand, by the application), keep the statement and say so before it: -- migc-ignore MG244: <who makes it>.`,
    });
  }
}

/** The statement that made it gone, and where it is: "ALTER TABLE t DROP COLUMN (line 2)". */
function dropper(by: DroppedBy, file: string | undefined): string {
  const named = renamed(by.statement) ?? commandNamed(by.statement, statementFacts(by.statement));
  const elsewhere = by.at?.file !== undefined && by.at.file !== file ? ` of ${by.at.file.slice(by.at.file.lastIndexOf('/') + 1)}` : '';
  return by.at?.line !== undefined ? `${named} (line ${by.at.line}${elsewhere})` : named;
}

/** What renames an index, a type or a constraint (its index), which the statement's facts name only RENAME ("ALTER INDEX "i" RENAME"), and a DROP SCHEMA, whose schemas they do not name. */
function renamed(statement: PgNode): string | undefined {
  const [kind, body] = node(statement);
  // The statement's facts name no schema.
  if (kind === 'DropStmt' && body.removeType === 'OBJECT_SCHEMA') return `DROP SCHEMA ${(body.objects ?? []).map((o: { String?: { sval?: string } }) => quoteIdent(o.String?.sval ?? '?')).join(', ')}`;
  if (kind !== 'RenameStmt') return undefined;
  if (body.renameType === 'OBJECT_TABCONSTRAINT' && body.relation) return `ALTER TABLE ${quoteName(relationName(body.relation))} RENAME CONSTRAINT`;
  const word = renameWords[body.renameType as string];
  if (word === undefined) return undefined;
  const parts: string[] = body.relation ? relationName(body.relation).split('.') : (body.object?.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval ?? '?');
  return `ALTER ${word} ${quoteName(parts.join('.'))} RENAME`;
}

const renameWords: Record<string, string> = { OBJECT_INDEX: 'INDEX', OBJECT_TYPE: 'TYPE', OBJECT_DOMAIN: 'DOMAIN' };
