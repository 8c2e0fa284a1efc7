import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { compileFiles } from './helpers.js';

/** Help texts say what is true where the finding is, and read as English. */
const plan = (phases: string) => `migc: 1
id: p
title: P
type: schema
risk: high
engine: postgresql@15
tables:
  t: { rows: 500 }
baseline:
  sql: CREATE TABLE t (id bigint PRIMARY KEY, name text, old text, region text);
pre_migration:
  backup:
    command: pg_dump -t t
phases:
${phases}`;

const expandStep = `  - name: expand
    kind: expand
    steps:
      - id: add-region
        sql: ALTER TABLE t ADD COLUMN region2 text;
        rollback:
          sql: ALTER TABLE t DROP COLUMN region2;
        verify:
          - sql: SELECT count(*) FROM information_schema.columns WHERE column_name = 'region2'
            expect: 1
`;
const contract = (gate: string) => `  - name: contract
    kind: contract
${gate}    steps:
      - id: drop-old
        sql: ALTER TABLE t DROP COLUMN old;
        rollback:
          sql: ALTER TABLE t ADD COLUMN old text;
          data_loss: true
          restore: from the dump
`;

describe('help texts', () => {
  it('MG214 on an UPDATE without WHERE in a migrate phase does not call it expected in a contract phase', async () => {
    const r = await compileFiles({ 'plans/p.yaml': plan(`  - name: upper
    kind: migrate
    steps:
      - id: upper-names
        sql: UPDATE t SET name = upper(name)
        rollback:
          manual: restore names from the dump
        verify:
          - sql: SELECT count(*) FROM t WHERE name <> upper(name)
            expect: 0
`) });
    const d = r.diagnostics.find((x) => x.code === 'MG214')!;
    expect(d.message).toBe('this statement updates every row of t, rewriting name from its own value');
    expect(d.help).not.toMatch(/contract phase/);
    expect(d.help).toMatch(/rollback can restore it/);
  });

  it('MG103 never offers an expand step as proof of migrated data; it offers the step that moved the data', async () => {
    const noMigrate = await compileFiles({ 'plans/p.yaml': plan(expandStep + contract('')) });
    const d = noMigrate.diagnostics.find((x) => x.code === 'MG103')!;
    expect(d.help).not.toContain('add-region');
    expect(d.help).toContain('t.old');
    expect(d.help).toContain('counts what is left to move (expect: 0)');

    const migrate = `  - name: backfill
    kind: migrate
    gate:
      verified: [add-region]
    steps:
      - id: copy-old
        sql: UPDATE t SET region2 = old WHERE region2 IS DISTINCT FROM old
        rollback:
          sql: UPDATE t SET region2 = NULL
        verify:
          - sql: SELECT count(*) FROM t WHERE region2 IS DISTINCT FROM old
            expect: 0
      - id: region-check
        sql: ALTER TABLE t ADD CONSTRAINT t_region2_nn CHECK (region2 IS NOT NULL) NOT VALID;
        rollback:
          sql: ALTER TABLE t DROP CONSTRAINT t_region2_nn;
        verify:
          - sql: SELECT count(*) FROM pg_constraint WHERE conname = 't_region2_nn'
            expect: 1
`;
    const withMigrate = await compileFiles({ 'plans/p.yaml': plan(expandStep + migrate + contract('')) });
    expect(withMigrate.diagnostics.find((x) => x.code === 'MG103')!.help).toBe('Add gate: { verified: [copy-old] } so the contract runs only after the data has been proven migrated.');
  });

  it('MG217 says "an index build"', async () => {
    const files = {
      'db/V1__t.sql': 'CREATE TABLE t (id bigint PRIMARY KEY, c int);\n',
      'db/V2__idx.sql': "SET lock_timeout = '5s';\nBEGIN;\nALTER TABLE t ADD COLUMN d int;\nCREATE INDEX t_c_idx ON t (c);\nCOMMIT;\n",
    };
    const r = await lint({ files: Object.keys(files) }, memoryHost(files));
    const d = r.diagnostics.find((x) => x.code === 'MG217')!;
    expect(d.message).toMatch(/^CREATE INDEX does an index build of t /);
  });
});
