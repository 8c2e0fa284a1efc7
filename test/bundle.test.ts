// bin/migc.js runs the CLI's bundle (scripts/bundle.mjs), not the sources the other tests run:
// - from V8's code cache that the build made (scripts/code-cache.mjs, read by bin/load-cli.js).
//   The cache must be taken by V8 (else every start pays the compile it exists to save), must
//   never be used with another build or when damaged (V8 checks neither: a damaged cache crashed
//   it), and a run with it must do what a run without it does;
// - with the built-in templates compiled ahead, which must render what the templates compiled
//   from source render (the golden files), and must give way to a template of --templates.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheContents, cacheFile, readCache } from '../bin/load-cli.js';
import { cliEnv, root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'migc-bundle-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `code` (an ES module body with loadCli in scope) in a fresh Node process, with V8's default flags. */
function inFreshNode(code: string): string {
  const script = `import { loadCli } from ${JSON.stringify(join(root, 'bin/load-cli.js'))};\n${code}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: cliEnv(), encoding: 'utf8' });
}

describe('the code cache of the CLI bundle', () => {
  it('is made by the build and taken by V8 in a new process', () => {
    expect(inFreshNode('console.log(JSON.stringify(loadCli().cacheUsed));').trim()).toBe('true');
  });

  it('is not used for another build of the bundle, nor when its data is damaged or missing', () => {
    const contents = readFileSync(cacheFile);
    const header = contents.subarray(0, contents.indexOf(10)).toString('latin1');
    const build = header.split(' ')[1]!;
    const v8Data = contents.subarray(contents.indexOf(10) + 1);
    expect(readCache(cacheFile, build)?.equals(v8Data)).toBe(true);
    expect(readCache(cacheFile, 'f'.repeat(32))).toBeUndefined();

    const damaged = Buffer.from(contents);
    const at = damaged.length - 1000;
    damaged.writeUInt8(damaged.readUInt8(at) ^ 0x5a, at);
    writeFileSync(join(work, 'damaged'), damaged);
    expect(readCache(join(work, 'damaged'), build)).toBeUndefined();
    writeFileSync(join(work, 'cut'), contents.subarray(0, contents.length - 10));
    expect(readCache(join(work, 'cut'), build)).toBeUndefined();
    writeFileSync(join(work, 'no-header'), v8Data);
    expect(readCache(join(work, 'no-header'), build)).toBeUndefined();
    expect(readCache(join(work, 'missing'), build)).toBeUndefined();
    // cacheContents writes what readCache reads.
    writeFileSync(join(work, 'remade'), cacheContents(build, v8Data));
    expect(readCache(join(work, 'remade'), build)?.equals(v8Data)).toBe(true);

    // A damaged cache is ignored and the CLI still runs, compiling the bundle itself.
    const out = inFreshNode(`const cli = loadCli({ cache: ${JSON.stringify(join(work, 'damaged'))} });
console.log(JSON.stringify({ used: cli.cacheUsed, code: await cli.exports.main(['--version'], { cwd: process.cwd(), stdout: () => true, stderr: () => true, color: false }) }));`);
    expect(JSON.parse(out)).toEqual({ used: false, code: 0 });
  });

  it('comes with a bundle of ASCII only, which the loader reads as Latin-1', () => {
    const bundle = readFileSync(join(root, 'dist/bundle/main.cjs'));
    expect(bundle.every((byte) => byte < 0x80)).toBe(true);
  });

  it('gives the same findings as the bundle compiled without it', () => {
    const lintWith = (codeCache: boolean) =>
      inFreshNode(`const cli = loadCli({ codeCache: ${codeCache} });
let out = '';
const code = await cli.exports.main(['lint', 'test/fixtures/lint-layouts', '--format', 'json'], { cwd: process.cwd(), stdout: (t) => { out += t; return true; }, stderr: () => true, color: false });
console.log(JSON.stringify({ used: cli.cacheUsed, code, findings: JSON.parse(out).diagnostics.length, out }));`);
    const cached = JSON.parse(lintWith(true));
    const compiled = JSON.parse(lintWith(false));
    expect(cached.used).toBe(true);
    expect(compiled.used).toBe(false);
    expect(cached.findings).toBeGreaterThan(10);
    expect(cached.code).toBe(compiled.code);
    expect(cached.out).toBe(compiled.out);
  });
});

describe('bin/migc.js without a build', () => {
  it('says how to build, without a stack trace', () => {
    const pkg = join(work, 'unbuilt');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    for (const f of ['migc.js', 'load-cli.js']) cpSync(join(root, 'bin', f), join(pkg, 'bin', f));
    const r = spawnSync(process.execPath, [join(pkg, 'bin/migc.js'), 'check'], { cwd: pkg, env: cliEnv(), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`migc: the CLI is not built (${join(pkg, 'dist/bundle/main.cjs')} is missing): run npm install in ${pkg}/, or npm run build\n`);
  });
});

describe('the built-in templates of the bundle, compiled ahead', () => {
  /** The files `migc build` writes for the example plans, by path under the output folder. */
  function build(project: string, ...args: string[]): Map<string, string> {
    execFileSync(process.execPath, [join(root, 'bin/migc.js'), 'build', 'plans', '--out', 'out', ...args], { cwd: project, env: cliEnv(), encoding: 'utf8' });
    const files = new Map<string, string>();
    for (const entry of readdirSync(join(project, 'out'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name !== '.migc-manifest') files.set(join(entry.parentPath, entry.name).slice(join(project, 'out').length + 1), readFileSync(join(entry.parentPath, entry.name), 'utf8'));
    }
    return files;
  }

  it('are in the bundle', () => {
    const bundle = readFileSync(join(root, 'dist/bundle/main.cjs'), 'latin1');
    expect(bundle).toMatch(/"report\.md": \{ text: ["`]/);
  });

  it('render every example plan as the golden files say, byte for byte', () => {
    const project = join(work, 'golden');
    cpSync(join(root, 'plans'), join(project, 'plans'), { recursive: true });
    const files = build(project);
    expect(files.size).toBeGreaterThan(40);
    for (const [path, text] of files) expect(text, path).toBe(readFileSync(join(root, 'test/golden', path), 'utf8'));
  });

  it('give way to a template of --templates', () => {
    const project = join(work, 'override');
    cpSync(join(root, 'plans'), join(project, 'plans'), { recursive: true });
    mkdirSync(join(project, 'tpl'));
    const builtIn = readFileSync(join(root, 'templates/report.md.hbs'), 'utf8');
    writeFileSync(join(project, 'tpl/report.md.hbs'), `Reviewed by the platform team.\n${builtIn}`);
    const files = build(project, '--templates', 'tpl');
    const report = files.get('add-email-verified/report.md')!;
    expect(report).toBe(`Reviewed by the platform team.\n${readFileSync(join(root, 'test/golden/add-email-verified/report.md'), 'utf8')}`);
  });
});
