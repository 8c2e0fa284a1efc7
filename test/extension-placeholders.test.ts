import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * An extension script is read as CREATE and ALTER EXTENSION run it: `@extschema@` (and, from
 * PostgreSQL 16, `@extschema:<name>@` and `@extowner@`) filled in before the server parses it; a
 * LANGUAGE c function of the extension's own library, versioned or not, is what the script is for.
 * The thirteenth trial: 162 MG020 on timescaledb's update scripts, 104 MG220 on its
 * '$libdir/timescaledb-<version>' functions. (Checked by the trial on PostgreSQL 15 with a control
 * file installed: ALTER EXTENSION ... UPDATE runs a script that names @extschema@.)
 */
async function findings(files: Record<string, string>, searchPath?: string[]) {
  const result = await lint({ files: Object.keys(files), fileTransaction: true, config: { postgres: 16, ...(searchPath ? { searchPath } : {}) } }, memoryHost(files));
  return result.diagnostics.filter((d) => d.severity !== 'info').map((d) => {
    const at = result.sources.get(d.file)!.position(d.span!.start);
    return `${d.file}:${at.line}:${at.column} ${d.code} ${d.message}`;
  });
}

const files = {
  'myext--1.0.sql': "\\echo Use \"CREATE EXTENSION myext\" to load this file. \\quit\nSET lock_timeout = '5s';\nCREATE TABLE @extschema@.items (id int PRIMARY KEY, name text);\n",
  'myext--1.0--1.1.sql': [
    "SET lock_timeout = '5s';",
    'CREATE INDEX items_name ON @extschema@.items (name);',
    "CREATE FUNCTION @extschema@.f1() RETURNS int LANGUAGE c AS '$libdir/myext-1.1', 'f1';",
    "CREATE FUNCTION @extschema@.f2() RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'f2';",
    "CREATE FUNCTION @extschema@.f3() RETURNS int LANGUAGE c AS '$libdir/other', 'f3';",
    'GRANT SELECT ON @extschema@.items TO @extowner@;',
    'ALTER TABLE @extschema:myext@.items OWNER TO @extowner@;',
    '',
  ].join('\n'),
};

describe('extension scripts as their loader runs them', () => {
  it('fills in @extschema@ with the schema the search path names, keeps positions, and knows the extension\'s own libraries', async () => {
    expect(await findings(files, ['tsdb'])).toEqual([
      'myext--1.0--1.1.sql:2:1 MG201 CREATE INDEX items_name takes a SHARE lock on tsdb.items (no size hint: assumed large): writes wait until the index is built',
      "myext--1.0--1.1.sql:5:1 MG220 this statement reaches outside the database: a function in LANGUAGE c runs code in the server's process, with its rights on the host",
    ]);
    // Without a search path given, public: the same findings, on public's table.
    expect((await findings(files)).map((f) => f.slice(0, f.indexOf(' ', f.indexOf(' ') + 1)))).toEqual(['myext--1.0--1.1.sql:2:1 MG201', 'myext--1.0--1.1.sql:5:1 MG220']);
  });

  it('leaves @extschema@ in any other file a syntax error, as the server reads it', async () => {
    expect((await findings({ '001_x.sql': 'CREATE TABLE @extschema@.items (id int);\n' })).map((f) => f.split(' ')[1])).toEqual(['MG020']);
  });
});
