import { closest, distance } from "fastest-levenshtein";

const closeEnough = (typed: string, candidate: string) => distance(typed, candidate) <= Math.max(2, Math.floor(typed.length / 3));

/** The candidate closest to what was typed, when it is close enough to be a typo. */
export function suggest(typed: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(typed, candidates);
  return closeEnough(typed, best) ? best : undefined;
}

/**
 * The command (as words) closest to what was typed, comparing each command with as many typed
 * words as it has: `deplyo web` is `deploy` with an argument, `apps destry web` is `apps destroy`.
 */
export function closestCommand(typed: string[], commands: string[][]): string[] | undefined {
  let best: { words: string[]; distance: number } | undefined;
  for (const words of commands) {
    const typedPart = typed.slice(0, words.length).join(" ");
    const candidate = words.join(" ");
    if (!closeEnough(typedPart, candidate)) continue;
    const d = distance(typedPart, candidate);
    if (!best || d < best.distance || (d === best.distance && words.length > best.words.length)) best = { words, distance: d };
  }
  return best?.words;
}
