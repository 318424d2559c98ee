import { describe, expect, test } from "vitest";
import { unfitTarget } from "../../../compiler/rules/unfit-target.js";
import { relatedAt, run, src, where } from "./helpers.js";

const DECLS = [
  `provider p { api mock }`,
  `model big = p/"big" { supports [tools, images, json_schema, stream]  context 128k }`,
  `model mini = p/"mini" { supports [tools, stream]  context 16k }`,
  `model open = p/"open"`,
]; // lines 1-4

describe("unfit-target (W508)", () => {
  test("a target every request of its route cannot use, with a witness the route takes", () => {
    const ds = run(unfitTarget, src(...DECLS, `route vision {`, `  when model == "v" and images`, `  to mini`, `  fallback big, open`, `}`));
    expect(where(ds)).toEqual(["W508 7:6"]);
    expect(ds[0]!.message).toBe('`mini` is always skipped on route `vision`: every request it takes needs images, e.g. `request { images  model "v" }`');
  });

  test("more input than the context, on every branch of an `or`", () => {
    const text = src(...DECLS, `route long {`, `  when input_tokens > 20k or (stream and input_tokens >= 100k)`, `  to big`, `  fallback mini`, `}`);
    const ds = run(unfitTarget, text);
    expect(where(ds)).toEqual(["W508 8:12"]);
    expect(ds[0]!.message).toContain("needs more input than its context of 16000 tokens");
  });

  test("near misses: a branch that fits, an undeclared model, a condition that does not require the capability", () => {
    expect(run(unfitTarget, src(...DECLS, `route r {`, `  when images or tools`, `  to mini`, `  fallback big`, `}`))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route r {`, `  when images`, `  to open`, `}`))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route r {`, `  when not images`, `  to mini`, `}`))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route r {`, `  when input_tokens > 10k`, `  to mini`, `  fallback big`, `}`))).toEqual([]);
  });
});

describe("unfit-target (W509)", () => {
  const test1 = [`test "sends an image" {`, `  request { model "x"  images }`, `  expect status 400`, `}`];
  test("a capability a test states that no target of a route supports", () => {
    const ds = run(unfitTarget, src(...DECLS, `route text {`, `  to mini`, `}`, ...test1));
    expect(where(ds)).toEqual(["W509 5:7"]);
    expect(ds[0]!.message).toBe("no target of route `text` supports images, so a request with images that it takes is refused (400), e.g. `request { images }`");
    expect(relatedAt(ds[0])).toBe("8:6");
  });

  test("near misses: a capable fallback, an undeclared target, a `when` that rules it out, no test stating it", () => {
    expect(run(unfitTarget, src(...DECLS, `route text {`, `  to mini`, `  fallback big`, `}`, ...test1))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route text {`, `  to mini`, `  fallback open`, `}`, ...test1))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route text {`, `  when not images`, `  to mini`, `}`, ...test1))).toEqual([]);
    expect(run(unfitTarget, src(...DECLS, `route text {`, `  to mini`, `}`))).toEqual([]);
  });
});
