import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { loadSqlParser } from '../sql/parser.js';
import { pageScript, pageStyle } from './assets.js';
import { goneFragment, indexFragment, page, planBody, planFragment, planPath } from './render.js';
import type { PreviewPlan, PreviewSource } from './source.js';

export interface PreviewOptions {
  /** The port on 127.0.0.1: 4400 unless given; 0 takes any free port. */
  readonly port?: number;
}

export interface PreviewServer {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  /** Stops listening and ends every open page's event stream. */
  close(): Promise<void>;
}

/**
 * The policy every response carries. Scripts and styles come from this server only (no inline
 * script: nothing a plan writes can run); Mermaid's drawings carry inline style, hence
 * 'unsafe-inline' for style only. Images only from here or data: (nothing can call out).
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The files the preview serves from node_modules, by route: these and nothing else. */
const packageAssets: Readonly<Record<string, string>> = {
  '/assets/mermaid.min.js': 'mermaid/dist/mermaid.min.js',
};

/** Sends a keep-alive comment this often, so proxies and browsers keep the event stream open. */
const heartbeatMs = 15_000;

/**
 * Serves the live preview of a workspace on 127.0.0.1: the index of plans, a page per plan, and
 * an event stream that tells open pages what changed. Reads only `source` and the exact assets
 * above; any other path is a 404, any method but GET a 405, and a Host header other than
 * 127.0.0.1:<port> or localhost:<port> a 403 (a page on another site that rebinds its DNS name to
 * 127.0.0.1 must not read the preview).
 */
export async function startPreview(source: PreviewSource, options: PreviewOptions): Promise<PreviewServer> {
  // SQL is highlighted with PostgreSQL's lexer, which must be loaded before the first page.
  await loadSqlParser();
  const require = createRequire(import.meta.url);
  const assetFiles = new Map(Object.entries(packageAssets).map(([route, spec]) => [route, require.resolve(spec)]));
  const assetCache = new Map<string, Promise<Buffer>>();

  /**
   * Counts changes; pages carry the one they show, to catch up after a reconnect. Prefixed with
   * this server's own random tag, so a page open across a restart of `migc watch` catches up too.
   */
  const boot = randomUUID().slice(0, 8);
  let changes = 0;
  let generation = `${boot}-0`;
  /** What each plan was at the last change, to tell pages which files changed (ids can change with a plan's text). */
  let seen = snapshot(source.plans());
  /** The project's problems at the last change: when they change, every page shows them anew. */
  let seenProblems = JSON.stringify(source.problems());
  /** The id each file last had, so the page of a renamed plan can point at the file that has its id now. */
  const lastIds = new Map(source.plans().map((p) => [p.file, p.id]));
  /** Rendered plan bodies, by file, for the revision they show. */
  const rendered = new Map<string, { key: string; html: string }>();
  const streams = new Set<ServerResponse>();

  const unsubscribe = source.subscribe(() => {
    const plans = source.plans();
    const now = snapshot(plans);
    for (const p of plans) lastIds.set(p.file, p.id);
    const files = [...new Set([...seen.keys(), ...now.keys()])].filter((file) => seen.get(file) !== now.get(file)).sort();
    seen = now;
    const problems = JSON.stringify(source.problems());
    const project = problems !== seenProblems;
    seenProblems = problems;
    for (const file of rendered.keys()) if (!now.has(file)) rendered.delete(file);
    if (!files.length && !project) return;
    generation = `${boot}-${++changes}`;
    const message = `event: change\ndata: ${JSON.stringify({ generation, files, project })}\n\n`;
    for (const stream of streams) stream.write(message);
  });

  const fragmentOf = (plan: PreviewPlan): string => {
    const key = `${plan.revision}\0${plan.id}\0${plan.ok}`;
    let cached = rendered.get(plan.file);
    if (cached?.key !== key) rendered.set(plan.file, (cached = { key, html: planBody(plan) }));
    return planFragment(plan, generation, cached.html, source.problems());
  };

  /** The plan that has the id a gone file last had. */
  const heirOf = (file: string): PreviewPlan | undefined => {
    const id = lastIds.get(file);
    return id === undefined ? undefined : source.plans().find((p) => p.id === id && p.file !== file);
  };

  let port = 0;
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    try {
      answer(req, res);
    } catch (e) {
      // A page that cannot be drawn must not stop `migc watch`: say so in that page, keep serving.
      if (!res.headersSent) plain(res, 500, `The preview could not draw this page: ${(e as Error).message}\n`);
      else res.destroy();
    }
  });

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (!allowedHost(req.headers.host, port)) return plain(res, 403, 'Forbidden: the preview answers only to 127.0.0.1 and localhost.\n');
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return plain(res, 405, 'Method not allowed: the preview only reads.\n');
    }
    const target = req.url ?? '';
    const path = target.split('?', 1)[0]!;
    if (path === '/') return html(res, page({ fragment: indexFragment(source.plans(), generation, source.problems()), fragmentUrl: '/fragment/', title: 'migc preview' }));
    if (path === '/fragment/') return html(res, indexFragment(source.plans(), generation, source.problems()));
    if (path === '/events') return openStream(req, res);
    if (path === '/assets/preview.js') return send(res, 200, 'text/javascript; charset=utf-8', pageScript);
    if (path === '/assets/preview.css') return send(res, 200, 'text/css; charset=utf-8', pageStyle);
    const asset = assetFiles.get(path);
    if (asset !== undefined) {
      let body = assetCache.get(asset);
      if (!body) assetCache.set(asset, (body = readFile(asset)));
      body.then((bytes) => {
        res.setHeader('cache-control', 'max-age=3600');
        send(res, 200, 'text/javascript; charset=utf-8', bytes);
      }, () => plain(res, 500, 'Cannot read the asset.\n'));
      return;
    }
    for (const [prefix, fragmentOnly] of [['/plan/', false], ['/fragment/plan/', true]] as const) {
      if (!path.startsWith(prefix)) continue;
      const file = planFile(path.slice(prefix.length));
      if (file === undefined) break;
      const plan = source.plans().find((p) => p.file === file);
      if (fragmentOnly) return plan ? html(res, fragmentOf(plan)) : html(res, goneFragment(file, generation, heirOf(file)), 404);
      if (!plan) break;
      return html(res, page({ fragment: fragmentOf(plan), fragmentUrl: `/fragment${planPath(plan.file)}`, file: plan.file, title: `${plan.id} · migc preview` }));
    }
    return plain(res, 404, 'Not found.\n');
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 500\nevent: hello\ndata: ${JSON.stringify({ generation })}\n\n`);
    streams.add(res);
    req.on('close', () => streams.delete(res));
  }

  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  const wanted = options.port ?? 4400;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: wanted, host: '127.0.0.1', exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    clearInterval(heartbeat);
    unsubscribe();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${wanted} on 127.0.0.1 is in use: give another with --port N, or --port 0 for any free port`);
    if (code === 'EACCES') throw new Error(`port ${wanted} on 127.0.0.1 is not allowed for this user: give a port above 1023 with --port N, or --port 0`);
    throw e;
  }
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const stream of streams) stream.end();
      streams.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Each plan's file with what the page shows of it that can change. */
function snapshot(plans: readonly PreviewPlan[]): Map<string, string> {
  return new Map(plans.map((p) => [p.file, `${p.revision}\0${p.id}\0${p.ok}`]));
}

/** Only the names this server listens on, with its port: a rebound DNS name fails this. */
function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/**
 * The plan file a request names after /plan/: segment by segment, each percent-decoded once and
 * none empty, "." or "..", or holding a slash, a backslash or NUL once decoded. The result is only
 * compared with the workspace's own plan files; it never reaches the file system.
 */
function planFile(rest: string): string | undefined {
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments.join('/');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function html(res: ServerResponse, body: string, status = 200): void {
  res.setHeader('cache-control', 'no-store');
  send(res, status, 'text/html; charset=utf-8', body);
}

function plain(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body);
}
