import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../src/compile.js';
import type { TemplateSources } from '../src/emit/template-names.js';
import { memoryHost } from '../src/host.js';
import type { Plan } from '../src/normalize/model.js';
import { calledProcedure, confirmStatement, ledgerPrelude, runStatements, stopKey } from '../src/emit/sql/ledger.js';
import { loadSqlParser, parseSql, type PgNode } from '../src/sql/parser.js';
import { dollarQuote, dollarTag, sqlComment, sqlLiteral, terminated } from '../src/sql/quote.js';
import { brief, builtinTemplates, compileFiles, minimalPlan, root } from './helpers.js';

/**
 * Plan text in SQL scripts is inert (issues 7 and 14): prose becomes comment lines, text in
 * literals and dollar quotes cannot end them, and each rendered script is checked against the
 * statements migc meant to write. The last suite runs hostile plans with the real psql on a
 * PostgreSQL server (MIGC_TEST_DATABASE_URL; required under CI=true).
 */
beforeAll(() => loadSqlParser());

describe('sqlComment', () => {
  it.each([
    ['LF', '\n'], ['CR', '\r'], ['CRLF', '\r\n'], ['vertical tab', '\v'], ['form feed', '\f'],
    ['NEL', '\u0085'], ['line separator', '\u2028'], ['paragraph separator', '\u2029'],
  ])('starts a new comment line at a %s', (_, sep) => {
    expect(sqlComment(`one${sep}\\! touch x${sep}DROP TABLE t; */ $migc$`)).toBe('-- one\n-- \\! touch x\n-- DROP TABLE t; */ $migc$');
  });

  it('shows control and bidi characters, keeps tabs, and trims line ends', () => {
    expect(sqlComment('a\u0000b\u001b[2Kc\u0008\u007f\u009b\u202e\tz  ')).toBe('-- a<U+0000>b<U+001B>[2Kc<U+0008><U+007F><U+009B><U+202E>\tz');
    expect(sqlComment(['title', '', 'x\n\ny'])).toBe('-- title\n--\n-- x\n--\n-- y');
  });

  it('gives only lines that start with -- and hold no line terminator', () => {
    const nasty = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i)).join('');
    for (const line of sqlComment(nasty).split('\n')) {
      expect(line.startsWith('--')).toBe(true);
      expect(line).not.toMatch(/[\r\v\f\u0000\u0085\u2028\u2029]/);
    }
  });
});

describe('sqlLiteral and dollar quotes read back as the text, whatever it holds', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });
  afterAll(() => db.close());

  const texts = [
    "it's", 'back\\slash', "\\'; SELECT 1; --", 'line\nbreak\r\nand\rmore', 'tab\there\v\f\b\u0001\u001f\u007f',
    'unicode é 日本 🎉 \u0085\u2028\u2029', '$$ $migc$ $migc1$ end', "E'x'",
  ];

  it.each(texts)('%j as a literal, with standard_conforming_strings on and off', async (text) => {
    for (const scs of ['on', 'off']) {
      await db.exec(`SET standard_conforming_strings = ${scs}`);
      const { rows } = await db.query<{ v: string }>(`SELECT ${sqlLiteral(text)} AS v`);
      expect(rows[0]!.v).toBe(text);
    }
  });

  it('writes NUL, which no PostgreSQL string can hold, visibly', async () => {
    const { rows } = await db.query<{ v: string }>(`SELECT ${sqlLiteral('a\u0000b')} AS v`);
    expect(rows[0]!.v).toBe('a<U+0000>b');
  });

  it.each(texts)('%j as a dollar-quoted body', async (text) => {
    const { rows } = await db.query<{ v: string }>(`SELECT ${dollarQuote(text)} AS v`);
    expect(rows[0]!.v).toBe(text);
  });

  it('picks a tag that neither occurs in a body nor runs into its end', async () => {
    expect(dollarTag('migc', 'x $migc$ y')).toBe('$migc1$');
    expect(dollarTag('migc', 'ends in $migc')).toBe('$migc1$');
    expect(dollarTag('migc', 'ends in $migc1', '$migc$')).toBe('$migc2$');
    for (const body of ['ends in $migc', 'x$', '$', 'a$migc$migc$']) {
      const { rows } = await db.query<{ v: string }>(`SELECT ${dollarQuote(body)} AS v`);
      expect(rows[0]!.v).toBe(body);
    }
  });

  it('puts the semicolon on its own line after a trailing -- comment, and only then', () => {
    expect(terminated('SELECT 1')).toBe('SELECT 1;');
    expect(terminated('SELECT 1 /* c */')).toBe('SELECT 1 /* c */;');
    expect(terminated('SELECT 1 -- c')).toBe('SELECT 1 -- c\n;');
    expect(terminated("SELECT '--'")).toBe("SELECT '--';");
  });
});

/** The plan's statements a script may run beside migc's own. */
function stripLocations(node: unknown): string {
  return JSON.stringify(node, (k, v) => (k === 'location' || k === 'list_start' || k === 'list_end' ? undefined : v));
}

describe('each rendered script is checked against the statements migc meant (MG051)', () => {
  const phaseTemplate = (text: string): TemplateSources => {
    const t = builtinTemplates();
    return { ...t, 'phase.up.sql': { file: 'tpl/phase.up.sql.hbs', text } };
  };
  const twoLineTitle = minimalPlan.replace('title: Minimal plan', 'title: "Minimal plan\\nCREATE TABLE pwned ();"');
  const build = (text: string, plan = twoLineTitle) => compile({ files: ['plans/a.yaml'], templates: phaseTemplate(text) }, memoryHost({ 'plans/a.yaml': plan }));
  const oldStyle = readFileSync(`${root}templates/phase.up.sql.hbs`, 'utf8').replace('{{settings}}', "SET standard_conforming_strings = on;\nSET lock_timeout = {{literal plan.settings.lockTimeout}};\nSET statement_timeout = {{literal plan.settings.statementTimeout}};");

  it('accepts the built-in templates, and a template that writes the same statements its own way', async () => {
    expect((await build(oldStyle.replace('{{header}}', '{{comment plan.title}}'))).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const r = await compileFiles({ 'plans/a.yaml': twoLineTitle }, { emit: true });
    expect(r.plans[0]!.ok).toBe(true);
    expect(r.plans[0]!.outputs.find((o) => o.path.endsWith('up.sql'))!.contents).toContain('-- Minimal plan\n-- CREATE TABLE pwned ();\n');
  });

  it.each<[string, string, RegExp, string?]>([
    ['plan text outside a comment', `-- {{plan.title}}\n{{settings}}\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}`, /statement 1 \(line 2\), "CREATE TABLE pwned \(\)" is not the one migc meant, "SET standard_conforming_strings = on"/],
    ['a psql backslash command', `{{header}}\n\\! touch /tmp/x\n{{settings}}\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}`, /it does not parse at line 7: syntax error at or near "\\"$/],
    ['a statement of its own', `{{settings}}\nSET search_path = app;\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}`, /statement 4 \(line 4\), "SET search_path = app" is not the one migc meant/],
    ['a statement left out', `{{#each blocks}}{{sql}}\n{{/each}}`, /is not the one migc meant, "SET standard_conforming_strings = on"/],
    ['a statement at the end', `{{settings}}\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}\n{{epilogue}}\nSELECT 1;`, /"SELECT 1" is one migc did not mean/],
    ['the phase left unrecorded as done', `{{settings}}\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}`, /it ends before statement \d+, "CALL public.migc_mark\('minimal', 'expand', '', 'phase done'/],
    ['plan text holding NUL', `{{settings}}\n-- {{plan.title}}\n{{prelude}}\n{{#each blocks}}{{sql}}\n{{/each}}`, /holds a NUL character at line 4/, minimalPlan.replace('title: Minimal plan', 'title: "Minimal\\0plan"')],
  ])('refuses a template with %s, on the template, and writes nothing of the plan', async (_, text, message, plan) => {
    const r = await build(text, plan ?? twoLineTitle);
    expect(brief(r).filter((l) => !l.includes('MG051'))).toEqual([]);
    expect(r.plans[0]!.ok).toBe(false);
    expect(r.plans[0]!.outputs).toEqual([]);
    const d = r.diagnostics.find((x) => x.code === 'MG051');
    expect(d?.file).toBe('tpl/phase.up.sql.hbs');
    expect(d?.message).toMatch(/^01-expand\.up\.sql of plan "minimal" would run SQL that is not the plan's: /);
    expect(d?.message).toMatch(message);
    expect(d?.related?.[0]?.file).toBe('plans/a.yaml');
  });
});

describe('a script never holds a plan statement other than the plan wrote it', () => {
  it('compares the plan\'s statements with their parse trees from the plan, not with their text', async () => {
    const { checkScript } = await import('../src/emit/sql/check.js');
    const plan = parseSql("COMMENT ON TABLE users IS 'a -- x'");
    expect(plan.ok).toBe(true);
    const ast = plan.ok ? plan.statements[0]!.ast : undefined;
    // Text cut short (as byte offsets applied to characters would): the script would run something else.
    expect(checkScript("COMMENT ON TABLE users IS 'a';\n", [{ text: "COMMENT ON TABLE users IS 'a'", ...(ast ? { ast } : {}) }])).toMatchObject({ ok: false, problem: expect.stringMatching(/^statement 1 \(line 1\), .* is not the one migc meant/) });
    expect(checkScript("-- c\nCOMMENT ON TABLE users IS 'a -- x';\n", [{ text: 'ignored', ...(ast ? { ast } : {}) }])).toEqual({ ok: true });
  });

  it('with multi-byte text before a statement: the build writes the statements as written, or fails (issue 14)', async () => {
    const sql = "        sql: |\n          COMMENT ON TABLE t IS '日本語…🎉 é';\n          ALTER TABLE t ADD COLUMN flag boolean;\n";
    const r = await compileFiles({ 'plans/a.yaml': minimalPlan.replace('        sql: ALTER TABLE t ADD COLUMN c integer;\n', sql) }, { emit: true });
    const up = r.plans[0]!.outputs.find((o) => o.path.endsWith('up.sql'));
    if (!up) {
      expect(r.diagnostics.some((d) => d.code === 'MG051')).toBe(true);
      return;
    }
    const parsed = parseSql(up.contents);
    const tree = (t: string) => { const p = parseSql(t); return p.ok ? stripLocations(p.statements[0]!.ast) : t; };
    const statements = parsed.ok ? parsed.statements : [];
    expect(statements.slice(0, 3).map((s) => stripLocations(s.ast))).toEqual(['SET standard_conforming_strings = on', "SET lock_timeout = '5s'", "SET statement_timeout = '15min'"].map(tree));
    // The step's statements travel in one CALL migc_run, each a string that parses to the plan's.
    const calls = statements.map((s) => runStatements(s.ast)).filter((x) => x !== undefined);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map(tree)).toEqual(["COMMENT ON TABLE t IS '日本語…🎉 é'", 'ALTER TABLE t ADD COLUMN flag boolean'].map(tree));
  });
});

describe('the built-in SQL templates', () => {
  it.each(['phase.up.sql.hbs', 'phase.down.sql.hbs'])('%s writes only values that are safe as they are', async (name) => {
    // Every {{...}} in the template: a ready-to-write value of the view, or the comment and literal helpers.
    const Handlebars = (await import('handlebars')).default;
    const written: string[] = [];
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as { type?: string; path?: { original: string }; params?: { original?: string }[] };
      if (n.type === 'MustacheStatement') written.push([n.path!.original, ...(n.params ?? []).map((p) => p.original)].join(' '));
      for (const value of Object.values(node)) (Array.isArray(value) ? value : [value]).forEach(walk);
    };
    walk(Handlebars.parse(readFileSync(`${root}templates/${name}`, 'utf8')));
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((w) => !['header', 'settings', 'prelude', 'heading', 'sql', 'epilogue'].includes(w) && !/^(comment|literal) /.test(w))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Every free-text field of the schema, every hostile character, through the real psql.

type SchemaNode = Record<string, unknown>;
const schema = JSON.parse(readFileSync(`${root}schema/plan.schema.json`, 'utf8')) as SchemaNode;

/** Every string-valued place in a plan, as a path: phases[].steps[].run, tables{}.size. */
function stringPaths(node: SchemaNode, path: string, out: Map<string, SchemaNode>): Map<string, SchemaNode> {
  const ref = node.$ref as string | undefined;
  if (ref) return stringPaths({ ...(schema.$defs as Record<string, SchemaNode>)[ref.replace('#/$defs/', '')]!, ...node, $ref: undefined }, path, out);
  if (node.type === 'string') out.set(path, node);
  for (const alt of [...((node.anyOf as SchemaNode[] | undefined) ?? []), ...((node.oneOf as SchemaNode[] | undefined) ?? [])]) stringPaths(alt, path, out);
  for (const [key, child] of Object.entries((node.properties as Record<string, SchemaNode>) ?? {})) stringPaths(child, path ? `${path}.${key}` : key, out);
  if (typeof node.items === 'object') stringPaths(node.items as SchemaNode, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') stringPaths(node.additionalProperties as SchemaNode, `${path}{}`, out);
  return out;
}

const allStringPaths = stringPaths(schema, '', new Map());
/** Text the schema constrains to a pattern (ids, names, durations, expectations) cannot hold prose. */
const freeText = [...allStringPaths].filter(([, n]) => n.pattern === undefined).map(([p]) => p).sort();
/** The plan's own SQL: parsed, checked, and the only SQL a script may run. */
const sqlFields = ['baseline.sql', 'fixtures.sql', 'phases[].steps[].sql', 'phases[].steps[].rollback.sql', 'phases[].steps[].verify[].sql', 'verify[].sql'];
/** Names of other parts of the plan or of files; they must name something real. */
const references = ['baseline.file', 'fixtures.file', 'phases[].gate.verified[]', 'code_changes[].deploy_phase', 'rollback_plan[].phase', 'timeline[].phase', 'verify[].after', 'apps[].queries', 'apps[].queries[]'];
const prose = freeText.filter((p) => !sqlFields.includes(p) && !references.includes(p));

/** The hostile character classes of issues 7 and 14, each with what separates the payload's parts. */
const classes = {
  lf: '\n', cr: '\r', crlf: '\r\n', ls: '\u2028', ps: '\u2029', nel: '\u0085', ff: '\f', vt: '\v', nul: '\u0000',
  backslash: '\n\\', close: ' */ ', dollar: ' $$ $migc$ $migc1$ ', quote: " '\\'' ",
} as const;
type HostileClass = keyof typeof classes;

/** SQL and psql commands that must never run, tagged with where they came from. */
function payload(cls: HostileClass, field: string, dir: string): string {
  const sep: string = classes[cls];
  const tag = `${cls}_${field.replace(/[^a-z]+/g, '_')}`.slice(0, 55);
  return `${field} ${sep}CREATE TABLE pwned_${tag} ();${sep}\\! touch ${dir}/shell_${tag}${sep}\\o ${dir}/out_${tag}${sep}SELECT 'pwned';${sep}`
    + `END $migc$; CREATE TABLE pwned_${tag}_dq (); DO $migc$ BEGIN${sep}'); CREATE TABLE pwned_${tag}_lit (); --${sep}`;
}

/** A valid plan that uses every prose field of the schema, each holding a payload. */
function hostilePlan(cls: HostileClass, dir: string): { yaml: string; used: Set<string>; texts: Map<string, string> } {
  const used = new Set<string>();
  const texts = new Map<string, string>();
  const P = (field: string) => {
    used.add(field);
    const text = payload(cls, field, dir);
    texts.set(field, text);
    return text;
  };
  const t = `t_${cls}`;
  const plan = {
    migc: 1, id: `inert-${cls}`, title: P('title'), type: 'data', risk: 'high', engine: 'postgresql@15', owner: P('owner'),
    overview: { summary: P('overview.summary'), estimated_downtime: 'none', rollback_complexity: 'easy' },
    current_state: P('current_state'), target_state: P('target_state'),
    tables: { [t]: { rows: 40, size: P('tables{}.size') } },
    baseline: { sql: 'SELECT 1;' },
    fixtures: { sql: 'SELECT 1;' },
    pre_migration: {
      backup: { command: P('pre_migration.backup.command'), verify: P('pre_migration.backup.verify') },
      disk_space: P('pre_migration.disk_space'), notify: [P('pre_migration.notify[]')], staging_test: P('pre_migration.staging_test'), tasks: [P('pre_migration.tasks[]')],
    },
    phases: [
      {
        name: 'expand', kind: 'expand', description: P('phases[].description'),
        gate: { deploy: { version: 'v1', note: P('phases[].gate.deploy.note') } },
        steps: [{
          id: 'create', description: P('phases[].steps[].description'),
          // With standard_conforming_strings off, the server would read the second literal as SQL.
          sql: `CREATE TABLE ${t} (id bigint PRIMARY KEY, flag boolean); -- the table\nINSERT INTO ${t} SELECT g, NULL FROM generate_series(1, 25) g -- its rows\n;SELECT 'x\\' AS a, '; CREATE TABLE pwned_${cls}_scs (); --' AS b`,
          rollback: { sql: `DROP TABLE ${t} -- all of it` },
          verify: [{ sql: `SELECT count(*) FROM ${t} -- every row`, expect: 25, description: P('phases[].steps[].verify[].description') }],
          allow: { MG214: P('phases[].steps[].allow{}') }, estimated_time: '1s',
        }],
      },
      {
        name: 'migrate', kind: 'migrate',
        gate: { verified: ['create'], deploy: P('phases[].gate.deploy'), wait: '1h', approval: P('phases[].gate.approval') },
        steps: [
          {
            id: 'first', sql: `UPDATE ${t} SET flag = false WHERE id = 1 -- one row`,
            rollback: { irreversible: true, data_loss: true, restore: P('phases[].steps[].rollback.restore') },
            verify: [{ sql: `SELECT count(*) FROM ${t} WHERE id = 1 AND NOT flag`, expect: 1 }],
          },
          {
            id: 'fill', sql: `UPDATE ${t} SET flag = true WHERE flag IS NULL -- the rest )`, batch: { size: 10, key: 'id' },
            rollback: { sql: `UPDATE ${t} SET flag = NULL WHERE flag -- back )`, batch: { size: 10 } },
            verify: [{ sql: `SELECT count(*) FROM ${t} WHERE flag IS NULL`, expect: 0 }],
          },
          {
            id: 'analyze', sql: `ANALYZE ${t}`,
            rollback: { nothing_to_undo: P('phases[].steps[].rollback.nothing_to_undo') },
            verify: [{ sql: `SELECT count(*) FROM ${t}`, expect: 25 }],
          },
          { id: 'deploy', run: P('phases[].steps[].run'), rollback: { run: P('phases[].steps[].rollback.run') }, deploy: { version: 'v2', note: P('phases[].steps[].deploy.note') } },
          { id: 'by-hand', manual: P('phases[].steps[].manual'), rollback: { manual: P('phases[].steps[].rollback.manual') } },
        ],
      },
    ],
    code_changes: [{ file: P('code_changes[].file'), change: P('code_changes[].change'), deploy_phase: 'migrate' }],
    rollback_plan: [{ phase: 'migrate', how: P('rollback_plan[].how'), data_loss: true }],
    timeline: [{ at: 'T-0', milestone: P('timeline[].milestone'), phase: 'expand' }],
    verify: [{ sql: `SELECT count(*) FROM ${t} -- plan-wide`, expect: 25, after: 'expand', description: P('verify[].description') }],
    risks: [{ risk: P('risks[].risk'), likelihood: 'low', impact: 'low', mitigation: P('risks[].mitigation') }],
    apps: [{ version: 'v1', description: P('apps[].description'), queries: 'hostile-app.sql' }, { version: 'v2', queries: ['hostile-app.sql'] }],
  };
  // JSON is YAML; characters YAML could read as line breaks are written as escapes.
  const yaml = JSON.stringify(plan, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return { yaml, used, texts };
}

describe('the hostile plan covers the schema', () => {
  it('fills every free-text field of the schema that is not SQL or a reference with a payload', () => {
    // A new prose field in the schema fails here until hostilePlan puts a payload in it.
    const { used } = hostilePlan('lf', '/tmp/x');
    expect([...used].sort()).toEqual(prose);
    for (const p of [...sqlFields, ...references]) expect(freeText).toContain(p);
    expect(prose.length).toBeGreaterThanOrEqual(28);
  });
});

const serverUrl = process.env.MIGC_TEST_DATABASE_URL;

describe.skipIf(!serverUrl)('hostile plan text never runs under psql (skipped when MIGC_TEST_DATABASE_URL is not set; .ci/run starts a server and sets it)', () => {
  let dir = '';
  const database = `migc_inert_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  const url = new URL(serverUrl ?? 'postgres://localhost/x');
  url.pathname = `/${database}`;
  let compiled: CompileResult;
  const names = Object.keys(classes) as HostileClass[];
  const scripts = new Map<string, string>(); // "<class>/<file name>" -> path on disk

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migc-inert-'));
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const files: Record<string, string> = {};
    for (const cls of names) {
      // The plan's file name is plan text too: it goes into each script's header.
      const sep: string = classes[cls];
      files[`plans/${cls}${sep}CREATE TABLE pwned_${cls}_file ();${sep}\\! touch ${dir}/shell_${cls}_file${sep}.yaml`] = hostilePlan(cls, dir).yaml;
    }
    // The app versions' query file each hostile plan names, beside it (its name may hold a '/').
    const queries = Object.fromEntries(Object.keys(files).map((f) => [posix.join(posix.dirname(f), 'hostile-app.sql'), 'SELECT 1;\n']));
    compiled = await compile({ files: Object.keys(files).sort(), templates: builtinTemplates() }, memoryHost({ ...files, ...queries }));
    mkdirSync(join(dir, 'scripts'));
    for (const p of compiled.plans) {
      for (const o of p.outputs.filter((x) => x.path.endsWith('.sql'))) {
        const cls = p.plan!.id.replace('inert-', '');
        const path = join(dir, 'scripts', `${cls}-${o.path.split('/')[1]}`);
        writeFileSync(path, o.contents);
        scripts.set(`${cls}/${o.path.split('/')[1]}`, path);
      }
    }
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The real psql, as the scripts say to run them; standard_conforming_strings off, the harder case. */
  function psql(files: readonly string[]) {
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--echo-queries', '-o', '/dev/null', ...files.flatMap((f) => ['-f', f]), url.toString()], {
      encoding: 'utf8', env: { ...process.env, PGOPTIONS: '-c standard_conforming_strings=off' }, timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** What psql sent to the server, split and parsed by PostgreSQL's parser. */
  function echoed(stdout: string): PgNode[] {
    const parsed = parseSql(stdout);
    if (!parsed.ok) throw new Error(`psql echoed what the parser rejects: ${parsed.message}`);
    return parsed.statements.map((s) => s.ast);
  }

  /** The statements a script is meant to run: the plan's own, and migc's wrappers. */
  /** The analysis the build rendered a plan's scripts with. */
  const analysisOf = (plan: Plan) => compiled.plans.find((p) => p.plan === plan)!.analysis!;

  async function meant(plan: Plan, phase: number, direction: 'up' | 'down'): Promise<PgNode[]> {
    const { upScript, downScript } = await import('../src/emit/sql/blocks.js');
    const view = (direction === 'up' ? upScript : downScript)(plan, plan.phases[phase]!, analysisOf(plan));
    const parsed = parseSql(view.statements.map((s) => terminated(s.text)).join('\n'));
    if (!parsed.ok) throw new Error(parsed.message);
    const own = new Set(plan.phases.flatMap((p) => p.steps.flatMap((s) => [
      ...(s.action?.kind === 'sql' ? s.action.statements : []), ...(s.rollback?.kind === 'sql' ? s.rollback.statements : []),
    ])).map((s) => stripLocations(s.ast)));
    const ownOrAssertion = (text: string) => {
      const p = parseSql(text);
      return p.ok && p.statements.length === 1 && (own.has(stripLocations(p.statements[0]!.ast)) || Object.keys(p.statements[0]!.ast)[0] === 'DoStmt');
    };
    for (const s of parsed.statements) {
      const kind = Object.keys(s.ast)[0]!;
      // A CALL of migc's runs only what it carries: each string one of the plan's statements or an assertion.
      const call = kind === 'CallStmt' && (calledProcedure(s.ast) ?? '').startsWith('public.migc_') && (runStatements(s.ast) ?? []).every(ownOrAssertion);
      const wrapper = kind === 'TransactionStmt' || kind === 'DoStmt' || call || (kind === 'CreateFunctionStmt' && ledgerPrelude.includes(s.text))
        || (kind === 'VariableSetStmt' && ['standard_conforming_strings', 'lock_timeout', 'statement_timeout'].includes((s.ast as { VariableSetStmt: { name: string } }).VariableSetStmt.name));
      expect(wrapper || own.has(stripLocations(s.ast)), `${s.text} is neither the plan's nor a wrapper`).toBe(true);
    }
    return parsed.statements.map((s) => s.ast);
  }

  it('builds every hostile plan, with each payload intact in the plan model', () => {
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(compiled.plans.map((p) => p.ok)).toEqual(names.map(() => true));
    for (const p of compiled.plans) {
      const cls = p.plan!.id.replace('inert-', '') as HostileClass;
      expect(p.plan!.title).toBe(hostilePlan(cls, dir).texts.get('title'));
      expect(p.outputs.filter((o) => o.path.endsWith('.sql')).length).toBe(4);
    }
  });

  it('runs exactly the plans\' statements and migc\'s, and nothing of the payloads', async () => {
    const sorted = compiled.plans.map((p) => p.plan!).sort((a, b) => a.id.localeCompare(b.id));
    const script = (plan: Plan, name: string) => scripts.get(`${plan.id.replace('inert-', '')}/${name}`)!;
    // The operator has answered every stop (gates, run and manual steps and their rollbacks) in
    // migc_ledger beforehand, so each script runs through as psql reads it.
    const { upScript, downScript } = await import('../src/emit/sql/blocks.js');
    const answers = new pg.Client({ connectionString: url.toString() });
    await answers.connect();
    try {
      await answers.query(ledgerPrelude[0]!);
      for (const p of sorted) {
        for (const phase of p.phases) {
          for (const view of [upScript(p, phase, analysisOf(p)), downScript(p, phase, analysisOf(p))]) {
            for (const st of view.statements) {
              const parsed = parseSql(st.text);
              const key = parsed.ok && parsed.statements.length === 1 ? stopKey(parsed.statements[0]!.ast) : undefined;
              if (key) await answers.query(`${confirmStatement(key)} ON CONFLICT DO NOTHING`);
            }
          }
        }
      }
    } finally {
      await answers.end();
    }
    // Every plan up, phase 1 then 2, in one psql run; phase 2 down stops, as declared, at the
    // irreversible step (undone last), one psql run each; then phase 1 down, in one run.
    const up = psql(sorted.flatMap((p) => [script(p, '01-expand.up.sql'), script(p, '02-migrate.up.sql')]));
    const down2 = sorted.map((p) => psql([script(p, '02-migrate.down.sql')]));
    // Phase 1's down refuses while phase 2 is not rolled back (its irreversible step ran)...
    const refused = psql([script(sorted[0]!, '01-expand.down.sql')]);
    // ...and goes through once phase 2 is gone from the ledger, as after restoring the backup
    // taken before phase 2 (the ledger is restored with the rest).
    const restore = new pg.Client({ connectionString: url.toString() });
    await restore.connect();
    try {
      await restore.query("DELETE FROM public.migc_ledger WHERE phase = 'migrate'");
    } finally {
      await restore.end();
    }
    const down1 = psql(sorted.map((p) => script(p, '01-expand.down.sql')));

    // Nothing of the payloads happened: no table, no file from a shell command or \o...
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const { rows } = await db.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relname LIKE 'pwned%' OR relname LIKE 't\\_%' ORDER BY 1");
      expect(rows.map((r) => r.relname)).toEqual([]);
    } finally {
      await db.end();
    }
    expect(readdirSync(dir).sort()).toEqual(['scripts']);
    expect(readdirSync(join(dir, 'scripts')).length).toBe(names.length * 4);

    // ...each script ran to its end (or to the declared stop)...
    expect(up.stderr).not.toMatch(/ERROR|error:/);
    expect(up.status).toBe(0);
    for (const d of down2) {
      expect(d.status, d.stderr).toBe(3);
      expect(d.stderr).toMatch(/ERROR: {2}migc: step "first" is irreversible; restore: phases\[\]\.steps\[\]\.rollback\.restore /);
    }
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/ERROR: {2}migc: phase migrate of plan \S+ is not rolled back; it comes after phase expand, so it is undone first/);
    expect(echoed(refused.stdout).some((a) => calledProcedure(a) === 'public.migc_run')).toBe(false);
    expect(down1.stderr).not.toMatch(/ERROR|error:/);
    expect(down1.status).toBe(0);

    // ...and what psql sent to the server is exactly what migc meant, statement by statement.
    const upMeant = (await Promise.all(sorted.flatMap((p) => [meant(p, 0, 'up'), meant(p, 1, 'up')]))).flat();
    expect(echoed(up.stdout).map(stripLocations)).toEqual(upMeant.map(stripLocations));
    // The down script stops at the irreversible step's CALL: what comes after it is never sent.
    const untilIrreversible = (ss: PgNode[]) => ss.slice(0, ss.findIndex((a) => calledProcedure(a) === 'public.migc_irreversible') + 1);
    for (const [i, p] of sorted.entries()) expect(echoed(down2[i]!.stdout).map(stripLocations)).toEqual(untilIrreversible(await meant(p, 1, 'down')).map(stripLocations));
    expect(echoed(down1.stdout).map(stripLocations)).toEqual((await Promise.all(sorted.map((p) => meant(p, 0, 'down')))).flat().map(stripLocations));
  });

  it('shows each payload in the scripts as comment lines, one per line of the text', () => {
    const script = readFileSync(scripts.get('lf/02-migrate.down.sql')!, 'utf8');
    expect(script).toContain('-- Not run by this script. Before going on, by hand:\n--   phases[].steps[].rollback.manual\n--   CREATE TABLE pwned_lf_phases_steps_rollback_manual ();\n--   \\! touch ');
    const up = readFileSync(scripts.get('ls/02-migrate.up.sql')!, 'utf8');
    expect(up).toContain('-- Gate (check before running): deployed everywhere:\n--   phases[].gate.deploy\n--   CREATE TABLE pwned_ls_phases_gate_deploy ();');
  });
});

if (!serverUrl && process.env.CI === 'true') {
  it('has a PostgreSQL server to run the hostile scripts with psql in CI', () => {
    expect(serverUrl, 'CI=true but MIGC_TEST_DATABASE_URL is not set: .ci/run must start a server').toBeDefined();
  });
}

describe('plan text that is not SQL stays out of the SQL (issue 14)', () => {
  it('keeps every line of a multi-line run: block in comments', async () => {
    const plan = minimalPlan.replace('        sql: ALTER TABLE t ADD COLUMN c integer;\n        rollback:\n          sql: ALTER TABLE t DROP COLUMN c;\n',
      '        sql: ALTER TABLE t ADD COLUMN c integer;\n        rollback:\n          sql: ALTER TABLE t DROP COLUMN c;\n      - id: roll-out\n        run: |\n          kubectl apply -f deploy.yaml\n          kubectl rollout status deploy/app\n        rollback:\n          run: kubectl rollout undo deploy/app\n');
    const r = await compileFiles({ 'plans/a.yaml': plan }, { emit: true });
    expect(brief(r).filter((l) => l.includes('error'))).toEqual([]);
    const up = r.plans[0]!.outputs.find((o) => o.path.endsWith('up.sql'))!.contents;
    expect(up).toContain('-- Step roll-out\n-- Not run by this script. Before going on, run:\n--   kubectl apply -f deploy.yaml\n--   kubectl rollout status deploy/app\n');
    const parsed = parseSql(up);
    // The settings, the ledger's prelude, the step's transaction, the stop before roll-out, and the
    // phase recorded as done: no plan text runs.
    const kinds = parsed.ok ? parsed.statements.map((s) => Object.keys(s.ast)[0]) : [];
    expect(kinds.slice(0, 3)).toEqual(['VariableSetStmt', 'VariableSetStmt', 'VariableSetStmt']);
    expect(kinds.slice(3 + ledgerPrelude.length)).toEqual(['TransactionStmt', 'CallStmt', 'TransactionStmt', 'CallStmt', 'CallStmt']);
    const stop = parsed.ok ? parsed.statements.at(-2)! : undefined;
    expect(stop && stopKey(stop.ast)).toEqual({ plan: 'minimal', phase: 'expand', step: 'roll-out', part: 'confirmed' });
  });
});
