import { alterTableCommands, dropsScratchTable, isCatalogTable, isConstantValue, node, ownColumnOf, ownTableNames, relationName } from './ast.js';
import type { PgNode } from '../../sql/parser.js';
import { destructionLabel, replacesView } from '../rules/destructive-outside-contract.js';
import type { StatementContext, StatementRule } from '../sql/context.js';
import { tableKey } from '../sql/schema-state.js';
import { viewsOf } from '../compat/views.js';
import { quoteColumn, quoteIdent, quoteName } from '../../sql/quote.js';
import type { Destruction } from '../../sql/facts.js';
import { andList, andListAtMost } from './statement-locks.js';
import { constantsSet, constantUpdateSaid } from './constant-updates.js';
import { deparsed } from '../../sql/deparse.js';
import { someNode } from '../../sql/walk.js';

/** MG214's record of the UPDATEs that set constants on every row (constantUpdateSaid). */
const constantUpdates = new WeakMap<object, Map<string, string>>();

/**
 * Statements that lose data or break running code. In a plan they belong in a contract phase
 * (MG102 stops them elsewhere), so there they are noted as info; in a plain SQL file, a warning.
 */
export const destructive: StatementRule = {
  code: 'MG214',
  name: 'destructive',
  summary: 'DROP TABLE, DROP VIEW, DROP COLUMN, TRUNCATE, and DELETE or UPDATE without WHERE lose data or break running code (DROP NOT NULL, which lets NULLs in, is a note).',
  severity: 'warning',
  check(ctx, report) {
    // A plan's rollbacks are judged against their steps by the plan rules (MG104, MG129). A lint
    // rollback (a down file or part) may drop and empty what its up made; what it loses beyond
    // that was there before the up, and is lost all the same.
    if (ctx.inRollback && ctx.mode !== 'lint') return;
    const rollback = ctx.inRollback;
    // A rollback whose up lint did not see (a down file alone) has nothing to be judged against.
    if (rollback && !ctx.madeByUp) return;
    // A scratch table dropped before the session makes it TEMPORARY: nothing stored is there.
    if (dropsScratchTable(ctx)) return;
    const found: string[] = [];
    /** Columns dropped whose every value another column holds (ColumnState.copyOf). */
    const copied: string[] = [];
    /** Only views and materialized views are dropped (no CASCADE of tables): no stored data is lost. */
    let onlyViews = true;
    let materialized = false;
    let plain = false;
    // By what is done to them, in the order first met: "drops views a, b and c", not "drops view a and drops view b and ...".
    const lost = new Map<string, { d: Destruction; names: string[] }>();
    /** How many of them a rollback empties that its up emptied too (emptiedByTheUp): only what was written since the up is lost. */
    let sinceTheUp = 0;
    let lostCount = 0;
    /** A table emptied and filled again from a copy of itself (below): the note's help says why nothing is lost. */
    let refills = false;
    /** Tables a DROP TABLE IF EXISTS names that no file linted made, in files that make theirs (below). */
    const hedged: string[] = [];
    /** Schemas a DROP SCHEMA IF EXISTS names that no file linted made, in files that make their tables (below). */
    const hedgedSchemas: string[] = [];
    /** Views dropped in a body with dynamic SQL after, which may create them again (below). */
    const maybeRemade: string[] = [];
    for (const d of ctx.facts.destructive) {
      if (d.kind.startsWith('rename') || replacesView(d, ctx.later)) continue;
      // ALTER TYPE ... DROP ATTRIBUTE of a composite type: what is lost is that field of the
      // values stored in table columns of the type (PostgreSQL drops it from every stored value,
      // without a word); of a type the files made that no column uses (a function's return type:
      // swh's directory_entry, the thirty-second trial's B), nothing.
      if (d.kind === 'drop-column' && node(ctx.ast)[1].objtype === 'OBJECT_TYPE') {
        const dot = d.target.lastIndexOf('.');
        const type = tableKey(d.target.slice(0, dot));
        const users = ctx.state.columnsOfType(type).filter(({ table, column }) => !ctx.state.isNew(table) && !ctx.state.isNewColumn(table, column));
        if (users.length > 0) found.push(`drops attribute ${quoteIdent(d.target.slice(dot + 1))} of type ${quoteName(type)}, and with it that field of every value stored in ${users.length === 1 ? 'column' : 'columns'} ${andListAtMost(users.map(({ table, column }) => quoteColumn(table, column)), 6)}`);
        else if (!ctx.state.types.has(type)) found.push(`drops attribute ${quoteIdent(d.target.slice(dot + 1))} of type ${quoteName(type)}, and with it that field of every value stored in a column of the type: no file linted made the type, so migc does not know which columns do`);
        continue;
      }
      // Without CASCADE PostgreSQL drops only an empty schema, and refuses one that holds anything:
      // nothing is lost (pg_search's DROP SCHEMA IF EXISTS paradedb_tmp, the twenty-eighth trial's F).
      if (d.kind === 'drop-schema' && node(ctx.ast)[1].behavior !== 'DROP_CASCADE') continue;
      if (rollback && madeByTheUp(ctx, d)) continue;
      // A rollback's drop of what is not there right after its up (a column its table never had,
      // a table no file made, where the files make theirs from the first): PostgreSQL refuses it,
      // and it loses nothing (the twenty-third trial's C: graph-node's downs name the wrong table
      // or schema).
      if (rollback && notThere(ctx, d)) continue;
      // A column whose every value an UPDATE copied into another one (SET copy = original) loses
      // nothing; code that still reads it fails all the same: a note (the fourteenth trial's convoy).
      const holder = d.kind === 'drop-column' ? copyHolderOf(ctx, d.target) : undefined;
      if (holder !== undefined) {
        // The copy taking the name back (RENAME COLUMN copy TO original, the usual swap): readers see no change.
        if (columnNamedAgainLater(ctx, d.target)) continue;
        // A plan's contract phase drops what its migrate phase copied: as designed, no note.
        const table = d.target.split('.').slice(0, -1).join('.');
        const through = ctx.state.table(table)?.columns.get(holder)?.copyThrough ? ' (through an expression that keeps every value apart)' : '';
        if (ctx.mode === 'lint') copied.push(`drops column ${quoteColumn(table, d.target.split('.').at(-1)!)}, whose every value an UPDATE copied into ${quoteIdent(holder)}${through}`);
        continue;
      }
      // A column whose every value an INSERT ... SELECT copied into another table (appflowy's
      // token counts moved to a table of their own, the twenty-fourth trial's A): a note too.
      const movedTo = d.kind === 'drop-column' ? columnCopiedOut(ctx, d.target) : undefined;
      if (movedTo !== undefined) {
        if (ctx.mode === 'lint') copied.push(`drops column ${quoteColumn(d.target.split('.').slice(0, -1).join('.'), d.target.split('.').at(-1)!)}, whose every value was copied into ${quoteName(movedTo)} first`);
        continue;
      }
      // A DROP TABLE IF EXISTS of a table no statement seen made or changed, in files that make
      // their tables from the start: on a database they made it is not there (the sixteenth,
      // eighteenth and nineteenth trials: WebAPI's laertes tables, made before its Flyway history);
      // in a rollback too (frontier's down drops a `metadata` table, which no file made: the
      // fortieth trial's E).
      if (d.kind === 'drop-table' && ctx.mode === 'lint' && node(ctx.ast)[1].missing_ok === true && ctx.state.table(d.target) === undefined && madeFromTheStart(ctx)) {
        hedged.push(quoteName(d.target));
        continue;
      }
      // So is a DROP SCHEMA IF EXISTS of a schema no file made and no table of theirs is in, in
      // an up or a rollback alike: graph-node drops `info` before it creates it, and its down
      // drops `meta`, which nothing made (the twenty-third trial's F).
      if (d.kind === 'drop-schema' && ctx.mode === 'lint' && node(ctx.ast)[1].missing_ok === true && !ctx.state.schemas.has(d.target) && !schemaHoldsTables(ctx, d.target) && madeFromTheStart(ctx)) {
        hedgedSchemas.push(quoteIdent(d.target));
        continue;
      }
      // What a table created in the same file or plan loses, nobody had ("public.t" is a table, "t.c" a column).
      const owner = d.kind === 'drop-column' ? d.target.split('.').slice(0, -1).join('.') : d.target;
      if (ctx.state.isNew(owner)) continue;
      // Nor one this transaction emptied (DELETE without WHERE, TRUNCATE): that statement was the
      // loss, and was told (Langfuse deletes every project membership, then drops its role column).
      if ((d.kind === 'drop-column' || d.kind === 'drop-table') && ctx.earlier.emptied(owner)) continue;
      // A table whose every row an INSERT ... SELECT copied into another (a table rebuilt: the
      // eighteenth trial's taproot-assets, graphile-worker's jobs) loses only the columns the copy
      // left out: with none, nothing (a note in lint, as for a column).
      const copy = d.kind === 'drop-table' ? rowsCopied(ctx, d.target) : undefined;
      if (copy && !copy.lost.length) {
        const anew = copy.renumbered.length ? ` (${copy.renumbered.length === 1 ? 'its column' : 'its columns'} ${andList(copy.renumbered.map(quoteIdent))} numbered anew by ${quoteName(copy.into)}'s own ${copy.renumbered.length === 1 ? 'sequence' : 'sequences'}: the old numbers are gone)` : '';
        if (ctx.mode === 'lint') copied.push(`drops table ${quoteName(d.target)}, whose every row was copied into ${quoteName(copy.into)} first${copy.distinct ? ' (one of each duplicate)' : ''}${anew}${copy.columnsUnseen ? unseenColumns : ''}`);
        continue;
      }
      // Emptied, and filled again later in the transaction from a copy of its every row taken
      // before (a dedupe through a temporary table: the nineteenth trial's WebAPI cc_cohort):
      // readers see it before or after, and nothing is lost (a DISTINCT copy keeps one of each
      // duplicate row).
      if ((d.kind === 'truncate' || d.kind === 'delete-all') && ctx.inTransaction) {
        const kept = rowsCopied(ctx, d.target);
        if (kept && !kept.lost.length && refilledFrom(ctx, d.target).some((f) => tableKey(f) === tableKey(kept.into))) {
          if (ctx.mode === 'lint') {
            copied.push(`${d.kind === 'truncate' ? 'empties' : 'deletes every row of'} ${quoteName(d.target)}, whose every row was copied into ${quoteName(kept.into)} first${kept.distinct ? ' (one of each duplicate)' : ''}${kept.columnsUnseen ? unseenColumns : ''} and is put back from it later in the transaction`);
            refills = true;
          }
          continue;
        }
      }
      if (d.kind === 'drop-view' && ctx.state.newViews.has(tableKey(d.target))) continue;
      // A view dropped in a body whose dynamic SQL after it migc cannot read: the EXECUTE may make
      // it again (marquez saves its definition, retypes a column it reads, and runs the definition
      // again: the twenty-fourth trial's G). A note; a view holds no data.
      if (d.kind === 'drop-view' && ctx.unreadSqlAfter) {
        maybeRemade.push(`${d.materialized ? 'materialized view' : 'view'} ${quoteName(d.target)}`);
        continue;
      }
      if (d.kind === 'drop-schema' && ctx.state.newSchemas.has(d.target)) continue;
      const cascaded = cascadedViews(ctx, d);
      if (d.kind !== 'drop-view') onlyViews = false;
      else if (d.materialized) materialized = true;
      else plain = true;
      // Said once, after the last table a TRUNCATE names.
      const truncated = ctx.facts.destructive.filter((x) => x.kind === 'truncate');
      const emptied = d === truncated.at(-1) ? cascadedTruncates(ctx) : [];
      const also = cascaded.length
        ? `, and with it (CASCADE) ${cascaded.length === 1 ? cascaded[0] : `${cascaded.slice(0, -1).join(', ')} and ${cascaded.at(-1)}`}, built on it`
        : emptied.length ? `, and with ${truncated.length > 1 ? 'them' : 'it'} (CASCADE) ${andList(emptied.map(quoteName))}, whose foreign keys reach ${truncated.length > 1 ? 'them' : 'it'}` : '';
      // Materialized views apart from views: they are named so.
      const doing = destructionLabel(d, pluralLabels);
      const names = lost.get(doing) ?? { d, names: [] };
      const copiedBut = copy ? ` (its rows were copied into ${quoteName(copy.into)} first, without ${copy.lost.length === 1 ? 'its column' : 'its columns'} ${andListAtMost(copy.lost.map(quoteIdent), 5)}, lost with it)` : '';
      // Emptied, then filled again from other tables later in the transaction (a data migration
      // run again: ListenBrainz's external_service_oauth from spotify_auth): what is lost is what
      // came from anywhere else, which the reviewer is to weigh.
      const from = d.kind === 'truncate' || d.kind === 'delete-all' ? refilledFrom(ctx, d.target) : [];
      const refilled = from.length ? ` (refilled from ${andListAtMost(from.map(quoteName), 3)} ${ctx.inTransaction ? 'later in the transaction' : `later in the ${ctx.mode === 'lint' ? 'file' : 'step'}, committed apart: empty until then`}: what was written to it otherwise is lost)` : '';
      const indexes = d.kind === 'drop-column' ? indexesGoneWith(ctx, d.target) : '';
      // Its values used first to compute another column of the row (shelf folds custom fields into
      // JSON, the thirty-second trial's D): where they went, and that what the expression leaves
      // out is lost; the reviewer weighs the expression.
      const derived = d.kind === 'drop-column' ? derivedInto(ctx, d.target) : '';
      // IF EXISTS of a table or schema no file made: what it drops is what an older install has
      // there, if anything (Evergreen's DROP SCHEMA IF EXISTS ... CASCADE before its CREATE
      // SCHEMA, the thirty-third trial's F).
      const ifThere = (d.kind === 'drop-schema' ? !ctx.state.schemas.has(d.target) : d.kind === 'drop-table' && ctx.state.table(d.target) === undefined) && node(ctx.ast)[1].missing_ok === true ? ' (if it exists: no file linted made it)' : '';
      names.names.push(`${quoteName(d.target)}${ifThere}${derived}${copiedBut}${refilled}${also}${indexes}`);
      lostCount++;
      if (rollback && emptiedByTheUp(ctx, d)) sinceTheUp++;
      lost.set(doing, names);
    }
    for (const [plural, { d, names }] of lost) found.push(`${names.length > 1 ? plural : destructionLabel(d)} ${listed(names)}`);
    // Dropping NOT NULL loses nothing, but code that reads the column may now meet NULL: not on a
    // table nobody uses yet, nor in a rollback (it undoes its up's SET NOT NULL, which the code before relied on not).
    const table = alterTableCommands(ctx.ast) ? relationName(node(ctx.ast)[1].relation) : undefined;
    const dropsNotNull = !rollback && table !== undefined && !ctx.state.isNew(table);
    for (const cmd of dropsNotNull ? alterTableCommands(ctx.ast)?.cmds ?? [] : []) {
      if (cmd.subtype === 'AT_DropNotNull') found.push(`drops NOT NULL on ${quoteColumn(table!, cmd.name)}`);
    }
    const change = ctx.facts.dataChange;
    // Filling columns added earlier in the same file or plan overwrites nothing: they held no value.
    // A rollback's UPDATE puts back what its up changed.
    // Nor does an UPDATE of a table this transaction emptied: it finds no row.
    // A table of one row (its size hint says so: a version counter, a settings row) is written whole by design: a note.
    const rows = change?.kind === 'update' ? ctx.rows(change.table) : undefined;
    // A table the files made and put one row in with INSERT ... VALUES, and nothing else (a version
    // stamp: tt-rss bumps ttrss_version in 140 of its 149 files, the twenty-first trial's A), set to
    // constants: its one row is meant to be overwritten.
    const seeded = change?.kind === 'update' && rows === undefined ? seededOneRow(ctx, change.table) : false;
    const oneRow = (rows !== undefined && rows <= 1) || seeded;
    // Every column it overwrites has its values kept in another (UPDATE t SET copy = original
    // before it): a note (the fifteenth trial's ChirpStack).
    let keptAside = false;
    /** The same constants set on the same columns of every row as a migration before did (a version bump): where it was told first. */
    let again: string | undefined;
    if (!rollback && change?.kind === 'update' && !change.hasWhere && !ctx.state.isNew(change.table) && !ctx.earlier.emptied(change.table) && overwrittenTargets(ctx, change.table).length > 0) {
      const kept = keptCopies(ctx, change.table);
      keptAside = kept !== undefined;
      again = ctx.mode === 'lint' ? constantUpdateSaid(ctx, change.table, constantUpdates) : undefined;
      found.push(`updates every row of ${quoteName(change.table)}${seeded ? ' (its one row, the only one the files put in it, set to constants)' : oneRow ? ` (${rows === 0 ? 'none, ' : 'one, '}its size hint says)` : ''}${overwritten(ctx, change.table)}${kept ?? ''}${again ? ` (to constants, as ${again} did: told there)` : ''}`);
    }
    // DELETE ... WHERE key <> 'current': every row but one (or a few), and every row where none has
    // that value (the twenty-second trial's G: tracetest deletes every data store but the default).
    // Only on a key (its primary key or a unique column; `id` where migc saw no key): on another
    // column (`type <> 'END_USER'`) it deletes a kind of rows, as `type = 'x'` does, which is no finding.
    const keeps = !rollback && change?.kind === 'delete' && change.hasWhere && !ctx.state.isNew(change.table) && !ctx.earlier.emptied(change.table) ? allButSome(ctx.ast) : undefined;
    const keys = change ? ctx.state.table(change.table)?.uniqueColumns : undefined;
    if (keeps && (keys?.size ? keys.has(keeps.column) : keeps.column === 'id')) {
      const one = keeps.values.length === 1;
      found.push(`deletes every row of ${quoteName(change!.table)} but the ${one ? 'one' : `${keeps.values.length}`} whose ${quoteIdent(keeps.column)} is ${one ? keeps.values[0] : `${keeps.values.slice(0, -1).join(', ')} or ${keeps.values.at(-1)}`} (every row, where there is none)`);
    }
    // A rollback's DELETE ... WHERE on a table its up neither made nor put rows in (INSERT, COPY):
    // the rows it deletes were written by others, since the up or before it. crates.io's down of
    // add_rate_limit_action deletes every rate limit of an action the up made possible, to put the
    // old key back (the twenty-fifth trial's M4). A DELETE of rows the up inserted is its undo.
    const takesBack = rollback && change?.kind === 'delete' && change.hasWhere && deletesOthersRows(ctx, change.table);
    if (takesBack) found.push(`deletes the rows of ${quoteName(change.table)} its WHERE matches`);
    // A DELETE of a live table's rows takes with it, through ON DELETE CASCADE, the rows of the
    // tables that reference them, which the statement does not name (readur deletes its failed
    // documents, and their ocr_queue, document_labels and processed_images rows go too: the
    // fortieth trial's A).
    const cascaded = !rollback && change?.kind === 'delete' && !ctx.state.isNew(change.table) && !ctx.earlier.emptied(change.table) ? cascadedTables(ctx, change.table) : [];
    if (cascaded.length) found.push(`deletes, through ON DELETE CASCADE, the rows of ${listed(cascaded.map((t) => quoteName(t)))} that reference the rows it deletes`);
    const onlyCopied = copied.length > 0 && found.length === 0;
    found.push(...copied);
    const hedgedAll = [...hedged, ...hedgedSchemas];
    const nouns = (names: readonly string[], noun: string) => (names.length === 0 ? [] : [`${noun}${names.length === 1 ? '' : 's'} ${listed(names)}`]);
    const ifThere = hedgedAll.length ? `drops ${[...nouns(hedged, 'table'), ...nouns(hedgedSchemas, 'schema')].join(' and ')} ${hedgedAll.length === 1 ? 'if it exists' : 'where they exist'}: no file linted made ${hedgedAll.length === 1 ? 'it' : 'them'}, and the files make their tables from the first, so a database they made has ${hedgedAll.length === 1 ? 'none' : 'none of them'}` : undefined;
    if (!found.length && ifThere) {
      report({
        severity: 'info',
        message: `this statement ${ifThere}; where one was made otherwise (before the history began, or by hand), what it holds is lost`,
        help: 'Nothing to do on databases the migrations made. Where the table may exist from an older install, make sure nothing reads it and a backup exists.',
      });
      return;
    }
    if (ifThere) found.push(ifThere);
    found.push(...typeCascades(ctx, rollback));
    if (!found.length && maybeRemade.length) {
      report({
        severity: 'info',
        message: `this statement drops ${andList(maybeRemade)}, and the block runs SQL after it that migc cannot read (an EXECUTE of a string built as it runs), which may create ${maybeRemade.length === 1 ? 'it' : 'them'} again: no stored data is lost, and queries on ${maybeRemade.length === 1 ? 'it' : 'them'} fail until then`,
        help: 'Nothing to do if the EXECUTE creates it again in the same transaction: readers see it before or after. If not, make sure nothing running still reads it.',
      });
      return;
    }
    if (maybeRemade.length) found.push(`drops ${andList(maybeRemade)}`);
    if (!found.length) return;
    if (ctx.mode === 'plan' && ctx.phase !== 'contract') {
      // MG102 reports drops, truncates and unfiltered deletes outside contract as errors, and
      // dropping NOT NULL is how an expand phase relaxes a column for the new code.
      const rest = found.filter((f) => f.startsWith('updates every row'));
      if (!rest.length) return;
      found.splice(0, found.length, ...rest);
    }
    const onlyUpdates = found.every((f) => f.startsWith('updates every row'));
    if (onlyCopied && ctx.mode === 'lint') {
      report({
        severity: 'info',
        message: `this statement ${found.join(' and ')}: ${copied.some((c) => c.includes(unseenColumns)) ? 'no data migc knows of is lost' : 'no data is lost'}`,
        help: refills && copied.length === 1 ? 'Nothing to do: the transaction commits whole, so readers see the table as it was or as it is after.' : `Code that still reads or writes the dropped ${copied.some((c) => c.startsWith('drops table')) ? (copied.every((c) => c.startsWith('drops table')) ? 'table' : 'table or column') : 'column'} fails once it is gone: make sure every version that is live uses the new one first.`,
      });
      return;
    }
    const onlyNotNull = found.every((f) => f.startsWith('drops NOT NULL'));
    // Views alone (no stored rows) while the application is stopped: no query of its runs until it
    // starts, by when an upgrade makes them again (iDempiere's -pre file drops the views its
    // -post file makes: 9 false warnings, the thirty-third trial's B). A note.
    const viewsWhileStopped = ctx.appStopped === true && onlyViews && lost.size > 0 && found.length === lost.size;
    report({
      // Dropping NOT NULL alone loses nothing and breaks no query: a note, as a plan's expand phase
      // takes it without a word (the fourteenth trial judged its 12 warnings debatable).
      severity: (ctx.mode === 'plan' && ctx.phase === 'contract') || (onlyUpdates && (oneRow || keptAside || again !== undefined)) || onlyNotNull || viewsWhileStopped ? 'info' : this.severity,
      message: `this ${rollback ? 'rollback' : 'statement'} ${found.join(' and ')}${!rollback ? '' : takesBack && found.length === 1 ? ', and its up put no row there: the rows it deletes were written by others (since the up, or before it), and are lost' : sinceTheUp > 0 && sinceTheUp === lostCount && found.length === lost.size ? `, which its up emptied too: the rollback loses the rows written since the up` : ', which its up did not make: the rollback loses what was there before the up'}`,
      help: ctx.mode === 'lint'
        ? rollback
          ? takesBack && found.length === 1
            ? 'Where the old schema cannot hold these rows (a value or a key only the up allowed), map them to what it can hold with an UPDATE instead, or keep a copy before deleting them (CREATE TABLE ... AS SELECT the same rows), to put back once the up runs again.'
            : 'A rollback should undo only what its up did: drop what the up added, put back what it changed. Losing older data in a rollback is rarely meant; if it is, make sure a backup exists first.'
          : onlyUpdates && keptAside
          ? 'Nothing is lost: the copy holds the old values. Add a WHERE that skips the rows already changed (WHERE col IS DISTINCT FROM <new value>), so a re-run or a batch touches only what is left.'
          : onlyUpdates
          ? 'It overwrites the old value in every row: keep a copy to undo it (the old column, or a backup), and add a WHERE that skips the rows already changed (WHERE col IS DISTINCT FROM <new value>), so a re-run or a batch touches only what is left.'
          : onlyNotNull
          ? 'It loses no data, but code that reads the column may now meet NULL: make sure every version that is live handles NULL before anything writes one.'
          : cascaded.length && found.length === 1
          ? `The statement does not name them: count what the cascade takes before it runs, and keep a copy of the rows that must stay (CREATE TABLE ... AS SELECT the rows of ${quoteName(cascaded[0]!)} that reference the rows to delete), or delete them on purpose first.`
          : keeps && found.length === 1
          ? 'Make sure the rows it keeps are there first (where the value comes from a query that may find none, it deletes them all): check with SELECT count(*) before, or guard the DELETE with WHERE EXISTS (SELECT 1 FROM the table WHERE <the key> = <the value>); and keep a backup of the rows it deletes.'
          : viewsWhileStopped
          ? `No stored data is lost (${plain ? `a view holds no rows${materialized ? '; ' : ''}` : ''}${materialized ? 'a materialized view\'s rows come from its query again' : ''}), and with the application stopped no query of its fails meanwhile: make sure the upgrade makes it again before the application starts, or that the version it starts no longer reads it.`
          : onlyViews && lost.size > 0 && found.length === lost.size
          // A view holds no rows, and a materialized view's come from its query again: no backup to keep.
          ? `No stored data is lost (${plain ? `a view holds no rows${materialized ? '; ' : ''}` : ''}${materialized ? 'a materialized view\'s rows come from its query again' : ''}), but every query on it fails: make sure nothing running still reads it, and that this runs after the code that stopped using it is deployed.`
          : 'Make sure nothing running still reads it, that a backup exists, and that this runs after the code that stopped using it is deployed.'
        : ctx.phase === 'contract'
          ? 'Expected in a contract phase gated on verified migration; make sure the backup and its restore are in the plan.'
          // Outside contract only an UPDATE without WHERE is left: it overwrites every row's old value.
          : 'It overwrites the old value in every row: make sure the rollback can restore it (keep a copy of the column, or a backup in pre_migration), and add a WHERE that skips the rows already changed (WHERE col IS DISTINCT FROM <new value>), so a re-run or a batch touches only what is left.',
    });
  },
};

/**
 * The views a DROP ... CASCADE (of a table, a view or a column) drops along with its target, as
 * the views the statements seen created tell: those that read it, and the views on them. Views
 * new in this file or plan are left out (nothing reads them yet), and so are relations the
 * statement drops by name.
 */
function cascadedViews(ctx: StatementContext, d: { readonly kind: string; readonly target: string }): string[] {
  if (viewsOf(ctx.state).empty) return [];
  const [kind, body] = node(ctx.ast);
  let dependents;
  if (d.kind === 'drop-column') {
    const cmd = alterTableCommands(ctx.ast)?.cmds.find((c) => c.subtype === 'AT_DropColumn' && `${relationName(body.relation)}.${c.name}` === d.target);
    if (cmd?.behavior !== 'DROP_CASCADE') return [];
    dependents = viewsOf(ctx.state).dependentsOf(relationName(body.relation), cmd.name);
  } else if ((d.kind === 'drop-table' || d.kind === 'drop-view') && kind === 'DropStmt' && body.behavior === 'DROP_CASCADE') {
    dependents = viewsOf(ctx.state).dependentsOf(d.target);
  } else {
    return [];
  }
  const named = new Set(ctx.facts.destructive.map((x) => tableKey(x.target)));
  return dependents.filter((v) => !named.has(v.name) && !ctx.state.newViews.has(v.name)).map((v) => `${v.materialized ? 'materialized view' : 'view'} ${quoteName(v.name)}`);
}

/**
 * The tables a TRUNCATE ... CASCADE empties besides those it names: every table whose foreign
 * key references one it empties, at any depth (the tables it locks, src/sql/locks.ts). New tables
 * hold nothing to lose.
 */
function cascadedTruncates(ctx: StatementContext): string[] {
  const [kind, body] = node(ctx.ast);
  if (kind !== 'TruncateStmt' || body.behavior !== 'DROP_CASCADE') return [];
  const named = new Set(ctx.facts.destructive.map((x) => tableKey(x.target)));
  return ctx.locks.filter((l) => !named.has(tableKey(l.table)) && !ctx.state.isNew(l.table)).map((l) => l.table);
}

/**
 * DROP TYPE (or DOMAIN) ... CASCADE: PostgreSQL drops with the type every column of it (and
 * arrays of it), and the indexes, views and functions that use it, with only a NOTICE (checked on
 * PostgreSQL 15: "drop cascades to column tag of table docs"). The columns the files made are
 * named; of a type no file made (an extension's own, made by its install script: pg_search drops
 * its tokenizer types so, the twenty-seventh trial's M1), CASCADE alone says so, and what it takes
 * is not known, unless the statement says IF EXISTS in files that make their tables from the first
 * (a database they made has none). A type the files made with no column known to use it takes
 * nothing migc knows of.
 */
function typeCascades(ctx: StatementContext, rollback: boolean): string[] {
  const [kind, body] = node(ctx.ast);
  if (kind !== 'DropStmt' || body.behavior !== 'DROP_CASCADE' || (body.removeType !== 'OBJECT_TYPE' && body.removeType !== 'OBJECT_DOMAIN')) return [];
  const what = body.removeType === 'OBJECT_TYPE' ? 'type' : 'domain';
  const found: string[] = [];
  for (const o of body.objects ?? []) {
    const type = tableKey(((o.TypeName?.names ?? []) as { String?: { sval?: string } }[]).map((n) => n.String?.sval).join('.'));
    const made = ctx.madeByUp;
    const columns = ctx.state.columnsOfType(type).filter(({ table, column }) => !ctx.state.isNew(table) && !ctx.state.isNewColumn(table, column)
      && !(rollback && made && (made.tables.has(ctx.state.originalName(table)) || made.columns.has(`${ctx.state.originalName(table)}.${column}`))));
    if (columns.length) {
      found.push(`drops ${what} ${quoteName(type)}, and with it (CASCADE) ${columns.length === 1 ? 'column' : 'columns'} ${andListAtMost(columns.map(({ table, column }) => quoteColumn(table, column)), 6)} of that ${what}, with what they hold`);
    } else if (!rollback && !ctx.state.types.has(type) && ctx.mode === 'lint' && !(body.missing_ok === true && madeFromTheStart(ctx))) {
      // (DROP TYPE IF EXISTS of a type no file made, in files that make their tables from the
      // first, drops nothing on a database they made: sirimbo's idempotent graphile migrations
      // drop and make their types so, as they do tables.)
      found.push(`drops ${what} ${quoteName(type)} with CASCADE, which drops with it every column of that ${what} and every index, view and function that uses it, with only a NOTICE: no file linted made the ${what}, so migc does not know what uses it`);
    }
  }
  return found;
}

/** Where an UPDATE of this migration put a dropped column's every value through an expression (ColumnState.derivedFrom), as the message says it. */
function derivedInto(ctx: StatementContext, target: string): string {
  const dot = target.lastIndexOf('.');
  const table = target.slice(0, dot);
  const dropped = new Set(ctx.facts.destructive.filter((x) => x.kind === 'drop-column').map((x) => x.target.slice(x.target.lastIndexOf('.') + 1)));
  const into = ctx.state.derivedHolders(table, target.slice(dot + 1)).filter((c) => !dropped.has(c));
  if (!into.length) return '';
  return ` (an UPDATE computed ${andList(into.map(quoteIdent))} from its every value first: what the expression leaves out of it is lost)`;
}

/**
 * The indexes the statements seen made on a table that a DROP COLUMN takes with the column (its
 * keys, an expression or a WHERE use it: PostgreSQL drops each, and the constraint that owns it),
 * said where the same migration does not make one of that name again: espresso's V36 dropped
 * header.root and added a generated column of that name, and its index was gone until V301 (the
 * thirty-first trial's D). Indexes this migration made are left out.
 */
function indexesGoneWith(ctx: StatementContext, target: string): string {
  const dot = target.lastIndexOf('.');
  const table = target.slice(0, dot);
  const column = target.slice(dot + 1);
  const involved = ctx.state.indexesInvolving(table, column).filter((i) => !ctx.state.newIndexes.has(i.slice(i.lastIndexOf('.') + 1)));
  if (!involved.length) return '';
  const madeAgain = new Set<string>();
  for (const ast of ctx.later()) {
    const [kind, body] = node(ast);
    if (kind === 'IndexStmt' && body.idxname) madeAgain.add(body.idxname);
    if (kind === 'AlterTableStmt') for (const c of body.cmds ?? []) if (c.AlterTableCmd?.def?.Constraint?.conname) madeAgain.add(c.AlterTableCmd.def.Constraint.conname);
  }
  const gone = involved.map((i) => i.slice(i.lastIndexOf('.') + 1)).filter((i) => !madeAgain.has(i));
  if (!gone.length) return '';
  // A column of that name added again (later in the statement, or the migration) has none of them.
  const [, body] = node(ctx.ast);
  const addedAgain = (body.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string } } } }) => c.AlterTableCmd?.subtype === 'AT_AddColumn' && c.AlterTableCmd.def?.ColumnDef?.colname === column)
    || ctx.later().some((ast) => { const [k, b] = node(ast); return k === 'AlterTableStmt' && tableKey(relationName(b.relation)) === tableKey(table) && (b.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string } } } }) => c.AlterTableCmd?.subtype === 'AT_AddColumn' && c.AlterTableCmd.def?.ColumnDef?.colname === column); });
  return ` (and with it ${gone.length === 1 ? 'index' : 'indexes'} ${andListAtMost(gone.map(quoteIdent), 5)}${addedAgain ? `, which the column added again under its name does not have: make ${gone.length === 1 ? 'it' : 'them'} again` : ''})`;
}

/**
 * Whether a rollback's DELETE ... WHERE on a table deletes rows others wrote: its up neither made
 * the table nor put rows in it (INSERT, COPY ... FROM), nor did the rollback before it, and the
 * transaction did not empty it (StatementContext.madeByUp).
 */
function deletesOthersRows(ctx: StatementContext, table: string): boolean {
  const made = ctx.madeByUp;
  // A system catalog's rows are not data (citus's downgrades delete from pg_depend: MG242 judges that).
  if (!made || isCatalogTable(table) || ctx.state.isNew(table) || ctx.earlier.emptied(table)) return false;
  const key = ctx.state.originalName(table);
  return !made.tables.has(key) && !made.written.has(key) && !ctx.state.rowsWritten.has(tableKey(table));
}

/**
 * Whether a rollback empties a table its up emptied and left so (no INSERT or COPY after): what was
 * there before the up is gone already, and what it loses is what was written since (openmeter's
 * plan_phases, deleted by its up and its down alike).
 */
function emptiedByTheUp(ctx: StatementContext, d: { readonly kind: string; readonly target: string }): boolean {
  const key = ctx.state.originalName(d.target);
  return (d.kind === 'truncate' || d.kind === 'delete-all') && ctx.madeByUp?.emptied.has(key) === true && !ctx.madeByUp.written.has(key);
}

/** Whether the migration a rollback undoes made what it drops or empties (StatementContext.madeByUp). */
function madeByTheUp(ctx: StatementContext, d: { readonly kind: string; readonly target: string }): boolean {
  const made = ctx.madeByUp;
  if (!made) return false;
  // Under the name it had when the rollback began: a rollback that renames the up's table (back
  // to a name of its own, to rebuild another under the old one) still drops the up's table.
  const key = ctx.state.originalName(d.target);
  switch (d.kind) {
    case 'drop-column': {
      const table = ctx.state.originalName(d.target.split('.').slice(0, -1).join('.'));
      return made.tables.has(table) || made.columns.has(`${table}.${d.target.split('.').at(-1)}`);
    }
    // A materialized view is kept as a table is (its rows).
    case 'drop-view':
    case 'drop-table':
      return made.tables.has(key) || made.views.has(key);
    // A table the up emptied and filled again (its contents replaced wholesale) held, when it
    // ended, only what the up put in it: emptying it again to put the old contents back loses
    // nothing from before the up (planx's update_blpu_codes; the thirtieth trial's B).
    case 'truncate':
    case 'delete-all':
      return made.tables.has(key) || made.views.has(key) || (made.emptied.has(key) && made.written.has(key));
    // Everything in a schema the up made was made after it, by the up.
    case 'drop-schema':
      return made.schemas.has(d.target);
    default:
      return false;
  }
}

/**
 * The columns an UPDATE overwrites, as the message names them (", overwriting status and tier"):
 * those it sets, but for columns added earlier in the same file or plan, which held no value, and
 * those it sets to their own value where they hold one (keepsOwnValue).
 */
function overwritten(ctx: StatementContext, table: string): string {
  const targets = [...new Set(overwrittenTargets(ctx, table))];
  if (!targets.length) return '';
  const names = targets.map(quoteIdent);
  const list = names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more columns` : andList(names);
  // Each set from its own old value (stacker.news's msats = msats * 1000: the thirty-eighth
  // trial's G): the old value may be computed back, or not (lower(email)); a second run rewrites
  // what the first wrote, which changes it again or not (replace(): the forty-second trial's C).
  const own = fromOwnValues(ctx, table);
  if (targets.every((t) => own.has(t))) return `, rewriting ${list} from ${names.length === 1 ? 'its own value' : 'their own values'}`;
  return `, overwriting ${list}`;
}

/** The columns an UPDATE sets to an expression of their own old value and constants alone (`c = c * 1000`, `c = lower(c)`). */
function fromOwnValues(ctx: StatementContext, table: string): Set<string> {
  const body = node(ctx.ast)[1];
  const names = ownTableNames(body.relation ?? {}, table);
  const found = new Set<string>();
  for (const t of (body.targetList ?? []) as { ResTarget?: { name?: string; val?: PgNode; indirection?: unknown[] } }[]) {
    const name = t.ResTarget?.name;
    const value = t.ResTarget?.val;
    if (name === undefined || value === undefined || t.ResTarget?.indirection?.length || body.fromClause?.length) continue;
    if (isConstantValue(value, (ref) => ownColumnOf(ref, names) === name) && someNode(value, (n) => n.ColumnRef !== undefined)) found.add(name);
  }
  return found;
}

/** The columns an UPDATE sets that may lose a value: not new in the file or plan, not kept where they hold one. */
function overwrittenTargets(ctx: StatementContext, table: string): string[] {
  const body = node(ctx.ast)[1];
  const targets: { ResTarget?: { name?: string; val?: PgNode; indirection?: unknown[] } }[] = body.targetList ?? [];
  // What a column of the updated table is written as: bare, or under its alias (or name).
  const names = ownTableNames(body.relation ?? {}, table);
  return targets.flatMap((t) => {
    const name = t.ResTarget?.name;
    if (name === undefined) return [];
    if (ctx.state.isNewColumn(table, name)) return [];
    return !t.ResTarget?.indirection?.length && keepsOwnValue(t.ResTarget?.val, name, names) ? [] : [name];
  });
}

/**
 * Whether the value set to `column` is its own wherever it holds one: the column itself,
 * COALESCE(column, ...), CASE WHEN column IS NULL THEN ... ELSE column END (or IS NOT NULL THEN
 * column ELSE ...). Such an UPDATE fills the NULLs and loses nothing (the twenty-sixth trial's B,
 * Arroyo's V13 fills pub_id so; checked on PostgreSQL 15: a row's value is kept, a NULL filled).
 */
function keepsOwnValue(value: PgNode | undefined, column: string, table: ReadonlySet<string>): boolean {
  const isSelf = (v: unknown): boolean => ownColumnOf(v, table) === column;
  const nullTest = (v: unknown): string | undefined => {
    const test = (v as { NullTest?: { arg?: unknown; nulltesttype?: string } } | undefined)?.NullTest;
    return test && isSelf(test.arg) ? test.nulltesttype : undefined;
  };
  if (value === undefined) return false;
  if (isSelf(value)) return true;
  const [kind, body] = node(value);
  if (kind === 'CoalesceExpr') return isSelf(body.args?.[0]);
  if (kind === 'CaseExpr' && !body.arg && body.args?.length === 1) {
    const when = body.args[0]?.CaseWhen;
    const test = nullTest(when?.expr);
    return (test === 'IS_NULL' && isSelf(body.defresult)) || (test === 'IS_NOT_NULL' && isSelf(when?.result));
  }
  return false;
}

/** Whether a later statement of the migration gives a column of the table the dropped one's name again (a RENAME COLUMN to it, an ADD COLUMN of it). */
function columnNamedAgainLater(ctx: StatementContext, target: string): boolean {
  const parts = target.split('.');
  const table = tableKey(parts.slice(0, -1).join('.'));
  const column = parts.at(-1)!;
  return ctx.later().some((ast) => {
    const [kind, body] = node(ast);
    if (kind === 'RenameStmt') return body.renameType === 'OBJECT_COLUMN' && body.newname === column && tableKey(relationName(body.relation)) === table;
    const alter = alterTableCommands(ast);
    return alter !== undefined && tableKey(alter.table) === table && alter.cmds.some((c) => c.subtype === 'AT_AddColumn' && c.def?.ColumnDef?.colname === column);
  });
}

/** The column of the table that holds a copy of every value of the dropped one (ColumnState.copyOf), if one does. */
function copyHolderOf(ctx: StatementContext, target: string): string | undefined {
  const parts = target.split('.');
  return ctx.state.copyHolder(parts.slice(0, -1).join('.'), parts.at(-1)!);
}

/**
 * " (its values kept in description)": where every column an UPDATE overwrites has its values
 * copied into another column (an UPDATE of every row before it, SET copy = original), or undefined.
 */
function keptCopies(ctx: StatementContext, table: string): string | undefined {
  const targets: { ResTarget?: { name?: string } }[] = node(ctx.ast)[1].targetList ?? [];
  const kept: string[] = [];
  for (const t of targets) {
    const name = t.ResTarget?.name;
    if (name === undefined || ctx.state.isNewColumn(table, name)) continue;
    const holder = ctx.state.copyHolder(table, name);
    if (holder === undefined) return undefined;
    kept.push(`${quoteIdent(name)}'s in ${quoteIdent(holder)}`);
  }
  if (kept.length === 1) return ` (the old values are kept in ${kept[0]!.slice(kept[0]!.indexOf(' in ') + 4)})`;
  return kept.length ? ` (the old values are kept: ${andList(kept)})` : undefined;
}

/** destructionLabels for more than one object. */
const pluralLabels: Readonly<Record<string, string>> = {
  'drop-table': 'drops tables', 'drop-view': 'drops views', 'drop-column': 'drops columns', 'drop-schema': 'drops schemas',
};

/** At most this many names are listed in a message; the rest are counted. */
const namesListed = 6;

/** "a, b and c"; past namesListed, "a, b, c, d, e, f and 18 more" (the statement itself lists them all). */
/**
 * Whether an UPDATE sets every column to a constant on a table whose rows are all known to be the
 * one an INSERT ... VALUES of the files put there (TableState.rowsInserted), with no statement migc
 * cannot read since it was made (columnsAllKnown).
 */
function seededOneRow(ctx: StatementContext, table: string): boolean {
  const t = ctx.state.table(table);
  if (t?.rowsInserted !== 1 || !ctx.state.columnsAllKnown(table)) return false;
  // The row is a stamp: every column it has set anew (a table of users seeded with an admin keeps
  // the warning for an UPDATE of one of its columns).
  const set = constantsSet(ctx.ast);
  return set !== undefined && [...t.columns.keys()].every((c) => set.includes(c));
}

/**
 * The column and values a DELETE's WHERE keeps, when it is only `c <> value` (or `!=`), or
 * `c NOT IN (values...)`, with constants: every other row goes.
 */
function allButSome(ast: PgNode): { column: string; values: string[] } | undefined {
  const [kind, body] = node(ast);
  const where = body.whereClause?.A_Expr;
  if (kind !== 'DeleteStmt' || !where || body.usingClause?.length) return undefined;
  const column: string | undefined = where.lexpr?.ColumnRef?.fields?.at(-1)?.String?.sval;
  const constant = (v: any): string | undefined => (isConstantValue(v) ? deparsed(v) : undefined);
  if (column === undefined) return undefined;
  if (where.kind === 'AEXPR_OP' && where.name?.[0]?.String?.sval === '<>') {
    const value = constant(where.rexpr);
    return value === undefined ? undefined : { column, values: [value] };
  }
  if (where.kind === 'AEXPR_IN' && where.name?.[0]?.String?.sval === '<>') {
    const values = (where.rexpr?.List?.items ?? []).map(constant);
    return values.length > 0 && values.length <= 10 && values.every((v: string | undefined) => v !== undefined) ? { column, values } : undefined;
  }
  return undefined;
}

/**
 * Whether what a DROP names is surely not there: a column of a table whose columns are all known
 * that it lacks, or (without IF EXISTS) a table no statement made, where the files make their
 * tables from the first and nothing they ran could have made it unseen.
 */
function notThere(ctx: StatementContext, d: Destruction): boolean {
  if (d.kind === 'drop-column') {
    const dot = d.target.lastIndexOf('.');
    const table = d.target.slice(0, dot);
    // A table no file made, in files that make theirs from the first (trieve's down drops a column
    // of `orgs`, its up added it to `organizations`: the twenty-fourth trial's C): PostgreSQL
    // refuses the ALTER TABLE (DROP COLUMN IF EXISTS is about the column, not the table), or
    // ALTER TABLE IF EXISTS skips it.
    if (ctx.state.table(table) === undefined) return ctx.state.opaqueCount === 0 && madeFromTheStart(ctx);
    return ctx.state.columnsAllKnown(table) && !ctx.state.table(table)!.columns.has(d.target.slice(dot + 1));
  }
  return d.kind === 'drop-table' && node(ctx.ast)[1].missing_ok !== true && ctx.state.table(d.target) === undefined && ctx.state.opaqueCount === 0 && madeFromTheStart(ctx);
}

/** Whether a table the statements seen know of is in the schema. */
function schemaHoldsTables(ctx: StatementContext, schema: string): boolean {
  for (const key of ctx.state.tables.keys()) if (key.startsWith(`${schema}.`)) return true;
  return false;
}

/** Whether the files linted make their tables from the start (SchemaState.tablesMadeFirst). */
function madeFromTheStart(ctx: StatementContext): boolean {
  return ctx.state.tablesMadeFirst === true;
}

/**
 * The tables whose rows a DELETE of `table` takes with it through ON DELETE CASCADE, at any depth
 * (the children's children), as the state knows their keys: not the table itself, nor a table new
 * in this migration (it holds no row yet).
 */
function cascadedTables(ctx: StatementContext, table: string): string[] {
  const seen = new Set([tableKey(table)]);
  const out: string[] = [];
  const queue = [table];
  while (queue.length) {
    for (const fk of ctx.state.foreignKeysAt(queue.shift()!, { end: 'referencing' })) {
      if (fk.onDelete !== 'c' || seen.has(tableKey(fk.table))) continue;
      seen.add(tableKey(fk.table));
      if (ctx.state.isNew(fk.table)) continue;
      out.push(fk.table);
      queue.push(fk.table);
    }
  }
  return out;
}

function listed(names: readonly string[]): string {
  return andListAtMost(names, namesListed);
}

/** Said of a copy made after a statement migc cannot read into (rowsCopied().columnsUnseen). */
const unseenColumns = ' (every column migc knows of: a statement before the copy that migc cannot read into, such as a call of a function that runs dynamic SQL, may have added another)';

/**
 * What an INSERT ... SELECT before the drop copied of a table's rows (TableState.rowsCopiedInto):
 * the table copied into, and the columns it left out (all the table's columns must be known for
 * none to be left out; otherwise the copy is not counted).
 */
function rowsCopied(ctx: StatementContext, table: string): { into: string; lost: string[]; renumbered: string[]; distinct?: boolean; columnsUnseen?: boolean } | undefined {
  const t = ctx.state.table(table);
  const copy = t?.rowsCopiedInto;
  // A statement migc cannot read into since the copy may have written to the table.
  // A copy of the rows where some columns hold a value (rowCopy().nonNull) is not one of every row.
  if (!t || !copy || copy.nonNull || t.partial || copy.opaqueCount !== ctx.state.opaqueCount) return undefined;
  // One before it (a function that runs dynamic SQL, called to make partitions: the twenty-second
  // trial's latitude) may have added a column migc does not know of: the copy is counted, and the
  // note says so.
  const columnsUnseen = !ctx.state.columnsAllKnown(table);
  // A rollback that rebuilds a table without the columns its up added loses nothing of what was there before.
  const original = ctx.state.originalName(table);
  const upMade = (c: string) => ctx.inRollback && ctx.madeByUp?.columns.has(`${original}.${c}`) === true;
  const left = [...t.columns.keys()].filter((c) => !copy.columns.includes(c) && !upMade(c));
  // A serial or identity column left out of the copy where the new table has one of its own, of
  // the same name, that no foreign key references: numbered anew, not lost (firefly rebuilds
  // messages_data with a fresh SERIAL seq: the twenty-ninth trial's D). The old numbers are gone.
  const into = ctx.state.table(copy.table);
  const referenced = new Set(ctx.state.foreignKeysAt(table).filter((fk) => tableKey(fk.references) === tableKey(table)).flatMap((fk) => (fk.refColumns.length ? fk.refColumns : ['*'])));
  const renumbered = left.filter((c) => t.columns.get(c)?.ownSequence && into?.columns.get(c)?.ownSequence && !referenced.has(c) && !referenced.has('*'));
  return { into: copy.table, lost: left.filter((c) => !renumbered.includes(c)), renumbered, ...(copy.distinct ? { distinct: true } : {}), ...(columnsUnseen ? { columnsUnseen: true } : {}) };
}

/**
 * The table an INSERT ... SELECT copied every value of a column into (TableState.rowsCopiedInto:
 * the column among those it took, and, where it took only the rows where some columns hold a
 * value, among those), with no statement migc cannot read into since; undefined otherwise.
 */
function columnCopiedOut(ctx: StatementContext, target: string): string | undefined {
  const parts = target.split('.');
  const column = parts.at(-1)!;
  const copy = ctx.state.table(parts.slice(0, -1).join('.'))?.rowsCopiedInto;
  if (!copy || copy.opaqueCount !== ctx.state.opaqueCount || !copy.columns.includes(column) || (copy.nonNull && !copy.nonNull.includes(column))) return undefined;
  return copy.table;
}

/**
 * The tables an INSERT ... SELECT later in the statement's transaction (or file part, when it runs
 * in none) fills the table from, up to a COMMIT: empty when none does.
 */
function refilledFrom(ctx: StatementContext, table: string): string[] {
  const key = tableKey(table);
  const from: string[] = [];
  for (const ast of ctx.later()) {
    const [kind, body] = node(ast);
    if (kind === 'TransactionStmt') break;
    if (kind !== 'InsertStmt' || tableKey(relationName(body.relation)) !== key) continue;
    const select = body.selectStmt?.SelectStmt;
    for (const item of select?.fromClause ?? []) if (item.RangeVar) from.push(relationName(item.RangeVar));
  }
  return [...new Set(from)];
}
