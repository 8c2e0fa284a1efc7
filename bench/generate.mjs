// Writes N synthetic plans of about ten steps each (expand, batched migrate, gated contract),
// all valid, so `migc build` does the full pipeline on every one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generatePlans(dir, count) {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const t = `t${i}`;
    const expand = [0, 1, 2].map((c) => `      - id: add-c${c}
        sql: ALTER TABLE ${t} ADD COLUMN c${c} integer;
        rollback:
          sql: ALTER TABLE ${t} DROP COLUMN c${c};
        verify:
          - sql: SELECT count(*) FROM information_schema.columns WHERE table_name = '${t}' AND column_name = 'c${c}'
            expect: 1
        estimated_time: 1s
`).join('');
    const migrate = [0, 1, 2].map((c) => `      - id: fill-c${c}
        sql: UPDATE ${t} SET c${c} = old_value + ${c} WHERE c${c} IS DISTINCT FROM old_value + ${c}
        batch: { size: 5000 }
        rollback:
          sql: UPDATE ${t} SET c${c} = NULL WHERE c${c} IS NOT NULL
        verify:
          - sql: SELECT count(*) FROM ${t} WHERE c${c} IS DISTINCT FROM old_value + ${c}
            expect: 0
        estimated_time: 5min
`).join('');
    const plan = `migc: 1
id: bench-${i}
title: Benchmark plan ${i}
type: schema
risk: high
engine: postgresql@15
tables:
  ${t}: { rows: 2000000 }
pre_migration:
  backup:
    command: pg_dump -Fc -t ${t} -f ${t}.dump
phases:
  - name: expand
    kind: expand
    steps:
${expand}      - id: index-c0
        sql: CREATE INDEX CONCURRENTLY ${t}_c0_idx ON ${t} (c0);
        rollback:
          sql: DROP INDEX CONCURRENTLY ${t}_c0_idx;
  - name: migrate
    kind: migrate
    gate:
      verified: [add-c0, add-c1, add-c2]
    steps:
${migrate}  - name: contract
    kind: contract
    gate:
      verified: [fill-c0, fill-c1, fill-c2]
      wait: 1d
    steps:
      - id: drop-old
        sql: ALTER TABLE ${t} DROP COLUMN old_value;
        rollback:
          sql: ALTER TABLE ${t} ADD COLUMN old_value integer;
          data_loss: true
          restore: from ${t}.dump
        verify:
          - sql: SELECT count(*) FROM information_schema.columns WHERE table_name = '${t}' AND column_name = 'old_value'
            expect: 0
timeline:
  - at: T-0
    milestone: expand
    phase: expand
  - at: T+1h
    milestone: migrate
    phase: migrate
  - at: T+2d
    milestone: contract
    phase: contract
`;
    writeFileSync(join(dir, `plan-${String(i).padStart(4, '0')}.yaml`), plan);
  }
}
