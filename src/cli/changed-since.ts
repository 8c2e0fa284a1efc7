import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { posix, relative, resolve, sep } from 'node:path';
import { planNamedFiles } from '../named-files.js';
import { dieselMetadataPath, isFlywayScript } from '../lint-files.js';
import { configFileName } from './config.js';

/** --changed-since cannot tell what changed (MG091): exit 2. */
export class ChangedSinceError extends Error {}

/** Runs git in cwd: its stdout, or why it failed (`missing`: git is not installed). */
export function git(args: readonly string[], cwd: string): Promise<{ ok: true; stdout: string } | { ok: false; missing: boolean; stderr: string }> {
  return new Promise((done) => {
    execFile('git', [...args], { cwd, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) done({ ok: true, stdout });
      else done({ ok: false, missing: (error as NodeJS.ErrnoException).code === 'ENOENT', stderr: stderr.trim() });
    });
  });
}

/**
 * Files changed since a git ref, relative to cwd with forward slashes: what differs between
 * the ref and the working tree (committed or not), and files git does not track yet.
 */
export async function changedFiles(ref: string, cwd: string): Promise<Set<string>> {
  const top = await git(['rev-parse', '--show-toplevel'], cwd);
  if (!top.ok) {
    throw new ChangedSinceError(top.missing
      ? '--changed-since needs git, and git is not installed (or not on PATH)'
      : `--changed-since ${ref}: ${cwd} is not inside a git repository (${top.stderr.split('\n')[0]})`);
  }
  if (ref.startsWith('-')) throw new ChangedSinceError(`--changed-since takes a git ref (a branch, tag or commit); got ${ref}`);
  const verified = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], cwd);
  if (!verified.ok) {
    throw new ChangedSinceError(`--changed-since ${ref}: no such commit, branch or tag in this repository${process.env.GITHUB_ACTIONS === 'true' ? ' (actions/checkout fetches one commit by default: give it fetch-depth: 0)' : ' (a shallow clone may lack it: git fetch it first)'}`);
  }
  const root = top.stdout.trim();
  const diff = await git(['diff', '--name-only', '-z', '--no-renames', verified.stdout.trim(), '--'], root);
  const untracked = await git(['ls-files', '--others', '--exclude-standard', '-z'], root);
  if (!diff.ok || !untracked.ok) throw new ChangedSinceError(`--changed-since ${ref}: git diff failed: ${(!diff.ok ? diff.stderr : !untracked.ok ? untracked.stderr : '').split('\n')[0]}`);
  const files = [...diff.stdout.split('\0'), ...untracked.stdout.split('\0')].filter(Boolean);
  return new Set(files.map((f) => relative(cwd, resolve(root, f)).split(sep).join('/')));
}

/**
 * The plans --changed-since REF keeps: those changed themselves, those that name a changed
 * file (baseline, fixtures, app query files), and all of them when the project config or a --templates file
 * changed (every plan's verdict or output may differ).
 */
export async function plansChangedSince(plans: readonly string[], options: { readonly ref: string; readonly cwd: string; readonly config?: string; readonly templates?: string }): Promise<string[]> {
  const changed = await changedFiles(options.ref, options.cwd);
  const norm = (p: string) => posix.normalize(p.split(sep).join('/'));
  if (changed.has(norm(options.config ?? configFileName))) return [...plans];
  if (options.templates !== undefined) {
    const folder = norm(options.templates).replace(/\/$/, '');
    if ([...changed].some((f) => f.startsWith(`${folder}/`))) return [...plans];
  }
  const { loadYaml } = await import('../load/yaml.js');
  const kept: string[] = [];
  for (const plan of plans) {
    if (changed.has(plan)) {
      kept.push(plan);
      continue;
    }
    const text = await readFile(resolve(options.cwd, plan), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const named = planNamedFiles(loadYaml(plan, text).loaded.value);
    if (named.some((n) => changed.has(posix.normalize(posix.join(posix.dirname(plan), n.replace(/\\/g, '/')))))) kept.push(plan);
  }
  return kept;
}

/**
 * The migration files `migc lint --changed-since REF` judges: those changed themselves, and those
 * whose way of running changed with a file beside them (a Flyway script's `<script>.conf`, a diesel
 * migration's metadata.toml); all of them when the project config changed (its rules, sizes,
 * placeholders or search path may change any verdict). The others are still read, in order, for
 * the schema they leave.
 */
export async function migrationsChangedSince(files: readonly string[], options: { readonly ref: string; readonly cwd: string; readonly config?: string }): Promise<Set<string>> {
  const changed = await changedFiles(options.ref, options.cwd);
  // As changedFiles names them: from the working folder, with forward slashes (a path given absolute too).
  const norm = (p: string) => posix.normalize(relative(options.cwd, resolve(options.cwd, p)).split(sep).join('/'));
  if (changed.has(norm(options.config ?? configFileName))) return new Set(files);
  const companions = (file: string) => [...(isFlywayScript(file) ? [`${file}.conf`] : []), ...(dieselMetadataPath(file) ?? [])];
  return new Set(files.filter((f) => changed.has(norm(f)) || companions(f).some((c) => changed.has(norm(c)))));
}
