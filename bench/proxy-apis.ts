/**
 * bench/proxy-apis: what the inbound-APIs bench (bench/scenarios/apis.ts)
 * serves and sends: one policy with a route per pair of inbound API and
 * upstream wire, all to the bench's mock upstream (which speaks chat
 * completions, Anthropic Messages and Responses), and the pairs
 * themselves — each a path, a ~1 KB body (the same prompt as every proxy
 * bench, bench/proxy-features.ts) and the upstream path its request must
 * reach, which says whether it was passed through or translated:
 *
 *   chat in        → OpenAI chat         pass-through (the baseline)
 *   Messages in    → Anthropic           pass-through
 *   Messages in    → OpenAI chat         translated
 *   Responses in   → OpenAI Responses    pass-through (`responses true`)
 *   Responses in   → OpenAI chat         translated
 */
import { featurePrompt } from "./proxy-features.js";

export interface ApiPair {
  name: string;
  /** The gateway path the load posts to. */
  path: string;
  /** The upstream path a request of this pair reaches. */
  upstreamPath: string;
  body: string;
  streamBody: string;
}

/** The prompt of every proxy bench. */
const prompt = (): string => (JSON.parse(featurePrompt()) as { messages: [{ content: string }] }).messages[0].content;

const messagesBody = (model: string, stream: boolean) => JSON.stringify({ model, max_tokens: 64, messages: [{ role: "user", content: prompt() }], ...(stream ? { stream: true } : {}) });
const responsesBody = (model: string, stream: boolean) => JSON.stringify({ model, input: prompt(), max_output_tokens: 64, ...(stream ? { stream: true } : {}) });

/** The name of the baseline pair, which the others' ratios are to. */
export const CHAT_IN = "chat in → openai chat (pass-through)";

/** Every pair, the baseline first. */
export function apiPairs(): ApiPair[] {
  return [
    { name: CHAT_IN, path: "/v1/chat/completions", upstreamPath: "/v1/chat/completions", body: featurePrompt(), streamBody: featurePrompt(true) },
    { name: "Messages in → anthropic (pass-through)", path: "/v1/messages", upstreamPath: "/v1/messages", body: messagesBody("claude", false), streamBody: messagesBody("claude", true) },
    { name: "Messages in → openai chat (translated)", path: "/v1/messages", upstreamPath: "/v1/chat/completions", body: messagesBody("chat", false), streamBody: messagesBody("chat", true) },
    { name: "Responses in → openai responses (pass-through)", path: "/v1/responses", upstreamPath: "/v1/responses", body: responsesBody("gpt-responses", false), streamBody: responsesBody("gpt-responses", true) },
    { name: "Responses in → openai chat (translated)", path: "/v1/responses", upstreamPath: "/v1/chat/completions", body: responsesBody("chat", false), streamBody: responsesBody("chat", true) },
  ];
}

/**
 * The policy: `upstream` is the mock upstream's origin. Bare routes (no
 * budget, limit or guardrail), as in the throughput bench: what is measured
 * is the APIs' own cost.
 */
export function apisPolicy(upstream: string, keyHash: string): string {
  return `
gateway { auth keys }
provider up { api openai base_url "${upstream}/v1" timeout 10s }
provider up-responses { api openai base_url "${upstream}/v1" timeout 10s responses true }
provider up-anthropic { api anthropic base_url "${upstream}" timeout 10s }
keys { "${keyHash}" team "bench" }
model mini = up/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok  context 128k  max_output 16k }
model mini-responses = up-responses/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok  context 128k  max_output 16k }
model sonnet = up-anthropic/"claude-sonnet-4-5" { input $3/Mtok  output $15/Mtok  context 200k  max_output 16k }
route chat { when model == "chat"  to mini }
route responses { when model == "gpt-responses"  to mini-responses }
route claude { when model == "claude"  to sonnet }
`;
}
