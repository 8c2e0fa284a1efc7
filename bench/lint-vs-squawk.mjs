// migc lint against squawk on the same 2,000 generated migration files, side by side in one run:
// wall time (median of 3 runs of each, interleaved) and, per hazard, how many statements each
// tool flags, from statements whose right verdict is known (the templates below).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The tool compared with: installed by the bench into a temporary folder, not a dependency of migc. */
const squawkVersion = '2.66.0';

function installSquawk(into) {
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', into, `squawk-cli@${squawkVersion}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not install squawk-cli@${squawkVersion}: ${r.stderr}`);
  return join(into, 'node_modules/.bin/squawk');
}

/** Each template: the migc code it should raise (or 'safe'), squawk's rule names for the same hazard, and SQL. */
const templates = [
  ['MG201', ['require-concurrent-index-creation'], (n, t) => `CREATE INDEX ${t}_c${n}_idx ON ${t} (qty);`],
  ['MG202', ['require-concurrent-index-deletion'], (n, t) => `DROP INDEX ${t}_email_idx;`],
  ['MG205', ['adding-field-with-default'], (n, t) => `ALTER TABLE ${t} ADD COLUMN token${n} uuid DEFAULT gen_random_uuid();`],
  ['MG206', ['adding-not-nullable-field', 'adding-required-field'], (n, t) => `ALTER TABLE ${t} ADD COLUMN tier${n} text NOT NULL;`],
  ['MG207', ['adding-not-nullable-field'], (n, t) => `ALTER TABLE ${t} ADD COLUMN nn${n} text;\nALTER TABLE ${t} ALTER COLUMN nn${n} SET NOT NULL;`],
  ['MG208', ['adding-foreign-key-constraint', 'constraint-missing-not-valid'], (n, t) => `ALTER TABLE ${t} ADD CONSTRAINT ${t}_fk${n} FOREIGN KEY (owner_id) REFERENCES owners (id);`],
  ['MG209', ['constraint-missing-not-valid'], (n, t) => `ALTER TABLE ${t} ADD CONSTRAINT ${t}_ck${n} CHECK (qty >= 0);`],
  ['MG210', ['disallowed-unique-constraint'], (n, t) => `ALTER TABLE ${t} ADD CONSTRAINT ${t}_uq${n} UNIQUE (email);`],
  ['MG212', ['changing-column-type'], (n, t) => `ALTER TABLE ${t} ADD COLUMN q${n} integer;\nALTER TABLE ${t} ALTER COLUMN q${n} TYPE bigint;`],
  ['MG213', ['renaming-column'], (n, t) => `ALTER TABLE ${t} RENAME COLUMN name TO name${n};`],
  ['MG214', ['ban-drop-column'], (n, t) => `ALTER TABLE ${t} DROP COLUMN legacy;`],
  ['MG216', [], (n, t) => `VACUUM FULL ${t};`],
  ['MG204', ['ban-concurrent-index-creation-in-transaction'], (n, t) => `BEGIN;\nCREATE INDEX CONCURRENTLY ${t}_q${n}_idx ON ${t} (qty);\nCOMMIT;`],
  ['MG217', [], (n, t) => `BEGIN;\nALTER TABLE ${t} ADD CONSTRAINT ${t}_nn${n} CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE ${t} VALIDATE CONSTRAINT ${t}_nn${n};\nCOMMIT;`],
  ['MG218', [], (n, t) => `BEGIN;\nALTER TABLE ${t} ADD COLUMN src${n} text;\nUPDATE ${t} SET src${n} = 'x' WHERE src${n} IS NULL;\nCOMMIT;`],
  ['safe', [], (n, t) => `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${t}_s${n}_idx ON ${t} (qty);`],
  ['safe', [], (n, t) => `ALTER TABLE ${t} ADD COLUMN note${n} text;`],
  ['safe', [], (n, t) => `ALTER TABLE ${t} ADD COLUMN flag${n} boolean DEFAULT false;`],
  ['safe', [], (n, t) => `ALTER TABLE ${t} ALTER COLUMN email TYPE varchar(400);`],
  // Safe: the referencing column is indexed first (else MG230), and the key is validated later.
  ['safe', [], (n, t) => `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${t}_owner_idx ON ${t} (owner_id);\nALTER TABLE ${t} ADD CONSTRAINT ${t}_fkv${n} FOREIGN KEY (owner_id) REFERENCES owners (id) NOT VALID;`],
  ['safe', [], (n, t) => `UPDATE ${t} SET qty = 0 WHERE id = ${n};`],
];

export function generate(dir, count) {
  mkdirSync(dir, { recursive: true });
  const tables = Array.from({ length: 20 }, (_, i) => `t${i}`);
  writeFileSync(join(dir, '0000_schema.sql'), [
    'CREATE TABLE owners (id bigint PRIMARY KEY);',
    ...tables.map((t) => `CREATE TABLE ${t} (id bigint PRIMARY KEY, owner_id bigint, name text, email varchar(255), qty integer, legacy text);\nCREATE INDEX ${t}_email_idx ON ${t} (email);`),
  ].join('\n') + '\n');
  const truth = [];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let f = 1; f <= count; f++) {
    const name = `${String(f).padStart(4, '0')}_change.sql`;
    const lines = ["SET lock_timeout = '5s';", "SET statement_timeout = '5s';"];
    for (let s = 0; s < 8; s++) {
      const [code, squawkRules, sql] = templates[next() % templates.length];
      const text = sql(f * 10 + s, tables[next() % tables.length]);
      // The statement that carries the hazard is the last one, before COMMIT in a transaction block.
      const body = text.split('\n');
      const offset = body.length - (body[body.length - 1] === 'COMMIT;' ? 2 : 1);
      truth.push({ file: name, line: lines.length + offset + 1, code, squawkRules });
      lines.push(...body);
    }
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  return truth;
}

function run(cmd, args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout: r.stdout, status: r.status, stderr: r.stderr };
}

export async function benchLint(count = 2000) {
  const work = mkdtempSync(join(tmpdir(), 'migc-lint-bench-'));
  try {
    const dir = join(work, 'migrations');
    const truth = generate(dir, count);
    const squawkBin = installSquawk(join(work, 'squawk'));
    const migcRuns = [];
    const squawkRuns = [];
    let migcOut;
    let squawkOut;
    for (let i = 0; i < 3; i++) {
      const m = run(process.execPath, [join(root, 'bin/migc.js'), 'lint', 'migrations', '--format', 'json'], work);
      migcRuns.push(m.ms);
      migcOut = m.stdout;
      const s = run(squawkBin, ['--reporter', 'json', '--pg-version', '14', 'migrations/*.sql'], work);
      squawkRuns.push(s.ms);
      squawkOut = s.stdout;
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[1];
    const migc = JSON.parse(migcOut).diagnostics.filter((d) => d.severity !== 'info');
    const squawk = JSON.parse(squawkOut);
    const at = (list, file, line, lineOf) => list.filter((d) => d.file.endsWith(file) && lineOf(d) === line);
    const rows = new Map();
    for (const t of truth) {
      const row = rows.get(t.code) ?? { statements: 0, migc: 0, squawk: 0, squawkOther: new Map(), migcOther: new Map() };
      row.statements++;
      const m = at(migc, t.file, t.line, (d) => d.line);
      const s = at(squawk, t.file, t.line, (d) => d.line + 1).filter((d) => !['require-lock-timeout', 'require-statement-timeout', 'prefer-robust-stmts'].includes(d.rule_name));
      if (t.code === 'safe') {
        if (m.length) row.migc++;
        if (s.length) row.squawk++;
      } else {
        if (m.some((d) => d.code === t.code)) row.migc++;
        if (s.some((d) => t.squawkRules.includes(d.rule_name))) row.squawk++;
      }
      for (const d of s) if (!t.squawkRules.includes(d.rule_name)) row.squawkOther.set(d.rule_name, (row.squawkOther.get(d.rule_name) ?? 0) + 1);
      for (const d of m) if (d.code !== t.code) row.migcOther.set(d.code, (row.migcOther.get(d.code) ?? 0) + 1);
      rows.set(t.code, row);
    }
    const lines = [
      `| migc lint, ${count} files | ${median(migcRuns).toFixed(0)} ms |`,
      `| squawk ${spawnSync(squawkBin, ['--version'], { encoding: 'utf8' }).stdout.trim().replace('squawk ', '')}, same files | ${median(squawkRuns).toFixed(0)} ms |`,
      `| ratio migc / squawk | ${(median(migcRuns) / median(squawkRuns)).toFixed(2)}x (target: within 2x) |`,
      '',
      '| hazard | statements | flagged by migc | flagged by squawk | other migc rules on them | other squawk rules on them |',
      '|---|---|---|---|---|---|',
    ];
    for (const [code, r] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
      const list = (m) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`| ${code === 'safe' ? 'safe (any finding is a false positive)' : code} | ${r.statements} | ${r.migc} | ${r.squawk} | ${list(r.migcOther)} | ${list(r.squawkOther)} |`);
    }
    return lines;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await benchLint(Number(process.argv[2] ?? 2000))) console.log(line);
}
