import { describe, expect, test } from "vitest";
import { unreachableRoute } from "../../../compiler/rules/unreachable-route.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

/** Routes, one per line starting at line 5, each sending to `mini`. */
function routes(...whens: (string | null)[]): string {
  return src(...PRELUDE, ...whens.map((w, i) => `route r${i} { ${w === null ? "" : `when ${w} `}to mini }`));
}

function reported(...whens: (string | null)[]): string[] {
  return where(run(unreachableRoute, routes(...whens)));
}

describe("unreachable-route (E304)", () => {
  test("equality: a narrower route after a broader one", () => {
    const ds = run(unreachableRoute, routes(`model == "chat"`, `model == "chat" and team == "search"`));
    expect(where(ds)).toEqual(["E304 6:7"]);
    expect(relatedAt(ds[0])).toBe("5:7");
    expect(ds[0]!.message).toBe(
      'route `r1` can never match: route `r0` above it matches every request it would; e.g. `request { model "chat"  team "search" }` goes to `r0`',
    );
  });

  test("`in` lists, headers (names case-insensitive), endpoint, key and user", () => {
    expect(reported(`team in ["a", "b"]`, `team == "a" and user == "u"`)).toEqual(["E304 6:7"]);
    expect(reported(`header("X-Tier") == "p"`, `header("x-tier") in ["p"] and model == "m"`)).toEqual(["E304 6:7"]);
    expect(reported(`endpoint == "/v1/chat" and key in ["k1", "k2"]`, `key == "k2" and endpoint == "/v1/chat"`)).toEqual(["E304 6:7"]);
  });

  test("a route without `when` makes every later route unreachable", () => {
    const ds = run(unreachableRoute, routes(null, `model == "chat"`, null));
    expect(where(ds)).toEqual(["E304 6:7", "E304 7:7"]);
    expect(ds.map(relatedAt)).toEqual(["5:7", "5:7"]);
    expect(ds[0]!.related?.message).toBe("route `r0` has no `when`, so it matches every request");
  });

  test("`or` in the earlier route is split into its disjuncts", () => {
    expect(reported(`team == "a" or team == "b"`, `team in ["a", "b"] and user == "u"`)).toEqual(["E304 6:7"]);
    expect(reported(`(model == "x" or model == "y") and team == "t"`, `model == "y" and team == "t"`)).toEqual(["E304 6:7"]);
  });

  test("several earlier routes together can cover a later one", () => {
    const ds = run(unreachableRoute, routes(`team == "a"`, `team == "b"`, `team in ["a", "b"]`));
    expect(where(ds)).toEqual(["E304 7:7"]);
    expect(relatedAt(ds[0])).toBe("6:7");
    expect(ds[0]!.message).toContain("together");
    expect(reported(`team == "a"`, `not (team == "a")`, null)).toEqual(["E304 7:7"]);
    expect(reported(`stream and model == "m"`, `not stream and model == "m"`, `model in ["m"]`)).toEqual(["E304 7:7"]);
  });

  test("a `when` that can never hold", () => {
    const ds = run(unreachableRoute, routes(`team == "a" and team == "b"`));
    expect(where(ds)).toEqual(["E304 5:7"]);
    expect(ds[0]!.message).toBe('route `r0` can never match: its `when` is never true (`team == "a"` and `team == "b"` cannot both hold)');
  });

  test("tests the analysis does not interpret still match themselves", () => {
    expect(reported(`input_tokens > 100k`, `input_tokens > 100k and model == "x"`)).toEqual(["E304 6:7"]);
  });

  test("near misses: overlapping but not covered routes are not reported", () => {
    expect(reported(`model == "chat" and team == "search"`, `model == "chat"`)).toEqual([]);
    expect(reported(`team in ["a", "b"]`, `team in ["b", "c"]`)).toEqual([]);
    expect(reported(`team == "a"`, `team == "b"`, `team in ["a", "b", "c"]`)).toEqual([]);
    expect(reported(`input_tokens > 200k`, `input_tokens > 100k`)).toEqual([]);
    expect(reported(`stream`, `model == "x"`)).toEqual([]);
  });

  test("`!=` holds for a missing fact, as the evaluator has it", () => {
    expect(reported(`team != "a"`, `user == "u"`)).toEqual([]); // a caller of team "a" with user "u"
    expect(reported(`team != "a"`, `team == "b"`)).toEqual(["E304 6:7"]);
    expect(reported(`team != "a"`, `team == "a"`, `user == "u"`)).toEqual(["E304 7:7"]);
    const ds = run(unreachableRoute, routes(`team != "a"`, `not (team == "a") and user == "u"`));
    expect(ds[0]!.message).toContain('e.g. `request { user "u" }` goes to `r0`'); // no team at all
  });

  test("near miss: a route with two `when`s (E306) is not judged", () => {
    const text = src(...PRELUDE, `route a { when team == "t" to mini }`, `route b { when team == "t" when user == "u" to mini }`);
    expect(run(unreachableRoute, text)).toEqual([]);
  });

  test("numeric ranges: a long-prompt route after a longer-prompt one, with a witness", () => {
    const ds = run(unreachableRoute, routes(`input_tokens > 100k`, `input_tokens > 200k`));
    expect(where(ds)).toEqual(["E304 6:7"]);
    expect(relatedAt(ds[0])).toBe("5:7");
    expect(ds[0]!.message).toContain("e.g. `request { input_tokens 200001 }` goes to `r0`");
    expect(reported(`model == "m" and input_tokens >= 8k`, `model == "m" and input_tokens in [9000, 10k]`)).toEqual(["E304 6:7"]);
    expect(reported(`input_bytes <= 1KB`, `input_bytes < 1000 and stream`)).toEqual(["E304 6:7"]);
  });

  test("numeric ranges: routes that together cover every count", () => {
    expect(reported(`input_tokens < 100k`, `input_tokens >= 100k and input_tokens <= 200k`, `input_tokens != 150k and input_tokens <= 200k`)).toEqual(["E304 7:7"]);
    expect(reported(`input_tokens < 100k`, `input_tokens >= 100k and input_tokens <= 200k`, `input_tokens != 150k`)).toEqual([]); // 200,001 and up
    expect(reported(`input_tokens < 100k`, `input_tokens > 100k`, `input_tokens >= 100k`)).toEqual([]); // exactly 100,000 is left
    expect(reported(`input_tokens < 100k`, `input_tokens > 100k`, `input_tokens == 100k and team == "t"`)).toEqual([]);
  });

  test("a `when` on counts that can never hold names the tests that contradict", () => {
    const ds = run(unreachableRoute, routes(`model == "m" and input_tokens > 200k and input_tokens < 100k`));
    expect(ds[0]!.message).toBe(
      "route `r0` can never match: its `when` is never true (`input_tokens > 200k` and `input_tokens < 100k` cannot both hold)",
    );
    expect(where(run(unreachableRoute, routes(`input_tokens < 0`)))).toEqual(["E304 5:7"]);
    expect(where(run(unreachableRoute, routes(`input_tokens == 1.5`)))).toEqual(["E304 5:7"]);
    expect(where(run(unreachableRoute, routes(`not (user == "x" or user != "x")`)))).toEqual(["E304 5:7"]);
  });

  test("flags compared with true and false are the same tests as the flag alone", () => {
    expect(reported(`stream == true`, `not stream`, `tools`)).toEqual(["E304 7:7"]);
    expect(reported(`images != false and model == "m"`, `images and model == "m" and team == "t"`)).toEqual(["E304 6:7"]);
  });

  test("every route after an always-true `when` is unreachable", () => {
    const ds = run(unreachableRoute, routes(`user == "x" or user != "x"`, `model == "chat"`));
    expect(where(ds)).toEqual(["E304 6:7"]);
    expect(relatedAt(ds[0])).toBe("5:7");
  });

  test("`matches` is an opaque test: identical ones coincide, the witness names it", () => {
    const ds = run(unreachableRoute, routes(`header("x-app") matches /^int-/`, `header("x-app") matches /^int-/ and model == "m"`));
    expect(ds[0]!.message).toContain('e.g. `request { model "m" }` where `header("x-app") matches /^int-/` holds goes to `r0`');
  });
});
