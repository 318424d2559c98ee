import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";

const POLICY = `gateway { auth none }
provider p { api mock }
model m = p/"m" { input $1/Mtok output $2/Mtok }
budget tiny { limit $0 per day }
cache answers { ttl 10m  when not tools  bypass denied }
route chat { when model == "chat"  to m  cache answers }
route broke { when model == "broke"  to m  budget tiny  cache { ttl 1m } }
route charged { when model == "charged"  to m  budget tiny  cache { ttl 1m  charge hits } }
route sampled { when model == "sampled"  to m  cache { ttl 1m  when temperature == 0 and not stream } }
route cold { when model == "cold" and temperature <= 0.2  to m }
route plain { to m }
`;

async function results(tests: string) {
  const r = compileSources([{ path: "p.route", text: POLICY + tests }]);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return runPolicyTests(r.graph!, r.tests);
}

describe("policy tests and the cache", () => {
  it("`given cache hit` answers without tries; without it the lookup misses and the plan runs", async () => {
    const [hit, miss] = await results(`
test "hit" { request { model "chat" }  given cache hit  expect cache hit  expect attempts []  expect status 200  expect target m }
test "miss" { request { model "chat" }  expect cache miss  expect attempts [m] }
`);
    expect(hit).toMatchObject({ passed: true, status: 200, attempts: [], target: "m" });
    expect(miss).toMatchObject({ passed: true, attempts: ["m:200"] });
  });

  it("a hit is free of budgets unless the cache charges hits", async () => {
    const [free, charged] = await results(`
test "free" { request { model "broke" }  given cache hit  expect cache hit  expect status 200 }
test "charged" { request { model "charged" }  given cache hit  expect cache hit  expect status 429  expect rejected by tiny }
`);
    expect(free!.passed, free!.message).toBe(true);
    expect(charged!.passed, charged!.message).toBe(true);
  });

  it("a cache's `when` reads the sampling facts: a left-out temperature is the provider's default, never 0", async () => {
    const [zero, unset, warm, streamed, cold, coldUnset] = await results(`
test "zero" { request { model "sampled"  temperature 0 }  given cache hit  expect cache hit }
test "unset" { request { model "sampled" }  given cache hit  expect cache hit }
test "warm" { request { model "sampled"  temperature 0.7 }  given cache hit  expect cache hit }
test "streamed" { request { model "sampled"  temperature 0  stream true }  given cache hit  expect cache hit }
test "cold" { request { model "cold"  temperature 0.1 }  expect route cold }
test "cold unset" { request { model "cold" }  expect route cold }
`);
    expect(zero!.passed, zero!.message).toBe(true);
    const ineligible = "expected cache hit, got no lookup: the request is not eligible (the cache's `when` is false)";
    expect(unset!.message).toBe(ineligible);
    expect(warm!.message).toBe(ineligible);
    expect(streamed!.message).toBe(ineligible);
    expect(cold!.passed, cold!.message).toBe(true);
    expect(coldUnset!.message).toContain("expected route `cold`");
  });

  it("says why an expectation fails: ineligible, no cache, the bypass header", async () => {
    const [ineligible, none, denied, allowed] = await results(`
test "ineligible" { request { model "chat"  tools true }  given cache hit  expect cache hit }
test "none" { request { model "other" }  expect cache miss }
test "denied" { request { model "chat"  header "x-aigw-cache" "bypass" }  given cache hit  expect cache bypass }
test "allowed" { request { model "broke"  header "cache-control" "no-cache" }  given cache hit  expect cache hit }
`);
    expect(ineligible!.message).toBe("expected cache hit, got no lookup: the request is not eligible (the cache's `when` is false)");
    expect(none!.message).toBe("expected cache miss, got no lookup (route `plain` has no cache)");
    // `bypass denied`: the header is ignored and the entry answers.
    expect(denied!.message).toBe("expected cache bypass, got cache hit");
    expect(allowed!.message).toBe("expected cache hit, got cache bypass");
  });
});
