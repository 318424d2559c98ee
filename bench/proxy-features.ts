/**
 * bench/proxy-features: the policies, the prompt and the report of the
 * "features" scenario of bench/proxy (issue 5, "Bench"): the same load
 * through (a) a bare route and (b) the same route with a per-key budget, a
 * per-key rate limit (requests and tokens) and the PII guardrail redacting
 * on input, with `state sqlite(…)` in a fresh directory and the default
 * metrics on. The difference in the gateway's CPU per request is what those
 * features cost. The orchestration lives in bench/proxy.ts (it owns the
 * child processes and the load generator); this module only says what is
 * served and how the result is read.
 *
 * Target (issue 5): under 50 µs added per request at p50 for a 1 KB prompt
 * with SQLite, excluding the first tokenizer load (each gateway is warmed
 * before it is measured, so the tokenizer is loaded by then).
 */

/** The address the prompt carries, so the redaction has something to replace; the upstream counts requests that still contain it. */
export const FEATURE_EMAIL = "jane.doe@example.com";

/** Target of issue 5: the features add less than this many µs of gateway CPU per request. */
export const TARGET_ADDED_US = 50;

/**
 * The ~1 KB request body both runs send: one user message with one email
 * address and prose without digits (so only the email is redacted, and the
 * phone and card detectors scan without matching).
 */
export function featurePrompt(): string {
  const filler =
    "Please summarise the following customer note for the support team and suggest a polite reply. " +
    "The customer writes that the delivery arrived late, the box was damaged, and the invoice was sent to the wrong person. " +
    "They would like a replacement and ask to be contacted by email rather than by telephone. ";
  let content = `Customer contact: ${FEATURE_EMAIL}. `;
  while (content.length < 960) content += filler;
  content = content.slice(0, 960);
  return JSON.stringify({ model: "chat", messages: [{ role: "user", content }], max_tokens: 16 });
}

/**
 * The policy served: `upstream` is the mock upstream's base URL (or "mock"
 * for the built-in mock provider); with `stateDir` the route also has the
 * budget, the limit and the PII guardrail, and the state is SQLite in that
 * directory. Both models carry prices in both variants (a budgeted route
 * needs them, and the bare route is otherwise identical).
 */
export function benchPolicy(upstream: string, keyHash: string, stateDir?: string): string {
  const provider = upstream === "mock" ? "provider up { api mock }" : `provider up { api openai base_url "${upstream}/v1" timeout 10s }`;
  const features = stateDir !== undefined;
  return `
gateway {
  auth keys
${features ? `  state sqlite(${JSON.stringify(`${stateDir}/state.db`)})` : ""}
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
route chat {
  when model == "chat"
${features ? "  guard pii\n  budget bench-key\n  limit bench-key" : ""}
  to mini
  fallback backup on 429, 5xx, timeout
}
`;
}

/** One gateway's figures in the features scenario. */
export interface FeatureRun {
  /** Closed loop at the harness's connection count. */
  rps: number;
  cpuUsPerRequest: number;
  /** Open loop at the harness's fixed rate. */
  cpuUsPerRequestAtRate: number;
  p50Ms?: number;
  p99Ms?: number;
  errors: number;
  /** Requests the upstream received that still contained {@link FEATURE_EMAIL}, over requests it received. */
  emailSeen: number;
  upstreamRequests: number;
}

/** The scenario's result: the bare route, the featured route, and what the features added. */
export interface FeaturesReport {
  promptBytes: number;
  bare: FeatureRun;
  featured: FeatureRun;
  addedCpuUs: number;
  addedCpuUsAtRate: number;
  cpuRatio: number;
  addedP50Ms?: number;
  addedP99Ms?: number;
  targetMet: boolean;
}

/** Builds the report from the two runs. */
export function featuresReport(promptBytes: number, bare: FeatureRun, featured: FeatureRun): FeaturesReport {
  const addedCpuUs = featured.cpuUsPerRequest - bare.cpuUsPerRequest;
  const report: FeaturesReport = {
    promptBytes,
    bare,
    featured,
    addedCpuUs,
    addedCpuUsAtRate: featured.cpuUsPerRequestAtRate - bare.cpuUsPerRequestAtRate,
    cpuRatio: featured.cpuUsPerRequest / bare.cpuUsPerRequest,
    targetMet: addedCpuUs < TARGET_ADDED_US,
  };
  if (featured.p50Ms !== undefined && bare.p50Ms !== undefined) report.addedP50Ms = featured.p50Ms - bare.p50Ms;
  if (featured.p99Ms !== undefined && bare.p99Ms !== undefined) report.addedP99Ms = featured.p99Ms - bare.p99Ms;
  return report;
}

/** Prints the scenario's table. `connections` and `rate` label the closed- and open-loop rows. */
export function printFeatures(r: FeaturesReport, connections: number, rate: number): void {
  const f = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(d));
  const row = (label: string, a: string, b: string, tail = "") => console.log(`  ${label.padEnd(34)}${a.padStart(9)}  ${b.padStart(9)}${tail}`);
  console.log(`features: budget + rate limit (per key) + guardrail pii (redact on input), state sqlite, metrics on; ${r.promptBytes} B request body`);
  row("", "bare", "features");
  row(`req/s @ ${connections} connections`, f(r.bare.rps, 0), f(r.featured.rps, 0));
  row(`gateway CPU µs/req @ ${connections} conn`, f(r.bare.cpuUsPerRequest, 1), f(r.featured.cpuUsPerRequest, 1), `   added ${f(r.addedCpuUs, 1)} µs (${f(r.cpuRatio, 2)}×)`);
  row(`gateway CPU µs/req @ ${rate} req/s`, f(r.bare.cpuUsPerRequestAtRate, 1), f(r.featured.cpuUsPerRequestAtRate, 1), `   added ${f(r.addedCpuUsAtRate, 1)} µs`);
  row(`p50 ms @ ${rate} req/s`, f(r.bare.p50Ms, 3), f(r.featured.p50Ms, 3), `   added ${f(r.addedP50Ms, 3)} ms`);
  row(`p99 ms @ ${rate} req/s`, f(r.bare.p99Ms, 3), f(r.featured.p99Ms, 3), `   added ${f(r.addedP99Ms, 3)} ms`);
  row("errors", String(r.bare.errors), String(r.featured.errors));
  row("upstream saw the email", `${r.bare.emailSeen}/${r.bare.upstreamRequests}`, `${r.featured.emailSeen}/${r.featured.upstreamRequests}`);
  console.log(`  target: features add < ${TARGET_ADDED_US} µs CPU per request: ${r.targetMet ? "met" : "MISSED"} (${f(r.addedCpuUs, 1)} µs at ${connections} connections)`);
}
