import type { Destruction, DestructionKind } from '../../sql/facts.js';
import type { PgNode } from '../../sql/parser.js';
import { createdView } from '../sql-rules/ast.js';
import { tableKey } from '../sql/schema-state.js';
import { destructionsRun, type Rule } from '../rule.js';
import { quoteName } from '../../sql/quote.js';

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

function viewNamedLater(name: string, later: () => readonly PgNode[]): boolean {
  return later().some((ast) => {
    const created = createdView(ast);
    return created !== undefined && tableKey(created) === tableKey(name);
  });
}
