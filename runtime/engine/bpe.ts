/**
 * A byte-pair-encoding token counter in O(n log n) per pre-token, giving the
 * same count as js-tiktoken's `encode(text, [], []).length`.
 *
 * Why not js-tiktoken's own merge: it rescans every adjacent pair after each
 * merge and builds a comma-joined key per pair, O(n²) in the pre-token's
 * length. One pre-token is one run of letters, so 10,000 `a`s (or a DNA
 * string) took seconds on the event loop. Here the pairs sit in a binary heap
 * ordered by (rank, position), which is the order tiktoken merges in (lowest
 * rank first, leftmost on ties), and a pair longer than the longest token is
 * never looked up. Keys are the pair's bytes as a Latin-1 string (one char per
 * byte), a cheap substring of the pre-token.
 */

/** The rank file shape js-tiktoken ships (`js-tiktoken/ranks/*`). */
export interface RankFile {
  readonly pat_str: string;
  readonly bpe_ranks: string;
}

/** Ranks keyed by the token's bytes as a Latin-1 string. */
export interface Ranks {
  readonly byBytes: ReadonlyMap<string, number>;
  /** The byte length of the longest token: no longer span has a rank. */
  readonly maxTokenBytes: number;
  /** The pre-tokenizer (`g` and `u` flags). */
  readonly pattern: RegExp;
}

/**
 * Parses js-tiktoken's compressed rank file: lines of `<name> <first rank>
 * <base64 token> <base64 token> …`, ranks counting up from the first. A
 * generator that yields every few thousand tokens: the 200k ranks take a
 * second or more to parse, which the loader spreads over event-loop turns.
 */
export function* rankParsing(file: RankFile): Generator<void, Ranks, void> {
  const byBytes = new Map<string, number>();
  let maxTokenBytes = 1;
  for (const line of file.bpe_ranks.split("\n")) {
    if (line === "") continue;
    const fields = line.split(" ");
    const offset = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) {
      const bytes = Buffer.from(fields[i]!, "base64").toString("latin1");
      byBytes.set(bytes, offset + i - 2);
      if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
      if (byBytes.size % 4096 === 0) yield;
    }
  }
  return { byBytes, maxTokenBytes, pattern: new RegExp(file.pat_str, "gu") };
}

/** The ranks, parsed in one go. */
export function parseRanks(file: RankFile): Ranks {
  return runToEnd(rankParsing(file));
}

/** Runs a stepping generator to its end and returns its value. */
export function runToEnd<T>(it: Generator<void, T, void>): T {
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}

/** About how much work (bytes scanned, merges done) a counting step does before it yields. */
export const STEP_WORK = 2_048;

/**
 * Counts the tokens of a text, yielding after about every {@link STEP_WORK}
 * units of work so a caller can spread a long count over several event-loop
 * turns; the generator's return value is the count. Each step is linear in
 * STEP_WORK (times log n inside a long pre-token), whatever the text.
 */
export function* tokenCounting(ranks: Ranks, text: string): Generator<void, number, void> {
  // A private copy: a paused count must not share `lastIndex` with another one.
  const pattern = new RegExp(ranks.pattern);
  let count = 0;
  let work = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    // The regex found one pre-token; a long one is a step by itself before its merges start.
    if (m[0].length > STEP_WORK) yield;
    const piece = Buffer.from(m[0], "utf8").toString("latin1");
    work += piece.length + 8;
    if (piece.length <= 1 || ranks.byBytes.has(piece)) count += piece.length === 0 ? 0 : 1;
    else count += yield* pieceCounting(ranks, piece);
    if (work >= STEP_WORK) {
      work = 0;
      yield;
    }
  }
  return count;
}

/** Token count of a text, in one go. */
export function countTokens(ranks: Ranks, text: string): number {
  return runToEnd(tokenCounting(ranks, text));
}

/** Tokens of one pre-token given as a Latin-1 byte string (two bytes or more), yielding every STEP_WORK merges. */
function* pieceCounting(ranks: Ranks, piece: string): Generator<void, number, void> {
  const n = piece.length;
  const { byBytes, maxTokenBytes } = ranks;
  // Parts as a linked list over byte offsets: part i spans [i, next[i]).
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  // The rank of the pair starting at part i (i and its successor merged), or -1.
  const pairRank = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  if (n > STEP_WORK) yield;
  const heap = new MinHeap();
  const rankAt = (i: number): number => {
    const j = next[i]!;
    if (j >= n) return -1;
    const end = next[j]!;
    if (end - i > maxTokenBytes) return -1;
    return byBytes.get(piece.slice(i, end)) ?? -1;
  };
  const update = (i: number): void => {
    const r = rankAt(i);
    pairRank[i] = r;
    // Ranks are below 2^21 and offsets below 2^31: the key orders by rank, then offset.
    if (r >= 0) heap.push(r * 2 ** 31 + i);
  };
  for (let i = 0; i + 1 < n; i++) {
    update(i);
    if (i % STEP_WORK === STEP_WORK - 1) yield;
  }
  let parts = n;
  let work = 0;
  while (heap.size > 0) {
    if (++work === STEP_WORK) {
      work = 0;
      yield;
    }
    const key = heap.pop();
    const rank = Math.floor(key / 2 ** 31);
    const i = key - rank * 2 ** 31;
    // A stale entry: the part was merged away or its pair has grown since (each span has one rank).
    if (alive[i] === 0 || pairRank[i] !== rank) continue;
    const j = next[i]!;
    alive[j] = 0;
    next[i] = next[j]!;
    if (next[i]! < n) prev[next[i]!] = i;
    parts--;
    update(i);
    if (prev[i]! >= 0) update(prev[i]!);
  }
  return parts;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
