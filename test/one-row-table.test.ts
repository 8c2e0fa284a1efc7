import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * A table of one row, as its size hint says (a runner's version counter, a settings row), is
 * written whole by design: its UPDATE without WHERE is a note, not MG214's warning, and not a
 * batching problem (MG112). The twelfth trial's class B: cardano-db-sync ends every migration with
 * UPDATE schema_version SET stage_two = ..., 135 of its 468 findings.
 */
const files = {
  '001_create.sql': 'CREATE TABLE schema_version (id int PRIMARY KEY, stage_two int NOT NULL);\nCREATE TABLE tx (id bigint PRIMARY KEY, fee numeric);\n',
  '002_next.sql': "SET lock_timeout = '5s';\nUPDATE schema_version SET stage_two = 2;\nUPDATE tx SET fee = 0;\n",
};

async function findings(assumeRows: Record<string, number>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files), config: { assumeRows: new Map(Object.entries(assumeRows)) } }, memoryHost(files));
  return result.diagnostics.filter((d) => d.file === '002_next.sql').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity} ${d.code}`);
}

describe('a table of one row', () => {
  it('is written whole by design: a note', async () => {
    expect(await findings({})).toEqual(['2 warning MG112', '2 warning MG214', '3 warning MG112', '3 warning MG214']);
    expect(await findings({ schema_version: 1 })).toEqual(['2 info MG214', '3 warning MG112', '3 warning MG214']);
    // A small table of more rows still loses every row's old value.
    expect(await findings({ schema_version: 5 })).toEqual(['2 warning MG214', '3 warning MG112', '3 warning MG214']);
  });
});
