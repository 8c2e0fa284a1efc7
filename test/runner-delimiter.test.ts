import { beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';

/**
 * A script runner's `delimiter X` directive (DolphinScheduler's upgrade scripts, the twenty-fifth
 * trial's B): the lines after it up to X are one statement, and the server sees neither. migc
 * read both lines as SQL, and called them syntax errors "that would fail on the server too".
 */
beforeAll(loadSqlParser);

async function lintOne(text: string, extra: Record<string, string> = {}) {
  const files = { '1_base.sql': 'CREATE TABLE t_ds_audit_log (id int PRIMARY KEY, resource_type text);\n', ...extra, '2_upgrade.sql': text };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const source = result.sources.get('2_upgrade.sql')!;
  return result.diagnostics.filter((d) => d.file === '2_upgrade.sql').map((d) => `${source.position(d.span!.start).line}:${source.position(d.span!.start).column} ${d.code} ${d.severity}`);
}

const upgrade = [
  '-- modify the audit log',
  'delimiter d//',
  'CREATE OR REPLACE FUNCTION modify_audit_log() RETURNS void AS $$',
  'BEGIN',
  '  ALTER TABLE t_ds_audit_log DROP resource_type, ADD model_id bigint NOT NULL;',
  'END;',
  '$$ LANGUAGE plpgsql;',
  'd//',
  '',
  'select modify_audit_log();',
  '',
].join('\n');

describe("a runner's delimiter directive", () => {
  it('is read as the runner reads it: a note at the directive, no syntax error, and the statements between judged at their own lines', async () => {
    const found = await lintOne(upgrade);
    expect(found.filter((f) => f.includes('MG020'))).toEqual([]);
    expect(found).toContain('2:1 MG022 info');
    // The function's ALTER TABLE, run by the call: at its line in the body.
    expect(found).toContain('5:50 MG206 error');
  });

  it('takes a statement whose last line ends with the delimiter, and goes back to semicolons after delimiter ;', async () => {
    const sameLine = upgrade.replace('$$ LANGUAGE plpgsql;\nd//', () => '$$ LANGUAGE plpgsql d//').replace('select modify_audit_log();', 'delimiter ;\nselect modify_audit_log();');
    const found = await lintOne(sameLine);
    expect(found.filter((f) => f.includes('MG020'))).toEqual([]);
    expect(found).toContain('5:50 MG206 error');
  });

  it('is not looked for in a file the parser reads as written, nor is a line of a body that reads "delimiter" taken for one', async () => {
    const body = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\nSELECT 'x'\n$$;\n";
    expect(await lintOne(body)).toEqual([]);
    // Without the directive the same text is a syntax error, as PostgreSQL says.
    expect((await lintOne(upgrade.replace('delimiter d//\n', ''))).some((f) => f.includes('MG020'))).toBe(true);
  });
});

describe("another language's comment line", () => {
  it('is still a syntax error, whose help says a runner may drop such lines (Openfire, the twenty-seventh trial\'s B)', async () => {
    for (const marker of ['//', '#']) {
      const files = { '1.sql': `CREATE TABLE u (id int);\n  ${marker} add a column\nALTER TABLE u ADD COLUMN k int;\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      const found = result.diagnostics.filter((d) => d.code === 'MG020');
      expect(found.map((d) => d.help)).toEqual([expect.stringMatching(new RegExp(`^${marker.replace(/\//g, '\\/')} starts no comment in PostgreSQL's SQL .* if yours does, lint a copy without them`))]);
    }
    // Any other syntax error gets the usual help.
    const mid = await lint({ files: ['1.sql'] }, memoryHost({ '1.sql': 'SELEC 1; -- // not at the error\n' }));
    expect(mid.diagnostics.find((d) => d.code === 'MG020')?.help).toMatch(/^Fix the statement/);
  });
});
