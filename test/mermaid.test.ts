import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers.js';

/**
 * Every example plan's timeline.mmd renders with mermaid-cli in a real headless Chromium, and
 * report.md embeds exactly that chart: what a reviewer sees on GitHub is a chart, not a syntax
 * error. Needs Debian's chromium (.ci/run installs it).
 */
const chromium = '/usr/bin/chromium';
const plans = readdirSync(`${root}test/golden`).sort();

function mmdc(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/mmdc'), args, { env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

describe.skipIf(!existsSync(chromium))(`Mermaid output renders in headless Chromium (skipped without ${chromium}; .ci/run installs it)`, () => {
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'migc-mermaid-'));
    config = join(dir, 'puppeteer.json');
    // As root Chromium needs --no-sandbox; the network flags keep it from calling out.
    writeFileSync(config, JSON.stringify({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(plans)('%s: report.md embeds timeline.mmd as its mermaid block', (id) => {
    const chart = readFileSync(join(root, 'test/golden', id, 'timeline.mmd'), 'utf8');
    expect(readFileSync(join(root, 'test/golden', id, 'report.md'), 'utf8')).toContain(`\`\`\`mermaid\n${chart}\`\`\``);
  });

  it.each(plans)('%s: timeline.mmd', async (id) => {
    const r = await mmdc(['-p', config, '-i', join(root, 'test/golden', id, 'timeline.mmd'), '-o', join(dir, `${id}.svg`)]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, `${id}.svg`))).toBe(true);
  });

  it('renders the timeline of a plan whose text tries to break or inject into the chart', async () => {
    const { compileFiles } = await import('./helpers.js');
    const hostile = readFileSync(join(root, 'test/fixtures/emit/hostile-timeline.yaml'), 'utf8');
    const result = await compileFiles({ 'plans/p.yaml': hostile }, { emit: true });
    writeFileSync(join(dir, 'hostile.mmd'), result.plans[0]!.outputs.find((o) => o.path.endsWith('timeline.mmd'))!.contents);
    const r = await mmdc(['-p', config, '-i', join(dir, 'hostile.mmd'), '-o', join(dir, 'hostile.svg')]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const svg = readFileSync(join(dir, 'hostile.svg'), 'utf8');
    expect(svg).not.toMatch(/<img|<script|<b>|href="javascript/); // the words stay, as text
  });

  it('rejects a broken chart (so the checks above can fail)', async () => {
    writeFileSync(join(dir, 'bad.mmd'), 'gantt\n    dateFormat YYYY-MM-DD\n    section A\n    task :a1, 2000-01-01, not-a-duration\n    ::: nope\n');
    expect((await mmdc(['-p', config, '-i', join(dir, 'bad.mmd'), '-o', join(dir, 'bad.svg')])).code).not.toBe(0);
  });
});

if (!existsSync(chromium) && process.env.CI === 'true') {
  it('has Chromium to render Mermaid with in CI', () => {
    expect(existsSync(chromium), `CI=true but ${chromium} is missing: .ci/run must install chromium`).toBe(true);
  });
}
