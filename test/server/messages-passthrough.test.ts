/**
 * Anthropic Messages in, Anthropic out, with a policy that changes nothing:
 * a byte pass-through. The upstream receives exactly the caller's body
 * (whitespace, key order, escapes, fields aigw does not model) with only
 * `model` replaced, and the caller exactly the upstream's reply: its JSON
 * bytes, or its own stream events. A redaction still reaches the upstream
 * (the pass-through is only for a request nothing rewrote).
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "./helpers.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

async function gateway(up: FakeUpstream) {
  const graph = policy(`
provider up { api anthropic base_url "${up.baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model main = up/"claude-sonnet-4-5"
guardrail pii { on input redact email }
route chat { when model == "chat"  to main }
route guarded { when model == "guarded"  guard pii  to main }
`);
  return serve(graph);
}

const post = (base: string, text: string) =>
  fetch(`${base}/v1/messages`, { method: "POST", headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" }, body: text });

/** A body no serializer would write: spaces, a unicode escape, unmodeled fields, `model` in the middle. */
const callerBody = (model: string, stream: boolean) =>
  `{ "max_tokens" : 64,\n  "model":"${model}", "top_k": 2, "messages":[{"role":"user","content":[{"type":"text","text":"h\\u00e9llo","cache_control":{"type":"ephemeral"}}]}],"stream":${stream} ,"x_future":{"a":[1,2.50]}}`;

describe("Messages to Anthropic, nothing changed by the policy", () => {
  it("sends the caller's bytes with only `model` replaced and answers the upstream's bytes", async () => {
    const up = await startUpstream("anthropic");
    const reply = `{"id":"msg_01", "type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"h\\u00e9"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1,"cache_read_input_tokens":0},"container":null}`;
    up.next(behave.raw(200, { "content-type": "application/json" }, [reply]));
    const { base } = await gateway(up);
    const r = await post(base, callerBody("chat", false));
    expect(r.status).toBe(200);
    expect(up.requests[0]!.text).toBe(callerBody("claude-sonnet-4-5", false));
    expect(await r.text()).toBe(reply);
    expect(r.headers.get("x-aigw-target")).toBe("main");
  });

  it("relays the upstream's own stream events, pings and unknown event types included", async () => {
    const up = await startUpstream("anthropic");
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events = [
      ev("message_start", { message: { id: "msg_02", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
      ev("ping", {}),
      ev("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }),
      ev("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "hmm" } }),
      ev("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: "c2ln" } }),
      ev("content_block_stop", { index: 0 }),
      ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
      ev("content_block_delta", { index: 1, delta: { type: "text_delta", text: "hi" } }),
      ev("content_block_stop", { index: 1 }),
      ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } }),
      ev("message_stop", {}),
    ];
    up.next(behave.raw(200, { "content-type": "text/event-stream" }, events));
    const { base } = await gateway(up);
    const r = await post(base, callerBody("chat", true));
    expect(r.status).toBe(200);
    expect(up.requests[0]!.text).toBe(callerBody("claude-sonnet-4-5", true));
    expect(await r.text()).toBe(events.join(""));
  });

  it("sends a redacted request re-encoded, never the caller's bytes", async () => {
    const up = await startUpstream("anthropic");
    up.next(behave.reply({ text: "ok" }));
    const { base } = await gateway(up);
    const r = await post(base, callerBody("guarded", false).replace("h\\u00e9llo", "mail me at ann@example.com"));
    expect(r.status).toBe(200);
    const sent = up.requests[0]!;
    expect(sent.text).not.toContain("ann@example.com");
    expect(sent.body).toMatchObject({ model: "claude-sonnet-4-5", top_k: 2, x_future: { a: [1, 2.5] }, messages: [{ role: "user", content: [{ type: "text", cache_control: { type: "ephemeral" } }] }] });
  });
});
