/**
 * What the chat pipeline records for the observers, run without a server:
 * nothing beyond the plain trace when decision records, step timings and
 * try timings are off (the hot path pays for none of them), and each of
 * them when it is on.
 */
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../runtime/pipeline/runtime.js";
import { handleChat, type ChatInput, type PipelineDeps } from "../../runtime/pipeline/chat.js";
import { Pools, realSleep } from "../../runtime/providers/index.js";
import { emptyState } from "../../runtime/engine/index.js";
import { policy } from "../server/helpers.js";

const graph = policy(`
gateway { auth none }
provider demo { api mock }
model fast = demo/"mock-fast"
guardrail pii { on input  redact email }
route chat { when model == "chat"  guard pii  to fast }
`);

function input(content: string): ChatInput {
  const body = new TextEncoder().encode(JSON.stringify({ model: "chat", messages: [{ role: "user", content }] }));
  return {
    headers: {},
    path: "/v1/chat/completions",
    body: async () => body,
    signal: { aborted: false, addEventListener() {}, removeEventListener() {} },
  };
}

function deps(extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return { now: () => 0, random: () => 0.5, sleep: realSleep, state: emptyState(0.5), requestId: () => "r1", ...extra };
}

describe("the chat trace", () => {
  const rt = createRuntime(graph, { env: {}, pools: new Pools(), now: Date.now, sleep: realSleep, random: Math.random });

  it("holds no decision record, step or try timings when they are off", async () => {
    const { trace } = await handleChat(rt, input("hi"), deps());
    expect(trace).toMatchObject({ requestId: "r1", status: 200, route: "chat", target: "fast", model: "chat", stream: false });
    expect(trace.span).toMatchObject({ file: "main.route" });
    expect(trace.decision).toBeUndefined();
    expect(trace.steps).toBeUndefined();
    expect(trace.tries).toBeUndefined();
    expect(trace.bodies).toBeUndefined();
  });

  it("records each of them when asked", async () => {
    let t = 0;
    const clock = () => (t += 1);
    const { trace } = await handleChat(rt, input("mail ana@example.com"), deps({ clock, explain: true, timeSteps: true }));
    expect(trace.decision?.outcome).toEqual({ kind: "routed", route: "chat", target: "fast" });
    expect(trace.decision?.guardrails[0]).toMatchObject({ name: "pii", input: "redacted" });
    expect(trace.steps?.decide[1]).toBeGreaterThan(trace.steps!.decide[0]);
    expect(trace.steps?.guard?.[0]).toBe(trace.steps?.decide[1]);
    expect(trace.tries).toHaveLength(1);
    expect(trace.tries![0]!.ms).toBeGreaterThan(0);
    expect(trace.redacted.map((h) => h.guardrail)).toEqual(["pii"]);
  });
});
