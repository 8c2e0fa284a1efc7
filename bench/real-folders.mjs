// migc lint beside squawk on real migration folders, one project per subfolder of the folder given
// (kept outside the repository: see bench/real-folders-results.md for how /work/realsets is built).
// Per project: files, findings per 100 files (notes left out), files each tool could not parse,
// wall time (median of --runs, the two tools interleaved). --dump FILE writes every finding of both
// tools as JSON, for judging by hand.
//
// A project whose tool runs each file in a transaction is linted with migc's --file-transaction and
// squawk's --assume-in-transaction: list them in <folder>/projects.json as
// { "<subfolder>": { "fileTransaction": true } }. A project whose tool sends each file as one query
// string (golang-migrate) says { "fileQueryString": true }: migc's --file-query-string (squawk has
// no such mode and reads it statement by statement).
//
// Usage: node bench/real-folders.mjs /work/realsets [--runs 3] [--dump findings.json] [--squawk PATH]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const squawkVersion = '2.66.0';

function installSquawk(into) {
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', into, `squawk-cli@${squawkVersion}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not install squawk-cli@${squawkVersion}: ${r.stderr}`);
  return join(into, 'node_modules/.bin/squawk');
}

function sqlFiles(dir) {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.sql')) found.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return found.sort();
}

function run(cmd, args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchRealFolders(folder, { runs = 3, squawkBin, dump } = {}) {
  const work = squawkBin ? undefined : mkdtempSync(join(tmpdir(), 'migc-real-'));
  try {
    const squawk = squawkBin ?? installSquawk(join(work, 'squawk'));
    const config = existsSync(join(folder, 'projects.json')) ? JSON.parse(readFileSync(join(folder, 'projects.json'), 'utf8')) : {};
    const projects = readdirSync(folder, { withFileTypes: true }).filter((e) => e.isDirectory() && sqlFiles(join(folder, e.name)).length > 0).map((e) => e.name).sort();
    const rows = [];
    const findings = {};
    for (const name of projects) {
      const dir = join(folder, name);
      const files = sqlFiles(dir);
      const fileTransaction = config[name]?.fileTransaction === true;
      const fileQueryString = config[name]?.fileQueryString === true;
      const migcArgs = [join(root, 'bin/migc.js'), 'lint', '.', '--format', 'json', ...(fileTransaction ? ['--file-transaction'] : []), ...(fileQueryString ? ['--file-query-string'] : [])];
      const squawkArgs = ['--reporter', 'json', '--pg-version', '14', ...(fileTransaction ? ['--assume-in-transaction'] : []), ...files];
      const migcMs = [];
      const squawkMs = [];
      let m;
      let s;
      for (let i = 0; i < runs; i++) {
        m = run(process.execPath, migcArgs, dir);
        migcMs.push(m.ms);
        s = run(squawk, squawkArgs, dir);
        squawkMs.push(s.ms);
      }
      if (m.stderr && !m.stdout) throw new Error(`migc failed on ${name}: ${m.stderr}`);
      const migc = JSON.parse(m.stdout).diagnostics.filter((d) => d.severity !== 'info');
      const sq = JSON.parse(s.stdout || '[]');
      const migcParse = new Set(migc.filter((d) => d.code === 'MG020').map((d) => d.file)).size;
      const squawkParse = new Set(sq.filter((d) => d.rule_name === 'syntax-error').map((d) => d.file)).size;
      rows.push({
        name, files: files.length, fileTransaction, fileQueryString,
        migc: migc.length, squawk: sq.length, migcParse, squawkParse,
        migcMs: median(migcMs), squawkMs: median(squawkMs),
      });
      findings[name] = {
        migc: migc.map((d) => ({ file: d.file, line: d.line, code: d.code, severity: d.severity, message: d.message })),
        squawk: sq.map((d) => ({ file: d.file, line: d.line + 1, rule: d.rule_name, message: d.message })),
      };
    }
    if (dump) writeFileSync(dump, `${JSON.stringify(findings, null, 1)}\n`);
    const per100 = (n, files) => (n * 100 / files).toFixed(0);
    const total = rows.reduce((t, r) => ({ files: t.files + r.files, migc: t.migc + r.migc, squawk: t.squawk + r.squawk, migcParse: t.migcParse + r.migcParse, squawkParse: t.squawkParse + r.squawkParse, migcMs: t.migcMs + r.migcMs, squawkMs: t.squawkMs + r.squawkMs }), { files: 0, migc: 0, squawk: 0, migcParse: 0, squawkParse: 0, migcMs: 0, squawkMs: 0 });
    const lines = [
      `| project | files | in a transaction per file | findings / 100 files (migc) | (squawk ${squawkVersion}) | files not parsed (migc) | (squawk) | wall time migc | squawk | ratio |`,
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.name} | ${r.files} | ${r.fileTransaction ? 'yes' : r.fileQueryString ? 'one query string' : 'no'} | ${per100(r.migc, r.files)} | ${per100(r.squawk, r.files)} | ${r.migcParse} | ${r.squawkParse} | ${r.migcMs.toFixed(0)} ms | ${r.squawkMs.toFixed(0)} ms | ${(r.migcMs / r.squawkMs).toFixed(1)}x |`),
      `| all | ${total.files} | | ${per100(total.migc, total.files)} | ${per100(total.squawk, total.files)} | ${total.migcParse} | ${total.squawkParse} | ${total.migcMs.toFixed(0)} ms | ${total.squawkMs.toFixed(0)} ms | ${(total.migcMs / total.squawkMs).toFixed(1)}x |`,
    ];
    return lines;
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '3' }, dump: { type: 'string' }, squawk: { type: 'string' } } });
  if (positionals.length !== 1) {
    console.error('usage: node bench/real-folders.mjs <folder of project folders> [--runs 3] [--dump findings.json] [--squawk PATH]');
    process.exit(2);
  }
  for (const line of benchRealFolders(positionals[0], { runs: Number(values.runs), dump: values.dump, squawkBin: values.squawk })) console.log(line);
}
