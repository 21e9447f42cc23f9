import { closest, distance } from "fastest-levenshtein";

/** The candidate closest to what was typed, when it is close enough to be a typo. */
export function suggest(typed: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(typed, candidates);
  return distance(typed, best) <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}
