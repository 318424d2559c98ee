/**
 * The non-streaming path over undici's `dispatch`: the reply's bytes are
 * kept for the caller (OpenAI) while usage is still read, error bodies are
 * bounded, and an attempt ends on time even while its request is still
 * queued for a connection.
 */

import { afterEach, describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import { Providers, UpstreamAbortedError, UpstreamProtocolError, UpstreamStatusError, UpstreamTimeoutError } from "../../runtime/providers/index.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { attempt, graphOf, span } from "./harness.js";

afterEach(closeAllUpstreams);

function providersFor(api: "openai" | "anthropic", baseUrl: string, connections?: number): Providers {
  const provider: ProviderNode = { api, baseUrl, key: { env: "KEY" }, timeoutMs: 5_000, span };
  const options = connections === undefined ? {} : { poolOptions: { connections } };
  return new Providers(graphOf({ p: provider }), { resolveSecret: () => "sk-json-reply-key-0123", ...options });
}

const JSON_TYPE = { "content-type": "application/json" };

// Odd but valid JSON: spacing, a unicode escape, a number written as 1.0, a vendor field, keys out of the usual order.
const REPLY_TEXT = [
  '{ "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},\n',
  '  "id": "chatcmpl-1", "object": "chat.completion", "created": 1.0, "model": "gpt-4o-mini-2024-07-18",\n',
  '  "choices": [{"index": 0, "message": {"role": "assistant", "content": "caf\\u00e9 ✓"}, "finish_reason": "stop"}],\n',
  '  "system_fingerprint": "fp_x", "x_vendor": {"a": [1, 2]} }',
];

describe("the JSON reply of an OpenAI-compatible upstream", () => {
  it("is kept byte for byte for the caller, and its usage is still read", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, JSON_TYPE, REPLY_TEXT));
    const providers = providersFor("openai", up.baseUrl);
    const r = await providers.complete(attempt("p-model"));
    expect(Buffer.from(r.raw!).toString("utf8")).toBe(REPLY_TEXT.join(""));
    expect(r.usage).toEqual({ promptTokens: 9, completionTokens: 3 });
    expect(r.completion.model).toBe("gpt-4o-mini-2024-07-18");
    expect(r.completion.choices[0]!.message.content).toBe("café ✓");
    await providers.close();
  });

  it("drops a byte order mark before parsing and forwarding", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, JSON_TYPE, ["\ufeff" + REPLY_TEXT.join("")]));
    const providers = providersFor("openai", up.baseUrl);
    const r = await providers.complete(attempt("p-model"));
    expect(Buffer.from(r.raw!).toString("utf8")).toBe(REPLY_TEXT.join(""));
    await providers.close();
  });

  it("is a protocol error when it is not JSON or has no choices", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, JSON_TYPE, ['{"choices": [']), behave.raw(200, JSON_TYPE, ['{"id": "x"}']));
    const providers = providersFor("openai", up.baseUrl);
    await expect(providers.complete(attempt("p-model"))).rejects.toBeInstanceOf(UpstreamProtocolError);
    await expect(providers.complete(attempt("p-model"))).rejects.toThrow("no `choices`");
    await providers.close();
  });

  it("is translated, not forwarded, for Anthropic", async () => {
    const up = await startUpstream("anthropic");
    const providers = providersFor("anthropic", up.baseUrl);
    const r = await providers.complete(attempt("p-model"));
    expect(r.raw).toBeUndefined();
    expect(r.completion.object).toBe("chat.completion");
    expect(r.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
    await providers.close();
  });
});

describe("error replies", () => {
  it("reads at most 16 KiB of an error body and still reports the status", async () => {
    const up = await startUpstream("openai");
    const huge = `{"error": {"message": "${"x".repeat(100_000)}"}}`;
    up.next(behave.raw(500, JSON_TYPE, [huge]));
    const providers = providersFor("openai", up.baseUrl);
    const err = await providers.complete(attempt("p-model")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    expect((err as UpstreamStatusError).status).toBe(500);
    expect((err as Error).message.length).toBeLessThan(1_000);
    // The next request still works (a fresh connection if the old one was dropped).
    await expect(providers.complete(attempt("p-model"))).resolves.toMatchObject({ usage: { promptTokens: 11 } });
    await providers.close();
  });
});

describe("an attempt queued for a connection", () => {
  it("times out on its own time while the only connection is busy, and is never sent", async () => {
    const up = await startUpstream("openai");
    up.next(behave.stallHeaders());
    const providers = providersFor("openai", up.baseUrl, 1);
    const first = new AbortController();
    const stalled = providers.complete(attempt("p-model", {}, { signal: first.signal })).catch((e: unknown) => e);
    await up.waitForRequests(1);
    await expect(providers.complete(attempt("p-model", {}, { timeoutMs: 100 }))).rejects.toBeInstanceOf(UpstreamTimeoutError);
    const waiting = new AbortController();
    const queued = providers.complete(attempt("p-model", {}, { signal: waiting.signal })).catch((e: unknown) => e);
    waiting.abort();
    expect(await queued).toBeInstanceOf(UpstreamAbortedError);
    first.abort();
    expect(await stalled).toBeInstanceOf(UpstreamAbortedError);
    await up.requests[0]!.aborted;
    expect(up.requests).toHaveLength(1);
    await providers.close();
  });
});
