import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeCause, isFsError, realFs, type WriteFs } from './fs.js';

export type FileWriteResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * Writes one file (a --summary) atomically: to a temporary file beside it, then renamed over
 * it, so a reader never sees half a file. Only inside the project (the folder migc runs in,
 * links resolved); the folder it goes in must exist. The option naming it is in messages.
 */
export function writeProjectFile(options: { readonly cwd: string; readonly path: string; readonly contents: string; readonly option: string; readonly fs?: WriteFs }): FileWriteResult {
  const fs = options.fs ?? realFs;
  const given = resolve(options.cwd, options.path);
  const refuse = (why: string): FileWriteResult => ({ ok: false, message: `${options.option} ${options.path} ${why}` });
  let folder: string;
  try {
    folder = fs.realpathSync(dirname(given));
  } catch (e) {
    if (!isFsError(e)) throw e;
    return refuse(`cannot be written: its folder ${dirname(options.path) || '.'} ${e.code === 'ENOENT' ? 'does not exist' : `cannot be opened (${describeCause(e)})`}`);
  }
  const project = fs.realpathSync(options.cwd);
  const rel = relative(project, join(folder, basename(given)));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return refuse(`is outside the project: migc writes only inside the folder it runs in (${project})`);
  const target = join(folder, basename(given));
  try {
    if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) return refuse('is a folder');
  } catch { /* unreadable: the write below says why */ }
  const temporary = join(folder, `.${basename(given)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temporary, options.contents, { flag: 'wx' });
    fs.renameSync(temporary, target);
    return { ok: true };
  } catch (e) {
    try { fs.rmSync(temporary, { force: true }); } catch { /* best effort */ }
    if (!isFsError(e)) throw e;
    return refuse(`cannot be written: ${describeCause(e)}`);
  }
}
