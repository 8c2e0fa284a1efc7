import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, root } from './helpers.js';

/**
 * migc build --svg, with the real binary and Debian's Chromium: every example plan's timeline
 * becomes an SVG that an XML parser (Chromium's DOMParser) reads as an SVG document with the
 * plan's text, and report.md links it. Under CI=true a missing Chromium fails (see the end).
 */
const chromium = '/usr/bin/chromium';
const examples = readdirSync(join(root, 'test/golden')).sort();

function migc(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd, env: cliEnv(env) }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'migc-svg-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string): string {
  const p = join(dir, name);
  mkdirSync(p);
  cpSync(join(root, 'plans'), join(p, 'plans'), { recursive: true });
  // A project as users have them, with a puppeteer config file: puppeteer loads it as CommonJS,
  // which failed (__filename in an ES module) when puppeteer was bundled into migc.
  writeFileSync(join(p, 'package.json'), JSON.stringify({ name, private: true, devDependencies: { migc: '*' } }, null, 2));
  writeFileSync(join(p, '.puppeteerrc.cjs'), 'module.exports = { skipDownload: true };\n');
  return p;
}

describe.skipIf(!existsSync(chromium))(`migc build --svg (skipped without ${chromium}; .ci/run installs it)`, () => {
  let built: string;
  let parsed: Map<string, { root: string; error: string | null; texts: string }>;
  beforeAll(async () => {
    built = project('built');
    const r = await migc(['build', '--svg'], built, { MIGC_CHROMIUM: chromium });
    expect(r.stderr).toMatch(/built 7 of 7 plans/);
    expect(r.code).toBe(0);
    // Parse every SVG as XML in Chromium itself: well-formed, an <svg> root, no parser error.
    const { launch } = await import('puppeteer');
    const browser = await launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      parsed = new Map();
      for (const id of examples) {
        const text = readFileSync(join(built, 'out', id, 'timeline.svg'), 'utf8');
        parsed.set(id, await page.evaluate((svg) => {
          const { DOMParser } = globalThis as any;
          const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
          const error = doc.getElementsByTagName('parsererror')[0];
          return { root: `${doc.documentElement.namespaceURI} ${doc.documentElement.localName}`, error: error ? error.textContent : null, texts: doc.documentElement.textContent ?? '' };
        }, text));
      }
      const broken = await page.evaluate(() => new (globalThis as any).DOMParser().parseFromString('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', 'image/svg+xml').getElementsByTagName('parsererror').length);
      expect(broken).toBeGreaterThan(0); // the check can fail
    } finally {
      await browser.close();
    }
  }, 240_000);

  it.each(examples)('%s: timeline.svg is a well-formed SVG with the plan\'s text, linked from report.md', (id) => {
    const svg = parsed.get(id)!;
    expect(svg.error).toBeNull();
    expect(svg.root).toBe('http://www.w3.org/2000/svg svg');
    const mmd = readFileSync(join(built, 'out', id, 'timeline.mmd'), 'utf8');
    const title = /^\s*title (.+)$/m.exec(mmd)![1]!;
    expect(svg.texts).toContain(title.slice(0, 30));
    const report = readFileSync(join(built, 'out', id, 'report.md'), 'utf8');
    expect(report).toContain('```\n\n![The plan\'s timeline as an image](timeline.svg)\n');
    expect(readFileSync(join(built, 'out', id, '.migc-manifest'), 'utf8')).toContain('timeline.svg');
  });

  it('draws the same bytes twice (a build --check with --svg passes)', async () => {
    const r = await migc(['build', '--svg', '--check'], built, { MIGC_CHROMIUM: chromium });
    expect(r.stderr).toMatch(/up to date/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('draws a plan whose text tries to inject into the chart: the words stay text', async () => {
    const p = join(dir, 'hostile');
    mkdirSync(join(p, 'plans'), { recursive: true });
    cpSync(join(root, 'test/fixtures/emit/hostile-timeline.yaml'), join(p, 'plans/p.yaml'));
    const r = await migc(['build', '--svg'], p, { MIGC_CHROMIUM: chromium });
    expect(r.code).toBe(0);
    const [id] = readdirSync(join(p, 'out')).filter((f) => !f.startsWith('.'));
    const svg = readFileSync(join(p, 'out', id!, 'timeline.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
    expect(svg).not.toMatch(/<script|<img|<b>|href="javascript/);
  }, 120_000);

  it('a Mermaid error is MG054 at the plan, and that plan is not written', async () => {
    const p = project('broken');
    mkdirSync(join(p, 'tpl'));
    writeFileSync(join(p, 'tpl/timeline.mmd.hbs'), 'flowchart LR\n    {{plan.id}}[unclosed --> B\n');
    const r = await migc(['build', 'plans/rename-user-name.yaml', '--svg', '--templates', 'tpl', '--format', 'json'], p, { MIGC_CHROMIUM: chromium });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.diagnostics).toContainEqual(expect.objectContaining({ code: 'MG054', file: 'plans/rename-user-name.yaml', line: 3, message: expect.stringMatching(/^the timeline of plan "rename-user-name" does not render: /) }));
    expect(existsSync(join(p, 'out/rename-user-name'))).toBe(false);
  }, 120_000);
});

describe('--svg without a browser', () => {
  it('is MG055, exit 2, saying what to install; nothing is written', async () => {
    const p = project('nobrowser');
    const r = await migc(['build', '--svg', '--format', 'json'], p, { MIGC_CHROMIUM: '/nonexistent/chromium' });
    expect(r.code).toBe(2);
    const d = JSON.parse(r.stdout).diagnostics[0];
    expect(d).toMatchObject({ code: 'MG055', message: '--svg: MIGC_CHROMIUM=/nonexistent/chromium is not an executable file' });
    expect(d.help).toMatch(/apt-get install chromium/);
    expect(existsSync(join(p, 'out'))).toBe(false);
    const pretty = await migc(['build', '--svg'], p, { MIGC_CHROMIUM: '/nonexistent/chromium' });
    expect(pretty.stderr).toMatch(/^migc: --svg: MIGC_CHROMIUM=\/nonexistent\/chromium is not an executable file\nmigc: Install Chromium/);    // "svg": true in the config asks for the same.
    writeFileSync(join(p, 'migc.config.json'), '{ "svg": true }\n');
    expect(await migc(['build'], p, { MIGC_CHROMIUM: '/nonexistent/chromium' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/MG055|MIGC_CHROMIUM=\/nonexistent\/chromium is not an executable file/) });
  });
});

if (!existsSync(chromium) && process.env.CI === 'true') {
  it('has Chromium to draw SVGs with in CI', () => {
    expect(existsSync(chromium), `CI=true but ${chromium} is missing: .ci/run must install chromium`).toBe(true);
  });
}
