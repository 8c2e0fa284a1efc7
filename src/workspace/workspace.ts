import { posix } from 'node:path';
import { runRules } from '../analyze/rule.js';
import { planRules } from '../analyze/rules/index.js';
import { checkAllowances, applyRuleSettings, resolvePlanSettings, type PlanSettings } from '../analyze/settings.js';
import { analyzePlan, type StatementAnalysis } from '../analyze/sql/analyze.js';
import { rehearsalSqlOutsideDatabase } from '../analyze/sql-rules/outside-database.js';
import { compareDiagnostics, hasErrors, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { SourceText } from '../diagnostics/source-text.js';
import type { OutputFile } from '../emit/index.js';
import type { TemplateSources } from '../emit/template-names.js';
import type { Templates } from '../emit/templates.js';
import type { Host } from '../host.js';
import { loadYaml, type LoadedFile } from '../load/yaml.js';
import { planNamedFiles, readNamedFiles, type NamedFile } from '../named-files.js';
import { appCompatibility } from '../analyze/compat/check.js';
import type { Plan, Statement } from '../normalize/model.js';
import { normalize } from '../normalize/normalize.js';
import { loadSqlParser } from '../sql/parser.js';
import { planMajorProblem } from '../normalize/postgres-versions.js';
import { validateSchema } from '../validate/schema.js';
import type { ProjectConfig } from './config.js';

/** The pipeline's stages, in order. Each runs per plan file and is cached per file. */
export const stages = ['load', 'validate', 'normalize', 'analyze', 'emit'] as const;
export type Stage = (typeof stages)[number];

export interface PlanResult {
  readonly file: string;
  /** The normalized plan; undefined when the file could not get that far. */
  readonly plan?: Plan;
  /** Locks, effects and durations of every statement, from the SQL analysis. */
  readonly analysis?: ReadonlyMap<Statement, StatementAnalysis>;
  /** The settings the plan was analysed with (and is emitted and rehearsed with). */
  readonly settings?: PlanSettings;
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
  /** The templates the outputs were rendered with, compiled once (verify --report renders again with them). */
  readonly templates?: Templates;
}

export interface WorkspaceOptions {
  /** Where the project's files are read: the disk (nodeHost) or memory (memoryHost). */
  readonly host: Host;
  /** Plan files, relative to the host's root, forward slashes. */
  readonly files?: readonly string[];
  readonly config?: ProjectConfig;
  /** Emit artefacts (build) or only check. */
  readonly templates?: TemplateSources;
  /** Called each time a stage runs for a file (not when its cached result is reused). */
  readonly onStage?: (stage: Stage, file: string) => void;
}

/**
 * The long-lived core: a project's plans, config and templates, with each stage's result
 * cached per plan file and invalidated by content and by what it read. build() runs only the
 * stages whose inputs changed; everything the CLI, watch, and the preview show comes from it.
 */
export interface Workspace {
  /** The plan files (added and removed plans: the list is replaced). */
  setFiles(files: readonly string[]): void;
  /** A new config (or none): every plan is analysed again, and read again when it changes allow_files_outside. */
  setConfig(config: ProjectConfig | undefined): void;
  /** New templates (or none, to check only): compiled once, here, when their text changed. */
  setTemplates(templates: TemplateSources | undefined): void;
  /** An editor buffer or a test's text standing in for a file; undefined removes the overlay. */
  setOverlay(path: string, text: string | undefined): void;
  /** The file changed on the host (written, added, removed): its next read goes to the host. */
  fileChanged(path: string): void;
  /** The plan files whose last build read this file (the plan itself, its baseline, fixtures). */
  plansReading(path: string): readonly string[];
  /** Every file the last build read besides the plans themselves (baselines, fixtures), sorted: what a watcher must watch. */
  dependencies(): readonly string[];
  /** The whole workspace's result; only stale stages run. */
  build(): Promise<CompileResult>;
}

/** A host whose answers are kept until told a file changed, with overlays over it. */
class FileCache implements Host {
  private readonly texts = new Map<string, Promise<string | undefined>>();
  private readonly reals = new Map<string, Promise<string | undefined>>();
  readonly overlays = new Map<string, string>();

  constructor(private readonly host: Host) {}

  readFile(path: string): Promise<string | undefined> {
    const overlay = this.overlays.get(path);
    if (overlay !== undefined) return Promise.resolve(overlay);
    let text = this.texts.get(path);
    if (!text) this.texts.set(path, (text = this.host.readFile(path)));
    return text;
  }

  realPath(path: string): Promise<string | undefined> {
    if (this.overlays.has(path)) return Promise.resolve(posix.normalize(path));
    let real = this.reals.get(path);
    if (!real) this.reals.set(path, (real = this.host.realPath(path)));
    return real;
  }

  forget(path: string): void {
    this.texts.delete(path);
    // Where links lead can change with any change of the tree: cheap to ask again.
    this.reals.clear();
  }
}

interface Parsed {
  readonly text: string;
  readonly source: SourceText;
  readonly loaded?: LoadedFile;
  /** YAML and schema problems; stop here when they hold an error. */
  readonly diagnostics: readonly Diagnostic[];
}

interface Normalized {
  readonly parsed: Parsed;
  readonly allowed: readonly string[] | undefined;
  /** The files the plan names, as read: compared with a fresh read (from the cache) to see they changed. */
  readonly named: ReadonlyMap<string, NamedFile>;
  readonly plan: Plan;
  readonly diagnostics: readonly Diagnostic[];
}

interface Analyzed {
  readonly normalized: Normalized;
  readonly config: ProjectConfig | undefined;
  readonly settings?: PlanSettings;
  readonly analysis?: ReadonlyMap<Statement, StatementAnalysis>;
  /** Every problem of the file up to here, sorted. */
  readonly diagnostics: readonly Diagnostic[];
}

interface Emitted {
  readonly analyzed: Analyzed;
  readonly templates: Templates;
  readonly outputs: readonly OutputFile[];
  readonly diagnostics: readonly Diagnostic[];
}

interface Entry {
  parsed?: Parsed;
  normalized?: Normalized;
  analyzed?: Analyzed;
  emitted?: Emitted;
  /** Files the last build of this plan read: the plan, and its named files as written and as resolved. */
  reads: ReadonlySet<string>;
}

function sameNamed(a: ReadonlyMap<string, NamedFile>, b: ReadonlyMap<string, NamedFile>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y || x.kind !== y.kind) return false;
    if (x.kind === 'read' && x.text !== (y as typeof x).text) return false;
    if (x.kind === 'outside' && (x.resolved !== (y as typeof x).resolved || x.link !== (y as typeof x).link)) return false;
  }
  return true;
}

function namedFileNames(loaded: LoadedFile): string[] {
  // Baseline, fixtures, and the app versions' query files: a change to any of them re-checks the plan.
  return planNamedFiles(loaded.value);
}

/** Where a name a plan gives is, relative to the project (as readNamedFiles resolves it). */
function namedPath(planFile: string, name: string): string {
  const slashed = name.replace(/\\/g, '/');
  return posix.isAbsolute(slashed) ? slashed : posix.normalize(posix.join(posix.dirname(planFile), slashed));
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

/** All diagnostics of a result set, templates' first, then file by file. */
export function allDiagnostics(global: readonly Diagnostic[], plans: readonly PlanResult[]): Diagnostic[] {
  const out = [...global];
  // One by one: push(...items) overflows the call stack past some hundred thousand.
  for (const p of plans) for (const d of p.diagnostics) out.push(d);
  return out;
}

export function createWorkspace(options: WorkspaceOptions): Workspace {
  const cache = new FileCache(options.host);
  const entries = new Map<string, Entry>();
  let files: readonly string[] = [...(options.files ?? [])];
  let config = options.config;
  let templateSources = options.templates;
  let templates: { sources: TemplateSources; compiled?: Templates; diagnostics: readonly Diagnostic[] } | undefined;
  const onStage = options.onStage ?? (() => {});
  // The parser's WebAssembly compiles off the main thread while the first YAML is read.
  let parserReady: Promise<void> | undefined;

  async function compiledTemplates() {
    if (!templateSources) return undefined;
    const same = templates && Object.entries(templateSources).every(([name, s]) => {
      const had = templates!.sources[name as keyof TemplateSources];
      return had.file === s.file && had.text === s.text;
    });
    if (!same) {
      const { compileTemplates } = await import('../emit/templates.js');
      const compiled = compileTemplates(templateSources);
      templates = { sources: templateSources, ...(compiled.templates ? { compiled: compiled.templates } : {}), diagnostics: compiled.diagnostics };
    }
    return templates;
  }

  async function parse(file: string, entry: Entry, text: string): Promise<Parsed> {
    if (entry.parsed?.text === text) return entry.parsed;
    onStage('load', file);
    const source = new SourceText(text);
    const { loaded, diagnostics } = loadYaml(file, text);
    if (hasErrors(diagnostics)) return { text, source, diagnostics };
    onStage('validate', file);
    return { text, source, loaded, diagnostics: [...diagnostics, ...validateSchema(loaded)] };
  }

  async function planOf(file: string, entry: Entry, parsed: Parsed): Promise<{ normalized: Normalized; reads: Set<string> }> {
    const names = namedFileNames(parsed.loaded!);
    const allowed = config?.allowFilesOutside;
    const named = await readNamedFiles(cache, file, names, allowed);
    const reads = new Set([file]);
    for (const name of names) {
      const path = namedPath(file, name);
      reads.add(path);
      const real = await cache.realPath(path);
      if (real !== undefined) reads.add(real);
    }
    const had = entry.normalized;
    if (had && had.parsed === parsed && had.allowed === allowed && sameNamed(had.named, named)) return { normalized: had, reads };
    parserReady ??= loadSqlParser();
    await parserReady;
    onStage('normalize', file);
    const { plan, diagnostics } = normalize(parsed.loaded!, named);
    return { normalized: { parsed, allowed, named, plan, diagnostics }, reads };
  }

  function analyze(file: string, entry: Entry, normalized: Normalized): Analyzed {
    const had = entry.analyzed;
    if (had && had.normalized === normalized && had.config === config) return had;
    onStage('analyze', file);
    const own = [...normalized.parsed.diagnostics, ...normalized.diagnostics];
    // Rules read a complete model; on a half-built one they would report echoes of the same problem.
    if (hasErrors(own)) return { normalized, config, diagnostics: own.sort(compareDiagnostics) };
    const plan = normalized.plan;
    const settings = resolvePlanSettings(plan, config);
    // A plan without a version of its own takes the config's, which lint may set to 10.
    const tooOld = plan.engine && plan.engine.major === undefined ? planMajorProblem(settings.postgres.major) : undefined;
    if (tooOld) {
      const diagnostics = [...own, { code: 'MG119', severity: 'error' as const, file, span: plan.spans.engine ?? plan.spans.id, message: `engine postgresql takes its version from ${settings.postgres.source}: ${tooOld}`, help: 'Name the version the plan targets (engine: postgresql@15); the config\'s postgres 10 still serves migc lint.' }].sort(compareDiagnostics);
      return { normalized, config, diagnostics };
    }
    const sql = analyzePlan(plan, { settings });
    const found = applyRuleSettings([...runRules(plan, planRules, settings, sql.statements), ...sql.diagnostics, ...rehearsalSqlOutsideDatabase(plan), ...appCompatibility(plan).diagnostics], settings.rules);
    const diagnostics = [...own, ...checkAllowances(plan), ...found].sort(compareDiagnostics);
    return { normalized, config, settings, analysis: sql.statements, diagnostics };
  }

  async function emit(file: string, entry: Entry, analyzed: Analyzed, compiled: Templates): Promise<Emitted> {
    const had = entry.emitted;
    if (had && had.analyzed === analyzed && had.templates === compiled) return had;
    onStage('emit', file);
    const { emitPlan } = await import('../emit/index.js');
    const source = analyzed.normalized.parsed.source;
    const findings = analyzed.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, ...source.position(d.span?.start ?? 0) }));
    try {
      const emitted = emitPlan({ plan: analyzed.normalized.plan, templates: compiled, findings, analysis: analyzed.analysis!, settings: analyzed.settings! });
      return { analyzed, templates: compiled, outputs: emitted.outputs, diagnostics: emitted.diagnostics };
    } catch (e) {
      // Only a user's template can fail here (a helper called wrongly); say which plan.
      const d: Diagnostic = { code: 'MG050', severity: 'error', file, message: `a template failed while rendering this plan: ${(e as Error).message}`, help: 'Check the templates given with --templates against the built-in ones in templates/.' };
      return { analyzed, templates: compiled, outputs: [], diagnostics: [d] };
    }
  }

  /** One plan through load, validate, normalize and analyze (emit waits for linking). */
  async function check(file: string): Promise<{ file: string; analyzed?: Analyzed; parsed?: Parsed; unreadable?: Diagnostic }> {
    let entry = entries.get(file);
    if (!entry) entries.set(file, (entry = { reads: new Set([file]) }));
    const text = await cache.readFile(file);
    if (text === undefined) {
      entry.reads = new Set([file]);
      return { file, unreadable: { code: 'MG000', severity: 'error', file, message: `cannot read ${file}`, help: 'Check the path and that the file is readable.' } };
    }
    const parsed = await parse(file, entry, text);
    entry.parsed = parsed;
    if (!parsed.loaded || hasErrors(parsed.diagnostics)) {
      entry.reads = new Set([file]);
      return { file, parsed };
    }
    const { normalized, reads } = await planOf(file, entry, parsed);
    entry.normalized = normalized;
    entry.reads = reads;
    entry.analyzed = analyze(file, entry, normalized);
    return { file, parsed, analyzed: entry.analyzed };
  }

  return {
    setFiles(next) {
      files = [...next];
      const keep = new Set(files);
      for (const file of entries.keys()) if (!keep.has(file)) entries.delete(file);
    },
    setConfig(next) {
      config = next;
    },
    setTemplates(next) {
      templateSources = next;
    },
    setOverlay(path, text) {
      if (text === undefined) cache.overlays.delete(path);
      else cache.overlays.set(path, text);
    },
    fileChanged(path) {
      cache.forget(path);
    },
    dependencies() {
      const plans = new Set(files);
      const all = new Set<string>();
      for (const entry of entries.values()) for (const path of entry.reads) if (!plans.has(path)) all.add(path);
      return [...all].sort();
    },
    plansReading(path) {
      return files.filter((f) => f === path || entries.get(f)?.reads.has(path));
    },
    async build() {
      parserReady ??= loadSqlParser();
      const checked = await Promise.all(files.map(check));
      await parserReady; // even when no plan got as far as SQL: a failed load must not go unhandled
      const t = await compiledTemplates();
      const sources = new Map<string, SourceText>();
      for (const c of checked) if (c.parsed) sources.set(c.file, c.parsed.source);
      if (t) for (const s of Object.values(t.sources)) if (!sources.has(s.file)) sources.set(s.file, new SourceText(s.text));

      const linked = linkPlans(checked.map((c): PlanResult => {
        if (c.unreadable) return { file: c.file, ok: false, outputs: [], diagnostics: [c.unreadable] };
        const a = c.analyzed;
        if (!a) return { file: c.file, ok: false, outputs: [], diagnostics: [...c.parsed!.diagnostics].sort(compareDiagnostics) };
        const plan = a.normalized.plan;
        return {
          file: c.file, plan, id: plan.id, idSpan: plan.spans.id,
          ...(a.analysis ? { analysis: a.analysis } : {}), ...(a.settings ? { settings: a.settings } : {}),
          ok: !hasErrors(a.diagnostics), outputs: [], diagnostics: a.diagnostics,
        };
      }));

      const plans: PlanResult[] = [];
      for (const [index, result] of linked.entries()) {
        const analyzed = checked[index]!.analyzed;
        // Without templates nothing is emitted; with broken ones no plan is built.
        if (!result.ok || !templateSources) {
          plans.push(result);
          continue;
        }
        if (!t?.compiled || !analyzed) {
          plans.push({ ...result, ok: false });
          continue;
        }
        const entry = entries.get(result.file)!;
        const emitted = await emit(result.file, entry, analyzed, t.compiled);
        entry.emitted = emitted;
        plans.push(emitted.diagnostics.length
          ? { ...result, ok: false, diagnostics: [...result.diagnostics, ...emitted.diagnostics] }
          : { ...result, outputs: emitted.outputs });
      }
      return { plans, diagnostics: allDiagnostics(t?.diagnostics ?? [], plans), sources, ...(t?.compiled ? { templates: t.compiled } : {}) };
    },
  };
}
