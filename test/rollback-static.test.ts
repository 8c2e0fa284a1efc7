import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../src/compile.js';
import { nodeHost } from '../src/host.js';
import { pgliteEngine, type Engine } from '../src/verify/engine.js';
import { rehearsePlan } from '../src/verify/rehearse.js';
import { builtinTemplates, compileFiles, root } from './helpers.js';

/**
 * MG129 (a rollback that leaves its step's change, found from the plan) against migc verify's
 * MG061 (found by rolling back on PostgreSQL): where the plan shows it, the rule finds what verify
 * finds, and nothing where verify finds nothing.
 */
const examples = readdirSync(`${root}plans`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `plans/${f}`);
const verifyFixtures = readdirSync(`${root}test/fixtures/verify`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `test/fixtures/verify/${f}`);
const ruleDir = 'test/fixtures/rules/MG129';
/** The rule's fixtures that PostgreSQL can run (the others name tables no baseline creates). */
const rehearsable = [`${ruleDir}/fail-changes-not-reversed.yaml`, `${ruleDir}/fail-rollback-forgets.yaml`, `${ruleDir}/fail-validate-in-later-phase.yaml`, `${ruleDir}/pass-rollbacks-undo.yaml`];

let compiled: CompileResult;
let engine: Engine | undefined;
beforeAll(async () => {
  compiled = await compile({ files: [...examples, ...verifyFixtures], templates: builtinTemplates() }, nodeHost(root));
});
afterAll(async () => engine?.dispose());

/** The phases MG129 reports a step of, by the step's id in its message. */
function flaggedPhases(file: string, from = compiled): string[] {
  const p = from.plans.find((x) => x.file === file)!;
  const steps = from.diagnostics.filter((d) => d.file === file && d.code === 'MG129').map((d) => /step "([^"]+)"/.exec(d.message)![1]!);
  return [...new Set(p.plan!.phases.filter((ph) => ph.steps.some((s) => steps.includes(s.id))).map((ph) => ph.name))].sort();
}

describe('MG129 and what verify finds (MG061)', () => {
  it('gives no finding on the example plans (which verify rehearses green)', () => {
    for (const file of examples) expect(flaggedPhases(file), file).toEqual([]);
  });

  it('flags the verify fixtures whose MG061 the plan shows, at the phase verify blames', () => {
    const flagged = Object.fromEntries(verifyFixtures.map((f) => [f.replace(/^.*\//, ''), flaggedPhases(f)]));
    expect(flagged).toEqual({
      'contract-rollback-leftovers.yaml': ['contract'],
      'not-null-with-nulls.yaml': [],
      'plan-verification-fails.yaml': [],
      'rollback-forgets-index.yaml': ['expand'],
      // Its rollback is manual ("Nothing to undo."): what an operator does is not in the plan.
      'rollback-leaves-validated.yaml': [],
      'rollback-loses-data.yaml': [],
      'verification-fails.yaml': [],
    });
  });

  it.each(rehearsable)('%s: verify on PGlite fails the phases MG129 flags with MG061, and no other', async (file) => {
    // One at a time: the rule's fixtures share their plan id.
    const own = await compile({ files: [file], templates: builtinTemplates() }, nodeHost(root));
    const p = own.plans[0]!;
    const scripts = new Map(p.outputs.map((o) => [o.path.slice(p.plan!.id.length + 1), o.contents]));
    engine ??= await pgliteEngine();
    const result = await rehearsePlan(p.plan!, scripts, engine, { crashPoints: false, analysis: p.analysis! });
    const failed = result.diagnostics.filter((d) => d.code === 'MG061').map((d) => /phase "([^"]+)"/.exec(d.message)![1]!).sort();
    expect(failed).toEqual(flaggedPhases(file, own));
    expect(failed.length > 0).toBe(file.includes('/fail-'));
    if (file.includes('/pass-')) expect(result.ok).toBe(true);
  }, 120_000);
});

/**
 * Cases beyond the fixtures, each a plan of one or two phases on a baseline: what MG129 says, or
 * null where it must say nothing (the plan does not show it for certain, or the rollback undoes it).
 */
const baseline = `CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text, status varchar(20) NOT NULL DEFAULT 'active');
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users, qty int NOT NULL CHECK (qty > 0));
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE s (id serial PRIMARY KEY);`;

type Phase = readonly (readonly [sql: string, rollback: string | null])[];
const cases: readonly [name: string, phases: readonly Phase[], expected: RegExp | null][] = [
  ['an index dropped by dropping its column', [[['ALTER TABLE users ADD COLUMN nick text;\nCREATE INDEX users_nick_idx ON users (nick);', 'ALTER TABLE users DROP COLUMN nick;']]], null],
  ['a constraint on a column dropped with it', [[['ALTER TABLE orders ADD COLUMN code text CONSTRAINT orders_code_key UNIQUE;', 'ALTER TABLE orders DROP COLUMN code;']]], null],
  ['an unnamed CHECK dropped by the name PostgreSQL gives it', [[["ALTER TABLE users ADD CHECK (status <> '');", 'ALTER TABLE users DROP CONSTRAINT users_status_check;']]], null],
  ['an unnamed CHECK left', [[["ALTER TABLE users ADD CHECK (status <> '');", null]]], /constraint users_status_check on users is left behind/],
  ['a default put back written another way', [[["ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new';", "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active'::character varying;"]]], null],
  ['a default left where there was none', [[["ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';", 'SELECT 1;']]], /users\.name has a default after the rollback and had none/],
  ['a serial made bigint and back', [[['ALTER TABLE s ALTER COLUMN id TYPE bigint;', 'ALTER TABLE s ALTER COLUMN id TYPE integer;']]], null],
  ['a rename not renamed back', [[['ALTER TABLE users RENAME COLUMN name TO full_name;', null]]], /column users\.name is renamed to full_name and not renamed back/],
  ['a table renamed through another name', [[['ALTER TABLE orders RENAME TO orders_old;\nALTER TABLE orders_old RENAME TO purchases;', 'SELECT 1;']]], /table orders is renamed to purchases/],
  ['CREATE TABLE IF NOT EXISTS of a table the baseline has', [[['CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);', null]]], null],
  ['an index IF NOT EXISTS that the baseline has', [[['CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);', null]]], null],
  ['a table the baseline does not show, ADD COLUMN IF NOT EXISTS', [[['ALTER TABLE invoices ADD COLUMN IF NOT EXISTS note text;', null]]], null],
  ['a table the baseline does not show, ADD COLUMN', [[['ALTER TABLE invoices ADD COLUMN note text;', null]]], /column invoices\.note is left behind/],
  ['a table copied with LIKE', [[['CREATE TABLE users2 (LIKE users INCLUDING ALL);', 'DROP TABLE users2;'], ['ALTER TABLE users2 ADD COLUMN IF NOT EXISTS email text;', null]]], null],
  ['a rollback in a DO block', [[['CREATE INDEX users_name_idx ON users (name);', "DO $$ BEGIN EXECUTE 'DROP INDEX users_name_idx'; END $$;"]]], null],
  ['a rollback calling a function of its own', [[['CREATE INDEX users_name_idx ON users (name);', 'SELECT drop_users_name_idx();']]], null],
  // A manual rollback is taken to undo its own step, and nothing else.
  ['an index forgotten before a step with a manual rollback', [[['CREATE INDEX users_name_idx ON users (name);', 'SELECT 1;'], ['UPDATE users SET name = email WHERE name IS NULL;', 'manual']]], /index users_name_idx is left behind/],
  ['a validation whose rollback is manual', [[["ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status <> '') NOT VALID;", 'ALTER TABLE users DROP CONSTRAINT users_status_check;']], [['ALTER TABLE users VALIDATE CONSTRAINT users_status_check;', 'manual']]], null],
  ['an index forgotten after a step with a manual rollback', [[['UPDATE users SET name = email WHERE name IS NULL;', 'manual'], ['CREATE INDEX users_name_idx ON users (name);', 'SELECT 1;']]], /index users_name_idx is left behind/],
  ['a table and a view dropped with CASCADE', [[['CREATE TABLE t (id int);\nCREATE VIEW tv AS SELECT id FROM t;', 'DROP TABLE t CASCADE;']]], null],
  ['a table with its index and trigger dropped', [[['CREATE TABLE t (id int PRIMARY KEY, v text);\nCREATE INDEX t_v ON t (v);\nCREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();', 'DROP TABLE t;']]], null],
  ['an overload dropped with its arguments', [[["CREATE FUNCTION touch(a int) RETURNS int LANGUAGE sql AS 'SELECT a';", 'DROP FUNCTION touch(integer);']]], null],
  ['a function replaced and not put back', [[["CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name = 'x'; RETURN NEW; END $$;", null]]], /function touch\(\) is replaced by the step and not put back/],
  ['a function created OR REPLACE that the baseline does not show', [[["CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';", null]]], null],
  ['a view dropped and created again in the step', [[['DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT 1 AS n;', 'DROP VIEW v;\nCREATE VIEW v AS SELECT 2 AS n;']]], null],
  ['an enum value renamed', [[["ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';", null]]], /value 'sad' of enum mood is renamed to 'blue'/],
  ['an enum value IF NOT EXISTS that is there', [[["ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy';", null]]], null],
  ['a constraint taken over from an index, dropped', [[['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_name_uidx ON users (name);', 'DROP INDEX CONCURRENTLY IF EXISTS users_name_uidx;'], ['ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE USING INDEX users_name_uidx;', 'ALTER TABLE users DROP CONSTRAINT users_name_key;']]], null],
  ['a validation in the phase whose earlier rollback drops the constraint', [[["ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status <> '') NOT VALID;", 'ALTER TABLE users DROP CONSTRAINT users_status_check;'], ['ALTER TABLE users VALIDATE CONSTRAINT users_status_check;', null]]], null],
  ['a constraint dropped and added back NOT VALID', [[['ALTER TABLE orders DROP CONSTRAINT orders_qty_check;', 'ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID;']]], /orders_qty_check on orders was valid before the step and is NOT VALID after the rollback/],
  ['a SET NOT NULL on a column the plan never saw defined', [[['ALTER TABLE invoices ALTER COLUMN total SET NOT NULL;', null]]], null],
];

function casePlan(phases: readonly Phase[]): string {
  const lines = ['migc: 1', 'id: p', 'title: t', 'type: schema', 'risk: low', 'engine: postgresql@15', 'baseline:', '  sql: |', ...baseline.split('\n').map((l) => `    ${l}`), 'phases:'];
  phases.forEach((steps, p) => {
    lines.push(`  - name: p${p}`, '    kind: expand', '    steps:');
    steps.forEach(([sql, rollback], s) => {
      lines.push(`      - id: s${p}${s}`, '        sql: |', ...sql.split('\n').map((l) => `          ${l}`), '        rollback:');
      if (rollback === null) lines.push('          nothing_to_undo: nothing');
      else if (rollback === 'manual') lines.push('          manual: do it');
      else lines.push('          sql: |', ...rollback.split('\n').map((l) => `            ${l}`));
    });
  });
  return `${lines.join('\n')}\n`;
}

describe('MG129 on cases of its own', () => {
  it.each(cases)('%s', async (_name, phases, expected) => {
    const result = await compileFiles({ 'plans/p.yaml': casePlan(phases) });
    const found = result.diagnostics.filter((d) => d.code === 'MG129').map((d) => d.message);
    if (expected === null) expect(found).toEqual([]);
    else {
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(expected);
    }
  });
});
