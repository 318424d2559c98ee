/**
 * End to end through the built-in mock provider: the official `openai`
 * client against the real server, JSON and streaming, and the decision headers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeGateways, hello, helloStream, KEY_HASH, policy, serve } from "./helpers.js";

afterEach(closeGateways);

const POLICY = `
provider demo { api mock }
keys { "${KEY_HASH}" team "search" }
model fast = demo/"mock-fast"
route chat {
  when model == "chat"
  to fast
}
`;

describe("chat completions through the mock provider", () => {
  it("answers a non-streaming completion with the decision headers", async () => {
    const graph = policy(POLICY);
    const { client, access } = await serve(graph);
    const { data, response } = await client.chat.completions.create(hello()).withResponse();
    expect(data.choices[0]!.message.content).toBe("mock: hello there");
    expect(data.object).toBe("chat.completion");
    expect(response.headers.get("x-aigw-route")).toBe("chat");
    expect(response.headers.get("x-aigw-target")).toBe("fast");
    expect(response.headers.get("x-aigw-attempts")).toBe("fast:200");
    expect(response.headers.get("x-aigw-policy")).toBe(graph.policy);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ status: 200, route: "chat", target: "fast", team: "search" });
  });

  it("streams a completion as server-sent events", async () => {
    const { client } = await serve(policy(POLICY));
    const { data: stream, response } = await client.chat.completions.create(helloStream()).withResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-aigw-target")).toBe("fast");
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe("mock: hello there");
  });

  it("forwards the usage chunk only when the client asks for it", async () => {
    const { client } = await serve(policy(POLICY));
    const withUsage = await client.chat.completions.create(helloStream("chat", { stream_options: { include_usage: true } }));
    let usage: unknown;
    for await (const c of withUsage) if (c.usage) usage = c.usage;
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const without = await client.chat.completions.create(helloStream());
    let sawUsage = false;
    for await (const c of without) if (c.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
  });

  it("keeps the client's x-request-id", async () => {
    const { client } = await serve(policy(POLICY));
    const { response } = await client.chat.completions.create(hello(), { headers: { "x-request-id": "abc-123" } }).withResponse();
    expect(response.headers.get("x-request-id")).toBe("abc-123");
  });

  it("lists the accepted models", async () => {
    const { client } = await serve(policy(POLICY));
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["chat"]);
  });

  it("never shows the caller's key to the policy", async () => {
    const { client } = await serve(
      policy(`
provider demo { api mock }
keys { "${KEY_HASH}" team "search" }
model fast = demo/"mock-fast"
route leak { when header("authorization") matches /sk-/  to fast }
route chat { to fast }
`),
    );
    const { response } = await client.chat.completions.create(hello()).withResponse();
    expect(response.headers.get("x-aigw-route")).toBe("chat");
  });
});
