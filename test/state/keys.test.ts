import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { budgetKey, dollarsToMicros, limitKey, microsToDollars, parseKey } from "../../runtime/state/index.js";

describe("counter keys", () => {
  it("join the policy's names and the scope value, and split back even when the value holds colons", () => {
    expect(budgetKey("team-daily", "search")).toBe("budget:team-daily:search");
    expect(limitKey("per-key", "tokens", "sha256:ab")).toBe("limit:per-key:tokens:sha256:ab");
    expect(parseKey("limit:per-key:tokens:sha256:ab")).toEqual({ kind: "limit", name: "per-key", measure: "tokens", scopeValue: "sha256:ab" });
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*$/);
    fc.assert(
      fc.property(name, fc.string(), fc.constantFrom("requests" as const, "tokens" as const), (n, scope, measure) => {
        expect(parseKey(budgetKey(n, scope))).toEqual({ kind: "budget", name: n, scopeValue: scope });
        expect(parseKey(limitKey(n, measure, scope))).toEqual({ kind: "limit", name: n, measure, scopeValue: scope });
      }),
    );
  });

  it("are the same string for the same parts, and stay right past the bound on what is kept", () => {
    expect(budgetKey("b", "sha256:" + "a".repeat(64))).toBe(budgetKey("b", "sha256:" + "a".repeat(64)));
    // A budget and a limit of one name, and the two measures of one limit, never share a key.
    expect(new Set([budgetKey("x", "s"), limitKey("x", "requests", "s"), limitKey("x", "tokens", "s")]).size).toBe(3);
    // Scope values from callers (users) are unbounded: the kept keys are cleared when full, never wrong.
    for (let i = 0; i < 10_000; i++) expect(limitKey("per-user", "requests", `u${i}`)).toBe(`limit:per-user:requests:u${i}`);
    expect(limitKey("per-user", "requests", "u7")).toBe("limit:per-user:requests:u7");
  });

  it("reject strings no helper makes", () => {
    for (const k of ["", "budget", "budget::x", "limit:l:bytes:x", "cooldown:m:x"]) expect(parseKey(k)).toBeUndefined();
  });
});

describe("money", () => {
  it("converts declared dollars exactly and computed costs upwards without float noise", () => {
    expect(dollarsToMicros(200)).toBe(200_000_000);
    expect(dollarsToMicros(2.5)).toBe(2_500_000);
    expect(dollarsToMicros(0.15 * 1000 / 1e6, "up")).toBe(150);
    expect(dollarsToMicros(0.0000015, "up")).toBe(2);
    expect(dollarsToMicros(0.0000001, "up")).toBe(1);
    expect(microsToDollars(2_500_000)).toBe(2.5);
  });
});
