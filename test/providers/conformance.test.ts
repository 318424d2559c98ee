/**
 * One suite, every adapter: what the server may rely on whichever provider
 * it talks to (after Hono's `router/common.case.test.ts`).
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  UpstreamAbortedError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  type ChatCompletionChunk,
  type ChatStream,
} from "../../runtime/providers/index.js";
import { attempt, googleHarness, httpHarness, mockHarness, type Harness } from "./harness.js";

const weather = { type: "function" as const, function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const toolBody = { tools: [weather], tool_choice: { type: "function" as const, function: { name: "weather" } } };

async function drain(stream: ChatStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function textOf(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
}

/** Assembles streamed tool calls by their index, as an OpenAI client does. */
function toolCallsOf(chunks: ChatCompletionChunk[]): { id: string; name: string; arguments: string }[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const c of chunks) {
    for (const d of c.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { id: "", name: "", arguments: "" });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name = d.function.name;
      call.arguments += d.function?.arguments ?? "";
    }
  }
  return calls;
}

describe.each<[string, () => Harness]>([
  ["openai", () => httpHarness("openai")],
  ["anthropic", () => httpHarness("anthropic")],
  ["mock", mockHarness],
  ["gemini", () => googleHarness("gemini")],
  ["vertex", () => googleHarness("vertex")],
  ["vertex (Claude)", () => googleHarness("vertex", "claude-sonnet-4-5")],
])("%s adapter conformance", (_name, make) => {
  const h = make();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  it("completes a request in OpenAI format with usage", async () => {
    h.reply();
    const providers = h.providers();
    const { completion, usage } = await providers.complete(attempt(h.model));
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe(h.upstreamModel);
    expect(completion.choices[0]!.message).toMatchObject({ role: "assistant", content: h.expectedText("hello there") });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(usage).toEqual({ promptTokens: completion.usage!.prompt_tokens, completionTokens: completion.usage!.completion_tokens });
    expect(usage!.promptTokens).toBeGreaterThan(0);
    await providers.close();
  });

  it("streams chunks ending with a usage chunk", async () => {
    h.reply();
    const providers = h.providers();
    const stream = await providers.stream(attempt(h.model, { stream: true }));
    expect(stream.firstChunkMs).toBeGreaterThanOrEqual(0);
    const chunks = await drain(stream);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.object).toBe("chat.completion.chunk");
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(textOf(chunks)).toBe(h.expectedText("hello there"));
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(stream.usage).toEqual({ promptTokens: last.usage!.prompt_tokens, completionTokens: last.usage!.completion_tokens });
    await providers.close();
  });

  it("returns tool calls", async () => {
    const tool = { name: "weather", arguments: { city: "Paris" } };
    h.reply(tool);
    const providers = h.providers();
    const { completion } = await providers.complete(attempt(h.model, toolBody));
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls).toHaveLength(1);
    expect(choice.message.tool_calls![0]!.function.name).toBe("weather");
    expect(JSON.parse(choice.message.tool_calls![0]!.function.arguments)).toEqual(h.expectedArgs(tool));
    await providers.close();
  });

  it("streams tool calls", async () => {
    const tool = { name: "weather", arguments: { city: "Paris" } };
    h.reply(tool);
    const providers = h.providers();
    const chunks = await drain(await providers.stream(attempt(h.model, { ...toolBody, stream: true })));
    const calls = toolCallsOf(chunks);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).not.toBe("");
    expect(calls[0]!.name).toBe("weather");
    expect(JSON.parse(calls[0]!.arguments)).toEqual(h.expectedArgs(tool));
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls")).toBe(true);
    await providers.close();
  });

  it("sends a tool result back and gets the answer", async () => {
    const tool = { name: "weather", arguments: { city: "Paris" } };
    h.reply(tool);
    const providers = h.providers();
    const { completion } = await providers.complete(attempt(h.model, toolBody));
    const call = completion.choices[0]!.message.tool_calls![0]!;
    h.reply();
    const messages = [
      { role: "user" as const, content: "weather in Paris?" },
      { role: "assistant" as const, content: null, tool_calls: [call] },
      { role: "tool" as const, tool_call_id: call.id, content: "sunny" },
    ];
    const { completion: answer } = await providers.complete(attempt(h.model, { tools: [weather], messages }));
    expect(answer.choices[0]!.message.content).toBe(h.expectedText("sunny"));
    expect(answer.choices[0]!.finish_reason).toBe("stop");
    await providers.close();
  });

  it("takes an image input (a base64 data URL)", async () => {
    h.reply();
    const providers = h.providers();
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const messages = [{ role: "user" as const, content: [{ type: "text" as const, text: "what is it?" }, { type: "image_url" as const, image_url: { url: png } }] }];
    const { completion } = await providers.complete(attempt(h.model, { messages }));
    expect(completion.choices[0]!.message.content).toBe(h.expectedText("what is it?"));
    await providers.close();
  });

  it.each([400, 401, 403, 429, 500, 503])("never echoes the upstream's credentials in a %i", async (status) => {
    const providers = h.providers();
    h.fail(status, true);
    const err = await providers.complete(attempt(h.model)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status, reason: String(status) });
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    for (const secret of h.secrets()) expect(text).not.toContain(secret);
    if (h.secrets().length > 0) expect(text).toContain("[redacted]");
    await providers.close();
  });

  it.each([429, 503])("maps a %i to UpstreamStatusError with that reason", async (status) => {
    const providers = h.providers();
    h.fail(status);
    const err = await providers.complete(attempt(h.model)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    expect((err as UpstreamStatusError).status).toBe(status);
    expect((err as UpstreamStatusError).reason).toBe(String(status));
    expect((err as UpstreamStatusError).provider).toBe("p");
    h.fail(status);
    await expect(providers.stream(attempt(h.model, { stream: true }))).rejects.toMatchObject({ code: "AIGW_UPSTREAM_STATUS", status });
    await providers.close();
  });

  it("times out with UpstreamTimeoutError", async () => {
    const providers = h.providers();
    h.slow();
    const err = await providers.complete(attempt(h.model, {}, { timeoutMs: 150 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect((err as UpstreamTimeoutError).reason).toBe("timeout");
    h.slow();
    await expect(providers.stream(attempt(h.model, { stream: true }, { timeoutMs: 150 }))).rejects.toBeInstanceOf(UpstreamTimeoutError);
    await providers.close();
  });

  it.each([false, true])("aborts on the caller's signal and cancels upstream (stream: %s)", async (stream) => {
    const providers = h.providers();
    h.stall();
    const controller = new AbortController();
    const a = attempt(h.model, { stream }, { signal: controller.signal });
    const pending = (stream ? providers.stream(a) : providers.complete(a)).catch((e: unknown) => e);
    await h.received();
    controller.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(UpstreamAbortedError);
    expect((err as UpstreamAbortedError).reason).toBe("aborted");
    await h.sawCancel();
    await providers.close();
  });

  it("fails at once with an already aborted signal", async () => {
    const providers = h.providers();
    await expect(providers.complete(attempt(h.model, {}, { signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(UpstreamAbortedError);
    await providers.close();
  });

  it("does not mutate the caller's request", async () => {
    h.reply();
    const providers = h.providers();
    const a = attempt(h.model, { stream: true });
    const before = structuredClone(a.request);
    await drain(await providers.stream(a));
    expect(a.request).toEqual(before);
    await providers.close();
  });
});
