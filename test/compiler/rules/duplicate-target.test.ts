import { describe, expect, test } from "vitest";
import { duplicateTarget } from "../../../compiler/rules/duplicate-target.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

describe("duplicate-target (E302)", () => {
  test("a split naming a model twice", () => {
    const ds = run(duplicateTarget, src(...PRELUDE, `route r {`, `  split { 50% gpt-4o  50% gpt-4o }`, `}`));
    expect(where(ds)).toEqual(["E302 6:27"]);
    expect(relatedAt(ds[0])).toBe("6:15");
    expect(ds[0]!.message).toBe("`gpt-4o` appears twice in the same `split`");
  });

  test("a fallback list naming a model twice", () => {
    const ds = run(duplicateTarget, src(...PRELUDE, `route r {`, `  to gpt-4o`, `  fallback sonnet, mini, sonnet`, `}`));
    expect(where(ds)).toEqual(["E302 7:26"]);
    expect(relatedAt(ds[0])).toBe("7:12");
  });

  test("a fallback naming the route's own target", () => {
    const ds = run(duplicateTarget, src(...PRELUDE, `route r {`, `  to gpt-4o`, `  fallback sonnet, gpt-4o on 5xx`, `}`));
    expect(where(ds)).toEqual(["E302 7:20"]);
    expect(relatedAt(ds[0])).toBe("6:6");
    expect(ds[0]!.message).toBe("fallback `gpt-4o` is the route's own target");
  });

  test("a fallback naming the only model of a split", () => {
    const ds = run(duplicateTarget, src(...PRELUDE, `route r {`, `  split { 100% mini }`, `  fallback mini`, `}`));
    expect(where(ds)).toEqual(["E302 7:12"]);
    expect(relatedAt(ds[0])).toBe("6:16");
  });

  test("near miss: a fallback naming one arm of a split is meaningful when the split picked the other", () => {
    const text = src(...PRELUDE, `route r {`, `  split by key { 70% gpt-4o  30% sonnet }`, `  fallback sonnet, mini on 429, 5xx`, `}`);
    expect(run(duplicateTarget, text)).toEqual([]);
    expect(run(duplicateTarget, src(...PRELUDE, `route r {`, `  to gpt-4o`, `  fallback sonnet, mini`, `}`))).toEqual([]);
  });
});
