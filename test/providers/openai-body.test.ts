/**
 * The upstream body of the OpenAI adapter: the caller's fields in the
 * caller's order, the target model in place, and the stream settings the
 * gateway needs; the caller's body is never changed.
 */

import { describe, expect, it } from "vitest";
import type { ChatCompletionRequest } from "../../runtime/providers/index.js";
import { openaiBody } from "../../runtime/providers/openai.js";

const body = (): ChatCompletionRequest => ({
  temperature: 0.2,
  model: "chat",
  messages: [{ role: "user", content: "hi" }],
  stream: false,
  stream_options: { include_usage: false, extra: 1 },
  seed: 7,
});

describe("openaiBody", () => {
  it("replaces the model in place and drops the caller's stream settings for a JSON reply", () => {
    const b = body();
    const out = openaiBody(b, "gpt-4o-mini", false);
    expect(JSON.stringify(out)).toBe('{"temperature":0.2,"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"seed":7}');
    expect(b).toEqual(body());
  });

  it("asks a stream for usage and keeps the caller's other stream options", () => {
    const out = openaiBody(body(), "gpt-4o-mini", true);
    expect(out).toEqual({
      temperature: 0.2,
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      seed: 7,
      stream: true,
      stream_options: { include_usage: true, extra: 1 },
    });
  });

  it("adds the model when the caller sent none, and ignores a null stream_options", () => {
    const b = { messages: [{ role: "user", content: "hi" }], stream_options: null } as unknown as ChatCompletionRequest;
    expect(openaiBody(b, "m", true)).toEqual({ messages: [{ role: "user", content: "hi" }], model: "m", stream: true, stream_options: { include_usage: true } });
  });
});
