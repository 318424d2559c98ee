/**
 * A route that rejects (`reject STATUS "message"`, lang/SPEC.md §4.8): the
 * allowed statuses, what may stand beside it, its lowering, and policy tests
 * that state it (`expect rejected`, `expect status`).
 */
import { describe, expect, it } from "vitest";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

describe("reject", () => {
  it("lowers to a target that answers with the status and message", () => {
    const result = compileText(`${BASE}route no { when model == "x"  reject 451 "not here" }
route r { to m }`);
    expect(errorCodes(result)).toEqual([]);
    expect(result.graph!.routes[0]!.target).toEqual({ kind: "reject", status: 451, message: "not here" });
  });

  it("has a default message naming the route", () => {
    const result = compileText(`${BASE}route no { reject 403 }`);
    expect(result.graph!.routes[0]!.target).toEqual({ kind: "reject", status: 403, message: "route `no` rejects this request" });
  });

  it("E204 for a status outside the allowed set, E201 for one that is not a number", () => {
    const result = compileText(`${BASE}route a { when model == "a"  reject 500 "x" }
route b { when model == "b"  reject 200 }
route c { when model == "c"  reject 4xx }
route r { to m }`);
    expect(found(result, "E204").map((d) => d.message)).toEqual([
      "`reject 500`: a route may reject with 400, 401, 403, 404, 409, 410, 413, 422, 429, 451, 503",
      "`reject 200`: a route may reject with 400, 401, 403, 404, 409, 410, 413, 422, 429, 451, 503",
    ]);
    expect(found(result, "E201").map((d) => d.message)).toEqual(["expected an HTTP status like 403 after `reject`, found the status class `4xx`"]);
  });

  it("E306 beside `to` or `split` or another `reject`; a route with it has a target (no E305)", () => {
    const result = compileText(`${BASE}route a { when model == "a"  to m  reject 403 }
route b { when model == "b"  reject 403  reject 404 }
route r { to m }`);
    expect(found(result, "E306").map((d) => d.message)).toEqual(["route `a` has both `to` and `reject`", "route `b` has two `reject`s"]);
    expect(found(result, "E305")).toEqual([]);
  });

  it("E210 for statements that cannot apply to a route that sends nothing, and for `reject` in `defaults`", () => {
    const result = compileText(`${BASE}guardrail g { redact email }
defaults d { reject 403 }
route a { when model == "a"  reject 403  retry 2  guard g  use d }
route r { to m  guard g }`);
    expect(found(result, "E210").map((d) => d.message.split(",")[0]!.split(":")[0])).toEqual([
      "`reject` is not allowed in defaults `d`",
      "`retry` has no effect in route `a`",
      "`guard` has no effect in route `a`",
      "`use` has no effect in route `a`",
    ]);
  });

  it("policy tests state it with `expect rejected` and `expect status`", async () => {
    const result = compileText(`${BASE}route interns { when model == "big" and team == "interns"  reject 403 "no" }
route r { to m }
test "interns are refused" {
  request { model "big"  team "interns" }
  expect route interns
  expect rejected
  expect status 403
}
test "others are not" {
  request { model "big"  team "staff" }
  expect rejected
}`);
    expect(errorCodes(result)).toEqual([]);
    const results = await runPolicyTests(result.graph!, result.tests);
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ["interns are refused", true],
      ["others are not", false],
    ]);
    expect(results[1]!.failures![0]!.message).toBe("expected the route to reject the request, got answered by `m`");
  });
});
