#!/usr/bin/env node
/**
 * Mutation fuzzer over the example plans (plans/*.yaml) and the SQL fixtures
 * (test/fixtures/**\/*.sql), through the built library (dist/: run `npm run build` first) and,
 * for a few cases, the real CLI.
 *
 *   node scripts/fuzz.mjs [--seed 1] [--count 2000] [--kind all|plan|sql] [--timeout 20000] [--cli 12] [--save DIR]
 *
 * Every case must give exit 0 or 1 with located diagnostics: no exception ("internal error"),
 * no output flood, and no hang (a case running past --timeout is stopped and counted). Failing
 * cases are saved to --save (default: the system's temporary folder) to be replayed with
 * `migc check` or `migc lint`. SQL cases are also linted with a line of multi-byte text put
 * first: every finding must move down exactly one line ("offset" findings, reported apart);
 * the scripts built from a plan must parse and hold no psql meta-command ("script" findings).
 * Prints the counts: cases, outcomes by exit code and by code, failures.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { heavySqlMutations, mutate, planMutations, sqlMutations } from './fuzz/mutate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const plans = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort();
const sqlFixtures = readdirSync(`${root}test/fixtures`, { recursive: true }).filter((f) => f.endsWith('.sql')).sort();

/** The case for a seed: which file, and its mutated text. */
function makeCase(kind, seed) {
  if (kind === 'plan') {
    const name = plans[seed % plans.length];
    return { kind, name, file: `plans/${name}`, ...mutate(readFileSync(`${root}plans/${name}`, 'utf8'), planMutations, seed) };
  }
  const name = sqlFixtures[seed % sqlFixtures.length];
  // One case in 50 may also get the slow mutations (tens of thousands of statements, a file over the limit).
  const mutations = seed % 50 === 0 ? heavySqlMutations : sqlMutations;
  return { kind, name, file: `m/${name}`, fileTransaction: seed % 2 === 0, ...mutate(readFileSync(`${root}test/fixtures/${name}`, 'utf8'), mutations, seed) };
}

if (!isMainThread) {
  // The worker: runs cases through dist/ as they come; the main thread watches the clock.
  const { checkCase } = await import('./fuzz/check-case.mjs');
  const lib = {
    ...(await import(`${root}dist/compile.js`)),
    ...(await import(`${root}dist/lint.js`)),
    ...(await import(`${root}dist/host.js`)),
    ...(await import(`${root}dist/diagnostics/render.js`)),
    ...(await import(`${root}dist/sql/parser.js`)),
    ...(await import(`${root}dist/sql/psql.js`)),
  };
  await lib.loadSqlParser();
  const { templateFileName, templateNames } = await import(`${root}dist/emit/template-names.js`);
  const templates = Object.fromEntries(templateNames.map((n) => [n, { file: `templates/${templateFileName(n)}`, text: readFileSync(`${root}templates/${templateFileName(n)}`, 'utf8') }]));
  const planSide = Object.fromEntries(readdirSync(`${root}plans`).filter((f) => f.endsWith('.sql')).map((f) => [`plans/${f}`, readFileSync(`${root}plans/${f}`, 'utf8')]));
  const lines = (r) => r.diagnostics.filter((d) => d.span && d.span.end > 0).map((d) => `${d.code}@${r.sources.get(d.file).position(d.span.start).line}`);
  parentPort.on('message', async ({ kind, seed }) => {
    const c = makeCase(kind, seed);
    const outcome = await checkCase(lib, { kind, file: c.file, text: c.text, files: planSide, templates, fileTransaction: c.fileTransaction });
    let offset;
    if (kind === 'sql' && outcome.problems.length === 0) {
      // Metamorphic check of positions: a first line of multi-byte text moves every finding down one line.
      const host = (t) => lib.memoryHost({ [c.file]: t });
      const opts = { files: [c.file], ...(c.fileTransaction ? { fileTransaction: true } : {}) };
      try {
        const before = lines(await lib.lint(opts, host(c.text))).map((l) => l.replace(/@(\d+)$/, (_, n) => `@${Number(n) + 1}`));
        const after = lines(await lib.lint(opts, host(`-- 日本語のコメント 🎉 café\n${c.text}`)));
        if (before.join() !== after.join()) offset = { before: before.slice(0, 6), after: after.slice(0, 6) };
      } catch (e) {
        offset = { error: String(e).slice(0, 200) };
      }
    }
    parentPort.postMessage({ ...outcome, offset });
  });
} else {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      count: { type: 'string', default: '2000' },
      kind: { type: 'string', default: 'all' },
      timeout: { type: 'string', default: '20000' },
      cli: { type: 'string', default: '12' },
      save: { type: 'string', default: join(tmpdir(), 'migc-fuzz') },
    },
  });
  const firstSeed = Number(values.seed);
  const count = Number(values.count);
  const timeout = Number(values.timeout);
  const kinds = values.kind === 'all' ? ['plan', 'sql'] : [values.kind];
  mkdirSync(values.save, { recursive: true });

  let worker;
  let pending;
  const startWorker = () => {
    worker = new Worker(fileURLToPath(import.meta.url), { workerData: {}, resourceLimits: { maxOldGenerationSizeMb: 4096 } });
    worker.on('message', (m) => pending?.resolve(m));
    worker.on('error', (e) => pending?.resolve({ exit: 2, codes: [], problems: [`worker died: ${e.message}`], ms: 0 }));
  };
  const run = (kind, seed) => new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending = undefined;
      worker.terminate();
      startWorker();
      resolve({ exit: -1, codes: [], problems: [`no result after ${timeout} ms (hang)`], ms: timeout });
    }, timeout);
    pending = { resolve: (m) => { clearTimeout(timer); pending = undefined; resolve(m); } };
    worker.postMessage({ kind, seed });
  });
  startWorker();

  const report = {};
  const failures = [];
  const offsets = [];
  const scriptFindings = [];
  const started = Date.now();
  for (const kind of kinds) {
    const r = (report[kind] = { cases: 0, exits: {}, codes: {}, mutations: {}, slowest: { ms: 0 }, over2s: 0 });
    for (let i = 0; i < count; i++) {
      const seed = firstSeed + i;
      const outcome = await run(kind, seed);
      const c = makeCase(kind, seed);
      r.cases++;
      r.exits[outcome.exit] = (r.exits[outcome.exit] ?? 0) + 1;
      for (const code of outcome.exit === 0 ? ['(clean)'] : outcome.codes) r.codes[code] = (r.codes[code] ?? 0) + 1;
      for (const m of new Set(c.mutations)) r.mutations[m] = (r.mutations[m] ?? 0) + 1;
      if (outcome.ms > r.slowest.ms) r.slowest = { ms: Math.round(outcome.ms), seed, file: c.name, mutations: c.mutations };
      if (outcome.ms > 2000) r.over2s++;
      if (outcome.problems.length || outcome.offset || outcome.scripts?.length) {
        const saved = join(values.save, `${kind}-${seed}${kind === 'plan' ? '.yaml' : '.sql'}`);
        writeFileSync(saved, c.text);
        const entry = { kind, seed, file: c.name, mutations: c.mutations, saved };
        if (outcome.problems.length) failures.push({ ...entry, problems: outcome.problems.map((p) => p.split('\n').slice(0, 4).join(' | ')) });
        if (outcome.offset) offsets.push({ ...entry, ...outcome.offset });
        if (outcome.scripts?.length) scriptFindings.push({ ...entry, scripts: outcome.scripts.slice(0, 3) });
      }
      if ((i + 1) % 250 === 0) process.stderr.write(`${kind}: ${i + 1}/${count} cases, ${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s\n`);
    }
  }
  await worker.terminate();

  // A handful through the real binary: exit code, no "internal error", bounded output, no hang.
  const cliFailures = [];
  const cliCount = Number(values.cli);
  if (cliCount > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'migc-fuzz-cli-'));
    try {
      for (const f of readdirSync(`${root}plans`).filter((f) => f.endsWith('.sql'))) writeFileSync(join(dir, f), readFileSync(`${root}plans/${f}`));
      for (let i = 0; i < cliCount; i++) {
        const kind = kinds[i % kinds.length];
        const seed = firstSeed + i;
        const c = makeCase(kind, seed);
        const name = `case-${seed}${kind === 'plan' ? '.yaml' : '.sql'}`;
        writeFileSync(join(dir, name), c.text);
        const args = kind === 'plan' ? [i % 2 ? 'check' : 'build', name, ...(i % 2 ? [] : ['--out', 'out'])] : ['lint', name, ...(c.fileTransaction ? ['--file-transaction'] : [])];
        const r = await new Promise((resolve) => {
          execFile(process.execPath, [join(root, 'bin/migc.js'), ...args], { cwd: dir, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
            resolve({ code: error ? (error.killed ? -1 : Number(error.code ?? 1)) : 0, stdout, stderr });
          });
        });
        const problems = [];
        if (r.code !== 0 && r.code !== 1) problems.push(`exit ${r.code}`);
        if (/internal error/.test(r.stderr)) problems.push(r.stderr.split('\n').slice(0, 3).join(' | '));
        if (r.stdout.length > 200_000) problems.push(`printed ${r.stdout.length} characters`);
        if (problems.length) cliFailures.push({ args: args.join(' '), seed, mutations: c.mutations, problems });
        rmSync(join(dir, name));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const summary = { seed: firstSeed, count, seconds: Math.round((Date.now() - started) / 1000), report, failures, offsetFindings: offsets.length, offsets: offsets.slice(0, 20), scriptFindings: scriptFindings.length, scripts: scriptFindings.slice(0, 20), cli: { cases: cliCount, failures: cliFailures } };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = failures.length || cliFailures.length ? 1 : 0;
}
