import type { Node } from 'jsonc-parser';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { strictJson } from './lint-temporal.js';

/**
 * Drizzle's migrator (drizzle-orm 0.x, `migrator.js` readMigrationFiles and `pg-core/dialect.js`
 * migrate) reads `<folder>/meta/_journal.json` with JSON.parse, and runs, for each of its
 * `entries` in the journal's order, the file `<folder>/<tag>.sql`, cut at every
 * `--> statement-breakpoint` and sent chunk by chunk; no other file of the folder. It stops with
 * "No file ... found" at an entry whose file is missing. All the pending entries run in one
 * transaction, and an entry is pending only when its `when` is later than the newest `created_at`
 * the database's `__drizzle_migrations` holds, read once before the run: an entry whose `when` is
 * not later than an earlier entry's is skipped, silently, on every database that applied that one.
 */

/** An entry of the journal: the file it runs (its tag), its `when`, and where both stand in the journal. */
export interface DrizzleEntry {
  readonly tag: string;
  readonly start: number;
  readonly end: number;
  /** Its `when` (milliseconds), when it is a number; and the place of that number. */
  readonly when?: { readonly value: number; readonly start: number; readonly end: number };
}

export type DrizzleJournal = { readonly entries: readonly DrizzleEntry[]; readonly problems: readonly Diagnostic[] };

/** What a journal lists, and what Drizzle's migrator would refuse in it (MG024 errors at the place, with the fix). */
export function drizzleJournal(file: string, text: string): DrizzleJournal {
  const problem = (start: number, end: number, message: string, help: string): DrizzleJournal => ({
    entries: [], problems: [{ code: 'MG024', severity: 'error', file, span: { start, end: Math.max(end, start + 1) }, message: `${message}: Drizzle's migrator stops before it runs any migration`, help }],
  });
  const read = strictJson(text);
  if ('why' in read) return problem(read.start, read.end, `cannot read this _journal.json (${read.why})`, 'Fix the JSON (drizzle-kit generate writes it; a merge may have broken it): one object, keys and strings in double quotes, a comma between items and none after the last.');
  const { root } = read;
  const list = root.type === 'object' ? property(root, 'entries') : undefined;
  if (list?.type !== 'array') {
    const at = list ?? root;
    return problem(at.offset, at.offset + (list ? list.length : 1), 'this _journal.json has no list of entries', journalHelp);
  }
  const entries: DrizzleEntry[] = [];
  for (const item of list.children ?? []) {
    const tag = item.type === 'object' ? property(item, 'tag') : undefined;
    if (tag?.type !== 'string') {
      const at = tag ?? item;
      return problem(at.offset, at.offset + at.length, 'this entry of _journal.json names no file (its "tag")', journalHelp);
    }
    const when = property(item, 'when');
    entries.push({
      tag: String(tag.value), start: tag.offset, end: tag.offset + tag.length,
      ...(when?.type === 'number' ? { when: { value: Number(when.value), start: when.offset, end: when.offset + when.length } } : {}),
    });
  }
  return { entries, problems: [] };
}

const journalHelp = 'A journal is an object: {"version": "7", "dialect": "postgresql", "entries": [{"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_init", "breakpoints": true}]}; drizzle-kit generate writes it.';

function property(object: Node, key: string): Node | undefined {
  return (object.children ?? []).find((p) => p.children?.[0]?.value === key)?.children?.[1];
}

/**
 * The entries Drizzle skips on a database that applied an earlier one (MG024 errors at their
 * `when`): each whose `when` is not later than the latest `when` before it.
 */
export function drizzleSkippedEntries(file: string, entries: readonly DrizzleEntry[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  let latest: DrizzleEntry | undefined;
  for (const entry of entries) {
    if (!entry.when) continue;
    if (latest?.when && entry.when.value <= latest.when.value) {
      const same = entry.when.value === latest.when.value;
      found.push({
        code: 'MG024', severity: 'error', file, span: { start: entry.when.start, end: entry.when.end },
        message: `${entry.tag} has "when": ${entry.when.value}, ${same ? 'the same as' : 'earlier than'} ${latest.tag}'s ${latest.when.value}: Drizzle's migrator runs an entry only when its "when" is later than the newest migration the database applied, so every database that applied ${latest.tag} skips ${entry.tag}, silently (migrate still says it succeeded); only a new database runs it`,
        help: `Give ${entry.tag} a "when" later than ${latest.when.value} (drizzle-kit writes the time it generated the file; an entry merged from another branch, or a "when" edited by hand, can fall behind). On a database that already skipped it, apply its SQL yourself. migc lints the files in the journal's order, as a new database runs them.`,
      });
    }
    if (!latest?.when || entry.when.value > latest.when.value) latest = entry;
  }
  return found;
}
