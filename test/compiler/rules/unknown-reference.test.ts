import { describe, expect, test } from "vitest";
import { unknownReference } from "../../../compiler/rules/unknown-reference.js";
import { PRELUDE, run, src, where } from "./helpers.js";

const DECLS = [
  ...PRELUDE,
  `guardrail pii { redact email }`,
  `budget daily { per team limit $10 per day exceeded downgrade mini }`,
  `limit per-key { per key requests 10 per minute }`,
]; // lines 1-7

describe("unknown-reference (E101)", () => {
  test("a misspelt model gets a suggestion of the same kind", () => {
    const ds = run(unknownReference, src(...DECLS, `route r {`, `  to sonet`, `}`));
    expect(where(ds)).toEqual(["E101 9:6"]);
    expect(ds[0]!.message).toBe("unknown model `sonet`");
    expect(ds[0]!.help).toBe("did you mean `sonnet`, a model?");
    expect(ds[0]!.severity).toBe("error");
  });

  test("the suggestion may be of another kind and says which", () => {
    const ds = run(unknownReference, src(...DECLS, `route r {`, `  to mini`, `  guard pi`, `}`));
    expect(where(ds)).toEqual(["E101 10:9"]);
    expect(ds[0]!.message).toBe("unknown guardrail `pi`");
    expect(ds[0]!.help).toBe("did you mean `pii`, a guardrail?");
    const other = run(unknownReference, src(...DECLS, `route r {`, `  to pii`, `}`));
    expect(other[0]!.message).toBe("unknown model `pii`");
    expect(other[0]!.help).toBe("`pii` is a guardrail, not a model");
  });

  test("a prefix is suggested, an unrelated name is not", () => {
    const prefix = run(unknownReference, src(...DECLS, `route r {`, `  to gpt`, `}`));
    expect(prefix[0]!.help).toBe("did you mean `gpt-4o`, a model?");
    const far = run(unknownReference, src(...DECLS, `route r {`, `  to llama`, `}`));
    expect(far[0]!.help).toBe('declare it with `model llama = <provider>/"<upstream name>"`');
  });

  test("every kind of reference is resolved", () => {
    const text = src(
      `provider p { api mock }`,
      `model m = q/"m"`,
      `budget b { per team limit $1 per day exceeded downgrade nope }`,
      `route r {`,
      `  to m1`,
      `  split { 50% m2  50% m }`,
      `  fallback m3`,
      `  guard g`,
      `  budget b2`,
      `  limit l`,
      `}`,
      `test "t" {`,
      `  request { model "x" }`,
      `  given split picks m4`,
      `  given m5 fails 429`,
      `  given budget b3 spent $1`,
      `  given limit l2 used 3`,
      `  expect route r2`,
      `  expect target m6`,
      `  expect target in [m, m7]`,
      `  expect attempts [m8]`,
      `  expect blocked by g2`,
      `  expect flagged by g3`,
      `}`,
    );
    const ds = run(unknownReference, text);
    expect(ds.map((d) => `${d.span.line}:${d.span.column} ${d.message}`)).toEqual([
      "2:11 unknown provider `q`",
      "3:57 unknown model `nope`",
      "5:6 unknown model `m1`",
      "6:15 unknown model `m2`",
      "7:12 unknown model `m3`",
      "8:9 unknown guardrail `g`",
      "9:10 unknown budget `b2`",
      "10:9 unknown limit `l`",
      "14:21 unknown model `m4`",
      "15:9 unknown model `m5`",
      "16:16 unknown budget `b3`",
      "17:15 unknown limit `l2`",
      "18:16 unknown route `r2`",
      "19:17 unknown model `m6`",
      "20:24 unknown model `m7`",
      "21:20 unknown model `m8`",
      "22:21 unknown guardrail `g2`",
      "23:21 unknown guardrail `g3`",
    ]);
  });

  test("near miss: every name declared with the right kind", () => {
    const text = src(
      ...DECLS,
      `route r {`,
      `  split { 50% gpt-4o  50% sonnet }`,
      `  fallback mini`,
      `  guard pii`,
      `  budget daily`,
      `  limit per-key`,
      `}`,
      `test "t" {`,
      `  request { model "x" }`,
      `  given split picks gpt-4o`,
      `  given gpt-4o fails 429`,
      `  given budget daily spent $1`,
      `  given limit per-key used 3`,
      `  expect route r`,
      `  expect attempts [gpt-4o, mini]`,
      `  expect blocked by pii`,
      `}`,
    );
    expect(run(unknownReference, text)).toEqual([]);
  });
});
