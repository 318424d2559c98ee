/**
 * Lexical structure: comments, stray characters (P001), names with `-` and
 * `.`, regexes only after `matches`, and whitespace insensitivity.
 */
import { describe, expect, it } from "vitest";
import { parse, stripSpans } from "../../lang/index.js";
import { at, decl, decls, FILE, id, problems, routeBody } from "./helpers.js";

describe("comments", () => {
  it("line and block comments are kept with their text and span", () => {
    const { file, diagnostics } = parse("// one\nroute r { /* two\n three */ to a } // four", FILE);
    expect(diagnostics).toEqual([]);
    expect(file.comments.map((c) => [c.text, c.span.line, c.span.column, c.span.endLine])).toEqual([
      ["// one", 1, 1, 1],
      ["/* two\n three */", 2, 11, 3],
      ["// four", 3, 18, 3],
    ]);
  });

  it("comments do not change the AST", () => {
    expect(decls("route /* a */ r { // b\n to /* c */ a }")).toEqual(decls("route r { to a }"));
  });

  it("a comment may sit between `matches` and its regex", () => {
    expect(routeBody("when text matches /* why */ /x/i")).toEqual(routeBody("when text matches /x/i"));
  });

  it("an unclosed block comment is reported at its start and kept as a comment", () => {
    const { file, diagnostics } = parse("route r { to a } /* never\n closed", FILE);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual(["P001 1:18 block comment is never closed: `/*` has no `*/`"]);
    // the `/*` is underlined; where the file ends is the related place
    expect(diagnostics[0]!.span.endColumn).toBe(20);
    expect(diagnostics[0]!.related?.span.offset).toBe("route r { to a } /* never\n closed".length);
    expect(file.comments.map((c) => c.text)).toEqual(["/* never\n closed"]);
  });
});

describe("stray characters (P001)", () => {
  it.each([
    ["@", "route r { @ to a }", "P001 1:11 unexpected character `@`"],
    ["#", "#\nroute r { to a }", "P001 1:1 unexpected character `#`"],
    [";", "route r { to a; }", "P001 1:15 unexpected character `;`"],
  ])("%s is reported and skipped", (_ch, text, problem) => {
    expect(problems(text)).toEqual([problem]);
  });

  it("`!`, `&&` and `||` are read as `not`, `and` and `or`, each reported once with its fix", () => {
    const { file, diagnostics } = parse('route r { when !stream && (team == "a" || team == "b") to a }', FILE);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message} → ${d.fix?.edits[0]?.text}`)).toEqual([
      "P001 1:16 `!` is written `not` → not",
      "P001 1:24 `&&` is written `and` → and",
      "P001 1:40 `||` is written `or` → or",
    ]);
    expect(stripSpans(file.declarations)).toEqual(decls('route r { when not stream and (team == "a" or team == "b") to a }'));
  });

  it("`:` and `;` are reported with a fix that deletes them", () => {
    const { diagnostics } = parse("route r { timeout: 30s; to a }", FILE);
    expect(diagnostics.map((d) => `${d.span.column} ${d.fix?.message}`)).toEqual(["18 delete `:`", "23 delete `;`"]);
  });

  it("a run of stray characters is one diagnostic", () => {
    expect(problems("route r { to a } @@@")).toEqual(["P001 1:18 unexpected characters `@@@`"]);
  });

  it("every stray character is reported, with the parse going on", () => {
    expect(problems("@ route r { to a }\n~ route s { to b }").map(at)).toEqual(["P001 1:1", "P001 2:1"]);
    expect(parse("@ route r { to a }\n~ route s { to b }", FILE).file.declarations).toHaveLength(2);
  });
});

describe("names and keywords", () => {
  it("names may contain `-` and `.` between letters and digits", () => {
    expect(routeBody("to gpt-4.1-mini")).toEqual([{ kind: "to", target: id("gpt-4.1-mini") }]);
    expect(routeBody("to claude_3.5-sonnet")).toEqual([{ kind: "to", target: id("claude_3.5-sonnet") }]);
  });

  it("a keyword prefix does not split a name", () => {
    expect(routeBody("to tokens-fast")).toEqual([{ kind: "to", target: id("tokens-fast") }]);
    expect(routeBody("to router")).toEqual([{ kind: "to", target: id("router") }]);
    expect(routeBody("to trueish")).toEqual([{ kind: "to", target: id("trueish") }]);
  });

  it("`true` and `false` are not names", () => {
    expect(problems("route r { to true }")).toEqual(["P002 1:14 expected a model name after `to`, found `true`"]);
  });
});

describe("regex literals", () => {
  it("`/` is a slash except right after `matches`", () => {
    expect(decl('model m = p/"x"')).toMatchObject({ provider: id("p") });
    expect(routeBody("when t matches /a/")).toMatchObject([{ condition: { kind: "matches" } }]);
  });

  it("a regex may not span lines", () => {
    expect(problems("route r { when t matches /a\nb/ }")[0]).toMatch(/^P00[12] 1:26 /);
  });
});

describe("layout", () => {
  it("whitespace and newlines are insignificant", () => {
    const one = 'provider p { api openai timeout 30s } route r { when model == "x" to a fallback b on 5xx }';
    const many = 'provider p {\n\tapi openai\r\n  timeout 30s\n}\n\n\nroute r {\n when\n model\n ==\n "x"\n to a\n fallback\n b\n on\n 5xx\n}\n';
    expect(stripSpans(parse(many, FILE).file.declarations)).toEqual(decls(one));
  });

  it("a byte-order mark is whitespace", () => {
    expect(decls("\uFEFFimport \"a.route\"")).toEqual(decls('import "a.route"'));
  });
});
