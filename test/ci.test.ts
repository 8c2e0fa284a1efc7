import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompileResult, PlanResult } from '../src/compile.js';
import { renderSummary, summaryCap } from '../src/cli/summary.js';
import { rebuildCommand, shortDiff } from '../src/cli/check-outputs.js';
import { colorWanted, formatInArgv } from '../src/cli/format.js';
import { annotationsPerKind, renderGithub } from '../src/diagnostics/render.js';
import { maxSarifResults, renderSarif, sarifSchemaUri } from '../src/diagnostics/sarif.js';
import { pathFromRoot } from '../src/cli/repository-root.js';
import { SourceText } from '../src/diagnostics/source-text.js';
import { cliEnv, compileFiles, minimalPlan, root } from './helpers.js';

/** The real binary (npm test builds dist/ first), outside GitHub Actions unless a test says so. */
function migc(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv(env) }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const badPlan = minimalPlan.replace('kind: expand', 'kind: expnad');
/** A plan with a hazard (MG201 CREATE INDEX without CONCURRENTLY) and a multi-line SQL location. */
const hazardPlan = minimalPlan.replace('id: minimal', 'id: hazard').replace('sql: ALTER TABLE t ADD COLUMN c integer;', 'sql: CREATE INDEX t_c ON t (c);').replace('sql: ALTER TABLE t DROP COLUMN c;', 'sql: DROP INDEX t_c;');

let dir: string;
let n = 0;
function project(files: Record<string, string> = {}, withExamples = true): string {
  const p = join(dir, `p${n++}`);
  mkdirSync(p);
  if (withExamples) cpSync(join(root, 'plans'), join(p, 'plans'), { recursive: true });
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(join(p, f, '..'), { recursive: true });
    writeFileSync(join(p, f), t);
  }
  return p;
}
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'migc-ci-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outputSchema = new Ajv2020.default({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(root, 'schema/output.schema.json'), 'utf8')));
function expectOutputDocument(stdout: string): Record<string, any> {
  const doc = JSON.parse(stdout);
  expect(outputSchema(doc), JSON.stringify(outputSchema.errors)).toBe(true);
  return doc;
}

/**
 * SARIF 2.1.0's JSON schema (draft-04), as shipped by Microsoft's SARIF SDK for JavaScript
 * (@microsoft/jest-sarif, the schema SchemaStore publishes). Ajv 8 reads draft-04 once its
 * $schema and id are taken off (none of draft-04's differing keywords are used); formats are
 * checked with the URL parser.
 */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(root, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  delete schema.$schema;
  delete schema.id;
  // unicodeRegExp: false: the rtm.5 schema's language pattern has a stray ] that only non-Unicode RegExps accept.
  const ajv = new Ajv.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

/**
 * What GitHub code scanning demands beyond the schema (docs: "SARIF support for code scanning";
 * Microsoft's SARIF validator's GitHub ingestion rules): a location with a file and a line on
 * every result (one without rejects the whole upload), rules with both descriptions and help,
 * paths relative to the repository's root, at most 25,000 results.
 */
function expectCodeScanningAccepts(log: any, what = ''): void {
  const run = log.runs[0];
  expect(run.results.length, what).toBeLessThanOrEqual(25_000);
  for (const r of run.results) {
    const location = r.locations?.[0]?.physicalLocation;
    expect(location?.artifactLocation?.uri, `${what} ${r.ruleId}`).toBeTruthy();
    expect(location.artifactLocation.uri, what).not.toMatch(/^\.\.?\//);
    expect(location.region?.startLine, `${what} ${r.ruleId}`).toBeGreaterThanOrEqual(1);
    expect(run.tool.driver.rules[r.ruleIndex].id, what).toBe(r.ruleId);
  }
  for (const rule of run.tool.driver.rules) {
    expect(rule.shortDescription.text, what).toBeTruthy();
    expect(rule.fullDescription?.text, `${what} ${rule.id}`).toBeTruthy();
    expect(rule.help?.text, `${what} ${rule.id}`).toBeTruthy();
  }
  expect(run.invocations?.[0]?.executionSuccessful, what).toBeTypeOf('boolean');
}

/**
 * Microsoft's SARIF validator (the SARIF Multitool, whose "GitHub ingestion rules" GitHub's docs
 * point to for checking an upload): the findings of its SARIF and GitHub (GHxxxx) rules on a log,
 * as "RULE message-id (where)". Its binary is Linux's; elsewhere, outside CI, the check is skipped.
 */
const multitool = (() => {
  try {
    return createRequire(import.meta.url)('@microsoft/sarif-multitool-linux') as string;
  } catch {
    if (process.env.CI) throw new Error('the SARIF Multitool (@microsoft/sarif-multitool) is not installed');
    return undefined;
  }
})();
function multitoolFindings(log: unknown): string[] | undefined {
  if (!multitool) return undefined;
  const work = mkdtempSync(join(dir, 'multitool-'));
  writeFileSync(join(work, 'in.sarif'), JSON.stringify(log));
  execFileSync(multitool, ['validate', join(work, 'in.sarif'), '--rule-kind', 'Gh;Sarif', '--output', join(work, 'out.sarif')], { cwd: work, encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
  const out = JSON.parse(readFileSync(join(work, 'out.sarif'), 'utf8'));
  rmSync(work, { recursive: true, force: true });
  return (out.runs[0].results ?? []).map((r: any) => `${r.ruleId} ${r.message.id} (${(r.message.arguments ?? [])[0]})`);
}

describe('--format sarif', () => {
  const validate = sarifValidator();
  // The Multitool takes a second or two a log: it checks each shape of log once, not every copy.
  const valid = (log: unknown, what = '', { multitool = true } = {}) => {
    expect(validate(log), `${what} ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    expectCodeScanningAccepts(log, what);
    const found = multitool ? multitoolFindings(log) : undefined;
    if (found) expect(found, what).toEqual([]);
  };

  it('is valid SARIF 2.1.0, with rule metadata and results on the YAML line', async () => {
    const p = project({ 'plans/minimal.yaml': badPlan, 'plans/hazard.yaml': hazardPlan });
    const r = await migc(['check', '--format', 'sarif'], p);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout);
    valid(log);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('migc');
    const rule = run.tool.driver.rules.find((x: any) => x.id === 'MG010');
    expect(rule).toMatchObject({ name: 'schema', helpUri: 'https://github.com/migc/migc/blob/main/docs/rules/MG010.md' });
    expect(rule.help.markdown).toMatch(/^# MG010 schema/);
    const schemaError = run.results.find((x: any) => x.ruleId === 'MG010');
    expect(schemaError.level).toBe('error');
    expect(run.tool.driver.rules[schemaError.ruleIndex].id).toBe('MG010');
    expect(schemaError.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'plans/minimal.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 9, startColumn: 11, endLine: 9, endColumn: 17 } });
    const hazard = run.results.find((x: any) => x.ruleId === 'MG201');
    expect(hazard.locations[0].physicalLocation.region.startLine).toBe(12);
    // Results in a stable order: file, then place.
    const places = run.results.map((x: any) => [x.locations[0].physicalLocation.artifactLocation.uri, x.locations[0].physicalLocation.region.startLine]);
    expect(places).toEqual([...places].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])));
  });

  it('has notes (info) only with --verbose, as pretty and github do: code scanning opens an alert for every result', async () => {
    const p = project({ 'plans/hazard.yaml': hazardPlan });
    const plain = await migc(['check', '--format', 'sarif'], p);
    const log = JSON.parse(plain.stdout);
    valid(log, '', { multitool: false });
    // The example plans have notes (MG214 expected drops in contract phases, allowances): none is a result.
    expect(log.runs[0].results.filter((x: any) => x.level === 'note')).toEqual([]);
    expect(log.runs[0].tool.driver.rules.map((x: any) => x.id)).toEqual([...new Set(log.runs[0].results.map((x: any) => x.ruleId))].sort());
    expect(plain.stderr).toMatch(/\d+ notes: --verbose shows them\)\n$/);
    const verbose = JSON.parse((await migc(['check', '--format', 'sarif', '--verbose'], p)).stdout);
    valid(verbose, '--verbose');
    const notes = verbose.runs[0].results.filter((x: any) => x.level === 'note');
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.map((x: any) => x.ruleId)).toContain('MG214');
    expect(verbose.runs[0].results.length - notes.length).toBe(log.runs[0].results.length);
    // The same notes json always lists.
    const json = JSON.parse((await migc(['check', '--format', 'json'], p)).stdout);
    expect(json.diagnostics.filter((d: any) => d.severity === 'info').length).toBe(notes.length);
  });

  it('is valid for lint (SQL lines); a failure with no file is a notification of a failed invocation, not a result without a location', async () => {
    const p = project({ 'db/V1__x.sql': 'SELECT 1;\nCREATE INDEX i ON big (c);\n' }, false);
    const lint = await migc(['lint', 'db', '--format', 'sarif'], p);
    const log = JSON.parse(lint.stdout);
    valid(log);
    expect(log.runs[0].results.find((x: any) => x.ruleId === 'MG201').locations[0].physicalLocation.region.startLine).toBe(2);
    expect(log.runs[0].invocations[0]).toEqual({ executionSuccessful: true });
    const withPlans = project();
    for (const [args, cwd] of [[['check', 'nope'], p], [['build', '--frobnicate'], p], [['check', '--changed-since', 'main'], withPlans]] as const) {
      const failed = await migc([...args, '--format', 'sarif'], cwd);
      expect(failed.code, args.join(' ')).toBe(2);
      const flog = JSON.parse(failed.stdout);
      valid(flog, args.join(' '), { multitool: args[0] === 'check' && args[1] === 'nope' });
      expect(flog.runs[0].results).toEqual([]);
      expect(flog.runs[0].invocations[0].executionSuccessful).toBe(false);
      expect(flog.runs[0].invocations[0].toolExecutionNotifications[0]).toMatchObject({ level: 'error', descriptor: { id: args[1] === '--changed-since' ? 'MG091' : 'MG090' } });
    }
    const failed = JSON.parse((await migc(['check', 'nope', '--format', 'sarif'], p)).stdout);
    expect(failed.runs[0].invocations[0].toolExecutionNotifications).toEqual([{ level: 'error', message: { text: 'no such file or folder: nope' }, descriptor: { id: 'MG090' } }]);
    // A broken config has a file: its error stays a result, on the config's line.
    const config = project({ 'migc.config.json': '{ "postgres": "fifteen" }\n' });
    const clog = JSON.parse((await migc(['check', '--format', 'sarif'], config)).stdout);
    valid(clog, 'config');
    expect(clog.runs[0].results[0]).toMatchObject({ ruleId: 'MG010', locations: [{ physicalLocation: { artifactLocation: { uri: 'migc.config.json' }, region: { startLine: 1 } } }] });
  });

  it('gives findings accepted in the file (allow:, migc-ignore) with --verbose as suppressed results, with the reason, and no other', async () => {
    const allowed = hazardPlan.replace('        sql: CREATE INDEX t_c ON t (c);\n', '        sql: CREATE INDEX t_c ON t (c);\n        allow: { MG201: "t has 40 rows" }\n');
    expect(allowed).not.toBe(hazardPlan);
    const p = project({ 'plans/hazard.yaml': allowed, 'db/V1__x.sql': '-- migc-ignore MG201: big is empty until launch\nCREATE INDEX i ON big (c);\nCREATE INDEX j ON big (d);\n' }, false);
    for (const args of [['check', 'plans/hazard.yaml'], ['lint', 'db']]) {
      // GitHub code scanning does not honour suppressions: without --verbose an accepted finding is no result at all.
      const plain = JSON.parse((await migc([...args, '--format', 'sarif'], p)).stdout);
      expect(plain.runs[0].results.filter((x: any) => x.suppressions)).toEqual([]);
      const log = JSON.parse((await migc([...args, '--format', 'sarif', '--verbose'], p)).stdout);
      valid(log, args.join(' '), { multitool: args[0] === 'check' });
      const suppressed = log.runs[0].results.filter((x: any) => x.suppressions);
      expect(suppressed.map((x: any) => [x.ruleId, x.level, x.suppressions])).toEqual([
        ['MG201', 'note', [{ kind: 'inSource', justification: args[0] === 'check' ? 't has 40 rows' : 'big is empty until launch' }]],
      ]);
      // What nobody accepted stays an open result.
      if (args[0] === 'lint') {
        expect(log.runs[0].results.filter((x: any) => x.ruleId === 'MG201' && !x.suppressions).length).toBe(1);
        expect(plain.runs[0].results.filter((x: any) => x.ruleId === 'MG201').length).toBe(1);
      }
    }
  });

  it('puts a finding on a whole file on its first line, and ends a span that takes a line break on the line before', () => {
    const text = 'phases:\n  - id: one\n    kind: expand\nsteps: []\n';
    const sources = new Map([['plans/a.yaml', new SourceText(text)]]);
    const log = JSON.parse(renderSarif([
      { code: 'MG010', severity: 'error', file: 'plans/a.yaml', span: { start: text.indexOf('- id'), end: text.indexOf('steps') }, message: 'm' },
      { code: 'MG024', severity: 'warning', file: 'plans/a.yaml', message: 'whole file' },
    ], sources, { toolVersion: '0', rule: () => undefined }));
    valid(log);
    const [span, whole] = ['MG010', 'MG024'].map((code) => log.runs[0].results.find((x: any) => x.ruleId === code).locations[0].physicalLocation.region);
    // The span runs to the start of line 4 ("steps"), which holds none of it: it ends after "expand" on line 3.
    expect(span).toEqual({ startLine: 2, startColumn: 3, endLine: 3, endColumn: 17 });
    expect(whole).toEqual({ startLine: 1 });
  });

  it('keeps under code scanning\'s 25,000 results a run, errors first, and says what it left out', () => {
    const text = 'x\n'.repeat(10);
    const sources = new Map([['a.sql', new SourceText(text)]]);
    const many = Array.from({ length: maxSarifResults + 5 }, (_, i) => ({ code: 'MG201', severity: (i < 7 ? 'error' : 'warning') as 'error' | 'warning', file: 'a.sql', span: { start: 0, end: 1 }, message: `m${i}` }));
    const log = JSON.parse(renderSarif(many.reverse(), sources, { toolVersion: '0', rule: () => undefined }));
    expect(log.runs[0].results).toHaveLength(maxSarifResults);
    expect(log.runs[0].results.filter((x: any) => x.level === 'error')).toHaveLength(7);
    expect(log.runs[0].invocations[0]).toMatchObject({ executionSuccessful: true, toolExecutionNotifications: [{ level: 'warning', message: { text: expect.stringMatching(/^5 of 25005 results left out/) } }] });
  });

  it('gives every rule page as help with links that work on code scanning\'s alert page (absolute)', () => {
    const pages = readdirSync(join(root, 'docs/rules')).filter((f) => f.endsWith('.md'));
    const codes = pages.map((f) => f.replace(/\.md$/, ''));
    const sources = new Map([['a.sql', new SourceText('x\n')]]);
    const log = JSON.parse(renderSarif(codes.map((code) => ({ code, severity: 'warning' as const, file: 'a.sql', message: 'm' })), sources, {
      toolVersion: '0',
      rule: (code) => ({ name: code, summary: code, page: readFileSync(join(root, 'docs/rules', `${code}.md`), 'utf8') }),
    }));
    const rules = log.runs[0].tool.driver.rules as { id: string; help: { markdown: string } }[];
    expect(rules).toHaveLength(codes.length);
    for (const rule of rules) {
      for (const [, target] of rule.help.markdown.matchAll(/\]\(([^)\s]+)\)/g)) expect(target, rule.id).toMatch(/^(https?:|mailto:|#)/);
    }
    const mg126 = rules.find((r) => r.id === 'MG126')!;
    expect(mg126.help.markdown).toContain('[MG123](https://github.com/migc/migc/blob/main/docs/rules/MG123.md)');
    const own = JSON.parse(renderSarif([{ code: 'MG999', severity: 'error', file: 'a.sql', message: 'm' }], sources, {
      toolVersion: '0', rule: () => ({ name: 'x', summary: 's', page: '[a](MG1.md) [b](../ci.md#formats) [c](https://e.example/x) [d](#why)' }),
    }));
    expect(own.runs[0].tool.driver.rules[0].help.markdown).toBe('[a](https://github.com/migc/migc/blob/main/docs/rules/MG1.md) [b](https://github.com/migc/migc/blob/main/docs/ci.md#formats) [c](https://e.example/x) [d](#why)');
  });

  it('the validator rejects a broken log (so the checks above can fail)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x', rules: [{ id: 'A', helpUri: 'not a uri' }] } } }] })).toBe(false);
    const unlocated = { $schema: sarifSchemaUri, version: '2.1.0', runs: [{ tool: { driver: { name: 'migc', version: '0', informationUri: 'https://example.com', rules: [{ id: 'MG090', shortDescription: { text: 's' } }] } }, invocations: [{ executionSuccessful: true }], results: [{ ruleId: 'MG090', ruleIndex: 0, message: { text: 'm' } }] }] };
    expect(() => expectCodeScanningAccepts(unlocated)).toThrow();
    // What migc once printed for a usage error: GitHub's ingestion rules refuse it (no location, no full description, no help).
    const found = multitoolFindings(unlocated);
    if (found) expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^GH\d+ Error_MissingLocationsArray /), expect.stringMatching(/^GH\d+ Error_MissingFullDescription /), expect.stringMatching(/^GH\d+ Error_MissingHelp /)]));
  });
});

describe('related places (a duplicate id\'s first use) in github and sarif', () => {
  it('the annotation says them, and the SARIF message links them, as code scanning shows only linked ones', async () => {
    const twice = minimalPlan.replace('        rollback:\n          sql: ALTER TABLE t DROP COLUMN c;\n', '        rollback:\n          sql: ALTER TABLE t DROP COLUMN c;\n      - id: add-column\n        sql: SELECT 1;\n        rollback:\n          sql: SELECT 1;\n');
    expect(twice).not.toBe(minimalPlan);
    const p = project({ 'plans/twice.yaml': twice }, false);
    const annotation = (await migc(['check', '--format', 'github'], p)).stdout.trimEnd().split('\n').map((l) => parseWorkflowCommand(l)!).find((c) => c.message.includes('used twice'))!;
    expect(annotation.message.split('\n').slice(0, 2)).toEqual(['step id "add-column" is used twice', 'first used here: plans/twice.yaml:11:13']);
    const log = JSON.parse((await migc(['check', '--format', 'sarif'], p)).stdout);
    const result = log.runs[0].results.find((x: any) => x.message.text.includes('used twice'));
    expect(result.message.text.split('\n').slice(0, 2)).toEqual(['step id "add-column" is used twice', 'first used here: [plans/twice.yaml:11:13](0)']);
    expect(result.relatedLocations[0]).toMatchObject({ id: 0, physicalLocation: { artifactLocation: { uri: 'plans/twice.yaml' }, region: { startLine: 11, startColumn: 13 } } });
  });
});

describe('paths in github and sarif output: from the repository\'s root, wherever migc runs', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd, encoding: 'utf8' });
  const uris = (stdout: string) => [...new Set(JSON.parse(stdout).runs[0].results.map((x: any) => x.locations[0].physicalLocation.artifactLocation.uri))];
  const files = (stdout: string) => [...new Set(stdout.trimEnd().split('\n').map((l) => parseWorkflowCommand(l)?.properties.file).filter(Boolean))];

  it('a monorepo\'s subfolder (working-directory:) or the root naming it: the same paths, from git\'s top level', async () => {
    const repo = project({ 'services/db/plans/hazard.yaml': hazardPlan, 'services/db/db/V1__x.sql': 'CREATE INDEX i ON big (c);\n' }, false);
    git(repo, 'init', '-q');
    const sub = join(repo, 'services/db');
    const fromSub = await migc(['check', 'plans', '--format', 'sarif'], sub);
    const fromRoot = await migc(['check', 'services/db/plans', '--format', 'sarif'], repo);
    expect(uris(fromSub.stdout)).toEqual(['services/db/plans/hazard.yaml']);
    expect(uris(fromRoot.stdout)).toEqual(uris(fromSub.stdout));
    expect(files((await migc(['check', 'plans', '--format', 'github'], sub)).stdout)).toEqual(['services/db/plans/hazard.yaml']);
    expect(files((await migc(['lint', 'db', '--format', 'github'], sub)).stdout)).toEqual(['services/db/db/V1__x.sql']);
    expect(uris((await migc(['lint', 'db', '--format', 'sarif'], sub)).stdout)).toEqual(['services/db/db/V1__x.sql']);
    // A subfolder's own config error too; pretty and json keep the paths the user typed.
    writeFileSync(join(sub, 'migc.config.json'), '{ "postgres": "fifteen" }\n');
    expect(uris((await migc(['check', '--format', 'sarif'], sub)).stdout)).toEqual(['services/db/migc.config.json']);
    expect(files((await migc(['check', '--format', 'github'], sub)).stdout)).toEqual(['services/db/migc.config.json']);
    expect(JSON.parse((await migc(['check', '--format', 'json'], sub)).stdout).diagnostics[0].file).toBe('migc.config.json');
  });

  it('without git: GITHUB_WORKSPACE when migc runs inside it, else the folder migc runs in', async () => {
    const repo = project({ 'services/db/plans/hazard.yaml': hazardPlan }, false);
    const sub = join(repo, 'services/db');
    // No git repository above the project, whatever holds the temporary folder.
    const noGit = { GIT_CEILING_DIRECTORIES: dir };
    expect(uris((await migc(['check', '--format', 'sarif'], sub, { ...noGit, GITHUB_WORKSPACE: repo })).stdout)).toEqual(['services/db/plans/hazard.yaml']);
    expect(files((await migc(['check', '--format', 'github'], sub, { ...noGit, GITHUB_WORKSPACE: repo })).stdout)).toEqual(['services/db/plans/hazard.yaml']);
    expect(uris((await migc(['check', '--format', 'sarif'], sub, noGit)).stdout)).toEqual(['plans/hazard.yaml']);
    // A workspace migc is not inside says nothing about where its files are.
    expect(uris((await migc(['check', '--format', 'sarif'], sub, { ...noGit, GITHUB_WORKSPACE: join(dir, 'elsewhere') })).stdout)).toEqual(['plans/hazard.yaml']);
  });

  it('resolves symbolic links (code scanning shows no result on a path through one); a file outside the root is named absolutely', () => {
    const repo = mkdtempSync(join(dir, 'links-'));
    mkdirSync(join(repo, 'real/plans'), { recursive: true });
    writeFileSync(join(repo, 'real/plans/a.yaml'), 'x\n');
    symlinkSync(join(repo, 'real'), join(repo, 'linked'));
    const outside = mkdtempSync(join(dir, 'outside-'));
    writeFileSync(join(outside, 'b.sql'), 'x\n');
    const path = pathFromRoot(realpathSync(repo), realpathSync(join(repo, 'linked')));
    expect(path('plans/a.yaml')).toBe('real/plans/a.yaml');
    expect(path(join(outside, 'b.sql'))).toBe(join(realpathSync(outside), 'b.sql'));
    expect(path('')).toBe('');
    const log = JSON.parse(renderSarif([{ code: 'MG201', severity: 'error', file: join(outside, 'b.sql'), message: 'm' }], new Map(), { toolVersion: '0', rule: () => undefined, path }));
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: pathToFileURL(join(realpathSync(outside), 'b.sql')).href });
  });
});

/**
 * The Actions runner's parser for `::command key=value,...::message` (ActionCommand.TryParseV2
 * in actions/runner): the command ends at the first space or `::`, properties split on `,` and
 * then at the first `=`, values and the message unescaped (%25 last).
 */
function parseWorkflowCommand(line: string): { command: string; properties: Record<string, string>; message: string } | undefined {
  if (!line.startsWith('::')) return undefined;
  const end = line.indexOf('::', 2);
  if (end < 0) return undefined;
  const head = line.slice(2, end);
  const space = head.indexOf(' ');
  const command = space < 0 ? head : head.slice(0, space);
  const properties: Record<string, string> = {};
  const unescapeProp = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  if (space >= 0) {
    for (const pair of head.slice(space + 1).split(',')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      properties[pair.slice(0, eq)] = unescapeProp(pair.slice(eq + 1));
    }
  }
  const message = line.slice(end + 2).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  return { command, properties, message };
}

/**
 * What the Actions runner makes of a step's output: workflow commands, with those inside
 * `::stop-commands::TOKEN` ... `::TOKEN::` left as text; annotations kept as GitHub shows them,
 * the first `annotationsPerKind` of each kind (the runner's ExecutionContext.AddIssue).
 */
function runnerView(output: string): { shown: ReturnType<typeof parseWorkflowCommand>[]; dropped: number; text: string[] } {
  let stopped: string | undefined;
  const kept = { error: 0, warning: 0, notice: 0 } as Record<string, number>;
  const shown: ReturnType<typeof parseWorkflowCommand>[] = [];
  const text: string[] = [];
  let dropped = 0;
  for (const line of output.trimEnd().split('\n')) {
    const c = parseWorkflowCommand(line);
    if (stopped !== undefined) {
      if (c && c.command === stopped) stopped = undefined;
      else text.push(line);
      continue;
    }
    if (!c) text.push(line);
    else if (c.command === 'stop-commands') stopped = c.message;
    else if (c.command in kept) {
      if (kept[c.command]! < annotationsPerKind) shown.push(c);
      else dropped++;
      kept[c.command]!++;
    }
  }
  return { shown, dropped, text };
}

describe('--format github', () => {
  it('lines parse as the runner parses them, whatever the text holds', () => {
    const file = 'plans/a,b:c%25 d.yaml';
    const message = 'drops 100% of rows: a, b\r\nand :: more';
    const help = 'Use a::b, or 50%0A';
    const text = renderGithub(
      [{ code: 'MG214', severity: 'warning', file, span: { start: 4, end: 7 }, message, help }, { code: 'MG090', severity: 'error', file: '', message: 'no plans' }],
      new Map([[file, new SourceText('abc\nxyz more\n')]]),
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2); // no line break leaks
    // Errors first.
    expect(parseWorkflowCommand(lines[0]!)).toEqual({ command: 'error', properties: { title: 'MG090' }, message: 'no plans' });
    expect(parseWorkflowCommand(lines[1]!)).toEqual({ command: 'warning', properties: { file, line: '2', col: '1', endLine: '2', endColumn: '4', title: 'MG214' }, message: `${message}\n${help}` });
  });

  it('prints errors, then warnings, then notes, each by file, line, column and code, whatever order it is given', () => {
    const text = 'one\ntwo\nthree\n';
    const sources = new Map([['b.sql', new SourceText(text)], ['a.sql', new SourceText(text)]]);
    const d = (severity: 'error' | 'warning' | 'info', file: string, start: number, code: string) => ({ code, severity, file, span: { start, end: start + 1 }, message: `${code} at ${file}:${start}` });
    const given = [d('info', 'a.sql', 0, 'MG214'), d('warning', 'b.sql', 4, 'MG219'), d('error', 'b.sql', 0, 'MG205'), d('error', 'a.sql', 8, 'MG201'), d('warning', 'a.sql', 4, 'MG219'), d('error', 'a.sql', 4, 'MG205'), d('error', 'a.sql', 4, 'MG201'), d('error', 'a.sql', 5, 'MG201')];
    const order = (list: typeof given) => renderGithub(list, sources).trimEnd().split('\n').map((l) => { const c = parseWorkflowCommand(l)!; return `${c.command} ${c.properties.file}:${c.properties.line}:${c.properties.col} ${c.properties.title}`; });
    const expected = ['error a.sql:2:1 MG201', 'error a.sql:2:1 MG205', 'error a.sql:2:2 MG201', 'error a.sql:3:1 MG201', 'error b.sql:1:1 MG205', 'warning a.sql:2:1 MG219', 'warning b.sql:2:1 MG219', 'notice a.sql:1:1 MG214'];
    expect(order(given)).toEqual(expected);
    expect(order([...given].reverse())).toEqual(expected);
  });

  it('annotates 10 of each kind, lists the rest in the log with their places, and says what it left out', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const sources = new Map([['plans/p.yaml', new SourceText(lines)]]);
    const at = (line: number) => lines.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
    const findings = [
      ...Array.from({ length: 13 }, (_, i) => ({ code: 'MG201', severity: 'error' as const, file: 'plans/p.yaml', span: { start: at(i + 1), end: at(i + 1) + 4 }, message: `error ${i + 1}` })),
      ...Array.from({ length: 12 }, (_, i) => ({ code: 'MG219', severity: 'warning' as const, file: 'plans/p.yaml', span: { start: at(i + 14), end: at(i + 14) + 4 }, message: `warning ${i + 1}` })),
      ...Array.from({ length: 11 }, (_, i) => ({ code: 'MG214', severity: 'info' as const, file: 'plans/p.yaml', span: { start: at(i + 26), end: at(i + 26) + 4 }, message: `note ${i + 1}` })),
      // A message that tries to act as a command once past the limit.
      { code: 'MG201', severity: 'error' as const, file: 'plans/p.yaml', span: { start: at(40), end: at(40) + 2 }, message: 'evil\n::add-mask::x\n::error::pwned' },
    ];
    const out = renderGithub(findings, sources);
    const view = runnerView(out);
    expect(view.dropped).toBe(0); // nothing printed as an annotation is one GitHub drops
    const shown = (command: string) => view.shown.filter((c) => c!.command === command);
    expect(shown('error').map((c) => c!.message)).toEqual(Array.from({ length: 10 }, (_, i) => `error ${i + 1}`));
    expect(shown('warning')).toHaveLength(10);
    // 9 notes and the closing notice.
    expect(shown('notice')).toHaveLength(10);
    const last = view.shown.at(-1)!;
    expect(last.properties.title).toBe('migc: 8 findings not annotated');
    expect(last.message).toMatch(/^Not annotated: 4 errors, 2 warnings, 2 notes \(GitHub shows 10 errors, 10 warnings and 10 notices of a step\)\. This step's log lists them with their files and lines, after the annotations; migc --format sarif, uploaded to code scanning, shows every finding on its file\.$/);
    // Every finding is in the log: the unannotated ones as plain lines with file:line:column, severity and code.
    expect(view.text[0]).toBe('migc: 4 errors, 2 warnings, 2 notes past GitHub\'s 10 annotations of a kind per step, so not annotated:');
    expect(view.text.slice(1)).toEqual([
      'plans/p.yaml:11:1 error MG201 error 11',
      'plans/p.yaml:12:1 error MG201 error 12',
      'plans/p.yaml:13:1 error MG201 error 13',
      'plans/p.yaml:40:1 error MG201 evil ::add-mask::x ::error::pwned',
      'plans/p.yaml:24:1 warning MG219 warning 11',
      'plans/p.yaml:25:1 warning MG219 warning 12',
      'plans/p.yaml:35:1 info MG214 note 10',
      'plans/p.yaml:36:1 info MG214 note 11',
    ]);
    expect(view.shown.some((c) => c!.message.includes('pwned'))).toBe(false);
    // At the limit exactly, nothing is said.
    const ten = renderGithub(findings.slice(0, 10), sources);
    expect(ten.trimEnd().split('\n')).toHaveLength(10);
    expect(ten).not.toContain('not annotated');
  });

  it('a step of migc lint over many files: the CLI caps its annotations and keeps the summary line', async () => {
    const files = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`db/V${i + 1}__x.sql`, `CREATE INDEX a${i} ON big (c${i});\nCREATE INDEX b${i} ON big (d${i});\n`]));
    const p = project(files, false);
    const r = await migc(['lint', 'db', '--format', 'github'], p);
    expect(r.code).toBe(1);
    const view = runnerView(r.stdout);
    expect(view.dropped).toBe(0);
    expect(view.shown.filter((c) => c!.command === 'error')).toHaveLength(10);
    expect(view.shown.filter((c) => c!.command === 'warning')).toHaveLength(7);
    expect(view.shown.at(-1)).toMatchObject({ command: 'notice', properties: { title: 'migc: 4 findings not annotated' } });
    expect(view.text.filter((l) => / error MG201 /.test(l))).toEqual(['db/V6__x.sql:1:1 error MG201 CREATE INDEX a5 takes a SHARE lock on big (no size hint: assumed large): writes wait until the index is built (Build it without blocking writes: DROP INDEX CONCURRENTLY IF EXISTS a5; CREATE INDEX CONCURRENTLY a5 ON big (c5); each must run outside a transaction block, in a script of its own (Flyway runs a script whose every statement cannot run in a transaction outside one, or one whose .sql.conf says executeInTransaction=false); the drop takes away the INVALID index a failed build leaves, so that a re-run builds it again.)', expect.stringMatching(/^db\/V6__x\.sql:2:1 error MG201 /), expect.stringMatching(/^db\/V7__x\.sql:1:1 error MG201 /), expect.stringMatching(/^db\/V7__x\.sql:2:1 error MG201 /)]);
    // Flyway's names, linted without a flag: the note that says so stays on stderr, beside the summary.
    // And the tables taken for large, as in the pretty format: the log of a GitHub step shows stderr.
    expect(r.stderr).toBe('migc: note: Flyway runs each script in a transaction: pass --file-transaction to lint them so (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)\nmigc: linted 7 files: 14 errors, 7 warnings\nmigc: note: 14 findings take a table for large (100,000 rows or more) because nothing gives its size: big (14). Say the size of those your application keeps small, and their findings become notes: "assume_rows": { "<table>": <rows> } in migc.config.json, or --assume-rows <table>=<rows>\n');
  });

  it('is the default inside GitHub Actions, unless --format says otherwise', async () => {
    const p = project({ 'plans/minimal.yaml': badPlan });
    const auto = await migc(['check', 'plans/minimal.yaml'], p, { GITHUB_ACTIONS: 'true' });
    expect(parseWorkflowCommand(auto.stdout.trimEnd())).toMatchObject({ command: 'error', properties: { file: 'plans/minimal.yaml', line: '9' } });
    const pretty = await migc(['check', 'plans/minimal.yaml', '--format', 'pretty'], p, { GITHUB_ACTIONS: 'true' });
    expect(pretty.stdout).toMatch(/^plans\/minimal\.yaml:9:11 error MG010/);
    expect(formatInArgv(['check', '--format=json'], { GITHUB_ACTIONS: 'true' })).toBe('json');
    expect(formatInArgv(['check', '--format', 'xml'], {})).toBe('pretty');
  });
});

describe('migc verify under --format github (the default in Actions)', () => {
  it('shows the rehearsal tables in the log, inert for the runner, then the annotations', async () => {
    const p = project({}, true);
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--engine', 'pglite', '--no-crash-points'], p, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // Commands are off from ::stop-commands::TOKEN to ::TOKEN::, so no line of the tables can act as one.
    const token = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0]!)![1]!;
    const end = lines.indexOf(`::${token}::`);
    expect(end).toBeGreaterThan(0);
    const tables = lines.slice(1, end).join('\n');
    expect(tables).toMatch(/^plans\/rename-user-name\.yaml: rename-user-name: passed on PGlite/);
    expect(tables).toMatch(/\n {2}copy-names +ok +ok /);
    expect(tables).toMatch(/\n {2}app versions: 52 runs of the live versions' queries at 11 schema states/);
    // After the tables, the findings as annotations (MG080: PGlite is not the plan's PostgreSQL 15).
    expect(lines.slice(end + 1).map((l) => parseWorkflowCommand(l)?.properties.title)).toContain('MG080 rehearsal-major-mismatch');
  }, 120_000);
});

describe('pretty colours', () => {
  it('only on a terminal; NO_COLOR turns them off, FORCE_COLOR on', async () => {
    expect(colorWanted({}, true)).toBe(true);
    expect(colorWanted({}, false)).toBe(false);
    expect(colorWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorWanted({ FORCE_COLOR: '1', NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '0' }, false)).toBe(false);
    const p = project({ 'plans/minimal.yaml': badPlan });
    expect((await migc(['check', 'plans/minimal.yaml'], p, { FORCE_COLOR: '1', NO_COLOR: '' })).stdout).toContain('\u001b[');
    expect((await migc(['check', 'plans/minimal.yaml'], p)).stdout).not.toContain('\u001b[');
  });
});

describe('--format json', () => {
  it('check, build, lint and build --check match the documented schema', async () => {
    const p = project({ 'plans/minimal.yaml': badPlan, 'db/V1__x.sql': 'CREATE INDEX i ON big (c);\n' });
    const check = expectOutputDocument((await migc(['check', '--format', 'json'], p)).stdout);
    expect(check).toMatchObject({ version: 1, ok: false, summary: { plans: 8 } });
    expectOutputDocument((await migc(['build', '--format', 'json'], p)).stdout);
    expectOutputDocument((await migc(['build', '--check', '--format', 'json'], p)).stdout);
    expectOutputDocument((await migc(['lint', 'db', '--format', 'json'], p)).stdout);
  });

  it('lint marks the findings of a rollback, for a CI that reports on the ups alone (stellar\'s sql-migrate Down parts)', async () => {
    const p = project({ 'db/1_a.sql': '-- +migrate Up\nCREATE TABLE t (id int);\n', 'db/2_b.sql': '-- +migrate Up\nALTER TABLE t ADD COLUMN c int;\n-- +migrate Down\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\n' });
    const doc = expectOutputDocument((await migc(['lint', 'db', '--format', 'json', '--file-transaction'], p)).stdout);
    expect(doc.diagnostics.map((d: { code: string; line: number; rollback?: boolean }) => `${d.code}:${d.line}:${d.rollback ?? false}`)).toEqual(['MG219:2:false', 'MG207:4:true', 'MG219:4:true']);
    expect(doc.summary.rollbacks).toEqual({ error: 1, warning: 1 });
    // Ten or more in rollbacks: the pretty format says how many on stderr.
    const downs = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`many/${i + 2}_b${i}.sql`, `-- +migrate Up\nALTER TABLE t ADD COLUMN c${i} int;\n-- +migrate Down\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\n`]));
    const many = project({ 'many/1_a.sql': '-- +migrate Up\nCREATE TABLE t (id int);\n', ...downs });
    expect((await migc(['lint', 'many', '--file-transaction'], many)).stderr).toContain('migc: note: 10 of the errors and 10 of the warnings are in rollbacks (down files and down parts)');
    // The parser's findings too, in a down part and in a down file (ens's golang-migrate downs, the thirty-seventh trial's G).
    const broken = project({ 'db/1_a.sql': '-- +migrate Up\nCREATE TABLE t (id int);\n-- +migrate Down\nDROP INDEX x ON t(c);\n', 'm/1_a.up.sql': 'CREATE TABLE t (id int);\n', 'm/1_a.down.sql': 'DROP INDEX x ON t(c);\n' });
    for (const dir of ['db', 'm']) {
      const found = expectOutputDocument((await migc(['lint', dir, '--format', 'json', '--file-transaction'], broken)).stdout).diagnostics;
      expect(found.filter((d: { code: string }) => d.code === 'MG020').map((d: { file: string; rollback?: boolean }) => `${d.file}:${d.rollback ?? false}`), dir).toEqual([dir === 'db' ? 'db/1_a.sql:true' : 'm/1_a.down.sql:true']);
    }
  });

  it('every failure is a JSON document on stdout: a broken config, a bad path, no plans, a bad --out, an unknown option', async () => {
    const p = project({ 'migc.config.json': '{ "postgres": "fifteen" }\n', 'empty/README': 'no SQL here\n' });
    const config = await migc(['check', '--format', 'json'], p);
    expect(config.code).toBe(2);
    expect(expectOutputDocument(config.stdout).diagnostics[0]).toMatchObject({ code: 'MG010', file: 'migc.config.json', line: 1 });
    unlinkSync(join(p, 'migc.config.json'));
    for (const args of [['check', 'nope'], ['build', '--out', '/'], ['build', '--frobnicate'], ['lint', 'empty'], ['build', '--lock-timeout', 'soon']]) {
      const r = await migc([...args, '--format', 'json'], p);
      expect(r.code, args.join(' ')).toBe(2);
      const doc = expectOutputDocument(r.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.diagnostics[0].code).toBe('MG090');
    }
  });

  it('verify too: an unreachable server is MG094 in the document, without the password', async () => {
    const p = project();
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--database-url', 'postgres://u:hunter2secret@127.0.0.1:1/x', '--connect-timeout', '2', '--format', 'json'], p);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('hunter2secret');
    expect(expectOutputDocument(r.stdout).diagnostics[0]).toMatchObject({ code: 'MG094', message: expect.stringContaining('postgres://u:***@127.0.0.1:1/x') });
  });

  it('the schema rejects a document of another shape (so the checks above can fail)', () => {
    expect(outputSchema({ version: 2, ok: true, summary: { error: 0, warning: 0, info: 0 }, diagnostics: [] })).toBe(false);
    expect(outputSchema({ version: 1, ok: true, summary: { error: 0, warning: 0, info: 0 }, diagnostics: [{ code: 'X' }] })).toBe(false);
  });
});

describe('rule settings in migc.config.json', () => {
  it('"off" drops a rule\'s notes from plans too (MG214 in a contract phase)', async () => {
    const p = project();
    const before = JSON.parse((await migc(['check', '--format', 'json'], p)).stdout);
    expect(before.diagnostics.some((d: any) => d.code === 'MG214')).toBe(true);
    writeFileSync(join(p, 'migc.config.json'), '{ "rules": { "MG214": "off", "MG064": "off" } }\n');
    const after = JSON.parse((await migc(['check', '--format', 'json'], p)).stdout);
    expect(after.diagnostics.filter((d: any) => d.code === 'MG214')).toEqual([]);
    expect(after.diagnostics.length).toBeLessThan(before.diagnostics.length);
  });

  it('a code that cannot be changed, or does not exist, is MG052 at its key', async () => {
    const p = project({ 'migc.config.json': '{\n  "rules": {\n    "MG010": "off",\n    "MG2l4": "warning"\n  }\n}\n' });
    const r = await migc(['check'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migc\.config\.json:3:5 error MG052 rules sets MG010 \(schema\), which cannot be changed or turned off/);
    expect(r.stderr).toMatch(/migc\.config\.json:4:5 error MG052 rules names MG2l4, which is not a migc code/);
  });
});

describe('migc build --check', () => {
  it('passes on a fresh build, and names a stale, a missing and an extra file; never a file migc did not write', async () => {
    const p = project();
    expect((await migc(['build'], p)).code).toBe(0);
    const fresh = await migc(['build', '--check'], p);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toMatch(/47 files up to date/);

    const report = join(p, 'out/rename-user-name/report.md');
    writeFileSync(report, readFileSync(report, 'utf8').replace('## Phases', '## Stages'));
    unlinkSync(join(p, 'out/orders-api-v2/checklist.md'));
    const manifest = join(p, 'out/lowercase-emails/.migc-manifest');
    writeFileSync(manifest, `${readFileSync(manifest, 'utf8')}old-phase.up.sql\n`);
    writeFileSync(join(p, 'out/lowercase-emails/old-phase.up.sql'), 'SELECT 1;\n');
    writeFileSync(join(p, 'out/lowercase-emails/my-notes.md'), 'mine\n'); // not migc's: not counted
    mkdirSync(join(p, 'out/deleted-plan'));
    writeFileSync(join(p, 'out/deleted-plan/.migc-manifest'), '# m\nreport.md\n');
    writeFileSync(join(p, 'out/deleted-plan/report.md'), 'old\n');

    const r = await migc(['build', '--check'], p);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('-## Stages\n+## Phases\n');
    const codes = r.stdout.split('\n').filter((l) => / error MG053 /.test(l)).map((l) => l.replace(/:1:1 error MG053 .*? is /, ' '));
    expect(codes).toEqual([
      'out/deleted-plan/report.md no longer produced by any plan (migc wrote it: it is in .migc-manifest)',
      'out/lowercase-emails/old-phase.up.sql no longer produced by plans/lowercase-emails.yaml (migc wrote it: it is in .migc-manifest)',
      'out/orders-api-v2/checklist.md missing: plans/orders-api-v2.yaml compiles to it',
      'out/rename-user-name/report.md out of date: it differs from what plans/rename-user-name.yaml compiles to',
    ]);
    expect(readFileSync(report, 'utf8')).toContain('## Stages'); // wrote nothing
    // One plan named: other plans' folders are not judged.
    expect((await migc(['build', '--check', 'plans/pgbouncer-upgrade.yaml'], p)).code).toBe(0);
    // The help says the build to run: the same paths and options, not a bare "migc build".
    const elsewhere = await migc(['build', '--check', 'plans/rename-user-name.yaml', '--out', 'out'], p);
    expect(elsewhere.stdout).toContain('help: Run migc build plans/rename-user-name.yaml and commit the outputs it writes.');
    expect(elsewhere.stderr).toContain('out of date (run migc build plans/rename-user-name.yaml)');
  });

  it('with two folders of plans writing one output folder, judges only the folders of the plans it was given', async () => {
    // ops/plan_s/: another team's plans (a name Markdown escapes: the report's header reads plan\_s).
    const ops = readFileSync(join(root, 'plans/pgbouncer-upgrade.yaml'), 'utf8').replace('id: pgbouncer-upgrade', 'id: ops-pool');
    const p = project({ 'ops/plan_s/pool_upgrade.yaml': ops, 'ops/plan_s/index.yaml': minimalPlan.replace('id: minimal', 'id: ops-index') });
    expect((await migc(['build'], p)).code).toBe(0);
    expect((await migc(['build', 'ops/plan_s'], p)).code).toBe(0);
    // Each folder of plans checks clean: the other's outputs are not "no longer produced by any plan".
    for (const paths of [[], ['ops/plan_s'], ['plans', 'ops']]) {
      const r = await migc(['build', '--check', ...paths], p);
      expect(r.stdout, paths.join(' ')).not.toContain('MG053');
      expect(r.code).toBe(0);
    }
    // A plan removed from ops/plan_s/ is still found gone there, and only there.
    unlinkSync(join(p, 'ops/plan_s/pool_upgrade.yaml'));
    unlinkSync(join(p, 'ops/plan_s/index.yaml'));
    writeFileSync(join(p, 'ops/plan_s/other.yaml'), minimalPlan.replace('id: minimal', 'id: ops-other'));
    const gone = await migc(['build', '--check', 'ops/plan_s'], p);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('error MG053 out/ops-pool/report.md is no longer produced by any plan');
    expect(gone.stdout).toContain('error MG053 out/ops-index/01-expand.up.sql is no longer produced by any plan');
    expect(gone.stdout).not.toMatch(/out\/(rename-user-name|pgbouncer-upgrade)\//);
    expect((await migc(['build', '--check'], p)).stdout).not.toContain('MG053');
  });

  it('names the build to run with the options that change its outputs, quoted for a shell', () => {
    expect(rebuildCommand({ paths: ['plans'], out: 'out' })).toBe('migc build');
    expect(rebuildCommand({ paths: ['db/plans', 'x.yaml'], out: 'my out', templates: 'tpl', config: "it's.json", svg: true })).toBe("migc build db/plans x.yaml --out 'my out' --templates tpl --config 'it'\\''s.json' --svg");
  });

  it('a short diff shows the changed lines with context, and counts what it cuts', () => {
    const before = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const after = before.replace('line 10\n', 'line ten\n').replace(/line (5\d)\n/g, 'LINE $1\n');
    const diff = shortDiff(before, after, 'f');
    expect(diff).toContain('@@ -9,5 +9,5 @@\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n');
    expect(diff).toMatch(/… and \d+ more changed lines\n$/);
  });
});

describe('migc build --summary', () => {
  it('writes a Markdown summary inside the project, and refuses one outside', async () => {
    const p = project({ 'plans/hazard.yaml': hazardPlan });
    const r = await migc(['build', '--summary', 'summary.md'], p);
    expect(r.code).toBe(1);
    const md = readFileSync(join(p, 'summary.md'), 'utf8');
    expect(md).toMatch(/^## ❌ migc: 8 plans, 1 error/);
    expect(md).toContain('| `add-email-verified`<br>plans/email-verified.yaml | high | expand → migrate → contract | 0 | 0 | 1 |');
    expect(md).toContain('drop-verification-date: users (milliseconds)');
    expect(md).toContain('[report](out/add-email-verified/report.md)');
    expect(md).toMatch(/- \*\*error\*\* MG201 \(line 12\): /);
    const outside = await migc(['build', '--summary', '../summary.md', '--format', 'json'], p);
    expect(outside.code).toBe(2);
    expect(expectOutputDocument(outside.stdout).diagnostics[0]).toMatchObject({ code: 'MG092', message: expect.stringMatching(/outside the project/) });
  });

  it('stays under 60,000 characters with 500 plans, and says what it left out', async () => {
    const one = await compileFiles({ 'plans/p.yaml': hazardPlan.replace('CREATE INDEX t_c ON t (c);', 'CREATE INDEX t_c ON t (c); -- '.padEnd(200, 'x')) });
    const base = one.plans[0]!;
    const plans: PlanResult[] = Array.from({ length: 500 }, (_, i) => ({ ...base, file: `plans/p${String(i).padStart(3, '0')}.yaml`, id: `plan-${i}` }));
    const sources = new Map(plans.map((p) => [p.file, one.sources.get('plans/p.yaml')!]));
    const md = renderSummary({ plans, sources } as Pick<CompileResult, 'plans' | 'sources'>, { out: 'out', reported: new Set() });
    expect(md.length).toBeLessThan(summaryCap);
    expect(md.length).toBeGreaterThan(summaryCap - 5000); // it fills the room, not a fraction
    expect(md).toMatch(/^## ❌ migc: 500 plans, 500 errors/);
    expect(md).toMatch(/_Findings of \d+ plans not shown here/);
    // 3,000 plans: the rows themselves no longer fit; the rest are counted.
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...base, file: `plans/q${String(i).padStart(4, '0')}.yaml`, id: `plan-${i}` }));
    const cut = renderSummary({ plans: many, sources: new Map(many.map((p) => [p.file, one.sources.get('plans/p.yaml')!])) }, { out: 'out', reported: new Set() });
    expect(cut.length).toBeLessThan(summaryCap);
    // Each plan has one error (MG201 on the index build) and one warning (MG202 on the rollback's DROP INDEX).
    const left = /_(\d+) more plans not listed \((\d+) errors, (\d+) warnings\)/.exec(cut);
    expect(left).not.toBeNull();
    expect(Number(left![2])).toBe(Number(left![1]));
    expect(Number(left![3])).toBe(Number(left![1]));
    const small = renderSummary({ plans: plans.slice(0, 3), sources } as Pick<CompileResult, 'plans' | 'sources'>, { out: 'out', reported: new Set() });
    expect(small).not.toMatch(/not listed|not shown/);
    expect(small).toContain('### Findings');
  });

  it('escapes plan text: no HTML, links or mentions from a plan', async () => {
    const one = await compileFiles({ 'plans/p.yaml': hazardPlan.replace('risk: low', 'risk: low\ndescription: x') });
    const p = { ...one.plans[0]!, file: 'plans/<img src=x>@team|[a](b).yaml' };
    const md = renderSummary({ plans: [p], sources: new Map([[p.file, one.sources.get('plans/p.yaml')!]]) }, { out: 'out', reported: new Set() });
    expect(md).not.toContain('<img');
    expect(md).not.toContain('@team');
    expect(md).not.toContain('[a](b)');
  });
});

describe('--changed-since', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd, encoding: 'utf8' });

  it('checks the plans changed since a ref, and those naming a changed file; all when the config changes', async () => {
    const p = project();
    git(p, 'init', '-q');
    git(p, 'add', '-A');
    git(p, 'commit', '-qm', 'base');
    const ids = async (...extra: string[]) => JSON.parse((await migc(['check', '--changed-since', 'HEAD', '--format', 'json', ...extra], p)).stdout).plans.map((x: any) => x.file);
    expect(await ids()).toEqual([]);
    writeFileSync(join(p, 'plans/orders.baseline.sql'), `${readFileSync(join(p, 'plans/orders.baseline.sql'), 'utf8')}-- changed\n`);
    writeFileSync(join(p, 'plans/new.yaml'), minimalPlan.replace('id: minimal', 'id: brand-new'));
    const changed = await ids();
    expect(changed).toContain('plans/new.yaml'); // untracked
    expect(changed).toContain('plans/widen-order-quantity.yaml'); // names orders.baseline.sql
    expect(changed).not.toContain('plans/rename-user-name.yaml');
    // An app version's query file is the plan's input too: a changed query may break at some step.
    writeFileSync(join(p, 'plans/apps/users-v3.1.sql'), `${readFileSync(join(p, 'plans/apps/users-v3.1.sql'), 'utf8')}SELECT nickname FROM users;\n`);
    const withQuery = await ids();
    expect(withQuery).toContain('plans/rename-user-name.yaml');
    expect(withQuery).not.toContain('plans/email-verified.yaml');
    writeFileSync(join(p, 'migc.config.json'), '{ "postgres": 15 }\n');
    expect(await ids()).toHaveLength(8);
  });

  it('says plainly when nothing changed, in every command and format, and exits 0', async () => {
    const p = project();
    git(p, 'init', '-q');
    git(p, 'add', '-A');
    git(p, 'commit', '-qm', 'base');
    const validate = sarifValidator();
    const said = (done: string) => `migc: no plan, baseline, fixture, app query file, template or config changed since HEAD, so nothing was ${done}\n`;
    for (const [command, done] of [[['check'], 'checked'], [['build'], 'built'], [['build', '--check'], 'checked'], [['verify', '--engine', 'pglite'], 'verified']] as const) {
      for (const format of ['pretty', 'github', 'json', 'sarif']) {
        const r = await migc([...command, '--changed-since', 'HEAD', '--format', format], p);
        const what = `${command.join(' ')} --format ${format}`;
        expect(r.code, what).toBe(0);
        expect(r.stderr, what).toBe(said(done));
        if (format === 'json') expect(expectOutputDocument(r.stdout).plans ?? expectOutputDocument(r.stdout).rehearsals, what).toEqual([]);
        else if (format === 'sarif') expect(validate(JSON.parse(r.stdout)), what).toBe(true);
        else expect(r.stdout, what).toBe('');
      }
    }
    expect(existsSync(join(p, 'out'))).toBe(false); // nothing was built
    // Something changed: the usual counts.
    writeFileSync(join(p, 'plans/new.yaml'), minimalPlan.replace('id: minimal', 'id: brand-new'));
    expect((await migc(['check', '--changed-since', 'HEAD'], p)).stderr).toMatch(/^migc: checked 1 plan: 0 errors/);
  });

  it('lint judges the migration files changed since a ref, each against the schema all the files before it leave', async () => {
    const p = project({
      'db/001_init.sql': 'CREATE TABLE t (id int PRIMARY KEY, e text);\nCREATE INDEX t_e ON t (e);\n',
      'db/002_x.sql': 'ALTER TABLE t ADD COLUMN x int DEFAULT random();\n',
      'flyway/V1__a.sql': 'CREATE TABLE f (id int PRIMARY KEY, c text);\n',
      'flyway/V2__b.sql': 'CREATE INDEX CONCURRENTLY f_c ON f (c);\n',
    }, false);
    git(p, 'init', '-q');
    git(p, 'add', '-A');
    git(p, 'commit', '-qm', 'base');
    const lint = (...args: string[]) => migc(['lint', ...args, '--format', 'json'], p);
    // Nothing changed: nothing is read, and the document is empty.
    const none = await lint('db', '--changed-since', 'HEAD');
    expect(none.code).toBe(0);
    expect(none.stderr).toBe('migc: no migration file (or its .conf, metadata.toml, or the config) changed since HEAD among the 2 read, so nothing was linted\n');
    expect(expectOutputDocument(none.stdout)).toMatchObject({ ok: true, files: [], diagnostics: [] });
    // A new down-migration-shaped file: its DROP INDEX fails because 003's own DROP COLUMN took
    // the index 001 made, which only reading 001 tells.
    writeFileSync(join(p, 'db/003_drop.sql'), 'ALTER TABLE t DROP COLUMN e;\nDROP INDEX t_e;\n');
    const changed = await lint('db', '--changed-since', 'HEAD');
    const doc = expectOutputDocument(changed.stdout);
    expect(changed.code).toBe(1);
    expect(doc.files).toEqual([{ file: 'db/003_drop.sql', ok: false }]);
    expect(doc.summary).toMatchObject({ files: 1, read: 3, error: 1 });
    expect(doc.diagnostics.map((d: any) => d.code)).toContain('MG244');
    // The same findings, to the byte, as a lint of every file says of that file; 002's are left out.
    const full = expectOutputDocument((await lint('db')).stdout);
    expect(full.diagnostics.some((d: any) => d.file === 'db/002_x.sql' && d.code === 'MG205')).toBe(true);
    expect(doc.diagnostics).toEqual(full.diagnostics.filter((d: any) => d.file === 'db/003_drop.sql'));
    const pretty = await migc(['lint', 'db', '--changed-since', 'HEAD'], p);
    expect(pretty.stderr).toMatch(/^migc: linted 1 file changed since HEAD \(of 3 read in order for the schema\): 1 error, 2 warnings/m);
    expect(pretty.stdout).not.toContain('002_x.sql');
    // A Flyway script whose .conf changed runs otherwise: it is judged again.
    writeFileSync(join(p, 'flyway/V2__b.sql.conf'), 'executeInTransaction=false\n');
    const conf = expectOutputDocument((await migc(['lint', 'flyway', '--file-transaction', '--changed-since', 'HEAD', '--format', 'json'], p)).stdout);
    expect(conf.files).toEqual([{ file: 'flyway/V2__b.sql', ok: true }]);
    // The config changes every verdict: every file is judged.
    writeFileSync(join(p, 'migc.config.json'), '{ "postgres": 15 }\n');
    expect(expectOutputDocument((await lint('db', '--changed-since', 'HEAD')).stdout).files).toHaveLength(3);
  });

  it('is a clear error (MG091) outside a git repository or for an unknown ref', async () => {
    const outside = project();
    const r = await migc(['check', '--changed-since', 'main'], outside);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/^migc: --changed-since main: .* is not inside a git repository/) });
    git(outside, 'init', '-q');
    const bad = await migc(['check', '--changed-since', 'no-such-branch', '--format', 'json'], outside);
    expect(bad.code).toBe(2);
    expect(expectOutputDocument(bad.stdout).diagnostics[0]).toMatchObject({ code: 'MG091', message: expect.stringMatching(/no such commit, branch or tag/) });
  });
});

describe('docs/ci.md', () => {
  const page = readFileSync(join(root, 'docs/ci.md'), 'utf8');
  const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('its workflow files parse as YAML, with the jobs and steps they promise', async () => {
    const { parse } = await import('yaml');
    expect(blocks).toHaveLength(3);
    const [github, gitlab, precommit] = blocks.map((b) => parse(b));
    const steps = github.jobs.migc.steps as { run?: string; uses?: string }[];
    expect(github.jobs.migc.services.postgres.image).toMatch(/^postgres:\d+$/);
    expect(steps.some((s) => s.run?.includes('migc build --check'))).toBe(true);
    expect(steps.some((s) => s.run?.includes('migc verify') && s.run.includes('--database-url'))).toBe(true);
    expect(steps.some((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'))).toBe(true);
    // The SARIF of a run that could not run (exit 2) has no results: uploading it would close every alert.
    const sarifStep = steps.find((s) => s.run?.includes('--format sarif')) as { id?: string; if?: string; run: string };
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif')) as { if?: string };
    expect(sarifStep.run).toMatch(/\|\| test \$\? -eq 1$/);
    expect(sarifStep.run).not.toContain('CHANGED'); // a partial analysis would close the alerts of the plans it leaves out
    expect(upload.if).toBe(`always() && steps.${sarifStep.id}.outcome == 'success'`);
    expect(steps.some((s) => s.run?.includes('--summary'))).toBe(true);
    // Code scanning needs the default branch's analysis to judge a pull request's, and actions: read in a private repository.
    expect(github.on.push.branches).toEqual(['main']);
    expect(github.on.push.paths).toEqual(github.on.pull_request.paths);
    expect(github.permissions).toMatchObject({ 'security-events': 'write', actions: 'read' });
    // The comment is for pull requests only, and cannot be made from a fork's: it must not fail the job there.
    const comment = steps.find((s) => s.run?.includes('gh pr comment')) as { if?: string; 'continue-on-error'?: boolean };
    expect(comment.if).toContain("github.event_name == 'pull_request'");
    expect(comment['continue-on-error']).toBe(true);
    // On main $CHANGED is empty (all plans); on a pull request it is one argument, --changed-since=origin/<base>.
    expect(github.jobs.migc.env.CHANGED).toContain("format('--changed-since=origin/{0}', github.base_ref)");
    expect(gitlab.migc.services[0].name).toMatch(/^postgres:\d+$/);
    expect(gitlab.migc.script.some((s: string) => s.includes('migc build --check'))).toBe(true);
    expect(precommit.repos[0].hooks[0].entry).toContain('migc check');
    // The hook runs on every kind of file a plan reads: an app version's pg_stat_statements export too.
    const files = new RegExp(precommit.repos[0].hooks[0].files);
    for (const f of ['plans/x.yaml', 'plans/x.yml', 'plans/users.baseline.sql', 'plans/apps/v1.csv', 'plans/apps/v2.json', 'migc.config.json']) expect(files.test(f), f).toBe(true);
  });

  it('the README\'s job is a whole workflow too (on, runs-on, steps), not a fragment', async () => {
    const { parse } = await import('yaml');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const jobs = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!)).filter((d) => d && typeof d === 'object' && 'jobs' in d);
    expect(jobs).toHaveLength(1);
    const [workflow] = jobs;
    expect(workflow.on).toBeDefined();
    for (const job of Object.values(workflow.jobs) as { 'runs-on': string; steps: { uses?: string; run?: string }[] }[]) {
      expect(job['runs-on']).toBeTruthy();
      expect(job.steps.some((s) => s.uses?.startsWith('actions/setup-node'))).toBe(true); // migc needs Node 20.19+
      expect(job.steps.some((s) => s.run?.includes('migc build'))).toBe(true);
    }
  });

  it('its migc commands are valid command lines', async () => {
    const code = [...page.matchAll(/```(?:yaml|sh)\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
    const commands = [...code.matchAll(/migc ((?:check|build|verify|lint)[^\n|>&\\]*)/g)].map((m) => m[1]!.replace(/\$\{\{[^}]*\}\}|"[^"]*"/g, 'main').trim());
    expect(commands.length).toBeGreaterThan(8);
    const p = project();
    const help = new Map<string, string>();
    for (const c of new Set(commands)) {
      // Commander prints help even after an unknown option, so each option is looked up in the command's help.
      const [command, ...args] = c.split(/\s+/);
      if (!help.has(command!)) help.set(command!, (await migc([command!, '--help'], p)).stdout);
      for (const option of args.filter((a) => a.startsWith('--'))) expect(help.get(command!), `${c}: ${option}`).toMatch(new RegExp(`\\s${option}[\\s,]`));
    }
    expect(help.get('check')).not.toMatch(/\s--summary[\s,]/); // the lookup can fail
  });
});

describe('verify\'s judgements take the config\'s settings', () => {
  it('MG062 as a warning passes the plan; MG064 as an error fails it; off drops it; a lowered set-up failure says it was not rehearsed', async () => {
    const { withRuleSettings } = await import('../src/cli/verify-settings.js');
    const d = (code: string, severity: 'error' | 'warning') => ({ code, severity, file: 'p.yaml', message: 'm' });
    const failed = { file: 'p.yaml', planId: 'p', engine: 'PGlite', ok: false, phases: [{}] as never[], steps: [], diagnostics: [d('MG062', 'error')] };
    expect(withRuleSettings(failed, { MG062: 'warning' })).toMatchObject({ ok: true, diagnostics: [{ code: 'MG062', severity: 'warning' }] });
    expect(withRuleSettings(failed, { MG062: 'off' })).toMatchObject({ ok: true, diagnostics: [] });
    expect(withRuleSettings(failed, {})).toMatchObject({ ok: false });
    const passed = { ...failed, ok: true, diagnostics: [d('MG064', 'warning')] };
    expect(withRuleSettings(passed, { MG064: 'error' })).toMatchObject({ ok: false });
    const noBaseline = { ...failed, phases: [], diagnostics: [d('MG063', 'error')] };
    expect(withRuleSettings(noBaseline, { MG063: 'warning' })).toMatchObject({ ok: true, skipped: 'not rehearsed: MG063 lowered by the config' });
  });
});
