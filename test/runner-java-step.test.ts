import { beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';

/**
 * Activiti's and Flowable's upgrade scripts hold `execute java <class>` lines, which their schema
 * runner (DbSqlSession.executeSchemaResource) runs as a Java upgrade step: the server never sees
 * them. migc read the line as SQL and called it a syntax error (the thirty-seventh trial's E).
 */
beforeAll(loadSqlParser);

async function lintOne(text: string) {
  const files = { '1_base.sql': 'CREATE TABLE act_ge_property (name_ varchar(64) PRIMARY KEY, value_ varchar(300));\n', '2_upgrade.sql': text };
  const result = await lint({ files: Object.keys(files), fileTransaction: true }, memoryHost(files));
  const source = result.sources.get('2_upgrade.sql')!;
  return result.diagnostics.filter((d) => d.file === '2_upgrade.sql').map((d) => `${source.position(d.span!.start).line}:${source.position(d.span!.start).column} ${d.code} ${d.severity} ${d.message}`);
}

const step = 'execute java org.activiti.engine.impl.db.upgrade.DbUpgradeStep52To53InsertPropertyHistoryLevel';

describe("Activiti's execute java line", () => {
  it('is skipped with a note that the Java step\'s effects are unknown, and the statements around it are judged at their lines', async () => {
    const found = await lintOne(`${step}\n\nupdate act_ge_property set value_ = '5.3' where name_ = 'schema.version';\n  ${step}Two  \nalter table act_ge_property alter column value_ type varchar(100);\n`);
    expect(found.filter((f) => f.includes('MG020'))).toEqual([]);
    expect(found[0]).toBe(`1:1 MG022 info skipped ${step} as a script runner's directive: Activiti's (and Flowable's) schema runner runs that Java upgrade step itself, and what it does to the schema and the data is unknown to migc (2 such lines skipped)`);
    // The narrowing ALTER after the second step, at its own line.
    expect(found.some((f) => f.startsWith('5:'))).toBe(true);
  });

  it('is taken only as the runner writes it: lower case, at the start of a line, with a dotted class name, in a file the parser refuses', async () => {
    // Not the runner's shape: a syntax error, as PostgreSQL says.
    for (const line of ['EXECUTE JAVA org.x.Step', 'execute java Step', 'execute java org.x.Step now', 'select 1; execute java org.x.Step']) {
      expect((await lintOne(`${line}\nselect 1;\n`)).some((f) => f.includes('MG020')), line).toBe(true);
    }
    // A real EXECUTE of a prepared statement is SQL, read as written.
    expect(await lintOne('PREPARE java (int) AS SELECT $1;\nEXECUTE java (1);\n')).toEqual([]);
  });
});
