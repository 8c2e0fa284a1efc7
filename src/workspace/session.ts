import { countBySeverity, type Diagnostic } from '../diagnostics/diagnostic.js';
import { plainCodeFrame } from '../diagnostics/render.js';
import type { SourceText } from '../diagnostics/source-text.js';
import type { Host } from '../host.js';
import type { PreviewDiagnostic, PreviewPlan, PreviewSource } from '../preview/source.js';
import type { PlanToWrite, WriteAllResult } from '../write/write.js';
import { loadProjectConfig, withAssumedRows, type ProjectConfig } from './config.js';
import { loadTemplateSources } from './templates.js';
import { createWorkspace, type CompileResult, type PlanResult, type Stage, type Workspace } from './workspace.js';

/** A file event, as a watcher reports it; paths relative to the project, forward slashes. */
export interface FileEvent {
  readonly kind: 'add' | 'change' | 'unlink';
  readonly path: string;
}

/** A second look at files a rebuild read, after the watcher's own throttle window: see recheckMs. */
interface Recheck {
  readonly kind: 'recheck';
  readonly path: string;
}

/** What one rebuild did, for its status line (and for tests and the bench). */
export interface Rebuild {
  /** The plan files rebuilt (their stages ran or their result changed), sorted. */
  readonly files: readonly string[];
  /** Plan files that went away. */
  readonly removed: readonly string[];
  readonly ms: number;
  /** Of ms, the time spent in the workspace's build, and in writing the outputs. */
  readonly buildMs: number;
  readonly writeMs: number;
  readonly errors: number;
  readonly warnings: number;
  /** One line saying so: which plan, how long, errors and warnings, what was written. */
  readonly line: string;
}

export interface SessionReporter {
  /** After each rebuild (and the first build): exactly one status line. */
  rebuilt(rebuild: Rebuild): void;
  /** The problems of the plans just rebuilt (and the config's, when it has some). */
  diagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>): void;
  /** Something the user should know that is not a plan's problem (a write failure, a removed plan's outputs kept). */
  note(message: string): void;
}

export interface SessionOptions {
  /** The project, read fresh (the workspace keeps its own cache). */
  readonly host: Host;
  /** The plan files found at start. */
  readonly files: readonly string[];
  /** Whether a file a watcher reports (added, removed) is one of the plans watched. */
  readonly isPlan: (path: string) => boolean;
  /** The config file (relative to the project); given means it must exist. */
  readonly config?: { readonly file: string; readonly given: boolean };
  /** --assume-rows, over the config, on every reload of it. */
  readonly assumeRows?: readonly string[];
  /** The --templates folder, relative to the project, when given. */
  readonly templatesDir?: string;
  /** Where outputs go: src/write, behind the lock, each plan folder swapped whole. */
  readonly write: (plans: readonly PlanToWrite[]) => Promise<WriteAllResult>;
  /** How the output folder is named in messages (out). */
  readonly outDisplay: string;
  /** Whether <out>/<id>/ holds a build of the plan already (else "left as it was" would be untrue). */
  readonly hasOutputs?: (id: string) => Promise<boolean>;
  readonly reporter: SessionReporter;
  /** Events closer together than this are one save (truncate then write; unlink then add). */
  readonly quietMs?: number;
  /**
   * After a rebuild, the files it was for are read again this much later, and rebuilt only if
   * they differ from what was built: watchers drop events (chokidar reports at most one change
   * per file in 50 ms), so the last write of a save could otherwise go unseen.
   */
  readonly recheckMs?: number;
  readonly onStage?: (stage: Stage, file: string) => void;
}

export interface WatchSession {
  /** The first build; every plan written that has no errors. */
  start(): Promise<Rebuild>;
  /** Files changed: rebuilt once they have been quiet for quietMs. */
  changed(events: readonly FileEvent[]): void;
  /** Resolves when nothing is pending and no rebuild is running. */
  settled(): Promise<void>;
  /** Stops taking changes; resolves once a rebuild under way has finished writing. */
  close(): Promise<void>;
  /** Files the plans read besides themselves (baselines, fixtures): to watch too. */
  dependencies(): readonly string[];
  /** The preview's view of the session: last good outputs, revisions, change notifications. */
  readonly preview: PreviewSource;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Whether a plan's result says nothing new: the workspace returns the same outputs while a plan's
 * inputs are unchanged, but a plan with errors gets a fresh empty list each build, and its MG040
 * a fresh object, so those compare by value.
 */
function samePlanResult(a: PlanResult | undefined, b: PlanResult): boolean {
  if (!a || a.ok !== b.ok || a.id !== b.id) return false;
  if (a.outputs !== b.outputs && (a.outputs.length || b.outputs.length)) return false;
  if (a.diagnostics === b.diagnostics) return true;
  return a.diagnostics.length === b.diagnostics.length && a.diagnostics.every((d, i) => d === b.diagnostics[i] || JSON.stringify(d) === JSON.stringify(b.diagnostics[i]));
}

function previewDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, SourceText>): PreviewDiagnostic {
  const at = d.span ? sources.get(d.file)?.position(d.span.start) : undefined;
  const frame = plainCodeFrame(d, sources);
  return { code: d.code, severity: d.severity, message: d.message, ...(d.help ? { help: d.help } : {}), file: d.file, ...(at ? { line: at.line, column: at.column } : {}), ...(frame ? { frame } : {}) };
}

/**
 * A watch session over a workspace: takes file events, rebuilds what they affect once they are
 * quiet, writes the plans whose outputs changed (a plan with errors keeps its previous outputs),
 * and keeps, per plan, the last good outputs and a revision for the preview. No watcher and no
 * disk here: the CLI feeds events (chokidar) and the writer (src/write).
 */
export function createWatchSession(options: SessionOptions): WatchSession {
  const quietMs = options.quietMs ?? 15;
  const recheckMs = options.recheckMs ?? 75;
  let recheckTimer: ReturnType<typeof setTimeout> | undefined;
  let toRecheck = new Set<string>();
  let planFiles = new Set(options.files);
  let config: ProjectConfig | undefined;
  /**
   * Each file's text as last read to build (undefined: gone), or as an event last found it. An
   * event that finds a file as it was is the echo of a save already built (a watcher's second
   * event for one rename, the second look after a rebuild) or a save that changed nothing: it
   * rebuilds nothing, so each save prints one line.
   */
  const seen = new Map<string, string | undefined>();
  const host: Host = {
    async readFile(path) {
      const text = await options.host.readFile(path);
      seen.set(path, text);
      return text;
    },
    realPath: (path) => options.host.realPath(path),
  };
  const ws: Workspace = createWorkspace({ host, files: [...planFiles].sort(), ...(options.onStage ? { onStage: options.onStage } : {}) });
  let previous = new Map<string, PlanResult>();
  /** The outputs last written per plan file (by identity: the workspace returns the same array while nothing changed). */
  const written = new Map<string, PlanResult['outputs']>();
  const knownIds = new Map<string, string>();
  /** Ids whose outputs this session wrote. */
  const writtenIds = new Set<string>();
  const state = new Map<string, PreviewPlan>();
  const listeners = new Set<(changed: readonly string[]) => void>();
  /**
   * Problems of the project rather than of one plan: the config's (while it has errors) and the
   * templates' (which stop every plan from being built). Printed when they change, counted in
   * each status line while they last, and shown on every page of the preview.
   */
  let configProblems: { diagnostics: readonly Diagnostic[]; sources: ReadonlyMap<string, SourceText> } | undefined;
  let templateProblems: { diagnostics: readonly Diagnostic[]; sources: ReadonlyMap<string, SourceText> } = { diagnostics: [], sources: new Map() };
  let projectShown: readonly PreviewDiagnostic[] = [];
  let pending: (FileEvent | Recheck)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  const idle: (() => void)[] = [];

  async function loadConfig(): Promise<boolean> {
    const loaded = await loadProjectConfig(host, options.config?.given ? options.config.file : undefined);
    if (loaded.diagnostics.some((d) => d.severity === 'error')) {
      options.reporter.diagnostics(loaded.diagnostics, loaded.sources);
      options.reporter.note(`${loaded.file ?? 'the config'} has errors: the previous settings stay until it is fixed`);
      configProblems = { diagnostics: loaded.diagnostics, sources: loaded.sources };
      return false;
    }
    configProblems = undefined;
    const flagged = withAssumedRows(loaded.config, options.assumeRows);
    config = flagged.ok ? flagged.config : loaded.config; // the flags were checked before the session started
    ws.setConfig(config);
    return true;
  }

  async function loadTemplates(): Promise<void> {
    ws.setTemplates(await loadTemplateSources(host, options.templatesDir));
  }

  /** Updates the preview's view of each plan that changed; returns the ids that did. */
  function updatePreview(result: CompileResult, rebuilt: ReadonlySet<string>, removed: readonly string[]): string[] {
    const changed: string[] = [];
    for (const file of removed) {
      const had = state.get(file);
      if (had) changed.push(had.id);
      state.delete(file);
    }
    for (const p of result.plans) {
      const had = state.get(p.file);
      if (had && !rebuilt.has(p.file)) continue;
      const counts = countBySeverity(p.diagnostics);
      const good = p.ok && p.plan !== undefined;
      const id = p.id ?? had?.id ?? p.file;
      const next: PreviewPlan = {
        id,
        file: p.file,
        ok: p.ok,
        errors: counts.error,
        warnings: counts.warning,
        // A plan that normalized (its errors are the rules') still says what it is.
        ...(p.plan ? { phases: p.plan.phases.length, risk: p.plan.risk } : had?.phases !== undefined ? { phases: had.phases, ...(had.risk ? { risk: had.risk } : {}) } : {}),
        outputs: good ? new Map(p.outputs.map((o) => [o.path.slice(p.id!.length + 1), o.contents])) : had?.outputs ?? new Map(),
        diagnostics: p.diagnostics.map((d) => previewDiagnostic(d, result.sources)),
        revision: (had?.revision ?? 0) + 1,
      };
      state.set(p.file, next);
      changed.push(id);
      if (had && had.id !== id) changed.push(had.id);
    }
    return [...new Set(changed)].sort();
  }

  /** The project's problems as the preview shows them; tells listeners when they changed. */
  function updateProjectProblems(): boolean {
    const next = [
      ...(configProblems?.diagnostics ?? []).map((d) => previewDiagnostic(d, configProblems!.sources)),
      ...templateProblems.diagnostics.map((d) => previewDiagnostic(d, templateProblems.sources)),
    ];
    if (JSON.stringify(next) === JSON.stringify(projectShown)) return false;
    projectShown = next;
    return true;
  }

  function tell(changedIds: readonly string[]) {
    for (const l of [...listeners]) l(changedIds);
  }

  /** Builds, writes what changed, reports. `touched` are plan files whose inputs changed. */
  async function rebuild(touched: ReadonlySet<string>, removedFiles: readonly string[], started: number, first: boolean): Promise<Rebuild | undefined> {
    const buildStarted = performance.now();
    let result = await ws.build();
    // A plan file gone by the time it was read is a removed plan, not an unreadable one: a
    // rename reports the new name first and the old one's removal about 100 ms later, and a
    // second look can find a file already gone whose removal is still to be reported.
    const removed = [...removedFiles];
    const gone: string[] = [];
    for (const p of result.plans) {
      if (!p.diagnostics.some((d) => d.code === 'MG000')) continue;
      if ((await options.host.readFile(p.file)) === undefined) gone.push(p.file);
    }
    if (gone.length) {
      for (const file of gone) {
        planFiles.delete(file);
        seen.set(file, undefined);
        if (!removed.includes(file)) removed.push(file);
      }
      ws.setFiles([...planFiles].sort());
      result = await ws.build();
    }
    removed.sort();
    const buildMs = performance.now() - buildStarted;
    const rebuilt = new Set<string>();
    for (const p of result.plans) if (touched.has(p.file) || !samePlanResult(previous.get(p.file), p)) rebuilt.add(p.file);
    const planFileSet = new Set(result.plans.map((p) => p.file));
    // Problems of no plan: the templates' (the config's come from loadConfig).
    const projectDiagnostics = result.diagnostics.filter((d) => !planFileSet.has(d.file));
    const templatesBefore = JSON.stringify(templateProblems.diagnostics);
    templateProblems = { diagnostics: projectDiagnostics, sources: result.sources };
    const templatesChanged = templatesBefore !== JSON.stringify(projectDiagnostics);
    const projectChanged = updateProjectProblems();
    // A recheck that found every file as built is no rebuild: nothing to say.
    if (!first && !rebuilt.size && !removed.length && !templatesChanged) {
      if (projectChanged) tell([]);
      return undefined;
    }
    const idsBefore = new Map(knownIds);
    for (const file of removed) if (!previous.has(file) && state.get(file)) idsBefore.set(file, state.get(file)!.id);
    previous = new Map(result.plans.map((p) => [p.file, p]));
    // A plan cut short by a save in progress has no id; its outputs are still where its last id put them.
    for (const p of result.plans) if (p.id !== undefined) knownIds.set(p.file, p.id);

    // A plan is written only as the text it was built from still is: a save caught half-way
    // (the file changed again since it was read) waits for the rebuild its next event brings.
    const toWrite: PlanResult[] = [];
    for (const p of result.plans) {
      if (!p.ok || p.id === undefined || written.get(p.file) === p.outputs) continue;
      const now = await options.host.readFile(p.file);
      if (now !== result.sources.get(p.file)?.text) {
        changedLater(p.file);
        continue;
      }
      toWrite.push(p);
    }
    const notes: string[] = [];
    const writeStarted = performance.now();
    if (toWrite.length) {
      const done = await options.write(toWrite.map((p) => ({ id: p.id!, outputs: p.outputs })));
      for (const note of done.recovered) options.reporter.note(`note: ${note}`);
      if (done.problem) notes.push(`${done.problem.message}; nothing was written`);
      for (const p of toWrite) {
        const w = done.plans.get(p.id!);
        if (w?.ok) {
          written.set(p.file, p.outputs);
          writtenIds.add(p.id!);
        } else if (w) notes.push(w.problem.message);
      }
    }
    const writeMs = performance.now() - writeStarted;
    for (const n of notes) options.reporter.note(n);

    const shown = result.plans.filter((p) => rebuilt.has(p.file));
    const diagnostics = shown.flatMap((p) => p.diagnostics);
    // The templates' problems are printed when they change (and with everything on the first
    // build); while they last, every status line counts them: no plan is built until they are fixed.
    const counts = countBySeverity([...projectDiagnostics, ...diagnostics]);
    if (first) {
      if (result.diagnostics.length) options.reporter.diagnostics(result.diagnostics, result.sources);
    } else {
      const printed = [...(templatesChanged ? projectDiagnostics : []), ...diagnostics];
      if (printed.length) options.reporter.diagnostics(printed, result.sources);
    }
    for (const file of removed) {
      const id = idsBefore.get(file) ?? state.get(file)?.id;
      const heir = id === undefined ? undefined : result.plans.find((p) => p.id === id);
      options.reporter.note(heir
        ? `${file} removed; ${heir.file} has its id: ${options.outDisplay}/${id}/ is built from it now`
        : `${file} removed${id ? `: ${options.outDisplay}/${id}/ is left as it was (migc build does not delete it either; delete it by hand if the plan is gone for good)` : ''}`);
    }
    const changedIds = updatePreview(result, rebuilt, removed);
    const ms = Math.round(performance.now() - started);
    const tally = `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}`;
    const withErrors = shown.filter((p) => !p.ok);
    const templatesBroken = projectDiagnostics.some((d) => d.severity === 'error');
    let kept = '';
    if (templatesBroken) kept = `; the templates have errors, so no plan is built: ${options.outDisplay}/ is left as it was`;
    else if (withErrors.length === 1) {
      const id = knownIds.get(withErrors[0]!.file);
      // On a line about several plans, say which one nothing was written for: the others were.
      kept = id !== undefined && (writtenIds.has(id) || (await options.hasOutputs?.(id)))
        ? `; ${options.outDisplay}/${id}/ left as it was`
        : shown.length === 1 ? '; nothing written' : `; nothing written for ${withErrors[0]!.file}`;
    } else if (withErrors.length > 1) kept = `; ${withErrors.length} plans with errors left as they were`;
    const line = first
      ? `built ${plural(result.plans.length, 'plan')} in ${ms} ms: ${tally}${kept}`
      : shown.length === 1
        ? `${shown[0]!.file}${shown[0]!.id ? ` (${shown[0]!.id})` : ''}: rebuilt in ${ms} ms: ${tally}${kept}`
        : shown.length === 0
          ? `${removed.length ? `${plural(removed.length, 'plan')} removed` : 'nothing to rebuild'} in ${ms} ms${kept}`
          : `rebuilt ${plural(shown.length, 'plan')} in ${ms} ms: ${tally}${kept}`;
    const report: Rebuild = { files: [...rebuilt].sort(), removed, ms, buildMs: Math.round(buildMs), writeMs: Math.round(writeMs), errors: counts.error, warnings: counts.warning, line };
    options.reporter.rebuilt(report);
    if (changedIds.length || projectChanged) tell(changedIds);
    return report;
  }

  /** The plan changed while it was being built: look at it again. */
  function changedLater(file: string) {
    pending.push({ kind: 'change', path: file });
    schedule();
  }

  function scheduleRecheck(paths: Iterable<string>) {
    for (const p of paths) toRecheck.add(p);
    if (recheckTimer || closed) return;
    recheckTimer = setTimeout(() => {
      recheckTimer = undefined;
      const paths = toRecheck;
      toRecheck = new Set();
      pending.push(...[...paths].map((path): Recheck => ({ kind: 'recheck', path })));
      schedule();
    }, recheckMs);
  }

  async function processPending(): Promise<void> {
    const events = pending;
    pending = [];
    const saved = events.filter((e) => e.kind !== 'recheck').map((e) => e.path);
    if (saved.length) scheduleRecheck(saved);
    const started = performance.now();
    const touched = new Set<string>();
    const removed: string[] = [];
    let everything = false;
    let listChanged = false;
    for (const e of events) {
      ws.fileChanged(e.path);
      const text = await options.host.readFile(e.path);
      const plan = options.isPlan(e.path);
      // The list of plans follows the disk before the echo check below: a build may have read a
      // file already gone (or back) before its event came, and that event is no echo for the list.
      // Editors that save by rename report unlink then add: only a file still gone is removed.
      if (plan && text === undefined && planFiles.has(e.path)) {
        seen.set(e.path, undefined);
        planFiles.delete(e.path);
        listChanged = true;
        touched.delete(e.path);
        removed.push(e.path);
        continue;
      }
      if (plan && text !== undefined && !planFiles.has(e.path)) {
        seen.set(e.path, text);
        planFiles.add(e.path);
        listChanged = true;
        touched.add(e.path);
        continue;
      }
      // Found as it was (a recheck too): an echo of a save already built, or a save that changed nothing.
      if (seen.has(e.path) && seen.get(e.path) === text) continue;
      seen.set(e.path, text);
      for (const p of ws.plansReading(e.path)) touched.add(p);
      if (options.config && e.path === options.config.file) {
        everything = (await loadConfig()) || everything;
        if (updateProjectProblems()) tell([]);
        continue;
      }
      if (options.templatesDir !== undefined && e.path.startsWith(`${options.templatesDir.replace(/\/$/, '')}/`)) {
        await loadTemplates();
        everything = true;
        continue;
      }
      if (plan && planFiles.has(e.path)) touched.add(e.path);
    }
    if (listChanged) ws.setFiles([...planFiles].sort());
    if (everything) for (const f of planFiles) touched.add(f);
    const stillRemoved = removed.filter((f) => !planFiles.has(f));
    if (!touched.size && !stillRemoved.length) return;
    await rebuild(touched, [...new Set(stillRemoved)].sort(), started, false);
  }

  /**
   * Runs one piece of work at a time (the first build, then each batch of events): two
   * rebuilds at once would race for the output folder's lock, which this process holds.
   */
  function exclusive(work: () => Promise<void>): Promise<void> {
    const done = (async () => {
      try {
        await work();
      } catch (e) {
        options.reporter.note(`internal error while rebuilding: ${(e as Error).stack ?? e}`);
      } finally {
        running = undefined;
        if (pending.length && !closed) schedule();
        else if (!recheckTimer) for (const resolve of idle.splice(0)) resolve();
      }
    })();
    running = done;
    return done;
  }

  function schedule() {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) return; // the running work looks at pending when it ends
      void exclusive(async () => {
        while (pending.length && !closed) await processPending();
      });
    }, quietMs);
  }

  return {
    async start() {
      const started = performance.now();
      let first: Rebuild | undefined;
      await exclusive(async () => {
        await loadConfig();
        await loadTemplates();
        first = await rebuild(new Set(planFiles), [], started, true);
      });
      if (!first) throw new Error('the first build failed');
      return first;
    },
    changed(events) {
      if (closed || !events.length) return;
      pending.push(...events);
      schedule();
    },
    settled() {
      if (!timer && !recheckTimer && !running && !pending.length) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (recheckTimer) clearTimeout(recheckTimer);
      timer = undefined;
      recheckTimer = undefined;
      await running;
      for (const resolve of idle.splice(0)) resolve();
    },
    dependencies: () => ws.dependencies(),
    preview: {
      plans: () => [...state.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
      problems: () => projectShown,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}
