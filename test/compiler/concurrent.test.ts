/** `concurrent N` in limits: lowering, where it is refused, and a policy test on it. */
import { describe, expect, it } from "vitest";
import { formatText } from "../../lang/index.js";
import { runPolicyTests } from "../../runtime/policy/index.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const LIMIT = (clauses: string) => `${BASE}
limit l { per key  ${clauses} }
route r { to m  limit l }
`;

describe("concurrent limits", () => {
  it("lower to the limit's `concurrent`, alone or with requests and tokens, and format as written", () => {
    expect(compileText(LIMIT("concurrent 10")).graph?.limits.l).toMatchObject({ scope: "key", concurrent: 10 });
    expect(compileText(LIMIT("concurrent 2  requests 60 per minute")).graph?.limits.l).toMatchObject({ concurrent: 2, requests: { count: 60 } });
    expect(formatText(LIMIT("concurrent 4"), "policy.route").text).toContain("concurrent 4");
  });

  it("is a whole number of at least one, once, in limits only", () => {
    expect(errorCodes(compileText(LIMIT("concurrent 0"))).join("\n")).toMatch(/E204.*at least 1/);
    expect(errorCodes(compileText(LIMIT("concurrent 2.5"))).join("\n")).toMatch(/whole number/);
    expect(found(compileText(LIMIT("concurrent 2  concurrent 3")), "E208")).toHaveLength(1);
    const budget = compileText(`${BASE}\nbudget b { limit $5 per day  concurrent 3 }\nroute r { to m  budget b }\n`);
    expect(found(budget, "E202").map((f) => f.message)).toEqual(["`concurrent` is a clause of limits: a budget caps spend"]);
  });

  it("refuses a test request when its scope has every slot in flight", async () => {
    const r = compileText(`${BASE}
limit l { per key  concurrent 3 }
route r { to m  limit l }
test "full" {
  given limit l used 3
  expect status 429
}
test "room" {
  given limit l used 2
  expect status 200
}
`);
    expect(errorCodes(r)).toEqual([]);
    expect((await runPolicyTests(r.graph!, r.tests)).map((t) => [t.name, t.passed, t.message])).toEqual([
      ["full", true, undefined],
      ["room", true, undefined],
    ]);
  });
});
