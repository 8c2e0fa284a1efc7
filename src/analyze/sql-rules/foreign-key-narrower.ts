import { keysAdded } from './foreign-keys-added.js';
import type { StatementRule } from '../sql/context.js';
import { quoteColumn, quoteIdent, quoteName } from '../../sql/quote.js';
import { formatCount } from '../../util/numbers.js';

/** The integer types by width, and the largest value each holds. */
const widths: Record<string, { bytes: number; max: number; name: string }> = {
  int2: { bytes: 2, max: 32767, name: 'smallint' },
  serial2: { bytes: 2, max: 32767, name: 'smallint' },
  int4: { bytes: 4, max: 2147483647, name: 'integer' },
  serial4: { bytes: 4, max: 2147483647, name: 'integer' },
  int8: { bytes: 8, max: Number.MAX_SAFE_INTEGER, name: 'bigint' },
  serial8: { bytes: 8, max: Number.MAX_SAFE_INTEGER, name: 'bigint' },
};

/**
 * A foreign key whose column is a narrower integer than the key it references (integer to a
 * bigint or bigserial key, smallint to an integer one): once the referenced key passes the
 * column's largest value, no row can reference the new rows ("integer out of range"), and widening
 * the column then rewrites its table (MG212). claircore's vulnerability_alias (integer) references
 * vuln (bigserial), and a later migration widens both (the twenty-third trial's M1). Shown on
 * PostgreSQL 15 and PGlite.
 */
export const foreignKeyNarrower: StatementRule = {
  code: 'MG249',
  name: 'foreign-key-narrower',
  summary: 'A foreign key column of a narrower integer type than the key it references (integer to bigint, smallint to integer): once the key passes the column\'s largest value, rows that reference the new keys cannot be written.',
  severity: 'warning',
  kinds: ['CreateStmt', 'AlterTableStmt'],
  check(ctx, report) {
    for (const key of keysAdded(ctx)) {
      const referenced = ctx.state.table(key.references);
      const refColumns = key.refColumns.length ? key.refColumns : [...(referenced?.keyConstraints.values() ?? [])].find((k) => k.primary)?.columns ?? [];
      for (const [i, column] of key.columns.entries()) {
        const mine = key.typeOf(column);
        const refColumn = refColumns[i];
        const theirs = refColumn === undefined ? undefined : referenced?.columns.get(refColumn)?.type;
        const [narrow, wide] = [mine && !mine.array ? widths[mine.name] : undefined, theirs && !theirs.array ? widths[theirs.name] : undefined];
        if (!narrow || !wide || narrow.bytes >= wide.bytes) continue;
        report({
          ...(key.subcommand !== undefined ? { subcommand: key.subcommand } : {}),
          message: `${quoteColumn(key.table, column)} (${narrow.name}) references ${quoteColumn(key.references, refColumn!)} (${wide.name}): once ${quoteColumn(key.references, refColumn!)} passes ${formatCount(narrow.max)}, no row can reference the rows after it (${narrow.name} out of range), and widening ${quoteIdent(column)} then rewrites ${quoteName(key.table)}`,
          help: `Give ${quoteIdent(column)} the key's type, ${wide.name}${key.created ? `, in the CREATE TABLE: ${quoteIdent(column)} ${wide.name}` : key.addedHere(column) ? `, in the ADD COLUMN: ADD COLUMN ${quoteIdent(column)} ${wide.name} REFERENCES ${quoteName(key.references)}` : `: ALTER TABLE ${quoteName(key.table)} ALTER COLUMN ${quoteIdent(column)} TYPE ${wide.name}; (it rewrites ${quoteName(key.table)} under an ACCESS EXCLUSIVE lock, MG212: the sooner, the fewer rows)`}.`,
        });
      }
    }
  },
};
