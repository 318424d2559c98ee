import { describe, expect, test } from "vitest";
import { unpricedModel } from "../../../compiler/rules/unpriced-model.js";
import { relatedAt, run, src, where } from "./helpers.js";

const DECLS = [
  `provider p { api mock }`,
  `model priced = p/"a" { input $1/Mtok output $2/Mtok }`,
  `model half = p/"b" { input $1/Mtok }`,
  `model free = p/"c"`,
  `model cheap = p/"d" { context 8k }`,
  `budget b { per team limit $10 per day exceeded downgrade cheap }`,
]; // lines 1-6

describe("unpriced-model (E307)", () => {
  test("targets, fallbacks and downgrade models of a budgeted route need both prices", () => {
    const ds = run(unpricedModel, src(...DECLS, `route r {`, `  to priced`, `  fallback half, free`, `  budget b`, `}`));
    expect(where(ds)).toEqual(["E307 3:7", "E307 4:7", "E307 5:7"]);
    expect(ds.map((d) => d.message)).toEqual([
      "model `half` has no `output` price, but budget `b` pays for it",
      "model `free` has no `input` or `output` price, but budget `b` pays for it",
      "model `cheap` has no `input` or `output` price, but budget `b` pays for it",
    ]);
    expect(relatedAt(ds[0])).toBe("10:3");
  });

  test("a split arm is reported once even when several routes use it", () => {
    const text = src(...DECLS, `route r { split { 50% priced  50% free } budget b }`, `route s { to free budget b }`);
    expect(where(run(unpricedModel, text)).filter((w) => w.endsWith("4:7"))).toEqual(["E307 4:7"]);
  });

  test("near miss: unpriced models on routes without a budget", () => {
    expect(run(unpricedModel, src(...DECLS, `route r {`, `  to free`, `  fallback half`, `}`))).toEqual([]);
  });
});
