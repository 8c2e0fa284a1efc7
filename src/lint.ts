import { analyzeSqlFile } from './analyze/sql/analyze.js';
import { defaultPostgresMajor } from './analyze/sql/context.js';
import { SchemaState } from './analyze/sql/schema-state.js';
import { applyRuleSettings } from './analyze/settings.js';
import type { ProjectConfig } from './compile.js';
import { compareDiagnostics, type Diagnostic } from './diagnostics/diagnostic.js';
import { SourceText } from './diagnostics/source-text.js';
import type { Host } from './host.js';
import { sqlFileTooLarge } from './load/limits.js';
import { loadSqlParser, parseSql } from './sql/parser.js';

export interface LintOptions {
  /** .sql files in the order they run (migration order: sorted by name). */
  readonly files: readonly string[];
  readonly config?: ProjectConfig;
  /** Each file runs in one transaction (Flyway's and dbmate's default), not statement by statement. */
  readonly fileTransaction?: boolean;
}

export interface LintResult {
  readonly files: readonly { readonly file: string; readonly ok: boolean }[];
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceText>;
}

/**
 * The same hazard catalogue as for plans, over plain SQL migration files (Flyway, golang-migrate,
 * dbmate, Rails structure dumps), in order: what earlier files did to the schema is known to
 * later ones, but only what a file creates itself counts as new and empty.
 */
export async function lint(options: LintOptions, host: Host): Promise<LintResult> {
  await loadSqlParser();
  const state = new SchemaState();
  const sources = new Map<string, SourceText>();
  const diagnostics: Diagnostic[] = [];
  const files: { file: string; ok: boolean }[] = [];
  const texts = await Promise.all(options.files.map((f) => host.readFile(f)));
  for (const [i, file] of options.files.entries()) {
    const text = texts[i];
    if (text === undefined) {
      diagnostics.push({ code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the path and that the file is readable.' });
      files.push({ file, ok: false });
      continue;
    }
    sources.set(file, new SourceText(text));
    const tooLarge = sqlFileTooLarge(file, text, { start: 0, end: 0 });
    if (tooLarge) {
      diagnostics.push(tooLarge);
      files.push({ file, ok: false });
      continue;
    }
    const parsed = parseSql(text);
    let own: Diagnostic[];
    if (!parsed.ok) {
      own = [{ code: 'MG020', severity: 'error', file, span: { start: parsed.offset, end: Math.min(parsed.offset + 1, text.length) }, message: `SQL syntax error: ${parsed.message}`, help: 'Fix the statement; migc reads SQL with PostgreSQL\'s own parser, so this would fail on the server too.' }];
    } else {
      own = applyRuleSettings(analyzeSqlFile(file, parsed.statements, text, {
        postgres: options.config?.postgres ?? defaultPostgresMajor,
        ...(options.config?.assumeRows ? { assumeRows: options.config.assumeRows } : {}),
        ...(options.fileTransaction ? { fileTransaction: true } : {}),
        ...(/\.down\.sql$/.test(file) ? { rollback: true } : {}),
      }, state), options.config?.rules);
    }
    state.settle();
    own.sort(compareDiagnostics);
    // One by one: push(...own) overflows the call stack past some hundred thousand findings.
    for (const d of own) diagnostics.push(d);
    files.push({ file, ok: !own.some((d) => d.severity === 'error') });
  }
  return { files, diagnostics, sources };
}
