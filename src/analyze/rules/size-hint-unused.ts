import type { Rule } from '../rule.js';
import { quoteName } from '../../sql/quote.js';
import { didYouMean } from '../../util/suggest.js';
import { tableKey } from '../sql/schema-state.js';

/**
 * A size hint (tables:) for a table the plan never names (neither its baseline nor its steps and
 * rollbacks) sizes nothing: a typo, or a name read otherwise than meant. A hint for a table of the
 * baseline that no step touches is left alone (a view over it, a foreign key to it). Names are read as PostgreSQL reads them, so `User:` is the
 * table user, and the table `CREATE TABLE "User"` made is `'"User"':`. Said with the table meant
 * when one is close (the same name in another case first), since the table it was meant for is
 * judged as large without a word.
 */
export const sizeHintUnused: Rule = {
  code: 'MG130',
  name: 'size-hint-unused',
  summary: 'A size hint in tables: names a table neither the baseline nor a step of the plan names, so it sizes nothing (a typo, or a quoted name written unquoted).',
  severity: 'warning',
  check(plan, report, settings) {
    const named = [...new Set([
      ...settings.tables.filter((t) => t.named).map((t) => t.name),
      ...(plan.baseline?.statements ?? []).flatMap((s) => s.facts.tables.map(tableKey)),
    ])].sort();
    for (const hint of plan.tables) {
      if (named.includes(hint.name)) continue;
      const sameLetters = named.filter((t) => t.toLowerCase() === hint.name.toLowerCase());
      const meant = sameLetters.length === 1 ? sameLetters[0] : didYouMean(hint.name, named);
      const suggestion = meant === undefined ? '' : `; did you mean ${yamlKey(quoteName(meant))}?`;
      report({
        span: hint.span,
        message: `tables: ${hint.written} sizes the table ${quoteName(hint.name)}, which neither the baseline nor a step of the plan names, so the hint is not used${suggestion}`,
        help: 'Name the table as SQL does: an unquoted name is read in lower case (Users is users), a table created with a quoted name is written in double quotes inside a YAML string (\'"User"\': { rows: 100 }), and a schema other than public is written before it (app.orders). Or remove the hint.',
      });
    }
  },
};

/** A table's name as a YAML key: in single quotes when it holds a double quote. */
function yamlKey(name: string): string {
  return name.includes('"') ? `'${name.replace(/'/g, "''")}'` : name;
}
