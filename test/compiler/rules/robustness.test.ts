/**
 * Every rule is total: it returns diagnostics for any AST, including the
 * half-built trees error recovery produces and trees with arbitrary fields
 * missing, and never throws.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parse } from "../../../lang/index.js";
import { buildSymbols } from "../../../compiler/passes/symbols.js";
import { RULES } from "../../../compiler/rules/index.js";
import type { SourceFile } from "../../../lang/ast.js";
import type { CompileContext } from "../../../compiler/symbols.js";
import { src } from "./helpers.js";

const POLICY = src(
  `gateway { listen ":8787" state redis(env("REDIS_URL")) }`,
  `provider openai { api openai key env("OPENAI_API_KEY") timeout 30s }`,
  `provider spare { api mock }`,
  `model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok output $10/Mtok }`,
  `model sonnet = openai/"s"`,
  `model mini = openai/"m" { input $0.15/Mtok }`,
  `keys { "sha256:ab" team "search" user "ana" }`,
  `budget daily { per team limit $200 per day warn 80% exceeded downgrade mini }`,
  `budget other { per key limit $2 per day exceeded downgrade gpt-4o }`,
  `limit per-key { per key tokens 200k per minute requests 600 per minute }`,
  `guardrail pii { on input redact email, phone, matches /(x/ block deny ["a"] }`,
  `guardrail inj { block when text matches /ignore (all )?previous/gi or input_tokens > 100k }`,
  `route premium {`,
  `  when model == "chat" and (header("x-tier") in ["p", "q"] or not (team != "t")) and stream`,
  `  guard pii, injection`,
  `  budget daily, other`,
  `  limit per-key`,
  `  split by key { 70% gpt-4o  20% sonet  5% gpt-4o }`,
  `  fallback sonnet, mini, sonnet on 429, 5xx, timeout`,
  `  retry 2 backoff 250ms`,
  `}`,
  `route all { to mini to sonnet }`,
  `route chat { when model == "chat" and team == "x" to gpt-4o fallback gpt-4o budget other }`,
  `route none { when model == "a" and model == "b" }`,
  `test "t" {`,
  `  request { model "chat" header "x-tier" "p" team "search" }`,
  `  given split picks gpt-4o`,
  `  given gpt-4o fails 429`,
  `  given budget daily spent $200`,
  `  given limit per-key used 5`,
  `  expect route premium`,
  `  expect target in [gpt-4o, sonnet]`,
  `  expect attempts [gpt-4o, sonnet]`,
  `  expect blocked by pii`,
  `}`,
);

function runAll(ctx: CompileContext): number {
  let n = 0;
  for (const rule of RULES) {
    const ds = rule.check(ctx);
    expect(Array.isArray(ds)).toBe(true);
    for (const d of ds) {
      expect(rule.codes).toContain(d.code);
      expect(typeof d.span.line).toBe("number");
    }
    n += ds.length;
  }
  return n;
}

function contextFor(file: SourceFile, env: Record<string, string> = {}): CompileContext | undefined {
  try {
    return { files: [file], symbols: buildSymbols([file]).symbols, env };
  } catch {
    return undefined; // the symbol pass is not under test here
  }
}

/** Every (object, key) slot in a tree, to knock out. */
function slots(root: unknown): [Record<string, unknown>, string][] {
  const out: [Record<string, unknown>, string][] = [];
  const visit = (x: unknown): void => {
    if (!x || typeof x !== "object") return;
    for (const [k, v] of Object.entries(x)) {
      out.push([x as Record<string, unknown>, k]);
      visit(v);
    }
  };
  visit(root);
  return out;
}

describe("rules are total", () => {
  test("the full policy produces diagnostics from many rules", () => {
    const parsed = parse(POLICY, "main.route");
    expect(parsed.diagnostics).toEqual([]);
    const ctx = contextFor(parsed.file)!;
    const codes = new Set(RULES.flatMap((r) => r.check(ctx).map((d) => d.code)));
    expect([...codes].sort()).toEqual(
      ["E101", "E207", "E301", "E302", "E303", "E304", "E305", "E306", "E307", "W501", "W502", "W503", "W505"].sort(),
    );
  });

  test("on what error recovery builds from damaged text", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: POLICY.length }), fc.integer({ min: 0, max: 40 }), fc.string({ maxLength: 3 }), (at, cut, insert) => {
        const text = POLICY.slice(0, at) + insert + POLICY.slice(at + cut);
        const ctx = contextFor(parse(text, "main.route").file);
        if (ctx) runAll(ctx);
      }),
      { numRuns: 80 },
    );
  });

  test("on trees with arbitrary fields removed or replaced", () => {
    const replacements = [undefined, null, {}, [], "", 0, [null], [{}]];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: replacements.length - 1 })), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const file = parse(POLICY, "main.route").file;
          const ctx = contextFor(file)!;
          for (const [i, r] of edits) {
            const all = slots(file);
            const [obj, key] = all[i % all.length]!;
            // A fresh copy each time: one shared object placed twice could be placed inside itself (a cycle no parser makes).
            obj[key] = structuredClone(replacements[r]);
          }
          runAll(ctx);
        },
      ),
      { numRuns: 150 },
    );
  });
});
