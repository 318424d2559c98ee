/**
 * Source spans: every node knows its file, line, column and end; columns are
 * 1-based and end-exclusive, offsets 0-based.
 */
import { describe, expect, it } from "vitest";
import type { Span } from "../../lang/index.js";
import { parse } from "../../lang/index.js";
import { FILE } from "./helpers.js";

const text = [
  'provider openai { api openai timeout 30s }', // 1
  "", // 2
  "route premium-chat {", // 3
  '  when model == "chat" and header("x-tier") == "premium"', // 4
  "  split by key { 70% gpt-4o  30% sonnet }", // 5
  "  fallback sonnet on 5xx", // 6
  "}", // 7
  'test "t" {', // 8
  '  request { model "chat" }', // 9
  "  expect target in [gpt-4o, sonnet]", // 10
  "}", // 11
].join("\n");

const { file, diagnostics } = parse(text, FILE);

/** `[line, column, endLine, endColumn]` of a span, and a check that its offsets point at `expected`. */
function pos(span: Span, expected?: string): [number, number, number, number] {
  expect(span.file).toBe(FILE);
  if (expected !== undefined) expect(text.slice(span.offset, span.endOffset)).toBe(expected);
  return [span.line, span.column, span.endLine, span.endColumn];
}

describe("spans", () => {
  it("parses without diagnostics", () => {
    expect(diagnostics).toEqual([]);
  });

  it("the file spans the whole text", () => {
    expect(file.path).toBe(FILE);
    expect(file.span).toMatchObject({ line: 1, column: 1, offset: 0, endOffset: text.length, endLine: 11, endColumn: 2 });
  });

  it("declarations and their names", () => {
    const [provider, route, test] = file.declarations;
    expect(pos(provider!.span, 'provider openai { api openai timeout 30s }')).toEqual([1, 1, 1, 43]);
    if (provider?.kind !== "provider" || route?.kind !== "route" || test?.kind !== "test") throw new Error("shape");
    expect(pos(provider.name.span, "openai")).toEqual([1, 10, 1, 16]);
    expect(pos(provider.settings[1]!.span, "timeout 30s")).toEqual([1, 30, 1, 41]);
    expect(pos(provider.settings[1]!.value.span, "30s")).toEqual([1, 38, 1, 41]);
    expect(pos(route.span)).toEqual([3, 1, 7, 2]);
    expect(pos(route.name.span, "premium-chat")).toEqual([3, 7, 3, 19]);
    expect(pos(test.name.span, '"t"')).toEqual([8, 6, 8, 9]);
  });

  it("route statements and expressions", () => {
    const route = file.declarations[1];
    if (route?.kind !== "route") throw new Error("shape");
    const [when, split, fallback] = route.body;
    expect(pos(when!.span, 'when model == "chat" and header("x-tier") == "premium"')).toEqual([4, 3, 4, 57]);
    if (when?.kind !== "when" || when.condition.kind !== "and") throw new Error("shape");
    expect(pos(when.condition.span, 'model == "chat" and header("x-tier") == "premium"')).toEqual([4, 8, 4, 57]);
    expect(pos(when.condition.right.span, 'header("x-tier") == "premium"')).toEqual([4, 28, 4, 57]);
    if (when.condition.right.kind !== "compare") throw new Error("shape");
    expect(pos(when.condition.right.fact.span, 'header("x-tier")')).toEqual([4, 28, 4, 44]);
    expect(pos(when.condition.right.fact.arg!.span, '"x-tier"')).toEqual([4, 35, 4, 43]);
    if (split?.kind !== "split") throw new Error("shape");
    expect(pos(split.arms[1]!.span, "30% sonnet")).toEqual([5, 30, 5, 40]);
    expect(pos(split.arms[1]!.weight.span, "30%")).toEqual([5, 30, 5, 33]);
    if (fallback?.kind !== "fallback") throw new Error("shape");
    expect(pos(fallback.on[0]!.span, "5xx")).toEqual([6, 22, 6, 25]);
  });

  it("test statements", () => {
    const test = file.declarations[2];
    if (test?.kind !== "test") throw new Error("shape");
    const [request, expectation] = test.body;
    if (request?.kind !== "request" || expectation?.kind !== "expect") throw new Error("shape");
    expect(pos(request.span, 'request { model "chat" }')).toEqual([9, 3, 9, 27]);
    expect(pos(request.facts[0]!.span, 'model "chat"')).toEqual([9, 13, 9, 25]);
    expect(pos(expectation.span, "expect target in [gpt-4o, sonnet]")).toEqual([10, 3, 10, 36]);
  });

  it("comments have spans across lines", () => {
    const r = parse("route r {\n  /* a\n  b */ to x\n}", FILE);
    expect(pos(r.file.comments[0]!.span)).toEqual([2, 3, 3, 7]);
  });

  it("diagnostic spans point at the offending token", () => {
    const r = parse("route r {\n  timeout 30zz\n}", FILE);
    expect(r.diagnostics.map((d) => [d.code, pos(d.span)])).toEqual([["P004", [2, 11, 2, 15]]]);
  });
});
