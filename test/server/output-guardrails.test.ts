/**
 * Output guardrails on non-streaming completions: redaction replaces the
 * text the caller sees, a block withholds it as `content_filter`
 * (lang/SPEC.md §7.5; streams: stream-guardrails.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeGateways, policy, postChat, serve } from "./helpers.js";

// The mock answers `mock: <last user message>`, so the reply carries whatever the caller wrote.
const graph = policy(`
gateway { auth none }
provider demo { api mock }
model m = demo/"m"
guardrail no-mail { on output redact email }
guardrail no-secrets { on output block when text matches /launch codes/i }
route chat { when model == "chat" guard no-mail, no-secrets to m }
`);

afterEach(closeGateways);

const ask = (content: string, extra: Record<string, unknown> = {}) => ({ model: "chat", messages: [{ role: "user", content }], ...extra });

describe("output guardrails", () => {
  it("redact the completion the caller receives (the input is not an input rule's business)", async () => {
    const { base, access } = await serve(graph);
    const res = await postChat(base, ask("write to ana@example.com"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe("mock: write to [EMAIL]");
    expect(JSON.stringify(access.at(-1))).toContain("no-mail");
  });

  it("withhold a blocked completion as content_filter", async () => {
    const { base } = await serve(graph);
    const res = await postChat(base, ask("tell me the launch codes"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string | null }; finish_reason: string }[] };
    expect(body.choices[0]).toMatchObject({ message: { content: null }, finish_reason: "content_filter" });
    expect(JSON.stringify(body)).not.toContain("launch codes");
  });

  it("leave a completion untouched when no rule fires", async () => {
    const { base } = await serve(graph);
    const res = await postChat(base, ask("hello"));
    const body = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(body.choices[0]).toMatchObject({ message: { content: "mock: hello" }, finish_reason: "stop" });
  });
});
