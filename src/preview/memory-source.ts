import { compile, type ProjectConfig } from '../compile.js';
import { plainCodeFrame } from '../diagnostics/render.js';
import type { TemplateSources } from '../emit/template-names.js';
import { memoryHost } from '../host.js';
import type { PreviewDiagnostic, PreviewPlan, PreviewSource } from './source.js';

/**
 * A PreviewSource over plan texts held in memory, each rebuilt with the real compile() when it
 * is set: for the preview's tests and its bench, and a model of what `migc watch` provides (the
 * last good outputs kept under a failing build, a revision per rebuild).
 */
export interface MemorySource extends PreviewSource {
  /** Sets (or adds) a file's text and rebuilds the plans; resolves once listeners were told. */
  set(file: string, text: string): Promise<void>;
  /** Removes a file and rebuilds. */
  remove(file: string): Promise<void>;
  /** Replaces the templates (as --templates does) and rebuilds. */
  setTemplates(templates: TemplateSources): Promise<void>;
}

export async function memorySource({ files, templates: initialTemplates, config }: { files: Readonly<Record<string, string>>; templates: TemplateSources; config?: ProjectConfig }): Promise<MemorySource> {
  let templates = initialTemplates;
  const texts: Record<string, string> = { ...files };
  const current = new Map<string, PreviewPlan>();
  const listeners = new Set<(changed: readonly string[]) => void>();
  let problems: PreviewDiagnostic[] = [];

  /** Rebuilds the plans (all of them: cross-plan checks such as MG040 read them together) and records what changed. */
  async function rebuild(): Promise<{ changed: string[]; problemsChanged: boolean }> {
    const planFiles = Object.keys(texts).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
    const result = await compile({ files: planFiles, templates, ...(config ? { config } : {}) }, memoryHost(texts));
    const changed: string[] = [];
    const next = new Map<string, PreviewPlan>();
    // The templates' problems belong to no plan: the project's, shown on every page.
    const problemsBefore = JSON.stringify(problems);
    problems = result.diagnostics.filter((d) => !planFiles.includes(d.file)).map((d) => ({
      code: d.code, severity: d.severity, message: d.message, ...(d.help ? { help: d.help } : {}), file: d.file,
      ...(d.span && result.sources.get(d.file) ? result.sources.get(d.file)!.position(d.span.start) : {}),
      ...frameOf(d, result.sources),
    }));
    for (const r of result.plans) {
      const diagnostics: PreviewDiagnostic[] = r.diagnostics.map((d) => ({
        code: d.code, severity: d.severity, message: d.message, ...(d.help ? { help: d.help } : {}), file: d.file,
        ...(d.span && result.sources.get(d.file) ? result.sources.get(d.file)!.position(d.span.start) : {}),
        ...frameOf(d, result.sources),
      }));
      const before = current.get(r.file);
      const prefix = r.id === undefined ? '' : `${r.id}/`;
      const outputs = r.ok
        ? new Map(r.outputs.map((o) => [o.path.startsWith(prefix) ? o.path.slice(prefix.length) : o.path, o.contents]))
        : before?.outputs ?? new Map<string, string>();
      const same = before !== undefined && before.ok === r.ok && sameDiagnostics(before.diagnostics, diagnostics) && sameOutputs(before.outputs, outputs);
      const plan: PreviewPlan = {
        id: r.id ?? r.file,
        file: r.file,
        ok: r.ok,
        errors: r.diagnostics.filter((d) => d.severity === 'error').length,
        warnings: r.diagnostics.filter((d) => d.severity === 'warning').length,
        ...(r.ok && r.plan ? { phases: r.plan.phases.length, risk: r.plan.risk } : before?.phases !== undefined ? { phases: before.phases, ...(before.risk !== undefined ? { risk: before.risk } : {}) } : {}),
        outputs,
        diagnostics,
        revision: same ? before.revision : (before?.revision ?? 0) + 1,
      };
      if (!same) changed.push(plan.id);
      next.set(r.file, plan);
    }
    for (const [file, plan] of current) if (!next.has(file)) changed.push(plan.id);
    current.clear();
    for (const [file, plan] of next) current.set(file, plan);
    return { changed, problemsChanged: JSON.stringify(problems) !== problemsBefore };
  }

  const tell = ({ changed, problemsChanged }: { changed: readonly string[]; problemsChanged: boolean }) => {
    if (!changed.length && !problemsChanged) return;
    for (const listener of [...listeners]) listener(changed);
  };

  await rebuild();
  return {
    plans: () => [...current.values()],
    problems: () => problems,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async set(file, text) {
      texts[file] = text;
      tell(await rebuild());
    },
    async remove(file) {
      delete texts[file];
      tell(await rebuild());
    },
    async setTemplates(next) {
      templates = next;
      tell(await rebuild());
    },
  };
}

function sameDiagnostics(a: readonly PreviewDiagnostic[], b: readonly PreviewDiagnostic[]): boolean {
  return a.length === b.length && a.every((d, i) => JSON.stringify(d) === JSON.stringify(b[i]));
}

function sameOutputs(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([path, text]) => b.get(path) === text);
}

function frameOf(d: Parameters<typeof plainCodeFrame>[0], sources: Parameters<typeof plainCodeFrame>[1]): { frame?: string } {
  const frame = plainCodeFrame(d, sources);
  return frame ? { frame } : {};
}
