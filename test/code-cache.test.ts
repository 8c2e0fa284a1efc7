// bin/load-cli.js runs the CLI's bundle from V8's code cache that the build made
// (scripts/code-cache.mjs). The cache must be taken by V8 (else every start pays the compile it
// exists to save), must never be used with another build or when damaged (V8 checks neither: a
// damaged cache crashed it), and a run with it must do what a run without it does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheContents, cacheFile, readCache } from '../bin/load-cli.js';
import { cliEnv, root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'migc-code-cache-test-'));
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
