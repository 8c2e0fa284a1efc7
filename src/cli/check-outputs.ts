import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { CompileResult } from '../compile.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { OutputRoot } from '../write/write.js';
import { nothingChangedSince, printDiagnostics, type CommonOptions, type Io } from './output.js';

/** One output file that is not what its plan compiles to. */
export interface OutputDifference {
  readonly kind: 'stale' | 'missing' | 'extra';
  /** The file as the user names it: out/<id>/<name>. */
  readonly path: string;
  /** The plan it belongs to (none for a folder of a plan that no longer exists). */
  readonly plan: string | null;
  /** For a stale file: a short unified diff, committed (-) against compiled (+). */
  readonly diff: string | null;
}

export interface OutputCheck {
  readonly differences: readonly OutputDifference[];
  readonly diagnostics: readonly Diagnostic[];
  /** Files compared and found equal. */
  readonly upToDate: number;
}

/** Lines of context and changed lines a short diff shows. */
const diffContext = 2;
const diffMaxChanged = 12;

/**
 * migc build --check: the output folder compared with what the plans compile to, in memory,
 * writing nothing (like prettier --check). A file is stale when its bytes differ, missing when
 * the plan produces it and it is not there, extra when migc wrote it (it is in its folder's
 * .migc-manifest) but no plan produces it any more, including whole folders of plans that are
 * gone. Files migc did not write are never counted. Plans with errors are not compared: their
 * errors already fail the command.
 */
export async function checkOutputs(result: CompileResult, root: OutputRoot, options: { readonly wholeFolder: boolean; readonly rebuild?: string; readonly inScope?: (planFile: string) => boolean }): Promise<OutputCheck> {
  const rebuild = options.rebuild ?? 'migc build';
  const { manifestName, parseManifest } = await import('../write/write.js');
  const differences: OutputDifference[] = [];
  let upToDate = 0;
  const show = (rel: string) => `${root.display}/${rel}`;
  const read = (rel: string) => readFile(join(root.real, rel), 'utf8').catch(() => undefined);
  const owned = async (id: string) => {
    const manifest = await read(`${id}/${manifestName}`);
    return manifest === undefined ? [] : parseManifest(manifest);
  };
  const known = new Set(result.plans.map((p) => p.id).filter((id): id is string => id !== undefined));
  for (const p of result.plans) {
    if (!p.ok || p.id === undefined) continue;
    const produced = new Set<string>();
    for (const o of p.outputs) {
      produced.add(o.path.slice(p.id.length + 1));
      const committed = await read(o.path);
      if (committed === undefined) differences.push({ kind: 'missing', path: show(o.path), plan: p.file, diff: null });
      else if (committed !== o.contents) differences.push({ kind: 'stale', path: show(o.path), plan: p.file, diff: shortDiff(committed, o.contents, show(o.path)) });
      else upToDate++;
    }
    for (const name of await owned(p.id)) {
      if (!produced.has(name) && (await read(`${p.id}/${name}`)) !== undefined) differences.push({ kind: 'extra', path: show(`${p.id}/${name}`), plan: p.file, diff: null });
    }
  }
  // Folders of plans that are gone: only when every plan was compiled (not with --changed-since or a subset of paths).
  if (options.wholeFolder) {
    const folders = (await readdir(root.real, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && !e.name.startsWith('.') && !known.has(e.name));
    for (const f of folders.map((e) => e.name).sort()) {
      // A folder written from a plan outside the paths checked (another folder of plans sharing
      // this output folder) is not judged: its plan was not compiled, not removed.
      const source = await sourcePlan(await owned(f), (name) => read(`${f}/${name}`));
      if (source !== undefined && options.inScope && !options.inScope(source)) continue;
      for (const name of await owned(f)) {
        if ((await read(`${f}/${name}`)) !== undefined) differences.push({ kind: 'extra', path: show(`${f}/${name}`), plan: null, diff: null });
      }
    }
  }
  differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const diagnostics = differences.map((d): Diagnostic => ({
    code: 'MG053', severity: 'error', file: d.path,
    message: d.kind === 'stale' ? `${d.path} is out of date: it differs from what ${d.plan} compiles to`
      : d.kind === 'missing' ? `${d.path} is missing: ${d.plan} compiles to it`
        : `${d.path} is no longer produced by ${d.plan ?? 'any plan'} (migc wrote it: it is in ${manifestName})`,
    help: d.kind === 'extra'
      ? d.plan ? `Run ${rebuild} (it removes the files its plans no longer produce) and commit the result.` : `Its plan is gone: delete ${d.path.slice(0, d.path.lastIndexOf('/'))}/ (migc build never removes a plan's folder) and commit.`
      : `Run ${rebuild} and commit the outputs it writes.`,
    ...(d.plan ? { related: [{ file: d.plan, message: 'the plan' }] } : {}),
  }));
  return { differences, diagnostics: diagnostics.sort(compareDiagnostics), upToDate };
}

/**
 * The plan file a folder of outputs was written from, as its files' headers name it ("Generated
 * by migc from plans/x.yaml; change the plan, not this file."), or undefined when none says
 * (templates of one's own may leave the header out).
 */
async function sourcePlan(files: readonly string[], read: (name: string) => Promise<string | undefined>): Promise<string | undefined> {
  const header = /Generated by migc from (.+?); change the plan, not this file\./;
  for (const name of [...files].sort((a, b) => Number(b.endsWith('.sql')) - Number(a.endsWith('.sql')))) {
    const found = header.exec((await read(name))?.slice(0, 2000) ?? '');
    // Markdown files escape the path's punctuation (plain text in Markdown); SQL comments do not.
    if (found) return name.endsWith('.md') ? found[1]!.replace(/\\([!-/:-@[-`{-~])/g, '$1') : found[1]!;
  }
  return undefined;
}

/**
 * A short unified diff, committed (-) against compiled (+): the lines of a longest common
 * subsequence stay, the rest are hunks with a little context; after a few changed lines the
 * rest is counted, not shown. Past a few thousand lines it compares head and tail only.
 */
export function shortDiff(before: string, after: string, name: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const ops = lineOps(a, b);
  const lines = [`--- ${name} (committed)`, `+++ ${name} (compiled)`];
  let shown = 0;
  let hidden = 0;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === ' ') { i++; continue; }
    // A hunk: from a change, through changes separated by at most 2 * context equal lines.
    let end = i;
    while (end < ops.length) {
      if (ops[end]!.op !== ' ') { end++; continue; }
      let run = end;
      while (run < ops.length && ops[run]!.op === ' ') run++;
      if (run < ops.length && run - end <= 2 * diffContext) end = run;
      else break;
    }
    const from = Math.max(0, i - diffContext);
    const to = Math.min(ops.length, end + diffContext);
    const hunk = ops.slice(from, to);
    const aStart = hunk.find((o) => o.a !== undefined)?.a ?? 0;
    const bStart = hunk.find((o) => o.b !== undefined)?.b ?? 0;
    if (shown < diffMaxChanged) {
      lines.push(`@@ -${aStart + 1},${hunk.filter((o) => o.op !== '+').length} +${bStart + 1},${hunk.filter((o) => o.op !== '-').length} @@`);
      for (const o of hunk) {
        if (o.op !== ' ' && shown >= diffMaxChanged) { hidden++; continue; }
        if (o.op !== ' ') shown++;
        const text = o.op === '+' ? b[o.b!]! : a[o.a!]!;
        lines.push(`${o.op}${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
      }
    } else hidden += hunk.filter((o) => o.op !== ' ').length;
    i = end;
  }
  if (hidden) lines.push(`… and ${hidden} more changed line${hidden === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

type LineOp = { op: ' ' | '-' | '+'; a?: number; b?: number };

/** Line edits from a longest common subsequence (quadratic: kept for texts of a few thousand lines). */
function lineOps(a: readonly string[], b: readonly string[]): LineOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ops: LineOp[] = [];
  for (let k = 0; k < head; k++) ops.push({ op: ' ', a: k, b: k });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  if (am.length * bm.length > 4_000_000) {
    am.forEach((_, k) => ops.push({ op: '-', a: head + k }));
    bm.forEach((_, k) => ops.push({ op: '+', b: head + k }));
  } else {
    // lcs[x][y]: length of the LCS of am[x..] and bm[y..].
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let x = am.length - 1; x >= 0; x--) {
      for (let y = bm.length - 1; y >= 0; y--) {
        lcs[x * w + y] = am[x] === bm[y] ? lcs[(x + 1) * w + y + 1]! + 1 : Math.max(lcs[(x + 1) * w + y]!, lcs[x * w + y + 1]!);
      }
    }
    let x = 0;
    let y = 0;
    while (x < am.length || y < bm.length) {
      if (x < am.length && y < bm.length && am[x] === bm[y]) ops.push({ op: ' ', a: head + x++, b: head + y++ });
      else if (x < am.length && (y === bm.length || lcs[(x + 1) * w + y]! >= lcs[x * w + y + 1]!)) ops.push({ op: '-', a: head + x++ });
      else ops.push({ op: '+', b: head + y++ });
    }
  }
  for (let k = tail; k > 0; k--) ops.push({ op: ' ', a: a.length - k, b: b.length - k });
  return ops;
}

/** What --check prints besides the diagnostics: the diffs (pretty), or the check's section (json). */
export function checkSection(check: OutputCheck): Record<string, unknown> {
  return {
    check: {
      upToDate: check.upToDate,
      stale: check.differences.filter((d) => d.kind === 'stale').map((d) => ({ path: d.path, plan: d.plan, diff: d.diff })),
      missing: check.differences.filter((d) => d.kind === 'missing').map((d) => ({ path: d.path, plan: d.plan })),
      extra: check.differences.filter((d) => d.kind === 'extra').map((d) => ({ path: d.path, plan: d.plan })),
    },
  };
}

/** What build --check was given that the build it asks for needs too. */
interface RebuildOptions {
  readonly paths: readonly string[];
  readonly out: string;
  readonly templates?: string;
  readonly config?: string;
  readonly svg?: boolean;
  readonly allowOutside?: boolean;
}

/** The build that writes what --check expects: the same paths and options, minus --check. */
export function rebuildCommand(options: RebuildOptions): string {
  const arg = (a: string) => (/^[\w./@:=+,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  const parts = ['migc', 'build'];
  if (options.paths.length !== 1 || options.paths[0] !== 'plans') parts.push(...options.paths.map(arg));
  if (options.out !== 'out') parts.push('--out', arg(options.out));
  if (options.templates !== undefined) parts.push('--templates', arg(options.templates));
  if (options.config !== undefined) parts.push('--config', arg(options.config));
  if (options.svg) parts.push('--svg');
  if (options.allowOutside) parts.push('--allow-outside');
  return parts.join(' ');
}

/**
 * The --check branch of migc build: compare instead of writing, print what differs (with its
 * diff in pretty output) and exit 1 when anything does, as a plan error would.
 */
export async function runBuildCheck(result: CompileResult, root: OutputRoot, options: CommonOptions & RebuildOptions & { readonly changedSince?: string }, io: Io): Promise<number> {
  // Folders of plans that are gone count only when the paths name whole folders of plans, not single files or a --changed-since subset.
  const folders = await Promise.all(options.paths.map((p) => stat(resolve(io.cwd, p)).then((s) => s.isDirectory(), () => false)));
  const rebuild = rebuildCommand(options);
  const given = options.paths.map((p) => resolve(io.cwd, p));
  const inScope = (planFile: string) => { const f = resolve(io.cwd, planFile); return given.some((g) => f === g || f.startsWith(`${g}${sep}`)); };
  const check = await checkOutputs(result, root, { wholeFolder: folders.every(Boolean) && options.changedSince === undefined, rebuild, inScope });
  const diagnostics = [...result.diagnostics, ...check.diagnostics];
  if (options.format === 'pretty') {
    for (const d of check.differences) if (d.diff) io.stdout(`${d.diff}\n`);
  }
  const n = check.differences.length;
  const summary = n === 0
    ? `checked ${result.plans.length} plan${result.plans.length === 1 ? '' : 's'} against ${root.display}/: ${check.upToDate} file${check.upToDate === 1 ? '' : 's'} up to date`
    : `checked ${result.plans.length} plan${result.plans.length === 1 ? '' : 's'} against ${root.display}/: ${n} file${n === 1 ? '' : 's'} out of date (run ${rebuild})`;
  const nothing = options.changedSince !== undefined ? nothingChangedSince(options.changedSince, 'checked', result.plans.length) : undefined;
  return printDiagnostics(diagnostics, result.sources, options, io, nothing ?? summary, {
    plans: result.plans.map((p) => ({ file: p.file, id: p.id ?? null, ok: p.ok })),
    summary: { plans: result.plans.length, outOfDate: n },
    ...checkSection(check),
  });
}
