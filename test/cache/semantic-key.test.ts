/**
 * What a semantic cache compares: only the last user text may differ
 * between two requests that share a partition; everything else the exact
 * key reads (system prompt, earlier turns, tools, sampling, stream, target,
 * scope) separates them.
 */
import { describe, expect, it } from "vitest";
import { semanticQuery, type KeyContext } from "../../runtime/cache/index.js";
import { decodeChat, decodeEmbeddings } from "../../runtime/request/index.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";

const CTX: KeyContext = { target: "gpt", scope: "team:a", cache: "near", policy: "p-000000000000" };
const body = (text: string, extra: Record<string, unknown> = {}): ChatCompletionRequest =>
  ({ model: "chat", messages: [{ role: "system", content: "be brief" }, { role: "user", content: text }], ...extra }) as ChatCompletionRequest;
const query = (b: ChatCompletionRequest, ctx: KeyContext = CTX) => semanticQuery(decodeChat(b), ctx);

describe("the semantic query", () => {
  it("embeds the last user text; requests differing only in it share a partition", () => {
    const a = query(body("capital of France?"));
    const b = query(body("France's capital?"));
    expect(a?.text).toBe("capital of France?");
    expect(b?.partition).toBe(a?.partition);
    expect(a?.partition).toMatch(/^[0-9a-f]{64}$/);
    // Text parts of the last message are joined.
    const parts = query({ model: "chat", messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }] } as ChatCompletionRequest);
    expect(parts?.text).toBe("a\nb");
  });

  it("separates requests that differ in anything else", () => {
    const base = query(body("q"))!.partition;
    const others = [
      query({ model: "chat", messages: [{ role: "system", content: "be long" }, { role: "user", content: "q" }] } as ChatCompletionRequest),
      query({ model: "chat", messages: [{ role: "user", content: "earlier" }, { role: "assistant", content: "ok" }, { role: "system", content: "be brief" }, { role: "user", content: "q" }] } as ChatCompletionRequest),
      query(body("q", { temperature: 0.5 })),
      query(body("q", { max_tokens: 9 })),
      query(body("q", { stream: true })),
      query(body("q", { tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }] })),
      query(body("q"), { ...CTX, scope: "team:b" }),
      query(body("q"), { ...CTX, target: "claude" }),
      query(body("q"), { ...CTX, policy: "p-111111111111" }),
    ].map((x) => x!.partition);
    for (const p of others) expect(p).not.toBe(base);
    expect(new Set(others).size).toBe(others.length);
  });

  it("has nothing to compare without a last plain user text, and for embeddings", () => {
    expect(query({ model: "chat", messages: [{ role: "user", content: "q" }, { role: "assistant", content: "prefill" }] } as ChatCompletionRequest)).toBeUndefined();
    expect(
      query({ model: "chat", messages: [{ role: "user", content: [{ type: "text", text: "what?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }] }] } as ChatCompletionRequest),
    ).toBeUndefined();
    expect(query(body("   "))).toBeUndefined();
    expect(semanticQuery(decodeEmbeddings({ model: "e", input: "q" }), CTX)).toBeUndefined();
  });
});
