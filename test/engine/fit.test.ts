/**
 * Capability constraints in `decide`, the policy tests and the decision
 * record (lang/SPEC.md §7.8): which targets are left out and why, the
 * context check settled by the byte bound or by counting, a downgrade that
 * cannot take the request, and what `aigw check` reports.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { decide, describeTraceEvent, emptyState, prepare, type TraceEvent } from "../../runtime/engine/index.js";
import { factsFromTestRequest, makeFacts } from "../../runtime/engine/facts.js";
import { loadTokenizer } from "../../runtime/engine/tokens.js";
import { skippedHeader } from "../../runtime/pipeline/headers.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";

const POLICY = `
gateway { auth none }
provider p { api mock }
model big = p/"big" { input $5/Mtok  output $15/Mtok  supports [tools, images, json_schema, stream]  context 128k  max_output 16k }
model mini = p/"mini" { input $1/Mtok  output $2/Mtok  supports [tools, stream]  context 16k  max_output 4k }
model text = p/"text" { input $1/Mtok  output $2/Mtok  supports [] }
guardrail no-secrets { block matches /secret/ }
budget tight { limit $1 per day  exceeded downgrade text }
route chat {
  when model == "chat"
  to mini
  fallback big
}
route pool {
  when model == "pool"
  split by user { 50% mini  50% big }
}
route thrifty {
  when model == "thrifty"
  guard no-secrets
  budget tight
  to big
}
`;

function compiled(tests = ""): ReturnType<typeof compileSources> {
  const c = compileSources([{ path: "main.route", text: POLICY + tests }]);
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return c;
}

const graph = compiled().graph!;
const p = prepare(graph);

describe("decide with capability constraints", () => {
  it("leaves out the targets that cannot take the request and says why", () => {
    const events: TraceEvent[] = [];
    const d = decide(p, factsFromTestRequest({ model: "chat", headers: {}, metadata: {}, images: true, maxTokens: 8000 }, graph), emptyState(), { tracer: (e) => events.push(e) });
    if (d.kind !== "route") throw new Error("expected a route");
    expect(d.plan.targets.map((t) => t.model)).toEqual(["big"]);
    expect(d.plan.maxAttempts).toBe(1);
    expect(d.unfit).toEqual([{ model: "mini", lacks: ["images", "max_output"], maxOutput: 4000 }]);
    expect(events.filter((e) => e.kind === "unfit").map(describeTraceEvent)).toEqual(["mini skipped: no images, an output of 4000 tokens at most"]);
    expect(skippedHeader(undefined, d.unfit)).toBe("mini:no-images+no-max-output");
  });

  it("draws a split among the arms that can take the request", () => {
    for (const user of ["ana", "bo", "cy", "di", "ed", "fa"]) {
      const d = decide(p, factsFromTestRequest({ model: "pool", headers: {}, metadata: {}, user, jsonSchema: true }, graph), emptyState());
      if (d.kind !== "route") throw new Error("expected a route");
      expect(d.split?.model).toBe("big");
    }
  });

  it("settles the context by the byte bound when it can, and counts the tokens when it must", async () => {
    // 2 bytes of input: no tokenizer needed.
    const short = decide(p, makeFacts({ model: "chat", text: "hi" }), emptyState());
    expect(short.kind === "route" && short.plan.targets.map((t) => t.model)).toEqual(["mini", "big"]);
    // 24,000 bytes but about 4,000 tokens: counted, and it fits mini's 16k.
    const tokenizer = await loadTokenizer();
    const long = makeFacts({ model: "chat", text: "hello ".repeat(4000) }, tokenizer);
    expect(long.maxInputTokens).toBeGreaterThan(16_000);
    const d = decide(p, long, emptyState());
    expect(d.kind === "route" && d.plan.targets.map((t) => t.model)).toEqual(["mini", "big"]);
    expect(long.tokensCounted).toBe(true);
    // Room for 3,900 more tokens of output; 12,500 more no longer fit (and exceed its max_output).
    const more = decide(p, makeFacts({ model: "chat", text: "hello ".repeat(4000), maxTokens: 3900 }, tokenizer), emptyState());
    expect(more.kind === "route" && more.plan.targets.map((t) => t.model)).toEqual(["mini", "big"]);
    const over = decide(p, makeFacts({ model: "chat", text: "hello ".repeat(4000), maxTokens: 12_500, images: false }, tokenizer), emptyState());
    expect(over.kind === "route" && over.unfit?.[0]?.lacks).toEqual(["context", "max_output"]);
  });
});

describe("policy tests with capability constraints", () => {
  it("run as the server does: skips, a 400 when nothing can take it, a downgrade judged at the budget stage", async () => {
    const c = compiled(`
test "an image skips mini" {
  request { model "chat"  images }
  expect attempts [big]
}
test "nothing on the route takes tools" {
  request { model "thrifty"  tools }
  given budget tight spent $1
  expect status 400
  expect attempts []
}
test "a blocked input is blocked before a downgrade is judged" {
  request { model "thrifty"  tools  input "my secret" }
  given budget tight spent $1
  expect blocked by no-secrets
}
test "a wrong expectation says why nothing was sent" {
  request { model "thrifty"  tools }
  given budget tight spent $1
  expect attempts [text]
}
`);
    const results = await runPolicyTests(c.graph!, c.tests);
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ["an image skips mini", true],
      ["nothing on the route takes tools", true],
      ["a blocked input is blocked before a downgrade is judged", true],
      ["a wrong expectation says why nothing was sent", false],
    ]);
    expect(results[3]!.message).toBe(
      "expected attempts [text], got [] (refused: no target of route `thrifty` can take this request (it needs tools): `text` has no tools (400))",
    );
  });
});
