import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
 */
export async function writePlanOutputs(outDir: string, planDir: string, files: readonly OutputFile[]): Promise<WriteSummary> {
  const written: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  const dir = outputPath(outDir, planDir);
  for (const file of files) {
    const target = outputPath(outDir, file.path);
    if (dirname(target) !== dir) throw new Error(`output ${file.path} is not in ${planDir}/`);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === file.contents) {
      unchanged.push(file.path);
      continue;
    }
    await mkdir(dir, { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, file.contents, 'utf8');
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    written.push(file.path);
  }
  const keep = new Set(files.map((f) => f.path.slice(planDir.length + 1)));
  const present = await readdir(dir).catch(() => [] as string[]);
  for (const name of present.sort()) {
    if (keep.has(name) || !ownedName.test(name)) continue;
    await rm(outputPath(outDir, `${planDir}/${name}`), { force: true });
    removed.push(`${planDir}/${name}`);
  }
  return { written, unchanged, removed };
}
