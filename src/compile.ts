import { compareDiagnostics, hasErrors, type Diagnostic, type Severity, type Span } from './diagnostics/diagnostic.js';
import { analyzePlan, type StatementAnalysis } from './analyze/sql/analyze.js';
import { defaultPostgresMajor } from './analyze/sql/context.js';
import { analysisSettings, checkAllowances, applyRuleSettings, type AnalysisSettings } from './analyze/settings.js';
import type { Statement } from './normalize/model.js';
import { SourceText } from './diagnostics/source-text.js';
import { runRules } from './analyze/rule.js';
import { planRules } from './analyze/rules/index.js';
import { rehearsalSqlOutsideDatabase } from './analyze/sql-rules/outside-database.js';
import type { OutputFile } from './emit/index.js';
import type { TemplateSources } from './emit/template-names.js';
import type { Templates } from './emit/templates.js';
import type { Host } from './host.js';
import { loadYaml } from './load/yaml.js';
import type { Plan } from './normalize/model.js';
import { normalize } from './normalize/normalize.js';
import { loadSqlParser } from './sql/parser.js';
import { validateSchema } from './validate/schema.js';
import { namedFileKeys, readNamedFiles } from './named-files.js';

export interface CompileOptions {
  /** Plan files, relative to the host's root, forward slashes. */
  readonly files: readonly string[];
  /** Emit artefacts (build) or only check. Emitting needs templates. */
  readonly templates?: TemplateSources;
  /** The project's settings (migc.config.json): target PostgreSQL version, rule severities. */
  readonly config?: ProjectConfig;
}

export interface ProjectConfig {
  /** PostgreSQL major version for plans whose engine names none. */
  readonly postgres?: number;
  /** Severity per rule code, or "off". */
  readonly rules?: Readonly<Record<string, Severity | 'off'>>;
  /** Rows per table, over plans' size hints (--assume-rows). */
  readonly assumeRows?: ReadonlyMap<string, number>;
  /** Folders outside the project, relative to it, whose files plans may name (allow_files_outside). */
  readonly allowFilesOutside?: readonly string[];
  /** Draw timelines to SVG on every build, as --svg does. */
  readonly svg?: boolean;
}

export interface PlanResult {
  readonly file: string;
  /** The normalized plan; undefined when the file could not get that far (or crossed a thread). */
  readonly plan?: Plan;
  /** Locks, effects and durations of every statement, from the SQL analysis (in-process only). */
  readonly analysis?: ReadonlyMap<Statement, StatementAnalysis>;
  /** The target version and table sizes the analysis used, with their sources. */
  readonly settings?: AnalysisSettings;
  /** The plan's id and where it is written, once known. */
  readonly id?: string;
  readonly idSpan?: Span;
  /** Whether the plan is free of errors. Only such plans have outputs. */
  readonly ok: boolean;
  readonly outputs: readonly OutputFile[];
  /** This file's problems, in a stable order. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileResult {
  readonly plans: readonly PlanResult[];
  /** Every problem found (templates first, then by file), in a stable order. */
  readonly diagnostics: readonly Diagnostic[];
  /** Texts the diagnostics point into, for rendering them. */
  readonly sources: ReadonlyMap<string, SourceText>;
}

/**
 * Checks across plans: two plans with one id would write over each other's outputs, so
 * neither is built. Idempotent, so results linked in parts can be linked again as a whole.
 */
export function linkPlans(results: readonly PlanResult[]): PlanResult[] {
  const first = new Map<string, PlanResult>();
  const clash = new Map<string, PlanResult>();
  for (const r of results) {
    if (r.id === undefined) continue;
    const earlier = first.get(r.id);
    if (!earlier) first.set(r.id, r);
    else {
      clash.set(r.file, earlier);
      if (!clash.has(earlier.file)) clash.set(earlier.file, r);
    }
  }
  return results.map((r) => {
    const other = clash.get(r.file);
    if (!other || r.diagnostics.some((d) => d.code === 'MG040')) return r;
    const d: Diagnostic = {
      code: 'MG040', severity: 'error', file: r.file, ...(r.idSpan ? { span: r.idSpan } : {}),
      message: `plan id "${r.id}" is also used by ${other.file}`,
      help: 'Give each plan its own id: outputs go to out/<id>/.',
      related: [{ file: other.file, ...(other.idSpan ? { span: other.idSpan } : {}), message: 'the other plan' }],
    };
    return { ...r, ok: false, outputs: [], diagnostics: [...r.diagnostics, d].sort(compareDiagnostics) };
  });
}

/** Adds items one by one: push(...items) overflows the call stack past some hundred thousand. */
function append<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

/** All diagnostics of a result set, templates' first, then file by file. */
export function allDiagnostics(global: readonly Diagnostic[], plans: readonly PlanResult[]): Diagnostic[] {
  return [...global, ...plans.flatMap((p) => p.diagnostics)];
}

/**
 * The pipeline: load -> validate -> normalize -> analyze -> emit, for each plan; no writes.
 * Each stage runs only on what the stage before accepted; problems are collected, not thrown.
 */
export async function compile(options: CompileOptions, host: Host): Promise<CompileResult> {
  // The parser's WebAssembly compiles off the main thread while YAML is read and validated.
  const parserReady = loadSqlParser();
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceText>();
  const checked: { file: string; plan?: Plan; diagnostics: Diagnostic[]; analysis?: ReadonlyMap<Statement, StatementAnalysis>; settings?: AnalysisSettings }[] = [];

  // Read every plan up front, concurrently: one await per file in turn leaves the process idle.
  const texts = await Promise.all(options.files.map((file) => host.readFile(file)));
  for (const [index, file] of options.files.entries()) {
    const text = texts[index];
    if (text === undefined) {
      checked.push({ file, diagnostics: [{ code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the path and that the file is readable.' }] });
      continue;
    }
    sources.set(file, new SourceText(text));
    const own: Diagnostic[] = [];
    const { loaded, diagnostics: yamlProblems } = loadYaml(file, text);
    append(own, yamlProblems);
    if (hasErrors(own)) {
      checked.push({ file, diagnostics: own });
      continue;
    }
    append(own, validateSchema(loaded));
    if (hasErrors(own)) {
      checked.push({ file, diagnostics: own });
      continue;
    }
    // Files the plan names (baseline, fixtures), relative to the plan, read only inside the project.
    const names = namedFileKeys.map(([key, prop]) => (loaded.value as Record<string, Record<string, unknown> | undefined>)[key]?.[prop]);
    const referenced = await readNamedFiles(host, file, names.filter((n): n is string => typeof n === 'string'), options.config?.allowFilesOutside);
    await parserReady;
    const { plan, diagnostics: shapeProblems } = normalize(loaded, referenced);
    append(own, shapeProblems);
    // Rules read a complete model; on a half-built one they would report echoes of the same problem.
    let analysis: ReadonlyMap<Statement, StatementAnalysis> | undefined;
    let settings: AnalysisSettings | undefined;
    if (!hasErrors(own)) {
      append(own, checkAllowances(plan));
      settings = analysisSettings(plan, options.config, defaultPostgresMajor);
      const sql = analyzePlan(plan, { postgres: settings.postgres.major, ...(options.config?.assumeRows ? { assumeRows: options.config.assumeRows } : {}) });
      append(own, applyRuleSettings([...runRules(plan, planRules), ...sql.diagnostics, ...rehearsalSqlOutsideDatabase(plan)], options.config?.rules));
      analysis = sql.statements;
    }
    checked.push({ file, plan, diagnostics: own, ...(analysis ? { analysis } : {}), ...(settings ? { settings } : {}) });
  }

  await parserReady; // even when no plan got as far as SQL: a failed load must not go unhandled

  let templates: Templates | undefined;
  // Emitters (and Handlebars) load only when building: `migc check` starts faster without them.
  const emit = options.templates ? await import('./emit/index.js') : undefined;
  if (options.templates) {
    const { compileTemplates } = await import('./emit/templates.js');
    const compiled = compileTemplates(options.templates);
    diagnostics.push(...compiled.diagnostics);
    for (const [file, t] of Object.values(options.templates).map((t) => [t.file, t.text] as const)) {
      if (!sources.has(file)) sources.set(file, new SourceText(t));
    }
    templates = compiled.templates;
  }

  const linked = linkPlans(checked.map((entry) => ({
    file: entry.file,
    ...(entry.plan ? { plan: entry.plan, id: entry.plan.id, idSpan: entry.plan.spans.id } : {}),
    ...(entry.analysis ? { analysis: entry.analysis } : {}),
    ...(entry.settings ? { settings: entry.settings } : {}),
    ok: entry.plan !== undefined && !hasErrors(entry.diagnostics),
    outputs: [],
    diagnostics: [...entry.diagnostics].sort(compareDiagnostics),
  })));

  const plans = linked.map((result): PlanResult => {
    if (!result.ok || !templates) return { ...result, ok: result.ok && (!options.templates || templates !== undefined) };
    const src = sources.get(result.file)!;
    const findings = result.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, ...src.position(d.span?.start ?? 0) }));
    try {
      const emitted = emit!.emitPlan(result.plan!, templates, findings, {
        ...(result.analysis ? { analysis: result.analysis } : {}),
        ...(result.settings ? { settings: result.settings } : {}),
      });
      if (emitted.diagnostics.length) return { ...result, ok: false, diagnostics: [...result.diagnostics, ...emitted.diagnostics] };
      return { ...result, outputs: emitted.outputs };
    } catch (e) {
      // Only a user's template can fail here (a helper called wrongly); say which plan.
      const d: Diagnostic = { code: 'MG050', severity: 'error', file: result.file, message: `a template failed while rendering this plan: ${(e as Error).message}`, help: 'Check the templates given with --templates against the built-in ones in templates/.' };
      return { ...result, ok: false, diagnostics: [...result.diagnostics, d] };
    }
  });
  return { plans, diagnostics: allDiagnostics(diagnostics, plans), sources };
}
