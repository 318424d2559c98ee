/**
 * End to end through real HTTP upstreams (test/support/upstreams.ts): the
 * official `openai` client → aigw → fake OpenAI/Anthropic servers that can
 * fail, stall or cut a stream. Fallbacks, retries with Retry-After,
 * timeouts, refused connections, client aborts and mid-stream failures.
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, refusedBaseUrl, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, delay, hello, helloStream, KEY_HASH, policy, postChat, serve } from "./helpers.js";
import type { Sleep } from "../../runtime/providers/index.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

function twoUpstreams(a: string, b: string, route: string, bApi: "openai" | "anthropic" = "openai") {
  return policy(`
provider one { api openai base_url "${a}" timeout 400ms }
provider two { api ${bApi} base_url "${b}" key env("TWO_KEY") }
keys { "${KEY_HASH}" team "search" }
model gpt-4o = one/"gpt-4o"
model sonnet = two/"claude-sonnet-4-5"
route chat {
  when model == "chat"
  ${route}
}
`);
}

/** A sleep that records what it was asked to wait and returns at once. */
function recordingSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe("fallbacks and retries", () => {
  let one: FakeUpstream;
  let two: FakeUpstream;
  const start = async (route: string, opts = {}, bApi: "openai" | "anthropic" = "openai") => {
    one = await startUpstream("openai");
    two = await startUpstream(bApi);
    return serve(twoUpstreams(one.baseUrl, two.baseUrl, route, bApi), { world: { env: { TWO_KEY: "sk-two-secret" }, ...opts } });
  };

  it("sends the target's upstream model name and the provider key", async () => {
    const { client } = await start(`to sonnet`);
    const r = await client.chat.completions.create(hello());
    expect(r.choices[0]!.message.content).toBe("hello from openai");
    expect(two.requests[0]!.body.model).toBe("claude-sonnet-4-5");
    expect(two.requests[0]!.headers.authorization).toBe("Bearer sk-two-secret");
    expect(one.requests).toHaveLength(0);
  });

  it("falls back on 429 and names every attempt", async () => {
    const { client } = await start(`to gpt-4o\n fallback sonnet on 429, 5xx`);
    one.next(behave.fail(429));
    const { data, response } = await client.chat.completions.create(hello()).withResponse();
    expect(data.choices[0]!.message.content).toBe("hello from openai");
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt-4o:429,sonnet:200");
    expect(response.headers.get("x-aigw-target")).toBe("sonnet");
  });

  it("falls back on 5xx, timeout and connection refused", async () => {
    const refused = await refusedBaseUrl();
    two = await startUpstream("openai");
    const g = policy(`
provider dead { api openai base_url "${refused}" }
provider slow { api openai base_url "${two.baseUrl}" timeout 150ms }
provider good { api openai base_url "${two.baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model a = dead/"a"
model b = slow/"b"
model c = good/"c"
model d = good/"d"
route chat {
  when model == "chat"
  to a
  fallback b, c, d on 5xx, timeout, connection
}`);
    const { client } = await serve(g);
    two.next(behave.stallHeaders(), behave.fail(503));
    const { response } = await client.chat.completions.create(hello()).withResponse();
    expect(response.headers.get("x-aigw-attempts")).toBe("a:connection,b:timeout,c:503,d:200");
    expect(two.requests.map((r) => r.body.model)).toEqual(["b", "c", "d"]);
  });

  it("retries the same target honouring Retry-After, then succeeds", async () => {
    const { sleep, waits } = recordingSleep();
    const { client } = await start(`to gpt-4o\n fallback sonnet on 429\n retry 2 backoff 10ms`, { sleep });
    one.next(behave.fail(429, { retryAfter: "2" }), behave.fail(429));
    const { response } = await client.chat.completions.create(hello()).withResponse();
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt-4o:429,gpt-4o:429,gpt-4o:200");
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits[1]).toBeGreaterThanOrEqual(10);
    expect(waits[1]).toBeLessThanOrEqual(20);
  });

  it("a failure that is not a fallback reason stops at once with the upstream's kind of status", async () => {
    const { base } = await start(`to gpt-4o\n fallback sonnet on 5xx`);
    one.next(behave.fail(429, { retryAfter: "7" }));
    const r = await postChat(base, hello());
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("7");
    expect(r.headers.get("x-aigw-attempts")).toBe("gpt-4o:429");
    expect(two.requests).toHaveLength(0);
  });

  it("502 naming every attempt when all fail; no key in the error", async () => {
    const { base } = await start(`to gpt-4o\n fallback sonnet on 5xx`);
    one.next(behave.fail(500));
    two.next(behave.fail(503, { echoAuth: true }));
    const r = await postChat(base, hello());
    expect(r.status).toBe(502);
    const text = await r.text();
    expect(text).not.toContain("sk-two-secret");
    const e = JSON.parse(text).error;
    expect(e.type).toBe("api_error");
    expect(e.message).toContain("gpt-4o");
    expect(e.message).toContain("sonnet");
    expect(r.headers.get("x-aigw-attempts")).toBe("gpt-4o:500,sonnet:503");
  });

  it("504 when the last target timed out", async () => {
    const { base } = await start(`to gpt-4o`);
    one.next(behave.stallHeaders());
    const r = await postChat(base, hello());
    expect(r.status).toBe(504);
    expect(r.headers.get("x-aigw-attempts")).toBe("gpt-4o:timeout");
  });

  it("the overall deadline bounds all attempts", async () => {
    one = await startUpstream("openai");
    const g = policy(`
gateway { deadline 200ms }
provider one { api openai base_url "${one.baseUrl}" timeout 10s }
keys { "${KEY_HASH}" team "search" }
model a = one/"a"
model b = one/"b"
route chat { when model == "chat"  to a  fallback b on timeout }`);
    const { base } = await serve(g);
    one.setDefault(behave.stallHeaders());
    const r = await postChat(base, hello());
    expect(r.status).toBe(504);
    expect(r.headers.get("x-aigw-attempts")).toMatch(/^a:timeout/);
  });

  it("streams fall back before the first byte", async () => {
    const { client } = await start(`to gpt-4o\n fallback sonnet on 5xx`);
    one.next(behave.fail(500));
    const { data, response } = await client.chat.completions.create(helloStream()).withResponse();
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt-4o:500,sonnet:200");
    let text = "";
    for await (const c of data) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("hello from openai");
  });

  it("a stream cut after the first byte ends with an error event, no fallback", async () => {
    const { base } = await start(`to gpt-4o\n fallback sonnet on 5xx, connection`);
    one.next(behave.cutStream(2, "destroy"));
    const r = await postChat(base, helloStream());
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('"error"');
    expect(text).not.toContain("[DONE]");
    expect(two.requests).toHaveLength(0);
  });

  it("translates to Anthropic and back, tools included", async () => {
    const { client } = await start(`to sonnet`, {}, "anthropic");
    two.next(behave.reply({ text: "", toolCalls: [{ name: "lookup", arguments: { q: "x" } }] }));
    const r = await client.chat.completions.create({
      ...hello(),
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }],
    });
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    const call = r.choices[0]!.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error(`expected a function call, got ${call.type}`);
    expect(call.function.name).toBe("lookup");
    expect(JSON.parse(call.function.arguments)).toEqual({ q: "x" });
    expect(two.requests[0]!.path).toBe("/v1/messages");
  });
});

describe("client aborts", () => {
  it("cancels the upstream request when the client goes away", async () => {
    const up = await startUpstream("openai");
    const g = policy(`
provider one { api openai base_url "${up.baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model a = one/"a"
route chat { when model == "chat"  to a }`);
    const { base, access } = await serve(g);
    up.next(behave.stallHeaders());
    const controller = new AbortController();
    const req = fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer sk-test-search-0001`, "content-type": "application/json" },
      body: JSON.stringify(hello()),
      signal: controller.signal,
    }).catch(() => "aborted");
    await up.waitForRequests(1);
    controller.abort();
    expect(await req).toBe("aborted");
    await up.requests[0]!.aborted;
    expect(up.requests[0]!.clientAborted).toBe(true);
    await delay(20);
    expect(access[0]).toMatchObject({ status: 499, aborted: true });
  });

  it("cancels the upstream stream when the client leaves mid-stream", async () => {
    const up = await startUpstream("openai");
    const g = policy(`
provider one { api openai base_url "${up.baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model a = one/"a"
route chat { when model == "chat"  to a }`);
    const { base, access } = await serve(g);
    up.next(behave.stallBody());
    const controller = new AbortController();
    const r = await postChatWith(base, helloStream(), controller.signal);
    const reader = r.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("data: ");
    controller.abort();
    await up.requests[0]!.aborted;
    expect(up.requests[0]!.clientAborted).toBe(true);
    await delay(20);
    expect(access[0]).toMatchObject({ aborted: true, target: "a" });
  });
});

function postChatWith(base: string, body: unknown, signal: AbortSignal): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer sk-test-search-0001", "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}
