import { compareDiagnostics, hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import { SourceText } from './diagnostics/source-text.js';
import { runRules } from './analyze/rule.js';
import { planRules } from './analyze/rules/index.js';
import type { OutputFile } from './emit/index.js';
import type { TemplateSources } from './emit/template-names.js';
import type { Host } from './host.js';
import { loadYaml } from './load/yaml.js';
import type { Plan } from './normalize/model.js';
import { normalize } from './normalize/normalize.js';
import { loadSqlParser } from './sql/parser.js';
import { validateSchema } from './validate/schema.js';
import { posix } from 'node:path';

export interface CompileOptions {
  /** Plan files, relative to the host's root, forward slashes. */
  readonly files: readonly string[];
  /** Emit artefacts (build) or only check. Emitting needs templates. */
  readonly templates?: TemplateSources;
}

export interface PlanResult {
  readonly file: string;
  /** The normalized plan; undefined when the file could not get that far. */
  readonly plan?: Plan;
  /** Whether the plan is free of errors. Only such plans have outputs. */
  readonly ok: boolean;
  readonly outputs: readonly OutputFile[];
}

export interface CompileResult {
  readonly plans: readonly PlanResult[];
  /** Every problem found, in a stable order. */
  readonly diagnostics: readonly Diagnostic[];
  /** Texts the diagnostics point into, for rendering them. */
  readonly sources: ReadonlyMap<string, SourceText>;
}

/**
 * The pipeline: load -> validate -> normalize -> analyze -> emit, for each plan; no writes.
 * Each stage runs only on what the stage before accepted; problems are collected, not thrown.
 */
export async function compile(options: CompileOptions, host: Host): Promise<CompileResult> {
  await loadSqlParser();
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceText>();
  const checked: { file: string; plan?: Plan; diagnostics: Diagnostic[] }[] = [];

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
    own.push(...yamlProblems);
    if (hasErrors(own)) {
      checked.push({ file, diagnostics: own });
      continue;
    }
    own.push(...validateSchema(loaded));
    if (hasErrors(own)) {
      checked.push({ file, diagnostics: own });
      continue;
    }
    const baselineFile = (loaded.value as { baseline?: { file?: string } }).baseline?.file;
    const baselineText = baselineFile === undefined ? undefined : await host.readFile(posix.join(posix.dirname(file), baselineFile));
    const { plan, diagnostics: shapeProblems } = normalize(loaded, baselineText);
    own.push(...shapeProblems);
    // Rules read a complete model; on a half-built one they would report echoes of the same problem.
    if (!hasErrors(own)) own.push(...runRules(plan, planRules));
    checked.push({ file, plan, diagnostics: own });
  }

  // Two plans with one id would write over each other's outputs: neither is built.
  const byId = new Map<string, (typeof checked)[number]>();
  for (const entry of checked) {
    if (!entry.plan) continue;
    const first = byId.get(entry.plan.id);
    if (!first) {
      byId.set(entry.plan.id, entry);
      continue;
    }
    const d = (at: typeof entry, other: typeof entry): Diagnostic => ({
      code: 'MG040', severity: 'error', file: at.file, span: at.plan!.spans.id,
      message: `plan id "${at.plan!.id}" is also used by ${other.file}`,
      help: 'Give each plan its own id: outputs go to out/<id>/.',
      related: [{ file: other.file, span: other.plan!.spans.id, message: 'the other plan' }],
    });
    entry.diagnostics.push(d(entry, first));
    if (!first.diagnostics.some((x) => x.code === 'MG040')) first.diagnostics.push(d(first, entry));
  }

  let templates;
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

  const plans: PlanResult[] = [];
  for (const entry of checked) {
    entry.diagnostics.sort(compareDiagnostics);
    diagnostics.push(...entry.diagnostics);
    const ok = entry.plan !== undefined && !hasErrors(entry.diagnostics);
    let outputs: OutputFile[] = [];
    if (ok && templates) {
      const src = sources.get(entry.file)!;
      const findings = entry.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, ...src.position(d.span?.start ?? 0) }));
      try {
        outputs = emit!.emitPlan(entry.plan!, templates, findings);
      } catch (e) {
        // Only a user's template can fail here (a helper called wrongly); say which plan.
        diagnostics.push({ code: 'MG050', severity: 'error', file: entry.file, message: `a template failed while rendering this plan: ${(e as Error).message}`, help: 'Check the templates given with --templates against the built-in ones in templates/.' });
        plans.push({ file: entry.file, plan: entry.plan!, ok: false, outputs: [] });
        continue;
      }
    }
    plans.push({ file: entry.file, ...(entry.plan ? { plan: entry.plan } : {}), ok: ok && (!options.templates || templates !== undefined), outputs });
  }
  return { plans, diagnostics, sources };
}
