/**
 * Wildcard models (`model any = openai/"*" { "gpt-4o" input … }`, lang/SPEC.md
 * §4.3): the syntax and its formatting, the lowering into one graph model per
 * price-table row, E311 (where a wildcard may be declared), E307 (a route
 * that needs prices needs the table), the worst case (the dearest row), and
 * policy tests on wildcard routes — the evaluator and the reference
 * interpreter agreeing on each.
 */
import { describe, expect, it } from "vitest";
import { graphBounds } from "../../compiler/bounds/worst-case.js";
import { compile } from "../../compiler/index.js";
import { format, parse } from "../../lang/index.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { crossCheckTests } from "../../runtime/policy/reference-check.js";
import { compileText, errorCodes, found } from "./helpers.js";

const HEAD = `gateway { auth none }
provider openai { api openai }
model openai-any = openai/"*" {
  residency us
  "gpt-4o"       input $2.50/Mtok  output $10/Mtok    context 128k  max_output 16k
  "gpt-4o-mini"  input $0.15/Mtok  output $0.60/Mtok  context 128k  max_output 16k
}
budget team-daily { per team  limit $100 per day }
`;

describe("wildcard models", () => {
  it("lowers the wildcard and one priced model per row of its table", () => {
    const result = compileText(`${HEAD}route r { when model matches /^openai\\//  to openai-any  budget team-daily }`);
    expect(errorCodes(result)).toEqual([]);
    const models = result.graph!.models;
    expect(models["openai-any"]).toMatchObject({ provider: "openai", upstream: "*" });
    expect(models["openai-any"]!.inputPrice).toBeUndefined();
    expect(models["openai-any/gpt-4o"]).toMatchObject({ provider: "openai", upstream: "gpt-4o", inputPrice: 2.5, outputPrice: 10, context: 128_000, maxOutput: 16_000 });
    expect(models["openai-any/gpt-4o-mini"]).toMatchObject({ upstream: "gpt-4o-mini", inputPrice: 0.15, outputPrice: 0.6 });
  });

  it("formats the table one row per line and parses back to the same declaration", () => {
    const text = `model w = openai/"*" { residency us "a" input $1/Mtok output $2/Mtok "b" input $3/Mtok output $4/Mtok }\n`;
    const out = format(parse(text, "x.route").file);
    expect(out).toBe(`model w = openai/"*" {\n  residency us\n  "a" input $1/Mtok output $2/Mtok\n  "b" input $3/Mtok output $4/Mtok\n}\n`);
    const again = parse(out, "x.route");
    expect(again.diagnostics).toEqual([]);
    const decl = again.file.declarations[0]!;
    expect(decl.kind === "model" && decl.prices!.map((p) => [p.name.value, p.settings.map((s) => s.name.name)])).toEqual([
      ["a", ["input", "output"]],
      ["b", ["input", "output"]],
    ]);
  });

  it("E311 for a wildcard on a provider whose URLs carry the model, a table on a plain model, prices outside the table, bad and repeated rows", () => {
    const result = compileText(`gateway { auth none }
provider g { api gemini }
provider b { api bedrock  region "us-east-1" }
provider o { api openai }
model on-gemini = g/"*" { "gemini-2.5-pro" input $1/Mtok output $2/Mtok }
model on-bedrock = b/"*"
model plain = o/"gpt-4o" { "gpt-4o" input $1/Mtok output $2/Mtok }
model loose = o/"*" {
  input $1/Mtok
  "../x" input $1/Mtok output $2/Mtok
  "a" input $1/Mtok output $2/Mtok
  "a" input $1/Mtok output $2/Mtok
}
route r { when model == "x"  to on-gemini  fallback on-bedrock, plain, loose }`);
    expect(found(result, "E311").map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "5:21 wildcard model `on-gemini` is on provider `g` (`api gemini`), whose URLs carry the model name",
      "6:22 wildcard model `on-bedrock` is on provider `b` (`api bedrock`), whose URLs carry the model name",
      "7:28 model `plain` has a price table but is not a wildcard",
      "9:3 `input` of wildcard model `loose` belongs in a row of its price table",
      "10:3 `../x` in the price table of `loose` is not a name a wildcard can send",
      "12:3 the price table of `loose` lists `a` twice",
    ]);
  });

  it("E307 for a wildcard without a table, or a row without both prices, on a route that needs prices; none on a route that does not", () => {
    const result = compileText(`gateway { auth none }
provider o { api openai }
model bare = o/"*"
model half = o/"*" { "a" input $1/Mtok }
model free = o/"*"
budget b { per team  limit $10 per day }
route budgeted { when model == "x"  to bare  budget b }
route bounded { when model == "y"  to half  max_cost $1 }
route open { when model == "z"  to free }`);
    expect(found(result, "E307").map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "3:7 wildcard model `bare` has no price table, but budget `b` pays for it",
      "4:22 `a` in the price table of `half` has no `output` price, but route `bounded` has a `max_cost`",
    ]);
  });

  it("bounds a route that needs prices by the table's dearest row, and leaves a free route's wildcard unpriced", () => {
    const result = compileText(`${HEAD}route priced { when model matches /^openai\\//  to openai-any  budget team-daily }
route open { to openai-any }`);
    const [priced, open] = graphBounds(result.graph!);
    // gpt-4o: 128k in at $2.50/M and 16k out at $10/M
    expect(priced!.cost).toBeCloseTo(0.32 + 0.16, 10);
    expect(priced!.unpriced).toEqual([]);
    expect(open!.cost).toBe(0);
    expect(open!.unpriced).toEqual(["openai-any"]);
  });

  it("E308 when the dearest row breaks the route's max_cost", () => {
    const result = compileText(`${HEAD}route r { to openai-any  max_cost $0.10 }`);
    expect(found(result, "E308")).toHaveLength(1);
  });

  it("proves `require price` through a wildcard only on a route that sends just its table's names", () => {
    const result = compileText(`${HEAD}invariant priced { require price }
route budgeted { when model matches /^openai\\//  to openai-any  budget team-daily }
route open { to openai-any }`);
    expect(found(result, "E309").map((d) => d.message.split(":")[0])).toEqual(["route `open` breaks invariant `priced`"]);
  });

  it("runs policy tests on a wildcard route: the row as target, its price, refusals — and the reference interpreter agrees", async () => {
    const text = `${HEAD}model fixed = openai/"gpt-4.1" { input $2/Mtok  output $8/Mtok  max_output 32k }
route cheapest { when header("x-cheap") == "1"  split cheapest { 50% openai-any  50% fixed } }
route priced { when model matches /^openai\\//  to openai-any  budget team-daily }
route open { to openai-any }

test "a listed name goes to its row at its price" {
  request { model "openai/gpt-4o"  input_tokens 1000 }
  expect route priced
  expect target openai-any
  expect cost == $0.0025
}
test "the bare name works too" {
  request { model "gpt-4o-mini"  input_tokens 1000 }
  expect route open
  expect attempts [openai-any]
  expect cost == $0.00015
}
test "an unlisted name is refused where prices are needed" {
  request { model "openai/gpt-5" }
  expect status 404
}
test "an unsafe name is refused everywhere" {
  request { model "openai/../../admin" }
  expect status 400
}
test "an unlisted name passes where no price is needed" {
  request { model "o9-preview" }
  expect target openai-any
}
test "split cheapest prices the wildcard by the requested row: the cheap row wins" {
  request { model "openai/gpt-4o-mini"  header "x-cheap" "1"  input_tokens 1000  max_tokens 1000 }
  expect attempts [openai-any]
}
test "split cheapest prices the wildcard by the requested row: the dear row loses" {
  request { model "openai/gpt-4o"  header "x-cheap" "1"  input_tokens 1000  max_tokens 1000 }
  expect attempts [fixed]
}
test "split cheapest refuses a name its table lacks" {
  request { model "openai/gpt-5"  header "x-cheap" "1" }
  expect status 404
}
`;
    const parsed = parse(text, "main.route");
    const result = compile([parsed.file]);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const results = await runPolicyTests(result.graph!, result.tests);
    expect(results.filter((r) => !r.passed).map((r) => [r.name, r.failures])).toEqual([]);
    expect(crossCheckTests([parsed.file], result.graph!, result.tests)).toEqual([]);
  });
});
