/**
 * Syntax errors: one run reports every error in a file, each at the right
 * place and in the language's terms, never in chevrotain's token names.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "../../lang/index.js";
import { lex } from "../../lang/lexer.js";
import { FILE, INTERNAL, problems } from "./helpers.js";

const design = readFileSync(new URL("./fixtures/design.route", import.meta.url), "utf8");


describe("error recovery", () => {
  it("reports every error in a file, each at its place", () => {
    const text = [
      "provider openai { api openai timeout }",
      "route a {",
      "  to }",
      "route b { retry }",
      'test "t" { expect foo }',
      'model m = openai "x"',
      "limit l { per key tokens 200k minute }",
      "guardrail g { redact }",
      "budget b { exceeded }",
      "route c { when model == }",
      "route d { split by { 50% a } }",
    ].join("\n");
    expect(problems(text)).toEqual([
      "P002 1:38 expected a duration like 30s after `timeout`, found `}`",
      "P002 3:6 expected a model name after `to`, found `}`",
      "P002 4:17 expected a retry count like 2 after `retry`, found `}`",
      "P002 5:19 expected `route`, `no route`, `target`, `attempts`, `retries`, `blocked by`, `flagged by`, `cache`, `status`, `redacted input`, `shaped` or `header` after `expect`, found `foo`",
      'P002 6:18 expected `/` after `openai`, found `"x"`',
      "P002 7:31 expected `per` after `200k`, found `minute`",
      "P002 8:22 expected `when`, `matches`, `deny` or a name after `redact`, found `}`",
      "P002 9:21 expected `reject` or `downgrade` after `exceeded`, found `}`",
      "P002 10:25 expected a value after `==`, found `}`",
      'P002 11:20 expected a fact like `key` or header("x") after `by`, found `{`',
    ]);
  });

  it("recovery may add a follow-on error after inserting a missing token", () => {
    expect(problems('test "t" { expect attempts a }')).toEqual(["P002 1:28 expected `[` after `attempts`, found `a`", "P002 1:30 expected `,` or `]`, found `}`"]);
  });

  it("keeps the declarations it could read around the errors", () => {
    const { file } = parse("route a { to }\nroute b { to x }\nroute c { timeout }", FILE);
    expect(file.declarations.map((d) => (d.kind === "route" ? d.name.name : d.kind))).toEqual(["a", "b", "c"]);
  });

  it("mixes lexical and syntax errors in one run, in order", () => {
    expect(problems('route r { @ timeout 3y }\nroute s { to }\nimport "x')).toEqual([
      "P001 1:11 unexpected character `@`",
      'P003 3:8 string is missing its closing `"`',
      "P002 2:14 expected a model name after `to`, found `}`",
      "P004 1:21 unknown unit `y` in `3y`",
    ]);
  });
});

describe("messages", () => {
  it.each([
    ["route r { timeout }", "P002 1:19 expected a duration like 30s after `timeout`, found `}`"],
    ["route r { retry 2 backoff }", "P002 1:27 expected a duration like 250ms after `backoff`, found `}`"],
    ["route r { fallback }", "P002 1:20 expected a model name after `fallback`, found `}`"],
    ["route r { guard }", "P002 1:17 expected a guardrail name after `guard`, found `}`"],
    ["route r { when }", 'P002 1:16 expected a condition like model == "chat" after `when`, found `}`'],
    ["route r { when a matches }", "P002 1:26 expected a regex like /x/i after `matches`, found `}`"],
    ["route r { when a matches /x }", "P002 1:26 expected a regex like /x/i after `matches`, found `/`"],
    ["route r { when model in }", "P002 1:25 expected `[` after `in`, found `}`"],
    ["route r { when model in [a, }", 'P002 1:29 expected a value like "x", 30s, true, [a, b] or a name after `,`, found `}`'],
    ["route r { when model in [a b] }", "P002 1:28 expected `,` or `]`, found `b`"],
    ["route r { when (a }", "P002 1:19 expected `)` after `a`, found `}`"],
    ["route r { when a and }", "P002 1:22 expected `not`, `(` or a name after `and`, found `}`"],
    ["route r { split { 70 } }", "P002 1:22 expected a name after `70`, found `}`"],
    ["route r { split { x } }", "P002 1:19 expected a weight and a model like `70% gpt-4o` or `}`, found `x`"],
    ["route r { to a b }", "P002 1:16 expected a route statement (`when`, `to`, `split`, `fallback`, `retry`, `timeout`, `guard`, `budget`, `limit`, `cache`) or `}`, found `b`"],
    ["route r {", "P002 1:9 `{` is never closed"],
    ["provider { }", "P002 1:10 expected a name after `provider`, found `{`"],
    ["gateway { listen }", 'P002 1:18 expected a value like "x", 30s, true, [a, b] or a name after `listen`, found `}`'],
    ["keys { team }", "P002 1:8 expected a key hash in quotes or `}`, found `team`"],
    ["budget b { warn }", "P002 1:17 expected a percentage like 80% after `warn`, found `}`"],
    ["guardrail g { on }", "P002 1:18 expected a name after `on`, found `}`"],
    ["test { }", 'P002 1:6 expected a test name in quotes like "premium traffic splits" after `test`, found `{`'],
    ['test "t" { given x }', "P002 1:18 expected `cache hit`, `split picks`, `budget … spent`, `limit … used` or `… fails` after `given`, found `x`"],
    ["import", 'P002 1:7 expected a file name like "routes.route" after `import`, found the end of the file'],
    ["foo bar", "P002 1:1 expected a declaration (`gateway`, `provider`, `model`, `keys`, `budget`, `limit`, `guardrail`, `cache`, `health`, `jwt`, `route`, `invariant`, `test` or `import`), found `foo`"],
    ["}", "P002 1:1 this `}` closes no block"],
  ])("%s", (text, message) => {
    expect(problems(text)).toEqual([message]);
  });
});

/** Broken variants of a valid policy: each token deleted, doubled, or replaced by `}`, `{` or `,`. */
function mutants(text: string): string[] {
  const tokens = lex(text, FILE).tokens;
  const out: string[] = [];
  tokens.forEach((t, i) => {
    const start = t.startOffset;
    const end = t.endOffset! + 1;
    const before = text.slice(0, start);
    const after = text.slice(end);
    const variants = [before + after, `${before}${t.image} ${t.image}${after}`, `${before}}${after}`, `${before}{${after}`, `${before},${after}`];
    // every third token also gets a stray `(`, to reach the expression and call rules
    if (i % 3 === 0) variants.push(`${before}(${t.image}${after}`);
    out.push(...variants);
  });
  return out;
}

describe("messages over many broken policies", () => {
  const broken = mutants(design);

  it("the fixture itself is valid", () => {
    expect(problems(design)).toEqual([]);
    expect(broken.length).toBeGreaterThan(1000);
  });

  it("every syntax error is in the language's terms, with a span inside the text", () => {
    let errors = 0;
    const bad: string[] = [];
    for (const text of broken) {
      for (const d of parse(text, FILE).diagnostics) {
        errors++;
        const { offset, endOffset, line, column } = d.span;
        const wrong =
          INTERNAL.test(d.message) ||
          (d.code === "P002" && !/^expected .+, found .+$|^`\{` is never closed$|^this `\}` closes no block$|^a \w+ is declared at the top level of a file, not inside a route$/.test(d.message)) ||
          offset < 0 ||
          endOffset > text.length ||
          endOffset < offset ||
          line < 1 ||
          column < 1;
        if (wrong) bad.push(`${d.code} ${line}:${column} ${d.message}\n${text}`);
      }
    }
    expect(bad).toEqual([]);
    expect(errors).toBeGreaterThan(broken.length / 2);
    // repairs (lang/recover.ts) try a parse per proposal on top of the recovering parse
  }, 120_000);
});
