import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { brief, builtinTemplates, compileFiles, minimalPlan, root, updateGolden } from './helpers.js';

/**
 * Golden files: every artefact of every example plan, byte for byte, in test/golden/<plan id>/.
 * After an intended change to an emitter or template: UPDATE_GOLDEN=1 npx vitest run, then
 * review the diff of test/golden like any other code.
 */
const planFiles = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);

describe('emitted files match the golden files', async () => {
  const result = await compile({ files: planFiles, templates: builtinTemplates() }, nodeHost(root));
  const outputs = result.plans.flatMap((p) => p.outputs);

  it('every example plan builds without errors or warnings (notes are expected)', () => {
    expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(result.plans.map((p) => p.ok)).toEqual(planFiles.map(() => true));
  });

  it.each(outputs.map((o) => o.path))('%s', (path) => {
    const golden = `${root}test/golden/${path}`;
    const contents = outputs.find((o) => o.path === path)!.contents;
    if (updateGolden) {
      mkdirSync(golden.slice(0, golden.lastIndexOf('/')), { recursive: true });
      writeFileSync(golden, contents);
    }
    expect(existsSync(golden), `${path} has no golden file: run UPDATE_GOLDEN=1 npx vitest run and review it`).toBe(true);
    expect(contents).toBe(readFileSync(golden, 'utf8'));
  });

  it('has no golden file that the plans no longer produce', () => {
    const goldens = readdirSync(`${root}test/golden`, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `${e.parentPath.slice(`${root}test/golden/`.length)}/${e.name}`)
      .sort();
    expect(goldens).toEqual(outputs.map((o) => o.path).sort());
  });
});

describe('determinism', () => {
  it('gives byte-identical outputs on a second run and with the plans listed in another order', async () => {
    const first = await compile({ files: planFiles, templates: builtinTemplates() }, nodeHost(root));
    const second = await compile({ files: [...planFiles].reverse(), templates: builtinTemplates() }, nodeHost(root));
    const flat = (r: typeof first) => r.plans.flatMap((p) => p.outputs).sort((a, b) => a.path.localeCompare(b.path));
    expect(flat(second)).toEqual(flat(first));
  });

  it('writes no absolute path, timestamp or machine name into any output', async () => {
    const result = await compile({ files: planFiles, templates: builtinTemplates() }, nodeHost(root));
    for (const o of result.plans.flatMap((p) => p.outputs)) {
      expect(o.contents).not.toContain(root);
      expect(o.contents).not.toMatch(/20[2-9]\d-\d\d-\d\dT/);
    }
  });
});

describe('SQL scripts', () => {
  const planWith = (steps: string) => minimalPlan.replace(/    steps:\n[\s\S]*$/, `    steps:\n${steps}`);

  it('runs CREATE INDEX CONCURRENTLY outside any transaction, and the rest of the step inside one', async () => {
    const result = await compileFiles({
      'plans/p.yaml': planWith(`      - id: index-email
        sql: |
          ALTER TABLE users ADD COLUMN email_lower text;
          CREATE INDEX CONCURRENTLY users_email_lower_idx ON users (email_lower);
        rollback:
          sql: |
            DROP INDEX CONCURRENTLY IF EXISTS users_email_lower_idx;
            ALTER TABLE users DROP COLUMN email_lower;
`),
    }, { emit: true });
    const up = result.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    // The transactional part in one recorded transaction; the index build on its own, recorded as
    // started before and done after, an INVALID index of a failed build dropped first, and without
    // statement_timeout (it blocks no reads or writes; the ALTER TABLE keeps it).
    expect(up).toContain("BEGIN;\nCALL public.migc_run('minimal', 'expand', 'index-email', 'up 1', 5, ARRAY[\n$sql$ALTER TABLE users ADD COLUMN email_lower text$sql$\n]);\nCOMMIT;\n"
      + "CALL public.migc_mark('minimal', 'expand', 'index-email', 'up 2', false, 'migc: CREATE INDEX CONCURRENTLY runs outside a transaction: it is not retried on lock_timeout. If it fails, fix the cause and run this script again: what is done is skipped, and this statement runs again.');\n"
      + "CALL public.migc_drop_invalid_index('users_email_lower_idx');\nSET statement_timeout = 0;\nCREATE INDEX CONCURRENTLY users_email_lower_idx ON users (email_lower);\nSET statement_timeout = '15min';\n"
      + "CALL public.migc_mark('minimal', 'expand', 'index-email', 'up 2', true, '');\n");
    expect(up).toContain('-- statement_timeout is lifted for CREATE INDEX CONCURRENTLY only: it holds SHARE UPDATE EXCLUSIVE on users, which blocks neither reads nor writes, so it may run as long as it needs; lock_timeout still bounds its waits for locks.\n');
    const down = result.plans[0]!.outputs.find((o) => o.path.endsWith('.down.sql'))!.contents;
    // Outside a transaction nothing can skip it: the comment says it runs even if the step did not.
    expect(down).toContain('-- Its transactions run only if the step ran (migc_ledger says so); DROP INDEX CONCURRENTLY runs outside a transaction, where nothing can skip it: it runs even if the step did not, so it must be safe then (IF EXISTS).\n');
    expect(down).toMatch(/CALL public\.migc_mark\('minimal', 'expand', 'index-email', 'down 1', false, '[^\n]*'\);\nSET statement_timeout = 0;\nDROP INDEX CONCURRENTLY IF EXISTS users_email_lower_idx;\nSET statement_timeout = '15min';\nCALL public\.migc_mark\('minimal', 'expand', 'index-email', 'down 1', true, ''\);\n/);
    expect(down).toContain("BEGIN;\nCALL public.migc_run('minimal', 'expand', 'index-email', 'down 2', 5, ARRAY[\n$sql$ALTER TABLE users DROP COLUMN email_lower$sql$\n]);\nCOMMIT;\nCALL public.migc_forget('minimal', 'expand', 'index-email');");
  });

  it('a rollback with nothing to undo neither runs nor stops anything: the down script says why and goes on', async () => {
    const result = await compileFiles({
      'plans/p.yaml': planWith(`      - id: add-check
        sql: ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;
        rollback:
          sql: ALTER TABLE users DROP CONSTRAINT users_email_check;
      - id: validate-check
        sql: ALTER TABLE users VALIDATE CONSTRAINT users_email_check;
        rollback:
          nothing_to_undo: Dropping the constraint (the step before) removes the validation.
`),
    }, { emit: true });
    expect(brief(result).filter((d) => d.includes(' error '))).toEqual([]);
    const out = (name: string) => result.plans[0]!.outputs.find((o) => o.path.endsWith(name))!.contents;
    const down = out('.down.sql');
    expect(down).toContain("-- Undo step validate-check\n-- Nothing to undo. Dropping the constraint (the step before) removes the validation.\nCALL public.migc_forget('minimal', 'expand', 'validate-check');\n");
    expect(down).not.toContain('CALL public.migc_stop(');
    expect(out('report.md')).toContain('**Rollback:** nothing to undo. Dropping the constraint (the step before) removes the validation.');
    expect(out('report.md')).not.toContain('by hand');
    expect(out('checklist.md')).not.toContain('stops before undoing');
  });

  it('an irreversible step that loses no data says what to do instead, and nobody is told to restore data that is not lost', async () => {
    const result = await compileFiles({
      'plans/p.yaml': planWith(`      - id: add-value
        sql: ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm'
        rollback:
          irreversible: true
          data_loss: false
          restore: An enum value cannot be dropped; it stays unused, which is harmless
`).replace('phases:', 'baseline:\n  sql: CREATE TYPE mood AS ENUM (\'sad\');\nphases:'),
    }, { emit: true });
    expect(brief(result).filter((d) => d.includes(' error '))).toEqual([]);
    const out = (name: string) => result.plans[0]!.outputs.find((o) => o.path.endsWith(name))!.contents;
    expect(out('report.md')).toContain('**Rollback:** irreversible; it loses no data. What to do: An enum value cannot be dropped; it stays unused, which is harmless.\n');
    expect(out('report.md')).toContain('at the irreversible `add-value` (phase expand) until it is accepted as it stays (it loses no data).');
    expect(out('checklist.md')).toContain('if add-value ran, it cannot be undone; what to do: An enum value cannot be dropped');
    expect(out('checklist.md')).toContain('which cannot be undone, until it is accepted as it stays (it loses no data)');
    expect(out('.down.sql')).toContain('is irreversible; what to do: An enum value cannot be dropped');
    expect(out('.down.sql')).toContain('-- Irreversible: if the step ran, this script stops here, before the steps before it in this phase are undone; once it is accepted as it stays (it loses no data) and recorded');
    // The ledger's procedure serves every plan: its hint says both (restored, or its loss accepted).
    const own = result.plans[0]!.outputs.map((o) => o.contents.replace(/Once its data is restored by hand \(or its loss accepted\)/g, '')).join('\n');
    expect(own).not.toMatch(/data is restored|restore: An enum/);
  });

  it('says which guard makes a rollback\'s statement outside a transaction safe when its step did not run: IF NOT EXISTS for a CREATE INDEX', async () => {
    const result = await compileFiles({
      'plans/p.yaml': planWith(`      - id: drop-index
        sql: DROP INDEX CONCURRENTLY IF EXISTS users_created_at_idx;
        rollback:
          sql: CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);
`),
    }, { emit: true });
    const down = result.plans[0]!.outputs.find((o) => o.path.endsWith('.down.sql'))!.contents;
    expect(down).toContain('CREATE INDEX CONCURRENTLY runs outside a transaction, where nothing can skip it: it runs even if the step did not, so it must be safe then (IF NOT EXISTS).\n');
    expect(down).not.toContain('(IF EXISTS)');
  });

  it('sets lock_timeout and statement_timeout from the plan, with safe defaults', async () => {
    const defaults = await compileFiles({ 'plans/p.yaml': minimalPlan }, { emit: true });
    const up = defaults.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents;
    expect(up).toContain("SET lock_timeout = '5s';\nSET statement_timeout = '15min';");
    const custom = await compileFiles({ 'plans/p.yaml': minimalPlan.replace('phases:', 'settings:\n  lock_timeout: 2s\n  statement_timeout: 1h\nphases:') }, { emit: true });
    expect(custom.plans[0]!.outputs.find((o) => o.path.endsWith('.up.sql'))!.contents).toContain("SET lock_timeout = '2s';\nSET statement_timeout = '1h';");
  });

  it('the Lock budget names the tables foreign keys tie a lock to, and lists the rollbacks\' windows apart', async () => {
    const plan = minimalPlan.replace('phases:', `baseline:
  sql: |
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint CONSTRAINT orders_customer_fk REFERENCES customers);
tables:
  customers: { rows: 1000 }
  orders: { rows: 1000 }
phases:`).replace(/    steps:\n[\s\S]*$/, `    steps:
      - id: add-note
        sql: ALTER TABLE customers ADD COLUMN note text;
        rollback:
          sql: ALTER TABLE customers DROP COLUMN note;
  - name: contract
    kind: contract
    steps:
      - id: drop-fk
        sql: ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;
        rollback:
          sql: ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
`);
    const result = await compileFiles({ 'plans/p.yaml': plan }, { emit: true });
    const report = result.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    const budget = report.slice(report.indexOf('## Lock budget'), report.indexOf('\n## ', report.indexOf('## Lock budget') + 3));
    expect(budget).toContain('| contract | `drop-fk` | orders, customers | 1 | catalog only | milliseconds |');
    // The rollback of drop-fk takes SHARE ROW EXCLUSIVE only: not a window; add-note's DROP COLUMN is.
    expect(budget).toContain('### Rolling back');
    expect(budget).toContain('| expand | `add-note` | `01-expand.down.sql` | customers | 1 | catalog only | milliseconds |');
    expect(budget).not.toContain('`drop-fk` | `02-contract.down.sql`');
  });

  it('writes no SQL files for a plan without SQL', async () => {
    const result = await compileFiles({ 'plans/p.yaml': planWith('      - id: deploy\n        run: ./deploy.sh\n        rollback:\n          run: ./deploy.sh --previous\n') }, { emit: true });
    expect(result.plans[0]!.outputs.map((o) => o.path)).toEqual(['minimal/checklist.md', 'minimal/report.md', 'minimal/timeline.mmd']);
  });
});
