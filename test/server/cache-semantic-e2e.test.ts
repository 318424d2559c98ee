/**
 * The semantic cache end to end (issue 23): a real `aigw serve` process,
 * the official OpenAI SDK as the client, a fake chat upstream and a fake
 * embeddings upstream on 127.0.0.1 speaking OpenAI's `/v1/embeddings` wire
 * format. The embeddings upstream answers fixed vectors per text, so every
 * similarity is known: `PARIS_2` is 0.96 from `PARIS`, `CUISINE` 0.80.
 * Every scenario uses its own words, so counts per text are its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";
import { family, startEmbeddings, type EmbedUpstream } from "../support/embeddings-upstream.js";

const KEY_A = "sk-semantic-team-a-0001";
const KEY_B = "sk-semantic-team-b-0002";
const EMBED_KEY = "sk-embed-provider-secret-0003";

function policy(up: FakeUpstream, emb: EmbedUpstream): string {
  return `gateway { state memory }
keys {
  "${hashKey(KEY_A)}" team "a"
  "${hashKey(KEY_B)}" team "b"
}
provider up { api openai  base_url "${up.baseUrl}" }
provider emb { api openai  base_url "${emb.baseUrl}"  key env("EMBED_KEY") }
model gpt = up/"gpt-up" { input $1/Mtok  output $2/Mtok }
model embed-small = emb/"text-embedding-3-small" { input $0.02/Mtok }
cache near { ttl 10m  scope team  semantic embed-small  similarity 0.9 }
cache cold { ttl 10m  when temperature == 0 and not stream  semantic embed-small }
route chat { when model == "chat"  to gpt  cache near }
route cold { when model == "cold"  to gpt  cache cold }
`;
}

/** How many chat requests whose last message says `text` reached `up`. */
function seen(up: FakeUpstream, text: string): number {
  return up.requests.filter((r) => JSON.stringify(r.body?.messages ?? "").includes(text)).length;
}

function ask(model: string, prompt: string, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: "user" as const, content: prompt }], ...extra };
}

describe("the semantic cache, through aigw serve", () => {
  let up: FakeUpstream;
  let emb: EmbedUpstream;
  let served: ServeProcess;
  let a: OpenAI;
  let b: OpenAI;

  beforeAll(async () => {
    up = await startUpstream("openai");
    emb = await startEmbeddings();
    served = await startServe(policyDir({ "main.route": policy(up, emb) }), { EMBED_KEY });
    a = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY_A, maxRetries: 0 });
    b = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY_B, maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
    await new Promise((r) => emb.server.close(r));
  });

  it("answers a paraphrase over the threshold with the stored reply, says its similarity, and misses one under it", async () => {
    family(0, { "capital of France?": 1, "France's capital city?": 0.96, "French cuisine?": 0.8 });
    up.next(behave.reply({ text: "Paris." }));
    const first = await a.chat.completions.create(ask("chat", "capital of France?")).withResponse();
    const near = await a.chat.completions.create(ask("chat", "France's capital city?")).withResponse();
    const far = await a.chat.completions.create(ask("chat", "French cuisine?")).withResponse();
    expect(first.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(near.response.headers.get("x-aigw-cache")).toBe("hit; semantic=0.960");
    expect(near.response.headers.get("x-aigw-target")).toBe("gpt");
    expect(near.data).toEqual(first.data);
    expect(near.data.choices[0]!.message.content).toBe("Paris.");
    expect(far.response.headers.get("x-aigw-cache")).toBe("miss");
    expect([seen(up, "capital of France?"), seen(up, "France's capital city?"), seen(up, "French cuisine?")]).toEqual([1, 0, 1]);
    // Each request's last user text was embedded once; the exact hit below needs no embedding.
    const again = await a.chat.completions.create(ask("chat", "capital of France?")).withResponse();
    expect(again.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(emb.inputs.filter((t) => t === "capital of France?")).toHaveLength(1);
  });

  it("never answers another team, and misses when anything but the last user text differs", async () => {
    family(1, { "tallest mountain?": 1, "highest mountain on earth?": 0.97 });
    await a.chat.completions.create(ask("chat", "tallest mountain?", { max_tokens: 40 }));
    const otherTeam = await b.chat.completions.create(ask("chat", "highest mountain on earth?", { max_tokens: 40 })).withResponse();
    const otherParam = await a.chat.completions.create(ask("chat", "highest mountain on earth?", { max_tokens: 41 })).withResponse();
    const otherSystem = await a.chat.completions
      .create({ model: "chat", max_tokens: 40, messages: [{ role: "system", content: "be terse" }, { role: "user", content: "highest mountain on earth?" }] })
      .withResponse();
    const withTools = await a.chat.completions
      .create(ask("chat", "highest mountain on earth?", { max_tokens: 40, tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] }))
      .withResponse();
    expect([otherTeam, otherParam, otherSystem, withTools].map((r) => r.response.headers.get("x-aigw-cache"))).toEqual(["miss", "miss", "miss", "miss"]);
    const same = await a.chat.completions.create(ask("chat", "highest mountain on earth?", { max_tokens: 40 })).withResponse();
    expect(same.response.headers.get("x-aigw-cache")).toBe("hit; semantic=0.970");
    expect(seen(up, "tallest mountain?")).toBe(1);
    expect(seen(up, "highest mountain on earth?")).toBe(4);
  });

  /** The memory cache store's size from /metrics: it grows when an entry is stored. */
  async function cacheBytes(): Promise<number> {
    const text = await (await fetch(`${served.base}/metrics`)).text();
    return Number(/^aigw_cache_bytes (\S+)$/m.exec(text)?.[1] ?? 0);
  }

  it("replays a streamed semantic hit as a stream the SDK reads like the original", async () => {
    family(0, { "largest ocean?": 1, "biggest ocean?": 0.99 });
    const read = async (prompt: string) => {
      const { data: stream, response } = await a.chat.completions.create({ ...ask("chat", prompt), stream: true, stream_options: { include_usage: true } }).withResponse();
      let text = "";
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      return { cache: response.headers.get("x-aigw-cache"), text, finish };
    };
    up.next(behave.reply({ text: "The Pacific." }));
    const bytesBefore = await cacheBytes();
    const first = await read("largest ocean?");
    // A stream's entry (and its vector) is stored once the stream has ended, just after the client read its end.
    for (let i = 0; i < 200 && (await cacheBytes()) === bytesBefore; i++) await new Promise((r) => setTimeout(r, 10));
    const second = await read("biggest ocean?");
    expect(first).toEqual({ cache: "miss", text: "The Pacific.", finish: "stop" });
    expect(second).toEqual({ cache: "hit; semantic=0.990", text: "The Pacific.", finish: "stop" });
    expect(seen(up, "biggest ocean?")).toBe(0);
  });

  it("takes part only when the cache's `when` holds: temperature 0, left out or 0.7", async () => {
    family(1, { "cold one": 1, "cold two": 0.97 });
    const zero = await a.chat.completions.create(ask("cold", "cold one", { temperature: 0 })).withResponse();
    const near = await a.chat.completions.create(ask("cold", "cold two", { temperature: 0 })).withResponse();
    const unset = await a.chat.completions.create(ask("cold", "cold two")).withResponse();
    const warm = await a.chat.completions.create(ask("cold", "cold two", { temperature: 0.7 })).withResponse();
    expect(zero.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(near.response.headers.get("x-aigw-cache")).toBe("hit; semantic=0.970");
    // Not eligible: no lookup, no header, no embedding.
    expect(unset.response.headers.get("x-aigw-cache")).toBeNull();
    expect(warm.response.headers.get("x-aigw-cache")).toBeNull();
    expect(emb.inputs.filter((t) => t === "cold two")).toHaveLength(1);
  });

  it("treats a failed embedding as a miss: the caller gets the upstream's reply and never the embedding provider's key", async () => {
    const first = await a.chat.completions.create(ask("chat", "fail-embed please")).withResponse();
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get("x-aigw-cache")).toBe("miss");
    const headers = JSON.stringify([...first.response.headers]);
    expect(JSON.stringify(first.data) + headers).not.toContain(EMBED_KEY);
    // The exact cache still stored the reply.
    const second = await a.chat.completions.create(ask("chat", "fail-embed please")).withResponse();
    expect(second.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(seen(up, "fail-embed please")).toBe(1);
    const metrics = await (await fetch(`${served.base}/metrics`)).text();
    expect(metrics).not.toContain(EMBED_KEY);
    expect(metrics).toMatch(/^aigw_cache_semantic_lookups_total\{cache="near",result="error"\} 1$/m);
    expect(metrics).toMatch(/^aigw_cache_semantic_lookups_total\{cache="near",result="hit"\} [1-9]/m);
    expect(served.stderr()).not.toContain(EMBED_KEY);
  });
});
