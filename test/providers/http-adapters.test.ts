/**
 * What only the HTTP adapters can get wrong, run against both wire formats:
 * transport failures, broken replies, mid-stream failures, keep-alive reuse,
 * Retry-After, and keys (sent only to their own provider, never leaked).
 */

import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import {
  Providers,
  UpstreamAbortedError,
  UpstreamConnectionError,
  UpstreamProtocolError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  type ChatStream,
} from "../../runtime/providers/index.js";
import { behave, closeAllUpstreams, refusedBaseUrl, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { attempt, graphOf, span } from "./harness.js";

const KEY = "sk-live-SECRET-abcdef0123456789";

async function drain(stream: ChatStream): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

function providersFor(api: "openai" | "anthropic", baseUrl: string, now = Date.now): Providers {
  const provider: ProviderNode = { api, baseUrl, key: { env: "KEY" }, timeoutMs: 5_000, span };
  return new Providers(graphOf({ p: provider }), { resolveSecret: () => KEY, now });
}

afterEach(closeAllUpstreams);

describe.each(["openai", "anthropic"] as const)("%s over HTTP", (api) => {
  let up: FakeUpstream;
  let providers: Providers;
  beforeEach(async () => {
    up = await startUpstream(api);
    providers = providersFor(api, up.baseUrl, () => Date.parse("2025-01-01T00:00:00Z"));
  });
  afterEach(() => providers.close());

  it("maps a refused connection to UpstreamConnectionError", async () => {
    const refused = providersFor(api, await refusedBaseUrl(api));
    const err = await refused.complete(attempt("p-model")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamConnectionError);
    expect(err).toMatchObject({ reason: "connection", causeCode: "ECONNREFUSED" });
    await expect(refused.stream(attempt("p-model", { stream: true }))).rejects.toBeInstanceOf(UpstreamConnectionError);
    await refused.close();
  });

  it("maps a connection dropped without a reply to UpstreamConnectionError", async () => {
    up.next(behave.reset());
    await expect(providers.complete(attempt("p-model"))).rejects.toBeInstanceOf(UpstreamConnectionError);
  });

  it("maps invalid JSON and invalid stream data to UpstreamProtocolError (reason 502)", async () => {
    up.next(behave.invalidJson(), behave.invalidJson());
    const err = await providers.complete(attempt("p-model")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamProtocolError);
    expect((err as UpstreamProtocolError).reason).toBe("502");
    await expect(providers.stream(attempt("p-model", { stream: true }))).rejects.toBeInstanceOf(UpstreamProtocolError);
  });

  it("maps a 200 that is not an event stream to UpstreamProtocolError", async () => {
    up.next(behave.raw(200, { "content-type": "application/json" }, ["{}"]));
    await expect(providers.stream(attempt("p-model", { stream: true }))).rejects.toBeInstanceOf(UpstreamProtocolError);
  });

  it("rejects stream() when the stream is cut before its first chunk, so the caller can fall back", async () => {
    up.next(behave.cutStream(0, "end"));
    await expect(providers.stream(attempt("p-model", { stream: true }))).rejects.toBeInstanceOf(UpstreamProtocolError);
  });

  it("throws UpstreamProtocolError mid-stream when the stream ends mid-event", async () => {
    up.next(behave.cutStream(2, "end"));
    const stream = await providers.stream(attempt("p-model", { stream: true }));
    await expect(drain(stream)).rejects.toBeInstanceOf(UpstreamProtocolError);
  });

  it("throws UpstreamConnectionError mid-stream when the connection drops", async () => {
    up.next(behave.cutStream(2, "destroy"));
    const stream = await providers.stream(attempt("p-model", { stream: true }));
    await expect(drain(stream)).rejects.toBeInstanceOf(UpstreamConnectionError);
  });

  it("times out a body that stalls (JSON) and a stream that goes silent", async () => {
    up.next(behave.stallBody(), behave.stallBody());
    await expect(providers.complete(attempt("p-model", {}, { timeoutMs: 150 }))).rejects.toBeInstanceOf(UpstreamTimeoutError);
    const stream = await providers.stream(attempt("p-model", { stream: true }, { timeoutMs: 150 }));
    await expect(drain(stream)).rejects.toBeInstanceOf(UpstreamTimeoutError);
  });

  it("aborts a stream mid-way on the caller's signal and the upstream sees the connection close", async () => {
    up.next(behave.stallBody());
    const controller = new AbortController();
    const stream = await providers.stream(attempt("p-model", { stream: true }, { signal: controller.signal }));
    const reading = drain(stream).catch((e: unknown) => e);
    controller.abort();
    expect(await reading).toBeInstanceOf(UpstreamAbortedError);
    await up.requests[0]!.aborted;
  });

  it("cancel() on a stream releases the upstream", async () => {
    up.next(behave.stallBody());
    const stream = await providers.stream(attempt("p-model", { stream: true }));
    await stream.cancel();
    await up.requests[0]!.aborted;
    expect(up.requests[0]!.clientAborted).toBe(true);
  });

  it("leaving the loop early releases the upstream", async () => {
    up.next(behave.stallBody());
    const stream = await providers.stream(attempt("p-model", { stream: true }));
    for await (const _chunk of stream) break;
    await up.requests[0]!.aborted;
  });

  it("reuses keep-alive connections for consecutive requests", async () => {
    // undici waits one event-loop turn before reusing a socket, so back-to-back
    // requests may open a second connection, but never one per request.
    for (let i = 0; i < 4; i++) {
      await providers.complete(attempt("p-model"));
      await drain(await providers.stream(attempt("p-model", { stream: true })));
    }
    expect(up.requests).toHaveLength(8);
    expect(up.connections).toBeLessThanOrEqual(2);
  });

  it("sends every request over one connection when the pool allows one", async () => {
    const provider: ProviderNode = { api, baseUrl: up.baseUrl, timeoutMs: 5_000, span };
    const single = new Providers(graphOf({ p: provider }), { resolveSecret: () => undefined, poolOptions: { connections: 1 } });
    await Promise.all([0, 1, 2].map(() => single.complete(attempt("p-model"))));
    for (let i = 0; i < 3; i++) await drain(await single.stream(attempt("p-model", { stream: true })));
    expect(up.requests).toHaveLength(6);
    expect(up.connections).toBe(1);
    expect(new Set(up.requests.map((r) => r.connection))).toEqual(new Set([1]));
    await single.close();
  });

  it("parses Retry-After as seconds or an HTTP date", async () => {
    up.next(behave.fail(429, { retryAfter: "3" }), behave.fail(503, { retryAfter: "Wed, 01 Jan 2025 00:00:10 GMT" }), behave.fail(500));
    await expect(providers.complete(attempt("p-model"))).rejects.toMatchObject({ status: 429, retryAfterMs: 3_000 });
    await expect(providers.complete(attempt("p-model"))).rejects.toMatchObject({ status: 503, retryAfterMs: 10_000 });
    await expect(providers.complete(attempt("p-model"))).rejects.toMatchObject({ status: 500, retryAfterMs: undefined });
  });

  it("keeps the upstream's error message and type", async () => {
    up.next(behave.fail(400));
    const err = (await providers.complete(attempt("p-model")).catch((e: unknown) => e)) as UpstreamStatusError;
    expect(err.message).toBe("upstream `p` returned 400: fake failure 400");
    expect(err.upstreamType).toBe("fake_error");
    expect(err.requestId).toBe("req-1");
  });

  it("never leaks the key, even when the upstream echoes it", async () => {
    up.next(behave.fail(401, { echoAuth: true }), behave.fail(401, { echoAuth: true }));
    const errors = [
      await providers.complete(attempt("p-model")).catch((e: unknown) => e),
      await providers.stream(attempt("p-model", { stream: true })).catch((e: unknown) => e),
    ];
    const sent = `${up.requests[0]!.headers.authorization ?? ""}${up.requests[0]!.headers["x-api-key"] ?? ""}`;
    expect(sent).toContain(KEY); // the upstream did get it, and echoed it
    for (const err of errors) {
      expect(err).toBeInstanceOf(UpstreamStatusError);
      const text = `${String(err)} ${(err as Error).message} ${(err as Error).stack} ${inspect(err, { depth: 5 })} ${JSON.stringify(err)}`;
      expect(text).not.toContain(KEY);
      expect(text).toContain("[redacted]");
    }
    expect(inspect(providers, { depth: 5, showHidden: true })).not.toContain(KEY);
  });

  it("turns an error sent inside the stream into UpstreamStatusError", async () => {
    const errorEvent =
      api === "openai"
        ? `data: ${JSON.stringify({ error: { message: `overloaded ${KEY}`, type: "server_error", code: 503 } })}\n\n`
        : `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: `overloaded ${KEY}` } })}\n\n`;
    up.next(behave.raw(200, { "content-type": "text/event-stream" }, [errorEvent]));
    const err = await providers.stream(attempt("p-model", { stream: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    expect((err as UpstreamStatusError).status).toBe(api === "openai" ? 503 : 529);
    expect((err as Error).message).not.toContain(KEY);
  });
});

describe("keys go only to their own provider", () => {
  it("sends each key in its provider's header and none to keyless providers", async () => {
    const [openai, anthropic, local] = await Promise.all([startUpstream("openai"), startUpstream("anthropic"), startUpstream("openai")]);
    const secrets: Record<string, string> = { OPENAI: "sk-openai-key-111111", ANTHROPIC: "sk-ant-key-222222" };
    const providers = new Providers(
      graphOf({
        oa: { api: "openai", baseUrl: openai.baseUrl, key: { env: "OPENAI" }, timeoutMs: 5_000, span },
        an: { api: "anthropic", baseUrl: anthropic.baseUrl, key: { env: "ANTHROPIC" }, timeoutMs: 5_000, span },
        lo: { api: "openai", baseUrl: local.baseUrl, timeoutMs: 5_000, span },
      }),
      { resolveSecret: (ref) => secrets[ref.env] },
    );
    for (const model of ["oa-model", "an-model", "lo-model"]) {
      await providers.complete(attempt(model));
      await drain(await providers.stream(attempt(model, { stream: true })));
    }
    for (const r of openai.requests) {
      expect(r.headers.authorization).toBe("Bearer sk-openai-key-111111");
      expect(r.headers["x-api-key"]).toBeUndefined();
    }
    for (const r of anthropic.requests) {
      expect(r.headers["x-api-key"]).toBe("sk-ant-key-222222");
      expect(r.headers["anthropic-version"]).toBe("2023-06-01");
      expect(r.headers.authorization).toBeUndefined();
    }
    for (const r of local.requests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers["x-api-key"]).toBeUndefined();
    }
    for (const [up, other] of [[openai, "sk-ant-key-222222"], [anthropic, "sk-openai-key-111111"], [local, "sk-"]] as const) {
      expect(JSON.stringify(up.requests.map((r) => [r.headers, r.body]))).not.toContain(other);
    }
    await providers.close();
  });
});

describe("what the OpenAI adapter sends", () => {
  it("passes the body through with the upstream model and asks streams for usage", async () => {
    const up = await startUpstream("openai");
    const providers = providersFor("openai", up.baseUrl);
    await providers.complete(attempt("p-model", { seed: 7, response_format: { type: "json_object" }, stream_options: { include_usage: false } }));
    await drain(await providers.stream(attempt("p-model", { stream: true, stream_options: { include_usage: false } })));
    expect(up.requests[0]!.path).toBe("/v1/chat/completions");
    expect(up.requests[0]!.body).toEqual({
      model: "upstream-model",
      messages: [{ role: "user", content: "hello there" }],
      seed: 7,
      response_format: { type: "json_object" },
    });
    expect(up.requests[1]!.body).toMatchObject({ model: "upstream-model", stream: true, stream_options: { include_usage: true } });
    expect(up.requests[1]!.headers.accept).toBe("text/event-stream");
    await providers.close();
  });

  it("accepts a stream without [DONE] once a finish reason arrived", async () => {
    const up = await startUpstream("openai");
    const chunk = { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "x" }, finish_reason: "stop" }] };
    up.next(behave.raw(200, { "content-type": "text/event-stream" }, [`data: ${JSON.stringify(chunk)}\n\n`]));
    const providers = providersFor("openai", up.baseUrl);
    expect(await drain(await providers.stream(attempt("p-model", { stream: true })))).toHaveLength(1);
    await providers.close();
  });
});

describe("what the Anthropic adapter sends", () => {
  it("posts a translated Messages request to /v1/messages", async () => {
    const up = await startUpstream("anthropic");
    const providers = providersFor("anthropic", up.baseUrl);
    await providers.complete(attempt("p-model", { messages: [{ role: "system", content: "terse" }, { role: "user", content: "hi" }] }));
    await drain(await providers.stream(attempt("p-model", { stream: true, max_tokens: 9 })));
    expect(up.requests[0]!.path).toBe("/v1/messages");
    expect(up.requests[0]!.body).toEqual({
      model: "upstream-model",
      max_tokens: 321, // the model's maxOutput
      system: [{ type: "text", text: "terse" }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
    expect(up.requests[1]!.body).toMatchObject({ stream: true, max_tokens: 9 });
    await providers.close();
  });

  it("refuses a request it cannot translate without sending it", async () => {
    const up = await startUpstream("anthropic");
    const providers = providersFor("anthropic", up.baseUrl);
    await expect(providers.complete(attempt("p-model", { n: 3 }))).rejects.toMatchObject({ code: "AIGW_PROVIDER_REQUEST", reason: "400" });
    // Fields the Messages API has no counterpart for were once dropped on the way: now refused by name.
    for (const [field, value] of [["seed", 7], ["reasoning_effort", "high"], ["response_format", { type: "json_object" }]] as const) {
      await expect(providers.complete(attempt("p-model", { [field]: value }))).rejects.toMatchObject({ code: "AIGW_PROVIDER_REQUEST", message: expect.stringContaining(`\`${field}\``) });
    }
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });
});
