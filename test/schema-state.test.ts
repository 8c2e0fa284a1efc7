import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/** What the schema state learns from one migration file carries into the next one's verdicts. */
async function codes(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.file} ${d.code}`);
}

describe('the schema state across files', () => {
  it('follows a type rename into the columns of that type', async () => {
    const first = "SET lock_timeout = '5s';\nCREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE diary (id bigint PRIMARY KEY, feeling mood);\n";
    // Changing the column to its own type (under the new name) does nothing; to another type rewrites.
    const later = "SET lock_timeout = '5s';\nALTER TABLE diary ALTER COLUMN feeling TYPE feeling;\n";
    const renamed = { '1.sql': first, '2.sql': "SET lock_timeout = '5s';\n-- migc-ignore MG213: nothing reads the type yet\nALTER TYPE mood RENAME TO feeling;\n", '3.sql': later };
    expect(await codes(renamed)).toEqual([]);
    const notRenamed = { '1.sql': first, '2.sql': "SET lock_timeout = '5s';\nCREATE TYPE feeling AS ENUM ('a');\n", '3.sql': later };
    expect(await codes(notRenamed)).toEqual(['3.sql MG212']);
  });

  it('knows the volatility a later file relies on', async () => {
    const define = (volatility: string) => `CREATE FUNCTION app.tenant() RETURNS int LANGUAGE sql ${volatility} AS $$ SELECT 1 $$;\n`;
    const use = "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN tenant int DEFAULT app.tenant();\n";
    const table = 'CREATE TABLE orders (id bigint PRIMARY KEY);\n';
    expect(await codes({ '1.sql': table + define('STABLE'), '2.sql': use })).toEqual([]);
    expect(await codes({ '1.sql': table + define(''), '2.sql': use })).toEqual(['2.sql MG205']);
  });
});
