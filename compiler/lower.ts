/**
 * Lowering: the checked AST (through the symbol table) to the decision
 * graph of graph.ts, with every unit normalised (dollars, milliseconds,
 * dollars per million tokens, bytes) and every default from settings.ts
 * filled in, plus the policy's tests as `TestCase`s. Runs only when the
 * checks found no errors, so it trusts shapes the checks guarantee, but it
 * is total: nothing here throws on any AST.
 */
import type { AmountEntry, BudgetDecl, CacheStmt, Detector, GuardrailDecl, HealthDecl, JwtDecl, LimitDecl, ModelDecl, ProviderDecl, Setting, Value, Window } from "../lang/ast.js";
import type { Span } from "../lang/span.js";
import {
  GRAPH_VERSION,
  WILDCARD_UPSTREAM,
  tableRow,
  type BudgetNode,
  type CountedNode,
  type BuiltinDetector,
  type CacheNode,
  type CacheScope,
  type DetectorNode,
  type EnvRef,
  type GatewayNode,
  type Graph,
  type GuardRuleNode,
  type GuardrailNode,
  type HealthNode,
  type JwtNode,
  type KeyNode,
  type LimitNode,
  type ModelNode,
  type Capability,
  type ProviderApi,
  type ProviderNode,
  type Scope,
  type TestCase,
  type WindowNode,
} from "./graph.js";
import { lowerExpr, setOwn, sourceRef } from "./lower-expr.js";
import { failureReason, indexRoutes, inlineCacheName, lowerRoute } from "./lower-routes.js";
import { lowerTest } from "./lower-tests.js";
import { DEFAULTS } from "./settings.js";
import type { SymbolTable } from "./symbols.js";

/** The first value given for each setting (duplicates are E208 and never reach lowering). */
function settingValues(settings: readonly Setting[]): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const s of settings) if (!out.has(s.name.name)) out.set(s.name.name, s.value);
  return out;
}

function num(v: Value | undefined, fallback: number): number {
  return v?.kind === "quantity" ? v.value : fallback;
}

function str(v: Value | undefined): string | undefined {
  return v?.kind === "string" ? v.value : undefined;
}

function word(v: Value | undefined): string | undefined {
  return v?.kind === "ident" ? v.name : undefined;
}

function envRef(v: Value | undefined): EnvRef | undefined {
  if (v?.kind !== "call" || v.callee.name !== "env") return undefined;
  const arg = v.args[0];
  return arg?.kind === "string" ? { env: arg.value } : undefined;
}

function lowerState(state: Value | undefined): GatewayNode["state"] {
  if (state?.kind === "ident" && state.name === "memory") return { kind: "memory" };
  if (state?.kind === "call") {
    const arg = state.args[0];
    if (state.callee.name === "sqlite" && arg?.kind === "string") return { kind: "sqlite", path: arg.value };
    if (state.callee.name === "redis" && arg) return { kind: "redis", url: envRef(arg) ?? { value: str(arg) ?? "" } };
  }
  return { ...DEFAULTS.gateway.state };
}

function lowerGateway(symbols: SymbolTable): GatewayNode {
  const s = settingValues(symbols.gateway?.settings ?? []);
  const listen = str(s.get("listen"));
  const adminToken = envRef(s.get("admin_token"));
  const logBodies = s.get("log_bodies");
  const reloadMaxDrop = s.get("reload_max_drop");
  const cacheMemory = s.get("cache_memory");
  const usageRetention = s.get("usage_retention");
  const revoked = str(s.get("revoked"));
  const timezone = str(s.get("timezone"));
  return {
    ...(listen !== undefined ? { listen } : {}),
    state: lowerState(s.get("state")),
    auth: word(s.get("auth")) === "none" ? "none" : DEFAULTS.gateway.auth,
    ...(adminToken ? { adminToken } : {}),
    logBodies: logBodies?.kind === "bool" ? logBodies.value : DEFAULTS.gateway.logBodies,
    maxBodyBytes: num(s.get("max_body"), DEFAULTS.gateway.maxBodyBytes),
    deadlineMs: num(s.get("deadline"), DEFAULTS.gateway.deadlineMs),
    // Written only when set, so graphs of policies without it are unchanged; the runtime defaults it.
    ...(reloadMaxDrop !== undefined ? { reloadMaxDrop: num(reloadMaxDrop, DEFAULTS.gateway.reloadMaxDrop) } : {}),
    ...(cacheMemory !== undefined ? { cacheMemoryBytes: num(cacheMemory, DEFAULTS.gateway.cacheMemoryBytes) } : {}),
    ...(s.get("max_latency") !== undefined ? { maxLatencyMs: num(s.get("max_latency"), 0) } : {}),
    ...(s.get("max_cost") !== undefined ? { maxCost: num(s.get("max_cost"), 0) } : {}),
    ...(usageRetention !== undefined ? { usageRetentionMs: num(usageRetention, DEFAULTS.gateway.usageRetentionMs) } : {}),
    ...(revoked !== undefined ? { revoked } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
  };
}

function lowerJwt(j: JwtDecl): JwtNode {
  const s = settingValues(j.settings);
  const d = DEFAULTS.jwt;
  const url = str(s.get("jwks"));
  const algorithms = s.get("algorithms");
  const team = str(s.get("team"));
  return {
    issuer: str(s.get("issuer")) ?? "",
    audience: str(s.get("audience")) ?? "",
    keys: url !== undefined ? { kind: "url", url } : { kind: "file", path: str(s.get("jwks_file")) ?? "" },
    algorithms: algorithms?.kind === "list" ? algorithms.items.map((v) => word(v) ?? "") : [...d.algorithms],
    ...(team !== undefined ? { teamClaim: team } : {}),
    userClaim: str(s.get("user")) ?? d.userClaim,
    leewayMs: num(s.get("leeway"), d.leewayMs),
    span: sourceRef(j.span),
  };
}

function lowerProvider(p: ProviderDecl): ProviderNode {
  const s = settingValues(p.settings);
  const api = (word(s.get("api")) ?? "openai") as ProviderApi;
  const baseUrl = str(s.get("base_url"));
  // An Azure `token` travels where a key does; `azure.auth` says which header carries it.
  const key = envRef(s.get("key")) ?? (api === "azure" ? envRef(s.get("token")) : undefined);
  const m = DEFAULTS.provider.mock;
  const responses = s.get("responses");
  return {
    api,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(key ? { key } : {}),
    timeoutMs: num(s.get("timeout"), DEFAULTS.provider.timeoutMs),
    // Written only when on, so graphs of policies without it are unchanged.
    ...(api === "openai" && responses?.kind === "bool" && responses.value ? { responses: true as const } : {}),
    ...(api === "azure" ? { azure: lowerAzure(s) } : {}),
    ...(api === "bedrock" ? { bedrock: lowerBedrock(s) } : {}),
    ...(api === "vertex" ? { vertex: vertexOf(s) } : {}),
    ...(api === "mock"
      ? {
          mock: {
            latencyMs: num(s.get("latency"), m.latencyMs),
            failRate: num(s.get("fail_rate"), m.failRate),
            failStatus: num(s.get("fail_status"), m.failStatus),
          },
        }
      : {}),
    span: sourceRef(p.span),
  };
}

function lowerAzure(s: ReadonlyMap<string, Value>): NonNullable<ProviderNode["azure"]> {
  return { apiVersion: str(s.get("api_version")) ?? DEFAULTS.provider.azure.apiVersion, auth: s.has("token") ? "bearer" : "api-key" };
}

/** The credentials are written out even when defaulted, so the graph says which variables the gateway reads. */
function lowerBedrock(s: ReadonlyMap<string, Value>): NonNullable<ProviderNode["bedrock"]> {
  const d = DEFAULTS.provider.bedrock;
  const regionText = str(s.get("region"));
  return {
    region: regionText !== undefined ? { value: regionText } : (envRef(s.get("region")) ?? { value: "" }),
    accessKey: envRef(s.get("access_key")) ?? { env: d.accessKey },
    secretKey: envRef(s.get("secret_key")) ?? { env: d.secretKey },
    sessionToken: envRef(s.get("session_token")) ?? { env: d.sessionToken },
  };
}

function vertexOf(s: ReturnType<typeof settingValues>): NonNullable<ProviderNode["vertex"]> {
  const keyFile = str(s.get("key_file"));
  // A missing project or location is E203 and never reaches lowering.
  return { project: str(s.get("project")) ?? "", location: str(s.get("location")) ?? "", ...(keyFile !== undefined ? { keyFile } : {}) };
}

/** Every model of the policy: a wildcard's price-table rows as models of their own (graph.ts, `tableRow`). */
function lowerModels(symbols: SymbolTable): Record<string, ModelNode> {
  const out: Record<string, ModelNode> = {};
  for (const [name, m] of symbols.models) {
    setOwn(out, name, lowerModel(m));
    if (m.upstream.value !== WILDCARD_UPSTREAM) continue;
    for (const row of m.prices ?? []) {
      const key = tableRow(name, row.name.value);
      if (Object.hasOwn(out, key)) continue;
      setOwn(out, key, { ...lowerModel({ ...m, upstream: row.name, settings: [...m.settings, ...row.settings] }), span: sourceRef(row.span) });
    }
  }
  return out;
}

function lowerModel(m: ModelDecl): ModelNode {
  const s = settingValues(m.settings);
  const prices: Partial<ModelNode> = {};
  const fields = [
    ["input", "inputPrice"],
    ["output", "outputPrice"],
    ["cache_read", "cacheReadPrice"],
    ["cache_write", "cacheWritePrice"],
    ["context", "context"],
    ["max_output", "maxOutput"],
  ] as const;
  for (const [setting, field] of fields) {
    const v = s.get(setting);
    if (v?.kind === "quantity") prices[field] = v.value;
  }
  const supports = s.get("supports");
  if (supports?.kind === "list") prices.supports = supports.items.flatMap((i) => (i.kind === "ident" ? [i.name as Capability] : []));
  const cache = s.get("prompt_cache");
  if (cache?.kind === "ident" && cache.name === "auto") prices.promptCache = "auto";
  return { provider: m.provider.name, upstream: m.upstream.value, ...prices, span: sourceRef(m.span) };
}

function lowerKeys(symbols: SymbolTable): Record<string, KeyNode> {
  const keys = new Map<string, KeyNode>();
  for (const entry of symbols.keys) {
    if (keys.has(entry.hash.value)) continue;
    const labels: Record<string, string> = {};
    for (const l of entry.labels) {
      if (l.value.kind === "string" && !Object.hasOwn(labels, l.name.name)) setOwn(labels, l.name.name, l.value.value);
    }
    const node: KeyNode = { labels };
    if (Object.hasOwn(labels, "team")) node.team = labels["team"]!;
    if (Object.hasOwn(labels, "user")) node.user = labels["user"]!;
    keys.set(entry.hash.value, node);
  }
  return Object.fromEntries(keys);
}

function lowerWindow(w: Window): WindowNode {
  if (w.kind === "quantity") return { kind: "rolling", ms: w.value };
  const unit = w.name === "minute" || w.name === "hour" || w.name === "month" ? w.name : "day";
  return { kind: "calendar", unit };
}

function scopeOf(decl: BudgetDecl | LimitDecl): Scope {
  for (const c of decl.clauses) if (c.kind === "scope") return (c.arg === undefined ? c.scope.name : `${c.scope.name}:${c.arg.value}`) as Scope;
  return DEFAULTS.scope;
}

/** An amount table's scope values and their amounts (`default` is the clause's own amount); the first of a repeated value (E208). */
function lowerTable(entries: readonly AmountEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) if (e.value !== undefined && !Object.hasOwn(out, e.value.value)) setOwn(out, e.value.value, num(e.amount, 0));
  return out;
}

function lowerBudget(b: BudgetDecl): BudgetNode {
  const node: BudgetNode = {
    scope: scopeOf(b),
    limit: 0,
    window: { kind: "calendar", unit: "day" },
    exceeded: { action: "reject" },
    span: sourceRef(b.span),
  };
  for (const c of b.clauses) {
    if (c.kind === "amount" && c.measure.name === "limit") {
      node.limit = num(c.amount, 0);
      node.window = lowerWindow(c.window);
      if (c.table !== undefined) node.amounts = lowerTable(c.table);
    } else if (c.kind === "when") node.when = lowerExpr(c.condition); else if (c.kind === "warn") node.warnPercent = num(c.at, 0);
    else if (c.kind === "exceeded" && c.action.name === "downgrade" && c.model) {
      node.exceeded = { action: "downgrade", model: c.model.name };
    }
  }
  return node;
}

function lowerLimit(l: LimitDecl): LimitNode {
  const node: LimitNode = { scope: scopeOf(l), span: sourceRef(l.span) };
  for (const c of l.clauses) {
    if (c.kind === "concurrent") node.concurrent = num(c.count, 1);
    if (c.kind === "when") node.when = lowerExpr(c.condition);
    if (c.kind !== "amount") continue;
    const counted: CountedNode = { count: num(c.amount, 0), window: lowerWindow(c.window) };
    if (c.table !== undefined) counted.amounts = lowerTable(c.table);
    if (c.measure.name === "tokens") node.tokens = counted;
    else if (c.measure.name === "requests") node.requests = counted;
  }
  return node;
}

function lowerDetector(d: Detector): DetectorNode {
  switch (d.kind) {
    case "builtin":
      return { kind: "builtin", name: d.name.name as BuiltinDetector };
    case "pattern":
      return { kind: "pattern", source: d.regex.pattern, flags: d.regex.flags };
    case "deny":
      return { kind: "deny", words: d.words.items.flatMap((w) => (w.kind === "string" ? [w.value] : [])) };
  }
}

/** Rules apply to what the latest `on` names (input until one does); `on both` makes one rule per side. */
function lowerGuardrail(g: GuardrailDecl): GuardrailNode {
  let sides: ("input" | "output")[] = [DEFAULTS.guardOn];
  const rules: GuardRuleNode[] = [];
  const node: GuardrailNode = { rules, span: sourceRef(g.span) };
  for (const s of g.body) {
    if (s.kind === "on") {
      sides = s.target.name === "both" ? ["input", "output"] : s.target.name === "output" ? ["output"] : ["input"];
      continue;
    }
    if (s.kind === "streams") {
      if (s.value.name === "off") node.streams = false;
      continue;
    }
    if (s.kind === "window") {
      if (s.size.kind === "quantity") node.window = s.size.value;
      continue;
    }
    const action = s.action.name as GuardRuleNode["action"];
    for (const on of sides) {
      rules.push(
        s.kind === "when"
          ? { on, action, when: lowerExpr(s.condition) }
          : { on, action, detectors: s.detectors.map(lowerDetector) },
      );
    }
  }
  return node;
}

function lowerCache(body: readonly CacheStmt[], span: Span): CacheNode {
  const s = settingValues(body.filter((x): x is Setting => x.kind === "setting"));
  const d = DEFAULTS.cache;
  const node: CacheNode = {
    ttlMs: num(s.get("ttl"), 0),
    scope: (word(s.get("scope")) ?? d.scope) as CacheScope,
    maxEntryBytes: num(s.get("max_entry"), d.maxEntryBytes),
    bypass: word(s.get("bypass")) === "denied" ? "denied" : d.bypass,
    chargeHits: word(s.get("charge")) === "hits",
    span: sourceRef(span),
  };
  const when = body.find((x) => x.kind === "when");
  if (when?.kind === "when") node.when = lowerExpr(when.condition);
  const semantic = word(s.get("semantic"));
  if (semantic !== undefined) {
    node.semantic = { model: semantic, similarity: num(s.get("similarity"), d.similarity), maxVectors: num(s.get("max_vectors"), d.maxVectors) };
  }
  return node;
}

/** Declared caches by name, then each route's inline cache as `route:NAME` (a name no declaration can spell). */
function lowerCaches(symbols: SymbolTable): Record<string, CacheNode> {
  const out = new Map<string, CacheNode>();
  for (const [name, decl] of symbols.caches) out.set(name, lowerCache(decl.body, decl.span));
  for (const r of symbols.routes) {
    for (const s of r.body) if (s.kind === "cache" && s.body) out.set(inlineCacheName(r.name.name), lowerCache(s.body, s.span));
  }
  return Object.fromEntries(out);
}

function lowerHealth(h: HealthDecl): HealthNode {
  const s = settingValues(h.settings);
  const d = DEFAULTS.health;
  const on = s.get("on");
  const rate = s.get("failure_rate");
  const shared = s.get("shared");
  const ejectMs = num(s.get("eject"), d.ejectMs);
  return {
    on: on?.kind === "list" ? on.items.map(failureReason) : [...d.on],
    consecutive: num(s.get("consecutive"), d.consecutive),
    ...(rate !== undefined ? { failureRate: num(rate, 100) } : {}),
    intervalMs: num(s.get("interval"), d.intervalMs),
    minimum: num(s.get("minimum"), d.minimum),
    ejectMs,
    // The cap never undercuts the first ejection.
    maxEjectMs: Math.max(ejectMs, num(s.get("max_eject"), d.maxEjectMs)),
    ...(shared !== undefined ? { sharedMs: num(shared, 1000) } : {}),
    span: sourceRef(h.span),
  };
}

function mapValues<A, B>(m: ReadonlyMap<string, A>, f: (a: A) => B): Record<string, B> {
  const out = new Map<string, B>();
  for (const [k, v] of m) out.set(k, f(v));
  return Object.fromEntries(out);
}

/** Lowers a checked policy. `policy` is the version string (see hash.ts). */
export function lower(symbols: SymbolTable, policy: string): { graph: Graph; tests: TestCase[] } {
  const routes = symbols.routes.map((r) => lowerRoute(r, symbols.inherited));
  const { index, accepted } = indexRoutes(routes);
  const graph: Graph = {
    version: GRAPH_VERSION,
    policy,
    gateway: lowerGateway(symbols),
    providers: mapValues(symbols.providers, lowerProvider),
    models: lowerModels(symbols),
    keys: lowerKeys(symbols),
    budgets: mapValues(symbols.budgets, lowerBudget),
    limits: mapValues(symbols.limits, lowerLimit),
    guardrails: mapValues(symbols.guardrails, lowerGuardrail),
    caches: lowerCaches(symbols),
    // Written only when declared, so graphs of policies without health are unchanged.
    ...(symbols.health.size > 0 ? { health: mapValues(symbols.health, lowerHealth) } : {}),
    ...(symbols.jwt.size > 0 ? { jwt: mapValues(symbols.jwt, lowerJwt) } : {}),
    routes,
    index,
    accepted,
  };
  return { graph, tests: symbols.tests.map(lowerTest) };
}
