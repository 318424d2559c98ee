import { describe, expect, test } from "vitest";
import { envUnset } from "../../../compiler/rules/env-unset.js";
import { routeMatchesEverything } from "../../../compiler/rules/route-matches-everything.js";
import { unused } from "../../../compiler/rules/unused.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

describe("unused (W501)", () => {
  test("declarations nothing names are warned about, one level deep", () => {
    const text = src(
      `provider p { api mock }`,
      `provider spare { api mock }`,
      `model used = p/"a"`,
      `model idle = p/"b"`,
      `budget b { per team limit $1 per day }`,
      `limit l { per key requests 1 per minute }`,
      `guardrail g { redact email }`,
      `route r { to used }`,
      `test "only tests mention these" {`,
      `  request { model "x" }`,
      `  given budget b spent $1`,
      `  expect blocked by g`,
      `}`,
    );
    const ds = run(unused, text);
    expect(where(ds)).toEqual(["W501 2:10", "W501 4:7", "W501 5:8", "W501 6:7", "W501 7:11"]);
    expect(ds.every((d) => d.severity === "warning")).toBe(true);
    expect(ds[1]!.message).toBe("model `idle` is never used");
  });

  test("near miss: everything is referenced from the policy itself", () => {
    const text = src(
      ...PRELUDE,
      `budget b { per team limit $1 per day exceeded downgrade mini }`,
      `limit l { per key requests 1 per minute }`,
      `guardrail g { redact email }`,
      `route r { split { 50% gpt-4o 50% gpt-4o } fallback sonnet guard g budget b limit l }`,
    );
    expect(run(unused, text)).toEqual([]);
  });
});

describe("env-unset (W502)", () => {
  const text = src(`provider a { api openai key env("OPENAI_API_KEY") }`, `gateway { state redis(env("REDIS_URL")) }`);

  test("an unset or empty variable is a warning that never shows any value", () => {
    const ds = run(envUnset, text, { REDIS_URL: "", OTHER: "s3cr3t" });
    expect(where(ds)).toEqual(["W502 1:29", "W502 2:23"]);
    expect(ds.map((d) => d.message)).toEqual([
      "environment variable `OPENAI_API_KEY` is not set",
      "environment variable `REDIS_URL` is empty",
    ]);
    expect(ds.every((d) => d.severity === "warning")).toBe(true);
  });

  test("near miss: set variables are not reported, and their values appear nowhere", () => {
    const ds = run(envUnset, text, { OPENAI_API_KEY: "sk-secret-value", REDIS_URL: "redis://u:pw@h" });
    expect(ds).toEqual([]);
    const partly = run(envUnset, text, { OPENAI_API_KEY: "sk-secret-value" });
    expect(JSON.stringify(partly)).not.toContain("sk-secret-value");
  });
});

describe("route-matches-everything (W503)", () => {
  test("a catch-all that is not last", () => {
    const ds = run(routeMatchesEverything, src(...PRELUDE, `route any { to mini }`, `route chat { when model == "chat" to gpt-4o }`));
    expect(where(ds)).toEqual(["W503 5:7"]);
    expect(relatedAt(ds[0])).toBe("6:7");
  });

  test("near miss: the catch-all is the last route", () => {
    expect(run(routeMatchesEverything, src(...PRELUDE, `route chat { when model == "chat" to gpt-4o }`, `route any { to mini }`))).toEqual([]);
  });
});
