/**
 * What the live preview shows, and how it learns of changes. `migc watch --serve` implements
 * this over the workspace; the preview server (src/preview/server.ts) reads only this, so it
 * can be tested with an in-memory source.
 */

/** One problem as the preview shows it: where it is, already in lines and columns (1-based). */
export interface PreviewDiagnostic {
  readonly code: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly help?: string;
  /** File relative to the project, forward slashes; line and column 1-based when known. */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** The source line with the problem underlined, as the terminal shows it (plain text). */
  readonly frame?: string;
}

export interface PreviewPlan {
  /** The plan's id (its outputs' folder), or its file when the plan has no readable id. */
  readonly id: string;
  /** The plan file, relative to the project, forward slashes. */
  readonly file: string;
  /** The plan's latest build has no errors. */
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  /** Number of phases and the plan's risk: from the latest build when it read the plan whole (its errors are the rules'), else the last that did (undefined before one). */
  readonly phases?: number;
  readonly risk?: string;
  /**
   * The outputs of the last good build (report.md, <phase>.up.sql, timeline.mmd, ...), by path
   * relative to the plan's output folder. Empty when the plan never built. When `ok` is false
   * these are the previous good outputs, shown under the current errors.
   */
  readonly outputs: ReadonlyMap<string, string>;
  /** The latest build's diagnostics. */
  readonly diagnostics: readonly PreviewDiagnostic[];
  /** Increases with every rebuild of this plan (the page uses it to know it is out of date). */
  readonly revision: number;
}

export interface PreviewSource {
  /** Every plan in the workspace, in a stable order (by file). */
  plans(): readonly PreviewPlan[];
  /**
   * Problems of the project rather than of one plan: a config with errors (its previous settings
   * stay in force), templates with errors (no plan is built until they are fixed). Every page shows them.
   */
  problems(): readonly PreviewDiagnostic[];
  /** Called after each rebuild with the ids that changed (added, rebuilt or removed; none when only the project's problems did). Returns an unsubscribe. */
  subscribe(listener: (changed: readonly string[]) => void): () => void;
}
