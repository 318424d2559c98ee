import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/graph.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { next, startAttempts, type AttemptState, type Outcome } from "../../runtime/engine/attempts.js";
import { decide } from "../../runtime/engine/decide.js";
import { compileDetector } from "../../runtime/engine/detectors/index.js";
import { compileExpr } from "../../runtime/engine/expr.js";
import { makeFacts, type Facts } from "../../runtime/engine/facts.js";
import type { AttemptPlan, FailureCause } from "../../runtime/engine/plan.js";
import { redactText } from "../../runtime/engine/redact.js";
import type { StateView } from "../../runtime/engine/state.js";
import { BUILTIN_DETECTORS } from "../../runtime/engine/detectors/index.js";
import { cleanTextArb, factsArb, graphArb, TARGETS, textWithPiiArb } from "./arbitraries.js";

const stateArb = fc.record({
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  spent: fc.constantFrom(0, 90, 100, 1000),
  used: fc.constantFrom(0, 10),
});
function view(s: { draw: number; spent: number; used: number }): StateView {
  return { budgetSpent: () => s.spent, limitUsed: () => s.used, draw: () => s.draw };
}

/** First match by scanning every route, no index: what the index must agree with. */
function naiveRoute(g: Graph, f: Facts): string | undefined {
  return g.routes.find((r) => r.when === undefined || compileExpr(r.when)(f, f.text))?.name;
}

describe("decide (properties)", () => {
  it("is deterministic: same graph, facts and draw give the same decision, even from a fresh copy of the graph", () => {
    fc.assert(
      fc.property(graphArb, factsArb, stateArb, (g, init, s) => {
        const f = makeFacts(init);
        const a = decide(prepare(g), f, view(s));
        expect(decide(prepare(g), f, view(s))).toEqual(a);
        expect(decide(prepare(structuredClone(g)), makeFacts(init), view(s))).toEqual(a);
      }),
      { numRuns: 300, seed: 21 },
    );
  });

  it("chooses the route a full first-match scan chooses", () => {
    fc.assert(
      fc.property(graphArb, factsArb, (g, init) => {
        const f = makeFacts(init);
        const d = decide(prepare(g), f, view({ draw: 0.5, spent: 0, used: 0 }));
        expect(d.kind === "no-route" ? undefined : d.route.name).toBe(naiveRoute(g, f));
      }),
      { numRuns: 500, seed: 22 },
    );
  });

  it("plans each target once, starting with the chosen one, bounded by retries", () => {
    fc.assert(
      fc.property(graphArb, factsArb, stateArb, (g, init, s) => {
        const d = decide(prepare(g), makeFacts(init), view(s));
        if (d.kind !== "route") return;
        const models = d.plan.targets.map((t) => t.model);
        expect(new Set(models).size).toBe(models.length);
        if (d.split) expect(models[0]).toBe(d.split.model);
        if (d.downgrade) expect(models).toEqual([d.downgrade.model]);
        expect(d.plan.maxAttempts).toBe(d.plan.targets.reduce((n, t) => n + t.retries + 1, 0));
        // A split never picks a zero-weight arm.
        const target = g.routes[d.route.index]!.target;
        if (d.split && target.kind === "split") expect(target.arms.find((a) => a.model === d.split!.model)!.weight).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 23 },
    );
  });
});

const causeArb: fc.Arbitrary<FailureCause> = fc.oneof(fc.constantFrom<FailureCause>(429, 500, 503, 400, 404, "timeout", "connection"), fc.integer({ min: 400, max: 599 }));
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ ok: true } as Outcome) },
  { weight: 4, arbitrary: fc.record({ ok: fc.constant(false as const), cause: causeArb, retryAfterMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }) }) },
);
const planArb: fc.Arbitrary<AttemptPlan> = fc
  .tuple(fc.uniqueArray(fc.constantFrom(...TARGETS), { maxLength: 5 }), fc.integer({ min: 0, max: 3 }), fc.subarray(["429", "5xx", "4xx", "timeout", "connection"]), fc.integer({ min: 0, max: 1000 }))
  .map(([models, retries, fallbackOn, backoffMs]) => ({
    targets: models.map((model) => ({ model, provider: "p", upstream: model, retries, timeoutMs: 1000 })),
    fallbackOn,
    backoffMs,
    maxAttempts: models.length * (retries + 1),
  }));

describe("attempts (properties)", () => {
  it("never repeat a target, stay within the plan's bound, and end done or with a typed error", () => {
    fc.assert(
      fc.property(planArb, fc.infiniteStream(outcomeArb), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (plan, outcomes, r) => {
        let s: AttemptState = startAttempts(plan);
        const it = outcomes[Symbol.iterator]();
        let steps = 0;
        while (s.action.kind === "try") {
          expect(s.action.delayMs).toBeGreaterThanOrEqual(0);
          s = next(s, it.next().value as Outcome, { random: () => r });
          expect(++steps).toBeLessThanOrEqual(plan.maxAttempts);
        }
        // Each target's tries are contiguous (never revisited) and within its retries.
        const seen: string[] = [];
        for (const h of s.history) {
          if (seen[seen.length - 1] !== h.model) {
            expect(seen).not.toContain(h.model);
            seen.push(h.model);
          }
        }
        for (const t of plan.targets) expect(s.history.filter((h) => h.model === t.model).length).toBeLessThanOrEqual(t.retries + 1);
        expect(seen).toEqual(plan.targets.slice(0, seen.length).map((t) => t.model));
        if (s.action.kind === "done") expect(s.history[s.history.length - 1]!.cause).toBe("ok");
        else {
          const e = s.action.kind === "fail" ? s.action.error : undefined;
          expect(e).toBeDefined();
          expect(e!.attempts).toEqual(s.history);
          if (e!.code === "upstream_exhausted" || e!.code === "upstream_timeout") expect(seen.length).toBe(plan.targets.length);
          expect(e!.status).toBeGreaterThanOrEqual(400);
        }
      }),
      { numRuns: 1000, seed: 31 },
    );
  });
});

describe("redaction (properties)", () => {
  const pii = ["email", "phone", "credit_card"].map((name) => compileDetector({ kind: "builtin", name: name as "email" }));
  const all = BUILTIN_DETECTORS.map((name) => compileDetector({ kind: "builtin", name }));

  it("removes every generated email, phone number and card number", () => {
    fc.assert(
      fc.property(textWithPiiArb, ({ text, pii: found }) => {
        const out = redactText(text, pii).text;
        for (const p of found) expect(out).not.toContain(p.value);
      }),
      { numRuns: 1000, seed: 41 },
    );
  });

  it("never alters text without them, with every built-in detector on", () => {
    fc.assert(
      fc.property(cleanTextArb, (text) => {
        const r = redactText(text, all);
        expect(r.total).toBe(0);
        expect(r.text).toBe(text);
      }),
      { numRuns: 1000, seed: 42 },
    );
  });
});
