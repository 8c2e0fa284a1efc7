import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The manual's links lead somewhere: every relative link of the README and docs/ names a file
 * that exists, and every `#anchor` (in the same file or another Markdown file) names one of that
 * file's headings, as GitHub makes their anchors (lower case, punctuation dropped, spaces to
 * hyphens, a repeated heading's anchor numbered -1, -2, ...). The README's contents list is such
 * links.
 */
const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync('docs/rules').filter((f) => f.endsWith('.md')).map((f) => `docs/rules/${f}`)];

/** The anchors GitHub gives a Markdown file's headings (those outside fenced code). */
function anchors(file: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n === 0 ? base : `${base}-${n}`);
  }
  return found;
}

/** The links of a Markdown file outside fenced code and inline code: `[text](target)`. */
function links(file: string): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]!);
  }
  return out;
}

describe('links in the README and docs/', () => {
  it.each(files)('%s: every relative link and anchor leads somewhere', (file) => {
    const broken: string[] = [];
    for (const target of links(file)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const to = path === '' ? file : join(dirname(file), path);
      if (!existsSync(to)) broken.push(`${target} (no file ${to})`);
      else if (anchor !== undefined && to.endsWith('.md') && !anchors(to).has(anchor)) broken.push(`${target} (no heading of ${to} has that anchor)`);
    }
    expect(broken).toEqual([]);
  });

  it('reads anchors as GitHub makes them', () => {
    expect([...anchors('README.md')]).toEqual(expect.arrayContaining(['linting-migration-files-migc-lint', 'only-what-a-change-adds-lint---changed-since', 'migrations-run-while-the-application-is-stopped']));
  });
});
