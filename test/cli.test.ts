import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, minimalPlan, root } from './helpers.js';

/** The real binary, as a user runs it (npm test builds dist/ first). */
function migc(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let project: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'migc-cli-'));
  cpSync(join(root, 'plans'), join(project, 'plans'), { recursive: true });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const badPlan = minimalPlan.replace('kind: expand', 'kind: expnad');

describe('migc --help and --version', () => {
  it('prints the version from package.json', async () => {
    const r = await migc(['--version'], project);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('with no command prints the help on stdout, with examples and exit codes, and exits 2', async () => {
    const r = await migc([], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: migc \[options\] \[command\]/);
    expect(r.stdout).toContain('  migc build                     check plans/*.yaml and write their files to out/<plan id>/');
    expect(r.stdout).toMatch(/Exit codes: 0 clean or warnings only; 1 .*; 2 usage or internal error/s);
    const help = await migc(['--help'], project);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(r.stdout); // the same text --help prints
  });

  it('says so when a plan is given to lint, or a SQL file to build or check, instead of misreading it', async () => {
    writeFileSync(join(project, 'plans/m.sql'), 'SELECT 1;\n');
    const lint = await migc(['lint', 'plans/rename-user-name.yaml'], project);
    expect(lint.code).toBe(2);
    expect(lint.stderr).toBe('migc: plans/rename-user-name.yaml is a YAML file, not SQL: migc lint checks .sql migration files; migc check plans/rename-user-name.yaml checks a plan\n');
    for (const command of ['build', 'check']) {
      const r = await migc([command, 'plans/m.sql'], project);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('migc: plans/m.sql is a SQL file, not a plan: plans are YAML (*.yaml, *.yml); migc lint plans/m.sql checks SQL migration files\n');
    }
    // Folders are searched for their own kind of file only, as before.
    expect((await migc(['check', 'plans'], project)).code).toBe(0);
    mkdirSync(join(project, 'migrations'));
    writeFileSync(join(project, 'migrations/V1__a.sql'), 'SELECT 1;\n');
    const folder = await migc(['build', 'migrations'], project);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe('migc: no plan files (*.yaml, *.yml) in migrations; it holds 1 .sql file: migc lint migrations checks SQL migrations\n');
  });

  it('lists the commands', async () => {
    const r = await migc(['--help'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/build \[options\] \[paths\.\.\.\]/);
    expect(r.stdout).toMatch(/check \[options\] \[paths\.\.\.\]/);
  });

  it('exits 2 on an unknown command, option or format', async () => {
    expect((await migc(['bild'], project)).code).toBe(2);
    expect((await migc(['build', '--frobnicate'], project)).code).toBe(2);
    const r = await migc(['check', '--format', 'xml'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are pretty, json, github/);
  });

  it('exits 2 when a path does not exist or holds no plan', async () => {
    const missing = await migc(['check', 'nope'], project);
    expect(missing).toMatchObject({ code: 2, stderr: 'migc: no such file or folder: nope\n' });
    mkdirSync(join(project, 'empty'));
    expect((await migc(['check', 'empty'], project)).stderr).toMatch(/no plan files/);
  });
});

describe('migc build', () => {
  it('builds the example plans from plans/ into out/, the same bytes as the golden files', async () => {
    const r = await migc(['build'], project);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^migc: built 7 of 7 plans into out\/ \(47 written, 0 unchanged\): 0 errors, 0 warnings \(7 notes: --verbose shows them\)\n$/);
    for (const id of readdirSync(join(root, 'test/golden'))) {
      for (const file of readdirSync(join(root, 'test/golden', id))) {
        expect(readFileSync(join(project, 'out', id, file), 'utf8')).toBe(readFileSync(join(root, 'test/golden', id, file), 'utf8'));
      }
    }
  });

  it('does not rewrite unchanged files', async () => {
    await migc(['build'], project);
    const report = join(project, 'out/add-email-verified/report.md');
    const before = statSync(report).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const r = await migc(['build'], project);
    expect(r.stderr).toMatch(/\(0 written, 47 unchanged\)/);
    expect(statSync(report).mtimeMs).toBe(before);
  });

  it('exits 1 on an error, points at the line, and leaves the last good outputs in place', async () => {
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan);
    expect((await migc(['build', '--out', 'build'], project)).code).toBe(0);
    const script = join(project, 'build/minimal/01-expand.up.sql');
    const good = readFileSync(script, 'utf8');
    const mtime = statSync(script).mtimeMs;

    writeFileSync(join(project, 'plans/minimal.yaml'), badPlan);
    const r = await migc(['build', '--out', 'build'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('plans/minimal.yaml:9:11 error MG010 phases[0].kind must be one of expand, migrate, contract; got string "expnad"');
    expect(r.stdout).toContain('9 |     kind: expnad\n  |           ^^^^^^');
    expect(r.stdout).toContain('= help: Did you mean "expand"?');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).toMatch(/built 7 of 8 plans .*; 1 with errors left as they were/);
    expect(readFileSync(script, 'utf8')).toBe(good);
    expect(statSync(script).mtimeMs).toBe(mtime);
  });

  it('removes scripts of a phase that was renamed, and nothing else', async () => {
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan);
    await migc(['build'], project);
    writeFileSync(join(project, 'out/minimal/notes.txt'), 'mine');
    writeFileSync(join(project, 'plans/minimal.yaml'), minimalPlan.replace('name: expand', 'name: add'));
    expect((await migc(['build'], project)).code).toBe(0);
    const files = readdirSync(join(project, 'out/minimal')).sort();
    expect(files).toEqual(['.migc-manifest', '01-add.down.sql', '01-add.up.sql', 'checklist.md', 'notes.txt', 'report.md', 'timeline.mmd']);
  });

  it('accepts absolute paths for plans and for --out', async () => {
    const r = await migc(['build', join(project, 'plans/rename-user-name.yaml'), '--out', join(project, 'abs-out')], project);
    expect(r.code).toBe(0);
    expect(readdirSync(join(project, 'abs-out/rename-user-name'))).toContain('report.md');
  });

  it('builds only the files or folders named', async () => {
    const r = await migc(['build', 'plans/rename-user-name.yaml', '--out', 'o'], project);
    expect(r.code).toBe(0);
    expect(readdirSync(join(project, 'o'))).toEqual(['rename-user-name']);
  });

  it('uses templates from --templates, and reports a broken one at its line', async () => {
    mkdirSync(join(project, 'tpl'));
    writeFileSync(join(project, 'tpl/report.md.hbs'), '# {{plan.title}} ({{plan.risk}})\n');
    expect((await migc(['build', 'plans/rename-user-name.yaml', '--templates', 'tpl'], project)).code).toBe(0);
    expect(readFileSync(join(project, 'out/rename-user-name/report.md'), 'utf8')).toBe('# Rename users.name to users.full_name without breaking running code (medium)\n');

    writeFileSync(join(project, 'tpl/report.md.hbs'), '# {{plan.title}}\n\n{{#each plan.phases}}\n- {{name}}\n');
    const r = await migc(['build', 'plans/rename-user-name.yaml', '--templates', 'tpl'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tpl\/report\.md\.hbs:\d+:1 error MG050 template report\.md does not compile/m);
  });

  it('refuses two plans with one id: neither is built', async () => {
    writeFileSync(join(project, 'plans/copy.yaml'), readFileSync(join(project, 'plans/rename-user-name.yaml'), 'utf8'));
    const r = await migc(['build'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('plans/copy.yaml:3:5 error MG040 plan id "rename-user-name" is also used by plans/rename-user-name.yaml');
    expect(existsSync(join(project, 'out/rename-user-name'))).toBe(false);
  });
});

describe('migc check', () => {
  it('writes nothing and exits 0 on clean plans', async () => {
    const r = await migc(['check'], project);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'migc: checked 7 plans: 0 errors, 0 warnings (7 notes: --verbose shows them)\n' });
    expect(existsSync(join(project, 'out'))).toBe(false);
  });

  it('exits 0 on warnings only', async () => {
    writeFileSync(join(project, 'plans/warn.yaml'), minimalPlan.replace('id: minimal', 'id: warn').replace(/    steps:[\s\S]*$/, `    steps:
      - id: wipe-sessions
        sql: DELETE FROM sessions WHERE expires_at < now()
        rollback:
          irreversible: true
          data_loss: false
`));
    const r = await migc(['check', 'plans/warn.yaml'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning MG112 DELETE over sessions (no size hint: assumed large) in one statement holds row locks on every row it touches until it commits');
  });

  it('--format json gives an object with a diagnostics array, 1-based positions and help', async () => {
    writeFileSync(join(project, 'plans/minimal.yaml'), badPlan);
    const r = await migc(['check', '--format', 'json'], project);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toEqual({ plans: 8, error: 1, warning: 0, info: 7 });
    out.diagnostics = out.diagnostics.filter((d: { severity: string }) => d.severity !== 'info');
    expect(out.diagnostics).toEqual([{
      code: 'MG010', severity: 'error', file: 'plans/minimal.yaml', line: 9, column: 11, endLine: 9, endColumn: 17,
      message: 'phases[0].kind must be one of expand, migrate, contract; got string "expnad"',
      help: 'Did you mean "expand"?', related: [],
    }]);
    expect(out.plans.find((p: { file: string }) => p.file === 'plans/minimal.yaml')).toEqual({ file: 'plans/minimal.yaml', id: null, ok: false });
  });

  it('--assume-rows sizes a table the plan gives no hint for: a small table makes a hazard a note', async () => {
    const plan = minimalPlan.replace('id: minimal', 'id: idx').replace('phases:', 'baseline:\n  sql: CREATE TABLE t (id bigint PRIMARY KEY, n int);\nphases:')
      .replace(/    steps:[\s\S]*$/, '    steps:\n      - id: idx\n        sql: CREATE INDEX t_n_idx ON t (n);\n        rollback:\n          sql: DROP INDEX CONCURRENTLY IF EXISTS t_n_idx;\n');
    writeFileSync(join(project, 'plans/idx.yaml'), plan);
    expect((await migc(['check', 'plans/idx.yaml'], project)).stdout).toContain('error MG201 CREATE INDEX t_n_idx takes a SHARE lock on t (no size hint: assumed large)');
    const small = await migc(['check', 'plans/idx.yaml', '--assume-rows', 't=40', '--verbose'], project);
    expect(small.code).toBe(0);
    expect(small.stdout).toContain('info MG201 CREATE INDEX t_n_idx takes a SHARE lock on t (40 rows)');
    expect((await migc(['check', 'plans/idx.yaml', '--assume-rows', 't'], project)).stderr).toBe('migc: --assume-rows takes table=rows, for example users=40 (or "User"=40 for a table created with a quoted name); got t\n');
  });

  it('--format github prints workflow annotations', async () => {
    writeFileSync(join(project, 'plans/minimal.yaml'), badPlan);
    const r = await migc(['check', 'plans/minimal.yaml', '--format', 'github'], project);
    expect(r.stdout).toBe('::error file=plans/minimal.yaml,line=9,col=11,endLine=9,endColumn=17,title=MG010 schema::phases[0].kind must be one of expand, migrate, contract; got string "expnad"%0ADid you mean "expand"?\n');
  });
});

describe('heavy modules load only in the commands that use them', () => {
  /** CommonJS packages a command loaded (ESM imports of CommonJS land in require.cache). */
  function loadedPackages(args: string[]): Promise<string[]> {
    const script = `
      import { createRequire } from 'node:module';
      const { main } = await import(${JSON.stringify(join(root, 'dist/cli/main.js'))});
      await main(${JSON.stringify(args)}, { cwd: ${JSON.stringify(root)}, stdout: () => {}, stderr: () => {}, color: false });
      const names = Object.keys(createRequire(import.meta.url).cache).map((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean);
      console.log(JSON.stringify([...new Set(names)].sort()));`;
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: cliEnv() }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))));
    });
  }

  it('--version loads neither the YAML reader, the SQL parser nor the templates', async () => {
    const loaded = await loadedPackages(['--version']);
    for (const heavy of ['yaml', 'libpg-query', 'handlebars', 'ajv']) expect(loaded).not.toContain(heavy);
  });

  it('check loads the YAML reader and the SQL parser, not the templates', async () => {
    const loaded = await loadedPackages(['check', 'plans/email-verified.yaml']);
    expect(loaded).toContain('yaml');
    expect(loaded).toContain('libpg-query');
    expect(loaded).not.toContain('handlebars');
  });

  it('build loads the templates (so the check above can see them)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'migc-out-'));
    try {
      expect(await loadedPackages(['build', 'plans/email-verified.yaml', '--out', out, '--allow-outside'])).toContain('handlebars');
      expect(readdirSync(join(out, 'add-email-verified'))).toContain('report.md'); // an absolute --out is honoured
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('migc verify', () => {
  // Crash points multiply a rehearsal's time: they are on by default, and tried here on a small
  // plan of their own; test/verify.test.ts tries every one of the example plans'.
  it('rehearses the example plans on PGlite with --engine pglite, warns that they target PostgreSQL 15 (MG080), and exits 0', async () => {
    const r = await migc(['verify', '--engine', 'pglite', '--no-crash-points'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('plans/email-verified.yaml: add-email-verified: passed on PGlite');
    expect(r.stdout).toContain('plans/pgbouncer-upgrade.yaml: pgbouncer-upgrade: no SQL to rehearse');
    // The app versions' queries, run on the database at each schema state, are said too (not only in --format json and --report).
    expect(r.stdout).toMatch(/\n {2}app versions: 77 runs of the live versions' queries at 12 schema states \(EXPLAIN; EXPLAIN \(GENERIC_PLAN\); executed with sample values, rolled back\), \d+ ms: all ran\n/);
    expect(r.stdout.match(/warning MG080 /g)).toHaveLength(4); // one per plan with SQL, at its engine: line
    // The three plans without SQL are counted apart, not as passed.
    expect(r.stdout.match(/: no SQL to rehearse\n/g)).toHaveLength(3);
    expect(r.stderr).toMatch(/^migc: verified 7 plans on PGlite \(PostgreSQL [\d.]+, in-process\): 4 passed, 0 failed, 3 with no SQL to rehearse: 0 errors, 4 warnings \(7 notes: --verbose shows them\)\n$/);
  });

  it('--format json counts the plans rehearsed, passed, failed and with nothing to rehearse, adding up to the plans', async () => {
    cpSync(join(root, 'test/fixtures/verify/not-null-with-nulls.yaml'), join(project, 'plans/not-null-with-nulls.yaml'));
    const r = await migc(['verify', 'plans/pgbouncer-upgrade.yaml', 'plans/email-verified.yaml', 'plans/not-null-with-nulls.yaml', '--engine', 'pglite', '--format', 'json', '--no-crash-points'], project);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toMatchObject({ plans: 3, rehearsed: 2, passed: 1, failed: 1, nothingToRehearse: 1, notRehearsed: 0 });
    expect(out.rehearsals.map((x: { id: string; skipped: string | null; ok: boolean }) => [x.id, x.ok, x.skipped])).toEqual([
      ['add-email-verified', true, null], ['not-null-with-nulls', false, null], ['pgbouncer-upgrade', true, 'no SQL to rehearse'],
    ]);
    const pretty = await migc(['verify', 'plans/pgbouncer-upgrade.yaml', 'plans/email-verified.yaml', 'plans/not-null-with-nulls.yaml', '--engine', 'pglite', '--no-crash-points'], project);
    expect(pretty.stderr).toMatch(/: 1 passed, 1 failed, 1 with no SQL to rehearse: 1 error, /);
  }, 120_000);

  it('exits 1 naming the statement, the database error and the plan line', async () => {
    cpSync(join(root, 'test/fixtures/verify'), join(project, 'broken'), { recursive: true });
    // Crash points are on (the default), but not tried on a plan whose rehearsal failed: the output says so.
    const r = await migc(['verify', 'broken/not-null-with-nulls.yaml'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('\n  crash points: not tried, as the rehearsal above failed: fix what it found and run migc verify again\n');
    expect(r.stdout).toContain('broken/not-null-with-nulls.yaml:20:13 error MG060 phase "contract" failed while running it: step "require-verification-date": column "verification_date" of relation "users" contains null values');
    expect(r.stdout).toContain('= help: The statement: ALTER TABLE users ALTER COLUMN verification_date SET NOT NULL');
  });

  it('--format json gives the pass/fail table per phase and step', async () => {
    const r = await migc(['verify', 'plans/rename-user-name.yaml', '--format', 'json', '--no-crash-points'], project);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rehearsals[0].phases.map((p: { up: string; down: string; again: string }) => [p.up, p.down, p.again])).toEqual([['ok', 'ok', 'ok'], ['ok', 'ok', 'ok'], ['ok', 'ok', 'ok']]);
    expect(out.rehearsals[0].steps.find((s: { step: string }) => s.step === 'deploy-readers')).toMatchObject({ up: 'not run', down: 'not run' });
    // The app versions' queries, run at each of the 11 schema states: 52 runs, none failed.
    expect(out.rehearsals[0].compat).toMatchObject({ queries: 52, states: 11, failed: [] });
    expect(out.diagnostics.filter((d: { severity: string }) => d.severity !== 'info')).toEqual([]);
  });

  it('--report writes the artefacts with a Rehearsal section', async () => {
    const r = await migc(['verify', 'plans/email-verified.yaml', '--report', '--no-crash-points'], project);
    expect(r.code).toBe(0);
    const report = readFileSync(join(project, 'out/add-email-verified/report.md'), 'utf8');
    expect(report).toMatch(/## Rehearsal\n\nRehearsed with `migc verify` on (PGlite|PostgreSQL 15)/);
    expect(report).toMatch(/\| `add-column` \| ok \| ok \| \d+ ms \| AccessExclusiveLock on public\.users \|/);
    // Reads with parameters: EXPLAIN (GENERIC_PLAN) on 16+ (PGlite), PREPARE before (a local PostgreSQL 15).
    expect(report).toMatch(/On the database \(`migc verify`\): 77 runs of the live versions' queries at 12 schema states \(EXPLAIN; (EXPLAIN \(GENERIC_PLAN\)|PREPARE); executed with sample values, rolled back\), in \d+ ms\. All ran\./);
    expect(report).not.toContain('Crash points');
  });

  it('--report: a batched step and a CONCURRENTLY step show the prediction of the step table, and why their locks were not observed', async () => {
    cpSync(join(root, 'test/fixtures/invoice-region'), join(project, 'mine'), { recursive: true });
    const r = await migc(['verify', 'mine/invoice-region.yaml', '--engine', 'pglite', '--report', '--no-crash-points'], project);
    expect(r.code).toBe(0);
    const report = readFileSync(join(project, 'out/invoice-region/report.md'), 'utf8');
    const row = (step: string) => report.split('\n').find((l) => l.startsWith(`| \`${step}\` | ok |`))!;
    expect(row('index-region')).toMatch(/^\| `index-region` \| ok \| ok \| \d+ ms \| not observed: CREATE INDEX CONCURRENTLY runs outside a transaction, so its locks are released before they can be read \| ShareUpdateExclusiveLock public\.invoices \| none \|$/);
    expect(row('backfill-region')).toMatch(/^\| `backfill-region` \| ok \| ok \| \d+ ms \| not observed: the batch loop commits after each batch, so its locks are released before they can be read \| AccessShareLock public\.customers, RowExclusiveLock public\.invoices \| none \|$/);
    // The step table above says the same locks.
    expect(report).toContain('| `CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_region_idx ON invoices (region)` | SHARE UPDATE EXCLUSIVE on invoices |');
    expect(report).toMatch(/\| `UPDATE invoices i SET region = [^|]*` \| ROW EXCLUSIVE on invoices, ACCESS SHARE on customers \|/);
    expect(row('add-region')).toMatch(/\| AccessExclusiveLock on public\.invoices \| AccessExclusiveLock public\.invoices \| none \|$/);
    expect(r.stdout).toMatch(/\n {2}index-region +ok +ok +\d+ms +- +not observed: CREATE INDEX CONCURRENTLY runs outside a transaction/);
    const json = JSON.parse((await migc(['verify', 'mine/invoice-region.yaml', '--engine', 'pglite', '--format', 'json', '--no-crash-points'], project)).stdout);
    expect(json.rehearsals[0].steps.find((x: { step: string }) => x.step === 'backfill-region')).toMatchObject({
      prediction: 'not observed', predicted: ['AccessShareLock public.customers', 'RowExclusiveLock public.invoices'], locks: [], unobserved: expect.stringContaining('batch loop'),
    });
  }, 120_000);

  it('tries the crash points by default: the output, --format json and the report give them tried and passed', async () => {
    writeFileSync(join(project, 'plans/small.yaml'), [
      'migc: 1', 'id: small', 'title: Small', 'type: schema', 'risk: low', 'engine: postgresql@15',
      'baseline:', '  sql: CREATE TABLE t (id bigint PRIMARY KEY, a text);', 'fixtures:', '  t: { rows: 20 }',
      'phases:', '  - name: expand', '    kind: expand', '    steps:',
      '      - id: add-b', '        sql: ALTER TABLE t ADD COLUMN b text;', '        rollback:', '          sql: ALTER TABLE t DROP COLUMN b;',
      '      - id: index-a', '        sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);', '        rollback:', '          sql: DROP INDEX CONCURRENTLY IF EXISTS t_a_idx;',
      '',
    ].join('\n'));
    const pretty = await migc(['verify', 'plans/small.yaml', '--report'], project);
    expect(pretty.stderr).toMatch(/: 1 passed, 0 failed: 0 errors/);
    expect(pretty.code).toBe(0);
    // The ledger's set-up, add-b's transaction, the index's start mark, build and done mark, and the
    // point before the phase is recorded as done.
    expect(pretty.stdout).toMatch(/\n {2}crash points: 6 of 6 passed \(a failure after each statement and inside each batch loop; down restores, up again completes\), [\d.]+ s\n/);
    const report = readFileSync(join(project, 'out/small/report.md'), 'utf8');
    expect(report).toContain('Crash points: **6 of 6 passed**.');
    const json = JSON.parse((await migc(['verify', 'plans/small.yaml', '--format', 'json'], project)).stdout);
    expect(json.rehearsals[0].crashPoints).toMatchObject({ tried: 6, passed: 6, failed: [] });
  }, 300_000);

  it('exits 2 when the server cannot be reached, without printing the password', async () => {
    const r = await migc(['verify', '--database-url', 'postgres://me:secret@127.0.0.1:9/db'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^migc: cannot reach the database at postgres:\/\/me:\*\*\*@127\.0\.0\.1:9\/db: /);
    expect(r.stderr).not.toContain('secret');
  });
});

describe('migc lint', () => {
  const write = (name: string, text: string) => {
    mkdirSync(join(project, 'migrations'), { recursive: true });
    writeFileSync(join(project, 'migrations', name), text);
  };

  it('checks plain SQL files in order, knows what earlier files did, and exits 1 on a hazard', async () => {
    write('001_init.sql', 'CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100) NOT NULL, plan text);\nCREATE INDEX accounts_email_idx ON accounts (email);\n');
    write('002_more.sql', "SET lock_timeout = '5s';\nALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);\nCREATE INDEX accounts_plan_idx ON accounts (plan);\n");
    const r = await migc(['lint', 'migrations'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('migrations/002_more.sql:3:1 error MG201 CREATE INDEX accounts_plan_idx takes a SHARE lock on accounts (no size hint: assumed large)');
    expect(r.stdout).not.toContain('MG212'); // widening a varchar(100), known from 001, is catalog-only
    expect(r.stdout).not.toContain('001_init.sql'); // a table created in the file is new and empty
    expect(r.stderr).toBe('migc: linted 2 files: 1 error, 0 warnings\n');
  });

  it('honours -- migc-ignore with a reason, --assume-rows, and exits 0', async () => {
    write('001.sql', "SET lock_timeout = '5s';\n-- migc-ignore MG201: accounts has 300 rows\nCREATE INDEX a_idx ON accounts (plan);\nUPDATE accounts SET plan = 'free' WHERE plan IS NULL;\n");
    const r = await migc(['lint', 'migrations', '--assume-rows', 'accounts=300', '--verbose'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('info MG201 ignored (accounts has 300 rows): CREATE INDEX a_idx');
    expect(r.stdout).not.toContain('MG112');
  });

  it('--assume-rows reads names as PostgreSQL does, and warns (exit unchanged) of a name that sizes no table of the files', async () => {
    write('001.sql', 'CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE TABLE "User" (id int PRIMARY KEY, email text);\n');
    write('002.sql', "SET lock_timeout = '5s';\nCREATE INDEX u_idx ON users (email);\nCREATE INDEX \"U_idx\" ON \"User\" (email);\n");
    const sized = await migc(['lint', 'migrations', '--assume-rows', 'Users=40', '--assume-rows', '"User"=40'], project);
    expect(sized.code).toBe(0);
    expect(sized.stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings (2 notes: --verbose shows them)\n');
    const missed = await migc(['lint', 'migrations', '--assume-rows', 'User=40', '--assume-rows', 'Usres=40', '--assume-rows', 'orders=5', '--format', 'json'], project);
    expect(missed.code).toBe(1); // the warnings change nothing: both tables are still assumed large
    expect(JSON.parse(missed.stdout).diagnostics.map((d: { code: string; message: string }) => `${d.code} ${d.message.split(' takes')[0]}`)).toEqual(['MG201 CREATE INDEX u_idx', 'MG201 CREATE INDEX "U_idx"']);
    expect(missed.stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      'migc: warning: --assume-rows User=40: the files name no table "user", so this size is not used; did you mean --assume-rows \'"User"=40\'?',
      'migc: warning: --assume-rows Usres=40: the files name no table usres, so this size is not used; did you mean --assume-rows users=40?',
      'migc: warning: --assume-rows orders=5: the files name no table orders, so this size is not used',
    ]);
  });

  // The sixteenth trial (memos): a config kept beside the migrations was silently not read.
  it('warns of a migc.config.json beside the migrations, which it does not read, and names the flag that does', async () => {
    write('001.sql', 'CREATE TABLE t (id int);\n');
    writeFileSync(join(project, 'migrations', 'migc.config.json'), '{ "postgres": 15 }\n');
    const r = await migc(['lint', 'migrations'], project);
    expect(r.stderr).toBe('migc: warning: migrations/migc.config.json is not read: migc reads migc.config.json from the folder it runs in; run it there, or pass --config migrations/migc.config.json\nmigc: linted 1 file: 0 errors, 0 warnings\n');
    expect((await migc(['lint', 'migrations', '--config', 'migrations/migc.config.json'], project)).stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
    // Run in that folder, it is the project's config.
    expect((await migc(['lint', '.'], join(project, 'migrations'))).stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
  });

  // The fourteenth trial: a quarter of the findings on four real folders rested on small
  // metadata tables (one row per queue) taken for large; nothing said how many, nor where.
  it('sums up on stderr the findings that take a table for large for want of a size, most first, and how to give one', async () => {
    write('001.sql', 'CREATE TABLE queues (id int PRIMARY KEY, name text, flag boolean);\nCREATE TABLE events (id int PRIMARY KEY, note text);\n');
    // Seven indexes on queues, four on events: eleven findings, each on a table of no known size.
    // Under either of its names (the twenty-fourth trial's N3: appflowy writes both): one table in the tally.
    // Each on its own expression: no two repeat each other (MG251).
    const indexes = [...Array.from({ length: 7 }, (_, i) => `CREATE INDEX q${i} ON ${i % 2 ? 'public.' : ''}queues ((name || '${i}'));`), ...Array.from({ length: 4 }, (_, i) => `CREATE INDEX e${i} ON events ((note || '${i}'));`)];
    write('002.sql', `SET lock_timeout = '5s';\n${indexes.join('\n')}\n`);
    const note = 'migc: note: 11 findings take a table for large (100,000 rows or more) because nothing gives its size: queues (7), events (4). Say the size of those your application keeps small, and their findings become notes: "assume_rows": { "<table>": <rows> } in migc.config.json, or --assume-rows <table>=<rows>\n';
    const unsized = await migc(['lint', 'migrations'], project);
    expect(unsized.code).toBe(1);
    expect(unsized.stderr.endsWith(`migc: linted 2 files: 11 errors, 0 warnings\n${note}`)).toBe(true);
    // Said with the summary line, which --format json does not print: its summary holds the
    // figures (the twenty-second trial's N5, CI reading the JSON). Not once every table has its
    // size, nor for fewer than ten findings, whose own messages say it.
    const json = await migc(['lint', 'migrations', '--format', 'json'], project);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).summary).toEqual({ files: 2, assumedLarge: { findings: 11, tables: { queues: 7, events: 4 } }, error: 11, warning: 0, info: 0 });
    const sized = await migc(['lint', 'migrations', '--assume-rows', 'queues=50', '--assume-rows', 'events=50'], project);
    expect(sized.stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings (11 notes: --verbose shows them)\n');
    expect((await migc(['lint', 'migrations', '--assume-rows', 'queues=50'], project)).stderr).toBe('migc: linted 2 files: 4 errors, 0 warnings (7 notes: --verbose shows them)\n');
  });

  it('sums up on stderr ten or more MG219 findings, with the flag for a connection that sets lock_timeout (the twenty-third trial\'s sim: 269)', async () => {
    mkdirSync(join(project, 'timeouts'), { recursive: true });
    writeFileSync(join(project, 'timeouts', '00.sql'), 'CREATE TABLE t (id int);\n');
    for (let i = 1; i <= 10; i++) writeFileSync(join(project, 'timeouts', `${String(i).padStart(2, '0')}.sql`), `ALTER TABLE t ADD COLUMN c${i} int;\n`);
    const note = 'migc: note: 10 findings in 10 files are MG219\'s: no lock_timeout set before a statement that waits for a lock. If your migration tool\'s connection (or the script that runs it) sets one before the files run, say so: --lock-timeout 5s (or "lock_timeout" in migc.config.json), and these findings go\n';
    expect((await migc(['lint', 'timeouts'], project)).stderr.endsWith(`migc: linted 11 files: 0 errors, 10 warnings\n${note}`)).toBe(true);
    expect((await migc(['lint', 'timeouts', '--lock-timeout', '5s'], project)).stderr).toBe('migc: linted 11 files: 0 errors, 0 warnings\n');
    // --format json prints no note: its summary holds the figures (the twenty-ninth trial: CI reading the JSON saw no hint).
    const json = await migc(['lint', 'timeouts', '--format', 'json'], project);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).summary).toEqual({ files: 11, lockTimeoutUnset: { findings: 10, files: 10 }, error: 0, warning: 10, info: 0 });
    expect(JSON.parse((await migc(['lint', 'timeouts', '--format', 'json', '--lock-timeout', '5s'], project)).stdout).summary.lockTimeoutUnset).toBeUndefined();
  });

  it('says on stderr when files hold template placeholders in quoted names, which parse (the twenty-second trial\'s N7: formance ledger)', async () => {
    mkdirSync(join(project, 'templated'), { recursive: true });
    writeFileSync(join(project, 'templated', '1.sql'), 'CREATE TABLE "{{.Schema}}".accounts (id int);\n');
    writeFileSync(join(project, 'templated', '2.sql'), 'ALTER TABLE "{{ .Schema }}".accounts ADD COLUMN a int;\n');
    writeFileSync(join(project, 'templated', '3.sql'), "INSERT INTO t (v) VALUES ('{{ not a name }}');\n");
    const r = await migc(['lint', 'templated', '--format', 'json'], project);
    expect(r.stderr).toBe('migc: note: templated/1.sql and 1 other file hold template placeholders in quoted names ("{{.Schema}}"): their tool fills them in before the server sees the SQL, and migc lints the names as written. Render the files with the values your deployment uses, and lint the rendered copies\n');
  });

  it('says on stderr when a file sets search_path for its session and others rely on the connection\'s, with the flag to give', async () => {
    mkdirSync(join(project, 'updates'), { recursive: true });
    writeFileSync(join(project, 'updates', '21.sql'), 'CREATE TABLE event_alias (id int);\n');
    writeFileSync(join(project, 'updates', '27.sql'), 'SET search_path = musicbrainz, public;\nSELECT 1;\n');
    const note = 'migc: note: updates/27.sql sets search_path to musicbrainz, public for its session, and 1 other file sets none: migc looks their bare names up on PostgreSQL\'s default path (public); if the role or the connection your runner uses sets one, say which: --search-path musicbrainz,public (or "search_path" in migc.config.json)\n';
    expect((await migc(['lint', 'updates'], project)).stderr).toBe(`${note}migc: linted 2 files: 0 errors, 0 warnings\n`);
    // Given, or set by every file, or set to public alone: nothing to say.
    expect((await migc(['lint', 'updates', '--search-path', 'musicbrainz,public'], project)).stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings\n');
    writeFileSync(join(project, 'updates', '27.sql'), 'SET search_path = public;\nSELECT 1;\n');
    expect((await migc(['lint', 'updates'], project)).stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings\n');
    // pg_catalog is searched first whether named or not: old pg_dump's `public, pg_catalog` is the default (stellar's).
    writeFileSync(join(project, 'updates', '27.sql'), 'SET search_path = public, pg_catalog;\nSELECT 1;\n');
    expect((await migc(['lint', 'updates'], project)).stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings\n');
    writeFileSync(join(project, 'updates', '21.sql'), 'SET search_path TO musicbrainz;\nCREATE TABLE event_alias (id int);\n');
    writeFileSync(join(project, 'updates', '27.sql'), 'SET search_path = musicbrainz, public;\nSELECT 1;\n');
    expect((await migc(['lint', 'updates'], project)).stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings\n');
  });

  it('says on stderr that Prisma\'s migration.sql wants --file-transaction when no flag is given', async () => {
    mkdirSync(join(project, 'prisma', '20240101000000_init'), { recursive: true });
    writeFileSync(join(project, 'prisma', '20240101000000_init', 'migration.sql'), 'CREATE TABLE "User" (id int PRIMARY KEY);\n');
    const note = 'migc: note: Prisma sends each migration.sql to the server as one query string: pass --file-transaction to lint them so (without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql)\n';
    expect((await migc(['lint', 'prisma'], project)).stderr).toBe(`${note}migc: linted 1 file: 0 errors, 0 warnings\n`);
    expect((await migc(['lint', 'prisma', '--file-transaction'], project)).stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
    expect((await migc(['lint', 'prisma', '--file-query-string'], project)).stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
    // golang-migrate's, sqlx's and popx's names are alike, and their tools run them apart: the note names both flags.
    write('001_init.up.sql', 'CREATE TABLE t (id int);\n');
    expect((await migc(['lint', 'migrations'], project)).stderr).toBe('migc: note: 001_init.up.sql is named as golang-migrate, sqlx and Ory popx name their files: golang-migrate sends each file as one query string (pass --file-query-string), sqlx and popx run each in a transaction (pass --file-transaction); a runner of your own that runs all pending files in one transaction: --run-transaction (the README\'s "Which flag for your tool" has the others); without a flag, files are read statement by statement, as psql runs them: right when you apply them yourself with psql\nmigc: linted 1 file: 0 errors, 0 warnings\n');
    expect((await migc(['lint', 'migrations', '--file-query-string'], project)).stderr).toBe('migc: linted 1 file: 0 errors, 0 warnings\n');
  });

  it('says on stderr that the layouts whose tool runs each file in a transaction want --file-transaction (diesel, Flyway, dbmate, goose, ...)', async () => {
    const note = async (files: Record<string, string>) => {
      const dir = join(project, `layout-${Object.keys(files)[0]!.replace(/\W/g, '')}`);
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const [plain, flagged] = await Promise.all([migc(['lint', dir], project), migc(['lint', dir, '--file-transaction'], project)]);
      expect(flagged.stderr).not.toContain('note');
      return plain.stderr.startsWith('migc: note: ') ? plain.stderr.slice('migc: note: '.length, plain.stderr.indexOf(':', 'migc: note: '.length)) : undefined;
    };
    const create = 'CREATE TABLE t (id int);\n';
    expect(await note({ '2024-01-01-000000_init/up.sql': create, '2024-01-01-000000_init/down.sql': 'DROP TABLE t;\n' })).toBe('diesel runs each migration\'s up.sql and down.sql in a transaction (unless its metadata.toml says run_in_transaction = false)');
    // A Sqitch plan orders deploy and revert scripts named with digits: no note of separate histories (cas-cif's).
    expect(await note({ 'sqitch.plan': '%syntax-version=1.0.0\n%project=p\n\nmigrations/001_a 2024-01-01T00:00:00Z A <a@b.c> # a\n', 'deploy/migrations/001_a.sql': create, 'revert/migrations/001_a.sql': 'DROP TABLE t;\n' })).toBeUndefined();
    // Atlas's files are named as sqlx's; its atlas.sum beside them tells them apart (chainloop's).
    expect(await note({ '20240101000000_init.sql': create, 'atlas.sum': 'h1:x=\n' })).toBe('layout-20240101000000_initsql/atlas.sum');
    // Hasura's layout is diesel's, its versions 13-digit millisecond timestamps (planx's).
    expect(await note({ '1595527799000_init/up.sql': create, '1595527799000_init/down.sql': 'DROP TABLE t;\n' })).toBe('Hasura runs each migration\'s up.sql and down.sql in a transaction');
    expect(await note({ 'V1__init.sql': create })).toBe('Flyway runs each script in a transaction');
    expect(await note({ '20240101_init.sql': `-- migrate:up\n${create}-- migrate:down\nDROP TABLE t;\n` })).toBe('dbmate runs each part of a file (the up, the down) in a transaction');
    expect(await note({ '001_init.sql': `-- +goose Up\n${create}` })).toBe('goose runs each part of a file (the up, the down) in a transaction');
    expect(await note({ '1_init.sql': `-- +migrate Up\n${create}` })).toBe('sql-migrate runs each part of a file (the up, the down) in a transaction');
    expect(await note({ '001_init.sql': `${create}---- create above / drop below ----\nDROP TABLE t;\n` })).toBe('tern runs each part of a file (the up, the down) in a transaction');
    expect(await note({ '0001_init.sql': create, '0001_init.rollback.sql': 'DROP TABLE t;\n' })).toBe('yoyo runs each migration in a transaction');
    expect(await note({ 'migrations/committed/000001.sql': `--! Previous: -\n--! Hash: sha1:x\n\n${create}` })).toBe('Graphile Migrate runs each migration in a transaction');
    // A file named for a database: gobuffalo pop's layout, which Ory popx forked; .autocommit. is popx's alone.
    expect(await note({ '20240101000000000000_init.postgres.up.sql': create, '20240101000000000000_init.down.sql': 'DROP TABLE t;\n' })).toBe('gobuffalo pop and Ory popx run each migration in a transaction (popx not its .autocommit. ones)');
    expect(await note({ '20240101000000000001_index.autocommit.up.sql': 'CREATE INDEX CONCURRENTLY i ON t (id);\n', '20240101000000000000_init.up.sql': create })).toBe('Ory popx runs each migration that is not .autocommit. in a transaction');
    expect(await note({ '0001-init.sql': create, '0002-index.sql': '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n' })).toBe('postgres-migrations runs each file without "-- postgres-migrations disable-transaction" in a transaction');
    // A plain numbered file: the tool cannot be told, no note. A golang-migrate, sqlx or popx pair: a note that names both flags (above).
    expect(await note({ '001_init.sql': create })).toBeUndefined();
    // A folder per migration without diesel's <version>_<name> (formance ledger's own runner, the twenty-second trial's N1): no diesel note.
    expect(await note({ '0-init-schema/up.sql': create, '1-fix-trigger/up.sql': 'ALTER TABLE t ADD COLUMN a int;\n' })).toBeUndefined();
    expect(await note({ '001_init.up.sql': create, '001_init.down.sql': 'DROP TABLE t;\n' })).toBe('001_init.up.sql is named as golang-migrate, sqlx and Ory popx name their files');
  });

  it('says on stderr when the folders given are histories of their own (each a version 1), and lints them as one all the same', async () => {
    const sets = join(project, 'sets');
    const put = (path: string, text: string) => {
      mkdirSync(join(sets, path, '..'), { recursive: true });
      writeFileSync(join(sets, path), text);
    };
    put('jobs/000001_init.up.sql', 'CREATE TABLE jobs (id int);\n');
    put('jobs/000002_more.up.sql', 'CREATE TABLE job_runs (id int);\n');
    put('reports/000001_init.up.sql', 'CREATE TABLE reports (id int);\n');
    put('warehouse/000002_init.up.sql', 'CREATE TABLE uploads (id int);\n');
    const r = await migc(['lint', 'sets', '--file-query-string'], project);
    expect(r.stderr).toBe('migc: note: sets/jobs/ and sets/reports/ each hold a migration of version 1: no tool runs two migrations of one version in one history, so each folder is a history of its own, run apart, while migc lints the files given as one history, in version order; lint each folder by itself (migc lint sets/jobs, ...)\nmigc: linted 4 files: 0 errors, 0 warnings\n');
    // One folder: one history, no note.
    expect((await migc(['lint', 'sets/jobs', '--file-query-string'], project)).stderr).toBe('migc: linted 2 files: 0 errors, 0 warnings\n');
  });

  it('--file-transaction finds CONCURRENTLY inside the transaction the tool wraps around a file', async () => {
    write('003.sql', "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON accounts (plan);\n");
    expect((await migc(['lint', 'migrations'], project)).code).toBe(0);
    const r = await migc(['lint', 'migrations', '--file-transaction', '--format', 'json'], project);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics.map((d: { code: string }) => d.code)).toEqual(['MG204']);
  });

  it('--file-query-string reads each file as one query string; with --file-transaction it is a usage error', async () => {
    write('003.sql', "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON accounts (plan);\n");
    const r = await migc(['lint', 'migrations', '--file-query-string', '--format', 'json'], project);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics.map((d: { code: string }) => d.code)).toEqual(['MG204']);
    const both = await migc(['lint', 'migrations', '--file-query-string', '--file-transaction'], project);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--file-transaction and --file-query-string say two ways the tool runs a file');
  });

  it('uses migc.config.json: version and severities', async () => {
    write('001.sql', 'ALTER TABLE accounts ADD COLUMN active boolean DEFAULT true;\n');
    writeFileSync(join(project, 'migc.config.json'), JSON.stringify({ postgres: 10, rules: { MG219: 'off' } }));
    const r = await migc(['lint', 'migrations'], project);
    expect(r.stdout).toContain('error MG205 ADD COLUMN active rewrites accounts');
    expect(r.stdout).not.toContain('MG219');
  });

  it('reports a broken config at its line and exits 2', async () => {
    write('001.sql', 'SELECT 1;\n');
    writeFileSync(join(project, 'migc.config.json'), '{\n  "postgres": 15,\n  "rulez": {}\n}\n');
    const r = await migc(['lint', 'migrations'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('migc.config.json:3:3 error MG011 unknown property "rulez" in the config');
    expect(r.stderr).toContain('help: Did you mean "rules"?');
  });

  it('refuses a .json config that is YAML rather than JSON, at the first place JSON refuses', async () => {
    write('001.sql', 'SELECT 1;\n');
    writeFileSync(join(project, 'migc.config.json'), '{\n  postgres: 15,\n  "rules": { "MG219": "off" }\n}\n');
    const r = await migc(['lint', 'migrations'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('migc.config.json:2:3 error MG025 JSON syntax: postgres is a key without double quotes');
    expect(r.stderr).not.toContain('internal error');
  });

  it('explains a bad config value as a plan\'s: the allowed values, a guess, in the order of the file', async () => {
    write('001.sql', 'SELECT 1;\n');
    writeFileSync(join(project, 'migc.config.json'), '{ "svg": "yes", "rules": { "MG219": "of" }, "assum_rows": {} }\n');
    const r = await migc(['lint', 'migrations'], project);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('migc.config.json:'));
    expect(lines).toEqual([
      'migc.config.json:1:10 error MG010 svg must be true or false; got string "yes"',
      'migc.config.json:1:37 error MG010 rules.MG219 must be one of error, warning, info, off; got string "of"',
      'migc.config.json:1:45 error MG011 unknown property "assum_rows" in the config',
    ]);
    expect(r.stderr).toContain('help: Did you mean "off"?');
    expect(r.stderr).toContain('help: Did you mean "assume_rows"?');
  });

  it('reads files as psql runs them: meta-commands and COPY data skipped with a note, empty files fine', async () => {
    write('001_empty.sql', '');
    write('002_comments.sql', '-- 日本語のコメントだけ 🎉\n');
    write('003_psql.sql', "\\set ON_ERROR_STOP on\nSET lock_timeout = '5s';\nCOPY accounts (id) FROM stdin;\n1\n\\.\n-- é\nCREATE INDEX a_idx ON accounts (plan);\n");
    const r = await migc(['lint', 'migrations', '--verbose'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('migrations/003_psql.sql:1:1 info MG022 skipped the psql meta-command \\set ON_ERROR_STOP on');
    expect(r.stdout).toContain('migrations/003_psql.sql:4:1 info MG022 skipped 1 line of COPY ... FROM STDIN data');
    expect(r.stdout).toContain('migrations/003_psql.sql:7:1 error MG201 CREATE INDEX a_idx');
    expect(r.stdout).not.toContain('MG020');
    expect(r.stderr).toBe('migc: linted 3 files: 1 error, 0 warnings, 2 notes\n');
  });

  it('reports a SQL syntax error at its line', async () => {
    write('001.sql', "SET lock_timeout = '5s';\nALTER TABLE accounts ADDD COLUMN x int;\n");
    const r = await migc(['lint', 'migrations'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('migrations/001.sql:2:22 error MG020 SQL syntax error: syntax error at or near "ADDD"');
  });
});

describe('migc explain', () => {
  it('prints a rule page', async () => {
    const r = await migc(['explain', 'mg207'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# MG207 set-not-null-scan\n/);
    expect(r.stdout).toContain('## Safe recipe');
  });

  it('suggests the closest code for an unknown one', async () => {
    const r = await migc(['explain', 'MG2O7'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('migc: no rule MG2O7; did you mean MG207? (migc explain lists the codes)\n');
  });

  it('takes a code by its number, and lists every code without one', async () => {
    const r = await migc(['explain', '207'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# MG207 set-not-null-scan\n/);
    const list = await migc(['explain'], project);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n').filter((l) => /^MG\d{3} /.test(l));
    expect(lines.length).toBe(readdirSync(join(root, 'docs/rules')).filter((f) => /^MG\d{3}\.md$/.test(f)).length);
    expect(lines).toContain(`${'MG207 set-not-null-scan'.padEnd(40)} SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) exists (PostgreSQL 12+).`);
    expect(list.stdout).toContain('migc explain <CODE> prints a code\'s page.');
  });
});

describe('a reader that goes away (migc ... | head)', () => {
  /** Files whose lint output (~280 kB of JSON) is far more than a pipe holds (64 kB). */
  function manyHazards(): void {
    mkdirSync(join(project, 'm'));
    for (let i = 1; i <= 100; i++) {
      writeFileSync(join(project, 'm', `${String(i).padStart(4, '0')}_x.sql`), `ALTER TABLE t${i} ALTER COLUMN c TYPE bigint;\nCREATE INDEX i${i} ON t${i} (c);\nALTER TABLE t${i} ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES x (id);\n`);
    }
  }

  /** Runs the real binary with stdout or stderr writing into `sink`, and waits for it. */
  function migcInto(args: string[], which: 'stdout' | 'stderr', sink: Writable): Promise<{ code: number | null; signal: string | null; other: string }> {
    const child = spawn(process.execPath, [join(root, 'bin/migc.js'), ...args], {
      cwd: project, env: cliEnv(),
      stdio: ['ignore', which === 'stdout' ? sink : 'pipe', which === 'stderr' ? sink : 'pipe'],
    });
    let other = '';
    (which === 'stdout' ? child.stderr : child.stdout)!.on('data', (d: Buffer) => { other += d; });
    return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, other })));
  }

  it('stdout into `head -c 1`: stops at once, exit 141, nothing on stderr (no stack trace)', async () => {
    manyHazards();
    const head = spawn('head', ['-c', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let headRead = '';
    head.stdout.on('data', (d: Buffer) => { headRead += d; });
    const r = await migcInto(['lint', 'm', '--format', 'json'], 'stdout', head.stdin);
    head.stdin.destroy();
    expect(headRead).toBe('{');
    expect(r.other).toBe(''); // neither "Error: write EPIPE" nor the lint summary
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 141, signal: null });
  });

  it('stdout and stderr into pipes whose reader has already exited: exit 141, quietly', async () => {
    manyHazards();
    for (const [which, args] of [['stdout', ['lint', 'm']], ['stderr', ['lint', 'm', '--format', 'pretty']]] as const) {
      // A reader that closes its end of the pipe and stays: every write to the pipe fails.
      const reader = spawn('sh', ['-c', 'exec 0<&-; echo closed; exec sleep 60'], { stdio: ['pipe', 'pipe', 'ignore'] });
      await new Promise((resolve) => reader.stdout.once('data', resolve));
      const r = await migcInto([...args], which, reader.stdin);
      reader.kill();
      expect(r.other, which).not.toMatch(/EPIPE|Error|\n {4}at /);
      expect(r.code, which).toBe(141);
      // stderr closed: the diagnostics on stdout were all printed, the summary line failed.
      if (which === 'stderr') expect(r.other).toMatch(/0100_x\.sql:3:1/);
    }
  });
});
