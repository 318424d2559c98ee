/**
 * fast-check generators of valid `.route` policies, as text: providers of
 * every api, priced models, keys, budgets, limits, guardrails, routes with
 * `when` / `to` / `split` / `fallback` / `retry` / `timeout`, and tests whose
 * expectations hold on a fresh state. "Valid" means it compiles with no
 * errors (warnings such as unused declarations or unset env vars may occur).
 *
 * `arbPolicySpec()` gives the structure (so a property can ask "which route
 * should this request hit?"), `renderPolicy(spec)` the text, and
 * `arbPolicy()` both composed. Layout (one line or many, comments) varies.
 */
import fc from "fast-check";

export type Api = "openai" | "anthropic" | "mock";

export interface ProviderSpec {
  name: string;
  api: Api;
  timeout?: string;
  latency?: string;
  failRate?: string;
}

export interface ModelSpec {
  name: string;
  provider: string;
  upstream: string;
  input: string;
  output: string;
  context?: string;
}

export interface BudgetSpec {
  name: string;
  scope: string;
  limit: string;
  window: string;
  warn?: string;
  /** Absent: `exceeded reject` or no clause. */
  downgrade?: string;
  reject: boolean;
}

export interface LimitSpec {
  name: string;
  scope: string;
  tokens?: string;
  requests?: string;
  concurrent?: string;
  window: string;
}

export interface GuardrailSpec {
  name: string;
  lines: string[];
}

export interface RouteSpec {
  name: string;
  /** The requested model the route matches, or undefined for the final catch-all. */
  requested?: string;
  /** An extra condition that the route's test request satisfies. */
  extra?: { kind: "header"; name: string; value: string } | { kind: "team"; value: string };
  target: { kind: "to"; model: string } | { kind: "split"; by?: string; arms: { weight: number; model: string }[] };
  fallback: string[];
  on: string[];
  retry?: { count: number; backoff?: string };
  timeout?: string;
  guard: string[];
  budget?: string;
  limits: string[];
}

export interface PolicySpec {
  gateway?: string[];
  providers: ProviderSpec[];
  models: ModelSpec[];
  keys: { hash: string; team: string }[];
  budgets: BudgetSpec[];
  limits: LimitSpec[];
  guardrails: GuardrailSpec[];
  routes: RouteSpec[];
  /** Statements between braces are separated by this (a space or a newline and indent). */
  sep: string;
  comments: boolean;
}

const MODEL_NAMES = ["gpt-4o", "gpt-4o-mini", "sonnet", "haiku", "llama-3.1", "mistral.large", "o3_mini"];
const SCOPES = ["key", "team", "user", "route", "global", `label("tier")`, `metadata("project")`];
const WINDOWS = ["minute", "hour", "day", "month", "24h", "90s"];

const money = fc.integer({ min: 1, max: 100_000 }).map((c) => `$${(c / 100).toFixed(2)}`);
const price = fc.oneof(
  fc.integer({ min: 1, max: 5000 }).map((c) => `$${(c / 100).toFixed(2)}/Mtok`),
  fc.integer({ min: 1, max: 50 }).map((c) => `$0.${String(c).padStart(3, "0")}/ktok`),
);
const duration = fc.oneof(
  fc.integer({ min: 1, max: 900 }).map((n) => `${n}ms`),
  fc.integer({ min: 1, max: 120 }).map((n) => `${n}s`),
  fc.integer({ min: 1, max: 10 }).map((n) => `${n}m`),
);
const percent = fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`);
const tokens = fc.oneof(fc.integer({ min: 1, max: 900 }).map((n) => `${n}k`), fc.integer({ min: 1, max: 9 }).map((n) => `${n}M`));
const word = fc.constantFrom("alpha", "beta", "gold", "search", "support", "ops");
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(""));

const gatewayLines: fc.Arbitrary<string[]> = fc
  .record(
    {
      listen: fc.constantFrom('":8787"', '"127.0.0.1:9000"'),
      state: fc.constantFrom("memory", 'sqlite(".aigw/state.db")', 'redis(env("REDIS_URL"))', 'redis("redis://localhost:6379")'),
      auth: fc.constantFrom("keys", "none"),
      admin_token: fc.constant('env("AIGW_ADMIN_TOKEN")'),
      log_bodies: fc.constantFrom("true", "false"),
      max_body: fc.constantFrom("512KB", "1MB", "4MB"),
      deadline: duration,
    },
    { requiredKeys: [] },
  )
  .map((r) => Object.entries(r).map(([k, v]) => `${k} ${v}`));

function providerArb(name: string): fc.Arbitrary<ProviderSpec> {
  return fc.oneof(
    fc.record({ name: fc.constant(name), api: fc.constantFrom<Api>("openai", "anthropic"), timeout: fc.option(duration, { nil: undefined }) }),
    fc.record({
      name: fc.constant(name),
      api: fc.constant<Api>("mock"),
      latency: fc.option(duration, { nil: undefined }),
      failRate: fc.option(percent, { nil: undefined }),
    }),
  );
}

function renderProvider(p: ProviderSpec): string[] {
  const lines = [`api ${p.api}`];
  if (p.api !== "mock") lines.push(`key env("${p.name.toUpperCase()}_API_KEY")`);
  if (p.timeout) lines.push(`timeout ${p.timeout}`);
  if (p.latency) lines.push(`latency ${p.latency}`);
  if (p.failRate) lines.push(`fail_rate ${p.failRate} fail_status 503`);
  return lines;
}

/** Integer weights, each at least 1%, summing to 100. */
function weights(n: number): fc.Arbitrary<number[]> {
  if (n === 1) return fc.constant([100]);
  return fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const sorted = [...cuts].sort((a, b) => a - b);
    return [...sorted, 100].map((c, i) => c - (i === 0 ? 0 : sorted[i - 1]!));
  });
}

function routeArb(index: number, models: string[], ctx: { guardrails: string[]; budgets: BudgetSpec[]; limits: string[] }, catchAll: boolean) {
  const target = fc.oneof(
    fc.constantFrom(...models).map((model) => ({ kind: "to" as const, model })),
    fc
      .shuffledSubarray(models, { minLength: 1, maxLength: Math.min(3, models.length) })
      .chain((arms) =>
        fc.record({
          kind: fc.constant("split" as const),
          by: fc.option(fc.constantFrom("key", "team", 'header("x-user")'), { nil: undefined }),
          arms: weights(arms.length).map((ws) => ws.map((weight, i) => ({ weight, model: arms[i]! }))),
        }),
      ),
  );
  return target.chain((t) => {
    const used = t.kind === "to" ? [t.model] : t.arms.map((a) => a.model);
    const rest = models.filter((m) => !used.includes(m));
    // A downgrade budget loops when it downgrades to the route's only target model (E303).
    const budgets = ctx.budgets.filter((b) => !(b.downgrade && used.every((m) => m === b.downgrade))).map((b) => b.name);
    return fc.record({
      name: fc.constant(`route-${index}`),
      requested: fc.constant(catchAll ? undefined : `chat-${index}`),
      extra: catchAll
        ? fc.constant(undefined)
        : fc.option(
            fc.oneof(
              word.map((value) => ({ kind: "header" as const, name: "x-tier", value })),
              word.map((value) => ({ kind: "team" as const, value })),
            ),
            { nil: undefined },
          ),
      target: fc.constant(t),
      fallback: fc.shuffledSubarray(rest, { maxLength: Math.min(2, rest.length) }),
      on: fc.subarray(["429", "503", "5xx", "timeout", "connection"]),
      retry: fc.option(fc.record({ count: fc.integer({ min: 0, max: 3 }), backoff: fc.option(duration, { nil: undefined }) }), { nil: undefined }),
      timeout: fc.option(duration, { nil: undefined }),
      guard: fc.subarray(ctx.guardrails),
      budget: budgets.length ? fc.option(fc.constantFrom(...budgets), { nil: undefined }) : fc.constant(undefined),
      limits: fc.subarray(ctx.limits),
    });
  });
}

const guardrailLines: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    fc.subarray(["email", "phone", "credit_card", "iban", "api_key", "ip_address"], { minLength: 1 }).map((d) => `redact ${d.join(", ")}`),
    tokens.map((t) => `block when input_tokens > ${t}`),
    word.map((w) => `flag matches /${w}( \\w{1,20})?/i`),
    fc.uniqueArray(word, { minLength: 1, maxLength: 3 }).map((ws) => `block deny [${ws.map((w) => `"${w}"`).join(", ")}]`),
    fc.constantFrom("on input", "on output", "on both").map((s) => `${s} flag email`),
  ),
  { minLength: 1, maxLength: 3 },
);

/** The structure of a valid policy. */
export function arbPolicySpec(options: { maxRoutes?: number } = {}): fc.Arbitrary<PolicySpec> {
  const maxRoutes = options.maxRoutes ?? 6;
  return fc
    .record({
      providerCount: fc.integer({ min: 1, max: 3 }),
      modelCount: fc.integer({ min: 1, max: MODEL_NAMES.length }),
      budgetCount: fc.integer({ min: 0, max: 2 }),
      limitCount: fc.integer({ min: 0, max: 2 }),
      guardCount: fc.integer({ min: 0, max: 3 }),
      routeCount: fc.integer({ min: 1, max: maxRoutes }),
      catchAll: fc.boolean(),
    })
    .chain((n) => {
      const providerNames = Array.from({ length: n.providerCount }, (_, i) => `prov${i}`);
      const modelNames = MODEL_NAMES.slice(0, n.modelCount);
      const models = fc.tuple(
        ...modelNames.map((name) =>
          fc.record({
            name: fc.constant(name),
            provider: fc.constantFrom(...providerNames),
            upstream: fc.constant(`${name}-upstream`),
            input: price,
            output: price,
            context: fc.option(tokens, { nil: undefined }),
          }),
        ),
      );
      const budgets = fc.tuple(
        ...Array.from({ length: n.budgetCount }, (_, i) =>
          fc.record({
            name: fc.constant(`budget-${i}`),
            scope: fc.constantFrom(...SCOPES),
            limit: money,
            window: fc.constantFrom(...WINDOWS),
            warn: fc.option(percent, { nil: undefined }),
            downgrade: fc.option(fc.constantFrom(...modelNames), { nil: undefined }),
            reject: fc.boolean(),
          }),
        ),
      );
      const limits = fc.tuple(
        ...Array.from({ length: n.limitCount }, (_, i) =>
          fc
            .record({
              name: fc.constant(`limit-${i}`),
              scope: fc.constantFrom(...SCOPES),
              tokens: fc.option(tokens, { nil: undefined }),
              requests: fc.option(fc.integer({ min: 1, max: 10_000 }).map(String), { nil: undefined }),
              concurrent: fc.option(fc.integer({ min: 1, max: 64 }).map(String), { nil: undefined }),
              window: fc.constantFrom(...WINDOWS),
            })
            .map((l) => (l.tokens || l.requests ? l : { ...l, requests: "600" })),
        ),
      );
      const guardrails = fc.tuple(
        ...Array.from({ length: n.guardCount }, (_, i) => guardrailLines.map((lines) => ({ name: `guard-${i}`, lines }))),
      );
      return fc
        .record({
          gateway: fc.option(gatewayLines, { nil: undefined }),
          providers: fc.tuple(...providerNames.map(providerArb)),
          models,
          keys: fc.uniqueArray(hex64, { maxLength: 3 }).chain((hs) => fc.tuple(...hs.map((h) => word.map((team) => ({ hash: `sha256:${h}`, team }))))),
          budgets,
          limits,
          guardrails,
          sep: fc.constantFrom(" ", "\n  "),
          comments: fc.boolean(),
        })
        .chain((parts) => {
          const ctx = { guardrails: parts.guardrails.map((g) => g.name), budgets: parts.budgets, limits: parts.limits.map((l) => l.name) };
          const routes = fc.tuple(
            ...Array.from({ length: n.routeCount }, (_, i) => routeArb(i, modelNames, ctx, n.catchAll && i === n.routeCount - 1)),
          );
          return routes.map((rs) => ({ ...parts, routes: rs }) as PolicySpec);
        });
    });
}

function block(head: string, lines: readonly string[], sep: string): string {
  if (lines.length === 0) return `${head} {}`;
  return sep === " " ? `${head} { ${lines.join(" ")} }` : `${head} {${sep}${lines.join(sep)}\n}`;
}

function condition(r: RouteSpec): string | undefined {
  if (r.requested === undefined) return undefined;
  const parts = [`model == "${r.requested}"`];
  if (r.extra?.kind === "header") parts.push(`header("${r.extra.name}") == "${r.extra.value}"`);
  if (r.extra?.kind === "team") parts.push(`team == "${r.extra.value}"`);
  return parts.join(" and ");
}

/** The request facts of a test that hits route `r`. */
export function requestFor(r: RouteSpec): string {
  const facts = [`model "${r.requested ?? "anything-else"}"`];
  if (r.extra?.kind === "header") facts.push(`header "${r.extra.name}" "${r.extra.value}"`);
  if (r.extra?.kind === "team") facts.push(`team "${r.extra.value}"`);
  return facts.join(" ");
}

function routeLines(r: RouteSpec): string[] {
  const lines: string[] = [];
  const when = condition(r);
  if (when) lines.push(`when ${when}`);
  if (r.target.kind === "to") lines.push(`to ${r.target.model}`);
  else {
    const by = r.target.by ? ` by ${r.target.by}` : "";
    lines.push(`split${by} { ${r.target.arms.map((a) => `${a.weight}% ${a.model}`).join("  ")} }`);
  }
  if (r.fallback.length) lines.push(`fallback ${r.fallback.join(", ")}${r.on.length ? ` on ${r.on.join(", ")}` : ""}`);
  if (r.retry) lines.push(`retry ${r.retry.count}${r.retry.backoff ? ` backoff ${r.retry.backoff}` : ""}`);
  if (r.timeout) lines.push(`timeout ${r.timeout}`);
  if (r.guard.length) lines.push(`guard ${r.guard.join(", ")}`);
  if (r.budget) lines.push(`budget ${r.budget}`);
  if (r.limits.length) lines.push(`limit ${r.limits.join(", ")}`);
  return lines;
}

function testLines(r: RouteSpec): string[] {
  const lines = [`request { ${requestFor(r)} }`, `expect route ${r.name}`];
  if (r.target.kind === "to") lines.push(`expect target ${r.target.model}`);
  else lines.push(`expect target in [${r.target.arms.map((a) => a.model).join(", ")}]`);
  return lines;
}

/** The policy text of `spec`. */
export function renderPolicy(spec: PolicySpec): string {
  const { sep } = spec;
  const out: string[] = [];
  const note = (text: string): void => {
    if (spec.comments) out.push(`// ${text}`);
  };
  if (spec.gateway) out.push(block("gateway", spec.gateway, sep));
  note("providers");
  for (const p of spec.providers) out.push(block(`provider ${p.name}`, renderProvider(p), sep));
  for (const m of spec.models) {
    const settings = [`input ${m.input}`, `output ${m.output}`, ...(m.context ? [`context ${m.context}`] : [])];
    out.push(block(`model ${m.name} = ${m.provider}/"${m.upstream}"`, settings, " "));
  }
  if (spec.keys.length) out.push(block("keys", spec.keys.map((k) => `"${k.hash}" team "${k.team}"`), "\n  "));
  for (const b of spec.budgets) {
    const lines = [`per ${b.scope}`, `limit ${b.limit} per ${b.window}`];
    if (b.warn) lines.push(`warn ${b.warn}`);
    if (b.downgrade) lines.push(`exceeded downgrade ${b.downgrade}`);
    else if (b.reject) lines.push("exceeded reject");
    out.push(block(`budget ${b.name}`, lines, sep));
  }
  for (const l of spec.limits) {
    const lines = [`per ${l.scope}`];
    if (l.tokens) lines.push(`tokens ${l.tokens} per ${l.window}`);
    if (l.requests) lines.push(`requests ${l.requests} per ${l.window}`);
    if (l.concurrent) lines.push(`concurrent ${l.concurrent}`);
    out.push(block(`limit ${l.name}`, lines, sep));
  }
  for (const g of spec.guardrails) out.push(block(`guardrail ${g.name}`, g.lines, sep));
  note("routes, first match wins");
  for (const r of spec.routes) out.push(block(`route ${r.name}`, routeLines(r), sep));
  for (const r of spec.routes) out.push(block(`test "request for ${r.name}"`, testLines(r), sep));
  return `${out.join("\n")}\n`;
}

/** Valid policy text. */
export function arbPolicy(options: { maxRoutes?: number } = {}): fc.Arbitrary<string> {
  return arbPolicySpec(options).map(renderPolicy);
}
