/**
 * The files that the user's rollback patterns name (--rollbacks, the config's `rollbacks`): globs
 * over the paths as migc prints them (from the current folder, `/` between folders), in
 * picomatch's syntax (`*` within a folder, `**` across folders, `{a,b}`, `[0-9]`), dot folders
 * included. A pattern that names a folder takes every file under it: `db/rollback_dbs` is
 * `db/rollback_dbs/**`. Imported only when there are patterns.
 */
import picomatch from 'picomatch/posix.js';

export interface RollbackMatches {
  /** The files some pattern names. */
  readonly matched: ReadonlySet<string>;
  /** The patterns that name none of the files, in the order given. */
  readonly unmatched: readonly string[];
}

export function filesMatching(files: readonly string[], patterns: readonly string[]): RollbackMatches {
  const matched = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const isMatch = picomatch(pattern, { dot: true });
    let any = false;
    for (const file of files) {
      if (!matchesFileOrFolder(file, isMatch)) continue;
      matched.add(file);
      any = true;
    }
    if (!any) unmatched.push(pattern);
  }
  return { matched, unmatched };
}

/** Does the pattern match the path, or one of the folders it is in? */
function matchesFileOrFolder(file: string, isMatch: (path: string) => boolean): boolean {
  if (isMatch(file)) return true;
  for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
    if (isMatch(file.slice(0, slash))) return true;
  }
  return false;
}
