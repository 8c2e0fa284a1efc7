import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { sqlFileTooLarge } from '../load/limits.js';
import { keySpan, scalarOffsetMapper, spanAt, type LoadedFile, type Path } from '../load/yaml.js';
import { batchProblem } from '../sql/batch.js';
import { statementFacts } from '../sql/facts.js';
import { parseSql } from '../sql/parser.js';
import { psqlDivergence } from '../sql/psql.js';
import { readTableName } from '../sql/table-name.js';
import { parseDuration, parseTimelineOffset } from './durations.js';
import type {
  Action, AppVersion, Batch, ComparisonOperator, Deploy, Expectation, Gate, Phase, Plan, Rollback, Statement, Step, TableHint, Verification,
} from './model.js';
import type { RawDeploy, RawPhase, RawPlan, RawStep } from './raw.js';
import { readAppQueries } from './app-queries.js';
import type { NamedFile } from '../named-files.js';
import { batchPauseProblem, planTimeProblem, settingsDiagnostics } from './settings.js';
import { engineVersionOf } from './postgres-versions.js';

export const defaultLockTimeout = '5s';
export const defaultStatementTimeout = '15min';
export const defaultLockRetries = 5;

/**
 * Builds the plan model from a schema-valid file: parses every SQL text with PostgreSQL's
 * parser, checks what the schema cannot (exactly one action per step, the shape of rollbacks,
 * batches and verifications) and reports each problem at its place in the file.
 */
export function normalize(loaded: LoadedFile, files: ReadonlyMap<string, NamedFile> = new Map()): { plan: Plan; diagnostics: Diagnostic[] } {
  const raw = loaded.value as RawPlan;
  const { file, doc } = loaded;
  const diagnostics: Diagnostic[] = [];
  const span = (path: Path) => spanAt(doc, path);
  const error = (code: string, at: Span, message: string, help?: string) =>
    diagnostics.push({ code, severity: 'error', file, span: at, message, ...(help ? { help } : {}) });

  /** Parses the SQL at a path into located statements, reporting syntax errors at their line. */
  const parseAt = (path: Path, sql: string): Statement[] | undefined => {
    const toFile = scalarOffsetMapper(loaded.text, doc, path);
    // psql and PostgreSQL's parser stop reading at NUL: what follows would run unchecked, or not at all.
    const nul = sql.indexOf('\u0000');
    if (nul >= 0) {
      const at = toFile(nul);
      error('MG020', { start: at, end: at + 1 }, 'SQL holds a NUL character', 'Remove it: PostgreSQL and psql stop reading a statement at NUL, so the text after it would not run as written.');
      return undefined;
    }
    const parsed = parseSql(sql);
    if (!parsed.ok) {
      const at = toFile(parsed.offset);
      error('MG020', { start: at, end: Math.min(at + 1, loaded.text.length) }, `SQL syntax error: ${parsed.message}`, 'Fix the statement; migc reads SQL with PostgreSQL\'s own parser, so this would fail on the server too.');
      return undefined;
    }
    const divergence = psqlDivergence(sql, parsed.statements);
    if (divergence) {
      error('MG023', { start: toFile(divergence.start), end: toFile(divergence.end) }, `psql would not run this SQL as written: ${divergence.message}`,
        'migc\'s scripts run with psql -f: write the SQL so that psql sends exactly these statements (load data with INSERT, or COPY from a server file).');
      return undefined;
    }
    const statements = parsed.statements.map((s) => ({
      text: s.text, ast: s.ast, facts: statementFacts(s.ast), span: { start: toFile(s.start), end: toFile(s.end) },
      fileOffset: (offset: number) => toFile(s.start + offset),
    }));
    for (const s of statements) {
      if (s.facts.transactionControl) {
        error('MG021', s.span, `${s.facts.command} inside a step`, 'Remove it: migc wraps each step in its own transaction, and runs statements that cannot be in one (CREATE INDEX CONCURRENTLY) outside.');
      }
    }
    if (statements.length === 0) error('MG020', span(path), 'the SQL holds no statement', 'Write the statement, or remove the empty sql.');
    return statements;
  };

  const deployAt = (d: RawDeploy, path: Path): Deploy => ({ version: d.version, ...(d.note !== undefined ? { note: d.note } : {}), span: span([...path, 'version']) });

  /** A time the plan gives that is more than a year: MG118 at it. */
  const tooLong = (what: string, text: string, seconds: number, path: Path) => {
    const problem = planTimeProblem(what, text, seconds);
    if (problem) error('MG118', span(path), problem.message, problem.help);
  };
  (raw.timeline ?? []).forEach((m, i) => tooLong('the milestone at', m.at, parseTimelineOffset(m.at), ['timeline', i, 'at']));

  /**
   * The size hints, keyed by the table each names, read as PostgreSQL reads a name (as
   * --assume-rows is): `Users` is users, `'"User"'` the table created with the quoted name.
   */
  function tableHints(): TableHint[] {
    const hints: TableHint[] = [];
    for (const [written, t] of Object.entries(raw.tables ?? {})) {
      const at = keySpan(doc, ['tables', written]) ?? span(['tables']);
      const name = readTableName(written);
      if (name === undefined) {
        error('MG010', at, `tables: ${JSON.stringify(written)} is not a table name`, 'Write the table as SQL names it: users (an unquoted name is read in lower case), app.orders with its schema, and a table created with a quoted name in double quotes inside the YAML string: \'"User"\': { rows: 100 }.');
        continue;
      }
      hints.push({ name, written, rows: t.rows, ...(t.size !== undefined ? { size: t.size } : {}), span: at });
    }
    return hints.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const phases: Phase[] = raw.phases.map((rp, pi) => normalizePhase(rp, pi));

  function normalizePhase(rp: RawPhase, pi: number): Phase {
    const path = ['phases', pi];
    const steps = rp.steps.map((rs, si) => normalizeStep(rs, [...path, 'steps', si], rp));
    let gate: Gate | undefined;
    if (rp.gate?.wait !== undefined) tooLong(`the gate's wait`, rp.gate.wait, parseDuration(rp.gate.wait).seconds, [...path, 'gate', 'wait']);
    if (rp.gate) {
      gate = {
        verified: (rp.gate.verified ?? []).map((stepId, i) => ({ stepId, span: span([...path, 'gate', 'verified', i]) })),
        ...(rp.gate.deploy !== undefined ? { deploy: deployText(rp.gate.deploy) } : {}),
        ...(typeof rp.gate.deploy === 'object' ? { deployVersion: deployAt(rp.gate.deploy, [...path, 'gate', 'deploy']) } : {}),
        ...(rp.gate.wait !== undefined ? { wait: parseDuration(rp.gate.wait) } : {}),
        ...(rp.gate.approval !== undefined ? { approval: rp.gate.approval } : {}),
        span: keySpan(doc, [...path, 'gate']) ?? span([...path, 'gate']),
      };
    }
    return {
      number: pi + 1, name: rp.name, kind: rp.kind,
      ...(rp.description !== undefined ? { description: rp.description } : {}),
      ...(gate ? { gate } : {}),
      steps, span: span([...path, 'name']), kindSpan: span([...path, 'kind']),
    };
  }

  function normalizeStep(rs: RawStep, path: Path, rp: RawPhase): Step {
    const actions = (['sql', 'run', 'manual'] as const).filter((k) => rs[k] !== undefined);
    let action: Action | undefined;
    if (actions.length !== 1) {
      error('MG030', span([...path, 'id']),
        actions.length === 0 ? `step "${rs.id}" says nothing to do` : `step "${rs.id}" gives both ${actions.join(' and ')}`,
        'Give exactly one of sql (statements to run), run (a command) or manual (instructions).');
    } else if (rs.sql !== undefined) {
      const statements = parseAt([...path, 'sql'], rs.sql);
      if (statements) action = { kind: 'sql', statements, span: span([...path, 'sql']) };
    } else if (rs.run !== undefined) {
      action = { kind: 'run', command: rs.run, span: span([...path, 'run']) };
    } else {
      action = { kind: 'manual', instructions: rs.manual!, span: span([...path, 'manual']) };
    }

    if (rs.estimated_time) tooLong('estimated_time', rs.estimated_time, parseDuration(rs.estimated_time).seconds, [...path, 'estimated_time']);
    const batch = rs.batch ? normalizeBatch(rs.batch, [...path, 'batch'], rs.sql !== undefined, action?.kind === 'sql' ? action.statements : undefined) : undefined;
    const allow = Object.entries(rs.allow ?? {}).map(([code, reason]) => ({ code, reason, span: keySpan(doc, [...path, 'allow', code]) ?? span([...path, 'allow']) }));

    return {
      id: rs.id, phase: rp.name, phaseKind: rp.kind,
      ...(rs.description !== undefined ? { description: rs.description } : {}),
      ...(action ? { action } : {}),
      ...(batch ? { batch } : {}),
      ...(rs.rollback ? optional('rollback', normalizeRollback(rs, [...path, 'rollback'])) : {}),
      verify: (rs.verify ?? []).flatMap((v, i) => optionalList(normalizeVerification(v, [...path, 'verify', i]))),
      ...(rs.estimated_time ? { estimatedTime: parseDuration(rs.estimated_time) } : {}),
      ...(allow.length ? { allow } : {}),
      ...(rs.deploy ? { deploy: deployAt(rs.deploy, [...path, 'deploy']) } : {}),
      span: span([...path, 'id']),
    };
  }

  /** A batch on a step or a rollback: exactly one UPDATE, DELETE or INSERT ... SELECT to run in batches. */
  function normalizeBatch(raw: { size: number; key?: string; pause?: string }, path: Path, hasSql: boolean, statements: readonly Statement[] | undefined): Batch {
    const batch: Batch = { size: raw.size, key: raw.key ?? 'id', ...(raw.pause ? { pause: raw.pause } : {}), span: keySpan(doc, path)! };
    const pauseProblem = raw.pause !== undefined ? batchPauseProblem(raw.pause) : undefined;
    if (pauseProblem) error('MG118', span([...path, 'pause']), pauseProblem.message, pauseProblem.help);
    if (!hasSql) {
      error('MG032', batch.span, 'batch needs sql', 'Batching applies to one UPDATE, DELETE or INSERT ... SELECT given in sql.');
    } else if (statements) {
      if (statements.length !== 1) {
        error('MG032', batch.span, `a batched step runs exactly one statement; this one has ${statements.length}`, 'Put one UPDATE, DELETE or INSERT ... SELECT in the batched step; split other statements into steps of their own.');
      } else {
        // One statement of the wrong shape: splitting is no help; the shape the loop needs is.
        const problem = batchProblem({ ...statements[0]!, start: 0, end: 0 });
        if (problem) {
          error('MG032', statements[0]!.span, problem,
            `The batch loop runs the statement once per range of ${batch.key} on the one table it changes (an INSERT: the one table it copies from), adding the range to its WHERE: rewrite it in that form, or leave out batch: if the table is small.`);
        }
      }
    }
    return batch;
  }

  function normalizeRollback(rs: RawStep, path: Path): Rollback | undefined {
    const r = rs.rollback!;
    const at = keySpan(doc, path) ?? span(path);
    const kinds = (['sql', 'run', 'manual', 'nothing_to_undo', 'irreversible'] as const).filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      error('MG031', at,
        kinds.length === 0 ? `the rollback of step "${rs.id}" says neither how to undo it nor that it cannot be undone` : `the rollback of step "${rs.id}" gives both ${kinds.join(' and ')}`,
        'Give exactly one of sql, run or manual; nothing_to_undo with the reason; or irreversible: true with data_loss and restore.');
      return undefined;
    }
    if (r.nothing_to_undo !== undefined && r.data_loss) {
      error('MG031', at, `step "${rs.id}" says there is nothing to undo, and that undoing it loses data`,
        'A step whose undoing loses data has something to undo: give the rollback as sql, run or manual with data_loss: true and restore:, or irreversible: true.');
    }
    if (r.irreversible && r.data_loss === undefined) {
      error('MG031', at, `irreversible step "${rs.id}" does not say whether data is lost`, 'Add data_loss: true or false, and restore: how to get the data back if it is lost.');
    }
    const common = { dataLoss: r.data_loss === true, ...(r.restore !== undefined ? { restore: r.restore } : {}), span: at };
    if (r.data_loss && r.restore === undefined) {
      error('MG031', at, `step "${rs.id}" loses data on rollback but does not say how to restore it`, 'Add restore: for example "restore users.verification_date from the pre-migration backup".');
    }
    if (r.sql !== undefined) {
      const statements = parseAt([...path, 'sql'], r.sql);
      const batch = r.batch ? normalizeBatch(r.batch, [...path, 'batch'], true, statements) : undefined;
      return statements ? { kind: 'sql', statements, ...(batch ? { batch } : {}), ...common } : undefined;
    }
    if (r.batch) error('MG032', keySpan(doc, [...path, 'batch'])!, 'batch needs sql', 'Batching applies to one UPDATE, DELETE or INSERT ... SELECT given in sql.');
    if (r.run !== undefined) return { kind: 'run', command: r.run, ...common };
    if (r.manual !== undefined) return { kind: 'manual', instructions: r.manual, ...common };
    if (r.nothing_to_undo !== undefined) return { kind: 'nothing', reason: r.nothing_to_undo, ...common };
    return { kind: 'irreversible', ...common };
  }

  function normalizeVerification(v: { sql: string; expect: number | boolean | string; description?: string }, path: Path): Verification | undefined {
    const statements = parseAt([...path, 'sql'], v.sql);
    if (!statements) return undefined;
    if (statements.length !== 1 || !statements[0]!.facts.readOnlyQuery) {
      error('MG033', span([...path, 'sql']),
        statements.length !== 1 ? `a verification runs one query; this one has ${statements.length} statements` : `a verification must be a read-only SELECT; this is ${statements[0]!.facts.command}`,
        'Write one SELECT that returns a single value, for example SELECT count(*) FROM users WHERE email_verified IS NULL.');
      return undefined;
    }
    return {
      sql: statements[0]!.text, expect: parseExpectation(v.expect),
      ...(v.description !== undefined ? { description: v.description } : {}),
      span: span([...path, 'sql']),
    };
  }

  /** SQL given inline or as a file beside the plan (baseline, fixtures), parsed to catch typos early. */
  const sqlSource = (key: 'baseline' | 'fixtures', value: { sql?: string; file?: string }): { sql: string; file?: string; statements: Statement[] } | undefined => {
    if (value.sql !== undefined && value.file !== undefined) {
      error('MG034', keySpan(doc, [key])!, `${key} gives both sql and file`, 'Give the SQL inline (sql: |) or as a file beside the plan (file: ...), not both.');
      return undefined;
    }
    if (value.sql !== undefined) {
      const statements = parseAt([key, 'sql'], value.sql);
      return statements ? { sql: value.sql, statements } : undefined;
    }
    if (value.file === undefined) return undefined;
    const named = files.get(value.file);
    if (named?.kind === 'outside') {
      error('MG036', span([key, 'file']),
        `${key} file "${value.file}" ${named.link ? `is a link to ${named.resolved}, which is` : 'is'} outside the project`,
        `Files a plan names must be inside the project (the folder migc runs in), so that a plan cannot read other files on the machine. Move the file into the project, or allow its folder in migc.config.json: "allow_files_outside": ["../shared-schemas"].`);
      return undefined;
    }
    if (named?.kind !== 'read') {
      error('MG034', span([key, 'file']), `${key} file "${value.file}" cannot be read`, 'The path is relative to the plan file; check it exists and is committed.');
      return undefined;
    }
    const text = named.text;
    const tooLarge = sqlFileTooLarge(file, text, span([key, 'file']), value.file);
    if (tooLarge) {
      diagnostics.push(tooLarge);
      return undefined;
    }
    const parsed = parseSql(text);
    if (!parsed.ok) {
      error('MG020', span([key, 'file']), `SQL syntax error in ${value.file}: ${parsed.message}`, `Fix ${value.file}; it must run on PostgreSQL as it is.`);
      return undefined;
    }
    const at = span([key, 'file']);
    return { sql: text, file: value.file, statements: parsed.statements.map((s) => ({ text: s.text, ast: s.ast, facts: statementFacts(s.ast), span: at })) };
  };

  let baseline: Plan['baseline'];
  if (raw.baseline) {
    const source = sqlSource('baseline', raw.baseline);
    if (source) baseline = source;
    else if (raw.baseline.sql === undefined && raw.baseline.file === undefined) {
      error('MG034', keySpan(doc, ['baseline'])!, 'baseline needs sql or file', 'Give the schema inline (sql: |) or as a file beside the plan (file: users.baseline.sql).');
    }
  }
  let fixtures: Plan['fixtures'];
  if (raw.fixtures) {
    const { sql, file, ...tables } = raw.fixtures;
    const source = sqlSource('fixtures', { ...(sql !== undefined ? { sql } : {}), ...(file !== undefined ? { file } : {}) });
    fixtures = {
      ...(source ?? {}),
      generate: Object.entries(tables).map(([table, t]) => ({ table, rows: (t as { rows: number }).rows })),
    };
  }

  const engineVersion = raw.engine === undefined ? undefined : engineVersionOf(raw.engine);
  const planVerify = (raw.verify ?? []).flatMap((v, i) => {
    const checked = normalizeVerification(v, ['verify', i]);
    return checked ? [{
      ...checked, number: i + 1,
      ...(v.after !== undefined ? { after: v.after, afterSpan: span(['verify', i, 'after']) } : {}),
    }] : [];
  });
  const apps = (raw.apps ?? []).map((a, i): AppVersion => {
    const names = typeof a.queries === 'string' ? [a.queries] : a.queries;
    const queries = names.flatMap((name, j) => {
      const at = span(['apps', i, 'queries', ...(typeof a.queries === 'string' ? [] : [j])]);
      const named = files.get(name);
      if (named?.kind === 'outside') {
        error('MG036', at, `query file "${name}" of app ${a.version} ${named.link ? `is a link to ${named.resolved}, which is` : 'is'} outside the project`,
          'Files a plan names must be inside the project (the folder migc runs in). Move the file into the project, or allow its folder in migc.config.json: "allow_files_outside": ["../app/queries"].');
        return [];
      }
      if (named?.kind !== 'read') {
        error('MG120', at, `query file "${name}" of app ${a.version} cannot be read`, 'The path is relative to the plan file; check it exists and is committed.');
        return [];
      }
      const tooLarge = sqlFileTooLarge(file, named.text, at, name);
      if (tooLarge) {
        diagnostics.push(tooLarge);
        return [];
      }
      const read = readAppQueries(name, named.text);
      for (const p of read.problems) {
        error('MG120', at, `${name}:${p.line}: ${p.message}`, 'Give the app\'s queries as .sql (statements, $1 or :name parameters) or a pg_stat_statements export (.csv with a header, or .json rows with a "query" field).');
      }
      return read.queries;
    });
    return {
      version: a.version, ...(a.description !== undefined ? { description: a.description } : {}),
      files: names, queries, span: span(['apps', i, 'version']),
    };
  });
  const pre = raw.pre_migration ?? {};
  const plan: Plan = {
    file, id: raw.id, title: raw.title, type: raw.type, risk: raw.risk,
    ...(raw.engine !== undefined ? { engine: { name: 'postgresql' as const, ...engineVersion } } : {}),
    ...(raw.owner !== undefined ? { owner: raw.owner } : {}),
    overview: {
      ...(raw.overview?.summary !== undefined ? { summary: raw.overview.summary } : {}),
      ...(raw.overview?.estimated_downtime !== undefined ? { estimatedDowntime: raw.overview.estimated_downtime } : {}),
      ...(raw.overview?.rollback_complexity !== undefined ? { rollbackComplexity: raw.overview.rollback_complexity } : {}),
    },
    ...(raw.current_state !== undefined ? { currentState: raw.current_state } : {}),
    ...(raw.target_state !== undefined ? { targetState: raw.target_state } : {}),
    tables: tableHints(),
    ...(baseline ? { baseline } : {}),
    ...(fixtures ? { fixtures } : {}),
    settings: {
      lockTimeout: raw.settings?.lock_timeout ?? defaultLockTimeout,
      statementTimeout: raw.settings?.statement_timeout ?? defaultStatementTimeout,
      lockRetries: raw.settings?.lock_retries ?? defaultLockRetries,
    },
    preMigration: {
      ...(pre.backup ? { backup: pre.backup } : {}),
      ...(pre.disk_space !== undefined ? { diskSpace: pre.disk_space } : {}),
      notify: pre.notify ?? [],
      ...(pre.staging_test !== undefined ? { stagingTest: pre.staging_test } : {}),
      tasks: pre.tasks ?? [],
    },
    phases,
    verify: planVerify,
    codeChanges: (raw.code_changes ?? []).map((c, i) => ({ file: c.file, change: c.change, deployPhase: c.deploy_phase, span: span(['code_changes', i, 'deploy_phase']) })),
    rollbackPlan: (raw.rollback_plan ?? []).map((r, i) => ({ phase: r.phase, how: r.how, dataLoss: r.data_loss, span: span(['rollback_plan', i, 'phase']) })),
    timeline: (raw.timeline ?? []).map((m, i) => ({
      at: m.at, offsetSeconds: parseTimelineOffset(m.at), milestone: m.milestone,
      ...(m.phase !== undefined ? { phase: m.phase, phaseSpan: span(['timeline', i, 'phase']) } : {}),
      span: span(['timeline', i, 'at']),
    })),
    risks: (raw.risks ?? []).map((r) => ({ ...r })),
    apps,
    spans: { id: span(['id']), risk: span(['risk']), ...(raw.pre_migration ? { preMigration: keySpan(doc, ['pre_migration'])! } : {}), ...(raw.engine !== undefined ? { engine: span(['engine']) } : {}),
      ...(raw.settings?.statement_timeout !== undefined ? { statementTimeout: span(['settings', 'statement_timeout']) } : {}) },
  };
  diagnostics.push(...settingsDiagnostics(raw, file, span, { lockTimeout: defaultLockTimeout, statementTimeout: defaultStatementTimeout, lockRetries: defaultLockRetries }));
  if (raw.engine === undefined) {
    const sqlAt = firstSqlSpan(plan) ?? (raw.baseline ? keySpan(doc, ['baseline']) : raw.fixtures ? keySpan(doc, ['fixtures']) : undefined);
    if (sqlAt) {
      error('MG012', sqlAt, 'the plan runs SQL but names no engine',
        'Add engine: postgresql@15 (or postgresql) at the top level: the SQL analysis needs the target version. Only plans without SQL (commands and manual steps) may leave it out.');
    }
  }
  return { plan, diagnostics };
}

/** Where the plan's first SQL stands, for a diagnostic about it; undefined when it has none. */
function firstSqlSpan(plan: Plan): Span | undefined {
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    if (step.action?.kind === 'sql') return step.action.span;
    if (step.rollback?.kind === 'sql') return step.rollback.span;
    if (step.verify[0]) return step.verify[0].span;
  }
  return plan.verify[0]?.span;
}

/** A deploy as a reader reads it: the free text, or the version with its note. */
function deployText(d: string | RawDeploy): string {
  return typeof d === 'string' ? d : `app ${d.version}${d.note !== undefined ? ` (${d.note})` : ''}`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}

function optionalList<V>(value: V | undefined): V[] {
  return value === undefined ? [] : [value];
}

const operators: Record<string, ComparisonOperator> = { '=': '=', '==': '=', '!=': '<>', '<>': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** expect: 1 | true | "> 0" -> operator and value. The schema has checked the form. */
export function parseExpectation(expect: number | boolean | string): Expectation {
  if (typeof expect !== 'string') return { operator: '=', value: expect, text: `= ${expect}` };
  const m = /^(=|!=|<>|<=|>=|<|>) ?(-?\d+(?:\.\d+)?)$/.exec(expect)!;
  const operator = operators[m[1]!]!;
  return { operator, value: Number(m[2]), text: `${operator} ${m[2]}` };
}
