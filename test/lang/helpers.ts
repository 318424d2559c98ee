/**
 * Shared helpers for the language tests: parse a snippet and get its AST
 * without spans, its diagnostics, or the one statement under test.
 */
import { expect } from "vitest";
import type { Declaration, RouteStmt, SourceFile, TestStmt } from "../../lang/index.js";
import { parse, stripSpans } from "../../lang/index.js";

export const FILE = "test.route";

/** Words from chevrotain's own vocabulary that must never reach a user. */
export const INTERNAL = /Kw_|Identifier|LBrace|RBrace|LParen|RParen|LBracket|RBracket|QuantityLiteral|StringLiteral|RegexLiteral|UnterminatedString|EqEq|NotEq|LtEq|GtEq|\bAssign\b|\bSlash\b|\bComma\b|\bEOF\b|\bName\b|Expecting|Redundant input|<--|-->|token of type|\[object/;


/** Parses `text` and fails the test if there is any diagnostic. */
function parseOk(text: string): SourceFile {
  const { file, diagnostics } = parse(text, FILE);
  expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
  return file;
}

/** The declarations of `text`, spans stripped. */
export function decls(text: string): Declaration[] {
  return stripSpans(parseOk(text).declarations);
}

/** The one declaration of `text`, spans stripped. */
export function decl(text: string): Declaration {
  const all = decls(text);
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** The statements of a route written as `route r { <body> }`, spans stripped. */
export function routeBody(body: string): RouteStmt[] {
  const d = decl(`route r { ${body} }`);
  if (d.kind !== "route") throw new Error("not a route");
  return d.body;
}

/** The statements of a test written as `test "t" { <body> }`, spans stripped. */
export function testBody(body: string): TestStmt[] {
  const d = decl(`test "t" { ${body} }`);
  if (d.kind !== "test") throw new Error("not a test");
  return d.body;
}

/** The diagnostics of `text`, as `code line:column message` lines. */
export function problems(text: string): string[] {
  return parse(text, FILE).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`);
}

/** The `code line:column` prefix of a line from `problems`. */
export function at(problem: string): string {
  return problem.split(" ").slice(0, 2).join(" ");
}

/** An identifier node without its span. */
export function id(name: string) {
  return { kind: "ident", name } as const;
}

export function str(value: string) {
  return { kind: "string", value } as const;
}

export function qty(raw: string, unit: string, value: number) {
  return { kind: "quantity", raw, unit, value } as const;
}

export function fact(name: string, arg?: string) {
  return arg === undefined ? { kind: "fact", name: id(name) } : { kind: "fact", name: id(name), arg: str(arg) };
}
