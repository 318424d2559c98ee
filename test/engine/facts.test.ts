import { describe, expect, it } from "vitest";
import { factsFromRequest, factsFromTestRequest, makeFacts, utf8Length, type Caller } from "../../runtime/engine/facts.js";
import type { Tokenizer as T } from "../../runtime/engine/tokens.js";
import { decodeChat, requestTexts } from "../../runtime/request/index.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";

/** Facts of a chat body, decoded as the gateway decodes it, with the texts the facts step computes. */
function factsFromChatRequest(body: Partial<ChatCompletionRequest>, headers: Record<string, string>, caller: Caller, tokenizer: T | undefined) {
  const req = decodeChat({ model: "m", messages: [], ...body });
  return factsFromRequest(req, requestTexts(req), headers, caller, tokenizer);
}
import type { Tokenizer } from "../../runtime/engine/tokens.js";
import { graph, route } from "./fixtures.js";

const counting = (): Tokenizer & { calls: number } => {
  const t = { calls: 0, count: (s: string) => (t.calls++, s.split(/\s+/).filter(Boolean).length) };
  return t;
};

describe("factsFromChatRequest", () => {
  it("reads model, stream, tools, metadata, headers and the caller", () => {
    const f = factsFromChatRequest(
      {
        model: "chat",
        stream: true,
        tools: [{ type: "function", function: { name: "x" } }],
        metadata: { project: "alpha", n: "3", ok: "true" },
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: [{ type: "text", text: "hello" }, { type: "image_url", image_url: { url: "data:" } }] },
        ],
      },
      { "X-Tier": "premium", "content-type": "application/json" },
      { key: "sha256:abc", team: "search", user: "ana", labels: { team: "search", user: "ana", env: "prod" } },
      undefined,
    );
    expect(f.model).toBe("chat");
    expect(f.endpoint).toBe("/v1/chat/completions");
    expect(f.stream).toBe(true);
    expect(f.tools).toBe(true);
    expect(f.images).toBe(true);
    expect(f.headers["x-tier"]).toBe("premium");
    expect({ ...f.metadata }).toEqual({ project: "alpha", n: "3", ok: "true" });
    expect([f.key, f.team, f.user, f.labels.env]).toEqual(["sha256:abc", "search", "ana", "prod"]);
    // The tool's name is read by the model too.
    expect(f.text).toBe("be brief\nhello\nx");
    expect(f.inputBytes).toBe(16);
  });

  it("gives labels from team and user when the caller has no label map", () => {
    const f = factsFromChatRequest({ model: "m" }, {}, { team: "t", user: "u" }, undefined);
    expect({ ...f.labels }).toEqual({ team: "t", user: "u" });
  });

  it("never exposes inherited properties as headers", () => {
    const f = factsFromChatRequest({ model: "m" }, {}, {}, undefined);
    expect(f.headers["constructor"]).toBeUndefined();
  });
});

describe("factsFromTestRequest", () => {
  const g = graph({ routes: [route("r", {})], keys: { "sha256:k1": { team: "search", user: "ana", labels: { team: "search", user: "ana", tier: "gold" } } } });

  it("takes team, user and labels from the key entry, explicit fields winning", () => {
    const f = factsFromTestRequest({ headers: {}, metadata: {}, key: "sha256:k1", user: "bo" }, g);
    expect([f.key, f.team, f.user, f.labels.tier, f.labels.user]).toEqual(["sha256:k1", "search", "bo", "gold", "bo"]);
  });

  it("uses a given token count instead of counting", () => {
    const t = counting();
    const f = factsFromTestRequest({ headers: {}, metadata: {}, input: "a b c", inputTokens: 150_000 }, g, t);
    expect(f.inputTokens).toBe(150_000);
    expect(f.maxInputTokens).toBe(150_000);
    expect(t.calls).toBe(0);
  });

  it("lower-cases header names", () => {
    const f = factsFromTestRequest({ headers: { "X-Tier": "premium" }, metadata: {} }, g);
    expect(f.headers["x-tier"]).toBe("premium");
  });
});

describe("lazy token count", () => {
  it("counts on first read only, and never for empty text", () => {
    const t = counting();
    const f = makeFacts({ text: "one two three" }, t);
    expect(f.tokensCounted).toBe(false);
    expect(f.inputTokens).toBe(3);
    expect(f.inputTokens).toBe(3);
    expect(t.calls).toBe(1);
    const empty = makeFacts({ text: "" }, t);
    expect(empty.inputTokens).toBe(0);
    expect(t.calls).toBe(1);
  });

  it("throws a clear error when tokens are needed and no tokenizer was given", () => {
    expect(() => makeFacts({ text: "x" }).inputTokens).toThrow(/no tokenizer/);
  });
});

describe("utf8Length and the input text", () => {
  it("matches TextEncoder on mixed scripts, emoji and lone surrogates", () => {
    for (const s of ["", "abc", "héllo", "日本語", "😀x", "a\ud800b", "\udc00", "x\ud83d"]) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  it("joins string and text-part contents and skips non-text parts", () => {
    const f = factsFromChatRequest(
      { messages: [{ role: "user", content: "a" }, { role: "assistant", content: null }, { role: "user", content: [{ type: "text", text: "b" }, { type: "input_audio", input_audio: { data: "AA==", format: "wav" } }] }] },
      {},
      {},
      undefined,
    );
    expect([f.text, f.images]).toEqual(["a\nb", false]);
  });
});
