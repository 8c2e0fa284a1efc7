import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

async function findings(files: Record<string, string>) {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.map((d) => {
    const at = result.sources.get(d.file)!.position(d.span?.start ?? 0);
    return `${d.file}:${at.line}:${at.column} ${d.code} ${d.message}`;
  });
}

describe('invisible characters in SQL files', () => {
  it('skips a byte order mark at the start of a file, as psql does, with a note; positions stay right', async () => {
    expect(await findings({ '1.sql': '\uFEFFCREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nCREATE INDEX t_id2 ON big (id);\n' })).toEqual([
      '1.sql:1:1 MG022 skipped the byte order mark (U+FEFF) at the start of the file',
      expect.stringMatching(/^1\.sql:3:1 MG201 CREATE INDEX t_id2 /),
      expect.stringMatching(/^1\.sql:3:1 MG219 /),
    ]);
  });

  it('names the invisible character a syntax error is at: a byte order mark elsewhere, a no-break space', async () => {
    const found = await findings({ 'a.sql': 'SELECT 1;\n\uFEFFSELECT 2;\n', 'b.sql': 'SELECT\u00A0id FROM t;\n' });
    expect(found).toEqual([
      expect.stringMatching(/^a\.sql:2:1 MG020 .*\(U\+FEFF, a byte order mark: .*save it as plain UTF-8\)$/),
      expect.stringMatching(/^b\.sql:1:1 MG020 .*\(U\+00A0, a no-break space: .*retype it as a space\)$/),
    ]);
  });

  // The note says psql skips the mark: checked against the real psql.
  it.skipIf(!serverUrl)('psql runs a file that starts with a byte order mark (skipped when MIGC_TEST_DATABASE_URL is not set)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-bom-'));
    try {
      writeFileSync(join(dir, 'bom.sql'), '\uFEFFSELECT 42 AS answer;\n');
      expect(execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, 'bom.sql'), serverUrl!], { encoding: 'utf8' }).trim()).toBe('42');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a syntax error in a SQL file', () => {
  it('is reported where it is, and the statements before and after it are judged all the same', async () => {
    const sql = [
      "SET lock_timeout = '5s';",
      'CREATE INDEX users_a ON users (a);',
      'SELEC 1;',
      'CREATE TABLE fresh (id int);',
      // Parenthesised semicolons belong to their statement: the rule stays whole.
      'CREATE RULE log_fresh AS ON INSERT TO fresh DO ALSO (INSERT INTO audit VALUES (1); INSERT INTO audit VALUES (2));',
      'CREATE INDEX fresh_id ON fresh (id);',
      'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
      'ALTER TABLE orders ADD COLUMN;',
      '',
    ].join('\n');
    const found = await findings({ '1.sql': sql });
    expect(found.map((f) => f.replace(/^(\S+ \S+).*$/, '$1'))).toEqual([
      '1.sql:2:1 MG201',
      '1.sql:3:1 MG020',
      // fresh is new: its index is not reported; orders' foreign key is.
      '1.sql:7:1 MG208',
      '1.sql:7:1 MG230',
      '1.sql:8:30 MG020',
    ]);
  });

  it('stops the reading where PostgreSQL\'s lexer stops: an unterminated quote is one error', async () => {
    const found = await findings({ '1.sql': "CREATE INDEX users_a ON users (a);\nSELECT 'unterminated;\nCREATE INDEX users_b ON users (b);\n" });
    expect(found).toEqual([expect.stringMatching(/^1\.sql:2:8 MG020 /)]);
  });
});

describe('a syntax error read for an older server', () => {
  // The nineteenth trial's omnivore undo files: PostgreSQL 15 stops at VALUE, migc's parser (18's) at IF.
  const files = { '1.sql': "ALTER TYPE mood DROP VALUE IF EXISTS 'sad';\n" };
  it('says which parser read it when --postgres names an older version', async () => {
    const older = await lint({ files: ['1.sql'], config: { postgres: 15 } }, memoryHost(files));
    expect(older.diagnostics.map((d) => d.message)).toEqual([`SQL syntax error: syntax error at or near "IF" (as PostgreSQL 18's parser reads it; PostgreSQL 15 may stop at another word)`]);
    const same = await lint({ files: ['1.sql'], config: { postgres: 18 } }, memoryHost(files));
    expect(same.diagnostics.map((d) => d.message)).toEqual(['SQL syntax error: syntax error at or near "IF"']);
  });
});
