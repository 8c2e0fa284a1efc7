import { dirname, relative, resolve, sep } from 'node:path';
import { ChangedSinceError, git } from './changed-since.js';

/**
 * `migc lint --one-run-per-commit`: the files one git commit added run back to back, as a deploy
 * applies them (the twentieth trial's openpanel: a Prisma migration that creates a table and the
 * next one, added in the same commit, that adds a NOT NULL column to it; every deployment runs
 * them together, on an empty table). Each file goes to the commit that added it, followed through
 * renames (a folder moved keeps its files' commits); files git does not have committed yet are
 * one run of their own, the change being made.
 */
export interface CommitRuns {
  /** Each file linted, by the commit that added it ('' for one not committed yet). */
  readonly commitOf: ReadonlyMap<string, string>;
  /** Commits that added many of the files (an import of an older history reads as one run): said on stderr. */
  readonly large: readonly { readonly commit: string; readonly files: number }[];
  /** Why git could not follow renames (the clone lacks the files' contents), when it could not, and the commit that added the most of the files. */
  readonly renamesUnread?: { readonly why: string; readonly largest?: { readonly commit: string; readonly files: number } };
}

/** A commit adding more files than this is said on stderr: an import of a history, more often than one release. */
const largeCommit = 20;

/** The commit that added each file, from one `git log` over the history (MG091 when git cannot tell). */
export async function commitRuns(files: readonly string[], cwd: string): Promise<CommitRuns> {
  // The repository the files are in, wherever migc runs from (a clone linted from outside it:
  // the fortieth trial's D).
  const folder = files.length > 0 ? dirname(resolve(cwd, files[0]!)) : cwd;
  const top = await git(['rev-parse', '--show-toplevel'], folder);
  if (!top.ok) {
    throw new ChangedSinceError(top.missing
      ? '--one-run-per-commit needs git, and git is not installed (or not on PATH)'
      : `--one-run-per-commit: ${folder} is not inside a git repository (${top.stderr.split('\n')[0]})`);
  }
  const root = top.stdout.trim();
  const fromRoot = (p: string) => relative(root, resolve(cwd, p)).split(sep).join('/');
  // Oldest first, with renames, over the whole history (a pathspec would hide where a moved file
  // came from): a file moved keeps the commit that added it first.
  // Rename detection reads the files' contents: a clone without them (a partial or damaged one)
  // is read without it, and a file moved then dates from its move (said on stderr).
  const args = ['log', '--reverse', '--name-status', '-z', '--diff-filter=ACDR', '--format=%x01%H'];
  let log = await git([...args, '-M'], root);
  let renamesUnread: string | undefined;
  if (!log.ok) {
    renamesUnread = log.stderr.split('\n')[0];
    log = await git([...args, '--no-renames'], root);
  }
  if (!log.ok) throw new ChangedSinceError(`--one-run-per-commit: git log failed: ${log.stderr.split('\n')[0]}`);
  const added = new Map<string, string>();
  let commit = '';
  const fields = log.stdout.split('\0');
  for (let i = 0; i < fields.length; i++) {
    let field = fields[i]!;
    const start = field.indexOf('\x01');
    if (start >= 0) {
      commit = field.slice(start + 1, start + 41);
      field = field.slice(start + 41).replace(/^\n+/, '');
      if (field === '') continue;
    }
    const status = field.trim();
    if (status === '') continue;
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[++i]!;
      const to = fields[++i]!;
      added.set(to, status.startsWith('R') ? added.get(from) ?? commit : commit);
      if (status.startsWith('R')) added.delete(from);
    } else {
      const path = fields[++i]!;
      if (status === 'A') added.set(path, commit);
      else if (status === 'D') added.delete(path);
    }
  }
  const commitOf = new Map(files.map((f) => [f, added.get(fromRoot(f)) ?? '']));
  const counts = new Map<string, number>();
  for (const c of commitOf.values()) if (c !== '') counts.set(c, (counts.get(c) ?? 0) + 1);
  const large = [...counts].filter(([, n]) => n > largeCommit).map(([c, n]) => ({ commit: c, files: n }));
  // Without rename detection, a folder moved is a commit that added its every file: the largest is named.
  const largest = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  return { commitOf, large, ...(renamesUnread !== undefined ? { renamesUnread: { why: renamesUnread, ...(largest && largest[1] > 1 ? { largest: { commit: largest[0], files: largest[1] } } : {}) } } : {}) };
}
