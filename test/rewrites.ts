import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, type SqlEngine } from './sql-engines.js';

/**
 * A rule that says which statements rewrite their table, held against PostgreSQL. Two files are
 * linted: `created`, then one case's statement per line after a `SET lock_timeout` (so a finding's
 * line names its case); the cases the rule `code` reports are returned by name. Then, on a clean
 * database (schemas app and public made anew), `created` runs, and each case's statement runs on
 * its own (then `after`, if given), its table's file compared before and after
 * (pg_relation_filenode): the cases PostgreSQL rewrote. The two lists should be equal.
 */
export async function reportedAndRewritten<C extends { readonly name: string }>(
  db: SqlEngine,
  code: string,
  cases: readonly C[],
  sql: { readonly created: string; readonly statement: (c: C, i: number) => string; readonly table: (i: number) => string; readonly after?: string },
): Promise<{ reported: string[]; rewritten: string[] }> {
  const changed = `SET lock_timeout = '5s';\n${cases.map((c, i) => `${sql.statement(c, i)}\n`).join('')}`;
  const files = { '001_create.sql': sql.created, '002_change.sql': changed };
  const result = await lint({ files: Object.keys(files), config: { postgres: db.major } }, memoryHost(files));
  const reported = result.diagnostics.filter((d) => d.code === code).map((d) => cases[result.sources.get(d.file)!.position(d.span!.start).line - 2]!.name);

  await db.run('DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await db.run(sql.created);
  const rewritten: string[] = [];
  for (const [i, c] of cases.entries()) {
    const file = async () => rowsOf(await db.run(`SELECT pg_catalog.pg_relation_filenode('${sql.table(i)}') AS f`))[0]!.f;
    const before = await file();
    await db.run(sql.statement(c, i));
    if (sql.after) await db.run(sql.after);
    if ((await file()) !== before) rewritten.push(c.name);
  }
  return { reported, rewritten };
}
