/**
 * The chat codec: a validated chat-completions body decodes into the
 * canonical request (typed content blocks, tools, output constraints,
 * sampling, streaming) and encodes back to the same body, passthrough
 * fields and unknown part fields included.
 */
import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../../runtime/pipeline/validate.js";
import { decodeChat, encodeChat } from "../../runtime/request/index.js";

const rich = {
  model: "chat",
  messages: [
    { role: "system", content: "be brief" },
    {
      role: "user",
      name: "ann",
      content: [
        { type: "text", text: "what is this?", cache_control: { type: "ephemeral" } },
        { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
        { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
        { type: "file", file: { file_id: "f1", filename: "a.pdf" } },
      ],
    },
    { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "look", arguments: '{"q":1}' } }] },
    { role: "tool", tool_call_id: "c1", content: "42" },
    { role: "assistant", content: "no", refusal: "cannot" },
  ],
  tools: [{ type: "function", function: { name: "look", description: "looks", parameters: { type: "object" }, strict: true } }],
  tool_choice: { type: "function", function: { name: "look" } },
  parallel_tool_calls: false,
  max_tokens: 100,
  n: 2,
  stop: "END",
  temperature: 0.2,
  top_p: null,
  response_format: { type: "json_object" },
  stream: true,
  stream_options: { include_usage: true },
  user: "u-1",
  metadata: { ticket: "7" },
  seed: 9,
  logprobs: true,
};

describe("the chat codec", () => {
  it("decodes messages into typed blocks, and the request's constraints into the model", () => {
    const r = decodeChat(parseChatRequest(JSON.stringify(rich)));
    expect(r).toMatchObject({ operation: "chat", api: "openai.chat", model: "chat", stream: { includeUsage: true }, user: "u-1", metadata: { ticket: "7" } });
    expect(r.messages[1]!.content.map((b) => b.kind)).toEqual(["text", "image", "audio", "file"]);
    expect(r.messages[1]!.content[0]).toEqual({ kind: "text", text: "what is this?", extra: { cache_control: { type: "ephemeral" } } });
    expect(r.messages[2]!.content).toEqual([{ kind: "tool_call", id: "c1", name: "look", arguments: '{"q":1}', extra: { type: "function" } }]);
    expect(r.messages[3]!.content).toEqual([{ kind: "tool_result", toolCallId: "c1", content: [{ kind: "text", text: "42" }] }]);
    expect(r.messages[4]!.content.map((b) => b.kind)).toEqual(["text", "refusal"]);
    expect(r.tools).toEqual([{ name: "look", description: "looks", parameters: { type: "object" }, strict: true }]);
    expect(r.toolChoice).toEqual({ kind: "tool", name: "look" });
    expect(r.output).toEqual({ maxTokens: 100, n: 2, stop: ["END"], format: { type: "json_object" } });
    expect(r.sampling).toEqual({ temperature: 0.2 });
    // not modeled, or sent as null: passed through, to the same wire only
    expect(r.passthrough.fields).toMatchObject({ seed: 9, logprobs: true, top_p: null, max_tokens: 100, stop: "END" });
  });

  const legacy = {
    model: "m",
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: null, function_call: { name: "f", arguments: '{"a":1}' }, reasoning_content: "thinking", tool_calls: [] },
      { role: "function", name: "f", content: "done" },
    ],
    functions: [{ name: "f", description: "d", parameters: { type: "object" }, x_vendor: 1 }],
    tools: [{ type: "function", function: { name: "g", strict: null }, cache_control: { type: "ephemeral" } }],
  };

  it("encodes back to the body it decoded, built anew from the model (a copy of the request, not the one decoded)", () => {
    const bodies = [rich, legacy, { model: "m", messages: [{ role: "user", content: "hi" }] }, { model: "m", messages: [{ role: "developer", content: [{ type: "text", text: "x" }] }], stream: false, max_completion_tokens: 5, stop: ["a", "b"] }];
    for (const b of bodies) {
      const body = parseChatRequest(JSON.stringify(b));
      expect(encodeChat({ ...decodeChat(body) })).toEqual(body);
    }
  });

  it("hands back the very body a request was decoded from, key order and all, when that request is encoded unchanged", () => {
    const body = parseChatRequest('{"temperature":0.5,"messages":[{"content":"hi","role":"user"}],"model":"chat","seed":3}');
    const req = decodeChat(body);
    expect(encodeChat(req)).toBe(body);
    expect(JSON.stringify(encodeChat(req, "gpt-4o"))).toBe('{"temperature":0.5,"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o","seed":3}');
  });

  it("encodes a request built elsewhere (a redacted copy) once: the budget's bound and the adapter share the body", () => {
    const copy = { ...decodeChat(parseChatRequest('{"model":"chat","messages":[{"role":"user","content":"hi"}]}')) };
    const first = encodeChat(copy);
    expect(encodeChat(copy)).toBe(first);
    expect(encodeChat(copy, "gpt-4o")).toEqual({ ...first, model: "gpt-4o" });
    expect(first.model).toBe("chat");
  });

  it("models the legacy and reasoning fields as blocks and tools, so every reader sees them", () => {
    const r = decodeChat(parseChatRequest(JSON.stringify(legacy)));
    expect(r.messages[1]!.content).toEqual([
      { kind: "reasoning", text: "thinking", extra: { field: "reasoning_content" } },
      { kind: "tool_call", id: "", name: "f", arguments: '{"a":1}', extra: { legacy: true } },
    ]);
    expect(r.tools.map((t) => t.name)).toEqual(["g", "f"]);
    expect(r.passthrough.fields).not.toHaveProperty("functions");
  });

  it("names the upstream model when encoding for a target", () => {
    const body = parseChatRequest(JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }));
    expect(encodeChat(decodeChat(body), "gpt-4o").model).toBe("gpt-4o");
  });
});
