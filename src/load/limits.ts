import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';

/**
 * Limits on what migc reads. Each is far above any real plan or migration file and low enough
 * that hostile input cannot exhaust the stack, the memory or the terminal. Hitting one is a
 * located diagnostic (MG003 to MG006), never a crash. Documented in README ("Limits") and on
 * each code's page in docs/rules/.
 */
export const inputLimits = {
  /** Largest plan file, in bytes of UTF-8 (MG004). */
  planBytes: 10_000_000,
  /**
   * Largest SQL file, in bytes of UTF-8: files given to migc lint, and a plan's baseline and
   * fixtures files (MG004). PostgreSQL's parser (WebAssembly) needs about 60 bytes of memory per
   * byte of SQL and gives out at 64 MB; 16 MB parses in about 10 s.
   */
  sqlBytes: 16_000_000,
  /** Deepest nesting of YAML mappings and lists (MG005). A real plan nests about 6 deep. */
  nestingDepth: 64,
  /** Most aliases (*name) in one file (MG003). */
  aliasCount: 50,
  /**
   * Aliases may expand a plan to at most this many times its own size (MG006), or to
   * expansionFloor characters when that is more, so a small plan may still share a block or two.
   */
  expansionFactor: 2,
  expansionFloor: 1_000_000,
} as const;

/**
 * MG004 for a SQL file over the limit, reported in `file` at `span`: the start of a linted file,
 * or the `file:` of a plan's baseline or fixtures (`name`).
 */
export function sqlFileTooLarge(file: string, text: string, span: Span, name?: string): Diagnostic | undefined {
  if (text.length <= inputLimits.sqlBytes / 3) return undefined; // at most 3 bytes per UTF-16 unit
  const bytes = utf8Length(text);
  if (bytes <= inputLimits.sqlBytes) return undefined;
  return {
    code: 'MG004', severity: 'error', file, span,
    message: `${name === undefined ? 'the file' : name} is ${megabytes(bytes)}; a SQL file may be at most ${megabytes(inputLimits.sqlBytes)}`,
    help: 'Split it into several files; load large test data with generated fixtures (fixtures: { users: { rows: 100000 } }) rather than a dump.',
  };
}

/** Size of a text in bytes of UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** "10 MB" for 10_000_000: limits are documented in decimal megabytes. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1).replace(/\.0$/, '')} MB`;
}
