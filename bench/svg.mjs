// `migc build --svg` against mermaid-cli's `mmdc`, one call per diagram, on the same diagrams:
// N plans (the example plans under new ids, so N timelines; default 50). Target: migc draws
// them at least 20x faster than mmdc does. Both use the system's Chromium (MIGC_CHROMIUM or
// /usr/bin/chromium); neither downloads one.
// Usage: node bench/svg.mjs [--diagrams 50] [--chromium /usr/bin/chromium]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { diagrams: { type: 'string', default: '50' }, chromium: { type: 'string', default: process.env.MIGC_CHROMIUM ?? '/usr/bin/chromium' } } });
const count = Number(values.diagrams);
const chromium = values.chromium;

const dir = mkdtempSync(join(tmpdir(), 'migc-bench-svg-'));
try {
  // N plans: the examples in turn, each under its own id, beside the baselines they name.
  mkdirSync(join(dir, 'plans'));
  for (const f of readdirSync(join(root, 'plans')).filter((f) => f.endsWith('.sql'))) cpSync(join(root, 'plans', f), join(dir, 'plans', f));
  const examples = readdirSync(join(root, 'plans')).filter((f) => f.endsWith('.yaml')).sort();
  for (let i = 0; i < count; i++) {
    const text = readFileSync(join(root, 'plans', examples[i % examples.length]), 'utf8');
    writeFileSync(join(dir, 'plans', `p${String(i).padStart(3, '0')}.yaml`), text.replace(/^id: (.+)$/m, `id: $1-${i}`));
  }
  const env = { ...process.env, MIGC_CHROMIUM: chromium, PUPPETEER_SKIP_DOWNLOAD: '1', GITHUB_ACTIONS: '' };
  const time = (command, args) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const bin = join(root, 'bin/migc.js');
  const plain = time(process.execPath, [bin, 'build', '--out', 'plain']);
  const svg = time(process.execPath, [bin, 'build', '--svg', '--out', 'svg']);
  const drawn = readdirSync(join(dir, 'svg')).filter((id) => readdirSync(join(dir, 'svg', id)).includes('timeline.svg')).length;
  if (drawn !== count) throw new Error(`migc build --svg drew ${drawn} of ${count} timelines`);

  // mmdc, as a project would call it for each diagram: a browser per call.
  const config = join(dir, 'puppeteer.json');
  writeFileSync(config, JSON.stringify({ executablePath: chromium, args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu'] }));
  const mmdc = join(root, 'node_modules/.bin/mmdc');
  let mmdcMs = 0;
  for (const id of readdirSync(join(dir, 'plain')).sort()) {
    mmdcMs += time(mmdc, ['-q', '-p', config, '-i', join(dir, 'plain', id, 'timeline.mmd'), '-o', join(dir, 'plain', id, 'timeline.svg')]);
  }
  const migcSvgMs = svg - plain;
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${count} diagrams, node ${process.version}, ${chromium}`);
  console.log(`| | total | per diagram |\n|---|---:|---:|`);
  console.log(`| mmdc, one call per diagram | ${fmt(mmdcMs)} | ${(mmdcMs / count).toFixed(0)} ms |`);
  console.log(`| migc build --svg (whole build) | ${fmt(svg)} | ${(svg / count).toFixed(0)} ms |`);
  console.log(`| migc build --svg minus migc build (drawing only) | ${fmt(migcSvgMs)} | ${(migcSvgMs / count).toFixed(0)} ms |`);
  console.log(`\nmmdc / migc build --svg: ${(mmdcMs / svg).toFixed(1)}x (whole build), ${(mmdcMs / migcSvgMs).toFixed(1)}x (drawing only); target at least 20x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
