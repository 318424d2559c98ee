/**
 * `defaults` blocks and `use` (lang/SPEC.md §4.13): what a route runs with
 * after its `use` is expanded, the checks (unknown, unused, cycles, statements
 * a block may not hold) and where each inherited statement is recorded.
 */
import { describe, expect, it } from "vitest";
import type { RouteNode } from "../../compiler/graph.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const POLICY = `${BASE}model n = p/"n-upstream" { input $1/Mtok output $2/Mtok }
guardrail pii { redact email }
guardrail size { block when input_tokens > 100k }
guardrail inj { block when text matches /ignore previous/i }
budget daily { per team limit $10 per day exceeded reject }
limit rpm { per key requests 60 per minute }
`;

function route(text: string, name = "r"): RouteNode {
  const result = compileText(POLICY + text);
  expect(errorCodes(result)).toEqual([]);
  const r = result.graph!.routes.find((x) => x.name === name);
  expect(r).toBeDefined();
  return r!;
}

describe("use", () => {
  it("gives a route the block's statements", () => {
    const r = route(`defaults strict { guard pii, inj  budget daily  limit rpm  retry 2 backoff 100ms  timeout 5s  fallback n on 5xx }
route r { use strict  to m }`);
    expect(r.guard).toEqual(["pii", "inj"]);
    expect(r.budgets).toEqual(["daily"]);
    expect(r.limits).toEqual(["rpm"]);
    expect(r.retry).toEqual({ count: 2, backoffMs: 100 });
    expect(r.timeoutMs).toBe(5000);
    expect(r.fallback).toEqual(["n"]);
    expect(r.fallbackOn).toEqual(["5xx"]);
  });

  it("lets the route's own single statements win, wherever `use` is written", () => {
    const r = route(`defaults strict { retry 2  timeout 5s  fallback n on 5xx }
route r { to m  retry 0  fallback n on 429  use strict }`);
    expect(r.retry.count).toBe(0);
    expect(r.fallbackOn).toEqual(["429"]);
    expect(r.timeoutMs).toBe(5000);
  });

  it("joins lists, the blocks' names first, each name once", () => {
    const r = route(`defaults a { guard pii, size }
defaults b { guard inj, pii }
route r { use a, b  guard size, inj  to m }`);
    expect(r.guard).toEqual(["pii", "size", "inj"]);
  });

  it("lets a later `use` win over an earlier one, and a block's own word over what it includes", () => {
    const r = route(`defaults base { retry 1  timeout 9s }
defaults strict { use base  retry 2 }
defaults fast { timeout 2s }
route r { use strict, fast  to m }`);
    expect(r.retry.count).toBe(2);
    expect(r.timeoutMs).toBe(2000);
    const s = compileText(POLICY + `defaults base { retry 1  timeout 9s }
defaults strict { use base  retry 2 }
defaults fast { timeout 2s }
route s { when model == "s"  use fast, strict  to m }`).graph!.routes[0]!;
    // `strict` comes last and brings `base`'s timeout with it.
    expect(s.timeoutMs).toBe(9000);
  });

  it("records which block gave which statement, as written, for explain", () => {
    const r = route(`defaults base { guard size  retry 1 }
defaults strict {
  use base
  guard pii
  retry 2
}
route r { use strict  to m  guard inj }`);
    expect(r.defaults).toEqual([
      { name: "base", span: expect.objectContaining({ line: 9 }), settings: ["guard size"] },
      { name: "strict", span: expect.objectContaining({ line: 10 }), settings: ["guard pii", "retry 2"] },
    ]);
    // A route without `use` carries no such list.
    expect(route(`route r { to m }`).defaults).toBeUndefined();
  });

  it("gives each route its own copy of an inline cache", () => {
    const result = compileText(POLICY + `defaults cached { cache { ttl 1m } }
route r { use cached  to m }`);
    expect(errorCodes(result)).toEqual([]);
    expect(result.graph!.routes[0]!.cache).toBe("route:r");
    expect(result.graph!.caches["route:r"]?.ttlMs).toBe(60_000);
  });
});

describe("defaults checks", () => {
  it("E101 for an unknown block, with a did-you-mean", () => {
    const result = compileText(POLICY + `defaults strict { guard pii }
route r { use stirct  to m }`);
    expect(result.diagnostics.filter((d) => d.code === "E101").map((d) => [d.message, d.help])).toEqual([
      ["unknown defaults block `stirct`", "did you mean `strict`, a defaults block?"],
    ]);
  });

  it("W501 for a block no route or block uses", () => {
    const result = compileText(POLICY + `defaults strict { guard pii }
route r { to m  guard pii }`);
    expect(found(result, "W501").filter((d) => d.message.startsWith("defaults"))).toEqual([{ line: 9, column: 10, message: "defaults block `strict` is never used" }]);
  });

  it("E310 for a cycle, once, with its path, at the `use` that closes it", () => {
    const result = compileText(POLICY + `defaults a { use b  retry 1 }
defaults b { use c }
defaults c { use a }
route r { use a  to m }`);
    expect(found(result, "E310")).toEqual([{ line: 11, column: 18, message: "defaults `a` includes itself: `a` → `b` → `c` → `a`" }]);
    expect(result.graph).toBeUndefined();
  });

  it("E310 for a block that uses itself", () => {
    expect(found(compileText(POLICY + `defaults a { use a }
route r { use a  to m }`), "E310").map((d) => d.message)).toEqual(["defaults `a` includes itself: `a` → `a`"]);
  });

  it("E210 for `when`, `to` and `split` in a block", () => {
    const result = compileText(POLICY + `defaults d { when model == "x"  to m  split { 100% m } }
route r { use d  to m }`);
    expect(found(result, "E210").map((d) => d.message.split(":")[0])).toEqual([
      "`when` is not allowed in defaults `d`",
      "`to` is not allowed in defaults `d`",
      "`split` is not allowed in defaults `d`",
    ]);
  });

  it("checks a block's values and repeats once, where they are written", () => {
    const result = compileText(POLICY + `defaults d { retry 1.5  timeout 5s  timeout 6s  guard nope }
route r { use d  to m }
route s { when model == "s"  use d  to m }`);
    expect(found(result, "E204")).toHaveLength(1);
    expect(found(result, "E208").map((d) => d.message)).toEqual(["`timeout` in defaults `d` is given twice"]);
    expect(found(result, "E101").map((d) => d.message)).toEqual(["unknown guardrail `nope`"]);
  });

  it("E302 when a block's fallback names the route's own target", () => {
    expect(found(compileText(POLICY + `defaults d { fallback m }
route r { use d  to m }`), "E302").map((d) => d.message)).toEqual(["fallback `m` is the route's own target"]);
  });
});
