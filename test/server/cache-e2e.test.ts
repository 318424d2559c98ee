/**
 * The response cache end to end (issue 23): a real `aigw serve` process,
 * the official OpenAI and Anthropic SDKs as clients, fake upstreams on
 * 127.0.0.1 speaking the real wire formats and counting what reaches them.
 * Every scenario uses its own prompt, so the upstream's count for that
 * prompt is what the cache let through.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

const KEY_A = "sk-cache-team-a-0001";
const KEY_B = "sk-cache-team-b-0002";

function policy(up: FakeUpstream, anth: FakeUpstream): string {
  return `gateway { state memory }
keys {
  "${hashKey(KEY_A)}" team "a"
  "${hashKey(KEY_B)}" team "b"
}
provider up { api openai  base_url "${up.baseUrl}" }
provider anth { api anthropic  base_url "${anth.baseUrl}" }
model gpt = up/"gpt-up" { input $1/Mtok  output $2/Mtok }
model claude = anth/"claude-up" { input $3/Mtok  output $15/Mtok }
guardrail secrets { on output  redact email }
cache answers { ttl 10m }
cache brief { ttl 300ms }
cache strict { ttl 10m  bypass denied }
route chat { when model == "chat"  to gpt  cache answers }
route guarded { when model == "guarded"  to gpt  guard secrets  cache answers }
route brief { when model == "brief"  to gpt  cache brief }
route strict { when model == "strict"  to gpt  cache strict }
route claude { when model == "claude"  to claude  cache answers }
`;
}

/** How many requests with this prompt reached `up`. */
function seen(up: FakeUpstream, prompt: string): number {
  return up.requests.filter((r) => JSON.stringify(r.body?.messages ?? "").includes(prompt)).length;
}

function ask(model: string, prompt: string, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: "user" as const, content: prompt }], ...extra };
}

describe("the response cache, through aigw serve", () => {
  let up: FakeUpstream;
  let anth: FakeUpstream;
  let served: ServeProcess;
  let a: OpenAI;
  let b: OpenAI;

  beforeAll(async () => {
    up = await startUpstream("openai");
    anth = await startUpstream("anthropic");
    served = await startServe(policyDir({ "main.route": policy(up, anth) }), {});
    a = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY_A, maxRetries: 0 });
    b = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY_B, maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });

  it("answers a second identical request from the cache; the upstream sees one", async () => {
    const first = await a.chat.completions.create(ask("chat", "p-identical")).withResponse();
    const second = await a.chat.completions.create(ask("chat", "p-identical")).withResponse();
    expect(first.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(second.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(Number(second.response.headers.get("age"))).toBeGreaterThanOrEqual(0);
    expect(second.response.headers.get("x-aigw-target")).toBe("gpt");
    expect(second.response.headers.get("x-aigw-attempts")).toBeNull();
    expect(second.data).toEqual(first.data);
    expect(seen(up, "p-identical")).toBe(1);
  });

  it("hits for the same request written in another field order, with defaults spelt out", async () => {
    await a.chat.completions.create(ask("chat", "p-order"));
    const r = await fetch(`${served.base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" },
      body: `{"n":1,"temperature":1,"messages":[{"content":"p-order","role":"user"}],"model":"chat","stream":false}`,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-aigw-cache")).toBe("hit");
    expect(seen(up, "p-order")).toBe(1);
  });

  it("never answers another tenant from one tenant's entry (scope key)", async () => {
    await a.chat.completions.create(ask("chat", "p-tenant"));
    const other = await b.chat.completions.create(ask("chat", "p-tenant")).withResponse();
    expect(other.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(seen(up, "p-tenant")).toBe(2);
  });

  it("skips the cache for a bypass header when the policy allows it, and ignores it when it does not", async () => {
    await a.chat.completions.create(ask("chat", "p-bypass"));
    const bypass = await a.chat.completions.create(ask("chat", "p-bypass"), { headers: { "x-aigw-cache": "bypass" } }).withResponse();
    expect(bypass.response.headers.get("x-aigw-cache")).toBe("bypass");
    const noCache = await a.chat.completions.create(ask("chat", "p-bypass"), { headers: { "cache-control": "no-cache" } }).withResponse();
    expect(noCache.response.headers.get("x-aigw-cache")).toBe("bypass");
    expect(seen(up, "p-bypass")).toBe(3);

    await a.chat.completions.create(ask("strict", "p-denied"));
    const denied = await a.chat.completions.create(ask("strict", "p-denied"), { headers: { "x-aigw-cache": "bypass" } }).withResponse();
    expect(denied.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(seen(up, "p-denied")).toBe(1);
  });

  it("replays a streamed hit as a stream the SDK reads like the original", async () => {
    const read = async () => {
      const { data: stream, response } = await a.chat.completions.create({ ...ask("chat", "p-stream"), stream: true, stream_options: { include_usage: true } }).withResponse();
      let text = "";
      let finish: string | null = null;
      let usage: unknown;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      return { cache: response.headers.get("x-aigw-cache"), text, finish, usage };
    };
    const first = await read();
    const second = await read();
    expect(first).toMatchObject({ cache: "miss", text: "hello from openai", finish: "stop" });
    expect(second).toEqual({ ...first, cache: "hit" });
    expect(second.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    expect(seen(up, "p-stream")).toBe(1);
  });

  it("misses once an entry has outlived its ttl", async () => {
    await a.chat.completions.create(ask("brief", "p-expiry"));
    // `brief` keeps entries 300 ms; after waiting longer than that the entry cannot answer.
    await new Promise((r) => setTimeout(r, 600));
    const again = await a.chat.completions.create(ask("brief", "p-expiry")).withResponse();
    expect(again.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(seen(up, "p-expiry")).toBe(2);
  });

  it("never stores a failed, a truncated or an output-filtered reply", async () => {
    up.next(behave.fail(500));
    await expect(a.chat.completions.create(ask("chat", "p-failed"))).rejects.toMatchObject({ status: 502 });
    const afterFailure = await a.chat.completions.create(ask("chat", "p-failed")).withResponse();
    expect(afterFailure.response.headers.get("x-aigw-cache")).toBe("miss");

    up.next(behave.reply({ finish: "length" }));
    await a.chat.completions.create(ask("chat", "p-truncated"));
    const afterTruncated = await a.chat.completions.create(ask("chat", "p-truncated")).withResponse();
    expect(afterTruncated.response.headers.get("x-aigw-cache")).toBe("miss");

    up.next(behave.reply({ text: "write to ana@example.com" }));
    const redacted = await a.chat.completions.create(ask("guarded", "p-filtered"));
    expect(redacted.choices[0]!.message.content).toBe("write to [EMAIL]");
    const afterFiltered = await a.chat.completions.create(ask("guarded", "p-filtered")).withResponse();
    expect(afterFiltered.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(afterFiltered.data.choices[0]!.message.content).toBe("hello from openai");
    const third = await a.chat.completions.create(ask("guarded", "p-filtered")).withResponse();
    expect(third.response.headers.get("x-aigw-cache")).toBe("hit");

    expect([seen(up, "p-failed"), seen(up, "p-truncated"), seen(up, "p-filtered")]).toEqual([2, 2, 2]);
  });

  it("calls the upstream once for concurrent identical misses", async () => {
    up.next(behave.reply({ text: "slow answer" }, 300));
    const replies = await Promise.all(Array.from({ length: 6 }, () => a.chat.completions.create(ask("chat", "p-concurrent")).withResponse()));
    expect(seen(up, "p-concurrent")).toBe(1);
    expect(replies.map((r) => r.data.choices[0]!.message.content)).toEqual(Array(6).fill("slow answer"));
    expect(replies.map((r) => r.response.headers.get("x-aigw-cache")).sort()).toEqual(["hit", "hit", "hit", "hit", "hit", "miss"]);
  });

  it("answers an Anthropic Messages hit through /v1/messages", async () => {
    const client = new Anthropic({ baseURL: served.base, apiKey: KEY_A, maxRetries: 0 });
    const params = { model: "claude", max_tokens: 64, messages: [{ role: "user" as const, content: "p-messages" }] };
    const first = await client.messages.create(params).withResponse();
    const second = await client.messages.create(params).withResponse();
    expect(first.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(second.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(second.data.type).toBe("message");
    expect(second.data.content).toEqual(first.data.content);
    expect(second.data.stop_reason).toBe("end_turn");
    expect(anth.requests.filter((r) => JSON.stringify(r.body).includes("p-messages"))).toHaveLength(1);
  });

  it("replays a streamed Messages hit as Anthropic events the SDK reads", async () => {
    const client = new Anthropic({ baseURL: served.base, apiKey: KEY_A, maxRetries: 0 });
    const params = { model: "claude", max_tokens: 64, messages: [{ role: "user" as const, content: "p-messages-stream" }] };
    const read = async () => {
      const { data: stream, response } = await client.messages.create({ ...params, stream: true }).withResponse();
      let text = "";
      let stop: string | null = null;
      for await (const event of stream) {
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
        if (event.type === "message_delta") stop = event.delta.stop_reason;
      }
      return { cache: response.headers.get("x-aigw-cache"), text, stop };
    };
    const first = await read();
    const second = await read();
    expect(first).toEqual({ cache: "miss", text: "hello from anthropic", stop: "end_turn" });
    expect(second).toEqual({ ...first, cache: "hit" });
    expect(anth.requests.filter((r) => JSON.stringify(r.body).includes("p-messages-stream"))).toHaveLength(1);
  });

  it("counts hits, misses and bypasses and the dollars saved on /metrics", async () => {
    const text = await (await fetch(`${served.base}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value('aigw_cache_requests_total{cache="answers",result="hit"}')).toBeGreaterThanOrEqual(6);
    expect(value('aigw_cache_requests_total{cache="answers",result="bypass"}')).toBe(2);
    expect(value('aigw_cache_requests_total{cache="brief",result="miss"}')).toBe(2);
    // 11 prompt and 7 completion tokens at $1 and $2 per million, per gpt hit.
    expect(value('aigw_cache_saved_dollars_total{cache="answers"}')).toBeGreaterThan(0);
    expect(value("aigw_cache_bytes")).toBeGreaterThan(0);
    expect(text).toContain("aigw_cache_evictions_total 0");
    expect(text).not.toContain(KEY_A);
  });
});
