import { join, posix, relative, resolve } from 'node:path';
import { renderPretty } from '../diagnostics/render.js';
import { nodeHost } from '../host.js';
import type { PreviewDiagnostic, PreviewPlan, PreviewSource } from '../preview/source.js';
import { createWatchSession, type FileEvent, type Rebuild, type WatchSession } from '../workspace/session.js';
import { configFileName } from '../workspace/config.js';
import { findPlanFiles, templatesFolder, toPosix, UsageError } from './files.js';
import { exitCodes, type Io } from './output.js';
import { outputRoot, type WriteFlags } from './write-outputs.js';

export interface WatchFlags extends WriteFlags {
  readonly templates?: string;
  readonly config?: string;
  readonly assumeRows?: string[];
  readonly verbose?: boolean;
  readonly serve?: boolean;
  readonly port?: number;
}

/** The preview server, as the preview module (src/preview/server.ts) exports it. */
export interface PreviewServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The one place watch reaches the preview server: imports src/preview/server.js and starts it
 * over the session's PreviewSource. Until that module is part of migc, --serve fails with a
 * clear message (exit 2) instead of pretending to serve.
 */
export async function startPreviewServer(source: PreviewSource, port: number): Promise<{ ok: true; server: PreviewServer } | { ok: false; message: string }> {
  // The server (markdown-it, the page's assets) loads only with --serve.
  const { startPreview } = await import('../preview/server.js');
  try {
    return { ok: true, server: await startPreview(source, { port }) };
  } catch (e) {
    return { ok: false, message: `cannot start the preview on port ${port}: ${(e as Error).message}` };
  }
}

const planExtension = /\.ya?ml$/;


export interface RunningWatch {
  readonly session: WatchSession;
  /** Resolves once the first build is written and the watcher is ready. */
  readonly ready: Promise<Rebuild>;
  /** Stops watching; resolves when a rebuild under way has finished writing. */
  close(): Promise<void>;
}

/**
 * migc watch, without the process around it (signals, exit codes): the tests and the bench
 * drive this. chokidar is imported here only, so no other command loads it.
 */
export async function startWatch(paths: readonly string[], flags: WatchFlags, io: Io, extra: { quietMs?: number; onRebuild?: (r: Rebuild) => void } = {}): Promise<RunningWatch> {
  const root = await outputRoot(flags, io);
  const files = await findPlanFiles(paths, io.cwd);
  const { projectConfig } = await import('./config.js');
  await projectConfig(flags, io); // a broken config or --assume-rows stops the command now, as for build
  const templatesDir = await templatesFolder(flags.templates, io.cwd);
  const { writeOutputs } = await import('../write/write.js');
  const lockTimeoutMs = flags.lockTimeout !== undefined ? Number(flags.lockTimeout) * 1000 : undefined;

  const folders = await Promise.all(paths.map(async (p) => {
    const { stat } = await import('node:fs/promises');
    const info = await stat(resolve(io.cwd, p));
    return { path: toPosix(relative(io.cwd, resolve(io.cwd, p))), folder: info.isDirectory() };
  }));
  const inside = (path: string, folder: string) => folder === '' || path.startsWith(`${folder}/`);
  const outFolder = toPosix(relative(io.cwd, root.real));
  const isPlan = (path: string) =>
    planExtension.test(path) && !path.split('/').includes('node_modules') && !(outFolder && inside(path, outFolder)) &&
    folders.some((f) => (f.folder ? inside(path, f.path) : f.path === path));

  const configFile = flags.config ?? configFileName;
  const session = createWatchSession({
    host: nodeHost(io.cwd),
    files,
    isPlan,
    config: { file: toPosix(relative(io.cwd, resolve(io.cwd, configFile))), given: flags.config !== undefined },
    ...(flags.assumeRows ? { assumeRows: flags.assumeRows } : {}),
    ...(templatesDir !== undefined ? { templatesDir: toPosix(relative(io.cwd, resolve(io.cwd, templatesDir))) } : {}),
    write: (plans) => writeOutputs(root, plans, { ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}), onWait: (m) => io.stderr(`migc: ${m}\n`) }),
    outDisplay: root.display,
    hasOutputs: async (id) => {
      const { stat } = await import('node:fs/promises');
      return stat(join(root.real, id, '.migc-manifest')).then(() => true, () => false);
    },
    ...(extra.quietMs !== undefined ? { quietMs: extra.quietMs } : {}),
    reporter: {
      rebuilt: (r) => {
        io.stderr(`migc: ${r.line}\n`);
        extra.onRebuild?.(r);
      },
      diagnostics: (diagnostics, sources) => {
        const shown = flags.verbose ? diagnostics : diagnostics.filter((d) => d.severity !== 'info');
        const text = renderPretty(shown, sources, { color: io.color });
        if (text) io.stdout(`${text}\n`);
      },
      note: (message) => io.stderr(`migc: ${message}\n`),
    },
  });

  const { watch } = await import('chokidar');
  const options = {
    cwd: io.cwd,
    ignoreInitial: true,
    // An editor's rename over the file (write a temporary, rename it) is one change, not unlink + add.
    atomic: true,
    ignored: (path: string) => {
      const rel = toPosix(relative(io.cwd, resolve(io.cwd, path)));
      return rel.split('/').includes('node_modules') || (outFolder !== '' && !outFolder.startsWith('..') && (rel === outFolder || inside(rel, outFolder)));
    },
  };
  const onEvent = (kind: FileEvent['kind']) => (path: string) => session.changed([{ kind, path: toPosix(path) }]);
  const watching = (paths: readonly string[], extra: Partial<typeof options> & { depth?: number } = {}) => {
    const w = watch([...paths], { ...options, ...extra });
    w.on('add', onEvent('add')).on('change', onEvent('change')).on('unlink', onEvent('unlink'));
    w.on('error', (e) => io.stderr(`migc: watch: ${(e as Error).message}\n`));
    return { watcher: w, ready: new Promise<void>((r) => w.once('ready', () => r())) };
  };
  /** Folders watched whole: the plan folders given, the --templates folder. */
  const trees = [...folders.filter((f) => f.folder).map((f) => f.path || '.'), ...(templatesDir !== undefined ? [toPosix(relative(io.cwd, resolve(io.cwd, templatesDir)))] : [])];
  const main = watching(trees);
  const inTree = (path: string) => trees.some((w) => inside(path, w === '.' ? '' : w));
  /**
   * Single files (plan files named on the command line, the config, and the baselines, fixtures
   * and app query files outside those folders) are watched through their folders, one level
   * deep, every other entry ignored: chokidar watching several files by name does not report
   * one that is removed and created again later (a baseline moved away and back, git checkout).
   */
  const singleFiles = new Set<string>();
  /**
   * One watcher per folder: a watcher whose root is an ancestor of another's ('.' for the
   * config, 'shared' for a baseline) would meet the inner folder in its own scan, one level too
   * deep, and the inner one would then not be watched.
   */
  const folderWatchers = new Map<string, ReturnType<typeof watching>>();
  let closing = false;
  let adding = Promise.resolve();
  const watchFiles = (paths: readonly string[]): Promise<void> => {
    // One call at a time: two calls must not both start a watcher for one folder.
    adding = adding.then(async () => {
      // A watcher started after close would never be closed.
      if (closing) return;
      const more = paths.filter((p) => !singleFiles.has(p) && !inTree(p));
      for (const p of more) singleFiles.add(p);
      const started: Promise<void>[] = [];
      for (const dir of new Set(more.map((p) => posix.dirname(p)))) {
        const watched = folderWatchers.get(dir);
        // A folder already watched sees the new name: its filter reads singleFiles at each event.
        if (watched) continue;
        const w = watching([dir], {
          depth: 0,
          ignored: (path: string) => {
            if (options.ignored(path)) return true;
            const rel = toPosix(relative(io.cwd, resolve(io.cwd, path))) || '.';
            return rel !== dir && !(singleFiles.has(rel) && posix.dirname(rel) === dir);
          },
        });
        folderWatchers.set(dir, w);
        started.push(w.ready);
      }
      await Promise.all(started);
    });
    return adding;
  };
  const configPath = toPosix(relative(io.cwd, resolve(io.cwd, configFile)));
  const given = [...folders.filter((f) => !f.folder).map((f) => f.path), configPath];
  const watchDependencies = () => watchFiles(session.dependencies());

  let closed!: () => void;
  const closedEarly = new Promise<void>((r) => (closed = r));
  const ready = (async () => {
    const [first] = await Promise.all([session.start(), Promise.race([Promise.all([main.ready, watchFiles(given)]), closedEarly])]);
    await Promise.race([watchDependencies(), closedEarly]);
    return first;
  })();
  const unsubscribe = session.preview.subscribe(() => void watchDependencies());

  return {
    session,
    ready,
    async close() {
      closing = true;
      unsubscribe();
      closed();
      await adding;
      await Promise.all([main.watcher.close(), ...[...folderWatchers.values()].map((w) => w.watcher.close())]);
      await ready.catch(() => undefined);
      await session.close();
    },
  };
}

/**
 * migc watch [paths] [--out DIR] [--serve [--port N]]: builds, then rebuilds on every save
 * until Ctrl-C (or SIGTERM), which ends it cleanly: the rebuild under way finishes writing
 * (each plan folder is swapped whole by src/write), nothing is left half-written, exit 0.
 */
export async function watchCommand(paths: string[], flags: WatchFlags, io: Io): Promise<number> {
  if (flags.port !== undefined && !flags.serve) throw new UsageError('--port applies to the preview: give --serve too');
  // Ctrl-C is taken from the start: during the first build too, it ends the watch cleanly.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let running: RunningWatch | undefined;
  let server: PreviewServer | undefined;
  try {
    // The preview takes its port before anything is built: a port in use stops the command
    // at once (exit 2), before it writes anything or prints a build that then goes away.
    const relay = relaySource();
    if (flags.serve) {
      const started = await startPreviewServer(relay, flags.port ?? 4400);
      if (!started.ok) {
        io.stderr(`migc: ${started.message}\n`);
        return exitCodes.usage;
      }
      server = started.server;
    }
    running = await startWatch(paths, flags, io);
    // The preview shows the first build as it is made: its page fills in as plans are built.
    relay.attach(running.session.preview);
    if (server) io.stdout(`preview: ${server.url}\n`);
    const first = await Promise.race([running.ready, stopped.then(() => undefined)]);
    if (first) {
      io.stderr('migc: watching for changes; Ctrl-C stops\n');
      await stopped;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server?.close();
    await running?.close();
  }
  io.stderr('migc: watch stopped\n');
  return exitCodes.ok;
}

/**
 * A PreviewSource that stands in for the session until it exists (the server starts first, to
 * hold its port), then passes on the session's plans, problems and changes.
 */
function relaySource(): PreviewSource & { attach(target: PreviewSource): void } {
  let target: PreviewSource | undefined;
  const listeners = new Set<(changed: readonly string[]) => void>();
  const none: readonly PreviewPlan[] = [];
  const noProblems: readonly PreviewDiagnostic[] = [];
  return {
    plans: () => target?.plans() ?? none,
    problems: () => target?.problems() ?? noProblems,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    attach(next) {
      target = next;
      next.subscribe((changed) => {
        for (const l of [...listeners]) l(changed);
      });
      const ids = next.plans().map((p) => p.id);
      for (const l of [...listeners]) l(ids);
    },
  };
}
