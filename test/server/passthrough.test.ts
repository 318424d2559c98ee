/**
 * What the caller gets back from an OpenAI-compatible upstream: the
 * upstream's JSON reply byte for byte (its `model` included, as in a
 * stream's chunks), with the decision headers added, and its usage still
 * read for the access log (and budgets). A translated reply (Anthropic) is
 * serialised by the gateway instead.
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { closeGateways, delay, hello, KEY_HASH, policy, postChat, serve } from "./helpers.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

const REPLY =
  '{"id": "chatcmpl-7", "object": "chat.completion", "created": 1.0, "model": "gpt-4o-2024-08-06",\n' +
  ' "choices": [{"index": 0, "message": {"role": "assistant", "content": "d\\u00e9j\\u00e0 vu"}, "finish_reason": "stop"}],\n' +
  ' "usage": {"prompt_tokens": 21, "completion_tokens": 5, "total_tokens": 26}, "service_tier": "default"}';

function onePolicy(api: "openai" | "anthropic", baseUrl: string) {
  return policy(`
provider one { api ${api} base_url "${baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model gpt-4o = one/"gpt-4o"
route chat { when model == "chat"  to gpt-4o }`);
}

describe("the reply of an OpenAI-compatible upstream", () => {
  it("reaches the caller byte for byte, with the decision headers, and its usage is logged", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, { "content-type": "application/json" }, [REPLY]));
    const { base, access } = await serve(onePolicy("openai", up.baseUrl));
    const r = await postChat(base, hello());
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-aigw-route")).toBe("chat");
    expect(r.headers.get("x-aigw-target")).toBe("gpt-4o");
    expect(r.headers.get("x-aigw-attempts")).toBe("gpt-4o:200");
    expect(await r.text()).toBe(REPLY);
    await delay(10);
    expect(access[0]).toMatchObject({ status: 200, promptTokens: 21, completionTokens: 5 });
  });

  it("works with the official client, which sees the upstream's model name", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, { "content-type": "application/json" }, [REPLY]));
    const { client } = await serve(onePolicy("openai", up.baseUrl));
    const r = await client.chat.completions.create(hello());
    expect(r.model).toBe("gpt-4o-2024-08-06");
    expect(r.choices[0]!.message.content).toBe("déjà vu");
    expect(r.usage?.total_tokens).toBe(26);
  });
});

describe("a translated reply", () => {
  it("is serialised by the gateway as an OpenAI completion", async () => {
    const up = await startUpstream("anthropic");
    const { base, access } = await serve(onePolicy("anthropic", up.baseUrl));
    const r = await postChat(base, hello());
    const body = JSON.parse(await r.text());
    expect(body).toMatchObject({ object: "chat.completion", choices: [{ message: { role: "assistant", content: "hello from anthropic" } }] });
    await delay(10);
    expect(access[0]).toMatchObject({ promptTokens: 11, completionTokens: 7 });
  });
});
