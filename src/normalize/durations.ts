import type { Duration } from './model.js';

const unitSeconds: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400, w: 604800 };

/** "30s", "2.5h", "1w" -> seconds (the schema has already checked the form). */
export function parseDuration(text: string): Duration {
  const m = /^(\d+(?:\.\d+)?)(ms|s|min|h|d|w)$/.exec(text);
  return { text, seconds: m ? Number(m[1]) * unitSeconds[m[2]!]! : 0 };
}

/** "T-1w", "T-0", "T+30min" -> seconds from T-0. */
export function parseTimelineOffset(at: string): number {
  const m = /^T(?:([-+])(\d+)(min|h|d|w)?)?$/.exec(at);
  if (!m || !m[1]) return 0;
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * (m[3] ? unitSeconds[m[3]]! : 0);
}

/** Seconds -> a short human duration: 45s, 12min, 3h 20min, 2d. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  // Round to the smallest unit shown first, so 6d 23h 40min reads 7d, never 6d 24h.
  if (seconds < 3600 - 30) return `${Math.round(seconds / 60)}min`;
  if (seconds < 86400 - 1800) {
    const minutes = Math.round(seconds / 60);
    const h = Math.floor(minutes / 60);
    return minutes % 60 ? `${h}h ${minutes % 60}min` : `${h}h`;
  }
  const hours = Math.round(seconds / 3600);
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d}d ${hours % 24}h` : `${d}d`;
}
