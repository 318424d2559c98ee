/**
 * Properties of the parser and formatter (fast-check):
 * - the parser never throws, on any text, and every diagnostic's span lies
 *   inside the input;
 * - for valid policies, formatting is idempotent, keeps every comment, and
 *   the formatted text parses to the same AST (spans aside) and, for
 *   compile-valid ones, compiles to the same decision graph;
 * - the layout depends on the source's only through its blank lines and
 *   the line breaks between a condition's clauses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { format, formatText, parse, stripSpans } from "../../lang/index.js";
import { arbPolicy } from "../support/policy-gen.js";
import { arbDeclaration, arbPolicyText, arbTokenSoup } from "./gen.js";
import { INTERNAL } from "./helpers.js";

const RUNS = 200;

function checkDiagnosticsInside(text: string): void {
  const { file, diagnostics } = parse(text, "p.route");
  expect(file.kind).toBe("file");
  for (const d of diagnostics) {
    expect(d.span.offset).toBeGreaterThanOrEqual(0);
    expect(d.span.endOffset).toBeGreaterThanOrEqual(d.span.offset);
    expect(d.span.endOffset).toBeLessThanOrEqual(text.length);
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.column).toBeGreaterThanOrEqual(1);
    expect(d.span.file).toBe("p.route");
    expect(d.message).not.toBe("");
    // quoted user input may say anything; the words around it must be the language's
    expect(d.message.replace(/`[^`]*`/g, "``")).not.toMatch(INTERNAL);
  }
}

describe("the parser is total", () => {
  it("never throws on arbitrary text, and spans stay inside it", () => {
    fc.assert(fc.property(fc.string(), checkDiagnosticsInside), { numRuns: RUNS });
  });

  it("never throws on arbitrary unicode", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), checkDiagnosticsInside), { numRuns: RUNS });
  });

  it("never throws on soup of the language's own words", () => {
    fc.assert(fc.property(arbTokenSoup, checkDiagnosticsInside), { numRuns: RUNS });
  });

  it("formatText never throws either, and formats only files without errors", () => {
    fc.assert(
      fc.property(arbTokenSoup, (text) => {
        const r = formatText(text, "p.route");
        const errors = r.diagnostics.some((d) => d.severity === "error");
        expect(r.text === undefined).toBe(errors);
      }),
      { numRuns: RUNS },
    );
  });
});

const sortedComments = (text: string) =>
  parse(text, "p.route")
    .file.comments.map((c) => c.text)
    .sort();

/** format(parse(format(x))) === format(parse(x)), parse(format(x)) equals parse(x) spans aside, and no comment is lost. */
function roundTrip(text: string): void {
  const first = parse(text, "p.route");
  expect(first.diagnostics).toEqual([]);
  const once = format(first.file);
  const second = parse(once, "p.route");
  expect(second.diagnostics).toEqual([]);
  expect(stripSpans(second.file.declarations)).toEqual(stripSpans(first.file.declarations));
  expect(format(second.file)).toBe(once);
  expect(sortedComments(once)).toEqual(sortedComments(text));
}

/** The compiled graph, without what legitimately moves with layout: source spans and the version hash of the text. */
function graphOf(text: string): unknown {
  const { graph, diagnostics } = compile([parse(text, "p.route").file]);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return stripSpans({ ...graph, policy: undefined });
}

describe("formatting generated valid policies", () => {
  it("the generator makes valid policies", () => {
    fc.assert(
      fc.property(arbPolicyText(), (text) => {
        expect(parse(text, "p.route").diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it("is idempotent, keeps the AST and keeps every comment", () => {
    fc.assert(fc.property(arbPolicyText(), roundTrip), { numRuns: RUNS });
  });

  it("the same holds for the compile-valid policies of test/support/policy-gen.ts, which compile to the same graph", () => {
    fc.assert(
      fc.property(arbPolicy(), (text) => {
        roundTrip(text);
        expect(graphOf(format(parse(text, "p.route").file))).toEqual(graphOf(text));
      }),
      { numRuns: 100 },
    );
  });
});

describe("the canonical layout", () => {
  it("does not depend on how the source was laid out, apart from blank lines and breaks between a condition's clauses", () => {
    const arbTokens = fc.array(arbDeclaration, { maxLength: 5 }).map((ds) => ds.flat());
    const arbSpace = fc.constantFrom(" ", "\n", "\t", "\n    ", "  ");
    // a line break next to `and`/`or` (the only places a condition's clauses can break) is the author's choice and kept
    const breaksClauses = (tokens: string[], i: number, space: string) => space.includes("\n") && [tokens[i], tokens[i + 1]].some((t) => t === "and" || t === "or");
    fc.assert(
      fc.property(
        arbTokens.chain((tokens) => fc.tuple(fc.constant(tokens), fc.array(arbSpace, { minLength: tokens.length, maxLength: tokens.length }))),
        ([tokens, spaces]) => {
          const oneLine = format(parse(tokens.map((t, i) => t + (breaksClauses(tokens, i, spaces[i]!) ? "\n" : " ")).join(""), "p.route").file);
          const scattered = format(parse(tokens.map((t, i) => t + spaces[i]).join(""), "p.route").file);
          expect(scattered).toBe(oneLine);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
