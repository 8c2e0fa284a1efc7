import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isFsError, type WriteFs } from './fs.js';

export const lockFileName = '.migc.lock';
/** Left by a takeover that was interrupted; removed by the next writer. */
export const lockLeftover = /^\.migc\.lock\.[0-9a-f]{12}$/;

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
}

export interface LockOptions {
  /** How long to wait for another live migc to finish, in milliseconds. */
  readonly timeoutMs: number;
  /** Told once when migc starts waiting. */
  readonly onWait?: (message: string) => void;
  /** Poll interval (tests). */
  readonly pollMs?: number;
}

export type LockResult = { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly message: string };

/**
 * Serialises writers of one output folder: a file created exclusively (O_EXCL) holding the
 * owner's pid, host and a nonce. A lock whose process is gone (same host, no such pid) is
 * stale and taken over; a live one is waited for, up to timeoutMs, then refused with a message
 * that says who holds it. The lock is removed on release and when the process exits normally;
 * after kill -9 it stays, and the next migc finds its owner dead.
 */
export async function acquireLock(fs: WriteFs, folder: string, display: string, options: LockOptions): Promise<LockResult> {
  const path = join(folder, lockFileName);
  const me: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') };
  const text = `${JSON.stringify(me)}\n`;
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(path, text, { flag: 'wx' });
      const release = () => {
        process.removeListener('exit', release);
        try {
          if (fs.readFileSync(path, 'utf8') === text) fs.unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.on('exit', release);
      return { ok: true, release };
    } catch (e) {
      if (!(isFsError(e) && e.code === 'EEXIST')) throw e;
    }
    const held = readLock(fs, path);
    if (held === undefined) continue; // released meanwhile
    if (isStale(fs, path, held)) {
      takeOver(fs, path, held.text);
      continue;
    }
    const who = held.owner ? `another migc (pid ${held.owner.pid}${held.owner.host !== me.host ? ` on ${held.owner.host}` : ''})` : 'another migc';
    if (Date.now() >= deadline) {
      return {
        ok: false,
        message: `${display}/ is locked by ${who}: gave up after ${seconds(options.timeoutMs)} (--lock-timeout). If no migc is running, delete ${display}/${lockFileName}`,
      };
    }
    if (!told) {
      options.onWait?.(`${display}/ is locked by ${who}; waiting up to ${seconds(options.timeoutMs)}`);
      told = true;
    }
    await sleep(Math.min(options.pollMs ?? 50, Math.max(1, deadline - Date.now())));
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function readLock(fs: WriteFs, path: string): { text: string; owner?: LockOwner } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if (isFsError(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.host === 'string') return { text, owner };
  } catch {
    // being written, or not migc's format
  }
  return { text };
}

/** Unreadable locks older than this are taken to be the remains of a crash mid-write. */
const unreadableGraceMs = 10_000;

function isStale(fs: WriteFs, path: string, held: { owner?: LockOwner }): boolean {
  if (!held.owner) {
    try {
      return Date.now() - fs.lstatSync(path).mtimeMs > unreadableGraceMs;
    } catch {
      return false;
    }
  }
  if (held.owner.host !== hostname()) return false; // cannot see that host's processes
  if (held.owner.pid === process.pid) return false;
  try {
    process.kill(held.owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the stale lock aside and removes it. Another migc may have replaced the stale lock by
 * its own between our read and the move: then the moved file is not the one we judged, and it
 * is put back (link, which never overwrites).
 */
function takeOver(fs: WriteFs, path: string, staleText: string): void {
  const aside = `${path}.${randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(path, aside);
  } catch (e) {
    if (isFsError(e) && e.code === 'ENOENT') return;
    throw e;
  }
  try {
    if (fs.readFileSync(aside, 'utf8') !== staleText) {
      try {
        fs.linkSync(aside, path);
      } catch {
        // a third writer holds the lock now; the one we moved has lost it, as a crash would
      }
    }
  } finally {
    fs.unlinkSync(aside);
  }
}
