/**
 * The Vercel AI SDK (`ai` with its default OpenAI provider, which calls the
 * Responses API), unmodified, against the real server and the mock
 * provider: generateText, streamText, a tool call, and embed.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { embed, generateText, jsonSchema, streamText, tool } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "./helpers.js";

afterEach(closeGateways);

const POLICY = `
provider demo { api mock }
keys { "${KEY_HASH}" team "search" }
model fast = demo/"mock-fast"
route chat { when model == "chat"  to fast }
`;

describe("the Vercel AI SDK against aigw", () => {
  it("generates, streams, calls a tool and embeds", async () => {
    const { base, access } = await serve(policy(POLICY));
    const openai = createOpenAI({ apiKey: KEY, baseURL: `${base}/v1` });
    const g = await generateText({ model: openai("chat"), prompt: "hello" });
    expect(g.text).toBe("mock: hello");
    expect(g.usage.inputTokens).toBeGreaterThan(0);
    const s = streamText({ model: openai("chat"), prompt: "hello world" });
    let text = "";
    for await (const t of s.textStream) text += t;
    expect(text).toBe("mock: hello world");
    const t = await generateText({
      model: openai("chat"),
      prompt: "weather?",
      tools: { weather: tool({ description: "weather", inputSchema: jsonSchema<{ city?: string }>({ type: "object", properties: { city: { type: "string" } } }) }) },
    });
    expect(t.toolCalls[0]).toMatchObject({ toolName: "weather" });
    const e = await embed({ model: openai.embedding("chat"), value: "hello" });
    expect(e.embedding.length).toBeGreaterThan(0);
    expect(access.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });
});
