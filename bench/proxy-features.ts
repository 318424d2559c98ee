/**
 * bench/proxy-features: what aigw serves in the proxy benches (bench/run.ts
 * and its scenarios) and the request they send: the policy (a bare route to
 * the mock upstream, or the same route with a per-key budget, a per-key
 * rate limit on requests and tokens and the PII guardrail redacting on
 * input, with `state sqlite(…)` in a given directory), the API key, and the
 * ~1 KB prompt every contender receives.
 */

/** The API key the load sends (`authorization: Bearer …`); the policy lists its hash. */
export const BENCH_KEY = "sk-bench-0001";

/** The address the prompt carries, so the redaction has something to replace; the upstream counts requests that still contain it. */
export const FEATURE_EMAIL = "jane.doe@example.com";

/**
 * The ~1 KB request body every proxy scenario sends: one user message with
 * one email address and prose without digits (so with the guardrail only
 * the email is redacted, and the phone and card detectors scan without
 * matching). `stream` adds `"stream":true`. `max_tokens` is what the mock
 * upstream bills for output (64): with less, every reply would be usage above
 * the reservation, clamped and logged as an upstream fault, which is the
 * lying-upstream path, not the one to measure.
 */
export function featurePrompt(stream = false): string {
  const filler =
    "Please summarise the following customer note for the support team and suggest a polite reply. " +
    "The customer writes that the delivery arrived late, the box was damaged, and the invoice was sent to the wrong person. " +
    "They would like a replacement and ask to be contacted by email rather than by telephone. ";
  let content = `Customer contact: ${FEATURE_EMAIL}. `;
  while (content.length < 960) content += filler;
  content = content.slice(0, 960);
  return JSON.stringify({ model: "chat", messages: [{ role: "user", content }], max_tokens: 64, ...(stream ? { stream: true } : {}) });
}

/**
 * The policy served: `upstream` is the mock upstream's base URL (or "mock"
 * for the built-in mock provider); with `stateDir` the route also has the
 * budget, the limit and the PII guardrail, and the state is SQLite in that
 * directory (`"memory"`: `state memory`). Both models carry prices in both variants (a budgeted route
 * needs them, and the bare route is otherwise identical).
 */
export function benchPolicy(upstream: string, keyHash: string, stateDir?: string, outputGuard = false, cache = false): string {
  const provider = upstream === "mock" ? "provider up { api mock }" : `provider up { api openai base_url "${upstream}/v1" timeout 10s }`;
  const features = stateDir !== undefined;
  return `
gateway {
  auth keys
${features ? `  state ${stateDir === "memory" ? "memory" : `sqlite(${JSON.stringify(`${stateDir}/state.db`)})`}` : ""}
}
${provider}
keys { "${keyHash}" team "bench" }
model mini = up/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok  context 128k  max_output 16k }
model backup = up/"gpt-4o" { input $2.50/Mtok  output $10/Mtok  context 128k  max_output 16k }
${
  features
    ? `budget bench-key { per key  limit $1000000 per day  exceeded reject }
limit bench-key { per key  requests 1000000000 per minute  tokens 1000000000000 per minute }
guardrail pii { on input  redact email, phone, credit_card }`
    : ""
}
${outputGuard ? "guardrail out { on output  redact email, credit_card }" : ""}
${cache ? "cache answers { ttl 10m }" : ""}
route chat {
  when model == "chat"
${features ? "  guard pii\n  budget bench-key\n  limit bench-key" : ""}
${outputGuard ? "  guard out" : ""}
${cache ? "  cache answers" : ""}
  to mini
  fallback backup on 429, 5xx, timeout
}
`;
}
