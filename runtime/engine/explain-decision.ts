/**
 * The decision record: one request's decision in the policy's own terms, as
 * compact, deterministic, plain JSON. `aigw explain` prints it and the
 * server logs it (issue 7). Both build it here from the same `decide` trace
 * and the same guardrail verdict, so the two cannot describe a decision
 * differently: for the same request, caller, state and draw the records are
 * equal.
 *
 * Pure: hashing a bearer key is a parameter (or the caller is resolved
 * outside), nothing reads a clock, and no field depends on when or where the
 * record was built.
 *
 * What a record never holds, so it is safe to log:
 * - a bearer key or any other credential header: only the key's hash, which
 *   the policy itself lists; credential values are scrubbed from every string;
 * - the prompt: reasons about `text` give its length instead of its content,
 *   and guardrail hits say what fired and how often, not what matched.
 */
import type { ExprNode, FactNode, Graph, Shaping, SourceRef, WindowNode } from "../../compiler/graph.js";
import { describeShaping, shapeParams } from "../request/shape.js";
import type { Decision } from "./decision.js";
import { describeUnfit, unfitMessage } from "./fit.js";
import { describeEjection, type SkippedTarget } from "./live.js";
import { factText } from "./explain.js";
import type { Facts } from "./facts.js";
import type { GuardHit, GuardOutcome } from "./guardrails.js";
import type { TraceEvent } from "./trace.js";
import { bearerToken, CREDENTIAL_HEADERS } from "./bearer.js";
import type {
  BudgetRecord,
  CallerAuth,
  DefaultsRecord,
  Explanation,
  GuardrailRecord,
  LimitRecord,
  NotAppliedRecord,
  Located,
  SkippedRecord,
  OutcomeRecord,
  PlanRecord,
  RequestRecord,
  RouteRecord,
  SplitRecord,
} from "./explain-record.js";

export type * from "./explain-record.js";

/**
 * The record of a decision already made: for the server, which decides with
 * a tracer collecting `events` and applies the input guardrails itself.
 * `guard` is the input guardrails' verdict (undefined for no route).
 */
export function explainDecision(
  graph: Graph,
  facts: Facts,
  decision: Decision,
  events: readonly TraceEvent[],
  guard: GuardOutcome | undefined,
  /** Whether the request carried a bearer key (facts never hold credential headers). */
  keyPresented = false,
): Explanation {
  const scrub = scrubber(facts);
  const candidates = events.find((e) => e.kind === "candidates");
  const routes: RouteRecord[] = [];
  let split: SplitRecord | undefined;
  for (const e of events) {
    if (e.kind === "route") routes.push({ ...located(e.route.name, e.route.span), matched: e.matched, reason: scrub(e.reason) });
    else if (e.kind === "split") split = splitRecord(e, facts, scrub);
  }

  const request = requestRecord(graph, facts, keyPresented, scrub);
  const counted = { forModel: candidates?.forModel ?? 0, anyModel: candidates?.anyModel ?? 0 };
  const outcome = outcomeRecord(decision, guard, facts, scrub);
  if (decision.kind === "no-route") {
    return { policy: graph.policy, request, candidates: counted, routes, budgets: [], limits: [], guardrails: [], outcome };
  }

  const budgets = decision.budgets.map((c): BudgetRecord => ({
    ...located(c.budget, c.node.span),
    scope: c.scope,
    scopeKey: c.scopeKey,
    spent: c.spent,
    limit: c.limit,
    state: c.state,
    ...(c.node.warnPercent !== undefined ? { warnPercent: c.node.warnPercent } : {}),
    window: windowText(c.node.window),
    exceeded: { ...c.node.exceeded },
  }));
  const limits = decision.limits.map((c): LimitRecord => ({
    ...located(c.limit, c.node.span),
    scope: c.scope,
    scopeKey: c.scopeKey,
    ...(c.node.requests !== undefined ? { requests: { used: c.requestsUsed ?? 0, count: c.requestsCap ?? c.node.requests.count, window: windowText(c.node.requests.window) } } : {}),
    ...(c.node.tokens !== undefined ? { tokens: { used: c.tokensUsed ?? 0, count: c.tokensCap ?? c.node.tokens.count, window: windowText(c.node.tokens.window) } } : {}),
    ...(c.node.concurrent !== undefined ? { concurrent: { used: c.concurrentUsed ?? 0, count: c.node.concurrent } } : {}),
    ...(c.exhausted !== undefined ? { exhausted: c.exhausted } : {}),
  }));
  const node = graph.routes[decision.route.index];
  const defaults = node?.defaults?.map((d): DefaultsRecord => ({ ...located(d.name, d.span), settings: [...d.settings] }));
  const shaped = node?.shaping === undefined ? undefined : shapedText(facts, node.shaping);
  const head = {
    policy: graph.policy,
    request,
    candidates: counted,
    routes,
    route: located(decision.route.name, decision.route.span),
    ...(defaults !== undefined ? { defaults } : {}),
    ...(shaped !== undefined ? { shaped } : {}),
    budgets,
    limits,
    ...(decision.kind !== "refused" && decision.notApplied !== undefined
      ? { notApplied: decision.notApplied.map((n): NotAppliedRecord => ({ ...located(n.name, n.span), kind: n.kind, reason: scrub(n.reason) })) }
      : {}),
  };
  const guardrails = guardrailRecords(graph, decision.guardrails, guard);
  if (decision.kind === "rejected" || decision.kind === "refused") return { ...head, guardrails, outcome };

  const p = decision.plan;
  const plan: PlanRecord = {
    targets: p.targets.map((t) => ({
      model: t.model,
      ...(t.provider !== undefined ? { provider: t.provider } : {}),
      ...(t.upstream !== undefined ? { upstream: t.upstream } : {}),
      retries: t.retries,
      ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
    })),
    fallbackOn: [...p.fallbackOn],
    backoffMs: p.backoffMs,
    maxAttempts: p.maxAttempts,
  };
  return {
    ...head,
    ...(decision.downgrade !== undefined ? { downgrade: { budget: decision.downgrade.budget, model: decision.downgrade.model } } : {}),
    ...(split !== undefined ? { split } : {}),
    plan,
    ...(decision.unfit !== undefined ? { unfit: decision.unfit.map((u) => ({ model: u.model, lacks: [...u.lacks], reason: describeUnfit(u) })) } : {}),
    ...(decision.skipped !== undefined ? { skipped: decision.skipped.map((s) => skippedRecord(graph, s)) } : {}),
    guardrails,
    outcome,
  };
}

// ---------------------------------------------------------------- parts

function skippedRecord(graph: Graph, s: SkippedTarget): SkippedRecord {
  const node = graph.health?.[s.health];
  const where = node === undefined ? { name: s.health, file: "", line: 0 } : located(s.health, node.span);
  return { ...where, model: s.model, reason: describeEjection(s.state), probing: s.state.probing };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A window as a policy writes it after `per`: a calendar unit (`day`), or a rolling duration (`24h`, `90s`). */
export function windowText(w: WindowNode): string {
  if (w.kind === "calendar") return w.unit;
  const ms = w.ms;
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function located(name: string, span: SourceRef): Located {
  return { name, file: span.file, line: span.line };
}

/**
 * The facts of a request that the policies in `graphs` read, as the
 * decision record shows them (credentials redacted, the prompt as its
 * length): the witness of a shadow difference (runtime/shadow).
 */
export function requestWitness(graphs: readonly Graph[], facts: Facts): RequestRecord {
  const scrub = scrubber(facts);
  const [first, ...rest] = graphs.map((g) => requestRecord(g, facts, false, scrub));
  let out = first!;
  for (const r of rest) {
    const labels = { ...out.caller.labels, ...r.caller.labels };
    const headers = { ...out.headers, ...r.headers };
    const metadata = { ...out.metadata, ...r.metadata };
    out = {
      ...out,
      caller: { ...out.caller, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    };
  }
  return out;
}

function requestRecord(graph: Graph, facts: Facts, keyPresented: boolean, scrub: (s: string) => string): RequestRecord {
  const reads = factsRead(graph);
  const auth: CallerAuth = facts.key !== undefined ? "key" : keyPresented ? "unknown-key" : "no-key";
  const labels = pick(facts.labels, reads.label, scrub);
  const headers = pick(facts.headers, reads.header, scrub);
  const metadata = pick(facts.metadata, reads.metadata, scrub);
  // Spreads of present parts only, in a fixed order: the record's JSON text is what gets compared.
  return {
    ...(facts.model !== undefined ? { model: scrub(facts.model) } : {}),
    endpoint: facts.endpoint,
    stream: facts.stream,
    caller: {
      auth,
      ...(facts.key !== undefined ? { key: facts.key } : {}),
      ...(facts.team !== undefined ? { team: facts.team } : {}),
      ...(facts.user !== undefined ? { user: facts.user } : {}),
      ...(labels !== undefined ? { labels } : {}),
    },
    ...(headers !== undefined ? { headers } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    inputBytes: facts.inputBytes,
    ...(facts.tokensCounted && facts.inputBytes > 0 ? { inputTokens: facts.inputTokens } : {}),
    tools: facts.tools,
    images: facts.images,
  };
}

/** The entries of `map` whose names are in `names`, sorted by name; undefined when none. */
function pick(map: Readonly<Record<string, string>>, names: ReadonlySet<string>, scrub: (s: string) => string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name of [...names].sort()) {
    const v = Object.hasOwn(map, name) ? map[name] : undefined;
    if (v === undefined) continue;
    (out ??= {})[name] = CREDENTIAL_HEADERS.has(name) ? REDACTED : scrub(v);
  }
  return out;
}

function splitRecord(e: Extract<TraceEvent, { kind: "split" }>, facts: Facts, scrub: (s: string) => string): SplitRecord {
  const s: Mutable<SplitRecord> = { arms: e.arms.map((a) => ({ model: a.model, weight: a.weight })) };
  if (e.by !== undefined) s.by = factText(e.by);
  const c = e.choice;
  if (c === undefined) return s;
  if (c.value !== undefined) s.value = e.by?.name === "text" ? `(${facts.inputBytes} bytes, not shown)` : scrub(c.value);
  if (c.draw !== undefined) s.draw = c.draw;
  s.pick = c.model;
  if (c.forced) s.forced = true;
  // null, not undefined, so the JSON keeps the position of an unmeasured arm.
  if (c.cheapest !== undefined) s.cheapest = { arms: [...c.cheapest.arms], costs: c.cheapest.costs.map((x) => (x === undefined ? null : x)) };
  if (c.fastest !== undefined) s.fastest = { drawn: [...c.fastest.drawn], estimates: c.fastest.estimates.map((x) => (x === undefined ? null : Math.round(x * 1000) / 1000)) };
  if (c.instead !== undefined) s.instead = c.instead;
  return s;
}

function guardrailRecords(graph: Graph, names: readonly string[], guard: GuardOutcome | undefined): GuardrailRecord[] {
  const hits = new Map<string, { rule: number; action: "block" | "redact" | "flag"; by: string; count?: number }[]>();
  const add = (h: GuardHit, action: "block" | "redact" | "flag"): void => {
    let list = hits.get(h.guardrail);
    if (list === undefined) hits.set(h.guardrail, (list = []));
    list.push(action === "redact" ? { rule: h.rule + 1, action, by: h.by, count: h.count } : { rule: h.rule + 1, action, by: h.by });
  };
  if (guard !== undefined) {
    for (const h of guard.redacted) add(h, "redact");
    for (const h of guard.flagged) add(h, "flag");
    if (guard.blocked !== undefined) add(guard.blocked, "block");
  }
  const blockedAt = guard?.blocked === undefined ? -1 : names.indexOf(guard.blocked.guardrail);
  return names.map((name, i): GuardrailRecord => {
    const node = graph.guardrails[name]!;
    const list = (hits.get(name) ?? []).sort((a, b) => a.rule - b.rule);
    const input: GuardrailRecord["input"] =
      blockedAt >= 0 && i > blockedAt
        ? "skipped"
        : list.some((h) => h.action === "block")
          ? "blocked"
          : list.some((h) => h.action === "redact")
            ? "redacted"
            : list.length > 0
              ? "flagged"
              : "passed";
    const r: Mutable<GuardrailRecord> = { ...located(name, node.span), input, hits: list };
    if (node.rules.some((rule) => rule.on === "output")) r.output = true;
    return r;
  });
}

/**
 * How the request ends, in the server's order (lang/SPEC.md, "Deciding a request"): no route
 * (404), then a route that rejects (its status, before its guardrails, which it has none of), then an input guardrail block (400, before any budget is charged),
 * then a budget or limit (429), else it is sent.
 */
function outcomeRecord(decision: Decision, guard: GuardOutcome | undefined, facts: Facts, scrub: (s: string) => string): OutcomeRecord {
  if (decision.kind === "no-route") return { kind: "no-route", status: 404, accepted: [...decision.accepted], message: scrub(decision.message) };
  const route = decision.route.name;
  const b = guard?.blocked;
  if (b !== undefined) {
    return { kind: "blocked", status: 400, route, guardrail: b.guardrail, by: b.by, message: `request blocked by guardrail \`${b.guardrail}\` (${b.by})` };
  }
  if (decision.kind === "refused") return { kind: "refused", status: decision.status, route, message: decision.message };
  if (decision.kind === "rejected") {
    const name = decision.reason.kind === "budget" ? decision.reason.budget : decision.reason.limit;
    return { kind: "rejected", status: 429, route, reason: decision.reason.kind, name, message: decision.message };
  }
  const first = decision.plan.targets[0];
  if (first === undefined && decision.unfit !== undefined) return { kind: "unfit", status: 400, route, message: unfitMessage(route, decision.unfit, facts) };
  return first === undefined ? { kind: "routed", route } : { kind: "routed", route, target: first.model };
}

// ---------------------------------------------------------------- callers and secrets

/** The caller of a request by its bearer key, looked up in `keys` by its hash; anonymous without a key, a hash function or a match. */
const REDACTED = "[REDACTED]";
/** Shorter secrets are not scrubbed from free text: replacing `foo` everywhere would mangle names without protecting anything real. */
const MIN_SCRUBBED = 8;

/**
 * A function that makes a request-derived string safe to log: credential
 * values (and a bearer token on its own) become `[REDACTED]`, and the input
 * text quoted by a reason about `text` becomes its length.
 */
function scrubber(facts: Facts): (s: string) => string {
  const secrets: string[] = [];
  for (const name of CREDENTIAL_HEADERS) {
    const v = Object.hasOwn(facts.headers, name) ? facts.headers[name] : undefined;
    if (v === undefined) continue;
    if (v.trim().length >= MIN_SCRUBBED) secrets.push(v, JSON.stringify(v).slice(1, -1));
    const token = bearerToken(v);
    if (token !== undefined && token.length >= MIN_SCRUBBED) secrets.push(token, JSON.stringify(token).slice(1, -1));
  }
  // Longest first, so a whole header value goes before the token inside it.
  secrets.sort((a, b) => b.length - a.length);
  // The same text explainExpr quotes for the `text` fact (explain.ts, factShown): its normal form.
  const t = facts.normalizedText;
  const quoted = `(text is ${JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}…` : t)})`;
  const hidden = `(text is ${facts.inputBytes} bytes, not shown)`;
  return (s) => {
    let out = s.includes(quoted) ? s.split(quoted).join(hidden) : s;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

// ---------------------------------------------------------------- facts the policy reads

interface Reads {
  readonly header: ReadonlySet<string>;
  readonly metadata: ReadonlySet<string>;
  readonly label: ReadonlySet<string>;
}

/** The header, metadata and label names any route condition, `split by` or guardrail condition reads. */
function factsRead(graph: Graph): Reads {
  const header = new Set<string>();
  const metadata = new Set<string>();
  const label = new Set<string>();
  const fact = (f: FactNode): void => {
    if (f.arg === undefined) return;
    if (f.name === "header") header.add(f.arg.toLowerCase());
    else if (f.name === "metadata") metadata.add(f.arg);
    else if (f.name === "label") label.add(f.arg);
  };
  const walk = (e: ExprNode): void => {
    switch (e.op) {
      case "and":
      case "or":
        return e.args.forEach(walk);
      case "not":
        return walk(e.arg);
      default:
        return fact(e.fact);
    }
  };
  for (const r of graph.routes) {
    if (r.when !== undefined) walk(r.when);
    if (r.target.kind === "split" && r.target.by !== undefined) fact(r.target.by);
  }
  for (const g of Object.values(graph.guardrails)) for (const rule of g.rules) if (rule.when !== undefined) walk(rule.when);
  return { header, metadata, label };
}

/** What the route's shaping changes in the request the facts describe, or undefined when nothing (the server's shape step applies the same rule). */
export function shapedText(facts: Facts, shaping: Shaping): string | undefined {
  const asked = { ...(facts.maxTokens !== undefined ? { maxTokens: facts.maxTokens } : {}), ...(facts.temperature !== undefined ? { temperature: facts.temperature } : {}), ...(facts.topP !== undefined ? { topP: facts.topP } : {}) };
  const { changes } = shapeParams(asked, shaping);
  return changes.length === 0 ? undefined : describeShaping(changes);
}
