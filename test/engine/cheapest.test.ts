/**
 * `split cheapest` (lang/SPEC.md §7.9): the worst case priced per arm, ties
 * and unpriced arms, and its interplay with capabilities and health, in
 * `decide`, the decision record and the policy tests.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { decide, describeTraceEvent, emptyState, HEALTHY, pickCheapest, prepare, type TargetHealth, type TraceEvent } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { makeArms } from "../../runtime/engine/split.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { crossCheckTests } from "../../runtime/policy/reference-check.js";

const POLICY = `
gateway { auth none }
provider p { api mock }
model big = p/"big" {
  input $2.50/Mtok
  output $10/Mtok
  context 128k
  max_output 16k
  supports [tools, images, json_schema, stream]
}

model mini = p/"mini" { input $0.15/Mtok  output $0.60/Mtok  context 128k  max_output 16k  supports [tools, stream] }
model haiku = p/"haiku" { input $1/Mtok  output $5/Mtok  context 200k  max_output 64k  supports [tools, images, stream] }
health h { consecutive 3 }
route pool {
  when model == "pool"
  split cheapest { 40% big  30% mini  30% haiku }
  health h
}
`;

const compiled = compileSources([{ path: "main.route", text: POLICY }]);
const graph = compiled.graph!;
const p = prepare(graph);
const ask = (extra: Record<string, unknown> = {}) => factsFromTestRequest({ model: "pool", headers: {}, metadata: {}, ...extra }, graph);

describe("pickCheapest", () => {
  const arms = makeArms([
    { model: "a", weight: 50 },
    { model: "b", weight: 50 },
    { model: "c", weight: 0 },
    { model: "u", weight: 10 },
  ]);
  it("takes the lowest price, never a zero-weight arm, and draws by weight among equals", () => {
    expect(pickCheapest(arms, 0.9, (m) => ({ a: 2, b: 1, c: 0, u: undefined })[m]).index).toBe(1);
    const tie = (m: string): number | undefined => ({ a: 1, b: 1, c: 0 })[m];
    expect(pickCheapest(arms, 0.1, tie).index).toBe(0);
    expect(pickCheapest(arms, 0.9, tie).index).toBe(1);
  });
  it("ranks unpriced arms after every priced one, and draws among them when none is priced", () => {
    expect(pickCheapest(arms, 0.99, (m) => (m === "a" ? 100 : undefined)).index).toBe(0);
    expect(pickCheapest(arms, 0.99, () => undefined).index).toBe(3);
    expect(pickCheapest(makeArms([{ model: "z", weight: 0 }]), 0.5, () => 1).index).toBe(-1);
  });
});

describe("split cheapest in decide", () => {
  it("prices each arm's worst case and records the comparison", () => {
    const events: TraceEvent[] = [];
    const d = decide(p, ask({ input: "hello" }), emptyState(0.5), { tracer: (e) => events.push(e) });
    if (d.kind !== "route") throw new Error("expected a route");
    expect(d.split?.model).toBe("mini");
    // 5 bytes in, 16k out (max_output): 5 × $0.15 + 16,000 × $0.60 per million.
    expect(d.split?.cheapest?.arms).toEqual(["big", "mini", "haiku"]);
    expect(d.split?.cheapest?.costs[1]).toBeCloseTo((5 * 0.15 + 16_000 * 0.6) / 1e6, 12);
    expect(describeTraceEvent(events.find((e) => e.kind === "split")!)).toBe(
      "split cheapest { 40% big 30% mini 30% haiku } picks mini (by draw 0.5000; cheapest of big ($0.160), mini ($0.00960), haiku ($0.320))",
    );
  });

  it("prices from the worst case: max_tokens changes which is cheapest among those that take images", () => {
    const bounded = decide(p, ask({ images: true, maxTokens: 1000 }), emptyState());
    const open = decide(p, ask({ images: true }), emptyState());
    expect(bounded.kind === "route" && bounded.split?.model).toBe("haiku");
    // Without max_tokens haiku may write 64k tokens, big only 16k.
    expect(open.kind === "route" && open.split?.model).toBe("big");
  });

  it("passes over an ejected cheapest arm and tries it last", () => {
    const ejected: TargetHealth = { status: "ejected", agoMs: 0, forMs: 30_000, cause: { kind: "given" }, probing: false };
    const d = decide(p, ask(), { ...emptyState(), health: (_h, m) => (m === "mini" ? ejected : HEALTHY) });
    if (d.kind !== "route") throw new Error("expected a route");
    expect(d.split).toMatchObject({ model: "big", instead: "mini" });
    expect(d.plan.targets.map((t) => t.model)).toEqual(["big", "mini"]);
  });

  it("runs in policy tests with the reference interpreter agreeing", async () => {
    const tests = compileSources([
      {
        path: "main.route",
        text: `${POLICY}
test "plain requests go to the cheapest" {
  request { model "pool" }
  expect attempts [mini]
}
test "an ejected cheapest goes last" {
  request { model "pool" }
  given mini ejected
  given big fails 503
  expect attempts [big, mini]
}
`,
      },
    ]);
    const results = await runPolicyTests(tests.graph!, tests.tests);
    expect(results.map((r) => r.message ?? "ok")).toEqual(["ok", "ok"]);
    expect(crossCheckTests(tests.files, tests.graph!, tests.tests)).toEqual([]);
  });
});
