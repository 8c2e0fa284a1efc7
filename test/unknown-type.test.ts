import { describe, expect, it } from 'vitest';
import { nearMissOf } from '../src/analyze/sql-rules/unknown-type.js';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { brief, compileFiles } from './helpers.js';

/** MG234 findings of linting files in order, as `file:line:column severity message`. */
async function lintTypes(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG234').map((d) => {
    const at = result.sources.get(d.file)!.position(d.span?.start ?? 0);
    return `${d.file}:${at.line}:${at.column} ${d.severity} ${d.message}`;
  });
}

/** A plan with this baseline and one step of this SQL; its MG234 findings. */
async function planTypes(baseline: string | undefined, sql: string): Promise<string[]> {
  const indent = (text: string, by: string) => text.split('\n').join(`\n${by}`);
  const plan = `migc: 1
id: types
title: Types
type: schema
risk: low
engine: postgresql@15
tables:
  users: { rows: 10 }
${baseline === undefined ? '' : `baseline:\n  sql: |\n    ${indent(baseline, '    ')}\n`}phases:
  - name: expand
    kind: expand
    steps:
      - id: change
        sql: |
          ${indent(sql, '          ')}
        rollback:
          irreversible: true
          data_loss: false
          restore: nothing to restore
        verify:
          - sql: SELECT 1
            expect: 1
`;
  return brief(await compileFiles({ 'plans/types.yaml': plan })).filter((l) => l.includes('MG234'));
}

describe('MG234 unknown-type: near-misses of built-in names', () => {
  it.each([
    ['timestampz', 'timestamptz'], ['timestmp', 'timestamp'], ['tiemstamptz', 'timestamptz'], ['timestamtpz', 'timestamptz'],
    ['intger', 'integer'], ['integr', 'integer'], ['bigitn', 'bigint'], ['varhcar', 'varchar'], ['texxt', 'text'],
    ['jsonbb', 'jsonb'], ['uiud', 'uuid'], ['boolen', 'boolean'], ['numerc', 'numeric'], ['Timestamp', 'timestamp'],
    ['bigserail', 'bigserial'], ['tstzrnage', 'tstzrange'],
  ])('%s is taken for %s', (typo, meant) => {
    expect(nearMissOf(typo)).toBe(meant);
  });

  it.each([
    // Types of one's own a letter from a short built-in name, plurals, extensions' types, sized types.
    'guid', 'data', 'test', 'chat', 'tag', 'uid', 'dates', 'texts', 'citext', 'hstore', 'ltree', 'int1', 'uint4', 'float2',
    'geometry', 'vector', 'halfvec', 'money2', 'mood', 'status', 'email',
  ])('%s is not', (name) => {
    expect(nearMissOf(name)).toBeUndefined();
  });
});

describe('MG234 unknown-type in migc lint', () => {
  it('points at the name, in every statement that uses it, once a statement', async () => {
    expect(await lintTypes({
      '1.sql': 'CREATE TABLE t (a timestampz, b timestampz);\nSELECT now()::timestampz;\nCREATE FUNCTION f(x texxt) RETURNS SETOF intger LANGUAGE sql AS $$ SELECT 1 $$;\n',
    })).toEqual([
      '1.sql:1:19 error type timestampz does not exist; did you mean timestamptz?',
      '1.sql:2:15 error type timestampz does not exist; did you mean timestamptz?',
      '1.sql:3:21 error type texxt does not exist; did you mean text?',
      '1.sql:3:42 error type intger does not exist; did you mean integer?',
    ]);
  });

  it('places a name after multi-byte text right (string offsets, not bytes)', async () => {
    expect(await lintTypes({ '1.sql': "COMMENT ON TABLE users IS 'élan ✓';\nCREATE TABLE t (note text DEFAULT 'ünïcode ✓', at timestampz);\n" })).toEqual([
      '1.sql:2:51 error type timestampz does not exist; did you mean timestamptz?',
    ]);
  });

  it('knows the types earlier files create, whatever their name, and forgets dropped ones only where the schema is known', async () => {
    expect(await lintTypes({
      '1.sql': 'CREATE DOMAIN timestampz AS timestamptz;\nCREATE TYPE app.intger AS ENUM (\'a\');\nCREATE TABLE texxt (id int);\n',
      '2.sql': 'CREATE TABLE t (a timestampz, b intger, c texxt, d app.intger[]);\n',
      // Dropped: lint does not know the whole schema, but a near-miss is reported again.
      '3.sql': 'DROP DOMAIN timestampz;\nCREATE TABLE u (a timestampz, z unknown_to_lint);\n',
    })).toEqual([
      '3.sql:2:19 error type timestampz does not exist; did you mean timestamptz?',
    ]);
  });

  it('says nothing of a qualified name outside pg_catalog, nor of an unknown name that is no near-miss', async () => {
    expect(await lintTypes({ '1.sql': 'CREATE TABLE t (a app.timestampz, b my_type, c pg_catalog.timestampz);\n' })).toEqual([
      '1.sql:1:48 error type pg_catalog.timestampz does not exist; did you mean timestamptz?',
    ]);
  });
});

describe('MG234 unknown-type in plans', () => {
  it('reports a near-miss without a baseline too, at its line and column in a block scalar', async () => {
    expect(await planTypes(undefined, 'ALTER TABLE users\n  ADD COLUMN a text,\n  ADD COLUMN verified_at timestampz,\n  ADD COLUMN b my_own_type;')).toEqual([
      '17:36 error MG234 type timestampz does not exist; did you mean timestamptz?',
    ]);
  });

  it('warns of any unknown type where the baseline is the whole schema, and of a type dropped by an earlier statement', async () => {
    const found = await planTypes(
      "CREATE TYPE state AS ENUM ('a');\nCREATE TABLE users (id bigint PRIMARY KEY, s state);",
      'ALTER TABLE users ADD COLUMN t tier;\nALTER TABLE users ADD COLUMN s2 state;\nDROP TYPE state CASCADE;\nALTER TABLE users ADD COLUMN s3 state;',
    );
    expect(found).toEqual([
      expect.stringMatching(/^\d+:\d+ warning MG234 type tier does not exist: it is not built in, and neither the baseline nor an earlier step creates it$/),
      expect.stringMatching(/^\d+:\d+ warning MG234 type state does not exist: it is not built in/),
    ]);
  });

  it.each([
    ['a baseline that creates an extension', 'CREATE EXTENSION IF NOT EXISTS citext;\nCREATE TABLE users (id bigint, e citext);', 'ALTER TABLE users ADD COLUMN g geometry;'],
    ['a baseline that uses a type it does not create', 'CREATE TABLE users (id bigint, e citext);', 'ALTER TABLE users ADD COLUMN t tier;'],
    ['a baseline with a DO block', "DO $$ BEGIN EXECUTE 'CREATE TYPE tier AS ENUM (''a'')'; END $$;\nCREATE TABLE users (id bigint);", 'ALTER TABLE users ADD COLUMN t tier;'],
    ['a step that creates an extension first', 'CREATE TABLE users (id bigint);', 'CREATE EXTENSION IF NOT EXISTS postgis;\nALTER TABLE users ADD COLUMN g geometry;'],
  ])('accepts unknown names after %s', async (_, baseline, sql) => {
    expect(await planTypes(baseline, sql)).toEqual([]);
  });

  it('names the extension a known extension type needs', async () => {
    expect(await planTypes('CREATE TABLE users (id bigint);', 'ALTER TABLE users ADD COLUMN e citext;')).toEqual([
      expect.stringMatching(/warning MG234 type citext is the citext extension's, and the baseline does not create it$/),
    ]);
  });
});
