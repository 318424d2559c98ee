/**
 * The semantic cache shared through Redis, end to end: two `aigw serve`
 * processes with `state redis(…)` on one real redis-server, the OpenAI SDK
 * as the client. A question answered through one gateway answers its
 * paraphrase through the other, without the chat upstream; a paraphrase
 * from another team misses on both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes } from "../budget/child/serve-process.js";
import { family, startEmbeddings, type EmbedUpstream } from "../support/embeddings-upstream.js";
import { startRedis, type RedisServer } from "../support/redis.js";

const KEY_A = "sk-semantic-redis-a-0001";
const KEY_B = "sk-semantic-redis-b-0002";

describe("the semantic cache across gateways sharing a Redis", () => {
  let up: FakeUpstream;
  let emb: EmbedUpstream;
  let redis: RedisServer;
  const clients: { a: OpenAI; b: OpenAI }[] = [];

  beforeAll(async () => {
    [up, emb, redis] = await Promise.all([startUpstream("openai"), startEmbeddings(), startRedis()]);
    const dir = policyDir({
      "main.route": `gateway { state redis(env("REDIS_URL")) }
keys {
  "${hashKey(KEY_A)}" team "a"
  "${hashKey(KEY_B)}" team "b"
}
provider up { api openai  base_url "${up.baseUrl}" }
provider emb { api openai  base_url "${emb.baseUrl}" }
model gpt = up/"gpt-up"
model embed-small = emb/"text-embedding-3-small"
route chat { to gpt  cache { ttl 10m  scope team  semantic embed-small  similarity 0.9 } }
`,
    });
    const served = await Promise.all([startServe(dir, { REDIS_URL: redis.url }), startServe(dir, { REDIS_URL: redis.url })]);
    for (const s of served) {
      const client = (apiKey: string) => new OpenAI({ baseURL: `${s.base}/v1`, apiKey, maxRetries: 0 });
      clients.push({ a: client(KEY_A), b: client(KEY_B) });
    }
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
    await new Promise((r) => emb.server.close(r));
    await redis?.stop();
  });

  it("answers a paraphrase through the other gateway, never another team", async () => {
    family(0, { "boiling point of water?": 1, "at what temperature does water boil?": 0.95 });
    const [one, two] = clients as [{ a: OpenAI; b: OpenAI }, { a: OpenAI; b: OpenAI }];
    up.next(behave.reply({ text: "100 °C at sea level." }));
    const first = await one.a.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "boiling point of water?" }] }).withResponse();
    const near = await two.a.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "at what temperature does water boil?" }] }).withResponse();
    const otherTeam = await two.b.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "at what temperature does water boil?" }] }).withResponse();
    expect(first.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(near.response.headers.get("x-aigw-cache")).toBe("hit; semantic=0.950");
    expect(near.data.choices[0]!.message.content).toBe("100 °C at sea level.");
    expect(otherTeam.response.headers.get("x-aigw-cache")).toBe("miss");
    const chats = up.requests.filter((r) => JSON.stringify(r.body?.messages ?? "").includes("water"));
    expect(chats).toHaveLength(2);
  });
});
