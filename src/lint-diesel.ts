import { parse, TomlError } from 'smol-toml';
import type { Diagnostic } from './diagnostics/diagnostic.js';

/**
 * What diesel reads from a migration's `metadata.toml` (migrations_internals' TomlMetadata):
 * `run_in_transaction`. diesel runs a migration without the file in a transaction; with the file,
 * serde gives a missing key bool's default, false, so a `metadata.toml` that does not say
 * `run_in_transaction = true` runs the migration outside one. Other keys are ignored, as serde
 * ignores them; a file that is not TOML, or a value that is not a boolean, makes diesel refuse the
 * migration, and is an error here (MG024) at its line and column.
 */
export type DieselMetadata = { readonly runInTransaction: boolean } | { readonly problem: Diagnostic };

export function dieselMetadata(file: string, text: string): DieselMetadata {
  let table: Record<string, unknown>;
  try {
    table = parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return {
      problem: {
        code: 'MG024', severity: 'error', file, span: spanAt(text, e.line, e.column),
        message: `diesel cannot read this metadata.toml (${reason}) and refuses to run its migration`,
        help: 'Fix the TOML; the one key diesel reads is run_in_transaction = true or false (false: diesel runs up.sql and down.sql outside a transaction, each as one query string).',
      },
    };
  }
  const value = table['run_in_transaction'];
  if (value === undefined) return { runInTransaction: false };
  if (typeof value === 'boolean') return { runInTransaction: value };
  const at = keyLine(text);
  return {
    problem: {
      code: 'MG024', severity: 'error', file, span: spanAt(text, at, 1),
      message: `run_in_transaction must be true or false (got ${tomlValue(value)}); diesel refuses to run the migration`,
      help: 'Write run_in_transaction = false to run the migration outside a transaction (CREATE INDEX CONCURRENTLY needs it), or remove the file.',
    },
  };
}

/** A TOML value as the message shows it: a string quoted, a table or an array by its kind. */
function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  return typeof value === 'object' && value !== null ? 'a table' : String(value);
}

/** The line of the run_in_transaction key (1 when it cannot be told, as in a table of its own). */
function keyLine(text: string): number {
  const index = text.split('\n').findIndex((line) => /^\s*["']?run_in_transaction["']?\s*=/.test(line));
  return index < 0 ? 1 : index + 1;
}

/** One character at a 1-based line and column, clamped to the text. */
function spanAt(text: string, line: number, column: number): { start: number; end: number } {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', start);
    if (next < 0) break;
    start = next + 1;
  }
  start = Math.min(start + column - 1, text.length);
  return { start, end: Math.min(start + 1, text.length) };
}
