import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost, nodeHost } from '../src/host.js';
import { lint, type LintResult } from '../src/lint.js';
import { originalSpan, renderPlaceholders, withPlaceholderFlags } from '../src/lint-placeholders.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { cliEnv, root } from './helpers.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * Flyway's ${name} placeholders, filled in with the values given (--placeholder, the config's
 * placeholders) before the SQL is read, as Flyway fills them: every position migc reports is the
 * file's own, whatever the length of the values.
 */
const folder = `${root}test/fixtures/lint-layouts/flyway-placeholders`;
const files = readdirSync(folder).filter((f) => f.endsWith('.sql')).sort();

/** Each finding as `file:line:column-endLine:endColumn CODE`, its related places after `@`, from the file's own text. */
function places(result: LintResult): string[] {
  const at = (file: string, offset: number) => {
    const p = result.sources.get(file)!.position(offset);
    return `${p.line}:${p.column}`;
  };
  return result.diagnostics.map((d) => `${d.file}:${at(d.file, d.span!.start)}-${at(d.file, d.span!.end)} ${d.code}${(d.related ?? []).map((r) => ` @${r.file}:${at(r.file, r.span!.start)}`).join('')}`);
}

function lintFixture(values: Record<string, string>) {
  return lint({ files, fileTransaction: true, config: { placeholders: new Map(Object.entries(values).map(([n, v]) => [n.toLowerCase(), v])) } }, nodeHost(folder));
}

describe('rendering ${name} and mapping positions back', () => {
  it('replaces the placeholders with a value, any case of the name, and leaves the others', () => {
    const rendered = renderPlaceholders('SELECT ${a}, ${B}, ${unknown}, ${flyway:filename} FROM ${A}.t;', new Map([['a', 'xy'], ['b', 'a_longer_value']]), 'db/V1__x.sql')!;
    expect(rendered.text).toBe("SELECT xy, a_longer_value, ${unknown}, V1__x.sql FROM xy.t;");
    expect(rendered.replaced.map((r) => r.name)).toEqual(['a', 'B', 'flyway:filename', 'A']);
    // Nothing to fill: the text is read as it is.
    expect(renderPlaceholders('SELECT ${unknown};', new Map([['a', 'x']]), 'V1__x.sql')).toBeUndefined();
    expect(renderPlaceholders('SELECT 1;', new Map([['a', 'x']]), 'V1__x.sql')).toBeUndefined();
  });

  it('maps a span of the rendered text to the file\'s: text around the values moves with them, a span in a value is its placeholder\'s', () => {
    const text = 'SELECT ${a}, ${b} FROM t;';
    const rendered = renderPlaceholders(text, new Map([['a', 'x'], ['b', 'a_much_longer_value']]), 'V1__x.sql')!;
    const back = (piece: string, from = 0) => {
      const start = rendered.text.indexOf(piece, from);
      const span = originalSpan(rendered, { start, end: start + piece.length });
      return text.slice(span.start, span.end);
    };
    expect(back('FROM t')).toBe('FROM t');
    expect(back(', ')).toBe(', ');
    // Inside a value, or across one: the placeholder the user wrote.
    expect(back('much')).toBe('${b}');
    expect(back('x')).toBe('${a}');
    expect(back('x, a_much')).toBe('${a}, ${b}');
    expect(back('SELECT x')).toBe('SELECT ${a}');
    // A point just before a value stays before its placeholder.
    const before = rendered.text.indexOf('a_much');
    expect(originalSpan(rendered, { start: before, end: before })).toEqual({ start: text.indexOf('${b}'), end: text.indexOf('${b}') });
    // An empty value: what follows it follows its placeholder.
    const empty = renderPlaceholders('SELECT 1${a} + 2;', new Map([['a', '']]), 'V1__x.sql')!;
    expect(empty.text).toBe('SELECT 1 + 2;');
    expect(originalSpan(empty, { start: 8, end: 12 })).toEqual({ start: 12, end: 16 });
  });

  it('takes --placeholder name=value over the config\'s, and refuses a flag it cannot use', () => {
    const merged = withPlaceholderFlags(new Map([['schema', 'cfg'], ['other', 'kept']]), ['Schema=app', 'empty=']);
    expect(merged).toEqual({ ok: true, values: new Map([['schema', 'app'], ['other', 'kept'], ['empty', '']]) });
    expect(withPlaceholderFlags(undefined, ['schema'])).toEqual({ ok: false, message: '--placeholder takes name=value, for example --placeholder schema=app to fill ${schema}; got schema' });
    expect(withPlaceholderFlags(undefined, ['=app'])).toMatchObject({ ok: false, message: '--placeholder "=app": the name is empty' });
    expect(withPlaceholderFlags(undefined, ['my schema=app'])).toMatchObject({ ok: false, message: expect.stringContaining('a name is letters, digits and _ . : + -') });
    expect(withPlaceholderFlags(undefined, ['schema=app\nother'])).toMatchObject({ ok: false, message: expect.stringContaining('the value holds a line break, which migc does not render') });
  });
});

describe('a psql variable the runner sets (psql -v), named by --placeholder', () => {
  it('is read as set: no MG020 at it, and the value counts as used (Evergreen\'s :eg_version)', async () => {
    await loadSqlParser();
    const text = "BEGIN;\nINSERT INTO upgrade_log (version, applied_to) VALUES ('1468', :eg_version);\nCOMMIT;\n";
    const files = { '0.sql': 'CREATE TABLE upgrade_log (version text, applied_to text);\n', '1468.sql': text };
    const unset = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(unset.diagnostics.filter((d) => d.code === 'MG020').map((d) => d.help)).toEqual([expect.stringContaining('--placeholder eg_version=<value>')]);
    const given = await lint({ files: Object.keys(files), config: { placeholders: new Map([['eg_version', '3.14']]) } }, memoryHost(files));
    expect(given.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect([...given.placeholdersFilled]).toEqual(['eg_version']);
  });
});

describe('a Flyway folder with ${schema} placeholders (test/fixtures/lint-layouts/flyway-placeholders)', () => {
  beforeAll(() => loadSqlParser());

  // V2's second line holds two placeholders, its third three (two in a string literal), one in a
  // quoted identifier; V1's first line one in a comment, V3's one in its migc-ignore comment.
  const expected = [
    'V2__grow_users.sql:1:33-1:95 MG205',
    'V2__grow_users.sql:1:33-1:95 MG219',
    'V2__grow_users.sql:2:1-2:52 MG201',
    'V2__grow_users.sql:2:1-2:52 MG217 @V2__grow_users.sql:1:33',
    'V2__grow_users.sql:2:54-2:118 MG212',
    'V3__audit.sql:2:1-2:76 MG219',
  ];

  it('reports every finding at the line and column of the file as written, for a value shorter and one longer than its placeholder', async () => {
    const shorter = await lintFixture({ schema: 'app', reader: 'PUBLIC' });
    const longer = await lintFixture({ SCHEMA: 'tenant_schema_with_a_long_name', reader: 'PUBLIC' });
    expect(places(shorter)).toEqual(expected);
    expect(places(longer)).toEqual(expected);
    // The code frames show the file as written.
    expect(shorter.sources.get('V2__grow_users.sql')!.text).toBe(readFileSync(`${folder}/V2__grow_users.sql`, 'utf8'));
    // The SQL read is the rendered SQL: the string literal set the search_path, the quoted identifier named the schema.
    const messages = shorter.diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(messages[0]).toMatch(/^MG205 ADD COLUMN age rewrites app\.users /);
    expect(messages[4]).toMatch(/^MG212 changing app\.users\.note from text to varchar\(20\) rewrites app\.users /);
    expect(longer.diagnostics[4]!.message).toMatch(/^changing tenant_schema_with_a_long_name\.users\.note /);
    // The migc-ignore comment holds, placeholder and all; the line the message names is the file's.
    expect(shorter.diagnostics[5]).toMatchObject({ severity: 'info', accepted: { reason: 'app.users is read by nobody yet' } });
    expect(shorter.diagnostics[3]!.message).toContain('ALTER TABLE app.users ADD COLUMN (line 1) took');
    expect([...shorter.placeholdersFilled].sort()).toEqual(['flyway:filename', 'reader', 'schema']);
  });

  it('leaves a placeholder without a value where it is: MG020 where the parser stops at it, whose help names the flag; none in a comment or a string', async () => {
    const result = await lintFixture({ schema: 'app' });
    expect(places(result)).toEqual([...expected, 'V4__grant.sql:2:36-2:45 MG020']);
    const missing = result.diagnostics.at(-1)!;
    expect(missing.message).toBe('SQL syntax error: syntax error at or near "$": a template placeholder (${...})');
    expect(missing.help).toBe('The file is a template its migration tool renders before it runs it (Flyway replaces ${reader} with a placeholder\'s value, Liquibase with a changelog property\'s): give migc the value your deployment uses, --placeholder reader=<value> (or "placeholders" in migc.config.json), and it reads the file as the server gets it.');
    // No value at all: each statement that names ${schema} outside a string, a quoted identifier
    // or a comment stops there; the others are read as written (the schema named "${schema}").
    const none = await lintFixture({});
    expect(places(none)).toEqual([
      'V1__create_users.sql:2:14-2:23 MG020',
      'V2__grow_users.sql:1:33-1:95 MG205',
      'V2__grow_users.sql:1:33-1:95 MG219',
      'V2__grow_users.sql:2:29-2:38 MG020',
      'V2__grow_users.sql:2:54-2:118 MG212',
      'V2__grow_users.sql:3:18-3:27 MG020',
      'V3__audit.sql:2:13-2:22 MG020',
      'V4__grant.sql:2:17-2:26 MG020',
    ]);
  });

  it('maps a related place in another file, in a run in one transaction, to that file\'s own text', async () => {
    const run = {
      'V1__a.sql': "SET lock_timeout = '${timeout}'; ALTER TABLE ${schema}.users ADD COLUMN a int;\n",
      'V2__b.sql': "SET lock_timeout = '5s';\nCREATE INDEX users_a ON ${schema}.users (a);\n",
    };
    const result = await lint({ files: Object.keys(run), runTransaction: true, config: { placeholders: new Map([['schema', 'tenant_schema_with_a_long_name'], ['timeout', '5s']]) } }, memoryHost(run));
    expect(places(result)).toEqual(['V2__b.sql:2:1-2:44 MG201', 'V2__b.sql:2:1-2:44 MG217 @V1__a.sql:1:34']);
  });

  it('points a syntax error inside a value, and says the value is the one to check', async () => {
    const text = 'SET lock_timeout = \'5s\';\nCREATE TABLE ${schema}.t (id int);\n';
    const result = await lint({ files: ['V1__x.sql'], config: { placeholders: new Map([['schema', 'my schema']]) } }, memoryHost({ 'V1__x.sql': text }));
    const [error] = result.diagnostics;
    expect(error!.message).toBe('SQL syntax error: syntax error at or near "schema", in the value given for ${schema}');
    expect(error!.help).toMatch(/^The value given for \$\{schema\} \(--placeholder or "placeholders" in migc.config.json\) is written into the SQL as it is/);
    expect(text.slice(error!.span!.start, error!.span!.end)).toBe('${schema}');
  });

  it('leaves Synapse\'s $%NAME%$ to Synapse: MG020 as before, a value given or not', async () => {
    const synapse = { '73/01_x.sql': 'CREATE TABLE t (\n  id $%AUTO_INCREMENT_PRIMARY_KEY%$,\n  x int\n);\n' };
    const result = await lint({ files: Object.keys(synapse), config: { placeholders: new Map([['auto_increment_primary_key', 'bigint']]) } }, memoryHost(synapse));
    expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(['MG020 SQL syntax error: syntax error at or near "$": a template placeholder ($%...%$)']);
  });
});

/**
 * The fixture, rendered, is SQL PostgreSQL runs as Flyway sends it (PGlite, and the server of
 * MIGC_TEST_DATABASE_URL): the string literal sets the search_path migc follows (ALTER TABLE
 * users is app.users, as MG205 names it), the quoted identifier names the schema.
 */
for (const engine of sqlEngines()) {
  describe(`the rendered fixture on ${engine.name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(() => db?.close());

    it('runs, and does what migc read in it', async () => {
      const values = new Map([['schema', 'app'], ['auditor', 'ops'], ['reader', 'PUBLIC']]);
      await db.run('CREATE SCHEMA app;');
      for (const file of files) {
        const text = readFileSync(`${folder}/${file}`, 'utf8');
        await db.run(`BEGIN; ${renderPlaceholders(text, values, file)!.text} COMMIT;`);
      }
      expect(rowsOf(await db.run("SELECT obj_description('app.users'::regclass, 'pg_class') AS comment"))).toEqual([{ comment: 'the users of app, made by V2__grow_users.sql' }]);
      const columns = rowsOf(await db.run("SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'app.users'::regclass AND attnum > 0 ORDER BY attnum"));
      expect(columns).toEqual([
        { attname: 'id', type: 'bigint' }, { attname: 'email', type: 'text' }, { attname: 'note', type: 'character varying(20)' },
        { attname: 'age', type: 'integer' }, { attname: 'audited_by', type: 'text' },
      ]);
      expect(rowsOf(await db.run("SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = 'app.users'::regclass AND adnum = 5"))).toEqual([{ d: "'ops'::text" }]);
    });
  });
}

describe('migc lint --placeholder and the config\'s placeholders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migc-placeholders-'));
  for (const file of files) writeFileSync(join(dir, file), readFileSync(`${folder}/${file}`, 'utf8'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const migc = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), 'lint', '.', '--file-transaction', ...args], { cwd: dir, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });

  it('gives the file\'s own positions in json, sarif and github formats', async () => {
    const args = ['--placeholder', 'schema=tenant_schema_with_a_long_name', '--placeholder', 'reader=PUBLIC'];
    const json = JSON.parse((await migc([...args, '--format', 'json'])).stdout) as { diagnostics: { file: string; line: number; column: number; endLine: number; endColumn: number; code: string; related?: { line: number; column: number }[] }[] };
    expect(json.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.code}${(d.related ?? []).map((r) => ` @${r.line}:${r.column}`).join('')}`)).toEqual([
      'V2__grow_users.sql:1:33-1:95 MG205',
      'V2__grow_users.sql:1:33-1:95 MG219',
      'V2__grow_users.sql:2:1-2:52 MG201',
      'V2__grow_users.sql:2:1-2:52 MG217 @1:33',
      'V2__grow_users.sql:2:54-2:118 MG212',
      'V3__audit.sql:2:1-2:76 MG219',
    ]);
    const sarif = JSON.parse((await migc([...args, '--format', 'sarif'])).stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { region: Record<string, number> } }[] }[] }[] };
    expect(sarif.runs[0]!.results.find((r) => r.ruleId === 'MG212')!.locations[0]!.physicalLocation.region).toEqual({ startLine: 2, startColumn: 54, endLine: 2, endColumn: 118 });
    const github = (await migc([...args, '--format', 'github'])).stdout;
    expect(github).toMatch(/^::error file=[^,]*V2__grow_users\.sql,line=2,col=54,endLine=2,endColumn=118,title=MG212 /m);
    // The pretty code frame shows the line as written.
    const pretty = (await migc(args)).stdout;
    expect(pretty).toContain('V2__grow_users.sql:2:54 error MG212 changing tenant_schema_with_a_long_name.users.note from text to varchar(20)');
    expect(pretty).toContain('2 | CREATE INDEX users_email ON ${schema}.users (email); ALTER TABLE "${schema}".users ALTER COLUMN note TYPE varchar(20);');
  });

  it('reads the config\'s placeholders, the flag over them, and warns of a flag that fills nothing', async () => {
    writeFileSync(join(dir, 'migc.config.json'), '{ "placeholders": { "schema": "from_config", "reader": "PUBLIC" } }\n');
    try {
      const fromConfig = await migc([]);
      expect(fromConfig.stdout).toContain('MG212 changing from_config.users.note');
      expect(fromConfig.stdout).not.toContain('MG020');
      const flagged = await migc(['--placeholder', 'schema=from_flag', '--placeholder', 'shema=typo']);
      expect(flagged.stdout).toContain('MG212 changing from_flag.users.note');
      expect(flagged.stderr).toContain('migc: warning: --placeholder shema=typo: no file linted holds ${shema}, so this value is not used\n');
    } finally {
      rmSync(join(dir, 'migc.config.json'));
    }
  });

  it('refuses a value with a line break (usage error), in the config at its value (MG010)', async () => {
    const flag = await migc(['--placeholder', 'schema=a\nb']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--placeholder "schema=a\\nb": the value holds a line break, which migc does not render');
    expect((await migc(['--placeholder', 'schema'])).stderr).toContain('--placeholder takes name=value');
    writeFileSync(join(dir, 'migc.config.json'), '{\n  "placeholders": { "schema": "a\\nb", "bad name": "x" }\n}\n');
    try {
      const config = await migc([]);
      expect(config.code).toBe(2);
      expect(config.stderr).toContain('migc.config.json:2:31 error MG010 placeholders "schema": the value holds a line break');
      expect(config.stderr).toContain('migc.config.json:2:39 error MG010 placeholders "bad name": a name is letters, digits and _ . : + -');
    } finally {
      rmSync(join(dir, 'migc.config.json'));
    }
  });
});
