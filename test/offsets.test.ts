import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { runStatements } from '../src/emit/sql/ledger.js';
import { lint } from '../src/lint.js';
import { compileBatch } from '../src/sql/batch.js';
import { offsetMap } from '../src/sql/offsets.js';
import { psqlStatements } from '../src/sql/psql.js';
import { loadSqlParser, parseSql, scanSql } from '../src/sql/parser.js';
import { brief, compileFiles, minimalPlan, root } from './helpers.js';

/**
 * libpg-query counts bytes (statement locations, tokens) and characters (error cursors); migc
 * slices UTF-16 strings. Every text below holds accents, CJK, astral emoji and combining marks
 * before, inside and after statements.
 */
beforeAll(() => loadSqlParser());

/** Multi-byte samples of every width: 2-byte, 3-byte, 4-byte (a surrogate pair), combining marks. */
const samples = ['é', 'Ünïcödé', '日本語のコメント', '🎉', '👩‍👩‍👧', 'e\u0301', 'Zalgơ̴̡̗', 'ñ🎉日', '\u00a0'];

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The plan statements a script's CALLs of migc_run carry, in order. */
function carried(script: string): string[] {
  const parsed = parseSql(script);
  return parsed.ok ? parsed.statements.flatMap((st) => runStatements(st.ast) ?? []) : [];
}

describe('offsetMap', () => {
  it('is the identity for ASCII text', () => {
    const map = offsetMap('SELECT 1; SELECT 2;');
    expect([0, 7, 19].map((o) => map.fromByte(o))).toEqual([0, 7, 19]);
    expect([0, 7, 19].map((o) => map.fromCodePoint(o))).toEqual([0, 7, 19]);
  });

  it('maps every character boundary of mixed text, bytes and code points alike', () => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const pieces = ['a', ' ', ';', "'", ...samples, '\ud83d', 'x\udc00'];
    for (let round = 0; round < 50; round++) {
      const text = Array.from({ length: 40 }, () => pieces[next() % pieces.length]).join('');
      const map = offsetMap(text);
      let points = 0;
      for (let i = 0; i <= text.length; i++) {
        const lowHalf = i > 0 && i < text.length && (text.charCodeAt(i) & 0xfc00) === 0xdc00 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800;
        if (lowHalf) continue; // not a character boundary
        const prefix = text.slice(0, i);
        // A lone surrogate is encoded as 3 bytes (emscripten writes its code point as is).
        const bytes = [...prefix].reduce((n, ch) => n + (ch.length === 1 && (ch.charCodeAt(0) & 0xf800) === 0xd800 ? 3 : byteLength(ch)), 0);
        expect(map.fromByte(bytes), `${JSON.stringify(text)} @${i}`).toBe(i);
        expect(map.fromCodePoint(points), `${JSON.stringify(text)} @${i}`).toBe(i);
        points++;
      }
    }
  });

  it('snaps an offset inside a character to its start, and clamps past the end', () => {
    const map = offsetMap('a🎉b');
    expect([1, 2, 3, 4, 5, 6, 99].map((b) => map.fromByte(b))).toEqual([1, 1, 1, 1, 3, 4, 4]);
    expect(map.fromCodePoint(99)).toBe(4);
  });
});

describe('parseSql with multi-byte text', () => {
  const statements = [
    "COMMENT ON TABLE users IS '日本語…🎉'",
    'ALTER TABLE users ADD COLUMN flag boolean',
    "UPDATE users SET name = 'Zoë e\u0301 👩‍👩‍👧' WHERE id = 1",
    'SELECT "ñame🎉" FROM "日本"',
    'SELECT 1',
  ];

  it.each(samples)('gives back exactly the statements written, around %j', (s) => {
    const text = `-- ${s} before\n${statements.join(`; /* ${s} */\n-- ${s}\n`)};\n-- ${s} after\n`;
    const parsed = parseSql(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.statements.map((p) => p.text)).toEqual(statements);
    for (const p of parsed.statements) expect(text.slice(p.start, p.end)).toBe(p.text);
  });

  it('keeps characters PostgreSQL reads as part of a name, such as a trailing no-break space', () => {
    const parsed = parseSql('SELECT 1 AS x\u00a0; SELECT 2');
    expect(parsed.ok && parsed.statements.map((p) => p.text)).toEqual(['SELECT 1 AS x\u00a0', 'SELECT 2']);
  });

  it('places a syntax error after an emoji at the right character', () => {
    const text = "SELECT '🎉👩‍👩‍👧', 'é' FRM t";
    const parsed = parseSql(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(text.slice(parsed.offset)).toBe('t');
  });

  it('reads an empty text, or one of comments only, as no statements', () => {
    expect(parseSql('')).toEqual({ ok: true, statements: [] });
    expect(parseSql('-- 日本語 only\n/* 🎉 */\n')).toEqual({ ok: true, statements: [] });
  });

  it('scans tokens at string indices', () => {
    const text = "UPDATE t SET a = '🎉é' WHERE b = 'ü'";
    const tokens = scanSql(text);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(tokens.find((t) => t.keyword === 'WHERE')!.start).toBe(text.indexOf('WHERE'));
  });
});

describe('random multi-byte scripts', () => {
  it('split the same way for the parser and for psql, with every statement as written', () => {
    let seed = 3;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const pick = <T,>(xs: readonly T[]) => xs[next(xs.length)]!;
    const word = () => Array.from({ length: 1 + next(4) }, () => pick([...samples, 'a', ';', '--', "''", '$', '\\', '/*'])).join('');
    const makers = [
      () => `COMMENT ON TABLE t IS '${word()}'`,
      () => `SELECT E'${word().replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' AS "${word().replace(/"/g, '""')}"`,
      () => `SELECT $q$${word().replace(/\$q\$/g, '')}$q$, 1`,
      () => `UPDATE "ñ${next(9)}" SET "日本" = '${word()}' -- ${word()}\n WHERE id = ${next(100)}`,
      () => 'ALTER TABLE users ADD COLUMN flag boolean',
    ];
    for (let round = 0; round < 100; round++) {
      const written = Array.from({ length: 1 + next(5) }, () => pick(makers)());
      const text = written.map((w) => `${next(2) ? `-- ${word()}\n` : ''}${w};${next(2) ? ` -- ${word()}` : ''}`).join('\n');
      const parsed = parseSql(text);
      expect(parsed.ok, text).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.statements.map((p) => p.text), text).toEqual(written);
      const sent = psqlStatements(text);
      expect(sent.ok && sent.statements.map((p) => p.text), text).toEqual(written.map((w) => `${w};`));
    }
  });

  it('restricts a batched statement at its WHERE after multi-byte text', () => {
    const parsed = parseSql("UPDATE users SET name = 'Zoë 🎉 日本 e\u0301 WHERE' WHERE name IS NULL");
    const loop = compileBatch(parsed.ok ? parsed.statements[0]! : (undefined as never), { size: 100, key: 'id', label: 'ñ' });
    expect(loop).toContain("UPDATE users SET name = 'Zoë 🎉 日本 e\u0301 WHERE' WHERE (name IS NULL)\n      AND users.id >= batch_from");
  });
});

describe('plans with multi-byte text', () => {
  const plan = (sql: string, rollback = 'SELECT 1;') => minimalPlan
    .replace('        sql: ALTER TABLE t ADD COLUMN c integer;\n', `        sql: |\n${sql.split('\n').map((l) => `          ${l}`).join('\n')}\n`)
    .replace('          sql: ALTER TABLE t DROP COLUMN c;', `          sql: ${rollback}`);

  it('emits exactly the statements written', async () => {
    const sql = "COMMENT ON TABLE users IS '日本語…🎉';\nALTER TABLE users ADD COLUMN flag boolean;";
    const result = await compileFiles({ 'plans/p.yaml': plan(sql) }, { emit: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    // The step's statements travel as strings of one CALL migc_run, each whole, each on its own lines.
    expect(up).toContain("\n$sql$COMMENT ON TABLE users IS '日本語…🎉'$sql$,\n");
    expect(up).toContain('\n$sql$ALTER TABLE users ADD COLUMN flag boolean$sql$\n');
    expect(up).not.toMatch(/ADD;|^COLUMN/m);
    expect(carried(up)).toEqual(["COMMENT ON TABLE users IS '日本語…🎉'", 'ALTER TABLE users ADD COLUMN flag boolean']);
  });

  it('emits a string that holds a statement as the one string it is', async () => {
    const written = ["COMMENT ON TABLE users IS 'Ça coûte très cher, señor'", "COMMENT ON COLUMN users.id IS 'clé -- fin; DROP TABLE users; -- é'"];
    const result = await compileFiles({ 'plans/p.yaml': plan(written.map((w) => `${w};`).join('\n')) }, { emit: true });
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    expect(carried(up)).toEqual(written);
    // No statement of the script is a COMMENT or a DROP of its own: they are only the strings carried.
    const parsed = parseSql(up);
    expect(parsed.ok && parsed.statements.map((p) => Object.keys(p.ast)[0]).filter((k) => k === 'CommentStmt' || k === 'DropStmt')).toEqual([]);
  });

  it('reports findings and syntax errors at their line and column in the plan file', async () => {
    // Line 13 is the first SQL line in the plan; columns count UTF-16 code units, as editors and SARIF do.
    const hazards = "COMMENT ON TABLE t IS '日本語🎉';\nCREATE INDEX t_c_idx ON t (c);";
    expect(brief(await compileFiles({ 'plans/p.yaml': plan(hazards) })).filter((l) => l.includes('MG201'))).toEqual([
      expect.stringMatching(/^14:11 error MG201 /),
    ]);
    const broken = "COMMENT ON TABLE t IS '🎉👩‍👩‍👧';\nSELECT '🎉' FRM t;";
    const line = "SELECT '🎉' FRM t;";
    expect(brief(await compileFiles({ 'plans/p.yaml': plan(broken) }))[0]).toMatch(new RegExp(`^14:${11 + line.indexOf('t;')} error MG020 `));
  });
});

describe('lint with multi-byte text', () => {
  it('reports findings at the right line and column, and honours migc-ignore', async () => {
    const text = [
      '-- 日本語のコメント 🎉 Ünïcödé e\u0301',
      "COMMENT ON TABLE users IS '👩‍👩‍👧 -- ; CREATE INDEX x ON users (a);';",
      '/* ñ */ CREATE INDEX users_a_idx ON users (a);',
      '-- migc-ignore MG201: the table is empty, 日本',
      'CREATE INDEX users_b_idx ON users (b);',
      "SELECT '🎉'; CREATE INDEX users_c_idx ON users (c);",
    ].join('\n');
    const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': text }));
    const src = result.sources.get('m.sql')!;
    const at = result.diagnostics.filter((d) => d.code === 'MG201').map((d) => {
      const p = src.position(d.span!.start);
      return `${p.line}:${p.column} ${d.severity}`;
    });
    expect(at).toEqual(['3:9 error', '5:1 info', `6:${"SELECT '🎉'; ".length + 1} error`]);
  });

  it('reports a syntax error after an emoji at its column', async () => {
    const text = "-- 🎉\nSELECT '🎉👩‍👩‍👧' FRM t;\n";
    const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': text }));
    const error = result.diagnostics.find((d) => d.code === 'MG020')!;
    expect(result.sources.get('m.sql')!.position(error.span!.start)).toEqual({ line: 2, column: "SELECT '🎉👩‍👩‍👧' FRM ".length + 1 });
  });

  /** The issue's case: one Japanese comment line at the top of each file moved every finding. */
  it('finds the same findings, one line down, in the corpus with a multi-byte first line', async () => {
    const corpus = `${root}test/fixtures/corpus`;
    const files = readdirSync(corpus).sort().flatMap((tool) => readdirSync(`${corpus}/${tool}`).filter((f) => f.endsWith('.sql')).sort().map((f) => `${tool}/${f}`));
    const texts = Object.fromEntries(files.map((f) => [f, readFileSync(`${corpus}/${f}`, 'utf8')]));
    const shifted = Object.fromEntries(files.map((f) => [f, `-- 日本語のコメント 🎉 e\u0301\n${texts[f]}`]));
    const where = (r: Awaited<ReturnType<typeof lint>>, shift: number) => r.diagnostics.map((d) => {
      const p = r.sources.get(d.file)!.position(d.span?.start ?? 0);
      return `${d.file}:${p.line - shift}:${p.column} ${d.severity} ${d.code}`;
    });
    const plain = await lint({ files }, memoryHost(texts));
    const withComment = await lint({ files }, memoryHost(shifted));
    expect(plain.diagnostics.length).toBeGreaterThan(20);
    expect(where(withComment, 1)).toEqual(where(plain, 0));
  });
});

describe('lint reads files as psql runs them', () => {
  const lintOne = async (text: string) => {
    const result = await lint({ files: ['m.sql'] }, memoryHost({ 'm.sql': text }));
    const src = result.sources.get('m.sql')!;
    return result.diagnostics.map((d) => {
      const p = src.position(d.span?.start ?? 0);
      return `${p.line}:${p.column} ${d.severity} ${d.code}${d.code === 'MG022' ? ` ${d.message}` : ''}`;
    });
  };

  it('skips meta-commands and COPY data with a note, and lints what follows at its place', async () => {
    const text = [
      '\\set ON_ERROR_STOP on',
      "SET lock_timeout = '5s';",
      'COPY users (id, name) FROM stdin;',
      '1\t日本語 🎉',
      "2\tCREATE INDEX not_sql ON users (x); -- migc-ignore MG201: data",
      '\\.',
      "\\echo 'ñ' \\\\ \\timing on",
      '-- migc-ignore MG201: the table is tiny',
      'CREATE INDEX users_a_idx ON users (a);',
      "SELECT 'é' \\gset",
      'CREATE INDEX users_b_idx ON users (b);',
    ].join('\n');
    expect(await lintOne(text)).toEqual([
      '1:1 info MG022 skipped 3 psql meta-commands (\\set, \\echo, \\gset)',
      '4:1 info MG022 skipped 2 lines of COPY ... FROM STDIN data',
      '9:1 info MG201',
      '11:1 error MG201',
    ]);
  });

  it('reads COPY data up to the end of the file when no \\. ends it', async () => {
    expect(await lintOne('COPY users FROM stdin;\n1\tx\n2\ty\n')).toEqual(['2:1 info MG022 skipped 2 lines of COPY ... FROM STDIN data']);
  });

  it('reads \\; as the semicolon psql puts in the query, and places errors after a meta-command', async () => {
    expect(await lintOne("SET lock_timeout = '5s' \\; SELECT 1;\n")).toEqual([]);
    expect(await lintOne("\\set x 1\nSELECT '🎉' FRM t;\n")).toEqual([
      '1:1 info MG022 skipped the psql meta-command \\set x 1',
      `2:${"SELECT '🎉' FRM ".length + 1} error MG020`,
    ]);
  });

  it('reads psql variables as what psql puts in their place, offsets kept: no syntax error where psql sends valid SQL', async () => {
    // :'v' is a string literal and :"v" an identifier whether or not the file sets them (the tool passes -v).
    expect(await lintOne("INSERT INTO t (body, tag) VALUES (:'content', 'é'), (:'content', 'ü');\nSELECT * FROM :\"schema\".t WHERE :{?flag};\n")).toEqual([]);
    // :name becomes the value of a \set variable; the findings stand where they are in the file.
    expect(await lintOne("\\set tbl users\nSET lock_timeout = '5s';\nCREATE INDEX i ON :tbl (x);\nCREATE INDEX 🎉 ON :tbl (y);\n")).toEqual([
      '1:1 info MG022 skipped the psql meta-command \\set tbl users',
      '3:1 error MG201',
      '4:1 error MG201',
    ]);
    // Unset, psql leaves :n as it is: an array slice stays one, and a stray :name stays an error.
    expect(await lintOne('SELECT a[1:n] FROM t;\n')).toEqual([]);
    expect(await lintOne('\\unset n\nSELECT :n;\n').then((r) => r.slice(1))).toEqual(['2:8 error MG020']);
  });

  it('finds nothing wrong in an empty file or one of comments only', async () => {
    expect(await lintOne('')).toEqual([]);
    expect(await lintOne('-- nothing yet 日本\n/* 🎉 */\n\n')).toEqual([]);
  });
});
