import type { Rule } from '../rule.js';
import type { Statement, Step } from '../../normalize/model.js';
import { relationName } from '../../sql/facts.js';
import { deparsed } from '../../sql/deparse.js';
import { doBlockBody } from '../../sql/plpgsql.js';
import { quoteIdent, sqlLiteral, quoteName } from '../../sql/quote.js';
import type { PgNode } from '../../sql/parser.js';
import { node } from '../sql-rules/ast.js';
import { nonVolatileBuiltinNames, volatileBuiltinNames } from '../sql/builtin-functions.js';
import { functionArguments, functionKey, SchemaState, tableKey } from '../sql/schema-state.js';
import { describeType } from '../sql/types.js';

/**
 * A step whose SQL changes the schema, with a SQL rollback (or nothing_to_undo) that leaves some
 * of the change in place: migc verify's MG061, found from the plan alone. The schema the plan
 * knows (baseline, then each step: SchemaState) is taken before the step, and again after the
 * step and its rollback (inside state.tentatively()); the objects either names are compared.
 *
 * Only what the plan shows for certain is reported. An object is "left behind" only when it is
 * sure it did not exist before: the step creates it by a statement that would fail if it did
 * (CREATE without IF NOT EXISTS or OR REPLACE, ADD COLUMN, a rename to it), or it is on a table
 * the plan knows whole (created in the baseline or by the plan). A rollback with a statement the
 * state does not model (DO, CALL, a function of its own called by SELECT, DROP ... CASCADE of
 * anything but tables, extensions, schemas) is not judged, nor is a run, manual or irreversible
 * one; the other steps of the phase are judged as if it undid its own step. Data is not this
 * rule's business (MG114 statically, MG062 in verify).
 */
export const rollbackLeavesChange: Rule = {
  code: 'MG129',
  name: 'rollback-leaves-change',
  summary: 'A SQL rollback (or nothing_to_undo) does not undo what its step does to the schema as the plan shows it: an index, column, constraint, validation, default, type, NOT NULL, rename, table, trigger, function, view or enum value is left changed.',
  severity: 'warning',
  check(plan, report) {
    const state = new SchemaState();
    for (const s of plan.baseline?.statements ?? []) for (const a of followed(s)) state.apply(a, false);
    state.settle();
    /** Tables with an index PostgreSQL named (CREATE INDEX ON t ...): their indexes are not all known by name. */
    const unnamedIndexes = new Set<string>();
    const learn = (ast: PgNode) => {
      const [kind, body] = node(ast);
      if (kind === 'IndexStmt' && !body.idxname) unnamedIndexes.add(tableKey(relationName(body.relation)));
    };
    for (const s of plan.baseline?.statements ?? []) for (const a of followed(s)) learn(a);

    for (const phase of plan.phases) {
      /**
       * The steps since the last one whose rollback cannot be judged, with the schema before the
       * first of them: a phase's down script runs its steps' rollbacks latest first, so a leftover
       * of one is fine when the rollback of an earlier step of the phase undoes it (a VALIDATE
       * CONSTRAINT with nothing to undo, after the step whose rollback drops the constraint).
       */
      let run: { step: Step; statements: readonly Statement[]; rollback: readonly Statement[] }[] = [];
      let runNames = new Set<string>();
      let before = new Map<string, SchemaObject>();
      const judgeRun = () => {
        if (!run.length) return;
        const after = state.tentatively(() => {
          for (let i = run.length - 1; i >= 0; i--) for (const s of run[i]!.rollback) for (const a of followed(s)) state.apply(a, true);
          return describe(state, runNames);
        });
        for (const { step, changes } of compare({ before, after, run, unnamedIndexes })) {
          const rollback = step.rollback!;
          const said = rollback.kind === 'nothing' ? 'says there is nothing to undo, but' : 'does not undo it all:';
          report({
            span: rollback.span,
            message: `the rollback of step "${step.id}" ${said} ${changes.map((c) => c.text).join('; ')}`,
            help: changes.map((c) => c.fix).join(' '),
          });
        }
        run = [];
      };
      for (const step of phase.steps) {
        const statements = step.action?.kind === 'sql' ? step.action.statements : [];
        const judged = judgedRollback(step);
        if (judged === undefined) {
          // What its rollback does is not known: taken to undo its own step, and nothing else, the
          // steps before it are judged without it, and those after it from the schema it leaves.
          judgeRun();
          for (const a of statements.flatMap(followed)) {
            learn(a);
            state.apply(a, true);
          }
          continue;
        }
        if (!run.length) {
          // The names of the whole run, to describe the schema before it.
          runNames = new Set();
          for (let i = phase.steps.indexOf(step); i < phase.steps.length; i++) {
            const st = phase.steps[i]!;
            const rs = judgedRollback(st);
            if (rs === undefined || st.action?.kind !== 'sql') break;
            for (const a of [...st.action.statements, ...rs].flatMap(followed)) namesOf(a, runNames);
          }
          before = describe(state, runNames);
        }
        run.push({ step, statements, rollback: judged });
        for (const a of statements.flatMap(followed)) {
          learn(a);
          state.apply(a, true);
        }
      }
      judgeRun();
    }
  },
};

/**
 * A step's rollback as the rule judges it: its SQL, when the state models what it does, or none
 * (nothing_to_undo); undefined for a step whose action or rollback is not SQL the state follows.
 */
function judgedRollback(step: Step): readonly Statement[] | undefined {
  if (step.action?.kind !== 'sql') return undefined;
  const r = step.rollback;
  const statements = r?.kind === 'sql' ? r.statements : r?.kind === 'nothing' ? [] : undefined;
  return statements && judgeable(statements) ? statements : undefined;
}

/** What the comparison knows of one object of the schema. */
interface SchemaObject {
  readonly kind: 'table' | 'column' | 'constraint' | 'index' | 'trigger' | 'function' | 'view' | 'type';
  /** Its name as shown: "users", "users.nickname", "users_name_idx", "f(int4)". */
  readonly name: string;
  /** The table it is on (columns, constraints, triggers, indexes). */
  readonly table?: string;
  /** Its own name on its table (a column's, a constraint's). */
  readonly local?: string;
  readonly partial?: boolean;
  readonly type?: string;
  /** Undefined where not known. */
  readonly notNull?: boolean;
  readonly defaultExpr?: string | null;
  readonly ordinal?: number;
  readonly constraintKind?: string;
  readonly validated?: boolean;
  /** A function's or view's definition; "?" once altered. */
  readonly definition?: string;
  readonly values?: readonly string[];
}

/** Every object of the state that `names` names, or that is on a table it names, by a key. */
function describe(state: SchemaState, names: ReadonlySet<string>): Map<string, SchemaObject> {
  const out = new Map<string, SchemaObject>();
  for (const name of names) {
    const t = state.tables.get(name);
    if (!t) continue;
    out.set(`table ${name}`, { kind: 'table', name, ...(t.partial ? { partial: true } : {}) });
    for (const [c, col] of t.columns) {
      out.set(`column ${name}.${c}`, {
        kind: 'column', name: `${name}.${c}`, table: name, local: c,
        ...(col.type ? { type: describeType({ ...col.type, name: sameInteger(tableKey(col.type.name)) }) } : {}),
        ...(col.partial ? {} : { notNull: col.notNull, ...(col.defaultExpr !== undefined ? { defaultExpr: col.defaultExpr } : {}) }),
        ...(col.ordinal !== undefined ? { ordinal: col.ordinal } : {}),
      });
    }
    for (const [k, c] of t.constraints) out.set(`constraint ${name}.${k}`, { kind: 'constraint', name: k, table: name, local: k, constraintKind: c.kind, validated: c.validated });
    for (const tr of t.triggers) out.set(`trigger ${name}.${tr}`, { kind: 'trigger', name: tr, table: name, local: tr });
  }
  for (const [index, on] of state.indexTables) {
    if (!names.has(index) && !names.has(tableKey(on))) continue;
    // An index a constraint took over (USING INDEX) is the constraint's: compared as it.
    const owned = [...(state.tables.get(tableKey(on))?.constraints.values() ?? [])].some((c) => c.index === index);
    if (!owned) out.set(`index ${index}`, { kind: 'index', name: index, table: tableKey(on) });
  }
  for (const [key, definition] of state.definitions) {
    const view = key.startsWith('view ');
    const name = view ? key.slice('view '.length) : key.slice(0, key.indexOf('('));
    if (names.has(name)) out.set(view ? key : `function ${key}`, { kind: view ? 'view' : 'function', name: view ? name : key, definition });
  }
  for (const name of names) {
    if (!state.types.has(name)) continue;
    const values = state.enumValues.get(name);
    out.set(`type ${name}`, { kind: 'type', name, ...(values ? { values } : {}) });
  }
  return out;
}

/** serial is integer with a default: a column made bigint and back is as it was. */
function sameInteger(type: string): string {
  return ({ serial2: 'int2', serial4: 'int4', serial8: 'int8' } as Record<string, string>)[type] ?? type;
}

/** An object's name as SQL writes it: users.email, "User"."emailAddress", a constraint's own name, f(int4). */
function shown(o: SchemaObject): string {
  if (o.kind === 'function') return `${quoteName(o.name.slice(0, o.name.indexOf('(')))}${o.name.slice(o.name.indexOf('('))}`;
  return o.kind === 'constraint' || o.kind === 'trigger' ? quoteIdent(o.name) : quoteName(o.name);
}

interface Change {
  readonly text: string;
  readonly fix: string;
}

/**
 * What differs between before the step and after its rollback, where the plan shows it for
 * certain, in the order of the objects' keys (stable).
 */
function compare(input: {
  before: ReadonlyMap<string, SchemaObject>;
  after: ReadonlyMap<string, SchemaObject>;
  run: readonly { step: Step; statements: readonly Statement[]; rollback: readonly Statement[] }[];
  unnamedIndexes: ReadonlySet<string>;
}): { step: Step; changes: Change[] }[] {
  const { before, after, run, unnamedIndexes } = input;
  const statements = run.flatMap((r) => r.statements);
  const rollback = run.flatMap((r) => r.rollback);
  const made = provenNew(statements);
  const touched = rollbackDefines(rollback);
  const cascades = rollback.some((s) => JSON.stringify(s.ast).includes('"DROP_CASCADE"'));
  /** Whether the object was surely not there before the run of steps. */
  const absentBefore = (key: string, o: SchemaObject): boolean => {
    if (made.has(key)) return true;
    if (o.table === undefined) return false;
    const table = before.get(`table ${o.table}`);
    if (!table || table.partial) return false;
    return o.kind !== 'index' || !unnamedIndexes.has(o.table);
  };
  const missing: [string, SchemaObject][] = [];
  const extra: [string, SchemaObject][] = [];
  const changes: { change: Change; names: string[] }[] = [];
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const key of keys) {
    const b = before.get(key);
    const a = after.get(key);
    if (b && !a) missing.push([key, b]);
    else if (a && !b) {
      // A view a CASCADE may have dropped with its table is not known to be there.
      if (absentBefore(key, a) && !(cascades && a.kind === 'view')) extra.push([key, a]);
    } else if (a && b) for (const change of changed(b, a, touched)) changes.push({ change, names: lookFor(b) });
  }
  // Objects on a table that is itself gone or left behind go with it.
  const tableIn = (list: [string, SchemaObject][]) => new Set(list.filter(([, o]) => o.kind === 'table').map(([, o]) => o.name));
  const goneTables = tableIn(missing);
  const newTables = tableIn(extra);
  const own = (list: [string, SchemaObject][], tables: Set<string>) => list.filter(([, o]) => o.kind === 'table' || o.table === undefined || !tables.has(o.table));
  const gone = own(missing, goneTables);
  const left = own(extra, newTables);
  // A rename not undone: the step renames an object that is gone to one left behind.
  const renames: { change: Change; names: string[] }[] = [];
  const renamedTo = renameTargets(statements);
  for (let i = gone.length - 1; i >= 0; i--) {
    const g = gone[i]![1];
    let name = g.local ?? g.name;
    const seen = new Set<string>();
    let j = -1;
    while (j < 0 && !seen.has(name)) {
      seen.add(name);
      // An index is renamed by its own name, whatever its table.
      const to = renamedTo.get(`${g.kind} ${g.kind === 'index' ? '' : g.table ?? ''} ${name}`);
      if (to === undefined) break;
      name = to;
      j = left.findIndex(([, l]) => l.kind === g.kind && l.table === g.table && (l.local ?? l.name) === name);
    }
    if (j < 0) continue;
    const l = left[j]![1];
    renames.unshift({ change: renamed(g, l), names: [...lookFor(l), ...lookFor(g)] });
    gone.splice(i, 1);
    left.splice(j, 1);
  }
  const found: { change: Change; names: string[] }[] = [
    ...renames,
    ...left.map(([, o]) => ({ change: leftBehind(o, statements), names: lookFor(o) })),
    ...gone.map(([, o]) => ({ change: goneAfter(o), names: lookFor(o) })),
    ...changes,
  ];
  // Each at the latest step that names the object (else its table): its rollback is where to look.
  const names = run.map((r) => {
    const set = new Set<string>();
    for (const a of [...r.statements, ...r.rollback].flatMap(followed)) namesOf(a, set);
    return set;
  });
  const byStep = new Map<Step, Change[]>();
  for (const f of found) {
    let at: number | undefined;
    for (const n of f.names) {
      for (let i = run.length - 1; i >= 0 && at === undefined; i--) if (names[i]!.has(tableKey(n))) at = i;
      if (at !== undefined) break;
    }
    if (at === undefined) continue;
    const step = run[at]!.step;
    byStep.set(step, [...(byStep.get(step) ?? []), f.change]);
  }
  return run.filter((r) => byStep.has(r.step)).map((r) => ({ step: r.step, changes: byStep.get(r.step)! }));
}

/** The names to look for in a step's SQL to find the step an object's change comes from: its own, then its table's. */
function lookFor(o: SchemaObject): string[] {
  const own = o.kind === 'function' ? o.name.slice(0, o.name.indexOf('(')) : o.local ?? o.name;
  return o.table !== undefined ? [own, o.table] : [own];
}

function what(o: SchemaObject): string {
  switch (o.kind) {
    case 'constraint': return `constraint ${shown(o)} on ${quoteName(o.table!)}`;
    case 'trigger': return `trigger ${shown(o)} on ${quoteName(o.table!)}`;
    default: return `${o.kind} ${shown(o)}`;
  }
}

function renamed(from: SchemaObject, to: SchemaObject): Change {
  const text = `${what(from)} is renamed to ${to.local !== undefined ? quoteIdent(to.local) : shown(to)} and not renamed back`;
  switch (from.kind) {
    case 'table': return { text, fix: `ALTER TABLE ${quoteName(to.name)} RENAME TO ${quoteIdent(from.name.split('.').pop()!)};` };
    case 'column': return { text, fix: `ALTER TABLE ${quoteName(from.table!)} RENAME COLUMN ${quoteIdent(to.local!)} TO ${quoteIdent(from.local!)};` };
    case 'constraint': return { text, fix: `ALTER TABLE ${quoteName(from.table!)} RENAME CONSTRAINT ${quoteIdent(to.local!)} TO ${quoteIdent(from.local!)};` };
    case 'trigger': return { text, fix: `ALTER TRIGGER ${quoteIdent(to.local!)} ON ${quoteName(from.table!)} RENAME TO ${quoteIdent(from.local!)};` };
    case 'index': return { text, fix: `ALTER INDEX ${quoteName(to.name)} RENAME TO ${quoteIdent(from.name.split('.').pop()!)};` };
    default: return { text, fix: `Rename ${shown(to)} back to ${shown(from)}.` };
  }
}

function leftBehind(o: SchemaObject, statements: readonly Statement[]): Change {
  const text = `${what(o)} is left behind`;
  switch (o.kind) {
    case 'table': return { text, fix: `DROP TABLE ${quoteName(o.name)};` };
    case 'column': return { text, fix: `ALTER TABLE ${quoteName(o.table!)} DROP COLUMN ${quoteIdent(o.local!)};` };
    case 'constraint': return { text, fix: `ALTER TABLE ${quoteName(o.table!)} DROP CONSTRAINT ${quoteIdent(o.local!)};` };
    case 'trigger': return { text, fix: `DROP TRIGGER ${quoteIdent(o.local!)} ON ${quoteName(o.table!)};` };
    case 'index': {
      // Built without blocking writes: dropped the same way.
      const concurrently = statements.some((s) => {
        const [kind, body] = node(s.ast);
        return kind === 'IndexStmt' && body.concurrent && tableKey(body.relation?.schemaname ? `${body.relation.schemaname}.${body.idxname}` : body.idxname ?? '') === o.name;
      });
      return { text, fix: `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${quoteName(o.name)};` };
    }
    case 'function': return { text, fix: `DROP FUNCTION ${quoteName(o.name.slice(0, o.name.indexOf('(')))}${o.name.slice(o.name.indexOf('('))};` };
    case 'view': return { text, fix: `DROP VIEW ${quoteName(o.name)};` };
    case 'type': return { text, fix: `DROP TYPE ${quoteName(o.name)};` };
  }
}

function goneAfter(o: SchemaObject): Change {
  const text = `${what(o)} existed before the step and is gone after the rollback`;
  if (o.kind === 'column' && o.type) return { text, fix: `Put it back as it was (ALTER TABLE ${quoteName(o.table!)} ADD COLUMN ${quoteIdent(o.local!)} ${o.type}${o.notNull ? ' NOT NULL' : ''} ...), or do not drop it in the rollback.` };
  return { text, fix: `Put ${what(o)} back as it was before the step, or do not drop it in the rollback.` };
}

/**
 * The fix that puts a default back: its expression written from the tree the schema state keeps
 * of it (a fingerprint, the tree as JSON without positions).
 */
function setDefault(alter: string, fingerprint: string): string {
  const expression = deparsed(JSON.parse(fingerprint));
  return expression !== undefined ? `${alter} SET DEFAULT ${expression};` : `${alter} SET DEFAULT ...; (the default it had before the step)`;
}

function changed(b: SchemaObject, a: SchemaObject, touched: ReadonlySet<string>): Change[] {
  const out: Change[] = [];
  const on = (table: string) => quoteName(table);
  if (b.kind === 'column') {
    const alter = `ALTER TABLE ${on(b.table!)} ALTER COLUMN ${quoteIdent(b.local!)}`;
    if (b.type !== undefined && a.type !== undefined && b.type !== a.type) out.push({ text: `${what(b)} is of type ${a.type} after the rollback, ${b.type} before the step`, fix: `${alter} TYPE ${b.type};` });
    if (b.notNull !== undefined && a.notNull !== undefined && b.notNull !== a.notNull) {
      out.push(a.notNull
        ? { text: `${what(b)} is NOT NULL after the rollback, and could be NULL before the step`, fix: `${alter} DROP NOT NULL;` }
        : { text: `${what(b)} was NOT NULL before the step and can be NULL after the rollback`, fix: `${alter} SET NOT NULL;` });
    }
    // A rollback that sets the default itself is taken at its word: the same default can be written many ways.
    // Having a default or none is sure, whoever wrote it.
    const either = b.defaultExpr === null || a.defaultExpr === null;
    if (b.defaultExpr !== undefined && a.defaultExpr !== undefined && b.defaultExpr !== a.defaultExpr && (either || !touched.has(`default ${b.name}`))) {
      out.push(b.defaultExpr === null
        ? { text: `${what(b)} has a default after the rollback and had none before the step`, fix: `${alter} DROP DEFAULT;` }
        : { text: `the default of ${what(b)} is ${a.defaultExpr === null ? 'gone' : 'changed'} after the rollback`, fix: setDefault(alter, b.defaultExpr) });
    }
  }
  if (b.kind === 'constraint') {
    const alter = `ALTER TABLE ${on(b.table!)}`;
    if (b.constraintKind !== a.constraintKind) {
      out.push({ text: `${what(b)} is a ${b.constraintKind} constraint before the step and a ${a.constraintKind} constraint after the rollback`, fix: `Drop it and add it again as it was before the step.` });
    } else if (b.validated === false && a.validated === true) {
      out.push({
        text: `${what(b)} was NOT VALID before the step and is valid after the rollback`,
        fix: `In the rollback, drop it and add it again NOT VALID: ${alter} DROP CONSTRAINT ${quoteIdent(b.local!)}; ${alter} ADD CONSTRAINT ${quoteIdent(b.local!)} ... NOT VALID; (a brief ACCESS EXCLUSIVE lock on ${quoteName(b.table!)}${b.constraintKind === 'foreign key' ? ' and on the table it references' : ''}). Or validate it in the phase that adds it, whose rollback drops it.`,
      });
    } else if (b.validated === true && a.validated === false) {
      out.push({ text: `${what(b)} was valid before the step and is NOT VALID after the rollback`, fix: `${alter} VALIDATE CONSTRAINT ${quoteIdent(b.local!)};` });
    }
  }
  if ((b.kind === 'function' || b.kind === 'view') && b.definition !== undefined && a.definition !== undefined && b.definition !== '?' && a.definition !== '?' && b.definition !== a.definition && !touched.has(`${b.kind} ${b.name}`)) {
    out.push({ text: `${what(b)} is replaced by the step and not put back`, fix: `CREATE OR REPLACE ${b.kind === 'view' ? 'VIEW' : 'FUNCTION'} ${shown(b)} as it was before the step.` });
  }
  if (b.kind === 'type' && b.values && a.values) {
    // A value in the same place under another name is renamed (RENAME VALUE), which can be undone.
    const renamedValues = b.values.length === a.values.length ? b.values.flatMap((v, i) => (a.values![i] !== v && !a.values!.includes(v) && !b.values!.includes(a.values![i]!) ? [[v, a.values![i]!] as const] : [])) : [];
    for (const [from, to] of renamedValues) {
      out.push({ text: `value ${sqlLiteral(from)} of enum ${quoteName(b.name)} is renamed to ${sqlLiteral(to)} and not renamed back`, fix: `ALTER TYPE ${quoteName(b.name)} RENAME VALUE ${sqlLiteral(to)} TO ${sqlLiteral(from)};` });
    }
    const renamedFrom = new Set(renamedValues.map(([from]) => from));
    const renamedTo = new Set(renamedValues.map(([, to]) => to));
    const added = a.values.filter((v) => !b.values!.includes(v) && !renamedTo.has(v));
    const dropped = b.values.filter((v) => !a.values!.includes(v) && !renamedFrom.has(v));
    if (added.length) {
      out.push({
        text: `enum ${quoteName(b.name)} keeps ${added.map(sqlLiteral).join(', ')} after the rollback: PostgreSQL cannot remove a value from an enum`,
        fix: `Say so honestly, rollback: { irreversible: true, data_loss: false } (an unused value is harmless; the step can run again with ADD VALUE IF NOT EXISTS), or have the rollback make the type anew without it (CREATE TYPE, ALTER COLUMN ... TYPE, DROP TYPE, RENAME: only while no row holds the value).`,
      });
    }
    if (dropped.length) out.push({ text: `enum ${quoteName(b.name)} no longer has ${dropped.map(sqlLiteral).join(', ')} after the rollback`, fix: `Make the type ${quoteName(b.name)} as it was before the step.` });
  }
  return out;
}

/**
 * Keys of the objects the step's statements create that PostgreSQL would refuse to create if they
 * existed. ALTER TABLE IF EXISTS proves nothing: PostgreSQL skips it when the table is not there
 * (what it adds to a table the baseline shows is judged as anything new on a known table is).
 */
function provenNew(statements: readonly Statement[]): Set<string> {
  const proven = new Set<string>();
  /** Objects an earlier statement dropped or renamed away: creating one again proves nothing of before. */
  const vacated = new Set<string>();
  const out = { add: (k: string) => (vacated.has(k) ? undefined : proven.add(k)) };
  const key = (schema: string | undefined, name: string) => tableKey(schema ? `${schema}.${name}` : name);
  for (const s of statements) {
    const [kind, body] = node(s.ast);
    for (const k of vacates(s.ast)) vacated.add(k);
    switch (kind) {
      case 'CreateStmt':
        if (!body.if_not_exists) out.add(`table ${tableKey(relationName(body.relation))}`);
        break;
      case 'CreateTableAsStmt':
        if (!body.if_not_exists) out.add(`table ${tableKey(relationName(body.into?.rel))}`);
        break;
      case 'AlterTableStmt': {
        if (body.missing_ok) break;
        const table = tableKey(relationName(body.relation));
        for (const c of body.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok) {
            out.add(`column ${table}.${cmd.def.ColumnDef.colname}`);
            for (const k of cmd.def.ColumnDef.constraints ?? []) if (k.Constraint?.conname) out.add(`constraint ${table}.${k.Constraint.conname}`);
          }
          if (cmd?.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.conname) out.add(`constraint ${table}.${cmd.def.Constraint.conname}`);
        }
        break;
      }
      case 'RenameStmt': {
        if (body.missing_ok) break;
        const table = tableKey(relationName(body.relation));
        if (body.renameType === 'OBJECT_TABLE') out.add(`table ${key(body.relation?.schemaname, body.newname)}`);
        if (body.renameType === 'OBJECT_COLUMN') out.add(`column ${table}.${body.newname}`);
        if (body.renameType === 'OBJECT_TABCONSTRAINT') out.add(`constraint ${table}.${body.newname}`);
        if (body.renameType === 'OBJECT_TRIGGER') out.add(`trigger ${table}.${body.newname}`);
        if (body.renameType === 'OBJECT_INDEX') out.add(`index ${key(body.relation?.schemaname, body.newname)}`);
        if (body.renameType === 'OBJECT_VIEW') out.add(`view ${key(body.relation?.schemaname, body.newname)}`);
        break;
      }
      case 'IndexStmt':
        if (body.idxname && !body.if_not_exists) out.add(`index ${key(body.relation?.schemaname, body.idxname)}`);
        break;
      case 'CreateTrigStmt':
        if (!body.replace) out.add(`trigger ${tableKey(relationName(body.relation))}.${body.trigname}`);
        break;
      case 'CreateFunctionStmt':
        if (!body.replace) out.add(`function ${tableKey(dotted(body.funcname))}(${functionArguments(body.parameters)})`);
        break;
      case 'ViewStmt':
        if (!body.replace) out.add(`view ${tableKey(relationName(body.view))}`);
        break;
      case 'CreateEnumStmt':
        out.add(`type ${tableKey(dotted(body.typeName))}`);
        break;
      case 'CreateDomainStmt':
        out.add(`type ${tableKey(dotted(body.domainname))}`);
        break;
      case 'CompositeTypeStmt':
        out.add(`type ${tableKey(relationName(body.typevar))}`);
        break;
    }
  }
  return proven;
}

/** The keys of the objects a statement drops or renames away (as describe() keys them). */
function vacates(ast: PgNode): string[] {
  const [kind, body] = node(ast);
  const out: string[] = [];
  if (kind === 'DropStmt') {
    const kinds: Record<string, string> = { OBJECT_TABLE: 'table', OBJECT_MATVIEW: 'table', OBJECT_INDEX: 'index', OBJECT_VIEW: 'view', OBJECT_TYPE: 'type', OBJECT_DOMAIN: 'type' };
    for (const o of body.objects ?? []) {
      const what = kinds[body.removeType as string];
      if (what) out.push(`${what} ${tableKey(dotted(o.List?.items ?? o.TypeName?.names))}`);
      if (body.removeType === 'OBJECT_FUNCTION' || body.removeType === 'OBJECT_PROCEDURE') {
        const k = functionKey(o.ObjectWithArgs);
        if (k) out.push(`function ${k}`);
      }
      if (body.removeType === 'OBJECT_TRIGGER') {
        const items: { String?: { sval?: string } }[] = o.List?.items ?? [];
        out.push(`trigger ${tableKey(dotted(items.slice(0, -1)))}.${items[items.length - 1]?.String?.sval}`);
      }
    }
  }
  if (kind === 'AlterTableStmt') {
    const table = tableKey(relationName(body.relation));
    for (const c of body.cmds ?? []) {
      if (c.AlterTableCmd?.subtype === 'AT_DropColumn') out.push(`column ${table}.${c.AlterTableCmd.name}`);
      if (c.AlterTableCmd?.subtype === 'AT_DropConstraint') out.push(`constraint ${table}.${c.AlterTableCmd.name}`);
    }
  }
  if (kind === 'RenameStmt') {
    const table = tableKey(relationName(body.relation));
    const kinds: Record<string, string> = { OBJECT_TABLE: 'table', OBJECT_INDEX: 'index', OBJECT_VIEW: 'view' };
    const whole = kinds[body.renameType as string];
    if (whole) out.push(`${whole} ${table}`);
    if (body.renameType === 'OBJECT_COLUMN') out.push(`column ${table}.${body.subname}`);
    if (body.renameType === 'OBJECT_TABCONSTRAINT') out.push(`constraint ${table}.${body.subname}`);
    if (body.renameType === 'OBJECT_TRIGGER') out.push(`trigger ${table}.${body.subname}`);
  }
  return out;
}

/** What the statements rename, "kind table from" to the new name (tables and indexes by their tableKey() name). */
function renameTargets(statements: readonly Statement[]): Map<string, string> {
  const out = new Map<string, string>();
  const kinds: Record<string, SchemaObject['kind']> = { OBJECT_TABLE: 'table', OBJECT_COLUMN: 'column', OBJECT_TABCONSTRAINT: 'constraint', OBJECT_TRIGGER: 'trigger', OBJECT_INDEX: 'index', OBJECT_VIEW: 'view' };
  for (const s of statements) {
    const [kind, body] = node(s.ast);
    const what = kind === 'RenameStmt' ? kinds[body.renameType as string] : undefined;
    if (!what) continue;
    const table = tableKey(relationName(body.relation));
    const schema = body.relation?.schemaname ? `${body.relation.schemaname}.` : '';
    if (what === 'table' || what === 'index' || what === 'view') out.set(`${what}  ${table}`, tableKey(`${schema}${body.newname}`));
    else out.set(`${what} ${table} ${body.subname}`, body.newname);
  }
  return out;
}

/** What the rollback (re)defines itself: column defaults, functions, views; taken at its word. */
function rollbackDefines(statements: readonly Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    const [kind, body] = node(s.ast);
    if (kind === 'AlterTableStmt') {
      const table = tableKey(relationName(body.relation));
      for (const c of body.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (cmd?.subtype === 'AT_ColumnDefault') out.add(`default ${table}.${cmd.name}`);
        if (cmd?.subtype === 'AT_AddColumn') out.add(`default ${table}.${cmd.def.ColumnDef.colname}`);
      }
    }
    if (kind === 'CreateStmt') for (const e of body.tableElts ?? []) if (e.ColumnDef) out.add(`default ${tableKey(relationName(body.relation))}.${e.ColumnDef.colname}`);
    if (kind === 'CreateFunctionStmt') out.add(`function ${tableKey(dotted(body.funcname))}(${functionArguments(body.parameters)})`);
    if (kind === 'ViewStmt') out.add(`view ${tableKey(relationName(body.view))}`);
    if (kind === 'AlterFunctionStmt') {
      const k = functionKey(body.func);
      if (k) out.add(`function ${k}`);
    }
  }
  return out;
}

function dotted(list: { String?: { sval?: string } }[] | undefined): string {
  return (list ?? []).map((n) => n.String?.sval ?? '?').join('.');
}

/** Every name a parse tree holds (as tableKey() keys them), schema-qualified ones joined too. */
function namesOf(ast: unknown, into: Set<string>): void {
  if (typeof ast === 'string') into.add(tableKey(ast));
  else if (Array.isArray(ast)) {
    if (ast.length > 1 && ast.every((x) => typeof x?.String?.sval === 'string')) into.add(tableKey(ast.map((x) => x.String.sval).join('.')));
    for (const x of ast) namesOf(x, into);
  } else if (ast && typeof ast === 'object') {
    const o = ast as Record<string, unknown>;
    if (typeof o.relname === 'string' && typeof o.schemaname === 'string') into.add(tableKey(`${o.schemaname}.${o.relname}`));
    for (const v of Object.values(o)) namesOf(v, into);
  }
}

const builtins = new Set(`${volatileBuiltinNames} ${nonVolatileBuiltinNames}`.split(' ').filter(Boolean));

/** Statements whose effect on the schema the state models (or that have none). */
const modelled = new Set([
  'AlterTableStmt', 'IndexStmt', 'CreateStmt', 'CreateTableAsStmt', 'RenameStmt', 'CreateFunctionStmt', 'AlterFunctionStmt', 'ViewStmt',
  'CreateEnumStmt', 'AlterEnumStmt', 'CreateDomainStmt', 'CompositeTypeStmt', 'CreateTrigStmt',
  'UpdateStmt', 'InsertStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt', 'VariableSetStmt', 'CommentStmt', 'GrantStmt', 'CreateSeqStmt', 'AlterSeqStmt',
  'LockStmt', 'TruncateStmt', 'VacuumStmt', 'ClusterStmt', 'ReindexStmt', 'RefreshMatViewStmt', 'CopyStmt', 'TransactionStmt', 'NotifyStmt', 'DropStmt',
]);
const modelledDrops = new Set(['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_TYPE', 'OBJECT_DOMAIN', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_TRIGGER', 'OBJECT_SEQUENCE']);

/**
 * The statements the schema state follows for one of a plan's: a DO block's, those written in it
 * (src/sql/plpgsql.ts), branches included, as the analysis learns them; any other, itself.
 */
function followed(s: Pick<Statement, 'ast' | 'text'>): PgNode[] {
  const block = 'DoStmt' in s.ast ? doBlockBody(s.ast, s.text) : undefined;
  return block ? block.statements.flatMap(followed) : [s.ast];
}

/** Whether the state models what the rollback does to the schema, so that what it leaves can be judged. */
function judgeable(rollback: readonly Pick<Statement, 'ast' | 'text'>[]): boolean {
  return rollback.every((s) => {
    const [kind, body] = node(s.ast);
    // A DO block does what the statements written in it do, when migc reads them all.
    if (kind === 'DoStmt') {
      const block = doBlockBody(s.ast, s.text);
      return block !== undefined && block.complete && block.transactionEnds.length === 0 && judgeable(block.statements);
    }
    if (!modelled.has(kind)) return false;
    if (kind === 'DropStmt') return modelledDrops.has(body.removeType) && (body.behavior !== 'DROP_CASCADE' || body.removeType === 'OBJECT_TABLE');
    // SELECT my_cleanup() may do anything; a built-in function does not change the schema.
    return !callsOwnFunction(body);
  });
}

function callsOwnFunction(ast: unknown): boolean {
  if (Array.isArray(ast)) return ast.some(callsOwnFunction);
  if (!ast || typeof ast !== 'object') return false;
  const o = ast as Record<string, any>;
  if (o.FuncCall) {
    const names: { String?: { sval?: string } }[] = o.FuncCall.funcname ?? [];
    const last = names[names.length - 1]?.String?.sval ?? '';
    const schema = names.length > 1 ? names[0]?.String?.sval : 'pg_catalog';
    if (schema !== 'pg_catalog' || !builtins.has(last)) return true;
  }
  return Object.values(o).some(callsOwnFunction);
}
