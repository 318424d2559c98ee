import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import type { ExprNode, Graph } from "../../compiler/graph.js";
import type { SourceFile } from "../../lang/ast.js";
import { parse } from "../../lang/index.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { decide } from "../../runtime/engine/decide.js";
import { exprText } from "../../runtime/engine/explain.js";
import { makeFacts } from "../../runtime/engine/facts.js";
import { failureCause, simulate } from "../../runtime/policy/policy-tests.js";
import { compareWithReference, crossCheck, crossCheckTests } from "../../runtime/policy/reference-check.js";
import { referenceAttempts, referenceDecide, referenceSymbols } from "../../runtime/policy/reference.js";
import type { StateView } from "../../runtime/engine/state.js";
import { factsArb, REQUEST_MODELS, typedExprArb } from "./arbitraries.js";
import { model as modelIs, and } from "./fixtures.js";

const HEADER = String.raw`
provider p { api mock }
model a = p/"a" { input $1/Mtok output $2/Mtok }
model b = p/"b" { input $1/Mtok output $2/Mtok }
model c = p/"c" { input $1/Mtok output $2/Mtok }
model d = p/"d" { input $1/Mtok output $2/Mtok }
model e = p/"e" { input $1/Mtok output $2/Mtok }
model w = p/"*" { "chat" input $1/Mtok output $2/Mtok  "code" input $3/Mtok output $1/Mtok }
budget bud-down { per team limit $100 per day warn 80% exceeded downgrade e }
budget bud-reject { per global limit $1000 per day exceeded reject }
limit lim { per key requests 10 per minute tokens 1k per minute }
budget bud-table { per team limit per day { "search" $95  "ops" $1000  default $100 } exceeded reject }
budget bud-when { per team limit $90 per day when team == "support" or stream exceeded downgrade e }
limit lim-table { per team requests per minute { "search" 12  default 10 } when not stream }
`;

function compileText(text: string): { files: SourceFile[]; graph: Graph | undefined; errors: string[]; tests: ReturnType<typeof compile>["tests"] } {
  const parsed = parse(text, "main.route");
  const result = compile([parsed.file]);
  const errors = [...parsed.diagnostics, ...result.diagnostics].filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message} (line ${d.span.line})`);
  return { files: [parsed.file], graph: result.graph, errors, tests: result.tests };
}

describe("the reference interpreter", () => {
  const policy =
    HEADER +
    String.raw`
route premium {
  when model == "chat" and header("X-Tier") == "premium"
  budget bud-down
  limit lim
  split by key { 70% a  30% b }
  fallback b, c on 429, 5xx, timeout
  retry 2 backoff 250ms
}
route guarded { when model == "chat" and (metadata("project") == "alpha" or input_bytes > 1000) to c budget bud-reject }
route chat { when model in ["chat", "chat-2"] to d fallback a }
route rest { to a }

test "premium" {
  request { model "chat" header "x-tier" "premium" key "sha256:k" }
  expect route premium
}
test "downgraded" {
  request { model "chat" header "x-tier" "premium" team "t" }
  given budget bud-down spent $100
  expect target e
}
test "rejected" {
  request { model "chat" metadata "project" "alpha" }
  given budget bud-reject spent $1000
  expect status 429
}
test "limited" {
  request { model "chat" header "x-tier" "premium" }
  given limit lim used 10
  expect status 429
}
test "picked" {
  request { model "chat" header "x-tier" "premium" }
  given split picks b
  expect attempts [b]
}
test "other" {
  request { model "gpt" }
  expect route rest
}
`;
  const compiled = compileText(policy);

  it("compiles its policy", () => {
    expect(compiled.errors).toEqual([]);
  });

  it("agrees with decide on every test of the policy", () => {
    expect(crossCheckTests(compiled.files, compiled.graph!, compiled.tests)).toEqual([]);
  });

  it("decides from the AST alone", () => {
    const symbols = referenceSymbols(compiled.files);
    const state: StateView = { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0.5 };
    expect(referenceDecide(symbols, makeFacts({ model: "chat-2" }), state)).toEqual({
      kind: "route",
      route: "chat",
      targets: ["d", "a"],
      retries: 0,
      fallbackOn: ["429", "5xx", "timeout", "connection"],
      pick: undefined,
      downgrade: undefined,
      // the route shapes nothing: the request's own parameters (none) are sent
      sent: { max_tokens: undefined, temperature: undefined, top_p: undefined },
    });
    expect(referenceDecide(symbols, makeFacts({ model: "chat", text: "x".repeat(1001) }), { ...state, budgetSpent: () => 5000 })).toEqual({
      kind: "rejected",
      route: "guarded",
      by: { kind: "budget", name: "bud-reject" },
    });
  });

  it("reports a disagreement in the policy's terms", () => {
    const d = decide(prepare(compiled.graph!), makeFacts({ model: "chat-2" }), { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0 });
    expect(compareWithReference(d, { kind: "no-route" })).toBe("the evaluator found route `chat`, the reference no route");
    expect(
      compareWithReference(d, { kind: "route", route: "chat", targets: ["a", "d"], retries: 0, fallbackOn: ["429", "5xx", "timeout", "connection"], pick: undefined, downgrade: undefined }),
    ).toBe("route `chat`: the evaluator plans [d, a], the reference [a, d]");
    expect(compareWithReference(d, { kind: "rejected", route: "chat", by: { kind: "limit", name: "lim" } })).toBe(
      "the evaluator accepted the request, the reference rejected it by `lim`",
    );
  });
});

// ---------------------------------------------------------------- generated policies

// `w` is a wildcard (its table lists `chat` and `code`): routes with a budget refuse the other names.
const TO = ["a", "b", "c", "d", "w"];

interface RouteSpec {
  /** `defaults` blocks included with `use`, by index into the policy's blocks. */
  use: number[];
  when: ExprNode | undefined;
  to: string | undefined;
  split: [string, number][] | undefined;
  /** `reject STATUS`: the route's only statement besides `when`. */
  reject?: number;
  by: string | undefined;
  fallback: string[];
  on: string[];
  retry: number;
  budgets: string[];
  limits: string[];
  /** Request shaping statements (lang/SPEC.md §4.8.2). */
  shape: string[];
}

/** Shaping a route may say for itself, and a block may give it (no two of one verb and parameter in one pool, no default above a cap). */
const ROUTE_SHAPES = ["cap max_tokens 8k", "default max_tokens 1k", "set max_tokens 2k", "set temperature 0.2", "default temperature 0.7", "default top_p 0.9", "set top_p 0.5"];
const BLOCK_SHAPES = ["cap max_tokens 4k", "default max_tokens 500", "default temperature 0.3", "set top_p 0.1"];

/** Requests with and without a `max_tokens`, some above every cap. */
const shapedFactsArb = fc.tuple(factsArb, fc.constantFrom(undefined, 100, 4000, 20_000)).map(([f, maxTokens]) => (maxTokens === undefined ? f : { ...f, maxTokens }));

/** Weights of `n` arms summing to 100. */
const weightsArb = (n: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const points = [0, ...cuts.sort((x, y) => x - y), 100];
    return points.slice(1).map((p, i) => p - points[i]!);
  });

const routeSpecArb: fc.Arbitrary<RouteSpec> = fc
  .record({
    when: fc.oneof(
      fc.tuple(fc.constantFrom(...REQUEST_MODELS), fc.option(typedExprArb, { nil: undefined })).map(([m, rest]) => (rest ? and(modelIs(m), rest) : modelIs(m))),
      typedExprArb,
    ),
    target: fc.oneof(
      fc.constantFrom(...TO).map((to) => ({ to, split: undefined, by: undefined })),
      fc
        .uniqueArray(fc.constantFrom(...TO), { minLength: 1, maxLength: 3 })
        .chain((ms) => fc.tuple(fc.constant(ms), weightsArb(ms.length), fc.constantFrom(undefined, "key", "team", 'header("x-user")')))
        .map(([ms, ws, by]) => ({ to: undefined, split: ms.map((m, i) => [m, ws[i]!] as [string, number]), by })),
      fc.constantFrom(403, 451).map((reject) => ({ to: undefined, split: undefined, by: undefined, reject })),
    ),
    fallback: fc.uniqueArray(fc.constantFrom(...TO, "e"), { maxLength: 3 }),
    on: fc.subarray(["429", "5xx", "timeout", "connection", "context_length", "content_filter", "4xx"]),
    retry: fc.integer({ min: 0, max: 2 }),
    budgets: fc.subarray(["bud-down", "bud-reject", "bud-table", "bud-when"]),
    limits: fc.subarray(["lim", "lim-table"]),
    use: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
    shape: fc.subarray(ROUTE_SHAPES, { maxLength: 3 }),
  })
  .map((r) => ({
    use: r.use,
    when: r.when,
    ...r.target,
    // A fallback naming the `to` target is E302; one naming an arm of a multi-arm split is meaningful.
    fallback: r.fallback.filter((m) => m !== r.target.to && !(r.target.split?.length === 1 && r.target.split[0]![0] === m)),
    on: r.on,
    retry: r.retry,
    budgets: r.budgets,
    limits: r.limits,
    shape: r.shape,
  }));

/**
 * A `defaults` block: what a route may also say for itself, so `use` is
 * tested with the route's own word overriding it or not. Its fallback is `e`
 * only (never a route's target, which would be E302); block `i` may use the
 * blocks before it (a cycle is E309).
 */
interface DefaultsSpec {
  use: number[];
  fallback: string[];
  on: string[];
  retry: number | undefined;
  budgets: string[];
  limits: string[];
  shape: string[];
}

const defaultsSpecArb = (i: number): fc.Arbitrary<DefaultsSpec> =>
  fc.record({
    use: i === 0 ? fc.constant([]) : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: 2 }),
    fallback: fc.subarray(["e"]),
    on: fc.subarray(["429", "5xx", "timeout"]),
    retry: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    budgets: fc.subarray(["bud-down", "bud-reject", "bud-table", "bud-when"]),
    limits: fc.subarray(["lim", "lim-table"]),
    shape: fc.subarray(BLOCK_SHAPES, { maxLength: 2 }),
  });

/** Three blocks, `d0` … `d2`, so every route's `use` resolves. */
const defaultsArb = fc.tuple(defaultsSpecArb(0), defaultsSpecArb(1), defaultsSpecArb(2));

function defaultsLine(i: number, d: DefaultsSpec): string {
  const parts = [`defaults d${i} {`];
  if (d.use.length > 0) parts.push(`use ${d.use.map((u) => `d${u}`).join(", ")}`);
  if (d.fallback.length > 0) parts.push(`fallback ${d.fallback.join(", ")}${d.on.length > 0 ? ` on ${d.on.join(", ")}` : ""}`);
  if (d.retry !== undefined) parts.push(`retry ${d.retry}`);
  if (d.budgets.length > 0) parts.push(`budget ${d.budgets.join(", ")}`);
  if (d.limits.length > 0) parts.push(`limit ${d.limits.join(", ")}`);
  parts.push(...d.shape);
  parts.push("}");
  return parts.join(" ");
}

/** One route per line, so a diagnostic's line names its route. */
function routeLine(name: string, r: RouteSpec): string {
  const parts = [`route ${name} {`];
  if (r.use.length > 0) parts.push(`use ${r.use.map((u) => `d${u}`).join(", ")}`);
  if (r.reject !== undefined) return `route ${name} {${r.when ? ` when ${exprText(r.when)}` : ""} reject ${r.reject} }`;
  if (r.when) parts.push(`when ${exprText(r.when)}`);
  if (r.to) parts.push(`to ${r.to}`);
  if (r.split) parts.push(`split ${r.by ? `by ${r.by} ` : ""}{ ${r.split.map(([m, w]) => `${w}% ${m}`).join(" ")} }`);
  if (r.fallback.length > 0) parts.push(`fallback ${r.fallback.join(", ")}${r.on.length > 0 ? ` on ${r.on.join(", ")}` : ""}`);
  if (r.retry > 0) parts.push(`retry ${r.retry} backoff 100ms`);
  if (r.budgets.length > 0) parts.push(`budget ${r.budgets.join(", ")}`);
  if (r.limits.length > 0) parts.push(`limit ${r.limits.join(", ")}`);
  parts.push(...r.shape);
  parts.push("}");
  return parts.join(" ");
}

/**
 * Compiles generated routes, dropping the routes the compiler reports as
 * unreachable (E304) until the policy compiles; undefined if it still does not.
 */
function compileRoutes(specs: RouteSpec[], defaults: readonly DefaultsSpec[] = []): { files: SourceFile[]; graph: Graph; text: string } | undefined {
  let live = specs.map((s, i) => ({ s: defaults.length > 0 ? s : { ...s, use: [] }, name: `r${i}` }));
  // Every block is used by a route or another block, or it is W501 (a warning, harmless here).
  const head = HEADER + defaults.map((d, i) => defaultsLine(i, d) + "\n").join("");
  for (let round = 0; round < 6; round++) {
    const header = head.split("\n").length;
    const text = head + live.map((r) => routeLine(r.name, r.s)).join("\n") + "\n";
    const parsed = parse(text, "main.route");
    const result = compile([parsed.file]);
    const errors = [...parsed.diagnostics, ...result.diagnostics].filter((d) => d.severity === "error");
    if (errors.length === 0 && result.graph) return { files: [parsed.file], graph: result.graph, text };
    if (errors.some((e) => e.code !== "E304")) throw new Error(`generated policy does not compile:\n${errors.map((e) => `${e.code} ${e.message}`).join("\n")}\n${text}`);
    const bad = new Set(errors.map((e) => e.span.line - header));
    live = live.filter((_, i) => !bad.has(i));
    if (live.length === 0) return undefined;
  }
  return undefined;
}

const stateArb = fc.record({
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  spent: fc.constantFrom(0, 90, 100, 1000),
  used: fc.constantFrom(0, 10, 11, 12),
  forced: fc.constantFrom(undefined, "a", "b"),
});

describe("decide agrees with the reference interpreter (properties)", () => {
  it("on the route, rejection and target plan for generated policies and requests", () => {
    fc.assert(
      fc.property(fc.array(routeSpecArb, { minLength: 1, maxLength: 8 }), fc.option(defaultsArb, { nil: undefined }), fc.array(fc.tuple(shapedFactsArb, stateArb), { minLength: 1, maxLength: 8 }), (specs, defaults, requests) => {
        const compiled = compileRoutes(specs, defaults);
        fc.pre(compiled !== undefined);
        const symbols = referenceSymbols(compiled!.files);
        for (const [init, s] of requests) {
          const makeState = (): StateView => ({ budgetSpent: () => s.spent, limitUsed: () => s.used, draw: () => s.draw, forcedSplit: s.forced });
          const message = crossCheck(prepare(compiled!.graph), symbols, makeFacts(init, { count: (t) => t.length }), makeState);
          expect(message, `${compiled!.text}\n${JSON.stringify(init)} ${JSON.stringify(s)}`).toBeUndefined();
        }
      }),
      { numRuns: 150, seed: 51 },
    );
  });

  it("on the attempts when targets fail", async () => {
    const causes = ["429", "5xx", "timeout", "connection", "400", "context_length", "content_filter"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(routeSpecArb, { minLength: 1, maxLength: 4 }),
        fc.option(defaultsArb, { nil: undefined }),
        factsArb,
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.constantFrom(...causes)), { maxLength: 5 }),
        async (specs, defaults, init, fails) => {
          const compiled = compileRoutes(specs, defaults);
          fc.pre(compiled !== undefined);
          const state = (): StateView => ({ budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0.25 });
          const facts = makeFacts(init, { count: (t) => t.length });
          const failures = new Map(fails.map(([m, r]) => [m, failureCause(r)]));
          const r = referenceDecide(referenceSymbols(compiled!.files), facts, state());
          const world = new Map([...failures].map(([m, cause]) => [m, { fails: cause }]));
          // The reference has no clock: every try gets a short timeout and the request all the time it needs,
          // so only the machine's rules decide (time has its own tests in policy-tests.test.ts).
          const g = compiled!.graph;
          const timeless = { ...g, gateway: { ...g.gateway, deadlineMs: 1e12 }, routes: g.routes.map((r) => ({ ...r, timeoutMs: 1 })) };
          const sim = await simulate(prepare(timeless), facts, state(), world, () => 0.5);
          if (r.kind !== "route") return;
          const want = referenceAttempts(r, failures);
          expect({ tried: sim.tried, retries: sim.retries, status: sim.status }).toEqual(want);
        },
      ),
      { numRuns: 150, seed: 52 },
    );
  });
});
