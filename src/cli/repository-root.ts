import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Where GitHub reads file paths from: annotations (`::error file=...`) and code scanning (SARIF)
 * take a relative path as relative to the repository's root, not to the folder migc ran in. In a
 * monorepo, or a step with `working-directory:`, the two differ.
 */
export interface RepositoryRoot {
  /** Absolute, with symbolic links resolved. */
  readonly root: string;
  /** How it was found: git's top level, GitHub Actions' checkout, or (neither) the folder migc runs in. */
  readonly from: 'git' | 'GITHUB_WORKSPACE' | 'cwd';
}

/**
 * The repository holding cwd: git's top level when git knows it; else, inside GitHub Actions,
 * GITHUB_WORKSPACE when cwd is in it (actions/checkout without git on the runner downloads the
 * files with no .git); else cwd itself, so paths stay as they are.
 */
export async function repositoryRoot(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RepositoryRoot> {
  const here = await realpath(cwd).catch(() => resolve(cwd));
  const top = await new Promise<string | undefined>((done) => {
    execFile('git', ['rev-parse', '--show-toplevel'], { cwd: here, encoding: 'utf8', timeout: 10_000 }, (error, stdout) => done(error ? undefined : stdout.trim()));
  });
  if (top) return { root: await realpath(top).catch(() => top), from: 'git' };
  const workspace = env.GITHUB_WORKSPACE ? await realpath(env.GITHUB_WORKSPACE).catch(() => undefined) : undefined;
  if (workspace && within(workspace, here)) return { root: workspace, from: 'GITHUB_WORKSPACE' };
  return { root: here, from: 'cwd' };
}

function within(folder: string, path: string): boolean {
  const r = relative(folder, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * A diagnostic's file (relative to cwd, as the user named it, or absolute) as a path relative to
 * the root, with forward slashes. Symbolic links are resolved first: code scanning cannot show a
 * result on a path through one. A file outside the root stays absolute, since no relative path
 * from the root names it.
 */
export function pathFromRoot(root: string, cwd: string): (file: string) => string {
  const known = new Map<string, string>();
  return (file) => {
    if (!file) return file;
    let mapped = known.get(file);
    if (mapped === undefined) {
      const given = resolve(cwd, file);
      let absolute = given;
      try {
        absolute = realpathSync(given);
      } catch {
        // A file that is gone (an output build --check misses) keeps the path it was named by.
      }
      mapped = within(root, absolute) ? relative(root, absolute).split(sep).join('/') : absolute;
      known.set(file, mapped);
    }
    return mapped;
  };
}

/** The mapping for a command run in cwd: realpath'd like the root, so the two compare. */
export async function repositoryPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<(file: string) => string> {
  const { root } = await repositoryRoot(cwd, env);
  const here = await realpath(cwd).catch(() => resolve(cwd));
  return pathFromRoot(root, here);
}
