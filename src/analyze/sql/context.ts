import type { Severity, Span } from '../../diagnostics/diagnostic.js';
import type { PhaseKind } from '../../normalize/model.js';
import type { StatementFacts } from '../../sql/facts.js';
import type { PredictedLock } from '../../sql/locks.js';
import type { PgNode } from '../../sql/parser.js';
import { largeTableRows } from '../tables.js';
import type { SchemaState } from './schema-state.js';

/** The PostgreSQL version assumed when neither the plan nor the project config names one. */
export const defaultPostgresMajor = 14;

/** What a table-level operation does beyond taking its lock. */
export type Effect = 'catalog' | 'scan' | 'rewrite' | 'index build' | 'row changes';

/** An earlier statement of the same transaction: what it locked and did. */
export interface EarlierStatement {
  readonly facts: StatementFacts;
  readonly locks: readonly PredictedLock[];
  readonly effect?: Effect;
  readonly span: Span;
}

/** One statement and everything the rules may weigh to judge it. */
export interface StatementContext {
  readonly ast: PgNode;
  readonly text: string;
  readonly facts: StatementFacts;
  readonly locks: readonly PredictedLock[];
  /** What it does to a table beyond locking it (scan, rewrite, ...), and which table. */
  readonly effect: { readonly effect: Effect; readonly table?: string };
  /** The schema before this statement. */
  readonly state: SchemaState;
  readonly postgres: number;
  readonly mode: 'plan' | 'lint';
  /** The plan phase it runs in (plans only). */
  readonly phase?: PhaseKind;
  /** The statement undoes a step (a rollback). */
  readonly inRollback: boolean;
  /** The step compiles it into a batched loop (plans only). */
  readonly batched: boolean;
  /** Inside an explicit or implied transaction block. */
  readonly inTransaction: boolean;
  /** Statements before it in the same transaction. */
  readonly earlier: readonly EarlierStatement[];
  /** A file has set lock_timeout before this statement (lint only; plans' scripts always do). */
  readonly lockTimeoutSet: boolean;
  /** Rows in a table: its size hint, or undefined when there is none. */
  rows(table: string): number | undefined;
}

export interface StatementFinding {
  readonly message: string;
  readonly help: string;
  /** Overrides the rule's severity for this finding (a small table lowers it). */
  readonly severity?: Severity;
}

export interface StatementRule {
  readonly code: string;
  readonly name: string;
  readonly summary: string;
  readonly severity: Severity;
  check(ctx: StatementContext, report: (finding: StatementFinding) => void): void;
}

/** Whether a table is large: its hint says so, or it has none (the safe assumption). */
export function isLarge(ctx: StatementContext, table: string): boolean {
  return (ctx.rows(table) ?? Infinity) >= largeTableRows;
}

/**
 * The severity for a blocking operation on an existing table: the rule's own on a large (or
 * unknown) table, info on a table its size hint says is small; undefined, no finding, for a
 * table created earlier in the same plan or file, which is new and empty.
 */
export function severityFor(ctx: StatementContext, table: string, severity: Severity): Severity | undefined {
  if (ctx.state.isNew(table)) return undefined;
  return isLarge(ctx, table) ? severity : 'info';
}

/** "on users (12,000,000 rows)", "on users (no size hint: assumed large)". */
export function sizeNote(ctx: StatementContext, table: string): string {
  const rows = ctx.rows(table);
  return rows === undefined ? `${table} (no size hint: assumed large)` : `${table} (${rows.toLocaleString('en-US')} rows)`;
}
