/**
 * Token counting, done only when a policy reads `input_tokens` and the byte
 * length of the input does not already decide the answer.
 *
 * Why the byte length decides most thresholds: o200k_base is a byte-level
 * BPE, so every token covers at least one UTF-8 byte and `tokens <= bytes`.
 * `input_tokens > 100k` is therefore false for any input of at most 100,000
 * bytes, which is nearly every chat request, and the tokenizer never runs.
 *
 * The ranks file is 2 MB of JavaScript; it is imported on the first
 * `loadTokenizer()` call, never at module load.
 *
 * The count is exact (the same as js-tiktoken's) and costs O(n log n) in the
 * longest pre-token (bpe.ts). A text longer than {@link SYNC_COUNT_BYTES} is
 * never counted in one go on the event loop: the pipeline counts it ahead of
 * `decide` in steps with `countAhead`, so one long request cannot stall others.
 */
import type { ExprNode, Graph } from "../../compiler/graph.js";
import { countTokens, rankParsing, tokenCounting, type Ranks } from "./bpe.js";
import { smallestContext } from "./fit.js";

/** Counts the tokens of a text. The real one is o200k_base (bpe.ts); tests pass stubs. */
export interface Tokenizer {
  count(text: string): number;
  /** The same count spread over event-loop turns (absent on stubs: `count` is used). */
  countSteps?(text: string): Promise<number>;
}

/** Texts up to this many UTF-8 bytes are counted synchronously when read (a few ms at worst). */
export const SYNC_COUNT_BYTES = 4096;

let loading: Promise<Tokenizer> | undefined;
let loaded: Tokenizer | undefined;

/** The o200k_base tokenizer over parsed ranks. */
export function bpeTokenizer(ranks: Ranks): Tokenizer {
  return {
    count: (text) => (text.length === 0 ? 0 : countTokens(ranks, text)),
    countSteps: (text) => stepped(tokenCounting(ranks, text)),
  };
}

/** Runs a stepping generator one step per event-loop turn (setImmediate lets I/O in between). */
function stepped<T>(it: Generator<void, T, void>): Promise<T> {
  return new Promise((resolve, reject) => {
    const step = (): void => {
      try {
        const r = it.next();
        if (r.done === true) resolve(r.value);
        else setImmediate(step);
      } catch (e) {
        reject(e);
      }
    };
    step();
  });
}

/**
 * The o200k_base tokenizer, loaded on first call (later calls share the same
 * promise). Special-token text such as `<|endoftext|>` in user input is
 * counted as ordinary text rather than rejected.
 */
export function loadTokenizer(): Promise<Tokenizer> {
  loading ??= (async () => {
    const ranks = await import("js-tiktoken/ranks/o200k_base");
    const tokenizer = bpeTokenizer(await stepped(rankParsing(ranks.default)));
    loaded = tokenizer;
    return tokenizer;
  })();
  return loading;
}

/** The tokenizer if `loadTokenizer()` has finished, else undefined. */
export function loadedTokenizer(): Tokenizer | undefined {
  return loaded;
}

/**
 * The smallest number any `input_tokens` comparison of the graph compares
 * with, or the smallest model `context` (Infinity when none): a text whose
 * byte length is below it is never counted ahead, since the byte bound
 * decides every comparison (compareTokens) and every context check that
 * does not ask for a large `max_tokens` (fit.ts).
 */
export function tokenFloor(graph: Graph): number {
  let floor = Infinity;
  const walk = (e: ExprNode): void => {
    switch (e.op) {
      case "and":
      case "or":
        for (const a of e.args) walk(a);
        return;
      case "not":
        walk(e.arg);
        return;
      case "in":
        if (e.fact.name === "input_tokens") for (const v of e.values) floor = Math.min(floor, asNumber(v));
        return;
      case "eq":
      case "ne":
      case "lt":
      case "gt":
      case "le":
      case "ge":
        if (e.fact.name === "input_tokens") floor = Math.min(floor, asNumber(e.value));
        return;
      default:
        return;
    }
  };
  for (const r of graph.routes) if (r.when !== undefined) walk(r.when);
  for (const g of Object.values(graph.guardrails)) for (const rule of g.rules) if (rule.when !== undefined) walk(rule.when);
  for (const c of Object.values(graph.caches ?? {})) if (c.when !== undefined) walk(c.when);
  // A shorter text fits every declared context without counting (one asking for a large max_tokens is counted when read).
  return Math.min(floor, smallestContext(graph));
}

/** A literal as the number a token comparison uses; a non-number compares without counting (Infinity). */
function asNumber(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isNaN(n) ? Infinity : n;
}

/**
 * A per-request tokenizer that, for a text longer than SYNC_COUNT_BYTES that
 * a condition may need counted (its byte length reaches `floor`), counts it
 * in steps before `decide` reads it; `decide` then reads the stored count.
 * Call `ahead(text, bytes)` once the facts exist, before deciding.
 */
export function countAhead(tokenizer: Tokenizer, floor: number): Tokenizer & { ahead(text: string, bytes: number): Promise<void> | undefined } {
  let known: string | undefined;
  let knownCount = 0;
  const countSteps = tokenizer.countSteps;
  return {
    count: (text) => (text === known ? knownCount : tokenizer.count(text)),
    // Undefined (no promise, no microtask) when the text is short enough to count in one go, as nearly every one is.
    ahead(text, bytes) {
      if (bytes <= SYNC_COUNT_BYTES || bytes < floor || countSteps === undefined) return undefined;
      return countSteps(text).then((n) => {
        knownCount = n;
        known = text;
      });
    },
  };
}

/** What a token comparison needs from the facts: a free upper bound and the lazy exact count. */
export interface TokenSource {
  readonly maxInputTokens: number;
  readonly inputTokens: number;
}

/** The comparison operators of the graph's expressions. */
export type CompareOp = "eq" | "ne" | "lt" | "gt" | "le" | "ge";

/**
 * `input_tokens <op> n`, deciding from the upper bound when it can and
 * counting only when it cannot. Only the upper bound is used (a lower bound
 * from the longest token would rarely help and would tie us to the vocabulary).
 */
export function compareTokens(op: CompareOp, n: number, f: TokenSource): boolean {
  const max = f.maxInputTokens;
  switch (op) {
    case "gt":
      return max <= n ? false : f.inputTokens > n;
    case "ge":
      return max < n ? false : f.inputTokens >= n;
    case "lt":
      return max < n ? true : f.inputTokens < n;
    case "le":
      return max <= n ? true : f.inputTokens <= n;
    case "eq":
      return max < n ? false : f.inputTokens === n;
    case "ne":
      return max < n ? true : f.inputTokens !== n;
  }
}

/** `input_tokens in [a, b, …]`: false without counting when every value exceeds the bound. */
export function tokensIn(values: readonly number[], f: TokenSource): boolean {
  const max = f.maxInputTokens;
  let reachable = false;
  for (const v of values) if (v <= max) reachable = true;
  if (!reachable) return false;
  const t = f.inputTokens;
  for (const v of values) if (v === t) return true;
  return false;
}
