/**
 * The formatter: golden files, the layout rules of lang/format.ts,
 * re-escaping, comments, idempotence, and refusing broken files.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Expr } from "../../lang/index.js";
import { format, formatText, parse, stripSpans } from "../../lang/index.js";
import { FILE } from "./helpers.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** Formats `text`, failing the test if it has errors. */
function fmt(text: string): string {
  const r = formatText(text, FILE);
  expect(r.diagnostics).toEqual([]);
  return r.text!;
}

const commentTexts = (text: string) =>
  parse(text, FILE)
    .file.comments.map((c) => c.text)
    .sort();

describe("golden files", () => {
  it.each([
    ["design.route", "design.formatted.route"],
    ["comments.route", "comments.formatted.route"],
  ])("%s formats to %s", (input, output) => {
    expect(fmt(fixture(input))).toBe(fixture(output));
  });

  it.each(["design.formatted.route", "comments.formatted.route"])("%s is already canonical", (name) => {
    expect(fmt(fixture(name))).toBe(fixture(name));
  });

  it.each(["design.route", "comments.route"])("%s keeps its AST and every comment", (name) => {
    const text = fixture(name);
    const out = fmt(text);
    expect(stripSpans(parse(out, FILE).file.declarations)).toEqual(stripSpans(parse(text, FILE).file.declarations));
    expect(commentTexts(out)).toEqual(commentTexts(text));
  });
});

describe("blocks", () => {
  it("a short provider, model, budget, limit or guardrail block stays on one line, items two spaces apart", () => {
    expect(fmt("provider demo {\n  api mock\n  latency 20ms\n}")).toBe("provider demo { api mock  latency 20ms }\n");
    expect(fmt('model m = p/"m" {\n input $1/Mtok\n}')).toBe('model m = p/"m" { input $1/Mtok }\n');
    expect(fmt("limit l {\n per key\n requests 10 per minute\n}")).toBe("limit l { per key  requests 10 per minute }\n");
    expect(fmt("budget b {\n per team\n}")).toBe("budget b { per team }\n");
    expect(fmt("guardrail g {\n on input\n redact email, phone\n}")).toBe("guardrail g { on input  redact email, phone }\n");
  });

  it("a short defaults block stays on one line; `use` lists its names", () => {
    expect(fmt("defaults strict {\n use base\n guard pii,injection\n retry 2\n}")).toBe("defaults strict { use base  guard pii, injection  retry 2 }\n");
    expect(fmt("route r { use strict,eu to a }")).toBe("route r {\n  use strict, eu\n  to a\n}\n");
    expect(fmt('route r { reject 451   "no" }')).toBe('route r {\n  reject 451 "no"\n}\n');
    expect(fmt('test "t" { expect rejected }')).toBe('test "t" {\n  expect rejected\n}\n');
  });

  it("gateway, keys, route and test blocks always take one statement per line", () => {
    expect(fmt('gateway { listen ":1" }')).toBe('gateway {\n  listen ":1"\n}\n');
    expect(fmt('keys { "h" team "a" }')).toBe('keys {\n  "h" team "a"\n}\n');
    expect(fmt("route r { to a }")).toBe("route r {\n  to a\n}\n");
    expect(fmt('test "t" { expect no route }')).toBe('test "t" {\n  expect no route\n}\n');
  });

  it("a block that would pass 100 columns takes one item per line", () => {
    const long = `provider p { api openai  base_url "${"x".repeat(60)}"  timeout 30s }`;
    expect(long.length).toBeGreaterThan(100);
    expect(fmt(long)).toBe(`provider p {\n  api openai\n  base_url "${"x".repeat(60)}"\n  timeout 30s\n}\n`);
    const fits = `provider p { api openai  base_url "${"x".repeat(60 - (long.length - 100))}"  timeout 30s }`;
    expect(fits.length).toBe(100);
    expect(fmt(fits)).toBe(`${fits}\n`);
  });

  it("the width limit counts indentation, for request blocks inside tests", () => {
    const facts = `model "${"m".repeat(40)}"  team "${"t".repeat(30)}"`;
    const inline = `request { ${facts} }`;
    expect(inline.length).toBe(99);
    expect(fmt(`test "t" { ${inline} }`)).toBe(`test "t" {\n  request {\n    model "${"m".repeat(40)}"\n    team "${"t".repeat(30)}"\n  }\n}\n`);
  });

  it("a block holding a comment takes one item per line", () => {
    expect(fmt("provider p { api mock // the mock\n}")).toBe("provider p {\n  api mock // the mock\n}\n");
  });

  it("empty blocks are `{}` and a model without settings has no block", () => {
    expect(fmt("gateway { }\nroute r {\n}\nprovider p {}")).toBe("gateway {}\n\nroute r {}\n\nprovider p {}\n");
    expect(fmt('model m = p/"m" { }')).toBe('model m = p/"m"\n');
  });

  it("split arms always stay on the split's line", () => {
    expect(fmt("route r { split by key {\n 70% a\n 30% b\n} }")).toBe("route r {\n  split by key { 70% a  30% b }\n}\n");
    expect(fmt("route r { split {} }")).toBe("route r {\n  split {}\n}\n");
  });

  it("request facts are two spaces apart on one line", () => {
    expect(fmt('test "t" { request { model "chat" header "x" "y" stream } }')).toBe('test "t" {\n  request { model "chat"  header "x" "y"  stream }\n}\n');
  });
});

describe("blank lines", () => {
  it("one blank line between top-level declarations", () => {
    expect(fmt("route a { to x }\n\n\n\nroute b { to y }")).toBe("route a {\n  to x\n}\n\nroute b {\n  to y\n}\n");
    expect(fmt("route a { to x } route b { to y }")).toBe("route a {\n  to x\n}\n\nroute b {\n  to y\n}\n");
  });

  it("one-line declarations of the same kind written together stay together", () => {
    expect(fmt("provider a { api mock }\nprovider b { api mock }\nmodel m = a/\"m\"\nmodel n = b/\"n\"")).toBe(
      'provider a { api mock }\nprovider b { api mock }\n\nmodel m = a/"m"\nmodel n = b/"n"\n',
    );
    expect(fmt("provider a { api mock }\n\nprovider b { api mock }")).toBe("provider a { api mock }\n\nprovider b { api mock }\n");
  });

  it("inside blocks, a blank line is kept where there was one, at most one", () => {
    expect(fmt("route r {\n  to a\n\n\n\n  timeout 1s\n  retry 2\n}")).toBe("route r {\n  to a\n\n  timeout 1s\n  retry 2\n}\n");
  });

  it("no blank line opens or closes a block", () => {
    expect(fmt("route r {\n\n  to a\n\n}")).toBe("route r {\n  to a\n}\n");
  });

  it("the output ends with exactly one newline; an empty file stays empty", () => {
    expect(fmt('import "a"\n\n\n')).toBe('import "a"\n');
    expect(fmt("")).toBe("");
    expect(fmt("\n\n  \n")).toBe("");
  });

  it("CRLF line ends become LF", () => {
    expect(fmt("route r {\r\n  to a\r\n}\r\n")).toBe("route r {\n  to a\n}\n");
  });
});

describe("comments", () => {
  it("a comment on its own line leads the next statement", () => {
    expect(fmt("route r {\n  to a\n      // why b\n  timeout 1s\n}")).toBe("route r {\n  to a\n  // why b\n  timeout 1s\n}\n");
  });

  it("a comment on a statement's last line trails it", () => {
    expect(fmt("route r { to a // cheapest\n timeout 1s /* t */ }")).toBe("route r {\n  to a // cheapest\n  timeout 1s /* t */\n}\n");
  });

  it("a comment after `{` leads the block's first statement", () => {
    expect(fmt("route r { // main\n  to a\n}")).toBe("route r {\n  // main\n  to a\n}\n");
  });

  it("a comment inside a statement moves above it", () => {
    expect(fmt("route r { fallback a, /* b is slow */ b on 5xx }")).toBe("route r {\n  /* b is slow */\n  fallback a, b on 5xx\n}\n");
    expect(fmt("route r { split { 50% a // half\n 50% b } }")).toBe("route r {\n  // half\n  split { 50% a  50% b }\n}\n");
  });

  it("a comment before `}` stays inside the block", () => {
    expect(fmt("route r {\n  to a\n  // todo: fallback\n}")).toBe("route r {\n  to a\n  // todo: fallback\n}\n");
    expect(fmt("route r { /* nothing yet */ }")).toBe("route r {\n  /* nothing yet */\n}\n");
  });

  it("comments in a file without declarations are kept", () => {
    expect(fmt("// one\n\n\n/* two */  // three\n")).toBe("// one\n\n/* two */\n// three\n");
  });

  it("a multi-line block comment is printed as written", () => {
    expect(fmt("route r {\n    /* a\n       b */\n  to a\n}")).toBe("route r {\n  /* a\n       b */\n  to a\n}\n");
  });

  it("a comment between two statements on one line trails the first", () => {
    expect(fmt("route r { to a /* x */ timeout 1s }")).toBe("route r {\n  to a /* x */\n  timeout 1s\n}\n");
  });
});

describe("literals", () => {
  it("strings are re-escaped canonically", () => {
    expect(fmt('import "a\\u{41}\\/\\u{e9}\\"\\\\\\n\\t\\r\\u{1}\\u{7f}\\u{2028}😀"')).toBe('import "aA/é\\"\\\\\\n\\t\\r\\u{1}\\u{7F}\\u{2028}😀"\n');
  });

  it("a raw tab in a string becomes an escape", () => {
    expect(fmt('import "a\tb"')).toBe('import "a\\tb"\n');
  });

  it("quantities and regexes are printed as written", () => {
    expect(fmt('model m = p/"m" { input $2.50/Mtok  output 2$  context 1.50M }')).toBe('model m = p/"m" { input $2.50/Mtok  output 2$  context 1.50M }\n');
    expect(fmt("guardrail g { block matches /a\\/[b/]+(?:c)/su }")).toBe("guardrail g { block matches /a\\/[b/]+(?:c)/su }\n");
  });

  it("values of every form", () => {
    expect(fmt('gateway { a env("X")  b f()  c g(1, "y", [h])  d []  e [1, true, false] }')).toBe(
      'gateway {\n  a env("X")\n  b f()\n  c g(1, "y", [h])\n  d []\n  e [1, true, false]\n}\n',
    );
  });
});

describe("expressions", () => {
  it("are printed with their parentheses, one space around operators", () => {
    expect(fmt('route r { when not(a)and(b or c)or header( "x" )!="y" and m in[ "a","b" ] and t matches /x/i }')).toBe(
      'route r {\n  when not (a) and (b or c) or header("x") != "y" and m in ["a", "b"] and t matches /x/i\n}\n',
    );
  });

  it("add parentheses a hand-built tree needs to read the same", () => {
    const file = parse("route r { when a or b or c }", FILE).file;
    const route = file.declarations[0]!;
    if (route.kind !== "route" || route.body[0]?.kind !== "when") throw new Error("shape");
    const { left, right } = route.body[0].condition as Extract<Expr, { kind: "or" }>;
    if (left.kind !== "or") throw new Error("shape");
    // a or (b or c), and not (a and b)
    route.body[0].condition = { kind: "or", left: left.left, right: { kind: "or", left: left.right, right, span: right.span }, span: route.span };
    expect(format(file)).toBe("route r {\n  when a or (b or c)\n}\n");
    route.body[0].condition = { kind: "not", operand: { kind: "and", left: left.left, right, span: right.span }, span: route.span };
    expect(format(file)).toBe("route r {\n  when not (a and c)\n}\n");
  });
});

describe("statements", () => {
  it("every route statement", () => {
    const text = "route r { when stream to a split by header(\"u\") { 60% a 40% b } fallback b, c on 429, 5xx, timeout fallback d retry 2 backoff 250ms retry 1 timeout 30s guard g1, g2 budget b1 limit l1, l2 }";
    expect(fmt(text)).toBe(
      [
        "route r {",
        "  when stream",
        "  to a",
        '  split by header("u") { 60% a  40% b }',
        "  fallback b, c on 429, 5xx, timeout",
        "  fallback d",
        "  retry 2 backoff 250ms",
        "  retry 1",
        "  timeout 30s",
        "  guard g1, g2",
        "  budget b1",
        "  limit l1, l2",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("every test statement", () => {
    const text = [
      'test "t" { request { model "chat" } given split picks a given budget b spent $5 given limit l used 10 given a fails 5xx',
      "expect route r expect no route expect target a expect target in [a, b] expect attempts [a] expect retries 1",
      'expect blocked by g expect flagged by g expect status 400 expect redacted input "x" }',
    ].join("\n");
    expect(fmt(text)).toBe(
      [
        'test "t" {',
        '  request { model "chat" }',
        "  given split picks a",
        "  given budget b spent $5",
        "  given limit l used 10",
        "  given a fails 5xx",
        "  expect route r",
        "  expect no route",
        "  expect target a",
        "  expect target in [a, b]",
        "  expect attempts [a]",
        "  expect retries 1",
        "  expect blocked by g",
        "  expect flagged by g",
        "  expect status 400",
        '  expect redacted input "x"',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("budget clauses and guardrail rules", () => {
    expect(fmt("budget b { per team limit $200 per day tokens 1M per 24h warn 80% exceeded downgrade m }")).toBe(
      "budget b { per team  limit $200 per day  tokens 1M per 24h  warn 80%  exceeded downgrade m }\n",
    );
    expect(fmt("limit l { exceeded reject }")).toBe("limit l { exceeded reject }\n");
    expect(fmt('guardrail g { on output flag deny ["a"], matches /x/ block when input_tokens > 100k }')).toBe(
      'guardrail g { on output  flag deny ["a"], matches /x/  block when input_tokens > 100k }\n',
    );
  });
});

describe("formatText", () => {
  it("refuses a file with syntax errors and returns them", () => {
    const r = formatText("route r { timeout }\nroute s { to }", FILE);
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.span.line])).toEqual([
      ["P002", 1],
      ["P002", 2],
    ]);
  });

  it.each([
    ["a stray character", "route r { to a } @"],
    ["a bad escape", 'import "\\q"'],
    ["an unterminated string", 'import "a'],
    ["an unknown unit", "route r { timeout 5y }"],
    ["an unclosed comment", "route r { to a } /* x"],
  ])("refuses %s", (_what, text) => {
    const r = formatText(text, FILE);
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
  });

  it("returns no diagnostics for a good file", () => {
    expect(formatText("route r { to a }", FILE)).toEqual({ text: "route r {\n  to a\n}\n", diagnostics: [] });
  });
});

describe("tables: runs of one-line statements of one shape are aligned into columns", () => {
  const prices = [
    'model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok  output $10/Mtok }',
    'model gpt-4o-mini    =   openai/"gpt-4o-mini" {input $0.15/Mtok output $0.60/Mtok}',
    'model sonnet = anthropic/"claude-sonnet-4-5"   { input $3/Mtok      output $15/Mtok }',
  ];
  const aligned = [
    'model gpt-4o      = openai/"gpt-4o"               { input $2.50/Mtok  output $10/Mtok }',
    'model gpt-4o-mini = openai/"gpt-4o-mini"          { input $0.15/Mtok  output $0.60/Mtok }',
    'model sonnet      = anthropic/"claude-sonnet-4-5" { input $3/Mtok     output $15/Mtok }',
  ];

  it("a price table written with any spacing comes out aligned, and aligning is computed, not kept", () => {
    expect(fmt(prices.join("\n"))).toBe(`${aligned.join("\n")}\n`);
    // spacing that was aligned differently (or misaligned) gives the same text
    const skewed = aligned.map((l) => l.replace(/ +/g, (s) => " ".repeat(s.length + 3)));
    expect(fmt(skewed.join("\n"))).toBe(`${aligned.join("\n")}\n`);
    expect(fmt(fmt(prices.join("\n")))).toBe(`${aligned.join("\n")}\n`);
  });

  it("a long name widens its column for the whole run", () => {
    const out = fmt([...prices, 'model bedrock-sonnet = bedrock/"us.anthropic.sonnet-4-5-v1" { input $3/Mtok  output $15/Mtok }'].join("\n"));
    expect(out).toBe(
      [
        'model gpt-4o         = openai/"gpt-4o"                      { input $2.50/Mtok  output $10/Mtok }',
        'model gpt-4o-mini    = openai/"gpt-4o-mini"                 { input $0.15/Mtok  output $0.60/Mtok }',
        'model sonnet         = anthropic/"claude-sonnet-4-5"        { input $3/Mtok     output $15/Mtok }',
        'model bedrock-sonnet = bedrock/"us.anthropic.sonnet-4-5-v1" { input $3/Mtok     output $15/Mtok }',
        "",
      ].join("\n"),
    );
  });

  it("a blank line or a comment line ends a run; a trailing comment does not", () => {
    const [a, b, c] = prices;
    expect(fmt(`${a}\n${b}\n\n${c}`)).toBe(
      [
        'model gpt-4o      = openai/"gpt-4o"      { input $2.50/Mtok  output $10/Mtok }',
        'model gpt-4o-mini = openai/"gpt-4o-mini" { input $0.15/Mtok  output $0.60/Mtok }',
        "",
        'model sonnet = anthropic/"claude-sonnet-4-5" { input $3/Mtok  output $15/Mtok }',
        "",
      ].join("\n"),
    );
    const split = fmt(`${a}\n// the mini one\n${b}\n${c}`).split("\n");
    expect(split[0]).toBe('model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok  output $10/Mtok }');
    expect(split[1]).toBe("// the mini one");
    expect(split[2]).toBe('model gpt-4o-mini = openai/"gpt-4o-mini"          { input $0.15/Mtok  output $0.60/Mtok }');
    expect(split[3]).toBe('model sonnet      = anthropic/"claude-sonnet-4-5" { input $3/Mtok     output $15/Mtok }');
    expect(fmt(`${a} // cheap\n${b}\n${c}`)).toBe(`${aligned[0]} // cheap\n${aligned[1]}\n${aligned[2]}\n`);
  });

  it("rows of another shape are not aligned with the run and end it; settings are not a table", () => {
    const text = [prices[0], 'model echo = demo/"echo"', prices[1], prices[2]].join("\n");
    expect(fmt(text)).toBe(
      [
        'model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok  output $10/Mtok }',
        'model echo = demo/"echo"',
        'model gpt-4o-mini = openai/"gpt-4o-mini"          { input $0.15/Mtok  output $0.60/Mtok }',
        'model sonnet      = anthropic/"claude-sonnet-4-5" { input $3/Mtok     output $15/Mtok }',
        "",
      ].join("\n"),
    );
    // settings whose names differ are not a table, nor are different statements
    const model = 'model m = p/"m" { // prices\n  input $3/Mtok\n  output $15/Mtok\n  cache_read $0.30/Mtok\n  context 200k\n}';
    expect(fmt(model)).toBe('model m = p/"m" {\n  // prices\n  input $3/Mtok\n  output $15/Mtok\n  cache_read $0.30/Mtok\n  context 200k\n}\n');
    expect(fmt('route r {\n  to a\n  timeout 30s\n  guard pii\n}')).toBe("route r {\n  to a\n  timeout 30s\n  guard pii\n}\n");
  });

  it("key entries with the same labels make a table inside `keys`", () => {
    expect(fmt('keys {\n  "sha256:aa" team "search" user "ana"\n  "sha256:bbbb" team "research" user "bo"\n}')).toBe(
      'keys {\n  "sha256:aa"   team "search"   user "ana"\n  "sha256:bbbb" team "research" user "bo"\n}\n',
    );
  });

  it("the rule is about shape, not about which statement: any run of same-shaped lines lines up", () => {
    // nothing in the formatter names `given … fails`: the rows line up because they have one shape
    expect(fmt('test "t" { given gpt-4o fails 5xx  given azure-gpt-4o fails 429  given sonnet fails 503  expect status 502 }')).toBe(
      'test "t" {\n  given gpt-4o       fails 5xx\n  given azure-gpt-4o fails 429\n  given sonnet       fails 503\n  expect status 502\n}\n',
    );
  });

});

describe("conditions: a `when` the author broke keeps one clause per line; a long one is wrapped", () => {

  it("clauses written one per line, `and`/`or` leading, keep their lines and their comments", () => {
    const text = [
      "route r {",
      '  when model == "gpt-4o" // the big one',
      '    and team in ["search", "research"] // paying teams',
      "    // not for streams yet",
      "    and not stream",
      '    or header("x-force") == "1" /* an override */',
      "  to a",
      "}",
      "",
    ].join("\n");
    expect(fmt(text)).toBe(text);
  });

  it("`and`/`or` trailing their line are moved to lead the next, each comment staying on its clause", () => {
    const text = [
      "route r {",
      '  when model == "gpt-4o" and   // the big one',
      '       team in ["search", "research"] or // paying teams',
      '       header("x-force") == "1"',
      "  to a",
      "}",
    ].join("\n");
    expect(fmt(text)).toBe(
      [
        "route r {",
        '  when model == "gpt-4o" // the big one',
        '    and team in ["search", "research"] // paying teams',
        '    or header("x-force") == "1"',
        "  to a",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("a comment inside a clause goes above it, never onto another clause", () => {
    expect(fmt("route r {\n  when a\n    and (b /* why b */ or c)\n  to x\n}")).toBe("route r {\n  when a\n    /* why b */\n    and (b or c)\n  to x\n}\n");
    expect(fmt("route r {\n  when /* first */ a\n    and b\n  to x\n}")).toBe("route r {\n  /* first */\n  when a\n    and b\n  to x\n}\n");
  });

  const long = [
    'model == "gpt-4o"',
    'team in ["search", "research", "support"]',
    '(header("x-tier") == "premium" or metadata("plan") == "enterprise")',
    'header("x-note") == "this and that or those"',
    "not stream",
  ];

  it("a 190-column condition is wrapped at its top-level `and`/`or`, never inside parentheses or strings", () => {
    const line = `  when ${long.join(" and ")} or input_tokens > 100k`;
    expect(line.length).toBeGreaterThanOrEqual(190);
    const out = fmt(`route r {\n${line}\n  to a\n}`);
    expect(out).toBe(
      [
        "route r {",
        '  when model == "gpt-4o"',
        '    and team in ["search", "research", "support"]',
        '    and (header("x-tier") == "premium" or metadata("plan") == "enterprise")',
        '    and header("x-note") == "this and that or those"',
        "    and not stream",
        "    or input_tokens > 100k",
        "  to a",
        "}",
        "",
      ].join("\n"),
    );
    expect(fmt(out)).toBe(out);
    expect(stripSpans(parse(out, FILE).file.declarations)).toEqual(stripSpans(parse(`route r {\n${line}\n  to a\n}`, FILE).file.declarations));
  });

  it("a one-line `when` stays on one line up to 100 columns, indentation included", () => {
    expect(fmt('route r {\n  when model == "chat" and team == "search"\n  to a\n}')).toBe('route r {\n  when model == "chat" and team == "search"\n  to a\n}\n');
    const fits = `  when model == "${"m".repeat(71)}" and stream`;
    expect(fits.length).toBe(100);
    expect(fmt(`route r {\n${fits}\n}`)).toBe(`route r {\n${fits}\n}\n`);
    const over = fits.replace('"m', '"mm');
    expect(fmt(`route r {\n${over}\n}`)).toBe(`route r {\n  when model == "${"m".repeat(72)}"\n    and stream\n}\n`);
  });

  it("conditions of guardrails, caches and invariants follow the same rule, and a broken one keeps its block open", () => {
    expect(fmt("guardrail g { block when a\n and b }")).toBe("guardrail g {\n  block when a\n    and b\n}\n");
    expect(fmt("guardrail g { block when a and b }")).toBe("guardrail g { block when a and b }\n");
    expect(fmt("cache c { ttl 1h  when a or\n b }")).toBe("cache c {\n  ttl 1h\n  when a\n    or b\n}\n");
    expect(fmt("invariant i { when a // x\n and b  require price }")).toBe("invariant i {\n  when a // x\n    and b\n  require price\n}\n");
  });

  it("formatting twice changes nothing: tables, broken and wrapped conditions, comments on clauses", () => {
    const inputs = [
      'model a = p/"x" { input $1/Mtok  output $2/Mtok }\nmodel bbbb = p/"yyyy" { input $10/Mtok  output $0.5/Mtok } // note\n// next\nmodel c = p/"z" { input $1/Mtok  output $2/Mtok }',
      "route r {\n  when a and // x\n  /* lead */ b or\n  (c /* in */ and d) // y\n  to t\n}",
      `guardrail g { block when ${Array.from({ length: 12 }, (_, i) => `header("h${i}") == "v${i}"`).join(" and ")} }`,
      'keys {\n  "h1" team "a" user "b" // one\n  "h22" team "aa" user "bb"\n\n  "h3" team "c"\n}',
    ];
    for (const text of inputs) {
      const once = fmt(text);
      expect(fmt(once)).toBe(once);
      expect(commentTexts(once)).toEqual(commentTexts(text));
      expect(stripSpans(parse(once, FILE).file.declarations)).toEqual(stripSpans(parse(text, FILE).file.declarations));
    }
    expect(fmt(inputs[1]!)).toBe("route r {\n  when a // x\n    /* lead */\n    and b\n    /* in */\n    or (c and d) // y\n  to t\n}\n");
  });
});
