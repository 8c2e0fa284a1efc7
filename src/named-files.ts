import { posix } from 'node:path';
import type { Host } from './host.js';

/** A file a plan names (baseline, fixtures), as the compiler found it. */
export type NamedFile =
  | { readonly kind: 'read'; readonly text: string }
  | { readonly kind: 'missing' }
  /** Outside the project and the folders the config allows: never read. `resolved` is where it is, relative to the project. */
  | { readonly kind: 'outside'; readonly resolved: string; readonly link: boolean };

/** Where a plan names files, as paths into the plan; a new file reference in the schema goes here too. */
export const namedFileKeys = [['baseline', 'file'], ['fixtures', 'file']] as const;

/** The query files the plan's app versions name (apps[].queries: one path or a list). */
export function appQueryFileNames(value: unknown): string[] {
  const apps = (value as { apps?: unknown }).apps;
  if (!Array.isArray(apps)) return [];
  return apps.flatMap((a: { queries?: unknown }) => (typeof a?.queries === 'string' ? [a.queries] : Array.isArray(a?.queries) ? a.queries.filter((q): q is string => typeof q === 'string') : []));
}

/**
 * Every file a plan (its loaded YAML value) names, as written: baseline, fixtures and the app
 * versions' query files. What re-checks a plan when one changes (watch, --changed-since) reads this.
 */
export function planNamedFiles(value: unknown): string[] {
  const v = value as Record<string, Record<string, unknown> | undefined> | undefined;
  if (!v || typeof v !== 'object') return [];
  return [...namedFileKeys.map(([key, prop]) => v[key]?.[prop]).filter((n): n is string => typeof n === 'string'), ...appQueryFileNames(v)];
}

function isOutside(path: string): boolean {
  return path === '..' || path.startsWith('../') || posix.isAbsolute(path) || /^[A-Za-z]:/.test(path);
}

function within(path: string, folder: string): boolean {
  return folder === '.' ? !isOutside(path) : path === folder || path.startsWith(`${folder}/`);
}

/**
 * Reads the files a plan names, relative to the plan, only when they are inside the project
 * (the host's root) or a folder the config allows (allow_files_outside), first as written and
 * then once links are followed: `../../etc/passwd` and a link to a file elsewhere are refused
 * without being read, so nothing of them can leak into a message.
 */
export async function readNamedFiles(host: Host, planFile: string, names: readonly string[], allowed: readonly string[] = []): Promise<Map<string, NamedFile>> {
  const folders = ['.', ...allowed.map((a) => posix.normalize(a.replace(/\\/g, '/')).replace(/\/$/, ''))];
  const realFolders = (await Promise.all(folders.map((f) => (f === '.' ? '.' : host.realPath(f))))).filter((f): f is string => f !== undefined);
  const result = new Map<string, NamedFile>();
  for (const name of names) {
    // Backslashes are separators (as on Windows), so ..\..\x cannot slip past on any system.
    const slashed = name.replace(/\\/g, '/');
    const path = posix.isAbsolute(slashed) || /^[A-Za-z]:/.test(slashed) ? slashed : posix.normalize(posix.join(posix.dirname(planFile), slashed));
    if (!folders.some((f) => within(path, f))) {
      result.set(name, { kind: 'outside', resolved: path, link: false });
      continue;
    }
    const real = await host.realPath(path);
    if (real === undefined) {
      result.set(name, { kind: 'missing' });
      continue;
    }
    if (!realFolders.some((f) => within(real, f))) {
      result.set(name, { kind: 'outside', resolved: real, link: true });
      continue;
    }
    // Read where the link led, not the path again: a link swapped in between cannot redirect it.
    const text = await host.readFile(real);
    result.set(name, text === undefined ? { kind: 'missing' } : { kind: 'read', text });
  }
  return result;
}
