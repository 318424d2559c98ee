/**
 * Error recovery over a real policy (examples/production): each slip from
 * issue 21 gives its root cause first, at the place to fix, with a fix
 * where one is sure, and none of the follow-on errors it used to cascade
 * into (false "can never match", "declared twice", unknown names).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePaths, memoryHost } from "../../compiler/index.js";
import type { Diagnostic } from "../../lang/index.js";

const ROOT = new URL("../../examples/production/", import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}
const PRODUCTION: Record<string, string> = Object.fromEntries(filesUnder(ROOT).map((f) => [`p/${relative(ROOT, f)}`, readFileSync(f, "utf8")]));

/** The production policy with one file's text replaced, compiled; its errors as `code file:line:col message`. */
function errorsWith(file: string, edit: (text: string) => string): { errors: string[]; all: Diagnostic[] } {
  const path = `p/${file}`;
  const changed = edit(PRODUCTION[path]!);
  expect(changed).not.toBe(PRODUCTION[path]);
  const { diagnostics } = compilePaths(["p"], memoryHost({ ...PRODUCTION, [path]: changed }));
  const errors = diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.span.file}:${d.span.line}:${d.span.column} ${d.message}`);
  return { errors, all: diagnostics };
}

describe("the slips of issue 21, on examples/production", () => {
  it("the policy itself is clean", () => {
    const { diagnostics } = compilePaths(["p"], memoryHost(PRODUCTION));
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("`&&` instead of `and`: one error, with the fix, and no false `can never match`", () => {
    const { errors, all } = errorsWith("routes/chat.route", (t) => t.replace('when model == "chat" and input_tokens > 100k', 'when model == "chat" && input_tokens > 100k'));
    expect(errors).toEqual(["P001 p/routes/chat.route:12:24 `&&` is written `and`"]);
    expect(all[0]!.fix?.edits.map((e) => e.text)).toEqual(["and"]);
  });

  it("a budget declared inside a route: read as declared above it and attached, with a fix that moves it", () => {
    const { errors, all } = errorsWith("routes/chat.route", (t) => t.replace("route support-chat {\n", "route support-chat {\n  budget team-daily { per team  limit $200 per day  warn 80%  exceeded reject }\n"));
    // no "can never match", nothing read from the route's tail as declarations; the one
    // more error is true of what was written: budgets.route declares `team-daily` already
    expect(errors).toEqual([
      "P002 p/routes/chat.route:36:3 a budget is declared at the top level of a file, not inside a route",
      "E102 p/routes/chat.route:36:10 budget `team-daily` is declared twice",
    ]);
    expect(all.find((d) => d.code === "E102")?.related?.span.file).toBe("p/budgets.route");
    const fix = all[0]!.fix!;
    expect(fix.edits.map((e) => [e.span.line, e.span.column, e.text])).toEqual([
      [35, 1, "budget team-daily { per team  limit $200 per day  warn 80%  exceeded reject }\n\n"],
      [36, 3, "budget team-daily"],
    ]);
  });

  it("an unclosed `/*`: reported first, at the `/*`, with the end of the file as the related place; no unknown routes", () => {
    const { errors, all } = errorsWith("routes/chat.route", (t) => t.replace("// Support handles", "/* Support handles"));
    expect(errors).toEqual(["P001 p/routes/chat.route:33:1 block comment is never closed: `/*` has no `*/`"]);
    expect(all[0]!.code).toBe("P001");
    expect(all[0]!.related?.span.offset).toBe(PRODUCTION["p/routes/chat.route"]!.length);
    // nor "never used" for the models only the swallowed routes sent to
    expect(all.filter((d) => d.code === "W501")).toEqual([]);
  });

  it("an unclosed `{`: reported at the brace, with the next declaration as the related place", () => {
    const { errors, all } = errorsWith("routes/chat.route", (t) => t.replace("  use patient\n}\n", "  use patient\n\n"));
    expect(errors).toEqual(["P002 p/routes/chat.route:35:20 `{` is never closed"]);
    expect(all[0]!.related).toMatchObject({ message: "`route` starts the next declaration here", span: { line: 48, column: 1 } });
  });

  it("an unclosed `{` at the end of a file points at the brace and at the end", () => {
    const { errors, all } = errorsWith("routes/chat.route", (t) => `${t.slice(0, t.lastIndexOf("}"))}${t.slice(t.lastIndexOf("}") + 1)}`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^P002 p\/routes\/chat\.route:\d+:\d+ `\{` is never closed$/);
    expect(all[0]!.related?.message).toBe("the file ends here, inside the block");
  });

  it("a misspelt `import` of a misspelt file: did-you-mean for both, and no unknown budgets", () => {
    const { errors, all } = errorsWith("main.route", (t) => t.replace('import "budgets.route"', 'improt "budget.route"'));
    expect(errors).toEqual([
      "P002 p/main.route:36:1 expected a declaration (`gateway`, `provider`, `model`, `keys`, `budget`, `limit`, `guardrail`, `cache`, `health`, `jwt`, `route`, `invariant`, `test` or `import`), found `improt`",
      "L001 p/main.route:36:8 cannot find `p/budget.route`",
    ]);
    expect(all.slice(0, 2).map((d) => d.fix?.message)).toEqual(["write `import`", "did you mean the file `budgets.route`?"]);
    expect(all.slice(0, 2).map((d) => d.fix?.edits[0]?.text)).toEqual(["import", '"budgets.route"']);
  });

  it("a misspelt `import` of the right file: the file is still read, so nothing else is reported", () => {
    const { errors } = errorsWith("main.route", (t) => t.replace('import "budgets.route"', 'improt "budgets.route"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("found `improt`");
  });

  it("an error no repair explains still drops the checks over the declaration it broke", () => {
    // `to` with two names: recovery skips `haiku`; the route is broken, not "without a target" or "hiding" others
    const { errors } = errorsWith("routes/chat.route", (t) => t.replace("  to haiku\n", "  to haiku sonnet 4\n"));
    expect(errors).toEqual(["P002 p/routes/chat.route:40:12 expected a route statement (`when`, `to`, `split`, `fallback`, `retry`, `timeout`, `guard`, `budget`, `limit`, `cache`) or `}`, found `sonnet`"]);
  });
});
