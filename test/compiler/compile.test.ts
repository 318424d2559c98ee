import { describe, expect, it } from "vitest";
import { parse } from "../../lang/index.js";
import { CHECKS, PHASES, compile } from "../../compiler/index.js";
import { RULES } from "../../compiler/rules/index.js";

const TEXT = `provider p { api mock }
model m = p/"m" { input $1/Mtok output $1/Mtok }
guardrail g { redact email }
route r { to m guard g }
`;

describe("compile", () => {
  it("runs symbols, the checks, the lint rules, then lower, the declared bounds, the invariants, hash and validate, in that order", () => {
    const names = PHASES.map((p) => p.name);
    expect(names[0]).toBe("symbols");
    expect(names.slice(1, 1 + CHECKS.length)).toEqual(CHECKS.map((c) => c.name));
    expect(CHECKS.slice(-RULES.length)).toEqual(RULES);
    expect(names.slice(-5)).toEqual(["lower", "bounds", "invariants", "hash", "validate"]);
  });

  it("reports timings per phase when given a clock", () => {
    let now = 0;
    const r = compile([parse(TEXT, "a.route").file], { clock: () => (now += 1) });
    expect(r.timings?.map((t) => t.pass)).toEqual(PHASES.map((p) => p.name));
    expect(r.timings?.every((t) => t.ms === 1)).toBe(true);
  });

  it("hashes the lowered graph when no sources are given", () => {
    const a = compile([parse(TEXT, "a.route").file]).graph!.policy;
    expect(a).toMatch(/^p-[0-9a-f]{12}$/);
    expect(compile([parse(TEXT, "a.route").file]).graph!.policy).toBe(a);
  });

  it("turns a graph that fails its schema into an internal error, not a graph", () => {
    // A hand-built AST the checks do not cover: a redact rule with no detectors.
    const file = parse(TEXT, "a.route").file;
    const guard = file.declarations.find((d) => d.kind === "guardrail");
    if (guard?.kind !== "guardrail" || guard.body[0]?.kind !== "detect") throw new Error("fixture changed");
    guard.body[0].detectors = [];
    const r = compile([file]);
    expect(r.graph).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain("I002");
    expect(r.diagnostics.find((d) => d.code === "I002")!.message).toMatch(
      /^internal compiler error: the compiled graph does not match its schema: \/guardrails\/g\/rules\/0\/detectors/,
    );
  });

  it("turns an exception in a phase into an internal error naming the phase, not a crash or a graph", () => {
    // A hand-built AST no parse can produce: a route whose body is not a list.
    const file = parse(TEXT, "a.route").file;
    const route = file.declarations.find((d) => d.kind === "route");
    if (route?.kind !== "route") throw new Error("fixture changed");
    (route as unknown as { body: unknown }).body = null;
    const r = compile([file]);
    expect(r.graph).toBeUndefined();
    const internal = r.diagnostics.filter((d) => d.code === "I002");
    expect(internal.length).toBeGreaterThan(0);
    expect(internal[0]!.message).toMatch(/^internal compiler error: the `[a-z-]+` phase failed: /);
    expect(internal[0]!.span.file).toBe("a.route");
  });
});
