/**
 * "Did you mean" suggestions: the closest known name to a misspelt one, by
 * optimal-string-alignment edit distance (a swap of two neighbours counts as
 * one edit, so `tiemout` finds `timeout`).
 */

/** Edit distance between `a` and `b`, giving up (returning `max + 1`) once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `name`, if it is close enough to be a plausible
 * typo: at most a third of the name's length in edits (at least one), ties
 * broken by the order of `known`. Case differences alone always match.
 */
export function suggest(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    if (candidate === name) continue;
    if (candidate.toLowerCase() === lower) return candidate;
    const d = editDistance(lower, candidate.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `did you mean the setting \`timeout\`?`, or undefined when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>, kind: string): string | undefined {
  const s = suggest(name, known);
  return s === undefined ? undefined : `did you mean the ${kind} \`${s}\`?`;
}
