/**
 * The fallback reasons `context_length` and `content_filter` (lang/SPEC.md
 * §4.8, §7.4): accepted in `on` lists and in `given T fails R`, lowered as
 * words, a did-you-mean for the providers' own names, never retried on the
 * same model, and the caller's 400 when not listed or when the last model
 * refuses too.
 */
import { describe, expect, it } from "vitest";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { routeBound } from "../../compiler/bounds/worst-case.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const MODELS = `${BASE}model big = p/"big" { input $1/Mtok output $2/Mtok }\n`;

describe("fallback on context_length and content_filter", () => {
  it("are reasons of a fallback, lowered as themselves", () => {
    const r = compileText(`${MODELS}route r { to m  fallback big on context_length, content_filter, 5xx }`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.routes[0]!.fallbackOn).toEqual(["context_length", "content_filter", "5xx"]);
    // They are not health failures: a refusal says nothing about the target's health.
    expect(found(compileText(`${MODELS}health h { on [5xx, context_length] }\nroute r { to m  fallback big  health h }`), "E201").length).toBe(1);
  });

  it("E201 with a did-you-mean for the providers' own names and for typos", () => {
    const r = compileText(`${MODELS}route r { to m  fallback big on context_length_exceeded, content_filtr, refusal }`);
    const e = r.diagnostics.filter((d) => d.code === "E201");
    expect(e.map((d) => d.help)).toEqual(["did you mean `context_length`?", "did you mean `content_filter`?", "did you mean `content_filter`?"]);
    expect(e[0]!.message).toBe(
      "expected a failure reason (a status like 429, a class like 5xx, `timeout`, `connection`, `context_length` or `content_filter`), found the word `context_length_exceeded`",
    );
  });

  it("a test states them: moved to the next model at once, never retried on the same one", async () => {
    const r = compileText(`${MODELS}route r { when model == "a"  to m  fallback big on context_length  retry 2 }
route f { when model == "f"  to m  fallback big on content_filter }
route plain { when model == "p"  to m  fallback big }
test "too long for m" {
  request { model "a" }
  given m fails context_length
  expect attempts [m, big]
  expect retries 0
  expect target big
  expect status 200
}
test "both too long: the caller's 400" {
  request { model "a" }
  given m fails context_length
  given big fails context_length
  expect attempts [m, big]
  expect status 400
}
test "a filtered prompt falls back" {
  request { model "f" }
  given m fails content_filter
  expect target big
}
test "unlisted: the caller's 400 at once" {
  request { model "p" }
  given m fails context_length
  expect attempts [m]
  expect status 400
}
test "context_length is not content_filter" {
  request { model "f" }
  given m fails context_length
  expect attempts [m]
  expect status 400
}`);
    expect(errorCodes(r)).toEqual([]);
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results.map((t) => [t.name, t.passed, t.failures?.map((f) => f.message)])).toEqual([
      ["too long for m", true, undefined],
      ["both too long: the caller's 400", true, undefined],
      ["a filtered prompt falls back", true, undefined],
      ["unlisted: the caller's 400 at once", true, undefined],
      ["context_length is not content_filter", true, undefined],
    ]);
  });

  it("`on 400` and `on 4xx` take a refusal too, as they did before it had a name", async () => {
    const r = compileText(`${MODELS}route r { to m  fallback big on 4xx }
test "4xx covers it" {
  request { model "x" }
  given m fails content_filter
  expect target big
}`);
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results[0]!.passed).toBe(true);
  });

  it("E401 for `retry after` on a refusal: only a status carries Retry-After", () => {
    const r = compileText(`${MODELS}route r { to m  fallback big on context_length }
test "t" {
  request { model "x" }
  given m fails context_length retry after 2s
  expect target big
}`);
    expect(found(r, "E401").map((d) => d.message)).toEqual(["only a failure with a status carries `Retry-After`"]);
  });

  it("the worst case of a route falling back only on refusals has no retries and no Retry-After wait", () => {
    const bound = (on: string) => {
      const g = compileText(`${MODELS}route r { to m  fallback big on ${on}  retry 2 backoff 100ms  timeout 1s }`).graph!;
      return routeBound(g, g.routes[0]!);
    };
    expect(bound("context_length, content_filter")).toMatchObject({ tries: 2, uncappedMs: 2_000 });
    // With a status listed, a retry may wait for the longest Retry-After (30 s) each time.
    expect(bound("429, context_length")).toMatchObject({ tries: 6, uncappedMs: 6_000 + 4 * 30_000 });
  });
});
