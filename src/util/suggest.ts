import { closest, distance } from 'fastest-levenshtein';

/** The candidate a misspelt word was most likely meant to be, if any is close enough. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
