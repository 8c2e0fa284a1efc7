// Save to updated page: how long from saving a plan to the open preview page showing the change
// (report, scripts and the redrawn Mermaid chart swapped in), in headless Chromium. Target: median under 250 ms.
//
//   node bench/preview.mjs --mode cli     the real thing: `migc watch --serve --port 0` over a temp project of
//                                          --plans generated plans plus plans/email-verified.yaml; each run edits
//                                          that file on disk (write in place) and times until the page shows it.
//   node bench/preview.mjs --mode memory  no watcher: the preview server over an in-memory source that recompiles
//                                          the plan with compile() on each edit (needs `npm run build` first).
//
// The clock: node notes Date.now() just before the save; the page notes Date.now() when a MutationObserver
// sees the new title in the report. Both run on this machine, so the difference is the latency.
// Options: --runs 20 --plans 200 (cli mode) --chromium /usr/bin/chromium --bin bin/migc.js (the CLI to run)
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { generatePlans } from './generate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'cli' },
    runs: { type: 'string', default: '20' },
    plans: { type: 'string', default: '200' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    bin: { type: 'string', default: join(fileURLToPath(new URL('..', import.meta.url)), 'bin/migc.js') },
  },
});
const runs = Number(values.runs);
const planFile = 'plans/email-verified.yaml';
const original = readFileSync(join(root, planFile), 'utf8');
const titled = (n) => original.replace('title: Replace users.verification_date', `title: Bench run ${n} replaces users.verification_date`);

/** Starts the preview; returns its URL, a way to save the plan's text, and a way to stop. */
async function startCli() {
  const project = mkdtempSync(join(tmpdir(), 'migc-preview-bench-'));
  mkdirSync(join(project, 'plans'));
  for (const f of ['email-verified.yaml', 'users.baseline.sql', 'users.fixtures.sql']) cpSync(join(root, 'plans', f), join(project, 'plans', f));
  cpSync(join(root, 'plans', 'apps'), join(project, 'plans', 'apps'), { recursive: true }); // its app versions' queries
  generatePlans(join(project, 'plans', 'generated'), Number(values.plans) - 1);
  const child = spawn(process.execPath, [values.bin, 'watch', '--serve', '--port', '0', 'plans'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "preview: <url>" line from migc watch --serve within 120 s; it printed:\n${out}`)), 120_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /^preview: (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`migc watch --serve exited ${code} before printing its URL${out ? `:\n${out}` : ''}`)));
  }).catch((e) => {
    child.kill();
    rmSync(project, { recursive: true, force: true });
    throw e;
  });
  return {
    url,
    // Each save is one write in place, as most editors do it.
    save: async (text) => writeFileSync(join(project, planFile), text),
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(project, { recursive: true, force: true });
    },
  };
}

async function startMemory() {
  const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
  const { memorySource } = await import(dist('preview/memory-source.js'));
  const { startPreview } = await import(dist('preview/server.js'));
  const { templateFileName, templateNames } = await import(dist('emit/template-names.js'));
  const templates = Object.fromEntries(templateNames.map((name) => [name, { file: `templates/${templateFileName(name)}`, text: readFileSync(join(root, 'templates', templateFileName(name)), 'utf8') }]));
  const names = ['email-verified.yaml', 'users.baseline.sql', 'users.fixtures.sql', ...readdirSync(join(root, 'plans', 'apps')).map((f) => `apps/${f}`)];
  const files = Object.fromEntries(names.map((f) => [`plans/${f}`, readFileSync(join(root, 'plans', f), 'utf8')]));
  const source = await memorySource({ files, templates });
  const server = await startPreview(source, { port: 0 });
  return { url: server.url, save: (text) => source.set(planFile, text), stop: () => server.close() };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

let preview;
try {
  preview = values.mode === 'memory' ? await startMemory() : await startCli();
} catch (e) {
  console.error(`bench/preview.mjs: ${e.message}`);
  process.exit(1);
}
const browser = await puppeteer.launch({
  executablePath: values.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  // migc watch serves as soon as it starts; the plan's page exists once the first build has it.
  const pageUrl = new URL(`/plan/${planFile}`, preview.url).href;
  for (const end = Date.now() + 120_000; (await fetch(pageUrl)).status !== 200;) {
    if (Date.now() > end) throw new Error(`${pageUrl} did not appear within 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(pageUrl, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready]');
  await page.waitForSelector('#live.up');
  await page.evaluate(() => {
    new MutationObserver(() => {
      if (window.benchWant && document.querySelector('#report h1')?.textContent === window.benchWant && window.benchSeenAt === undefined) window.benchSeenAt = Date.now();
    }).observe(document.getElementById('content'), { childList: true, subtree: true, characterData: true, attributes: true });
  });

  const times = [];
  /** How long the save itself took to return: in memory mode, the rebuild (compile()) before the page hears of it. */
  const rebuilds = [];
  for (let n = 1; n <= runs + 2; n++) {
    const want = titled(n).match(/^title: (.*)$/m)[1];
    await page.evaluate((w) => { window.benchWant = w; window.benchSeenAt = undefined; }, want);
    const savedAt = Date.now();
    await preview.save(titled(n));
    const rebuilt = Date.now() - savedAt;
    await page.waitForFunction(() => window.benchSeenAt !== undefined, { timeout: 10_000, polling: 10 });
    const ms = (await page.evaluate(() => window.benchSeenAt)) - savedAt;
    if (n > 2) { // the first two warm up the compiler, the server and the page
      times.push(ms);
      rebuilds.push(rebuilt);
    }
    await new Promise((resolve) => setTimeout(resolve, 150)); // let the watcher settle between saves
  }
  console.log(`preview (${values.mode}${values.mode === 'cli' ? `, ${values.plans} plans` : ', compile() of one plan'}), node ${process.version}, ${runs} saves:`);
  console.log(`  save to updated page: median ${median(times)} ms, p90 ${pct(times, 0.9)} ms, min ${Math.min(...times)} ms, max ${Math.max(...times)} ms (target: median under 250 ms)`);
  if (values.mode === 'memory') {
    const page = times.map((t, i) => t - rebuilds[i]);
    console.log(`  of which the rebuild by compile(): median ${median(rebuilds)} ms; rebuilt to updated page (event, fetch, render, Mermaid, swap): median ${median(page)} ms, p90 ${pct(page, 0.9)} ms`);
  }
} finally {
  await browser.close();
  await preview.stop();
}
