/**
 * Weighted splits.
 *
 * - `split { 70% a  30% b }` draws a number u in [0, 1) and takes the first
 *   arm whose cumulative weight exceeds u × total.
 * - `split by <fact> { … }` is sticky: weighted rendezvous (highest random
 *   weight) hashing. Every arm i gets a score −wᵢ / ln(uᵢ), where uᵢ in (0, 1)
 *   is a hash of (fact value, arm model); the highest score wins. The same
 *   value always picks the same arm, each arm's share of values is its
 *   weight's share, and raising one arm's weight only raises that arm's
 *   scores, so traffic can only move toward it (nothing reshuffles between
 *   other arms, unlike `hash mod n`).
 * - Zero-weight arms never win either way. A missing or empty fact value
 *   falls back to the random draw.
 *
 * The value is hashed once with 32-bit murmur3 over its UTF-16 code units,
 * two units per block (the only per-character cost: a 71-character key
 * hash is the common value), then per arm two rounds of murmur3's
 * finaliser mixed with the arm's seeds give 53 bits of u.
 */

/** A split arm with a precomputed hash seed for its model name. */
export interface Arm {
  readonly model: string;
  readonly weight: number;
  readonly seedA: number;
  readonly seedB: number;
}

/** Arms with seeds derived from their model names (done once, at prepare time). */
export function makeArms(arms: readonly { model: string; weight: number }[]): Arm[] {
  return arms.map((a) => ({ model: a.model, weight: a.weight, seedA: fnv1a(a.model, 0x811c9dc5), seedB: fnv1a(a.model, 0x2f2b5c7d) }));
}

/** Total of the positive weights; 0 means no arm can win. */
export function totalWeight(arms: readonly Arm[]): number {
  let total = 0;
  for (let i = 0; i < arms.length; i++) {
    const w = arms[i]!.weight;
    if (w > 0) total += w;
  }
  return total;
}

/**
 * The arm index for a draw u in [0, 1); -1 when no arm has a positive weight.
 * Zero and negative weights are skipped, so they never win; so is arm
 * `skip` (whose weight `total` must then leave out).
 */
export function pickByDraw(arms: readonly Arm[], total: number, u: number, skip = -1): number {
  if (!(total > 0)) return -1;
  const target = u * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < arms.length; i++) {
    const w = arms[i]!.weight;
    if (!(w > 0) || i === skip) continue;
    acc += w;
    last = i;
    if (target < acc) return i;
  }
  // Floating-point rounding can leave u × total a hair above the sum: the last positive arm takes it.
  return last;
}

/** What `split fastest` drew and compared. */
export interface FastestPick {
  /** The arm chosen; -1 when no arm has a positive weight. */
  readonly index: number;
  /** The arms drawn (one when only one has a weight), in draw order. */
  readonly drawn: readonly number[];
  /** Their latency estimates, ms; undefined: never measured (counts as 0, so a new target gets measured). */
  readonly estimates: readonly (number | undefined)[];
}

/**
 * `split fastest`: power of two choices. Two distinct arms are drawn by
 * weight — the first with the draw u, the second among the others with
 * frac(u × 9973), about independent of u — and the one with the lower
 * latency estimate wins; a tie goes to the first drawn. Drawing two rather
 * than taking the best of all keeps a target with one bad measurement in
 * play (and spreads load between equals).
 */
export function pickFastest(arms: readonly Arm[], total: number, u: number, latency: (model: string) => number | undefined): FastestPick {
  const i = pickByDraw(arms, total, u);
  if (i < 0) return { index: -1, drawn: [], estimates: [] };
  const li = latency(arms[i]!.model);
  const j = pickByDraw(arms, total - arms[i]!.weight, (u * 9973) % 1, i);
  if (j < 0 || j === i) return { index: i, drawn: [i], estimates: [li] };
  const lj = latency(arms[j]!.model);
  return { index: (lj ?? 0) < (li ?? 0) ? j : i, drawn: [i, j], estimates: [li, lj] };
}

/** The arm index for a fact value by weighted rendezvous hashing; -1 when no arm has a positive weight. */
export function pickByKey(arms: readonly Arm[], value: string): number {
  const h = murmur3(value, 0x5bd1e995);
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < arms.length; i++) {
    const arm = arms[i]!;
    if (!(arm.weight > 0)) continue;
    const score = -arm.weight / Math.log(unitHash(h, arm.seedA, arm.seedB));
    // Ties (astronomically rare) go to the earlier arm, deterministically.
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** A uniform in the open interval (0, 1) from a value's hash and an arm's seeds. */
export function unitHash(h: number, seedA: number, seedB: number): number {
  const a = fmix32(h ^ seedA);
  const b = fmix32(a ^ seedB);
  // 32 + 21 bits = 53 bits; the +0.5 keeps u away from 0 and 1 so ln(u) is finite and negative.
  return ((a >>> 0) * 2097152 + (b >>> 11) + 0.5) / 9007199254740992;
}

/** 32-bit FNV-1a over UTF-16 code units with a chosen offset basis. */
export function fnv1a(s: string, basis: number): number {
  let h = basis | 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 32-bit murmur3 over UTF-16 code units, two per 32-bit block. */
export function murmur3(s: string, seed: number): number {
  let h = seed | 0;
  const n = s.length;
  const pairs = n & ~1;
  for (let i = 0; i < pairs; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (n & 1) {
    let k = s.charCodeAt(n - 1);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  return fmix32(h ^ (n * 2));
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
