import type { Diagnostic, RelatedLocation, Severity, Span } from '../../diagnostics/diagnostic.js';
import type { PhaseKind, Plan, Statement, Step } from '../../normalize/model.js';
import { statementFacts } from '../../sql/facts.js';
import { combinedLocks, readRelations, type PredictedLock } from '../../sql/locks.js';
import { walkedTable } from '../../sql/batch.js';
import { parseSql, scanSql, type ParsedStatement, type PgNode } from '../../sql/parser.js';
import { doBlockBody, routineBody, type BodyStatement } from '../../sql/plpgsql.js';
import { rewriteReason } from '../sql-rules/add-column-rewrite.js';
import { addedConstraints, alterTableCommands, node, relationName } from '../sql-rules/ast.js';
import { statementRules } from '../sql-rules/index.js';
import { unknownTypes } from '../sql-rules/unknown-type.js';
import { tablesNamed, type PlanSettings } from '../settings.js';
import { transactionNesting, unterminatedTransaction } from '../sql-rules/transaction-nesting.js';
import { extensionScriptOf } from '../../extension-scripts.js';
import { EarlierStatements, rulesFor, takeAssumedLarge, type Effect, type StatementContext, type StatementFinding, type StatementRule, type ToolSends } from './context.js';
import { SchemaState, tableKey, type MadeObjects, type Routine } from './schema-state.js';
import { learnRoutines, routineCalls, routineLabel, type RoutineCall } from './routines.js';
import { runningLocks, skippedPart } from './skips.js';
import { callsUnknownFunction, stringConstants } from './inline-function.js';
import { defaultSearchPath, qualifyRelations, searchPathFrom, type SearchPath } from './search-path.js';
import { boundsLockWaits, isUtcZone, settingChanges } from './settings.js';
import { viewsOf } from '../compat/views.js';
import { droppedConstraints, indexesRebuiltInPlace } from './type-change.js';

/** What the report shows for one statement: its locks, what it does to the table, how long. */
export interface StatementAnalysis {
  readonly locks: readonly PredictedLock[];
  readonly effect: Effect;
  /** The table the effect applies to. */
  readonly table?: string;
  /** A rough duration from the table's size hint, in seconds; undefined without a hint. */
  readonly seconds?: number;
  /** PostgreSQL skips it whole (IF NOT EXISTS of what is there, IF EXISTS of what is gone): it takes its locks and does nothing. */
  readonly skipped?: true;
}

/** Seconds per row, roughly, on production hardware: only to size lock windows in the report. */
export const secondsPerRow: Record<Effect, number> = { catalog: 0, scan: 1e-6, 'index build': 3e-6, rewrite: 5e-6, 'row changes': 1e-5 };

/**
 * What a statement does to its table beyond taking the lock: the basis of the duration estimate.
 * `rows` counts what it writes when the statement says (INSERT ... VALUES); `reads` are the
 * tables whose rows it reads in full (CREATE TABLE AS, a materialized view): the largest of them
 * sizes it.
 */
export function statementEffect(ast: Statement['ast'], state: SchemaState, postgres: number, timeZoneUtc = false, searchPath?: SearchPath): { effect: Effect; table?: string; rows?: number; reads?: readonly string[] } {
  const [kind, body] = node(ast);
  const alter = alterTableCommands(ast);
  if (alter) {
    let effect: Effect = 'catalog';
    const worse = (e: Effect) => {
      const order: Effect[] = ['catalog', 'row changes', 'scan', 'index build', 'rewrite'];
      if (order.indexOf(e) > order.indexOf(effect)) effect = e;
    };
    for (const cmd of alter.cmds) {
      if (cmd.subtype === 'AT_AddColumn' && rewriteReason(cmd.def.ColumnDef, { postgres, state, ...(searchPath ? { searchPath } : {}) })) worse('rewrite');
      if (cmd.subtype === 'AT_AlterColumnType') {
        // A binary-compatible change (USING the column, or the column cast to the new type, is no
        // USING to PostgreSQL; between timestamp and timestamptz under UTC) rewrites no table; but
        // a new collation or operator class rebuilds the column's indexes, and any change those
        // with an expression or a WHERE (MG212).
        const inPlace = indexesRebuiltInPlace(cmd, alter.table, state, { postgres, timeZoneUtc, dropped: droppedConstraints(alter.cmds), ...(searchPath ? { path: searchPath } : {}) });
        if (!inPlace) worse('rewrite');
        else if (inPlace.rebuilt.length) worse('index build');
        // A valid CHECK on the column is validated again: a scan (MG212).
        else if (inPlace.rechecked.length) worse('scan');
      }
      if (cmd.subtype === 'AT_SetNotNull' && !(postgres >= 12 && state.hasValidatedNotNullCheck(alter.table, cmd.name))) worse('scan');
      if (cmd.subtype === 'AT_ValidateConstraint') worse('scan');
      if (cmd.subtype === 'AT_SetLogged' || cmd.subtype === 'AT_SetUnLogged') worse('rewrite');
    }
    // ADD CONSTRAINT and the constraints written inline in ADD COLUMN alike.
    for (const { constraint: c } of addedConstraints(ast, ['CONSTR_CHECK', 'CONSTR_FOREIGN', 'CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION'])) {
      if ((c.contype === 'CONSTR_CHECK' || c.contype === 'CONSTR_FOREIGN') && !c.skip_validation) worse('scan');
      if ((c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_EXCLUSION') && !c.indexname) worse('index build');
    }
    return { effect, table: alter.table };
  }
  if (kind === 'IndexStmt') return { effect: 'index build', table: relationName(body.relation) };
  if (kind === 'InsertStmt') {
    // INSERT ... VALUES writes its lists (DEFAULT VALUES, one row); an INSERT ... SELECT from one
    // table a row for each row it reads there: its size is the source's.
    const select = body.selectStmt?.SelectStmt;
    if (!select || select.valuesLists) return { effect: 'row changes', table: relationName(body.relation), rows: select?.valuesLists?.length ?? 1 };
    return { effect: 'row changes', table: relationName(walkedTable(ast) ?? body.relation) };
  }
  if (kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'MergeStmt') return { effect: 'row changes', table: relationName(body.relation) };
  // CREATE TABLE AS, SELECT ... INTO, CREATE MATERIALIZED VIEW and REFRESH run their query to the end
  // (WITH NO DATA does not): a scan of what it reads. A refresh reads what the view reads.
  if (kind === 'CreateTableAsStmt' && !body.into?.skipData) return scanOf(readRelations(body.query));
  if (kind === 'SelectStmt' && body.intoClause) return scanOf(readRelations({ SelectStmt: { ...body, intoClause: undefined } }));
  if (kind === 'RefreshMatViewStmt' && !body.skipData) {
    const view = relationName(body.relation);
    return scanOf(state.readsOfView(view) ?? [view]);
  }
  if (kind === 'ClusterStmt' && body.relation) return { effect: 'rewrite', table: relationName(body.relation) };
  if (kind === 'VacuumStmt' && (body.options ?? []).some((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'full') && body.rels?.length === 1) {
    return { effect: 'rewrite', table: relationName(body.rels[0].VacuumRelation.relation) };
  }
  return { effect: 'catalog' };
}

function scanOf(reads: readonly string[]): { effect: Effect; table?: string; reads?: readonly string[] } {
  return reads.length === 0 ? { effect: 'catalog' } : { effect: 'scan', table: reads[0]!, reads };
}

/** A plan is analysed with its settings (resolved once, read by everyone). */
export interface PlanAnalysisOptions {
  readonly settings: PlanSettings;
  readonly rules?: readonly StatementRule[];
}

export interface AnalysisOptions {
  readonly postgres: number;
  /** The version is migc's default: nothing (--postgres, the config, a plan's engine) names the server's. */
  readonly postgresAssumed?: boolean;
  /** The minor release of the target (14.3), when --postgres or the config names it (MG240). */
  readonly postgresMinor?: number;
  /** Rows per table given on the command line (--assume-rows), over the plan's hints. */
  readonly assumeRows?: ReadonlyMap<string, number>;
  readonly rules?: readonly StatementRule[];
}

interface Unit {
  readonly statement: Pick<Statement, 'ast' | 'text' | 'facts'> & { readonly span: Span };
  /** The span of an ALTER TABLE subcommand, when findings can point at it (lint). */
  readonly subcommandSpan?: (index: number) => Span | undefined;
  /** Where a part of the statement's text (string offsets into it) is in the file. */
  readonly locate?: (at: { readonly start: number; readonly end: number }) => Span;
  readonly inTransaction: boolean;
  /** One of a DO block's statements. */
  readonly inDoBlock?: boolean;
  /** In a loop of a DO block: it may run many times, in the block's one transaction. */
  readonly inLoop?: boolean;
  /** In a loop each pass of which commits (StatementContext.loopCommits). */
  readonly loopCommits?: boolean;
  /** Dynamic SQL migc cannot read follows it in its body (StatementContext.unreadSqlAfter). */
  readonly unreadSqlAfter?: boolean;
  /** In the body of this routine, run at a call (StatementContext.inFunction). */
  readonly inFunction?: string;
  /** The names its body gives values of its own (StatementContext.variables). */
  readonly variables?: ReadonlySet<string>;
  readonly transaction?: StatementContext['transaction'];
  readonly earlier: EarlierStatements;
  readonly later: () => readonly PgNode[];
}

/** Where a body's statement runs (a DO block's, a called routine's): lint's analyzeStatement. */
interface BodyContext {
  /** The statements before it in its transaction. */
  readonly earlier: EarlierStatements;
  /** Where its findings point beside it: the DO block, the call. */
  readonly related: RelatedLocation;
  /** In a branch, a loop or a handler, or in a routine called per row: it may not run. */
  readonly conditional: boolean;
  /** It may run many times in one transaction. */
  readonly inLoop: boolean;
  /** In a loop each pass of which commits (StatementContext.loopCommits). */
  readonly loopCommits?: boolean;
  /** Dynamic SQL migc cannot read follows it in its body, or the call it is run by in its caller's. */
  readonly unreadSqlAfter?: boolean;
  /**
   * In a branch that ends with RETURN (BodyStatement.exits): judged against what came before it,
   * but neither the schema state nor the statements after the branch see it.
   */
  readonly exits?: boolean;
  /** The block or call runs inside a transaction block. */
  readonly inTransactionBlock: boolean;
  /** The routine whose body it is in (routineLabel), when it is. */
  readonly inFunction?: string;
  /** The names its body gives values of its own (BodyStatement.variables). */
  readonly variables?: ReadonlySet<string>;
}

interface Judged {
  readonly rule: Pick<StatementRule, 'code'>;
  readonly span: Span;
  readonly message: string;
  readonly help: string;
  readonly severity: Severity;
  readonly standsAtEnd?: () => boolean;
  readonly related?: StatementFinding['related'];
  /** PostgreSQL refuses the statement (StatementFinding.refused). */
  readonly refused?: 'certain' | 'possible';
  readonly onStands?: () => void;
  /** It says the statement fails on rows the table may hold (StatementFinding.failsOnRows). */
  readonly failsOnRows?: 'may' | 'will';
  /** The tables its message took for large for want of a size (Diagnostic.assumedLarge). */
  readonly assumedLarge?: readonly string[];
}

/**
 * The findings that stand for a statement: a statement PostgreSQL refuses fails and does nothing
 * else, so when a finding says so (and is not accepted: `accepted` says whether a code is, by a
 * migc-ignore or an allowance), the findings about what it would do when it runs (its lock waits,
 * rewrites, scans, held locks) are noise beside it and are left out; every refusal is kept. The
 * statements after it are judged as before, on the schema state as it leaves it.
 */
function standingFor(judged: readonly Judged[], accepted: (code: string) => boolean): readonly Judged[] {
  return standing(judged.some((j) => j.refused === 'certain' && !accepted(j.rule.code)) ? judged.filter((j) => j.refused) : judged);
}

/** The findings that stand, told so (StatementFinding.onStands). */
function standing(judged: readonly Judged[]): readonly Judged[] {
  for (const j of judged) j.onStands?.();
  return judged;
}

/**
 * Findings that wait for the end of the run (StatementFinding.standsAtEnd), as diagnostics already
 * placed (a migc-ignore applied, or its MG035): the run keeps those that stand then.
 */
export interface PendingFinding {
  readonly diagnostics: readonly Diagnostic[];
  readonly stands: () => boolean;
}

/** The diagnostics of the pending findings that stand now, in the order they were found. */
export function standingFindings(pending: readonly PendingFinding[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of pending) if (p.stands()) for (const d of p.diagnostics) out.push(d);
  return out;
}

/**
 * The rules that still judge a statement PostgreSQL skips whole (IF [NOT] EXISTS, src/analyze/sql/skips.ts):
 * the lock it takes before it finds nothing to do (MG219 waits for it, MG217 holds it with
 * others), and refusals that come before the lookup (MG204: CONCURRENTLY in a transaction block;
 * MG233: CONCURRENTLY on a partitioned table; checked on PostgreSQL 15). The rest judge the work
 * it would do, which it does not.
 */
const judgedWhenSkipped = new Set(['MG204', 'MG217', 'MG219', 'MG233']);

/**
 * Judges a statement as PostgreSQL runs it given the schema state: what IF [NOT] EXISTS skips is
 * left out (src/analyze/sql/skips.ts). `runs`: the statement as it runs, undefined when it is
 * skipped whole; its locks are then only those taken before the skip.
 */
/** What judge() is given beside the statement: the same for many statements (a file's, a step's). */
type JudgeBase = { -readonly [K in keyof Omit<StatementContext, 'ast' | 'text' | 'facts' | 'locks' | 'inTransaction' | 'earlier' | 'later' | 'effect'>]: StatementContext[K] };

function judge(unit: Unit, base: Readonly<JudgeBase>, rules: readonly StatementRule[]): { judged: Judged[]; locks: PredictedLock[]; runs: PgNode | undefined } {
  const skipped = skippedPart(unit.statement.ast, base.state);
  const runs = skipped ? skipped.runs : unit.statement.ast;
  const locks = runningLocks(unit.statement.ast, base.state, skipped);
  const effect = runs ? statementEffect(runs, base.state, base.postgres, base.timeZoneUtc, base.searchPath) : { effect: 'catalog' as const };
  // What runs of an ALTER TABLE or a DROP in part; a statement skipped whole keeps its own (its command, for the messages).
  const ast = runs ?? unit.statement.ast;
  const facts = runs && skipped ? statementFacts(runs) : unit.statement.facts;
  // Every field in one literal, the optional ones undefined when absent: one object shape for
  // every statement, so that the rules' reads of ctx stay monomorphic (fields added one by one,
  // some statements' contexts with and some without, gave each combination its own shape).
  const ctx: StatementContext = {
    ast, text: unit.statement.text, facts, locks, effect,
    state: base.state, postgres: base.postgres, mode: base.mode, inRollback: base.inRollback, batched: base.batched,
    inTransaction: unit.inTransaction, earlier: unit.earlier, later: unit.later, lockTimeoutSet: base.lockTimeoutSet,
    // A table this transaction emptied (TRUNCATE, DELETE without WHERE), or found empty (ADD COLUMN
    // ... NOT NULL without a default succeeded), holds no row until one is written.
    rows: (table) => (unit.earlier.emptied(table) ? 0 : base.rows(table)),
    phase: base.phase,
    schemaKnown: base.schemaKnown ? true : undefined,
    transaction: unit.transaction,
    inDoBlock: unit.inDoBlock ? true : undefined,
    inLoop: unit.inLoop ? true : undefined,
    loopCommits: unit.loopCommits ? true : undefined,
    unreadSqlAfter: unit.unreadSqlAfter ? true : undefined,
    inFunction: unit.inFunction,
    variables: unit.variables,
    rollbackFile: base.rollbackFile ? true : undefined,
    madeByUp: base.madeByUp,
    timeZoneUtc: base.timeZoneUtc ? true : undefined,
    searchPath: base.searchPath && base.searchPath !== defaultSearchPath ? base.searchPath : undefined,
    postgresAssumed: base.postgresAssumed ? true : undefined,
    postgresMinor: base.postgresMinor,
    lineOf: base.lineOf,
    file: base.file,
    outsideTransaction: base.outsideTransaction,
    sentWhole: base.sentWhole,
    psqlNames: base.psqlNames,
    appStopped: base.appStopped,
  };
  const judged: Judged[] = [];
  let rule: StatementRule;
  const inExtensionScript = base.file !== undefined && extensionScriptOf(base.file) !== undefined;
  const report = (f: StatementFinding) => {
    const assumed = takeAssumedLarge();
    // A subcommand of what runs, as the statement numbers it.
    const subcommand = f.subcommand !== undefined && skipped?.kept ? skipped.kept[f.subcommand] : f.subcommand;
    const span = (f.at && unit.locate ? unit.locate(f.at) : undefined) ?? (subcommand !== undefined ? unit.subcommandSpan?.(subcommand) : undefined) ?? unit.statement.span;
    judged.push({
      rule, span, message: f.message, help: inExtensionScript && fixLeavesTransaction.has(rule.code) ? extensionScriptHelp(f.help) : f.help, severity: f.severity ?? rule.severity,
      ...(f.standsAtEnd ? { standsAtEnd: f.standsAtEnd } : {}), ...(f.related?.length ? { related: f.related } : {}), ...(f.refused ? { refused: f.refused } : {}), ...(f.onStands ? { onStands: f.onStands } : {}),
      ...(f.failsOnRows ? { failsOnRows: f.failsOnRows } : {}), ...(assumed.length ? { assumedLarge: assumed } : {}),
    });
  };
  for (rule of rulesFor(rules, node(ast)[0])) {
    if (!runs && !judgedWhenSkipped.has(rule.code)) continue;
    // What a rule sized without reporting is not a finding's.
    takeAssumedLarge();
    rule.check(ctx, report);
  }
  return { judged, locks, runs };
}

/**
 * The rules whose fix takes the statement out of the transaction it runs in (CONCURRENTLY, a
 * COMMIT between two steps, a backfill in batches committed apart): in an extension script the
 * fix cannot be made there.
 */
const fixLeavesTransaction: ReadonlySet<string> = new Set(['MG201', 'MG202', 'MG203', 'MG205', 'MG207', 'MG208', 'MG209', 'MG210', 'MG212', 'MG217', 'MG218', 'MG225', 'MG230']);

/**
 * A help for an extension script (src/extension-scripts.ts): PostgreSQL runs it inside CREATE
 * EXTENSION or ALTER EXTENSION UPDATE, one transaction, where it refuses CONCURRENTLY and
 * COMMIT; the fix is then a step of its own after the update, or the lock is accepted for a
 * table the extension keeps small (the thirteenth trial's TimescaleDB scripts).
 */
function extensionScriptHelp(help: string): string {
  return `An extension script runs inside CREATE EXTENSION or ALTER EXTENSION UPDATE, one transaction, where PostgreSQL refuses CONCURRENTLY and COMMIT: the fix cannot be made in the script. On a table that may be large, leave the change out of the script and have it run after the update, as: ${help} For a table the extension keeps small, give its size (--assume-rows): the finding becomes a note.`;
}

/**
 * What a DO block does, from what its statements do: their locks, one per table, the strongest;
 * the costliest effect (by time per row) and its table; the sum of their durations, unknown when
 * one is.
 */
function blockAnalysis(inner: readonly StatementAnalysis[]): StatementAnalysis {
  let main: StatementAnalysis | undefined;
  let seconds: number | undefined = 0;
  for (const a of inner) {
    if (!main || secondsPerRow[a.effect] > secondsPerRow[main.effect]) main = a;
    seconds = seconds === undefined || a.seconds === undefined ? undefined : seconds + a.seconds;
  }
  return {
    locks: combinedLocks(inner.flatMap((a) => a.locks)),
    effect: main?.effect ?? 'catalog',
    ...(main?.table ? { table: main.table } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
  };
}

/** The largest count, or undefined when one is unknown (a table without a size hint may be the largest). */
function largest(counts: readonly (number | undefined)[]): number | undefined {
  let max = 0;
  for (const c of counts) {
    if (c === undefined) return undefined;
    max = Math.max(max, c);
  }
  return max;
}

export interface PlanAnalysis {
  readonly diagnostics: Diagnostic[];
  readonly statements: ReadonlyMap<Statement, StatementAnalysis>;
}

/**
 * Every SQL statement of a plan, rollbacks included, against the hazard catalogue, in the
 * order and the transactions the emitted scripts run them. A step's own allowances
 * (allow: { CODE: reason }) turn its findings of that code into info, kept visible.
 */
export function analyzePlan(plan: Plan, options: PlanAnalysisOptions): PlanAnalysis {
  const rules = options.rules ?? statementRules;
  const postgres = options.settings.postgres.major;
  const state = new SchemaState();
  // What views depend on, for the rules that drop (the app-compatibility walk reports what views refuse, MG067).
  const views = viewsOf(state);
  /** Whether the state knows every object there is (StatementContext.schemaKnown): until a step creates an extension or runs a DO block. */
  let schemaKnown = false;
  if (plan.baseline) {
    const parsed = parseSql(plan.baseline.sql);
    if (parsed.ok) {
      schemaKnown = true;
      const learn = (ast: PgNode, text: string, inBody = false) => {
        // A baseline that uses a type it does not create is not the whole schema (nor loads on its own).
        if (schemaKnown && (opensSchema(ast) || unknownTypes(ast, state).length > 0)) schemaKnown = false;
        // What IF [NOT] EXISTS skips teaches the views nothing (the state leaves it out itself).
        const skipped = skippedPart(ast, state);
        const along = !skipped || skipped.runs ? (views.apply(skipped?.runs ?? ast, state, true), views.droppedAlong) : [];
        state.apply(ast, false, inBody ? { inBody } : undefined, along);
        if ('SelectStmt' in ast && callsUnknownFunction(ast, state)) {
          schemaKnown = false;
          state.noteOpaque();
        }
        learnRoutines(state, ast, text, defaultSearchPath);
        if (node(ast)[0] !== 'DoStmt') return;
        const block = blockStatements(ast, text, { start: 0, end: 0 });
        if (!block?.complete) {
          schemaKnown = false;
          state.noteOpaque();
        }
        for (const b of block?.statements ?? []) learn(b.ast, b.text, true);
      };
      for (const s of parsed.statements) learn(s.ast, s.text);
    }
  }
  const rows = options.settings.rows;
  const forward = { analyses: new Map<Statement, StatementAnalysis>(), diagnostics: [] as Diagnostic[] };
  const backward = { analyses: new Map<Statement, StatementAnalysis>(), diagnostics: [] as Diagnostic[] };
  /** Forward findings that wait for the end of the plan (StatementFinding.standsAtEnd). */
  const pending: PendingFinding[] = [];
  /** A step's statements (or its rollback's), in the transactions its script runs them in. */
  const judgeStatements = (step: Step, statements: readonly Statement[], into: typeof forward, base: { phase: PhaseKind; inRollback: boolean; batched: boolean }) => {
    // The script runs consecutive transactional statements in one transaction.
    let earlier = new EarlierStatements(state);
    // The session's TimeZone is UTC (MG212): set by the step, for the rest of it (SET), or of its
    // transaction (SET LOCAL). A step is not assumed to run in the session of the one before.
    let sessionUtc = false;
    let utc = false;
    /**
     * refusedByView: a view the statement would break refuses it (MG067, which the
     * app-compatibility walk reports, allow: or not): only its refusals stand beside that.
     */
    const report = (all: readonly Judged[], related: RelatedLocation | undefined, refusedByView: boolean) => {
      const allowed = (code: string) => options.settings.allowances.get(step)?.has(code) === true;
      const judged = refusedByView ? standing(all.filter((j) => j.refused)) : standingFor(all, allowed);
      for (const j of judged) {
        const reason = options.settings.allowances.get(step)?.get(j.rule.code);
        const near = [...(j.related ?? []).map((r) => ({ file: plan.file, ...r })), ...(related ? [related] : [])];
        const diagnostics = j.standsAtEnd ? [] : into.diagnostics;
        if (j.standsAtEnd) pending.push({ diagnostics, stands: j.standsAtEnd });
        diagnostics.push({
          code: j.rule.code, severity: reason !== undefined ? 'info' : j.severity, file: plan.file, span: j.span,
          message: reason !== undefined ? `allowed in step "${step.id}" (${reason}): ${j.message}` : j.message,
          ...(reason !== undefined ? { accepted: { reason } } : {}),
          help: j.help,
          ...(near.length ? { related: near } : {}),
        });
      }
    };
    /** What judge() weighs beside a statement of the step, as the step stands now. */
    const judgeBase = (): JudgeBase => ({ state, postgres, mode: 'plan', ...base, lockTimeoutSet: true, rows, schemaKnown, ...(utc ? { timeZoneUtc: true } : {}), ...(options.settings.postgres.assumed ? { postgresAssumed: true } : {}), ...(options.settings.postgres.minor !== undefined ? { postgresMinor: options.settings.postgres.minor } : {}) });
    /**
     * The statements of a DO block, judged as the step's are, inside the block's transaction
     * (the step's: a DO is transactional), and learnt from; later: what follows the block.
     */
    const judgeBlock = (s: Pick<Statement, 'ast' | 'text' | 'span' | 'fileOffset'>, later: () => readonly PgNode[], conditional: boolean, inLoop: boolean, inFunction: string | undefined): StatementAnalysis[] | undefined => {
      const block = blockStatements(s.ast, s.text, s.span, s.fileOffset);
      if (!block?.complete) {
        schemaKnown = false;
        state.noteOpaque();
      }
      if (!block) return undefined;
      // migc runs a step's statements in a transaction (MG021 for one the step writes itself).
      for (const end of block.transactionEnds) {
        const { message, help } = refusedTransactionEnd(end.command, 'in the step\'s transaction');
        into.diagnostics.push({ code: 'MG021', severity: 'error', file: plan.file, span: end.span, message, help: `${help} migc commits the step itself; batch: commits a backfill part by part.`, related: [inBlock(plan.file, s.span, conditional || end.conditional)] });
      }
      return judgeBody(block, (inside) => inBlock(plan.file, s.span, inside), later, { conditional, inLoop, inFunction });
    };
    /** The routines being judged at a call: a call of one of them (recursion) is not judged again. */
    const calling = new Set<Routine>();
    /** What the routines' bodies were found to do, reported once however often they are called (firstTime). */
    const bodyFindings = new Set<string>();
    /**
     * The calls a statement makes of routines the baseline or the plan created: each body's
     * statements judged at the call (in a plan the body is where the plan writes it; the
     * baseline's is placed at the call), as a DO block's.
     */
    const judgeCalls = (ast: PgNode, at: Span, later: () => readonly PgNode[], caller: { conditional: boolean; inLoop: boolean }): StatementAnalysis[] => {
      const inner: StatementAnalysis[] = [];
      for (const call of routineCalls(ast, state, defaultSearchPath)) {
        const { routine } = call;
        if (calling.has(routine)) continue;
        const block = blockStatements(routine.ast, routine.text, routine.source?.span ?? at, routine.source?.fileOffset);
        if (!block?.complete) {
          schemaKnown = false;
          state.noteOpaque();
        }
        if (!block) continue;
        const label = routineLabel(routine);
        calling.add(routine);
        try {
          inner.push(...judgeBody(block, (conditional) => atCall(plan.file, at, label, conditional), later, { conditional: caller.conditional || !call.once, inLoop: caller.inLoop || !call.once, inFunction: label }));
        } finally {
          calling.delete(routine);
        }
      }
      return inner;
    };
    /** A body's statements (a DO block's, a routine's at a call), judged and learnt in the step's transaction; what each does, nested ones too. */
    const judgeBody = (block: ReadBlock, related: (conditional: boolean) => RelatedLocation, later: () => readonly PgNode[], context: { conditional: boolean; inLoop: boolean; inFunction: string | undefined }): StatementAnalysis[] => {
      /** What each statement inside does, nested blocks' too: what the block as a whole does. */
      const inner: StatementAnalysis[] = [];
      const ordered = inOrder(block);
      for (const [k, { statement: b, perform }] of ordered.entries()) {
        const inside = context.conditional || b.conditional;
        const inLoop = context.inLoop || b.inLoop;
        if (b.afterTransactionEnd) earlier = new EarlierStatements(state);
        // What follows, its PERFORMs included (a PERFORM setval(...) moves a sequence: MG236).
        const rest = () => [...ordered.slice(k + 1).map((l) => l.statement.ast), ...later()];
        if (perform) {
          state.applyPerform(b.ast);
          inner.push(...judgeCalls(b.ast, b.span, rest, { conditional: inside, inLoop }));
          if (callsUnknownFunction(b.ast, state)) {
            schemaKnown = false;
            state.noteOpaque(stringConstants(b.ast));
          }
          continue;
        }
        const facts = statementFacts(b.ast);
        const locate = b.fileOffset && ((at: { start: number; end: number }) => ({ start: b.fileOffset!(at.start), end: b.fileOffset!(at.end) }));
        const unit: Unit = {
          statement: { ast: b.ast, text: b.text, facts, span: b.span }, inTransaction: true, inDoBlock: true, ...(inLoop ? { inLoop: true } : {}), ...(b.unreadSqlAfter ? { unreadSqlAfter: true } : {}), ...(b.variables ? { variables: b.variables } : {}), earlier, later: rest,
          ...(context.inFunction ? { inFunction: context.inFunction } : {}),
          subcommandSpan: b.subcommandSpan, ...(locate ? { locate } : {}),
        };
        const { judged, locks, runs } = judge(unit, judgeBase(), rules);
        const refusedByView = runs ? views.apply(runs, state, true).length > 0 : false;
        const along = runs ? views.droppedAlong : [];
        report(context.inFunction ? firstTime(bodyFindings, judged, b.text) : judged, related(inside), refusedByView);
        inner.push(analysisOf(runs, locks));
        const { effect } = inner[inner.length - 1]!;
        state.apply(b.ast, true, { inBody: true, ...(inLoop ? { inLoop: true } : {}) }, along);
        if ('SelectStmt' in b.ast && callsUnknownFunction(b.ast, state)) {
          schemaKnown = false;
          state.noteOpaque(stringConstants(b.ast));
        }
        learnRoutines(state, b.ast, b.text, defaultSearchPath, 'CreateFunctionStmt' in b.ast ? { file: plan.file, span: b.span, ...(b.fileOffset ? { fileOffset: b.fileOffset } : {}) } : undefined);
        if (opensSchema(b.ast)) schemaKnown = false;
        earlier.add({ ast: b.ast, facts, locks, span: b.span, effect, inBody: true });
        if (node(b.ast)[0] === 'DoStmt') inner.push(...judgeBlock(b, rest, inside, inLoop, context.inFunction) ?? []);
        inner.push(...judgeCalls(b.ast, b.span, rest, { conditional: inside, inLoop }));
      }
      return inner;
    };
    /** A statement's locks, effect and duration from the size hints, for the report. */
    const analysisOf = (runs: PgNode | undefined, locks: PredictedLock[]): StatementAnalysis => {
      // Skipped whole (IF [NOT] EXISTS): it takes its locks and does nothing.
      if (!runs) return { locks, effect: 'catalog', seconds: 0, skipped: true };
      const { effect, table, rows: written, reads } = statementEffect(runs, state, postgres, utc);
      const n = written ?? (reads ? largest(reads.map(rows)) : table ? rows(table) : undefined);
      // Catalog-only work takes no time worth counting, with or without a size hint.
      const seconds = effect === 'catalog' ? 0 : n !== undefined ? n * secondsPerRow[effect] : undefined;
      return { locks, effect, ...(table ? { table } : {}), ...(seconds !== undefined ? { seconds } : {}) };
    };
    for (const [i, s] of statements.entries()) {
      const inTransaction = s.facts.transactional;
      // Run outside the step's transaction: what SET LOCAL set ended with it.
      if (!inTransaction) utc = sessionUtc;
      const later = () => statements.slice(i + 1).map((l) => l.ast);
      const locate = s.fileOffset && ((at: { start: number; end: number }) => ({ start: s.fileOffset!(at.start), end: s.fileOffset!(at.end) }));
      const unit: Unit = { statement: s, inTransaction, earlier: inTransaction ? earlier : new EarlierStatements(state), later, ...(locate ? { locate } : {}) };
      const { judged, locks, runs } = judge(unit, judgeBase(), rules);
      const analysis = analysisOf(runs, locks);
      const { effect } = analysis;
      into.analyses.set(s, analysis);
      const refusedByView = runs ? views.apply(runs, state, true).length > 0 : false;
      const along = runs ? views.droppedAlong : [];
      report(judged, undefined, refusedByView);
      // A statement refused for certain drops nothing for sure (SchemaState.goneFor).
      const refused = refusedByView || judged.some((j) => j.refused === 'certain' && options.settings.allowances.get(step)?.has(j.rule.code) !== true);
      state.apply(s.ast, true, refused ? { refused } : undefined, along);
      // A function migc cannot follow may have changed any table (see analyzeFile).
      if ('SelectStmt' in s.ast && callsUnknownFunction(s.ast, state)) {
        schemaKnown = false;
        state.noteOpaque(stringConstants(s.ast));
      }
      learnRoutines(state, s.ast, s.text, defaultSearchPath, 'CreateFunctionStmt' in s.ast ? { file: plan.file, span: s.span, ...(s.fileOffset ? { fileOffset: s.fileOffset } : {}) } : undefined);
      if (opensSchema(s.ast)) schemaKnown = false;
      if (!inTransaction) earlier = new EarlierStatements(state);
      for (const change of settingChanges(s.ast)) {
        if (change.name !== undefined && change.name !== 'timezone') continue;
        if (!change.local) sessionUtc = isUtcZone(change.value);
        if (!change.local || inTransaction) utc = isUtcZone(change.value);
      }
      // A DO block locks and takes the time of the statements inside: the report shows them on it.
      // A DO block, and a call of a routine the plan created, lock and take the time of the
      // statements inside: the report shows them on it.
      const inner = node(s.ast)[0] === 'DoStmt' ? judgeBlock(s, later, false, false, undefined) : undefined;
      if (inner) into.analyses.set(s, blockAnalysis(inner));
      const called = judgeCalls(s.ast, s.span, later, { conditional: false, inLoop: false });
      if (called.length > 0) into.analyses.set(s, blockAnalysis([analysis, ...called]));
      if (inTransaction) earlier.add({ ast: s.ast, facts: s.facts, locks, span: s.span, effect });
    }
  };
  for (const phase of plan.phases) {
    for (const step of phase.steps) {
      if (step.action?.kind === 'sql') judgeStatements(step, step.action.statements, forward, { phase: phase.kind, inRollback: false, batched: step.batch !== undefined });
      // A rollback is judged against the schema as it is after its step, then its changes are undone.
      const rollback = step.rollback;
      if (rollback?.kind === 'sql') state.tentatively(() => views.tentatively(() => judgeStatements(step, rollback.statements, backward, { phase: phase.kind, inRollback: true, batched: rollback.batch !== undefined })));
    }
  }
  // The plan has run: what waited for its end is judged on the state it leaves.
  for (const d of standingFindings(pending)) forward.diagnostics.push(d);
  // Forward statements first, then rollbacks: the order the analysis has always reported in.
  return { diagnostics: [...forward.diagnostics, ...backward.diagnostics], statements: new Map([...forward.analyses, ...backward.analyses]) };
}

/**
 * A statement after which the schema may hold objects the analysis does not see: an extension's
 * (a DO block whose statements are not all read is the other: blockStatements' `complete`).
 */
function opensSchema(ast: PgNode): boolean {
  return node(ast)[0] === 'CreateExtensionStmt';
}

/** One statement of a DO block's body, placed in the file. */
interface BlockStatement {
  readonly text: string;
  readonly ast: PgNode;
  readonly span: Span;
  /** Where an offset into `text` is in the file, when the body can be followed there. */
  readonly fileOffset?: (offset: number) => number;
  /** A COMMIT or ROLLBACK in the body comes before it: it runs in a transaction of its own. */
  readonly afterTransactionEnd: boolean;
  /** In an IF or CASE branch, a loop or an EXCEPTION handler. */
  readonly conditional: boolean;
  /** In a loop. */
  readonly inLoop: boolean;
  /** Its loop commits (BodyStatement.loopCommits). */
  readonly loopCommits?: true;
  /** In a branch that ends with RETURN (BodyStatement.exits). */
  readonly exits?: true;
  /** Dynamic SQL migc cannot read follows it (BodyStatement.unreadSqlAfter). */
  readonly unreadSqlAfter?: true;
  /** The names its body gives values of its own (BodyStatement.variables). */
  readonly variables?: ReadonlySet<string>;
  /** Where an ALTER TABLE subcommand of it is in the file. */
  subcommandSpan(index: number): Span | undefined;
}

/** A DO block's or a routine's body, placed in the file (blockStatements). */
interface ReadBlock {
  readonly statements: BlockStatement[];
  /** Its PERFORMs (DoBlockBody.performs): only the routines they call are judged, before statement `before`. */
  readonly performs: (BlockStatement & { readonly before: number })[];
  readonly transactionEnds: { command: string; span: Span; conditional: boolean }[];
  readonly complete: boolean;
}

/**
 * The static SQL statements of a DO block in PL/pgSQL (src/sql/plpgsql.ts), or of the body of the
 * function or procedure a CREATE FUNCTION makes (routineBody), placed in the file: `fileOffset`
 * says where an offset into the statement's text is there; without it each is placed at `span`.
 * Undefined for a body that is not read (another language, a body PostgreSQL's PL/pgSQL parser
 * refuses). `complete`: no dynamic SQL or unread statement in it. Lint and plans both walk a
 * body with it.
 */
function blockStatements(ast: PgNode, text: string, span: Span, fileOffset?: (offset: number) => number): ReadBlock | undefined {
  const body = 'DoStmt' in ast ? doBlockBody(ast, text) : routineBody(ast, text);
  if (!body) return undefined;
  const place = <B extends BodyStatement>(b: B): BlockStatement => {
    const inner = b.locate;
    const locate = fileOffset && inner ? (offset: number) => fileOffset(inner(offset)) : undefined;
    return {
      text: b.text, ast: b.ast, afterTransactionEnd: b.afterTransactionEnd, conditional: b.conditional, inLoop: b.inLoop, ...(b.loopCommits ? { loopCommits: true as const } : {}), ...(b.exits ? { exits: true as const } : {}),
      ...(b.unreadSqlAfter ? { unreadSqlAfter: true as const } : {}),
      ...(b.variables ? { variables: b.variables } : {}),
      span: fileOffset ? { start: fileOffset(b.start), end: fileOffset(b.end) } : span,
      ...(locate ? { fileOffset: locate } : {}),
      subcommandSpan: (index) => {
        const at = locate && subcommandSpans(b.text, b.ast)?.[index];
        return at ? { start: locate!(at.start), end: locate!(at.end) } : undefined;
      },
    };
  };
  const at = (where: { start: number; end: number }) => (fileOffset ? { start: fileOffset(where.start), end: fileOffset(where.end) } : span);
  return {
    statements: body.statements.map(place),
    performs: body.performs.map((p) => ({ ...place(p), before: p.before })),
    transactionEnds: body.transactionEnds.map((e) => ({ command: e.command, span: at(e), conditional: e.conditional })),
    complete: body.complete,
  };
}

/**
 * The statements of a body in the order they run, each PERFORM just before the statement after it:
 * `perform` tells which is one.
 */
function inOrder(block: ReadBlock): { readonly statement: BlockStatement; readonly index: number; readonly perform: boolean }[] {
  const out: { statement: BlockStatement; index: number; perform: boolean }[] = [];
  let p = 0;
  for (let i = 0; i <= block.statements.length; i++) {
    for (; p < block.performs.length && block.performs[p]!.before === i; p++) out.push({ statement: block.performs[p]!, index: i, perform: true });
    if (i < block.statements.length) out.push({ statement: block.statements[i]!, index: i, perform: false });
  }
  return out;
}

/** A COMMIT or ROLLBACK in a DO block run inside a transaction: PostgreSQL refuses it (checked on PostgreSQL 15). */
function refusedTransactionEnd(command: string, where: string): { message: string; help: string } {
  return {
    message: `${command} inside a DO block that runs ${where}: PostgreSQL refuses it ("invalid transaction termination"), and the migration fails here`,
    help: `A DO block can ${command === 'COMMIT' ? 'commit' : 'roll back'} only when it runs on its own, outside any transaction block. Remove the ${command} (the block ends with its transaction), or run the block in a migration of its own that the tool runs without a transaction.`,
  };
}

/** A finding inside a DO block points at the block too; `conditional`: the statement may not run. */
function inBlock(file: string, span: Span, conditional: boolean): RelatedLocation {
  return {
    file, span,
    message: conditional
      ? 'inside this DO block (one statement to the server, in one transaction), in a branch, loop or EXCEPTION handler: what is reported happens when it runs'
      : 'inside this DO block: one statement to the server, in one transaction',
  };
}

/**
 * The findings of a routine's body statement not reported before: a function called four times
 * runs its UPDATE four times, and one finding at the UPDATE says it (the first call's).
 */
function firstTime(seen: Set<string>, judged: readonly Judged[], text: string): Judged[] {
  return judged.filter((j) => {
    const key = `${j.rule.code} ${j.span.start} ${j.span.end} ${j.message} ${text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A finding in a routine's body points at the call too; `conditional`: the statement may not run, or run many times. */
function atCall(file: string, span: Span, label: string, conditional: boolean): RelatedLocation {
  return {
    file, span,
    message: `in the body of ${label}, run by this call in the caller's transaction${conditional ? '; in a branch, loop or handler, or a call made for each row: what is reported happens when it runs' : ''}`,
  };
}

const subcommandSpanCache = new WeakMap<PgNode, Span[] | undefined>();

/**
 * Where each subcommand of an ALTER TABLE is in the statement's text: its tokens (PostgreSQL's
 * own lexer) split at the commas outside brackets; the first one starts with the statement.
 * Undefined when the pieces do not match the parser's subcommands one for one.
 */
function subcommandSpans(text: string, ast: PgNode): Span[] | undefined {
  if (subcommandSpanCache.has(ast)) return subcommandSpanCache.get(ast);
  const alter = alterTableCommands(ast);
  let spans: Span[] | undefined;
  // One subcommand (most ALTERs) is the whole statement: no need to lex it.
  if (alter?.cmds.length === 1) spans = [{ start: 0, end: text.length }];
  else if (alter) {
    spans = [];
    let depth = 0;
    let from = 0;
    let last = 0;
    for (const t of scanSql(text)) {
      // A comment before a subcommand is not the subcommand.
      if (t.token === 'SQL_COMMENT' || t.token === 'C_COMMENT') continue;
      if (t.text === '(' || t.text === '[') depth++;
      else if (t.text === ')' || t.text === ']') depth--;
      else if (t.text === ',' && depth === 0) {
        spans.push({ start: from, end: last });
        from = -1;
        continue;
      }
      if (from === -1) from = t.start;
      last = t.end;
    }
    spans.push({ start: from, end: last });
    if (spans.length !== alter.cmds.length) spans = undefined;
  }
  subcommandSpanCache.set(ast, spans);
  return spans;
}

export interface FileAnalysisOptions extends AnalysisOptions {
  /** Treat the whole file as one transaction (Flyway's and dbmate's default). */
  readonly fileTransaction?: boolean;
  /** How the file's tool runs a migration outside a transaction (StatementContext.outsideTransaction). */
  readonly outsideTransaction?: string;
  /** The psql variables the file's text has as names (StatementContext.psqlNames). */
  readonly psqlNames?: ReadonlySet<string>;
  /** The application is stopped while the files run (StatementContext.appStopped). */
  readonly appStopped?: boolean;
  /**
   * The tool sends the text to the server as one query string, outside a transaction of its own
   * (dbmate's transaction:false, popx's .autocommit. files): PostgreSQL runs a string of several
   * statements as one implicit transaction, so what cannot run in a transaction block fails there.
   */
  readonly oneQueryString?: boolean;
  /**
   * With fileTransaction, how the tool sends the statements (context.ts, ToolSends), when migc
   * knows the tool: what a COMMIT in the file leaves open after it. Unknown, the next statement is
   * taken to run in a new transaction, as a JDBC driver without autocommit opens one.
   */
  readonly toolSends?: ToolSends;
  /**
   * The text undoes a migration (a down file, a dbmate or goose down section; src/lint-files.ts
   * tells): judged as a rollback. The caller runs it inside state.tentatively(), which undoes its
   * changes afterwards, so later migrations see the schema their ups left.
   */
  readonly rollback?: boolean;
  /**
   * The rollback is a file of its own, paired with its up by name or version (a `.down.sql`), not
   * a part of the up's own file: whether it runs right after that up is the tool's convention (a
   * popx migration split in parts rolls back in reverse order of the parts).
   */
  readonly rollbackFile?: boolean;
  /**
   * The rollback is one of a chain judged one after the other (the downs of a popx split
   * migration, src/lint.ts): the caller keeps its changes, views included, for the next one, in
   * state.beginTentatively() and viewsOf(state).beginTentatively(), and undoes them after the last.
   */
  readonly rollbackChained?: boolean;
  /** A rollback: what its up made (its tables, columns, views), when lint saw the up. */
  readonly madeByUp?: MadeObjects;
  /** Told of each SET search_path for the session (not SET LOCAL) the file makes: lint's note on the connection's path. */
  readonly onSessionSearchPath?: (path: SearchPath) => void;
  /**
   * Where the part of the text these statements belong to starts (a dbmate or goose section, a
   * Liquibase changeset): `-- migc-ignore` comments before it are another part's.
   */
  readonly from?: number;
  /**
   * The search_path the migration tool's connection sets (--search-path, the config's
   * search_path): where the file's bare names are looked up until it sets one, and what RESET
   * goes back to. PostgreSQL's default when absent.
   */
  readonly searchPath?: SearchPath;
  /**
   * What the session keeps from the parts of the file before (a Liquibase file's changesets run
   * on one connection, so a SET lock_timeout in one holds in the next), read at the start and
   * written back at the end. Without it the file starts a session of its own.
   */
  readonly session?: SessionSettings;
  /**
   * The files of a run in one transaction (lint --run-transaction): the file starts in what the
   * ones before it left (their transaction, its earlier statements and locks, the session's
   * settings), and leaves what it ends with to the next. Without it the file starts on its own.
   */
  readonly run?: RunTransaction;
  /**
   * Filled with the key (tableKey) of every table the statements name (tablesNamed: no index's
   * or view's name), as they are sized by: the caller tells a size given for no table of the
   * files (an --assume-rows typo).
   */
  readonly tablesNamed?: Set<string>;
  /**
   * Filled with the findings that wait for the end of the run (StatementFinding.standsAtEnd): the
   * caller keeps those that stand once its last file is analysed (standingFindings). Without it
   * the file is the run, and they are judged at its end.
   */
  readonly pending?: PendingFinding[];
}

/** A session's settings as the analysis of a file follows them. */
export interface SessionSettings {
  lockTimeoutSet: boolean;
  /** MG219 was reported in this session: one missing lock_timeout is one problem. */
  lockTimeoutReported: boolean;
  /** Where bare names are looked up (SET search_path); PostgreSQL's default when absent. */
  searchPath?: SearchPath;
  /** The session's TimeZone is UTC (a SET of it). */
  timeZoneUtc?: boolean;
  /**
   * Written at the end of a file: what is in force there, SET LOCAL included, while the
   * transaction it ends in is open (Flyway's beforeEachMigrate runs in the transaction of the
   * migration it comes before).
   */
  atEnd?: { readonly lockTimeoutSet: boolean; readonly searchPath: SearchPath; readonly timeZoneUtc: boolean };
}

/**
 * A run of files in one transaction (node-pg-migrate's singleTransaction, Flyway's group=true):
 * one session, one transaction the tool opens before the first file and commits after the last.
 * Each file's analysis reads what the file before it left and writes what it leaves.
 */
export interface RunTransaction {
  /** The line of an offset in an earlier file of the run, for a message that names a statement there. */
  readonly lineIn: (file: string, offset: number) => number;
  /** What the last file left; undefined before the first. */
  left?: RunLeft;
}

/** What a file of a run leaves to the next (RunTransaction). */
interface RunLeft {
  /**
   * A transaction is still open (the run's, or the one a driver began after a COMMIT, or the
   * file's own BEGIN): the next file runs in it. Otherwise a COMMIT ended the run's transaction,
   * and the tool sends the next files as `sends` says, outside one.
   */
  readonly open: boolean;
  readonly sends?: ToolSends;
  readonly earlier: EarlierStatements;
  readonly sessionLockTimeout: boolean;
  readonly lockTimeoutSet: boolean;
  readonly lockTimeoutReported: boolean;
  readonly sessionUtc: boolean;
  readonly timeZoneUtc: boolean;
  readonly sessionPath: SearchPath;
  readonly searchPath: SearchPath;
}

/** A `-- migc-ignore CODE: reason` comment before a statement. */
const ignorePattern = /--\s*migc-ignore\s+(MG\d{3})\b(?:\s*:\s*(.*))?/g;

/**
 * The `-- migc-ignore CODE: reason` comments of a stretch of a file (the comments between one
 * statement and the next), by code: the reason, or undefined when none is given.
 */
export function ignoresIn(text: string, from: number, to: number, into = new Map<string, string | undefined>()): Map<string, string | undefined> {
  for (const m of text.slice(from, to).matchAll(ignorePattern)) into.set(m[1]!, m[2]?.trim() || undefined);
  return into;
}

/**
 * A finding as the comments before its statement leave it: a note that says why it is accepted,
 * MG035 when the comment gives no reason, or the finding as it is.
 */
export function withIgnores(d: Diagnostic, ignores: ReadonlyMap<string, string | undefined>, span: Span): Diagnostic {
  if (!ignores.has(d.code)) return d;
  const reason = ignores.get(d.code);
  if (reason === undefined) {
    return { code: 'MG035', severity: 'error', file: d.file, span, message: `migc-ignore ${d.code} gives no reason`, help: `Say why it is safe here: -- migc-ignore ${d.code}: table has 40 rows` };
  }
  const { related, ...rest } = d;
  return { ...rest, severity: 'info', message: `ignored (${reason}): ${d.message}`, accepted: { reason }, ...(related ? { related } : {}) };
}

/** The transaction open at a point of a file, and where its BEGIN was (for the file's own). */
interface OpenTransaction {
  readonly open: 'none' | 'tool' | 'implicit' | 'explicit';
  /** A COMMIT or ROLLBACK of the file at this line ended the tool's transaction before. */
  readonly toolEndedAtLine?: number;
  readonly begin?: { readonly span: Span; readonly line: number; readonly ignores: ReadonlyMap<string, string | undefined> };
}

/**
 * A plain SQL migration file: statements in order, transactions tracked as the server runs them
 * (BEGIN ... COMMIT, the tool's transaction around the file with fileTransaction, the implicit one
 * of a query string of several statements), SET lock_timeout noticed, `-- migc-ignore CODE: reason`
 * comments honoured for the statement that follows them. Tables the file creates are new.
 */
export function analyzeSqlFile(file: string, statements: readonly ParsedStatement[], text: string, options: FileAnalysisOptions, state = new SchemaState()): Diagnostic[] {
  // A rollback's views are undone with the state's (the caller runs it inside state.tentatively(),
  // or undoes a chain of rollbacks itself).
  const views = viewsOf(state);
  return options.rollback && !options.rollbackChained ? views.tentatively(() => analyzeFile(file, statements, text, options, state)) : analyzeFile(file, statements, text, options, state);
}

/** What a view refuses, reported as the plans' check reports it. */
const viewRefusesChange = { code: 'MG067' } as const;

function analyzeFile(file: string, statements: readonly ParsedStatement[], text: string, options: FileAnalysisOptions, state: SchemaState): Diagnostic[] {
  const rules = options.rules ?? statementRules;
  const views = viewsOf(state);
  const rows = (table: string) => options.assumeRows?.get(tableKey(table));
  const found: Diagnostic[] = [];
  /** What the files before this one left open and set, in a run of files in one transaction. */
  const left = options.run?.left;
  /**
   * Outside the file's own BEGIN ... COMMIT: the tool's transaction, an implicit one, or none. In a
   * run whose transaction a COMMIT ended, the tool sends the file as it sent the rest of that one.
   */
  const between: OpenTransaction = {
    open: left && !left.open
      ? (left.sends === 'one-string' && statements.length > 1 ? 'implicit' : left.sends === 'one-string' || left.sends === 'each-statement' ? 'none' : 'tool')
      : options.fileTransaction ? 'tool' : options.oneQueryString && statements.length > 1 ? 'implicit' : 'none',
  };
  let transaction = between;
  /** Whether lock_timeout bounds lock waits in the session, and now (a SET LOCAL lasts until COMMIT). */
  let sessionLockTimeout = left?.sessionLockTimeout ?? options.session?.lockTimeoutSet ?? false;
  let lockTimeoutSet = left?.open ? left.lockTimeoutSet : sessionLockTimeout;
  /** Whether the session's TimeZone is UTC, and now (a file that sets it; the server's default is not known). */
  let sessionUtc = left?.sessionUtc ?? options.session?.timeZoneUtc ?? false;
  let timeZoneUtc = left?.open ? left.timeZoneUtc : sessionUtc;
  let earlier = left?.open ? left.earlier : new EarlierStatements(state);
  let lockTimeoutReported = left?.lockTimeoutReported ?? options.session?.lockTimeoutReported ?? false;
  /** The session's search path, and the one in force now (a SET LOCAL lasts until COMMIT). */
  let sessionPath = left?.sessionPath ?? options.session?.searchPath ?? options.searchPath ?? defaultSearchPath;
  let searchPath = left?.open ? left.searchPath : sessionPath;
  const knows = (key: string) => state.tables.has(key) || state.views.has(key) || state.indexTables.has(key);
  let previousEnd = options.from ?? 0;
  /** Most files have no migc-ignore comment: then no text between statements need be searched. */
  const mayIgnore = text.includes('migc-ignore');
  let lineAt = { offset: 0, line: 1 };
  /** The offsets of the text's line feeds, found the first time a message needs a line (lineOfOffset). */
  let lineFeeds: number[] | undefined;
  /** The line of any offset, for a message that names an earlier statement. */
  const lineOfOffset = (offset: number) => {
    if (!lineFeeds) {
      lineFeeds = [];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineFeeds.push(i);
    }
    let lo = 0;
    let hi = lineFeeds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lineFeeds[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  /** Line numbers of offsets met in increasing order: one pass over the text in all. */
  const lineOf = (offset: number) => {
    let { line } = lineAt;
    for (let i = text.indexOf('\n', lineAt.offset); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    lineAt = { offset, line };
    return line;
  };
  /** Findings that wait for the end of the run: the caller's (options.pending), or the file's own. */
  const pending = options.pending ?? [];
  /** The file's MG219, and the lines of the statements after it in the session that wait unbounded too (not reported again). */
  let firstWait: { readonly diagnostic: Diagnostic; readonly lines: number[] } | undefined;
  const record = (all: readonly Judged[], span: Span, ignores: ReadonlyMap<string, string | undefined>, related?: RelatedLocation) => {
    const judged = standingFor(all, (code) => ignores.has(code));
    for (const j of judged) {
      const near = [...(j.related ?? []).map((r) => ({ file, ...r })), ...(related ? [related] : [])];
      // One missing lock_timeout is one problem, however many statements follow it.
      if (j.rule.code === 'MG219' && lockTimeoutReported) {
        if (firstWait && firstWait.lines.at(-1) !== lineOfOffset(j.span.start)) firstWait.lines.push(lineOfOffset(j.span.start));
        continue;
      }
      const diagnostics: Diagnostic[] = j.standsAtEnd ? [] : found;
      if (j.standsAtEnd) pending.push({ diagnostics, stands: j.standsAtEnd });
      const d = withIgnores({ code: j.rule.code, severity: j.severity, file, span: j.span, message: j.message, help: j.help, ...(near.length ? { related: near } : {}), ...(j.assumedLarge ? { assumedLarge: j.assumedLarge } : {}), ...(options.rollback === true ? { rollback: true as const } : {}), ...(j.failsOnRows ? { failsOnRows: j.failsOnRows } : {}) }, ignores, span);
      diagnostics.push(d);
      if (d.code === 'MG035') continue;
      if (j.rule.code === 'MG219') {
        lockTimeoutReported = true;
        firstWait = { diagnostic: d, lines: [] };
      }
    }
  };
  const inRollback = options.rollback === true;
  /**
   * What judge() weighs beside the statement, built once for the file (a literal of conditional
   * spreads per statement cost more than some rules): what a statement changes is set before each.
   */
  const judgeBase: JudgeBase = {
    state, postgres: options.postgres, mode: 'lint', inRollback, batched: false, lockTimeoutSet, rows, file,
    lineOf: options.run ? (offset, inFile) => (inFile === undefined || inFile === file ? lineOfOffset(offset) : options.run!.lineIn(inFile, offset)) : lineOfOffset,
    timeZoneUtc: undefined, postgresAssumed: options.postgresAssumed ? true : undefined, postgresMinor: options.postgresMinor,
    rollbackFile: options.rollbackFile ? true : undefined, madeByUp: options.madeByUp, outsideTransaction: options.outsideTransaction,
    sentWhole: options.oneQueryString ? true : undefined, psqlNames: options.psqlNames, appStopped: options.appStopped ? true : undefined,
  };
  /** Comments before a statement, from `from` on: the `-- migc-ignore CODE: reason` in them. */
  const ignoresBefore = (from: number, to: number, into = new Map<string, string | undefined>()) => (mayIgnore ? ignoresIn(text, from, to, into) : into);
  /**
   * One statement of the file, or of a DO block in it (`block`: the block's transaction and where
   * the block is). A DO block's statements follow it, each judged and learnt as the file's are.
   */
  const analyzeStatement = (
    statement: { readonly ast: PgNode; readonly text: string; readonly span: Span; subcommandSpan(index: number): Span | undefined; readonly fileOffset?: (offset: number) => number; later(path: SearchPath): readonly PgNode[] },
    ignores: ReadonlyMap<string, string | undefined>,
    block?: BodyContext,
  ): void => {
    // Bare names as the server resolves them under the search path in force.
    const ast = qualifyRelations(statement.ast, searchPath, knows, state.catalogRelations);
    const facts = statementFacts(ast);
    if (options.tablesNamed) for (const t of tablesNamed({ ast, facts })) options.tablesNamed.add(tableKey(t));
    const { span } = statement;
    const [kind, body] = node(ast);
    // A DO block's statements run in its transaction, whatever is open around it.
    const inTransaction = block !== undefined || transaction.open !== 'none';
    const pathNow = searchPath;
    const locate = statement.fileOffset;
    const unit: Unit = {
      statement: { ast, text: statement.text, facts, span }, inTransaction, earlier: block?.earlier ?? earlier,
      transaction: {
        open: transaction.open, ...(transaction.begin ? { beganAtLine: transaction.begin.line } : {}),
        ...(transaction.toolEndedAtLine !== undefined ? { toolEndedAtLine: transaction.toolEndedAtLine } : {}),
        ...(between.open === 'tool' && options.toolSends ? { sends: options.toolSends } : {}),
        ...(options.run ? { inRun: true as const } : {}),
      },
      subcommandSpan: statement.subcommandSpan,
      ...(locate ? { locate: (at: { start: number; end: number }) => ({ start: locate(at.start), end: locate(at.end) }) } : {}),
      later: () => statement.later(pathNow),
      ...(block ? { inDoBlock: true } : {}),
      ...(block?.inLoop ? { inLoop: true } : {}),
      ...(block?.loopCommits ? { loopCommits: true } : {}),
      ...(block?.unreadSqlAfter ? { unreadSqlAfter: true } : {}),
      ...(block?.inFunction ? { inFunction: block.inFunction } : {}),
      ...(block?.variables ? { variables: block.variables } : {}),
    };
    judgeBase.lockTimeoutSet = lockTimeoutSet;
    judgeBase.timeZoneUtc = timeZoneUtc ? true : undefined;
    judgeBase.searchPath = searchPath;
    const { judged, locks, runs } = judge(unit, judgeBase, rules);
    // A view fixes what it reads: PostgreSQL refuses to drop or retype it (known views only:
    // those the files created). Whether a view's own query resolves is not judged: earlier
    // migrations may not be linted. A refusal, it leaves out what the statement would do.
    const refusals = runs && kind !== 'TransactionStmt' ? views.apply(runs, state, true, { partialHistory: true }) : [];
    // The views it drops along with what they read (CASCADE), for the state.
    const along = runs && kind !== 'TransactionStmt' ? views.droppedAlong : [];
    const all = [...judged, ...refusals.map((why): Judged => ({
      rule: viewRefusesChange, span, severity: 'error', message: `PostgreSQL refuses this statement: ${why}`, refused: 'certain',
      help: 'A view fixes the columns it reads: drop or replace the view first (in the same migration), or keep what it reads; CREATE OR REPLACE VIEW may only add columns at the end.',
    }))];
    record(block?.inFunction ? firstTime(bodyFindings, all, statement.text) : all, span, ignores, block?.related);
    if (kind === 'TransactionStmt') {
      if (block) return;
      // A savepoint opens a subtransaction, with an XID of its own (EarlierStatements.addsValueToOwnEnum).
      if (body.kind === 'TRANS_STMT_SAVEPOINT' && inTransaction) earlier.add({ ast, facts, locks, span, file });
      if (body.kind === 'TRANS_STMT_BEGIN' || body.kind === 'TRANS_STMT_START') {
        // A BEGIN inside an open one is ignored by the server: the first BEGIN still holds.
        if (transaction.open !== 'explicit') transaction = { open: 'explicit', begin: { span, line: lineOf(span.start), ignores } };
      } else if ((body.kind === 'TRANS_STMT_COMMIT' || body.kind === 'TRANS_STMT_ROLLBACK') && !body.chain) {
        // Ending the tool's transaction (its own, or the file's BEGIN that PostgreSQL ignored in
        // it), the file leaves what the tool's way of sending makes of the rest: each statement on
        // its own (goose, sql-migrate), a new implicit transaction for the rest of one query string
        // (dbmate), or a new transaction the driver opens (JDBC without autocommit; unknown tools).
        // Otherwise the rest of one query string runs in an implicit transaction again.
        if (between.open === 'tool') {
          const line = lineOf(span.start);
          transaction = options.toolSends === 'each-statement' ? { open: 'none', toolEndedAtLine: line }
            : options.toolSends === 'one-string' ? { open: 'implicit', toolEndedAtLine: line }
            : { open: 'tool', toolEndedAtLine: line };
        } else transaction = between;
        earlier = new EarlierStatements(state);
        searchPath = sessionPath;
        lockTimeoutSet = sessionLockTimeout;
        timeZoneUtc = sessionUtc;
      }
      return;
    }
    const changes = settingChanges(ast);
    for (const change of changes) {
      if (change.name === undefined || change.name === 'timezone') {
        const utc = isUtcZone(change.value);
        if (!change.local) sessionUtc = utc;
        if (!change.local || inTransaction) timeZoneUtc = utc;
      }
      if (change.name !== undefined && change.name !== 'lock_timeout') continue;
      const bounds = boundsLockWaits(change.value);
      if (!change.local) sessionLockTimeout = bounds;
      if (!change.local || inTransaction) lockTimeoutSet = bounds;
    }
    const pathSet = searchPathFrom(changes, options.searchPath);
    if (pathSet) {
      // SET LOCAL outside a transaction does nothing (the server warns).
      if (!pathSet.local) {
        sessionPath = pathSet.path;
        options.onSessionSearchPath?.(pathSet.path);
      }
      if (!pathSet.local || inTransaction) searchPath = pathSet.path;
    }
    // Within a rollback too, later statements see what earlier ones did; tentatively() (see
    // the rollback option) keeps it from later migrations.
    // Where it is, for a later statement's message about what it dropped (SchemaState.droppedBy).
    // A DROP refused for certain drops nothing: what the analysis goes on as if it had dropped is not gone for sure.
    const refused = all.some((j) => j.refused === 'certain' && !ignores.has(j.rule.code));
    state.apply(ast, true, block ? { inBody: true, ...(block.inLoop ? { inLoop: true } : {}) } : { file, line: lineOfOffset(span.start), ...(refused ? { refused } : {}) }, along);
    // A function migc cannot follow may have changed any table (a helper the runner loads first).
    if (kind === 'SelectStmt' && callsUnknownFunction(ast, state, searchPath)) state.noteOpaque(stringConstants(ast));
    if (block && !block.exits) block.earlier.add({ ast, facts, locks, span, inBody: true, file });
    else if (!inTransaction) earlier = new EarlierStatements(state);
    // Where a CREATE FUNCTION is written, for its body's findings at a call (built for it only: this runs for every statement).
    learnRoutines(state, ast, statement.text, searchPath, kind === 'CreateFunctionStmt' ? { file, span, ...(locate ? { fileOffset: locate } : {}) } : undefined);
    // A DO block's statements, and the bodies of the routines the statement calls, run in its
    // transaction; outside one the block is one of its own.
    const within = () => block?.earlier ?? (inTransaction ? earlier : new EarlierStatements(state));
    // A block nested in another runs as the outer one does: in a transaction block or not.
    const inTransactionBlock = block?.inTransactionBlock ?? inTransaction;
    if (kind === 'DoStmt') {
      const inner = blockStatements(ast, statement.text, span, locate);
      if (!inner?.complete) state.noteOpaque();
      if (inTransactionBlock && rules.some((r) => r.code === transactionNesting.code)) {
        const where = transaction.open === 'tool' ? 'in the transaction the migration tool wraps the file in'
          : transaction.open === 'implicit' ? 'in the implicit transaction of a query string of several statements'
          : transaction.begin ? `in the transaction begun at line ${transaction.begin.line}` : 'in a transaction';
        for (const end of inner?.transactionEnds ?? []) {
          record([{ rule: transactionNesting, span: end.span, severity: 'error', ...refusedTransactionEnd(end.command, where) }], end.span, ignores, inBlock(file, span, block?.conditional === true || end.conditional));
        }
      }
      if (inner) {
        analyzeBody(inner, span, ignores, statement.later, {
          earlier: within(), related: (conditional) => inBlock(file, span, conditional), conditional: block?.conditional === true, inLoop: block?.inLoop === true, inTransactionBlock,
          ...(block?.inFunction ? { inFunction: block.inFunction } : {}),
        });
      }
    }
    for (const call of routineCalls(ast, state, pathNow)) analyzeCall(call, span, ignores, statement.later, { earlier: within(), conditional: block?.conditional === true, inLoop: block?.inLoop === true, inTransactionBlock }, ast);
    if (!block && inTransaction) earlier.add({ ast, facts, locks, span, file });
  };
  /** The routines being judged at a call, innermost last: a call of one of them (recursion) is not judged again. */
  const calling = new Set<Routine>();
  /** What the routines' bodies were found to do, reported once however often they are called (firstTime). */
  const bodyFindings = new Set<string>();
  /**
   * A body's statements (a DO block's, a routine's at its call), each judged and learnt as the
   * file's are, in `context`; `span`: where the body is placed (what its ignores are read from);
   * `later`: what follows the body. A PERFORM is not judged itself: the routines it calls are.
   */
  const analyzeBody = (inner: ReadBlock, span: Span, ignores: ReadonlyMap<string, string | undefined>, later: (path: SearchPath) => readonly PgNode[], context: Omit<BodyContext, 'related'> & { related(conditional: boolean): RelatedLocation }) => {
    let within = context.earlier;
    let bodyAt = span.start;
    const ordered = inOrder(inner);
    for (const [k, { statement: b, perform }] of ordered.entries()) {
      if (b.afterTransactionEnd) within = new EarlierStatements(state);
      const conditional = context.conditional || b.conditional;
      // A loop that commits in a block run on its own, outside a transaction block (where
      // PostgreSQL allows the COMMIT): each pass is a transaction of its own, its row locks let go
      // at its end, as a statement run alone (the twenty-second trial's B). In a transaction block
      // the COMMIT is refused (MG226), and the passes add up as before.
      const loopCommits = !context.inLoop && b.inLoop && b.loopCommits === true && !context.inTransactionBlock;
      const inLoop = context.inLoop || (b.inLoop && !loopCommits);
      // The comments before the block or call, and those in the body before this statement.
      const own = b.span === span ? ignores : ignoresBefore(bodyAt, b.span.start, new Map(ignores));
      bodyAt = Math.max(bodyAt, b.span.end);
      // What follows, its PERFORMs included (a PERFORM setval(...) moves a sequence: MG236).
      const rest = (path: SearchPath) => [...ordered.slice(k + 1).map((l) => qualifyRelations(l.statement.ast, path, knows, state.catalogRelations)), ...later(path)];
      const here: BodyContext = { ...context, earlier: within, related: context.related(conditional), conditional, inLoop, loopCommits, ...(b.exits ? { exits: true } : {}), ...(b.unreadSqlAfter ? { unreadSqlAfter: true } : {}), variables: b.variables };
      // A statement on the way out of the block (a branch that ends with RETURN): what it does to
      // the schema is undone for the statements after the branch (and the file after the block,
      // which the other way reaches too).
      if (!perform) {
        if (b.exits && !context.exits) state.tentatively(() => analyzeStatement({ ...b, later: rest }, own, here));
        else analyzeStatement({ ...b, later: rest }, own, here);
      }
      else {
        state.applyPerform(b.ast);
        for (const call of routineCalls(b.ast, state, searchPath)) analyzeCall(call, b.span, own, rest, here, b.ast);
        if (callsUnknownFunction(b.ast, state, searchPath)) state.noteOpaque(stringConstants(b.ast));
      }
    }
  };
  /**
   * A call of a routine the files created: its body's statements are judged at the call, in the
   * caller's transaction, as a DO block's. In the file that creates it they are placed where they
   * are written, with the call as the related location; a routine of another file (or whose body
   * cannot be followed) has them placed at the call, pointing at where it is created. A call that
   * may run per row runs them as in a loop.
   */
  const analyzeCall = (call: RoutineCall, at: Span, ignores: ReadonlyMap<string, string | undefined>, later: (path: SearchPath) => readonly PgNode[], caller: Omit<BodyContext, 'related'>, calledBy: PgNode) => {
    const { routine } = call;
    if (calling.has(routine)) return;
    const source = routine.source;
    const written = source?.file === file ? source : undefined;
    const inner = blockStatements(routine.ast, routine.text, written?.span ?? at, written?.fileOffset);
    // What the body builds as it runs, it builds from the call's arguments (oVirt's fn_db_create_index('idx', 'vm_backups', 'vm_id')).
    if (!inner?.complete) state.noteOpaque(stringConstants(calledBy));
    if (!inner) return;
    const label = routineLabel(routine);
    const related = (conditional: boolean): RelatedLocation => (written || !source
 ? atCall(file, at, label, conditional)
      : { file: source.file, span: source.span, message: `the body of ${label}, created here, runs at this call in the caller's transaction` });
    calling.add(routine);
    try {
      analyzeBody(inner, written?.span ?? at, ignores, later, { ...caller, related, conditional: caller.conditional || !call.once, inLoop: caller.inLoop || !call.once, inFunction: label });
    } finally {
      calling.delete(routine);
    }
  };
  for (const [index, parsed] of statements.entries()) {
    // Comments between the previous statement and this one.
    const ignores = ignoresBefore(previousEnd, parsed.start);
    previousEnd = parsed.end;
    analyzeStatement({
      ast: parsed.ast, text: parsed.text, span: { start: parsed.start, end: parsed.end },
      subcommandSpan: (subcommand) => {
        const at = subcommandSpans(parsed.text, parsed.ast)?.[subcommand];
        return at && { start: parsed.start + at.start, end: parsed.start + at.end };
      },
      fileOffset: (offset) => parsed.start + offset,
      later: (path) => statements.slice(index + 1).map((l) => qualifyRelations(l.ast, path, knows, state.catalogRelations)),
    }, ignores);
  }
  // The file's own BEGIN still open at its end (inside the tool's transaction, the tool commits it).
  if (transaction.open === 'explicit' && between.open !== 'tool' && transaction.begin && rules.some((r) => r.code === transactionNesting.code)) {
    const { span, line, ignores } = transaction.begin;
    record([{ rule: transactionNesting, span, ...unterminatedTransaction(line), severity: 'error' }], span, ignores);
  }
  // One finding for the session, which says how many statements of the file it stands for.
  if (firstWait && firstWait.lines.length > 0) {
    const { diagnostic, lines } = firstWait;
    const at = found.indexOf(diagnostic);
    const shown = lines.length > 4 ? `${lines.slice(0, 3).join(', ')}, ...` : lines.join(', ');
    if (at !== -1) found[at] = { ...diagnostic, message: `${diagnostic.message}; so ${lines.length === 1 ? 'does 1 later statement' : `do ${lines.length} later statements`} of this file (line${lines.length === 1 ? '' : 's'} ${shown})` };
  }
  if (options.session) {
    Object.assign(options.session, {
      lockTimeoutSet: sessionLockTimeout, lockTimeoutReported, searchPath: sessionPath, timeZoneUtc: sessionUtc,
      atEnd: { lockTimeoutSet, searchPath, timeZoneUtc },
    });
  }
  if (options.run) {
    // The run's transaction (or a driver's next one, or the file's own BEGIN) is still open; or a
    // COMMIT ended it and the next file is sent outside one.
    const open = transaction.open === 'tool' || transaction.open === 'explicit';
    options.run.left = {
      open, ...(options.toolSends ?? left?.sends ? { sends: options.toolSends ?? left?.sends } : {}),
      earlier, sessionLockTimeout, lockTimeoutSet, lockTimeoutReported, sessionUtc, timeZoneUtc, sessionPath, searchPath,
    };
  }
  // Linted on its own, the file is the run: what waits for its end is judged now.
  if (!options.pending) for (const d of standingFindings(pending)) found.push(d);
  return found;
}
