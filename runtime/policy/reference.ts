/**
 * The reference interpreter: chooses a request's route and target plan by
 * walking the policy's AST directly — no graph, no index, no compiled
 * closures, every rule of lang/SPEC.md §7 written out the slow, obvious way.
 * It exists to be compared with `decide` (reference-check.ts): `aigw check`
 * runs both on every policy test and a property test runs both on generated
 * policies. A disagreement is a bug in the compiler's lowering or index or
 * in the evaluator, never something to smooth over.
 *
 * Shared with `decide` on purpose: the split hash functions (split.ts) —
 * they are the definition of a sticky split, not an optimisation — and the
 * language's defaults (compiler/settings.ts).
 */
import type { BudgetDecl, DefaultsDecl, Expr, FactRef, LimitDecl, RouteDecl, RouteStmt, Setting, SourceFile, Value } from "../../lang/ast.js";
import { buildSymbols } from "../../compiler/passes/symbols.js";
import { compileLinear } from "../../compiler/linear-regex.js";
import { DEFAULTS } from "../../compiler/settings.js";
import { UPSTREAM_NAME } from "../../compiler/graph.js";
import type { SymbolTable } from "../../compiler/symbols.js";
import { callerStatus } from "../engine/attempts.js";
import type { Facts } from "../engine/facts.js";
import { makeArms, pickByDraw, pickByKey, pickFastest, totalWeight } from "../engine/split.js";
import { LARGEST_CONTEXT_TOKENS, pickCheapest } from "../engine/cheapest.js";
import { NO_SCOPE_VALUE, type StateView } from "../engine/state.js";

/** What the reference decides. */
export type ReferenceDecision =
  | { kind: "no-route" }
  | { kind: "rejected"; route: string; by: { kind: "budget" | "limit"; name: string } }
  /** The route says `reject STATUS`: nothing else of it applies. */
  | { kind: "refused"; route: string; status: number }
  | {
      kind: "route";
      route: string;
      /** Models in the order they would be tried. */
      targets: string[];
      /** Retries per target. */
      retries: number;
      fallbackOn: string[];
      /** The split's pick, when there is a split and no downgrade. */
      pick: string | undefined;
      downgrade: string | undefined;
      /** `max_tokens`, `temperature` and `top_p` of the request sent, after the route's shaping (lang/SPEC.md §4.8.2). */
      sent?: Readonly<Record<string, number | undefined>>;
    };

/** The symbol table the reference walks (first declaration of a name wins, routes in file order). */
export function referenceSymbols(files: readonly SourceFile[]): SymbolTable {
  return buildSymbols(files).symbols;
}

/** Decides a request from the AST. `state` is read exactly as `decide` reads it. */
export function referenceDecide(symbols: SymbolTable, facts: Facts, state: StateView): ReferenceDecision {
  const route = symbols.routes.find((r) => {
    const when = r.body.find((s) => s.kind === "when");
    return when === undefined || evaluate(when.condition, facts, facts.text);
  });
  if (route === undefined) return { kind: "no-route" };
  const name = route.name.name;
  const reject = route.body.find((s) => s.kind === "reject");
  if (reject?.kind === "reject") return { kind: "refused", route: name, status: reject.status.kind === "quantity" ? reject.status.value : 0 };
  const wild = wildcardsOf(symbols, route, facts);
  if (wild.refused !== undefined) return { kind: "refused", route: name, status: wild.refused };

  let downgrade: string | undefined;
  for (const b of names(symbols, route, "budget")) {
    const decl = symbols.budgets.get(b)!;
    if (!applies(decl, facts)) continue;
    const key = scopeKey(scopeOf(decl), facts, name);
    const limit = amount(decl, "limit", key);
    const spent = state.budgetSpent(b, key);
    if (limit === undefined || spent < limit) continue;
    const exceeded = decl.clauses.find((c) => c.kind === "exceeded");
    if (exceeded?.kind === "exceeded" && exceeded.action.name === "downgrade" && exceeded.model) downgrade ??= exceeded.model.name;
    else return { kind: "rejected", route: name, by: { kind: "budget", name: b } };
  }
  for (const l of names(symbols, route, "limit")) {
    const decl = symbols.limits.get(l)!;
    if (!applies(decl, facts)) continue;
    const key = scopeKey(scopeOf(decl), facts, name);
    for (const measure of ["requests", "tokens"] as const) {
      const count = amount(decl, measure, key);
      if (count !== undefined && state.limitUsed(l, key, measure) >= count) return { kind: "rejected", route: name, by: { kind: "limit", name: l } };
    }
    const inFlight = decl.clauses.find((c) => c.kind === "concurrent");
    if (inFlight?.kind === "concurrent" && inFlight.count.kind === "quantity" && state.limitUsed(l, key, "concurrent") >= inFlight.count.value) {
      return { kind: "rejected", route: name, by: { kind: "limit", name: l } };
    }
  }

  const retry = single(symbols, route, "retry");
  const retries = retry?.kind === "retry" && retry.count.kind === "quantity" ? retry.count.value : DEFAULTS.retry.count;
  const fallbackStmt = single(symbols, route, "fallback");
  const fallback = fallbackStmt?.kind === "fallback" ? fallbackStmt.targets.map((t) => t.name) : [];
  const fallbackOn = fallbackStmt?.kind === "fallback" && fallbackStmt.on.length > 0 ? fallbackStmt.on.map(reasonText) : [...DEFAULTS.fallbackOn];

  let first: string | undefined;
  let pick: string | undefined;
  // A target that cannot take the request is never planned (§7.8).
  // What the targets are asked is the request as the route shapes it (§4.8.2).
  const sent = sentBy(symbols, route, facts);
  const able = (m: string): boolean => canTake(symbols, m, facts, sent["max_tokens"] ?? 0);
  if (downgrade !== undefined) {
    return { kind: "route", route: name, targets: able(downgrade) ? [wild.as(downgrade)] : [], retries, fallbackOn, pick: undefined, downgrade, sent };
  }
  // A route with `health h` asks the state about each target; ejected means skipped while something else is not.
  const healthStmt = single(symbols, route, "health");
  const read = state.health;
  const ejected = (m: string): boolean => healthStmt?.kind === "health" && read !== undefined && read(healthStmt.name.name, m).status === "ejected";

  const target = route.body.find((s) => s.kind === "to" || s.kind === "split");
  let displaced: string | undefined;
  if (target?.kind === "to") first = target.target.name;
  else if (target?.kind === "split") ({ pick, displaced } = splitPick(target, facts, state, ejected, able, (m) => costOf(symbols, wild.as(m), facts, sent["max_tokens"])));
  if (pick !== undefined) first = pick;

  const targets: string[] = [];
  for (const m of [...(first === undefined ? [] : [first]), ...fallback]) if (!targets.includes(m) && able(m)) targets.push(m);
  // The arm an ejection displaced is kept, to be tried last.
  if (displaced !== undefined && !targets.includes(displaced)) targets.push(displaced);
  const open = targets.filter((m) => !ejected(m));
  const ordered = open.length === 0 ? targets : [...open, ...targets.filter((m) => ejected(m))];
  return { kind: "route", route: name, targets: ordered.map(wild.as), retries, fallbackOn, pick, downgrade: undefined, sent };
}

/**
 * The route's wildcard models (`provider/"*"`, §4.3) for this request: the
 * status that refuses it (400 for a name that may not be sent, 404 for one
 * the price table lacks on a route that needs prices: a budget, a `max_cost`
 * of its own or the gateway's, a `split cheapest`), and each model's name in
 * the plan (a wildcard's table row `m/name`, when it lists the name).
 */
function wildcardsOf(symbols: SymbolTable, route: RouteDecl, facts: Facts): { refused: number | undefined; as: (m: string) => string } {
  const upstreamFor = (m: string): string | undefined => {
    const decl = symbols.models.get(m);
    if (decl?.upstream.value !== "*" || facts.model === undefined) return undefined;
    const prefix = `${decl.provider.name}/`;
    return facts.model.startsWith(prefix) ? facts.model.slice(prefix.length) : facts.model;
  };
  const listed = (m: string, upstream: string): boolean => (symbols.models.get(m)?.prices ?? []).some((row) => row.name.value === upstream);
  const budgets = names(symbols, route, "budget").flatMap((b) => {
    const x = symbols.budgets.get(b)?.clauses.find((c) => c.kind === "exceeded");
    return x?.kind === "exceeded" && x.model ? [x.model.name] : [];
  });
  const split = single(symbols, route, "split");
  const to = single(symbols, route, "to");
  const fallback = single(symbols, route, "fallback");
  const models = [...(to ? [to.target.name] : []), ...(split ? split.arms.map((a) => a.target.name) : []), ...(fallback ? fallback.targets.map((t) => t.name) : []), ...budgets];
  const wild = models.filter((m) => symbols.models.get(m)?.upstream.value === "*");
  const priced = names(symbols, route, "budget").length > 0 || split?.cheapest === true || hasSetting(symbols, route, "max_cost") || (symbols.gateway?.settings.some((x) => x.name.name === "max_cost") ?? false);
  let refused: number | undefined;
  for (const m of wild) {
    const upstream = upstreamFor(m);
    if (upstream === undefined || !UPSTREAM_NAME.test(upstream)) refused ??= 400;
    else if (priced && !listed(m, upstream)) refused ??= 404;
  }
  const as = (m: string): string => {
    const upstream = upstreamFor(m);
    return upstream !== undefined && listed(m, upstream) ? `${m}/${upstream}` : m;
  };
  return { refused, as };
}

/** Whether the route, or a `defaults` block it uses, says `NAME value`. */
function hasSetting(symbols: SymbolTable, owner: RouteDecl | DefaultsDecl, name: string, depth = 0): boolean {
  if (owner.body.some((s) => s.kind === "setting" && s.name.name === name)) return true;
  return depth <= symbols.defaults.size && uses(symbols, owner).some((d) => hasSetting(symbols, d, name, depth + 1));
}

/**
 * The parameters the route sends, written out: the route's (or its blocks')
 * `set P` wins over what was asked, which wins over `default P`; then
 * `max_tokens` above the cap, or absent, is the cap.
 */
function sentBy(symbols: SymbolTable, route: RouteDecl, facts: Facts): Record<string, number | undefined> {
  const word = (verb: string, param: string): number | undefined => {
    const s = singleWhere(symbols, route, (x) => x.kind === "shape" && x.verb === verb && x.param.name === param);
    return s?.kind === "shape" && s.value.kind === "quantity" ? s.value.value : undefined;
  };
  const out: Record<string, number | undefined> = {};
  for (const [param, asked] of [["max_tokens", facts.maxTokens], ["temperature", facts.temperature], ["top_p", facts.topP]] as const) {
    let v = word("set", param) ?? asked ?? word("default", param);
    const cap = param === "max_tokens" ? word("cap", param) : undefined;
    if (cap !== undefined && (v === undefined || v > cap)) v = cap;
    out[param] = v;
  }
  return out;
}

/** The split's pick, and the ejected arm it replaced (if it did). */
function splitPick(
  split: Extract<RouteDecl["body"][number], { kind: "split" }>,
  facts: Facts,
  state: StateView,
  ejected: (m: string) => boolean,
  able: (m: string) => boolean,
  cost: (m: string) => number | undefined,
): { pick: string | undefined; displaced: string | undefined } {
  const models = split.arms.map((a) => a.target.name);
  if (state.forcedSplit !== undefined && models.includes(state.forcedSplit)) return { pick: state.forcedSplit, displaced: undefined };
  // Only the arms that can take the request are drawn from.
  const all = split.arms.map((a) => ({ model: a.target.name, weight: a.weight.value })).filter((a) => able(a.model));
  const v = split.by === undefined ? undefined : readFact(split.by, facts, facts.text);
  const value = v === undefined || String(v) === "" ? undefined : String(v);
  const draw = value === undefined ? state.draw() : undefined;
  const latency = state.latency ?? ((): undefined => undefined);
  const pickAmong = (list: { model: string; weight: number }[]): string | undefined => {
    const arms = makeArms(list);
    const i =
      value !== undefined
        ? pickByKey(arms, value)
        : split.fastest
          ? pickFastest(arms, totalWeight(arms), draw!, latency).index
          : split.cheapest
            ? pickCheapest(arms, draw!, cost).index
            : pickByDraw(arms, totalWeight(arms), draw!);
    return i < 0 ? undefined : list[i]!.model;
  };
  const picked = pickAmong(all);
  if (picked === undefined || !ejected(picked)) return { pick: picked, displaced: undefined };
  // The same rule over the arms not ejected; all ejected: the first pick stands.
  const healthy = all.filter((a) => a.weight > 0 && !ejected(a.model));
  const again = healthy.length === 0 ? undefined : pickAmong(healthy);
  return again === undefined ? { pick: picked, displaced: undefined } : { pick: again, displaced: picked };
}

/**
 * Whether model `m` can take the request, from its declaration: every
 * capability the request needs is in its `supports` (when it has one), its
 * input tokens plus the `max_tokens` asked fit its `context`, and the
 * `max_tokens` asked fit its `max_output`.
 */
function canTake(symbols: SymbolTable, m: string, f: Facts, asked: number): boolean {
  const settings = symbols.models.get(m)?.settings ?? [];
  const setting = (n: string): Value | undefined => settings.find((s) => s.name.name === n)?.value;
  const supports = setting("supports");
  if (supports?.kind === "list") {
    const has = supports.items.map((i) => (i.kind === "ident" ? i.name : ""));
    const needs = [f.tools && "tools", f.images && "images", f.jsonSchema && "json_schema", f.stream && "stream"].filter((x): x is string => typeof x === "string");
    if (needs.some((n) => !has.includes(n))) return false;
  }
  const context = setting("context");
  // Tokens never outnumber UTF-8 bytes (§5): a text that fits by its bytes is not counted.
  if (context?.kind === "quantity" && f.maxInputTokens + asked > context.value && f.inputTokens + asked > context.value) return false;
  const maxOutput = setting("max_output");
  if (maxOutput?.kind === "quantity" && asked > maxOutput.value) return false;
  return true;
}

/**
 * The worst case of the request on model `m` in dollars, from its
 * declaration: input at most the counted (or byte-bounded) tokens, capped by
 * `context`; output at most `max_tokens`, else `max_output`, else `context`,
 * else the largest context; undefined without both prices.
 */
function costOf(symbols: SymbolTable, m: string, f: Facts, asked: number | undefined): number | undefined {
  const settings = settingsOf(symbols, m);
  const n = (name: string): number | undefined => {
    const v = settings.find((s) => s.name.name === name)?.value;
    return v?.kind === "quantity" ? v.value : undefined;
  };
  const [inPrice, outPrice, context, maxOutput] = [n("input"), n("output"), n("context"), n("max_output")];
  if (inPrice === undefined || outPrice === undefined) return undefined;
  const input = context === undefined ? f.maxInputTokens : Math.min(f.maxInputTokens, context);
  const output = asked ?? maxOutput ?? context ?? LARGEST_CONTEXT_TOKENS;
  return (input * inPrice + output * outPrice) / 1_000_000;
}

/** A model's settings; for a wildcard's row `m/name`, the row's (§4.3). */
function settingsOf(symbols: SymbolTable, m: string): readonly Setting[] {
  const slash = m.indexOf("/");
  if (slash < 0) return symbols.models.get(m)?.settings ?? [];
  return symbols.models.get(m.slice(0, slash))?.prices?.find((row) => row.name.value === m.slice(slash + 1))?.settings ?? [];
}

/** The names a route lists in its `guard`, `budget` or `limit` statements, joined, each once. */
/**
 * `defaults` by lookup, not by the compiler's overlay (lang/SPEC.md §4.13):
 * a route's single statement of `kind` is its own, else the one the last
 * block it `use`s has (by the same rule); lists are each used block's, in
 * `use` order, then its own, each name once. (A compiled policy has no cycle;
 * the depth bound only keeps a broken one finite.)
 */
function single<K extends RouteStmt["kind"]>(symbols: SymbolTable, owner: RouteDecl | DefaultsDecl, kind: K, depth = 0): Extract<RouteStmt, { kind: K }> | undefined {
  const own = owner.body.find((s): s is Extract<RouteStmt, { kind: K }> => s.kind === kind);
  if (own !== undefined || depth > symbols.defaults.size) return own;
  const used = uses(symbols, owner);
  for (let i = used.length - 1; i >= 0; i--) {
    const found = single(symbols, used[i]!, kind, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Like {@link single}, for the statement `pick` chooses (a shaping statement per verb and parameter). */
function singleWhere(symbols: SymbolTable, owner: RouteDecl | DefaultsDecl, pick: (s: RouteStmt) => boolean, depth = 0): RouteStmt | undefined {
  const own = owner.body.find(pick);
  if (own !== undefined || depth > symbols.defaults.size) return own;
  const used = uses(symbols, owner);
  for (let i = used.length - 1; i >= 0; i--) {
    const found = singleWhere(symbols, used[i]!, pick, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function uses(symbols: SymbolTable, owner: RouteDecl | DefaultsDecl): DefaultsDecl[] {
  const out: DefaultsDecl[] = [];
  for (const s of owner.body) if (s.kind === "use") for (const n of s.names) if (symbols.defaults.has(n.name)) out.push(symbols.defaults.get(n.name)!);
  return out;
}

/** The names a route lists in its `guard`, `budget` or `limit` statements and those of the blocks it uses, joined, each once. */
function names(symbols: SymbolTable, owner: RouteDecl | DefaultsDecl, kind: "guard" | "budget" | "limit", out: string[] = [], depth = 0): string[] {
  if (depth <= symbols.defaults.size) for (const d of uses(symbols, owner)) names(symbols, d, kind, out, depth + 1);
  for (const s of owner.body) if (s.kind === kind) for (const n of s.names) if (!out.includes(n.name)) out.push(n.name);
  return out;
}

/** The scope as the graph spells it: `team`, or `label:project` for `per label("project")`. */
function scopeOf(decl: BudgetDecl | LimitDecl): string {
  const c = decl.clauses.find((x) => x.kind === "scope");
  if (c?.kind !== "scope") return DEFAULTS.scope;
  return c.arg === undefined ? c.scope.name : `${c.scope.name}:${c.arg.value}`;
}

/** The amount of `measure` for scope value `key`: its entry in the clause's table when it has one, else the clause's amount (the table's `default`). */
function amount(decl: BudgetDecl | LimitDecl, measure: string, key: string): number | undefined {
  let out: number | undefined;
  for (const c of decl.clauses) {
    if (c.kind !== "amount" || c.measure.name !== measure) continue;
    const entry = c.table?.find((e) => e.value?.value === key);
    const v = entry?.amount ?? c.amount;
    if (v.kind === "quantity") out = v.value;
  }
  return out;
}

/** A budget or limit applies to the request unless its `when` is false. */
function applies(decl: BudgetDecl | LimitDecl, facts: Facts): boolean {
  const when = decl.clauses.find((c) => c.kind === "when");
  return when?.kind !== "when" || evaluate(when.condition, facts, facts.text);
}

function scopeKey(scope: string, facts: Facts, route: string): string {
  if (scope === "route") return route;
  if (scope === "global") return "global";
  const [kind, ...rest] = scope.split(":");
  const name = rest.join(":");
  const entries = kind === "label" ? facts.labels : kind === "metadata" ? facts.metadata : undefined;
  const v = entries !== undefined ? (Object.hasOwn(entries, name) ? entries[name] : undefined) : scope === "key" ? facts.key : scope === "team" ? facts.team : facts.user;
  return v ?? NO_SCOPE_VALUE;
}

function reasonText(v: Value): string {
  if (v.kind === "quantity") return v.unit === "status" ? `${v.value}xx` : String(v.value);
  return v.kind === "ident" ? v.name : "";
}

// ---------------------------------------------------------------- conditions, straight from the AST

type FactValue = string | number | boolean | undefined;

function readFact(fact: FactRef, f: Facts, text: string): FactValue {
  const arg = fact.arg?.value ?? "";
  const own = (m: Readonly<Record<string, string>>, k: string): string | undefined => (Object.hasOwn(m, k) ? m[k] : undefined);
  switch (fact.name.name) {
    case "model":
      return f.model;
    case "endpoint":
      return f.endpoint;
    case "stream":
      return f.stream;
    case "tools":
      return f.tools;
    case "images":
      return f.images;
    case "header":
      return own(f.headers, arg.toLowerCase());
    case "metadata":
      return own(f.metadata, arg);
    case "label":
      return own(f.labels, arg);
    case "key":
      return f.key;
    case "team":
      return f.team;
    case "user":
      return f.user;
    case "session":
      return f.session;
    case "text":
      return text;
    case "input_bytes":
      return f.inputBytes;
    case "input_tokens":
      return f.inputTokens;
    case "temperature":
      return f.temperature;
    case "top_p":
      return f.topP;
    case "budget_used":
      // an input like the others: worked out before deciding (engine/budget-use.ts); nothing read, nothing spent
      return Object.hasOwn(f.budgetUsed, arg) ? f.budgetUsed[arg] : 0;
    case "hour":
      return f.local.hour;
    case "weekday":
      return f.local.weekday;
    case "date":
      return f.local.date;
    default:
      return undefined;
  }
}

function literalOf(v: Value): string | number | boolean | undefined {
  switch (v.kind) {
    case "string":
      return v.value;
    case "quantity":
      return v.value;
    case "bool":
      return v.value;
    case "ident":
      return v.name;
    default:
      return undefined;
  }
}

/** A string read as a number; blank or non-numeric is NaN. */
const num = (s: string): number => (s.trim() === "" ? NaN : Number(s));

function equal(a: FactValue, b: string | number | boolean | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === typeof b) return a === b;
  if (typeof a === "string") return typeof b === "number" ? num(a) === b : a === String(b);
  if (typeof a === "number") return typeof b === "string" ? num(b) === a : false;
  // A boolean fact against a string literal.
  return typeof b === "string" && (b === "true" || b === "false") && String(a) === b;
}

function ordered(op: "<" | ">" | "<=" | ">=", a: FactValue, b: string | number | boolean | undefined): boolean {
  if (a === undefined || b === undefined || typeof a === "boolean" || typeof b === "boolean") return false;
  let x: string | number = a;
  let y: string | number = b;
  if (typeof x !== typeof y) {
    x = typeof x === "string" ? num(x) : x;
    y = typeof y === "string" ? num(y) : y;
  }
  switch (op) {
    case "<":
      return x < y;
    case ">":
      return x > y;
    case "<=":
      return x <= y;
    case ">=":
      return x >= y;
  }
}

/** Evaluates a condition over the facts; `text` is the text under inspection. */
export function evaluate(e: Expr, f: Facts, text: string): boolean {
  switch (e.kind) {
    case "and":
      return evaluate(e.left, f, text) && evaluate(e.right, f, text);
    case "or":
      return evaluate(e.left, f, text) || evaluate(e.right, f, text);
    case "not":
      return !evaluate(e.operand, f, text);
    case "paren":
      return evaluate(e.inner, f, text);
    case "compare": {
      const a = readFact(e.fact, f, text);
      const b = literalOf(e.value);
      if (e.op === "==") return equal(a, b);
      if (e.op === "!=") return !equal(a, b);
      return ordered(e.op, a, b);
    }
    case "in": {
      const a = readFact(e.fact, f, text);
      return e.list.items.some((item) => equal(a, literalOf(item)));
    }
    case "matches": {
      const a = readFact(e.fact, f, text);
      return a !== undefined && compileLinear(e.regex.pattern, e.regex.flags).test(String(a));
    }
    case "truthy": {
      const a = readFact(e.fact, f, text);
      return typeof a === "boolean" ? a : typeof a === "string" ? a !== "" : typeof a === "number" ? a > 0 : false;
    }
  }
}

// ---------------------------------------------------------------- attempts, the obvious way

/** How a reference target fails: a status, a timeout, a broken connection, or a refusal (the prompt too long, filtered). */
export type ReferenceFailure = number | "timeout" | "connection" | "context_length" | "content_filter";

/** What happens to a reference plan when some targets always fail: the targets tried, the retries, the status. */
export function referenceAttempts(
  plan: { targets: readonly string[]; retries: number; fallbackOn: readonly string[] },
  fails: ReadonlyMap<string, ReferenceFailure>,
): { tried: string[]; retries: number; status: number } {
  const tried: string[] = [];
  let retries = 0;
  let last: ReferenceFailure | undefined;
  let all429 = true;
  for (const model of plan.targets) {
    tried.push(model);
    for (let attempt = 0; attempt <= plan.retries; attempt++) {
      if (attempt > 0) retries++;
      const cause = fails.get(model);
      if (cause === undefined) return { tried, retries, status: 200 };
      last = cause;
      if (cause !== 429) all429 = false;
      const refusal = cause === "context_length" || cause === "content_filter";
      // A refusal is an upstream 400 with a name: `on 400` and `on 4xx` take it as well.
      const status = typeof cause === "number" ? String(cause) : refusal ? "400" : undefined;
      const listed = plan.fallbackOn.some((r) => r === cause || (status !== undefined && (r === status || (r.endsWith("xx") && r[0] === status[0]))));
      if (!listed) return { tried, retries, status: refusal ? 400 : callerStatus(cause) };
      // The same model would refuse again: on to the next one.
      if (refusal) break;
    }
  }
  const refused = last === "context_length" || last === "content_filter";
  return { tried, retries, status: last === "timeout" ? 504 : all429 ? 429 : refused ? 400 : 502 };
}
