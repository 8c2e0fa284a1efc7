import { readdirSync, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSqlFile } from '../src/analyze/sql/analyze.js';
import { rulesFor, type StatementRule } from '../src/analyze/sql/context.js';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { statementRules } from '../src/analyze/sql-rules/index.js';
import type { Diagnostic } from '../src/diagnostics/diagnostic.js';
import { migrationOrder } from '../src/lint-files.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { root } from './helpers.js';

/**
 * The analysis calls a rule only for the kinds of statement it declares (StatementRule.kinds). A
 * kind left out of a rule's list would silently lose its findings on that kind. So every SQL
 * fixture is analysed twice: with the catalogue as it is, and with the same rules asked about
 * every statement. The findings must be the same, finding for finding.
 */
const everywhere: StatementRule[] = statementRules.map((rule) => Object.assign(Object.create(rule) as StatementRule, { kinds: undefined }));

/** Folders of SQL fixtures, each a sequence of migrations (or of unrelated files, judged apart). */
function sqlFolders(): { name: string; files: string[]; sequence: boolean }[] {
  const folders: { name: string; files: string[]; sequence: boolean }[] = [];
  const rules = `${root}test/fixtures/rules`;
  for (const code of readdirSync(rules).sort()) {
    if (!statSync(`${rules}/${code}`).isDirectory()) continue;
    const files = readdirSync(`${rules}/${code}`).filter((f) => f.endsWith('.sql')).sort().map((f) => `${rules}/${code}/${f}`);
    if (files.length) folders.push({ name: `rules/${code}`, files, sequence: false });
  }
  for (const parent of ['corpus', 'lint-layouts']) {
    for (const tool of readdirSync(`${root}test/fixtures/${parent}`).sort()) {
      const dir = `${root}test/fixtures/${parent}/${tool}`;
      if (!statSync(dir).isDirectory()) continue;
      const names = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql'));
      folders.push({ name: `${parent}/${tool}`, files: migrationOrder(names).map((f) => `${dir}/${f}`), sequence: true });
    }
  }
  return folders;
}

function analyze(files: readonly string[], sequence: boolean, rules: readonly StatementRule[], options: { postgres: number; postgresMinor?: number; fileTransaction: boolean }): Diagnostic[] {
  const out: Diagnostic[] = [];
  let state = new SchemaState();
  for (const file of files) {
    if (!sequence) state = new SchemaState();
    state.settle();
    const text = readFileSync(file, 'utf8');
    const parsed = parseSql(text);
    if (!parsed.ok) continue;
    out.push(...analyzeSqlFile(file, parsed.statements, text, { ...options, rules }, state));
  }
  return out;
}

beforeAll(loadSqlParser);

/** The targets the fixtures are analysed for: 14.2 for MG240, which needs the minor release. */
const targets: { postgres: number; postgresMinor?: number; fileTransaction: boolean }[] = [
  { postgres: 14, fileTransaction: false },
  { postgres: 11, fileTransaction: true },
  { postgres: 14, postgresMinor: 2, fileTransaction: false },
];

describe('rule dispatch by statement kind', () => {
  it('asks most rules about a SET or a BEGIN, not all of them', () => {
    // The dispatch does something: without kinds this test of the equality below would be empty.
    expect(rulesFor(statementRules, 'VariableSetStmt').length).toBeLessThan(statementRules.length / 2);
    expect(rulesFor(statementRules, 'AlterTableStmt').map((r) => r.code)).toContain('MG205');
    expect(rulesFor(statementRules, 'IndexStmt').map((r) => r.code)).not.toContain('MG205');
    // In the catalogue's order: findings keep their order.
    const codes = rulesFor(statementRules, 'AlterTableStmt').map((r) => statementRules.findIndex((s) => s.code === r.code));
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
  });

  describe.each(sqlFolders())('$name', ({ files, sequence }) => {
    it.each(targets)('finds what every rule asked about every statement finds (PostgreSQL $postgres, minor $postgresMinor, file transaction $fileTransaction)', (options) => {
      const dispatched = analyze(files, sequence, statementRules, options);
      const all = analyze(files, sequence, everywhere, options);
      expect(dispatched).toEqual(all);
    });
  });

  it('has fixtures where every rule finds something, to compare', () => {
    const found = new Set<string>();
    for (const options of targets) {
      for (const { files, sequence } of sqlFolders()) for (const d of analyze(files, sequence, statementRules, options)) found.add(d.code);
    }
    expect(statementRules.map((r) => r.code).filter((code) => !found.has(code))).toEqual([]);
  });
});
