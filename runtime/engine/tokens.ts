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
 */

/** Counts the tokens of a text. The real one wraps js-tiktoken; tests pass stubs. */
export interface Tokenizer {
  count(text: string): number;
}

let loading: Promise<Tokenizer> | undefined;
let loaded: Tokenizer | undefined;

/**
 * The o200k_base tokenizer, loaded on first call (later calls share the same
 * promise). Special-token text such as `<|endoftext|>` in user input is
 * counted as ordinary text rather than rejected.
 */
export function loadTokenizer(): Promise<Tokenizer> {
  loading ??= (async () => {
    const [{ Tiktoken }, ranks] = await Promise.all([import("js-tiktoken/lite"), import("js-tiktoken/ranks/o200k_base")]);
    const encoder = new Tiktoken(ranks.default);
    const tokenizer: Tokenizer = { count: (text) => (text.length === 0 ? 0 : encoder.encode(text, [], []).length) };
    loaded = tokenizer;
    return tokenizer;
  })();
  return loading;
}

/** The tokenizer if `loadTokenizer()` has finished, else undefined. */
export function loadedTokenizer(): Tokenizer | undefined {
  return loaded;
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
