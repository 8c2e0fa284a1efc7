import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { OutputFile } from '../emit/index.js';

export interface WriteSummary {
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  readonly removed: readonly string[];
}

/** Names migc writes in a plan's folder; only these are ever removed as stale. */
const ownedName = /^(report\.md|checklist\.md|timeline\.mmd|\d{2}-[a-z0-9_-]+\.(up|down)\.sql)$/;

/** Resolves an output path and refuses anything that would land outside the output folder. */
export function outputPath(outDir: string, path: string): string {
  const root = resolve(outDir);
  const target = resolve(root, path);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || resolve(root, rel) !== target) {
    throw new Error(`refusing to write outside the output folder: ${path}`);
  }
  return target;
}

/**
 * Writes one plan's outputs into outDir/<planDir>/: each file atomically (temporary file, then
 * rename), files whose content is unchanged are not touched, and files migc wrote earlier that
 * the plan no longer produces (a renamed phase's scripts) are removed.
 *
 * Synchronous on purpose: thousands of small files through the async thread pool cost a
 * round-trip each (measured: 1,000 plans took 6.8 s to write that way).
 */
export async function writePlanOutputs(outDir: string, planDir: string, files: readonly OutputFile[]): Promise<WriteSummary> {
  const written: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  const dir = outputPath(outDir, planDir);
  const present = new Set(listFiles(dir));
  if (present.size === 0) mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const target = outputPath(outDir, file.path);
    if (dirname(target) !== dir) throw new Error(`output ${file.path} is not in ${planDir}/`);
    const name = target.slice(dir.length + 1);
    if (present.has(name) && readFileSync(target, 'utf8') === file.contents) {
      unchanged.push(file.path);
      continue;
    }
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temp, file.contents, 'utf8');
      renameSync(temp, target);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
    written.push(file.path);
  }
  const keep = new Set(files.map((f) => f.path.slice(planDir.length + 1)));
  for (const name of [...present].sort()) {
    if (keep.has(name) || !ownedName.test(name)) continue;
    rmSync(outputPath(outDir, `${planDir}/${name}`), { force: true });
    removed.push(`${planDir}/${name}`);
  }
  return { written, unchanged, removed };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}
