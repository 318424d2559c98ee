/**
 * The Responses codec: a Responses body (instructions, input string or
 * items, function tools, tool_choice, max_output_tokens, text.format,
 * reasoning.effort) decodes into the canonical request and encodes back to
 * the same body; stateful fields are refused by name; the reply side writes
 * a Response and the Responses event sequence.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decodeResponses, encodeResponses, responseObject, ResponsesStreamEncoder } from "../../runtime/request/index.js";
import type { ChatCompletionChunk } from "../../runtime/request/openai-wire.js";
import { openaiChatRequest } from "../../runtime/providers/openai-request.js";

const rich = {
  model: "chat",
  instructions: "be brief",
  input: [
    { role: "user", content: [{ type: "input_text", text: "look at" }, { type: "input_image", image_url: "https://example.com/a.png", detail: "low" }] },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "calling", annotations: [] }] },
    { type: "function_call", call_id: "c1", name: "look", arguments: '{"q":1}' },
    { type: "function_call_output", call_id: "c1", output: "42" },
  ],
  tools: [{ type: "function", name: "look", description: "looks", parameters: { type: "object" }, strict: true }],
  tool_choice: { type: "function", name: "look" },
  parallel_tool_calls: false,
  max_output_tokens: 200,
  temperature: 0.3,
  text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true }, verbosity: "low" },
  reasoning: { effort: "low" },
  user: "u-1",
  metadata: { a: "b" },
  store: false,
  stream: true,
};

describe("the Responses codec", () => {
  it("decodes instructions, items, tools and output constraints into the model", () => {
    const r = decodeResponses(rich);
    expect(r).toMatchObject({ api: "openai.responses", model: "chat", user: "u-1", reasoning: { effort: "low" }, stream: { includeUsage: true }, parallelToolCalls: false });
    expect(r.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(r.messages[2]!.content.map((b) => b.kind)).toEqual(["text", "tool_call"]);
    expect(r.messages[3]!.content[0]).toEqual({ kind: "tool_result", toolCallId: "c1", content: [{ kind: "text", text: "42" }] });
    expect(r.output).toEqual({ maxTokens: 200, format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } } });
    expect(r.toolChoice).toEqual({ kind: "tool", name: "look" });
  });

  it("encodes back to the body it decoded, and into a chat body for any provider", () => {
    expect(encodeResponses(decodeResponses(rich))).toEqual(rich);
    const chat = openaiChatRequest(decodeResponses(rich));
    expect(chat.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(chat).toMatchObject({ max_completion_tokens: 200, reasoning_effort: "low", verbosity: "low", response_format: { type: "json_schema", json_schema: { name: "out" } } });
    expect(chat).not.toHaveProperty("instructions");
    expect(chat).not.toHaveProperty("store");
    expect(JSON.stringify(chat)).not.toContain("annotations");
    expect(() => openaiChatRequest(decodeResponses({ ...rich, truncation: "auto" }))).toThrow(/`truncation`/);
  });

  it("refuses what needs stored state, naming the field", () => {
    const param = (b: Record<string, unknown>) => {
      try {
        decodeResponses({ model: "m", input: "hi", ...b });
      } catch (e) {
        return e instanceof CodecError ? [e.param, e.message] : ["not a codec error"];
      }
      return ["accepted"];
    };
    expect(param({ previous_response_id: "resp_1" })).toEqual(["previous_response_id", expect.stringContaining("not supported")]);
    expect(param({ background: true })[0]).toBe("background");
    expect(param({ input: [{ type: "item_reference", id: "x" }] })[0]).toBe("input[0].type");
    expect(param({ tools: [{ type: "web_search" }] })[0]).toBe("tools[0].type");
  });

  it("round-trips every body it accepts (encode ∘ decode = id on the wire, decode ∘ encode = id on the model)", () => {
    const inText = fc.record({ type: fc.constant("input_text"), text: fc.string() });
    const image = fc.record({ type: fc.constant("input_image"), image_url: fc.webUrl(), detail: fc.constantFrom("low", "high", "auto") }, { requiredKeys: ["type", "image_url"] });
    const user = fc.record({ role: fc.constantFrom("user", "developer", "system"), content: fc.oneof(fc.string(), fc.array(fc.oneof(inText, image), { minLength: 1, maxLength: 3 })) });
    const assistant = fc.record({ type: fc.constant("message"), role: fc.constant("assistant"), content: fc.array(fc.record({ type: fc.constant("output_text"), text: fc.string(), annotations: fc.constant([]) }), { minLength: 1, maxLength: 2 }) });
    const call = fc.record({ type: fc.constant("function_call"), call_id: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), arguments: fc.json() });
    const output = fc.record({ type: fc.constant("function_call_output"), call_id: fc.string({ minLength: 1 }), output: fc.string() });
    const turn = fc.tuple(user, fc.option(assistant, { nil: undefined }), fc.array(call, { maxLength: 2 }), fc.array(output, { maxLength: 2 })).map(([u, a, cs, os]) => [u, ...(a ? [a] : []), ...cs, ...os]);
    const body = fc.record(
      {
        model: fc.string({ minLength: 1 }),
        instructions: fc.string(),
        input: fc.oneof(fc.string(), fc.array(turn, { minLength: 1, maxLength: 3 }).map((t) => t.flat())),
        tools: fc.array(fc.record({ type: fc.constant("function"), name: fc.string({ minLength: 1 }), parameters: fc.constant({ type: "object" }), strict: fc.boolean() }), { maxLength: 2 }),
        tool_choice: fc.oneof(fc.constantFrom("auto", "none", "required"), fc.record({ type: fc.constant("function"), name: fc.string() })),
        parallel_tool_calls: fc.boolean(),
        max_output_tokens: fc.integer({ min: 1, max: 100_000 }),
        temperature: fc.double({ min: 0, max: 2, noNaN: true }),
        top_p: fc.double({ min: 0, max: 1, noNaN: true }),
        text: fc.record({ format: fc.oneof(fc.constant({ type: "text" }), fc.constant({ type: "json_object" }), fc.record({ type: fc.constant("json_schema"), name: fc.string(), schema: fc.constant({ type: "object" }) })) }),
        reasoning: fc.record({ effort: fc.constantFrom("minimal", "low", "medium", "high") }),
        user: fc.string(),
        metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.string(), { maxKeys: 2 }),
        store: fc.boolean(),
        stream: fc.constant(true),
      },
      { requiredKeys: ["model", "input"] },
    );
    fc.assert(
      fc.property(body, (b) => {
        const wire = JSON.parse(JSON.stringify(b)) as Record<string, unknown>;
        const model = decodeResponses(wire);
        // One user item with string content and the string `input` are the same request (the API says so): the codec writes the string.
        const [only, ...more] = Array.isArray(wire["input"]) ? (wire["input"] as Record<string, unknown>[]) : [];
        const same = only !== undefined && more.length === 0 && only["role"] === "user" && typeof only["content"] === "string" && Object.keys(only).length === 2 ? { ...wire, input: only["content"] } : wire;
        expect(encodeResponses(model)).toEqual(same);
        expect(decodeResponses(encodeResponses(model))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the Responses reply", () => {
  const echo = { fields: { instructions: "be brief" }, createdAt: 1 };
  it("writes a completion as a Response with a message and function_call items", () => {
    const r = responseObject(
      {
        id: "chatcmpl-abc",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, message: { role: "assistant", content: "hi", tool_calls: [{ id: "c1", type: "function", function: { name: "look", arguments: "{}" } }] }, finish_reason: "tool_calls" }],
        usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      },
      echo,
    );
    expect(r).toMatchObject({ id: "resp_abc", object: "response", status: "completed", model: "gpt-4o", instructions: "be brief", store: false, output_text: "hi" });
    expect(r["output"]).toEqual([
      { type: "message", id: "msg_abc", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hi", annotations: [], logprobs: [] }] },
      { type: "function_call", id: "fc_c1", call_id: "c1", name: "look", arguments: "{}", status: "completed" },
    ]);
    expect(r["usage"]).toMatchObject({ input_tokens: 10, output_tokens: 3, total_tokens: 13 });
  });

  it("writes chunks as the Responses event sequence, usage on response.completed", () => {
    const base = { id: "chatcmpl-x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    const chunks: ChatCompletionChunk[] = [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "hey" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "look", arguments: "{}" } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
      { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    ];
    const enc = new ResponsesStreamEncoder(echo);
    const text = chunks.map((c) => enc.chunk(c)).join("") + enc.end();
    const events = text.trim().split("\n\n").map((e) => JSON.parse(e.split("\n")[1]!.slice(6)) as Record<string, unknown>);
    expect(events.map((e) => e["type"])).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e["sequence_number"])).toEqual(events.map((_, i) => i));
    expect(events[12]).toMatchObject({ response: { status: "completed", output_text: "hey", usage: { input_tokens: 5, output_tokens: 2 } } });
  });
});
