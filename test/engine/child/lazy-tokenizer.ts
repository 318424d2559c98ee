/**
 * A fresh process (the tokenizer is module state): builds a runtime for the
 * policy in argv[2], sends each request of argv[3] (JSON: content, max_tokens)
 * through the chat chain, and prints one JSON line per step: the status, the
 * error code, and whether the tokenizer is loaded by then.
 */
import { Budgets } from "../../../runtime/budget/admission.js";
import { loadedTokenizer } from "../../../runtime/engine/index.js";
import { createRuntime } from "../../../runtime/pipeline/index.js";
import { Pools } from "../../../runtime/providers/index.js";
import { memoryStore } from "../../../runtime/state/index.js";
import { realWorld } from "../../../runtime/world.js";
import { policy } from "../../server/helpers.js";

const [source, requestsJson] = process.argv.slice(2);
const graph = policy(source!);
const world = realWorld({ env: {} });
const rt = createRuntime(graph, { world, pools: new Pools(), budgets: new Budgets(memoryStore({ clock: world.now })), requestId: () => "r1" });
// Give an eager load (the old behaviour) time to finish before the first request.
await new Promise((r) => setTimeout(r, 1_500));
console.log(JSON.stringify({ step: "built", loaded: loadedTokenizer() !== undefined }));
for (const r of JSON.parse(requestsJson!) as { content: string; max_tokens?: number }[]) {
  const body = new TextEncoder().encode(JSON.stringify({ model: "chat", messages: [{ role: "user", content: r.content }], ...(r.max_tokens === undefined ? {} : { max_tokens: r.max_tokens }) }));
  const { reply } = await rt.chat({ headers: {}, path: "/v1/chat/completions", body: async () => body, signal: { aborted: false, addEventListener() {}, removeEventListener() {} } });
  const status = reply?.kind === "json" ? reply.status : reply?.kind;
  const text = reply?.kind === "json" ? (typeof reply.body === "string" ? reply.body : new TextDecoder().decode(reply.body as Uint8Array)) : "";
  const code = status === 200 ? undefined : (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  console.log(JSON.stringify({ step: "request", status, code, loaded: loadedTokenizer() !== undefined }));
}
process.exit(0);
