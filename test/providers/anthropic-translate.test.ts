import { describe, expect, it } from "vitest";
import { toAnthropicRequest } from "../../runtime/providers/anthropic-request.js";
import { TranslationError, finishReason, fromAnthropicResponse, wireUsage } from "../../runtime/providers/anthropic-translate.js";
import { decodeChat } from "../../runtime/request/index.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";

const opts = { defaultMaxTokens: 4096, stream: false };

/** The adapter encodes from the canonical request: each body is decoded as the gateway decodes it. */
function translate(body: Partial<ChatCompletionRequest>, o = opts) {
  return toAnthropicRequest(decodeChat({ model: "chat", messages: [], ...body }), "claude-x", o);
}

describe("OpenAI request → Anthropic request", () => {
  it("moves system and developer messages to `system` and sets the upstream model", () => {
    const out = translate({
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
        { role: "developer", content: [{ type: "text", text: "no emoji" }] },
      ],
    });
    expect(out.model).toBe("claude-x");
    expect(out.system).toEqual([
      { type: "text", text: "be brief" },
      { type: "text", text: "no emoji" },
    ]);
    expect(out.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
    expect(out).not.toHaveProperty("stream");
  });

  it("takes max_tokens from the request, else max_completion_tokens, else the default", () => {
    expect(translate({ messages: [], max_tokens: 50 }).max_tokens).toBe(50);
    expect(translate({ messages: [], max_completion_tokens: 70, max_tokens: 50 }).max_tokens).toBe(70);
    expect(translate({ messages: [] }, { defaultMaxTokens: 1234, stream: true })).toMatchObject({ max_tokens: 1234, stream: true });
  });

  it("maps stop, temperature (clamped to 1), top_p and user", () => {
    expect(translate({ stop: "END", temperature: 1.7, top_p: 0.9, user: "u1" })).toMatchObject({
      stop_sequences: ["END"],
      temperature: 1,
      top_p: 0.9,
      metadata: { user_id: "u1" },
    });
    expect(translate({ stop: ["a", "b"], temperature: 0.2 })).toMatchObject({ stop_sequences: ["a", "b"], temperature: 0.2 });
  });

  it("translates images: data URLs to base64 sources, http URLs to url sources", () => {
    const out = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=" } },
          ],
        },
      ],
    });
    expect(out.messages[0]!.content).toEqual([
      { type: "text", text: "what is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
    ]);
  });

  it("rejects what Anthropic cannot take", () => {
    const bad: Partial<ChatCompletionRequest>[] = [
      { n: 2 },
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png,rawbytes" } }] }] },
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }] },
      { messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }] },
      { messages: [{ role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "[1]" } }] }] },
    ];
    for (const body of bad) expect(() => translate(body)).toThrow(TranslationError);
  });

  it("translates tools, tool_choice and parallel_tool_calls", () => {
    const tools: ChatCompletionRequest["tools"] = [
      { type: "function", function: { name: "weather", description: "get weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      { type: "function", function: { name: "noop" } },
    ];
    const out = translate({ tools, tool_choice: "required", parallel_tool_calls: false });
    expect(out.tools).toEqual([
      { name: "weather", description: "get weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "noop", input_schema: { type: "object", properties: {} } },
    ]);
    expect(out.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(translate({ tools, tool_choice: "auto" }).tool_choice).toEqual({ type: "auto" });
    expect(translate({ tools, tool_choice: "none" }).tool_choice).toEqual({ type: "none" });
    expect(translate({ tools, tool_choice: { type: "function", function: { name: "weather" } } }).tool_choice).toEqual({ type: "tool", name: "weather" });
    expect(translate({ tools }).tool_choice).toBeUndefined();
  });

  it("turns assistant tool calls into tool_use and tool messages into one user turn of tool_results", () => {
    const out = translate({
      messages: [
        { role: "user", content: "weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: "{\"city\":\"Rome\"}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "rain" }] },
        { role: "user", content: "thanks" },
        { role: "assistant", content: "" },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "sunny" },
          { type: "tool_result", tool_use_id: "call_2", content: "rain" },
          { type: "text", text: "thanks" },
        ],
      },
    ]);
  });
});

describe("Anthropic reply → OpenAI completion", () => {
  it("maps stop reasons", () => {
    expect(finishReason("end_turn")).toBe("stop");
    expect(finishReason("stop_sequence")).toBe("stop");
    expect(finishReason("max_tokens")).toBe("length");
    expect(finishReason("tool_use")).toBe("tool_calls");
    expect(finishReason("refusal")).toBe("content_filter");
    expect(finishReason(null)).toBeNull();
  });

  it("counts cached input as prompt tokens, reads as cached_tokens and writes as cache_creation_input_tokens", () => {
    expect(wireUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 })).toEqual({
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100 },
      cache_creation_input_tokens: 20,
    });
  });

  it("translates text, tool_use and usage", () => {
    const out = fromAnthropicResponse(
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [
          { type: "thinking", thinking: "hmm", signature: "s" },
          { type: "text", text: "Let me check. " },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        ],
        stop_reason: "tool_use",
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 30 },
      },
      1_700_000_000,
    );
    expect(out).toEqual({
      id: "msg_1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Let me check. ",
            refusal: null,
            tool_calls: [{ id: "toolu_1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } }],
          },
          finish_reason: "tool_calls",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
    });
  });

  it("gives null content for a tool-only reply and rejects a non-message", () => {
    const out = fromAnthropicResponse(
      { id: "m", model: "c", content: [{ type: "tool_use", id: "t", name: "f", input: {} }], stop_reason: "tool_use", usage: { input_tokens: 1, output_tokens: 1 } },
      0,
    );
    expect(out.choices[0]!.message.content).toBeNull();
    expect(() => fromAnthropicResponse({ nope: true }, 0)).toThrow(TranslationError);
  });
});

describe("what the Messages API cannot honour is refused by name, never dropped", () => {
  const user = [{ role: "user" as const, content: "hi" }];

  it("refuses unmodeled fields that ask for more than the default, naming them", () => {
    const refused: [Partial<ChatCompletionRequest>, RegExp][] = [
      [{ seed: 7 }, /`seed`/],
      [{ reasoning_effort: "high" }, /`reasoning_effort`/],
      [{ response_format: { type: "json_object" } }, /`response_format`/],
      [{ response_format: { type: "json_schema", json_schema: { name: "r", schema: {} } } }, /`response_format`/],
      [{ logprobs: true }, /`logprobs`/],
      [{ presence_penalty: 0.5 }, /`presence_penalty`/],
      [{ metadata: { a: "b" } }, /`metadata`/],
      [{ tools: [{ type: "function", function: { name: "f", strict: true } }] }, /`strict`/],
      [{ messages: [{ role: "user", content: [{ type: "text", text: "x", x_vendor: 1 } as never] }] }, /`x_vendor`/],
      [{ messages: [...user, { role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } } as never] }, /`function_call`/],
      [{ messages: [...user, { role: "assistant", content: "a", reasoning_content: "because" } as never] }, /`reasoning_content`/],
      [{ messages: [{ role: "function", name: "f", content: "r" } as never] }, /`function`/],
      [{ messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] }, /by id/],
    ];
    for (const [body, name] of refused) {
      expect(() => translate({ messages: user, ...body }), JSON.stringify(body)).toThrow(TranslationError);
      expect(() => translate({ messages: user, ...body })).toThrow(name);
    }
  });

  it("takes fields that ask for the default, and maps what has a counterpart", () => {
    const out = translate({
      messages: [
        { role: "user", content: [{ type: "text", text: "cached", cache_control: { type: "ephemeral" } } as never, { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } }] },
        { role: "assistant", content: null, refusal: "I cannot" },
      ],
      seed: null,
      logprobs: false,
      presence_penalty: 0,
      response_format: { type: "text" },
      stream_options: { include_usage: true },
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "cached", cache_control: { type: "ephemeral" } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "a.pdf" },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "I cannot" }] },
    ]);
  });
});
