// How migc's time and memory grow with the size of its input: each row doubles the input, and the
// ratio column says how much longer the run took than the row above (target: at most 2.2x, as
// linear work would take 2x). One run each (the inputs are large), in fresh processes, with peak
// resident memory from bench/rss.cjs.
//   - migc build on one plan of 1k..8k steps: a realistic mix, only CREATE TABLE, only ADD COLUMN;
//   - migc build on a plan with one string of 100k..800k characters;
//   - migc lint on one SQL file of 0.5..4 MB, statement by statement and with --file-transaction.
// Inputs are generated deterministically (a fixed-seed generator), so runs compare.
// Usage: node bench/scaling.mjs [--bin path/to/migc.js] [--timeout 300] [--only build|mixed|create-table|add-column|string|lint]
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A small deterministic generator (an LCG), so every run lints and builds the same text. */
function random(seed) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { pick: (xs) => xs[Math.floor(next() * xs.length)], int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}

const types = ['integer', 'bigint', 'text', 'varchar(200)', 'boolean DEFAULT false', 'timestamptz', 'numeric(12,2)', 'jsonb'];
const words = ['orders', 'invoices', 'accounts', 'events', 'sessions', 'payments', 'shipments', 'audit', 'carts', 'profiles'];

/**
 * A migration file of about `bytes` characters, the mix of a long-lived project's history squashed
 * into one file: tables created (multi-line), columns added to them and to tables that already
 * exist (not created in the file), indexes, batched-looking UPDATE ... WHERE over several lines,
 * explicit transactions now and then (unless `transactions` is false: a file its tool runs in one
 * transaction has none), and comments, some of them `-- migc-ignore`.
 */
export function generateSqlFile(bytes, { seed = 1, transactions = true } = {}) {
  const r = random(seed);
  const existing = Array.from({ length: 40 }, (_, i) => `${words[i % words.length]}_${i}`);
  const created = [];
  const parts = [];
  let size = 0;
  let n = 0;
  const push = (s) => {
    parts.push(s);
    size += s.length + 1;
  };
  push("SET lock_timeout = '5s';");
  while (size < bytes) {
    n++;
    const table = created.length && r.chance(0.5) ? r.pick(created) : r.pick(existing);
    const roll = r.int(100);
    if (roll < 12) {
      push(`-- ${r.pick(words)} ${n}: part of the ${r.pick(words)} rework, see ticket DB-${1000 + n}.\n-- Reviewed by the data team; safe to run during business hours.`);
    } else if (roll < 27) {
      const name = `${r.pick(words)}_v${n}`;
      created.push(name);
      const columns = Array.from({ length: 3 + r.int(5) }, (_, i) => `  c${i} ${r.pick(types)}${r.chance(0.2) ? ' NOT NULL' : ''}`);
      push(`CREATE TABLE ${name} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n${columns.join(',\n')},\n  created_at timestamptz NOT NULL DEFAULT now()\n);`);
    } else if (roll < 55) {
      push(`ALTER TABLE ${table} ADD COLUMN col_${n} ${r.pick(types)};`);
    } else if (roll < 68) {
      push(`CREATE INDEX${r.chance(0.3) ? ' IF NOT EXISTS' : ''} ${table}_col_${n}_idx ON ${table} (created_at${r.chance(0.5) ? ', id' : ''});`);
    } else if (roll < 85) {
      if (r.chance(0.3)) push(`-- migc-ignore MG112: backfilled in one go, ${table} is small`);
      push(`UPDATE ${table}\n   SET status = 'archived',\n       updated_at = now()\n WHERE created_at < now() - interval '${1 + r.int(90)} days'\n   AND status <> 'archived';`);
    } else if (roll < 92 && transactions) {
      push(`BEGIN;\nALTER TABLE ${table} ADD COLUMN flag_${n} boolean;\nUPDATE ${table} SET flag_${n} = true WHERE id < ${r.int(10000)};\nCOMMIT;`);
    } else {
      push(`ALTER TABLE ${table}\n  ADD CONSTRAINT ${table}_ck_${n} CHECK (id > 0) NOT VALID;`);
    }
  }
  return `${parts.join('\n')}\n`;
}

const planHeader = (id, title) => `migc: 1
id: ${id}
title: ${title}
type: schema
risk: high
engine: postgresql@15
tables:
  accounts: { rows: 2000000 }
baseline:
  sql: CREATE TABLE accounts (id bigint PRIMARY KEY, created_at timestamptz);
pre_migration:
  backup:
    command: pg_dump -Fc -f before.dump
`;

/**
 * One plan of `count` steps in an expand and a contract phase. kind 'mixed': CREATE TABLE, ADD
 * COLUMN (to new and existing tables), CREATE INDEX CONCURRENTLY and batched UPDATE, each with its
 * rollback and verification; 'create-table' or 'add-column': only that, as issue 14 measured.
 */
export function generateStepPlan(count, kind = 'mixed', seed = 2) {
  const r = random(seed);
  const steps = [];
  const tables = ['accounts'];
  for (let i = 0; i < count; i++) {
    const roll = kind === 'create-table' ? 0 : kind === 'add-column' ? 1 : r.int(4);
    const table = kind === 'add-column' ? 'accounts' : r.pick(tables);
    if (roll === 0) {
      const name = `t${i}`;
      tables.push(name);
      steps.push(`      - id: create-${name}
        description: A table for ${r.pick(words)}.
        sql: |
          CREATE TABLE ${name} (
            id bigint PRIMARY KEY,
            c0 ${r.pick(types)},
            c1 ${r.pick(types)},
            created_at timestamptz NOT NULL DEFAULT now()
          );
        rollback:
          sql: DROP TABLE ${name};
`);
    } else if (roll === 1) {
      steps.push(`      - id: add-c${i}
        sql: ALTER TABLE ${table} ADD COLUMN c${i} ${r.pick(types)};
        rollback:
          sql: ALTER TABLE ${table} DROP COLUMN c${i};
        verify:
          - sql: SELECT count(*) FROM information_schema.columns WHERE table_name = '${table}' AND column_name = 'c${i}'
            expect: 1
`);
    } else if (roll === 2) {
      steps.push(`      - id: index-${i}
        sql: CREATE INDEX CONCURRENTLY ${table}_${i}_idx ON ${table} (created_at);
        rollback:
          sql: DROP INDEX CONCURRENTLY ${table}_${i}_idx;
`);
    } else {
      steps.push(`      - id: fill-${i}
        sql: |
          UPDATE ${table}
          SET created_at = now()
          WHERE created_at IS NULL
        batch: { size: 5000 }
        rollback:
          manual: Nothing to undo; the old values were NULL.
        verify:
          - sql: SELECT count(*) FROM ${table} WHERE created_at IS NULL
            expect: 0
`);
    }
  }
  const half = Math.ceil(steps.length / 2);
  return `${planHeader(`scale-${kind}-${count}`, `${count} ${kind} steps`)}phases:
  - name: expand
    kind: expand
    steps:
${steps.slice(0, half).join('')}  - name: more
    kind: expand
    steps:
${steps.slice(half).join('') || `      - id: noop
        sql: SELECT 1;
`}`;
}

/**
 * A small plan whose overview summary is one string of `chars` characters: words, and in the middle
 * a run of blanks half as long (what made the issue's 100,000-character string take 34 s).
 */
export function generateLongStringPlan(chars, seed = 3) {
  const r = random(seed);
  let text = '';
  while (text.length < chars / 4) text += `${r.pick(words)} `;
  const blanks = ' \\t'.repeat(Math.floor(chars / 4)); // " \t" in a double-quoted YAML string
  return `${planHeader(`long-string-${chars}`, 'One long string')}overview:
  summary: "${text}${blanks}${text}"
phases:
  - name: expand
    kind: expand
    steps:
      - id: add-note
        sql: ALTER TABLE accounts ADD COLUMN note text;
        rollback:
          sql: ALTER TABLE accounts DROP COLUMN note;
`;
}

/** One run of migc in a fresh process: wall time, peak memory, output size. Stops it after timeoutMs. */
function run(bin, args, cwd, timeoutMs) {
  const outFile = join(cwd, 'stdout.txt');
  const fd = openSync(outFile, 'w');
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', join(root, 'bench/rss.cjs'), bin, ...args], { cwd, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  closeSync(fd);
  const outMb = statSync(outFile).size / 1024 / 1024;
  if (r.error?.code === 'ETIMEDOUT' || r.signal) return { ms, timedOut: true, outMb };
  if (r.status !== 0 && r.status !== 1) throw new Error(`migc ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const rss = /migc-bench-maxrss-kb (\d+)/.exec(r.stderr)?.[1];
  const summary = /migc: [^\n]*/.exec(r.stderr)?.[0] ?? '';
  return { ms, rssMb: rss ? Number(rss) / 1024 : NaN, outMb, summary };
}

/** Rows of a markdown table, one per size, with the time ratio to the row before. */
function series(label, sizes, unit, make, args, { bin, work, timeoutMs }) {
  const rows = [];
  let previous;
  for (const size of sizes) {
    const dir = mkdtempSync(join(work, 'case-'));
    const input = make(size, dir);
    const m = run(bin, args(input), dir, timeoutMs);
    rmSync(dir, { recursive: true, force: true });
    if (m.timedOut) {
      rows.push(`| ${label} | ${size}${unit} | > ${(timeoutMs / 1000).toFixed(0)} s (stopped) | | | |`);
      break; // larger inputs would only take longer
    }
    const ratio = previous ? `${(m.ms / previous).toFixed(2)}x` : '';
    rows.push(`| ${label} | ${size}${unit} | ${(m.ms / 1000).toFixed(2)} s | ${ratio} | ${m.rssMb.toFixed(0)} MB | ${m.outMb.toFixed(1)} MB |`);
    previous = m.ms;
  }
  return rows;
}

/** The whole scaling table as markdown lines. */
export function benchScaling({ bin = join(root, 'bin/migc.js'), timeoutMs = 300_000, only } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'migc-scaling-'));
  const o = { bin: resolve(bin), work, timeoutMs };
  const rows = ['| input | size | time | vs. half the size | peak memory | stdout |', '|---|---|---|---|---|---|'];
  try {
    const stepsSizes = [1000, 2000, 4000, 8000];
    const buildPlan = (kind) => (n, dir) => {
      writeFileSync(join(dir, 'plan.yaml'), generateStepPlan(n, kind));
      return 'plan.yaml';
    };
    const build = (file) => ['build', file, '--out', 'out'];
    for (const kind of ['mixed', 'create-table', 'add-column']) {
      if (!only || only === 'build' || only === kind) rows.push(...series(`migc build, ${kind} steps`, stepsSizes, ' steps', buildPlan(kind), build, o));
    }
    if (!only || only === 'string') {
      rows.push(...series('migc build, one long string', [100_000, 200_000, 400_000, 800_000], ' chars', (n, dir) => {
        writeFileSync(join(dir, 'plan.yaml'), generateLongStringPlan(n));
        return 'plan.yaml';
      }, build, o));
    }
    if (!only || only === 'lint') {
      const sqlFile = (transactions) => (mb, dir) => {
        writeFileSync(join(dir, 'big.sql'), generateSqlFile(mb * 1024 * 1024, { transactions }));
        return 'big.sql';
      };
      const mbSizes = [0.5, 1, 2, 4];
      rows.push(...series('migc lint', mbSizes, ' MB', sqlFile(true), (f) => ['lint', f], o));
      // Flyway and dbmate run each file in one transaction: such files hold no BEGIN or COMMIT.
      rows.push(...series('migc lint --file-transaction', mbSizes, ' MB', sqlFile(false), (f) => ['lint', '--file-transaction', f], o));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { bin: { type: 'string' }, timeout: { type: 'string', default: '300' }, only: { type: 'string' } } });
  console.log(`node ${process.version}; one run per row; peak memory is the process's maximum RSS.\n`);
  for (const row of benchScaling({ ...(values.bin ? { bin: values.bin } : {}), timeoutMs: Number(values.timeout) * 1000, ...(values.only ? { only: values.only } : {}) })) console.log(row);
}
