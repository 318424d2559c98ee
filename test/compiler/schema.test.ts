import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateGraph } from "../../compiler/validate.js";
import type { Graph } from "../../compiler/graph.js";
import { compileSources } from "../../compiler/index.js";

function designGraph(): Graph {
  const text = readFileSync(new URL("../../examples/design/policy.route", import.meta.url), "utf8");
  const r = compileSources([{ path: "policy.route", text }]);
  return r.graph!;
}

type Json = Record<string, unknown>;

/** The object at `keys` inside `root`, for editing a graph copy in place. */
function at(root: unknown, ...keys: (string | number)[]): Json {
  let v = root;
  for (const k of keys) v = (v as Json)[k];
  return v as Json;
}

/** A deep copy of the design graph changed by `edit`. */
function broken(edit: (g: Json) => void): unknown {
  const g = structuredClone(designGraph()) as unknown as Json;
  edit(g);
  return g;
}

function errorsOf(value: unknown): string[] {
  const v = validateGraph(value);
  return v.ok ? [] : v.errors;
}

describe("graph schema", () => {
  it("accepts the compiled design policy", () => {
    const v = validateGraph(designGraph());
    expect(v.ok).toBe(true);
  });

  it("accepts a graph that went through JSON", () => {
    expect(validateGraph(JSON.parse(JSON.stringify(designGraph()))).ok).toBe(true);
  });

  it.each([
    ["not an object", () => 42],
    ["a wrong version", () => broken((g) => (g["version"] = 2))],
    ["a malformed policy version", () => broken((g) => (g["policy"] = "abc"))],
    ["an unknown top-level field", () => broken((g) => (g["extra"] = true))],
    ["a missing field", () => broken((g) => delete g["routes"])],
    ["an unknown provider api", () => broken((g) => (at(g, "providers", "openai").api = "grpc"))],
    ["a secret stored as a string", () => broken((g) => (at(g, "providers", "openai").key = "sk-123"))],
    ["a negative price", () => broken((g) => (at(g, "models", "gpt-4o").inputPrice = -1))],
    ["a bad key hash", () => broken((g) => (at(g, "keys")["sha256:nothex"] = { labels: {} }))],
    ["a percent over 100", () => broken((g) => (at(g, "budgets", "team-daily").warnPercent = 150))],
    ["an unknown window unit", () => broken((g) => (at(g, "budgets", "team-daily").window = { kind: "calendar", unit: "week" }))],
    ["a limit with nothing to count", () => broken((g) => (at(g, "limits")["per-key"] = { scope: "key", span: at(g, "limits", "per-key").span }))],
    ["an unknown fact", () => broken((g) => (at(g, "routes", 0, "when", "args", 0, "fact").name = "colour"))],
    ["a header fact without a name", () => broken((g) => delete at(g, "routes", 0, "when", "args", 1, "fact").arg)],
    ["an unknown operator", () => broken((g) => (at(g, "routes", 0, "when", "args", 0).op = "like"))],
    ["an empty split", () => broken((g) => (at(g, "routes", 0, "target").arms = []))],
    ["an unknown failure reason", () => broken((g) => (at(g, "routes", 0).fallbackOn = ["sometimes"]))],
    ["a fractional retry count", () => broken((g) => (at(g, "routes", 0, "retry").count = 1.5))],
    ["a guard rule with neither detectors nor a condition", () => broken((g) => delete at(g, "guardrails", "pii", "rules", 0).detectors)],
    ["a span without a line", () => broken((g) => delete at(g, "routes", 0, "span").line)],
    ["an index pointing past the routes", () => broken((g) => (at(g, "index", "byModel").chat = [0, 7]))],
    ["an index out of order", () => broken((g) => (at(g, "index", "byModel").chat = [1, 0]))],
  ])("rejects %s", (_what, make) => {
    expect(errorsOf(make()).length).toBeGreaterThan(0);
  });

  it("says where the problem is", () => {
    expect(errorsOf(broken((g) => (at(g, "routes", 0, "retry").count = -1)))).toContain("/routes/0/retry/count must be >= 0");
  });
});
