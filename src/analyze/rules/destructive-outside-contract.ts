import type { Destruction, DestructionKind } from '../../sql/facts.js';
import type { PgNode } from '../../sql/parser.js';
import { createdView, node, relationName } from '../sql-rules/ast.js';
import { tableKey } from '../sql/schema-state.js';
import { destructionsRun, type Rule } from '../rule.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

export const destructionLabels: Record<DestructionKind, string> = {
  'drop-table': 'drops table',
  'drop-view': 'drops view',
  'drop-column': 'drops column',
  'drop-schema': 'drops schema',
  truncate: 'truncates',
  'delete-all': 'deletes every row of',
  'rename-table': 'renames table',
  'rename-view': 'renames view',
  'rename-column': 'renames column',
};

/** What a destruction does, in words ("drops view"; "drops materialized view" for one). */
export function destructionLabel(d: Destruction, labels: Readonly<Record<string, string>> = destructionLabels): string {
  const label = labels[d.kind] ?? destructionLabels[d.kind];
  return d.materialized ? label.replace('view', 'materialized view') : label;
}

/** Drops, truncates, unfiltered deletes and renames break or lose data: they belong in contract. */
export const destructiveOutsideContract: Rule = {
  code: 'MG102',
  name: 'destructive-outside-contract',
  summary: 'Destructive statements (DROP TABLE/VIEW/COLUMN, TRUNCATE, DELETE without WHERE, renames) only in a contract phase.',
  severity: 'error',
  check(plan, report, _settings, analysis) {
    for (const phase of plan.phases) {
      if (phase.kind === 'contract') continue;
      for (const step of phase.steps) {
        if (step.action?.kind !== 'sql') continue;
        const statements = step.action.statements;
        for (const [i, statement] of statements.entries()) {
          // DROP ... IF EXISTS of what is already gone destroys nothing.
          for (const d of destructionsRun(statement, analysis)) {
            const later = () => statements.slice(i + 1).map((s) => s.ast);
            if (replacesView(d, later) || keepsOldName(d, later)) continue;
            report({
              span: statement.span,
              message: `step "${step.id}" ${destructionLabel(d)} ${quoteName(d.target)} in ${phase.kind} phase "${phase.name}"`,
              help: d.kind === 'rename-table' || d.kind === 'rename-view'
                ? `A rename breaks the code still running. Keep the old name working in the same step: CREATE VIEW ${quoteName(d.target)} AS SELECT * FROM <new name>; after it (the code reads and writes through it), and drop the view in contract.`
                : d.kind.startsWith('rename')
                ? 'A rename breaks the code still running. Add the new name in expand (new column or view), copy in migrate, and drop the old one in contract.'
                : 'Move this statement to a contract phase gated on the migrate phase\'s verification, once nothing reads the data any more.',
            });
          }
        }
      }
    }
  },
};

/**
 * A DROP VIEW that a later statement of the same step or file part undoes by creating the view
 * again (CREATE VIEW cannot drop or reorder columns in place, so a view is replaced so): the view
 * is changed, not removed, and its readers find it again.
 */
export function replacesView(d: Destruction, later: () => readonly PgNode[]): boolean {
  return d.kind === 'drop-view' && viewNamedLater(d.target, later);
}

/**
 * A table or view renamed, with a view of the old name created later in the same step (one
 * transaction): MG213's recipe for a table rename. Code still running keeps reading, and writing
 * through the simple view (PostgreSQL updates a single-table view's table), under the old name.
 */
export function keepsOldName(d: Destruction, later: () => readonly PgNode[]): boolean {
  return (d.kind === 'rename-table' || d.kind === 'rename-view') && viewNamedLater(d.target, later);
}

/**
 * A view of this name created later: under the name itself, or under another that a later
 * ALTER VIEW ... RENAME TO or SET SCHEMA gives it (citus makes each view as citus.<name> and moves
 * it into pg_catalog).
 */
function viewNamedLater(name: string, later: () => readonly PgNode[]): boolean {
  const wanted = tableKey(name);
  /** The views made later, under the names they have now. */
  const made = new Set<string>();
  for (const ast of later()) {
    const created = createdView(ast);
    if (created !== undefined) {
      if (tableKey(created) === wanted) return true;
      made.add(tableKey(created));
      continue;
    }
    const moved = movedTo(ast);
    if (moved && made.has(moved.from)) {
      if (moved.to === wanted) return true;
      made.delete(moved.from);
      made.add(moved.to);
    }
  }
  return false;
}

const movedRelations = new Set(['OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_TABLE']);

/** ALTER VIEW (or TABLE) ... RENAME TO, or SET SCHEMA: the relation's name before and after (tableKey). */
function movedTo(ast: PgNode): { from: string; to: string } | undefined {
  const [kind, body] = node(ast);
  if (kind === 'RenameStmt' && movedRelations.has(body.renameType) && body.relation && body.newname) {
    const from = relationName(body.relation);
    const dot = from.lastIndexOf('.');
    return { from: tableKey(from), to: tableKey(`${dot < 0 ? '' : from.slice(0, dot + 1)}${quoteIdent(body.newname)}`) };
  }
  if (kind === 'AlterObjectSchemaStmt' && movedRelations.has(body.objectType) && body.relation && body.newschema) {
    const from = relationName(body.relation);
    const local = from.slice(from.lastIndexOf('.') + 1);
    return { from: tableKey(from), to: tableKey(`${quoteIdent(body.newschema)}.${local}`) };
  }
  return undefined;
}
