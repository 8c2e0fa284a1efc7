import { alterTableCommands, node, relationName } from './ast.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { scanSql } from '../../sql/parser.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/**
 * SQL that migc's parser (PostgreSQL 18's) reads but an older server refuses: a syntax or a
 * feature newer than the target. Each is read from the parse tree, with the major version it
 * arrived in, as the release notes give it (https://www.postgresql.org/docs/release/<major>.0/,
 * "E.x.3. Changes"):
 * - 11: procedures and CALL; INCLUDE columns in indexes and UNIQUE/PRIMARY KEY; hash
 *   partitioning; default partitions; indexes on partitioned tables (CREATE INDEX ... ON ONLY,
 *   ALTER INDEX ... ATTACH PARTITION).
 * - 12: generated columns (stored); REINDEX ... CONCURRENTLY; CREATE TABLE ... USING (table
 *   access methods).
 * - 13: ALTER COLUMN ... DROP EXPRESSION.
 * - 14: DETACH PARTITION ... CONCURRENTLY / FINALIZE; REINDEX (CONCURRENTLY, TABLESPACE ...);
 *   CREATE OR REPLACE TRIGGER; SQL-standard function bodies (RETURN, BEGIN ATOMIC); column
 *   COMPRESSION.
 * - 15: MERGE; NULLS NOT DISTINCT; ON DELETE SET NULL / SET DEFAULT with a column list;
 *   ALTER TABLE ... SET ACCESS METHOD.
 * - 16: the SQL/JSON constructors (JSON_OBJECT, JSON_ARRAY, JSON_OBJECTAGG, JSON_ARRAYAGG) and
 *   IS JSON.
 * - 17: ALTER COLUMN ... SET EXPRESSION; MERGE ... RETURNING and WHEN NOT MATCHED BY SOURCE;
 *   JSON_TABLE, JSON(), JSON_SCALAR, JSON_SERIALIZE, JSON_EXISTS, JSON_QUERY, JSON_VALUE.
 * - 18: virtual generated columns (GENERATED ALWAYS AS (...) without STORED: PostgreSQL 18's
 *   default; the commit "Virtual generated columns", 2025-02-07); NOT ENFORCED constraints and
 *   ALTER CONSTRAINT ... [NOT] ENFORCED; NOT NULL written as a table constraint.
 * PostgreSQL 15 refuses each feature of 16 and later, and accepts each rewrite the help gives,
 * as test/newer-than-target.test.ts checks on the server.
 * What arrived in 10 (identity columns, CREATE STATISTICS, ALTER TYPE ... RENAME VALUE) is
 * never reported: migc's oldest target is 10. What depends on the transaction rather than the
 * syntax is another rule's: ALTER TYPE ... ADD VALUE in a transaction before 12 is MG228.
 */

/** A feature a statement uses: when it arrived, and how to write it for the target. */
interface Use {
  readonly feature: string;
  readonly since: number;
  readonly help: string;
  readonly subcommand?: number;
}

const generatedHelp = (column: string) =>
  `Keep ${quoteIdent(column)} a plain column and compute it with a BEFORE INSERT OR UPDATE trigger (existing rows with a batched UPDATE).`;

/** The uses of a column definition (CREATE TABLE, ADD COLUMN). */
function columnUses(def: Record<string, any>, target: number, table: string, subcommand?: number): Use[] {
  const uses: Use[] = [];
  const column = String(def.colname);
  const at = subcommand === undefined ? {} : { subcommand };
  for (const c of def.constraints ?? []) {
    const con = c.Constraint;
    if (con?.contype === 'CONSTR_GENERATED') {
      // Before 18 STORED is required (12 to 17: "GENERATED ALWAYS AS (...) STORED" is the only form).
      if (target < 12) uses.push({ feature: 'generated columns', since: 12, help: generatedHelp(column), ...at });
      else if (con.generated_kind === 'v') {
        uses.push({
          feature: 'virtual generated columns (GENERATED ALWAYS AS (...) without STORED, or VIRTUAL)',
          since: 18,
          help: `Write it STORED: ${quoteIdent(column)} ... GENERATED ALWAYS AS (...) STORED, computed when a row is written${subcommand === undefined ? '' : ` (adding one rewrites ${quoteName(table)}: MG205)`}.`,
          ...at,
        });
      }
    }
    if (con?.contype === 'CONSTR_ATTR_NOT_ENFORCED') uses.push({ ...notEnforced, ...at });
    if (con) uses.push(...constraintUses(con, table, subcommand));
  }
  if (def.compression !== undefined) uses.push({ feature: 'column COMPRESSION', since: 14, help: 'Leave out COMPRESSION: before PostgreSQL 14 every column is compressed with pglz.', ...at });
  return uses;
}

const notEnforced: Use = {
  feature: 'NOT ENFORCED constraints',
  since: 18,
  help: 'Leave the constraint out, or add it NOT VALID: it is then checked for new and changed rows only, and VALIDATE CONSTRAINT can check the old ones later.',
};

/** The uses of a constraint (table constraint, ADD CONSTRAINT, or one written on a column). */
function constraintUses(con: Record<string, any>, table: string, subcommand?: number): Use[] {
  const uses: Use[] = [];
  const at = subcommand === undefined ? {} : { subcommand };
  if (con.nulls_not_distinct) uses.push({ ...nullsNotDistinct, ...at });
  if (con.including?.length) uses.push({ feature: 'INCLUDE columns', since: 11, help: 'Leave out INCLUDE (...): the key columns alone make the same constraint; the included columns only allowed index-only scans.', ...at });
  if (con.fk_del_set_cols?.length) {
    uses.push({
      feature: 'ON DELETE SET NULL / SET DEFAULT with a column list',
      since: 15,
      help: 'Leave out the column list (then every referencing column is set), or set only some with an AFTER DELETE trigger on the referenced table.',
      ...at,
    });
  }
  // A table-level CHECK or FOREIGN KEY written NOT ENFORCED has no is_enforced (a column's has
  // CONSTR_ATTR_NOT_ENFORCED beside it, see columnUses).
  if ((con.contype === 'CONSTR_CHECK' || con.contype === 'CONSTR_FOREIGN') && con.is_enforced !== true) uses.push({ ...notEnforced, ...at });
  return uses;
}

const nullsNotDistinct: Use = {
  feature: 'NULLS NOT DISTINCT',
  since: 15,
  help: 'Keep the plain unique index and add partial unique ones for the rows with NULLs (key (a, b), b nullable: CREATE UNIQUE INDEX CONCURRENTLY ... ON t (a) WHERE b IS NULL; key (b): ON t ((b IS NULL)) WHERE b IS NULL), or make the columns NOT NULL.',
};

/** JSON expression nodes by parse-tree name: what a reader wrote, when it arrived, the older way. */
const jsonNodes: Readonly<Record<string, { written: string; since: number; help: string }>> = {
  JsonObjectConstructor: { written: 'JSON_OBJECT()', since: 16, help: 'Use json_build_object(key, value, ...) (or jsonb_build_object).' },
  JsonArrayConstructor: { written: 'JSON_ARRAY()', since: 16, help: 'Use json_build_array(...) (or jsonb_build_array).' },
  JsonArrayQueryConstructor: { written: 'JSON_ARRAY(SELECT ...)', since: 16, help: 'Use (SELECT json_agg(...) FROM ...).' },
  JsonObjectAgg: { written: 'JSON_OBJECTAGG()', since: 16, help: 'Use json_object_agg(key, value) (or jsonb_object_agg).' },
  JsonArrayAgg: { written: 'JSON_ARRAYAGG()', since: 16, help: 'Use json_agg(...) (or jsonb_agg).' },
  JsonIsPredicate: { written: 'IS JSON', since: 16, help: 'Cast to jsonb in a function that catches the error (EXCEPTION WHEN invalid_text_representation), or check jsonb_typeof() on values already jsonb.' },
  JsonTable: { written: 'JSON_TABLE()', since: 17, help: 'Use jsonb_to_recordset() or jsonb_array_elements() with ->> in a lateral join.' },
  JsonParseExpr: { written: 'JSON()', since: 17, help: 'Cast instead: value::json (or ::jsonb).' },
  JsonScalarExpr: { written: 'JSON_SCALAR()', since: 17, help: 'Use to_json(value) (or to_jsonb).' },
  JsonSerializeExpr: { written: 'JSON_SERIALIZE()', since: 17, help: 'Cast instead: value::text.' },
  JsonFuncExpr: { written: 'JSON_EXISTS(), JSON_QUERY() and JSON_VALUE()', since: 17, help: 'Use jsonb_path_exists(), jsonb_path_query_first() and ->> (or #>>) with a cast.' },
};

const jsonFunctions: Readonly<Record<string, { written: string; help: string }>> = {
  JSON_EXISTS_OP: { written: 'JSON_EXISTS()', help: 'Use jsonb_path_exists(value, path).' },
  JSON_QUERY_OP: { written: 'JSON_QUERY()', help: 'Use jsonb_path_query_first(value, path), or -> and #>.' },
  JSON_VALUE_OP: { written: 'JSON_VALUE()', help: 'Use ->> (or #>>) with a cast: (value ->> \'key\')::int.' },
};

/**
 * The first SQL/JSON expression of each kind in a parse tree, in the order found. `text` is the
 * statement's SQL: each of these expressions is written with the key word JSON (JSON_OBJECT,
 * IS JSON, JSON_TABLE, ...), and a key word cannot be escaped or quoted, so a statement whose
 * text never has the letters "json" has none, and its tree is not walked: that walk visited every
 * node of every statement, the most of any rule on a large folder (bench/startup-results.md).
 */
/** Whether the text has the letters "json" in any case: a loop, not a lowered copy of every statement. */
function hasJsonLetters(text: string): boolean {
  // | 32 lowers an ASCII letter (J 74 to j 106) and leaves no other character on these codes.
  for (let i = 0; i + 3 < text.length; i++) {
    if ((text.charCodeAt(i) | 32) === 106 && (text.charCodeAt(i + 1) | 32) === 115 && (text.charCodeAt(i + 2) | 32) === 111 && (text.charCodeAt(i + 3) | 32) === 110) return true;
  }
  return false;
}

function jsonUses(tree: unknown, target: number, text: string): Use[] {
  if (target >= 17 || !hasJsonLetters(text)) return [];
  const found = new Map<string, Use>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const e of n) walk(e);
      return;
    }
    if (!n || typeof n !== 'object') return;
    // Every node of every statement passes here: for...in, no arrays allocated per node.
    const o = n as Record<string, unknown>;
    for (const key in o) {
      const value = o[key];
      const json = jsonNodes[key];
      if (json && json.since > target) {
        // JSON_EXISTS, JSON_QUERY and JSON_VALUE are one node kind, told apart by its op.
        const op = key === 'JsonFuncExpr' ? jsonFunctions[(value as { op?: string }).op ?? ''] : undefined;
        const kind = op ? `${key} ${op.written}` : key;
        if (!found.has(kind)) found.set(kind, { feature: op?.written ?? json.written, since: json.since, help: op?.help ?? json.help });
      }
      if (value && typeof value === 'object') walk(value);
    }
  };
  walk(tree);
  return [...found.values()];
}

/** The features a statement uses that arrived after PostgreSQL 10 (whatever the target). */
function uses(ctx: StatementContext): Use[] {
  const { ast, postgres: target } = ctx;
  const [kind, body] = node(ast);
  switch (kind) {
    case 'CreateStmt': {
      const table = relationName(body.relation);
      const found: Use[] = [];
      for (const e of body.tableElts ?? []) {
        if (e.ColumnDef) found.push(...columnUses(e.ColumnDef, target, table));
        if (!e.Constraint) continue;
        found.push(...constraintUses(e.Constraint, table));
        // CREATE TABLE t (a int, NOT NULL a): NOT NULL as a table constraint (18).
        if (e.Constraint.contype === 'CONSTR_NOTNULL') {
          const column = e.Constraint.keys?.[0]?.String?.sval ?? 'c';
          found.push({ feature: 'NOT NULL as a table constraint', since: 18, help: `Write NOT NULL on the column itself: ${quoteIdent(column)} <type> NOT NULL.` });
        }
      }
      if (body.partspec?.strategy === 'PARTITION_STRATEGY_HASH') {
        found.push({ feature: 'hash partitioning (PARTITION BY HASH)', since: 11, help: 'Partition by LIST on an expression of the key instead, one partition per value: PARTITION BY LIST ((abs(hashtext(key::text)) % 8)) or, for an integer key, PARTITION BY LIST ((key % 8)) (queries then name the expression to prune partitions).' });
      }
      if (body.partbound?.is_default) {
        found.push({ feature: 'default partitions (PARTITION OF ... DEFAULT)', since: 11, help: 'Give the partition bounds (FOR VALUES ...) that cover the rows it should take: before PostgreSQL 11 a row no partition covers is refused.' });
      }
      if (body.accessMethod !== undefined) found.push({ feature: 'table access methods (CREATE TABLE ... USING)', since: 12, help: 'Leave out USING: before PostgreSQL 12 every table is a heap table.' });
      return [...found, ...jsonUses(body, target, ctx.text)];
    }
    case 'AlterTableStmt': {
      const alter = alterTableCommands(ast);
      if (body.objtype === 'OBJECT_INDEX' && (body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => c.AlterTableCmd?.subtype === 'AT_AttachPartition')) {
        return [{ feature: 'partitioned indexes (ALTER INDEX ... ATTACH PARTITION)', since: 11, help: partitionedIndexHelp }];
      }
      if (!alter) return [];
      // Quoted only for the message of a use found (most ALTER TABLEs use nothing new).
      const table = () => quoteName(alter.table);
      const found: Use[] = [];
      for (const [subcommand, cmd] of alter.cmds.entries()) {
        const column = () => quoteIdent(String(cmd.name ?? ''));
        switch (cmd.subtype) {
          case 'AT_AddColumn': found.push(...columnUses(cmd.def.ColumnDef, target, alter.table, subcommand)); break;
          case 'AT_AddConstraint': {
            const con = cmd.def?.Constraint;
            if (!con) break;
            found.push(...constraintUses(con, alter.table, subcommand));
            // ALTER TABLE t ADD CONSTRAINT nn NOT NULL a (18).
            if (con.contype === 'CONSTR_NOTNULL') {
              const col = quoteIdent(con.keys?.[0]?.String?.sval ?? 'c');
              found.push({ feature: 'NOT NULL as a table constraint (ADD CONSTRAINT ... NOT NULL)', since: 18, help: `Use ALTER TABLE ${table()} ALTER COLUMN ${col} SET NOT NULL (it scans the table under ACCESS EXCLUSIVE unless a validated CHECK (${col} IS NOT NULL) exists from PostgreSQL 12: MG207), or a named CHECK (${col} IS NOT NULL) constraint added NOT VALID and validated later.`, subcommand });
            }
            break;
          }
          case 'AT_AlterConstraint':
            if (cmd.def?.ATAlterConstraint?.alterEnforceability) {
              const name = quoteIdent(String(cmd.def.ATAlterConstraint.conname));
              found.push({ feature: 'ALTER CONSTRAINT ... [NOT] ENFORCED', since: 18, help: `Before PostgreSQL 18 every constraint is enforced: to stop checking it, drop it (ALTER TABLE ${table()} DROP CONSTRAINT ${name};) and add it again NOT VALID when it should hold for new rows.`, subcommand });
            }
            break;
          case 'AT_DetachPartition':
            if (cmd.def?.PartitionCmd?.concurrent) {
              found.push({ feature: 'DETACH PARTITION ... CONCURRENTLY', since: 14, help: `Detach without CONCURRENTLY: ALTER TABLE ${table()} DETACH PARTITION ${quoteName(relationName(cmd.def.PartitionCmd.name))}; it takes an ACCESS EXCLUSIVE lock on ${table()} for a moment: set lock_timeout first, and retry when it times out.`, subcommand });
            }
            break;
          case 'AT_DetachPartitionFinalize':
            found.push({ feature: 'DETACH PARTITION ... FINALIZE', since: 14, help: 'FINALIZE completes an interrupted DETACH PARTITION ... CONCURRENTLY, which the target does not have: a plain DETACH PARTITION leaves nothing to finalize.', subcommand });
            break;
          case 'AT_SetExpression':
            found.push({ feature: 'ALTER COLUMN ... SET EXPRESSION', since: 17, help: `Drop and add the column in one statement: ALTER TABLE ${table()} DROP COLUMN ${column()}, ADD COLUMN ${column()} <type> GENERATED ALWAYS AS (...) STORED; (a rewrite, as SET EXPRESSION is; indexes and views on the column must be made again).`, subcommand });
            break;
          case 'AT_DropExpression':
            found.push({ feature: 'ALTER COLUMN ... DROP EXPRESSION', since: 13, help: `Add a plain column, copy ${column()} into it in batches, drop ${column()} and rename the new column to ${column()}.`, subcommand });
            break;
          case 'AT_SetCompression':
            found.push({ feature: 'column COMPRESSION (SET COMPRESSION)', since: 14, help: 'Leave it out: before PostgreSQL 14 every column is compressed with pglz.', subcommand });
            break;
          case 'AT_SetAccessMethod':
            found.push({ feature: 'ALTER TABLE ... SET ACCESS METHOD', since: 15, help: 'Create a new table with CREATE TABLE ... USING (PostgreSQL 12+), copy the rows into it and swap the names.', subcommand });
            break;
        }
      }
      return [...found, ...jsonUses(body, target, ctx.text)];
    }
    case 'IndexStmt': {
      const found: Use[] = [];
      // ON ONLY parses to a relation that is not inherited (inh false); it arrived with
      // partitioned indexes, as did an index on a partitioned table at all.
      if (body.relation?.inh === false) found.push({ feature: 'partitioned indexes (CREATE INDEX ... ON ONLY)', since: 11, help: partitionedIndexHelp });
      else if (ctx.state.table(relationName(body.relation))?.partitioned) found.push({ feature: 'indexes on a partitioned table', since: 11, help: partitionedIndexHelp });
      if (body.indexIncludingParams?.length) {
        found.push({ feature: 'INCLUDE columns in an index', since: 11, help: `Leave out INCLUDE (...): the key columns alone serve the same lookups (without index-only scans for the included columns).${body.unique ? ' Do not move them into the key of a unique index: that changes what it keeps unique.' : ' Or add them at the end of the key columns.'}` });
      }
      if (body.nulls_not_distinct) found.push(nullsNotDistinct);
      return [...found, ...jsonUses(body, target, ctx.text)];
    }
    case 'ReindexStmt': {
      const found: Use[] = [];
      const options = new Set((body.params ?? []).map((p: { DefElem?: { defname?: string } }) => p.DefElem?.defname));
      if (options.has('tablespace')) found.push({ feature: 'REINDEX (TABLESPACE ...)', since: 14, help: 'Leave out TABLESPACE and move the index afterwards with ALTER INDEX ... SET TABLESPACE (which locks it out while it copies: MG224).' });
      if (!options.has('concurrently')) return found;
      // REINDEX (CONCURRENTLY) ...: CONCURRENTLY in the parenthesized options arrived in 14, the
      // keyword after TABLE / INDEX in 12; the tree has the same DefElem for both, the tokens tell.
      if (target >= 12) {
        if (concurrentlyInOptions(ctx.text)) found.push({ feature: 'CONCURRENTLY among REINDEX\'s parenthesized options', since: 14, help: 'Write CONCURRENTLY after the object type: REINDEX INDEX CONCURRENTLY name (PostgreSQL 12+).' });
        return found;
      }
      return [...found, {
        feature: 'REINDEX ... CONCURRENTLY',
        since: 12,
        // Without CONCURRENTLY it runs, but blocks writes for the whole rebuild (MG203).
        help: 'Plain REINDEX is no fix: it blocks writes for the whole rebuild (MG203). CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, rename the copy; for a UNIQUE or PRIMARY KEY index, swap the copy in with ALTER TABLE ... DROP CONSTRAINT ..., ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX <the copy>.',
      }];
    }
    case 'MergeStmt': {
      if (target < 15) {
        return [{ feature: 'MERGE', since: 15, help: 'Use INSERT ... ON CONFLICT (...) DO UPDATE (with a unique index on the matched columns), or UPDATE ... FROM for the matched rows and INSERT ... SELECT ... WHERE NOT EXISTS for the others (DELETE ... USING for WHEN MATCHED THEN DELETE).' }];
      }
      const found: Use[] = [];
      if (body.returningClause || body.returningList?.length) {
        found.push({ feature: 'MERGE ... RETURNING', since: 17, help: 'Leave out RETURNING and read the rows back with a SELECT after the MERGE, or use INSERT ... ON CONFLICT ... RETURNING.' });
      }
      if ((body.mergeWhenClauses ?? []).some((w: { MergeWhenClause?: { matchKind?: string } }) => w.MergeWhenClause?.matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE')) {
        found.push({ feature: 'MERGE ... WHEN NOT MATCHED BY SOURCE', since: 17, help: 'Leave that clause out and act on the target rows the source lacks with a statement of its own: DELETE FROM target t WHERE NOT EXISTS (SELECT 1 FROM source s WHERE <the join condition>) (or an UPDATE with the same WHERE).' });
      }
      return [...found, ...jsonUses(body, target, ctx.text)];
    }
    case 'CallStmt':
      return [{ feature: 'procedures (CALL)', since: 11, help: procedureHelp }];
    case 'CreateFunctionStmt': {
      const found: Use[] = [];
      if (body.is_procedure) found.push({ feature: 'procedures (CREATE PROCEDURE)', since: 11, help: procedureHelp });
      if (body.sql_body) {
        found.push({ feature: 'SQL-standard function bodies (RETURN ..., BEGIN ATOMIC ... END)', since: 14, help: 'Write the body as a string: LANGUAGE sql AS $$ SELECT ... $$ (it is then checked when it runs, not when it is created).' });
      }
      return [...found, ...jsonUses(body.sql_body, target, ctx.text)];
    }
    case 'DropStmt':
      return body.removeType === 'OBJECT_PROCEDURE' ? [{ feature: 'procedures (DROP PROCEDURE)', since: 11, help: 'Before PostgreSQL 11 there are no procedures to drop: a function is dropped with DROP FUNCTION.' }] : [];
    case 'CreateTrigStmt':
      return body.replace
        ? [{ feature: 'CREATE OR REPLACE TRIGGER', since: 14, help: `Drop it and create it again in one transaction: DROP TRIGGER IF EXISTS ${quoteIdent(String(body.trigname))} ON ${quoteName(relationName(body.relation))}; CREATE TRIGGER ... (DROP TRIGGER takes an ACCESS EXCLUSIVE lock on the table: set lock_timeout first).` }]
        : [];
    default:
      return jsonUses(body, target, ctx.text);
  }
}

/** Whether CONCURRENTLY is among REINDEX's parenthesized options: REINDEX (VERBOSE, CONCURRENTLY) ... */
function concurrentlyInOptions(text: string): boolean {
  const tokens = scanSql(text);
  if (tokens[0]?.keyword !== 'REINDEX' || tokens[1]?.text !== '(') return false;
  for (const t of tokens.slice(2)) {
    if (t.text === ')') return false;
    if (t.keyword === 'CONCURRENTLY') return true;
  }
  return false;
}

const partitionedIndexHelp = 'Create the index on each partition instead (CREATE INDEX CONCURRENTLY ... ON <partition> (...)): PostgreSQL 10 has no index on the partitioned table itself, and each new partition needs its own.';

const procedureHelp = 'Write a function instead (CREATE FUNCTION ... RETURNS void) and run it with SELECT; a function cannot COMMIT, so a procedure that commits between batches becomes one statement per batch.';

export const newerThanTarget: StatementRule = {
  code: 'MG239',
  name: 'newer-than-target',
  summary: 'SQL newer than the target PostgreSQL (MERGE before 15, a virtual generated column before 18, REINDEX CONCURRENTLY before 12, ...): migc\'s PostgreSQL 18 parser reads it, the older server refuses it.',
  severity: 'error',
  check(ctx, report) {
    if (ctx.postgres >= 18) return;
    const seen = new Set<string>();
    for (const use of uses(ctx)) {
      const key = `${use.feature} ${use.subcommand ?? ''}`;
      if (use.since <= ctx.postgres || seen.has(key)) continue;
      seen.add(key);
      // Against migc's default version, the server's may well be newer: a warning that asks for it.
      report({
        // Against a version named, a refusal; against migc's default, the server may be newer.
        ...(ctx.postgresAssumed ? { severity: 'warning' as const, refused: 'possible' as const } : { refused: 'certain' as const }),
        message: ctx.postgresAssumed
          ? `PostgreSQL ${ctx.postgres} (migc's default: nothing names the server's version) refuses this: ${use.feature} arrived in PostgreSQL ${use.since}`
          : `PostgreSQL ${ctx.postgres} refuses this: ${use.feature} arrived in PostgreSQL ${use.since}`,
        help: ctx.postgresAssumed
          ? `Name the version the server runs (--postgres N or the config's postgres for migc lint, engine: postgresql@N in a plan): from ${use.since} this is fine. On an older server: ${use.help}`
          : `${use.help} If the server runs PostgreSQL ${use.since}+, name it instead (engine: postgresql@${use.since}, --postgres ${use.since}).`,
        ...(use.subcommand === undefined ? {} : { subcommand: use.subcommand }),
      });
    }
  },
};
