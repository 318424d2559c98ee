/**
 * The TextMate grammar of the VS Code extension (editors/vscode) highlights
 * each part of the language with the conventional scopes, and the extension
 * manifest contributes it with the language configuration and the client
 * that starts `aigw lsp`. Tokenised with the small interpreter in textmate.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tokenizer, type Grammar, type Token } from "./textmate.js";

const editor = (name: string) => new URL(`../../editors/vscode/${name}`, import.meta.url);
const grammar = JSON.parse(readFileSync(editor("syntaxes/route.tmLanguage.json"), "utf8")) as Grammar;
const tokenizer = new Tokenizer(grammar);

/** The innermost scopes of the first token whose text is `text` (or, failing that, contains it). */
function scopesOf(source: string, text: string, nth = 0): string[] {
  const tokens = tokenizer.tokenize(source).flat();
  const exact = tokens.filter((t) => t.text === text);
  const token = exact[nth] ?? tokens.find((t) => t.text.includes(text));
  if (!token) throw new Error(`no token ${JSON.stringify(text)} in ${JSON.stringify(tokens.map((t) => t.text))}`);
  return token.scopes.slice(1);
}

function last(source: string, text: string, nth = 0): string {
  return scopesOf(source, text, nth).at(-1) ?? "";
}

describe("the grammar file", () => {
  it("is source.route for .route files", () => {
    expect(grammar.scopeName).toBe("source.route");
    expect((grammar as unknown as { fileTypes: string[] }).fileTypes).toEqual(["route"]);
  });

  it("every regex compiles", () => {
    const sources: string[] = [];
    JSON.stringify(grammar, (key, value: unknown) => {
      if ((key === "match" || key === "begin" || key === "end") && typeof value === "string") sources.push(value);
      return value;
    });
    expect(sources.length).toBeGreaterThan(20);
    for (const s of sources) expect(() => new RegExp(s)).not.toThrow();
  });

  it("the VS Code extension contributes the language and the grammar", () => {
    const pkg = JSON.parse(readFileSync(editor("package.json"), "utf8"));
    expect(pkg.contributes.languages[0]).toMatchObject({ id: "route", extensions: [".route"], configuration: "./language-configuration.json" });
    expect(pkg.contributes.grammars[0]).toEqual({ language: "route", scopeName: "source.route", path: "./syntaxes/route.tmLanguage.json" });
    expect(pkg.main).toBe("./extension.js");
    expect(Object.keys(pkg.dependencies)).toEqual(["vscode-languageclient"]);
    // The client starts `aigw lsp` on stdio (the server's tests drive that same command).
    const client = readFileSync(editor("extension.js"), "utf8");
    expect(client).toContain('args: ["lsp"]');
    expect(client).toContain("TransportKind.stdio");
    expect(() => new Function(client.replace(/^"use strict";/m, ""))).not.toThrow();
    const config = JSON.parse(readFileSync(editor("language-configuration.json"), "utf8"));
    expect(config.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
    expect(new RegExp(config.wordPattern).exec("gpt-4.1-mini")?.[0]).toBe("gpt-4.1-mini");
  });
});

describe("highlighting", () => {
  it("declaration keywords and names", () => {
    const src = "provider openai { api openai }";
    expect(last(src, "provider")).toBe("storage.type.provider.route");
    expect(last(src, "openai")).toBe("entity.name.type.provider.route");
    expect(last(src, "api")).toBe("variable.other.route");
    expect(last("route premium-chat {", "premium-chat")).toBe("entity.name.type.route.route");
    expect(last("guardrail pii {", "pii")).toBe("entity.name.type.guardrail.route");
    expect(last("budget team-daily {", "team-daily")).toBe("entity.name.type.budget.route");
    expect(last("limit per-key { per key }", "per-key")).toBe("entity.name.type.limit.route");
    expect(last("gateway {", "gateway")).toBe("storage.type.gateway.route");
    expect(last('test "x" {', "test")).toBe("storage.type.test.route");
  });

  it("model declarations: name, provider, upstream", () => {
    const src = 'model gpt-4o = openai/"gpt-4o" { context 128k }';
    expect(last(src, "gpt-4o")).toBe("entity.name.type.model.route");
    expect(last(src, "openai")).toBe("entity.name.type.provider-ref.route");
    expect(last(src, "=")).toBe("keyword.operator.assignment.route");
    expect(scopesOf(src, "gpt-4o", 1)).toContain("string.quoted.double.route");
  });

  it("a digit inside a name is not a number", () => {
    const tokens = tokenizer.tokenize("route r { to gpt-4o fallback claude-3.5 }").flat();
    expect(tokens.filter((t) => t.scopes.some((s) => s.startsWith("constant.numeric")))).toEqual([]);
    expect(last("route r { to gpt-4o }", "gpt-4o")).toBe("variable.other.route");
  });

  it("budget and limit inside a route are statements, not declarations", () => {
    const src = "route r {\n  budget team-daily\n  limit per-key\n}";
    expect(last(src, "budget")).toBe("keyword.control.route");
    expect(last(src, "team-daily")).toBe("variable.other.route");
  });

  it("keywords", () => {
    const src = 'route r { when model == "chat" and not stream to a fallback b on 5xx retry 2 backoff 1s }';
    for (const k of ["when", "to", "fallback", "on", "retry", "backoff"]) expect(last(src, k)).toBe("keyword.control.route");
    for (const k of ["and", "not"]) expect(last(src, k)).toBe("keyword.operator.logical.route");
    expect(last('test "t" { expect target in [a] }', "expect")).toBe("keyword.other.test.route");
    expect(last('test "t" { expect target in [a] }', "in")).toBe("keyword.operator.logical.route");
    expect(last("budget b { warn 80% exceeded reject }", "exceeded")).toBe("keyword.other.clause.route");
    expect(last("guardrail g { redact email }", "redact")).toBe("keyword.other.guardrail.route");
    expect(last("gateway { debug true }", "true")).toBe("constant.language.boolean.route");
  });

  it("strings with escapes, and bad escapes", () => {
    const src = 'import "a\\n\\u{1F600}\\q"';
    expect(scopesOf(src, "a")).toEqual(["string.quoted.double.route"]);
    expect(last(src, "\\n")).toBe("constant.character.escape.route");
    expect(last(src, "\\u{1F600}")).toBe("constant.character.escape.route");
    expect(last(src, "\\q")).toBe("invalid.illegal.escape.route");
    expect(last(src, '"')).toBe("punctuation.definition.string.begin.route");
  });

  it("an unterminated string ends at the end of its line", () => {
    const lines = tokenizer.tokenize('import "abc\nroute r {');
    expect(lines[1]![0]!.scopes.at(-1)).toBe("storage.type.route.route");
  });

  it("regexes after `matches`, with flags, escapes and classes", () => {
    const src = "guardrail g { block when text matches /ignore (all )?\\/[a-z/]+/i }";
    expect(last(src, "matches")).toBe("keyword.operator.matches.route");
    expect(scopesOf(src, "ignore (all )")).toContain("string.regexp.route");
    expect(last(src, "?")).toBe("keyword.operator.quantifier.route");
    expect(last(src, "\\/")).toBe("constant.character.escape.route");
    expect(last(src, "a-z/")).toBe("constant.other.character-class.set.route");
    expect(last(src, "]")).toBe("constant.other.character-class.set.route");
    expect(last(src, "i")).toBe("keyword.other.regex-flags.route");
    expect(last(src, "}")).toBe("punctuation.section.block.end.route");
  });

  it("a slash elsewhere is not a regex", () => {
    expect(last('model m = p/"x"', "/")).toBe("punctuation.separator.upstream.route");
  });

  it.each([
    ["30s", "30", "s"],
    ["250ms", "250", "ms"],
    ["1d", "1", "d"],
    ["100k", "100", "k"],
    ["1.5M", "1.5", "M"],
    ["80%", "80", "%"],
    ["512KB", "512", "KB"],
    ["1GB", "1", "GB"],
  ])("quantity %s: number and unit", (q, number, unit) => {
    const src = `route r { timeout ${q} }`;
    expect(last(src, number)).toBe("constant.numeric.route");
    expect(last(src, unit)).toBe("keyword.other.unit.route");
  });

  it("plain numbers, money, prices and status classes", () => {
    expect(last("route r { retry 2 }", "2")).toBe("constant.numeric.route");
    const price = "model m = p/\"m\" { input $2.50/Mtok }";
    expect(last(price, "$")).toBe("keyword.other.unit.currency.route");
    expect(last(price, "2.50")).toBe("constant.numeric.route");
    expect(last(price, "/Mtok")).toBe("keyword.other.unit.route");
    expect(last("budget b { limit $200 per day }", "200")).toBe("constant.numeric.route");
    expect(last("route r { fallback a on 5xx }", "xx")).toBe("keyword.other.unit.route");
  });

  it("unknown units are marked invalid", () => {
    expect(last("route r { timeout 30zz }", "30zz")).toBe("invalid.illegal.unit.route");
    expect(last("route r { timeout 5kb }", "5kb")).toBe("invalid.illegal.unit.route");
  });

  it("line and block comments, across lines", () => {
    const lines = tokenizer.tokenize("to a // note\n/* one\ntwo */ to b");
    expect(lines[0]!.at(-1)).toEqual({ text: "// note", scopes: ["source.route", "comment.line.double-slash.route"] });
    expect(lines[1]!.map((t) => t.scopes.at(-1))).toEqual(["punctuation.definition.comment.begin.route", "comment.block.route"]);
    expect(lines[2]![0]!.scopes).toContain("comment.block.route");
    expect(lines[2]!.at(-1)!.scopes.at(-1)).toBe("variable.other.route");
  });

  it("operators and punctuation", () => {
    const src = 'route r { when input_tokens >= 5 and team != "x" and model in ["a", "b"] }';
    expect(last(src, ">=")).toBe("keyword.operator.comparison.route");
    expect(last(src, "!=")).toBe("keyword.operator.comparison.route");
    expect(last(src, "[")).toBe("punctuation.section.brackets.begin.route");
    expect(last(src, ",")).toBe("punctuation.separator.comma.route");
  });

  it("env() and function facts", () => {
    const src = 'provider p { key env("OPENAI_API_KEY") } route r { when header("x-tier") == "p" }';
    expect(last(src, "env")).toBe("support.function.builtin.env.route");
    expect(last(src, "header")).toBe("support.function.route");
    expect(last(src, "(")).toBe("punctuation.section.parens.begin.route");
  });

  it("the design example has no invalid token", () => {
    const design = readFileSync(new URL("../lang/fixtures/design.route", import.meta.url), "utf8");
    const tokens: Token[] = tokenizer.tokenize(design).flat();
    expect(tokens.map((t) => t.text).join("")).toBe(design.replace(/\n/g, ""));
    expect(tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid")))).toEqual([]);
  });
});
