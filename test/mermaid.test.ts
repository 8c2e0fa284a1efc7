import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFiles, root } from './helpers.js';

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
  /**
   * Every chart is drawn by one mmdc run over a Markdown file that holds each as a mermaid block:
   * mermaid-cli then draws them all in one Chromium, the n-th to drawn-<n>.svg, instead of
   * starting a browser per chart (4 to 5 s each). A chart it cannot draw fails the run and leaves
   * its SVG unwritten, so each chart's test below still fails on its own chart.
   */
  const charts: { name: string; text: string }[] = plans.map((id) => ({ name: id, text: readFileSync(join(root, 'test/golden', id, 'timeline.mmd'), 'utf8') }));
  const svgOf = (name: string) => join(dir, `drawn-${charts.findIndex((c) => c.name === name) + 1}.svg`);
  let drawn: { code: number; stderr: string };
  /** Charts as a Markdown file of mermaid blocks, as report.md embeds them. */
  const markdown = (texts: readonly string[]) => texts.map((t) => `\`\`\`mermaid\n${t}\`\`\`\n`).join('\n');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migc-mermaid-'));
    config = join(dir, 'puppeteer.json');
    // As root Chromium needs --no-sandbox; the network flags keep it from calling out.
    writeFileSync(config, JSON.stringify({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] }));
    // A plan whose text tries to break or inject into the chart.
    const hostile = readFileSync(join(root, 'test/fixtures/emit/hostile-timeline.yaml'), 'utf8');
    const result = await compileFiles({ 'plans/p.yaml': hostile }, { emit: true });
    charts.push({ name: 'hostile', text: result.plans[0]!.outputs.find((o) => o.path.endsWith('timeline.mmd'))!.contents });
    writeFileSync(join(dir, 'charts.md'), markdown(charts.map((c) => c.text)));
    drawn = await mmdc(['-p', config, '-i', join(dir, 'charts.md'), '-o', join(dir, 'drawn.md')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(plans)('%s: report.md embeds timeline.mmd as its mermaid block', (id) => {
    const chart = readFileSync(join(root, 'test/golden', id, 'timeline.mmd'), 'utf8');
    expect(readFileSync(join(root, 'test/golden', id, 'report.md'), 'utf8')).toContain(`\`\`\`mermaid\n${chart}\`\`\``);
  });

  it('mermaid-cli draws every chart without an error, one SVG per chart', () => {
    expect(drawn.stderr).not.toMatch(/Error/);
    expect(drawn.code).toBe(0);
    expect(readdirSync(dir).filter((f) => /^drawn-\d+\.svg$/.test(f))).toHaveLength(charts.length);
  });

  it.each(plans)('%s: timeline.mmd', (id) => {
    expect(existsSync(svgOf(id))).toBe(true);
    expect(readFileSync(svgOf(id), 'utf8')).toMatch(/^<svg [^>]*id="my-svg"/);
  });

  it('renders the timeline of a plan whose text tries to break or inject into the chart', () => {
    expect(drawn.code).toBe(0);
    const svg = readFileSync(svgOf('hostile'), 'utf8');
    expect(svg).not.toMatch(/<img|<script|<b>|href="javascript/); // the words stay, as text
  });

  it('rejects a broken chart (so the checks above can fail): the run fails, and that chart has no SVG', async () => {
    const bad = 'gantt\n    dateFormat YYYY-MM-DD\n    section A\n    task :a1, 2000-01-01, not-a-duration\n    ::: nope\n';
    writeFileSync(join(dir, 'bad.md'), markdown([charts[0]!.text, bad]));
    expect((await mmdc(['-p', config, '-i', join(dir, 'bad.md'), '-o', join(dir, 'bad-drawn.md')])).code).not.toBe(0);
    expect(existsSync(join(dir, 'bad-drawn-2.svg'))).toBe(false);
  });
});

if (!existsSync(chromium) && process.env.CI === 'true') {
  it('has Chromium to render Mermaid with in CI', () => {
    expect(existsSync(chromium), `CI=true but ${chromium} is missing: .ci/run must install chromium`).toBe(true);
  });
}
