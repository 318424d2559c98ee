/**
 * The decision graph: what the compiler emits and the runtime loads. Plain
 * JSON (no functions, no class instances, no RegExp objects) so it can be
 * written to disk, diffed, hashed and validated with the JSON Schema in
 * `graph.schema.json`. Money is in US dollars, durations in milliseconds,
 * prices in dollars per million tokens.
 */

export const GRAPH_VERSION = 1 as const;

/** Where a node came from, for explanations ("route premium-chat, main.route:23"). */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A value read from the environment at run time; the compiler never stores secrets. */
export interface EnvRef {
  env: string;
}

export interface GatewayNode {
  /** `host:port` or `:port`; absent means the CLI's default. */
  listen?: string;
  state: { kind: "memory" } | { kind: "sqlite"; path: string } | { kind: "redis"; url: EnvRef | { value: string } };
  /** `keys` (bearer keys looked up in `keys`) or `none` (local development only). */
  auth: "keys" | "none";
  adminToken?: EnvRef;
  logBodies: boolean;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** Overall deadline for one request, all attempts included. */
  deadlineMs: number;
  /** `cache_memory`: the bytes the in-memory cache store may hold before evicting the least recently used entries. Absent: 64 MiB (`DEFAULTS.gateway.cacheMemoryBytes`). */
  cacheMemoryBytes?: number;
  /**
   * `reload_max_drop`, in percent: the largest share of the serving policy's
   * routes a hot reload to this policy may remove; at 100 it may also drop
   * every route or every key. Absent: 50 (`DEFAULTS.gateway.reloadMaxDrop`).
   */
  reloadMaxDrop?: number;
  /** `max_latency` and `max_cost` (dollars): the bounds of every route that declares none. */
  maxLatencyMs?: number;
  maxCost?: number;
  /** `usage_retention`: how long the usage ledger keeps its minutes. Absent: 30 days (`DEFAULTS.gateway.usageRetentionMs`). */
  usageRetentionMs?: number;
  /** `revoked`: the file of revoked key hashes and token ids `aigw serve` watches (§4.11). */
  revoked?: string;
  /** `timezone`: the IANA zone the time facts are read in. Absent: UTC. */
  timezone?: string;
}

/** A `jwt` block: callers identified by tokens an identity provider signed. */
export interface JwtNode {
  /** The `iss` a token must carry; a token is verified by the block of its issuer. */
  issuer: string;
  /** The `aud` a token must carry (one of, when it carries several). */
  audience: string;
  /** Where the signing keys are: a JWKS URL fetched and cached, or a JWKS file read at start and on reload. */
  keys: { kind: "url"; url: string } | { kind: "file"; path: string };
  algorithms: string[];
  /** The claims read as the caller's `team` and `user`. */
  teamClaim?: string;
  userClaim: string;
  /** Clock skew allowed on `exp`, `nbf` and `iat`. */
  leewayMs: number;
  span: SourceRef;
}

export type ProviderApi = "openai" | "anthropic" | "mock" | "gemini" | "vertex" | "azure" | "bedrock";

export interface ProviderNode {
  api: ProviderApi;
  baseUrl?: string;
  key?: EnvRef;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** An `openai` upstream that serves the Responses API too: Responses requests are passed through to it. */
  responses?: true;
  /** Settings of the built-in mock provider; `failRate` is a percentage (0-100). */
  mock?: { latencyMs: number; failRate: number; failStatus: number };
  /** Where a Vertex AI provider's models live; `keyFile`: a service-account key file, when the key is not in `key`. */
  vertex?: { project: string; location: string; keyFile?: string };
  /** Azure OpenAI: the `api-version` query parameter, and whether `key` is an `api-key` or an Entra ID bearer token. */
  azure?: { apiVersion: string; auth: "api-key" | "bearer" };
  /** Amazon Bedrock: where to sign for and with what; the credentials default to the standard `AWS_*` variables. */
  bedrock?: { region: EnvRef | { value: string }; accessKey: EnvRef; secretKey: EnvRef; sessionToken: EnvRef };
  span: SourceRef;
}

/**
 * What a request may need of a model besides room (context, max output):
 * tool definitions, image inputs, a `json_schema` response format, a
 * streamed reply. A model that lists `supports […]` has exactly those.
 */
export const CAPABILITIES = ["tools", "images", "json_schema", "stream"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface ModelNode {
  provider: string;
  /** The model name sent upstream. */
  upstream: string;
  /** Dollars per million input tokens. */
  inputPrice?: number;
  outputPrice?: number;
  /** Dollars per million input tokens read from / written to the provider's prompt cache; absent: `inputPrice`. */
  cacheReadPrice?: number;
  cacheWritePrice?: number;
  /** `prompt_cache auto`: the Anthropic adapter adds cache breakpoints (runtime/providers/anthropic-cache.ts). */
  promptCache?: "auto";
  /** Context window in tokens. */
  context?: number;
  /** Largest completion in tokens, used to bound a reservation when the request has no max_tokens. */
  maxOutput?: number;
  /** `supports [...]`: the capabilities it has; absent: not declared, so never a reason to skip it. */
  supports?: Capability[];
  span: SourceRef;
}

/**
 * The dearest an input token of `m` can be billed, in dollars per million:
 * a prompt-cache write (or read) may cost more than plain input, and any
 * input token may be one, so every worst case (a budget's reservation, a
 * route's `max_cost`, `split cheapest`) prices input at this.
 */
export function inputCeiling(m: Pick<ModelNode, "inputPrice" | "cacheReadPrice" | "cacheWritePrice">): number {
  return Math.max(m.inputPrice ?? 0, m.cacheWritePrice ?? 0, m.cacheReadPrice ?? 0);
}

/**
 * Wildcard models (`model any = openai/"*" { "gpt-4o" input … }`): the graph
 * holds the wildcard itself (upstream `*`, no prices) and one ordinary model
 * per price-table row, named `any/gpt-4o`. `decide` resolves a wildcard
 * target to its row for the requested name, so everything after it (the
 * provider call, budgets, the ledger, metrics) sees a declared model; a name
 * the table lacks stays on the wildcard itself (unpriced), allowed only on a
 * route that does not need prices (`pricesRequired`).
 */
export const WILDCARD_UPSTREAM = "*";

/** Upstream names a wildcard may send: no `/`, `?`, `#`, `%`, spaces or control bytes, so none can reach a URL path, a query or a header. */
export const UPSTREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Provider kinds whose request carries the model in the body, the only ones a wildcard may use. */
export const WILDCARD_APIS: readonly ProviderApi[] = ["openai", "anthropic", "mock"];

export function isWildcard(m: Pick<ModelNode, "upstream">): boolean {
  return m.upstream === WILDCARD_UPSTREAM;
}

/** The graph name of a wildcard's price-table row. */
export function tableRow(wildcard: string, upstream: string): string {
  return `${wildcard}/${upstream}`;
}

/** A wildcard's price-table rows, as `[graph name, model]`. */
export function tableRows(models: Readonly<Record<string, ModelNode>>, wildcard: string): [string, ModelNode][] {
  const prefix = `${wildcard}/`;
  return Object.entries(models).filter(([name]) => name.startsWith(prefix));
}

/**
 * The upstream name a request asks a wildcard of provider `provider` for:
 * its `model` without the `provider/` prefix (`openai/gpt-4o` → `gpt-4o`),
 * or as written when it has none; undefined when that name may not be sent.
 */
export function requestedUpstream(provider: string, model: string | undefined): string | undefined {
  if (model === undefined) return undefined;
  const name = model.startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
  return UPSTREAM_NAME.test(name) ? name : undefined;
}

/**
 * Whether a route may only send to priced models: it has a budget, a
 * `max_cost` (its own or the gateway's) or a `split cheapest`. On such a
 * route a wildcard sends only the names its price table lists.
 */
export function pricesRequired(route: RouteNode, gateway: Pick<GatewayNode, "maxCost">): boolean {
  return route.budgets.length > 0 || route.maxCost !== undefined || gateway.maxCost !== undefined || (route.target.kind === "split" && route.target.cheapest === true);
}

export interface KeyNode {
  team?: string;
  user?: string;
  /** Every label of the entry, team and user included. */
  labels: Record<string, string>;
}

/**
 * Who a budget or limit counts together: `label:NAME` is one counter per
 * value of the caller's label NAME (a key entry's label, or a token's
 * claim), `metadata:NAME` per value of the body's `metadata.NAME`.
 */
export type Scope = "key" | "team" | "user" | "route" | "global" | `label:${string}` | `metadata:${string}`;

/** Calendar windows are aligned in UTC; rolling windows slide. */
export type WindowNode = { kind: "calendar"; unit: "minute" | "hour" | "day" | "month" } | { kind: "rolling"; ms: number };

export interface BudgetNode {
  scope: Scope;
  /** Dollars per window; with `amounts`, for every scope value the table does not name. */
  limit: number;
  /** `limit per month { "research" $500  default $100 }`: dollars per window by scope value. */
  amounts?: Record<string, number>;
  /** The budget counts (and can refuse or downgrade) only requests for which this holds; absent: every request of its routes. */
  when?: ExprNode;
  window: WindowNode;
  /** Percent of the limit at which a warning is raised. */
  warnPercent?: number;
  exceeded: { action: "reject" } | { action: "downgrade"; model: string };
  span: SourceRef;
}

/** A limit's count per window; with `amounts`, `count` is for every scope value the table does not name. */
export interface CountedNode {
  count: number;
  window: WindowNode;
  /** `requests per minute { "research" 600  default 60 }`: the count by scope value. */
  amounts?: Record<string, number>;
}

/** The cap for one scope value: its table entry, else the default. */
export function amountFor(base: number, amounts: Readonly<Record<string, number>> | undefined, scopeKey: string): number {
  return amounts !== undefined && Object.hasOwn(amounts, scopeKey) ? amounts[scopeKey]! : base;
}

/** A budget's dollars per window for one scope value. */
export function budgetCap(b: Pick<BudgetNode, "limit" | "amounts">, scopeKey: string): number {
  return amountFor(b.limit, b.amounts, scopeKey);
}

export interface LimitNode {
  scope: Scope;
  requests?: CountedNode;
  tokens?: CountedNode;
  /** The limit counts only requests for which this holds; absent: every request of its routes. */
  when?: ExprNode;
  /** Requests in flight at once, each released when it ends. */
  concurrent?: number;
  span: SourceRef;
}

export type BuiltinDetector = "email" | "phone" | "credit_card" | "iban" | "api_key" | "ip_address";

export type DetectorNode =
  | { kind: "builtin"; name: BuiltinDetector }
  | { kind: "pattern"; source: string; flags: string }
  | { kind: "deny"; words: string[] };

export interface GuardRuleNode {
  on: "input" | "output";
  action: "block" | "redact" | "flag";
  /** Either detectors (the rule fires when any finds a match) or a condition over facts. */
  detectors?: DetectorNode[];
  when?: ExprNode;
}

export interface GuardrailNode {
  rules: GuardRuleNode[];
  /** `streams off`: its output rules do not inspect streamed replies (absent: they do). */
  streams?: false;
  /** `window N`: the longest match, in characters, of its output patterns whose regex has no bound of its own. */
  window?: number;
  span: SourceRef;
}

/** Whose requests share a cache's entries: one caller's key (the default), a team, a user, or everyone. */
export type CacheScope = "key" | "team" | "user" | "global";

/** A response cache (lang/SPEC.md §4.10): a declared `cache NAME { … }` or a route's inline `cache { … }` (named `route:NAME`). */
export interface CacheNode {
  /** How long an entry answers. */
  ttlMs: number;
  scope: CacheScope;
  /** Which requests may be answered from (and stored in) the cache; absent: every request. */
  when?: ExprNode;
  /** Largest reply stored, in bytes (its JSON or its stream's chunks). */
  maxEntryBytes: number;
  /** `allowed`: a caller may skip the cache with `cache-control: no-cache` or `x-aigw-cache: bypass`. */
  bypass: "allowed" | "denied";
  /** `charge hits`: a hit is admitted against the route's budgets and limits like a miss (default: free). */
  chargeHits: boolean;
  /** The semantic cache (`semantic MODEL`): absent, exact matches only. */
  semantic?: SemanticNode;
  span: SourceRef;
}

/** A semantic cache: requests that differ only in their last user text, and whose texts embed close enough, share an entry. */
export interface SemanticNode {
  /** The embedding model (a key of `models`). */
  model: string;
  /** The least cosine similarity of a hit, in (0, 1]. */
  similarity: number;
  /** The most vectors a gateway holds for this cache. */
  maxVectors: number;
}

export type FactName =
  | "model"
  | "endpoint"
  | "stream"
  | "header"
  | "metadata"
  | "key"
  | "team"
  | "user"
  | "label"
  | "input_tokens"
  | "input_bytes"
  | "text"
  | "tools"
  | "images"
  | "temperature"
  | "budget_used"
  | "top_p"
  | "session"
  | "hour"
  | "weekday"
  | "date";

/** A fact read from the request; `arg` is the header, metadata or label name. */
export interface FactNode {
  name: FactName;
  arg?: string;
}

export type Literal = string | number | boolean;

export type ExprNode =
  | { op: "and" | "or"; args: ExprNode[] }
  | { op: "not"; arg: ExprNode }
  | { op: "eq" | "ne" | "lt" | "gt" | "le" | "ge"; fact: FactNode; value: Literal }
  | { op: "in"; fact: FactNode; values: Literal[] }
  | { op: "matches"; fact: FactNode; source: string; flags: string }
  | { op: "truthy"; fact: FactNode };

/**
 * Why a fallback is taken: an exact status (`"429"`), a status class
 * (`"5xx"`), `"timeout"`, `"connection"` (refused, reset, DNS),
 * `"context_length"` or `"content_filter"` (an upstream 400 saying the
 * prompt is too long for the model, or its content filter refused it).
 */
export type FailureReason = string;

/**
 * A `health` policy: which failures count against a target, when the target
 * is ejected (skipped while any alternative is not) and for how long. The
 * state it reads is kept per (policy, target) by the runtime's tracker.
 */
export interface HealthNode {
  /** Failures that count (`"5xx"`, `"429"`, `"timeout"`, `"connection"`); other failures count neither way. */
  on: FailureReason[];
  /** Eject after this many counted failures in a row; 0: never for that alone. */
  consecutive: number;
  /** Eject when at least this percent of the tries in `intervalMs` failed (and there were `minimum`); absent: never for that. */
  failureRate?: number;
  intervalMs: number;
  minimum: number;
  /** The first ejection; each ejection in a row doubles it, up to `maxEjectMs`. */
  ejectMs: number;
  maxEjectMs: number;
  /** Shared through the state store, each instance syncing this often; absent: per instance. */
  sharedMs?: number;
  span: SourceRef;
}

export type TargetPlan =
  | { kind: "to"; model: string }
  /**
   * `fastest`: power of two choices on the targets' latency estimates, the
   * weights drawing the two; `cheapest`: the arm whose model prices the
   * request's worst case lowest, ties drawn by weight. Neither takes `by`.
   */
  | { kind: "split"; by?: FactNode; fastest?: true; cheapest?: true; arms: { model: string; weight: number }[] }
  /**
   * `reject 403 "…"`: every request the route takes is answered with this
   * status and message, in the caller's API's error shape; nothing is sent
   * and nothing charged (lang/SPEC.md §4.8).
   */
  | { kind: "reject"; status: number; message: string };

/** Canonical request parameters a route shapes, by their canonical names (runtime/request/model.ts). */
export interface ShapeParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
}

/**
 * How a route shapes the request it sends (lang/SPEC.md §4.8.2), applied in
 * this order after the input guardrails: `set` always, `default` where the
 * caller sent nothing, then `max_tokens` lowered to `maxTokensCap` (and set
 * to it when absent, so the reservation is bounded by it).
 */
export interface Shaping {
  set?: ShapeParams;
  default?: ShapeParams;
  maxTokensCap?: number;
  /** Lower-case names, in the order written; added to every upstream request of the route. */
  headers?: { name: string; value: string }[];
}

export interface RouteNode {
  name: string;
  /** Absent: the route matches every request. */
  when?: ExprNode;
  target: TargetPlan;
  fallback: string[];
  fallbackOn: FailureReason[];
  retry: { count: number; backoffMs: number };
  timeoutMs?: number;
  guard: string[];
  budgets: string[];
  limits: string[];
  /** The route's cache, a key of `Graph.caches`. */
  cache?: string;
  /** The `health` policy that ejects this route's failing targets. */
  health?: string;
  /** `max_latency`: the longest a request may take here; `aigw check` proves the worst case within it (compiler/bounds.ts). */
  maxLatencyMs?: number;
  /** `max_cost`, in dollars: the most one request may cost here, proven likewise. */
  maxCost?: number;
  /** Request shaping: parameters set, defaulted or capped, and headers added upstream (lang/SPEC.md §4.8.2). */
  shaping?: Shaping;
  /** The `defaults` blocks (`use`) that gave this route statements, each with those statements as written: for `aigw explain`. */
  defaults?: { name: string; span: SourceRef; settings: string[] }[];
  span: SourceRef;
}

/**
 * Routes partitioned by the requested model: the candidates for model `m`
 * are `byModel[m]` merged with `anyModel`, both ascending route indices, so
 * first-match order is kept without scanning routes for other models.
 */
export interface RouteIndex {
  byModel: Record<string, number[]>;
  anyModel: number[];
}

export interface Graph {
  version: typeof GRAPH_VERSION;
  /** Content hash of the policy sources: the policy version shown in `x-aigw-policy`. */
  policy: string;
  gateway: GatewayNode;
  providers: Record<string, ProviderNode>;
  models: Record<string, ModelNode>;
  /** Callers by key hash (`sha256:<hex>`). */
  keys: Record<string, KeyNode>;
  budgets: Record<string, BudgetNode>;
  limits: Record<string, LimitNode>;
  guardrails: Record<string, GuardrailNode>;
  /** Declared caches by name, and routes' inline caches as `route:NAME`. */
  caches: Record<string, CacheNode>;
  /** Health policies by name; absent when the policy declares none. */
  health?: Record<string, HealthNode>;
  /** Token issuers by block name; absent when the policy declares none. */
  jwt?: Record<string, JwtNode>;
  /** In first-match order. */
  routes: RouteNode[];
  index: RouteIndex;
  /** Requested model names some route can accept, for `GET /v1/models` and 404 messages. */
  accepted: string[];
}

// ---------------------------------------------------------------- policy tests, lowered

/** The request a `test` block describes, as plain data. */
export interface TestRequest {
  model?: string;
  endpoint?: string;
  stream?: boolean;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  /** A key hash from `keys`, or absent. */
  key?: string;
  team?: string;
  user?: string;
  /** Labels of the caller (a token's claims), over the key entry's. */
  labels?: Record<string, string>;
  /** Input text (the user messages). */
  input?: string;
  /** The conversation (`session` fact); absent: derived as the server derives it (headers, then the input). */
  session?: string;
  /** Overrides the counted tokens. */
  inputTokens?: number;
  tools?: boolean;
  images?: boolean;
  /** The request asks for a `json_schema` response format. */
  jsonSchema?: boolean;
  /** The request's `max_tokens`. */
  maxTokens?: number;
  /** Sampling; absent: left to the provider's default. */
  temperature?: number;
  topP?: number;
  /** When the request arrives (`at`), ms since the epoch; absent: the test's fixed moment (lang/SPEC.md §8.1). */
  atMs?: number;
}

export type TestGiven =
  /** The route's cache holds an entry for the request. */
  | { kind: "cache-hit" }
  | { kind: "split-picks"; target: string }
  /** Tries of `target` fail with `reason`: every try, or the first `times`; `retryAfterMs` is the failure's `Retry-After`. */
  | { kind: "fails"; target: string; reason: FailureReason; times?: number; retryAfterMs?: number }
  /** Every try of `target` takes `ms` before it answers or fails (a timeout cuts it short). */
  | { kind: "latency"; target: string; ms: number }
  /** The route's health policy has just ejected `target`. */
  | { kind: "ejected"; target: string }
  /** Of `target`'s last `of` tries, the latest `failures` failed (a counted reason, just now). */
  | { kind: "failures"; target: string; failures: number; of: number }
  /** The reply of `target` says `text` (what output guardrails inspect); `chunks`: it streams, in deltas of that many characters. */
  | { kind: "answers"; target: string; text: string; chunks?: number }
  | { kind: "budget-spent"; budget: string; amount: number }
  | { kind: "limit-used"; limit: string; amount: number };

export type TestExpect =
  | { kind: "route"; route: string }
  | { kind: "no-route" }
  | { kind: "target"; target: string }
  | { kind: "target-in"; targets: string[] }
  | { kind: "attempts"; targets: string[] }
  | { kind: "retries"; count: number }
  | { kind: "blocked"; guardrail: string }
  | { kind: "flagged"; guardrail: string }
  /** The reply text after the output guardrails. */
  | { kind: "output-redacted"; text: string }
  /** Output guardrail `guardrail` blocked (withheld) or flagged the reply. */
  | { kind: "output-blocked" | "output-flagged"; guardrail: string }
  /** Budget or limit `by` refused the request (429); without `by`, the route itself rejected it (`reject`). */
  | { kind: "rejected"; by?: string }
  /** Budget `budget` was in its warn zone (`x-aigw-budget-warning`). */
  | { kind: "warned"; budget: string }
  | { kind: "status"; status: number }
  /** What the request is charged, in dollars, compared with `op` (lang/SPEC.md §8.3). */
  | { kind: "cost"; op: "==" | "<" | "<=" | ">" | ">="; dollars: number }
  /** The request sent has this value of parameter `param` (`max_tokens`, `temperature`, `top_p`), after the route's shaping. */
  | { kind: "shaped"; param: string; value: number }
  /** How the route's cache answered: `hit`, `miss` (looked up, not found) or `bypass` (the caller skipped it). */
  | { kind: "cache"; result: "hit" | "miss" | "bypass" }
  | { kind: "redacted"; text: string }
  /** The answer carries header `name` (lower case) with `value`: a budget or rate-limit header the admission sets. */
  | { kind: "header"; name: string; value: string };

export interface TestCase {
  name: string;
  span: SourceRef;
  request: TestRequest;
  given: TestGiven[];
  expect: (TestExpect & { span: SourceRef })[];
}
