/**
 * OpenAI Responses in, to an `openai` provider with `responses true`: a
 * pass-through to the upstream's `/v1/responses`. With a policy that
 * changes nothing the upstream receives exactly the caller's body (`model`
 * replaced) and the caller exactly the upstream's reply bytes or its own
 * stream events; the official `openai` SDK's `responses.create` and
 * `responses.stream` read them; the usage of the reply (of
 * `response.completed` in a stream) settles the budget; a redacted request
 * is re-encoded (all its fields kept), never the caller's bytes. Without
 * the setting the same request is translated to chat completions.
 */
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { memoryStore, type Store } from "../../runtime/state/index.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "./helpers.js";

const stores: Store[] = [];

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** `chat` → the Responses-serving upstream (budgeted, $1/Mtok in, $2/Mtok out); `guarded` redacts e-mails; `plain` → the same upstream without the setting. */
async function gateway(up: FakeUpstream, fb?: FakeUpstream) {
  const graph = policy(`
provider up { api openai base_url "${up.baseUrl}" responses true }
provider same { api openai base_url "${up.baseUrl}" }
${fb ? `provider fb { api openai base_url "${fb.baseUrl}" }` : ""}
keys { "${KEY_HASH}" team "search" }
model main = up/"gpt-5" { input $1/Mtok output $2/Mtok max_output 4k }
model plain-gpt = same/"gpt-5"
${fb ? `model spare = fb/"gpt-4o" { input $1/Mtok output $2/Mtok max_output 4k }` : ""}
budget day { per team limit $10 per day }
guardrail pii { on input redact email }
route chat { when model == "chat"  budget day  to main ${fb ? "fallback spare on 5xx" : ""} }
route guarded { when model == "guarded"  guard pii  to main }
route plain { when model == "plain"  to plain-gpt }
`);
  const store = memoryStore({ clock: Date.now });
  stores.push(store);
  const started = await serve(graph, { store });
  const openai = new OpenAI({ apiKey: KEY, baseURL: `${started.base}/v1`, maxRetries: 0, timeout: 10_000 });
  /** The team's spend in µ$, and what is still held. */
  const ledger = async () => {
    const [row] = (await store.list()).filter((e) => e.kind === "budget");
    return { spent: row?.spent ?? 0, reserved: row?.reserved ?? 0 };
  };
  return { ...started, openai, ledger };
}

const post = (base: string, text: string) => fetch(`${base}/v1/responses`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: text });

/** A body no serializer would write: spaces, an escape, fields the chat wire has no place for, `model` in the middle. */
const callerBody = (model: string, stream: boolean, text = "h\\u00e9llo") =>
  `{ "input" : [{"role":"user","content":[{"type":"input_text","text":"${text}"}]}],\n "model":"${model}", "include":["reasoning.encrypted_content"], "truncation":"auto", "stream":${stream} ,"x_future":{"a":[1,2.50]}}`;

describe("Responses to an upstream that serves Responses, nothing changed by the policy", () => {
  it("sends the caller's bytes to /v1/responses with only `model` replaced and answers the upstream's bytes", async () => {
    const up = await startUpstream("openai");
    const reply = `{"id":"resp_01", "object":"response","created_at":1700000000,"status":"completed","model":"gpt-5-2025","output":[{"type":"reasoning","id":"rs_1","summary":[]},{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"h\\u00e9","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":1,"total_tokens":6},"store":true}`;
    up.next(behave.raw(200, { "content-type": "application/json" }, [reply]));
    const { base } = await gateway(up);
    const r = await post(base, callerBody("chat", false));
    expect(r.status).toBe(200);
    expect(up.requests[0]!.path).toBe("/v1/responses");
    expect(up.requests[0]!.text).toBe(callerBody("gpt-5", false));
    expect(await r.text()).toBe(reply);
    expect(r.headers.get("x-aigw-target")).toBe("main");
  });

  it("relays the upstream's own stream events, types aigw does not know included", async () => {
    const up = await startUpstream("openai");
    let seq = 0;
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const resp = (status: string, usage: unknown) => ({ id: "resp_02", object: "response", created_at: 1, status, model: "gpt-5-x", output: [], usage });
    const events = [
      ev("response.created", { response: resp("in_progress", null) }),
      ev("response.in_progress", { response: resp("in_progress", null) }),
      ev("response.output_item.added", { output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } }),
      ev("response.reasoning_summary_text.delta", { item_id: "rs_1", output_index: 0, summary_index: 0, delta: "thinking" }),
      ev("response.output_item.done", { output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } }),
      ev("response.output_item.added", { output_index: 1, item: { type: "message", id: "msg_1", status: "in_progress", role: "assistant", content: [] } }),
      ev("response.output_text.delta", { item_id: "msg_1", output_index: 1, content_index: 0, delta: "hi" }),
      ev("response.output_item.done", { output_index: 1, item: { type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hi" }] } }),
      ev("response.completed", { response: resp("completed", { input_tokens: 5, output_tokens: 2, total_tokens: 7 }) }),
    ];
    up.next(behave.raw(200, { "content-type": "text/event-stream" }, events));
    const { base } = await gateway(up);
    const r = await post(base, callerBody("chat", true));
    expect(r.status).toBe(200);
    expect(up.requests[0]!.text).toBe(callerBody("gpt-5", true));
    expect(await r.text()).toBe(events.join(""));
  });

  it("answers responses.create and settles the budget with the reply's usage", async () => {
    const up = await startUpstream("openai");
    up.next(behave.reply({ text: "sunny", usage: { prompt: 20, completion: 500 } }));
    const { openai, ledger } = await gateway(up);
    const res = await openai.responses.create({ model: "chat", input: "weather?", instructions: "be brief", include: ["reasoning.encrypted_content"] });
    expect(res.output_text).toBe("sunny");
    expect(res.usage?.output_tokens).toBe(500);
    expect(up.requests[0]!.body).toEqual({ model: "gpt-5", input: "weather?", instructions: "be brief", include: ["reasoning.encrypted_content"] });
    // 20 tokens at $1/Mtok and 500 at $2/Mtok: 1020 µ$, nothing left held.
    expect(await ledger()).toEqual({ spent: 1020, reserved: 0 });
  });

  it("streams with responses.stream, a tool call included, and settles with the usage of response.completed", async () => {
    const up = await startUpstream("openai");
    up.next(behave.reply({ text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: { city: "Paris" } }], usage: { prompt: 30, completion: 100 } }));
    const { openai, ledger } = await gateway(up);
    const tools = [{ type: "function" as const, name: "weather", strict: false, parameters: { type: "object", properties: { city: { type: "string" } } } }];
    const stream = openai.responses.stream({ model: "chat", input: "weather in Paris?", tools });
    const deltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output).toMatchObject([{ type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }]);
    expect(deltas.join("")).toBe('{"city":"Paris"}');
    expect(up.requests[0]!.path).toBe("/v1/responses");
    expect(up.requests[0]!.body).toMatchObject({ model: "gpt-5", stream: true, tools });
    // 30 × $1/Mtok + 100 × $2/Mtok
    expect(await ledger()).toEqual({ spent: 230, reserved: 0 });
  });

  it("ends a stream whose upstream reports response.failed with an error event the SDK raises", async () => {
    const up = await startUpstream("openai");
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const resp = (status: string, extra: Record<string, unknown> = {}) => ({ id: "resp_03", object: "response", created_at: 1, status, model: "gpt-5", output: [], ...extra });
    up.next(behave.raw(200, { "content-type": "text/event-stream" }, [ev("response.created", { sequence_number: 0, response: resp("in_progress") }), ev("response.failed", { sequence_number: 1, response: resp("failed", { error: { code: "server_error", message: "overloaded" } }) })]));
    const { openai } = await gateway(up);
    const stream = openai.responses.stream({ model: "chat", input: "hi" });
    await expect(stream.finalResponse()).rejects.toThrow();
  });

  it("falls back before the first byte to a chat upstream, whose reply is encoded as a Response", async () => {
    const up = await startUpstream("openai");
    const fb = await startUpstream("openai");
    up.next(behave.fail(503));
    fb.next(behave.reply({ text: "from the spare" }));
    const { openai } = await gateway(up, fb);
    const res = await openai.responses.create({ model: "chat", input: "hi" });
    expect(res.output_text).toBe("from the spare");
    expect(up.requests[0]!.path).toBe("/v1/responses");
    expect(fb.requests[0]!.path).toBe("/v1/chat/completions");
  });
});

describe("Responses to an upstream that serves Responses, rewritten by the policy", () => {
  it("sends a redacted request re-encoded, every field kept, never the caller's bytes", async () => {
    const up = await startUpstream("openai");
    const { base } = await gateway(up);
    const r = await post(base, callerBody("guarded", false, "mail me at ann@example.com"));
    expect(r.status).toBe(200);
    const sent = up.requests[0]!;
    expect(sent.path).toBe("/v1/responses");
    expect(sent.text).not.toContain("ann@example.com");
    expect(sent.text).not.toBe(callerBody("gpt-5", false, "mail me at ann@example.com"));
    expect(sent.body).toMatchObject({ model: "gpt-5", include: ["reasoning.encrypted_content"], truncation: "auto", x_future: { a: [1, 2.5] }, input: [{ role: "user", content: [{ type: "input_text" }] }] });
    expect(sent.body.input[0].content[0].text).toMatch(/^mail me at (?!ann@example\.com)/);
  });

  it("streams a redacted request re-encoded, as a stream", async () => {
    const up = await startUpstream("openai");
    const { openai } = await gateway(up);
    const final = await openai.responses.stream({ model: "guarded", input: "mail ann@example.com" }).finalResponse();
    // (the SDK's stream sets no `output_text`: the text is read from the output items)
    expect(final.output).toMatchObject([{ type: "message", content: [{ type: "output_text", text: "hello from responses" }] }]);
    expect(up.requests[0]!.body).toMatchObject({ model: "gpt-5", stream: true });
    expect(up.requests[0]!.text).not.toContain("ann@example.com");
  });
});

describe("Responses to an `openai` provider without `responses true`", () => {
  it("is translated to chat completions, as before", async () => {
    const up = await startUpstream("openai");
    const { openai } = await gateway(up);
    const res = await openai.responses.create({ model: "plain", input: "hi" });
    expect(res.output_text).toBe("hello from openai");
    expect(up.requests[0]!.path).toBe("/v1/chat/completions");
  });
});
