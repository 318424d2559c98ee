/**
 * What the chat pipeline records for the observers, run without a server:
 * nothing beyond the plain record when decision records and step timings
 * are off (the hot path pays for neither), and each of them when it is on.
 */
import { describe, expect, it } from "vitest";
import { Budgets } from "../../runtime/budget/admission.js";
import { viewOf } from "../../runtime/observe/request.js";
import { createRuntime, type ChatInput, type RuntimeOptions } from "../../runtime/pipeline/index.js";
import { Pools } from "../../runtime/providers/index.js";
import { memoryStore } from "../../runtime/state/index.js";
import { realWorld } from "../../runtime/world.js";
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

function runtime(extra: Partial<RuntimeOptions> = {}, monotonic?: () => number) {
  const world = realWorld({ env: {}, now: () => 0, random: () => 0.5, ...(monotonic ? { monotonic } : {}) });
  return createRuntime(graph, { world, pools: new Pools(), budgets: new Budgets(memoryStore({ clock: () => 0 })), requestId: () => "r1", ...extra });
}

describe("the request record", () => {
  it("holds no decision record or step timings when they are off", async () => {
    const { record } = await runtime().chat(input("hi"));
    const view = viewOf(record);
    expect(view).toMatchObject({ requestId: "r1", status: 200, route: "chat", target: "fast", model: "chat", stream: false });
    expect(view.span).toMatchObject({ file: "main.route" });
    expect(view.decision).toBeUndefined();
    expect(view.steps).toBeUndefined();
    expect(view.bodies).toBeUndefined();
    expect(record.events.map((e) => e.kind)).toEqual(["caller", "request", "routed", "guarded", "try", "attempts"]);
  });

  it("records each of them when asked", async () => {
    let t = 0;
    const { record } = await runtime({ explain: true, timeSteps: true }, () => (t += 1)).chat(input("mail ana@example.com"));
    const view = viewOf(record);
    expect(view.decision?.outcome).toEqual({ kind: "routed", route: "chat", target: "fast" });
    expect(view.decision?.guardrails[0]).toMatchObject({ name: "pii", input: "redacted" });
    expect(view.steps?.decide[1]).toBeGreaterThan(view.steps!.decide[0]);
    expect(view.steps?.guard?.[0]).toBe(view.steps?.decide[1]);
    expect(view.tries).toHaveLength(1);
    expect(view.tries[0]!.ms).toBeGreaterThan(0);
    expect(view.redacted.map((h) => h.guardrail)).toEqual(["pii"]);
  });
});
