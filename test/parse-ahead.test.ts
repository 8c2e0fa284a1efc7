import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, parseSql, parseSqlFromJson, parseSqlToJson, parseFailure, type ParseOutcome } from '../src/sql/parser.js';
import { cliEnv, root } from './helpers.js';

/**
 * `migc lint` on a large folder parses on a second thread (src/sql/parse-ahead.ts), which sends
 * the parser's JSON back. Whichever thread parses a file, the outcome must be parseSql's.
 */

/** Every SQL fixture, and texts that stress offsets and errors. */
function texts(): string[] {
  const fixtures = readdirSync(join(root, 'test/fixtures'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => readFileSync(join(root, 'test/fixtures', f), 'utf8'));
  return [
    ...fixtures,
    'SELECT 1; SELECT 2;',
    "-- naïve café\nALTER TABLE \"Straße\" ADD COLUMN größe int; SELECT 'ü';",
    "SELECT 'é' FROM t WHERE;",
    'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int DEFAULT',
    ' SELECT 1',
    '-- only a comment',
    "SELECT 'unterminated",
  ];
}

const outcome = (o: ParseOutcome) => (o.ok ? { ok: true, statements: o.statements.map((s) => ({ ...s })) } : o);

beforeAll(loadSqlParser);

describe('the parser JSON a worker sends', () => {
  it('gives parseSql\'s outcome for every SQL fixture and every hard case', () => {
    const all = texts();
    expect(all.length).toBeGreaterThan(100);
    let failures = 0;
    for (const text of all) {
      const answer = parseSqlToJson(text);
      const rebuilt = answer.ok ? parseSqlFromJson(text, answer.json) : parseFailure(text, answer.error);
      if (!rebuilt.ok) failures++;
      expect(outcome(rebuilt), text.slice(0, 80)).toEqual(outcome(parseSql(text)));
    }
    // The hard cases include texts the parser rejects: the error path is held to parseSql's too.
    expect(failures).toBeGreaterThanOrEqual(3);
  });

  it('leaves JSON.parse as it was, after a parse and after a syntax error', () => {
    const parse = JSON.parse;
    parseSqlToJson('SELECT 1');
    parseSqlToJson('SELECT FROM WHERE');
    expect(JSON.parse).toBe(parse);
  });
});

describe('the parse-ahead worker', () => {
  type Module = typeof import('../src/sql/parse-ahead.js');
  let ParseAhead: Module['ParseAhead'];
  beforeAll(async () => {
    // The worker runs compiled (dist/ is built before the tests): from the TypeScript sources there is none.
    ({ ParseAhead } = (await import(pathToFileURL(join(root, 'dist/sql/parse-ahead.js')).href)) as Module);
  });

  it('answers for every text what parseSql gives, on its own thread', async () => {
    const all = texts();
    const ahead = ParseAhead.start({ files: all.length, from: 0, env: { MIGC_PARSE_AHEAD: 'on' } });
    expect(ahead).toBeDefined();
    // The last text is left to this thread: the worker skips it.
    ahead!.parse([...all.slice(0, -1), undefined]);
    const answered = new Map<number, ParseOutcome>();
    const deadline = Date.now() + 30_000;
    while (answered.size < all.length - 1 && Date.now() < deadline) {
      for (const [i, text] of all.entries()) {
        if (answered.has(i)) continue;
        const got = ahead!.take(i, text);
        if (got) answered.set(i, got);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ahead!.take(all.length - 1, all[all.length - 1]!)).toBeUndefined();
    ahead!.close();
    expect(answered.size).toBe(all.length - 1);
    for (const [i, got] of answered) expect(outcome(got), all[i]!.slice(0, 80)).toEqual(outcome(parseSql(all[i]!)));
  });

  it('does not start when it would not pay, or when turned off', () => {
    expect(ParseAhead.start({ files: 10, from: 200, env: {} })).toBeUndefined();
    expect(ParseAhead.start({ files: 5_000, from: 200, env: { MIGC_PARSE_AHEAD: 'off' } })).toBeUndefined();
  });
});

describe('migc lint with and without parsing ahead', () => {
  let dir: string;
  beforeAll(() => {
    // Files of every kind lint reads apart: a byte order mark, a psql meta-command, a syntax
    // error, an empty file, non-ASCII text before a finding.
    dir = mkdtempSync(join(tmpdir(), 'migc-parse-ahead-'));
    const files: Record<string, string> = {
      '001_create.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
      '002_bom.sql': '\uFEFFALTER TABLE users ADD COLUMN note text DEFAULT now();\n',
      '003_meta.sql': '\\set ON_ERROR_STOP on\nCREATE INDEX users_email ON users (email);\n',
      '004_broken.sql': 'ALTER TABLE users ADD COLUMN;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n',
      '005_empty.sql': '',
      '006_accents.sql': "-- «café» über alles\nUPDATE users SET email = lower(email);\nALTER TABLE users ALTER COLUMN email TYPE varchar(20);\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function lint(folder: string, mode: 'on' | 'off', extra: string[] = []): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', folder, '--format', 'json', ...extra], { env: cliEnv({ MIGC_PARSE_AHEAD: mode }), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error && error.code !== 1) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  it('finds the same, finding for finding, in files of every kind', async () => {
    const [on, off] = await Promise.all([lint(dir, 'on'), lint(dir, 'off')]);
    const codes = (JSON.parse(on) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['MG020', 'MG022']));
    expect(on).toBe(off);
  });

  it.each(['corpus/flyway', 'corpus/dbmate', 'lint-layouts/goose', 'lint-layouts/popx'])('finds the same in %s', async (folder) => {
    const path = join(root, 'test/fixtures', folder);
    const [on, off] = await Promise.all([lint(path, 'on', ['--file-transaction']), lint(path, 'off', ['--file-transaction'])]);
    expect((JSON.parse(on) as { diagnostics: unknown[] }).diagnostics.length).toBeGreaterThan(0);
    expect(on).toBe(off);
  });
});
