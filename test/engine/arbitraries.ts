/**
 * fast-check generators of valid decision graphs, requests and PII for the
 * engine's property tests. Small pools of names keep collisions (and so
 * interesting matches) frequent.
 */
import fc from "fast-check";
import type { BudgetNode, ExprNode, Graph, LimitNode, RouteNode } from "../../compiler/graph.js";
import type { FactsInit } from "../../runtime/engine/facts.js";
import { luhnValid } from "../../runtime/engine/detectors/credit-card.js";
import { and, budget, cmp, eq, fact, graph, header, isIn, limit, matches, model, not, or, route, truthy } from "./fixtures.js";

export const TARGETS = ["a", "b", "c", "d", "e"];
export const REQUEST_MODELS = ["chat", "embed", "code"];
const TIERS = ["premium", "basic"];
const TEAMS = ["search", "support", "ops"];

/** Conditions the compiler accepts. */
const typedLeaves: fc.Arbitrary<ExprNode>[] = [
  fc.constantFrom(...REQUEST_MODELS).map(model),
  fc.constantFrom(...TIERS).map((t) => header("x-tier", t)),
  fc.subarray(TEAMS, { minLength: 1 }).map((ts) => isIn(fact("team"), ts)),
  fc.constant(truthy(fact("stream"))),
  fc.constantFrom(...TEAMS).map((t) => eq(fact("team"), t)),
  fc.tuple(fc.constantFrom("lt" as const, "gt" as const, "le" as const, "ge" as const), fc.integer({ min: 0, max: 40 })).map(([op, n]) => cmp(op, fact("input_bytes"), n)),
  fc.constantFrom("alpha", "beta").map((p) => eq(fact("metadata", "project"), p)),
  // Sampling facts, often missing (the provider's default): every operator, missing equals nothing.
  fc
    .tuple(fc.constantFrom("eq" as const, "ne" as const, "lt" as const, "le" as const, "gt" as const, "ge" as const), fc.constantFrom("temperature" as const, "top_p" as const), fc.constantFrom(0, 0.5, 1))
    .map(([op, name, n]) => cmp(op, fact(name), n)),
  fc.constantFrom("hello", "HELP", "x+y").map((w) => matches(fact("text"), w.replace("+", "\\+"), "i")),
  // Budget state: the share of `bud-down` the caller's team has used (every generated graph and HEADER declare it).
  fc
    .tuple(fc.constantFrom("lt" as const, "gt" as const, "le" as const, "ge" as const, "eq" as const), fc.constantFrom(0, 50, 80, 100))
    .map(([op, n]) => cmp(op, fact("budget_used", "bud-down"), n)),
  // Time facts, read at the request's moment (`atMs` below): the hour, a set of weekdays, a date window.
  fc.tuple(fc.constantFrom("eq" as const, "ne" as const, "lt" as const, "le" as const, "gt" as const, "ge" as const), fc.integer({ min: 0, max: 24 })).map(([op, n]) => cmp(op, fact("hour"), n)),
  fc.subarray(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], { minLength: 1 }).map((ds) => isIn(fact("weekday"), ds)),
  fc.tuple(fc.constantFrom("lt" as const, "ge" as const, "eq" as const), fc.constantFrom("2026-03-28", "2026-03-29", "2026-12-24")).map(([op, d]) => cmp(op, fact("date"), d)),
];
/** Also conditions only a hand-built graph can hold (the compiler rejects ordering a header against a number). */
const graphLeaves: fc.Arbitrary<ExprNode>[] = [
  ...typedLeaves,
  fc.tuple(fc.constantFrom("lt" as const, "ge" as const), fc.integer({ min: 0, max: 5 })).map(([op, n]) => cmp(op, fact("header", "x-priority"), n)),
];

function exprOf(leaves: fc.Arbitrary<ExprNode>[]): fc.Arbitrary<ExprNode> {
  const leaf = fc.oneof(...leaves);
  return fc.letrec<{ e: ExprNode }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(tie("e"), tie("e")).map(([x, y]) => and(x, y)),
      fc.tuple(tie("e"), tie("e")).map(([x, y]) => or(x, y)),
      tie("e").map(not),
    ),
  })).e;
}

/** Conditions for hand-built graphs. */
export const exprArb: fc.Arbitrary<ExprNode> = exprOf(graphLeaves);
/** Conditions that pass the compiler's checks, for generated policy text. */
export const typedExprArb: fc.Arbitrary<ExprNode> = exprOf(typedLeaves);

/** A `when`: often `model == m and …` so the index has buckets, sometimes none at all. */
const whenArb: fc.Arbitrary<ExprNode | undefined> = fc.oneof(
  fc.tuple(fc.constantFrom(...REQUEST_MODELS), fc.option(exprArb, { nil: undefined })).map(([m, rest]) => (rest ? and(model(m), rest) : model(m))),
  exprArb,
  fc.constant(undefined),
);

const targetArb = fc.oneof(
  fc.constantFrom(...TARGETS).map((to) => ({ to })),
  fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...TARGETS), { minLength: 1, maxLength: 3 }),
      fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 3, maxLength: 3 }),
      fc.constantFrom(undefined, fact("team"), fact("header", "x-user")),
    )
    .map(([ms, ws, by]) => ({ split: ms.map((m, i) => [m, ws[i]!] as [string, number]), ...(by ? { by } : {}) })),
);

const routeArb = (i: number): fc.Arbitrary<RouteNode> =>
  fc
    .record({
      when: whenArb,
      target: targetArb,
      fallback: fc.subarray(TARGETS),
      on: fc.subarray(["429", "5xx", "timeout", "connection", "context_length", "content_filter"]),
      retry: fc.integer({ min: 0, max: 2 }),
      budgets: fc.subarray(["bud-down", "bud-reject"]),
      limits: fc.subarray(["lim"]),
    })
    .map((r) => route(`r${i}`, { ...(r.when ? { when: r.when } : {}), ...r.target, fallback: r.fallback, on: r.on, retry: r.retry, backoffMs: 100, budgets: r.budgets, limits: r.limits }, i + 1));

const budgets: Record<string, BudgetNode> = {
  "bud-down": budget(100, { action: "downgrade", model: "e" }, "team", 80),
  "bud-reject": budget(1000, { action: "reject" }, "global"),
};
const limits: Record<string, LimitNode> = { lim: limit("key", 10, 1000) };

/** A valid graph of 1 to 12 routes. */
export const graphArb: fc.Arbitrary<Graph> = fc
  .integer({ min: 1, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => routeArb(i))))
  .map((routes) => graph({ routes, budgets, limits, models: TARGETS }));

export const factsArb: fc.Arbitrary<FactsInit> = fc.record(
  {
    // `p/chat` and `p/../x`: a wildcard of provider `p` sends `chat`, and refuses `../x` (test/engine/reference.test.ts).
    model: fc.constantFrom(...REQUEST_MODELS, "other", "p/chat", "p/../x"),
    headers: fc.record(
      { "x-tier": fc.constantFrom(...TIERS), "x-user": fc.constantFrom("u1", "u2", "u3"), "x-priority": fc.constantFrom("0", "3", "5", "high", "") },
      { requiredKeys: [] },
    ),
    metadata: fc.record({ project: fc.constantFrom("alpha", "beta") }, { requiredKeys: [] }),
    text: fc.constantFrom("", "hello world", "please help me", "x+y=z and more text here", "日本語のテキスト"),
    team: fc.constantFrom(...TEAMS),
    key: fc.constantFrom("k1", "k2"),
    stream: fc.boolean(),
    temperature: fc.constantFrom(0, 0.5, 1, 1.5),
    topP: fc.constantFrom(0, 0.5, 1),
    budgetUsed: fc.constantFrom(0, 50, 80, 100, 130).map((n): Record<string, number> => (n === 0 ? {} : { "bud-down": n })),
    // Around the spring DST switch, Christmas Eve, midnight and noon.
    atMs: fc.constantFrom(...["2026-03-28T23:59:00Z", "2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z", "2026-12-24T12:00:00Z", "2026-12-23T23:30:00Z"].map(Date.parse)),
    timezone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"),
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------- PII

const digits = (n: number): fc.Arbitrary<string> => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""));

/** The Luhn check digit for a payload. */
function luhnDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(payload + d)) return String(d);
  throw new Error("unreachable");
}

export const cardArb: fc.Arbitrary<string> = fc.oneof(
  // 16 digits (Visa, Mastercard), contiguous or in groups of four.
  fc.tuple(fc.constantFrom("4", "51", "55"), fc.constantFrom("", " ", "-")).chain(([prefix, sep]) =>
    digits(15 - prefix.length).map((rest) => {
      const n = prefix + rest + luhnDigit(prefix + rest);
      return sep === "" ? n : n.match(/.{4}/g)!.join(sep);
    }),
  ),
  // 15 digits (American Express), contiguous or 4-6-5.
  fc.tuple(fc.constantFrom("34", "37"), fc.constantFrom("", " ")).chain(([prefix, sep]) =>
    digits(12).map((rest) => {
      const n = prefix + rest + luhnDigit(prefix + rest);
      return sep === "" ? n : [n.slice(0, 4), n.slice(4, 10), n.slice(10)].join(sep);
    }),
  ),
);

export const phoneArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(digits(3), digits(3), digits(4), fc.constantFrom("paren", "-", ".", " ")).map(([a, b, c, f]) =>
    f === "paren" ? `(${a}) ${b}-${c}` : [a, b, c].join(f),
  ),
  fc
    .tuple(fc.integer({ min: 1, max: 999 }), fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 2, maxLength: 4 }), fc.constantFrom(" ", "-", ""))
    .chain(([cc, groups, sep]) => fc.tuple(...groups.map(digits)).map((gs) => `+${cc}${sep === "" ? "" : " "}${gs.join(sep)}`))
    .filter((p) => {
      const n = p.replace(/\D/g, "").length;
      return n >= 8 && n <= 15;
    }),
);

export const emailArb: fc.Arbitrary<string> = fc.emailAddress();

const word = fc.stringMatching(/^[A-Za-z]{1,10}$/);
/** Text with no PII: words, punctuation and numbers of at most two digits, separated by spaces and newlines. */
export const cleanTokenArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: word },
  { weight: 1, arbitrary: fc.constantFrom(".", ",", "!", "?", ";", ":", "'", '"', "(", ")", "-", "é", "日本", "😀") },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99 }).map(String) },
);
export const cleanTextArb: fc.Arbitrary<string> = fc
  .array(fc.tuple(cleanTokenArb, fc.constantFrom(" ", " ", "\n")), { maxLength: 40 })
  .map((parts) => parts.map(([t, s]) => t + s).join(""));

export type Pii = { kind: "email" | "phone" | "card"; value: string };
export const piiArb: fc.Arbitrary<Pii> = fc.oneof(
  emailArb.map((value) => ({ kind: "email" as const, value })),
  phoneArb.map((value) => ({ kind: "phone" as const, value })),
  cardArb.map((value) => ({ kind: "card" as const, value })),
);

/** Clean text with PII inserted between tokens. */
export const textWithPiiArb: fc.Arbitrary<{ text: string; pii: Pii[] }> = fc
  .array(fc.oneof({ weight: 3, arbitrary: cleanTokenArb.map((t) => ({ t })) }, { weight: 1, arbitrary: piiArb.map((p) => ({ p })) }), { minLength: 1, maxLength: 30 })
  .filter((items) => items.some((i) => "p" in i))
  .map((items) => ({
    text: items.map((i) => ("p" in i ? i.p.value : i.t)).join(" "),
    pii: items.flatMap((i) => ("p" in i ? [i.p] : [])),
  }));
